/*
 * Internal: what a plain (unquoted, untagged) YAML scalar means, as go-yaml v2's
 * resolve("", s) decides it (resolve.go, YAML 1.1 flavoured). The one
 * implementation behind the reader (doc.c: which JSON value a plain scalar
 * becomes) and the writer (emit_yaml.c: whether a string may be written plain),
 * so that what one writes plain the other reads back as that same string.
 */
#ifndef SK_YAML11_H
#define SK_YAML11_H

#include <stddef.h>
#include <stdint.h>

typedef enum sk_yaml11_tag {
    SK_YAML11_STR,       /* the text itself */
    SK_YAML11_NULL,      /* "", ~, null, Null, NULL */
    SK_YAML11_BOOL,      /* y/yes/on/true and n/no/off/false, in three casings */
    SK_YAML11_INT,       /* Go's ParseInt/ParseUint after dropping every '_' */
    SK_YAML11_FLOAT,     /* finite decimals, and the .inf/.nan words (not finite) */
    SK_YAML11_TIMESTAMP, /* go-yaml hands interface{} the text back; writers quote it */
    SK_YAML11_NOMEM      /* no memory to decide: readers fail, writers quote */
} sk_yaml11_tag;

typedef struct sk_yaml11_value {
    int boolean;     /* SK_YAML11_BOOL */
    int is_unsigned; /* SK_YAML11_INT above INT64_MAX: the value is in u */
    int64_t i;
    uint64_t u;
    double f; /* SK_YAML11_FLOAT: +-inf or nan for the .inf/.nan words */
} sk_yaml11_value;

/*
 * Resolves exactly len bytes of s (NUL bytes are ordinary bytes). v may be
 * NULL when only the tag matters. Linear in len; allocates only for numbers
 * of 64 bytes or more.
 */
sk_yaml11_tag sk_yaml11_resolve(const char *s, size_t len, sk_yaml11_value *v);

#endif
