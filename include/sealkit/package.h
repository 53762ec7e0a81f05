/*
 * Delivery packages: a reproducible tar.gz holding one kustomize overlay
 * (<overlay>/kustomization.yaml and SealedSecret files), and the safe,
 * in-memory reading and checking of such packages.
 */
#ifndef SEALKIT_PACKAGE_H
#define SEALKIT_PACKAGE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "mem.h"
#include "verify.h"

/* Limits for reading a package (documented in README.md). */
#define SK_PACKAGE_MAX_ENTRY (4u << 20)  /* bytes in one entry */
#define SK_PACKAGE_MAX_ENTRIES 256       /* entries, folders included */
#define SK_PACKAGE_MAX_TOTAL (32u << 20) /* bytes in all entries */
#define SK_PACKAGE_MAX_RATIO 100         /* entry bytes per archive byte */

#define SK_PACKAGE_OVERLAY "production"
#define SK_PACKAGE_KUSTOMIZATION "kustomization.yaml"
#define SK_PACKAGE_NAME_MAX 256

/* One SealedSecret file: stored as <overlay>/basename(path), bytes unchanged. */
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

/*
 * Builds the package bytes into out: ustar entries "<overlay>/" (0755) then
 * "<overlay>/kustomization.yaml" and the inputs (0644) in byte order, uid and
 * gid 0, no user or group names, mtime o->mtime; gzip level 9 with header
 * mtime 0 and no file name. Same inputs, same bytes (for a given zlib).
 * File names must be [A-Za-z0-9][A-Za-z0-9._-]* (at most 100 bytes) and
 * distinct; every input passes sk_package_check_input and no two SealedSecrets
 * share a name. kustomization.yaml lists the files sorted (resources); a given
 * kustomization must pass sk_package_check_kustomization and list only input
 * files, and then gets resources replaced by that list.
 */
SK_API int sk_package_build(const sk_package_opts *o, const sk_package_input *in, size_t n,
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

#endif
