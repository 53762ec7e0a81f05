/*
 * The manifest reader's entry points, shared helpers, and the JSON value of a
 * YAML 1.1 plain scalar (yaml11.c resolves it as go-yaml v2, kubeseal's parser, does).
 */
#include "formats/doc_internal.h"
#include "formats/doc_spans.h"
#include "formats/yaml11.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How far sk_detect_format looks for the first non-blank byte (docs/format.md §3.6). */
#define DETECT_WINDOW 4096

int sk_doc_error(sk_error *err, int code, sk_doc_where at, const char *fmt, ...)
{
    char what[SK_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    sk_error_set(err, code, "%s", what);
    sk_error_at_source(err, code, at.source);
    sk_error_at_object(err, code, at.docno, 0);
    return sk_error_at_line(err, code, at.line);
}

int sk_doc_push(sk_docs *docs, json_t *doc, size_t line, sk_error *err)
{
    // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of json_t pointers, not of json_t
    json_t **d = realloc(docs->doc, (docs->n + 1) * sizeof *d);
    if (d != NULL) docs->doc = d;
    size_t *l = d ? realloc(docs->line, (docs->n + 1) * sizeof *l) : NULL;
    if (l != NULL) docs->line = l;
    if (d == NULL || l == NULL) {
        json_decref(doc);
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    }
    docs->doc[docs->n] = doc;
    docs->line[docs->n] = line;
    docs->n++;
    return SK_OK;
}

size_t sk_doc_line_at(const unsigned char *buf, size_t off)
{
    size_t line = 1;
    for (const unsigned char *p = buf, *end = buf + off; (p = memchr(p, '\n', (size_t)(end - p)));
         p++)
        line++;
    return line;
}

size_t sk_doc_bom_len(const unsigned char *buf, size_t len)
{
    return len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF ? 3 : 0;
}

static int is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

sk_format sk_detect_format(const unsigned char *buf, size_t len)
{
    for (size_t i = sk_doc_bom_len(buf, len); i < len && i < DETECT_WINDOW; i++) {
        if (!is_blank(buf[i])) return buf[i] == '{' ? SK_FORMAT_JSON : SK_FORMAT_YAML;
    }
    return SK_FORMAT_YAML;
}

void sk_docs_free(sk_docs *docs)
{
    if (docs == NULL) return;
    for (size_t i = 0; i < docs->n; i++)
        json_decref(docs->doc[i]);
    free(docs->doc);
    free(docs->line);
    docs->doc = NULL;
    docs->line = NULL;
    docs->n = 0;
}

/*
 * jansson keeps no positions, but JSON text is YAML flow text: libyaml, reading it once more,
 * says where each value is. Text it cannot read (a surrogate pair escape, a key over 1,024
 * characters) gets no spans, and the caller does without.
 */
static int json_spans(const unsigned char *buf, size_t len, const char *source, sk_spans *spans,
                      sk_error *err)
{
    sk_docs shadow = {0};
    sk_error ignored = {0};
    int rc = sk_doc_parse_yaml(buf, len, source, &shadow, spans, &ignored);
    sk_docs_free(&shadow);
    if (rc == SK_OK) return SK_OK;
    sk_spans_free(spans);
    return rc == SK_ENOMEM ? sk_error_set(err, rc, "%s", ignored.msg) : SK_OK;
}

int sk_docs_parse_spans(const unsigned char *buf, size_t len, const char *source, sk_docs *out,
                        sk_spans *spans, sk_error *err)
{
    memset(out, 0, sizeof *out);
    if (spans != NULL) memset(spans, 0, sizeof *spans);
    if (buf == NULL && len > 0) return sk_error_set(err, SK_EUSAGE, "sk_docs_parse: no input");
    if (len == 0) return SK_OK;
    out->format = sk_detect_format(buf, len);
    int rc = out->format == SK_FORMAT_JSON
                 ? sk_doc_parse_json(buf, len, sk_doc_bom_len(buf, len), source, out, err)
                 : sk_doc_parse_yaml(buf, len, source, out, spans, err);
    if (rc == SK_OK && out->format == SK_FORMAT_JSON && spans != NULL)
        rc = json_spans(buf, len, source, spans, err);
    if (rc != SK_OK) {
        sk_docs_free(out);
        if (spans != NULL) sk_spans_free(spans);
    }
    return rc;
}

int sk_docs_parse(const unsigned char *buf, size_t len, const char *source, sk_docs *out,
                  sk_error *err)
{
    return sk_docs_parse_spans(buf, len, source, out, NULL, err);
}

/* ---- where a container sits in a Kubernetes object ---- */

struct role_step {
    sk_doc_role parent;
    const char *key;
    int is_map;
    sk_doc_role child;
};

static const struct role_step role_steps[] = {
    {SK_ROLE_ROOT, "items", 0, SK_ROLE_ITEMS},
    {SK_ROLE_METADATA, "labels", 1, SK_ROLE_LABELS},
    {SK_ROLE_METADATA, "annotations", 1, SK_ROLE_ANNOTATIONS},
    {SK_ROLE_SPEC, "encryptedData", 1, SK_ROLE_ENCRYPTED_DATA},
    {SK_ROLE_SPEC, "template", 1, SK_ROLE_TEMPLATE},
    {SK_ROLE_TEMPLATE, "metadata", 1, SK_ROLE_TEMPLATE_METADATA},
    {SK_ROLE_TEMPLATE, "data", 1, SK_ROLE_TEMPLATE_DATA},
    {SK_ROLE_TEMPLATE_METADATA, "labels", 1, SK_ROLE_TEMPLATE_LABELS},
    {SK_ROLE_TEMPLATE_METADATA, "annotations", 1, SK_ROLE_TEMPLATE_ANNOTATIONS},
};

/* Members of an object, a document's root or a List item alike. */
static const struct role_step object_steps[] = {
    {SK_ROLE_OTHER, "metadata", 1, SK_ROLE_METADATA},
    {SK_ROLE_OTHER, "spec", 1, SK_ROLE_SPEC},
    {SK_ROLE_OTHER, "data", 1, SK_ROLE_DATA},
    {SK_ROLE_OTHER, "stringData", 1, SK_ROLE_STRING_DATA},
};

static int step_matches(const struct role_step *s, const char *key, size_t len, int is_map)
{
    return s->is_map == is_map && strlen(s->key) == len && memcmp(s->key, key, len) == 0;
}

sk_doc_role sk_doc_child_role(sk_doc_role parent, const char *key, size_t key_len, int is_map)
{
    if (parent == SK_ROLE_ITEMS) return is_map ? SK_ROLE_ITEM : SK_ROLE_OTHER;
    if (key == NULL) return SK_ROLE_OTHER;
    for (size_t i = 0; i < sizeof role_steps / sizeof role_steps[0]; i++)
        if (role_steps[i].parent == parent && step_matches(&role_steps[i], key, key_len, is_map))
            return role_steps[i].child;
    if (parent != SK_ROLE_ROOT && parent != SK_ROLE_ITEM) return SK_ROLE_OTHER;
    for (size_t i = 0; i < sizeof object_steps / sizeof object_steps[0]; i++)
        if (step_matches(&object_steps[i], key, key_len, is_map)) return object_steps[i].child;
    return SK_ROLE_OTHER;
}

const char *sk_doc_role_field(sk_doc_role role)
{
    switch (role) {
    case SK_ROLE_DATA:
        return "data";
    case SK_ROLE_STRING_DATA:
        return "stringData";
    case SK_ROLE_LABELS:
        return "metadata.labels";
    case SK_ROLE_ANNOTATIONS:
        return "metadata.annotations";
    case SK_ROLE_ENCRYPTED_DATA:
        return "spec.encryptedData";
    case SK_ROLE_TEMPLATE_DATA:
        return "spec.template.data";
    case SK_ROLE_TEMPLATE_LABELS:
        return "spec.template.metadata.labels";
    case SK_ROLE_TEMPLATE_ANNOTATIONS:
        return "spec.template.metadata.annotations";
    default:
        return NULL;
    }
}

/* ---- YAML 1.1 plain scalars: yaml11.c decides, this picks the JSON value ---- */

int sk_doc_resolve_plain(const char *s, size_t n, json_t **out)
{
    sk_yaml11_value v;
    *out = NULL;
    switch (sk_yaml11_resolve(s, n, &v)) {
    case SK_YAML11_NULL:
        *out = json_null();
        break;
    case SK_YAML11_BOOL:
        *out = json_boolean(v.boolean);
        break;
    case SK_YAML11_INT:
        /* Above INT64_MAX json_int_t cannot hold it: a real, as most JSON readers would. */
        *out = v.is_unsigned ? json_real((double)v.u) : json_integer((json_int_t)v.i);
        break;
    case SK_YAML11_FLOAT:
        /* .inf and .nan: JSON cannot carry them (upstream fails too, converting to JSON). */
        if (!isfinite(v.f)) return SK_EINVAL;
        *out = json_real(v.f);
        break;
    case SK_YAML11_NOMEM:
        return SK_ENOMEM;
    default:
        /* Strings, and timestamps: go-yaml v2 gives interface{} their text, not a time. */
        *out = json_stringn(s, n);
    }
    return *out ? SK_OK : SK_ENOMEM;
}
