/*
 * Out of memory in jansson: every tree-building entry point is run again and
 * again with its Nth jansson allocation failing (N = 1, 2, 3, ... until a run
 * makes fewer than N allocations). Each run must either return SK_ENOMEM and
 * leave no jansson block behind, or return SK_OK with exactly the output of
 * the run without a failure: never a manifest missing a member.
 *
 * The counting allocator sits in front of sealkit's (sk_json_wipe_on_free),
 * which it calls for every allocation it does not fail; a failure it makes
 * up is reported with sk_json_alloc_failed, as sealkit's allocator reports a
 * malloc that fails (json_alloc.h). Leaks of other memory are ASan's to find
 * (the sanitizer build).
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json_alloc.h"
#include "operations/testhooks.h"
#include "testutil.h"

/* ---- the counting allocator ---- */

static json_malloc_t next_malloc;
static json_free_t next_free;
static long calls;   /* allocations since arm() */
static long fail_at; /* the allocation to fail; 0: none */
static long live;    /* jansson blocks allocated and not yet freed */
static int injected; /* a failure was made up since arm() */

static void *counting_malloc(size_t n)
{
    if (fail_at > 0 && ++calls == fail_at) {
        injected = 1;
        sk_json_alloc_failed();
        return NULL;
    }
    void *p = next_malloc(n);
    if (p != NULL) live++;
    return p;
}

static void counting_free(void *p)
{
    if (p != NULL) live--;
    next_free(p);
}

static void arm(long n)
{
    calls = 0;
    injected = 0;
    fail_at = n;
}

static void disarm(void)
{
    fail_at = 0;
}

/* ---- fixtures, made with no failure armed ---- */

static struct {
    sk_pubkey *pk;
    sk_keyring *kr;
    sk_keypair *kp;
    char *secret_yaml; /* tests/data/golden/secret.yaml */
    size_t secret_yaml_len;
    char *sealed_json; /* tests/data/golden/strict.json */
    size_t sealed_json_len;
    sk_secbuf docker_sealed; /* a sealed kubernetes.io/dockerconfigjson Secret, as JSON */
} fx;

/* Every JSON shape jansson's reader builds: escapes, numbers, nesting, two documents. */
static const char json_stream[] =
    "{\"kind\": \"ConfigMap\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"cm\"},\n"
    " \"data\": {\"text\": \"caf\\u00e9 \\\"quoted\\\" \\n a long value past sixteen bytes\"},\n"
    " \"list\": [1, -2, 3.5, 1e3, true, false, null, [], {}, [[\"deep\"]]]}\n"
    "{\"kind\": \"List\", \"items\": [{\"a\": \"b\"}, {\"c\": {\"d\": [\"e\", \"f\"]}}]}\n";

/* The YAML reader: block and flow styles, tags, every scalar type, two documents. */
static const char yaml_stream[] = "apiVersion: v1\n"
                                  "kind: ConfigMap\n"
                                  "metadata: {name: cm, labels: {a: b}}\n"
                                  "data:\n"
                                  "  text: |\n"
                                  "    a block scalar\n"
                                  "    of two lines\n"
                                  "  quoted: \"x\\ty\"\n"
                                  "list: [1, -2, 3.5, 0x1F, yes, ~, !!float 2, !!str 3]\n"
                                  "---\n"
                                  "- {a: [b, c]}\n"
                                  "- d\n";

static const char merge_from[] =
    "{\"spec\": {\"encryptedData\": {\"zz\": \"AAAA\", \"0a\": \"BBBB\", \"key9\": \"CCCC\"},"
    " \"template\": {\"metadata\": {\"labels\": {\"new\": \"x\"}, \"annotations\": {\"b\": "
    "\"y\"}}}}}";

static sk_rng *new_rng(void)
{
    sk_rng *rng = NULL;
    assert_int_equal(sk_rng_new_deterministic((const unsigned char *)"oom", 3, &rng, NULL), SK_OK);
    return rng;
}

static void parse(const char *text, size_t len, sk_docs *docs)
{
    sk_error err = {0};
    if (sk_docs_parse((const unsigned char *)text, len, "fixture", docs, &err) != SK_OK)
        fail_msg("fixture: %s", tu_err_line(&err));
}

static void read_secret(sk_docs *docs, sk_secret **s, sk_origin **o)
{
    size_t n = 0;
    parse(fx.secret_yaml, fx.secret_yaml_len, docs);
    assert_int_equal(sk_secrets_from_docs(docs, s, o, &n, NULL), SK_OK);
    assert_int_equal(n, 1);
}

static void emit_all(const sk_docs *docs, sk_secbuf *out)
{
    for (size_t i = 0; i < docs->n; i++)
        assert_int_equal(sk_emit_json(docs->doc[i], out, NULL), SK_OK);
}

static void emit_secret(const sk_secret *s, sk_secbuf *out)
{
    json_t *tree = NULL;
    assert_int_equal(sk_secret_to_json(s, &tree, NULL), SK_OK);
    assert_int_equal(sk_emit_yaml(tree, out, NULL), SK_OK);
    json_decref(tree);
}

/* Checks that a failing call explains itself. */
static int checked(int rc, const sk_error *err)
{
    if (rc != SK_OK) assert_int_equal(err->code, rc);
    return rc;
}

static int group_setup(void **state)
{
    (void)state;
    sk_error err = {0};
    assert_int_equal(sk_init(), SK_OK);
    assert_int_equal(sk_json_wipe_on_free(), SK_OK);
    json_get_alloc_funcs(&next_malloc, &next_free);
    json_set_alloc_funcs(counting_malloc, counting_free);

    char *crt = tu_path(SK_TEST_DATA_DIR, "interop/keys/current/tls.crt");
    assert_int_equal(sk_pubkey_from_file(crt, 1893456000 /* 2030-01-01 */, &fx.pk, &err), SK_OK);
    free(crt);
    size_t len = 0;
    char *key = tu_data_file("interop/keys/current/tls.key", &len);
    assert_int_equal(sk_keyring_new(&fx.kr, &err), SK_OK);
    assert_int_equal(sk_keyring_add_pem(fx.kr, key, len, "tls.key", NULL, &err), SK_OK);
    free(key);
    assert_int_equal(sk_keygen(2048, "oom", 1700000000, 86400, &fx.kp, &err), SK_OK);
    fx.secret_yaml = tu_data_file("golden/secret.yaml", &fx.secret_yaml_len);
    fx.sealed_json = tu_data_file("golden/strict.json", &fx.sealed_json_len);

    /* A registry Secret, whose opened value verify reads as JSON. */
    static const char docker[] = "{\"auths\":{\"registry.example\":{\"username\":\"u\","
                                 "\"password\":\"changeme\",\"auth\":\"dTpjaGFuZ2VtZQ==\"}}}";
    sk_secret s;
    json_t *sealed = NULL;
    sk_rng *rng = new_rng();
    assert_int_equal(sk_secret_new("reg", "ns", "kubernetes.io/dockerconfigjson", &s, &err), SK_OK);
    assert_int_equal(
        sk_secret_put(&s, ".dockerconfigjson", (const unsigned char *)docker, strlen(docker), &err),
        SK_OK);
    assert_int_equal(sk_seal_secret_rng(&s, fx.pk, NULL, rng, &sealed, &err), SK_OK);
    assert_int_equal(sk_emit_json(sealed, &fx.docker_sealed, &err), SK_OK);
    json_decref(sealed);
    sk_secret_free(&s);
    sk_rng_free(rng);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    sk_pubkey_free(fx.pk);
    sk_keyring_free(fx.kr);
    sk_keypair_free(fx.kp);
    free(fx.secret_yaml);
    free(fx.sealed_json);
    sk_secbuf_free(&fx.docker_sealed);
    json_set_alloc_funcs(next_malloc, next_free);
    return 0;
}

/* ---- the loop ---- */

/* Runs the entry point with allocation n failing (0: none); on SK_OK, its output goes to out. */
typedef int (*run_fn)(long n, sk_secbuf *out);

/* Returns how many jansson allocations a run makes. */
static long exhaust(const char *what, run_fn run)
{
    sk_secbuf want = SK_SECBUF_INIT;
    long base = live;
    if (run(0, &want) != SK_OK) fail_msg("%s: fails without a failure injected", what);
    assert_int_equal(live, base);
    long n = 1;
    for (;; n++) {
        sk_secbuf got = SK_SECBUF_INIT;
        int rc = run(n, &got);
        int was_injected = injected;
        if (live != base)
            fail_msg("%s, allocation %ld failing: %ld jansson blocks leaked", what, n, live - base);
        if (rc == SK_OK) {
            if (got.len != want.len || memcmp(got.data, want.data, want.len) != 0)
                fail_msg("%s, allocation %ld failing: SK_OK with different output:\n%s", what, n,
                         got.data ? (const char *)got.data : "");
        } else if (rc != SK_ENOMEM || !was_injected) {
            fail_msg("%s, allocation %ld failing: %s", what, n, sk_status_name(rc));
        }
        sk_secbuf_free(&got);
        if (!was_injected) break; /* the run made fewer than n allocations */
    }
    sk_secbuf_free(&want);
    return n - 1;
}

/* ---- the entry points ---- */

static int seal_with(long n, sk_secbuf *out, const sk_seal_opts *opts)
{
    sk_error err = {0};
    sk_docs docs;
    sk_secret *s = NULL;
    sk_origin *o = NULL;
    read_secret(&docs, &s, &o);
    sk_rng *rng = new_rng();
    json_t *sealed = NULL;
    arm(n);
    int rc = checked(sk_seal_secret_rng(&s[0], fx.pk, opts, rng, &sealed, &err), &err);
    disarm();
    if (rc == SK_OK) assert_int_equal(sk_emit_json(sealed, out, NULL), SK_OK);
    json_decref(sealed);
    sk_rng_free(rng);
    sk_secrets_free(s, o, 1);
    sk_docs_free(&docs);
    return rc;
}

static int run_seal(long n, sk_secbuf *out)
{
    return seal_with(n, out, NULL);
}

/* Renamed and namespace-wide: annotations are added to the Secret and to the SealedSecret. */
static int run_seal_scoped(long n, sk_secbuf *out)
{
    sk_seal_opts o = SK_SEAL_OPTS_INIT;
    o.has_scope = 1;
    o.scope = SK_SCOPE_NAMESPACE_WIDE;
    o.name = "renamed";
    return seal_with(n, out, &o);
}

static int run_secret_to_json(long n, sk_secbuf *out)
{
    sk_error err = {0};
    sk_docs docs;
    sk_secret *s = NULL;
    sk_origin *o = NULL;
    read_secret(&docs, &s, &o);
    json_t *tree = NULL;
    arm(n);
    int rc = checked(sk_secret_to_json(&s[0], &tree, &err), &err);
    disarm();
    if (rc == SK_OK) assert_int_equal(sk_emit_json(tree, out, NULL), SK_OK);
    json_decref(tree);
    sk_secrets_free(s, o, 1);
    sk_docs_free(&docs);
    return rc;
}

static int emit_with(long n, sk_secbuf *out, int yaml)
{
    sk_error err = {0};
    sk_docs docs;
    parse(fx.sealed_json, fx.sealed_json_len, &docs);
    arm(n);
    int rc = yaml ? sk_emit_yaml(docs.doc[0], out, &err) : sk_emit_json(docs.doc[0], out, &err);
    disarm();
    sk_docs_free(&docs);
    return checked(rc, &err);
}

static int run_emit_json(long n, sk_secbuf *out)
{
    return emit_with(n, out, 0);
}

static int run_emit_yaml(long n, sk_secbuf *out)
{
    return emit_with(n, out, 1);
}

static int parse_with(long n, sk_secbuf *out, const char *text, size_t len)
{
    sk_error err = {0};
    sk_docs docs;
    arm(n);
    int rc = checked(sk_docs_parse((const unsigned char *)text, len, "in", &docs, &err), &err);
    disarm();
    if (rc == SK_OK) emit_all(&docs, out);
    sk_docs_free(&docs);
    return rc;
}

static int run_parse_yaml(long n, sk_secbuf *out)
{
    return parse_with(n, out, yaml_stream, strlen(yaml_stream));
}

static int run_parse_secret_yaml(long n, sk_secbuf *out)
{
    return parse_with(n, out, fx.secret_yaml, fx.secret_yaml_len);
}

static int run_parse_json(long n, sk_secbuf *out)
{
    return parse_with(n, out, json_stream, strlen(json_stream));
}

static int run_parse_sealed_json(long n, sk_secbuf *out)
{
    return parse_with(n, out, fx.sealed_json, fx.sealed_json_len);
}

static int run_unseal(long n, sk_secbuf *out)
{
    sk_error err = {0};
    sk_docs docs;
    sk_secret s;
    parse(fx.sealed_json, fx.sealed_json_len, &docs);
    arm(n);
    int rc = checked(sk_unseal(docs.doc[0], fx.kr, &s, &err), &err);
    disarm();
    if (rc == SK_OK) emit_secret(&s, out);
    sk_secret_free(&s);
    sk_docs_free(&docs);
    return rc;
}

static int run_merge(long n, sk_secbuf *out)
{
    sk_error err = {0};
    sk_docs into, from;
    parse(fx.sealed_json, fx.sealed_json_len, &into);
    parse(merge_from, strlen(merge_from), &from);
    arm(n);
    int rc = checked(sk_seal_merge(into.doc[0], from.doc[0], &err), &err);
    disarm();
    if (rc == SK_OK) assert_int_equal(sk_emit_json(into.doc[0], out, NULL), SK_OK);
    sk_docs_free(&into);
    sk_docs_free(&from);
    return rc;
}

static int run_key_secret(long n, sk_secbuf *out)
{
    sk_error err = {0};
    json_t *tree = NULL;
    arm(n);
    int rc = checked(
        sk_keygen_tls_secret(fx.kp, "kube-system", "sealed-secrets-keyb2c4d", &tree, &err), &err);
    disarm();
    if (rc == SK_OK) assert_int_equal(sk_emit_yaml(tree, out, NULL), SK_OK);
    json_decref(tree);
    return rc;
}

static int run_secret_new(long n, sk_secbuf *out)
{
    sk_error err = {0};
    sk_secret s;
    arm(n);
    int rc = checked(sk_secret_new("app", "prod", "Opaque", &s, &err), &err);
    if (rc == SK_OK) rc = checked(sk_secret_set_name(&s, "app2", &err), &err);
    if (rc == SK_OK)
        rc = checked(sk_secret_put(&s, "k", (const unsigned char *)"v", 1, &err), &err);
    disarm();
    if (rc == SK_OK) emit_secret(&s, out);
    sk_secret_free(&s);
    return rc;
}

static void put_findings(const sk_findings *f, sk_secbuf *out)
{
    char line[1400];
    for (size_t i = 0; i < f->n; i++) {
        const sk_finding *x = &f->v[i];
        snprintf(line, sizeof line, "%s %zu %s %s %s: %s\n", x->file, x->document,
                 x->item ? x->item : "-", sk_severity_name(x->severity), x->code, x->message);
        assert_int_equal(sk_secbuf_puts(out, line, NULL), SK_OK);
    }
    for (size_t i = 0; i < f->n_items; i++) {
        const sk_verify_item *it = &f->items[i];
        snprintf(line, sizeof line, "item %s opens %d scope %d by %s\n", it->item, it->opens,
                 it->sealed_scope, it->opened_by);
        assert_int_equal(sk_secbuf_puts(out, line, NULL), SK_OK);
    }
}

/* Opens the registry item and reads it as JSON (sk_json_loadb), with keys. */
static int run_verify(long n, sk_secbuf *out)
{
    sk_error err = {0};
    sk_findings f;
    sk_findings_init(&f);
    sk_verify_opts o = SK_VERIFY_OPTS_INIT;
    o.keys = fx.kr;
    arm(n);
    int rc = checked(
        sk_verify_text(fx.docker_sealed.data, fx.docker_sealed.len, "reg.json", &o, &f, &err),
        &err);
    disarm();
    if (rc == SK_OK) {
        assert_true(f.n > 0); /* the default password */
        put_findings(&f, out);
    }
    sk_findings_free(&f);
    return rc;
}

#define OOM_TEST(name, fn)                                                                         \
    static void test_##name(void **state)                                                          \
    {                                                                                              \
        (void)state;                                                                               \
        assert_true(exhaust(#name, fn) > 0);                                                       \
    }

OOM_TEST(seal, run_seal)
OOM_TEST(seal_scoped, run_seal_scoped)
OOM_TEST(secret_to_json, run_secret_to_json)
OOM_TEST(parse_yaml, run_parse_yaml)
OOM_TEST(parse_secret_yaml, run_parse_secret_yaml)
OOM_TEST(parse_json, run_parse_json)
OOM_TEST(parse_sealed_json, run_parse_sealed_json)
OOM_TEST(unseal, run_unseal)
OOM_TEST(merge, run_merge)
OOM_TEST(key_secret, run_key_secret)
OOM_TEST(secret_new, run_secret_new)
OOM_TEST(verify, run_verify)

/* The emitters walk the tree without building anything: no allocation to fail. */
static void test_emit(void **state)
{
    (void)state;
    assert_int_equal(exhaust("emit_json", run_emit_json), 0);
    assert_int_equal(exhaust("emit_yaml", run_emit_yaml), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal),           cmocka_unit_test(test_seal_scoped),
        cmocka_unit_test(test_secret_to_json), cmocka_unit_test(test_emit),
        cmocka_unit_test(test_parse_yaml),     cmocka_unit_test(test_parse_secret_yaml),
        cmocka_unit_test(test_parse_json),     cmocka_unit_test(test_parse_sealed_json),
        cmocka_unit_test(test_unseal),         cmocka_unit_test(test_merge),
        cmocka_unit_test(test_key_secret),     cmocka_unit_test(test_secret_new),
        cmocka_unit_test(test_verify),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
