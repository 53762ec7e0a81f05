/* Certificates, bare public keys and fingerprints (cert.h). */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "testutil.h"

#define FP_CURRENT "SHA256:N0y6dUAHXtv73DQXpORtj6iqEbwinoh+RJ12OVMggAg"
#define FP_OLD "SHA256:Hvcb8+5bi0XmFwn/+SaWENssGxbvF/Ik6OrMU8LOh3Q"
#define FP_UPSTREAM "SHA256:GGkvu+e9oSv0lC5zQgZeFDtW/h7L0lSIV4QFz6+0tcI"

/* Validity of the fixtures (cases.json, and the upstream test certificate). */
#define CURRENT_NOT_BEFORE INT64_C(1795635640)  /* 2026-11-25T19:40:40Z */
#define CURRENT_NOT_AFTER INT64_C(2110995640)   /* 2036-11-22T19:40:40Z */
#define OLD_NOT_BEFORE INT64_C(1790451640)      /* 2026-09-26T19:40:40Z */
#define OLD_NOT_AFTER INT64_C(2105811640)       /* 2036-09-23T19:40:40Z */
#define UPSTREAM_NOT_BEFORE INT64_C(1497933165) /* 2017-06-20T04:32:45Z */
#define UPSTREAM_NOT_AFTER INT64_C(1813293165)  /* 2027-06-18T04:32:45Z */

/* A clock inside every fixture's validity (2030-01-01). */
#define NOW_2030 ((time_t)1893456000)

static sk_pubkey *load_ok(const char *text, size_t len, time_t now)
{
    sk_pubkey *pk = NULL;
    sk_error err = {0};
    int rc = sk_pubkey_from_pem(text, len, now, &pk, &err);
    if (rc != SK_OK) print_error("unexpected error: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    assert_non_null(pk);
    return pk;
}

static int load_fail(const char *text, size_t len, time_t now, sk_error *err)
{
    sk_pubkey *pk = (sk_pubkey *)&pk; /* must be reset to NULL on failure */
    int rc = sk_pubkey_from_pem(text, len, now, &pk, err);
    assert_int_not_equal(rc, SK_OK);
    assert_int_equal(err->code, rc);
    assert_null(pk);
    return rc;
}

static char *bio_text(BIO *b, size_t *len)
{
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    assert_true(n >= 0);
    char *copy = malloc((size_t)n + 1);
    assert_non_null(copy);
    memcpy(copy, p, (size_t)n);
    copy[n] = '\0';
    *len = (size_t)n;
    return copy;
}

/* A self-signed certificate for key, valid from now+nb to now+na seconds, as PEM. */
static char *make_cert_pem(EVP_PKEY *key, long nb, long na, size_t *len)
{
    X509 *x = X509_new();
    assert_non_null(x);
    assert_true(X509_set_version(x, 2));
    assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), 42));
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), nb));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), na));
    assert_true(X509_set_pubkey(x, key));
    X509_NAME *name = X509_get_subject_name(x);
    assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                           (const unsigned char *)"sealkit-test", -1, -1, 0));
    assert_true(X509_set_issuer_name(x, name));
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    BIO *b = BIO_new(BIO_s_mem());
    assert_true(PEM_write_bio_X509(b, x));
    char *pem = bio_text(b, len);
    BIO_free(b);
    X509_free(x);
    return pem;
}

static char *pubkey_pem(EVP_PKEY *key, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_true(PEM_write_bio_PUBKEY(b, key));
    char *pem = bio_text(b, len);
    BIO_free(b);
    return pem;
}

static EVP_PKEY *rsa_key(unsigned bits, unsigned e)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    assert_non_null(ctx);
    assert_true(EVP_PKEY_keygen_init(ctx) > 0);
    size_t b = bits;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &b),
                           OSSL_PARAM_construct_uint(OSSL_PKEY_PARAM_RSA_E, &e),
                           OSSL_PARAM_construct_end()};
    assert_true(EVP_PKEY_CTX_set_params(ctx, params) > 0);
    EVP_PKEY *key = NULL;
    assert_true(EVP_PKEY_generate(ctx, &key) > 0);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* key's modulus with public exponent e (any value: no key generator would make these). */
static EVP_PKEY *with_exponent(EVP_PKEY *key, unsigned long e)
{
    BIGNUM *n = NULL, *bn_e = BN_new();
    assert_true(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n));
    assert_true(BN_set_word(bn_e, e));
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
    assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e));
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *out = NULL;
    assert_true(EVP_PKEY_fromdata_init(ctx) > 0);
    assert_true(EVP_PKEY_fromdata(ctx, &out, EVP_PKEY_PUBLIC_KEY, params) > 0);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(bn_e);
    return out;
}

/* A weak exponent is refused by name: with e = 1, anyone holding the blob reads the secret. */
static void test_weak_exponents_refused(void **state)
{
    (void)state;
    EVP_PKEY *good = rsa_key(2048, 65537);
    const struct {
        unsigned long e;
        int rc;
        const char *needle;
    } cases[] = {{1, SK_ECERT, "exponent 1 is unsafe"},
                 {2, SK_ECERT, "exponent 2 is unsafe"},
                 {4, SK_ECERT, "exponent 4 is unsafe"},
                 {65536, SK_ECERT, "must be odd"},
                 {1UL << 32 | 1, SK_ECERT, "33 bits"},
                 {3, SK_OK, NULL},
                 {65537, SK_OK, NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        EVP_PKEY *k = with_exponent(good, cases[i].e);
        size_t len;
        char *pem = pubkey_pem(k, &len);
        sk_pubkey *pk = NULL;
        sk_error err = {0};
        int rc = sk_pubkey_from_pem(pem, len, NOW_2030, &pk, &err);
        if (rc != cases[i].rc) print_error("e=%lu: %s\n", cases[i].e, tu_err_line(&err));
        assert_int_equal(rc, cases[i].rc);
        if (cases[i].needle != NULL) assert_non_null(strstr(err.msg, cases[i].needle));
        sk_pubkey_free(pk);
        free(pem);
        EVP_PKEY_free(k);
    }
    EVP_PKEY_free(good);
}

/*
 * Inspecting (`sealkit cert`) flags what sealing refuses instead of failing, and flags a valid
 * exponent other than 65537 either way: no controller makes such a key.
 */
static void test_exponent_flags(void **state)
{
    (void)state;
    EVP_PKEY *good = rsa_key(2048, 65537);
    EVP_PKEY *small = rsa_key(1024, 65537);
    const struct {
        EVP_PKEY *base;
        unsigned long e;
        unsigned flags;
        const char *why;
    } cases[] = {{good, 65537, 0, ""},
                 {good, 3, SK_CERT_UNUSUAL_EXPONENT, ""},
                 {good, 0x800001, SK_CERT_UNUSUAL_EXPONENT, ""},
                 {good, 1, SK_CERT_UNUSUAL_EXPONENT | SK_CERT_WEAK_KEY, "exponent 1 is unsafe"},
                 {good, 65536, SK_CERT_UNUSUAL_EXPONENT | SK_CERT_WEAK_KEY, "must be odd"},
                 {small, 65537, SK_CERT_WEAK_KEY, "at least 2048 are required"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        EVP_PKEY *k = with_exponent(cases[i].base, cases[i].e);
        size_t len;
        char *pem = pubkey_pem(k, &len);
        sk_pubkey *pk = NULL;
        sk_error err = {0};
        int rc = sk_pubkey_from_pem_ex(pem, len, NOW_2030, SK_PUBKEY_ALLOW_WEAK, &pk, &err);
        if (rc != SK_OK) print_error("e=%lu: %s\n", cases[i].e, tu_err_line(&err));
        assert_int_equal(rc, SK_OK);
        unsigned got = sk_pubkey_flags(pk) & (SK_CERT_UNUSUAL_EXPONENT | SK_CERT_WEAK_KEY);
        if (got != cases[i].flags) print_error("e=%lu: flags %#x\n", cases[i].e, got);
        assert_int_equal(got, cases[i].flags);
        assert_non_null(strstr(sk_pubkey_weakness(pk), cases[i].why));
        if (cases[i].why[0] == '\0') assert_string_equal(sk_pubkey_weakness(pk), "");
        /* The fingerprint is there to name it in the report. */
        assert_memory_equal(sk_pubkey_fingerprint(pk), "SHA256:", 7);
        sk_pubkey_free(pk);
        /* Sealing still refuses every weak one. */
        rc = sk_pubkey_from_pem(pem, len, NOW_2030, &pk, &err);
        assert_int_equal(rc, (cases[i].flags & SK_CERT_WEAK_KEY) ? SK_ECERT : SK_OK);
        if (rc == SK_OK)
            assert_int_equal(sk_pubkey_flags(pk) & SK_CERT_UNUSUAL_EXPONENT,
                             cases[i].flags & SK_CERT_UNUSUAL_EXPONENT);
        sk_pubkey_free(pk);
        free(pem);
        EVP_PKEY_free(k);
    }
    EVP_PKEY_free(good);
    EVP_PKEY_free(small);
}

static EVP_PKEY *ec_key(void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(key);
    return key;
}

/* ---- fingerprints ---- */

static void check_fingerprint(const char *text, size_t len, time_t now, const char *want)
{
    sk_pubkey *pk = load_ok(text, len, now);
    assert_string_equal(sk_pubkey_fingerprint(pk), want);
    char fp[SK_FINGERPRINT_MAX];
    sk_error err = {0};
    assert_int_equal(sk_fingerprint(sk_pubkey_evp(pk), fp, &err), SK_OK);
    assert_string_equal(fp, want);
    sk_pubkey_free(pk);
}

static void test_fingerprint_known_answers(void **state)
{
    (void)state;
    size_t len;
    char *pem = tu_data_file("interop/keys/current/tls.crt", &len);
    check_fingerprint(pem, len, NOW_2030, FP_CURRENT);
    free(pem);
    pem = tu_data_file("interop/keys/old/tls.crt", &len);
    check_fingerprint(pem, len, NOW_2030, FP_OLD);
    free(pem);
    /* The known answer of docs/format.md §5.5; the certificate expires in 2027: pin the clock. */
    pem = tu_data_file("cert/upstream-test-cert.pem", &len);
    check_fingerprint(pem, len, (time_t)1600000000, FP_UPSTREAM);
    free(pem);
}

static void test_fingerprint_refuses_non_rsa(void **state)
{
    (void)state;
    EVP_PKEY *key = ec_key();
    char fp[SK_FINGERPRINT_MAX];
    sk_error err = {0};
    assert_int_equal(sk_fingerprint(key, fp, &err), SK_EUSAGE);
    EVP_PKEY_free(key);
}

/* OpenSSH's own answer for key, or "" when ssh-keygen is not installed. */
/* out must hold 64 bytes. */
static void ssh_keygen_fingerprint(EVP_PKEY *key, char *out)
{
    out[0] = '\0';
    if (access("/usr/bin/ssh-keygen", X_OK) != 0) return;
    char path[] = "/tmp/sk-test-cert-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len;
    char *pem = pubkey_pem(key, &len);
    assert_int_equal(write(fd, pem, len), (ssize_t)len);
    close(fd);
    free(pem);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ssh-keygen -i -m PKCS8 -f %s > %s.pub && ssh-keygen -lf %s.pub",
             path, path, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[512] = "";
    char *got = fgets(line, sizeof line, p);
    assert_int_equal(pclose(p), 0);
    assert_non_null(got);
    assert_int_equal(sscanf(line, "%*d %63s", out), 1);
    unlink(path);
    snprintf(cmd, sizeof cmd, "%s.pub", path);
    unlink(cmd);
}

/*
 * mpint padding both ways: a 2047-bit modulus has a clear top bit (no 0x00),
 * exponent 0x800001 has its top bit set (0x00 added), 65537 does not.
 */
static void test_fingerprint_matches_ssh_keygen(void **state)
{
    (void)state;
    const struct {
        unsigned bits, e;
    } shapes[] = {{2047, 0x800001}, {2048, 65537}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        EVP_PKEY *key = rsa_key(shapes[i].bits, shapes[i].e);
        char ours[SK_FINGERPRINT_MAX], theirs[64];
        sk_error err = {0};
        assert_int_equal(sk_fingerprint(key, ours, &err), SK_OK);
        assert_int_equal(strlen(ours), 7 + 43);
        assert_memory_equal(ours, "SHA256:", 7);
        ssh_keygen_fingerprint(key, theirs);
        EVP_PKEY_free(key);
        if (theirs[0] == '\0')
            fail_msg("ssh-keygen did not run (scripts/setup.sh installs openssh-client)");
        assert_string_equal(ours, theirs);
    }
}

/* ---- loading ---- */

static void test_interop_certs(void **state)
{
    (void)state;
    size_t len;
    char *pem = tu_data_file("interop/keys/current/tls.crt", &len);
    sk_pubkey *pk = load_ok(pem, len, NOW_2030);
    assert_int_equal(sk_pubkey_bits(pk), 4096);
    assert_int_equal(sk_pubkey_flags(pk), 0);
    assert_true(sk_pubkey_not_before(pk) == CURRENT_NOT_BEFORE);
    assert_true(sk_pubkey_not_after(pk) == CURRENT_NOT_AFTER);
    assert_true(EVP_PKEY_is_a(sk_pubkey_evp(pk), "RSA"));
    sk_pubkey_free(pk);
    free(pem);

    pem = tu_data_file("interop/keys/old/tls.crt", &len);
    pk = load_ok(pem, len, NOW_2030);
    assert_int_equal(sk_pubkey_bits(pk), 4096);
    assert_true(sk_pubkey_not_before(pk) == OLD_NOT_BEFORE);
    assert_true(sk_pubkey_not_after(pk) == OLD_NOT_AFTER);
    sk_pubkey_free(pk);
    free(pem);

    pem = tu_data_file("cert/upstream-test-cert.pem", &len);
    pk = load_ok(pem, len, (time_t)1600000000);
    assert_true(sk_pubkey_not_before(pk) == UPSTREAM_NOT_BEFORE);
    assert_true(sk_pubkey_not_after(pk) == UPSTREAM_NOT_AFTER);
    sk_pubkey_free(pk);
    free(pem);
}

static char *concat3(const char *a, const char *b, const char *c, size_t *len)
{
    *len = strlen(a) + strlen(b) + strlen(c);
    char *out = malloc(*len + 1);
    assert_non_null(out);
    snprintf(out, *len + 1, "%s%s%s", a, b, c);
    return out;
}

static void test_first_certificate_wins(void **state)
{
    (void)state;
    size_t l1, l2, len;
    char *old = tu_data_file("interop/keys/old/tls.crt", &l1);
    char *cur = tu_data_file("interop/keys/current/tls.crt", &l2);
    char *both = concat3(old, cur, "", &len);
    sk_pubkey *pk = load_ok(both, len, NOW_2030);
    assert_string_equal(sk_pubkey_fingerprint(pk), FP_OLD);
    sk_pubkey_free(pk);
    free(both);
    /* Prose and another kind of block before it change nothing. */
    both = concat3("controller log says:\n-----BEGIN NOTE-----\naGVsbG8=\n-----END NOTE-----\n",
                   cur, old, &len);
    pk = load_ok(both, len, NOW_2030);
    assert_string_equal(sk_pubkey_fingerprint(pk), FP_CURRENT);
    sk_pubkey_free(pk);
    free(both);
    free(old);
    free(cur);
}

/* A tls.key + tls.crt bundle: the private key block is skipped. */
static void test_key_and_cert_bundle(void **state)
{
    (void)state;
    size_t l1, l2, len;
    char *key = tu_data_file("interop/keys/current/tls.key", &l1);
    char *cert = tu_data_file("interop/keys/current/tls.crt", &l2);
    char *both = concat3(key, cert, "", &len);
    sk_pubkey *pk = load_ok(both, len, NOW_2030);
    assert_string_equal(sk_pubkey_fingerprint(pk), FP_CURRENT);
    assert_int_equal(sk_pubkey_flags(pk), 0);
    sk_pubkey_free(pk);
    free(both);
    free(key);
    free(cert);
}

static void test_bare_public_key(void **state)
{
    (void)state;
    size_t len, klen, blen;
    char *pem = tu_data_file("interop/keys/current/tls.crt", &len);
    sk_pubkey *pk = load_ok(pem, len, NOW_2030);
    char *bare = pubkey_pem(sk_pubkey_evp(pk), &klen);
    sk_pubkey_free(pk);

    pk = load_ok(bare, klen, NOW_2030);
    assert_int_equal(sk_pubkey_flags(pk), SK_CERT_IS_BARE_KEY);
    assert_string_equal(sk_pubkey_fingerprint(pk), FP_CURRENT);
    assert_int_equal(sk_pubkey_bits(pk), 4096);
    assert_true(sk_pubkey_not_before(pk) == 0);
    assert_true(sk_pubkey_not_after(pk) == 0);
    sk_pubkey_free(pk);

    /* A certificate anywhere in the text is preferred to a bare key before it. */
    char *old = tu_data_file("interop/keys/old/tls.crt", &blen);
    char *mixed = concat3(bare, old, "", &blen);
    pk = load_ok(mixed, blen, NOW_2030);
    assert_int_equal(sk_pubkey_flags(pk), 0);
    assert_string_equal(sk_pubkey_fingerprint(pk), FP_OLD);
    sk_pubkey_free(pk);
    free(mixed);
    free(old);
    free(bare);
    free(pem);
}

/* ---- rejections ---- */

static void test_expired_pinned_clock(void **state)
{
    (void)state;
    size_t len;
    sk_error err = {0};
    char *pem = tu_data_file("cert/upstream-test-cert.pem", &len);
    load_fail(pem, len, (time_t)(UPSTREAM_NOT_AFTER + 1), &err);
    assert_int_equal(err.code, SK_ECERT);
    assert_string_equal(tu_err_line(&err),
                        "certificate expired on June 18, 2027 (2027-06-18 04:32:45 UTC)");
    assert_non_null(strstr(err.hint, "kubeseal --fetch-cert"));
    /* Exactly at notAfter is still valid (upstream: now.After(NotAfter)). */
    sk_pubkey_free(load_ok(pem, len, (time_t)UPSTREAM_NOT_AFTER));
    free(pem);

    pem = tu_data_file("interop/keys/current/tls.crt", &len);
    load_fail(pem, len, (time_t)(CURRENT_NOT_AFTER + 86400), &err);
    assert_int_equal(err.code, SK_ECERT);
    assert_string_equal(tu_err_line(&err),
                        "certificate expired on November 22, 2036 (2036-11-22 19:40:40 UTC)");
    free(pem);
}

static void test_expired_generated(void **state)
{
    (void)state;
    EVP_PKEY *key = rsa_key(2048, 65537);
    size_t len;
    char *pem = make_cert_pem(key, -10 * 86400L, -86400L, &len);
    sk_error err = {0};
    load_fail(pem, len, time(NULL), &err);
    assert_int_equal(err.code, SK_ECERT);
    assert_non_null(strstr(tu_err_line(&err), "certificate expired on "));
    assert_non_null(strstr(tu_err_line(&err), " UTC)"));
    assert_true(err.hint[0] != '\0');
    free(pem);

    /* The same key in a certificate valid only from tomorrow: accepted, flagged. */
    pem = make_cert_pem(key, 86400L, 2 * 86400L, &len);
    time_t now = time(NULL);
    sk_pubkey *pk = load_ok(pem, len, now);
    assert_int_equal(sk_pubkey_flags(pk), SK_CERT_NOT_YET_VALID);
    assert_true(sk_pubkey_not_before(pk) > (int64_t)now);
    assert_int_equal(sk_pubkey_bits(pk), 2048);
    sk_pubkey_free(pk);
    free(pem);
    EVP_PKEY_free(key);
}

static void test_not_yet_valid_pinned(void **state)
{
    (void)state;
    size_t len;
    char *pem = tu_data_file("interop/keys/current/tls.crt", &len);
    sk_pubkey *pk = load_ok(pem, len, (time_t)(CURRENT_NOT_BEFORE - 1));
    assert_int_equal(sk_pubkey_flags(pk), SK_CERT_NOT_YET_VALID);
    sk_pubkey_free(pk);
    pk = load_ok(pem, len, (time_t)CURRENT_NOT_BEFORE);
    assert_int_equal(sk_pubkey_flags(pk), 0);
    sk_pubkey_free(pk);
    free(pem);
}

static void test_ec_refused(void **state)
{
    (void)state;
    EVP_PKEY *key = ec_key();
    size_t len;
    sk_error err = {0};
    char *pem = make_cert_pem(key, -60, 86400L, &len);
    load_fail(pem, len, time(NULL), &err);
    assert_int_equal(err.code, SK_ECERT);
    assert_string_equal(tu_err_line(&err), "certificate key is EC, sealed secrets need RSA");
    free(pem);
    pem = pubkey_pem(key, &len);
    load_fail(pem, len, time(NULL), &err);
    assert_int_equal(err.code, SK_ECERT);
    assert_string_equal(tu_err_line(&err), "public key is EC, sealed secrets need RSA");
    free(pem);
    EVP_PKEY_free(key);
}

static void test_small_rsa_refused(void **state)
{
    (void)state;
    EVP_PKEY *key = rsa_key(1024, 65537);
    size_t len;
    sk_error err = {0};
    char *pem = make_cert_pem(key, -60, 86400L, &len);
    load_fail(pem, len, time(NULL), &err);
    assert_int_equal(err.code, SK_ECERT);
    assert_string_equal(tu_err_line(&err), "RSA key has 1024 bits; at least 2048 are required");
    free(pem);
    pem = pubkey_pem(key, &len);
    load_fail(pem, len, time(NULL), &err);
    assert_int_equal(err.code, SK_ECERT);
    free(pem);
    EVP_PKEY_free(key);
}

static void test_garbage_pem(void **state)
{
    (void)state;
    sk_error err = {0};
    /* Not base64 at all. */
    const char *bad64 =
        "-----BEGIN CERTIFICATE-----\n!!!!not*base64!!!!\n-----END CERTIFICATE-----\n";
    load_fail(bad64, strlen(bad64), NOW_2030, &err);
    assert_int_equal(err.code, SK_EPARSE);
    assert_non_null(strstr(tu_err_line(&err), "CERTIFICATE block after byte 0 is malformed"));
    /* Good base64, but not DER. */
    const char *notder =
        "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    load_fail(notder, strlen(notder), NOW_2030, &err);
    assert_int_equal(err.code, SK_EPARSE);
    assert_string_equal(tu_err_line(&err), "CERTIFICATE block is not a valid X.509 certificate");
    /* No END line: the block runs off the end of the text. */
    size_t len;
    char *pem = tu_data_file("interop/keys/current/tls.crt", &len);
    char *cut = strstr(pem, "-----END");
    assert_non_null(cut);
    load_fail(pem, (size_t)(cut - pem), NOW_2030, &err);
    assert_int_equal(err.code, SK_EPARSE);
    /* A truncated DER body inside a well-formed block. */
    free(pem);
    const char *bare_garbage =
        "-----BEGIN PUBLIC KEY-----\naGVsbG8gd29ybGQ=\n-----END PUBLIC KEY-----\n";
    load_fail(bare_garbage, strlen(bare_garbage), NOW_2030, &err);
    assert_int_equal(err.code, SK_EPARSE);
    assert_string_equal(tu_err_line(&err), "PUBLIC KEY block is not a valid public key");
}

static void test_no_block(void **state)
{
    (void)state;
    sk_error err = {0};
    load_fail("", 0, NOW_2030, &err);
    assert_int_equal(err.code, SK_EPARSE);
    assert_string_equal(tu_err_line(&err), "no CERTIFICATE or PUBLIC KEY block found");
    assert_non_null(strstr(err.hint, "kubeseal --fetch-cert"));
    load_fail(NULL, 0, NOW_2030, &err);
    assert_int_equal(err.code, SK_EPARSE);
    const char *prose = "apiVersion: v1\nkind: Secret\n";
    load_fail(prose, strlen(prose), NOW_2030, &err);
    assert_int_equal(err.code, SK_EPARSE);
    /* A private key is not a certificate. */
    size_t len;
    char *key = tu_data_file("interop/keys/current/tls.key", &len);
    load_fail(key, len, NOW_2030, &err);
    assert_int_equal(err.code, SK_EPARSE);
    assert_string_equal(tu_err_line(&err), "no CERTIFICATE or PUBLIC KEY block found");
    free(key);
}

static void test_from_file(void **state)
{
    (void)state;
    sk_error err = {0};
    sk_pubkey *pk = NULL;
    char *path = tu_path(SK_TEST_DATA_DIR, "interop/keys/current/tls.crt");
    assert_int_equal(sk_pubkey_from_file(path, NOW_2030, &pk, &err), SK_OK);
    assert_string_equal(sk_pubkey_fingerprint(pk), FP_CURRENT);
    sk_pubkey_free(pk);
    free(path);

    pk = (sk_pubkey *)&pk;
    assert_int_equal(sk_pubkey_from_file("/nonexistent/sealkit/cert.pem", NOW_2030, &pk, &err),
                     SK_EIO);
    assert_null(pk);
    assert_string_equal(tu_err_line(&err),
                        "cannot read certificate /nonexistent/sealkit/cert.pem: No such "
                        "file or directory");
    assert_non_null(strstr(err.hint, "--cert FILE"));
    assert_non_null(strstr(err.hint, "SEALED_SECRETS_CERT"));

    /* Parse errors name the file. */
    path = tu_path(SK_TEST_DATA_DIR, "interop/keys/current/tls.key");
    assert_int_equal(sk_pubkey_from_file(path, NOW_2030, &pk, &err), SK_EPARSE);
    char want[1024];
    snprintf(want, sizeof want, "%s: no CERTIFICATE or PUBLIC KEY block found", path);
    assert_string_equal(tu_err_line(&err), want);
    free(path);

    /* "-" reads standard input. */
    path = tu_path(SK_TEST_DATA_DIR, "interop/keys/old/tls.crt");
    int saved = dup(STDIN_FILENO);
    FILE *in = freopen(path, "r", stdin);
    assert_non_null(in);
    assert_int_equal(sk_pubkey_from_file("-", NOW_2030, &pk, &err), SK_OK);
    assert_string_equal(sk_pubkey_fingerprint(pk), FP_OLD);
    sk_pubkey_free(pk);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    free(path);

    /* A directory is not a certificate. */
    assert_int_equal(sk_pubkey_from_file("/tmp", NOW_2030, &pk, &err), SK_EIO);
    assert_non_null(strstr(tu_err_line(&err), "/tmp"));
}

int main(void)
{
    assert_int_equal(sk_init(), SK_OK);
    assert_int_equal(sk_json_wipe_on_free(), SK_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fingerprint_known_answers),
        cmocka_unit_test(test_fingerprint_refuses_non_rsa),
        cmocka_unit_test(test_fingerprint_matches_ssh_keygen),
        cmocka_unit_test(test_interop_certs),
        cmocka_unit_test(test_first_certificate_wins),
        cmocka_unit_test(test_key_and_cert_bundle),
        cmocka_unit_test(test_bare_public_key),
        cmocka_unit_test(test_expired_pinned_clock),
        cmocka_unit_test(test_expired_generated),
        cmocka_unit_test(test_not_yet_valid_pinned),
        cmocka_unit_test(test_ec_refused),
        cmocka_unit_test(test_small_rsa_refused),
        cmocka_unit_test(test_garbage_pem),
        cmocka_unit_test(test_no_block),
        cmocka_unit_test(test_from_file),
        cmocka_unit_test(test_weak_exponents_refused),
        cmocka_unit_test(test_exponent_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
