/*
 * The Secret model: what sealing reads from a v1/Secret manifest and what
 * unsealing rebuilds. Item values live in guarded memory.
 */
#ifndef SEALKIT_SECRET_H
#define SEALKIT_SECRET_H

#include <stddef.h>
#include <jansson.h>
#include "doc.h"
#include "error.h"
#include "mem.h"

typedef struct sk_item {
    char *key;
    sk_secbuf value; /* plaintext bytes */
} sk_item;

typedef struct sk_secret {
    /*
     * ObjectMeta in Go struct order (name, generateName, namespace, labels,
     * annotations, ownerReferences, finalizers, managedFields, ...); server
     * fields such as uid or creationTimestamp are kept here and dropped when
     * sealing.
     */
    json_t *metadata;
    char *type;     /* NULL when absent */
    int immutable;  /* -1 absent, 0 false, 1 true */
    sk_item *items; /* sorted by key (byte order); stringData has won duplicates */
    size_t n_items;
} sk_secret;

/* Where a Secret came from, for messages: "document 2" or "document 2, item 3". */
typedef struct sk_origin {
    size_t document; /* 1-based */
    size_t item;     /* 1-based index inside a kind: List, 0 otherwise */
} sk_origin;

/*
 * Reads one v1/Secret. kind must be "Secret" (apiVersion "v1" when given);
 * metadata.name and .namespace must be strings when present; data values
 * standard base64; stringData values strings; keys valid Secret keys
 * ([-._a-zA-Z0-9]+, at most 253 bytes). Errors name the field, never a value.
 */
SK_API int sk_secret_from_json(const json_t *doc, sk_secret *out, sk_error *err);
SK_API void sk_secret_free(sk_secret *s);

/*
 * Every Secret of a parsed input, expanding kind: List documents. All or
 * nothing: on error nothing is returned; the message says "field: problem"
 * and err's document and item fields say where (sk_error_format joins them).
 */
SK_API int sk_secrets_from_docs(const sk_docs *docs, sk_secret **out, sk_origin **origins,
                                size_t *n, sk_error *err);
SK_API void sk_secrets_free(sk_secret *s, sk_origin *origins, size_t n);

/* Accessors over metadata; NULL when absent. */
SK_API const char *sk_secret_name(const sk_secret *s);
SK_API const char *sk_secret_namespace(const sk_secret *s);
SK_API int sk_secret_set_name(sk_secret *s, const char *name, sk_error *err);
SK_API int sk_secret_set_namespace(sk_secret *s, const char *ns, sk_error *err);

/* Adds or replaces an item (the value is copied into guarded memory). */
SK_API int sk_secret_put(sk_secret *s, const char *key, const unsigned char *v, size_t len,
                         sk_error *err);

/*
 * The v1/Secret tree of s in kubeseal's recovery shape (docs/format.md §3.9):
 * metadata as kept, data as base64, type and immutable when set.
 */
SK_API int sk_secret_to_json(const sk_secret *s, json_t **out, sk_error *err);

/* Non-zero when key is a valid Secret data key. */
SK_API int sk_valid_item_key(const char *key);

#endif
