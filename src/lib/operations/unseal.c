#include <sealkit/unseal.h>
#include <sealkit/crypto.h>
#include <sealkit/scope.h>
#include <sealkit/seal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/meta.h"
#include "operations/template.h"

/* The label an item must open under, and the identity it came from. */
typedef struct item_ctx {
    const char *label;
    size_t label_len;
    const char *ns, *name;
    sk_scope scope;
} item_ctx;

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

int sk_diagnose_scope(sk_keyring *keys, const unsigned char *blob, size_t blob_len, const char *ns,
                      const char *name, sk_scope tried, sk_scope *opens, sk_error *err)
{
    const sk_scope all[] = {SK_SCOPE_STRICT, SK_SCOPE_NAMESPACE_WIDE, SK_SCOPE_CLUSTER_WIDE};
    for (size_t i = 0; i < 3; i++) {
        if (all[i] == tried) continue;
        char *label = NULL;
        size_t label_len = 0;
        sk_secbuf plain = SK_SECBUF_INIT;
        int rc = sk_scope_label(all[i], ns, name, &label, &label_len, err);
        if (rc != SK_OK) return rc;
        rc = sk_keyring_decrypt(keys, (const unsigned char *)label, label_len, blob, blob_len,
                                &plain, NULL, NULL);
        sk_secbuf_free(&plain);
        free(label);
        if (rc == SK_OK) {
            *opens = all[i];
            return SK_OK;
        }
    }
    return sk_error_set(err, SK_EDECRYPT, "no scope's label opens it");
}

/* Replaces a bare "no key could decrypt" with the scope that would open the blob. */
static void explain(sk_keyring *keys, const sk_secbuf *blob, const item_ctx *c, sk_error *why)
{
    sk_scope opens = c->scope;
    if (why->code != SK_EDECRYPT || sk_diagnose_scope(keys, blob->data, blob->len, c->ns, c->name,
                                                      c->scope, &opens, NULL) != SK_OK)
        return;
    snprintf(why->msg, sizeof why->msg,
             "it was sealed %s but the SealedSecret is %s; "
             "fix the scope annotations of its metadata",
             sk_scope_name(opens), sk_scope_name(c->scope));
}

static int open_item(const char *key, const json_t *v, sk_keyring *keys, const item_ctx *c,
                     sk_secret *out, failures *f, sk_error *err)
{
    sk_secbuf blob = SK_SECBUF_INIT, plain = SK_SECBUF_INIT;
    sk_error why = {0};
    int rc = sk_base64_decode(json_string_value(v), json_string_length(v), &blob, &why);
    if (rc == SK_OK)
        rc = sk_keyring_decrypt(keys, (const unsigned char *)c->label, c->label_len, blob.data,
                                blob.len, &plain, NULL, &why);
    if (rc == SK_EDECRYPT) explain(keys, &blob, c, &why);
    sk_secbuf_free(&blob);
    if (rc == SK_ENOMEM) return sk_error_set(err, rc, "%s", why.msg);
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
    if (rc != SK_OK) {
        sk_error_prefix(err, "spec.template.");
        return rc; /* not sk_error_prefix's value: err may be NULL */
    }
    /* The label binds the outer identity, so the Secret gets it (docs/format.md §2.8). */
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
    if (json_is_string(type) && (out->type = strdup(json_string_value(type))) == NULL)
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    if (json_is_boolean(imm)) out->immutable = json_is_true(imm);
    return SK_OK;
}

/*
 * template.data entries become items, rendered over the opened items only
 * (not over each other) and then overriding them (docs/format.md §2.8, §2.9).
 */
static int render_templates(const json_t *tdata, sk_secret *out, sk_error *err)
{
    size_t n = json_object_size(tdata), i = 0;
    sk_secbuf *text = calloc(n ? n : 1, sizeof *text);
    if (text == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    const char *k;
    const json_t *v;
    int rc = SK_OK;
    json_object_foreach((json_t *)tdata, k, v)
    {
        if (!json_is_string(v)) rc = sk_error_set(err, SK_EINVAL, "must be a string");
        if (rc == SK_OK)
            rc =
                sk_template_render(json_string_value(v), json_string_length(v), out, &text[i], err);
        if (rc != SK_OK) {
            sk_error_hint(
                err, "the controller renders the whole Go template language; sealkit a subset");
            sk_error_prefix(err, "spec.template.data[%.128s]: ", k);
            break;
        }
        i++;
    }
    size_t j = 0;
    json_object_foreach((json_t *)tdata, k, v)
    {
        if (rc == SK_OK) rc = sk_secret_put(out, k, text[j].data, text[j].len, err);
        sk_secbuf_free(&text[j++]);
    }
    free(text);
    return rc;
}

static int open_items(const json_t *enc, sk_keyring *keys, const item_ctx *c, sk_secret *out,
                      sk_error *err)
{
    failures f = {0};
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)enc, k, v)
    {
        int rc = open_item(k, v, keys, c, out, &f, err);
        if (rc != SK_OK) return rc;
    }
    if (f.n == 0) return SK_OK;
    return sk_error_set(err, SK_EDECRYPT, "cannot open %s %s: %s", f.n == 1 ? "item" : "items",
                        f.keys, f.reason);
}

int sk_unseal(const json_t *sealed, sk_keyring *keys, sk_secret *out, sk_error *err)
{
    return sk_unseal_ns(sealed, NULL, keys, out, err);
}

int sk_unseal_ns(const json_t *sealed, const char *ns, sk_keyring *keys, sk_secret *out,
                 sk_error *err)
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
        sk_error_set(err, SK_EINVAL,
                     "spec.data: the legacy v1 format (kubeseal < 0.7) is not supported");
        sk_error_hint(err, "re-encrypt it with the controller first");
        return SK_EINVAL;
    }
    char *label = NULL;
    const char *own = json_string_value(json_object_get(outer, "namespace"));
    /* The namespace it would be applied in, as kubectl apply -n gives it (Helm output has none). */
    int supplied = (own == NULL || *own == '\0') && ns != NULL && *ns != '\0';
    item_ctx c = {NULL, 0, supplied ? ns : own, json_string_value(json_object_get(outer, "name")),
                  scope};
    rc = sk_scope_label(scope, c.ns, c.name, &label, &c.label_len, err);
    c.label = label;
    if (rc == SK_OK) rc = rebuild_metadata(outer, tmpl, out, err);
    if (rc == SK_OK && supplied) rc = sk_secret_set_namespace(out, ns, err);
    if (rc == SK_OK) rc = template_fields(tmpl, out, err);
    if (rc == SK_OK) rc = open_items(json_object_get(spec, "encryptedData"), keys, &c, out, err);
    if (rc == SK_OK) rc = render_templates(json_object_get(tmpl, "data"), out, err);
    free(label);
    if (rc != SK_OK) sk_secret_free(out);
    return rc;
}
