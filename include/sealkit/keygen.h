/*
 * Making a controller-compatible key pair (docs/format.md §5.1) and the kube-system
 * Secret that holds it (docs/format.md §5.2), offline: the bring-your-own-key flow.
 */
#ifndef SEALKIT_KEYGEN_H
#define SEALKIT_KEYGEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "cert.h"
#include "error.h"
#include "io.h"
#include "mem.h"

#define SK_KEYGEN_DEFAULT_BITS 4096
#define SK_KEYGEN_DEFAULT_CN "sealed-secret"
#define SK_KEYGEN_DEFAULT_VALID_SECONDS (87600LL * 3600) /* upstream --key-ttl 87600h */
#define SK_KEYGEN_DEFAULT_NAMESPACE "kube-system"
#define SK_KEY_PREFIX "sealed-secrets-key"                          /* generateName, legacy name */
#define SK_KEY_LABEL "sealedsecrets.bitnami.com/sealed-secrets-key" /* value "active" */

typedef struct sk_keypair sk_keypair;

/*
 * Generates an RSA key (bits 2048, 3072 or 4096; e = 65537) and its
 * self-signed X.509 v3 certificate as upstream's GeneratePrivateKeyAndCert
 * makes it: random serial in [0, 2^128), subject = issuer = CN=cn (an empty
 * cn gives an empty DN, like the controller's default), notBefore =
 * not_before, notAfter = not_before + valid_seconds, KeyUsage critical
 * encipherOnly, BasicConstraints critical CA:TRUE, SubjectKeyIdentifier,
 * sha256WithRSAEncryption. Other sizes, valid_seconds <= 0 and a CN longer
 * than 64 bytes are SK_EUSAGE.
 */
SK_API int sk_keygen(int bits, const char *cn, int64_t not_before, int64_t valid_seconds,
                     sk_keypair **out, sk_error *err);
SK_API void sk_keypair_free(sk_keypair *kp);

SK_API EVP_PKEY *sk_keypair_pkey(const sk_keypair *kp);
SK_API X509 *sk_keypair_cert(const sk_keypair *kp);
SK_API const char *sk_keypair_fingerprint(const sk_keypair *kp);

/* The certificate as one PEM "CERTIFICATE" block; *out is emptied first. */
SK_API int sk_keypair_cert_pem(const sk_keypair *kp, sk_secbuf *out, sk_error *err);
/* The private key as PEM "RSA PRIVATE KEY" (PKCS#1, as the controller writes it). */
SK_API int sk_keypair_key_pem(const sk_keypair *kp, sk_secbuf *out, sk_error *err);

/*
 * The controller's key Secret (docs/format.md §5.2) in kubeseal's member order:
 * type kubernetes.io/tls in namespace ns, generateName SK_KEY_PREFIX, the
 * label SK_KEY_LABEL: active, data tls.crt and tls.key. name NULL means
 * SK_KEY_PREFIX plus 5 random [a-z0-9] characters, as the API server names
 * it. ns and name must be DNS-1123 names (SK_EUSAGE otherwise). The tree
 * holds the private key as base64 text: jansson wipes it when freed only after
 * sk_json_wipe_on_free.
 */
SK_API int sk_keygen_tls_secret(const sk_keypair *kp, const char *ns, const char *name,
                                json_t **out, sk_error *err);
/* The name checks of sk_keygen_tls_secret alone (name may be NULL), to refuse before generating. */
SK_API int sk_keygen_check_names(const char *ns, const char *name, sk_error *err);

/* Durations and times (sk_duration_parse, sk_time_parse, sk_time_format): sealkit/timefmt.h. */

#endif
