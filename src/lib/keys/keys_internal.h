/* Internal: how keyfile.c hands a Secret's details to the ring in keys.c. */
#ifndef SK_KEYS_INTERNAL_H
#define SK_KEYS_INTERNAL_H

#include <stddef.h>
#include <sealkit/keys.h>

/* Where the keys of one PEM text come from; NULL strings are absent fields. */
typedef struct sk_key_origin {
    const char *source; /* the file, for sk_key_info (messages use the add call's source) */
    size_t document, item;
    int from_secret;
    const char *name, *ns, *label, *created;
    int has_crt;     /* the Secret has data[tls.crt] */
    const char *crt; /* its decoded PEM, NULL when it did not decode */
    size_t crt_len;
} sk_key_origin;

/* sk_keyring_add_pem, recording origin (may be NULL) in the info of every key of the text. */
int sk_keyring_add_pem_from(sk_keyring *kr, const char *text, size_t len, const char *source,
                            const sk_key_origin *origin, size_t *added, sk_error *err);

/* Records path as exposed (sk_keyring_exposure); a repeat of path and kind is recorded once. */
int sk_keyring_note_exposure(sk_keyring *kr, const char *path, int kind, unsigned mode,
                             sk_error *err);

/*
 * sk_keyring_decrypt into the caller's reusable guarded blocks (see sk_hybrid_decrypt_reuse):
 * pt for the plaintext, key for the session key. Both stay allocated; free them when done.
 */
/*
 * The items of one SealedSecret are mostly sealed under one key: before opening them, give each
 * item's base64 (sk_keyring_hint_item) after sk_keyring_hint_begin, and the keys are tried in the
 * order most likely to open them first (keys.c try_order). sk_keyring_hint_begin alone forgets
 * the hint. The order only saves RSA operations: every key is still tried.
 */
void sk_keyring_hint_begin(sk_keyring *kr);
void sk_keyring_hint_item(sk_keyring *kr, const char *b64, size_t len);
/* Decryptions attempted so far, one per key tried: what a wrong order costs (tests). */
size_t sk_keyring_tries(const sk_keyring *kr);

int sk_keyring_decrypt_reuse(sk_keyring *kr, const unsigned char *label, size_t label_len,
                             const unsigned char *blob, size_t blob_len, sk_secbuf *pt,
                             sk_secbuf *key, size_t *which, sk_error *err);

#endif
