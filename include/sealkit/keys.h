/* Private keys that open sealed blobs. */
#ifndef SEALKIT_KEYS_H
#define SEALKIT_KEYS_H

#include <stddef.h>
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
 * Other PEM blocks are ignored; a text with no private key is SK_EPARSE.
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

SK_API size_t sk_keyring_count(const sk_keyring *kr);
SK_API EVP_PKEY *sk_keyring_key(const sk_keyring *kr, size_t i);
SK_API const char *sk_keyring_fingerprint(const sk_keyring *kr, size_t i);
SK_API int sk_keyring_bits(const sk_keyring *kr, size_t i);

/*
 * Opens a blob with the first key that works (RSA and GCM steps both),
 * trying the key that last succeeded first and skipping keys whose modulus
 * size differs from the blob's RSA part. *which (may be NULL) receives the
 * index of the key that opened it. SK_EDECRYPT when none does.
 */
SK_API int sk_keyring_decrypt(sk_keyring *kr, const unsigned char *label, size_t label_len,
                              const unsigned char *blob, size_t blob_len, sk_secbuf *pt,
                              size_t *which, sk_error *err);

#endif
