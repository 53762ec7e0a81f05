/*
 * Internal: where each spec.encryptedData value of a text is, in bytes,
 * so that a re-seal rewrites that value and nothing else, even when the same
 * base64 appears elsewhere (a last-applied-configuration annotation, a
 * comment). The YAML reader records them as it parses (doc_yaml.c), so the
 * positions and the parsed documents come from one reading of the text. A
 * JSON text is read a second time by the YAML reader for its positions only;
 * where it cannot read it, there are none (sk_docs_parse_spans).
 * Documents and List items are counted as sk_docs_walk counts them.
 */
#ifndef SK_DOC_SPANS_H
#define SK_DOC_SPANS_H

#include <stddef.h>
#include <sealkit/doc.h>
#include <sealkit/error.h>

typedef struct sk_span {
    size_t document; /* 1-based, counting non-empty documents */
    size_t item;     /* 1-based item of a List's items; 0 for a whole document */
    char *key;       /* the encryptedData key */
    size_t start;    /* byte offsets of the value's text, quotes excluded: [start, end) */
    size_t end;
    int one_line; /* 0 when the value is a block scalar or spans lines: not spliceable */
} sk_span;

typedef struct sk_spans {
    sk_span *v;
    size_t n;
} sk_spans;

/*
 * sk_docs_parse, and also fills spans (malloc'd; empty on failure, and for a JSON text the YAML
 * reader cannot read). spans may be NULL.
 */
int sk_docs_parse_spans(const unsigned char *buf, size_t len, const char *source, sk_docs *out,
                        sk_spans *spans, sk_error *err);
/* Appends a copy of *sp (its key copied too). */
int sk_spans_add(sk_spans *s, const sk_span *sp, sk_error *err);
void sk_spans_free(sk_spans *s);
/* The span of (document, item, key); NULL when there is none. */
const sk_span *sk_spans_find(const sk_spans *s, size_t document, size_t item, const char *key);

#endif
