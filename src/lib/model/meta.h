/* Internal: ObjectMeta handling shared by secret.c, seal.c and unseal.c. */
#ifndef SK_META_H
#define SK_META_H

#include <jansson.h>
#include <sealkit/error.h>

extern const char *const sk_meta_order[];

/* Copies the known ObjectMeta members of in (may be NULL) in Go order, checking their types. */
int sk_meta_normalize(const json_t *in, json_t **out, sk_error *err);

/*
 * Puts known members back in Go order in place (unknown ones follow, in their order). -1 when
 * memory runs out: meta may then have lost members, so the caller must give it up.
 */
int sk_meta_reorder(json_t *meta);

#endif
