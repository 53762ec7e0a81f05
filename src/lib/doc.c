/*
 * The manifest reader's entry points, shared helpers, and YAML 1.1 plain
 * scalar resolution as go-yaml v2 (kubeseal's parser) does it.
 */
#include "doc_internal.h"

#include <locale.h>
#include <math.h>
#include <sodium.h>
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
    sk_error_at_source(err, at.source);
    sk_error_at_object(err, at.docno, 0);
    return sk_error_at_line(err, at.line);
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

int sk_docs_parse(const unsigned char *buf, size_t len, const char *source, sk_docs *out,
                  sk_error *err)
{
    memset(out, 0, sizeof *out);
    if (buf == NULL && len > 0) return sk_error_set(err, SK_EUSAGE, "sk_docs_parse: no input");
    if (len == 0) return SK_OK;
    out->format = sk_detect_format(buf, len);
    int rc = out->format == SK_FORMAT_JSON
                 ? sk_doc_parse_json(buf, len, sk_doc_bom_len(buf, len), source, out, err)
                 : sk_doc_parse_yaml(buf, len, source, out, err);
    if (rc != SK_OK) sk_docs_free(out);
    return rc;
}

/* ---- YAML 1.1 plain scalars (go-yaml v2 resolve.go) ------------------- */

static const char *const null_words[] = {"~", "null", "Null", "NULL"};
static const char *const true_words[] = {"y",  "Y",  "yes",  "Yes",  "YES", "on",
                                         "On", "ON", "true", "True", "TRUE"};
static const char *const false_words[] = {"n",   "N",   "no",    "No",    "NO",   "off",
                                          "Off", "OFF", "false", "False", "FALSE"};
static const char *const nonfinite_words[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",  ".INF",
                                              "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"};

#define IN_LIST(list, s, n) in_list((list), sizeof(list) / sizeof((list)[0]), (s), (n))

static int in_list(const char *const *list, size_t count, const char *s, size_t n)
{
    for (size_t i = 0; i < count; i++) {
        if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0) return 1;
    }
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* One or more ASCII digits at s[*i]; with sep, single '_' between digits (Go syntax). */
static int scan_digits(const char *s, size_t n, size_t *i, int sep)
{
    if (*i >= n || !is_digit(s[*i])) return 0;
    (*i)++;
    while (*i < n) {
        if (is_digit(s[*i])) {
            (*i)++;
        } else if (sep && s[*i] == '_' && *i + 1 < n && is_digit(s[*i + 1])) {
            *i += 2;
        } else {
            break;
        }
    }
    return 1;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int yaml_style_float(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i < n && s[i] == '.') {
        i++;
        if (!scan_digits(s, n, &i, 0)) return 0;
    } else {
        if (!scan_digits(s, n, &i, 0)) return 0;
        if (i < n && s[i] == '.') {
            i++;
            while (i < n && is_digit(s[i]))
                i++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (!scan_digits(s, n, &i, 0)) return 0;
    }
    return i == n;
}

/* What Go's strconv.ParseFloat accepts for text starting with '.'. */
static int go_dot_float(const char *s, size_t n)
{
    size_t i = 1;
    if (!scan_digits(s, n, &i, 1)) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (!scan_digits(s, n, &i, 1)) return 0;
    }
    return i == n;
}

static int digit_value(char c)
{
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 99;
}

/* Go's strconv.ParseUint(s, 0, 64): 0x / 0o / 0b prefixes, leading 0 = octal. */
static int go_parse_uint(const char *s, uint64_t *v)
{
    unsigned base = 10;
    if (s[0] == '0' && s[1] != '\0') {
        char p = (char)(s[1] | 0x20);
        int prefixed = s[2] != '\0' && (p == 'x' || p == 'o' || p == 'b');
        base = !prefixed ? 8 : p == 'x' ? 16 : p == 'o' ? 8 : 2;
        s += prefixed ? 2 : 1;
    }
    if (*s == '\0') return 0;
    uint64_t acc = 0;
    for (; *s; s++) {
        unsigned d = (unsigned)digit_value(*s);
        if (d >= base || acc > (UINT64_MAX - d) / base) return 0;
        acc = acc * base + d;
    }
    *v = acc;
    return 1;
}

/* Go's strconv.ParseInt(s, 0, 64). */
static int go_parse_int(const char *s, int64_t *v)
{
    int neg = s[0] == '-';
    uint64_t u;
    if (!go_parse_uint(s + (s[0] == '+' || s[0] == '-'), &u)) return 0;
    if (neg ? u > (uint64_t)INT64_MAX + 1 : u > (uint64_t)INT64_MAX) return 0;
    *v = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 1;
}

/* strtod in the C locale whatever the process locale says. */
static double c_strtod(const char *s)
{
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    locale_t old = c ? uselocale(c) : (locale_t)0;
    double v = strtod(s, NULL);
    if (c) {
        uselocale(old);
        freelocale(c);
    }
    return v;
}

/* Out-of-range floats stay strings in go-yaml (ParseFloat fails). */
static json_t *finite_real_or_string(const char *clean, const char *s, size_t n)
{
    double d = c_strtod(clean);
    return isinf(d) ? json_stringn(s, n) : json_real(d);
}

/*
 * Digit/sign-led scalars: go-yaml strips every '_' then tries ParseInt,
 * ParseUint, then yamlStyleFloat. (It tries timestamps first, but a
 * timestamp-shaped text never parses as a number, and kubernetes reads
 * timestamps as strings, so that step cannot change the outcome here.)
 * An unsigned value above INT64_MAX does not fit json_int_t: it becomes a
 * real, as a JSON number would be read by most consumers.
 */
static json_t *resolve_number(const char *s, size_t n, const char *clean)
{
    int64_t i;
    uint64_t u;
    if (go_parse_int(clean, &i)) return json_integer((json_int_t)i);
    if (go_parse_uint(clean, &u)) return json_real((double)u);
    if (yaml_style_float(clean, strlen(clean))) return finite_real_or_string(clean, s, n);
    return json_stringn(s, n);
}

/* Copy of s without '_' (NUL-terminated); wiped by the caller. */
static char *strip_underscores(const char *s, size_t n)
{
    char *t = malloc(n + 1);
    if (t == NULL) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '_') t[k++] = s[i];
    }
    t[k] = '\0';
    return t;
}

int sk_doc_resolve_plain(const char *s, size_t n, json_t **out)
{
    char c = (char)(n > 0 ? s[0] : '\0');
    *out = NULL;
    if (n == 0 || IN_LIST(null_words, s, n)) {
        *out = json_null();
    } else if (IN_LIST(true_words, s, n)) {
        *out = json_true();
    } else if (IN_LIST(false_words, s, n)) {
        *out = json_false();
    } else if (IN_LIST(nonfinite_words, s, n)) {
        return SK_EINVAL;
    } else if ((c == '.' || c == '+' || c == '-' || is_digit(c)) && !memchr(s, '\0', n)) {
        char *clean = strip_underscores(s, n);
        if (clean == NULL) return SK_ENOMEM;
        if (c != '.') {
            *out = resolve_number(s, n, clean);
        } else {
            *out = go_dot_float(s, n) ? finite_real_or_string(clean, s, n) : json_stringn(s, n);
        }
        sodium_memzero(clean, n + 1);
        free(clean);
    } else {
        *out = json_stringn(s, n);
    }
    return *out ? SK_OK : SK_ENOMEM;
}
