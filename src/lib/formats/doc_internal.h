/*
 * Internal to the manifest reader (doc.c, doc_json.c, doc_yaml.c). Exposed to
 * the unit tests so that the YAML 1.1 scalar table can be checked directly.
 * Not part of the public API.
 */
#ifndef SK_DOC_INTERNAL_H
#define SK_DOC_INTERNAL_H

#include <stddef.h>
#include <jansson.h>
#include <sealkit/doc.h>
#include <sealkit/error.h>

/* Where a parse is: messages read "SOURCE: document N: line L: problem". */
typedef struct sk_doc_where {
    const char *source; /* may be NULL: then no prefix */
    size_t docno;       /* 1-based */
    size_t line;        /* 1-based; 0 = unknown */
} sk_doc_where;

/* Sets err to "SOURCE: document N: line L: <fmt...>" and returns code. */
int sk_doc_error(sk_error *err, int code, sk_doc_where at, const char *fmt, ...) SK_PRINTF(4, 5);

/* Appends a document (ownership moves to docs, also on failure). */
int sk_doc_push(sk_docs *docs, json_t *doc, size_t line, sk_error *err);

/* 1-based line of byte offset off in buf (counts '\n' before it). */
size_t sk_doc_line_at(const unsigned char *buf, size_t off);

/* Bytes of a UTF-8 byte order mark at the start of buf (0 or 3). */
size_t sk_doc_bom_len(const unsigned char *buf, size_t len);

/*
 * Resolves the text of a plain YAML scalar the way go-yaml v2 does into a new
 * JSON value: null, true/false, integer, real or string. Returns SK_OK,
 * SK_ENOMEM, or SK_EINVAL for .inf/.nan, which JSON cannot carry (upstream
 * fails on them too, when converting to JSON).
 */
int sk_doc_resolve_plain(const char *s, size_t n, json_t **out);

/*
 * Where a mapping or sequence sits in a Kubernetes object, for the rules that hold only in
 * the maps the controller reads as map[string]string (or map[string][]byte): there a key
 * that YAML 1.1 reads as a non-string would be renamed by kubeseal, and a value may hold a
 * NUL character, as a Go string may.
 */
typedef enum sk_doc_role {
    SK_ROLE_OTHER,
    SK_ROLE_ROOT,  /* a document's root mapping */
    SK_ROLE_ITEMS, /* the root's items sequence (a List) */
    SK_ROLE_ITEM,  /* an object in items */
    SK_ROLE_METADATA,
    SK_ROLE_SPEC,
    SK_ROLE_TEMPLATE,
    SK_ROLE_TEMPLATE_METADATA,
    /* the string maps, from here on */
    SK_ROLE_DATA,
    SK_ROLE_STRING_DATA,
    SK_ROLE_LABELS,
    SK_ROLE_ANNOTATIONS,
    SK_ROLE_ENCRYPTED_DATA,
    SK_ROLE_TEMPLATE_DATA,
    SK_ROLE_TEMPLATE_LABELS,
    SK_ROLE_TEMPLATE_ANNOTATIONS
} sk_doc_role;

/* The role of the container found under key (or, for a sequence parent, as an element). */
sk_doc_role sk_doc_child_role(sk_doc_role parent, const char *key, size_t key_len, int is_map);

/* The field path of a string map ("metadata.labels"), or NULL for any other role. */
const char *sk_doc_role_field(sk_doc_role role);

/*
 * The two readers; both append to out and leave cleanup to the caller. The YAML reader also
 * appends where each spec.encryptedData value is to spans, unless spans is NULL.
 */
struct sk_spans;
int sk_doc_parse_json(const unsigned char *buf, size_t len, size_t start, const char *source,
                      sk_docs *out, sk_error *err);
int sk_doc_parse_yaml(const unsigned char *buf, size_t len, const char *source, sk_docs *out,
                      struct sk_spans *spans, sk_error *err);

#endif
