/* Opening SealedSecrets with private keys (docs/format.md §2.8, §3.9). */
#ifndef SEALKIT_UNSEAL_H
#define SEALKIT_UNSEAL_H

#include <jansson.h>
#include "error.h"
#include "keys.h"
#include "scope.h"
#include "secret.h"

/*
 * Rebuilds the Secret: template metadata, type and immutable; name and
 * namespace from the outer metadata; every encryptedData item opened with
 * the label of the outer scope. All or nothing: one item that cannot be
 * opened fails the whole object with a message naming every such item and
 * why. template.data is not rendered: it is an error naming the key.
 */
SK_API int sk_unseal(const json_t *sealed, sk_keyring *keys, sk_secret *out, sk_error *err);

/*
 * Finds out why a blob does not open under the label of scope `tried` for
 * ns/name: tries the labels of the other scopes. SK_OK with *opens set when
 * one of them opens it (the SealedSecret's scope annotations are wrong);
 * SK_EDECRYPT when none does (wrong key, or sealed for another name or
 * namespace). The plaintext found on the way is wiped at once.
 */
SK_API int sk_diagnose_scope(sk_keyring *keys, const unsigned char *blob, size_t blob_len,
                             const char *ns, const char *name, sk_scope tried, sk_scope *opens,
                             sk_error *err);

#endif
