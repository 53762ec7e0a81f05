/*
 * Reading Kubernetes manifests. Documents are jansson trees whose objects
 * keep input order. Input is a JSON stream when its first non-blank byte is
 * '{', YAML otherwise (docs/format.md §3.6).
 */
#ifndef SEALKIT_DOC_H
#define SEALKIT_DOC_H

#include <stddef.h>
#include <jansson.h>
#include "error.h"

typedef enum sk_format { SK_FORMAT_JSON = 0, SK_FORMAT_YAML = 1 } sk_format;

/* Limits applied to every input, documented in README.md. */
#define SK_MAX_DEPTH 64       /* nesting of maps and sequences */
#define SK_MAX_DOCUMENTS 4096 /* documents in one input */
#define SK_MAX_NODES 1000000  /* scalars, maps and sequences in one input */

typedef struct sk_docs {
    json_t **doc; /* each document (an object, array or scalar) */
    size_t *line; /* 1-based line where each document starts */
    size_t n;
    sk_format format;
} sk_docs;

/*
 * Parses every document of buf. source names the input in messages
 * ("secret.yaml", "<stdin>"). Strict by design: duplicate keys, YAML anchors
 * and aliases, tags other than the core ones, invalid UTF-8, nesting deeper
 * than SK_MAX_DEPTH, and non-string mapping keys are errors naming the
 * document (1-based) and line. Empty documents are skipped.
 *
 * YAML scalars: quoted and block scalars become strings; plain scalars are
 * resolved as YAML 1.1 (go-yaml v2) would: null (~, null, empty), booleans
 * (true/false/yes/no/on/off in their three spellings), integers and floats
 * become JSON null/true/false/integer/real, everything else a string. The
 * original text of a non-string plain scalar is not kept.
 *
 * Details: mapping keys keep their literal text (`true:` is the key "true"),
 * except in data, stringData, labels, annotations, encryptedData and template
 * data, where an unquoted key that YAML 1.1 reads as a non-string is an error;
 * a NUL character is accepted only in those maps' values;
 * integers beyond int64 become reals; .inf/.nan values and `<<` merge keys
 * are refused; "document N" in messages counts non-empty documents, i.e.
 * N-1 is the index the document would get in out->doc.
 */
SK_API int sk_docs_parse(const unsigned char *buf, size_t len, const char *source, sk_docs *out,
                         sk_error *err);
SK_API void sk_docs_free(sk_docs *docs);

SK_API sk_format sk_detect_format(const unsigned char *buf, size_t len);

#endif
