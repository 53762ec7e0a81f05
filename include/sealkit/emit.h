/*
 * Writing manifests in kubeseal's exact shape (docs/format.md §3.3 and §3.4). Output goes
 * to guarded memory because recovered Secrets carry plaintext.
 */
#ifndef SEALKIT_EMIT_H
#define SEALKIT_EMIT_H

#include <jansson.h>
#include "error.h"
#include "mem.h"

/*
 * Go json.MarshalIndent with two-space indent, members in the tree's order
 * except in a Secret's or SealedSecret's maps (labels, annotations, data,
 * stringData, encryptedData, template data), which Go sorts by key bytes,
 * Go's string escaping (\u003c \u003e \u0026 \u2028 \u2029, lowercase hex,
 * invalid UTF-8 as \ufffd), then one newline. Integers as Go prints them;
 * reals in Go's shortest form.
 */
SK_API int sk_emit_json(const json_t *doc, sk_secbuf *out, sk_error *err);

/*
 * "---\n" then the document as go-yaml v2 writes it: every mapping's keys in
 * go-yaml's natural order, block style, two-space indent, sequences not
 * indented under their key, strings double-quoted when YAML 1.1 would read
 * them as something else, literal block style for multi-line strings,
 * non-ASCII written raw, width 80.
 */
SK_API int sk_emit_yaml(const json_t *doc, sk_secbuf *out, sk_error *err);

#endif
