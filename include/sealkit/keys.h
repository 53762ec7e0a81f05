/* Private keys that open sealed blobs. */
#ifndef SEALKIT_KEYS_H
#define SEALKIT_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "cert.h"
#include "error.h"
#include "mem.h"

typedef struct sk_keyring sk_keyring;

SK_API int sk_keyring_new(sk_keyring **out, sk_error *err);
SK_API void sk_keyring_free(sk_keyring *kr);

/*
 * Adds every RSA private key found in text: PEM blocks "RSA PRIVATE KEY"
 * (PKCS#1) and "PRIVATE KEY" (PKCS#8), any number per text. Keys already in
 * the ring (same fingerprint) are skipped. *added (may be NULL) counts new keys.
 * Other PEM blocks are ignored, except that a CERTIFICATE holding one of
 * the keys becomes that key's certificate in sk_keyring_info; a text with no
 * private key is SK_EPARSE.
 */
SK_API int sk_keyring_add_pem(sk_keyring *kr, const char *text, size_t len, const char *source,
                              size_t *added, sk_error *err);

/*
 * Adds the keys of any file kubeseal's --recovery-private-key accepts: PEM
 * text (as above), or a Kubernetes Secret with data["tls.key"], a v1 List of
 * them, or several such documents (the controller's backup, every document
 * is read), in YAML or JSON. Implemented in keyfile.c.
 */
SK_API int sk_keyring_add_text(sk_keyring *kr, const char *text, size_t len, const char *source,
                               size_t *added, sk_error *err);

/*
 * Adds nothing: attaches each CERTIFICATE block of text to the key in the
 * ring whose public key it holds, when that key has no certificate yet (a
 * tls.crt beside a tls.key). *attached (may be NULL) counts them. Blocks that
 * are not certificates, unreadable certificates and certificates of no key
 * in the ring are skipped; only a malformed PEM text is an error.
 */
SK_API int sk_keyring_add_certs(sk_keyring *kr, const char *text, size_t len, const char *source,
                                size_t *attached, sk_error *err);

/*
 * The key loader of every command: each path is a key file (as
 * sk_keyring_add_text reads it), "-" for standard input, or a folder whose
 * regular files are read in name order (hidden entries skipped; files with no
 * key and no certificate passed over). Certificate-only files (a tls.crt
 * beside a tls.key) are attached to their keys once every path is read. No key
 * at all is SK_EINVAL.
 */
SK_API int sk_keyring_load(sk_keyring *kr, const char *const *paths, size_t n, sk_error *err);

/* How sk_keyring_load found a key file or folder exposed to other users. */
enum sk_key_exposure_kind {
    SK_KEY_FILE_READABLE = 1, /* a private key file that group or others may read (chmod 600) */
    SK_KEY_DIR_WRITABLE = 2   /* a folder others may write to, so add or swap keys (chmod o-w) */
};

typedef struct sk_key_exposure {
    const char *path; /* as given, or the folder's entry (a link's own path) */
    int kind;         /* enum sk_key_exposure_kind */
    unsigned mode;    /* its permission bits; a link's target's */
} sk_key_exposure;

/*
 * What sk_keyring_load found exposed, for the caller to warn about: each key file
 * read (links followed: in a Secret volume the mode is the volume's defaultMode),
 * each folder given, and the folder of each file given unless it has the sticky
 * bit. Nothing on a read-only file system counts as writable. Entries live as
 * long as the ring; stdin is never checked.
 */
SK_API size_t sk_keyring_exposure_count(const sk_keyring *kr);
SK_API const sk_key_exposure *sk_keyring_exposure(const sk_keyring *kr, size_t i);

/*
 * Sets up OpenSSL's secure heap of bytes (a power of two) before keys are loaded,
 * so that the private numbers of every key decoded afterwards live in locked
 * memory that is never swapped out or dumped. Process-wide, once: later calls
 * only report. *locked (may be NULL) is 1 when the heap is locked in memory, 0
 * when the system refused (RLIMIT_MEMLOCK): it is used but may be swapped.
 * SK_ENOMEM when no heap could be made: keys then live in ordinary memory.
 */
SK_API int sk_keys_secure_heap_init(size_t bytes, int *locked, sk_error *err);
SK_API size_t sk_keyring_count(const sk_keyring *kr);
/* Key i's public half as a sealing target (a bare public key: no certificate dates). */
SK_API int sk_keyring_pubkey(const sk_keyring *kr, size_t i, time_t now, sk_pubkey **out,
                             sk_error *err);
SK_API EVP_PKEY *sk_keyring_key(const sk_keyring *kr, size_t i);
SK_API const char *sk_keyring_fingerprint(const sk_keyring *kr, size_t i);
SK_API int sk_keyring_bits(const sk_keyring *kr, size_t i);

/* What a key's certificate says about it. */
enum sk_key_cert {
    SK_KEY_CERT_NONE = 0,  /* no certificate was found for the key */
    SK_KEY_CERT_OK,        /* the certificate holds this key's public key */
    SK_KEY_CERT_MISMATCH,  /* a Secret's tls.crt holds another public key */
    SK_KEY_CERT_UNREADABLE /* a Secret's tls.crt has no readable certificate */
};

/*
 * Where a key was first found and what came with it, for inventories. A key
 * found again (same fingerprint) only counts in seen, except that a key
 * first seen as bare PEM takes the location, Secret details and tls.crt of a
 * later occurrence in a Secret. Strings are NULL when absent; they live as
 * long as the ring (pointers into it are valid until the next key is added).
 */
typedef struct sk_key_info {
    const char *source;  /* the source name given when the key was added */
    size_t document;     /* 1-based document of a manifest; 0 for PEM text */
    size_t item;         /* 1-based item of a kind: List; 0 otherwise */
    int from_secret;     /* the key came from a Secret's data[tls.key] */
    const char *name;    /* the Secret's metadata.name */
    const char *ns;      /* the Secret's metadata.namespace */
    const char *label;   /* its sealedsecrets.bitnami.com/sealed-secrets-key label */
    const char *created; /* its metadata.creationTimestamp, as written */
    int has_created;     /* created parsed as RFC 3339 into created_at */
    int64_t created_at;
    int cert;           /* enum sk_key_cert */
    int64_t not_before; /* Unix times, when cert is OK or MISMATCH */
    int64_t not_after;
    char cert_fingerprint[SK_FINGERPRINT_MAX]; /* the certificate's key; "" without one */
    size_t seen;                               /* how many times the key was found */
} sk_key_info;

SK_API const sk_key_info *sk_keyring_info(const sk_keyring *kr, size_t i);

/*
 * Key i's certificate as PEM text, the tls.crt the controller serves for it
 * (kubeseal --fetch-cert): *pem is malloc'd and NUL-terminated, *len bytes.
 * SK_EINVAL when the key has no certificate, or its Secret's tls.crt holds
 * another key or no readable certificate (sk_key_info.cert is not OK).
 */
SK_API int sk_keyring_cert_pem(const sk_keyring *kr, size_t i, char **pem, size_t *len,
                               sk_error *err);

/* The two orderings of the controller's --key-order-priority (docs/format.md §5.3). */
enum sk_key_order {
    SK_KEY_ORDER_CERT_NOT_BEFORE = 0,   /* CertNotBefore, the default */
    SK_KEY_ORDER_CREATION_TIMESTAMP = 1 /* SecretCreationTimestamp */
};

/*
 * The key the controller would treat as "most recent" (docs/format.md §5.3): among the
 * keys it would load (not from a Secret, or labelled active, or the legacy
 * Secret named sealed-secrets-key) that have the ordering time, the greatest;
 * a tie keeps the one registered first (earlier creationTimestamp, then ring
 * order). Returns SK_OK and sets *which, or SK_EINVAL when no key qualifies.
 * This is the one "newest key" rule: keys, verify, rotate and cert use it.
 */
SK_API int sk_keyring_newest(const sk_keyring *kr, int order, size_t *which, sk_error *err);

/*
 * Opens a blob with the first key that works (RSA and GCM steps both),
 * trying the keys whose modulus size is the blob's RSA part's first (those
 * that succeeded most recently first), then larger keys (docs/format.md §1.5);
 * smaller keys are never tried. *which (may be NULL)
 * receives the index of the key that opened it (indexes never change). The
 * plaintext goes to *pt (guarded memory). SK_EDECRYPT when no key opens it
 * (also when a key opened the RSA part but the GCM tag failed), with the
 * reason of the last key tried.
 *
 * Not thread-safe on a shared ring: a success records the key in the ring to
 * order the next call's tries, so kr is written. Use one ring per thread, or
 * hold a lock around every call that decrypts through the ring (this one,
 * sk_unseal, sk_diagnose_scope, sk_reseal_text, and the verify functions
 * given keys).
 */
SK_API int sk_keyring_decrypt(sk_keyring *kr, const unsigned char *label, size_t label_len,
                              const unsigned char *blob, size_t blob_len, sk_secbuf *pt,
                              size_t *which, sk_error *err);

#endif
