#include <sealkit/keygen.h>
#include <sealkit/secret.h>

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "core/dns1123.h"

#define SERIAL_BYTES 16 /* upstream: rand.Int(rand.Reader, 2^128) */
#define CN_MAX 64       /* X.520 ub-common-name */

struct sk_keypair {
    EVP_PKEY *pkey;
    X509 *cert;
    char fp[SK_FINGERPRINT_MAX];
};

static int crypto_fail(sk_error *err, const char *what)
{
    ERR_clear_error();
    return sk_error_set(err, SK_ECRYPTO, "OpenSSL could not %s", what);
}

/* ---- key and certificate ---- */

static int generate_rsa(int bits, EVP_PKEY **out, sk_error *err)
{
    unsigned int ubits = (unsigned int)bits;
    unsigned long e = 65537; /* Go's rsa.GenerateKey exponent */
    OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_BITS, &ubits),
                           OSSL_PARAM_construct_ulong(OSSL_PKEY_PARAM_RSA_E, &e),
                           OSSL_PARAM_construct_end()};
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    int ok = ctx != NULL && EVP_PKEY_keygen_init(ctx) > 0 &&
             EVP_PKEY_CTX_set_params(ctx, params) > 0 && EVP_PKEY_generate(ctx, out) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok ? SK_OK : crypto_fail(err, "generate the RSA key");
}

static int set_serial(X509 *x, sk_error *err)
{
    unsigned char rnd[SERIAL_BYTES];
    randombytes_buf(rnd, sizeof rnd);
    BIGNUM *bn = BN_bin2bn(rnd, sizeof rnd, NULL);
    int ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? SK_OK : crypto_fail(err, "set the certificate serial number");
}

/* Go's encoding/asn1 writes a PrintableString when every character allows it, else UTF8String. */
static int go_printable(const char *s)
{
    for (; *s != '\0'; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(" '()+,-./:=?", c) != NULL))
            return 0;
    }
    return 1;
}

static int set_names(X509 *x, const char *cn, sk_error *err)
{
    X509_NAME *name = X509_get_subject_name(x);
    int type = go_printable(cn) ? V_ASN1_PRINTABLESTRING : MBSTRING_UTF8;
    /* An empty CN leaves the DN empty, as the controller's default --my-cn does. */
    if (*cn != '\0' && !X509_NAME_add_entry_by_NID(name, NID_commonName, type,
                                                   (const unsigned char *)cn, -1, -1, 0))
        return crypto_fail(err, "set the certificate subject");
    return X509_set_issuer_name(x, name) ? SK_OK : crypto_fail(err, "set the certificate issuer");
}

static int set_validity(X509 *x, int64_t not_before, int64_t valid_seconds, sk_error *err)
{
    /* Past year 9999 neither UTCTime nor GeneralizedTime can say it. */
    const int64_t last = 253402300799LL; /* 9999-12-31T23:59:59Z */
    if (not_before < 0 || not_before > last || valid_seconds > last - not_before)
        return sk_error_set(err, SK_EUSAGE, "the certificate validity must end before year 10000");
    if (ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(not_before + valid_seconds)) == NULL)
        return crypto_fail(err, "set the certificate validity");
    return SK_OK;
}

/* Upstream's extensions, in Go's order: KeyUsage, BasicConstraints, SubjectKeyIdentifier. */
static int add_extensions(X509 *x, sk_error *err)
{
    static const struct {
        int nid;
        const char *value;
    } exts[] = {{NID_key_usage, "critical,encipherOnly"},
                {NID_basic_constraints, "critical,CA:TRUE"},
                {NID_subject_key_identifier, "hash"}};
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, exts[i].nid, exts[i].value);
        int ok = ext != NULL && X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
        if (!ok) return crypto_fail(err, "add the certificate extensions");
    }
    return SK_OK;
}

static int make_cert(sk_keypair *kp, const char *cn, int64_t not_before, int64_t valid_seconds,
                     sk_error *err)
{
    kp->cert = X509_new();
    if (kp->cert == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    int rc = X509_set_version(kp->cert, X509_VERSION_3) && X509_set_pubkey(kp->cert, kp->pkey)
                 ? SK_OK
                 : crypto_fail(err, "start the certificate");
    if (rc == SK_OK) rc = set_serial(kp->cert, err);
    if (rc == SK_OK) rc = set_names(kp->cert, cn, err);
    if (rc == SK_OK) rc = set_validity(kp->cert, not_before, valid_seconds, err);
    if (rc == SK_OK) rc = add_extensions(kp->cert, err);
    if (rc == SK_OK && X509_sign(kp->cert, kp->pkey, EVP_sha256()) <= 0)
        rc = crypto_fail(err, "sign the certificate");
    return rc;
}

static int check_keygen_args(int bits, const char *cn, int64_t valid_seconds, sk_error *err)
{
    if (bits != 2048 && bits != 3072 && bits != 4096)
        return sk_error_set(err, SK_EUSAGE, "key size %d is not supported: use 2048, 3072 or 4096",
                            bits);
    if (cn == NULL || strlen(cn) > CN_MAX)
        return sk_error_set(err, SK_EUSAGE, "the CN must be at most %d bytes", CN_MAX);
    if (valid_seconds <= 0)
        return sk_error_set(err, SK_EUSAGE, "the certificate validity must be positive");
    return SK_OK;
}

int sk_keygen(int bits, const char *cn, int64_t not_before, int64_t valid_seconds, sk_keypair **out,
              sk_error *err)
{
    *out = NULL;
    int rc = check_keygen_args(bits, cn, valid_seconds, err);
    if (rc != SK_OK) return rc;
    sk_keypair *kp = calloc(1, sizeof *kp);
    if (kp == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    rc = generate_rsa(bits, &kp->pkey, err);
    if (rc == SK_OK) rc = make_cert(kp, cn, not_before, valid_seconds, err);
    if (rc == SK_OK) rc = sk_fingerprint(kp->pkey, kp->fp, err);
    if (rc != SK_OK) {
        sk_keypair_free(kp);
        return rc;
    }
    *out = kp;
    return SK_OK;
}

void sk_keypair_free(sk_keypair *kp)
{
    if (kp == NULL) return;
    EVP_PKEY_free(kp->pkey); /* OpenSSL clears RSA private components when freeing them */
    X509_free(kp->cert);
    free(kp);
}

EVP_PKEY *sk_keypair_pkey(const sk_keypair *kp)
{
    return kp->pkey;
}

X509 *sk_keypair_cert(const sk_keypair *kp)
{
    return kp->cert;
}

const char *sk_keypair_fingerprint(const sk_keypair *kp)
{
    return kp->fp;
}

/* ---- PEM ---- */

/* Moves a memory BIO's bytes into guarded memory; the BIO wipes its own buffer when freed. */
static int bio_to_secbuf(BIO *bio, sk_secbuf *out, sk_error *err)
{
    char *p = NULL;
    long n = BIO_get_mem_data(bio, &p);
    if (n <= 0) return crypto_fail(err, "write PEM");
    return sk_secbuf_append(out, p, (size_t)n, err);
}

int sk_keypair_cert_pem(const sk_keypair *kp, sk_secbuf *out, sk_error *err)
{
    sk_secbuf_free(out);
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    int rc = PEM_write_bio_X509(bio, kp->cert) ? bio_to_secbuf(bio, out, err)
                                               : crypto_fail(err, "write the certificate PEM");
    BIO_free(bio);
    return rc;
}

int sk_keypair_key_pem(const sk_keypair *kp, sk_secbuf *out, sk_error *err)
{
    sk_secbuf_free(out);
    /* secmem: the encoder's buffer comes from the secure heap when there is one, wiped on free. */
    BIO *bio = BIO_new(BIO_s_secmem());
    /* "type-specific" is PKCS#1 for RSA: PEM "RSA PRIVATE KEY", as the controller writes. */
    OSSL_ENCODER_CTX *ectx = OSSL_ENCODER_CTX_new_for_pkey(kp->pkey, OSSL_KEYMGMT_SELECT_KEYPAIR,
                                                           "PEM", "type-specific", NULL);
    int rc;
    if (bio == NULL || ectx == NULL || OSSL_ENCODER_CTX_get_num_encoders(ectx) == 0)
        rc = crypto_fail(err, "find a PKCS#1 PEM encoder");
    else if (!OSSL_ENCODER_to_bio(ectx, bio))
        rc = crypto_fail(err, "write the private key PEM");
    else
        rc = bio_to_secbuf(bio, out, err);
    OSSL_ENCODER_CTX_free(ectx);
    BIO_free(bio);
    if (rc != SK_OK) sk_secbuf_free(out);
    return rc;
}

/* ---- the key Secret ---- */

/* The API server's generateName suffix: 5 characters from its alphabet (no vowels, no 0/1/3). */
static void random_name(char *out, size_t outsz)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    char suffix[6];
    for (size_t i = 0; i < 5; i++)
        suffix[i] = alphabet[randombytes_uniform((uint32_t)(sizeof alphabet - 1))];
    suffix[5] = '\0';
    snprintf(out, outsz, "%s%s", SK_KEY_PREFIX, suffix);
}

static json_t *key_metadata(const char *ns, const char *name)
{
    json_t *meta = json_object();
    json_t *labels = json_object();
    /*
     * ObjectMeta's Go order: name, generateName, namespace, labels. Every member is checked
     * (json_object_set_new takes its value even when it fails, and fails on a NULL one);
     * labels goes in with json_object_set, which takes a reference of its own.
     */
    int bad = meta == NULL || labels == NULL ||
              json_object_set_new(labels, SK_KEY_LABEL, json_string("active")) != 0 ||
              json_object_set_new(meta, "name", json_string(name)) != 0 ||
              json_object_set_new(meta, "generateName", json_string(SK_KEY_PREFIX)) != 0 ||
              json_object_set_new(meta, "namespace", json_string(ns)) != 0 ||
              json_object_set(meta, "labels", labels) != 0;
    json_decref(labels);
    if (bad) {
        json_decref(meta);
        return NULL;
    }
    return meta;
}

static int fill_key_secret(const sk_keypair *kp, sk_secret *s, sk_error *err)
{
    sk_secbuf pem = SK_SECBUF_INIT;
    int rc = sk_keypair_cert_pem(kp, &pem, err);
    if (rc == SK_OK) rc = sk_secret_put(s, "tls.crt", pem.data, pem.len, err);
    if (rc == SK_OK) rc = sk_keypair_key_pem(kp, &pem, err);
    if (rc == SK_OK) rc = sk_secret_put(s, "tls.key", pem.data, pem.len, err);
    sk_secbuf_free(&pem);
    return rc;
}

int sk_keygen_check_names(const char *ns, const char *name, sk_error *err)
{
    if (!sk_dns1123_label(ns))
        return sk_error_set(
            err, SK_EUSAGE,
            "namespace \"%.64s\" is not a valid name (a-z, 0-9 and '-', at most 63)", ns ? ns : "");
    if (name != NULL && !sk_dns1123_subdomain(name))
        return sk_error_set(err, SK_EUSAGE,
                            "Secret name \"%.64s\" is not a valid name (a-z, 0-9, '-' and '.')",
                            name);
    return SK_OK;
}

int sk_keygen_tls_secret(const sk_keypair *kp, const char *ns, const char *name, json_t **out,
                         sk_error *err)
{
    char generated[64];
    *out = NULL;
    int rc = sk_keygen_check_names(ns, name, err);
    if (rc != SK_OK) return rc;
    if (name == NULL) {
        random_name(generated, sizeof generated);
        name = generated;
    }
    sk_secret s = {0};
    s.immutable = -1;
    s.type = strdup("kubernetes.io/tls");
    s.metadata = key_metadata(ns, name);
    rc = s.type && s.metadata ? SK_OK : sk_error_set(err, SK_ENOMEM, "out of memory");
    if (rc == SK_OK) rc = fill_key_secret(kp, &s, err);
    if (rc == SK_OK) rc = sk_secret_to_json(&s, out, err);
    sk_secret_free(&s);
    return rc;
}
