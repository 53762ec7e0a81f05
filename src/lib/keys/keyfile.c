#include <sealkit/crypto.h>
#include <sealkit/doc.h>
#include <sealkit/io.h>
#include <sealkit/keys.h>
#include <sealkit/model.h>
#include <sealkit/walk.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "keys/keys_internal.h"
#include "formats/pem.h"

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
    if (sk_pem_present(text, len)) {
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
    if (rc != SK_OK) sk_error_at_source(err, rc, source);
    if (added != NULL) *added = c.added;
    return rc;
}

/* ---- loading files and folders: the one key loader of every command ---- */

/* Certificate-only files (a tls.crt beside a tls.key) describe keys found anywhere in the run. */
typedef struct cert_texts {
    sk_secbuf *text;
    char **path;
    size_t n;
} cert_texts;

static int keep_cert_text(cert_texts *c, const char *path, sk_secbuf *text, sk_error *err)
{
    sk_secbuf *t = realloc(c->text, (c->n + 1) * sizeof *t);
    if (t != NULL) c->text = t;
    char **p = t ? realloc(c->path, (c->n + 1) * sizeof *p) : NULL;
    if (p != NULL) c->path = p;
    if (t == NULL || p == NULL || (p[c->n] = strdup(path)) == NULL)
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    t[c->n++] = *text;
    *text = (sk_secbuf)SK_SECBUF_INIT;
    return SK_OK;
}

static void cert_texts_free(cert_texts *c)
{
    for (size_t i = 0; i < c->n; i++) {
        sk_secbuf_free(&c->text[i]);
        free(c->path[i]);
    }
    free(c->text);
    free(c->path);
}

/* ---- modes: who else can read the keys, or put keys in their place ---- */

static int read_only_fs(const char *path)
{
    struct statvfs vfs;
    return statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY) != 0;
}

/* A key file group or others may read: the mode of a link's target is what counts. */
static int check_key_file(sk_keyring *kr, const char *path, sk_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & (S_IRGRP | S_IROTH)) == 0)
        return SK_OK;
    return sk_keyring_note_exposure(kr, path, SK_KEY_FILE_READABLE, (unsigned)st.st_mode & 07777,
                                    err);
}

/*
 * A folder others may write to can gain a key that then counts as the newest, or lose one.
 * The sticky bit keeps others from replacing a file given by name, but not from adding files.
 */
static int check_key_folder(sk_keyring *kr, const char *dir, int sticky_protects, sk_error *err)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & S_IWOTH) == 0 ||
        (sticky_protects && (st.st_mode & S_ISVTX) != 0) || read_only_fs(dir))
        return SK_OK;
    return sk_keyring_note_exposure(kr, dir, SK_KEY_DIR_WRITABLE, (unsigned)st.st_mode & 07777,
                                    err);
}

static int check_parent(sk_keyring *kr, const char *path, sk_error *err)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) return check_key_folder(kr, ".", 1, err);
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = strndup(path, n);
    if (dir == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    int rc = check_key_folder(kr, dir, 1, err);
    free(dir);
    return rc;
}

static int load_file(sk_keyring *kr, cert_texts *certs, const char *path, int in_folder,
                     sk_error *err)
{
    sk_secbuf text = SK_SECBUF_INIT;
    int rc = sk_read_file(path, SK_MAX_INPUT, &text, err);
    if (rc != SK_OK) return rc;
    const char *s = (const char *)text.data;
    int has_key = strstr(s, "PRIVATE KEY") != NULL || strstr(s, "tls.key") != NULL;
    int cert_only = !has_key && strstr(s, "-----BEGIN CERTIFICATE-----") != NULL;
    /* Another manifest named by the user is read as keys, so that the error says what it is. */
    int named_manifest = !in_folder && !cert_only && strstr(s, "kind") != NULL;
    if (has_key || named_manifest)
        rc = sk_keyring_add_text(kr, s, text.len, path, NULL, err);
    else if (cert_only)
        rc = keep_cert_text(certs, path, &text, err);
    else if (!in_folder) {
        sk_error_set(err, SK_EPARSE, "no private key or certificate found");
        rc = sk_error_at_source(err, SK_EPARSE, path);
    }
    /* A folder may hold notes and sealed files beside the keys: those are passed over. */
    sk_secbuf_free(&text);
    if (rc == SK_OK && has_key && strcmp(path, "-") != 0) {
        rc = check_key_file(kr, path, err);
        if (rc == SK_OK && !in_folder) rc = check_parent(kr, path, err);
    }
    return rc;
}

/*
 * A key folder's own files, links followed: a Secret volume presents each key as a link into its
 * hidden ..data folder. Temporary files are never read: a half-made key must not be loaded.
 */
static int load_folder(sk_keyring *kr, cert_texts *certs, const char *dir, sk_error *err)
{
    sk_walk_list l;
    int rc = sk_walk(&dir, 1, SK_WALK_FOLLOW_LINKS | SK_WALK_FLAT, &l, err);
    size_t keys_before = sk_keyring_count(kr);
    for (size_t i = 0; rc == SK_OK && i < l.n_files; i++)
        rc = load_file(kr, certs, l.files[i], 1, err);
    if (rc == SK_OK && l.n_unreadable > 0) {
        sk_error_set(err, SK_EIO, "%s", l.unreadable_why[0]);
        rc = sk_error_at_source(err, SK_EIO, l.unreadable[0]);
    }
    if (rc == SK_OK && sk_keyring_count(kr) > keys_before) rc = check_key_folder(kr, dir, 0, err);
    sk_walk_list_free(&l);
    return rc;
}

int sk_keyring_load(sk_keyring *kr, const char *const *paths, size_t n, sk_error *err)
{
    cert_texts certs = {0};
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < n; i++) {
        struct stat st;
        const char *p = paths[i];
        int folder = strcmp(p, "-") != 0 && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
        rc = folder ? load_folder(kr, &certs, p, err) : load_file(kr, &certs, p, 0, err);
    }
    for (size_t i = 0; rc == SK_OK && i < certs.n; i++)
        rc = sk_keyring_add_certs(kr, (const char *)certs.text[i].data, certs.text[i].len,
                                  certs.path[i], NULL, err);
    cert_texts_free(&certs);
    if (rc == SK_OK && sk_keyring_count(kr) == 0)
        rc = sk_error_set(err, SK_EINVAL, "no private key found in the given files");
    return rc;
}
