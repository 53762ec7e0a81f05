/*
 * Auditing SealedSecrets without printing a value (docs/format.md §6.2): structural
 * checks without keys, opening checks with keys, required items from a
 * policy, and the certificate inventory behind `sealkit cert` (docs/format.md §6.3-6.4).
 * Every check adds a finding to an sk_findings list; the codes are listed in
 * docs/verify.md. A finding's message names fields and items, never a value.
 */
#ifndef SEALKIT_VERIFY_H
#define SEALKIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>
#include "cert.h"
#include "doc.h"
#include "error.h"
#include "keys.h"
#include "scope.h"

typedef enum sk_severity {
    SK_SEVERITY_INFO = 0,    /* worth knowing; does not fail verify */
    SK_SEVERITY_WARNING = 1, /* works in the cluster, but should be fixed */
    SK_SEVERITY_ERROR = 2    /* will not work, or leaks */
} sk_severity;

/* Where something is. document and list_item are 1-based, 0 when not applicable. */
typedef struct sk_where {
    const char *file;
    size_t document;
    size_t list_item; /* item of a kind: List document */
    const char *item; /* encryptedData key; NULL for the whole SealedSecret */
} sk_where;

typedef struct sk_finding {
    char *file;
    size_t document;
    size_t list_item;
    char *item; /* NULL when about the whole SealedSecret or file */
    sk_severity severity;
    const char *code; /* static string, see docs/verify.md */
    char *message;
    char key_fingerprint[SK_FINGERPRINT_MAX]; /* "" when no key is involved */
    size_t line, column; /* 1-based, filled in by sk_verify_text; 0 when unknown */
} sk_finding;

/* One encryptedData item. */
typedef struct sk_verify_item {
    char *file;
    size_t document;
    size_t list_item;
    char *name;
    char *namespace_; /* NULL when absent */
    char *item;
    sk_scope scope;   /* the scope the outer metadata selects */
    int opens;        /* -1 not tried (no keys or malformed), 0 no, 1 under the outer scope */
    int sealed_scope; /* sk_scope whose label opened it (any label tried), -1 unknown */
    char opened_by[SK_FINGERPRINT_MAX]; /* "" when no key opened it */
    int newest;                         /* -1 unknown, 0 or 1: opened by the current/newest key */
    /* For sk_verify_cross_check: a hash of the ciphertext, so copies are found without keys. */
    unsigned char digest[32];
    int has_digest;
    /* The base64 value and the index of its decrypt-failed finding while no label opens it; the
     * cross check tries the scan's other labels on it. NULL otherwise. */
    char *unopened;
    size_t failed_finding;
    size_t line, column; /* of the value; 0 when unknown */
    /* An item that does not open under its own label is diagnosed (other scopes, the template's
     * name): diagnose_cost RSA private operations were charged for it, and diagnose_cut says the
     * diagnosis budget ran out on it. failed_finding is then the index of its finding. */
    int diagnosed, diagnose_cut;
    size_t diagnose_cost;
} sk_verify_item;

/* One SealedSecret seen, for policies. */
typedef struct sk_verify_secret {
    char *file;
    size_t document;
    size_t list_item;
    char *name;
    char *namespace_; /* NULL when absent */
    char *type;       /* spec.template.type; NULL when absent (the API server says Opaque) */
    sk_scope scope;
    char **keys; /* encryptedData and template.data keys */
    size_t n_keys;
    size_t line; /* where its document starts; 0 when unknown */
} sk_verify_secret;

typedef struct sk_findings {
    sk_finding *v;
    size_t n, cap;
    sk_verify_item *items;
    size_t n_items, cap_items;
    sk_verify_secret *secrets;
    size_t n_secrets, cap_secrets;
    size_t files; /* counted by sk_verify_text */
    /*
     * The scan's diagnosis budget. An item that does not open costs up to scopes x keys RSA
     * private operations to diagnose, so that a file of junk could take hours: diagnosis stops
     * after diagnose_file_budget operations in one file and diagnose_budget in the scan (the
     * cross check included), with a diagnosis-cut finding. Set them after sk_findings_init;
     * 0 means the defaults below, SIZE_MAX no limit. diagnose_spent counts what was spent.
     */
    size_t diagnose_budget, diagnose_file_budget, diagnose_spent;
} sk_findings;

#define SK_VERIFY_DIAGNOSE_BUDGET 4096
#define SK_VERIFY_DIAGNOSE_FILE_BUDGET 512

/*
 * Options of the verify functions. Start from SK_VERIFY_OPTS_INIT (no
 * certificate, no keys, newest key unknown), which sets version to the
 * SK_VERIFY_OPTS_VERSION this header describes, so that later members can be
 * added without breaking callers built against it; a version the library does
 * not know is SK_EUSAGE. A NULL opts means SK_VERIFY_OPTS_INIT.
 */
#define SK_VERIFY_OPTS_VERSION 1u
#define SK_VERIFY_OPTS_INIT                                                                        \
    {                                                                                              \
        .version = SK_VERIFY_OPTS_VERSION, .newest_key = -1                                        \
    }

typedef struct sk_verify_opts {
    unsigned version; /* SK_VERIFY_OPTS_VERSION */
    /* --cert: the RSA part must be as long as its modulus; items not opened by its key are flagged.
     */
    const sk_pubkey *cert;
    sk_keyring *keys; /* NULL: checks without keys */
    long newest_key;  /* index of the newest key in keys, -1 unknown (unused when cert is set) */
} sk_verify_opts;

SK_API void sk_findings_init(sk_findings *f);
SK_API void sk_findings_free(sk_findings *f);
/*
 * Adds a finding of the caller's own (as the CLI does for files it could not
 * read). w->file NULL is recorded as "-"; fp may be NULL; code is kept as a
 * pointer, not copied: give a string with static storage (see docs/verify.md
 * for the codes sealkit uses). Only SK_ENOMEM can fail.
 */
SK_API int sk_findings_add(sk_findings *f, const sk_where *w, sk_severity sev, const char *code,
                           const char *fp, sk_error *err, const char *fmt, ...) SK_PRINTF(7, 8);
/* Findings of severity sev or worse. */
SK_API size_t sk_findings_count(const sk_findings *f, sk_severity sev);
SK_API const char *sk_severity_name(sk_severity sev);

/*
 * Checks one SealedSecret (the caller selected it by kind) and appends its
 * findings, items and sk_verify_secret. Returns SK_OK unless memory runs out:
 * problems of the document are findings, not errors.
 */
SK_API int sk_verify_doc(const json_t *doc, const sk_where *where, const sk_verify_opts *opts,
                         sk_findings *out, sk_error *err);
/* Every SealedSecret of a parsed input (Lists expanded; other kinds ignored). */
SK_API int sk_verify_docs(const sk_docs *docs, const char *file, const sk_verify_opts *opts,
                          sk_findings *out, sk_error *err);
/* Parses and checks one file's text; a parse error becomes a "parse" finding. Counts the file. */
SK_API int sk_verify_text(const unsigned char *buf, size_t len, const char *file,
                          const sk_verify_opts *opts, sk_findings *out, sk_error *err);

/*
 * Verifies the files given (as sk_verify_text, "-" is standard input, named "<stdin>") in jobs
 * worker processes (fork; 0 or 1: in this process), appending to out exactly what verifying them
 * one after the other in this process would: the same findings in the same order, the diagnosis
 * budget spent in file order. A file that cannot be read, or whose worker died, is an error and
 * stops the scan there (out then holds the files before it). jobs above 4096 is SK_EUSAGE.
 * With jobs > 1 it forks: call it so from a process with one thread, as sk_reseal_tree.
 */
SK_API int sk_verify_files(const char *const *paths, size_t n, const sk_verify_opts *opts,
                           size_t jobs, sk_findings *out, sk_error *err);

/*
 * After every file of a scan: what only the whole scan shows. With keys, an item that opened
 * under no label of its own SealedSecret is tried under the labels of the scan's other
 * SealedSecrets (strict and namespace-wide); its decrypt-failed finding becomes copied-value or
 * sealed-for-other, naming the SealedSecret (and item) it came from. Without keys, the same
 * ciphertext in two different SealedSecrets or items is a duplicate-ciphertext finding.
 */
SK_API int sk_verify_cross_check(const sk_verify_opts *opts, sk_findings *f, sk_error *err);

/*
 * The findings on the --cert certificate, reported on source: cert-weak-key (error: a key seal
 * refuses; load it with SK_PUBKEY_ALLOW_WEAK to get here) or cert-unusual-exponent (warning: an
 * RSA exponent other than 65537), and cert-expired (error; load with SK_PUBKEY_ALLOW_EXPIRED) or
 * cert-expiring (warning: within warn_days of now). A bare public key has no expiry.
 */
SK_API int sk_verify_cert_findings(const sk_pubkey *cert, const char *source, time_t now,
                                   long warn_days, sk_findings *f, sk_error *err);

/* Every finding code sealkit verify uses, with what it means and how to fix it. */
typedef struct sk_verify_code {
    const char *code;
    sk_severity severity; /* the worst severity it is reported with */
    const char *summary;  /* what it means */
    const char *help;     /* how to fix it */
} sk_verify_code;

SK_API const sk_verify_code *sk_verify_codes(size_t *n);
/* NULL for a code sealkit does not use. */
SK_API const sk_verify_code *sk_verify_code_find(const char *code);

/*
 * Repeated item findings as groups: findings about items of the same SealedSecret with the same
 * severity, code, message and key form one group, in the order of their first finding. *order
 * lists every finding index group after group; group g is order[start[g] .. start[g+1]-1]
 * (start has *n_groups + 1 entries). Both are malloc'd.
 */
SK_API int sk_findings_group(const sk_findings *f, size_t **order, size_t **start, size_t *n_groups,
                             sk_error *err);

/* ---- policies: required Secrets and items (docs/verify.md) ---- */

typedef struct sk_policy sk_policy;

/*
 * Reads a policy (YAML or JSON):
 *   secrets: [{name, namespace, type?, scope?, required: [item...]}]
 *   namespaces: [namespace...]    the only namespaces a SealedSecret may be in
 *   unexpected: error|warning     a SealedSecret the policy does not list is a finding
 * Unknown fields are errors, so that a typo does not pass silently.
 */
SK_API int sk_policy_parse(const unsigned char *buf, size_t len, const char *source,
                           sk_policy **out, sk_error *err);
SK_API void sk_policy_free(sk_policy *p);
/* Adds findings for what the SealedSecrets recorded in f lack, and for those it does not allow. */
SK_API int sk_policy_check(const sk_policy *p, sk_findings *f, sk_error *err);

/* ---- certificates (sealkit cert) ---- */

typedef struct sk_cert_info {
    char source[96];   /* "PEM block 2", "document 1, item 2: data[tls.crt]" */
    char secret[256];  /* "namespace/name" of the key Secret holding it; "" for PEM */
    char state[64];    /* the Secret's sealed-secrets-key label ("active"); "" when none */
    char subject[256]; /* "" for a bare key or an empty subject */
    char fingerprint[SK_FINGERPRINT_MAX];
    int bits;
    unsigned flags;                /* sk_cert_flags */
    int64_t not_before, not_after; /* 0 for a bare key */
} sk_cert_info;

/*
 * Every certificate in text: PEM CERTIFICATE blocks (else the PUBLIC KEY
 * blocks), or the data["tls.crt"] of a TLS Secret, a List of them or a
 * multi-document backup. Expired certificates are listed (flag
 * SK_CERT_EXPIRED). No certificate at all is SK_EINVAL. *out is malloc'd.
 */
SK_API int sk_cert_scan(const char *text, size_t len, const char *source, time_t now,
                        sk_cert_info **out, size_t *n, sk_error *err);

#endif
