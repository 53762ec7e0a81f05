/*
 * Internal: test hooks. Deterministic randomness for the golden tests, fuzzers
 * and benchmarks, and the variants of the public sealing functions that take
 * it. Not part of the public API: not installed, not exported from
 * libsealkit.so (tests/cli/test_install.sh checks); the static library, which
 * the tests link, has them.
 */
#ifndef SK_TESTHOOKS_H
#define SK_TESTHOOKS_H

#include <stddef.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <sealkit/cert.h>
#include <sealkit/error.h>
#include <sealkit/keys.h>
#include <sealkit/mem.h>
#include <sealkit/reseal.h>
#include <sealkit/scope.h>
#include <sealkit/seal.h>
#include <sealkit/secret.h>

/*
 * Deterministic randomness, for tests only. When an sk_rng is passed to the
 * *_rng functions below, both the session key and the OAEP seed come from its
 * stream. NULL means production randomness: the session key from libsodium's
 * CSPRNG and the OAEP seed from OpenSSL's DRBG (what the public functions use).
 */
typedef struct sk_rng sk_rng;
/* A repeatable stream derived from seed (ChaCha20 keyed by SHA-256(seed)). */
int sk_rng_new_deterministic(const unsigned char *seed, size_t seed_len, sk_rng **out,
                             sk_error *err);
void sk_rng_free(sk_rng *rng);

/* sk_hybrid_encrypt with rng (may be NULL). */
int sk_hybrid_encrypt_rng(EVP_PKEY *pub, const unsigned char *label, size_t label_len,
                          const unsigned char *pt, size_t pt_len, sk_rng *rng, unsigned char **blob,
                          size_t *blob_len, sk_error *err);

/* sk_seal_secret with rng (may be NULL). */
int sk_seal_secret_rng(sk_secret *s, const sk_pubkey *pk, const sk_seal_opts *opts, sk_rng *rng,
                       json_t **sealed, sk_error *err);

/* sk_seal_raw with rng (may be NULL). */
int sk_seal_raw_rng(const sk_pubkey *pk, sk_scope scope, const char *ns, const char *name,
                    const unsigned char *pt, size_t len, sk_rng *rng, char **b64, sk_error *err);

/* sk_reseal_text with rng (may be NULL). */
int sk_reseal_text_rng(const unsigned char *in, size_t len, const char *source, sk_keyring *keys,
                       const sk_pubkey *target, sk_rng *rng, sk_secbuf *out,
                       sk_reseal_counts *counts, sk_error *err);

#endif
