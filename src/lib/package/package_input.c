/* Package naming, dates, and what a package may hold. */
#include <sealkit/package.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sealkit/model.h>
#include <sealkit/seal.h>

#include "core/dns1123.h"
#include "package/package_internal.h"
#include "core/timeutil.h"

#define USTAR_MAX_MTIME 8589934591LL /* 11 octal digits */

int sk_pkg_valid_file_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SK_PACKAGE_FILE_NAME_MAX || !isalnum((unsigned char)s[0])) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-') return 0;
    }
    return 1;
}

int sk_pkg_is_kustomization_name(const char *s)
{
    return strcmp(s, "kustomization.yaml") == 0 || strcmp(s, "kustomization.yml") == 0 ||
           strcmp(s, "Kustomization") == 0;
}

void sk_pkg_printable(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; s[n] && n + 1 < size; n++)
        out[n] = (char)((unsigned char)s[n] < 0x20 || (unsigned char)s[n] >= 0x7f ? '?' : s[n]);
    out[n] = '\0';
}

int sk_package_parse_date(const char *s, int64_t *midnight, sk_error *err)
{
    int ok = s != NULL && strlen(s) == 8;
    for (size_t i = 0; ok && i < 8; i++)
        ok = isdigit((unsigned char)s[i]);
    if (ok) {
        int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + s[3] - '0';
        int month = (s[4] - '0') * 10 + s[5] - '0';
        int day = (s[6] - '0') * 10 + s[7] - '0';
        /* sk_civil_to_unix refuses 20250231 and month 13; the epoch is our own floor. */
        ok = year >= 1970 && sk_civil_to_unix(year, month, day, 0, 0, 0, midnight);
    }
    if (!ok)
        return sk_error_set(err, SK_EUSAGE,
                            "date \"%.16s\": expected YYYYMMDD, a real date "
                            "from 19700101",
                            s ? s : "");
    return SK_OK;
}

int sk_package_parse_epoch(const char *s, int64_t *t, sk_error *err)
{
    int64_t v = 0;
    int ok = s != NULL && *s != '\0' && strlen(s) <= 12;
    for (const char *p = s; ok && *p; p++) {
        ok = isdigit((unsigned char)*p);
        v = v * 10 + (*p - '0');
    }
    if (!ok || v > USTAR_MAX_MTIME)
        return sk_error_set(err, SK_EUSAGE,
                            "SOURCE_DATE_EPOCH \"%.16s\": expected seconds since "
                            "1970 (decimal, at most %lld)",
                            s ? s : "", USTAR_MAX_MTIME);
    *t = v;
    return SK_OK;
}

int sk_package_filename(const sk_package_opts *o, char *out, size_t size, sk_error *err)
{
    if (o == NULL) return sk_error_set(err, SK_EUSAGE, "sk_package_opts is NULL");
    if (o->version != SK_PACKAGE_OPTS_VERSION)
        return sk_error_set(err, SK_EUSAGE, "sk_package_opts version %u is not supported",
                            o->version);
    if (!sk_dns1123_label(o->namespace_))
        return sk_error_set(err, SK_EUSAGE,
                            "namespace \"%.64s\": must be a DNS label "
                            "([a-z0-9-], at most 63 bytes)",
                            o->namespace_ ? o->namespace_ : "");
    if (!sk_dns1123_label(o->set))
        return sk_error_set(err, SK_EUSAGE,
                            "set \"%.64s\": must be a DNS label ([a-z0-9-], at "
                            "most 63 bytes)",
                            o->set ? o->set : "");
    if (o->mtime < 0 || o->mtime > USTAR_MAX_MTIME)
        return sk_error_set(err, SK_EUSAGE, "date out of range (1970 to 2242)");
    time_t t = (time_t)o->mtime;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) return sk_error_set(err, SK_EUSAGE, "date out of range");
    int n = snprintf(out, size, "%s-%s-secrets-%04d%02d%02d.tar.gz", o->namespace_, o->set,
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    if (n < 0 || (size_t)n >= size) return sk_error_set(err, SK_ELIMIT, "package name too long");
    return SK_OK;
}

int sk_pkg_refuse_kind(const char *kind, sk_error *err)
{
    if (kind != NULL && strcmp(kind, "Secret") == 0) {
        sk_error_set(err, SK_EINVAL,
                     "a plaintext Secret (kind: Secret); a package never holds "
                     "plaintext");
        sk_error_hint(err, "seal it first: sealkit seal --cert CERT -f FILE -w SEALED.yaml");
    } else if (kind != NULL && strcmp(kind, "List") == 0) {
        sk_error_set(err, SK_EINVAL,
                     "kind: List; a package holds SealedSecret documents, one per "
                     "document");
    } else {
        char shown[65];
        sk_pkg_printable(kind ? kind : "(none)", shown, sizeof shown);
        sk_error_set(err, SK_EINVAL,
                     "kind: %s is not a SealedSecret; a package holds only "
                     "SealedSecrets, so that 'sealkit package verify' can check everything it "
                     "delivers",
                     shown);
    }
    return SK_EINVAL;
}

static const char *meta_namespace(const json_t *meta)
{
    return json_string_value(json_object_get(meta, "namespace"));
}

int sk_pkg_check_sealed_doc(const sk_docs *docs, size_t i, const char *ns, const char **doc_ns,
                            sk_error *err)
{
    const json_t *doc = docs->doc[i];
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    if (kind == NULL || strcmp(kind, SK_KIND_SEALED_SECRET) != 0) {
        return sk_error_at_object(err, sk_pkg_refuse_kind(kind, err), i + 1, 0);
    }
    sk_scope scope;
    int rc = sk_sealed_check(doc, &scope, err);
    if (rc != SK_OK) return sk_error_at_object(err, rc, i + 1, 0);
    const json_t *meta = json_object_get(doc, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *outer = meta_namespace(meta);
    const json_t *tmeta =
        json_object_get(json_object_get(json_object_get(doc, "spec"), "template"), "metadata");
    const char *inner = meta_namespace(tmeta);
    const char *bad = outer && ns && strcmp(outer, ns) != 0   ? outer
                      : inner && ns && strcmp(inner, ns) != 0 ? inner
                                                              : NULL;
    if (bad != NULL) {
        sk_error_set(err, SK_EINVAL,
                     "SealedSecret %.64s: %snamespace \"%.64s\" is "
                     "not the package's namespace \"%.64s\"",
                     name, bad == outer ? "metadata." : "spec.template.metadata.", bad, ns);
        sk_error_hint(err, "package each namespace separately (--namespace)");
        return sk_error_at_object(err, SK_EINVAL, i + 1, 0);
    }
    if (doc_ns != NULL) *doc_ns = outer;
    return SK_OK;
}

int sk_pkg_parse_sealed_file(const sk_package_input *in, const char *ns, sk_docs *docs,
                             sk_error *err)
{
    if (in->len > SK_PACKAGE_MAX_ENTRY) {
        sk_error_set(err, SK_ELIMIT, "larger than the %u MiB entry limit",
                     SK_PACKAGE_MAX_ENTRY >> 20);
        return sk_error_at_source(err, SK_ELIMIT, in->path);
    }
    int rc = sk_docs_parse(in->data, in->len, in->path, docs, err); /* names in->path */
    if (rc != SK_OK) return rc;
    if (docs->n == 0) rc = sk_error_set(err, SK_EINVAL, "holds no SealedSecret");
    for (size_t i = 0; rc == SK_OK && i < docs->n; i++)
        rc = sk_pkg_check_sealed_doc(docs, i, ns, NULL, err);
    if (rc != SK_OK) {
        sk_docs_free(docs);
        sk_error_at_source(err, rc, in->path);
    }
    return rc;
}

int sk_package_check_input(const sk_package_input *in, const char *ns, sk_error *err)
{
    sk_docs docs = {0};
    int rc = sk_pkg_parse_sealed_file(in, ns, &docs, err);
    if (rc == SK_OK) sk_docs_free(&docs);
    return rc;
}
