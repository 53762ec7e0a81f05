/*
 * sk_emit_json: Go's json.MarshalIndent(v, "", "  ") plus one newline, byte
 * for byte, which is what kubeseal prints for -o json (docs/format.md §3.3).
 */
#include <sealkit/emit.h>

#include "formats/emit_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper trees are not Kubernetes objects; refuse them instead of recursing. */
#define MAX_DEPTH 256

/*
 * kubeseal marshals typed objects: a struct's members come in declaration
 * order, which the model builds into the tree, but encoding/json writes every
 * Go map sorted by the bytes of its keys, whatever order the input had. These
 * are the maps of the two kinds kubeseal prints, as paths below the object;
 * any other document (sealkit's own reports) keeps the tree's order.
 */
static const char *const sealed_maps[] = {"metadata/labels",
                                          "metadata/annotations",
                                          "spec/encryptedData",
                                          "spec/template/metadata/labels",
                                          "spec/template/metadata/annotations",
                                          "spec/template/data",
                                          NULL};
static const char *const secret_maps[] = {"metadata/labels", "metadata/annotations", "data",
                                          "stringData", NULL};

/* Longest path above, with room to spare; deeper members are never maps. */
#define PATH_MAX_LEN 64

struct jw {
    sk_secbuf *out;
    sk_error *err;
    const char *const *maps; /* NULL: not a typed object, keep the tree's order */
    int list;                /* the document is a List: each of its items is a typed object */
    char path[PATH_MAX_LEN]; /* of the object being written, below the typed object */
    size_t path_len;         /* > sizeof path: too deep to be a map */
};

static const char *const *maps_of(const json_t *obj)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    if (kind == NULL) return NULL;
    if (strcmp(kind, "SealedSecret") == 0) return sealed_maps;
    if (strcmp(kind, "Secret") == 0) return secret_maps;
    return NULL;
}

static int is_list(const json_t *doc)
{
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    size_t n = kind != NULL ? strlen(kind) : 0;
    return n >= 4 && strcmp(kind + n - 4, "List") == 0;
}

static int path_is(const struct jw *w, const char *path)
{
    return w->path_len == strlen(path) && memcmp(w->path, path, w->path_len) == 0;
}

static int path_is_map(const struct jw *w)
{
    if (w->maps == NULL || w->path_len >= sizeof w->path) return 0;
    for (size_t i = 0; w->maps[i] != NULL; i++)
        if (path_is(w, w->maps[i])) return 1;
    return 0;
}

/* Enters member key of the current object; returns the length to restore. */
static size_t path_push(struct jw *w, const char *key, size_t n)
{
    size_t old = w->path_len;
    size_t sep = old > 0 ? 1 : 0;
    if (old >= sizeof w->path || old + sep + n >= sizeof w->path) {
        w->path_len = sizeof w->path;
        return old;
    }
    if (sep) w->path[old] = '/';
    memcpy(w->path + old + sep, key, n);
    w->path_len = old + sep + n;
    return old;
}

static int put(struct jw *w, const char *s, size_t n)
{
    return sk_secbuf_append(w->out, s, n, w->err);
}

static int put_indent(struct jw *w, int depth)
{
    static const char spaces[] = "                                ";
    size_t n = (size_t)depth * 2;
    while (n > 0) {
        size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
        int rc = put(w, spaces, k);
        if (rc != SK_OK) return rc;
        n -= k;
    }
    return SK_OK;
}

/* The escape Go writes for an ASCII byte, or NULL when the byte is written raw. */
static const char *ascii_escape(unsigned char c, char buf[7])
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    /* Go >= 1.22 writes \b and \f; older releases wrote \u0008 and \u000c. */
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    default:
        break;
    }
    /* Control bytes, and < > & because Marshal escapes HTML by default. */
    if (c < 0x20 || c == '<' || c == '>' || c == '&') {
        snprintf(buf, 7, "\\u00%02x", c);
        return buf;
    }
    return NULL;
}

/* The escape for the rune starting at s (ASCII excluded), or NULL for raw. */
static const char *rune_escape(const unsigned char *s, size_t n, size_t *size)
{
    uint32_t r;
    *size = sk_utf8_decode(s, n, &r);
    if (r == SK_RUNE_ERROR && *size == 1) return "\\ufffd"; /* invalid byte */
    /* Valid JSON, but JSONP breaks on them: Go always escapes both. */
    if (r == 0x2028) return "\\u2028";
    if (r == 0x2029) return "\\u2029";
    return NULL;
}

static int put_string(struct jw *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t start = 0, i = 0;
    int rc = put(w, "\"", 1);
    while (rc == SK_OK && i < n) {
        // cppcheck-suppress variableScope ; esc can point into buf after the if that fills it
        char buf[7];
        const char *esc;
        size_t size = 1;
        if (s[i] < 0x80)
            esc = ascii_escape(s[i], buf);
        else
            esc = rune_escape(s + i, n - i, &size);
        if (esc == NULL) {
            i += size;
            continue;
        }
        rc = put(w, str + start, i - start);
        if (rc == SK_OK) rc = put(w, esc, strlen(esc));
        i += size;
        start = i;
    }
    if (rc == SK_OK) rc = put(w, str + start, n - start);
    if (rc == SK_OK) rc = put(w, "\"", 1);
    return rc;
}

static int put_scalar(struct jw *w, const json_t *v)
{
    char buf[SK_GO_FLOAT_MAX];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return put_string(w, json_string_value(v), json_string_length(v));
    case JSON_TRUE:
        return put(w, "true", 4);
    case JSON_FALSE:
        return put(w, "false", 5);
    case JSON_NULL:
        return put(w, "null", 4);
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return put(w, buf, strlen(buf));
    case JSON_REAL:
        if (sk_go_json_float(json_real_value(v), buf) != 0)
            return sk_error_set(w->err, SK_EINVAL, "JSON output: NaN or infinite number");
        return put(w, buf, strlen(buf));
    default:
        return sk_error_set(w->err, SK_EINVAL, "JSON output: unknown value type");
    }
}

static int put_value(struct jw *w, const json_t *v, int depth);

struct member {
    const char *key;
    size_t len;
    const json_t *value;
};

/* Go compares map keys as byte strings: a key that is a prefix of another comes first. */
static int member_cmp(const void *pa, const void *pb)
{
    const struct member *a = pa, *b = pb;
    int c = memcmp(a->key, b->key, a->len < b->len ? a->len : b->len);
    if (c != 0) return c;
    return (a->len > b->len) - (a->len < b->len);
}

static int put_members(struct jw *w, const struct member *m, size_t n, int depth)
{
    int rc = put(w, "{\n", 2);
    for (size_t i = 0; rc == SK_OK && i < n; i++) {
        rc = put_indent(w, depth + 1);
        if (rc == SK_OK) rc = put_string(w, m[i].key, m[i].len);
        if (rc == SK_OK) rc = put(w, ": ", 2);
        size_t restore = path_push(w, m[i].key, m[i].len);
        if (rc == SK_OK) rc = put_value(w, m[i].value, depth + 1);
        w->path_len = restore;
        if (rc == SK_OK) rc = i + 1 < n ? put(w, ",\n", 2) : put(w, "\n", 1);
    }
    if (rc == SK_OK) rc = put_indent(w, depth);
    if (rc == SK_OK) rc = put(w, "}", 1);
    return rc;
}

static int put_object(struct jw *w, const json_t *obj, int depth)
{
    size_t n = json_object_size(obj);
    if (n == 0) return put(w, "{}", 2);
    struct member *m = calloc(n, sizeof *m);
    if (m == NULL) return sk_error_set(w->err, SK_ENOMEM, "JSON output: out of memory");
    size_t i = 0;
    for (void *it = json_object_iter((json_t *)obj); it != NULL && i < n;
         it = json_object_iter_next((json_t *)obj, it), i++)
        m[i] = (struct member){json_object_iter_key(it), json_object_iter_key_len(it),
                               json_object_iter_value(it)};
    if (path_is_map(w)) qsort(m, i, sizeof *m, member_cmp);
    int rc = put_members(w, m, i, depth);
    free(m);
    return rc;
}

static int put_array(struct jw *w, const json_t *arr, int depth)
{
    size_t n = json_array_size(arr);
    if (n == 0) return put(w, "[]", 2);
    int items = w->list && depth == 1 && path_is(w, "items");
    const char *const *maps = w->maps;
    size_t path_len = w->path_len;
    int rc = put(w, "[\n", 2);
    for (size_t i = 0; rc == SK_OK && i < n; i++) {
        const json_t *item = json_array_get(arr, i);
        if (items) {
            w->maps = maps_of(item);
            w->path_len = 0;
        }
        rc = put_indent(w, depth + 1);
        if (rc == SK_OK) rc = put_value(w, item, depth + 1);
        w->maps = maps;
        w->path_len = path_len;
        if (rc == SK_OK) rc = i + 1 < n ? put(w, ",\n", 2) : put(w, "\n", 1);
    }
    if (rc == SK_OK) rc = put_indent(w, depth);
    if (rc == SK_OK) rc = put(w, "]", 1);
    return rc;
}

static int put_value(struct jw *w, const json_t *v, int depth)
{
    if (depth >= MAX_DEPTH)
        return sk_error_set(w->err, SK_ELIMIT, "JSON output: nesting deeper than %d levels",
                            MAX_DEPTH);
    if (json_is_object(v)) return put_object(w, v, depth);
    if (json_is_array(v)) return put_array(w, v, depth);
    return put_scalar(w, v);
}

int sk_emit_json(const json_t *doc, sk_secbuf *out, sk_error *err)
{
    if (doc == NULL || out == NULL)
        return sk_error_set(err, SK_EUSAGE, "sk_emit_json: NULL document or buffer");
    struct jw w = {.out = out, .err = err, .maps = maps_of(doc), .list = is_list(doc)};
    size_t mark = out->len;
    int rc = put_value(&w, doc, 0);
    if (rc == SK_OK) rc = put(&w, "\n", 1);
    if (rc != SK_OK && out->data != NULL) {
        /* Leave the buffer as it was; the partial text may hold plaintext. */
        sk_wipe(out->data + mark, out->len - mark);
        out->len = mark;
        out->data[mark] = '\0';
    }
    return rc;
}

int sk_emit_json_string(const char *s, size_t n, sk_secbuf *out, sk_error *err)
{
    if ((s == NULL && n > 0) || out == NULL)
        return sk_error_set(err, SK_EUSAGE, "sk_emit_json_string: NULL argument");
    struct jw w = {.out = out, .err = err};
    return put_string(&w, s != NULL ? s : "", n);
}
