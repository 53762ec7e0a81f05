#include <sealkit/scope.h>

#include <stdlib.h>
#include <string.h>

int sk_scope_parse(const char *s, sk_scope *out, sk_error *err)
{
    if (s == NULL || strcmp(s, "") == 0 || strcmp(s, "strict") == 0) {
        *out = SK_SCOPE_STRICT;
    } else if (strcmp(s, "namespace-wide") == 0) {
        *out = SK_SCOPE_NAMESPACE_WIDE;
    } else if (strcmp(s, "cluster-wide") == 0) {
        *out = SK_SCOPE_CLUSTER_WIDE;
    } else {
        sk_error_set(err, SK_EUSAGE,
                     "invalid scope \"%.64s\": must be one of: strict, "
                     "namespace-wide, cluster-wide",
                     s);
        return SK_EUSAGE;
    }
    return SK_OK;
}

const char *sk_scope_name(sk_scope s)
{
    switch (s) {
    case SK_SCOPE_STRICT:
        return "strict";
    case SK_SCOPE_NAMESPACE_WIDE:
        return "namespace-wide";
    case SK_SCOPE_CLUSTER_WIDE:
        return "cluster-wide";
    }
    return "undefined";
}

static int annotation_is_true(const json_t *annotations, const char *key)
{
    const json_t *v = json_object_get(annotations, key);
    /* The value may hold a NUL: "true\0x" is not "true" to the controller. */
    return json_is_string(v) && json_string_length(v) == 4 &&
           memcmp(json_string_value(v), "true", 4) == 0;
}

sk_scope sk_scope_from_annotations(const json_t *annotations)
{
    if (!json_is_object(annotations)) return SK_SCOPE_STRICT;
    if (annotation_is_true(annotations, SK_ANNOTATION_CLUSTER_WIDE)) return SK_SCOPE_CLUSTER_WIDE;
    if (annotation_is_true(annotations, SK_ANNOTATION_NAMESPACE_WIDE))
        return SK_SCOPE_NAMESPACE_WIDE;
    return SK_SCOPE_STRICT;
}

int sk_scope_set_annotations(json_t *annotations, sk_scope s, sk_error *err)
{
    json_object_del(annotations, SK_ANNOTATION_CLUSTER_WIDE);
    json_object_del(annotations, SK_ANNOTATION_NAMESPACE_WIDE);
    const char *key = s == SK_SCOPE_CLUSTER_WIDE     ? SK_ANNOTATION_CLUSTER_WIDE
                      : s == SK_SCOPE_NAMESPACE_WIDE ? SK_ANNOTATION_NAMESPACE_WIDE
                                                     : NULL;
    if (key != NULL && json_object_set_new(annotations, key, json_string("true")) != 0)
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    return SK_OK;
}

int sk_scope_label(sk_scope s, const char *ns, const char *name, char **label, size_t *len,
                   sk_error *err)
{
    const char *n = ns ? ns : "";
    const char *m = name ? name : "";
    size_t total = s == SK_SCOPE_STRICT           ? strlen(n) + 1 + strlen(m)
                   : s == SK_SCOPE_NAMESPACE_WIDE ? strlen(n)
                                                  : 0;
    char *out = malloc(total + 1);
    if (out == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    if (s != SK_SCOPE_CLUSTER_WIDE) memcpy(out, n, strlen(n));
    if (s == SK_SCOPE_STRICT) {
        out[strlen(n)] = '/';
        memcpy(out + strlen(n) + 1, m, strlen(m));
    }
    out[total] = '\0';
    *label = out;
    *len = total;
    return SK_OK;
}
