#include <sealkit/reseal.h>
#include <sealkit/model.h>
#include <sealkit/doc.h>
#include <sealkit/scope.h>
#include <sealkit/seal.h>

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_internal.h"
#include "formats/doc_spans.h"
#include "keys/keys_internal.h"
#include "operations/reseal_internal.h"
#include "operations/testhooks.h"

/* One blob to swap in the text: old base64 (borrowed from the tree) for new (owned). */
typedef struct swap {
    size_t document, item; /* where the SealedSecret is, as sk_docs_walk counts */
    const char *key;       /* its encryptedData key (borrowed from the tree) */
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
    size_t document, item; /* of the SealedSecret being resealed */
    /*
     * Guarded blocks reused by every item: each guarded allocation maps, locks and unmaps
     * pages, which cost a tenth of the run when done per item.
     */
    sk_reseal_scratch *s;
} ctx;

static int push_swap(ctx *c, const char *key, const json_t *old, char *new_b64, sk_error *err)
{
    swap *grown = realloc(c->sw.v, (c->sw.n + 1) * sizeof *grown);
    if (grown == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    c->sw.v = grown;
    c->sw.v[c->sw.n++] = (swap){
        c->document, c->item, key, json_string_value(old), json_string_length(old), new_b64, 0};
    return SK_OK;
}

/* Opens one item; seals it again unless the key that opened it is the target's. */
static int reseal_item(ctx *c, const char *key, const json_t *v, const char *label,
                       size_t label_len, sk_error *err)
{
    size_t which = 0;
    unsigned char *fresh = NULL;
    size_t fresh_len = 0;
    char *b64 = NULL;
    int rc = sk_base64_decode_reuse(json_string_value(v), json_string_length(v), &c->s->blob, err);
    if (rc == SK_OK)
        rc = sk_keyring_decrypt_reuse(c->keys, (const unsigned char *)label, label_len,
                                      c->s->blob.data, c->s->blob.len, &c->s->plain, &c->s->rsa_key,
                                      &which, err);
    if (rc == SK_OK &&
        strcmp(sk_keyring_fingerprint(c->keys, which), sk_pubkey_fingerprint(c->target)) == 0) {
        c->counts->unchanged++;
        sk_secbuf_clear(&c->s->plain);
        return SK_OK;
    }
    if (rc == SK_OK) rc = sk_secbuf_reserve(&c->s->session_key, SK_SESSION_KEY_LEN, err);
    if (rc == SK_OK)
        rc = sk_hybrid_encrypt_keybuf(sk_pubkey_evp(c->target), (const unsigned char *)label,
                                      label_len, c->s->plain.data, c->s->plain.len, c->rng,
                                      c->s->session_key.data, &fresh, &fresh_len, err);
    sk_secbuf_clear(&c->s->plain);
    if (rc == SK_OK) rc = sk_base64_encode(fresh, fresh_len, &b64, err);
    free(fresh);
    if (rc == SK_OK) rc = push_swap(c, key, v, b64, err);
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
    sk_keyring_hint_begin(c->keys);
    json_object_foreach(enc, k, v)
    {
        sk_keyring_hint_item(c->keys, json_string_value(v), json_string_length(v));
    }
    json_object_foreach(enc, k, v)
    {
        if (rc != SK_OK) break;
        rc = reseal_item(c, k, v, label, label_len, err);
        if (rc != SK_OK) sk_error_prefix(err, "spec.encryptedData[%.128s]: ", k);
    }
    sk_keyring_hint_begin(c->keys); /* the hint is this SealedSecret's only */
    free(label);
    c->counts->sealed_secrets++;
    return rc;
}

/* Other kinds (a ConfigMap beside the SealedSecret) are left as they are. */
static int visit_object(const sk_object *o, void *arg, sk_error *err)
{
    ctx *c = arg;
    if (!sk_kind_is(o->obj, SK_KIND_SEALED_SECRET)) return SK_OK;
    c->document = o->document;
    c->item = o->item;
    return reseal_sealed(c, o->obj, err);
}

static int not_in_place(const swap *w, const char *why, sk_error *err)
{
    sk_error_set(err, SK_EINVAL, "spec.encryptedData[%.128s]: %s; cannot rewrite it in place",
                 w->key, why);
    return sk_error_at_object(err, SK_EINVAL, w->document, w->item);
}

/* Where the parser put w's value, when the text there is exactly the old base64; else why not. */
static const char *at_span(swap *w, const sk_spans *spans, const unsigned char *in)
{
    const sk_span *sp = sk_spans_find(spans, w->document, w->item, w->key);
    if (sp == NULL || !sp->one_line) return "not written as a one-line string";
    if (sp->end - sp->start != w->old_len || memcmp(in + sp->start, w->old_b64, w->old_len) != 0)
        return "its text differs from its value (escapes?)";
    w->at = sp->start;
    return NULL;
}

/* YAML: the parser says where each value is, so a copy elsewhere in the text is never touched. */
static int locate_yaml(swaps *s, const sk_spans *spans, const unsigned char *in, sk_error *err)
{
    for (size_t i = 0; i < s->n; i++) {
        const char *why = at_span(&s->v[i], spans, in);
        if (why != NULL) return not_in_place(&s->v[i], why, err);
    }
    return SK_OK;
}

/*
 * JSON: positions as for YAML where libyaml could read the text too (sk_docs_parse_spans).
 * Otherwise each old value must appear exactly once in the text; a copy (a
 * last-applied-configuration annotation) then makes the file a refusal, never a guess.
 */
static int locate_json(swaps *s, const sk_spans *spans, const unsigned char *in, size_t len,
                       sk_error *err)
{
    size_t found = 0;
    while (spans->n > 0 && found < s->n && at_span(&s->v[found], spans, in) == NULL)
        found++;
    if (found == s->n) return SK_OK;
    for (size_t i = 0; i < s->n; i++) {
        swap *w = &s->v[i];
        const unsigned char *hit = memmem(in, len, w->old_b64, w->old_len);
        if (hit == NULL) return not_in_place(w, "not written as one plain string", err);
        size_t at = (size_t)(hit - in);
        if (memmem(in + at + 1, len - at - 1, w->old_b64, w->old_len) != NULL) {
            not_in_place(w, "its sealed value appears more than once in the file", err);
            sk_error_hint(err, "remove the copy (a last-applied-configuration annotation?), or "
                               "write the file as YAML");
            return SK_EINVAL;
        }
        w->at = at;
    }
    return SK_OK;
}

static int by_offset(const void *a, const void *b)
{
    size_t x = ((const swap *)a)->at, y = ((const swap *)b)->at;
    return x < y ? -1 : x > y;
}

static int locate(swaps *s, const sk_docs *docs, const sk_spans *spans, const unsigned char *in,
                  size_t len, sk_error *err)
{
    int rc = docs->format == SK_FORMAT_YAML ? locate_yaml(s, spans, in, err)
                                            : locate_json(s, spans, in, len, err);
    if (rc != SK_OK) return rc;
    if (s->n > 1) qsort(s->v, s->n, sizeof *s->v, by_offset);
    for (size_t i = 1; i < s->n; i++) {
        if (s->v[i].at < s->v[i - 1].at + s->v[i - 1].old_len)
            return not_in_place(&s->v[i], "the same sealed value is used twice", err);
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

/* ---- re-checking what was written ---- */

typedef struct recheck {
    const sk_docs *before;
    const swaps *sw;
    size_t items, swapped;
} recheck;

static const json_t *object_at(const sk_docs *docs, size_t document, size_t item)
{
    const json_t *doc = document > 0 && document <= docs->n ? docs->doc[document - 1] : NULL;
    return item > 0 ? json_array_get(json_object_get(doc, "items"), item - 1) : doc;
}

static const swap *swap_at(const swaps *s, size_t document, size_t item, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].document == document && s->v[i].item == item && strcmp(s->v[i].key, key) == 0)
            return &s->v[i];
    return NULL;
}

/* Each item of the new text is the blob sealed for it in this run, or the one it had before. */
static int recheck_object(const sk_object *o, void *arg, sk_error *err)
{
    recheck *r = arg;
    if (!sk_kind_is(o->obj, SK_KIND_SEALED_SECRET)) return SK_OK;
    const json_t *old_enc = json_object_get(
        json_object_get(object_at(r->before, o->document, o->item), "spec"), "encryptedData");
    const char *k;
    const json_t *v;
    json_object_foreach(json_object_get(json_object_get(o->obj, "spec"), "encryptedData"), k, v)
    {
        const swap *w = swap_at(r->sw, o->document, o->item, k);
        const char *want = w ? w->new_b64 : json_string_value(json_object_get(old_enc, k));
        r->items++;
        r->swapped += w != NULL;
        if (want == NULL || !json_is_string(v) || strcmp(json_string_value(v), want) != 0)
            return sk_error_set(err, SK_EINVAL,
                                "spec.encryptedData[%.128s]: the rewritten file does not hold the "
                                "value sealed for it; nothing was written",
                                k);
    }
    return SK_OK;
}

static int recheck_text(const sk_docs *before, const swaps *sw, const sk_secbuf *out,
                        const char *source, sk_error *err)
{
    sk_docs after = {0};
    recheck r = {before, sw, 0, 0};
    int rc = sk_docs_parse(out->data, out->len, source, &after, err);
    if (rc == SK_OK) rc = sk_docs_walk(&after, recheck_object, &r, err);
    if (rc == SK_OK && r.swapped != sw->n)
        rc = sk_error_set(err, SK_EINVAL,
                          "the rewritten file lost %zu resealed items; nothing "
                          "was written",
                          sw->n - r.swapped);
    sk_docs_free(&after);
    return rc;
}

static void scratch_clear(sk_reseal_scratch *s)
{
    sk_secbuf_clear(&s->blob);
    sk_secbuf_clear(&s->plain);
    sk_secbuf_clear(&s->rsa_key);
    sk_secbuf_clear(&s->session_key);
}

void sk_reseal_scratch_free(sk_reseal_scratch *s)
{
    sk_secbuf_free(&s->blob);
    sk_secbuf_free(&s->plain);
    sk_secbuf_free(&s->rsa_key);
    sk_secbuf_free(&s->session_key);
}

int sk_reseal_text_scratch(const unsigned char *in, size_t len, const char *source,
                           sk_keyring *keys, const sk_pubkey *target, sk_rng *rng,
                           sk_reseal_scratch *scratch, sk_secbuf *out, sk_reseal_counts *counts,
                           sk_error *err)
{
    if (counts == NULL) return sk_error_set(err, SK_EUSAGE, "sk_reseal_text: counts is NULL");
    if (counts->version != SK_RESEAL_COUNTS_VERSION)
        return sk_error_set(err, SK_EUSAGE, "sk_reseal_counts version %u is not supported",
                            counts->version);
    *counts = (sk_reseal_counts)SK_RESEAL_COUNTS_INIT;
    ctx c = {.keys = keys, .target = target, .rng = rng, .counts = counts, .s = scratch};
    sk_docs docs = {0};
    sk_spans spans = {0};
    sk_secbuf_clear(out);
    int rc = sk_docs_parse_spans(in, len, source, &docs, &spans, err);
    if (rc == SK_OK) rc = sk_docs_walk(&docs, visit_object, &c, err);
    if (rc == SK_OK) rc = locate(&c.sw, &docs, &spans, in, len, err);
    if (rc == SK_OK) rc = splice(&c.sw, in, len, out, err);
    if (rc == SK_OK && c.sw.n > 0) rc = recheck_text(&docs, &c.sw, out, source, err);
    for (size_t i = 0; i < c.sw.n; i++)
        free(c.sw.v[i].new_b64);
    free(c.sw.v);
    scratch_clear(scratch);
    sk_spans_free(&spans);
    sk_docs_free(&docs);
    if (rc != SK_OK) {
        sk_secbuf_free(out);
        sk_error_at_source(err, rc, source);
    }
    return rc;
}

int sk_reseal_text_rng(const unsigned char *in, size_t len, const char *source, sk_keyring *keys,
                       const sk_pubkey *target, sk_rng *rng, sk_secbuf *out,
                       sk_reseal_counts *counts, sk_error *err)
{
    sk_reseal_scratch scratch = {0};
    int rc = sk_reseal_text_scratch(in, len, source, keys, target, rng, &scratch, out, counts, err);
    sk_reseal_scratch_free(&scratch);
    return rc;
}

int sk_reseal_text(const unsigned char *in, size_t len, const char *source, sk_keyring *keys,
                   const sk_pubkey *target, sk_secbuf *out, sk_reseal_counts *counts, sk_error *err)
{
    return sk_reseal_text_rng(in, len, source, keys, target, NULL, out, counts, err);
}

/* ---- the preflight of a rotation ---- */

typedef struct probe {
    sk_keyring *keys;
    size_t sealed;
} probe;

static int probe_object(const sk_object *o, void *arg, sk_error *err)
{
    probe *p = arg;
    if (!sk_kind_is(o->obj, SK_KIND_SEALED_SECRET)) return SK_OK;
    p->sealed++;
    sk_scope scope;
    int rc = sk_sealed_check(o->obj, &scope, err);
    const char *name = sk_meta_string(o->obj, "name"), *ns = sk_meta_string(o->obj, "namespace");
    void *it = json_object_iter(json_object_get(json_object_get(o->obj, "spec"), "encryptedData"));
    if (rc != SK_OK || it == NULL) return rc; /* nothing to open is nothing to fail */
    const char *key = json_object_iter_key(it);
    const json_t *v = json_object_iter_value(it);
    char *label = NULL;
    size_t label_len = 0;
    sk_secbuf blob = SK_SECBUF_INIT, plain = SK_SECBUF_INIT;
    rc = sk_scope_label(scope, ns, name, &label, &label_len, err);
    if (rc == SK_OK) rc = sk_base64_decode(json_string_value(v), json_string_length(v), &blob, err);
    if (rc == SK_OK)
        rc = sk_keyring_decrypt(p->keys, (const unsigned char *)label, label_len, blob.data,
                                blob.len, &plain, NULL, err);
    if (rc != SK_OK) sk_error_prefix(err, "spec.encryptedData[%.128s]: ", key);
    sk_secbuf_free(&plain);
    sk_secbuf_free(&blob);
    free(label);
    return rc;
}

int sk_reseal_probe(const unsigned char *in, size_t len, const char *source, sk_keyring *keys,
                    size_t *sealed, sk_error *err)
{
    probe p = {keys, 0};
    sk_docs docs = {0};
    int rc = sk_docs_parse(in, len, source, &docs, err);
    if (rc == SK_OK) rc = sk_docs_walk(&docs, probe_object, &p, err);
    sk_docs_free(&docs);
    if (sealed != NULL) *sealed = p.sealed;
    return rc == SK_OK ? rc : sk_error_at_source(err, rc, source);
}
