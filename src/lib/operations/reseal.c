#include <sealkit/reseal.h>
#include <sealkit/model.h>
#include <sealkit/doc.h>
#include <sealkit/scope.h>
#include <sealkit/seal.h>

#include <stdlib.h>
#include <string.h>

#include "operations/testhooks.h"

/* One blob to swap in the text: old base64 (borrowed from the tree) for new (owned). */
typedef struct swap {
    const char *old_b64;
    size_t old_len;
    char *new_b64;
    size_t at; /* offset of old_b64 in the input */
} swap;

typedef struct swaps {
    swap *v;
    size_t n;
} swaps;

typedef struct ctx {
    sk_keyring *keys;
    const sk_pubkey *target;
    sk_rng *rng;
    sk_reseal_counts *counts;
    swaps sw;
} ctx;

static int push_swap(swaps *s, const json_t *old, char *new_b64, sk_error *err)
{
    swap *grown = realloc(s->v, (s->n + 1) * sizeof *grown);
    if (grown == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    s->v = grown;
    s->v[s->n++] = (swap){json_string_value(old), json_string_length(old), new_b64, 0};
    return SK_OK;
}

/* Opens one item; seals it again unless the key that opened it is the target's. */
static int reseal_item(ctx *c, const json_t *v, const char *label, size_t label_len, sk_error *err)
{
    sk_secbuf blob = SK_SECBUF_INIT, plain = SK_SECBUF_INIT;
    size_t which = 0;
    unsigned char *fresh = NULL;
    size_t fresh_len = 0;
    char *b64 = NULL;
    int rc = sk_base64_decode(json_string_value(v), json_string_length(v), &blob, err);
    if (rc == SK_OK)
        rc = sk_keyring_decrypt(c->keys, (const unsigned char *)label, label_len, blob.data,
                                blob.len, &plain, &which, err);
    sk_secbuf_free(&blob);
    if (rc == SK_OK &&
        strcmp(sk_keyring_fingerprint(c->keys, which), sk_pubkey_fingerprint(c->target)) == 0) {
        c->counts->unchanged++;
        sk_secbuf_free(&plain);
        return SK_OK;
    }
    if (rc == SK_OK)
        rc =
            sk_hybrid_encrypt_rng(sk_pubkey_evp(c->target), (const unsigned char *)label, label_len,
                                  plain.data, plain.len, c->rng, &fresh, &fresh_len, err);
    sk_secbuf_free(&plain);
    if (rc == SK_OK) rc = sk_base64_encode(fresh, fresh_len, &b64, err);
    free(fresh);
    if (rc == SK_OK) rc = push_swap(&c->sw, v, b64, err);
    if (rc != SK_OK)
        free(b64);
    else
        c->counts->resealed++;
    return rc;
}

static int reseal_sealed(ctx *c, const json_t *doc, sk_error *err)
{
    sk_scope scope;
    int rc = sk_sealed_check(doc, &scope, err);
    if (rc != SK_OK) return rc;
    const json_t *meta = json_object_get(doc, "metadata");
    char *label = NULL;
    size_t label_len = 0;
    rc = sk_scope_label(scope, json_string_value(json_object_get(meta, "namespace")),
                        json_string_value(json_object_get(meta, "name")), &label, &label_len, err);
    const char *k;
    const json_t *v;
    json_t *enc = json_object_get(json_object_get(doc, "spec"), "encryptedData");
    json_object_foreach(enc, k, v)
    {
        if (rc != SK_OK) break;
        rc = reseal_item(c, v, label, label_len, err);
        if (rc != SK_OK) sk_error_prefix(err, "spec.encryptedData[%.128s]: ", k);
    }
    free(label);
    c->counts->sealed_secrets++;
    return rc;
}

/* Other kinds (a ConfigMap beside the SealedSecret) are left as they are. */
static int visit_object(const sk_object *o, void *c, sk_error *err)
{
    return sk_kind_is(o->obj, SK_KIND_SEALED_SECRET) ? reseal_sealed(c, o->obj, err) : SK_OK;
}

static int by_offset(const void *a, const void *b)
{
    size_t x = ((const swap *)a)->at, y = ((const swap *)b)->at;
    return x < y ? -1 : x > y;
}

/* Finds each old blob in the text, in document order, so only those bytes change. */
static int locate(swaps *s, const unsigned char *in, size_t len, sk_error *err)
{
    size_t from = 0;
    for (size_t i = 0; i < s->n; i++) {
        const unsigned char *hit = memmem(in + from, len - from, s->v[i].old_b64, s->v[i].old_len);
        if (hit == NULL) hit = memmem(in, len, s->v[i].old_b64, s->v[i].old_len);
        if (hit == NULL)
            return sk_error_set(err, SK_EINVAL,
                                "an encryptedData value is not written as one "
                                "plain string in the file; cannot rewrite it in place");
        s->v[i].at = (size_t)(hit - in);
        from = s->v[i].at + s->v[i].old_len;
    }
    if (s->n > 1) qsort(s->v, s->n, sizeof *s->v, by_offset);
    for (size_t i = 1; i < s->n; i++) {
        if (s->v[i].at < s->v[i - 1].at + s->v[i - 1].old_len)
            return sk_error_set(err, SK_EINVAL,
                                "the same sealed value appears twice; "
                                "refusing to rewrite it ambiguously");
    }
    return SK_OK;
}

static int splice(const swaps *s, const unsigned char *in, size_t len, sk_secbuf *out,
                  sk_error *err)
{
    size_t pos = 0;
    int rc = sk_secbuf_reserve(out, len + 64, err);
    for (size_t i = 0; rc == SK_OK && i < s->n; i++) {
        rc = sk_secbuf_append(out, in + pos, s->v[i].at - pos, err);
        if (rc == SK_OK) rc = sk_secbuf_puts(out, s->v[i].new_b64, err);
        pos = s->v[i].at + s->v[i].old_len;
    }
    if (rc == SK_OK) rc = sk_secbuf_append(out, in + pos, len - pos, err);
    return rc;
}

int sk_reseal_text_rng(const unsigned char *in, size_t len, const char *source, sk_keyring *keys,
                       const sk_pubkey *target, sk_rng *rng, sk_secbuf *out,
                       sk_reseal_counts *counts, sk_error *err)
{
    if (counts == NULL) return sk_error_set(err, SK_EUSAGE, "sk_reseal_text: counts is NULL");
    if (counts->version != SK_RESEAL_COUNTS_VERSION)
        return sk_error_set(err, SK_EUSAGE, "sk_reseal_counts version %u is not supported",
                            counts->version);
    *counts = (sk_reseal_counts)SK_RESEAL_COUNTS_INIT;
    ctx c = {keys, target, rng, counts, {NULL, 0}};
    sk_docs docs = {0};
    int rc = sk_docs_parse(in, len, source, &docs, err);
    if (rc == SK_OK) rc = sk_docs_walk(&docs, visit_object, &c, err);
    if (rc == SK_OK) rc = locate(&c.sw, in, len, err);
    if (rc == SK_OK) rc = splice(&c.sw, in, len, out, err);
    for (size_t i = 0; i < c.sw.n; i++)
        free(c.sw.v[i].new_b64);
    free(c.sw.v);
    sk_docs_free(&docs);
    if (rc != SK_OK) {
        sk_secbuf_free(out);
        sk_error_at_source(err, rc, source);
    }
    return rc;
}

int sk_reseal_text(const unsigned char *in, size_t len, const char *source, sk_keyring *keys,
                   const sk_pubkey *target, sk_secbuf *out, sk_reseal_counts *counts, sk_error *err)
{
    return sk_reseal_text_rng(in, len, source, keys, target, NULL, out, counts, err);
}
