#include <sealkit/model.h>

#include <stdio.h>
#include <string.h>

const char *const *sk_last_applied_annotations(void)
{
    static const char *const names[] = {"kubectl.kubernetes.io/last-applied-configuration",
                                        "kubecfg.ksonnet.io/last-applied-configuration", NULL};
    return names;
}

int sk_kind_is(const json_t *obj, const char *kind)
{
    const char *k = json_string_value(json_object_get(obj, "kind"));
    return k != NULL && strcmp(k, kind) == 0;
}

const char *sk_meta_string(const json_t *obj, const char *field)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

int sk_is_list(const json_t *doc)
{
    if (!json_is_object(doc)) return 0;
    const json_t *kind = json_object_get(doc, "kind");
    if (kind == NULL) return json_object_get(doc, "items") != NULL;
    const char *k = json_string_value(kind);
    size_t n = k ? strlen(k) : 0;
    return n >= 4 && strcmp(k + n - 4, "List") == 0;
}

static int visit(const sk_object *o, sk_object_fn fn, void *ctx, sk_error *err)
{
    int rc = fn(o, ctx, err);
    if (rc != SK_OK) sk_error_at_object(err, rc, o->document, o->item);
    return rc;
}

int sk_docs_walk(const sk_docs *docs, sk_object_fn fn, void *ctx, sk_error *err)
{
    for (size_t d = 0; d < docs->n; d++) {
        const json_t *doc = docs->doc[d];
        if (!sk_is_list(doc)) {
            int rc = visit(&(sk_object){doc, d + 1, 0}, fn, ctx, err);
            if (rc != SK_OK) return rc;
            continue;
        }
        const json_t *items = json_object_get(doc, "items");
        if (!json_is_array(items)) {
            sk_error_set(err, SK_EINVAL, "items: a List needs a sequence of items");
            return sk_error_at_object(err, SK_EINVAL, d + 1, 0);
        }
        for (size_t i = 0; i < json_array_size(items); i++) {
            int rc = visit(&(sk_object){json_array_get(items, i), d + 1, i + 1}, fn, ctx, err);
            if (rc != SK_OK) return rc;
        }
    }
    return SK_OK;
}

void sk_object_where(const sk_object *o, char *buf, size_t size)
{
    if (o->item > 0)
        snprintf(buf, size, "document %zu, item %zu", o->document, o->item);
    else
        snprintf(buf, size, "document %zu", o->document);
}
