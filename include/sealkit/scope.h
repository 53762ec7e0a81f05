/* Sealing scopes and the exact OAEP label bytes (docs/format.md §2). */
#ifndef SEALKIT_SCOPE_H
#define SEALKIT_SCOPE_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"

typedef enum sk_scope {
    SK_SCOPE_STRICT = 0,
    SK_SCOPE_NAMESPACE_WIDE = 1,
    SK_SCOPE_CLUSTER_WIDE = 2
} sk_scope;

#define SK_ANNOTATION_CLUSTER_WIDE "sealedsecrets.bitnami.com/cluster-wide"
#define SK_ANNOTATION_NAMESPACE_WIDE "sealedsecrets.bitnami.com/namespace-wide"

/* "" and "strict", "namespace-wide", "cluster-wide" (exact, case-sensitive). */
SK_API int sk_scope_parse(const char *s, sk_scope *out, sk_error *err);
SK_API const char *sk_scope_name(sk_scope s);

/* Scope named by an annotations object (may be NULL): only "true" counts; cluster-wide wins. */
SK_API sk_scope sk_scope_from_annotations(const json_t *annotations);
/* Removes both scope annotations and adds the one for s (none for strict). */
SK_API int sk_scope_set_annotations(json_t *annotations, sk_scope s, sk_error *err);

/*
 * The label: strict "ns/name", namespace-wide "ns", cluster-wide empty.
 * *label is malloc'd and NUL-terminated; *len excludes the NUL.
 */
SK_API int sk_scope_label(sk_scope s, const char *ns, const char *name, char **label, size_t *len,
                          sk_error *err);

#endif
