/*
 * Internal: deterministic randomness, a test hook for the golden tests,
 * fuzzers and benchmarks. Not part of the public API: not installed, not
 * exported from libsealkit.so (tests/cli/test_install.sh checks); the static
 * library, which the tests link, has it.
 */
#ifndef SK_RNG_H
#define SK_RNG_H

#include <stddef.h>
#include <openssl/evp.h>
#include <sealkit/error.h>

/*
 * When an sk_rng is passed to the *_rng functions (here and in
 * operations/testhooks.h), both the session key and the OAEP seed come from
 * its stream. NULL means production randomness: the session key from
 * libsodium's CSPRNG and the OAEP seed from OpenSSL's DRBG (what the public
 * functions use).
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

#endif
