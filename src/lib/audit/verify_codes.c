/*
 * The finding codes of sealkit verify, with what each means and how to fix it: one table for
 * the SARIF rules, kept in step with docs/verify.md and man/sealkit-verify.1 (a test compares
 * them). And the grouping of repeated item findings for the text report.
 */
#include <sealkit/verify.h>

#include <stdlib.h>
#include <string.h>

#define E SK_SEVERITY_ERROR
#define W SK_SEVERITY_WARNING
#define I SK_SEVERITY_INFO

static const sk_verify_code codes[] = {
    {"parse", E, "The file is not valid YAML or JSON.",
     "Correct the syntax at the document and line the message gives."},
    {"kind", E, "A bitnami.com document, or one with spec.encryptedData, is not kind SealedSecret.",
     "Set kind: SealedSecret."},
    {"api-version", E, "apiVersion is not bitnami.com/v1alpha1.",
     "Set apiVersion: bitnami.com/v1alpha1."},
    {"metadata", E, "metadata is missing.", "Add metadata with name and namespace."},
    {"name", E, "metadata.name is missing.", "Add the name the Secret is sealed for."},
    {"namespace", E,
     "metadata.namespace is missing (only cluster-wide may omit it) or not a string.",
     "Add the namespace the Secret is sealed for."},
    {"annotations", E, "An annotations field is not a map.",
     "Write annotations as a map of strings."},
    {"scope-annotation", E, "A scope annotation is not exactly the string \"true\".",
     "Quote it: sealedsecrets.bitnami.com/cluster-wide: \"true\"; remove annotations you do not "
     "mean."},
    {"scope-mismatch", W, "The outer and template metadata select different scopes.",
     "Make spec.template.metadata's scope annotations match metadata's (only the outer ones "
     "count)."},
    {"template-name", W, "spec.template.metadata.name differs from metadata.name.",
     "Remove it or make it equal to metadata.name."},
    {"template-namespace", W, "spec.template.metadata.namespace differs from metadata.namespace.",
     "Remove it or make it equal to metadata.namespace."},
    {"last-applied", E, "A kubectl last-applied-configuration annotation is in the manifest.",
     "Remove the annotation; in the template it may hold the whole plaintext Secret."},
    {"plaintext-data", E,
     "data, stringData or spec.template.stringData hold plaintext in a "
     "SealedSecret.",
     "Seal those items into spec.encryptedData and remove the plaintext."},
    {"plaintext-secret", E, "A kind: Secret with data or stringData: committed plaintext.",
     "Seal it (sealkit seal), delete the plaintext file and change the values: they are in the "
     "history."},
    {"template-data", I, "A spec.template.data entry is stored in clear.",
     "Keep only non-secret templates there."},
    {"type-item-missing", E, "The template type requires an item that is missing.",
     "Seal the required item (.dockerconfigjson, tls.crt/tls.key, ssh-privatekey...)."},
    {"legacy-data", E, "spec.data, the pre-0.7 format.", "Re-encrypt with the controller."},
    {"spec", E, "spec is missing.", "Add spec with encryptedData."},
    {"template", E, "A template field has the wrong type.", "Write spec.template as a map."},
    {"encrypted-data", E, "spec.encryptedData is missing or not a map of strings.",
     "Add spec.encryptedData ({} when empty)."},
    {"empty", W, "No encryptedData items and no template data.", "Seal the items it should hold."},
    {"item-key", E, "An item key is not a valid Secret key.",
     "Use letters, digits, '-', '_' and '.', at most 253."},
    {"value-type", E, "An encryptedData value is not a string.", "Seal the value again."},
    {"base64", E, "A value is not standard base64.", "Seal the value again; do not edit blobs."},
    {"too-short", E, "The blob is shorter than its header announces: truncated.",
     "Seal the value again; check how the file was copied."},
    {"gcm-too-short", E, "The AES-GCM part is shorter than its tag: truncated.",
     "Seal the value again."},
    {"rsa-length", E, "The RSA part does not match the certificate's (or any usual) key size.",
     "Seal it with the controller's current certificate."},
    {"no-sealed-secrets", W, "Nothing to verify in the paths given.",
     "Point verify at the folders that hold the SealedSecrets."},
    {"not-followed", W, "A symbolic link or special file inside a folder was not verified.",
     "Name the target on the command line, or replace the link with the file."},
    {"unreadable", E, "A folder could not be read: its files were not verified.",
     "Fix the folder's permissions."},
    {"creation-timestamp-null", I, "creationTimestamp: null (kubeseal 0.31 and older).",
     "Remove it if a strict schema validator refuses it."},
    {"owner-references", I, "ownerReferences in the template: the controller replaces them.",
     "Remove them."},
    {"template-missing", I, "No spec.template: the Secret gets no labels, annotations or type.",
     "Add spec.template when the Secret needs a type or labels."},
    {"cert-expired", E, "The --cert certificate has expired.",
     "Fetch the controller's current certificate and reseal (sealkit reseal)."},
    {"cert-expiring", W, "The --cert certificate expires within --warn-days.",
     "Plan the renewal: fetch the new certificate when the controller rotates."},
    {"cert-weak-key", E,
     "The --cert key is one seal refuses: an RSA exponent of 1, even or invalid, a key that "
     "fails OpenSSL's check, or fewer than 2048 bits.",
     "Fetch the controller's real certificate; reseal anything sealed under this one."},
    {"cert-unusual-exponent", W,
     "The --cert RSA public exponent is not 65537: no sealed-secrets controller makes such a key.",
     "Check where the certificate came from; fetch the controller's own (sealkit cert --pem)."},
    {"not-current-cert", W, "Opened by a key other than the --cert key.",
     "Reseal it under the current certificate (sealkit reseal)."},
    {"not-newest-key", W, "Opened by a key other than the newest key given.",
     "Reseal it under the newest key (sealkit reseal)."},
    {"altered", E, "The RSA part opens but the AES-GCM tag fails: altered or corrupted.",
     "Seal the value again."},
    {"wrong-scope", E, "It opens only under another scope's label.",
     "Set the scope annotation the message names, or seal it again for this scope."},
    {"wrong-identity", E, "It opens only under spec.template.metadata's name or namespace.",
     "Make metadata's name and namespace the ones it was sealed for, or seal it again."},
    {"copied-value", E,
     "An item copied from another SealedSecret of the scan: it opens only "
     "under that one's label.",
     "Seal the value again for this SealedSecret."},
    {"sealed-for-other", E,
     "The SealedSecret was sealed for another name or namespace of the "
     "scan: its items open only there.",
     "Seal it again for its own name and namespace, or move it where it belongs."},
    {"duplicate-ciphertext", W,
     "The same ciphertext in two different SealedSecrets or items: a "
     "copied value.",
     "Seal the value again for each SealedSecret."},
    {"diagnosis-cut", I,
     "The diagnosis budget (RSA private operations spent on items that do not open) ran out: "
     "items left keep an undiagnosed decrypt-failed.",
     "Fix or remove the values that open under no key (junk, or sealed for another cluster), or "
     "raise --diagnose-budget / --diagnose-file-budget."},
    {"no-key", E, "No key given has the modulus size the blob needs.",
     "Give the key it was sealed with, or seal it again."},
    {"decrypt-failed", E, "No key given opens it under any label of its name and namespace.",
     "Seal it again for this name and namespace with the current certificate."},
    {"dockerconfigjson", E, "A registry credential item is not well formed.",
     "Rebuild it with sealkit create docker-registry."},
    {"default-credential", E, "The value is a well-known default credential.",
     "Set a real secret and seal it again."},
    {"policy-missing-secret", E, "A SealedSecret the policy requires is missing.",
     "Add it, or fix its name and namespace."},
    {"policy-type", E, "The template type differs from the policy's.", "Set spec.template.type."},
    {"policy-scope", E, "The scope differs from the policy's.",
     "Set the scope annotations and seal it again."},
    {"policy-missing-item", E, "An item the policy requires is missing.", "Seal the item into it."},
    {"policy-namespace", E, "A SealedSecret in a namespace outside the policy's namespaces.",
     "Fix the namespace (the message suggests the allowed one it is closest to)."},
    {"policy-unexpected-secret", E, "A SealedSecret the policy does not list.",
     "Add it to the policy, or remove it."},
    /* sealkit package verify's own, about the archive and its kustomizations */
    {"package-archive", E, "The package is not a gzip tar archive sealkit can read.",
     "Rebuild it with sealkit package."},
    {"package-unsafe", E,
     "The archive holds an absolute path, '..', a link, a device or a FIFO, or a path twice.",
     "Rebuild it with sealkit package; never extract it."},
    {"package-limit", E,
     "The archive exceeds a size limit (entry, count, total or compression ratio).",
     "Rebuild it with sealkit package; split a very large set."},
    {"package-layout", E,
     "A file or folder outside the package layout (OVERLAY/sealed-secrets/SET/FILE).",
     "Rebuild it with sealkit package."},
    {"package-content", E, "A packaged file holds something other than SealedSecrets.",
     "Package only SealedSecret files."},
    {"package-namespace", E, "An overlay's SealedSecrets are in more than one namespace.",
     "Build one package per namespace."},
    {"package-kustomization", E,
     "A kustomization of the package is malformed or would change a SealedSecret.",
     "Keep only resources, labels and annotations; seal the Secret as it must be instead of "
     "patching it."},
    {"package-missing", E, "A kustomization lists a file the package does not hold.",
     "Rebuild it with sealkit package."},
    {"package-unlisted", E, "A packaged file no kustomization lists: kustomize would not apply it.",
     "Rebuild it with sealkit package."},
};

#undef E
#undef W
#undef I

const sk_verify_code *sk_verify_codes(size_t *n)
{
    *n = sizeof codes / sizeof codes[0];
    return codes;
}

const sk_verify_code *sk_verify_code_find(const char *code)
{
    for (size_t i = 0; code != NULL && i < sizeof codes / sizeof codes[0]; i++)
        if (strcmp(codes[i].code, code) == 0) return &codes[i];
    return NULL;
}

/* ---- grouping ---- */

static int same_cause(const sk_finding *a, const sk_finding *b)
{
    return a->item != NULL && b->item != NULL && strcmp(a->file, b->file) == 0 &&
           a->document == b->document && a->list_item == b->list_item &&
           a->severity == b->severity && strcmp(a->code, b->code) == 0 &&
           strcmp(a->message, b->message) == 0 &&
           strcmp(a->key_fingerprint, b->key_fingerprint) == 0;
}

typedef struct ranked {
    const sk_finding *x;
    size_t i;
} ranked;

/* Findings of one cause sort together, in the order they were found. */
static int by_cause(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    int d = strcmp(a->x->file, b->x->file);
    if (d == 0) d = (a->x->document > b->x->document) - (a->x->document < b->x->document);
    if (d == 0) d = (a->x->list_item > b->x->list_item) - (a->x->list_item < b->x->list_item);
    if (d == 0) d = (a->x->item != NULL) - (b->x->item != NULL);
    if (d == 0 && a->x->item != NULL) d = strcmp(a->x->code, b->x->code);
    if (d == 0 && a->x->item != NULL) d = strcmp(a->x->message, b->x->message);
    if (d == 0 && a->x->item != NULL) d = strcmp(a->x->key_fingerprint, b->x->key_fingerprint);
    if (d == 0 && a->x->item != NULL) d = (int)a->x->severity - (int)b->x->severity;
    return d != 0 ? d : (a->i > b->i) - (a->i < b->i);
}

/* A group: its first finding, and where its run is in the sorted list. */
typedef struct head {
    size_t first, pos, len;
} head;

static int by_first(const void *pa, const void *pb)
{
    const head *a = pa, *b = pb;
    return (a->first > b->first) - (a->first < b->first);
}

static size_t find_runs(const ranked *r, size_t n, head *h)
{
    size_t g = 0;
    for (size_t a = 0, b; a < n; a = b) {
        for (b = a + 1; b < n && same_cause(r[b].x, r[a].x); b++)
            ;
        h[g++] = (head){r[a].i, a, b - a};
    }
    return g;
}

int sk_findings_group(const sk_findings *f, size_t **order, size_t **start, size_t *n_groups,
                      sk_error *err)
{
    size_t n = f->n;
    ranked *r = malloc((n + 1) * sizeof *r);
    head *h = malloc((n + 1) * sizeof *h);
    *order = malloc((n + 1) * sizeof **order);
    *start = malloc((n + 1) * sizeof **start);
    if (r == NULL || h == NULL || *order == NULL || *start == NULL) {
        free(r), free(h), free(*order), free(*start);
        *order = *start = NULL;
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        r[i] = (ranked){&f->v[i], i};
    qsort(r, n, sizeof *r, by_cause);
    size_t g = find_runs(r, n, h);
    qsort(h, g, sizeof *h, by_first);
    size_t k = 0;
    for (size_t i = 0; i < g; i++) {
        (*start)[i] = k;
        for (size_t j = 0; j < h[i].len; j++)
            (*order)[k++] = r[h[i].pos + j].i;
    }
    (*start)[g] = k;
    *n_groups = g;
    free(r), free(h);
    return SK_OK;
}
