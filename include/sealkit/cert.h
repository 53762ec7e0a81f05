/* The sealing certificate (public key) and key fingerprints. */
#ifndef SEALKIT_CERT_H
#define SEALKIT_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/evp.h>
#include "error.h"

#define SK_MIN_RSA_BITS 2048
#define SK_FINGERPRINT_MAX 64 /* "SHA256:" + 43 base64 chars + NUL */

enum sk_cert_flags {
    SK_CERT_IS_BARE_KEY = 1u << 0,   /* a PUBLIC KEY block, no certificate */
    SK_CERT_NOT_YET_VALID = 1u << 1, /* now < notBefore: accepted, warn */
    SK_CERT_EXPIRED = 1u << 2,       /* now > notAfter: only with SK_PUBKEY_ALLOW_EXPIRED */
    /* A valid RSA public exponent other than 65537, which every controller and kubeseal use. */
    SK_CERT_UNUSUAL_EXPONENT = 1u << 3,
    /* A key sealing refuses (too few bits, an unsafe exponent, OpenSSL's key check): only with
     * SK_PUBKEY_ALLOW_WEAK. */
    SK_CERT_WEAK_KEY = 1u << 4,
};

/* Flags of sk_pubkey_from_pem_ex. */
enum sk_pubkey_load_flags {
    SK_PUBKEY_ALLOW_EXPIRED = 1u << 0, /* inspecting, not sealing: load an expired certificate */
    SK_PUBKEY_ALLOW_WEAK = 1u << 1,    /* inspecting, not sealing: load a weak key, flagged */
};

typedef struct sk_pubkey sk_pubkey;

/*
 * Loads the first CERTIFICATE block of a PEM text, or else a bare PUBLIC KEY
 * block. Refuses: no usable block, a non-RSA key, fewer than SK_MIN_RSA_BITS
 * bits, an unsafe public exponent (even, below 3 or over 31 bits) or a key
 * that fails OpenSSL's public-key check, and a certificate whose notAfter is
 * before now (the message gives the date). now is injected so that tests can
 * pin the clock. A valid exponent other than 65537 is loaded with
 * SK_CERT_UNUSUAL_EXPONENT.
 */
SK_API int sk_pubkey_from_pem(const char *pem, size_t len, time_t now, sk_pubkey **out,
                              sk_error *err);
/*
 * The same with load_flags (sk_pubkey_load_flags); sk_pubkey_from_pem passes 0.
 * With SK_PUBKEY_ALLOW_WEAK a weak key loads with SK_CERT_WEAK_KEY and
 * sk_pubkey_weakness says why; a key that is not RSA is still refused.
 */
SK_API int sk_pubkey_from_pem_ex(const char *pem, size_t len, time_t now, unsigned load_flags,
                                 sk_pubkey **out, sk_error *err);
SK_API int sk_pubkey_from_file(const char *path, time_t now, sk_pubkey **out, sk_error *err);
SK_API void sk_pubkey_free(sk_pubkey *pk);

SK_API EVP_PKEY *sk_pubkey_evp(const sk_pubkey *pk);
SK_API int sk_pubkey_bits(const sk_pubkey *pk);
SK_API unsigned sk_pubkey_flags(const sk_pubkey *pk);
/* Validity as Unix times; 0 for a bare key. */
SK_API int64_t sk_pubkey_not_before(const sk_pubkey *pk);
SK_API int64_t sk_pubkey_not_after(const sk_pubkey *pk);
SK_API const char *sk_pubkey_fingerprint(const sk_pubkey *pk);
/* The subject as one RFC 2253 line ("CN=sealed-secret"); "" for a bare key or an empty subject. */
SK_API const char *sk_pubkey_subject(const sk_pubkey *pk);
/* Why SK_CERT_WEAK_KEY is set ("RSA public exponent 1 is unsafe: ..."); "" when it is not. */
SK_API const char *sk_pubkey_weakness(const sk_pubkey *pk);

/*
 * Upstream's PublicKeyFingerprint (docs/format.md §5.5): "SHA256:" + unpadded base64 of
 * SHA-256 over the SSH wire form of the RSA public key. out must hold
 * SK_FINGERPRINT_MAX bytes.
 */
SK_API int sk_fingerprint(EVP_PKEY *rsa, char out[SK_FINGERPRINT_MAX], sk_error *err);

#endif
