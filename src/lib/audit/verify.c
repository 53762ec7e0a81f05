/*
 * sealkit verify: checks of SealedSecret documents (docs/format.md §6.2). Structural
 * checks need nothing; with keys every item is opened in guarded memory,
 * its content checked (dockerconfigjson shape, default credentials) and
 * wiped; an item that does not open is diagnosed by trying the other labels.
 * A plaintext Secret beside them is a finding too. What needs the whole scan
 * (copies between SealedSecrets) is verify_cross.c's.
 */
#include <sealkit/verify.h>
#include <sealkit/crypto.h>
#include <sealkit/model.h>
#include <sealkit/secret.h>

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/verify_internal.h"
#include "core/json_alloc.h"
#include "crypto/crypto_internal.h"
#include "formats/doc_spans.h"
#include "keys/keys_internal.h"

/*
 * Well-known default credentials (docs/verify.md): MinIO's and MLflow's
 * defaults, the seed README's example values, AWS's documentation keys and
 * the usual placeholders. Matched exactly, in constant time.
 */
static const char *const deny_list[] = {"minioadmin",
                                        "minioadmin123",
                                        "minio123",
                                        "admin",
                                        "admin123",
                                        "password",
                                        "password123",
                                        "password1234",
                                        "changeme",
                                        "changeit",
                                        "letmein",
                                        "123456",
                                        "my-secure-mlflow-tracking-password",
                                        "6EF6B30F9E557F948C402C89002C7C8A",
                                        "AKIAIOSFODNN7EXAMPLE",
                                        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                        NULL};

/* Item keys a Secret type requires; the API server refuses the Secret without them. */
static const struct {
    const char *type;
    const char *keys[3];
} type_items[] = {
    {"kubernetes.io/dockerconfigjson", {".dockerconfigjson", NULL, NULL}},
    {"kubernetes.io/dockercfg", {".dockercfg", NULL, NULL}},
    {"kubernetes.io/tls", {"tls.crt", "tls.key", NULL}},
    {"kubernetes.io/ssh-auth", {"ssh-privatekey", NULL, NULL}},
};

/* ---- the findings list ---- */

static int oom(sk_error *err)
{
    return sk_error_set(err, SK_ENOMEM, "out of memory");
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*v, c * size);
    if (p == NULL) return -1;
    *v = p;
    *cap = c;
    return 0;
}

/* strdup that keeps NULL; *bad is set when memory runs out. */
static char *dup(const char *s, int *bad)
{
    if (s == NULL) return NULL;
    char *d = strdup(s);
    if (d == NULL) *bad = 1;
    return d;
}

void sk_findings_init(sk_findings *f)
{
    memset(f, 0, sizeof *f);
}

void sk_findings_free(sk_findings *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].file);
        free(f->v[i].item);
        free(f->v[i].message);
    }
    for (size_t i = 0; i < f->n_items; i++) {
        free(f->items[i].file);
        free(f->items[i].name);
        free(f->items[i].namespace_);
        free(f->items[i].item);
        free(f->items[i].unopened);
    }
    for (size_t i = 0; i < f->n_secrets; i++) {
        sk_verify_secret *s = &f->secrets[i];
        free(s->file);
        free(s->name);
        free(s->namespace_);
        free(s->type);
        for (size_t k = 0; k < s->n_keys; k++)
            free(s->keys[k]);
        free(s->keys);
    }
    free(f->v);
    free(f->items);
    free(f->secrets);
    memset(f, 0, sizeof *f);
}

static SK_PRINTF(7, 0) int add_v(sk_findings *f, const sk_where *w, sk_severity sev,
                                 const char *code, const char *fp, sk_error *err, const char *fmt,
                                 va_list ap)
{
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (grow((void **)&f->v, &f->cap, f->n, sizeof *f->v) != 0) return oom(err);
    sk_finding *x = &f->v[f->n];
    int bad = 0;
    memset(x, 0, sizeof *x);
    x->file = dup(w->file ? w->file : "-", &bad);
    x->document = w->document;
    x->list_item = w->list_item;
    x->item = dup(w->item, &bad);
    x->severity = sev;
    x->code = code;
    x->message = dup(msg, &bad);
    if (fp != NULL) snprintf(x->key_fingerprint, sizeof x->key_fingerprint, "%s", fp);
    if (bad) {
        free(x->file), free(x->item), free(x->message);
        return oom(err);
    }
    f->n++;
    return SK_OK;
}

int sk_findings_add(sk_findings *f, const sk_where *w, sk_severity sev, const char *code,
                    const char *fp, sk_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = add_v(f, w, sev, code, fp, err, fmt, ap);
    va_end(ap);
    return rc;
}

size_t sk_findings_count(const sk_findings *f, sk_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += f->v[i].severity >= sev;
    return n;
}

const char *sk_severity_name(sk_severity sev)
{
    return sev == SK_SEVERITY_ERROR ? "error" : sev == SK_SEVERITY_WARNING ? "warning" : "info";
}

/* ---- one SealedSecret ---- */

/*
 * Guarded blocks reused by every item of a file (as sk_reseal_text does): the decoded blob, its
 * plaintext and its session key. Each guarded allocation maps, locks and unmaps pages: three per
 * item cost some 28 system calls and 8 page faults an item. The plaintext and the session key
 * are wiped after each use (sk_secbuf_clear), and all three freed when the file is done.
 */
typedef struct vbufs {
    sk_secbuf blob, pt, key;
} vbufs;

#define VBUFS_INIT                                                                                 \
    {                                                                                              \
        SK_SECBUF_INIT, SK_SECBUF_INIT, SK_SECBUF_INIT                                             \
    }

static void vbufs_free(vbufs *b)
{
    sk_secbuf_free(&b->blob);
    sk_secbuf_free(&b->pt);
    sk_secbuf_free(&b->key);
}

typedef struct vctx {
    const sk_verify_opts *opts;
    sk_findings *out;
    sk_where at;
    const json_t *doc, *meta, *spec, *tmpl, *tmeta, *enc, *tdata;
    const char *name, *ns, *type;
    sk_scope scope;
    char *label; /* the outer label; NULL when name or namespace is missing */
    size_t label_len;
    size_t first_item; /* this SealedSecret's items in out->items */
    size_t *left;      /* RSA private operations diagnosis may still spend in this file */
    vbufs *buf;        /* the file's reusable guarded blocks */
    sk_error *err;
    int rc; /* the first SK_ENOMEM */
} vctx;

static void note(vctx *c, const char *item, sk_severity sev, const char *code, const char *fp,
                 const char *fmt, ...) SK_PRINTF(6, 7);

static void note(vctx *c, const char *item, sk_severity sev, const char *code, const char *fp,
                 const char *fmt, ...)
{
    if (c->rc != SK_OK) return;
    sk_where w = c->at;
    w.item = item;
    va_list ap;
    va_start(ap, fmt);
    c->rc = add_v(c->out, &w, sev, code, fp, c->err, fmt, ap);
    va_end(ap);
}

static const char *str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int present(const json_t *v)
{
    return v != NULL && !json_is_null(v);
}

static void check_identity(vctx *c)
{
    const char *api = str(c->doc, "apiVersion");
    if (api == NULL || strcmp(api, SK_SEALED_API_VERSION) != 0)
        note(c, NULL, SK_SEVERITY_ERROR, "api-version", NULL,
             "apiVersion: expected %s, found %.64s", SK_SEALED_API_VERSION, api ? api : "nothing");
    if (!json_is_object(c->meta)) {
        note(c, NULL, SK_SEVERITY_ERROR, "metadata", NULL, "metadata: missing");
        return;
    }
    if (c->name == NULL || *c->name == '\0')
        note(c, NULL, SK_SEVERITY_ERROR, "name", NULL, "metadata.name: missing");
    const json_t *ns = json_object_get(c->meta, "namespace");
    if (present(ns) && !json_is_string(ns))
        note(c, NULL, SK_SEVERITY_ERROR, "namespace", NULL, "metadata.namespace: must be a string");
    else if ((c->ns == NULL || *c->ns == '\0') && c->scope != SK_SCOPE_CLUSTER_WIDE)
        note(c, NULL, SK_SEVERITY_ERROR, "namespace", NULL,
             "metadata.namespace: missing; only a cluster-wide SealedSecret may omit it (the %s "
             "label includes it)",
             sk_scope_name(c->scope));
}

static void check_scope_annotations(vctx *c, const json_t *ann, const char *where)
{
    const char *keys[] = {SK_ANNOTATION_CLUSTER_WIDE, SK_ANNOTATION_NAMESPACE_WIDE};
    int trues = 0;
    for (size_t i = 0; i < 2; i++) {
        const json_t *v = json_object_get(ann, keys[i]);
        if (v == NULL) continue;
        if (!json_is_string(v))
            note(c, NULL, SK_SEVERITY_ERROR, "scope-annotation", NULL,
                 "%s.annotations[%s]: must be the string \"true\" (quote it in YAML)", where,
                 keys[i]);
        else if (strcmp(json_string_value(v), "true") != 0)
            note(c, NULL, SK_SEVERITY_WARNING, "scope-annotation", NULL,
                 "%s.annotations[%s]: only the exact string \"true\" counts; this value is ignored",
                 where, keys[i]);
        else
            trues++;
    }
    if (trues == 2)
        note(c, NULL, SK_SEVERITY_INFO, "scope-annotation", NULL,
             "%s.annotations: both scope annotations are \"true\"; cluster-wide wins", where);
}

static void check_meta(vctx *c, const json_t *meta, const char *where, int in_template)
{
    if (!json_is_object(meta)) return;
    const json_t *ann = json_object_get(meta, "annotations");
    if (present(ann) && !json_is_object(ann)) {
        note(c, NULL, SK_SEVERITY_ERROR, "annotations", NULL, "%s.annotations: must be a map",
             where);
        ann = NULL;
    }
    check_scope_annotations(c, ann, where);
    for (size_t i = 0; sk_last_applied_annotations()[i] != NULL; i++) {
        if (json_object_get(ann, sk_last_applied_annotations()[i]) == NULL) continue;
        if (in_template)
            note(c, NULL, SK_SEVERITY_ERROR, "last-applied", NULL,
                 "%s.annotations[%s]: may hold the whole plaintext Secret and is copied to it; "
                 "remove it (kubeseal strips it)",
                 where, sk_last_applied_annotations()[i]);
        else
            note(c, NULL, SK_SEVERITY_WARNING, "last-applied", NULL,
                 "%s.annotations[%s]: left over from kubectl apply; remove it from the manifest",
                 where, sk_last_applied_annotations()[i]);
    }
    const json_t *ts = json_object_get(meta, "creationTimestamp");
    if (ts != NULL && json_is_null(ts))
        note(c, NULL, SK_SEVERITY_INFO, "creation-timestamp-null", NULL,
             "%s.creationTimestamp: null (kubeseal <= 0.31); strict schema validators refuse it",
             where);
    if (in_template && present(json_object_get(meta, "ownerReferences")))
        note(c, NULL, SK_SEVERITY_INFO, "owner-references", NULL,
             "%s.ownerReferences: the controller replaces them", where);
}

static void compare_identity(vctx *c)
{
    const char *tname = str(c->tmeta, "name"), *tns = str(c->tmeta, "namespace");
    if (tname != NULL && c->name != NULL && strcmp(tname, c->name) != 0)
        note(c, NULL, SK_SEVERITY_WARNING, "template-name", NULL,
             "spec.template.metadata.name \"%.128s\" differs from metadata.name \"%.128s\"; the "
             "Secret gets metadata.name",
             tname, c->name);
    if (tns != NULL && *tns != '\0' && c->ns != NULL && strcmp(tns, c->ns) != 0)
        note(c, NULL, SK_SEVERITY_WARNING, "template-namespace", NULL,
             "spec.template.metadata.namespace \"%.128s\" differs from metadata.namespace "
             "\"%.128s\"; the Secret goes to metadata.namespace",
             tns, c->ns);
    const json_t *tann = json_object_get(c->tmeta, "annotations");
    sk_scope ts = sk_scope_from_annotations(json_is_object(tann) ? tann : NULL);
    if (ts != c->scope)
        note(c, NULL, SK_SEVERITY_WARNING, "scope-mismatch", NULL,
             "metadata selects scope %s but spec.template.metadata says %s; only the outer "
             "annotations decide how the items open (docs/format.md §2.5)",
             sk_scope_name(c->scope), sk_scope_name(ts));
}

static int has_item(const vctx *c, const char *key)
{
    return json_object_get(c->enc, key) != NULL || json_object_get(c->tdata, key) != NULL;
}

static void check_type_items(vctx *c)
{
    if (c->type == NULL) return;
    for (size_t t = 0; t < sizeof type_items / sizeof type_items[0]; t++) {
        if (strcmp(c->type, type_items[t].type) != 0) continue;
        for (size_t k = 0; k < 3 && type_items[t].keys[k] != NULL; k++)
            if (!has_item(c, type_items[t].keys[k]))
                note(c, type_items[t].keys[k], SK_SEVERITY_ERROR, "type-item-missing", NULL,
                     "type %s requires item %s; the API server refuses the Secret without it",
                     c->type, type_items[t].keys[k]);
    }
}

static void check_template_data(vctx *c)
{
    if (present(c->tdata) && !json_is_object(c->tdata)) {
        note(c, NULL, SK_SEVERITY_ERROR, "template", NULL, "spec.template.data: must be a map");
        return;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)c->tdata, k, v)
    {
        const char *s = json_string_value(v);
        if (s != NULL && strstr(s, "{{") == NULL)
            note(c, k, SK_SEVERITY_INFO, "template-data", NULL,
                 "spec.template.data: holds no template action, so it is a value stored in clear");
        else
            note(c, k, SK_SEVERITY_INFO, "template-data", NULL,
                 "spec.template.data: a template the controller renders; stored in clear");
    }
}

static void check_plaintext_map(vctx *c, const json_t *m, const char *where)
{
    if (!present(m)) return;
    if (!json_is_object(m) || json_object_size(m) == 0) {
        note(c, NULL, SK_SEVERITY_ERROR, "plaintext-data", NULL,
             "%s: a plaintext Secret field in a SealedSecret; remove it", where);
        return;
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)m, k, v)
    {
        note(c, k, SK_SEVERITY_ERROR, "plaintext-data", NULL,
             "%s: plaintext in the manifest; seal the item into spec.encryptedData", where);
    }
}

static void check_template(vctx *c)
{
    if (c->tmpl == NULL) {
        note(c, NULL, SK_SEVERITY_INFO, "template-missing", NULL,
             "spec.template: missing; the Secret gets no labels, annotations or type");
        return;
    }
    if (!json_is_object(c->tmpl)) {
        note(c, NULL, SK_SEVERITY_ERROR, "template", NULL, "spec.template: must be a map");
        return;
    }
    if (present(c->tmeta) && !json_is_object(c->tmeta))
        note(c, NULL, SK_SEVERITY_ERROR, "template", NULL, "spec.template.metadata: must be a map");
    if (json_is_object(c->tmeta)) {
        check_meta(c, c->tmeta, "spec.template.metadata", 1);
        compare_identity(c);
    }
    const json_t *type = json_object_get(c->tmpl, "type");
    if (present(type) && !json_is_string(type))
        note(c, NULL, SK_SEVERITY_ERROR, "template", NULL, "spec.template.type: must be a string");
    check_plaintext_map(c, json_object_get(c->tmpl, "stringData"), "spec.template.stringData");
    check_template_data(c);
    check_type_items(c);
}

static void check_spec(vctx *c)
{
    check_plaintext_map(c, json_object_get(c->doc, "data"), "data");
    check_plaintext_map(c, json_object_get(c->doc, "stringData"), "stringData");
    const json_t *legacy = json_object_get(c->spec, "data");
    if (present(legacy))
        note(c, NULL, SK_SEVERITY_ERROR, "legacy-data", NULL,
             "spec.data: the legacy v1 format (kubeseal < 0.7)%s; re-encrypt it with the "
             "controller (kubeseal --re-encrypt)",
             json_object_size(c->enc) > 0 ? " beside encryptedData, which upstream refuses" : "");
    if (!present(c->enc)) {
        if (!present(legacy))
            note(c, NULL, SK_SEVERITY_ERROR, "encrypted-data", NULL,
                 "spec.encryptedData: missing (the CRD requires it; {} when empty)");
    } else if (!json_is_object(c->enc)) {
        note(c, NULL, SK_SEVERITY_ERROR, "encrypted-data", NULL,
             "spec.encryptedData: must be a map of strings");
    } else if (json_object_size(c->enc) == 0 && json_object_size(c->tdata) == 0 &&
               !present(legacy)) {
        note(c, NULL, SK_SEVERITY_WARNING, "empty", NULL,
             "spec.encryptedData: no items and no template data; the Secret would be empty");
    }
}

/* ---- items ---- */

static int rsa_size_usual(size_t L)
{
    return L == 256 || L == 384 || L == 512 || L == 1024;
}

/* The blob's layout (docs/format.md §1.2); 1 when it is well formed enough to try keys on. */
static int check_blob(vctx *c, const char *key, const sk_secbuf *blob)
{
    if (blob->len < 2) {
        note(c, key, SK_SEVERITY_ERROR, "too-short", NULL,
             "blob is %zu bytes, shorter than its 2-byte length header", blob->len);
        return 0;
    }
    size_t L = (size_t)blob->data[0] << 8 | blob->data[1];
    if (blob->len - 2 < L) {
        note(c, key, SK_SEVERITY_ERROR, "too-short", NULL,
             "the header announces %zu bytes of RSA ciphertext but only %zu follow: truncated", L,
             blob->len - 2);
        return 0;
    }
    if (blob->len - 2 - L < SK_GCM_TAG_LEN) {
        note(c, key, SK_SEVERITY_ERROR, "gcm-too-short", NULL,
             "the AES-GCM part is %zu bytes, shorter than its 16-byte tag: truncated",
             blob->len - 2 - L);
        return 0;
    }
    if (c->opts->cert != NULL) {
        size_t k = ((size_t)sk_pubkey_bits(c->opts->cert) + 7) / 8;
        if (L != k)
            note(c, key, SK_SEVERITY_ERROR, "rsa-length", NULL,
                 "the RSA part is %zu bytes (a %zu-bit key); the certificate's key has %d bits", L,
                 L * 8, sk_pubkey_bits(c->opts->cert));
    } else if (!rsa_size_usual(L)) {
        note(c, key, SK_SEVERITY_WARNING, "rsa-length", NULL,
             "the RSA part is %zu bytes, not the size of a 2048, 3072, 4096 or 8192-bit key", L);
    }
    return 1;
}

static sk_verify_item *record_item(vctx *c, const char *key)
{
    sk_findings *f = c->out;
    if (grow((void **)&f->items, &f->cap_items, f->n_items, sizeof *f->items) != 0) {
        c->rc = oom(c->err);
        return NULL;
    }
    sk_verify_item *it = &f->items[f->n_items];
    int bad = 0;
    memset(it, 0, sizeof *it);
    it->file = dup(c->at.file ? c->at.file : "-", &bad);
    it->document = c->at.document;
    it->list_item = c->at.list_item;
    it->name = dup(c->name ? c->name : "", &bad);
    it->namespace_ = dup(c->ns, &bad);
    it->item = dup(key, &bad);
    it->scope = c->scope;
    it->opens = -1;
    it->sealed_scope = -1;
    it->newest = -1;
    if (bad) {
        free(it->file), free(it->name), free(it->namespace_), free(it->item);
        c->rc = oom(c->err);
        return NULL;
    }
    f->n_items++;
    return it;
}

/* Decodes an item's value into the file's blob block; a finding when it is not standard base64. */
static int decode_item(vctx *c, const char *key, const json_t *v, int quiet)
{
    if (!json_is_string(v)) {
        if (!quiet)
            note(c, key, SK_SEVERITY_ERROR, "value-type", NULL,
                 "spec.encryptedData: the value must be a base64 string");
        return 0;
    }
    sk_error why = {0};
    int rc =
        sk_base64_decode_reuse(json_string_value(v), json_string_length(v), &c->buf->blob, &why);
    if (rc == SK_ENOMEM) c->rc = sk_error_set(c->err, rc, "%s", why.msg);
    if (rc != SK_OK && !quiet)
        note(c, key, SK_SEVERITY_ERROR, "base64", NULL, "not standard base64: %s", why.msg);
    return rc == SK_OK;
}

/* ---- content checks on an opened item (plaintext in guarded memory only) ---- */

static int is_default_credential(const unsigned char *v, size_t len)
{
    /* A value read from a file often ends in a newline. */
    if (len > 0 && v[len - 1] == '\n') len--;
    if (len > 0 && v[len - 1] == '\r') len--;
    int hit = 0;
    for (size_t i = 0; deny_list[i] != NULL; i++) {
        size_t n = strlen(deny_list[i]);
        if (n == len && sodium_memcmp(v, deny_list[i], n) == 0) hit = 1;
    }
    return hit;
}

/* auth must be base64("username:password"): compared in guarded memory. */
static int auth_matches(const char *auth, const char *user, const char *pass)
{
    sk_secbuf got = SK_SECBUF_INIT, want = SK_SECBUF_INIT;
    int ok = sk_base64_decode(auth, strlen(auth), &got, NULL) == SK_OK &&
             sk_secbuf_puts(&want, user, NULL) == SK_OK &&
             sk_secbuf_puts(&want, ":", NULL) == SK_OK &&
             sk_secbuf_puts(&want, pass, NULL) == SK_OK && got.len == want.len &&
             sodium_memcmp(got.data, want.data, got.len) == 0;
    sk_secbuf_free(&got);
    sk_secbuf_free(&want);
    return ok;
}

static void check_registry(vctx *c, const char *key, size_t n, const json_t *entry)
{
    if (!json_is_object(entry)) {
        note(c, key, SK_SEVERITY_ERROR, "dockerconfigjson", NULL,
             "auths entry %zu is not a JSON object", n);
        return;
    }
    const char *user = str(entry, "username"), *pass = str(entry, "password");
    const char *auth = str(entry, "auth");
    if (pass != NULL && is_default_credential((const unsigned char *)pass, strlen(pass)))
        note(c, key, SK_SEVERITY_ERROR, "default-credential", NULL,
             "auths entry %zu: the password is a well-known default credential; replace it", n);
    if (auth != NULL && user != NULL && pass != NULL && !auth_matches(auth, user, pass))
        note(c, key, SK_SEVERITY_WARNING, "dockerconfigjson", NULL,
             "auths entry %zu: auth is not the base64 of username:password", n);
    if (auth == NULL && pass == NULL && str(entry, "identitytoken") == NULL)
        note(c, key, SK_SEVERITY_WARNING, "dockerconfigjson", NULL,
             "auths entry %zu has no auth, password or identitytoken", n);
}

static void check_docker_config(vctx *c, const char *key, const sk_secbuf *pt, int legacy)
{
    json_error_t jerr;
    int oom_hit = 0;
    json_t *root =
        sk_json_loadb((const char *)pt->data, pt->len, JSON_REJECT_DUPLICATES, &jerr, &oom_hit);
    int line = jerr.line, column = jerr.column;
    sk_wipe(&jerr, sizeof jerr); /* jansson's message may quote the text */
    if (oom_hit) {
        if (c->rc == SK_OK) c->rc = oom(c->err);
        return;
    }
    const json_t *auths = legacy ? root : json_object_get(root, "auths");
    if (root == NULL)
        note(c, key, SK_SEVERITY_ERROR, "dockerconfigjson", NULL,
             "not valid JSON (line %d, column %d)", line, column);
    else if (!json_is_object(auths))
        note(c, key, SK_SEVERITY_ERROR, "dockerconfigjson", NULL, "%s",
             legacy ? "not a JSON object of registries" : "has no \"auths\" object");
    size_t n = 0;
    const char *host;
    const json_t *entry;
    json_object_foreach((json_t *)auths, host, entry)
    {
        check_registry(c, key, ++n, entry);
    }
    json_decref(root);
}

static void check_content(vctx *c, const char *key, const sk_secbuf *pt)
{
    if (strcmp(key, ".dockerconfigjson") == 0) check_docker_config(c, key, pt, 0);
    if (strcmp(key, ".dockercfg") == 0) check_docker_config(c, key, pt, 1);
    if (is_default_credential(pt->data, pt->len))
        note(c, key, SK_SEVERITY_ERROR, "default-credential", NULL,
             "the value is a well-known default credential (deny-list in docs/verify.md); "
             "replace it");
}

/* ---- opening ---- */

static void check_newest(vctx *c, size_t idx, size_t which)
{
    sk_keyring *kr = c->opts->keys;
    const char *fp = sk_keyring_fingerprint(kr, which);
    sk_verify_item *it = &c->out->items[idx];
    snprintf(it->opened_by, sizeof it->opened_by, "%s", fp);
    if (c->opts->cert != NULL) {
        const char *cur = sk_pubkey_fingerprint(c->opts->cert);
        it->newest = strcmp(fp, cur) == 0;
        if (!it->newest)
            note(c, it->item, SK_SEVERITY_WARNING, "not-current-cert", fp,
                 "sealed under key %s, not under the current certificate (%s); reseal it "
                 "(sealkit reseal)",
                 fp, cur);
    } else if (sk_keyring_count(kr) == 1) {
        it->newest = 1;
    } else if (c->opts->newest_key >= 0 && (size_t)c->opts->newest_key < sk_keyring_count(kr)) {
        const char *nfp = sk_keyring_fingerprint(kr, (size_t)c->opts->newest_key);
        it->newest = which == (size_t)c->opts->newest_key;
        if (!it->newest)
            note(c, it->item, SK_SEVERITY_WARNING, "not-newest-key", fp,
                 "opened by key %s, not by the newest key given (%s); reseal it (sealkit reseal)",
                 fp, nfp);
    }
}

/* Opens under the outer label; 1 when it opens. */
static int open_item(vctx *c, size_t idx, const sk_secbuf *blob)
{
    sk_secbuf *pt = &c->buf->pt;
    size_t which = 0;
    sk_error why = {0};
    int rc = sk_keyring_decrypt_reuse(c->opts->keys, (const unsigned char *)c->label, c->label_len,
                                      blob->data, blob->len, pt, &c->buf->key, &which, &why);
    if (rc == SK_ENOMEM) c->rc = sk_error_set(c->err, rc, "%s", why.msg);
    c->out->items[idx].opens = rc == SK_OK;
    if (rc != SK_OK) {
        sk_secbuf_clear(pt);
        return 0;
    }
    c->out->items[idx].sealed_scope = (int)c->scope;
    check_newest(c, idx, which);
    check_content(c, c->out->items[idx].item, pt);
    sk_secbuf_clear(pt);
    return 1;
}

/* A label to try when an item does not open under its own. */
typedef struct guess {
    const char *ns, *name;
    sk_scope scope;
    int from_template;
} guess;

static size_t guesses(const vctx *c, guess *g)
{
    size_t n = 0;
    const char *tname = str(c->tmeta, "name"), *tns = str(c->tmeta, "namespace");
    for (int s = SK_SCOPE_STRICT; s <= SK_SCOPE_CLUSTER_WIDE; s++)
        if ((sk_scope)s != c->scope) g[n++] = (guess){c->ns, c->name, (sk_scope)s, 0};
    int other_name = tname != NULL && c->name != NULL && strcmp(tname, c->name) != 0;
    int other_ns = tns != NULL && c->ns != NULL && strcmp(tns, c->ns) != 0;
    if (other_name || other_ns)
        g[n++] = (guess){other_ns ? tns : c->ns, other_name ? tname : c->name, SK_SCOPE_STRICT, 1};
    if (other_ns) g[n++] = (guess){tns, NULL, SK_SCOPE_NAMESPACE_WIDE, 1};
    return n;
}

static void report_guess(vctx *c, const char *key, const guess *g, const char *fp)
{
    if (g->from_template) {
        note(c, key, SK_SEVERITY_ERROR, "wrong-identity", fp,
             "sealed %s for %.128s%s%.128s (spec.template.metadata's name/namespace), not for "
             "metadata's %.128s/%.128s; it does not open",
             sk_scope_name(g->scope), g->ns ? g->ns : "", g->scope == SK_SCOPE_STRICT ? "/" : "",
             g->scope == SK_SCOPE_STRICT ? g->name : "", c->ns ? c->ns : "", c->name);
        return;
    }
    const char *fix = g->scope == SK_SCOPE_CLUSTER_WIDE
                          ? "set sealedsecrets.bitnami.com/cluster-wide: \"true\" on metadata"
                      : g->scope == SK_SCOPE_NAMESPACE_WIDE
                          ? "set sealedsecrets.bitnami.com/namespace-wide: \"true\" on metadata "
                            "(and no cluster-wide annotation)"
                          : "remove the scope annotations from metadata";
    note(c, key, SK_SEVERITY_ERROR, "wrong-scope", fp,
         "sealed %s, but metadata selects scope %s, so it does not open; %s",
         sk_scope_name(g->scope), sk_scope_name(c->scope), fix);
}

/* Charges n operations to the item's diagnosis; 0 when the budget does not cover them. */
static int spend(vctx *c, size_t idx, size_t n)
{
    if (n > *c->left) return 0;
    *c->left -= n;
    c->out->items[idx].diagnose_cost += n;
    return 1;
}

/* 1 when a key opens the RSA part under the outer label but the GCM tag fails; -1 when the
 * budget ran out. */
static int altered(vctx *c, size_t idx, const sk_secbuf *blob, const char **fp)
{
    sk_keyring *kr = c->opts->keys;
    size_t need = sk_blob_rsa_len(blob->data, blob->len);
    for (size_t i = 0; i < sk_keyring_count(kr); i++) {
        /* A key smaller than the RSA part is refused before any RSA operation. */
        if (((size_t)sk_keyring_bits(kr, i) + 7) / 8 < need) continue;
        if (!spend(c, idx, 1)) return -1;
        sk_error why = {0};
        int rc = sk_hybrid_decrypt_reuse(sk_keyring_key(kr, i), (const unsigned char *)c->label,
                                         c->label_len, blob->data, blob->len, &c->buf->pt,
                                         &c->buf->key, &why);
        sk_secbuf_clear(&c->buf->pt);
        if (rc == SK_EAUTH) {
            *fp = sk_keyring_fingerprint(kr, i);
            return 1;
        }
    }
    return 0;
}

/* 1 when the guess opens it (and is reported), 0 when not, -1 when the budget ran out. */
static int try_guess(vctx *c, size_t idx, const guess *g, const sk_secbuf *blob)
{
    char *label = NULL;
    size_t len = 0, which = 0;
    if (!spend(c, idx, sk_verify_charge(c->opts->keys, sk_blob_rsa_len(blob->data, blob->len))))
        return -1;
    int rc = sk_scope_label(g->scope, g->ns, g->name, &label, &len, c->err);
    if (rc != SK_OK) {
        c->rc = rc;
        return 0;
    }
    rc = sk_keyring_decrypt_reuse(c->opts->keys, (const unsigned char *)label, len, blob->data,
                                  blob->len, &c->buf->pt, &c->buf->key, &which, NULL);
    sk_secbuf_clear(&c->buf->pt);
    free(label);
    if (rc != SK_OK) return 0;
    sk_verify_item *it = &c->out->items[idx];
    it->sealed_scope = (int)g->scope;
    snprintf(it->opened_by, sizeof it->opened_by, "%s",
             sk_keyring_fingerprint(c->opts->keys, which));
    report_guess(c, it->item, g, it->opened_by);
    return 1;
}

static int key_of_size(const sk_keyring *kr, size_t rsa_len)
{
    for (size_t i = 0; i < sk_keyring_count(kr); i++)
        if (((size_t)sk_keyring_bits(kr, i) + 7) / 8 == rsa_len) return 1;
    return 0;
}

/* The cross check (sk_verify_cross_check) tries the scan's other labels on it later. */
static void keep_unopened(vctx *c, size_t idx)
{
    if (c->rc != SK_OK) return;
    sk_verify_item *it = &c->out->items[idx];
    const json_t *v = json_object_get(c->enc, it->item);
    it->unopened = strdup(json_string_value(v));
    if (it->unopened == NULL) c->rc = oom(c->err);
    it->failed_finding = c->out->n - 1;
}

/* Why an item was not diagnosed: the same words whichever try the budget ran out on. */
static void cut_message(sk_scope scope, char *out, size_t cap)
{
    snprintf(out, cap,
             "no key given opens it under its %s label; the diagnosis budget ran out before "
             "the other labels were tried (see the diagnosis-cut finding)",
             sk_scope_name(scope));
}

static void diagnose_within(vctx *c, size_t idx, const sk_secbuf *blob, size_t opened)
{
    const char *key = c->out->items[idx].item, *fp = NULL;
    int r = altered(c, idx, blob, &fp);
    if (r > 0) {
        note(c, key, SK_SEVERITY_ERROR, "altered", fp,
             "the RSA part opens with key %s but AES-GCM authentication fails: the value was "
             "altered or corrupted",
             fp);
        return;
    }
    guess g[5];
    size_t n = guesses(c, g);
    for (size_t i = 0; r == 0 && i < n; i++)
        if (c->rc == SK_OK && (r = try_guess(c, idx, &g[i], blob)) > 0) return;
    if (r < 0) {
        char msg[256];
        cut_message(c->scope, msg, sizeof msg);
        c->out->items[idx].diagnose_cut = 1;
        note(c, key, SK_SEVERITY_ERROR, "decrypt-failed", NULL, "%s", msg);
        return;
    }
    size_t need = sk_blob_rsa_len(blob->data, blob->len);
    if (!key_of_size(c->opts->keys, need)) {
        note(c, key, SK_SEVERITY_ERROR, "no-key", NULL,
             "sealed for a %zu-bit key; no key given has that size", need * 8);
        return;
    }
    note(c, key, SK_SEVERITY_ERROR, "decrypt-failed", NULL,
         "no key given opens it under its %s label \"%.128s\", nor under the other scopes' labels: "
         "it was sealed for another name or namespace, or under a key not given%s",
         sk_scope_name(c->scope), c->label,
         opened > 0 ? "; other items of this SealedSecret open, so this value was probably "
                      "copied from another SealedSecret"
                    : "");
    keep_unopened(c, idx);
}

/* Every diagnosed item keeps its value until sk_verify_settle knows whether the budget covered
 * its diagnosis: one left with decrypt-failed (cut or not) goes on to the cross check. */
static void diagnose(vctx *c, size_t idx, const sk_secbuf *blob, size_t opened)
{
    size_t before = c->out->n;
    diagnose_within(c, idx, blob, opened);
    if (c->rc != SK_OK || c->out->n == before) return;
    sk_verify_item *it = &c->out->items[idx];
    it->diagnosed = 1;
    if (it->unopened == NULL) keep_unopened(c, idx);
    it->failed_finding = c->out->n - 1;
}

/* ---- walking the items ---- */

static void remember_digest(sk_verify_item *it, const sk_secbuf *blob)
{
    crypto_generichash(it->digest, sizeof it->digest, blob->data, blob->len, NULL, 0);
    it->has_digest = 1;
}

static void walk_items(vctx *c, int try_keys)
{
    size_t opened = 0, failed = 0;
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)c->enc, k, v)
    {
        if (c->rc != SK_OK) return;
        if (!sk_valid_item_key(k))
            note(c, k, SK_SEVERITY_ERROR, "item-key", NULL,
                 "not a valid Secret key (letters, digits, '-', '_', '.'; at most 253)");
        size_t idx = c->out->n_items;
        if (record_item(c, k) == NULL) return;
        const sk_secbuf *blob = &c->buf->blob;
        int usable = decode_item(c, k, v, 0) && check_blob(c, k, blob);
        if (usable) remember_digest(&c->out->items[idx], blob);
        if (usable && try_keys) {
            if (open_item(c, idx, blob))
                opened++;
            else
                failed++;
        }
    }
    if (failed == 0) return;
    /* Second pass: knowing whether sibling items open sharpens the diagnosis. */
    for (size_t idx = c->first_item; idx < c->out->n_items && c->rc == SK_OK; idx++) {
        if (c->out->items[idx].opens != 0) continue;
        if (decode_item(c, NULL, json_object_get(c->enc, c->out->items[idx].item), 1))
            diagnose(c, idx, &c->buf->blob, opened);
    }
}

static void check_items(vctx *c)
{
    if (!json_is_object(c->enc)) return;
    sk_keyring *kr = c->opts->keys;
    if (kr == NULL || c->label == NULL) {
        walk_items(c, 0);
        return;
    }
    /*
     * As sk_reseal_text does: the items of one SealedSecret are mostly sealed under one key, so
     * the ring tries first the key most likely to open them (keys_internal.h). The order only
     * saves RSA operations: which key opens an item, and so the report, does not depend on it.
     */
    const char *k;
    const json_t *v;
    sk_keyring_hint_begin(kr);
    json_object_foreach((json_t *)c->enc, k, v)
    {
        sk_keyring_hint_item(kr, json_string_value(v), json_string_length(v));
    }
    walk_items(c, 1);
    sk_keyring_hint_begin(kr); /* the hint is this SealedSecret's only */
}

/* ---- the SealedSecret record for policies ---- */

static int add_keys(sk_verify_secret *s, const json_t *m)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)m, k, v)
    {
        char **grown = realloc(s->keys, (s->n_keys + 1) * sizeof *grown);
        if (grown == NULL) return -1;
        s->keys = grown;
        if ((s->keys[s->n_keys] = strdup(k)) == NULL) return -1;
        s->n_keys++;
    }
    return 0;
}

static void record_secret(vctx *c)
{
    sk_findings *f = c->out;
    if (c->rc != SK_OK) return;
    if (grow((void **)&f->secrets, &f->cap_secrets, f->n_secrets, sizeof *f->secrets) != 0) {
        c->rc = oom(c->err);
        return;
    }
    sk_verify_secret *s = &f->secrets[f->n_secrets++];
    int bad = 0;
    memset(s, 0, sizeof *s);
    s->file = dup(c->at.file ? c->at.file : "-", &bad);
    s->document = c->at.document;
    s->list_item = c->at.list_item;
    s->name = dup(c->name ? c->name : "", &bad);
    s->namespace_ = dup(c->ns, &bad);
    s->type = dup(c->type, &bad);
    s->scope = c->scope;
    if (json_is_object(c->enc) && add_keys(s, c->enc) != 0) bad = 1;
    if (json_is_object(c->tdata) && add_keys(s, c->tdata) != 0) bad = 1;
    if (bad) c->rc = oom(c->err);
}

static void setup(vctx *c, const json_t *doc)
{
    c->doc = doc;
    c->meta = json_object_get(doc, "metadata");
    c->spec = json_object_get(doc, "spec");
    c->tmpl = json_object_get(c->spec, "template");
    c->tmeta = json_object_get(c->tmpl, "metadata");
    c->enc = json_object_get(c->spec, "encryptedData");
    c->tdata = json_object_get(c->tmpl, "data");
    c->name = str(c->meta, "name");
    c->ns = str(c->meta, "namespace");
    c->type = str(c->tmpl, "type");
    const json_t *ann = json_object_get(c->meta, "annotations");
    c->scope = sk_scope_from_annotations(json_is_object(ann) ? ann : NULL);
    c->first_item = c->out->n_items;
}

int sk_verify_opts_norm(const sk_verify_opts *in, sk_verify_opts *out, sk_error *err)
{
    *out = (sk_verify_opts)SK_VERIFY_OPTS_INIT;
    if (in == NULL) return SK_OK;
    if (in->version != SK_VERIFY_OPTS_VERSION)
        return sk_error_set(err, SK_EUSAGE, "sk_verify_opts version %u is not supported",
                            in->version);
    *out = *in;
    return SK_OK;
}

size_t sk_verify_budget(const sk_findings *out)
{
    return out->diagnose_budget ? out->diagnose_budget : SK_VERIFY_DIAGNOSE_BUDGET;
}

size_t sk_verify_budget_per_file(const sk_findings *out)
{
    return out->diagnose_file_budget ? out->diagnose_file_budget : SK_VERIFY_DIAGNOSE_FILE_BUDGET;
}

size_t sk_verify_budget_left(const sk_findings *out)
{
    size_t all = sk_verify_budget(out);
    return out->diagnose_spent < all ? all - out->diagnose_spent : 0;
}

size_t sk_verify_file_budget(const sk_findings *out)
{
    size_t left = sk_verify_budget_left(out), per_file = sk_verify_budget_per_file(out);
    return left < per_file ? left : per_file;
}

size_t sk_verify_charge(const sk_keyring *kr, size_t rsa_len)
{
    size_t n = 0;
    for (size_t i = 0; kr != NULL && i < sk_keyring_count(kr); i++)
        n += ((size_t)sk_keyring_bits(kr, i) + 7) / 8 >= rsa_len;
    return n;
}

/* A diagnosis the budget would not have covered, as the cut one diagnose_within writes. */
static int make_cut(sk_findings *f, sk_verify_item *it, sk_error *err)
{
    char msg[256];
    cut_message(it->scope, msg, sizeof msg);
    sk_finding *x = &f->v[it->failed_finding];
    char *m = strdup(msg);
    if (m == NULL) return oom(err);
    free(x->message);
    x->message = m;
    x->code = "decrypt-failed";
    x->key_fingerprint[0] = '\0';
    it->diagnose_cut = 1;
    it->sealed_scope = -1;
    it->opened_by[0] = '\0';
    return SK_OK;
}

int sk_verify_settle(sk_findings *out, size_t first_item, const char *file, sk_error *err)
{
    size_t budget = sk_verify_file_budget(out), left = budget, cut = 0;
    int rc = SK_OK;
    for (size_t i = first_item; rc == SK_OK && i < out->n_items; i++) {
        sk_verify_item *it = &out->items[i];
        if (!it->diagnosed) continue;
        if (!it->diagnose_cut && it->diagnose_cost <= left) {
            left -= it->diagnose_cost;
        } else {
            /* The budget ran out on this one: it took what was left. */
            if (!it->diagnose_cut) rc = make_cut(out, it, err);
            left = 0;
            cut++;
        }
        if (strcmp(out->v[it->failed_finding].code, "decrypt-failed") != 0) {
            free(it->unopened);
            it->unopened = NULL;
        }
    }
    out->diagnose_spent += budget - left;
    if (rc != SK_OK || cut == 0) return rc;
    sk_where w = {file, 0, 0, NULL};
    size_t per_file = sk_verify_budget_per_file(out);
    int whole = budget < per_file;
    return sk_findings_add(out, &w, SK_SEVERITY_INFO, "diagnosis-cut", NULL, err,
                           "%zu item%s not diagnosed: %s diagnosis budget "
                           "of %zu RSA private operations ran out%s",
                           cut, cut == 1 ? " that does not open was" : "s that do not open were",
                           whole ? "the scan's" : "this file's",
                           whole ? sk_verify_budget(out) : per_file,
                           whole ? "" : " (a file of foreign or junk values?)");
}

static int verify_doc_b(const json_t *doc, const sk_where *where, const sk_verify_opts *opts,
                        size_t *left, vbufs *buf, sk_findings *out, sk_error *err)
{
    vctx c = {
        .opts = opts, .out = out, .at = *where, .left = left, .buf = buf, .err = err, .rc = SK_OK};
    c.at.item = NULL;
    setup(&c, doc);
    check_identity(&c);
    check_meta(&c, c.meta, "metadata", 0);
    if (!json_is_object(c.spec)) {
        note(&c, NULL, SK_SEVERITY_ERROR, "spec", NULL, "spec: missing");
    } else {
        check_template(&c);
        check_spec(&c);
        int labelled = c.name != NULL && *c.name != '\0' &&
                       (c.scope == SK_SCOPE_CLUSTER_WIDE || (c.ns != NULL && *c.ns != '\0'));
        if (labelled && c.rc == SK_OK && opts->keys != NULL)
            c.rc = sk_scope_label(c.scope, c.ns, c.name, &c.label, &c.label_len, err);
        check_items(&c);
    }
    record_secret(&c);
    free(c.label);
    return c.rc;
}

int sk_verify_doc(const json_t *doc, const sk_where *where, const sk_verify_opts *opts,
                  sk_findings *out, sk_error *err)
{
    sk_verify_opts o;
    int rc = sk_verify_opts_norm(opts, &o, err);
    if (rc != SK_OK) return rc;
    size_t left = sk_verify_file_budget(out), first = out->n_items;
    vbufs buf = VBUFS_INIT;
    rc = verify_doc_b(doc, where, &o, &left, &buf, out, err);
    vbufs_free(&buf);
    return rc == SK_OK ? sk_verify_settle(out, first, where->file, err) : rc;
}

/* ---- documents and files ---- */

/* A document that is meant to be a SealedSecret but does not say so. */
static int looks_sealed(const json_t *doc)
{
    const char *api = str(doc, "apiVersion");
    return (api != NULL && strncmp(api, "bitnami.com/", 12) == 0) ||
           json_object_get(json_object_get(doc, "spec"), "encryptedData") != NULL;
}

/* Appends the keys of a plaintext map to list; the values are never looked at. */
static size_t list_keys(const json_t *m, const char *field, char *list, size_t cap)
{
    size_t n = 0, used = strlen(list);
    const char *prefix = field, *k;
    const json_t *v;
    json_object_foreach((json_t *)m, k, v)
    {
        int w = snprintf(list + used, cap - used, "%s%s%.64s", used ? ", " : "", prefix, k);
        used = w < 0 || (size_t)w >= cap - used ? cap - 1 : used + (size_t)w;
        prefix = "";
        n++;
    }
    return n;
}

/* A Secret committed with its values: named by its item keys only. */
static int check_plaintext_secret(const json_t *doc, const sk_where *w, sk_findings *out,
                                  sk_error *err)
{
    const json_t *data = json_object_get(doc, "data"), *sdata = json_object_get(doc, "stringData");
    int has = (present(data) && (!json_is_object(data) || json_object_size(data) > 0)) ||
              (present(sdata) && (!json_is_object(sdata) || json_object_size(sdata) > 0));
    if (!has) return SK_OK;
    char keys[384] = "";
    size_t n = list_keys(data, "data: ", keys, sizeof keys);
    n += list_keys(sdata, "stringData: ", keys, sizeof keys);
    const char *name = sk_meta_string(doc, "name"), *ns = sk_meta_string(doc, "namespace");
    return sk_findings_add(
        out, w, SK_SEVERITY_ERROR, "plaintext-secret", NULL, err,
        "kind: Secret %.128s%s%.128s holds %zu item%s in plaintext (%s); seal it "
        "(sealkit seal), delete this one and change the values: they are in "
        "the history",
        ns ? ns : "", ns ? "/" : "", name ? name : "(no name)", n, n == 1 ? "" : "s",
        n ? keys : "data is not a map");
}

static int verify_one(const json_t *doc, const sk_where *w, const sk_verify_opts *opts,
                      size_t *left, vbufs *buf, sk_findings *out, sk_error *err)
{
    if (sk_kind_is(doc, SK_KIND_SEALED_SECRET))
        return verify_doc_b(doc, w, opts, left, buf, out, err);
    if (sk_kind_is(doc, SK_KIND_SECRET)) return check_plaintext_secret(doc, w, out, err);
    if (!json_is_object(doc) || !looks_sealed(doc)) return SK_OK;
    const char *kind = str(doc, "kind");
    return sk_findings_add(out, w, SK_SEVERITY_ERROR, "kind", NULL, err,
                           "kind: expected SealedSecret, found %.64s", kind ? kind : "nothing");
}

typedef struct walk_ctx {
    const char *file;
    const sk_verify_opts *opts;
    size_t *left;
    sk_findings *out;
    vbufs buf; /* shared by the file's SealedSecrets */
} walk_ctx;

static int verify_object(const sk_object *o, void *ctx, sk_error *err)
{
    walk_ctx *c = ctx;
    sk_where w = {c->file, o->document, o->item, NULL};
    return verify_one(o->obj, &w, c->opts, c->left, &c->buf, c->out, err);
}

static int verify_docs_b(const sk_docs *docs, const char *file, const sk_verify_opts *opts,
                         size_t *left, sk_findings *out, sk_error *err)
{
    walk_ctx c = {file, opts, left, out, VBUFS_INIT};
    sk_error werr = {0};
    int rc = sk_docs_walk(docs, verify_object, &c, &werr);
    vbufs_free(&c.buf);
    if (rc == SK_OK) return rc;
    if (rc == SK_ENOMEM) return sk_error_set(err, rc, "%s", werr.msg);
    /* Only a malformed List stops the walk: a problem of the file, reported like a parse error. */
    sk_where w = {file, werr.document, werr.item, NULL};
    return sk_findings_add(out, &w, SK_SEVERITY_ERROR, "parse", NULL, err, "%s", werr.msg);
}

int sk_verify_docs(const sk_docs *docs, const char *file, const sk_verify_opts *opts,
                   sk_findings *out, sk_error *err)
{
    sk_verify_opts o;
    int rc = sk_verify_opts_norm(opts, &o, err);
    if (rc != SK_OK) return rc;
    size_t left = sk_verify_file_budget(out), first = out->n_items;
    rc = verify_docs_b(docs, file, &o, &left, out, err);
    return rc == SK_OK ? sk_verify_settle(out, first, file, err) : rc;
}

/* ---- lines and columns, for reports that point into the file (SARIF) ---- */

typedef struct marks {
    size_t first_finding, first_item, first_secret;
} marks;

/* 1-based line and column of byte off: lines before it are counted once per file, in order. */
typedef struct cursor {
    const unsigned char *buf;
    size_t off, line, line_start;
} cursor;

static void seek(cursor *c, size_t off, size_t *line, size_t *column)
{
    if (off < c->off) c->off = 0, c->line = 1, c->line_start = 0;
    for (; c->off < off; c->off++)
        if (c->buf[c->off] == '\n') c->line++, c->line_start = c->off + 1;
    *line = c->line;
    *column = off - c->line_start + 1;
}

static size_t doc_line(const sk_docs *docs, size_t document)
{
    return document > 0 && document <= docs->n ? docs->line[document - 1] : 0;
}

static void place_items(const unsigned char *buf, const sk_docs *docs, const sk_spans *spans,
                        sk_findings *out, const marks *m)
{
    cursor cur = {buf, 0, 1, 0};
    size_t j = 0;
    for (size_t i = m->first_item; i < out->n_items; i++) {
        sk_verify_item *it = &out->items[i];
        const sk_span *sp = j < spans->n ? &spans->v[j] : NULL;
        if (sp == NULL || sp->document != it->document || sp->item != it->list_item ||
            strcmp(sp->key, it->item) != 0)
            sp = sk_spans_find(spans, it->document, it->list_item, it->item);
        else
            j++;
        it->line = doc_line(docs, it->document), it->column = it->line ? 1 : 0;
        if (sp != NULL) seek(&cur, sp->start, &it->line, &it->column);
    }
}

static int is_item_of(const sk_verify_item *it, const sk_finding *x)
{
    return it->document == x->document && it->list_item == x->list_item &&
           strcmp(it->item, x->item) == 0;
}

/* The item a finding is about; *hint (the last match) makes findings in item order cheap. */
static const sk_verify_item *item_of(const sk_findings *out, const marks *m, const sk_finding *x,
                                     size_t *hint)
{
    if (x->item == NULL) return NULL;
    for (size_t k = *hint; k < out->n_items && k < *hint + 2; k++)
        if (is_item_of(&out->items[k], x)) return &out->items[*hint = k];
    for (size_t i = m->first_item; i < out->n_items; i++)
        if (is_item_of(&out->items[i], x)) return &out->items[*hint = i];
    return NULL;
}

/* An item's finding points at its value, any other at the start of its document. */
static void place(const unsigned char *buf, const sk_docs *docs, const sk_spans *spans,
                  sk_findings *out, const marks *m)
{
    place_items(buf, docs, spans, out, m);
    for (size_t i = m->first_secret; i < out->n_secrets; i++)
        out->secrets[i].line = doc_line(docs, out->secrets[i].document);
    size_t hint = m->first_item;
    for (size_t i = m->first_finding; i < out->n; i++) {
        sk_finding *x = &out->v[i];
        const sk_verify_item *it = item_of(out, m, x, &hint);
        x->line = it ? it->line : doc_line(docs, x->document);
        x->column = it ? it->column : x->line ? 1 : 0;
    }
}

int sk_verify_text_budget(const unsigned char *buf, size_t len, const char *file,
                          const sk_verify_opts *opts, size_t budget, sk_findings *out,
                          sk_error *err)
{
    int rc;
    sk_docs docs = {0};
    sk_spans spans = {0};
    sk_error perr = {0};
    out->files++;
    rc = sk_docs_parse_spans(buf, len, file, &docs, &spans, &perr);
    if (rc == SK_ENOMEM) return sk_error_set(err, rc, "%s", perr.msg);
    if (rc != SK_OK) {
        sk_where w = {file, 0, 0, NULL};
        char msg[SK_ERROR_MSG_MAX + 96];
        sk_error_format_in_source(&perr, msg, sizeof msg);
        rc = sk_findings_add(out, &w, SK_SEVERITY_ERROR, "parse", NULL, err, "%s", msg);
        if (rc == SK_OK)
            out->v[out->n - 1].line = perr.line, out->v[out->n - 1].column = perr.line > 0;
        return rc;
    }
    marks m = {out->n, out->n_items, out->n_secrets};
    rc = verify_docs_b(&docs, file, opts, &budget, out, err);
    if (rc == SK_OK) place(buf, &docs, &spans, out, &m);
    sk_spans_free(&spans);
    sk_docs_free(&docs);
    return rc;
}

int sk_verify_text(const unsigned char *buf, size_t len, const char *file,
                   const sk_verify_opts *opts, sk_findings *out, sk_error *err)
{
    sk_verify_opts o;
    int rc = sk_verify_opts_norm(opts, &o, err);
    if (rc != SK_OK) return rc;
    size_t first = out->n_items;
    rc = sk_verify_text_budget(buf, len, file, &o, sk_verify_file_budget(out), out, err);
    return rc == SK_OK ? sk_verify_settle(out, first, file, err) : rc;
}
