#include <sealkit/seal.h>
#include <sealkit/model.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/crypto_internal.h"
#include "model/meta.h"

/* Fields the API server owns; kubeseal strips them (docs/format.md §3.2 step 1). */
static const char *const server_fields[] = {"selfLink",
                                            "uid",
                                            "resourceVersion",
                                            "generation",
                                            "creationTimestamp",
                                            "deletionTimestamp",
                                            "deletionGracePeriodSeconds",
                                            "ownerReferences",
                                            NULL};

static int oom(sk_error *err)
{
    return sk_error_set(err, SK_ENOMEM, "out of memory");
}

static int is_blank(const char *s)
{
    return s == NULL || *s == '\0';
}

static int apply_scope(sk_secret *s, const sk_seal_opts *o, sk_scope *scope, sk_error *err)
{
    json_t *ann = json_object_get(s->metadata, "annotations");
    /* --scope strict, the default, cannot downgrade an annotated Secret (docs/format.md §2.4). */
    if (o->has_scope && (o->scope != SK_SCOPE_STRICT || o->force_scope)) {
        if (ann == NULL) {
            ann = json_object();
            if (ann == NULL || json_object_set_new(s->metadata, "annotations", ann) != 0)
                return oom(err);
            json_t *ordered = NULL;
            int rc = sk_meta_normalize(s->metadata, &ordered, err);
            if (rc != SK_OK) return rc;
            json_decref(s->metadata);
            s->metadata = ordered;
            ann = json_object_get(s->metadata, "annotations");
        }
        int rc = sk_scope_set_annotations(ann, o->scope, err);
        if (rc != SK_OK) return rc;
    }
    *scope = sk_scope_from_annotations(ann);
    return SK_OK;
}

static int resolve_namespace(sk_secret *s, const sk_seal_opts *o, sk_error *err)
{
    const char *ns = sk_secret_namespace(s);
    if (!is_blank(ns) && !is_blank(o->namespace_) && strcmp(ns, o->namespace_) != 0) {
        sk_error_set(err, SK_EINVAL,
                     "namespace mismatch: input secret is in namespace \"%.64s\" but \"%.64s\" "
                     "was specified",
                     ns, o->namespace_);
        sk_error_hint(err, "drop -n/--namespace or change metadata.namespace");
        return SK_EINVAL;
    }
    if (is_blank(ns) && !is_blank(o->namespace_))
        return sk_secret_set_namespace(s, o->namespace_, err);
    if (is_blank(ns)) {
        sk_error_set(err, SK_EINVAL,
                     "metadata.namespace: missing; the secret must declare a namespace");
        sk_error_hint(
            err, "set metadata.namespace or pass -n NAMESPACE (sealkit never reads a kubeconfig)");
        return SK_EINVAL;
    }
    return SK_OK;
}

static int check_secret(sk_secret *s, const sk_seal_opts *o, sk_error *err)
{
    if (s->n_items == 0 && !o->allow_empty) {
        sk_error_set(err, SK_EINVAL, "data: the Secret has no items (neither data nor stringData)");
        sk_error_hint(err, "pass --allow-empty-data to seal a Secret without items");
        return SK_EINVAL;
    }
    if (o->name != NULL) {
        int rc = sk_secret_set_name(s, o->name, err);
        if (rc != SK_OK) return rc;
    }
    if (is_blank(sk_secret_name(s))) {
        sk_error_set(err, SK_EINVAL, "metadata.name: missing in input Secret");
        sk_error_hint(err, "set metadata.name or pass --name NAME");
        return SK_EINVAL;
    }
    return SK_OK;
}

static json_t *template_metadata(const json_t *meta)
{
    json_t *t = json_deep_copy(meta);
    if (t == NULL) return NULL;
    for (size_t i = 0; server_fields[i] != NULL; i++)
        json_object_del(t, server_fields[i]);
    json_t *ann = json_object_get(t, "annotations");
    /* They can hold the whole plaintext Secret (docs/format.md §2.7). */
    const char *const *leaky = sk_last_applied_annotations();
    for (size_t i = 0; ann != NULL && leaky[i] != NULL; i++)
        json_object_del(ann, leaky[i]);
    /* Go omits empty maps and lists. */
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(t, tmp, k, v)
    {
        if ((json_is_object(v) && json_object_size(v) == 0) ||
            (json_is_array(v) && json_array_size(v) == 0))
            json_object_del(t, k);
    }
    return t;
}

static json_t *outer_metadata(const sk_secret *s, sk_scope scope)
{
    json_t *m = json_object();
    const char *ns = sk_secret_namespace(s);
    /* json_object_set_new takes its value even when it fails, and fails on a NULL one. */
    int bad = m == NULL || json_object_set_new(m, "name", json_string(sk_secret_name(s))) != 0 ||
              (!is_blank(ns) && json_object_set_new(m, "namespace", json_string(ns)) != 0);
    if (!bad && scope != SK_SCOPE_STRICT) {
        json_t *ann = json_object();
        bad = json_object_set_new(m, "annotations", ann) != 0 ||
              sk_scope_set_annotations(ann, scope, NULL) != SK_OK;
    }
    if (bad) {
        json_decref(m);
        return NULL;
    }
    return m;
}

static int seal_items(const sk_secret *s, const sk_pubkey *pk, const char *label, size_t label_len,
                      sk_rng *rng, json_t *enc, sk_error *err)
{
    /* One guarded block holds each item's fresh session key in turn. */
    unsigned char *key = sodium_malloc(SK_SESSION_KEY_LEN);
    if (key == NULL) return oom(err);
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < s->n_items; i++) {
        unsigned char *blob = NULL;
        size_t blob_len = 0;
        char *b64 = NULL;
        rc = sk_hybrid_encrypt_keybuf(sk_pubkey_evp(pk), (const unsigned char *)label, label_len,
                                      s->items[i].value.data, s->items[i].value.len, rng, key,
                                      &blob, &blob_len, err);
        if (rc == SK_OK) rc = sk_base64_encode(blob, blob_len, &b64, err);
        free(blob);
        if (rc == SK_OK && json_object_set_new(enc, s->items[i].key, json_string(b64)) != 0)
            rc = oom(err);
        free(b64);
        if (rc != SK_OK) sk_error_prefix(err, "item %.128s: ", s->items[i].key);
    }
    sodium_free(key);
    return rc;
}

/* The SealedSecret without its items; *enc (borrowed from the tree) receives them. */
static json_t *sealed_skeleton(const sk_secret *s, sk_scope scope, json_t **enc)
{
    json_t *root = json_object(), *spec = json_object(), *tmpl = json_object();
    json_t *tmeta = template_metadata(s->metadata), *e = json_object();
    /*
     * Every member is checked: a failed allocation must not give a SealedSecret missing one.
     * json_object_set_new takes its value even when it fails; the containers go in with
     * json_object_set, which takes a reference of its own, so ours are dropped either way.
     */
    int bad = !root || !spec || !tmpl || !tmeta || !e ||
              json_object_set_new(root, "kind", json_string(SK_KIND_SEALED_SECRET)) != 0 ||
              json_object_set_new(root, "apiVersion", json_string(SK_SEALED_API_VERSION)) != 0 ||
              json_object_set_new(root, "metadata", outer_metadata(s, scope)) != 0 ||
              json_object_set(tmpl, "metadata", tmeta) != 0 ||
              (s->type != NULL && json_object_set_new(tmpl, "type", json_string(s->type)) != 0) ||
              (s->immutable >= 0 &&
               json_object_set_new(tmpl, "immutable", json_boolean(s->immutable)) != 0) ||
              json_object_set(spec, "template", tmpl) != 0 ||
              json_object_set(spec, "encryptedData", e) != 0 ||
              json_object_set(root, "spec", spec) != 0;
    json_decref(spec), json_decref(tmpl), json_decref(tmeta), json_decref(e);
    if (bad) {
        json_decref(root);
        return NULL;
    }
    *enc = e;
    return root;
}

int sk_seal_secret_rng(sk_secret *s, const sk_pubkey *pk, const sk_seal_opts *opts, sk_rng *rng,
                       json_t **sealed, sk_error *err)
{
    sk_seal_opts none = SK_SEAL_OPTS_INIT;
    const sk_seal_opts *o = opts ? opts : &none;
    if (o->version != SK_SEAL_OPTS_VERSION)
        return sk_error_set(err, SK_EUSAGE, "sk_seal_opts version %u is not supported", o->version);
    sk_scope scope = SK_SCOPE_STRICT;
    int rc = check_secret(s, o, err);
    if (rc == SK_OK) rc = apply_scope(s, o, &scope, err);
    if (rc == SK_OK && scope != SK_SCOPE_CLUSTER_WIDE) rc = resolve_namespace(s, o, err);
    if (rc != SK_OK) return rc;

    char *label = NULL;
    size_t label_len = 0;
    rc = sk_scope_label(scope, sk_secret_namespace(s), sk_secret_name(s), &label, &label_len, err);
    if (rc != SK_OK) return rc;
    json_t *enc = NULL;
    json_t *root = sealed_skeleton(s, scope, &enc);
    if (root == NULL) rc = oom(err);
    if (rc == SK_OK) rc = seal_items(s, pk, label, label_len, rng, enc, err);
    free(label);
    if (rc != SK_OK) {
        json_decref(root);
        return rc;
    }
    *sealed = root;
    return SK_OK;
}

int sk_seal_secret(sk_secret *s, const sk_pubkey *pk, const sk_seal_opts *opts, json_t **sealed,
                   sk_error *err)
{
    return sk_seal_secret_rng(s, pk, opts, NULL, sealed, err);
}

int sk_seal_raw_rng(const sk_pubkey *pk, sk_scope scope, const char *ns, const char *name,
                    const unsigned char *pt, size_t len, sk_rng *rng, char **b64, sk_error *err)
{
    if (scope != SK_SCOPE_CLUSTER_WIDE && is_blank(ns))
        return sk_error_set(err, SK_EUSAGE, "raw sealing with scope %s needs a namespace",
                            sk_scope_name(scope));
    if (scope == SK_SCOPE_STRICT && is_blank(name))
        return sk_error_set(err, SK_EUSAGE, "raw sealing with scope strict needs a name");
    char *label = NULL;
    size_t label_len = 0;
    int rc = sk_scope_label(scope, ns, name, &label, &label_len, err);
    if (rc != SK_OK) return rc;
    unsigned char *blob = NULL;
    size_t blob_len = 0;
    rc = sk_hybrid_encrypt_rng(sk_pubkey_evp(pk), (const unsigned char *)label, label_len, pt, len,
                               rng, &blob, &blob_len, err);
    if (rc == SK_OK) rc = sk_base64_encode(blob, blob_len, b64, err);
    free(blob);
    free(label);
    return rc;
}

int sk_seal_raw(const sk_pubkey *pk, sk_scope scope, const char *ns, const char *name,
                const unsigned char *pt, size_t len, char **b64, sk_error *err)
{
    return sk_seal_raw_rng(pk, scope, ns, name, pt, len, NULL, b64, err);
}

static int check_string_map(const json_t *m, const char *field, sk_error *err)
{
    if (m == NULL || json_is_null(m)) return SK_OK;
    if (!json_is_object(m)) return sk_error_set(err, SK_EINVAL, "%s: must be a map", field);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)m, k, v)
    {
        if (!json_is_string(v))
            return sk_error_set(err, SK_EINVAL, "%s[%.128s]: must be a string", field, k);
    }
    return SK_OK;
}

/* A member that may be absent (or null) but otherwise must have type `want`. */
static int check_type(const json_t *v, const char *field, json_type want, const char *what,
                      sk_error *err)
{
    if (v == NULL || json_is_null(v) || json_typeof(v) == want) return SK_OK;
    return sk_error_set(err, SK_EINVAL, "%s: must be %s", field, what);
}

static int check_identity(const json_t *doc, sk_error *err)
{
    const json_t *kind = json_object_get(doc, "kind");
    const char *api = json_string_value(json_object_get(doc, "apiVersion"));
    if (!json_is_string(kind) || strcmp(json_string_value(kind), SK_KIND_SEALED_SECRET) != 0)
        return sk_error_set(err, SK_EINVAL, "kind: expected SealedSecret, found %.64s",
                            json_is_string(kind) ? json_string_value(kind)
                            : kind != NULL       ? "a non-string"
                                                 : "nothing");
    if (api == NULL || strcmp(api, SK_SEALED_API_VERSION) != 0)
        return sk_error_set(err, SK_EINVAL, "apiVersion: expected " SK_SEALED_API_VERSION);
    const json_t *meta = json_object_get(doc, "metadata");
    int rc = check_type(meta, "metadata", JSON_OBJECT, "a map", err);
    if (rc == SK_OK && !json_is_object(meta))
        rc = sk_error_set(err, SK_EINVAL, "metadata: missing");
    if (rc == SK_OK && !json_is_string(json_object_get(meta, "name")))
        rc = json_object_get(meta, "name")
                 ? sk_error_set(err, SK_EINVAL, "metadata.name: must be a string")
                 : sk_error_set(err, SK_EINVAL, "metadata.name: missing");
    if (rc == SK_OK)
        rc = check_type(json_object_get(meta, "namespace"), "metadata.namespace", JSON_STRING,
                        "a string", err);
    if (rc == SK_OK) rc = check_string_map(json_object_get(meta, "labels"), "metadata.labels", err);
    if (rc == SK_OK)
        rc = check_string_map(json_object_get(meta, "annotations"), "metadata.annotations", err);
    return rc;
}

/* The template is what the controller turns into the Secret: every field must have its type. */
static int check_template(const json_t *spec, sk_error *err)
{
    const json_t *t = json_object_get(spec, "template");
    int rc = check_type(t, "spec.template", JSON_OBJECT, "a map", err);
    if (rc != SK_OK || !json_is_object(t)) return rc;
    const json_t *tmeta = json_object_get(t, "metadata");
    const json_t *imm = json_object_get(t, "immutable");
    rc = check_type(tmeta, "spec.template.metadata", JSON_OBJECT, "a map", err);
    if (rc == SK_OK)
        rc = check_string_map(json_object_get(tmeta, "labels"), "spec.template.metadata.labels",
                              err);
    if (rc == SK_OK)
        rc = check_string_map(json_object_get(tmeta, "annotations"),
                              "spec.template.metadata.annotations", err);
    if (rc == SK_OK) rc = check_string_map(json_object_get(t, "data"), "spec.template.data", err);
    if (rc == SK_OK)
        rc = check_type(json_object_get(t, "type"), "spec.template.type", JSON_STRING, "a string",
                        err);
    if (rc == SK_OK && imm != NULL && !json_is_null(imm) && !json_is_boolean(imm))
        rc = sk_error_set(err, SK_EINVAL, "spec.template.immutable: must be true or false");
    return rc;
}

int sk_sealed_check(const json_t *doc, sk_scope *scope, sk_error *err)
{
    if (!json_is_object(doc)) return sk_error_set(err, SK_EINVAL, "not a mapping");
    int rc = check_identity(doc, err);
    const json_t *spec = json_object_get(doc, "spec");
    if (rc == SK_OK && spec == NULL) rc = sk_error_set(err, SK_EINVAL, "spec: missing");
    if (rc == SK_OK) rc = check_type(spec, "spec", JSON_OBJECT, "a map", err);
    if (rc == SK_OK)
        rc = check_string_map(json_object_get(spec, "encryptedData"), "spec.encryptedData", err);
    if (rc == SK_OK) rc = check_template(spec, err);
    if (rc != SK_OK) return rc;
    *scope =
        sk_scope_from_annotations(json_object_get(json_object_get(doc, "metadata"), "annotations"));
    return SK_OK;
}

/* Returns obj[key], creating an empty map there when it is missing. */
static json_t *child_map(json_t *obj, const char *key)
{
    json_t *m = json_object_get(obj, key);
    if (json_is_object(m)) return m;
    m = json_object();
    if (m == NULL || json_object_set_new(obj, key, m) != 0) return NULL;
    return m;
}

static int strcmp_indirect(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int sorted_update(json_t *dst, const json_t *src, sk_error *err)
{
    if (src == NULL) return SK_OK;
    if (json_object_update(dst, (json_t *)src) != 0) return oom(err);
    /* Keep kubeseal's byte-sorted map order after adding keys. */
    const char **keys = malloc(json_object_size(dst) * sizeof *keys + 1);
    if (keys == NULL) return oom(err);
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach(dst, k, v) keys[n++] = k;
    qsort(keys, n, sizeof *keys, strcmp_indirect);
    json_t *sorted = json_object();
    int bad = sorted == NULL;
    for (size_t i = 0; !bad && i < n; i++)
        bad = json_object_set(sorted, keys[i], json_object_get(dst, keys[i])) != 0;
    free(keys);
    if (!bad) {
        json_object_clear(dst);
        bad = json_object_update(dst, sorted) != 0; /* dst may have lost members: fail */
    }
    json_decref(sorted);
    return bad ? oom(err) : SK_OK;
}

int sk_seal_merge(json_t *into, const json_t *from, sk_error *err)
{
    json_t *spec = child_map(into, "spec");
    json_t *tmpl = spec ? child_map(spec, "template") : NULL;
    json_t *tmeta = tmpl ? child_map(tmpl, "metadata") : NULL;
    json_t *enc = spec ? child_map(spec, "encryptedData") : NULL;
    if (enc == NULL || tmeta == NULL) return oom(err);
    const json_t *fspec = json_object_get(from, "spec");
    const json_t *fmeta = json_object_get(json_object_get(fspec, "template"), "metadata");
    int rc = sorted_update(enc, json_object_get(fspec, "encryptedData"), err);
    const char *maps[] = {"labels", "annotations"};
    for (size_t i = 0; rc == SK_OK && i < 2; i++) {
        const json_t *src = json_object_get(fmeta, maps[i]);
        if (src == NULL) continue;
        json_t *dst = child_map(tmeta, maps[i]);
        rc = dst ? sorted_update(dst, src, err) : oom(err);
    }
    if (rc == SK_OK && sk_meta_reorder(tmeta) != 0) rc = oom(err);
    return rc;
}
