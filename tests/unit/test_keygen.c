/* Key generation (keygen.h) and the key inventory of keys.h (sk_keyring_info, newest). */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/x509v3.h>
#include <sodium.h>

#include "testutil.h"

#define T0 1795635640LL /* 2026-11-25T19:40:40Z */
#define TEN_YEARS (87600LL * 3600)

/* Three 2048-bit pairs made once: generation is the slow part. */
static sk_keypair *kp_a, *kp_b, *kp_c;

static sk_keypair *gen(int bits, const char *cn, int64_t nb, int64_t valid)
{
    sk_keypair *kp = NULL;
    sk_error err = {0};
    int rc = sk_keygen(bits, cn, nb, valid, &kp, &err);
    if (rc != SK_OK) print_error("sk_keygen: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    assert_non_null(kp);
    return kp;
}

static int setup(void **state)
{
    (void)state;
    kp_a = gen(2048, "sealed-secret", T0, TEN_YEARS);
    kp_b = gen(2048, "", T0 - 86400, 3600);
    kp_c = gen(2048, "sealed-secret", T0 + 86400, TEN_YEARS);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sk_keypair_free(kp_a);
    sk_keypair_free(kp_b);
    sk_keypair_free(kp_c);
    return 0;
}

static int64_t asn1_unix(const ASN1_TIME *t)
{
    struct tm tm;
    assert_true(ASN1_TIME_to_tm(t, &tm));
    return (int64_t)timegm(&tm);
}

/* ---- the key and certificate ---- */

static void test_key_size_and_exponent(void **state)
{
    (void)state;
    assert_int_equal(EVP_PKEY_get_bits(sk_keypair_pkey(kp_a)), 2048);
    assert_true(EVP_PKEY_is_a(sk_keypair_pkey(kp_a), "RSA"));
    BIGNUM *e = NULL;
    assert_true(EVP_PKEY_get_bn_param(sk_keypair_pkey(kp_a), OSSL_PKEY_PARAM_RSA_E, &e));
    assert_true(BN_is_word(e, 65537));
    BN_free(e);
    sk_keypair *kp = gen(3072, "x", T0, 60);
    assert_int_equal(EVP_PKEY_get_bits(sk_keypair_pkey(kp)), 3072);
    sk_keypair_free(kp);
}

static void test_serial_is_random_128_bit(void **state)
{
    (void)state;
    BIGNUM *sa = ASN1_INTEGER_to_BN(X509_get0_serialNumber(sk_keypair_cert(kp_a)), NULL);
    BIGNUM *sb = ASN1_INTEGER_to_BN(X509_get0_serialNumber(sk_keypair_cert(kp_b)), NULL);
    assert_non_null(sa);
    assert_non_null(sb);
    assert_false(BN_is_negative(sa));
    assert_true(BN_num_bits(sa) <= 128);
    /* Below 97 bits has probability 2^-32: a short serial means the randomness is wrong. */
    assert_true(BN_num_bits(sa) > 96);
    assert_true(BN_num_bits(sb) > 96 && BN_num_bits(sb) <= 128);
    assert_int_not_equal(BN_cmp(sa, sb), 0);
    BN_free(sa);
    BN_free(sb);
}

static void test_validity_from_injected_time(void **state)
{
    (void)state;
    X509 *x = sk_keypair_cert(kp_a);
    assert_int_equal(asn1_unix(X509_get0_notBefore(x)), T0);
    assert_int_equal(asn1_unix(X509_get0_notAfter(x)), T0 + TEN_YEARS);
    /* 87600h from 2026-11-25T19:40:40Z, as upstream's fixture certificate shows. */
    assert_int_equal(asn1_unix(X509_get0_notAfter(x)), 2110995640LL);
    X509 *b = sk_keypair_cert(kp_b);
    assert_int_equal(asn1_unix(X509_get0_notBefore(b)), T0 - 86400);
    assert_int_equal(asn1_unix(X509_get0_notAfter(b)), T0 - 86400 + 3600);
}

static void test_extensions_like_upstream(void **state)
{
    (void)state;
    X509 *x = sk_keypair_cert(kp_a);
    assert_int_equal(X509_get_version(x), X509_VERSION_3);
    assert_int_equal(X509_get_ext_count(x), 3);
    int ku = X509_get_ext_by_NID(x, NID_key_usage, -1);
    int bc = X509_get_ext_by_NID(x, NID_basic_constraints, -1);
    int ski = X509_get_ext_by_NID(x, NID_subject_key_identifier, -1);
    assert_int_equal(ku, 0); /* Go's order */
    assert_int_equal(bc, 1);
    assert_int_equal(ski, 2);
    assert_true(X509_EXTENSION_get_critical(X509_get_ext(x, ku)));
    assert_true(X509_EXTENSION_get_critical(X509_get_ext(x, bc)));
    assert_false(X509_EXTENSION_get_critical(X509_get_ext(x, ski)));
    assert_int_equal(X509_get_key_usage(x), KU_ENCIPHER_ONLY);
    int crit = 0;
    BASIC_CONSTRAINTS *bcv = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
    assert_non_null(bcv);
    assert_true(bcv->ca);
    assert_null(bcv->pathlen);
    BASIC_CONSTRAINTS_free(bcv);
    assert_non_null(X509_get0_subject_key_id(x));
    assert_null(X509_get0_authority_key_id(x));
    assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
    assert_int_equal(X509_verify(x, sk_keypair_pkey(kp_a)), 1);
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
}

static void test_subject_cn(void **state)
{
    (void)state;
    X509_NAME *n = X509_get_subject_name(sk_keypair_cert(kp_a));
    assert_int_equal(X509_NAME_entry_count(n), 1);
    X509_NAME_ENTRY *e = X509_NAME_get_entry(n, 0);
    assert_int_equal(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)), NID_commonName);
    const ASN1_STRING *v = X509_NAME_ENTRY_get_data(e);
    assert_int_equal(ASN1_STRING_type(v), V_ASN1_PRINTABLESTRING); /* as Go writes it */
    assert_memory_equal(ASN1_STRING_get0_data(v), "sealed-secret", 13);
    /* An empty CN is the controller's default: an empty DN. */
    assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(sk_keypair_cert(kp_b))), 0);
    assert_int_equal(X509_NAME_entry_count(X509_get_issuer_name(sk_keypair_cert(kp_b))), 0);
    sk_keypair *u = gen(2048, "h\xc3\xa9llo", T0, 60);
    v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(X509_get_subject_name(sk_keypair_cert(u)), 0));
    assert_int_equal(ASN1_STRING_type(v), V_ASN1_UTF8STRING);
    sk_keypair_free(u);
}

static void test_refusals(void **state)
{
    (void)state;
    static const int bad_bits[] = {0, 1024, 2047, 4095, 8192, -1};
    char cn65[66];
    memset(cn65, 'a', 65);
    cn65[65] = '\0';
    for (size_t i = 0; i < sizeof bad_bits / sizeof bad_bits[0]; i++) {
        sk_keypair *kp = (sk_keypair *)1;
        sk_error err = {0};
        assert_int_equal(sk_keygen(bad_bits[i], "x", T0, 60, &kp, &err), SK_EUSAGE);
        assert_null(kp);
        assert_non_null(strstr(tu_err_line(&err), "2048, 3072 or 4096"));
    }
    sk_keypair *kp = NULL;
    sk_error err = {0};
    assert_int_equal(sk_keygen(2048, "x", T0, 0, &kp, &err), SK_EUSAGE);
    assert_int_equal(sk_keygen(2048, cn65, T0, 60, &kp, &err), SK_EUSAGE);
    assert_int_equal(sk_keygen(2048, NULL, T0, 60, &kp, &err), SK_EUSAGE);
    assert_int_equal(sk_keygen(2048, "x", 253402300000LL, 86400, &kp, &err), SK_EUSAGE);
    assert_non_null(strstr(tu_err_line(&err), "year 10000"));
    assert_null(kp);
}

/* ---- PEM ---- */

static void test_pem_forms(void **state)
{
    (void)state;
    sk_secbuf key = SK_SECBUF_INIT, cert = SK_SECBUF_INIT;
    sk_error err = {0};
    assert_int_equal(sk_keypair_key_pem(kp_a, &key, &err), SK_OK);
    assert_int_equal(sk_keypair_cert_pem(kp_a, &cert, &err), SK_OK);
    const char k1[] = "-----BEGIN RSA PRIVATE KEY-----\n";
    const char k2[] = "-----END RSA PRIVATE KEY-----\n";
    assert_memory_equal(key.data, k1, sizeof k1 - 1);
    assert_memory_equal(key.data + key.len - (sizeof k2 - 1), k2, sizeof k2 - 1);
    assert_memory_equal(cert.data, "-----BEGIN CERTIFICATE-----\n", 28);
    assert_null(strstr((char *)cert.data, "PRIVATE"));
    /* The PEM key reads back as the same key, and the certificate holds its public half. */
    sk_keyring *kr = NULL;
    assert_int_equal(sk_keyring_new(&kr, &err), SK_OK);
    assert_int_equal(sk_keyring_add_pem(kr, (char *)key.data, key.len, "k", NULL, &err), SK_OK);
    assert_string_equal(sk_keyring_fingerprint(kr, 0), sk_keypair_fingerprint(kp_a));
    sk_pubkey *pk = NULL;
    assert_int_equal(sk_pubkey_from_pem((char *)cert.data, cert.len, T0 + 1, &pk, &err), SK_OK);
    assert_string_equal(sk_pubkey_fingerprint(pk), sk_keypair_fingerprint(kp_a));
    assert_int_equal(sk_pubkey_not_before(pk), T0);
    assert_int_equal(sk_pubkey_not_after(pk), T0 + TEN_YEARS);
    char fp[SK_FINGERPRINT_MAX];
    assert_int_equal(sk_fingerprint(X509_get0_pubkey(sk_keypair_cert(kp_a)), fp, &err), SK_OK);
    assert_string_equal(fp, sk_keypair_fingerprint(kp_a));
    sk_pubkey_free(pk);
    sk_keyring_free(kr);
    sk_secbuf_free(&key);
    sk_secbuf_free(&cert);
}

/* ---- the key Secret ---- */

static char *secret_text(const sk_keypair *kp, const char *name, int yaml, size_t *len)
{
    json_t *tree = NULL;
    sk_error err = {0};
    sk_secbuf out = SK_SECBUF_INIT;
    assert_int_equal(sk_keygen_tls_secret(kp, "kube-system", name, &tree, &err), SK_OK);
    assert_int_equal(yaml ? sk_emit_yaml(tree, &out, &err) : sk_emit_json(tree, &out, &err), SK_OK);
    json_decref(tree);
    char *copy = strndup((char *)out.data, out.len);
    assert_non_null(copy);
    *len = out.len;
    sk_secbuf_free(&out);
    return copy;
}

static void test_secret_shape(void **state)
{
    (void)state;
    json_t *t = NULL;
    sk_error err = {0};
    assert_int_equal(sk_keygen_tls_secret(kp_a, "kube-system", NULL, &t, &err), SK_OK);
    static const char *const top[] = {"kind", "apiVersion", "metadata", "data", "type"};
    static const char *const meta[] = {"name", "generateName", "namespace", "labels"};
    void *it = json_object_iter(t);
    for (size_t i = 0; i < 5; i++, it = json_object_iter_next(t, it))
        assert_string_equal(json_object_iter_key(it), top[i]);
    assert_null(it);
    json_t *m = json_object_get(t, "metadata");
    it = json_object_iter(m);
    for (size_t i = 0; i < 4; i++, it = json_object_iter_next(m, it))
        assert_string_equal(json_object_iter_key(it), meta[i]);
    assert_null(it);
    assert_string_equal(json_string_value(json_object_get(t, "type")), "kubernetes.io/tls");
    assert_string_equal(json_string_value(json_object_get(m, "generateName")),
                        "sealed-secrets-key");
    assert_string_equal(json_string_value(json_object_get(m, "namespace")), "kube-system");
    json_t *labels = json_object_get(m, "labels");
    assert_int_equal(json_object_size(labels), 1);
    assert_string_equal(json_string_value(json_object_get(labels, SK_KEY_LABEL)), "active");
    regex_t re;
    assert_int_equal(
        regcomp(&re, "^sealed-secrets-key[bcdfghjklmnpqrstvwxz2456789]{5}$", REG_EXTENDED), 0);
    assert_int_equal(regexec(&re, json_string_value(json_object_get(m, "name")), 0, NULL, 0), 0);
    regfree(&re);
    json_t *data = json_object_get(t, "data");
    assert_int_equal(json_object_size(data), 2);
    sk_secbuf crt = SK_SECBUF_INIT;
    json_t *v = json_object_get(data, "tls.crt");
    assert_int_equal(sk_base64_decode(json_string_value(v), json_string_length(v), &crt, &err),
                     SK_OK);
    assert_memory_equal(crt.data, "-----BEGIN CERTIFICATE-----", 27);
    sk_secbuf_free(&crt);
    json_decref(t);
}

static void test_secret_names_checked(void **state)
{
    (void)state;
    json_t *t = NULL;
    sk_error err = {0};
    assert_int_equal(sk_keygen_tls_secret(kp_a, "kube-system", "my-key.v2", &t, &err), SK_OK);
    assert_string_equal(json_string_value(json_object_get(json_object_get(t, "metadata"), "name")),
                        "my-key.v2");
    json_decref(t);
    static const char *const bad_ns[] = {"", "Kube", "kube_system", "-a", "a-", "a.b", NULL};
    for (size_t i = 0; bad_ns[i]; i++) {
        t = (json_t *)1;
        assert_int_equal(sk_keygen_tls_secret(kp_a, bad_ns[i], NULL, &t, &err), SK_EUSAGE);
        assert_null(t);
    }
    assert_int_equal(sk_keygen_tls_secret(kp_a, NULL, NULL, &t, &err), SK_EUSAGE);
    assert_int_equal(sk_keygen_tls_secret(kp_a, "ns", "Upper", &t, &err), SK_EUSAGE);
    assert_non_null(strstr(tu_err_line(&err), "Secret name \"Upper\""));
    assert_int_equal(sk_keygen_check_names("ns", "ok-name", &err), SK_OK);
}

/* The generated Secret text is a key file: sealing under its certificate opens with it. */
static void test_seal_under_cert_open_with_secret(void **state)
{
    (void)state;
    sk_error err = {0};
    sk_secbuf cert = SK_SECBUF_INIT, pt = SK_SECBUF_INIT;
    sk_pubkey *pk = NULL;
    assert_int_equal(sk_keypair_cert_pem(kp_a, &cert, &err), SK_OK);
    assert_int_equal(sk_pubkey_from_pem((char *)cert.data, cert.len, T0 + 60, &pk, &err), SK_OK);
    unsigned char *blob = NULL;
    size_t blob_len = 0;
    const unsigned char label[] = "demo/app";
    assert_int_equal(sk_hybrid_encrypt(sk_pubkey_evp(pk), label, 8,
                                       (const unsigned char *)"hunter2", 7, &blob, &blob_len, &err),
                     SK_OK);
    for (int yaml = 0; yaml <= 1; yaml++) {
        size_t len = 0;
        char *text = secret_text(kp_a, NULL, yaml, &len);
        sk_keyring *kr = NULL;
        size_t added = 0, which = 99;
        assert_int_equal(sk_keyring_new(&kr, &err), SK_OK);
        assert_int_equal(sk_keyring_add_text(kr, text, len, "gen.yaml", &added, &err), SK_OK);
        assert_int_equal(added, 1);
        assert_int_equal(sk_keyring_decrypt(kr, label, 8, blob, blob_len, &pt, &which, &err),
                         SK_OK);
        assert_int_equal(pt.len, 7);
        assert_memory_equal(pt.data, "hunter2", 7);
        assert_int_equal(which, 0);
        assert_int_equal(sk_keyring_decrypt(kr, (const unsigned char *)"demo/other", 10, blob,
                                            blob_len, &pt, NULL, &err),
                         SK_EDECRYPT);
        const sk_key_info *in = sk_keyring_info(kr, 0);
        assert_true(in->from_secret);
        assert_string_equal(in->label, "active");
        assert_string_equal(in->ns, "kube-system");
        assert_int_equal(in->cert, SK_KEY_CERT_OK);
        assert_int_equal(in->not_before, T0);
        sk_secbuf_free(&pt);
        sk_keyring_free(kr);
        sodium_memzero(text, len);
        free(text);
    }
    free(blob);
    sk_pubkey_free(pk);
    sk_secbuf_free(&cert);
}

/* ---- durations, times, files ---- */

static void test_duration_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t want;
    } good[] = {{"3650d", 315360000}, {"87600h", 315360000}, {"720h30m", 2593800},
                {"90s", 90},          {"1d2h3m4s", 93784},   {"0h1s", 1}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t s = -1;
        sk_error err = {0};
        assert_int_equal(sk_duration_parse(good[i].in, &s, &err), SK_OK);
        assert_int_equal(s, good[i].want);
    }
    static const char *const bad[] = {"",           "10",   "d",   "5x",  "-1h",
                                      "0h",         "1.5h", "1h ", " 1h", "99999999999999999999d",
                                      "100000000d", "1ms",  NULL};
    for (size_t i = 0; bad[i]; i++) {
        int64_t s = 7;
        sk_error err = {0};
        assert_int_equal(sk_duration_parse(bad[i], &s, &err), SK_EUSAGE);
        assert_int_equal(s, 7);
    }
}

static void test_time_parse_and_format(void **state)
{
    (void)state;
    int64_t t = 0;
    sk_error err = {0};
    char buf[32];
    assert_int_equal(sk_time_parse("2026-11-25T19:40:40Z", &t, &err), SK_OK);
    assert_int_equal(t, T0);
    assert_int_equal(sk_time_parse("@1795635640", &t, &err), SK_OK);
    assert_int_equal(t, T0);
    sk_time_format(T0, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-25T19:40:40Z");
    static const char *const bad[] = {"2026-02-30T00:00:00Z",
                                      "2026-11-25 19:40:40Z",
                                      "2026-11-25T19:40:40",
                                      "2026-11-25T19:40:40+02:00",
                                      "@-5",
                                      "@",
                                      "@12x",
                                      "yesterday",
                                      "",
                                      "2024-+1-01T00:00:00Z",
                                      "2024- 1-01T00:00:00Z",
                                      "+024-01-01T00:00:00Z",
                                      "2024-01-01T00:00:-1Z",
                                      NULL};
    for (size_t i = 0; bad[i]; i++)
        assert_int_equal(sk_time_parse(bad[i], &t, &err), SK_EUSAGE);
}

static char *scratch_dir(void)
{
    char tmpl[] = "/tmp/sk-keygen-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static void test_write_new(void **state)
{
    (void)state;
    char *dir = scratch_dir();
    char *p = tu_path(dir, "key.pem"), *q = tu_path(dir, "cert.pem"), *l = tu_path(dir, "link");
    sk_error err = {0};
    struct stat st;
    mode_t old = umask(077);
    assert_int_equal(sk_write_new(q, "cert", 4, 0644, &err), SK_OK);
    umask(0);
    assert_int_equal(sk_write_new(p, "secret", 6, 0600, &err), SK_OK);
    umask(old);
    assert_int_equal(stat(q, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 6);
    /* An existing file, even one the caller could write, is never replaced. */
    assert_int_equal(sk_write_new(p, "other!!", 7, 0600, &err), SK_EIO);
    assert_non_null(strstr(tu_err_line(&err), "already exists"));
    size_t len = 0;
    char *text = tu_read_file(p, &len);
    assert_string_equal(text, "secret");
    free(text);
    /* Nor is a dangling symbolic link followed. */
    assert_int_equal(symlink("/nonexistent/sk-target", l), 0);
    assert_int_equal(sk_write_new(l, "x", 1, 0600, &err), SK_EIO);
    assert_int_equal(count_entries(dir), 3); /* no temporary file left behind */
    unlink(p), unlink(q), unlink(l);
    char *missing = tu_path(dir, "no/such/dir");
    assert_int_equal(sk_write_new(missing, "x", 1, 0600, &err), SK_EIO);
    assert_int_equal(rmdir(dir), 0);
    free(missing), free(p), free(q), free(l), free(dir);
}

/* ---- the inventory: sk_keyring_info and sk_keyring_newest ---- */

static sk_keyring *ring_from(const char *text, size_t len, const char *source)
{
    sk_keyring *kr = NULL;
    sk_error err = {0};
    assert_int_equal(sk_keyring_new(&kr, &err), SK_OK);
    int rc = sk_keyring_add_text(kr, text, len, source, NULL, &err);
    if (rc != SK_OK) print_error("add_text: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    return kr;
}

static json_t *cases_key(json_t *cases, const char *id)
{
    json_t *k = json_object_get(json_object_get(cases, "keys"), id);
    assert_non_null(k);
    return k;
}

static void expect_fixture_key(const sk_keyring *kr, size_t i, json_t *k, size_t item)
{
    const sk_key_info *in = sk_keyring_info(kr, i);
    int64_t nb = 0, na = 0;
    char want[32];
    /* cases.json writes "+00:00"; turn it into the Z form sk_time_parse reads. */
    snprintf(want, sizeof want, "%.19sZ", json_string_value(json_object_get(k, "not_before")));
    assert_int_equal(sk_time_parse(want, &nb, NULL), SK_OK);
    snprintf(want, sizeof want, "%.19sZ", json_string_value(json_object_get(k, "not_after")));
    assert_int_equal(sk_time_parse(want, &na, NULL), SK_OK);
    assert_string_equal(sk_keyring_fingerprint(kr, i),
                        json_string_value(json_object_get(k, "fingerprint")));
    assert_int_equal(sk_keyring_bits(kr, i), json_integer_value(json_object_get(k, "bits")));
    assert_true(in->from_secret);
    assert_int_equal(in->document, 1);
    assert_int_equal(in->item, item);
    assert_string_equal(in->label, "active");
    assert_string_equal(in->ns, "kube-system");
    assert_int_equal(in->cert, SK_KEY_CERT_OK);
    assert_string_equal(in->cert_fingerprint, sk_keyring_fingerprint(kr, i));
    assert_int_equal(in->not_before, nb);
    assert_int_equal(in->not_after, na);
    assert_true(in->has_created);
}

static void test_info_backup_list(void **state)
{
    (void)state;
    char *path = tu_path(SK_TEST_DATA_DIR, "interop/cases.json");
    json_t *cases = json_load_file(path, 0, NULL);
    free(path);
    assert_non_null(cases);
    size_t len = 0;
    path = tu_path(SK_TEST_DATA_DIR, "interop/keys/backup-list.yaml");
    char *text = tu_read_file(path, &len);
    sk_keyring *kr = ring_from(text, len, path);
    assert_int_equal(sk_keyring_count(kr), 2);
    expect_fixture_key(kr, 0, cases_key(cases, "current"), 1);
    expect_fixture_key(kr, 1, cases_key(cases, "old"), 2);
    assert_string_equal(sk_keyring_info(kr, 0)->source, path);
    assert_string_equal(sk_keyring_info(kr, 0)->name, "sealed-secrets-keyq7x2m");
    assert_string_equal(sk_keyring_info(kr, 0)->created, "2026-11-20T10:00:00Z");
    assert_int_equal(sk_keyring_info(kr, 0)->created_at, 1795168800LL);
    size_t w = 99;
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &w, NULL), SK_OK);
    assert_int_equal(w, 0);
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CREATION_TIMESTAMP, &w, NULL), SK_OK);
    assert_int_equal(w, 0);
    sk_keyring_free(kr);
    sodium_memzero(text, len);
    free(text);
    free(path);
    json_decref(cases);
}

/* A Secret of kp as JSON text, edited by the caller's changes to the tree. */
static char *edited_secret(const sk_keypair *kp, const char *name, const char *label,
                           const char *created, const sk_keypair *crt_of)
{
    json_t *t = NULL;
    sk_error err = {0};
    assert_int_equal(sk_keygen_tls_secret(kp, "kube-system", name, &t, &err), SK_OK);
    json_t *m = json_object_get(t, "metadata");
    if (label == NULL)
        json_object_del(m, "labels");
    else
        json_object_set_new(json_object_get(m, "labels"), SK_KEY_LABEL, json_string(label));
    if (created != NULL) json_object_set_new(m, "creationTimestamp", json_string(created));
    if (crt_of != NULL) {
        json_t *other = NULL;
        assert_int_equal(sk_keygen_tls_secret(crt_of, "kube-system", NULL, &other, &err), SK_OK);
        json_object_set(json_object_get(t, "data"), "tls.crt",
                        json_object_get(json_object_get(other, "data"), "tls.crt"));
        json_decref(other);
    }
    char *s = json_dumps(t, JSON_COMPACT);
    assert_non_null(s);
    json_decref(t);
    return s;
}

static char *concat_docs(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 16;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "%s\n---\n%s\n", a, b);
    return s;
}

static void test_info_every_document(void **state)
{
    (void)state;
    size_t len = 0;
    char *path = tu_path(SK_TEST_DATA_DIR, "interop/keys/backup-list.yaml");
    char *list = tu_read_file(path, &len);
    char *extra =
        edited_secret(kp_c, "sealed-secrets-keyzzzzz", "active", "2026-11-26T19:40:40Z", NULL);
    /* The backup recipe: a List, ---, then another key Secret. Upstream reads only the List. */
    char *both = concat_docs(list, extra);
    sk_keyring *kr = ring_from(both, strlen(both), "backup.yaml");
    assert_int_equal(sk_keyring_count(kr), 3);
    const sk_key_info *in = sk_keyring_info(kr, 2);
    assert_string_equal(sk_keyring_fingerprint(kr, 2), sk_keypair_fingerprint(kp_c));
    assert_int_equal(in->document, 2);
    assert_int_equal(in->item, 0);
    assert_string_equal(in->name, "sealed-secrets-keyzzzzz");
    size_t w = 0;
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &w, NULL), SK_OK);
    assert_int_equal(w, 2); /* kp_c's notBefore is a day after the fixture's current key */
    sk_keyring_free(kr);
    free(both);
    free(extra);
    free(list);
    free(path);
}

static void test_info_mismatch_and_unreadable(void **state)
{
    (void)state;
    char *mis = edited_secret(kp_a, "k1", "active", NULL, kp_b);
    sk_keyring *kr = ring_from(mis, strlen(mis), "mis.json");
    const sk_key_info *in = sk_keyring_info(kr, 0);
    assert_int_equal(in->cert, SK_KEY_CERT_MISMATCH);
    assert_string_equal(in->cert_fingerprint, sk_keypair_fingerprint(kp_b));
    assert_int_equal(in->not_before, T0 - 86400); /* the controller would still order by it */
    sk_keyring_free(kr);
    free(mis);

    json_t *t = NULL;
    sk_error err = {0};
    assert_int_equal(sk_keygen_tls_secret(kp_a, "kube-system", NULL, &t, &err), SK_OK);
    json_object_set_new(json_object_get(t, "data"), "tls.crt", json_string("bm90IGEgY2VydA=="));
    char *bad = json_dumps(t, JSON_COMPACT);
    json_object_set_new(json_object_get(t, "data"), "tls.crt", json_string("%%%"));
    char *bad64 = json_dumps(t, JSON_COMPACT);
    json_object_del(json_object_get(t, "data"), "tls.crt");
    char *none = json_dumps(t, JSON_COMPACT);
    json_decref(t);
    kr = ring_from(bad, strlen(bad), "bad.json"); /* tls.crt never stops a key from loading */
    assert_int_equal(sk_keyring_info(kr, 0)->cert, SK_KEY_CERT_UNREADABLE);
    sk_keyring_free(kr);
    kr = ring_from(bad64, strlen(bad64), "bad64.json");
    assert_int_equal(sk_keyring_info(kr, 0)->cert, SK_KEY_CERT_UNREADABLE);
    size_t w = 0;
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &w, NULL), SK_EINVAL);
    sk_keyring_free(kr);
    kr = ring_from(none, strlen(none), "none.json");
    assert_int_equal(sk_keyring_info(kr, 0)->cert, SK_KEY_CERT_NONE);
    assert_string_equal(sk_keyring_info(kr, 0)->cert_fingerprint, "");
    sk_keyring_free(kr);
    free(bad), free(bad64), free(none);
}

static char *pem_of(const sk_keypair *kp, int with_key, int with_cert)
{
    sk_secbuf k = SK_SECBUF_INIT, c = SK_SECBUF_INIT;
    sk_error err = {0};
    if (with_key) assert_int_equal(sk_keypair_key_pem(kp, &k, &err), SK_OK);
    if (with_cert) assert_int_equal(sk_keypair_cert_pem(kp, &c, &err), SK_OK);
    size_t n = k.len + c.len + 1;
    char *s = calloc(1, n);
    assert_non_null(s);
    if (with_key) memcpy(s, k.data, k.len);
    if (with_cert) memcpy(s + k.len, c.data, c.len);
    sk_secbuf_free(&k);
    sk_secbuf_free(&c);
    return s;
}

static void test_info_pem_and_beside_certs(void **state)
{
    (void)state;
    sk_error err = {0};
    char *key_and_cert = pem_of(kp_a, 1, 1), *key_only = pem_of(kp_b, 1, 0);
    char *cert_a = pem_of(kp_a, 0, 1), *cert_b = pem_of(kp_b, 0, 1), *cert_c = pem_of(kp_c, 0, 1);
    sk_keyring *kr = ring_from(key_and_cert, strlen(key_and_cert), "a.pem");
    assert_int_equal(sk_keyring_add_text(kr, key_only, strlen(key_only), "b.key", NULL, &err),
                     SK_OK);
    const sk_key_info *a = sk_keyring_info(kr, 0), *b = sk_keyring_info(kr, 1);
    assert_false(a->from_secret);
    assert_null(a->label);
    assert_null(a->name);
    assert_int_equal(a->document, 0);
    assert_string_equal(a->source, "a.pem");
    assert_int_equal(a->cert, SK_KEY_CERT_OK); /* the CERTIFICATE beside the key in one file */
    assert_int_equal(a->not_before, T0);
    assert_int_equal(b->cert, SK_KEY_CERT_NONE);
    size_t n = 99;
    /* A certificate file beside: only a certificate of a key in the ring attaches. */
    assert_int_equal(sk_keyring_add_certs(kr, cert_c, strlen(cert_c), "c.crt", &n, &err), SK_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sk_keyring_add_certs(kr, cert_b, strlen(cert_b), "b.crt", &n, &err), SK_OK);
    assert_int_equal(n, 1);
    b = sk_keyring_info(kr, 1);
    assert_int_equal(b->cert, SK_KEY_CERT_OK);
    assert_int_equal(b->not_after, T0 - 86400 + 3600);
    assert_int_equal(sk_keyring_add_certs(kr, cert_b, strlen(cert_b), "b.crt", &n, &err), SK_OK);
    assert_int_equal(n, 0); /* already has one */
    const char *broken = "-----BEGIN CERTIFICATE-----\n!!\n";
    assert_int_equal(sk_keyring_add_certs(kr, broken, strlen(broken), "x", &n, &err), SK_EPARSE);
    /* PEM keys count for "newest": both have certificates, a has the later notBefore. */
    size_t w = 99;
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &w, NULL), SK_OK);
    assert_int_equal(w, 0);
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CREATION_TIMESTAMP, &w, NULL), SK_EINVAL);
    /* A later Secret of key b gives it Secret details; seen counts both. */
    char *sec = edited_secret(kp_b, "k-b", "compromised", NULL, NULL);
    assert_int_equal(sk_keyring_add_text(kr, sec, strlen(sec), "b.json", NULL, &err), SK_OK);
    assert_int_equal(sk_keyring_count(kr), 2);
    a = sk_keyring_info(kr, 0);
    b = sk_keyring_info(kr, 1);
    assert_true(b->from_secret);
    assert_string_equal(b->label, "compromised");
    assert_string_equal(b->source, "b.json");
    assert_int_equal(b->seen, 2);
    assert_int_equal(a->seen, 1);
    sk_keyring_free(kr);
    free(sec);
    free(key_and_cert), free(key_only), free(cert_a), free(cert_b), free(cert_c);
}

static void test_newest_follows_the_controller(void **state)
{
    (void)state;
    sk_error err = {0};
    size_t w = 99;
    /* c is the newest by notBefore but compromised: the controller does not load it. */
    char *c = edited_secret(kp_c, "kc", "compromised", "2026-11-27T00:00:00Z", NULL);
    char *a = edited_secret(kp_a, "ka", "active", "2026-11-01T00:00:00Z", NULL);
    char *b = edited_secret(kp_b, "kb", "active", "2026-11-02T00:00:00Z", NULL);
    sk_keyring *kr = ring_from(c, strlen(c), "c");
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &w, NULL), SK_EINVAL);
    assert_int_equal(sk_keyring_add_text(kr, a, strlen(a), "a", NULL, &err), SK_OK);
    assert_int_equal(sk_keyring_add_text(kr, b, strlen(b), "b", NULL, &err), SK_OK);
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &w, NULL), SK_OK);
    assert_int_equal(w, 1); /* a: notBefore T0 beats b's T0 - 1 day */
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CREATION_TIMESTAMP, &w, NULL), SK_OK);
    assert_int_equal(w, 2); /* b was created later */
    sk_keyring_free(kr);
    free(a), free(b), free(c);

    /* No label: skipped, unless it is the legacy Secret named exactly sealed-secrets-key. */
    char *nolabel = edited_secret(kp_c, "other-name", NULL, NULL, NULL);
    kr = ring_from(nolabel, strlen(nolabel), "n");
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &w, NULL), SK_EINVAL);
    sk_keyring_free(kr);
    char *legacy = edited_secret(kp_c, "sealed-secrets-key", NULL, NULL, NULL);
    kr = ring_from(legacy, strlen(legacy), "l");
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &w, NULL), SK_OK);
    assert_int_equal(w, 0);
    sk_keyring_free(kr);
    free(nolabel), free(legacy);

    /* Same notBefore (a's certificate on two keys): the earlier-created Secret stays newest. */
    char *x = edited_secret(kp_b, "kx", "active", "2026-11-05T00:00:00Z", kp_a);
    char *y = edited_secret(kp_a, "ky", "active", "2026-11-03T00:00:00Z", NULL);
    kr = ring_from(x, strlen(x), "x");
    assert_int_equal(sk_keyring_add_text(kr, y, strlen(y), "y", NULL, &err), SK_OK);
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &w, NULL), SK_OK);
    assert_int_equal(w, 1);
    sk_keyring_free(kr);
    free(x), free(y);
}

int main(void)
{
    assert_int_equal(sk_init(), SK_OK);
    assert_int_equal(sk_json_wipe_on_free(), SK_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_size_and_exponent),
        cmocka_unit_test(test_serial_is_random_128_bit),
        cmocka_unit_test(test_validity_from_injected_time),
        cmocka_unit_test(test_extensions_like_upstream),
        cmocka_unit_test(test_subject_cn),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_pem_forms),
        cmocka_unit_test(test_secret_shape),
        cmocka_unit_test(test_secret_names_checked),
        cmocka_unit_test(test_seal_under_cert_open_with_secret),
        cmocka_unit_test(test_duration_parse),
        cmocka_unit_test(test_time_parse_and_format),
        cmocka_unit_test(test_write_new),
        cmocka_unit_test(test_info_backup_list),
        cmocka_unit_test(test_info_every_document),
        cmocka_unit_test(test_info_mismatch_and_unreadable),
        cmocka_unit_test(test_info_pem_and_beside_certs),
        cmocka_unit_test(test_newest_follows_the_controller),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
