/*
 * YAML through libyaml's event API, building jansson trees as the events
 * arrive (jansson objects keep insertion order). Strict on purpose: no
 * anchors or aliases (which also rules out "billion laughs"), core tags only,
 * unique string keys, and bounded depth, node and document counts.
 *
 * Scalar values may be plaintext: each event's value is wiped before the
 * event is freed, and the parser's buffers and queued tokens before the
 * parser is. (libyaml's scanner also frees scratch strings of its own
 * without wiping them; that is out of our reach.)
 */
#include "formats/doc_internal.h"
#include "formats/doc_spans.h"
#include "formats/yaml11.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CORE_TAG_PREFIX "tag:yaml.org,2002:"

/* An open mapping or sequence. */
typedef struct frame {
    json_t *node; /* owned by its parent, or by reader.root */
    char *key;    /* mapping: key awaiting its value; NULL when a key comes next */
    size_t key_len;
    sk_doc_role role;
    size_t item; /* 1-based List item the frame is in; 0 when none */
} frame;

typedef struct reader {
    yaml_parser_t parser;
    const unsigned char *buf;
    size_t len;
    const char *source;
    sk_docs *out;
    sk_error *err;
    json_t *root; /* the document being built */
    size_t root_line;
    frame stack[SK_MAX_DEPTH];
    size_t depth;
    size_t nodes;
    size_t fed;          /* bytes handed to libyaml so far */
    sk_spans *spans;     /* NULL when the caller does not ask where values are */
    size_t bom;          /* bytes dropped before buf */
    size_t chars, bytes; /* a cursor: character index chars is at byte offset bytes of buf */
} reader;

enum tag_kind {
    TAG_NONE,
    TAG_BANG,
    TAG_STR,
    TAG_INT,
    TAG_FLOAT,
    TAG_BOOL,
    TAG_NULL,
    TAG_MAP,
    TAG_SEQ,
    TAG_OTHER
};

/*
 * Errors name the document by the index it would get in sk_docs (empty
 * documents are not counted), so that they agree with later messages.
 */
static sk_doc_where where(const reader *r, yaml_mark_t mark)
{
    return (sk_doc_where){r->source, r->out->n + 1, mark.line + 1};
}

static enum tag_kind classify_tag(const yaml_char_t *tag)
{
    static const struct {
        const char *name;
        enum tag_kind kind;
    } core[] = {{"str", TAG_STR},   {"int", TAG_INT}, {"float", TAG_FLOAT}, {"bool", TAG_BOOL},
                {"null", TAG_NULL}, {"map", TAG_MAP}, {"seq", TAG_SEQ}};
    if (tag == NULL) return TAG_NONE;
    const char *t = (const char *)tag;
    if (strcmp(t, "!") == 0) return TAG_BANG;
    size_t plen = strlen(CORE_TAG_PREFIX);
    if (strncmp(t, CORE_TAG_PREFIX, plen) != 0) return TAG_OTHER;
    for (size_t i = 0; i < sizeof core / sizeof core[0]; i++) {
        if (strcmp(t + plen, core[i].name) == 0) return core[i].kind;
    }
    return TAG_OTHER;
}

/* Text for a one-line message: control bytes become '?', long text is cut. */
static void printable(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = (char)(c < 0x20 || c == 0x7F ? '?' : c);
    }
    if (k < n) {
        while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
            k--; /* whole UTF-8 chars */
        if (k > 0 && (unsigned char)out[k - 1] >= 0xC0) k--;
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

static int bad_tag(reader *r, yaml_mark_t mark, const yaml_char_t *tag, const char *what)
{
    const char *t = (const char *)tag;
    size_t plen = strlen(CORE_TAG_PREFIX);
    char shown[80] = "!!";
    int core = strncmp(t, CORE_TAG_PREFIX, plen) == 0;
    if (core) t += plen;
    printable(t, strlen(t), shown + (core ? 2 : 0), sizeof shown - 2);
    return sk_doc_error(r->err, SK_EPARSE, where(r, mark), "tag %s is not supported on %s", shown,
                        what);
}

static int tag_mismatch(reader *r, yaml_mark_t mark, const yaml_char_t *tag)
{
    const char *t = (const char *)tag + strlen(CORE_TAG_PREFIX); /* only core tags get here */
    return sk_doc_error(r->err, SK_EPARSE, where(r, mark), "the value does not match its tag !!%s",
                        t);
}

static int refuse_anchor(reader *r, yaml_mark_t mark)
{
    sk_doc_error(r->err, SK_EPARSE, where(r, mark), "YAML anchors and aliases are not supported");
    sk_error_hint(r->err, "write the repeated content out in full");
    return SK_EPARSE;
}

static int count_node(reader *r, yaml_mark_t mark)
{
    if (++r->nodes <= SK_MAX_NODES) return SK_OK;
    return sk_doc_error(r->err, SK_ELIMIT, where(r, mark), "more than %d nodes in the input",
                        SK_MAX_NODES);
}

static frame *top(reader *r)
{
    return r->depth > 0 ? &r->stack[r->depth - 1] : NULL;
}

static int expects_key(reader *r)
{
    frame *f = top(r);
    return f != NULL && json_is_object(f->node) && f->key == NULL;
}

/* Hangs v (stolen) under the open container, or makes it the document root. */
static int attach(reader *r, json_t *v, yaml_mark_t mark)
{
    frame *f = top(r);
    if (f == NULL) {
        r->root = v;
        r->root_line = mark.line + 1;
        return SK_OK;
    }
    int fail;
    if (json_is_array(f->node)) {
        fail = json_array_append_new(f->node, v);
    } else {
        fail = json_object_setn_new(f->node, f->key, f->key_len, v);
        free(f->key);
        f->key = NULL;
    }
    return fail ? sk_error_set(r->err, SK_ENOMEM, "out of memory") : SK_OK;
}

/* Messages inside a List item name the item too. */
static int frame_error(reader *r, const frame *f, int code)
{
    if (r->err != NULL && f != NULL && f->item > 0) r->err->item = f->item;
    return code;
}

static const char *yaml11_type_name(sk_yaml11_tag tag)
{
    switch (tag) {
    case SK_YAML11_NULL:
        return "null";
    case SK_YAML11_BOOL:
        return "a boolean";
    case SK_YAML11_INT:
        return "an integer";
    default:
        return "a number";
    }
}

/*
 * In a string map, kubeseal (go-yaml v2, then sigs.k8s.io/yaml) would turn an unquoted `no:`
 * into the key "false": refuse what YAML 1.1 does not read as a string, as values are refused.
 * Timestamps are handed back as their text, so they stay keys.
 */
static int check_string_map_key(reader *r, const frame *f, const yaml_event_t *ev)
{
    const char *field = sk_doc_role_field(f->role);
    if (field == NULL || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return SK_OK;
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    sk_yaml11_tag tag = sk_yaml11_resolve(v, n, NULL);
    if (tag == SK_YAML11_STR || tag == SK_YAML11_TIMESTAMP) return SK_OK;
    if (tag == SK_YAML11_NOMEM) return sk_error_set(r->err, SK_ENOMEM, "out of memory");
    char shown[128];
    printable(v, n, shown, sizeof shown);
    sk_doc_error(r->err, SK_EINVAL, where(r, ev->start_mark),
                 "%s: the unquoted key %s is %s in YAML 1.1, not a string", field, shown,
                 yaml11_type_name(tag));
    sk_error_hint(r->err, "quote the key (\"%s\":); kubeseal would seal it under another name",
                  shown);
    return frame_error(r, f, SK_EINVAL);
}

/* Mapping keys are strings taken literally, except where check_string_map_key refuses them. */
static int take_key(reader *r, const yaml_event_t *ev, enum tag_kind kind)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    frame *f = top(r);
    if (memchr(v, '\0', n) != NULL)
        return sk_doc_error(r->err, SK_EPARSE, where(r, ev->start_mark), "NUL byte in a string");
    if (kind != TAG_NONE && kind != TAG_BANG && kind != TAG_STR)
        return bad_tag(r, ev->start_mark, ev->data.scalar.tag, "a mapping key");
    if (kind == TAG_NONE) {
        int rc = check_string_map_key(r, f, ev);
        if (rc != SK_OK) return rc;
    }
    /* go-yaml would merge another mapping in here: refuse rather than differ. */
    if (kind == TAG_NONE && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && n == 2 &&
        memcmp(v, "<<", 2) == 0)
        return sk_doc_error(r->err, SK_EPARSE, where(r, ev->start_mark),
                            "merge keys (<<) are not supported");
    if (json_object_getn(f->node, v, n) != NULL) {
        char shown[128];
        printable(v, n, shown, sizeof shown);
        return sk_doc_error(r->err, SK_EPARSE, where(r, ev->start_mark), "duplicate key \"%s\"",
                            shown);
    }
    f->key = malloc(n + 1);
    if (f->key == NULL) return sk_error_set(r->err, SK_ENOMEM, "out of memory");
    memcpy(f->key, v, n);
    f->key[n] = '\0';
    f->key_len = n;
    return SK_OK;
}

/* A tagged value must resolve to its tag's type; !!float also takes integers. */
static int check_tag(enum tag_kind kind, json_t **val)
{
    switch (kind) {
    case TAG_INT:
        return json_is_integer(*val) ? SK_OK : SK_EPARSE;
    case TAG_BOOL:
        return json_is_boolean(*val) ? SK_OK : SK_EPARSE;
    case TAG_NULL:
        return json_is_null(*val) ? SK_OK : SK_EPARSE;
    case TAG_FLOAT:
        if (json_is_integer(*val)) {
            json_t *real = json_real((double)json_integer_value(*val));
            if (real == NULL) return SK_ENOMEM;
            json_decref(*val);
            *val = real;
        }
        return json_is_real(*val) ? SK_OK : SK_EPARSE;
    default:
        return SK_OK;
    }
}

/* SK_OK, SK_ENOMEM, SK_EINVAL (.inf/.nan) or SK_EPARSE (value does not fit its tag). */
static int scalar_value(const yaml_event_t *ev, enum tag_kind kind, json_t **val)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    *val = NULL;
    if (kind == TAG_STR || kind == TAG_BANG || (kind == TAG_NONE && !plain)) {
        *val = json_stringn(v, n);
        return *val ? SK_OK : SK_ENOMEM;
    }
    int rc = sk_doc_resolve_plain(v, n, val);
    if (rc == SK_OK) rc = check_tag(kind, val);
    if (rc != SK_OK) {
        json_decref(*val);
        *val = NULL;
    }
    return rc;
}

/* libyaml's marks count characters; a splice needs bytes. */
static size_t byte_at(reader *r, size_t chars)
{
    if (chars < r->chars) r->chars = 0, r->bytes = 0;
    while (r->chars < chars && r->bytes < r->len) {
        r->bytes++;
        while (r->bytes < r->len && (r->buf[r->bytes] & 0xC0) == 0x80)
            r->bytes++;
        r->chars++;
    }
    return r->bytes;
}

/* Where an encryptedData value is: reseal rewrites it there, verify points there. */
static int note_span(reader *r, const frame *f, const yaml_event_t *ev)
{
    yaml_scalar_style_t style = ev->data.scalar.style;
    size_t quoted =
        style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    sk_span sp = {.document = r->out->n + 1, .item = f->item, .key = f->key};
    sp.one_line =
        ev->start_mark.line == ev->end_mark.line && (style == YAML_PLAIN_SCALAR_STYLE || quoted);
    sp.start = r->bom + byte_at(r, ev->start_mark.index + quoted);
    sp.end = r->bom + byte_at(r, ev->end_mark.index - quoted);
    if (sp.end < sp.start) sp.one_line = 0, sp.end = sp.start;
    return sk_spans_add(r->spans, &sp, r->err);
}

static int on_scalar(reader *r, const yaml_event_t *ev)
{
    yaml_mark_t mark = ev->start_mark;
    if (ev->data.scalar.anchor != NULL) return refuse_anchor(r, mark);
    int rc = count_node(r, mark);
    if (rc != SK_OK) return rc;
    enum tag_kind kind = classify_tag(ev->data.scalar.tag);
    if (kind == TAG_OTHER || kind == TAG_MAP || kind == TAG_SEQ)
        return bad_tag(r, mark, ev->data.scalar.tag, "a scalar");
    if (expects_key(r)) return take_key(r, ev, kind);
    /* A Go string may hold NUL, and the controller takes one in these maps' values. */
    const frame *f = top(r);
    if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length) != NULL &&
        (f == NULL || sk_doc_role_field(f->role) == NULL || !json_is_object(f->node))) {
        sk_doc_error(r->err, SK_EPARSE, where(r, mark), "NUL byte in a string");
        sk_error_hint(r->err, "only values of data, stringData, labels and annotations may "
                              "hold one");
        return frame_error(r, f, SK_EPARSE);
    }
    json_t *val;
    rc = scalar_value(ev, kind, &val);
    if (rc == SK_ENOMEM) return sk_error_set(r->err, SK_ENOMEM, "out of memory");
    if (rc == SK_EINVAL) {
        sk_doc_error(r->err, SK_EPARSE, where(r, mark),
                     "an infinite or NaN number (.inf, .nan) cannot be represented in JSON");
        sk_error_hint(r->err, "quote the value to keep it a string");
        return SK_EPARSE;
    }
    if (rc != SK_OK) return tag_mismatch(r, mark, ev->data.scalar.tag);
    if (r->spans != NULL && f != NULL && f->role == SK_ROLE_ENCRYPTED_DATA) {
        rc = note_span(r, f, ev);
        if (rc != SK_OK) {
            json_decref(val);
            return rc;
        }
    }
    return attach(r, val, mark);
}

static int on_start(reader *r, const yaml_event_t *ev, int is_map)
{
    yaml_mark_t mark = ev->start_mark;
    const yaml_char_t *anchor =
        is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const yaml_char_t *tag = is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    const char *what = is_map ? "a mapping" : "a sequence";
    if (anchor != NULL) return refuse_anchor(r, mark);
    enum tag_kind kind = classify_tag(tag);
    if (kind != TAG_NONE && kind != TAG_BANG && kind != (is_map ? TAG_MAP : TAG_SEQ))
        return bad_tag(r, mark, tag, what);
    int rc = count_node(r, mark);
    if (rc != SK_OK) return rc;
    if (expects_key(r))
        return sk_doc_error(r->err, SK_EPARSE, where(r, mark),
                            "a mapping key must be a string, not %s", what);
    if (r->depth == SK_MAX_DEPTH)
        return sk_doc_error(r->err, SK_ELIMIT, where(r, mark), "nesting deeper than %d levels",
                            SK_MAX_DEPTH);
    const frame *parent = top(r);
    frame child = {.role = parent == NULL && is_map ? SK_ROLE_ROOT : SK_ROLE_OTHER};
    if (parent != NULL) {
        child.role = sk_doc_child_role(parent->role, parent->key, parent->key_len, is_map);
        child.item =
            parent->role == SK_ROLE_ITEMS ? json_array_size(parent->node) + 1 : parent->item;
    }
    json_t *node = is_map ? json_object() : json_array();
    if (node == NULL) return sk_error_set(r->err, SK_ENOMEM, "out of memory");
    rc = attach(r, node, mark);
    child.node = node;
    if (rc == SK_OK) r->stack[r->depth++] = child;
    return rc;
}

/*
 * Empty documents (only `---`, or a null root) are dropped and not counted
 * against SK_MAX_DOCUMENTS: they cost no memory, and generated YAML often
 * begins or ends with a bare `---`.
 */
static int on_document_end(reader *r)
{
    json_t *root = r->root;
    r->root = NULL;
    if (root == NULL || json_is_null(root)) {
        json_decref(root);
        return SK_OK;
    }
    if (r->out->n == SK_MAX_DOCUMENTS) {
        json_decref(root);
        return sk_doc_error(r->err, SK_ELIMIT,
                            (sk_doc_where){r->source, r->out->n + 1, r->root_line},
                            "more than %d documents", SK_MAX_DOCUMENTS);
    }
    return sk_doc_push(r->out, root, r->root_line, r->err);
}

static int on_event(reader *r, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_END_EVENT:
        return on_document_end(r);
    case YAML_ALIAS_EVENT:
        return refuse_anchor(r, ev->start_mark);
    case YAML_SCALAR_EVENT:
        return on_scalar(r, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(r, ev, 0);
    case YAML_MAPPING_START_EVENT:
        return on_start(r, ev, 1);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (r->depth > 0) r->depth--;
        return SK_OK;
    default:
        return SK_OK;
    }
}

/*
 * The scanner runs ahead of the parser: a reader or scanner failure can lie
 * past `---` tokens still queued. Count the non-empty documents they close.
 */
static size_t scanner_docno(const reader *r)
{
    const yaml_parser_t *p = &r->parser;
    size_t docno = r->out->n + 1;
    int pending = r->root != NULL && !json_is_null(r->root);
    for (const yaml_token_t *t = p->tokens.head; t != NULL && t < p->tokens.tail; t++) {
        switch (t->type) {
        case YAML_DOCUMENT_START_TOKEN:
            docno += pending;
            pending = 0;
            break;
        case YAML_STREAM_START_TOKEN:
        case YAML_STREAM_END_TOKEN:
        case YAML_DOCUMENT_END_TOKEN:
        case YAML_BLOCK_END_TOKEN:
        case YAML_VERSION_DIRECTIVE_TOKEN:
        case YAML_TAG_DIRECTIVE_TOKEN:
            break;
        default:
            pending = 1;
        }
    }
    return docno;
}

/* libyaml's reader reports a byte offset, not a line. */
static int reader_failure(reader *r)
{
    const yaml_parser_t *p = &r->parser;
    size_t off = p->problem_offset < r->len ? p->problem_offset : r->len;
    sk_doc_where at = {r->source, scanner_docno(r), sk_doc_line_at(r->buf, off)};
    const char *problem = p->problem ? p->problem : "unreadable input";
    if (strstr(problem, "control character") != NULL) {
        if (p->problem_value == 0) return sk_doc_error(r->err, SK_EPARSE, at, "NUL byte in input");
        return sk_doc_error(r->err, SK_EPARSE, at, "control character U+%04X is not allowed",
                            (unsigned)p->problem_value);
    }
    if (strstr(problem, "UTF-8") != NULL || strstr(problem, "Unicode") != NULL) {
        sk_doc_error(r->err, SK_EPARSE, at, "invalid UTF-8 (%s)", problem);
        sk_error_hint(r->err, "the input must be UTF-8 encoded");
        return SK_EPARSE;
    }
    return sk_doc_error(r->err, SK_EPARSE, at, "%s", problem);
}

static int parser_failure(reader *r)
{
    const yaml_parser_t *p = &r->parser;
    if (p->error == YAML_MEMORY_ERROR) return sk_error_set(r->err, SK_ENOMEM, "out of memory");
    if (p->error == YAML_READER_ERROR) return reader_failure(r);
    sk_doc_where at = where(r, p->problem_mark);
    if (p->error == YAML_SCANNER_ERROR) at.docno = scanner_docno(r);
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->context == NULL) return sk_doc_error(r->err, SK_EPARSE, at, "%s", problem);
    if (p->context_mark.line == p->problem_mark.line)
        return sk_doc_error(r->err, SK_EPARSE, at, "%s %s", problem, p->context);
    return sk_doc_error(r->err, SK_EPARSE, at, "%s %s started at line %zu", problem, p->context,
                        p->context_mark.line + 1);
}

static int run(reader *r)
{
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&r->parser, &ev)) return parser_failure(r);
        int rc = on_event(r, &ev);
        int end = ev.type == YAML_STREAM_END_EVENT || ev.type == YAML_NO_EVENT;
        if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.value != NULL)
            sodium_memzero(ev.data.scalar.value, ev.data.scalar.length);
        yaml_event_delete(&ev);
        if (rc != SK_OK || end) return rc;
    }
}

static void wipe_parser(yaml_parser_t *p)
{
    for (yaml_token_t *t = p->tokens.head; t != NULL && t < p->tokens.tail; t++) {
        if (t->type == YAML_SCALAR_TOKEN && t->data.scalar.value != NULL)
            sodium_memzero(t->data.scalar.value, t->data.scalar.length);
    }
    if (p->buffer.start != NULL)
        sodium_memzero(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
    if (p->raw_buffer.start != NULL)
        sodium_memzero(p->raw_buffer.start, (size_t)(p->raw_buffer.end - p->raw_buffer.start));
}

/*
 * libyaml decodes (and checks) whatever raw input it holds at once. Fed a
 * line at a time, it reports bad bytes when the parser gets near them, so the
 * message names the right document.
 */
static int feed_line(void *data, unsigned char *buffer, size_t size, size_t *size_read)
{
    reader *r = data;
    size_t n = r->len - r->fed < size ? r->len - r->fed : size;
    const unsigned char *nl = memchr(r->buf + r->fed, '\n', n);
    if (nl != NULL) n = (size_t)(nl - (r->buf + r->fed)) + 1;
    memcpy(buffer, r->buf + r->fed, n);
    r->fed += n;
    *size_read = n;
    return 1;
}

int sk_doc_parse_yaml(const unsigned char *buf, size_t len, const char *source, sk_docs *out,
                      sk_spans *spans, sk_error *err)
{
    /*
     * Kubernetes manifests are UTF-8: anything else (UTF-16 too) is an error,
     * not a guess. With the encoding fixed, libyaml's scanner would count a
     * BOM as column 0 and shift the first line's indentation, so drop it here.
     */
    size_t bom = sk_doc_bom_len(buf, len);
    reader r = {.buf = buf + bom,
                .len = len - bom,
                .source = source,
                .out = out,
                .err = err,
                .spans = spans,
                .bom = bom};
    if (!yaml_parser_initialize(&r.parser)) return sk_error_set(err, SK_ENOMEM, "out of memory");
    yaml_parser_set_input(&r.parser, feed_line, &r);
    yaml_parser_set_encoding(&r.parser, YAML_UTF8_ENCODING);
    int rc = run(&r);
    for (size_t i = 0; i < r.depth; i++)
        free(r.stack[i].key);
    json_decref(r.root);
    wipe_parser(&r.parser);
    yaml_parser_delete(&r.parser);
    return rc;
}
