/*
 * Known-answer tests: Wycheproof vectors (tests/data/wycheproof, Apache-2.0)
 * against the exact RSA-OAEP and AES-GCM primitives the hybrid cipher uses.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <sealkit/sealkit.h>

#include "crypto/crypto_internal.h"
#include "testutil.h"

typedef struct {
    size_t valid, invalid, acceptable;
} counts;

static json_t *load_vectors(const char *file)
{
    char *path = tu_path(SK_TEST_DATA_DIR "/wycheproof", file);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL) print_error("%s:%d: %s\n", path, jerr.line, jerr.text);
    assert_non_null(root);
    free(path);
    return root;
}

static const char *str_member(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    assert_non_null(s);
    return s;
}

static size_t int_member(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    assert_true(json_is_integer(v));
    return (size_t)json_integer_value(v);
}

/* Hex member decoded into a malloc'd buffer (never NULL, even when empty). */
static unsigned char *hex_member(const json_t *obj, const char *key, size_t *len)
{
    const char *hex = str_member(obj, key);
    size_t cap = strlen(hex) / 2 + 1;
    unsigned char *bin = malloc(cap);
    assert_non_null(bin);
    const char *end = NULL;
    assert_int_equal(sodium_hex2bin(bin, cap, hex, strlen(hex), NULL, len, &end), 0);
    assert_ptr_equal(end, hex + strlen(hex));
    return bin;
}

static void count(counts *c, const char *result)
{
    if (strcmp(result, "valid") == 0)
        c->valid++;
    else if (strcmp(result, "invalid") == 0)
        c->invalid++;
    else {
        assert_string_equal(result, "acceptable");
        c->acceptable++;
    }
}

/* ---- RSA-OAEP-SHA256 / MGF1-SHA256 decryption ---- */

static EVP_PKEY *pem_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    assert_non_null(bio);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(k);
    BIO_free(bio);
    return k;
}

static void run_oaep_case(EVP_PKEY *key, const json_t *t, counts *c)
{
    size_t ct_len = 0, label_len = 0, msg_len = 0;
    unsigned char *ct = hex_member(t, "ct", &ct_len);
    unsigned char *label = hex_member(t, "label", &label_len);
    unsigned char *msg = hex_member(t, "msg", &msg_len);
    const char *result = str_member(t, "result");
    sk_secbuf out = SK_SECBUF_INIT;
    sk_error err = {0};
    int rc = sk_rsa_oaep_sha256_decrypt(key, label, label_len, ct, ct_len, &out, &err);
    size_t id = int_member(t, "tcId");
    if (strcmp(result, "valid") == 0) {
        if (rc != SK_OK) print_error("tcId %zu: %s\n", id, tu_err_line(&err));
        assert_int_equal(rc, SK_OK);
        assert_int_equal(out.len, msg_len);
        if (msg_len > 0) assert_memory_equal(out.data, msg, msg_len);
    } else if (strcmp(result, "invalid") == 0) {
        if (rc == SK_OK) print_error("tcId %zu: invalid ciphertext accepted\n", id);
        assert_int_not_equal(rc, SK_OK);
        /* Nothing of a refused ciphertext is left: empty, and the block (kept for reuse) wiped. */
        assert_int_equal(out.len, 0);
        for (size_t i = 0; out.data != NULL && i <= out.cap; i++)
            assert_int_equal(out.data[i], 0);
    }
    count(c, result);
    sk_secbuf_free(&out);
    free(ct);
    free(label);
    free(msg);
}

static void run_oaep_file(const char *file, size_t bits)
{
    json_t *root = load_vectors(file);
    assert_string_equal(str_member(root, "algorithm"), "RSAES-OAEP");
    counts c = {0, 0, 0};
    size_t gi;
    json_t *g;
    json_array_foreach(json_object_get(root, "testGroups"), gi, g)
    {
        assert_string_equal(str_member(g, "sha"), "SHA-256");
        assert_string_equal(str_member(g, "mgfSha"), "SHA-256");
        assert_int_equal(int_member(g, "keySize"), bits);
        EVP_PKEY *key = pem_key(str_member(g, "privateKeyPem"));
        assert_int_equal(EVP_PKEY_get_bits(key), (int)bits);
        size_t ti;
        json_t *t;
        json_array_foreach(json_object_get(g, "tests"), ti, t) run_oaep_case(key, t, &c);
        EVP_PKEY_free(key);
    }
    print_message("%s: %zu valid, %zu invalid, %zu acceptable\n", file, c.valid, c.invalid,
                  c.acceptable);
    assert_true(c.valid > 0);
    assert_true(c.invalid > 0);
    assert_int_equal(c.valid + c.invalid + c.acceptable, int_member(root, "numberOfTests"));
    json_decref(root);
}

static void test_oaep_2048(void **state)
{
    (void)state;
    run_oaep_file("rsa_oaep_2048_sha256_mgf1sha256_test.json", 2048);
}

static void test_oaep_3072(void **state)
{
    (void)state;
    run_oaep_file("rsa_oaep_3072_sha256_mgf1sha256_test.json", 3072);
}

static void test_oaep_4096(void **state)
{
    (void)state;
    run_oaep_file("rsa_oaep_4096_sha256_mgf1sha256_test.json", 4096);
}

/*
 * ---- AES-GCM, 96-bit IV, 128-bit tag: AES-256 seals; 128 and 192 open too, as Go's
 * aes.NewCipher takes such session keys ----
 */

static void check_gcm_seal(const unsigned char *key, size_t key_len, const unsigned char *iv,
                           size_t iv_len, const unsigned char *aad, size_t aad_len,
                           const unsigned char *msg, size_t msg_len, const unsigned char *ct,
                           const unsigned char *tag)
{
    unsigned char *got = malloc(msg_len + 1);
    unsigned char got_tag[SK_GCM_TAG_LEN];
    sk_error err = {0};
    assert_non_null(got);
    assert_int_equal(
        sk_aesgcm_seal(key, key_len, iv, iv_len, aad, aad_len, msg, msg_len, got, got_tag, &err),
        SK_OK);
    if (msg_len > 0) assert_memory_equal(got, ct, msg_len);
    assert_memory_equal(got_tag, tag, SK_GCM_TAG_LEN);
    free(got);
}

/* Returns whether the tag was accepted; checks the plaintext when it was. */
static int gcm_opens(const unsigned char *key, size_t key_len, const unsigned char *iv,
                     size_t iv_len, const unsigned char *aad, size_t aad_len,
                     const unsigned char *ct, size_t ct_len, const unsigned char *tag,
                     const unsigned char *msg)
{
    unsigned char *got = malloc(ct_len + 1);
    sk_error err = {0};
    assert_non_null(got);
    int rc = sk_aesgcm_open(key, key_len, iv, iv_len, aad, aad_len, ct, ct_len, tag, got, &err);
    if (rc == SK_OK && ct_len > 0) assert_memory_equal(got, msg, ct_len);
    if (rc != SK_OK) {
        assert_int_equal(rc, SK_EAUTH); /* the tag failed: altered */
        for (size_t i = 0; i < ct_len; i++)
            assert_int_equal(got[i], 0); /* wiped */
    }
    free(got);
    return rc == SK_OK;
}

static void run_gcm_case(const json_t *t, size_t key_bits, counts *c)
{
    size_t key_len = 0, iv_len = 0, aad_len = 0, msg_len = 0, ct_len = 0, tag_len = 0;
    unsigned char *key = hex_member(t, "key", &key_len);
    unsigned char *iv = hex_member(t, "iv", &iv_len);
    unsigned char *aad = hex_member(t, "aad", &aad_len);
    unsigned char *msg = hex_member(t, "msg", &msg_len);
    unsigned char *ct = hex_member(t, "ct", &ct_len);
    unsigned char *tag = hex_member(t, "tag", &tag_len);
    const char *result = str_member(t, "result");
    assert_int_equal(key_len * 8, key_bits);
    assert_int_equal(iv_len, 12);
    assert_int_equal(tag_len, SK_GCM_TAG_LEN);
    assert_int_equal(ct_len, msg_len);
    int opened = gcm_opens(key, key_len, iv, iv_len, aad, aad_len, ct, ct_len, tag, msg);
    if (strcmp(result, "valid") == 0) {
        check_gcm_seal(key, key_len, iv, iv_len, aad, aad_len, msg, msg_len, ct, tag);
        if (!opened) print_error("tcId %zu: valid vector rejected\n", int_member(t, "tcId"));
        assert_true(opened);
    } else if (strcmp(result, "invalid") == 0) {
        if (opened) print_error("tcId %zu: invalid vector accepted\n", int_member(t, "tcId"));
        assert_false(opened);
    }
    count(c, result);
    free(key);
    free(iv);
    free(aad);
    free(msg);
    free(ct);
    free(tag);
}

static void run_gcm_size(const json_t *root, size_t bits)
{
    counts c = {0, 0, 0};
    size_t groups = 0, gi;
    json_t *g;
    json_array_foreach(json_object_get(root, "testGroups"), gi, g)
    {
        if (int_member(g, "keySize") != bits || int_member(g, "ivSize") != 96 ||
            int_member(g, "tagSize") != 128)
            continue;
        groups++;
        size_t ti;
        json_t *t;
        json_array_foreach(json_object_get(g, "tests"), ti, t) run_gcm_case(t, bits, &c);
    }
    print_message("aes_gcm_test.json (AES-%zu, 96-bit IV, 128-bit tag; %zu groups): %zu valid, "
                  "%zu invalid, %zu acceptable\n",
                  bits, groups, c.valid, c.invalid, c.acceptable);
    assert_true(groups > 0);
    assert_true(c.valid > 0);
    assert_true(c.invalid > 0);
}

static void test_aes_gcm(void **state)
{
    (void)state;
    json_t *root = load_vectors("aes_gcm_test.json");
    assert_string_equal(str_member(root, "algorithm"), "AES-GCM");
    run_gcm_size(root, 128);
    run_gcm_size(root, 192);
    run_gcm_size(root, 256);
    json_decref(root);
}

int main(void)
{
    if (sk_init() != SK_OK) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oaep_2048),
        cmocka_unit_test(test_oaep_3072),
        cmocka_unit_test(test_oaep_4096),
        cmocka_unit_test(test_aes_gcm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
