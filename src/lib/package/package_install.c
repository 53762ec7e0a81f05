/*
 * Installing packages into a manifests folder: each package's set goes to
 * <overlay>/sealed-secrets/<set>/, <overlay>/sealed-secrets/kustomization.yaml
 * lists the sets, and <overlay>/kustomization.yaml is made only when there is
 * none (a team's own is never touched). .sealkit-install.json records what was
 * written (file hashes, the Secrets each set carries), so that install can
 * tell its files from everyone else's and refuse two packages that carry the
 * same Secret. Everything is staged first and committed by renames
 * (package_install_fs.c): a refused install writes nothing, a killed one is
 * finished or rolled back by the next.
 */
#include <sealkit/package.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sealkit/io.h>

#include "package/package_install_internal.h"
#include "package/package_internal.h"

#define STATE ".sealkit-install.json"
#define LOCK ".sealkit-install.lock"
#define SCHEMA "sealkit-install/v1"
#define HEX_SHA (2 * crypto_hash_sha256_BYTES + 1)

/* A set of an overlay, from a package being installed. */
typedef struct unit {
    json_t *rec; /* {overlay, set, package, sha256, date, files: {name: sha256}, secrets: {id:
                    sha256}} */
    const sk_package *pkg;
    char prefix[SK_PKG_PATH_MAX]; /* its folder inside pkg */
} unit;

typedef struct inst {
    int dirfd;
    const char *shown;
    json_t *state; /* as on disk, then as it will be */
    unit *u;
    size_t n_u;
    sk_package *pkgs;
    size_t n_pkgs;
    json_t *dropped; /* installed sets a newer package of their set no longer carries */
    sk_install_report *rep;
    sk_error *err;
} inst;

static int oom(sk_error *err)
{
    sk_error_set(err, SK_ENOMEM, "out of memory");
    return SK_ENOMEM; /* a constant, so that the analyzer sees the failure path */
}

static void sha_hex(const void *data, size_t len, char out[HEX_SHA])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, HEX_SHA, h, sizeof h);
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* ---- the state file ---- */

static int load_state(inst *in)
{
    if (!sk_pkg_exists(in->dirfd, STATE)) {
        in->state =
            json_pack("{s:s, s:[], s:{}, s:[]}", "schema", SCHEMA, "units", "listings", "created");
        return in->state ? SK_OK : oom(in->err);
    }
    sk_secbuf b = SK_SECBUF_INIT;
    int rc = sk_read_at(in->dirfd, STATE, STATE, SK_MAX_INPUT, &b, NULL, in->err);
    if (rc != SK_OK) return rc;
    in->state = json_loadb((const char *)b.data, b.len, 0, NULL);
    sk_secbuf_free(&b);
    if (!json_is_array(json_object_get(in->state, "units")) ||
        !json_is_object(json_object_get(in->state, "listings")) ||
        !json_is_array(json_object_get(in->state, "created")) ||
        strcmp(str(in->state, "schema"), SCHEMA) != 0)
        return sk_error_set(in->err, SK_EPARSE, "%s/" STATE ": not an install record of %s",
                            in->shown, SCHEMA);
    return SK_OK;
}

/* ---- what a package delivers ---- */

/* "YYYYMMDD" from "<ns>-<set>-secrets-YYYYMMDD.tar.gz", or "". */
static void date_of(const char *name, char out[9])
{
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    const char *tail = strstr(base, "-secrets-");
    int64_t t;
    out[0] = '\0';
    if (tail && strlen(tail) == 24 && strcmp(tail + 17, ".tar.gz") == 0) {
        snprintf(out, 9, "%.8s", tail + 9);
        if (sk_package_parse_date(out, &t, NULL) != SK_OK) out[0] = '\0';
    }
}

/* Every SealedSecret of a file as "ns/name" -> hash of its content. */
static int add_secrets(json_t *secrets, const sk_package_entry *e, sk_error *err)
{
    sk_docs docs = {0};
    int rc = sk_docs_parse(e->data.data, e->data.len, e->path, &docs, err);
    for (size_t d = 0; rc == SK_OK && d < docs.n; d++) {
        const json_t *meta = json_object_get(docs.doc[d], "metadata");
        char id[300], hex[HEX_SHA];
        snprintf(id, sizeof id, "%s/%s", str(meta, "namespace"), str(meta, "name"));
        char *text = json_dumps(docs.doc[d], JSON_COMPACT | JSON_SORT_KEYS);
        if (text == NULL) rc = oom(err);
        if (text != NULL) sha_hex(text, strlen(text), hex);
        free(text);
        if (rc == SK_OK && json_object_set_new(secrets, id, json_string(hex)) != 0) rc = oom(err);
    }
    if (docs.doc != NULL) sk_docs_free(&docs);
    return rc;
}

static int fill_unit(unit *u, const char *name, const char *sha, sk_error *err)
{
    json_t *files = json_object(), *secrets = json_object();
    char date[9];
    date_of(name, date);
    name = strrchr(name, '/') ? strrchr(name, '/') + 1 : name; /* the record outlives the path */
    size_t n = strlen(u->prefix);
    int rc = files && secrets ? SK_OK : oom(err);
    for (size_t i = 0; rc == SK_OK && i < u->pkg->n; i++) {
        const sk_package_entry *e = &u->pkg->entries[i];
        if (e->is_dir || strncmp(e->path, u->prefix, n) != 0 || e->path[n] != '/') continue;
        char hex[HEX_SHA];
        sha_hex(e->data.data, e->data.len, hex);
        if (json_object_set_new(files, e->path + n + 1, json_string(hex)) != 0) rc = oom(err);
        if (rc == SK_OK && strcmp(e->path + n + 1, SK_PACKAGE_KUSTOMIZATION) != 0)
            rc = add_secrets(secrets, e, err);
    }
    const char *slash = strrchr(u->prefix, '/');
    char overlay[SK_PACKAGE_FILE_NAME_MAX + 1];
    snprintf(overlay, sizeof overlay, "%.*s", (int)strcspn(u->prefix, "/"), u->prefix);
    if (rc == SK_OK)
        u->rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "overlay", overlay, "set",
                           slash + 1, "package", name, "sha256", sha, "date", date, "files", files,
                           "secrets", secrets);
    else {
        json_decref(files);
        json_decref(secrets);
    }
    return rc == SK_OK && u->rec == NULL ? oom(err) : rc;
}

static int refuse_flat(const char *name, const char *overlay, sk_error *err)
{
    sk_error_set(err, SK_EINVAL,
                 "%s: overlay %s holds its files directly (a package of an earlier sealkit); "
                 "install needs each package in a folder of its own",
                 name, overlay);
    sk_error_hint(err, "build it again with this sealkit's 'sealkit package'");
    return SK_EINVAL;
}

/* One unit per "<overlay>/sealed-secrets/<set>" folder of the package. */
static int units_of(inst *in, const sk_package *p, const char *name, const char *sha)
{
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < p->n; i++) {
        const char *path = p->entries[i].path, *s1 = strchr(path, '/');
        const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
        if (s1 && !s2 && strcmp(s1 + 1, SK_PACKAGE_SECRETS_DIR) != 0 &&
            strcmp(s1 + 1, SK_PACKAGE_KUSTOMIZATION) != 0)
            return refuse_flat(name, path, in->err);
        if (!p->entries[i].is_dir || s2 == NULL || strchr(s2 + 1, '/') != NULL) continue;
        unit *grown = realloc(in->u, (in->n_u + 1) * sizeof *grown);
        if (grown == NULL) return oom(in->err);
        in->u = grown;
        unit *u = &in->u[in->n_u++];
        *u = (unit){NULL, p, ""};
        snprintf(u->prefix, sizeof u->prefix, "%s", path);
        rc = fill_unit(u, name, sha, in->err);
    }
    return rc;
}

static int verify_one(inst *in, const sk_install_input *x, const sk_verify_opts *vo, sk_findings *f,
                      sk_package *p)
{
    int rc = sk_package_read(x->data, x->len, p, in->err);
    if (rc != SK_OK) {
        sk_error_prefix(in->err, "%s", x->name);
        return rc;
    }
    size_t before = sk_findings_count(f, SK_SEVERITY_ERROR);
    sk_package_summary sum = SK_PACKAGE_SUMMARY_INIT;
    rc = sk_package_verify(p, x->name, vo, f, &sum, in->err);
    size_t errors = sk_findings_count(f, SK_SEVERITY_ERROR) - before;
    if (rc == SK_OK && errors > 0) {
        sk_error_set(in->err, SK_EINVAL, "%s: does not verify (%zu errors); nothing installed",
                     x->name, errors);
        sk_error_hint(in->err, "sealkit package verify %s", x->name);
        return SK_EINVAL;
    }
    char sha[HEX_SHA];
    sha_hex(x->data, x->len, sha);
    return rc == SK_OK ? units_of(in, p, x->name, sha) : rc;
}

/* ---- deciding what changes ---- */

static json_t *find_unit(const json_t *units, const char *overlay, const char *set, size_t *at)
{
    size_t i;
    json_t *u;
    json_array_foreach(units, i, u)
    {
        if (strcmp(str(u, "overlay"), overlay) == 0 && strcmp(str(u, "set"), set) == 0) {
            if (at) *at = i;
            return u;
        }
    }
    return NULL;
}

static int refuse_twice(const json_t *a, const json_t *b, sk_error *err)
{
    return sk_error_set(err, SK_EUSAGE, "%s and %s both deliver set %s of overlay %s; give one",
                        str(a, "package"), str(b, "package"), str(a, "set"), str(a, "overlay"));
}

static int refuse_older(const json_t *nw, const json_t *old, sk_error *err)
{
    sk_error_set(
        err, SK_EINVAL, "%s (%s) is older than the installed %s (%s) of set %s; nothing installed",
        str(nw, "package"), str(nw, "date"), str(old, "package"), str(old, "date"), str(nw, "set"));
    sk_error_hint(err, "pass --force to go back to the older package");
    return SK_EINVAL;
}

/* Replaces or adds u in units; *changed when it is not the very package installed. */
static int merge_unit(json_t *units, const unit *u, int force, int *changed, sk_error *err)
{
    size_t at;
    json_t *old = find_unit(units, str(u->rec, "overlay"), str(u->rec, "set"), &at);
    *changed = old == NULL || strcmp(str(old, "sha256"), str(u->rec, "sha256")) != 0;
    if (old != NULL && !*changed) return SK_OK;
    const char *nd = str(u->rec, "date"), *od = old ? str(old, "date") : "";
    if (old != NULL && !force && *nd && *od && strcmp(nd, od) < 0)
        return refuse_older(u->rec, old, err);
    int bad = old ? json_array_set(units, at, u->rec) : json_array_append(units, u->rec);
    return bad ? oom(err) : SK_OK;
}

static int refuse_conflict(const json_t *a, const json_t *b, const char *id, int same,
                           sk_error *err)
{
    sk_error_set(err, SK_EINVAL,
                 "%s and %s both carry SealedSecret %s (overlay %s)%s; kustomize refuses two "
                 "objects of one name (and with tar xzf the later package silently wins); "
                 "nothing installed",
                 str(a, "package"), str(b, "package"), id, str(a, "overlay"),
                 same ? ", the same" : " with different content");
    sk_error_hint(err, "deliver each Secret from one package: seal the other under a name of "
                       "its own, or merge the items into one package");
    return SK_EINVAL;
}

/* Two sets of one overlay must not carry the same Secret. */
static int check_conflicts(const json_t *units, sk_error *err)
{
    size_t i, j;
    json_t *a, *b;
    json_array_foreach(units, i, a)
    {
        json_array_foreach(units, j, b)
        {
            if (j <= i || strcmp(str(a, "overlay"), str(b, "overlay")) != 0) continue;
            const char *id;
            json_t *ha;
            json_object_foreach(json_object_get(a, "secrets"), id, ha)
            {
                const char *hb =
                    json_string_value(json_object_get(json_object_get(b, "secrets"), id));
                if (hb != NULL)
                    return refuse_conflict(a, b, id, strcmp(hb, json_string_value(ha)) == 0, err);
            }
        }
    }
    return SK_OK;
}

/* ---- what is on disk must be what install wrote ---- */

static int not_ours(const inst *in, const char *rel, const char *why)
{
    sk_error_set(in->err, SK_EINVAL,
                 "%s/%s: %s; install never touches files it did not write; nothing installed",
                 in->shown, rel, why);
    sk_error_hint(in->err, "move it out of the way (or restore it), then install again");
    return SK_EINVAL;
}

/* The file rel (in folder fd) exists exactly as hashed (want NULL: must not exist). */
static int check_file(const inst *in, int fd, const char *name, const char *rel, const char *want)
{
    if (!sk_pkg_exists(fd, name)) return SK_OK;
    if (want == NULL)
        return not_ours(in, rel, "exists and was not written by sealkit package install");
    sk_secbuf b = SK_SECBUF_INIT;
    char hex[HEX_SHA] = "";
    int rc = sk_read_at(fd, name, rel, SK_PACKAGE_MAX_ENTRY, &b, NULL, in->err);
    if (rc == SK_OK) sha_hex(b.data, b.len, hex);
    sk_secbuf_free(&b);
    if (rc == SK_OK && strcmp(hex, want) != 0)
        return not_ours(in, rel, "changed since install wrote it");
    return rc;
}

/* An installed set's folder holds exactly the files recorded, unchanged. */
static int check_set_dir(const inst *in, const json_t *old, const char *rel)
{
    int fd = -1;
    if (sk_pkg_open_dir(in->dirfd, rel, 0, rel, &fd, in->err) != SK_OK)
        return sk_pkg_exists(in->dirfd, rel) ? SK_EIO : SK_OK; /* gone: nothing to keep */
    const json_t *files = json_object_get(old, "files");
    const char *name;
    json_t *h;
    char path[SK_PKG_PATH_MAX + 8];
    json_object_foreach((json_t *)files, name, h)
    {
        snprintf(path, sizeof path, "%s/%s", rel, name);
        int rc = check_file(in, fd, name, path, json_string_value(h));
        if (rc != SK_OK) {
            close(fd);
            return rc;
        }
    }
    int rc = SK_OK;
    int lfd = dup(fd);
    DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
    if (d == NULL) {
        if (lfd >= 0) close(lfd);
        rc = sk_error_set(in->err, SK_EIO, "%s: cannot list: %s", rel, strerror(errno));
    }
    for (struct dirent *e; d && rc == SK_OK && (e = readdir(d)) != NULL;) {
        /* Only for the message: a name cut short there still names the folder. */
        if (snprintf(path, sizeof path, "%s/%s", rel, e->d_name) >= (int)sizeof path)
            path[sizeof path - 2] = '~';
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            json_object_get(files, e->d_name) == NULL)
            rc = not_ours(in, path, "was not written by sealkit package install");
    }
    if (d) closedir(d);
    close(fd);
    return rc;
}

static int preflight_unit(const inst *in, const json_t *old_units, const json_t *rec)
{
    char rel[SK_PKG_PATH_MAX];
    snprintf(rel, sizeof rel, "%s/%s/%s", str(rec, "overlay"), SK_PACKAGE_SECRETS_DIR,
             str(rec, "set"));
    const json_t *old = find_unit(old_units, str(rec, "overlay"), str(rec, "set"), NULL);
    if (old != NULL) return check_set_dir(in, old, rel);
    return sk_pkg_exists(in->dirfd, rel)
               ? not_ours(in, rel, "exists and was not written by sealkit package install")
               : SK_OK;
}

static int preflight_overlay(const inst *in, const char *o)
{
    char rel[SK_PKG_PATH_MAX], path[SK_PKG_PATH_MAX + 32];
    snprintf(rel, sizeof rel, "%s/%s", o, SK_PACKAGE_SECRETS_DIR);
    snprintf(path, sizeof path, "%s/%s", rel, SK_PACKAGE_KUSTOMIZATION);
    int fd = -1;
    if (!sk_pkg_exists(in->dirfd, o)) return SK_OK;
    if (sk_pkg_open_dir(in->dirfd, o, 0, o, &fd, in->err) != SK_OK) return SK_EIO;
    int has = sk_pkg_exists(fd, SK_PACKAGE_SECRETS_DIR);
    close(fd);
    if (!has) return SK_OK;
    if (sk_pkg_open_dir(in->dirfd, rel, 0, rel, &fd, in->err) != SK_OK) return SK_EIO;
    const char *want =
        json_string_value(json_object_get(json_object_get(in->state, "listings"), o));
    int rc = check_file(in, fd, SK_PACKAGE_KUSTOMIZATION, path, want);
    close(fd);
    return rc;
}

/* ---- staging and committing ---- */

typedef struct stager {
    int fd; /* the stage folder */
    sk_secbuf mk, swap, put;
    sk_error *err;
} stager;

static int line(sk_secbuf *b, sk_error *err, const char *fmt, ...) SK_PRINTF(3, 4);

static int line(sk_secbuf *b, sk_error *err, const char *fmt, ...)
{
    char l[3 * SK_PKG_PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l, sizeof l, fmt, ap);
    va_end(ap);
    return sk_secbuf_puts(b, l, err);
}

static int stage_unit(stager *s, const unit *u, size_t k)
{
    char name[32];
    snprintf(name, sizeof name, "n%zu", k);
    if (mkdirat(s->fd, name, 0755) != 0)
        return sk_error_set(s->err, SK_EIO, "cannot stage %s: %s", u->prefix, strerror(errno));
    int fd = -1, rc = sk_pkg_open_dir(s->fd, name, 0, name, &fd, s->err);
    size_t n = strlen(u->prefix);
    for (size_t i = 0; rc == SK_OK && i < u->pkg->n; i++) {
        const sk_package_entry *e = &u->pkg->entries[i];
        if (!e->is_dir && strncmp(e->path, u->prefix, n) == 0 && e->path[n] == '/')
            rc = sk_pkg_put_file(fd, e->path + n + 1, e->data.data, e->data.len, s->err);
    }
    if (rc == SK_OK && fsync(fd) != 0) rc = sk_error_set(s->err, SK_EIO, "cannot sync the stage");
    if (fd >= 0) close(fd);
    if (rc == SK_OK)
        rc = line(&s->swap, s->err, "swap %s o%zu %s/%s/%s\n", name, k, str(u->rec, "overlay"),
                  SK_PACKAGE_SECRETS_DIR, str(u->rec, "set"));
    return rc;
}

static int set_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The overlay's sealed-secrets/kustomization.yaml: every set installed in it. */
static int stage_listing(stager *s, inst *in, const char *o, size_t j)
{
    const json_t *units = json_object_get(in->state, "units");
    const char **sets = calloc(json_array_size(units) + 1, sizeof *sets);
    size_t n = 0, i;
    json_t *u;
    if (sets == NULL) return oom(s->err);
    json_array_foreach(units, i, u)
    {
        if (strcmp(str(u, "overlay"), o) == 0) sets[n++] = str(u, "set");
    }
    qsort(sets, n, sizeof *sets, set_cmp);
    sk_secbuf b = SK_SECBUF_INIT;
    char name[32], hex[HEX_SHA];
    snprintf(name, sizeof name, "l%zu", j);
    int rc = sk_pkg_kustomization_listing(sets, n, &b, s->err);
    free(sets);
    if (rc == SK_OK) rc = sk_pkg_put_file(s->fd, name, b.data, b.len, s->err);
    if (rc == SK_OK) sha_hex(b.data, b.len, hex);
    sk_secbuf_free(&b);
    if (rc == SK_OK &&
        json_object_set_new(json_object_get(in->state, "listings"), o, json_string(hex)) != 0)
        rc = oom(s->err);
    if (rc == SK_OK) rc = line(&s->mk, s->err, "mkdir %s/%s\n", o, SK_PACKAGE_SECRETS_DIR);
    if (rc == SK_OK)
        rc = line(&s->put, s->err, "put %s %s/%s/%s\n", name, o, SK_PACKAGE_SECRETS_DIR,
                  SK_PACKAGE_KUSTOMIZATION);
    return rc;
}

/* Whether a team's kustomization lists sealed-secrets (as a resource or component). */
static int lists_secrets(int ofd, const char *name)
{
    sk_secbuf b = SK_SECBUF_INIT;
    sk_docs docs = {0};
    int found = 0;
    if (sk_read_at(ofd, name, name, SK_PACKAGE_MAX_ENTRY, &b, NULL, NULL) == SK_OK &&
        sk_docs_parse(b.data, b.len, name, &docs, NULL) == SK_OK && docs.n == 1) {
        static const char *const keys[] = {"resources", "components", NULL};
        for (size_t k = 0; keys[k]; k++) {
            size_t i;
            json_t *r;
            json_array_foreach(json_object_get(docs.doc[0], keys[k]), i, r)
            {
                const char *v = json_string_value(r);
                if (v && strncmp(v, "./", 2) == 0) v += 2;
                found |= v &&
                         strncmp(v, SK_PACKAGE_SECRETS_DIR, strlen(SK_PACKAGE_SECRETS_DIR)) == 0 &&
                         (v[strlen(SK_PACKAGE_SECRETS_DIR)] == '\0' ||
                          strcmp(v + strlen(SK_PACKAGE_SECRETS_DIR), "/") == 0);
            }
        }
    }
    if (docs.doc != NULL) sk_docs_free(&docs);
    sk_secbuf_free(&b);
    return found;
}

/* <overlay>/kustomization.yaml is made only where there is none: a team's own is theirs. */
static int stage_overlay_kz(stager *s, inst *in, const char *o, size_t j)
{
    static const char *const names[] = {"kustomization.yaml", "kustomization.yml", "Kustomization",
                                        NULL};
    int ofd = -1;
    if (sk_pkg_exists(in->dirfd, o) && sk_pkg_open_dir(in->dirfd, o, 0, o, &ofd, s->err) != SK_OK)
        return SK_EIO;
    for (size_t i = 0; ofd >= 0 && names[i]; i++) {
        if (!sk_pkg_exists(ofd, names[i])) continue;
        if (!lists_secrets(ofd, names[i]) && in->rep->unlisted[0] == '\0')
            snprintf(in->rep->unlisted, sizeof in->rep->unlisted, "%s/%s", o, names[i]);
        close(ofd);
        return SK_OK;
    }
    if (ofd >= 0) close(ofd);
    const char *dir = SK_PACKAGE_SECRETS_DIR;
    sk_secbuf b = SK_SECBUF_INIT;
    char name[32], rel[SK_PKG_PATH_MAX];
    snprintf(name, sizeof name, "k%zu", j);
    snprintf(rel, sizeof rel, "%s/%s", o, SK_PACKAGE_KUSTOMIZATION);
    int rc = sk_pkg_kustomization_listing(&dir, 1, &b, s->err);
    if (rc == SK_OK) rc = sk_pkg_put_file(s->fd, name, b.data, b.len, s->err);
    sk_secbuf_free(&b);
    if (rc == SK_OK) rc = line(&s->put, s->err, "create %s %s\n", name, rel);
    json_t *created = json_object_get(in->state, "created");
    size_t i;
    json_t *c;
    int known = 0;
    json_array_foreach(created, i, c) known |= strcmp(json_string_value(c), rel) == 0;
    if (rc == SK_OK && !known && json_array_append_new(created, json_string(rel)) != 0)
        rc = oom(s->err);
    return rc;
}

static int write_state_and_commit(stager *s, inst *in)
{
    char *text = json_dumps(in->state, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (text == NULL) return oom(s->err);
    int rc = sk_pkg_put_file(s->fd, "state", text, strlen(text), s->err);
    free(text);
    sk_secbuf commit = SK_SECBUF_INIT;
    if (rc == SK_OK) rc = line(&s->put, s->err, "put state " STATE "\n");
    if (rc == SK_OK) rc = sk_secbuf_append(&commit, s->mk.data, s->mk.len, s->err);
    if (rc == SK_OK) rc = sk_secbuf_append(&commit, s->swap.data, s->swap.len, s->err);
    if (rc == SK_OK) rc = sk_secbuf_append(&commit, s->put.data, s->put.len, s->err);
    if (rc == SK_OK && mkdirat(s->fd, SK_PKG_OLD, 0700) != 0)
        rc = sk_error_set(s->err, SK_EIO, "cannot stage: %s", strerror(errno));
    if (rc == SK_OK && fsync(s->fd) != 0)
        rc = sk_error_set(s->err, SK_EIO, "cannot sync the stage: %s", strerror(errno));
    /* From here on the install happens: the next run finishes it if this one dies. */
    if (rc == SK_OK)
        rc = sk_write_atomic_at(s->fd, SK_PKG_COMMIT, SK_PKG_STAGE "/" SK_PKG_COMMIT, commit.data,
                                commit.len, 0600, NULL, s->err);
    if (rc == SK_OK) rc = sk_pkg_apply(in->dirfd, s->fd, (const char *)commit.data, s->err);
    sk_secbuf_free(&commit);
    return rc;
}

static int has_str(const char *const *v, size_t n, const char *x)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], x) == 0) return 1;
    return 0;
}

static int stage_all(inst *in, const int *changed, const char *const *ovl, size_t n_ovl)
{
    if (mkdirat(in->dirfd, SK_PKG_STAGE, 0700) != 0)
        return sk_error_set(in->err, SK_EIO, "%s/" SK_PKG_STAGE ": cannot create: %s", in->shown,
                            strerror(errno));
    stager s = {-1, SK_SECBUF_INIT, SK_SECBUF_INIT, SK_SECBUF_INIT, in->err};
    int rc = sk_pkg_open_dir(in->dirfd, SK_PKG_STAGE, 0, SK_PKG_STAGE, &s.fd, in->err);
    for (size_t k = 0; rc == SK_OK && k < in->n_u; k++)
        if (changed[k]) rc = stage_unit(&s, &in->u[k], k);
    size_t i;
    json_t *d;
    json_array_foreach(rc == SK_OK ? in->dropped : NULL, i, d)
    {
        if (rc == SK_OK)
            rc = line(&s.swap, in->err, "drop o%zu %s/%s/%s\n", in->n_u + i, str(d, "overlay"),
                      SK_PACKAGE_SECRETS_DIR, str(d, "set"));
    }
    for (size_t j = 0; rc == SK_OK && j < n_ovl; j++)
        rc = stage_listing(&s, in, ovl[j], j);
    for (size_t j = 0; rc == SK_OK && j < n_ovl; j++)
        rc = stage_overlay_kz(&s, in, ovl[j], j);
    if (rc == SK_OK) rc = write_state_and_commit(&s, in);
    if (s.fd >= 0) close(s.fd);
    sk_secbuf_free(&s.mk);
    sk_secbuf_free(&s.swap);
    sk_secbuf_free(&s.put);
    /* Refused or failed before the commit record: nothing changed; after it: finish it. */
    int ignored;
    sk_error cleanup = {0};
    if (sk_pkg_recover(in->dirfd, in->shown, &ignored, &cleanup) != SK_OK && rc == SK_OK)
        rc = sk_error_set(in->err, cleanup.code, "%s", cleanup.msg);
    return rc;
}

static int unit_cmp(const json_t *x, const json_t *y)
{
    int c = strcmp(str(x, "overlay"), str(y, "overlay"));
    return c ? c : strcmp(str(x, "set"), str(y, "set"));
}

/* By overlay and set (insertion sort: a folder holds a few sets): the record, and which package
 * a message names first, do not depend on the order of installs. */
static void sort_units(json_t *units)
{
    for (size_t i = 1; i < json_array_size(units); i++) {
        for (size_t j = i; j > 0; j--) {
            json_t *a = json_array_get(units, j - 1), *b = json_array_get(units, j);
            if (unit_cmp(a, b) <= 0) break;
            json_incref(a);
            json_array_set(units, j - 1, b);
            json_array_set_new(units, j, a);
        }
    }
}

static int is_new_sha(const inst *in, const char *sha)
{
    for (size_t k = 0; k < in->n_u; k++)
        if (strcmp(str(in->u[k].rec, "sha256"), sha) == 0) return 1;
    return 0;
}

static int changed_set(const inst *in, const int *changed, const char *set)
{
    for (size_t k = 0; k < in->n_u; k++)
        if (changed[k] && strcmp(str(in->u[k].rec, "set"), set) == 0) return 1;
    return 0;
}

/* An overlay the newer package of a set no longer has: that set's folder there goes too. */
static int drop_stale(inst *in, json_t *units, const int *changed)
{
    in->dropped = json_array();
    if (in->dropped == NULL) return oom(in->err);
    for (size_t i = json_array_size(units); i-- > 0;) {
        json_t *u = json_array_get(units, i);
        if (is_new_sha(in, str(u, "sha256")) || !changed_set(in, changed, str(u, "set"))) continue;
        if (json_array_append(in->dropped, u) != 0 || json_array_remove(units, i) != 0)
            return oom(in->err);
        in->rep->removed++;
    }
    return SK_OK;
}

/* Merges every new unit into the state; flags the changed ones, counts, checks conflicts. */
static int plan(inst *in, int force, int *changed, json_t **old_units)
{
    json_t *units = json_object_get(in->state, "units");
    *old_units = json_deep_copy(units);
    if (*old_units == NULL) return oom(in->err);
    for (size_t k = 0; k < in->n_u; k++)
        for (size_t m = 0; m < k; m++)
            if (strcmp(in->u[k].prefix, in->u[m].prefix) == 0)
                return refuse_twice(in->u[m].rec, in->u[k].rec, in->err);
    int rc = SK_OK;
    for (size_t k = 0; rc == SK_OK && k < in->n_u; k++) {
        int had = find_unit(*old_units, str(in->u[k].rec, "overlay"), str(in->u[k].rec, "set"),
                            NULL) != NULL;
        rc = merge_unit(units, &in->u[k], force, &changed[k], in->err);
        in->rep->unchanged += rc == SK_OK && !changed[k];
        in->rep->replaced += rc == SK_OK && changed[k] && had;
        in->rep->installed += rc == SK_OK && changed[k] && !had;
    }
    if (rc == SK_OK) rc = drop_stale(in, units, changed);
    if (rc == SK_OK) sort_units(units);
    return rc == SK_OK ? check_conflicts(units, in->err) : rc;
}

static int install(inst *in, const sk_install_opts *o)
{
    int *changed = calloc(in->n_u + 1, sizeof *changed);
    /* Overlays touched: those of new sets and of dropped ones (at most one per installed set). */
    const json_t *units = json_object_get(in->state, "units");
    const char **ovl = calloc(in->n_u + json_array_size(units) + 1, sizeof *ovl);
    if (changed == NULL || ovl == NULL) {
        free(changed);
        free(ovl);
        return oom(in->err);
    }
    json_t *old_units = NULL;
    size_t n_ovl = 0;
    int rc = plan(in, o->force, changed, &old_units);
    for (size_t k = 0; rc == SK_OK && k < in->n_u; k++) {
        if (!changed[k]) continue;
        const char *ov = str(in->u[k].rec, "overlay");
        if (!has_str(ovl, n_ovl, ov)) ovl[n_ovl++] = ov;
        rc = preflight_unit(in, old_units, in->u[k].rec);
    }
    size_t i;
    json_t *d;
    json_array_foreach(rc == SK_OK ? in->dropped : NULL, i, d)
    {
        if (!has_str(ovl, n_ovl, str(d, "overlay"))) ovl[n_ovl++] = str(d, "overlay");
        if (rc == SK_OK) rc = preflight_unit(in, old_units, d);
    }
    for (size_t j = 0; rc == SK_OK && j < n_ovl; j++)
        rc = preflight_overlay(in, ovl[j]);
    if (rc == SK_OK && n_ovl > 0) rc = stage_all(in, changed, ovl, n_ovl);
    json_decref(old_units);
    free(changed);
    free(ovl);
    return rc;
}

static int lock_dir(int dirfd, const char *shown, int *fd, sk_error *err)
{
    *fd = openat(dirfd, LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (*fd < 0)
        return sk_error_set(err, SK_EIO, "%s/" LOCK ": cannot open: %s", shown, strerror(errno));
    if (flock(*fd, LOCK_EX | LOCK_NB) == 0) return SK_OK;
    return sk_error_set(err, SK_EBUSY, "%s: another sealkit package install is running", shown);
}

static int check_args(const sk_install_opts *o, const sk_install_report *rep, sk_error *err)
{
    if (o == NULL || o->version != SK_INSTALL_OPTS_VERSION)
        return sk_error_set(err, SK_EUSAGE, "sk_install_opts version %u is not supported",
                            o ? o->version : 0);
    if (rep == NULL || rep->version != SK_INSTALL_REPORT_VERSION)
        return sk_error_set(err, SK_EUSAGE, "sk_install_report version %u is not supported",
                            rep ? rep->version : 0);
    return SK_OK;
}

static int run_with(inst *in, const sk_install_input *x, size_t n, const sk_install_opts *o,
                    sk_findings *f)
{
    int lock = -1;
    int rc = lock_dir(in->dirfd, in->shown, &lock, in->err);
    if (rc == SK_OK) rc = sk_pkg_recover(in->dirfd, in->shown, &in->rep->recovered, in->err);
    if (rc == SK_OK) rc = load_state(in);
    in->pkgs = calloc(n + 1, sizeof *in->pkgs);
    if (rc == SK_OK && in->pkgs == NULL) rc = oom(in->err);
    for (size_t i = 0; rc == SK_OK && i < n; i++) {
        in->n_pkgs = i + 1;
        rc = verify_one(in, &x[i], o->verify, f, &in->pkgs[i]);
    }
    if (rc == SK_OK) rc = install(in, o);
    if (lock >= 0) close(lock);
    return rc;
}

static int run(inst *in, const sk_install_input *x, size_t n, const sk_install_opts *o,
               sk_findings *f)
{
    sk_findings own; /* f may be NULL: the caller does not want the findings */
    sk_findings_init(&own);
    int rc = run_with(in, x, n, o, f ? f : &own);
    sk_findings_free(&own);
    return rc;
}

int sk_package_install(const char *dir, const sk_install_input *x, size_t n,
                       const sk_install_opts *o, sk_findings *f, sk_install_report *rep,
                       sk_error *err)
{
    int rc = check_args(o, rep, err);
    if (rc != SK_OK) return rc;
    inst in = {.shown = dir, .rep = rep, .err = err};
    unsigned version = rep->version;
    *rep = (sk_install_report){.version = version};
    in.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (in.dirfd < 0)
        return sk_error_set(err, SK_EIO, "%s: cannot open the folder: %s", dir, strerror(errno));
    rc = run(&in, x, n, o, f);
    for (size_t i = 0; i < in.n_u; i++)
        json_decref(in.u[i].rec);
    free(in.u);
    for (size_t i = 0; i < in.n_pkgs; i++)
        sk_package_free(&in.pkgs[i]);
    free(in.pkgs);
    json_decref(in.state);
    json_decref(in.dropped);
    close(in.dirfd);
    return rc;
}
