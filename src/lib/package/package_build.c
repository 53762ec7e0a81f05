/*
 * Building a package: the same inputs always give the same bytes. Fixed:
 * entry order (byte order), ustar headers with uid/gid 0, empty user and
 * group names, modes 0755/0644 and one mtime; the gzip header (mtime 0, no
 * file name, XFL 2 for level 9, OS 3) - libarchive 3.6's gzip filter never
 * writes a name and writes mtime 0 when its "timestamp" option is off. The
 * deflate stream itself depends on the zlib version.
 */
#include <sealkit/package.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sealkit/emit.h>

#include "package/package_internal.h"

typedef struct member {
    const char *name; /* basename */
    const unsigned char *data;
    size_t len;
} member;

static int oom(sk_error *err)
{
    return sk_error_set(err, SK_ENOMEM, "out of memory");
}

static int member_cmp(const void *a, const void *b)
{
    return strcmp(((const member *)a)->name, ((const member *)b)->name);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The inputs as members sorted by name, after the checks on names and sizes. */
static int collect(const sk_package_input *in, size_t n, member *m, sk_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        m[i] = (member){base_name(in[i].path), in[i].data, in[i].len};
        if (!sk_pkg_valid_file_name(m[i].name))
            return sk_error_set(err, SK_EINVAL,
                                "%s: file name must be [A-Za-z0-9][A-Za-z0-9._-]*"
                                " (at most %d bytes)",
                                in[i].path, SK_PACKAGE_FILE_NAME_MAX);
        if (sk_pkg_is_kustomization_name(m[i].name))
            return sk_error_set(err, SK_EINVAL,
                                "%s: the package writes its own kustomization; "
                                "pass it with --kustomization",
                                in[i].path);
        total += in[i].len;
    }
    if (total > SK_PACKAGE_MAX_TOTAL)
        return sk_error_set(err, SK_ELIMIT, "the files hold more than %u MiB in all",
                            SK_PACKAGE_MAX_TOTAL >> 20);
    qsort(m, n, sizeof *m, member_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(m[i - 1].name, m[i].name) == 0)
            return sk_error_set(err, SK_EINVAL,
                                "two files are named %s; names in a package must "
                                "be distinct",
                                m[i].name);
    return SK_OK;
}

/* "ns/name" of every SealedSecret seen so far; kustomize refuses a duplicate id. */
typedef struct ids {
    char **v;
    const char **file;
    size_t n;
} ids;

static int ids_add(ids *s, const json_t *doc, const char *file, sk_error *err)
{
    const json_t *meta = json_object_get(doc, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    char id[512];
    snprintf(id, sizeof id, "%s/%s", ns ? ns : "", name);
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], id) == 0)
            return sk_error_set(err, SK_EINVAL,
                                "SealedSecret %.200s is in both %s and %s; "
                                "kustomize refuses a duplicate",
                                id, s->file[i], file);
    char **v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (v != NULL) s->v = v;
    const char **f = v ? realloc(s->file, (s->n + 1) * sizeof *f) : NULL;
    if (f != NULL) s->file = f;
    if (v == NULL || f == NULL || (s->v[s->n] = strdup(id)) == NULL) return oom(err);
    s->file[s->n++] = file;
    return SK_OK;
}

static void ids_free(ids *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    free(s->file);
}

static int check_inputs(const sk_package_input *in, size_t n, const char *ns, sk_error *err)
{
    ids seen = {0};
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < n; i++) {
        sk_docs docs = {0};
        rc = sk_pkg_parse_sealed_file(&in[i], ns, &docs, err);
        for (size_t d = 0; rc == SK_OK && d < docs.n; d++)
            rc = ids_add(&seen, docs.doc[d], in[i].path, err);
        if (docs.doc != NULL) sk_docs_free(&docs);
    }
    ids_free(&seen);
    return rc;
}

/* The user's kustomization, checked; its resources may name only packaged files. */
static int user_kustomization(const sk_package_opts *o, const member *m, size_t n, json_t **out,
                              sk_error *err)
{
    const char *src = o->kustomization_source ? o->kustomization_source : "kustomization";
    sk_docs docs = {0};
    int rc = sk_docs_parse(o->kustomization, o->kustomization_len, src, &docs, err);
    if (rc != SK_OK) return rc;
    if (docs.n != 1)
        rc = sk_error_set(err, SK_EINVAL, "%s: expected one kustomization document, found %zu", src,
                          docs.n);
    if (rc == SK_OK) rc = sk_pkg_check_kustomization_doc(docs.doc[0], src, o->namespace_, err);
    size_t i;
    const json_t *r;
    json_array_foreach(rc == SK_OK ? json_object_get(docs.doc[0], "resources") : NULL, i, r)
    {
        const char *s = json_string_value(r);
        member key = {s, NULL, 0};
        if (s == NULL || bsearch(&key, m, n, sizeof *m, member_cmp) == NULL) {
            char shown[128];
            sk_pkg_printable(s ? s : "(not a string)", shown, sizeof shown);
            rc = sk_error_set(err, SK_EINVAL,
                              "%s: resources[%zu] \"%s\" is not one of the "
                              "packaged files; a package is self-contained",
                              src, i + 1, shown);
            break;
        }
    }
    if (rc == SK_OK) *out = json_incref(docs.doc[0]);
    sk_docs_free(&docs);
    return rc;
}

/* A kustomization listing names (sorted by the caller) over base (NULL: a fresh one); consumed. */
static int kustomization_of(json_t *base, const char *const *names, size_t n, sk_secbuf *out,
                            sk_error *err)
{
    json_t *k = base ? base : json_object();
    json_t *res = json_array();
    int bad = res == NULL;
    for (size_t i = 0; !bad && i < n; i++)
        bad = json_array_append_new(res, json_string(names[i]));
    if (bad) {
        json_decref(res);
        res = NULL;
    }
    int rc = SK_OK;
    /* json_object_set_new releases the value on failure, and fails on a NULL object or value. */
    if (json_object_set_new(k, "resources", res) != 0 ||
        json_object_set_new(k, "apiVersion", json_string(SK_KUSTOMIZE_API)) != 0 ||
        json_object_set_new(k, "kind", json_string(SK_KUSTOMIZE_KIND)) != 0)
        rc = oom(err);
    sk_secbuf yaml = SK_SECBUF_INIT;
    if (rc == SK_OK) rc = sk_emit_yaml(k, &yaml, err);
    /* Drop the emitter's leading "---\n": kustomization.yaml is one document. */
    size_t skip = yaml.len >= 4 && memcmp(yaml.data, "---\n", 4) == 0 ? 4 : 0;
    if (rc == SK_OK) rc = sk_secbuf_append(out, yaml.data + skip, yaml.len - skip, err);
    sk_secbuf_free(&yaml);
    json_decref(k);
    return rc;
}

int sk_pkg_kustomization_listing(const char *const *names, size_t n, sk_secbuf *out, sk_error *err)
{
    return kustomization_of(NULL, names, n, out, err);
}

static int kustomization(const sk_package_opts *o, const member *m, size_t n, sk_secbuf *out,
                         sk_error *err)
{
    json_t *k = NULL;
    int rc = o->kustomization ? user_kustomization(o, m, n, &k, err) : SK_OK;
    if (rc != SK_OK) return rc;
    const char **names = calloc(n + 1, sizeof *names);
    if (names == NULL) {
        json_decref(k);
        return oom(err);
    }
    for (size_t i = 0; i < n; i++)
        names[i] = m[i].name;
    rc = kustomization_of(k, names, n, out, err);
    free(names);
    return rc;
}

typedef struct sink {
    sk_secbuf *out;
    sk_error *err;
    int rc; /* of the append that failed */
} sink;

static la_ssize_t sink_write(struct archive *a, void *ud, const void *buf, size_t n)
{
    sink *s = ud;
    if ((s->rc = sk_secbuf_append(s->out, buf, n, s->err)) != SK_OK) {
        archive_set_error(a, ENOMEM, "out of memory");
        return -1;
    }
    return (la_ssize_t)n;
}

/* One entry of the archive: a folder when data is NULL and len 0 and dir is set. */
typedef struct tentry {
    char path[SK_PKG_PATH_MAX];
    int dir;
    const unsigned char *data;
    size_t len;
} tentry;

static int write_entry(struct archive *a, struct archive_entry *e, const tentry *t, int64_t mtime)
{
    char path[SK_PKG_PATH_MAX + 1];
    snprintf(path, sizeof path, "%s%s", t->path, t->dir ? "/" : "");
    archive_entry_clear(e);
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, t->dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, t->dir ? 0755 : 0644);
    archive_entry_set_size(e, (la_int64_t)t->len);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, (time_t)mtime, 0);
    if (archive_write_header(a, e) != ARCHIVE_OK) return -1;
    if (t->len > 0 && archive_write_data(a, t->data, t->len) != (la_ssize_t)t->len) return -1;
    return 0;
}

static struct archive *new_writer(void)
{
    struct archive *a = archive_write_new();
    if (a == NULL) return NULL;
    if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
        archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
        /* A NULL value turns the option off: gzip header mtime 0. */
        archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
        archive_write_set_filter_option(a, "gzip", "compression-level", "9") != ARCHIVE_OK ||
        /* Without this the gzip stream is followed by zeros up to a 10 KiB block. */
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK) {
        archive_write_free(a);
        return NULL;
    }
    return a;
}

/* The entries of a package, in the order they are written. */
typedef struct plan {
    tentry *t;
    size_t n, cap;
    sk_secbuf *kz; /* the kustomizations sealkit writes: three per overlay */
    size_t n_kz;
} plan;

static tentry *plan_add(plan *p, int dir, const unsigned char *data, size_t len, const char *fmt,
                        ...) SK_PRINTF(5, 6);

static tentry *plan_add(plan *p, int dir, const unsigned char *data, size_t len, const char *fmt,
                        ...)
{
    if (p->n == p->cap) return NULL; /* sized by the caller */
    tentry *t = &p->t[p->n++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->path, sizeof t->path, fmt, ap);
    va_end(ap);
    t->dir = dir;
    t->data = data;
    t->len = len;
    return t;
}

static void plan_free(plan *p)
{
    for (size_t i = 0; i < p->n_kz; i++)
        sk_secbuf_free(&p->kz[i]);
    free(p->kz);
    free(p->t);
}

static int write_archive(const plan *p, int64_t mtime, sk_secbuf *out, sk_error *err)
{
    struct archive *a = new_writer();
    struct archive_entry *e = archive_entry_new();
    sink s = {out, err, SK_OK};
    int bad = a == NULL || e == NULL || archive_write_open(a, &s, NULL, sink_write, NULL) != 0;
    for (size_t i = 0; !bad && i < p->n; i++)
        bad = write_entry(a, e, &p->t[i], mtime) != 0;
    bad = bad || archive_write_close(a) != ARCHIVE_OK;
    int rc = SK_OK;
    if (bad && s.rc != SK_OK)
        rc = s.rc; /* err says why */
    else if (bad)
        rc = sk_error_set(err, SK_EIO, "cannot build the archive: %s",
                          a && archive_error_string(a) ? archive_error_string(a) : "libarchive");
    archive_entry_free(e);
    if (a != NULL) archive_write_free(a);
    return rc;
}

static int check_overlays(const sk_package_overlay *ov, size_t n_ov, sk_error *err)
{
    if (n_ov == 0) return sk_error_set(err, SK_EUSAGE, "no overlay to package");
    size_t files = 0;
    for (size_t i = 0; i < n_ov; i++) {
        const char *name = ov[i].name ? ov[i].name : SK_PACKAGE_OVERLAY;
        if (!sk_pkg_valid_file_name(name))
            return sk_error_set(err, SK_EUSAGE,
                                "overlay \"%.64s\": must be [A-Za-z0-9][A-Za-z0-9._-]*", name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(name, ov[j].name ? ov[j].name : SK_PACKAGE_OVERLAY) == 0)
                return sk_error_set(err, SK_EUSAGE, "overlay \"%.64s\" given twice", name);
        if (ov[i].n == 0)
            return sk_error_set(err, SK_EUSAGE, "overlay %.64s: no SealedSecret files to package",
                                name);
        files += ov[i].n + 6; /* three folders and three kustomizations per overlay */
    }
    if (files > SK_PACKAGE_MAX_ENTRIES)
        return sk_error_set(err, SK_ELIMIT, "%zu entries: a package holds at most %d", files,
                            SK_PACKAGE_MAX_ENTRIES);
    return SK_OK;
}

/* The overlay's entries: <o>/, its kustomization, sealed-secrets/ and its own, <set>/ and files. */
static int plan_overlay(const sk_package_opts *o, const sk_package_overlay *ov, plan *p,
                        sk_error *err)
{
    const char *on = ov->name ? ov->name : SK_PACKAGE_OVERLAY;
    member *m = calloc(ov->n + 1, sizeof *m);
    if (m == NULL) return oom(err);
    sk_secbuf *kz = &p->kz[p->n_kz];
    p->n_kz += 3;
    const char *dir = SK_PACKAGE_SECRETS_DIR;
    int rc = collect(ov->in, ov->n, m, err);
    if (rc == SK_OK) rc = check_inputs(ov->in, ov->n, o->namespace_, err);
    if (rc == SK_OK) rc = sk_pkg_kustomization_listing(&dir, 1, &kz[0], err);
    if (rc == SK_OK) rc = sk_pkg_kustomization_listing(&o->set, 1, &kz[1], err);
    if (rc == SK_OK) rc = kustomization(o, m, ov->n, &kz[2], err);
    if (rc == SK_OK) {
        plan_add(p, 1, NULL, 0, "%s", on);
        plan_add(p, 0, kz[0].data, kz[0].len, "%s/%s", on, SK_PACKAGE_KUSTOMIZATION);
        plan_add(p, 1, NULL, 0, "%s/%s", on, dir);
        plan_add(p, 0, kz[1].data, kz[1].len, "%s/%s/%s", on, dir, SK_PACKAGE_KUSTOMIZATION);
        plan_add(p, 1, NULL, 0, "%s/%s/%s", on, dir, o->set);
        m[ov->n] = (member){SK_PACKAGE_KUSTOMIZATION, kz[2].data, kz[2].len};
        qsort(m, ov->n + 1, sizeof *m, member_cmp);
        for (size_t i = 0; i <= ov->n; i++)
            plan_add(p, 0, m[i].data, m[i].len, "%s/%s/%s/%s", on, dir, o->set, m[i].name);
    }
    free(m);
    return rc;
}

int sk_package_build_overlays(const sk_package_opts *o, const sk_package_overlay *ov, size_t n_ov,
                              sk_secbuf *out, sk_error *err)
{
    if (o == NULL) return sk_error_set(err, SK_EUSAGE, "sk_package_opts is NULL");
    char name[SK_PACKAGE_NAME_MAX];
    int rc = sk_package_filename(o, name, sizeof name, err);
    if (rc == SK_OK) rc = check_overlays(ov, n_ov, err);
    if (rc != SK_OK) return rc;
    plan p = {0};
    size_t total = 0;
    for (size_t i = 0; i < n_ov; i++)
        total += ov[i].n + 6;
    p.cap = total;
    p.t = calloc(total, sizeof *p.t);
    p.kz = calloc(3 * n_ov, sizeof *p.kz);
    if (p.t == NULL || p.kz == NULL) rc = oom(err);
    for (size_t i = 0; rc == SK_OK && i < n_ov; i++)
        rc = plan_overlay(o, &ov[i], &p, err);
    sk_secbuf tmp = SK_SECBUF_INIT;
    if (rc == SK_OK) rc = write_archive(&p, o->mtime, &tmp, err);
    if (rc == SK_OK) {
        sk_secbuf_free(out);
        *out = tmp;
    } else {
        sk_secbuf_free(&tmp);
    }
    plan_free(&p);
    return rc;
}

int sk_package_build(const sk_package_opts *o, const sk_package_input *in, size_t n, sk_secbuf *out,
                     sk_error *err)
{
    if (o == NULL) return sk_error_set(err, SK_EUSAGE, "sk_package_opts is NULL");
    if (o->version == SK_PACKAGE_OPTS_VERSION && n == 0)
        return sk_error_set(err, SK_EUSAGE, "no SealedSecret files to package");
    sk_package_overlay ov = {o->overlay, in, n};
    return sk_package_build_overlays(o, &ov, 1, out, err);
}
