/*
 * What only the whole scan shows (sk_verify_cross_check): values copied between SealedSecrets.
 * A copied value keeps the label of the SealedSecret it was sealed for, so with keys it opens
 * under that one's label; without keys its ciphertext is byte for byte the same as the source's.
 */
#include <sealkit/verify.h>
#include <sealkit/crypto.h>
#include <sealkit/keys.h>
#include <sealkit/scope.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/verify_internal.h"
#include "crypto/crypto_internal.h"
#include "keys/keys_internal.h"

static int same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static int same_identity(const sk_verify_item *a, const char *ns, const char *name)
{
    return same(a->namespace_, ns) && same(a->name, name);
}

static int same_doc(const sk_verify_item *a, const sk_verify_item *b)
{
    return same(a->file, b->file) && a->document == b->document && a->list_item == b->list_item;
}

/* A label to try, and what it names. */
typedef struct cand {
    const char *ns, *name; /* name NULL for a namespace-wide label */
    sk_scope scope;
    const sk_verify_item *copy_of; /* the item with the same ciphertext; NULL when none */
} cand;

typedef struct xctx {
    const sk_verify_opts *opts;
    sk_findings *f;
    sk_error *err;
    cand *cands; /* the scan's labels, each once */
    size_t n_cands;
    /* Per SealedSecret: the label that opened one of its items, tried first on the others; or
     * that nothing did, so its other items are not tried (they were sealed together). */
    const sk_verify_item *secret;
    cand hit;
    int has_hit, gave_up;
    /* Each try costs an RSA private operation per key: a scan full of foreign blobs must not
     * cost hours, so the search spends what the files' diagnoses left of the scan's budget. */
    size_t left, spent;
    int cut;
    /* Guarded blocks reused by every try (a guarded allocation maps and locks pages): the
     * decoded blob, and the plaintext and session key, wiped after each try. */
    sk_secbuf blob, pt, key;
} xctx;

/* 1 when blob opens under the candidate's label; *which is the key. */
static int opens_under(xctx *x, const cand *c, const sk_secbuf *blob, size_t *which, int *rc)
{
    char *label = NULL;
    size_t len = 0;
    *rc = sk_scope_label(c->scope, c->ns, c->name, &label, &len, x->err);
    if (*rc != SK_OK) return 0;
    sk_error why = {0};
    int drc = sk_keyring_decrypt_reuse(x->opts->keys, (const unsigned char *)label, len, blob->data,
                                       blob->len, &x->pt, &x->key, which, &why);
    sk_secbuf_clear(&x->pt);
    free(label);
    if (drc == SK_ENOMEM) *rc = sk_error_set(x->err, drc, "%s", why.msg);
    return drc == SK_OK;
}

/* Another item of the scan with the same ciphertext that opened; NULL when none. */
static const sk_verify_item *opened_twin(const sk_findings *f, const sk_verify_item *it)
{
    for (size_t j = 0; j < f->n_items; j++) {
        const sk_verify_item *o = &f->items[j];
        if (o != it && o->has_digest && o->opens == 1 &&
            memcmp(o->digest, it->digest, sizeof it->digest) == 0)
            return o;
    }
    return NULL;
}

static int any_opened(const sk_findings *f, const sk_verify_item *it)
{
    for (size_t j = 0; j < f->n_items; j++)
        if (same_doc(&f->items[j], it) && f->items[j].opens == 1) return 1;
    return 0;
}

/* Rewrites the item's decrypt-failed finding to name where the value came from. */
/* "prod/db, item pw in base/db.yaml:1": the label, and the item with the same bytes if any. */
static void describe(const cand *c, const sk_verify_item *it, char *out, size_t cap)
{
    int n;
    if (c->scope == SK_SCOPE_STRICT)
        n = snprintf(out, cap, "%.128s/%.128s", c->ns ? c->ns : "", c->name);
    else if (c->scope == SK_SCOPE_CLUSTER_WIDE)
        n = snprintf(out, cap, "the cluster-wide label");
    else
        n = snprintf(out, cap, "namespace %.128s (namespace-wide)", c->ns ? c->ns : "");
    if (c->copy_of == NULL || n < 0 || (size_t)n >= cap) return;
    int same_item = strcmp(c->copy_of->item, it->item) == 0;
    snprintf(out + n, cap - (size_t)n, ", %s%.128s in %.200s:%zu",
             same_item ? "the same item" : "item ", same_item ? "" : c->copy_of->item,
             c->copy_of->file, c->copy_of->document);
}

static int name_source(xctx *x, sk_verify_item *it, const cand *c, const char *fp)
{
    sk_finding *fd = &x->f->v[it->failed_finding];
    int copied = any_opened(x->f, it);
    char from[768], msg[1024];
    describe(c, it, from, sizeof from);
    snprintf(msg, sizeof msg,
             copied ? "copied from %s: it opens only under that label, not under this "
                      "SealedSecret's; seal the value again for this SealedSecret"
                    : "sealed for %s, not for this SealedSecret: it opens only there; seal it "
                      "again for this name and namespace, or move it",
             from);
    char *m = strdup(msg);
    if (m == NULL) return sk_error_set(x->err, SK_ENOMEM, "out of memory");
    free(fd->message);
    fd->message = m;
    fd->code = copied ? "copied-value" : "sealed-for-other";
    snprintf(fd->key_fingerprint, sizeof fd->key_fingerprint, "%s", fp);
    it->sealed_scope = (int)c->scope;
    snprintf(it->opened_by, sizeof it->opened_by, "%s", fp);
    return SK_OK;
}

static int try_cand(xctx *x, sk_verify_item *it, const cand *c, const sk_secbuf *blob, int *found)
{
    size_t which = 0;
    int rc = SK_OK;
    if (c->name == NULL ? same(c->ns, it->namespace_) : same_identity(it, c->ns, c->name))
        return SK_OK; /* its own labels were tried when it was verified */
    size_t charge = sk_verify_charge(x->opts->keys, sk_blob_rsa_len(blob->data, blob->len));
    if (charge > x->left) {
        x->cut = 1;
        x->left = 0;
        return SK_OK;
    }
    x->left -= charge, x->spent += charge;
    if (!opens_under(x, c, blob, &which, &rc)) return rc;
    *found = 1;
    x->hit = *c, x->has_hit = 1;
    return name_source(x, it, c, sk_keyring_fingerprint(x->opts->keys, which));
}

static int seen(const xctx *x, const char *ns, const char *name)
{
    for (size_t i = 0; i < x->n_cands; i++)
        if (same(x->cands[i].ns, ns) &&
            (name == NULL ? x->cands[i].name == NULL : same(x->cands[i].name, name)))
            return 1;
    return 0;
}

static void add_cand(xctx *x, const char *ns, const char *name)
{
    if (seen(x, ns, name)) return;
    x->cands[x->n_cands++] =
        (cand){ns, name, name == NULL ? SK_SCOPE_NAMESPACE_WIDE : SK_SCOPE_STRICT, NULL};
}

/* The scan's SealedSecrets (strict), their namespaces and "default" (namespace-wide), once. */
static int collect_cands(xctx *x)
{
    x->cands = malloc((2 * x->f->n_secrets + 1) * sizeof *x->cands);
    if (x->cands == NULL) return sk_error_set(x->err, SK_ENOMEM, "out of memory");
    for (size_t s = 0; s < x->f->n_secrets; s++) {
        const sk_verify_secret *o = &x->f->secrets[s];
        if (o->name[0] == '\0' || o->namespace_ == NULL) continue;
        add_cand(x, o->namespace_, o->name);
        add_cand(x, o->namespace_, NULL);
    }
    add_cand(x, "default", NULL);
    return SK_OK;
}

static int try_scan_labels(xctx *x, sk_verify_item *it, const sk_secbuf *blob, int *found)
{
    int rc = SK_OK;
    if (x->has_hit) {
        cand again = x->hit;
        rc = try_cand(x, it, &again, blob, found);
    }
    if (*found || x->gave_up) return rc;
    for (size_t i = 0; rc == SK_OK && !*found && i < x->n_cands; i++)
        rc = try_cand(x, it, &x->cands[i], blob, found);
    /* Its own name in the scan's other namespaces and "default": a namespace typo, a moved
     * manifest, or kubeseal run without a namespace (it seals for the context's). */
    for (size_t i = 0; rc == SK_OK && !*found && i < x->n_cands; i++) {
        cand moved = {x->cands[i].ns, it->name, SK_SCOPE_STRICT, NULL};
        if (x->cands[i].name == NULL && !seen(x, moved.ns, moved.name))
            rc = try_cand(x, it, &moved, blob, found);
    }
    if (!*found) x->gave_up = 1;
    return rc;
}

static int rediagnose(xctx *x, sk_verify_item *it)
{
    if (x->secret == NULL || !same_doc(x->secret, it)) {
        x->secret = it;
        x->has_hit = x->gave_up = 0;
    }
    const sk_verify_item *twin = opened_twin(x->f, it);
    if (twin != NULL) {
        /* The same bytes opened there: no key operation needed to know where it opens. */
        cand c = {twin->namespace_, twin->name, (sk_scope)twin->sealed_scope, twin};
        if (c.scope == SK_SCOPE_NAMESPACE_WIDE) c.name = NULL;
        if (c.scope == SK_SCOPE_CLUSTER_WIDE) c.ns = NULL, c.name = NULL;
        return name_source(x, it, &c, twin->opened_by);
    }
    int found = 0;
    int rc = sk_base64_decode_reuse(it->unopened, strlen(it->unopened), &x->blob, x->err);
    if (rc == SK_OK) rc = try_scan_labels(x, it, &x->blob, &found);
    return rc;
}

/* ---- without keys: the same ciphertext twice ---- */

typedef struct keyed {
    unsigned char digest[32];
    size_t item;
} keyed;

static int by_digest(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int d = memcmp(x->digest, y->digest, sizeof x->digest);
    return d != 0 ? d : (x->item > y->item) - (x->item < y->item);
}

/* Two places the same value may rightly be: the same SealedSecret's item in two overlays. */
static int same_place(const sk_verify_item *a, const sk_verify_item *b)
{
    return same_identity(a, b->namespace_, b->name) && strcmp(a->item, b->item) == 0;
}

static int report_twin(xctx *x, const sk_verify_item *it, const sk_verify_item *first)
{
    sk_where w = {it->file, it->document, it->list_item, it->item};
    int same_item = strcmp(first->item, it->item) == 0;
    int rc = sk_findings_add(
        x->f, &w, SK_SEVERITY_WARNING, "duplicate-ciphertext", NULL, x->err,
        "the same ciphertext as %.128s%s%.128s, %s%.128s in %.200s:%zu: one was copied from the "
        "other, and a value opens under one name and namespace only; seal it again for each",
        first->namespace_ ? first->namespace_ : "", first->namespace_ ? "/" : "", first->name,
        same_item ? "the same item" : "item ", same_item ? "" : first->item, first->file,
        first->document);
    if (rc == SK_OK) x->f->v[x->f->n - 1].line = it->line, x->f->v[x->f->n - 1].column = it->column;
    return rc;
}

static int report_run(xctx *x, const keyed *run, size_t n)
{
    const sk_verify_item *first = &x->f->items[run[0].item];
    int rc = SK_OK;
    for (size_t k = 1; rc == SK_OK && k < n; k++) {
        const sk_verify_item *it = &x->f->items[run[k].item];
        if (!same_place(it, first)) rc = report_twin(x, it, first);
    }
    return rc;
}

static int find_twins(xctx *x)
{
    size_t n = 0;
    keyed *v = malloc((x->f->n_items + 1) * sizeof *v);
    if (v == NULL) return sk_error_set(x->err, SK_ENOMEM, "out of memory");
    for (size_t i = 0; i < x->f->n_items; i++) {
        if (!x->f->items[i].has_digest) continue;
        memcpy(v[n].digest, x->f->items[i].digest, sizeof v[n].digest);
        v[n++].item = i;
    }
    qsort(v, n, sizeof *v, by_digest);
    int rc = SK_OK;
    for (size_t a = 0, b; rc == SK_OK && a < n; a = b) {
        for (b = a + 1; b < n && memcmp(v[b].digest, v[a].digest, sizeof v[a].digest) == 0; b++)
            ;
        if (b - a > 1) rc = report_run(x, v + a, b - a);
    }
    free(v);
    return rc;
}

int sk_verify_cross_check(const sk_verify_opts *opts, sk_findings *f, sk_error *err)
{
    sk_verify_opts o;
    int rc = sk_verify_opts_norm(opts, &o, err);
    if (rc != SK_OK) return rc;
    xctx x = {.opts = &o, .f = f, .err = err};
    if (o.keys == NULL) return find_twins(&x);
    x.left = sk_verify_budget_left(f);
    rc = collect_cands(&x);
    cand *owned = x.cands; /* freed here, whatever the calls below write through x */
    for (size_t i = 0; rc == SK_OK && i < f->n_items; i++) {
        sk_verify_item *it = &f->items[i];
        if (it->unopened == NULL) continue;
        rc = rediagnose(&x, it);
        free(it->unopened);
        it->unopened = NULL;
    }
    free(owned);
    sk_secbuf_free(&x.blob);
    sk_secbuf_free(&x.pt);
    sk_secbuf_free(&x.key);
    f->diagnose_spent += x.spent;
    sk_where none = {"-", 0, 0, NULL};
    if (rc == SK_OK && x.cut)
        rc = sk_findings_add(f, &none, SK_SEVERITY_INFO, "diagnosis-cut", NULL, err,
                             "the search for where unopened items came from stopped: the scan's "
                             "diagnosis budget of %zu RSA private operations ran out; the "
                             "remaining items keep their decrypt-failed finding",
                             sk_verify_budget(f));
    return rc;
}
