/*
 * Re-sealing under a new controller key, offline (docs/format.md §5.6, §6.1): every
 * item is opened with the old keys and sealed again under the new
 * certificate with a fresh session key and the same scope. Unlike the
 * controller's /v1/rotate, nothing but the encryptedData values changes.
 */
#ifndef SEALKIT_RESEAL_H
#define SEALKIT_RESEAL_H

#include <stddef.h>
#include "cert.h"
#include "crypto.h"
#include "error.h"
#include "keys.h"
#include "mem.h"

/*
 * What sk_reseal_text did. The caller sets version (SK_RESEAL_COUNTS_INIT) so
 * that later members can be added without breaking it; the library checks it
 * (SK_EUSAGE for a version it does not know), then zeroes and fills the rest.
 */
#define SK_RESEAL_COUNTS_VERSION 1u
#define SK_RESEAL_COUNTS_INIT                                                                      \
    {                                                                                              \
        .version = SK_RESEAL_COUNTS_VERSION                                                        \
    }

typedef struct sk_reseal_counts {
    unsigned version;      /* SK_RESEAL_COUNTS_VERSION, set by the caller */
    size_t sealed_secrets; /* SealedSecret documents seen */
    size_t resealed;       /* items sealed again under the target */
    size_t unchanged;      /* items a key with the target's fingerprint already opens */
} sk_reseal_counts;

/*
 * Re-seals the SealedSecrets found in a manifest text (YAML or JSON, several
 * documents, Lists; other kinds pass through) and writes the new text to
 * out. Only the base64 of re-sealed items differs from the input: every
 * other byte - other documents, comments, key order, quoting - is kept.
 * All or nothing: if any item cannot be opened the call fails, names it,
 * and out is left empty. When counts.resealed is 0 the output equals the
 * input. Every re-sealed item gets a fresh session key from libsodium's
 * CSPRNG. keys is not const: decrypting reorders it (see sk_keyring_decrypt).
 */
/*
 * The preflight of a rotation: can keys open what a text holds? For each
 * SealedSecret, opens one item (the first), so that a mistyped key folder or
 * a foreign file fails before a new key is made. *sealed (may be NULL) counts
 * the SealedSecrets seen. SK_EDECRYPT names the document and item that no key
 * opens; a text that does not parse is SK_EPARSE.
 */
SK_API int sk_reseal_probe(const unsigned char *in, size_t len, const char *source,
                           sk_keyring *keys, size_t *sealed, sk_error *err);

SK_API int sk_reseal_text(const unsigned char *in, size_t len, const char *source, sk_keyring *keys,
                          const sk_pubkey *target, sk_secbuf *out, sk_reseal_counts *counts,
                          sk_error *err);

#endif
