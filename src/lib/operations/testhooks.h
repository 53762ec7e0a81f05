/*
 * Internal: test hooks. The variants of the public sealing functions that
 * take deterministic randomness (crypto/rng.h), for the golden tests, fuzzers
 * and benchmarks. Not part of the public API: not installed, not exported from
 * libsealkit.so (tests/cli/test_install.sh checks); the static library, which
 * the tests link, has them.
 */
#ifndef SK_TESTHOOKS_H
#define SK_TESTHOOKS_H

#include <stddef.h>
#include <jansson.h>
#include <sealkit/cert.h>
#include <sealkit/error.h>
#include <sealkit/keys.h>
#include <sealkit/mem.h>
#include <sealkit/reseal.h>
#include <sealkit/scope.h>
#include <sealkit/seal.h>
#include <sealkit/secret.h>

#include "crypto/rng.h"

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
