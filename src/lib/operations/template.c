/*
 * The subset of spec.template.data that can be rendered without Go's
 * text/template: {{ .key }}, {{ index . "key" }}, {{ toJson .key }} and
 * {{ toJson (index . "key") }}, with the {{- and -}} trim markers. Anything
 * else is refused with the template's key named, never guessed at.
 */
#include <ctype.h>
#include <string.h>

#include <sealkit/emit.h>

#include "formats/emit_internal.h"
#include "operations/template.h"

static const sk_item *find_item(const sk_secret *s, const char *key, size_t n)
{
    for (size_t i = 0; i < s->n_items; i++) {
        if (strlen(s->items[i].key) == n && memcmp(s->items[i].key, key, n) == 0)
            return &s->items[i];
    }
    return NULL;
}

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

/* `.key` or `index . "key"`, optionally in parentheses. */
static int parse_ref(const char *p, const char *end, const char **key, size_t *n)
{
    p = skip_space(p, end);
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    if (p >= end) return -1;
    if (*p == '(' && end[-1] == ')') return parse_ref(p + 1, end - 1, key, n);
    if (*p == '.') {
        *key = p + 1;
        *n = (size_t)(end - p - 1);
        for (const char *q = *key; q < end; q++)
            if (!(isalnum((unsigned char)*q) || *q == '_')) return -1;
        return *n > 0 ? 0 : -1;
    }
    if (end - p > 9 && strncmp(p, "index", 5) == 0 && isspace((unsigned char)p[5])) {
        p = skip_space(p + 5, end);
        if (p >= end || *p != '.') return -1;
        p = skip_space(p + 1, end);
        if (end - p < 2 || *p != '"' || end[-1] != '"') return -1;
        *key = p + 1;
        *n = (size_t)(end - p - 2);
        return memchr(*key, '\\', *n) || memchr(*key, '"', *n) ? -1 : 0;
    }
    return -1;
}

static int render_action(const char *p, const char *end, const sk_secret *s, sk_secbuf *out,
                         sk_error *err)
{
    p = skip_space(p, end);
    int json = end - p > 7 && strncmp(p, "toJson", 6) == 0 && isspace((unsigned char)p[6]);
    const char *key;
    size_t n;
    if (parse_ref(json ? p + 6 : p, end, &key, &n) != 0)
        return sk_error_set(err, SK_EINVAL,
                            "uses template syntax sealkit does not render "
                            "(only {{ .key }}, {{ index . \"key\" }} and {{ toJson .key }})");
    const sk_item *it = find_item(s, key, n);
    if (it == NULL)
        return sk_error_set(err, SK_EINVAL, "refers to \"%.*s\", which is not an item",
                            (int)(n > 128 ? 128 : n), key);
    if (json) return sk_emit_json_string((const char *)it->value.data, it->value.len, out, err);
    return sk_secbuf_append(out, it->value.data, it->value.len, err);
}

static void trim_right(sk_secbuf *out, size_t floor)
{
    while (out->len > floor && isspace(out->data[out->len - 1]))
        out->len--;
    out->data[out->len] = '\0';
}

int sk_template_render(const char *tmpl, size_t len, const sk_secret *s, sk_secbuf *out,
                       sk_error *err)
{
    const char *p = tmpl, *end = tmpl + len;
    int rc = sk_secbuf_reserve(out, len, err);
    while (rc == SK_OK && p < end) {
        const char *open = memmem(p, (size_t)(end - p), "{{", 2);
        const char *close = open ? memmem(open, (size_t)(end - open), "}}", 2) : NULL;
        if (open == NULL) return sk_secbuf_append(out, p, (size_t)(end - p), err);
        if (close == NULL) return sk_error_set(err, SK_EINVAL, "has an unclosed {{");
        size_t floor = out->len;
        rc = sk_secbuf_append(out, p, (size_t)(open - p), err);
        const char *a = open + 2, *b = close;
        if (a < b && *a == '-') trim_right(out, floor), a++;
        int trim_after = b > a && b[-1] == '-';
        if (trim_after) b--;
        if (rc == SK_OK) rc = render_action(a, b, s, out, err);
        p = close + 2;
        if (trim_after) p = skip_space(p, end);
    }
    return rc;
}
