/* Opening SealedSecrets with private keys (docs/format.md §2.8, §3.9). */
#ifndef SEALKIT_UNSEAL_H
#define SEALKIT_UNSEAL_H

#include <jansson.h>
#include "error.h"
#include "keys.h"
#include "scope.h"
#include "secret.h"

/*
 * Rebuilds the Secret: template metadata (less namespace and
 * ownerReferences), type and immutable; name and namespace from the outer
 * metadata; every encryptedData item opened with the label of the outer
 * scope. All or nothing: one item that cannot be opened fails the whole
 * object (SK_EDECRYPT) with a message naming every such item and the reason
 * of the first; a blob that opens under another scope's label is reported as
 * wrong scope annotations. Then each spec.template.data entry is rendered over
 * the opened items (not over each other) and becomes an item, replacing an
 * opened item of the same key, as the controller does (docs/format.md §2.9).
 * Only a subset of Go's text/template is rendered: {{ .key }},
 * {{ index . "key" }}, {{ toJson .key }} and {{ toJson (index . "key") }},
 * with {{- and -}}; any other action, or a key that is not an opened item, is
 * SK_EINVAL naming the template key. The legacy spec.data format (kubeseal
 * < 0.7) is refused. keys is not const: decrypting reorders the ring (see
 * sk_keyring_decrypt). *out is emptied first and left empty on failure.
 */
SK_API int sk_unseal(const json_t *sealed, sk_keyring *keys, sk_secret *out, sk_error *err);
/*
 * The same for a SealedSecret that will be applied in namespace ns: when its
 * metadata.namespace is absent or empty (Helm output), ns gives the labels and
 * the Secret's namespace, as `kubectl apply -n` would. ns NULL or "" changes nothing.
 */
SK_API int sk_unseal_ns(const json_t *sealed, const char *ns, sk_keyring *keys, sk_secret *out,
                        sk_error *err);

/*
 * Finds out why a blob does not open under the label of scope `tried` for
 * ns/name: tries the labels of the other scopes. SK_OK with *opens set when
 * one of them opens it (the SealedSecret's scope annotations are wrong);
 * SK_EDECRYPT when none does (wrong key, or sealed for another name or
 * namespace). The plaintext found on the way is wiped at once. Decrypts
 * through the ring, so it reorders it as sk_keyring_decrypt does.
 */
SK_API int sk_diagnose_scope(sk_keyring *keys, const unsigned char *blob, size_t blob_len,
                             const char *ns, const char *name, sk_scope tried, sk_scope *opens,
                             sk_error *err);

#endif
