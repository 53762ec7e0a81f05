/*
 * Checking a package read into memory: the layout kustomize and `tar xzf`
 * will see, the kustomization against the files present, and every
 * SealedSecret through the verify module. Problems are findings.
 */
#include <sealkit/package.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/package_internal.h"

typedef struct strs {
    char **v;
    size_t n;
} strs;

typedef struct vstate {
    const sk_package *p;
    const char *source;
    const sk_verify_opts *opts;
    sk_findings *out;
    sk_package_summary sum;
    sk_error *err;
    int rc; /* the first SK_ENOMEM */
} vstate;

static void add(vstate *v, const char *file, size_t doc, const char *code, const char *fmt, ...)
    SK_PRINTF(5, 6);

static void add(vstate *v, const char *file, size_t doc, const char *code, const char *fmt, ...)
{
    if (v->rc != SK_OK) return;
    char msg[SK_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sk_where w = {file, doc, 0, NULL};
    v->rc = sk_findings_add(v->out, &w, SK_SEVERITY_ERROR, code, NULL, v->err, "%s", msg);
}

/* The error's message and place in its file: the finding names the file itself. */
static const char *in_file(const sk_error *e, char *buf, size_t size)
{
    sk_error_format_in_source(e, buf, size);
    return buf;
}

static int strs_has(const strs *s, const char *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], x) == 0) return 1;
    return 0;
}

static void strs_add(vstate *v, strs *s, const char *x, size_t len)
{
    if (v->rc != SK_OK) return;
    char **grown = realloc(s->v, (s->n + 1) * sizeof *grown);
    if (grown != NULL) s->v = grown;
    char *copy = grown ? strndup(x, len) : NULL;
    if (copy == NULL) {
        v->rc = sk_error_set(v->err, SK_ENOMEM, "out of memory");
        return;
    }
    s->v[s->n++] = copy;
}

static void strs_free(strs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

/* Collects the top folders (overlays); flags files outside them. */
static void check_layout(vstate *v, strs *overlays)
{
    for (size_t i = 0; i < v->p->n; i++) {
        const sk_package_entry *e = &v->p->entries[i];
        const char *slash = strchr(e->path, '/');
        if (!e->is_dir && slash == NULL) {
            add(v, e->path, 0, "package-layout", "file outside any overlay folder");
            continue;
        }
        size_t len = slash ? (size_t)(slash - e->path) : strlen(e->path);
        char name[SK_PACKAGE_FILE_NAME_MAX + 1];
        snprintf(name, sizeof name, "%.*s", (int)len, e->path);
        if (!strs_has(overlays, name)) strs_add(v, overlays, e->path, len);
    }
    if (overlays->n == 0)
        add(v, v->source, 0, "package-layout", "the package holds no overlay folder");
}

/* The path below folder o ("o/x/y" -> "x/y"), or NULL when e is not below it. */
static const char *below(const sk_package_entry *e, const char *o)
{
    size_t n = strlen(o);
    return strncmp(e->path, o, n) == 0 && e->path[n] == '/' ? e->path + n + 1 : NULL;
}

/* An earlier release's overlay holds its files directly: flag anything deeper. */
static void check_flat_layout(vstate *v, const char *o)
{
    for (size_t i = 0; i < v->p->n; i++) {
        const sk_package_entry *e = &v->p->entries[i];
        const char *rel = below(e, o);
        if (rel == NULL) continue;
        if (e->is_dir)
            add(v, e->path, 0, "package-layout",
                "nested folder; an overlay holds its files directly");
        else if (strchr(rel, '/') != NULL)
            add(v, e->path, 0, "package-layout",
                "nested file; an overlay holds its files directly");
    }
}

static void add_set(vstate *v, strs *sets, const char *name, size_t len)
{
    char copy[SK_PACKAGE_FILE_NAME_MAX + 1];
    snprintf(copy, sizeof copy, "%.*s", (int)len, name);
    if (!strs_has(sets, copy)) strs_add(v, sets, copy, strlen(copy));
}

/* Flags what is not a place of the layout; collects the set folders. */
static void check_tree_layout(vstate *v, const char *o, strs *sets)
{
    const char *d = SK_PACKAGE_SECRETS_DIR "/";
    size_t dn = strlen(d);
    for (size_t i = 0; i < v->p->n; i++) {
        const sk_package_entry *e = &v->p->entries[i];
        const char *rel = below(e, o);
        if (rel == NULL) continue;
        const char *in = strncmp(rel, d, dn) == 0 ? rel + dn : NULL;
        const char *slash = in ? strchr(in, '/') : NULL;
        int ok = e->is_dir ? strcmp(rel, SK_PACKAGE_SECRETS_DIR) == 0 ||
                                 (in && !slash && sk_pkg_valid_file_name(in))
                           : strcmp(rel, SK_PACKAGE_KUSTOMIZATION) == 0 ||
                                 (in && strcmp(in, SK_PACKAGE_KUSTOMIZATION) == 0) ||
                                 (in && slash && !strchr(slash + 1, '/'));
        if (!ok)
            add(v, e->path, 0, "package-layout",
                "not a place of the package layout (%s/%s<set>/FILE)", o, d);
        else if (in && (e->is_dir || slash))
            add_set(v, sets, in, slash ? (size_t)(slash - in) : strlen(in));
    }
}

static const char *kind_of(const json_t *doc)
{
    return json_string_value(json_object_get(doc, "kind"));
}

static void check_document(vstate *v, const sk_package_entry *e, const json_t *doc, size_t d,
                           strs *namespaces)
{
    const char *kind = kind_of(doc);
    if (kind == NULL || strcmp(kind, "SealedSecret") != 0) {
        sk_error kerr = {0};
        sk_pkg_refuse_kind(kind, &kerr);
        int plain = kind != NULL && strcmp(kind, "Secret") == 0;
        add(v, e->path, d, plain ? "plaintext-secret" : "package-content", "%s", kerr.msg);
        return;
    }
    sk_where w = {e->path, d, 0, NULL};
    if (v->rc == SK_OK) v->rc = sk_verify_doc(doc, &w, v->opts, v->out, v->err);
    v->sum.sealed_secrets++;
    const char *ns =
        json_string_value(json_object_get(json_object_get(doc, "metadata"), "namespace"));
    if (ns != NULL && !strs_has(namespaces, ns)) strs_add(v, namespaces, ns, strlen(ns));
}

static void check_sealed_file(vstate *v, const sk_package_entry *e, strs *namespaces)
{
    sk_docs docs = {0};
    sk_error perr = {0};
    v->sum.sealed_files++;
    v->out->files++;
    int rc = sk_docs_parse(e->data.data, e->data.len, e->path, &docs, &perr);
    if (rc == SK_ENOMEM && v->rc == SK_OK) v->rc = sk_error_set(v->err, rc, "%s", perr.msg);
    if (rc != SK_OK) {
        char msg[SK_ERROR_MSG_MAX + 96];
        add(v, e->path, 0, "parse", "%s", in_file(&perr, msg, sizeof msg));
        return;
    }
    if (docs.n == 0) add(v, e->path, 0, "package-content", "holds no SealedSecret");
    for (size_t d = 0; d < docs.n; d++)
        check_document(v, e, docs.doc[d], d + 1, namespaces);
    sk_docs_free(&docs);
}

static const sk_package_entry *find(const sk_package *p, const char *path)
{
    for (size_t i = 0; i < p->n; i++)
        if (!p->entries[i].is_dir && strcmp(p->entries[i].path, path) == 0) return &p->entries[i];
    return NULL;
}

/* The base name of e when it is a file directly inside overlay o, else NULL. */
static const char *in_overlay(const sk_package_entry *e, const char *o)
{
    size_t n = strlen(o);
    if (e->is_dir || strncmp(e->path, o, n) != 0 || e->path[n] != '/') return NULL;
    return strchr(e->path + n + 1, '/') ? NULL : e->path + n + 1;
}

/* Every resource must be a file of the overlay, listed once; every file must be listed. */
static void check_resources(vstate *v, const char *o, const char *kzpath, const json_t *res)
{
    strs listed = {0};
    size_t i;
    const json_t *r;
    json_array_foreach(res, i, r)
    {
        const char *s = json_string_value(r);
        char shown[128], path[2 * SK_PACKAGE_FILE_NAME_MAX + 2];
        sk_pkg_printable(s ? s : "(not a string)", shown, sizeof shown);
        if (s == NULL || !sk_pkg_valid_file_name(s) || sk_pkg_is_kustomization_name(s)) {
            add(v, kzpath, 0, "package-kustomization",
                "resources[%zu] \"%s\" is not a file of "
                "this overlay; a package is self-contained",
                i + 1, shown);
            continue;
        }
        if (strs_has(&listed, s)) {
            add(v, kzpath, 0, "package-kustomization", "resources lists %s twice", s);
            continue;
        }
        strs_add(v, &listed, s, strlen(s));
        snprintf(path, sizeof path, "%s/%s", o, s);
        if (find(v->p, path) == NULL)
            add(v, kzpath, 0, "package-missing", "lists %s but the package has no %s", s, path);
    }
    for (size_t k = 0; k < v->p->n; k++) {
        const char *base = in_overlay(&v->p->entries[k], o);
        if (base && !sk_pkg_is_kustomization_name(base) && !strs_has(&listed, base))
            add(v, v->p->entries[k].path, 0, "package-unlisted",
                "not listed in %s resources; "
                "kustomize would not apply it",
                kzpath);
    }
    strs_free(&listed);
}

static void check_scope(vstate *v, const char *kzpath, const json_t *k, const strs *namespaces)
{
    sk_error kerr = {0};
    int rc = SK_OK;
    if (namespaces->n == 0) rc = sk_pkg_check_kustomization_doc(k, kzpath, NULL, &kerr);
    for (size_t i = 0; rc == SK_OK && i < namespaces->n; i++)
        rc = sk_pkg_check_kustomization_doc(k, kzpath, namespaces->v[i], &kerr);
    if (rc != SK_OK) {
        char msg[SK_ERROR_MSG_MAX + 96];
        add(v, kzpath, 0, "package-kustomization", "%s", in_file(&kerr, msg, sizeof msg));
    }
}

static void check_kustomization(vstate *v, const char *o, const sk_package_entry *kz,
                                const strs *namespaces)
{
    sk_docs docs = {0};
    sk_error perr = {0};
    int rc = sk_docs_parse(kz->data.data, kz->data.len, kz->path, &docs, &perr);
    if (rc == SK_ENOMEM && v->rc == SK_OK) v->rc = sk_error_set(v->err, rc, "%s", perr.msg);
    if (rc != SK_OK) {
        char msg[SK_ERROR_MSG_MAX + 96];
        add(v, kz->path, 0, "package-kustomization", "%s", in_file(&perr, msg, sizeof msg));
        return;
    }
    const json_t *k = docs.n == 1 ? docs.doc[0] : NULL;
    const json_t *res = json_object_get(k, "resources");
    if (k == NULL)
        add(v, kz->path, 0, "package-kustomization", "expected one document, found %zu", docs.n);
    else if (res != NULL && !json_is_array(res))
        add(v, kz->path, 0, "package-kustomization", "resources: must be a list");
    else
        check_resources(v, o, kz->path, res);
    if (k != NULL) check_scope(v, kz->path, k, namespaces);
    sk_docs_free(&docs);
}

static void check_overlay(vstate *v, const char *o)
{
    strs namespaces = {0};
    const sk_package_entry *kz = NULL;
    for (size_t i = 0; i < v->p->n; i++) {
        const sk_package_entry *e = &v->p->entries[i];
        const char *base = in_overlay(e, o);
        if (base == NULL) continue;
        if (strcmp(base, SK_PACKAGE_KUSTOMIZATION) == 0)
            kz = e;
        else if (sk_pkg_is_kustomization_name(base))
            add(v, e->path, 0, "package-kustomization",
                "kustomize reads one kustomization file "
                "per folder; a package's is " SK_PACKAGE_KUSTOMIZATION);
        else
            check_sealed_file(v, e, &namespaces);
    }
    if (namespaces.n > 1)
        add(v, o, 0, "package-namespace",
            "SealedSecrets in %zu namespaces (%s, %s...); a package "
            "delivers one namespace",
            namespaces.n, namespaces.v[0], namespaces.v[1]);
    if (kz == NULL)
        add(v, o, 0, "package-kustomization", "the overlay has no " SK_PACKAGE_KUSTOMIZATION);
    else
        check_kustomization(v, o, kz, &namespaces);
    strs_free(&namespaces);
}

/* A kustomization sealkit writes itself: apiVersion, kind and resources naming exactly want. */
static void check_listing(vstate *v, const char *kzpath, const strs *want)
{
    const sk_package_entry *kz = find(v->p, kzpath);
    if (kz == NULL) {
        add(v, kzpath, 0, "package-kustomization", "missing; it lists the folders below it");
        return;
    }
    sk_docs docs = {0};
    sk_error perr = {0};
    int rc = sk_docs_parse(kz->data.data, kz->data.len, kz->path, &docs, &perr);
    if (rc == SK_ENOMEM && v->rc == SK_OK) v->rc = sk_error_set(v->err, rc, "%s", perr.msg);
    const json_t *k = rc == SK_OK && docs.n == 1 ? docs.doc[0] : NULL;
    const json_t *res = json_object_get(k, "resources");
    const char *api = json_string_value(json_object_get(k, "apiVersion"));
    int good = json_is_array(res) && json_array_size(res) == want->n && json_object_size(k) == 3 &&
               api && strcmp(api, SK_KUSTOMIZE_API) == 0;
    for (size_t i = 0; good && i < want->n; i++) {
        const char *s = json_string_value(json_array_get(res, i));
        good = s != NULL && strs_has(want, s);
        for (size_t j = 0; good && j < i; j++)
            good = strcmp(s, json_string_value(json_array_get(res, j))) != 0;
    }
    if (!good)
        add(v, kzpath, 0, "package-kustomization",
            "must hold apiVersion, kind and resources listing exactly the %zu folder(s) "
            "beside it (%s%s)",
            want->n, want->n ? want->v[0] : "", want->n > 1 ? ", ..." : "");
    if (rc == SK_OK) sk_docs_free(&docs);
}

static void check_tree(vstate *v, const char *o)
{
    strs sets = {0}, top = {0};
    check_tree_layout(v, o, &sets);
    strs_add(v, &top, SK_PACKAGE_SECRETS_DIR, strlen(SK_PACKAGE_SECRETS_DIR));
    char path[SK_PKG_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", o, SK_PACKAGE_KUSTOMIZATION);
    check_listing(v, path, &top);
    snprintf(path, sizeof path, "%s/%s/%s", o, SK_PACKAGE_SECRETS_DIR, SK_PACKAGE_KUSTOMIZATION);
    check_listing(v, path, &sets);
    if (sets.n == 0)
        add(v, o, 0, "package-layout", "no package folder in %s/%s", o, SK_PACKAGE_SECRETS_DIR);
    for (size_t i = 0; i < sets.n; i++) {
        snprintf(path, sizeof path, "%s/%s/%s", o, SK_PACKAGE_SECRETS_DIR, sets.v[i]);
        check_overlay(v, path);
    }
    strs_free(&sets);
    strs_free(&top);
}

/* The layout of this release (o/sealed-secrets/) or an earlier one (files directly in o/). */
static void check_any_overlay(vstate *v, const char *o)
{
    char tree[SK_PKG_PATH_MAX];
    snprintf(tree, sizeof tree, "%s/%s", o, SK_PACKAGE_SECRETS_DIR);
    for (size_t i = 0; i < v->p->n; i++) {
        const char *p = v->p->entries[i].path;
        if (strncmp(p, tree, strlen(tree)) == 0 &&
            (p[strlen(tree)] == '\0' || p[strlen(tree)] == '/')) {
            check_tree(v, o);
            return;
        }
    }
    check_flat_layout(v, o);
    check_overlay(v, o);
}

int sk_package_verify(const sk_package *p, const char *source, const sk_verify_opts *opts,
                      sk_findings *out, sk_package_summary *sum, sk_error *err)
{
    if (opts != NULL && opts->version != SK_VERIFY_OPTS_VERSION)
        return sk_error_set(err, SK_EUSAGE, "sk_verify_opts version %u is not supported",
                            opts->version);
    if (sum != NULL && sum->version != SK_PACKAGE_SUMMARY_VERSION)
        return sk_error_set(err, SK_EUSAGE, "sk_package_summary version %u is not supported",
                            sum->version);
    vstate v = {p, source ? source : "package", opts, out, SK_PACKAGE_SUMMARY_INIT, err, SK_OK};
    strs overlays = {0};
    check_layout(&v, &overlays);
    for (size_t i = 0; i < overlays.n; i++)
        check_any_overlay(&v, overlays.v[i]);
    v.sum.overlays = overlays.n;
    strs_free(&overlays);
    if (sum != NULL) *sum = v.sum;
    return v.rc;
}
