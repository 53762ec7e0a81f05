/*
 * go-yaml v2 resolve("", s) for a plain scalar: see yaml11.h. The order of the
 * steps is go-yaml's, and it matters: "0b-1" is tried as a number before the
 * binary fallback, and a timestamp is tried before any number.
 */
#include "formats/yaml11.h"

#include <sealkit/mem.h>

#include "formats/emit_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- the word map (resolveMap) ---- */

static sk_yaml11_tag map_word(const char *s, size_t n, sk_yaml11_value *v)
{
    /* "<<" is in go-yaml's map too, but resolve() never looks it up: '<' has no hint. */
    static const struct {
        const char *word;
        sk_yaml11_tag tag;
        int value; /* BOOL: 0/1; FLOAT: 0 nan, 1 +inf, -1 -inf */
    } words[] = {{"~", SK_YAML11_NULL, 0},       {"null", SK_YAML11_NULL, 0},
                 {"Null", SK_YAML11_NULL, 0},    {"NULL", SK_YAML11_NULL, 0},
                 {"y", SK_YAML11_BOOL, 1},       {"Y", SK_YAML11_BOOL, 1},
                 {"yes", SK_YAML11_BOOL, 1},     {"Yes", SK_YAML11_BOOL, 1},
                 {"YES", SK_YAML11_BOOL, 1},     {"on", SK_YAML11_BOOL, 1},
                 {"On", SK_YAML11_BOOL, 1},      {"ON", SK_YAML11_BOOL, 1},
                 {"true", SK_YAML11_BOOL, 1},    {"True", SK_YAML11_BOOL, 1},
                 {"TRUE", SK_YAML11_BOOL, 1},    {"n", SK_YAML11_BOOL, 0},
                 {"N", SK_YAML11_BOOL, 0},       {"no", SK_YAML11_BOOL, 0},
                 {"No", SK_YAML11_BOOL, 0},      {"NO", SK_YAML11_BOOL, 0},
                 {"off", SK_YAML11_BOOL, 0},     {"Off", SK_YAML11_BOOL, 0},
                 {"OFF", SK_YAML11_BOOL, 0},     {"false", SK_YAML11_BOOL, 0},
                 {"False", SK_YAML11_BOOL, 0},   {"FALSE", SK_YAML11_BOOL, 0},
                 {".nan", SK_YAML11_FLOAT, 0},   {".NaN", SK_YAML11_FLOAT, 0},
                 {".NAN", SK_YAML11_FLOAT, 0},   {".inf", SK_YAML11_FLOAT, 1},
                 {".Inf", SK_YAML11_FLOAT, 1},   {".INF", SK_YAML11_FLOAT, 1},
                 {"+.inf", SK_YAML11_FLOAT, 1},  {"+.Inf", SK_YAML11_FLOAT, 1},
                 {"+.INF", SK_YAML11_FLOAT, 1},  {"-.inf", SK_YAML11_FLOAT, -1},
                 {"-.Inf", SK_YAML11_FLOAT, -1}, {"-.INF", SK_YAML11_FLOAT, -1}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strlen(words[i].word) != n || memcmp(words[i].word, s, n) != 0) continue;
        if (words[i].tag == SK_YAML11_BOOL) v->boolean = words[i].value;
        if (words[i].tag == SK_YAML11_FLOAT)
            v->f = words[i].value == 0 ? (double)NAN : words[i].value * (double)INFINITY;
        return words[i].tag;
    }
    return SK_YAML11_STR;
}

/* ---- Go's strconv, on exactly n bytes ---- */

enum { P_OK, P_SYNTAX, P_RANGE };

/* strconv.ParseUint(s, base, 64) for base 0 or 2 (callers strip underscores). */
static int go_parse_uint(const char *s, size_t n, int base, uint64_t *out)
{
    if (n == 0) return P_SYNTAX;
    if (base == 0) {
        base = 10;
        if (s[0] == '0') {
            char c1 = (char)(n >= 3 ? s[1] | 0x20 : 0);
            size_t skip = c1 == 'b' || c1 == 'o' || c1 == 'x' ? 2 : 1;
            base = c1 == 'b' ? 2 : c1 == 'x' ? 16 : 8;
            s += skip;
            n -= skip;
        }
    }
    uint64_t v = 0, cutoff = UINT64_MAX / (uint64_t)base + 1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i], lc = (char)(c | 0x20);
        int d;
        if (is_digit(c))
            d = c - '0';
        else if (lc >= 'a' && lc <= 'z')
            d = lc - 'a' + 10;
        else
            return P_SYNTAX;
        if (d >= base) return P_SYNTAX;
        if (v >= cutoff) return P_RANGE;
        uint64_t v1 = v * (uint64_t)base + (uint64_t)d;
        if (v1 < v * (uint64_t)base) return P_RANGE;
        v = v1;
    }
    *out = v;
    return P_OK;
}

/* -u for u <= 2^63, without the signed overflow of -(int64_t)u at 2^63. */
static int64_t negate(uint64_t u)
{
    return u == (uint64_t)1 << 63 ? INT64_MIN : -(int64_t)u;
}

/* strconv.ParseInt(s, base, 64). */
static int go_parse_int(const char *s, size_t n, int base, int64_t *out)
{
    if (n == 0) return P_SYNTAX;
    int neg = s[0] == '-';
    if (s[0] == '+' || s[0] == '-') s++, n--;
    uint64_t u;
    int st = go_parse_uint(s, n, base, &u);
    if (st != P_OK) return st;
    const uint64_t cutoff = (uint64_t)1 << 63;
    if (neg ? u > cutoff : u >= cutoff) return P_RANGE;
    *out = neg ? negate(u) : (int64_t)u;
    return P_OK;
}

static size_t skip_digits(const char *s, size_t n, size_t *i)
{
    size_t start = *i;
    while (*i < n && is_digit(s[*i]))
        (*i)++;
    return *i - start;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int yaml_style_float(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    if (i < n && s[i] == '.') {
        i++;
        if (skip_digits(s, n, &i) == 0) return 0;
    } else {
        if (skip_digits(s, n, &i) == 0) return 0;
        if (i < n && s[i] == '.') {
            i++;
            skip_digits(s, n, &i);
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (skip_digits(s, n, &i) == 0) return 0;
    }
    return i == n;
}

/* Go ParseFloat would succeed: parses and does not overflow to +-Inf. */
static int finite_decimal(const char *s, size_t n, double *f)
{
    return sk_strtod_c(s, n, f) == 0 && !isinf(*f);
}

/* strconv's underscoreOK for a decimal number: '_' only between digits. */
static int underscores_ok(const char *s, size_t n)
{
    char saw = '^';
    for (size_t i = 0; i < n; i++) {
        if (is_digit(s[i])) {
            saw = '0';
        } else if (s[i] == '_') {
            if (saw != '0') return 0;
            saw = '_';
        } else {
            if (saw == '_') return 0;
            saw = '!';
        }
    }
    return saw != '_';
}

/* ---- go-yaml's "plain": the text without underscores ---- */

typedef struct plain {
    char *p;
    size_t n;
    char small[64];
} plain;

/* 0, or -1 without memory. The copy may be (part of) a secret value: plain_drop wipes it. */
static int plain_make(plain *pl, const char *s, size_t n)
{
    pl->p = n < sizeof pl->small ? pl->small : malloc(n + 1);
    if (pl->p == NULL) return -1;
    pl->n = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_') pl->p[pl->n++] = s[i];
    return 0;
}

static void plain_drop(plain *pl)
{
    sk_wipe(pl->p, pl->n);
    if (pl->p != pl->small) free(pl->p);
}

/* ---- the '.' hint: strconv.ParseFloat(s, 64) on the text as written ---- */

static sk_yaml11_tag dot_float(const char *s, size_t n, sk_yaml11_value *v)
{
    size_t i = 1, digits = 0;
    for (; i < n && (is_digit(s[i]) || s[i] == '_'); i++)
        digits += is_digit(s[i]);
    if (digits == 0) return SK_YAML11_STR;
    if (i < n && (s[i] | 0x20) == 'e') {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || !is_digit(s[i])) return SK_YAML11_STR;
        while (i < n && (is_digit(s[i]) || s[i] == '_'))
            i++;
    }
    if (i != n || !underscores_ok(s, n)) return SK_YAML11_STR;
    plain pl;
    if (plain_make(&pl, s, n) != 0) return SK_YAML11_NOMEM;
    int ok = finite_decimal(pl.p, pl.n, &v->f);
    plain_drop(&pl);
    return ok ? SK_YAML11_FLOAT : SK_YAML11_STR;
}

/* ---- timestamps (parseTimestamp) ---- */

/* time.Parse's getnum(value, false): one or two digits. */
static int ts_num(const char *s, size_t n, size_t *i, int *v)
{
    if (*i >= n || !is_digit(s[*i])) return 0;
    *v = s[(*i)++] - '0';
    if (*i < n && is_digit(s[*i])) *v = *v * 10 + (s[(*i)++] - '0');
    return 1;
}

/* "15:4:5" and an optional ".999999999" (Go also takes ','). */
static int ts_clock(const char *s, size_t n, size_t *i)
{
    int h, m, sec;
    if (!ts_num(s, n, i, &h) || h >= 24 || *i >= n || s[(*i)++] != ':') return 0;
    if (!ts_num(s, n, i, &m) || m >= 60 || *i >= n || s[(*i)++] != ':') return 0;
    if (!ts_num(s, n, i, &sec) || sec >= 60) return 0;
    if (*i + 1 < n && (s[*i] == '.' || s[*i] == ',') && is_digit(s[*i + 1])) {
        (*i)++;
        skip_digits(s, n, i);
    }
    return 1;
}

/* "Z07:00": Z, or +hh:mm / -hh:mm (hh <= 24, mm <= 60), then the end. */
static int ts_zone(const char *s, size_t n, size_t i)
{
    if (i < n && s[i] == 'Z') return i + 1 == n;
    if (i + 6 != n || s[i + 3] != ':' || (s[i] != '+' && s[i] != '-')) return 0;
    if (!is_digit(s[i + 1]) || !is_digit(s[i + 2]) || !is_digit(s[i + 4]) || !is_digit(s[i + 5]))
        return 0;
    int hh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    int mm = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
    return hh <= 24 && mm <= 60;
}

static int days_in(int month, int year)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return month == 2 && leap ? 29 : days[month - 1];
}

/*
 * go-yaml's parseTimestamp: YYYY- first, then time.Parse with one of
 * "2006-1-2T15:4:5.999999999Z07:00" (also 't'), "2006-1-2 15:4:5.999999999"
 * (a layout space matches one or more spaces) or "2006-1-2".
 */
static int is_timestamp(const char *s, size_t n)
{
    size_t i = 0;
    skip_digits(s, n, &i);
    if (i != 4 || i == n || s[i] != '-') return 0;
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int month, day;
    i = 5;
    if (!ts_num(s, n, &i, &month) || month < 1 || month > 12) return 0;
    if (i >= n || s[i++] != '-' || !ts_num(s, n, &i, &day)) return 0;
    if (day < 1 || day > days_in(month, year)) return 0;
    if (i == n) return 1;
    size_t j = i + 1;
    if ((s[i] == 'T' || s[i] == 't') && ts_clock(s, n, &j) && ts_zone(s, n, j)) return 1;
    if (s[i] != ' ') return 0;
    j = i;
    while (j < n && s[j] == ' ')
        j++;
    return ts_clock(s, n, &j) && j == n;
}

/* ---- the 'D' and 'S' hints: timestamp, int, float, then the 0b forms ---- */

static sk_yaml11_tag int_value(int64_t i, sk_yaml11_value *v)
{
    v->i = i;
    return SK_YAML11_INT;
}

static sk_yaml11_tag uint_value(uint64_t u, sk_yaml11_value *v)
{
    v->u = u;
    v->is_unsigned = 1;
    return SK_YAML11_INT;
}

/* Go <1.13 had no "0b" in ParseInt(s, 0, 64), so go-yaml retries binary itself. */
static sk_yaml11_tag binary_number(const char *p, size_t n, sk_yaml11_value *v)
{
    int64_t i;
    uint64_t u;
    if (n >= 2 && p[0] == '0' && p[1] == 'b') {
        if (go_parse_int(p + 2, n - 2, 2, &i) == P_OK) return int_value(i, v);
        if (go_parse_uint(p + 2, n - 2, 2, &u) == P_OK) return uint_value(u, v);
    } else if (n >= 3 && memcmp(p, "-0b", 3) == 0) {
        /* ParseInt("-" + plain[3:], 2): a second sign after "-0b" is a syntax error. */
        if (go_parse_uint(p + 3, n - 3, 2, &u) == P_OK && u <= (uint64_t)1 << 63)
            return int_value(negate(u), v);
    }
    return SK_YAML11_STR;
}

static sk_yaml11_tag plain_number(const char *p, size_t n, sk_yaml11_value *v)
{
    int64_t i;
    uint64_t u;
    if (go_parse_int(p, n, 0, &i) == P_OK) return int_value(i, v);
    if (go_parse_uint(p, n, 0, &u) == P_OK) return uint_value(u, v);
    if (yaml_style_float(p, n) && finite_decimal(p, n, &v->f)) return SK_YAML11_FLOAT;
    return binary_number(p, n, v);
}

static sk_yaml11_tag number_or_time(const char *s, size_t n, sk_yaml11_value *v)
{
    if (is_timestamp(s, n)) return SK_YAML11_TIMESTAMP;
    plain pl;
    if (plain_make(&pl, s, n) != 0) return SK_YAML11_NOMEM;
    sk_yaml11_tag t = plain_number(pl.p, pl.n, v);
    plain_drop(&pl);
    return t;
}

/* ---- resolve ---- */

/* resolveTable: resolve() only looks past the map when the first byte has a hint. */
static char resolve_hint(unsigned char c)
{
    if (c == '+' || c == '-') return 'S';
    if (is_digit((char)c)) return 'D';
    if (c == '.') return '.';
    if (c != 0 && strchr("yYnNtTfFoO~", c) != NULL) return 'M';
    return 0;
}

sk_yaml11_tag sk_yaml11_resolve(const char *s, size_t len, sk_yaml11_value *v)
{
    sk_yaml11_value unused;
    if (v == NULL) v = &unused;
    memset(v, 0, sizeof *v);
    if (s == NULL || len == 0) return SK_YAML11_NULL; /* "" is in the map as null */
    char hint = resolve_hint((unsigned char)s[0]);
    if (hint == 0) return SK_YAML11_STR;
    sk_yaml11_tag t = map_word(s, len, v);
    if (t != SK_YAML11_STR || hint == 'M') return t;
    if (hint == '.') return dot_float(s, len, v);
    return number_or_time(s, len, v);
}
