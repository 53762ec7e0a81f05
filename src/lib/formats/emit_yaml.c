/*
 * sk_emit_yaml: what kubeseal prints for -o yaml (docs/format.md §3.4). Upstream turns
 * its JSON into YAML with sigs.k8s.io/yaml, i.e. go-yaml v2 (v2.4: Unmarshal
 * the JSON text, Marshal the generic value). go-yaml's emitter is a port of
 * libyaml's, so libyaml writes the same bytes once we make go-yaml's two
 * decisions ourselves: the key order (keyList.Less in sorter.go) and the
 * scalar style (encoder.stringv in encode.go, using resolve.go).
 */
#include <sealkit/emit.h>

#include "formats/emit_internal.h"
#include "formats/yaml11.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 256

/* ---- key order: go-yaml v2 keyList.Less for two string keys ------------ */

static int next_rune(const unsigned char *s, size_t n, size_t *off, uint32_t *r)
{
    if (*off >= n) return 0;
    *off += sk_utf8_decode(s + *off, n - *off, r);
    return 1;
}

/* Go accumulates an int64 that may wrap; keep the bits in a uint64. */
static size_t digit_run(const unsigned char *s, size_t n, size_t off, uint64_t *v)
{
    size_t count = 0;
    uint32_t r;
    while (off < n) {
        size_t size = sk_utf8_decode(s + off, n - off, &r);
        if (!sk_rune_is_digit(r)) break;
        *v = *v * 10 + (uint64_t)((int64_t)r - '0');
        off += size;
        count++;
    }
    return count;
}

static int int64_less(uint64_t a, uint64_t b)
{
    const uint64_t sign = (uint64_t)1 << 63;
    return (a ^ sign) < (b ^ sign);
}

/*
 * Two non-letters at the first difference: compare the digit runs starting
 * there as numbers. Upstream quirk: when either rune is '0' and the common
 * prefix ends in a digit run holding a non-'0' digit, both numbers start at
 * 1 instead of 0, so the run keeps its magnitude: "x100000" vs "x19"
 * compares 100000 with 19, not 00000 with 9.
 */
static int digit_runs_less(const unsigned char *a, size_t an, size_t ai, uint32_t ra,
                           const unsigned char *b, size_t bn, size_t bi, uint32_t rb,
                           int prefix_run_nonzero)
{
    uint64_t na = 0, nb = 0;
    if ((ra == '0' || rb == '0') && prefix_run_nonzero) na = nb = 1;
    size_t la = digit_run(a, an, ai, &na);
    size_t lb = digit_run(b, bn, bi, &nb);
    if (na != nb) return int64_less(na, nb);
    if (la != lb) return la < lb;
    return ra < rb;
}

/*
 * go-yaml v2.4 has no "after a digit" rule for letter vs non-letter (yaml.v3
 * added one), so for sets like {k1a, k2, k10} this relation has a cycle and
 * upstream's order depends on Go's map iteration; any order is then as good.
 */
static int key_less(const char *ka, size_t an, const char *kb, size_t bn)
{
    const unsigned char *a = (const unsigned char *)ka, *b = (const unsigned char *)kb;
    size_t ao = 0, bo = 0;
    int run_nonzero = 0;
    for (;;) {
        size_t a_at = ao, b_at = bo;
        uint32_t ra, rb;
        int ha = next_rune(a, an, &ao, &ra);
        int hb = next_rune(b, bn, &bo, &rb);
        if (!ha || !hb) return !ha && hb;
        if (ra == rb) {
            run_nonzero = sk_rune_is_digit(ra) ? run_nonzero || ra != '0' : 0;
            continue;
        }
        int al = sk_rune_is_letter(ra), bl = sk_rune_is_letter(rb);
        if (al && bl) return ra < rb;
        if (al || bl) return bl; /* the non-letter sorts first */
        return digit_runs_less(a, an, a_at, ra, b, bn, b_at, rb, run_nonzero);
    }
}

int sk_yaml_key_cmp(const char *a, const char *b)
{
    if (a == NULL || b == NULL) return (a != NULL) - (b != NULL);
    size_t an = strlen(a), bn = strlen(b);
    if (key_less(a, an, b, bn)) return -1;
    return key_less(b, bn, a, an) ? 1 : 0;
}

struct ykey {
    const char *key;
    size_t len;
    const json_t *value;
};

/* Merge sort: stays well-defined when key_less is not transitive (qsort is not). */
static void sort_keys(struct ykey *k, struct ykey *tmp, size_t n)
{
    if (n < 2) return;
    size_t h = n / 2;
    sort_keys(k, tmp, h);
    sort_keys(k + h, tmp, n - h);
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n) {
        if (key_less(k[j].key, k[j].len, k[i].key, k[i].len))
            tmp[o++] = k[j++];
        else
            tmp[o++] = k[i++];
    }
    while (i < h)
        tmp[o++] = k[i++];
    while (j < n)
        tmp[o++] = k[j++];
    memcpy(k, tmp, n * sizeof *k);
}

/* ---- plain or quoted: go-yaml v2 encoder.stringv ------------------------- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/*
 * go-yaml's isBase60Float: the encoder quotes these although its own resolver
 * reads them as strings, for YAML 1.1 readers that would not.
 * ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
 */
static int is_base60_float(const char *s, size_t n)
{
    size_t i = s[0] == '+' || s[0] == '-' ? 1 : 0;
    if (memchr(s, ':', n) == NULL || i >= n || !is_digit(s[i])) return 0;
    while (i < n && (is_digit(s[i]) || s[i] == '_'))
        i++;
    int groups = 0;
    while (i < n && s[i] == ':') {
        i++;
        if (i + 1 < n && s[i] >= '0' && s[i] <= '5' && is_digit(s[i + 1]))
            i += 2;
        else if (i < n && is_digit(s[i]))
            i++;
        else
            return 0;
        groups++;
    }
    if (groups == 0) return 0;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && (is_digit(s[i]) || s[i] == '_'))
            i++;
    }
    return i == n;
}

int sk_yaml_plain_is_string(const char *s, size_t len)
{
    if (s == NULL || len == 0) return 0; /* "" reads back as null */
    return sk_yaml11_resolve(s, len, NULL) == SK_YAML11_STR && !is_base60_float(s, len);
}

/* ---- the emitter ---------------------------------------------------------- */

struct ye {
    yaml_emitter_t em;
    sk_secbuf *out;
    sk_error *err;
    int out_rc;
    int go_corners; /* a string that fix_go_corners must look at was written */
};

static int write_cb(void *data, unsigned char *buf, size_t size)
{
    struct ye *y = data;
    y->out_rc = sk_secbuf_append(y->out, buf, size, y->err);
    return y->out_rc == SK_OK;
}

static int no_memory(struct ye *y)
{
    return sk_error_set(y->err, SK_ENOMEM, "YAML output: out of memory");
}

static int emit(struct ye *y, yaml_event_t *ev, int initialized)
{
    if (!initialized) return no_memory(y);
    if (yaml_emitter_emit(&y->em, ev)) return SK_OK;
    if (y->out_rc != SK_OK) return y->out_rc;
    if (y->em.error == YAML_MEMORY_ERROR) return no_memory(y);
    return sk_error_set(y->err, SK_EINVAL, "YAML output: %s",
                        y->em.problem != NULL ? y->em.problem : "emitter error");
}

static int emit_scalar(struct ye *y, const char *s, size_t n, yaml_scalar_style_t style)
{
    if (n > INT_MAX) return sk_error_set(y->err, SK_ELIMIT, "YAML output: string too long");
    yaml_event_t ev;
    int ok =
        yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)s, (int)n, 1, 1, style);
    return emit(y, &ev, ok);
}

static int utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t r;
        size_t size = sk_utf8_decode(u + i, n - i, &r);
        if (r == SK_RUNE_ERROR && size == 1) return 0;
        i += size;
    }
    return 1;
}

/* What go-yaml saw: the JSON step had turned each invalid byte into U+FFFD. */
static int replace_invalid_utf8(const char *s, size_t n, sk_secbuf *fixed, sk_error *err)
{
    const unsigned char *u = (const unsigned char *)s;
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < n;) {
        uint32_t r;
        size_t size = sk_utf8_decode(u + i, n - i, &r);
        if (r == SK_RUNE_ERROR && size == 1)
            rc = sk_secbuf_append(fixed, "\xEF\xBF\xBD", 3, err);
        else
            rc = sk_secbuf_append(fixed, s + i, size, err);
        i += size;
    }
    return rc;
}

static int starts_with_bom(const char *s, size_t n)
{
    return n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0;
}

/*
 * U+2028 or U+2029 as the last character: the only line breaks a single-quoted scalar can
 * end with (a \n makes it a literal block, U+0085 and \r need double quotes).
 */
static int ends_with_ls_ps(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    return n >= 3 && u[n - 3] == 0xE2 && u[n - 2] == 0x80 && (u[n - 1] == 0xA8 || u[n - 1] == 0xA9);
}

/* encoder.stringv: literal if multi-line, plain if it reads back as a string, else "..." */
static int emit_string(struct ye *y, const char *s, size_t n)
{
    sk_secbuf fixed = SK_SECBUF_INIT;
    if (n > 0 && !utf8_valid(s, n)) {
        int rc = replace_invalid_utf8(s, n, &fixed, y->err);
        if (rc != SK_OK) {
            sk_secbuf_free(&fixed);
            return rc;
        }
        s = (const char *)fixed.data;
        n = fixed.len;
    }
    if (starts_with_bom(s, n) || ends_with_ls_ps(s, n)) y->go_corners = 1;
    yaml_scalar_style_t style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (memchr(s, '\n', n) != NULL)
        style = YAML_LITERAL_SCALAR_STYLE;
    else if (sk_yaml_plain_is_string(s, n))
        style = YAML_PLAIN_SCALAR_STYLE;
    int rc = emit_scalar(y, s, n, style);
    sk_secbuf_free(&fixed);
    return rc;
}

/*
 * A real reaches go-yaml as Go's JSON text: integral values below 1e21 are
 * written without '.', so go-yaml reads them back as integers when they fit
 * int64 or uint64 (-0 becomes 0); everything else is printed with 'g'.
 */
static int format_real(double v, char out[SK_GO_FLOAT_MAX])
{
    char js[SK_GO_FLOAT_MAX];
    if (sk_go_json_float(v, js) != 0) return -1;
    if (strpbrk(js, ".eE") == NULL) {
        char *end;
        errno = 0;
        long long ll = strtoll(js, &end, 10);
        if (errno == 0 && *end == '\0') {
            snprintf(out, SK_GO_FLOAT_MAX, "%lld", ll);
            return 0;
        }
        errno = 0;
        (void)strtoull(js, &end, 10);
        if (js[0] != '-' && errno == 0 && *end == '\0') {
            memcpy(out, js, strlen(js) + 1);
            return 0;
        }
    }
    return sk_go_format_g(v, out);
}

static int emit_number(struct ye *y, const json_t *v)
{
    char buf[SK_GO_FLOAT_MAX];
    if (json_is_integer(v))
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (format_real(json_real_value(v), buf) != 0)
        return sk_error_set(y->err, SK_EINVAL, "YAML output: NaN or infinite number");
    return emit_scalar(y, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
}

static int emit_node(struct ye *y, const json_t *v, int depth);

static int emit_members(struct ye *y, struct ykey *keys, size_t n, int depth)
{
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < n; i++) {
        rc = emit_string(y, keys[i].key, keys[i].len);
        if (rc == SK_OK) rc = emit_node(y, keys[i].value, depth + 1);
    }
    return rc;
}

static int emit_mapping(struct ye *y, const json_t *obj, int depth)
{
    yaml_event_t ev;
    int ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    int rc = emit(y, &ev, ok);
    size_t n = json_object_size(obj);
    struct ykey *keys = rc == SK_OK && n > 0 ? calloc(2 * n, sizeof *keys) : NULL;
    if (rc == SK_OK && n > 0 && keys == NULL) rc = no_memory(y);
    if (rc == SK_OK && keys != NULL) {
        size_t i = 0;
        for (void *it = json_object_iter((json_t *)obj); it != NULL && i < n;
             it = json_object_iter_next((json_t *)obj, it), i++) {
            keys[i].key = json_object_iter_key(it);
            keys[i].len = json_object_iter_key_len(it);
            keys[i].value = json_object_iter_value(it);
        }
        sort_keys(keys, keys + n, n);
        rc = emit_members(y, keys, n, depth);
    }
    free(keys);
    if (rc != SK_OK) return rc;
    ok = yaml_mapping_end_event_initialize(&ev);
    return emit(y, &ev, ok);
}

static int emit_sequence(struct ye *y, const json_t *arr, int depth)
{
    yaml_event_t ev;
    int ok = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
    int rc = emit(y, &ev, ok);
    for (size_t i = 0; rc == SK_OK && i < json_array_size(arr); i++)
        rc = emit_node(y, json_array_get(arr, i), depth + 1);
    if (rc != SK_OK) return rc;
    ok = yaml_sequence_end_event_initialize(&ev);
    return emit(y, &ev, ok);
}

static int emit_node(struct ye *y, const json_t *v, int depth)
{
    if (depth >= MAX_DEPTH)
        return sk_error_set(y->err, SK_ELIMIT, "YAML output: nesting deeper than %d levels",
                            MAX_DEPTH);
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return emit_mapping(y, v, depth);
    case JSON_ARRAY:
        return emit_sequence(y, v, depth);
    case JSON_STRING:
        return emit_string(y, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
    case JSON_REAL:
        return emit_number(y, v);
    case JSON_TRUE:
        return emit_scalar(y, "true", 4, YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE:
        return emit_scalar(y, "false", 5, YAML_PLAIN_SCALAR_STYLE);
    case JSON_NULL:
        return emit_scalar(y, "null", 4, YAML_PLAIN_SCALAR_STYLE);
    default:
        return sk_error_set(y->err, SK_EINVAL, "YAML output: unknown value type");
    }
}

static int emit_document(struct ye *y, const json_t *doc)
{
    yaml_event_t ev;
    int ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    int rc = emit(y, &ev, ok);
    if (rc == SK_OK) {
        ok = yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
        rc = emit(y, &ev, ok);
    }
    if (rc == SK_OK) rc = emit_node(y, doc, 0);
    if (rc == SK_OK) {
        ok = yaml_document_end_event_initialize(&ev, 1);
        rc = emit(y, &ev, ok);
    }
    if (rc == SK_OK) {
        /* Like go-yaml's encoder.finish(): no "..." after a "|+" block scalar. */
        y->em.open_ended = 0;
        ok = yaml_stream_end_event_initialize(&ev);
        rc = emit(y, &ev, ok);
    }
    return rc;
}

/* ---- go-yaml v2's own corners ------------------------------------------------ */

/*
 * go-yaml v2's emitter differs from libyaml 0.2.5's in two places that only change a
 * scalar's own text:
 * - its single-quoted writer has no write_indent after a final line break, so a value
 *   ending in U+2028 or U+2029 gets no indentation before its closing quote;
 * - its is_bom(value, i) tests the value's first bytes, not position i, so its
 *   double-quoted writer escapes every character of a value that starts with U+FEFF
 *   (never folding it, since no space is written as one).
 * When such a string was written, the output is read back with libyaml's parser, whose
 * marks give each scalar's place, and those scalars' bytes are rewritten. A key starting
 * with U+FEFF is rewritten too, but a long value after it may still fold at another column
 * than go-yaml's; no Kubernetes key can start with one.
 */

/* Walks the text forward, turning libyaml's character marks into byte offsets. */
struct cursor {
    const unsigned char *s;
    size_t n, byte, chr;
};

static size_t byte_at(struct cursor *c, size_t index)
{
    while (c->chr < index && c->byte < c->n) {
        uint32_t r;
        c->byte += sk_utf8_decode(c->s + c->byte, c->n - c->byte, &r);
        c->chr++;
    }
    return c->byte;
}

/* go-yaml's escape for rune r in its double-quoted writer. */
static void go_escape(uint32_t r, char buf[12])
{
    static const struct {
        uint32_t rune;
        char letter;
    } named[] = {{0x00, '0'},  {0x07, 'a'}, {0x08, 'b'}, {0x09, 't'},   {0x0A, 'n'},
                 {0x0B, 'v'},  {0x0C, 'f'}, {0x0D, 'r'}, {0x1B, 'e'},   {0x22, '"'},
                 {0x5C, '\\'}, {0x85, 'N'}, {0xA0, '_'}, {0x2028, 'L'}, {0x2029, 'P'}};
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
        if (named[k].rune == r) {
            snprintf(buf, 12, "\\%c", named[k].letter);
            return;
        }
    }
    if (r <= 0xFF)
        snprintf(buf, 12, "\\x%02X", (unsigned)r);
    else if (r <= 0xFFFF)
        snprintf(buf, 12, "\\u%04X", (unsigned)r);
    else
        snprintf(buf, 12, "\\U%08X", (unsigned)r);
}

/* v in double quotes with every rune escaped, as go-yaml writes a value starting with U+FEFF. */
static int put_all_escaped(const unsigned char *v, size_t n, sk_secbuf *out, sk_error *err)
{
    int rc = sk_secbuf_append(out, "\"", 1, err);
    for (size_t i = 0; rc == SK_OK && i < n;) {
        uint32_t r;
        i += sk_utf8_decode(v + i, n - i, &r);
        char buf[12];
        go_escape(r, buf);
        rc = sk_secbuf_append(out, buf, strlen(buf), err);
    }
    if (rc == SK_OK) rc = sk_secbuf_append(out, "\"", 1, err);
    return rc;
}

/* The end of the indentation libyaml put between a final line break and the closing quote. */
static size_t padding_start(const unsigned char *s, size_t start, size_t quote)
{
    size_t p = quote;
    while (p > start && s[p - 1] == ' ')
        p--;
    if (p == quote) return quote;
    if (ends_with_ls_ps((const char *)s + start, p - start)) return p;
    return quote;
}

/*
 * The rewrite of the scalar at [start, end) of text, into fixed; *done is where the copy of
 * text has got to. Scalars that need nothing are left to the final copy.
 */
static int fix_scalar(const yaml_event_t *ev, const unsigned char *text, size_t start, size_t end,
                      sk_secbuf *fixed, size_t *done, sk_error *err)
{
    const unsigned char *v = ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    int rc = SK_OK;
    if (ev->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE && end > start + 1 &&
        text[end - 1] == '\'') {
        size_t pad = padding_start(text, start, end - 1);
        if (pad == end - 1) return SK_OK;
        rc = sk_secbuf_append(fixed, text + *done, pad - *done, err);
        *done = end - 1;
    } else if (ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE &&
               starts_with_bom((const char *)v, n)) {
        rc = sk_secbuf_append(fixed, text + *done, start - *done, err);
        if (rc == SK_OK) rc = put_all_escaped(v, n, fixed, err);
        *done = end;
    }
    return rc;
}

static void wipe_parser(yaml_parser_t *p)
{
    for (yaml_token_t *t = p->tokens.head; t != NULL && t < p->tokens.tail; t++)
        if (t->type == YAML_SCALAR_TOKEN && t->data.scalar.value != NULL)
            sk_wipe(t->data.scalar.value, t->data.scalar.length);
    if (p->buffer.start != NULL)
        sk_wipe(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
    if (p->raw_buffer.start != NULL)
        sk_wipe(p->raw_buffer.start, (size_t)(p->raw_buffer.end - p->raw_buffer.start));
}

/* Rewrites out[from...] (what libyaml wrote) into go-yaml's bytes. */
static int fix_go_corners(sk_secbuf *out, size_t from, sk_error *err)
{
    const unsigned char *text = out->data + from;
    size_t len = out->len - from;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return sk_error_set(err, SK_ENOMEM, "YAML output: out of memory");
    yaml_parser_set_input_string(&parser, text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    sk_secbuf fixed = SK_SECBUF_INIT;
    struct cursor c = {text, len, 0, 0};
    size_t done = 0;
    int rc = SK_OK, end = 0;
    while (rc == SK_OK && !end) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = sk_error_set(err, SK_EINVAL, "YAML output: cannot read it back (%s)",
                              parser.problem != NULL ? parser.problem : "parser error");
            break;
        }
        end = ev.type == YAML_STREAM_END_EVENT;
        if (ev.type == YAML_SCALAR_EVENT) {
            size_t start = byte_at(&c, ev.start_mark.index);
            size_t stop = byte_at(&c, ev.end_mark.index);
            rc = fix_scalar(&ev, text, start, stop, &fixed, &done, err);
            if (ev.data.scalar.value != NULL) sk_wipe(ev.data.scalar.value, ev.data.scalar.length);
        }
        yaml_event_delete(&ev);
    }
    if (rc == SK_OK) rc = sk_secbuf_append(&fixed, text + done, len - done, err);
    wipe_parser(&parser);
    yaml_parser_delete(&parser);
    if (rc == SK_OK) {
        sk_wipe(out->data + from, len);
        out->len = from;
        rc = sk_secbuf_append(out, fixed.data, fixed.len, err);
    }
    sk_secbuf_free(&fixed);
    return rc;
}

/* libyaml frees its buffers and queued event copies without wiping them. */
static void wipe_emitter(yaml_emitter_t *em)
{
    if (em->buffer.start != NULL)
        sk_wipe(em->buffer.start, (size_t)(em->buffer.end - em->buffer.start));
    if (em->raw_buffer.start != NULL)
        sk_wipe(em->raw_buffer.start, (size_t)(em->raw_buffer.end - em->raw_buffer.start));
    for (yaml_event_t *ev = em->events.head; ev != NULL && ev != em->events.tail; ev++)
        if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.value != NULL)
            sk_wipe(ev->data.scalar.value, ev->data.scalar.length);
}

int sk_emit_yaml(const json_t *doc, sk_secbuf *out, sk_error *err)
{
    if (doc == NULL || out == NULL)
        return sk_error_set(err, SK_EUSAGE, "sk_emit_yaml: NULL document or buffer");
    struct ye y;
    memset(&y, 0, sizeof y);
    y.out = out;
    y.err = err;
    if (!yaml_emitter_initialize(&y.em)) return no_memory(&y);
    yaml_emitter_set_output(&y.em, write_cb, &y);
    yaml_emitter_set_encoding(&y.em, YAML_UTF8_ENCODING);
    yaml_emitter_set_unicode(&y.em, 1);
    yaml_emitter_set_indent(&y.em, 2);
    yaml_emitter_set_width(&y.em, 80);
    yaml_emitter_set_break(&y.em, YAML_LN_BREAK);
    size_t mark = out->len;
    int rc = sk_secbuf_puts(out, "---\n", err);
    if (rc == SK_OK) rc = emit_document(&y, doc);
    wipe_emitter(&y.em);
    yaml_emitter_delete(&y.em);
    if (rc == SK_OK && y.go_corners) rc = fix_go_corners(out, mark, err);
    if (rc != SK_OK && out->data != NULL) {
        /* Leave the buffer as it was; the partial text may hold plaintext. */
        sk_wipe(out->data + mark, out->len - mark);
        out->len = mark;
        out->data[mark] = '\0';
    }
    return rc;
}
