#include <sealkit/unseal.h>
#include <sealkit/crypto.h>
#include <sealkit/scope.h>
#include <sealkit/seal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"

/* Failing items, grouped into one message as upstream does. */
typedef struct failures {
    char keys[384];
    char reason[192];
    size_t n;
} failures;

static void note_failure(failures *f, const char *key, const sk_error *why)
{
    size_t used = strlen(f->keys);
    if (used + strlen(key) + 3 < sizeof f->keys)
        snprintf(f->keys + used, sizeof f->keys - used, "%s%s", f->n ? ", " : "", key);
    if (f->n == 0) snprintf(f->reason, sizeof f->reason, "%.190s", why->msg);
    f->n++;
}

static int open_item(const char *key, const json_t *v, sk_keyring *keys, const char *label,
                     size_t label_len, sk_secret *out, failures *f, sk_error *err)
{
    sk_secbuf blob = SK_SECBUF_INIT, plain = SK_SECBUF_INIT;
    sk_error why = {0};
    int rc = sk_base64_decode(json_string_value(v), json_string_length(v), &blob, &why);
    if (rc == SK_OK)
        rc = sk_keyring_decrypt(keys, (const unsigned char *)label, label_len, blob.data, blob.len,
                                &plain, NULL, &why);
    sk_secbuf_free(&blob);
    if (rc != SK_OK) {
        note_failure(f, key, &why);
        return SK_OK; /* keep going so the message names every failing item */
    }
    rc = sk_secret_put(out, key, plain.data, plain.len, err);
    sk_secbuf_free(&plain);
    return rc;
}

static int rebuild_metadata(const json_t *outer, const json_t *tmpl, sk_secret *out, sk_error *err)
{
    const json_t *tmeta = json_object_get(tmpl, "metadata");
    int rc = sk_meta_normalize(json_is_object(tmeta) ? tmeta : NULL, &out->metadata, err);
    if (rc != SK_OK) return sk_error_prefix(err, "spec.template.");
    /* The outer identity is what the label binds, so it is what the Secret gets (spec 2.8). */
    json_object_del(out->metadata, "ownerReferences");
    json_object_del(out->metadata, "namespace");
    rc = sk_secret_set_name(out, json_string_value(json_object_get(outer, "name")), err);
    const char *ns = json_string_value(json_object_get(outer, "namespace"));
    if (rc == SK_OK && ns != NULL && *ns != '\0') rc = sk_secret_set_namespace(out, ns, err);
    return rc;
}

static int template_fields(const json_t *tmpl, sk_secret *out, sk_error *err)
{
    const json_t *type = json_object_get(tmpl, "type");
    const json_t *imm = json_object_get(tmpl, "immutable");
    const json_t *tdata = json_object_get(tmpl, "data");
    if (json_object_size(tdata) > 0) {
        const char *k = json_object_iter_key(json_object_iter((json_t *)tdata));
        sk_error_set(err, SK_EINVAL, "spec.template.data[%.128s]: templates are not rendered offline", k);
        sk_error_hint(err, "the controller renders Go templates; unseal without them is not possible");
        return SK_EINVAL;
    }
    if (json_is_string(type) && (out->type = strdup(json_string_value(type))) == NULL)
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    if (json_is_boolean(imm)) out->immutable = json_is_true(imm);
    return SK_OK;
}

static int open_items(const json_t *enc, sk_keyring *keys, const char *label, size_t label_len,
                      sk_secret *out, sk_error *err)
{
    failures f = {0};
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)enc, k, v) {
        int rc = open_item(k, v, keys, label, label_len, out, &f, err);
        if (rc != SK_OK) return rc;
    }
    if (f.n == 0) return SK_OK;
    return sk_error_set(err, SK_EDECRYPT, "cannot open %s %s: %s", f.n == 1 ? "item" : "items",
                        f.keys, f.reason);
}

int sk_unseal(const json_t *sealed, sk_keyring *keys, sk_secret *out, sk_error *err)
{
    memset(out, 0, sizeof *out);
    out->immutable = -1;
    sk_scope scope;
    int rc = sk_sealed_check(sealed, &scope, err);
    if (rc != SK_OK) return rc;
    const json_t *outer = json_object_get(sealed, "metadata");
    const json_t *spec = json_object_get(sealed, "spec");
    const json_t *tmpl = json_object_get(spec, "template");
    const json_t *legacy = json_object_get(spec, "data");
    if (legacy != NULL && !json_is_null(legacy)) {
        sk_error_set(err, SK_EINVAL, "spec.data: the legacy v1 format (kubeseal < 0.7) is not supported");
        sk_error_hint(err, "re-encrypt it with the controller first");
        return SK_EINVAL;
    }
    char *label = NULL;
    size_t label_len = 0;
    rc = sk_scope_label(scope, json_string_value(json_object_get(outer, "namespace")),
                        json_string_value(json_object_get(outer, "name")), &label, &label_len, err);
    if (rc == SK_OK) rc = rebuild_metadata(outer, tmpl, out, err);
    if (rc == SK_OK) rc = template_fields(tmpl, out, err);
    if (rc == SK_OK) rc = open_items(json_object_get(spec, "encryptedData"), keys, label, label_len, out, err);
    free(label);
    if (rc != SK_OK) sk_secret_free(out);
    return rc;
}

static json_t *data_object(const sk_secret *s, sk_error *err)
{
    json_t *data = json_object();
    for (size_t i = 0; data != NULL && i < s->n_items; i++) {
        char *b64 = NULL;
        if (sk_base64_encode(s->items[i].value.data, s->items[i].value.len, &b64, err) != SK_OK) {
            json_decref(data);
            return NULL;
        }
        json_object_set_new(data, s->items[i].key, json_string(b64));
        sk_free_wiped(b64);
    }
    return data;
}

int sk_secret_to_json(const sk_secret *s, json_t **out, sk_error *err)
{
    json_t *root = json_object();
    json_t *meta = json_deep_copy(s->metadata);
    json_t *data = data_object(s, err);
    if (root == NULL || meta == NULL || data == NULL) {
        json_decref(root), json_decref(meta), json_decref(data);
        return err && err->code ? err->code : sk_error_set(err, SK_ENOMEM, "out of memory");
    }
    json_object_set_new(root, "kind", json_string("Secret"));
    json_object_set_new(root, "apiVersion", json_string("v1"));
    json_object_set_new(root, "metadata", meta);
    if (s->immutable >= 0) json_object_set_new(root, "immutable", json_boolean(s->immutable));
    json_object_set_new(root, "data", data);
    if (s->type != NULL) json_object_set_new(root, "type", json_string(s->type));
    *out = root;
    return SK_OK;
}
