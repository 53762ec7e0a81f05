#include <sealkit/crypto.h>
#include <sealkit/doc.h>
#include <sealkit/keys.h>
#include <sealkit/model.h>

#include <string.h>

#include "keys_internal.h"

static int looks_like_pem(const char *text, size_t len)
{
    const char marker[] = "-----BEGIN ";
    size_t m = sizeof marker - 1;
    for (size_t i = 0; i + m <= len; i++) {
        if (memcmp(text + i, marker, m) == 0) return 1;
    }
    return 0;
}

static const char *key_label(const json_t *doc)
{
    const json_t *labels = json_object_get(json_object_get(doc, "metadata"), "labels");
    return json_string_value(json_object_get(labels, SK_LABEL_SEALING_KEY));
}

/* tls.crt only describes the key: a value that does not decode makes it "unreadable", not an error.
 */
static void read_crt(const json_t *doc, sk_key_origin *o, sk_secbuf *crt)
{
    const json_t *v = json_object_get(json_object_get(doc, "data"), "tls.crt");
    o->has_crt = v != NULL;
    if (!json_is_string(v)) return;
    sk_error ignored = {0};
    if (sk_base64_decode(json_string_value(v), json_string_length(v), crt, &ignored) != SK_OK)
        return;
    o->crt = (const char *)crt->data;
    o->crt_len = crt->len;
}

static int add_secret_doc(sk_keyring *kr, const json_t *doc, sk_key_origin *o, size_t *added,
                          sk_error *err)
{
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    if (kind != NULL && strcmp(kind, SK_KIND_SECRET) != 0)
        return sk_error_set(err, SK_EINVAL, "kind: %.64s is not a key Secret", kind);
    const json_t *v = json_object_get(json_object_get(doc, "data"), "tls.key");
    if (!json_is_string(v)) {
        sk_error_set(err, SK_EINVAL, "data[tls.key]: missing");
        sk_error_hint(err, "a key Secret is the controller's kubernetes.io/tls Secret");
        return SK_EINVAL;
    }
    sk_secbuf pem = SK_SECBUF_INIT, crt = SK_SECBUF_INIT;
    int rc = sk_base64_decode(json_string_value(v), json_string_length(v), &pem, err);
    if (rc != SK_OK) {
        sk_error_prefix(err, "data[tls.key]: ");
        return rc;
    }
    o->from_secret = 1;
    o->name = sk_meta_string(doc, "name");
    o->ns = sk_meta_string(doc, "namespace");
    o->created = sk_meta_string(doc, "creationTimestamp");
    o->label = key_label(doc);
    read_crt(doc, o, &crt);
    size_t n = 0;
    rc = sk_keyring_add_pem_from(kr, (const char *)pem.data, pem.len, "data[tls.key]", o, &n, err);
    sk_secbuf_free(&pem);
    sk_secbuf_free(&crt);
    if (added != NULL) *added += n;
    return rc;
}

typedef struct add_ctx {
    sk_keyring *kr;
    const char *source;
    size_t added;
} add_ctx;

/* Upstream reads a List even when its kind is missing (docs/format.md §4.8): sk_docs_walk does. */
static int add_object(const sk_object *obj, void *ctx, sk_error *err)
{
    add_ctx *c = ctx;
    sk_key_origin o = {.source = c->source, .document = obj->document, .item = obj->item};
    return add_secret_doc(c->kr, obj->obj, &o, &c->added, err);
}

int sk_keyring_add_text(sk_keyring *kr, const char *text, size_t len, const char *source,
                        size_t *added, sk_error *err)
{
    size_t count = 0;
    if (looks_like_pem(text, len)) {
        int rc = sk_keyring_add_pem(kr, text, len, source, &count, err);
        if (added != NULL) *added = count;
        return rc;
    }
    sk_docs docs = {0};
    add_ctx c = {kr, source, 0};
    int rc = sk_docs_parse((const unsigned char *)text, len, source, &docs, err);
    if (rc == SK_OK) rc = sk_docs_walk(&docs, add_object, &c, err);
    if (rc == SK_OK && docs.n == 0) rc = sk_error_set(err, SK_EPARSE, "no private key found");
    sk_docs_free(&docs);
    if (rc != SK_OK) sk_error_at_source(err, source);
    if (added != NULL) *added = c.added;
    return rc;
}
