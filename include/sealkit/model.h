/*
 * The SealedSecret model: the names kubeseal and the controller agree on
 * (docs/format.md §3.1, §5.2) and the one walk over the objects of a parsed
 * input. Every module that reads or writes SealedSecrets, Secrets or key
 * Secrets takes its names and its List rule from here.
 */
#ifndef SEALKIT_MODEL_H
#define SEALKIT_MODEL_H

#include <stddef.h>
#include <jansson.h>
#include "doc.h"
#include "error.h"
#include "export.h"

#define SK_SEALED_API_VERSION "bitnami.com/v1alpha1"
#define SK_KIND_SEALED_SECRET "SealedSecret"
#define SK_KIND_SECRET "Secret"
#define SK_KIND_LIST "List"

/* The label on the controller's key Secrets ("active", or "compromised" for a retired key). */
#define SK_LABEL_SEALING_KEY "sealedsecrets.bitnami.com/sealed-secrets-key"
/* The key Secret name the controller used before it labelled its keys. */
#define SK_LEGACY_KEY_SECRET "sealed-secrets-key"

/*
 * Annotations in which kubectl and kubecfg keep the whole object as last applied: on a
 * Secret they hold its plaintext. A NULL-terminated list (a function, so that the library
 * exports no data symbols).
 */
SK_API const char *const *sk_last_applied_annotations(void);

/* One object of an input: a document, or one element of a List document's items. */
typedef struct sk_object {
    const json_t *obj;
    size_t document; /* 1-based */
    size_t item;     /* 1-based index in the List's items; 0 for a whole document */
} sk_object;

/* Non-zero when obj is a JSON object whose kind is exactly kind. */
SK_API int sk_kind_is(const json_t *obj, const char *kind);
/* metadata.FIELD when it is a string; NULL otherwise. */
SK_API const char *sk_meta_string(const json_t *obj, const char *field);

/*
 * The List rule, the same for every command: a document is a List when its
 * kind is "List" or ends in "List" (SealedSecretList, SecretList), or when it
 * has no kind and an items member (as kubectl writes backups).
 */
SK_API int sk_is_list(const json_t *doc);

/* Called once per object; a non-SK_OK return stops the walk and is returned. */
typedef int (*sk_object_fn)(const sk_object *o, void *ctx, sk_error *err);

/*
 * Calls fn on every object of docs in order, each List replaced by its items.
 * A List whose items member is not a sequence is SK_EINVAL. An error from fn
 * stops the walk and gets the object's document and item as fields of err
 * (sk_error_at_object: unless fn set them already); the message is left as
 * fn wrote it.
 */
SK_API int sk_docs_walk(const sk_docs *docs, sk_object_fn fn, void *ctx, sk_error *err);

/* "document N" or "document N, item M" into buf (at least 48 bytes). */
SK_API void sk_object_where(const sk_object *o, char *buf, size_t size);

#endif
