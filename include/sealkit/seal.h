/* Sealing Secrets into SealedSecrets as kubeseal does (docs/format.md §2.4, §3.2, §4.4). */
#ifndef SEALKIT_SEAL_H
#define SEALKIT_SEAL_H

#include <jansson.h>
#include "cert.h"
#include "crypto.h"
#include "error.h"
#include "scope.h"
#include "secret.h"

/*
 * Options of sk_seal_secret. Start from SK_SEAL_OPTS_INIT, which sets version
 * to the SK_SEAL_OPTS_VERSION this header describes, so that later members can
 * be added without breaking callers built against it; a version the library
 * does not know is SK_EUSAGE.
 */
#define SK_SEAL_OPTS_VERSION 1u
#define SK_SEAL_OPTS_INIT                                                                          \
    {                                                                                              \
        .version = SK_SEAL_OPTS_VERSION                                                            \
    }

typedef struct sk_seal_opts {
    unsigned version;       /* SK_SEAL_OPTS_VERSION */
    int has_scope;          /* --scope given */
    sk_scope scope;         /* strict keeps an annotated Secret's scope (docs/format.md §2.4)... */
    int force_scope;        /* ...unless this is set (--merge-into imposes the file's scope) */
    const char *name;       /* --name: renames every Secret; NULL keeps it */
    const char *namespace_; /* -n: used when the Secret has none; a different one is an error */
    int allow_empty;        /* --allow-empty-data */
} sk_seal_opts;

/*
 * Builds the SealedSecret for s (which is modified: name, namespace and
 * scope annotations are applied to it) as a tree whose members are in
 * kubeseal's JSON order, ready for sk_emit_json or sk_emit_yaml. opts may be
 * NULL (the defaults of SK_SEAL_OPTS_INIT). Every item gets a fresh session
 * key from libsodium's CSPRNG.
 */
SK_API int sk_seal_secret(sk_secret *s, const sk_pubkey *pk, const sk_seal_opts *opts,
                          json_t **sealed, sk_error *err);

/* Seals one value as --raw does: *b64 is the base64 blob (malloc'd), no newline. */
SK_API int sk_seal_raw(const sk_pubkey *pk, sk_scope scope, const char *ns, const char *name,
                       const unsigned char *pt, size_t len, char **b64, sk_error *err);

/*
 * Checks that doc is a SealedSecret (apiVersion bitnami.com/v1alpha1, kind
 * SealedSecret, metadata.name, spec.encryptedData an object of strings) and
 * returns its outer scope.
 */
SK_API int sk_sealed_check(const json_t *doc, sk_scope *scope, sk_error *err);

/*
 * --merge-into: copies every encryptedData item of from into into (replacing
 * items of the same key; the others keep their ciphertext byte for byte) and
 * adds from's template labels and annotations. Missing maps are created.
 */
SK_API int sk_seal_merge(json_t *into, const json_t *from, sk_error *err);

#endif
