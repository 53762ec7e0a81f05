/* Internal: helpers shared by package_build.c, package_kustomize.c, package_read.c,
 * package_check.c. */
#ifndef SK_PACKAGE_INTERNAL_H
#define SK_PACKAGE_INTERNAL_H

#include <jansson.h>
#include <sealkit/doc.h>
#include <sealkit/error.h>
#include <sealkit/mem.h>
#include <sealkit/package.h>

#define SK_KUSTOMIZE_API "kustomize.config.k8s.io/v1beta1"
#define SK_KUSTOMIZE_KIND "Kustomization"
#define SK_PACKAGE_FILE_NAME_MAX 100 /* ustar's name field */
/* <overlay>/sealed-secrets/<set>/<file>: four names and their separators. */
#define SK_PKG_PATH_MAX (4 * (SK_PACKAGE_FILE_NAME_MAX + 1))

/* A kustomization.yaml whose resources are names (in the order given), in sealkit's bytes. */
int sk_pkg_kustomization_listing(const char *const *names, size_t n, sk_secbuf *out, sk_error *err);

/* Non-zero for [A-Za-z0-9][A-Za-z0-9._-]* of at most SK_PACKAGE_FILE_NAME_MAX bytes. */
int sk_pkg_valid_file_name(const char *s);

/* Non-zero when s is one of the names kustomize reads as a kustomization. */
int sk_pkg_is_kustomization_name(const char *s);

/* sk_package_check_kustomization on a parsed document; ns NULL accepts any namespace. */
int sk_pkg_check_kustomization_doc(const json_t *k, const char *source, const char *ns,
                                   sk_error *err);

/*
 * Checks document i (0-based) of docs as a packaged SealedSecret. ns NULL
 * skips the namespace rule. *doc_ns (may be NULL) receives the document's
 * namespace or NULL. Messages start with "document N: ".
 */
int sk_pkg_check_sealed_doc(const sk_docs *docs, size_t i, const char *ns, const char **doc_ns,
                            sk_error *err);

/* Parses in and checks every document (as sk_package_check_input); docs are the caller's to free.
 */
int sk_pkg_parse_sealed_file(const sk_package_input *in, const char *ns, sk_docs *docs,
                             sk_error *err);

/* Sets the error for a document of this kind (not SealedSecret) in a package: SK_EINVAL. */
int sk_pkg_refuse_kind(const char *kind, sk_error *err);

/* Copies at most max bytes of s for a message, replacing non-printable bytes by '?'. */
void sk_pkg_printable(const char *s, char *out, size_t size);

#endif
