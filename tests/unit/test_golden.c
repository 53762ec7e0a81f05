/*
 * Golden tests: with the deterministic RNG hook, sealing is a pure function,
 * so the exact JSON and YAML bytes are compared with hand-checked files in
 * tests/data/golden/. Set SK_GOLDEN_WRITE=1 to write the files afresh (then
 * read them again by hand before committing).
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "operations/testhooks.h"
#include "testutil.h"

static json_t *seal_golden(const char *seed, int has_scope, sk_scope scope)
{
    sk_error err = {0};
    char *crt = tu_path(SK_TEST_DATA_DIR, "interop/keys/current/tls.crt");
    char *in = tu_path(SK_TEST_DATA_DIR, "golden/secret.yaml");
    size_t len;
    char *text = tu_read_file(in, &len);
    sk_pubkey *pk = NULL;
    sk_rng *rng = NULL;
    sk_docs docs = {0};
    sk_secret *s = NULL;
    sk_origin *origins = NULL;
    size_t n = 0;
    json_t *sealed = NULL;
    /* Pinned inside the certificate's validity so the test never expires. */
    assert_int_equal(sk_pubkey_from_file(crt, 1893456000 /* 2030-01-01 */, &pk, &err), SK_OK);
    assert_int_equal(
        sk_rng_new_deterministic((const unsigned char *)seed, strlen(seed), &rng, &err), SK_OK);
    assert_int_equal(sk_docs_parse((unsigned char *)text, len, in, &docs, &err), SK_OK);
    assert_int_equal(sk_secrets_from_docs(&docs, &s, &origins, &n, &err), SK_OK);
    sk_seal_opts o = {.version = SK_SEAL_OPTS_VERSION, .has_scope = has_scope, .scope = scope};
    assert_int_equal(sk_seal_secret_rng(&s[0], pk, &o, rng, &sealed, &err), SK_OK);
    sk_secrets_free(s, origins, n);
    sk_docs_free(&docs);
    sk_rng_free(rng);
    sk_pubkey_free(pk);
    free(text), free(in), free(crt);
    return sealed;
}

static void compare_or_write(const sk_secbuf *got, const char *rel)
{
    char *path = tu_path(SK_TEST_DATA_DIR, rel);
    if (getenv("SK_GOLDEN_WRITE") != NULL) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(got->data, 1, got->len, f), got->len);
        fclose(f);
    }
    size_t len;
    char *want = tu_read_file(path, &len);
    if (len != got->len || memcmp(want, got->data, len) != 0)
        print_error("%s differs from the output:\n%s\n", rel, got->data);
    assert_int_equal(len, got->len);
    assert_memory_equal(want, got->data, len);
    free(want);
    free(path);
}

static void check(const char *seed, int has_scope, sk_scope scope, const char *json_file,
                  const char *yaml_file)
{
    sk_error err = {0};
    json_t *sealed = seal_golden(seed, has_scope, scope);
    sk_secbuf out = SK_SECBUF_INIT;
    assert_int_equal(sk_emit_json(sealed, &out, &err), SK_OK);
    compare_or_write(&out, json_file);
    sk_secbuf_free(&out);
    assert_int_equal(sk_emit_yaml(sealed, &out, &err), SK_OK);
    compare_or_write(&out, yaml_file);
    sk_secbuf_free(&out);
    json_decref(sealed);
}

static void test_strict(void **state)
{
    (void)state;
    check("sealkit golden 1", 0, SK_SCOPE_STRICT, "golden/strict.json", "golden/strict.yaml");
}

static void test_namespace_wide(void **state)
{
    (void)state;
    check("sealkit golden 2", 1, SK_SCOPE_NAMESPACE_WIDE, "golden/namespace-wide.json",
          "golden/namespace-wide.yaml");
}

/* The same seed gives the same bytes; another seed other blobs but the same shape. */
static void test_seed_matters(void **state)
{
    (void)state;
    sk_error err = {0};
    json_t *a = seal_golden("x", 0, SK_SCOPE_STRICT), *b = seal_golden("x", 0, SK_SCOPE_STRICT);
    json_t *c = seal_golden("y", 0, SK_SCOPE_STRICT);
    sk_secbuf ja = SK_SECBUF_INIT, jb = SK_SECBUF_INIT, jc = SK_SECBUF_INIT;
    assert_int_equal(sk_emit_json(a, &ja, &err), SK_OK);
    assert_int_equal(sk_emit_json(b, &jb, &err), SK_OK);
    assert_int_equal(sk_emit_json(c, &jc, &err), SK_OK);
    assert_int_equal(ja.len, jb.len);
    assert_memory_equal(ja.data, jb.data, ja.len);
    assert_int_equal(ja.len, jc.len);
    assert_true(memcmp(ja.data, jc.data, ja.len) != 0);
    sk_secbuf_free(&ja), sk_secbuf_free(&jb), sk_secbuf_free(&jc);
    json_decref(a), json_decref(b), json_decref(c);
}

int main(void)
{
    if (sk_init() != SK_OK || sk_json_wipe_on_free() != SK_OK) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_namespace_wide),
        cmocka_unit_test(test_seed_matters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
