/*
 * What changed between two packages, Secret by Secret and item by item, for a
 * team deciding whether an update needs more than a re-apply. Sealing is
 * randomised, so a new ciphertext says nothing about the value: with keys,
 * both sides are opened and the values compared in guarded memory; only the
 * verdict leaves this file, never a value.
 */
#include <sealkit/package.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sealkit/model.h>
#include <sealkit/secret.h>
#include <sealkit/unseal.h>

#include "package/package_internal.h"

/* Every SealedSecret of a package, by overlay and "ns/name". */
typedef struct side {
    sk_docs *docs;
    size_t n_docs;
    struct sref {
        char key[SK_PKG_PATH_MAX + 300]; /* "overlay\nns/name": sorts by overlay, then Secret */
        const json_t *doc;
    } * v;
    size_t n;
} side;

static int oom(sk_error *err)
{
    sk_error_set(err, SK_ENOMEM, "out of memory");
    return SK_ENOMEM; /* a constant, so that the analyzer sees the failure path */
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static int add_ref(side *s, const char *path, const json_t *doc, sk_error *err)
{
    struct sref *grown = realloc(s->v, (s->n + 1) * sizeof *grown);
    if (grown == NULL) return oom(err);
    s->v = grown;
    const json_t *meta = json_object_get(doc, "metadata");
    snprintf(s->v[s->n].key, sizeof s->v[s->n].key, "%.*s\n%s/%s", (int)strcspn(path, "/"), path,
             str(meta, "namespace"), str(meta, "name"));
    s->v[s->n++].doc = doc;
    return SK_OK;
}

static int read_file(side *s, const sk_package_entry *e, sk_error *err)
{
    sk_docs *d = &s->docs[s->n_docs];
    int rc = sk_docs_parse(e->data.data, e->data.len, e->path, d, err);
    if (rc != SK_OK) return rc;
    s->n_docs++;
    for (size_t i = 0; rc == SK_OK && i < d->n; i++)
        if (strcmp(str(d->doc[i], "kind"), SK_KIND_SEALED_SECRET) == 0)
            rc = add_ref(s, e->path, d->doc[i], err);
    return rc;
}

static int ref_cmp(const void *a, const void *b)
{
    return strcmp(((const struct sref *)a)->key, ((const struct sref *)b)->key);
}

static int collect(const sk_package *p, side *s, sk_error *err)
{
    s->docs = calloc(p->n + 1, sizeof *s->docs);
    if (s->docs == NULL) return oom(err);
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < p->n; i++) {
        const sk_package_entry *e = &p->entries[i];
        const char *base = strrchr(e->path, '/');
        if (!e->is_dir && base && !sk_pkg_is_kustomization_name(base + 1))
            rc = read_file(s, e, err);
    }
    if (rc == SK_OK && s->n > 0) qsort(s->v, s->n, sizeof *s->v, ref_cmp);
    for (size_t i = 1; rc == SK_OK && i < s->n; i++)
        if (strcmp(s->v[i - 1].key, s->v[i].key) == 0)
            rc = sk_error_set(err, SK_EINVAL, "SealedSecret %s appears twice in one overlay",
                              strchr(s->v[i].key, '\n') + 1);
    return rc;
}

static void side_free(side *s)
{
    for (size_t i = 0; i < s->n_docs; i++)
        sk_docs_free(&s->docs[i]);
    free(s->docs);
    free(s->v);
}

/* ---- the result ---- */

static int push(sk_package_changes *d, const char *key, const char *item, sk_diff_kind kind,
                sk_error *err)
{
    sk_diff_entry *grown = realloc(d->v, (d->n + 1) * sizeof *grown);
    if (grown == NULL) return oom(err);
    d->v = grown;
    sk_diff_entry *x = &d->v[d->n];
    const char *nl = strchr(key, '\n');
    *x = (sk_diff_entry){strndup(key, (size_t)(nl - key)), strdup(nl + 1),
                         item ? strdup(item) : NULL, kind};
    d->n++;
    if (x->overlay == NULL || x->secret == NULL || (item && x->item == NULL)) return oom(err);
    d->counts[kind]++;
    return SK_OK;
}

static const json_t *enc(const json_t *doc)
{
    return json_object_get(json_object_get(doc, "spec"), "encryptedData");
}

static const json_t *template_of(const json_t *doc)
{
    return json_object_get(json_object_get(doc, "spec"), "template");
}

static const sk_secbuf *value_of(const sk_secret *s, const char *key)
{
    for (size_t i = 0; s && i < s->n_items; i++)
        if (strcmp(s->items[i].key, key) == 0) return &s->items[i].value;
    return NULL;
}

/* Opened Secrets of both sides (NULL when there are no keys or one does not open). */
typedef struct opened {
    sk_secret a, b;
    int ok;
} opened;

static sk_diff_kind item_kind(const char *k, const json_t *va, const json_t *vb, const opened *o)
{
    if (json_equal(va, vb)) return SK_DIFF_UNCHANGED;
    const sk_secbuf *x = o->ok ? value_of(&o->a, k) : NULL, *y = o->ok ? value_of(&o->b, k) : NULL;
    if (x == NULL || y == NULL) return SK_DIFF_REENCRYPTED;
    return x->len == y->len && sodium_memcmp(x->data, y->data, x->len) == 0 ? SK_DIFF_RESEALED
                                                                            : SK_DIFF_CHANGED;
}

static int diff_items(sk_package_changes *d, const char *key, const json_t *a, const json_t *b,
                      const opened *o, sk_error *err)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)enc(a), k, v)
    {
        const json_t *w = json_object_get(enc(b), k);
        int rc = push(d, key, k, w ? item_kind(k, v, w, o) : SK_DIFF_REMOVED, err);
        if (rc != SK_OK) return rc;
    }
    json_object_foreach((json_t *)enc(b), k, v)
    {
        int rc = json_object_get(enc(a), k) ? SK_OK : push(d, key, k, SK_DIFF_ADDED, err);
        if (rc != SK_OK) return rc;
    }
    return SK_OK;
}

static int diff_secret(sk_package_changes *d, const char *key, const json_t *a, const json_t *b,
                       sk_keyring *keys, sk_error *err)
{
    opened o = {0};
    if (keys != NULL) {
        sk_error ignored = {0};
        o.ok = sk_unseal(a, keys, &o.a, &ignored) == SK_OK &&
               sk_unseal(b, keys, &o.b, &ignored) == SK_OK;
        d->unopened += !o.ok;
    }
    int rc = SK_OK;
    /* The metadata the Secret will get (type, labels, scope annotations). */
    json_t *ta = json_deep_copy(template_of(a)), *tb = json_deep_copy(template_of(b));
    if (!json_equal(ta, tb)) rc = push(d, key, NULL, SK_DIFF_TEMPLATE, err);
    json_decref(ta);
    json_decref(tb);
    if (rc == SK_OK) rc = diff_items(d, key, a, b, &o, err);
    sk_secret_free(&o.a);
    sk_secret_free(&o.b);
    return rc;
}

static int walk(sk_package_changes *d, const side *a, const side *b, sk_keyring *keys,
                sk_error *err)
{
    size_t i = 0, j = 0;
    int rc = SK_OK;
    while (rc == SK_OK && (i < a->n || j < b->n)) {
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i].key, b->v[j].key);
        if (c < 0)
            rc = push(d, a->v[i++].key, NULL, SK_DIFF_REMOVED, err);
        else if (c > 0)
            rc = push(d, b->v[j++].key, NULL, SK_DIFF_ADDED, err);
        else {
            rc = diff_secret(d, a->v[i].key, a->v[i].doc, b->v[j].doc, keys, err);
            i++;
            j++;
        }
    }
    return rc;
}

int sk_package_diff(const sk_package *old, const sk_package *new_, sk_keyring *keys,
                    sk_package_changes *out, sk_error *err)
{
    if (out == NULL || out->version != SK_PACKAGE_CHANGES_VERSION)
        return sk_error_set(err, SK_EUSAGE, "sk_package_changes version %u is not supported",
                            out ? out->version : 0);
    side a = {0}, b = {0};
    sk_package_changes d = {.version = out->version};
    int rc = collect(old, &a, err);
    if (rc == SK_OK) rc = collect(new_, &b, err);
    if (rc == SK_OK) rc = walk(&d, &a, &b, keys, err);
    side_free(&a);
    side_free(&b);
    if (rc != SK_OK) {
        sk_package_changes_free(&d);
        return rc;
    }
    *out = d;
    return SK_OK;
}

void sk_package_changes_free(sk_package_changes *d)
{
    if (d == NULL) return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].overlay);
        free(d->v[i].secret);
        free(d->v[i].item);
    }
    free(d->v);
    unsigned version = d->version;
    *d = (sk_package_changes){.version = version};
}

const char *sk_diff_kind_name(sk_diff_kind k)
{
    static const char *const names[] = {"unchanged", "added",   "removed", "re-encrypted",
                                        "resealed",  "changed", "template"};
    return (unsigned)k < sizeof names / sizeof *names ? names[k] : "?";
}
