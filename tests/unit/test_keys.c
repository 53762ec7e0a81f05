/* Private-key rings (keys.h). */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys/keys_internal.h"
#include "testutil.h"

#define FP_CURRENT "SHA256:N0y6dUAHXtv73DQXpORtj6iqEbwinoh+RJ12OVMggAg"
#define FP_OLD "SHA256:Hvcb8+5bi0XmFwn/+SaWENssGxbvF/Ik6OrMU8LOh3Q"

static sk_keyring *new_ring(void)
{
    sk_keyring *kr = NULL;
    sk_error err = {0};
    assert_int_equal(sk_keyring_new(&kr, &err), SK_OK);
    assert_non_null(kr);
    return kr;
}

static size_t add_ok(sk_keyring *kr, const char *text, size_t len, const char *source)
{
    size_t added = 99;
    sk_error err = {0};
    int rc = sk_keyring_add_pem(kr, text, len, source, &added, &err);
    if (rc != SK_OK) print_error("unexpected error: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    return added;
}

static void add_shared(sk_keyring *kr, const char *rel)
{
    size_t len;
    char *pem = tu_data_file(rel, &len);
    assert_int_equal(add_ok(kr, pem, len, rel), 1);
    sodium_memzero(pem, len);
    free(pem);
}

static char *bio_text(BIO *b, size_t *len)
{
    char *p = NULL;
    long n = BIO_get_mem_data(b, &p);
    assert_true(n > 0);
    char *copy = malloc((size_t)n + 1);
    assert_non_null(copy);
    memcpy(copy, p, (size_t)n);
    copy[n] = '\0';
    *len = (size_t)n;
    return copy;
}

enum pem_form { PKCS8, PKCS8_ENCRYPTED, TRADITIONAL, TRADITIONAL_ENCRYPTED };

static char *key_pem(EVP_PKEY *key, enum pem_form form, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_non_null(b);
    unsigned char pass[] = "hunter2";
    int ok = 0;
    switch (form) {
    case PKCS8:
        ok = PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
        break;
    case PKCS8_ENCRYPTED:
        ok = PEM_write_bio_PKCS8PrivateKey(b, key, EVP_aes_256_cbc(), NULL, 0, NULL, pass);
        break;
    case TRADITIONAL:
        ok = PEM_write_bio_PrivateKey_traditional(b, key, NULL, NULL, 0, NULL, NULL);
        break;
    case TRADITIONAL_ENCRYPTED:
        ok = PEM_write_bio_PrivateKey_traditional(b, key, EVP_aes_256_cbc(), pass, 7, NULL, NULL);
        break;
    }
    assert_true(ok);
    char *pem = bio_text(b, len);
    BIO_free(b);
    return pem;
}

static char *join(const char *a, const char *b, size_t *len)
{
    *len = strlen(a) + strlen(b);
    char *out = malloc(*len + 1);
    assert_non_null(out);
    snprintf(out, *len + 1, "%s%s", a, b);
    return out;
}

static void free_pem(char *pem, size_t len)
{
    sodium_memzero(pem, len);
    free(pem);
}

/* ---- loading ---- */

static void test_pkcs1_interop_key(void **state)
{
    (void)state;
    sk_keyring *kr = new_ring();
    add_shared(kr, "interop/keys/current/tls.key");
    assert_int_equal(sk_keyring_count(kr), 1);
    assert_string_equal(sk_keyring_fingerprint(kr, 0), FP_CURRENT);
    assert_int_equal(sk_keyring_bits(kr, 0), 4096);
    assert_true(EVP_PKEY_is_a(sk_keyring_key(kr, 0), "RSA"));
    assert_null(sk_keyring_key(kr, 1));
    assert_null(sk_keyring_fingerprint(kr, 1));
    sk_keyring_free(kr);
}

/* A key's public half is a sealing target with the same fingerprint (rotate seals to it). */
static void test_public_half(void **state)
{
    (void)state;
    sk_keyring *kr = new_ring();
    add_shared(kr, "interop/keys/current/tls.key");
    sk_pubkey *pk = NULL;
    sk_error err = {0};
    assert_int_equal(sk_keyring_pubkey(kr, 0, 1893456000, &pk, &err), SK_OK);
    assert_string_equal(sk_pubkey_fingerprint(pk), FP_CURRENT);
    assert_int_equal(sk_pubkey_bits(pk), 4096);
    sk_pubkey_free(pk);
    assert_int_equal(sk_keyring_pubkey(kr, 1, 1893456000, &pk, NULL), SK_EUSAGE);
    assert_null(pk);
    sk_keyring_free(kr);
}

static void test_pkcs1_and_pkcs8_collapse(void **state)
{
    (void)state;
    sk_keyring *kr = new_ring();
    add_shared(kr, "interop/keys/current/tls.key");
    size_t len;
    char *pkcs8 = key_pem(sk_keyring_key(kr, 0), PKCS8, &len);
    assert_non_null(strstr(pkcs8, "-----BEGIN PRIVATE KEY-----"));
    assert_int_equal(add_ok(kr, pkcs8, len, "pkcs8.pem"), 0);
    assert_int_equal(sk_keyring_count(kr), 1);

    /* Both forms in one text, into a fresh ring: one key. */
    size_t l1, blen;
    char *pkcs1 = tu_data_file("interop/keys/current/tls.key", &l1);
    char *both = join(pkcs1, pkcs8, &blen);
    sk_keyring *fresh = new_ring();
    assert_int_equal(add_ok(fresh, both, blen, "both.pem"), 1);
    assert_int_equal(sk_keyring_count(fresh), 1);
    assert_string_equal(sk_keyring_fingerprint(fresh, 0), FP_CURRENT);

    /* PKCS#8 alone is read as well. */
    sk_keyring *only8 = new_ring();
    assert_int_equal(add_ok(only8, pkcs8, len, "pkcs8.pem"), 1);
    assert_string_equal(sk_keyring_fingerprint(only8, 0), FP_CURRENT);

    sk_keyring_free(only8);
    sk_keyring_free(fresh);
    free_pem(both, blen);
    free_pem(pkcs1, l1);
    free_pem(pkcs8, len);
    sk_keyring_free(kr);
}

static void test_two_keys_in_one_text(void **state)
{
    (void)state;
    size_t l1, l2, len;
    char *cur = tu_data_file("interop/keys/current/tls.key", &l1);
    char *old = tu_data_file("interop/keys/old/tls.key", &l2);
    char *cert = tu_data_file("interop/keys/current/tls.crt", &len);
    /* A certificate between the keys is skipped, as in a tls.crt + tls.key bundle. */
    size_t hlen, blen;
    char *head = join(cur, cert, &hlen);
    char *both = join(head, old, &blen);
    sk_keyring *kr = new_ring();
    assert_int_equal(add_ok(kr, both, blen, "bundle.pem"), 2);
    assert_int_equal(sk_keyring_count(kr), 2);
    assert_string_equal(sk_keyring_fingerprint(kr, 0), FP_CURRENT);
    assert_string_equal(sk_keyring_fingerprint(kr, 1), FP_OLD);
    /* Adding the same text again adds nothing and is not an error. */
    assert_int_equal(add_ok(kr, both, blen, "bundle.pem"), 0);
    assert_int_equal(sk_keyring_count(kr), 2);
    sk_keyring_free(kr);
    free_pem(both, blen);
    free_pem(head, hlen);
    free_pem(cur, l1);
    free_pem(old, l2);
    free(cert);
}

static int add_fail(sk_keyring *kr, const char *text, size_t len, const char *source, sk_error *err)
{
    size_t before = sk_keyring_count(kr);
    size_t added = 99;
    int rc = sk_keyring_add_pem(kr, text, len, source, &added, err);
    assert_int_not_equal(rc, SK_OK);
    assert_int_equal(err->code, rc);
    assert_int_equal(added, 0);
    assert_int_equal(sk_keyring_count(kr), before);
    return rc;
}

static void test_no_private_key(void **state)
{
    (void)state;
    sk_keyring *kr = new_ring();
    sk_error err = {0};
    size_t len;
    char *cert = tu_data_file("interop/keys/current/tls.crt", &len);
    assert_int_equal(add_fail(kr, cert, len, "tls.crt", &err), SK_EPARSE);
    assert_string_equal(tu_err_line(&err), "no private key found in tls.crt");
    assert_true(err.hint[0] != '\0');
    free(cert);
    assert_int_equal(add_fail(kr, "", 0, "empty.pem", &err), SK_EPARSE);
    assert_string_equal(tu_err_line(&err), "no private key found in empty.pem");
    assert_int_equal(add_fail(kr, NULL, 0, "nothing", &err), SK_EPARSE);
    const char *yaml = "apiVersion: v1\nkind: Secret\n";
    assert_int_equal(add_fail(kr, yaml, strlen(yaml), "secret.yaml", &err), SK_EPARSE);
    sk_keyring_free(kr);
}

static void test_encrypted_refused(void **state)
{
    (void)state;
    sk_keyring *kr = new_ring();
    add_shared(kr, "interop/keys/current/tls.key");
    EVP_PKEY *key = sk_keyring_key(kr, 0);
    size_t l8, lt;
    char *enc8 = key_pem(key, PKCS8_ENCRYPTED, &l8);
    char *enct = key_pem(key, TRADITIONAL_ENCRYPTED, &lt);
    assert_non_null(strstr(enc8, "ENCRYPTED PRIVATE KEY"));
    assert_non_null(strstr(enct, "Proc-Type: 4,ENCRYPTED"));

    sk_keyring *fresh = new_ring();
    sk_error err = {0};
    assert_int_equal(add_fail(fresh, enc8, l8, "enc8.pem", &err), SK_EPARSE);
    assert_non_null(strstr(tu_err_line(&err), "encrypted private keys are not supported"));
    assert_non_null(strstr(tu_err_line(&err), "enc8.pem"));
    assert_int_equal(add_fail(fresh, enct, lt, "enct.pem", &err), SK_EPARSE);
    assert_non_null(strstr(tu_err_line(&err), "encrypted private keys are not supported"));

    /* All or nothing: a good key before the encrypted one is not kept. */
    size_t l1, blen;
    char *plain = tu_data_file("interop/keys/old/tls.key", &l1);
    char *mixed = join(plain, enc8, &blen);
    assert_int_equal(add_fail(fresh, mixed, blen, "mixed.pem", &err), SK_EPARSE);
    assert_non_null(strstr(tu_err_line(&err), "PEM block 2"));
    assert_int_equal(sk_keyring_count(fresh), 0);

    free_pem(mixed, blen);
    free_pem(plain, l1);
    free_pem(enc8, l8);
    free_pem(enct, lt);
    sk_keyring_free(fresh);
    sk_keyring_free(kr);
}

static void test_non_rsa_refused(void **state)
{
    (void)state;
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(ec);
    sk_keyring *kr = new_ring();
    sk_error err = {0};
    size_t len;
    char *pem = key_pem(ec, PKCS8, &len);
    assert_int_equal(add_fail(kr, pem, len, "ec8.pem", &err), SK_ECERT);
    assert_string_equal(tu_err_line(&err),
                        "ec8.pem: PEM block 1: the private key is EC, sealed secrets "
                        "need RSA");
    free_pem(pem, len);
    pem = key_pem(ec, TRADITIONAL, &len);
    assert_non_null(strstr(pem, "-----BEGIN EC PRIVATE KEY-----"));
    assert_int_equal(add_fail(kr, pem, len, "ec.pem", &err), SK_ECERT);
    assert_non_null(strstr(tu_err_line(&err), "the private key is EC"));
    free_pem(pem, len);
    EVP_PKEY_free(ec);

    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(ed);
    pem = key_pem(ed, PKCS8, &len);
    assert_int_equal(add_fail(kr, pem, len, "ed.pem", &err), SK_ECERT);
    assert_non_null(strstr(tu_err_line(&err), "the private key is ED25519"));
    free_pem(pem, len);
    EVP_PKEY_free(ed);
    sk_keyring_free(kr);
}

static void test_garbage_key_block(void **state)
{
    (void)state;
    sk_keyring *kr = new_ring();
    sk_error err = {0};
    const char *notder = "-----BEGIN RSA PRIVATE KEY-----\naGVsbG8gd29ybGQ=\n"
                         "-----END RSA PRIVATE KEY-----\n";
    assert_int_equal(add_fail(kr, notder, strlen(notder), "k.pem", &err), SK_EPARSE);
    assert_string_equal(tu_err_line(&err),
                        "k.pem: PEM block 1 (RSA PRIVATE KEY) is not a valid PKCS#1 key");
    const char *notder8 = "-----BEGIN PRIVATE KEY-----\naGVsbG8gd29ybGQ=\n"
                          "-----END PRIVATE KEY-----\n";
    assert_int_equal(add_fail(kr, notder8, strlen(notder8), "k8.pem", &err), SK_EPARSE);
    assert_non_null(strstr(tu_err_line(&err), "not a valid PKCS#8 key"));
    const char *bad64 = "-----BEGIN RSA PRIVATE KEY-----\n!!!*!!!\n-----END RSA PRIVATE KEY-----\n";
    assert_int_equal(add_fail(kr, bad64, strlen(bad64), "b.pem", &err), SK_EPARSE);
    assert_non_null(strstr(tu_err_line(&err), "is malformed"));
    /* Messages name the source, never key bytes. */
    assert_null(strstr(tu_err_line(&err), "!!!"));
    sk_keyring_free(kr);
}

/* ---- decryption ---- */

typedef struct raw_case {
    unsigned char *blob;
    size_t blob_len;
    char *label;
    size_t label_len;
    char *plain;
    size_t plain_len;
} raw_case;

static void raw_strict(raw_case *c)
{
    size_t b64_len;
    char *b64 = tu_data_file("interop/cases/raw-strict/blob.b64", &b64_len);
    c->blob = malloc(b64_len);
    assert_non_null(c->blob);
    assert_int_equal(sodium_base642bin(c->blob, b64_len, b64, b64_len, "\r\n", &c->blob_len, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    free(b64);
    c->label = tu_data_file("interop/cases/raw-strict/label.txt", &c->label_len);
    assert_string_equal(c->label, "demo/raw-target");
    c->plain = tu_data_file("interop/cases/raw-strict/plaintext.bin", &c->plain_len);
}

static void raw_free(raw_case *c)
{
    free(c->blob);
    free(c->label);
    free(c->plain);
}

static int decrypt(sk_keyring *kr, const raw_case *c, const unsigned char *blob, size_t blob_len,
                   sk_secbuf *pt, size_t *which, sk_error *err)
{
    return sk_keyring_decrypt(kr, (const unsigned char *)c->label, c->label_len, blob, blob_len, pt,
                              which, err);
}

static void test_decrypt_interop_blob(void **state)
{
    (void)state;
    raw_case c;
    raw_strict(&c);
    sk_keyring *kr = new_ring();
    add_shared(kr, "interop/keys/current/tls.key");
    add_shared(kr, "interop/keys/old/tls.key");
    sk_secbuf pt = SK_SECBUF_INIT;
    sk_error err = {0};
    size_t which = 99;
    assert_int_equal(decrypt(kr, &c, c.blob, c.blob_len, &pt, &which, &err), SK_OK);
    assert_int_equal(which, 0);
    assert_int_equal(pt.len, c.plain_len);
    assert_memory_equal(pt.data, c.plain, c.plain_len);
    sk_secbuf_free(&pt);
    sk_keyring_free(kr);

    /* Ring order [old, current]: the index follows. which may be NULL. */
    kr = new_ring();
    add_shared(kr, "interop/keys/old/tls.key");
    add_shared(kr, "interop/keys/current/tls.key");
    assert_int_equal(decrypt(kr, &c, c.blob, c.blob_len, &pt, &which, &err), SK_OK);
    assert_int_equal(which, 1);
    sk_secbuf_free(&pt);
    assert_int_equal(decrypt(kr, &c, c.blob, c.blob_len, &pt, NULL, &err), SK_OK);
    assert_memory_equal(pt.data, c.plain, c.plain_len);
    sk_secbuf_free(&pt);
    sk_keyring_free(kr);
    raw_free(&c);
}

static void test_decrypt_wrong_key(void **state)
{
    (void)state;
    raw_case c;
    raw_strict(&c);
    sk_keyring *kr = new_ring();
    add_shared(kr, "interop/keys/old/tls.key");
    sk_secbuf pt = SK_SECBUF_INIT;
    sk_error err = {0};
    assert_int_equal(decrypt(kr, &c, c.blob, c.blob_len, &pt, NULL, &err), SK_EDECRYPT);
    assert_int_equal(err.code, SK_EDECRYPT);
    assert_non_null(strstr(tu_err_line(&err), "no key could decrypt it: "));
    assert_non_null(strstr(tu_err_line(&err), "RSA-OAEP"));
    assert_null(pt.data);
    sk_keyring_free(kr);

    /* Right key, wrong label: both 4096-bit keys are tried. */
    kr = new_ring();
    add_shared(kr, "interop/keys/current/tls.key");
    add_shared(kr, "interop/keys/old/tls.key");
    assert_int_equal(sk_keyring_decrypt(kr, (const unsigned char *)"demo/other", 10, c.blob,
                                        c.blob_len, &pt, NULL, &err),
                     SK_EDECRYPT);
    assert_non_null(strstr(tu_err_line(&err), "no key could decrypt it (2 keys tried; last: "));
    sk_keyring_free(kr);

    /* An empty ring. */
    kr = new_ring();
    assert_int_equal(decrypt(kr, &c, c.blob, c.blob_len, &pt, NULL, &err), SK_EDECRYPT);
    assert_non_null(strstr(tu_err_line(&err), "no key could decrypt it"));
    sk_keyring_free(kr);
    raw_free(&c);
}

static EVP_PKEY *rsa2048(void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    assert_non_null(key);
    return key;
}

static void add_evp(sk_keyring *kr, EVP_PKEY *key)
{
    size_t len;
    char *pem = key_pem(key, TRADITIONAL, &len);
    assert_int_equal(add_ok(kr, pem, len, "generated.pem"), 1);
    free_pem(pem, len);
}

static void test_decrypt_size_filter(void **state)
{
    (void)state;
    raw_case c;
    raw_strict(&c);
    EVP_PKEY *small = rsa2048();
    sk_keyring *kr = new_ring();
    add_evp(kr, small);
    assert_int_equal(sk_keyring_bits(kr, 0), 2048);
    sk_secbuf pt = SK_SECBUF_INIT;
    sk_error err = {0};
    assert_int_equal(decrypt(kr, &c, c.blob, c.blob_len, &pt, NULL, &err), SK_EDECRYPT);
    assert_string_equal(tu_err_line(&err),
                        "no key could decrypt it: no key of 4096 bits (the blob needs one)");

    /* Mixed sizes: each blob goes to the key of its size. */
    add_shared(kr, "interop/keys/current/tls.key");
    unsigned char *blob = NULL;
    size_t blob_len = 0;
    const unsigned char msg[] = "small-key secret";
    assert_int_equal(sk_hybrid_encrypt(small, (const unsigned char *)c.label, c.label_len, msg,
                                       sizeof msg - 1, &blob, &blob_len, &err),
                     SK_OK);
    assert_int_equal(sk_blob_rsa_len(blob, blob_len), 256);
    size_t which = 99;
    assert_int_equal(decrypt(kr, &c, blob, blob_len, &pt, &which, &err), SK_OK);
    assert_int_equal(which, 0);
    assert_memory_equal(pt.data, msg, sizeof msg - 1);
    sk_secbuf_free(&pt);
    assert_int_equal(decrypt(kr, &c, c.blob, c.blob_len, &pt, &which, &err), SK_OK);
    assert_int_equal(which, 1);
    sk_secbuf_free(&pt);

    /* A blob too short to carry a header is tried with every key and fails. */
    assert_int_equal(decrypt(kr, &c, blob, 1, &pt, NULL, &err), SK_EDECRYPT);
    assert_non_null(strstr(tu_err_line(&err), "no key could decrypt it"));
    assert_non_null(strstr(tu_err_line(&err), "too short"));
    free(blob);
    EVP_PKEY_free(small);
    sk_keyring_free(kr);
    raw_free(&c);
}

/*
 * The ring tries the key that worked last first. A blob whose RSA part opens
 * with "current" but whose GCM tag is broken tells the order apart: the
 * reason reported is that of the key tried last.
 */
static void test_decrypt_tries_last_key_first(void **state)
{
    (void)state;
    raw_case c;
    raw_strict(&c);
    sk_keyring *kr = new_ring();
    add_shared(kr, "interop/keys/current/tls.key");
    add_shared(kr, "interop/keys/old/tls.key");
    unsigned char *broken = malloc(c.blob_len);
    assert_non_null(broken);
    memcpy(broken, c.blob, c.blob_len);
    broken[c.blob_len - 1] ^= 0x01;

    sk_secbuf pt = SK_SECBUF_INIT;
    sk_error err = {0};
    /* Fresh ring: current then old, so the last reason is old's RSA failure. */
    assert_int_equal(decrypt(kr, &c, broken, c.blob_len, &pt, NULL, &err), SK_EDECRYPT);
    assert_non_null(strstr(tu_err_line(&err), "RSA-OAEP"));

    /* Open something sealed for old: old is now tried first, current last. */
    unsigned char *blob = NULL;
    size_t blob_len = 0;
    const unsigned char msg[] = "x";
    assert_int_equal(sk_hybrid_encrypt(sk_keyring_key(kr, 1), (const unsigned char *)c.label,
                                       c.label_len, msg, 1, &blob, &blob_len, &err),
                     SK_OK);
    size_t which = 99;
    assert_int_equal(decrypt(kr, &c, blob, blob_len, &pt, &which, &err), SK_OK);
    assert_int_equal(which, 1);
    sk_secbuf_free(&pt);
    assert_int_equal(decrypt(kr, &c, broken, c.blob_len, &pt, NULL, &err), SK_EDECRYPT);
    assert_non_null(strstr(tu_err_line(&err), "AES-GCM"));
    assert_null(pt.data);

    /* And the good blob still opens with the right index afterwards. */
    assert_int_equal(decrypt(kr, &c, c.blob, c.blob_len, &pt, &which, &err), SK_OK);
    assert_int_equal(which, 0);
    sk_secbuf_free(&pt);
    free(blob);
    free(broken);
    sk_keyring_free(kr);
    raw_free(&c);
}

/*
 * The hint of a SealedSecret's items (keys_internal.h): its RSA parts are all below the
 * modulus of the key that sealed them. Two keys whose moduli differ by 0.62:1
 * (tests/data/keys/order-*-modulus.key), 40 items: the parts of the larger key's items all stay
 * below the smaller modulus with probability 0.62^40 < 1e-8.
 */
#define HINT_ITEMS 40

static void seal_items(EVP_PKEY *key, const raw_case *c, char **b64)
{
    sk_error err = {0};
    for (size_t i = 0; i < HINT_ITEMS; i++) {
        unsigned char *blob = NULL;
        size_t blob_len = 0;
        assert_int_equal(sk_hybrid_encrypt(key, (const unsigned char *)c->label, c->label_len,
                                           (const unsigned char *)"v", 1, &blob, &blob_len, &err),
                         SK_OK);
        assert_int_equal(sk_base64_encode(blob, blob_len, &b64[i], &err), SK_OK);
        free(blob);
    }
}

/* Opens one base64 item, which key want must open. */
static void open_b64(sk_keyring *kr, const raw_case *c, const char *b64, size_t want)
{
    sk_secbuf blob = SK_SECBUF_INIT, pt = SK_SECBUF_INIT;
    sk_error err = {0};
    size_t which = 99;
    assert_int_equal(sk_base64_decode(b64, strlen(b64), &blob, &err), SK_OK);
    assert_int_equal(decrypt(kr, c, blob.data, blob.len, &pt, &which, &err), SK_OK);
    assert_int_equal(which, want);
    sk_secbuf_free(&blob);
    sk_secbuf_free(&pt);
}

/*
 * Opens every item, with the hint (hint 1), with it after junk that is not base64 (2, it is
 * passed over) or without (0); returns the decryptions it took.
 */
static size_t open_items(sk_keyring *kr, const raw_case *c, char **b64, int hint, size_t want)
{
    size_t before = sk_keyring_tries(kr);
    sk_keyring_hint_begin(kr);
    if (hint == 2) {
        sk_keyring_hint_item(kr, "!!!!not base64 at all!!!!", 25);
        sk_keyring_hint_item(kr, "AQAB", 4);
    }
    for (size_t i = 0; hint && i < HINT_ITEMS; i++)
        sk_keyring_hint_item(kr, b64[i], strlen(b64[i]));
    for (size_t i = 0; i < HINT_ITEMS; i++) {
        open_b64(kr, c, b64[i], want);
    }
    sk_keyring_hint_begin(kr);
    return sk_keyring_tries(kr) - before;
}

/* Makes key i the most recently successful one. */
static void use_key(sk_keyring *kr, const raw_case *c, size_t i)
{
    char *one[HINT_ITEMS] = {0};
    seal_items(sk_keyring_key(kr, i), c, one);
    open_b64(kr, c, one[0], i);
    for (size_t k = 0; k < HINT_ITEMS; k++)
        free(one[k]);
}

/* A ring of two keys whose moduli differ in their leading bytes by 1.6 times. */
static sk_keyring *order_ring(raw_case *c)
{
    raw_strict(c);
    sk_keyring *kr = new_ring();
    add_shared(kr, "keys/order-small-modulus.key"); /* 0 */
    add_shared(kr, "keys/order-large-modulus.key"); /* 1 */
    return kr;
}

static void test_decrypt_hint_order(void **state)
{
    (void)state;
    raw_case c;
    sk_keyring *kr = order_ring(&c);
    char *small[HINT_ITEMS] = {0}, *large[HINT_ITEMS] = {0};
    seal_items(sk_keyring_key(kr, 0), &c, small);
    seal_items(sk_keyring_key(kr, 1), &c, large);

    /* Without a hint the last key that worked goes first: one wasted try, then it is learnt. */
    use_key(kr, &c, 0);
    assert_int_equal(open_items(kr, &c, large, 0, 1), HINT_ITEMS + 1);
    use_key(kr, &c, 1);
    assert_int_equal(open_items(kr, &c, small, 0, 0), HINT_ITEMS + 1);

    /* The large key's parts exceed the small modulus: the small key cannot have sealed them. */
    use_key(kr, &c, 0);
    assert_int_equal(open_items(kr, &c, large, 1, 1), HINT_ITEMS);
    /* Both moduli are above the small key's parts; 40 parts below the smaller one are 1.6^40
     * times likelier under it than under the larger, which outweighs being the last used. */
    use_key(kr, &c, 1);
    assert_int_equal(open_items(kr, &c, small, 1, 0), HINT_ITEMS);

    use_key(kr, &c, 1);
    assert_int_equal(open_items(kr, &c, small, 2, 0), HINT_ITEMS);
    for (size_t i = 0; i < HINT_ITEMS; i++) {
        free(small[i]);
        free(large[i]);
    }
    sk_keyring_free(kr);
    raw_free(&c);
}

/* Opens one item of a SealedSecret sealed by key i, as reseal does: a hint scope of its own. */
static void open_secret(sk_keyring *kr, const raw_case *c, size_t i)
{
    sk_keyring_hint_begin(kr);
    use_key(kr, c, i);
    sk_keyring_hint_begin(kr);
}

/* Opens b64 with only its own part hinted; returns the decryptions it took. */
static size_t open_one_hinted(sk_keyring *kr, const raw_case *c, const char *b64, size_t want)
{
    size_t before = sk_keyring_tries(kr);
    sk_keyring_hint_begin(kr);
    sk_keyring_hint_item(kr, b64, strlen(b64));
    open_b64(kr, c, b64, want);
    sk_keyring_hint_begin(kr);
    return sk_keyring_tries(kr) - before;
}

/*
 * The prior is how many SealedSecrets each key opened, not which one opened the last: files
 * sealed under three old keys and walked in name order rarely follow their own key.
 */
static void test_decrypt_hint_prior(void **state)
{
    (void)state;
    raw_case c;
    sk_keyring *kr = order_ring(&c);
    char *small[HINT_ITEMS] = {0};
    seal_items(sk_keyring_key(kr, 0), &c, small);
    for (int k = 0; k < 3; k++)
        open_secret(kr, &c, 0);
    open_secret(kr, &c, 1); /* the large key is the last that worked */
    /*
     * One part of the small key's, below both moduli, is 1.6 times likelier under the small
     * key; its three SealedSecrets to the large key's one (shares 4:2, with one added to each)
     * keep it first, where weighing the last key that worked 4:1 would have tried the large key
     * first. The large key has never been followed by either key: no turns to go by.
     */
    assert_int_equal(open_one_hinted(kr, &c, small[0], 0), 1);
    for (size_t i = 0; i < HINT_ITEMS; i++)
        free(small[i]);
    sk_keyring_free(kr);
    raw_free(&c);
}

/* An item sealed by key `by` whose RSA part is below the modulus of key `below`. */
static char *item_below(sk_keyring *kr, const raw_case *c, size_t by, size_t below)
{
    BIGNUM *n = NULL;
    size_t len = (size_t)EVP_PKEY_get_size(sk_keyring_key(kr, below));
    unsigned char top[1024];
    assert_true(len <= sizeof top);
    assert_true(EVP_PKEY_get_bn_param(sk_keyring_key(kr, below), OSSL_PKEY_PARAM_RSA_N, &n));
    assert_int_equal(BN_bn2binpad(n, top, (int)len), (int)len);
    BN_free(n);
    for (int tries = 0; tries < 64; tries++) {
        char *one[HINT_ITEMS] = {0};
        seal_items(sk_keyring_key(kr, by), c, one);
        char *found = NULL;
        for (size_t i = 0; i < HINT_ITEMS; i++) {
            sk_secbuf blob = SK_SECBUF_INIT;
            sk_error err = {0};
            assert_int_equal(sk_base64_decode(one[i], strlen(one[i]), &blob, &err), SK_OK);
            if (found == NULL && blob.len > 2 + len && memcmp(blob.data + 2, top, len) < 0)
                found = one[i], one[i] = NULL;
            sk_secbuf_free(&blob);
            free(one[i]);
        }
        if (found != NULL) return found;
    }
    fail_msg("no item below the smaller modulus");
    return NULL;
}

/*
 * SealedSecrets that came in turns: after one of the small key's comes one of the large key's,
 * though the small key opened more of them and a part below both moduli is 1.6 times likelier
 * under the small key. Weighing only the shares (5:4) would try the small key first.
 */
static void test_decrypt_hint_follows(void **state)
{
    (void)state;
    raw_case c;
    sk_keyring *kr = order_ring(&c);
    char *large = item_below(kr, &c, 1, 0);
    for (int k = 0; k < 7; k++)
        open_secret(kr, &c, (size_t)(k % 2)); /* small, large, ..., small */
    assert_int_equal(open_one_hinted(kr, &c, large, 1), 1);
    free(large);
    sk_keyring_free(kr);
    raw_free(&c);
}

/* ---- who else can reach the keys ---- */

static char *write_key(const char *dir, const char *name, unsigned mode)
{
    size_t len = 0;
    char *pem = tu_data_file("interop/keys/current/tls.key", &len);
    char *path = tu_path(dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(pem, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
    free(pem);
    return path;
}

/* The exposures a load of paths reports, as "kind mode path" lines. */
static void expect_exposed(const char *const *paths, size_t n, size_t want_n, int kind,
                           unsigned mode, const char *path)
{
    sk_keyring *kr = new_ring();
    sk_error err = {0};
    int rc = sk_keyring_load(kr, paths, n, &err);
    if (rc != SK_OK) print_error("load: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    if (sk_keyring_exposure_count(kr) != want_n)
        for (size_t i = 0; i < sk_keyring_exposure_count(kr); i++)
            print_error("exposed: %d %04o %s\n", sk_keyring_exposure(kr, i)->kind,
                        sk_keyring_exposure(kr, i)->mode, sk_keyring_exposure(kr, i)->path);
    assert_int_equal(sk_keyring_exposure_count(kr), want_n);
    if (want_n > 0) {
        const sk_key_exposure *x = sk_keyring_exposure(kr, 0);
        assert_int_equal(x->kind, kind);
        assert_int_equal(x->mode, mode);
        assert_string_equal(x->path, path);
    }
    assert_null(sk_keyring_exposure(kr, want_n));
    sk_keyring_free(kr);
}

static void test_exposed_key_file(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/sk-keys-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    assert_int_equal(chmod(dir, 0700), 0);
    char *key = write_key(dir, "tls.key", 0644);
    const char *one[] = {key};
    expect_exposed(one, 1, 1, SK_KEY_FILE_READABLE, 0644, key);
    assert_int_equal(chmod(key, 0640), 0);
    expect_exposed(one, 1, 1, SK_KEY_FILE_READABLE, 0640, key);
    assert_int_equal(chmod(key, 0600), 0);
    expect_exposed(one, 1, 0, 0, 0, NULL);
    /* Others may replace a file in a folder they can write to, unless the sticky bit stops them. */
    assert_int_equal(chmod(dir, 0777), 0);
    expect_exposed(one, 1, 1, SK_KEY_DIR_WRITABLE, 0777, dir);
    assert_int_equal(chmod(dir, 01777), 0);
    expect_exposed(one, 1, 0, 0, 0, NULL);
    /* A folder given as the key path: others can add a key even with the sticky bit. */
    const char *folder[] = {dir};
    expect_exposed(folder, 1, 1, SK_KEY_DIR_WRITABLE, 01777, dir);
    assert_int_equal(chmod(dir, 0755), 0);
    expect_exposed(folder, 1, 0, 0, 0, NULL);
    assert_int_equal(unlink(key), 0);
    assert_int_equal(rmdir(dir), 0);
    free(key);
}

/* A Secret volume: tls.key -> ..data/tls.key, ..data -> ..2026_01_01; the target's mode counts. */
static void test_exposed_secret_volume(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/sk-vol-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    assert_int_equal(chmod(dir, 0755), 0);
    char *ts = tu_path(dir, "..2026_01_01");
    char *data = tu_path(dir, "..data");
    char *link = tu_path(dir, "tls.key");
    assert_int_equal(mkdir(ts, 0755), 0);
    char *target = write_key(ts, "tls.key", 0644);
    assert_int_equal(symlink("..2026_01_01", data), 0);
    assert_int_equal(symlink("..data/tls.key", link), 0);
    const char *folder[] = {dir};
    expect_exposed(folder, 1, 1, SK_KEY_FILE_READABLE, 0644, link);
    assert_int_equal(chmod(target, 0400), 0);
    expect_exposed(folder, 1, 0, 0, 0, NULL);
    const char *named[] = {link};
    expect_exposed(named, 1, 0, 0, 0, NULL);
    assert_int_equal(unlink(link), 0);
    assert_int_equal(unlink(data), 0);
    assert_int_equal(unlink(target), 0);
    assert_int_equal(rmdir(ts), 0);
    assert_int_equal(rmdir(dir), 0);
    free(target);
    free(link);
    free(data);
    free(ts);
}

/* ---- the secure heap ---- */

/* Runs last: the heap is process-wide, and the keys loaded after it live there. */
static void test_keys_in_secure_heap(void **state)
{
    (void)state;
    int locked = -1;
    sk_error err = {0};
    assert_int_equal(sk_keys_secure_heap_init((size_t)1 << 20, &locked, &err), SK_OK);
    assert_true(locked == 0 || locked == 1);
    assert_true(CRYPTO_secure_malloc_initialized());
    size_t before = CRYPTO_secure_used();
    sk_keyring *kr = new_ring();
    const char *paths[] = {SK_TEST_DATA_DIR "/interop/keys/current/tls.key"};
    assert_int_equal(sk_keyring_load(kr, paths, 1, &err), SK_OK);
    /* d, p, q, dp, dq and qinv of a 4096-bit key: 512 + 5 * 256 bytes at least. */
    size_t used = CRYPTO_secure_used();
    if (used < before + 1792)
        print_error("secure heap: %zu bytes before, %zu after\n", before, used);
    assert_true(used >= before + 1792);
    /* Opening a blob works with the key there, and freeing the ring gives the memory back. */
    raw_case c;
    raw_strict(&c);
    sk_secbuf pt = SK_SECBUF_INIT;
    assert_int_equal(decrypt(kr, &c, c.blob, c.blob_len, &pt, NULL, &err), SK_OK);
    sk_secbuf_free(&pt);
    raw_free(&c);
    sk_keyring_free(kr);
    assert_true(CRYPTO_secure_used() <= before + 1024);
    /* A second call only reports. */
    int again = -1;
    assert_int_equal(sk_keys_secure_heap_init((size_t)1 << 12, &again, &err), SK_OK);
    assert_int_equal(again, locked);
}

int main(void)
{
    assert_int_equal(sk_init(), SK_OK);
    assert_int_equal(sk_json_wipe_on_free(), SK_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pkcs1_interop_key),
        cmocka_unit_test(test_pkcs1_and_pkcs8_collapse),
        cmocka_unit_test(test_two_keys_in_one_text),
        cmocka_unit_test(test_no_private_key),
        cmocka_unit_test(test_encrypted_refused),
        cmocka_unit_test(test_non_rsa_refused),
        cmocka_unit_test(test_garbage_key_block),
        cmocka_unit_test(test_decrypt_interop_blob),
        cmocka_unit_test(test_decrypt_wrong_key),
        cmocka_unit_test(test_decrypt_size_filter),
        cmocka_unit_test(test_decrypt_tries_last_key_first),
        cmocka_unit_test(test_decrypt_hint_order),
        cmocka_unit_test(test_decrypt_hint_prior),
        cmocka_unit_test(test_decrypt_hint_follows),
        cmocka_unit_test(test_public_half),
        cmocka_unit_test(test_exposed_key_file),
        cmocka_unit_test(test_exposed_secret_volume),
        cmocka_unit_test(test_keys_in_secure_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
