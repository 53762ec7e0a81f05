/*
 * JSON streams: objects one after another, whitespace between (docs/format.md §3.6).
 * jansson parses each object once a scan of its bytes has found it within the
 * limits: jansson has no node limit, its nesting limit (2048) is far above
 * SK_MAX_DEPTH, and it spends some 250 bytes on every empty object, so 31 MB
 * of "{}" would cost gigabytes before a check of the finished tree could
 * refuse it.
 */
#include "formats/doc_internal.h"
#include "core/json_alloc.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* "\u0000" is let in, then refused outside the values of string maps (check_nul). */
#define LOAD_FLAGS (JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

static int is_json_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

enum tree_verdict { TREE_OK, TREE_TOO_DEEP, TREE_TOO_BIG };

/* The string that starts at s[i] ('"'): the index of its closing quote, or n. */
static size_t skip_string(const unsigned char *s, size_t n, size_t i)
{
    for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\') i++;
    return i < n ? i : n;
}

/*
 * Counts the nodes of the value at buf[0] on its bytes, as the YAML reader counts them:
 * every value and every key (so a member is two, after its ':'; an array element one,
 * on its first byte or after ','), and its nesting as the number of open containers.
 * Syntax is jansson's business: the scan stops where the value ends or stops making
 * sense, and leaves the message to jansson.
 */
static enum tree_verdict prescan(const unsigned char *buf, size_t len, size_t *nodes)
{
    unsigned char in_array[SK_MAX_DEPTH + 1];
    size_t depth = 0;
    int first = 0; /* just after '[': a byte other than ']' starts the first element */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = buf[i];
        if (is_json_blank(c)) continue;
        if (first && c != ']') ++*nodes;
        first = 0;
        switch (c) {
        case '"':
            i = skip_string(buf, len, i);
            break;
        case '{':
        case '[':
            if (depth == 0) ++*nodes; /* the document itself */
            if (++depth > SK_MAX_DEPTH) return TREE_TOO_DEEP;
            in_array[depth] = c == '[';
            first = c == '[';
            break;
        case '}':
        case ']':
            if (depth <= 1) return TREE_OK;
            depth--;
            break;
        case ':':
            *nodes += 2;
            break;
        case ',':
            if (depth > 0 && in_array[depth]) ++*nodes;
            break;
        default:
            break;
        }
        if (*nodes > SK_MAX_NODES) return TREE_TOO_BIG;
        if (depth == 0) return TREE_OK; /* a scalar document: jansson refuses it */
    }
    return TREE_OK;
}

/* A Go string may hold NUL, and the controller takes one in the values of string maps. */
static int check_nul(const json_t *v, sk_doc_role role, size_t item, sk_doc_where at, sk_error *err)
{
    if (json_is_string(v)) {
        if (memchr(json_string_value(v), '\0', json_string_length(v)) == NULL) return SK_OK;
        sk_doc_error(err, SK_EPARSE, at, "NUL byte in a string (\\u0000)");
        sk_error_hint(err, "only values of data, stringData, labels and annotations may hold one");
        if (err != NULL) err->item = item;
        return SK_EPARSE;
    }
    int rc = SK_OK;
    if (json_is_array(v)) {
        for (size_t i = 0; rc == SK_OK && i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);
            sk_doc_role r = sk_doc_child_role(role, NULL, 0, json_is_object(e));
            rc = check_nul(e, r, role == SK_ROLE_ITEMS ? i + 1 : item, at, err);
        }
        return rc;
    }
    const char *key;
    const json_t *member;
    int string_map = sk_doc_role_field(role) != NULL;
    json_object_foreach((json_t *)v, key, member)
    {
        if (string_map && json_is_string(member)) continue;
        sk_doc_role r = sk_doc_child_role(role, key, strlen(key), json_is_object(member));
        rc = check_nul(member, r, item, at, err);
        if (rc != SK_OK) return rc;
    }
    return SK_OK;
}

/*
 * jansson appends " near '<token>'" to its messages, and a token can be part
 * of a string value: drop it. "invalid Unicode '\uD800'" quotes a value too.
 */
static void sanitize(const char *text, char *out, size_t cap)
{
    snprintf(out, cap, "%s", text);
    char *cut = strstr(out, " near '");
    if (cut != NULL) *cut = '\0';
    if (strncmp(out, "invalid Unicode", 15) == 0) snprintf(out, cap, "invalid Unicode escape");
}

/* Keys are not secret: name the duplicate when jansson kept its token. */
static int duplicate_key(const json_error_t *je, sk_doc_where at, sk_error *err)
{
    const char *near = strstr(je->text, " near '");
    size_t n = near ? strlen(near + 7) : 0;
    if (n < 2 || near[7 + n - 1] != '\'') return sk_doc_error(err, SK_EPARSE, at, "duplicate key");
    return sk_doc_error(err, SK_EPARSE, at, "duplicate key %.*s", (int)(n - 1), near + 7);
}

static int load_failure(const json_error_t *je, const unsigned char *doc, size_t avail,
                        sk_doc_where at, sk_error *err)
{
    size_t pos = je->position > 0 ? (size_t)je->position : 0;
    const unsigned char *nul = memchr(doc, '\0', pos < avail ? pos + 1 : avail);
    if (nul != NULL) {
        at.line += sk_doc_line_at(doc, (size_t)(nul - doc)) - 1;
        return sk_doc_error(err, SK_EPARSE, at, "NUL byte in input");
    }
    if (je->line > 0) at.line += (size_t)je->line - 1;
    /* jansson sets no message when an allocation fails (not through sk_init's allocator). */
    if (je->text[0] == '\0') return sk_error_set(err, SK_ENOMEM, "out of memory");
    char text[JSON_ERROR_TEXT_LENGTH];
    switch (json_error_code(je)) {
    case json_error_out_of_memory:
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    case json_error_stack_overflow:
        return sk_doc_error(err, SK_ELIMIT, at, "nesting deeper than %d levels", SK_MAX_DEPTH);
    case json_error_null_character:
        return sk_doc_error(err, SK_EPARSE, at, "NUL byte in a string (\\u0000)");
    case json_error_invalid_utf8:
        sk_doc_error(err, SK_EPARSE, at, "invalid UTF-8");
        sk_error_hint(err, "the input must be UTF-8 encoded");
        return SK_EPARSE;
    case json_error_duplicate_key:
        return duplicate_key(je, at, err);
    default:
        sanitize(je->text, text, sizeof text);
        return sk_doc_error(err, SK_EPARSE, at, "%s", text);
    }
}

/* Loads the object at buf[off]; *used = bytes it took. */
static int load_one(const unsigned char *buf, size_t len, size_t off, sk_doc_where at,
                    size_t *nodes, json_t **doc, size_t *used, sk_error *err)
{
    json_error_t je;
    int oom = 0;
    *doc = NULL;
    enum tree_verdict v = prescan(buf + off, len - off, nodes);
    if (v == TREE_TOO_DEEP)
        return sk_doc_error(err, SK_ELIMIT, at, "nesting deeper than %d levels", SK_MAX_DEPTH);
    if (v == TREE_TOO_BIG)
        return sk_doc_error(err, SK_ELIMIT, at, "more than %d nodes in the input", SK_MAX_NODES);
    *doc = sk_json_loadb((const char *)buf + off, len - off, LOAD_FLAGS, &je, &oom);
    if (oom) return sk_error_set(err, SK_ENOMEM, "out of memory");
    if (*doc == NULL) return load_failure(&je, buf + off, len - off, at, err);
    *used = (size_t)je.position;
    int rc = SK_OK;
    if (!json_is_object(*doc))
        rc = sk_doc_error(err, SK_EPARSE, at, "a document must be a JSON object, not an array");
    else
        rc = check_nul(*doc, SK_ROLE_ROOT, 0, at, err);
    if (rc != SK_OK) {
        json_decref(*doc);
        *doc = NULL;
    }
    return rc;
}

int sk_doc_parse_json(const unsigned char *buf, size_t len, size_t start, const char *source,
                      sk_docs *out, sk_error *err)
{
    /* jansson reports positions as int. */
    if (len > INT_MAX)
        return sk_doc_error(err, SK_ELIMIT, (sk_doc_where){source, 1, 0}, "input too large");
    size_t nodes = 0, off = start, line = sk_doc_line_at(buf, start);
    for (;;) {
        for (; off < len && is_json_blank(buf[off]); off++)
            line += buf[off] == '\n';
        if (off == len) return SK_OK;
        sk_doc_where at = {source, out->n + 1, line};
        if (out->n == SK_MAX_DOCUMENTS)
            return sk_doc_error(err, SK_ELIMIT, at, "more than %d documents", SK_MAX_DOCUMENTS);
        json_t *doc;
        size_t used = 0;
        int rc = load_one(buf, len, off, at, &nodes, &doc, &used, err);
        if (rc == SK_OK) rc = sk_doc_push(out, doc, line, err);
        if (rc != SK_OK) return rc;
        line += sk_doc_line_at(buf + off, used) - 1;
        off += used;
    }
}
