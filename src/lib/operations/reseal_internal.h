/*
 * Internal: resealing many texts with one set of guarded blocks. Each guarded allocation maps,
 * locks and unmaps pages; a worker that reseals thousands of files keeps its blocks instead.
 * Not part of the public API (not installed, not exported from libsealkit.so).
 */
#ifndef SK_RESEAL_INTERNAL_H
#define SK_RESEAL_INTERNAL_H

#include <stddef.h>
#include <sealkit/keys.h>
#include <sealkit/mem.h>
#include <sealkit/reseal.h>
#include <sealkit/walk.h>

#include "crypto/rng.h"

/* Zero-initialise; every block is wiped after each text and released by _free. */
typedef struct sk_reseal_scratch {
    sk_secbuf blob, plain, rsa_key, session_key;
} sk_reseal_scratch;

/*
 * sk_reseal_text with rng (may be NULL) and scratch blocks kept from one call to the next. out
 * may hold an earlier text: it is wiped and its block reused.
 */
int sk_reseal_text_scratch(const unsigned char *in, size_t len, const char *source,
                           sk_keyring *keys, const sk_pubkey *target, sk_rng *rng,
                           sk_reseal_scratch *scratch, sk_secbuf *out, sk_reseal_counts *counts,
                           sk_error *err);

void sk_reseal_scratch_free(sk_reseal_scratch *s);

/*
 * The order in which the workers take walk's files: those marked in mine, largest first, equal
 * sizes in walk order. Fills order (room for as many as mine marks) and returns that count.
 */
size_t sk_reseal_order(const sk_walk_list *walk, const int *mine, size_t *order);

#endif
