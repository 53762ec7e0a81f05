/*
 * Delivery packages: a reproducible tar.gz holding kustomize overlays, and the
 * safe, in-memory reading, checking, installing and comparing of such packages.
 *
 * Layout (one folder of its own per package, so packages and a team's overlay
 * compose; see README.md "Delivering secrets as packages"):
 *   <overlay>/kustomization.yaml                  resources: [sealed-secrets]
 *   <overlay>/sealed-secrets/kustomization.yaml   resources: [<set>]
 *   <overlay>/sealed-secrets/<set>/kustomization.yaml and the SealedSecret files
 * Packages of earlier releases (the files directly in <overlay>/) still verify.
 */
#ifndef SEALKIT_PACKAGE_H
#define SEALKIT_PACKAGE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "mem.h"
#include "cert.h"
#include "keys.h"
#include "verify.h"

/* Limits for reading a package (documented in README.md). */
#define SK_PACKAGE_MAX_ENTRY (4u << 20)  /* bytes in one entry */
#define SK_PACKAGE_MAX_ENTRIES 256       /* entries, folders included */
#define SK_PACKAGE_MAX_TOTAL (32u << 20) /* bytes in all entries */
#define SK_PACKAGE_MAX_RATIO 100         /* entry bytes per archive byte */

#define SK_PACKAGE_OVERLAY "production"
#define SK_PACKAGE_KUSTOMIZATION "kustomization.yaml"
/* The folder of every overlay that holds one folder per package (set). */
#define SK_PACKAGE_SECRETS_DIR "sealed-secrets"
#define SK_PACKAGE_NAME_MAX 256

/* One SealedSecret file: stored as <overlay>/sealed-secrets/<set>/basename(path), unchanged. */
typedef struct sk_package_input {
    const char *path;
    const unsigned char *data;
    size_t len;
} sk_package_input;

/*
 * Options of sk_package_filename and sk_package_build. Start from
 * SK_PACKAGE_OPTS_INIT, which sets version to the SK_PACKAGE_OPTS_VERSION this
 * header describes, so that later members can be added without breaking
 * callers built against it; a version the library does not know is SK_EUSAGE.
 */
#define SK_PACKAGE_OPTS_VERSION 1u
#define SK_PACKAGE_OPTS_INIT                                                                       \
    {                                                                                              \
        .version = SK_PACKAGE_OPTS_VERSION                                                         \
    }

typedef struct sk_package_opts {
    unsigned version;       /* SK_PACKAGE_OPTS_VERSION */
    const char *namespace_; /* DNS label; every namespaced SealedSecret must be in it */
    const char *set;        /* the <set> of the file name (DNS label) */
    const char *overlay;    /* folder name; NULL means SK_PACKAGE_OVERLAY */
    int64_t mtime;          /* of every entry (Unix time); its UTC date names the file */
    /* Optional kustomization to start from (NULL: a fresh one); source names it in messages. */
    const unsigned char *kustomization;
    size_t kustomization_len;
    const char *kustomization_source;
} sk_package_opts;

/* "YYYYMMDD" (a real date, 1970-9999) to midnight UTC of that day. */
SK_API int sk_package_parse_date(const char *s, int64_t *midnight, sk_error *err);
/* SOURCE_DATE_EPOCH: decimal seconds, at most ustar's limit (8^11 - 1, year 2242). */
SK_API int sk_package_parse_epoch(const char *s, int64_t *t, sk_error *err);

/* "<namespace>-<set>-secrets-<YYYYMMDD>.tar.gz" into out (SK_PACKAGE_NAME_MAX bytes). */
SK_API int sk_package_filename(const sk_package_opts *o, char *out, size_t size, sk_error *err);

/*
 * Checks one input as a package would hold it: every document a SealedSecret
 * (a plaintext Secret, a List or any other kind is refused, naming the
 * document), structurally sound (sk_sealed_check), and in namespace ns (outer
 * and template metadata) unless it has no namespace.
 */
SK_API int sk_package_check_input(const sk_package_input *in, const char *ns, sk_error *err);

/*
 * Checks a kustomization against strict scope: refuses namePrefix,
 * nameSuffix, a namespace other than ns, generators and generatorOptions,
 * scope annotations, patches that touch SealedSecret names, namespaces, kind,
 * scope annotations or sealed values, and any field sealkit cannot vouch for.
 * The message explains what kustomize would do.
 */
SK_API int sk_package_check_kustomization(const unsigned char *text, size_t len, const char *source,
                                          const char *ns, sk_error *err);

/* The SealedSecret files of one overlay (an environment) of a package. */
typedef struct sk_package_overlay {
    const char *name; /* folder name; NULL means SK_PACKAGE_OVERLAY */
    const sk_package_input *in;
    size_t n;
} sk_package_overlay;

/*
 * Builds the package bytes into out: for the overlay, ustar entries "<overlay>/"
 * (0755), its kustomization (0644), "<overlay>/sealed-secrets/" and its
 * kustomization, "<overlay>/sealed-secrets/<set>/", then that folder's
 * kustomization.yaml and the inputs in byte order; uid and gid 0, no user or
 * group names, mtime o->mtime; gzip level 9 with header mtime 0 and no file
 * name. Same inputs, same bytes (for a given zlib).
 * File names must be [A-Za-z0-9][A-Za-z0-9._-]* (at most 100 bytes) and
 * distinct; every input passes sk_package_check_input and no two SealedSecrets
 * share a name. kustomization.yaml lists the files sorted (resources); a given
 * kustomization must pass sk_package_check_kustomization and list only input
 * files, and then gets resources replaced by that list.
 */
SK_API int sk_package_build(const sk_package_opts *o, const sk_package_input *in, size_t n,
                            sk_secbuf *out, sk_error *err);

/*
 * sk_package_build for several overlays in one package (environments, each
 * sealed under its own cluster's certificate), in the order given; o->overlay
 * is not used. Overlay names must be distinct.
 */
SK_API int sk_package_build_overlays(const sk_package_opts *o, const sk_package_overlay *ov,
                                     size_t n_ov, sk_secbuf *out, sk_error *err);

/*
 * Writes a built package to path, making its folders: a new file is created
 * without ever replacing one (sk_write_new_at); an existing file with the same
 * bytes is left alone (*same 1); one with other bytes is SK_EINVAL unless
 * force (then replaced atomically, only while it is still the file that was
 * read: sk_write_atomic_at). Everything goes through handles on the folders:
 * those that exist are the path the caller named, taken as given; those this
 * call makes are entered without following a link (one swapped in meanwhile
 * is SK_EIO, never written through). A link in the file's place is never
 * followed, read or replaced (SK_EIO).
 */
SK_API int sk_package_save(const char *path, const unsigned char *data, size_t len, int force,
                           int *same, sk_error *err);

/* An environment: its overlay's name and the certificate of its cluster's controller. */
typedef struct sk_package_env {
    const char *name;
    const sk_pubkey *cert;
} sk_package_env;

/*
 * One package with an overlay per environment, from one plaintext source: plain holds v1
 * Secret manifests (a kind: List is expanded); every Secret is sealed, in memory, under each
 * environment's certificate (strict scope unless annotated; namespace o->namespace_ when the
 * Secret has none) and stored as <env>/sealed-secrets/<set>/<name>-secret.yaml. So each
 * overlay opens under its own cluster's key only. Plaintext is never written anywhere.
 */
SK_API int sk_package_build_envs(const sk_package_opts *o, const sk_package_env *envs,
                                 size_t n_envs, const sk_package_input *plain, size_t n,
                                 sk_secbuf *out, sk_error *err);

typedef struct sk_package_entry {
    char *path; /* normalised: no "./" prefix, no trailing "/" */
    int is_dir;
    sk_secbuf data; /* empty for folders */
} sk_package_entry;

typedef struct sk_package {
    sk_package_entry *entries; /* sorted by path */
    size_t n;
} sk_package;

/*
 * Reads a tar.gz from memory, never touching the disk. Refuses (naming the
 * entry): data that is not gzip-compressed tar, absolute paths, ".." or empty
 * components, control characters in names, links, devices, FIFOs and any
 * entry neither a regular file nor a folder, sparse files, duplicate paths,
 * entries over SK_PACKAGE_MAX_ENTRY bytes, more than SK_PACKAGE_MAX_ENTRIES
 * entries, more than SK_PACKAGE_MAX_TOTAL bytes in all, and more than
 * SK_PACKAGE_MAX_RATIO bytes of entry data per byte of archive.
 */
SK_API int sk_package_read(const unsigned char *buf, size_t len, sk_package *out, sk_error *err);
SK_API void sk_package_free(sk_package *p);

/*
 * What sk_package_verify looked at. The caller sets version
 * (SK_PACKAGE_SUMMARY_INIT) so that later members can be added without
 * breaking it; the library checks it (SK_EUSAGE for a version it does not
 * know) and fills the rest.
 */
#define SK_PACKAGE_SUMMARY_VERSION 1u
#define SK_PACKAGE_SUMMARY_INIT                                                                    \
    {                                                                                              \
        .version = SK_PACKAGE_SUMMARY_VERSION                                                      \
    }

typedef struct sk_package_summary {
    unsigned version; /* SK_PACKAGE_SUMMARY_VERSION, set by the caller */
    size_t overlays;
    size_t sealed_files;   /* files other than kustomization.yaml inside overlays */
    size_t sealed_secrets; /* SealedSecret documents verified */
} sk_package_summary;

/*
 * Checks a package read by sk_package_read and verifies its SealedSecrets,
 * adding findings to out (file = the entry path, e.g.
 * "production/ghcr-secret.yaml", or source for the package as a whole;
 * severity error):
 *   package-layout         an entry outside <overlay>/<file>, nested folders, or no overlay
 *   package-kustomization  no or several kustomization files in an overlay, an unreadable one,
 *                          resources that are not plain file names, or a field that breaks
 *                          strict scope (sk_package_check_kustomization, for the namespace of
 *                          every SealedSecret in the overlay)
 *   package-missing        kustomization.yaml lists a file the overlay lacks
 *   package-unlisted       a file of the overlay that kustomization.yaml does not list
 *   package-namespace      SealedSecrets of one overlay in several namespaces
 *   plaintext-secret       a kind: Secret document
 *   package-content        a document that is not a SealedSecret (or a file with none)
 *   parse                  a file that is not YAML/JSON
 * and, for every SealedSecret document, what sk_verify_doc finds with opts
 * (NULL: checks without keys). sum may be NULL. Returns SK_OK unless checking
 * itself failed (memory).
 */
SK_API int sk_package_verify(const sk_package *p, const char *source, const sk_verify_opts *opts,
                             sk_findings *out, sk_package_summary *sum, sk_error *err);

/* ---- comparing two packages ---- */

typedef enum sk_diff_kind {
    SK_DIFF_UNCHANGED = 0, /* the same ciphertext */
    SK_DIFF_ADDED,         /* a Secret or an item only the new package has */
    SK_DIFF_REMOVED,       /* a Secret or an item only the old package has */
    SK_DIFF_REENCRYPTED, /* another ciphertext; without keys (or not opened) the value is unknown */
    SK_DIFF_RESEALED,    /* another ciphertext of the same value (opened with the keys) */
    SK_DIFF_CHANGED,     /* another value (opened with the keys) */
    SK_DIFF_TEMPLATE,    /* the Secret's spec.template (type, labels, annotations) differs */
    SK_DIFF_KINDS
} sk_diff_kind;

typedef struct sk_diff_entry {
    char *overlay;
    char *secret; /* "namespace/name" ("/name" for a cluster-wide one) */
    char *item;   /* NULL: the Secret as a whole */
    sk_diff_kind kind;
} sk_diff_entry;

#define SK_PACKAGE_CHANGES_VERSION 1u
#define SK_PACKAGE_CHANGES_INIT                                                                    \
    {                                                                                              \
        .version = SK_PACKAGE_CHANGES_VERSION                                                      \
    }

typedef struct sk_package_changes {
    unsigned version; /* SK_PACKAGE_CHANGES_VERSION, set by the caller */
    sk_diff_entry *v; /* by overlay, Secret, then item (encryptedData order) */
    size_t n;
    size_t counts[SK_DIFF_KINDS]; /* entries of each kind */
    size_t unopened;              /* Secrets in both that the keys did not open (both sides) */
} sk_package_changes;

/*
 * Compares the SealedSecrets of two packages read by sk_package_read, by overlay and
 * namespace/name, and item by item. With keys (may be NULL) each Secret present in both is
 * opened on both sides (sk_unseal) and each item whose ciphertext differs is RESEALED or
 * CHANGED; values are compared in guarded memory and never leave the library. A Secret either
 * side cannot open leaves its items REENCRYPTED and counts in unopened.
 */
SK_API int sk_package_diff(const sk_package *old, const sk_package *new_, sk_keyring *keys,
                           sk_package_changes *out, sk_error *err);
SK_API void sk_package_changes_free(sk_package_changes *d);
/* "unchanged", "added", "removed", "re-encrypted", "resealed", "changed", "template". */
SK_API const char *sk_diff_kind_name(sk_diff_kind k);

/* ---- installing into a manifests folder ---- */

/* A package to install: its bytes, and the name it goes by in messages and the record. */
typedef struct sk_install_input {
    const char *name;
    const unsigned char *data;
    size_t len;
} sk_install_input;

#define SK_INSTALL_OPTS_VERSION 1u
#define SK_INSTALL_OPTS_INIT                                                                       \
    {                                                                                              \
        .version = SK_INSTALL_OPTS_VERSION                                                         \
    }

typedef struct sk_install_opts {
    unsigned version;             /* SK_INSTALL_OPTS_VERSION */
    const sk_verify_opts *verify; /* certificate and keys to verify with; NULL: without keys */
    int force;                    /* install a package older than the one installed */
} sk_install_opts;

#define SK_INSTALL_REPORT_VERSION 1u
#define SK_INSTALL_REPORT_INIT                                                                     \
    {                                                                                              \
        .version = SK_INSTALL_REPORT_VERSION                                                       \
    }

typedef struct sk_install_report {
    unsigned version; /* SK_INSTALL_REPORT_VERSION, set by the caller */
    size_t installed; /* sets (one per overlay of a package) new to the folder */
    size_t replaced;  /* sets replaced by another package of the same set */
    size_t unchanged; /* sets already installed from these very bytes */
    size_t removed;   /* sets whose newer package no longer has their overlay */
    int recovered;    /* an interrupted install found: 1 finished, 2 rolled back */
    /* An overlay kustomization of the team's own that does not list sealed-secrets, or "". */
    char unlisted[2 * SK_PACKAGE_NAME_MAX];
} sk_install_report;

/*
 * Installs packages into the manifests folder dir (which must exist): each set of each
 * overlay into <overlay>/sealed-secrets/<set>/, <overlay>/sealed-secrets/kustomization.yaml
 * listing every installed set, and <overlay>/kustomization.yaml (resources: [sealed-secrets])
 * only where the overlay has no kustomization yet. dir/.sealkit-install.json records what was
 * written. Each package is read and verified first (sk_package_verify with o->verify; its
 * findings go to f, which may be NULL, and any error refuses the install).
 *
 * Refused, with nothing written (SK_EINVAL unless said): a package that does not verify or
 * has its files directly in the overlay (an earlier layout); two packages carrying the same
 * SealedSecret (namespace/name) in one overlay, naming both; a package older (by the date in
 * its name) than the one installed for its set, unless o->force; a file or folder install
 * would replace that it did not write or that changed since (naming it); the same set given
 * twice (SK_EUSAGE). Another install running on dir is SK_EBUSY.
 *
 * The same package again changes nothing; another package of an installed set replaces that
 * set's folder whole, and removes it from overlays the new package no longer has. Atomic:
 * everything is staged in dir/.sealkit-install.stage and committed by renames after a commit
 * record; an install killed before the record leaves dir as it was, after it the next call (even
 * with n 0) finishes it, and before anything else a call finishes or rolls back what a killed one
 * left (rep->recovered).
 */
SK_API int sk_package_install(const char *dir, const sk_install_input *in, size_t n,
                              const sk_install_opts *o, sk_findings *f, sk_install_report *rep,
                              sk_error *err);

#endif
