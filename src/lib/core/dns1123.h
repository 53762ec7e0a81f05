/*
 * Internal: Kubernetes' DNS-1123 name rules (k8s.io/apimachinery validation),
 * the one check behind namespaces, Secret names and package name parts.
 * ASCII only, whatever the locale.
 */
#ifndef SK_DNS1123_H
#define SK_DNS1123_H

#define SK_DNS1123_LABEL_MAX 63
#define SK_DNS1123_SUBDOMAIN_MAX 253

/* A label (namespaces): [a-z0-9]([-a-z0-9]*[a-z0-9])?, 1-63 bytes. NULL is not one. */
int sk_dns1123_label(const char *s);

/*
 * A subdomain (object names): labels joined by single dots, 1-253 bytes in all;
 * the parts have no 63-byte limit of their own, as in Kubernetes.
 */
int sk_dns1123_subdomain(const char *s);

#endif
