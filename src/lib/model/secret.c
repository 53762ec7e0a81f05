#include <sealkit/secret.h>
#include <sealkit/model.h>
#include <sealkit/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/meta.h"

/* ObjectMeta members in Go struct order; others are dropped as Go's decoder would. */
const char *const sk_meta_order[] = {"name",
                                     "generateName",
                                     "namespace",
                                     "selfLink",
                                     "uid",
                                     "resourceVersion",
                                     "generation",
                                     "creationTimestamp",
                                     "deletionTimestamp",
                                     "deletionGracePeriodSeconds",
                                     "labels",
                                     "annotations",
                                     "ownerReferences",
                                     "finalizers",
                                     "managedFields",
                                     NULL};

int sk_valid_item_key(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > 253) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_' || c == '.';
        if (!ok) return 0;
    }
    return strcmp(key, ".") != 0 && strcmp(key, "..") != 0;
}

static int string_map_ok(const json_t *map, const char *field, sk_error *err)
{
    if (json_is_null(map)) return SK_OK;
    if (!json_is_object(map))
        return sk_error_set(err, SK_EINVAL, "metadata.%s: must be a map of strings", field);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)map, k, v)
    {
        if (!json_is_string(v)) {
            sk_error_set(err, SK_EINVAL, "metadata.%s[%.128s]: must be a string", field, k);
            sk_error_hint(err, "quote the value in YAML, e.g. \"true\" or \"8080\"");
            return SK_EINVAL;
        }
    }
    return SK_OK;
}

static int meta_field_ok(const char *k, const json_t *v, sk_error *err)
{
    if (strcmp(k, "labels") == 0 || strcmp(k, "annotations") == 0) return string_map_ok(v, k, err);
    if (json_is_null(v)) return SK_OK;
    if (strcmp(k, "generation") == 0 || strcmp(k, "deletionGracePeriodSeconds") == 0) {
        if (json_is_integer(v)) return SK_OK;
        return sk_error_set(err, SK_EINVAL, "metadata.%s: must be an integer", k);
    }
    if (strcmp(k, "ownerReferences") == 0 || strcmp(k, "finalizers") == 0 ||
        strcmp(k, "managedFields") == 0) {
        if (json_is_array(v)) return SK_OK;
        return sk_error_set(err, SK_EINVAL, "metadata.%s: must be a list", k);
    }
    if (json_is_string(v)) return SK_OK;
    sk_error_set(err, SK_EINVAL, "metadata.%s: must be a string", k);
    sk_error_hint(err, "quote the value in YAML");
    return SK_EINVAL;
}

int sk_meta_normalize(const json_t *in, json_t **out, sk_error *err)
{
    json_t *meta = json_object();
    if (meta == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    for (size_t i = 0; sk_meta_order[i] != NULL; i++) {
        const json_t *v = json_object_get(in, sk_meta_order[i]);
        if (v == NULL) continue;
        int rc = meta_field_ok(sk_meta_order[i], v, err);
        if (rc != SK_OK) {
            json_decref(meta);
            return rc;
        }
        if (json_is_null(v)) continue;
        /* json_object_set_new takes the copy even when it fails, and fails on a NULL one. */
        if (json_object_set_new(meta, sk_meta_order[i], json_deep_copy(v)) != 0) {
            json_decref(meta);
            return sk_error_set(err, SK_ENOMEM, "out of memory");
        }
    }
    *out = meta;
    return SK_OK;
}

int sk_meta_reorder(json_t *meta)
{
    json_t *ordered = json_object();
    int bad = ordered == NULL;
    for (size_t i = 0; !bad && sk_meta_order[i] != NULL; i++) {
        json_t *v = json_object_get(meta, sk_meta_order[i]);
        bad = v != NULL && json_object_set(ordered, sk_meta_order[i], v) != 0;
    }
    const char *k;
    json_t *v;
    json_object_foreach(meta, k, v)
    {
        if (!bad && json_object_get(ordered, k) == NULL) bad = json_object_set(ordered, k, v) != 0;
    }
    if (!bad) {
        json_object_clear(meta);
        bad = json_object_update(meta, ordered) != 0;
    }
    json_decref(ordered);
    return bad ? -1 : 0;
}

static int cmp_items(const void *a, const void *b)
{
    return strcmp(((const sk_item *)a)->key, ((const sk_item *)b)->key);
}

int sk_secret_put(sk_secret *s, const char *key, const unsigned char *v, size_t len, sk_error *err)
{
    for (size_t i = 0; i < s->n_items; i++) {
        if (strcmp(s->items[i].key, key) != 0) continue;
        sk_secbuf_free(&s->items[i].value);
        return sk_secbuf_append(&s->items[i].value, v, len, err);
    }
    sk_item *grown = realloc(s->items, (s->n_items + 1) * sizeof *grown);
    if (grown == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    s->items = grown;
    sk_item *it = &s->items[s->n_items];
    it->key = strdup(key);
    it->value = (sk_secbuf)SK_SECBUF_INIT;
    if (it->key == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    s->n_items++;
    int rc = sk_secbuf_append(&it->value, v, len, err);
    if (rc == SK_OK) qsort(s->items, s->n_items, sizeof *s->items, cmp_items);
    return rc;
}

static int check_key(const char *field, const char *k, sk_error *err)
{
    if (sk_valid_item_key(k)) return SK_OK;
    sk_error_set(err, SK_EINVAL, "%s[%.128s]: not a valid Secret key", field, k);
    sk_error_hint(err, "keys may only contain letters, digits, '-', '_' and '.'");
    return SK_EINVAL;
}

static int read_data(const json_t *data, sk_secret *s, sk_error *err)
{
    if (data == NULL || json_is_null(data)) return SK_OK;
    if (!json_is_object(data)) return sk_error_set(err, SK_EINVAL, "data: must be a map");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)data, k, v)
    {
        int rc = check_key("data", k, err);
        if (rc != SK_OK) return rc;
        if (!json_is_string(v) && !json_is_null(v))
            return sk_error_set(err, SK_EINVAL, "data[%.128s]: must be a base64 string", k);
        sk_secbuf plain = SK_SECBUF_INIT;
        const char *b64 = json_is_string(v) ? json_string_value(v) : "";
        size_t b64len = json_is_string(v) ? json_string_length(v) : 0;
        rc = sk_base64_decode(b64, b64len, &plain, err);
        if (rc != SK_OK) {
            sk_error_prefix(err, "data[%.128s]: ", k);
            sk_error_hint(err, "data values are base64; put plain text under stringData");
            return rc;
        }
        rc = sk_secret_put(s, k, plain.data, plain.len, err);
        sk_secbuf_free(&plain);
        if (rc != SK_OK) return rc;
    }
    return SK_OK;
}

static int read_string_data(const json_t *sd, sk_secret *s, sk_error *err)
{
    if (sd == NULL || json_is_null(sd)) return SK_OK;
    if (!json_is_object(sd)) return sk_error_set(err, SK_EINVAL, "stringData: must be a map");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)sd, k, v)
    {
        int rc = check_key("stringData", k, err);
        if (rc != SK_OK) return rc;
        if (!json_is_string(v)) {
            sk_error_set(err, SK_EINVAL, "stringData[%.128s]: must be a string", k);
            sk_error_hint(err, "quote the value in YAML, e.g. \"5432\" or \"true\"");
            return SK_EINVAL;
        }
        rc = sk_secret_put(s, k, (const unsigned char *)json_string_value(v), json_string_length(v),
                           err);
        if (rc != SK_OK) return rc;
    }
    return SK_OK;
}

static int check_kind(const json_t *doc, sk_error *err)
{
    const json_t *kind = json_object_get(doc, "kind");
    const json_t *api = json_object_get(doc, "apiVersion");
    if (!json_is_string(kind)) {
        sk_error_set(err, SK_EINVAL, "kind: missing, expected Secret");
        sk_error_hint(err, "sealkit seals v1 Secrets: add \"kind: Secret\" and \"apiVersion: v1\"");
        return SK_EINVAL;
    }
    const char *k = json_string_value(kind);
    if (strcmp(k, "Secret") != 0) {
        sk_error_set(err, SK_EINVAL, "kind: %.64s is not a Secret", k);
        if (strcmp(k, "SealedSecret") == 0)
            sk_error_hint(err, "the input is already sealed; use --merge-into to add items");
        return SK_EINVAL;
    }
    if (api != NULL && !(json_is_string(api) && strcmp(json_string_value(api), "v1") == 0))
        return sk_error_set(err, SK_EINVAL, "apiVersion: a Secret must be apiVersion v1");
    return SK_OK;
}

static int read_scalars(const json_t *doc, sk_secret *s, sk_error *err)
{
    const json_t *type = json_object_get(doc, "type");
    if (json_is_string(type)) {
        s->type = strdup(json_string_value(type));
        if (s->type == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    } else if (type != NULL && !json_is_null(type)) {
        return sk_error_set(err, SK_EINVAL, "type: must be a string");
    }
    const json_t *imm = json_object_get(doc, "immutable");
    if (json_is_boolean(imm))
        s->immutable = json_is_true(imm);
    else if (imm != NULL && !json_is_null(imm))
        return sk_error_set(err, SK_EINVAL, "immutable: must be true or false");
    return SK_OK;
}

int sk_secret_from_json(const json_t *doc, sk_secret *out, sk_error *err)
{
    memset(out, 0, sizeof *out);
    out->immutable = -1;
    if (!json_is_object(doc)) return sk_error_set(err, SK_EINVAL, "not a mapping");
    int rc = check_kind(doc, err);
    const json_t *meta = json_object_get(doc, "metadata");
    if (rc == SK_OK && meta != NULL && !json_is_object(meta) && !json_is_null(meta))
        rc = sk_error_set(err, SK_EINVAL, "metadata: must be a map");
    if (rc == SK_OK)
        rc = sk_meta_normalize(json_is_object(meta) ? meta : NULL, &out->metadata, err);
    if (rc == SK_OK) rc = read_scalars(doc, out, err);
    if (rc == SK_OK) rc = read_data(json_object_get(doc, "data"), out, err);
    /* stringData last: it wins over data for the same key, as in Kubernetes. */
    if (rc == SK_OK) rc = read_string_data(json_object_get(doc, "stringData"), out, err);
    if (rc != SK_OK) sk_secret_free(out);
    return rc;
}

void sk_secret_free(sk_secret *s)
{
    if (s == NULL) return;
    json_decref(s->metadata);
    free(s->type);
    for (size_t i = 0; i < s->n_items; i++) {
        free(s->items[i].key);
        sk_secbuf_free(&s->items[i].value);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
    s->immutable = -1;
}

typedef struct secret_list {
    sk_secret *v;
    sk_origin *origins;
    size_t n;
} secret_list;

static int append_secret(const sk_object *obj, void *ctx, sk_error *err)
{
    secret_list *l = ctx;
    sk_secret *s = realloc(l->v, (l->n + 1) * sizeof *s);
    if (s != NULL) l->v = s;
    sk_origin *o = realloc(l->origins, (l->n + 1) * sizeof *o);
    if (o != NULL) l->origins = o;
    if (s == NULL || o == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    int rc = sk_secret_from_json(obj->obj, &s[l->n], err);
    if (rc != SK_OK) return rc;
    o[l->n] = (sk_origin){obj->document, obj->item};
    l->n++;
    return SK_OK;
}

int sk_secrets_from_docs(const sk_docs *docs, sk_secret **out, sk_origin **origins, size_t *n,
                         sk_error *err)
{
    secret_list l = {0};
    int rc = sk_docs_walk(docs, append_secret, &l, err);
    if (rc != SK_OK) {
        sk_secrets_free(l.v, l.origins, l.n);
        l = (secret_list){0};
    }
    *out = l.v;
    *origins = l.origins;
    *n = l.n;
    return rc;
}

void sk_secrets_free(sk_secret *s, sk_origin *origins, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sk_secret_free(&s[i]);
    free(s);
    free(origins);
}

const char *sk_secret_name(const sk_secret *s)
{
    return json_string_value(json_object_get(s->metadata, "name"));
}

const char *sk_secret_namespace(const sk_secret *s)
{
    return json_string_value(json_object_get(s->metadata, "namespace"));
}

static int set_meta_string(sk_secret *s, const char *field, const char *value, sk_error *err)
{
    json_t *copy = json_deep_copy(s->metadata);
    if (copy == NULL || json_object_set_new(copy, field, json_string(value)) != 0) {
        json_decref(copy);
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    }
    /* Re-normalise so that the member lands at its Go struct position. */
    json_t *ordered = NULL;
    int rc = sk_meta_normalize(copy, &ordered, err);
    json_decref(copy);
    if (rc != SK_OK) return rc;
    json_decref(s->metadata);
    s->metadata = ordered;
    return SK_OK;
}

int sk_secret_set_name(sk_secret *s, const char *name, sk_error *err)
{
    return set_meta_string(s, "name", name, err);
}

int sk_secret_set_namespace(sk_secret *s, const char *ns, sk_error *err)
{
    return set_meta_string(s, "namespace", ns, err);
}

/* ---- the Secret as a manifest tree ---- */

static json_t *data_object(const sk_secret *s, sk_error *err)
{
    json_t *data = json_object();
    for (size_t i = 0; data != NULL && i < s->n_items; i++) {
        char *b64 = NULL;
        int rc = sk_base64_encode(s->items[i].value.data, s->items[i].value.len, &b64, err);
        /* json_object_set_new takes the string even on failure: nothing leaks. */
        if (rc != SK_OK || json_object_set_new(data, s->items[i].key, json_string(b64)) != 0) {
            sk_free_wiped(b64);
            json_decref(data);
            return NULL;
        }
        sk_free_wiped(b64);
    }
    return data;
}

int sk_secret_to_json(const sk_secret *s, json_t **out, sk_error *err)
{
    *out = NULL;
    sk_error inner = {0};
    json_t *root = json_object();
    /*
     * Every member is checked: a failed allocation must not give a Secret missing one.
     * json_object_set_new takes its value whether or not it succeeds.
     */
    int bad = root == NULL || json_object_set_new(root, "kind", json_string(SK_KIND_SECRET)) != 0 ||
              json_object_set_new(root, "apiVersion", json_string("v1")) != 0 ||
              json_object_set_new(root, "metadata", json_deep_copy(s->metadata)) != 0 ||
              (s->immutable >= 0 &&
               json_object_set_new(root, "immutable", json_boolean(s->immutable)) != 0);
    json_t *data = bad ? NULL : data_object(s, &inner);
    bad = bad || data == NULL || json_object_set_new(root, "data", data) != 0 ||
          (s->type != NULL && json_object_set_new(root, "type", json_string(s->type)) != 0);
    if (bad) {
        json_decref(root);
        return inner.code ? sk_error_set(err, inner.code, "%s", inner.msg)
                          : sk_error_set(err, SK_ENOMEM, "out of memory");
    }
    *out = root;
    return SK_OK;
}
