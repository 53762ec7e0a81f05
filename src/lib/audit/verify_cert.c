/*
 * Certificate inventory for `sealkit cert` (the newest key is chosen by sk_keyring_newest):
 * every certificate of a PEM text, of a TLS Secret's data["tls.crt"], of a
 * List of them or of a multi-document key backup (docs/format.md §5.2, §6.3-6.4).
 * Only certificates are decoded; tls.key values are never touched.
 */
#include <sealkit/verify.h>
#include <sealkit/crypto.h>
#include <sealkit/model.h>
#include <sealkit/timefmt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/pem.h"

typedef struct cert_list {
    sk_cert_info *v;
    size_t n, cap;
} cert_list;

/* What the certificates found next share: where they came from. */
typedef struct origin {
    const char *source; /* "document 1, item 2: data[tls.crt]"; NULL for a bare PEM text */
    const char *secret;
    const char *state;
} origin;

static int add_info(cert_list *l, const sk_pubkey *pk, const origin *o, size_t block, sk_error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        sk_cert_info *v = realloc(l->v, cap * sizeof *v);
        if (v == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    sk_cert_info *c = &l->v[l->n++];
    memset(c, 0, sizeof *c);
    if (o->source != NULL && block > 1)
        snprintf(c->source, sizeof c->source, "%s, certificate %zu", o->source, block);
    else if (o->source != NULL)
        snprintf(c->source, sizeof c->source, "%s", o->source);
    else
        snprintf(c->source, sizeof c->source, "PEM block %zu", block);
    snprintf(c->secret, sizeof c->secret, "%s", o->secret ? o->secret : "");
    snprintf(c->state, sizeof c->state, "%s", o->state ? o->state : "");
    snprintf(c->subject, sizeof c->subject, "%s", sk_pubkey_subject(pk));
    snprintf(c->fingerprint, sizeof c->fingerprint, "%s", sk_pubkey_fingerprint(pk));
    c->bits = sk_pubkey_bits(pk);
    c->flags = sk_pubkey_flags(pk);
    c->not_before = sk_pubkey_not_before(pk);
    c->not_after = sk_pubkey_not_after(pk);
    return SK_OK;
}

/* Each block from its BEGIN line to its END line (or the end of the text) is loaded alone. */
static int scan_blocks(cert_list *l, const char *text, size_t len, const char *kind,
                       const origin *o, time_t now, sk_error *err)
{
    size_t pos = 0, block = 0;
    sk_pem_block b;
    while (sk_pem_next(text, len, &pos, kind, &b)) {
        sk_pubkey *pk = NULL;
        int rc = sk_pubkey_from_pem_ex(text + b.begin, b.end - b.begin, now,
                                       SK_PUBKEY_ALLOW_EXPIRED, &pk, err);
        block++;
        if (rc == SK_OK) rc = add_info(l, pk, o, block, err);
        sk_pubkey_free(pk);
        if (rc != SK_OK) {
            /* In a Secret: the walk records the document; the field is ours to name. */
            if (o->source != NULL)
                sk_error_prefix(err, "data[tls.crt]: ");
            else
                sk_error_prefix(err, "PEM block %zu: ", block);
            return rc; /* not sk_error_prefix's value: err may be NULL */
        }
    }
    return SK_OK;
}

static int scan_pem(cert_list *l, const char *text, size_t len, const origin *o, time_t now,
                    sk_error *err)
{
    size_t before = l->n;
    int rc = scan_blocks(l, text, len, "CERTIFICATE", o, now, err);
    if (rc == SK_OK && l->n == before) rc = scan_blocks(l, text, len, "PUBLIC KEY", o, now, err);
    return rc;
}

static int scan_secret(cert_list *l, const json_t *doc, const char *where, time_t now,
                       sk_error *err)
{
    const json_t *crt = json_object_get(json_object_get(doc, "data"), "tls.crt");
    if (!json_is_string(crt)) return SK_OK; /* not a key Secret: nothing to list */
    const json_t *meta = json_object_get(doc, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *state =
        json_string_value(json_object_get(json_object_get(meta, "labels"), SK_LABEL_SEALING_KEY));
    char source[96], secret[256];
    snprintf(source, sizeof source, "%s: data[tls.crt]", where);
    snprintf(secret, sizeof secret, "%s%s%s", ns ? ns : "", ns ? "/" : "", name ? name : "");
    origin o = {source, secret, state};
    sk_secbuf pem = SK_SECBUF_INIT;
    int rc = sk_base64_decode(json_string_value(crt), json_string_length(crt), &pem, err);
    if (rc != SK_OK) {
        sk_error_prefix(err, "data[tls.crt]: ");
        return rc;
    }
    size_t before = l->n;
    rc = scan_pem(l, (const char *)pem.data, pem.len, &o, now, err);
    if (rc == SK_OK && l->n == before)
        rc = sk_error_set(err, SK_EPARSE, "data[tls.crt]: holds no CERTIFICATE block");
    sk_secbuf_free(&pem);
    return rc;
}

typedef struct scan_ctx {
    cert_list *l;
    time_t now;
} scan_ctx;

static int scan_object(const sk_object *o, void *ctx, sk_error *err)
{
    const scan_ctx *c = ctx;
    char where[64];
    sk_object_where(o, where, sizeof where);
    return scan_secret(c->l, o->obj, where, c->now, err);
}

static int scan_docs(cert_list *l, const char *text, size_t len, const char *source, time_t now,
                     sk_error *err)
{
    sk_docs docs = {0};
    scan_ctx c = {l, now};
    int rc = sk_docs_parse((const unsigned char *)text, len, source, &docs, err);
    if (rc == SK_OK) rc = sk_docs_walk(&docs, scan_object, &c, err);
    sk_docs_free(&docs);
    return rc;
}

int sk_cert_scan(const char *text, size_t len, const char *source, time_t now, sk_cert_info **out,
                 size_t *n, sk_error *err)
{
    cert_list l = {0};
    origin bare = {NULL, NULL, NULL};
    *out = NULL;
    *n = 0;
    int rc = sk_pem_present(text, len) ? scan_pem(&l, text, len, &bare, now, err)
                                       : scan_docs(&l, text, len, source, now, err);
    if (rc == SK_OK && l.n == 0) {
        sk_error_set(err, SK_EINVAL, "no certificate found");
        sk_error_hint(err, "give a PEM certificate, a key Secret with data[tls.crt], or a backup "
                           "List of them");
        rc = SK_EINVAL;
    }
    if (rc != SK_OK) {
        free(l.v);
        sk_error_at_source(err, rc, source);
        return rc;
    }
    *out = l.v;
    *n = l.n;
    return SK_OK;
}

/* ---- the --cert of sealkit verify ---- */

/* A key seal refuses (loaded with SK_PUBKEY_ALLOW_WEAK to report it), or an exponent no controller
 * makes. */
static int key_findings(const sk_pubkey *cert, const sk_where *w, sk_findings *f, sk_error *err)
{
    unsigned flags = sk_pubkey_flags(cert);
    if (flags & SK_CERT_WEAK_KEY)
        return sk_findings_add(f, w, SK_SEVERITY_ERROR, "cert-weak-key", NULL, err,
                               "%s; seal refuses this certificate, and what was sealed under it "
                               "may be readable without the private key",
                               sk_pubkey_weakness(cert));
    if (flags & SK_CERT_UNUSUAL_EXPONENT)
        return sk_findings_add(f, w, SK_SEVERITY_WARNING, "cert-unusual-exponent", NULL, err,
                               "the RSA public exponent is not 65537: the sealed-secrets "
                               "controller never makes such a key; check where this "
                               "certificate came from");
    return SK_OK;
}

static int expiry_findings(const sk_pubkey *cert, const sk_where *w, time_t now, long warn_days,
                           sk_findings *f, sk_error *err)
{
    if (sk_pubkey_flags(cert) & SK_CERT_IS_BARE_KEY) return SK_OK; /* it has no validity period */
    int64_t until = sk_pubkey_not_after(cert);
    char when[32];
    sk_time_format(until, when, sizeof when);
    if (until < (int64_t)now)
        return sk_findings_add(f, w, SK_SEVERITY_ERROR, "cert-expired", NULL, err,
                               "the certificate expired on %s: the controller has renewed its "
                               "key since; fetch the current certificate (kubeseal --fetch-cert)",
                               when);
    if (until - (int64_t)now < (int64_t)warn_days * 86400)
        return sk_findings_add(f, w, SK_SEVERITY_WARNING, "cert-expiring", NULL, err,
                               "the certificate expires on %s, within %ld days; fetch the "
                               "renewed one when the controller rotates (kubeseal --fetch-cert)",
                               when, warn_days);
    return SK_OK;
}

int sk_verify_cert_findings(const sk_pubkey *cert, const char *source, time_t now, long warn_days,
                            sk_findings *f, sk_error *err)
{
    sk_where w = {source, 0, 0, NULL};
    int rc = key_findings(cert, &w, f, err);
    if (rc == SK_OK) rc = expiry_findings(cert, &w, now, warn_days, f, err);
    return rc;
}
