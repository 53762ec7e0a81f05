/* sealkit verify through the library: findings without keys, with keys, policies, certificates. */
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

#include <openssl/pem.h>

#include "testutil.h"

#define FP_CURRENT "SHA256:N0y6dUAHXtv73DQXpORtj6iqEbwinoh+RJ12OVMggAg"
#define FP_OLD "SHA256:Hvcb8+5bi0XmFwn/+SaWENssGxbvF/Ik6OrMU8LOh3Q"
#define NOW_2030 ((time_t)1893456000)

typedef struct fixture {
    sk_pubkey *cert;  /* interop current */
    sk_keyring *cur;  /* [current] */
    sk_keyring *old;  /* [old] */
    sk_keyring *both; /* [old, current] */
} fixture;

static void add_key(sk_keyring *kr, const char *rel)
{
    size_t len;
    char *pem = tu_data_file(rel, &len);
    sk_error err = {0};
    assert_int_equal(sk_keyring_add_text(kr, pem, len, rel, NULL, &err), SK_OK);
    free(pem);
}

static int setup(void **state)
{
    static fixture f;
    sk_error err = {0};
    char *crt = tu_path(SK_TEST_DATA_DIR, "interop/keys/current/tls.crt");
    assert_int_equal(sk_pubkey_from_file(crt, NOW_2030, &f.cert, &err), SK_OK);
    free(crt);
    assert_int_equal(sk_keyring_new(&f.cur, &err), SK_OK);
    assert_int_equal(sk_keyring_new(&f.old, &err), SK_OK);
    assert_int_equal(sk_keyring_new(&f.both, &err), SK_OK);
    add_key(f.cur, "interop/keys/current/tls.key");
    add_key(f.old, "interop/keys/old/tls.key");
    add_key(f.both, "interop/keys/old/tls.key");
    add_key(f.both, "interop/keys/current/tls.key");
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sk_pubkey_free(f->cert);
    sk_keyring_free(f->cur);
    sk_keyring_free(f->old);
    sk_keyring_free(f->both);
    return 0;
}

/* ---- helpers ---- */

static void verify_text(const char *text, const sk_verify_opts *o, sk_findings *f)
{
    sk_error err = {0};
    sk_findings_init(f);
    int rc = sk_verify_text((const unsigned char *)text, strlen(text), "t.yaml", o, f, &err);
    if (rc != SK_OK) print_error("verify: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
}

static void verify_tree(const json_t *doc, const sk_verify_opts *o, sk_findings *f)
{
    sk_error err = {0};
    sk_where w = {"t.yaml", 1, 0, NULL};
    sk_findings_init(f);
    assert_int_equal(sk_verify_doc(doc, &w, o, f, &err), SK_OK);
}

static void verify_case(const char *id, const sk_verify_opts *o, sk_findings *f)
{
    char rel[128];
    size_t len;
    snprintf(rel, sizeof rel, "interop/cases/%s/sealed.yaml", id);
    char *text = tu_data_file(rel, &len);
    verify_text(text, o, f);
    free(text);
}

/* The finding with this code (and item, unless NULL); NULL when there is none. */
static const sk_finding *find(const sk_findings *f, const char *code, const char *item)
{
    for (size_t i = 0; i < f->n; i++) {
        const sk_finding *x = &f->v[i];
        if (strcmp(x->code, code) != 0) continue;
        if (item == NULL || (x->item != NULL && strcmp(x->item, item) == 0)) return x;
    }
    return NULL;
}

static const sk_finding *must_find(const sk_findings *f, const char *code, const char *item)
{
    const sk_finding *x = find(f, code, item);
    if (x == NULL) {
        print_error("no finding %s on %s; have:\n", code, item ? item : "-");
        for (size_t i = 0; i < f->n; i++)
            print_error("  %s %s: %s\n", f->v[i].code, f->v[i].item ? f->v[i].item : "-",
                        f->v[i].message);
    }
    assert_non_null(x);
    return x;
}

static void no_failures(const sk_findings *f, const char *what)
{
    if (sk_findings_count(f, SK_SEVERITY_WARNING) != 0) {
        for (size_t i = 0; i < f->n; i++)
            print_error("%s: %s %s: %s\n", what, f->v[i].code, f->v[i].item ? f->v[i].item : "-",
                        f->v[i].message);
    }
    assert_int_equal(sk_findings_count(f, SK_SEVERITY_WARNING), 0);
}

/* Seals the first Secret of yaml under the interop current certificate. */
static json_t *seal_yaml(const fixture *fx, const char *yaml, sk_scope scope)
{
    sk_error err = {0};
    sk_docs docs = {0};
    sk_secret *s = NULL;
    sk_origin *origins = NULL;
    size_t n = 0;
    assert_int_equal(sk_docs_parse((const unsigned char *)yaml, strlen(yaml), "s", &docs, &err),
                     SK_OK);
    assert_int_equal(sk_secrets_from_docs(&docs, &s, &origins, &n, &err), SK_OK);
    sk_docs_free(&docs);
    sk_seal_opts o = SK_SEAL_OPTS_INIT;
    o.has_scope = scope != SK_SCOPE_STRICT;
    o.scope = scope;
    json_t *sealed = NULL;
    int rc = sk_seal_secret(&s[0], fx->cert, &o, &sealed, &err);
    if (rc != SK_OK) print_error("seal: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    sk_secrets_free(s, origins, n);
    return sealed;
}

/* A well-formed blob of the given RSA length and GCM length, as base64. */
static char *fake_blob(size_t header, size_t rsa, size_t gcm)
{
    size_t n = 2 + rsa + gcm;
    unsigned char *b = calloc(1, n);
    assert_non_null(b);
    b[0] = (unsigned char)(header >> 8);
    b[1] = (unsigned char)header;
    char *out = NULL;
    assert_int_equal(sk_base64_encode(b, n, &out, NULL), SK_OK);
    free(b);
    return out;
}

/* A SealedSecret text around one item value; extra is appended under the top level. */
static char *sealed_yaml(const char *value, const char *meta_extra, const char *tmpl_extra,
                         const char *top_extra)
{
    char *t = malloc(8192 + strlen(value));
    assert_non_null(t);
    sprintf(t,
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
            "metadata:\n  name: app\n  namespace: demo\n%s"
            "spec:\n  encryptedData:\n    password: %s\n"
            "  template:\n    metadata:\n      name: app\n      namespace: demo\n%s%s",
            meta_extra, value, tmpl_extra, top_extra);
    return t;
}

/* ---- the findings list ---- */

static void test_findings_api(void **state)
{
    (void)state;
    sk_findings f;
    sk_error err = {0};
    sk_findings_init(&f);
    sk_where w = {"a.yaml", 2, 3, "k"};
    assert_int_equal(sk_findings_add(&f, &w, SK_SEVERITY_INFO, "x", NULL, &err, "n=%d", 1), SK_OK);
    assert_int_equal(sk_findings_add(&f, &w, SK_SEVERITY_WARNING, "y", FP_OLD, &err, "w"), SK_OK);
    w.item = NULL;
    assert_int_equal(sk_findings_add(&f, &w, SK_SEVERITY_ERROR, "z", NULL, &err, "e"), SK_OK);
    assert_int_equal(f.n, 3);
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_INFO), 3);
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_WARNING), 2);
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_ERROR), 1);
    assert_string_equal(f.v[0].message, "n=1");
    assert_string_equal(f.v[0].file, "a.yaml");
    assert_int_equal(f.v[0].list_item, 3);
    assert_string_equal(f.v[1].key_fingerprint, FP_OLD);
    assert_string_equal(f.v[0].key_fingerprint, "");
    assert_null(f.v[2].item);
    assert_string_equal(sk_severity_name(SK_SEVERITY_ERROR), "error");
    assert_string_equal(sk_severity_name(SK_SEVERITY_WARNING), "warning");
    assert_string_equal(sk_severity_name(SK_SEVERITY_INFO), "info");
    sk_findings_free(&f);
    assert_int_equal(f.n, 0);
}

/* ---- interop fixtures ---- */

static const struct {
    const char *id;
    int old_key;
} positive[] = {{"strict-basic", 0},
                {"namespace-wide", 0},
                {"cluster-wide", 0},
                {"ml-platform", 0},
                {"ghcr-dockerconfigjson", 0},
                {"binary-value", 0},
                {"empty-value", 0},
                {"unicode-value", 0},
                {"large-256k", 0},
                {"key-charset", 0},
                {"old-key", 1}};

static void test_interop_positive_clean(void **state)
{
    fixture *fx = *state;
    for (size_t i = 0; i < sizeof positive / sizeof positive[0]; i++) {
        sk_findings f;
        sk_verify_opts none = SK_VERIFY_OPTS_INIT;
        verify_case(positive[i].id, &none, &f);
        no_failures(&f, positive[i].id);
        assert_int_equal(f.n_secrets, 1);
        assert_true(f.n_items > 0);
        for (size_t k = 0; k < f.n_items; k++)
            assert_int_equal(f.items[k].opens, -1);
        sk_findings_free(&f);

        sk_keyring *kr = positive[i].old_key ? fx->old : fx->cur;
        sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, kr, 0};
        verify_case(positive[i].id, &keys, &f);
        no_failures(&f, positive[i].id);
        for (size_t k = 0; k < f.n_items; k++) {
            assert_int_equal(f.items[k].opens, 1);
            assert_int_equal(f.items[k].newest, 1);
            assert_int_equal(f.items[k].sealed_scope, (int)f.items[k].scope);
            assert_string_equal(f.items[k].opened_by, positive[i].old_key ? FP_OLD : FP_CURRENT);
        }
        sk_findings_free(&f);
    }
}

static void test_interop_scopes_recorded(void **state)
{
    fixture *fx = *state;
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, fx->cert, fx->cur, -1};
    verify_case("namespace-wide", &keys, &f);
    no_failures(&f, "namespace-wide");
    assert_int_equal(f.items[0].scope, SK_SCOPE_NAMESPACE_WIDE);
    sk_findings_free(&f);
    verify_case("cluster-wide", &keys, &f);
    assert_int_equal(f.items[0].scope, SK_SCOPE_CLUSTER_WIDE);
    assert_int_equal(f.items[0].opens, 1);
    sk_findings_free(&f);
}

static void test_neg_truncated(void **state)
{
    fixture *fx = *state;
    sk_findings f;
    sk_verify_opts none = SK_VERIFY_OPTS_INIT;
    verify_case("neg-truncated-blob", &none, &f);
    const sk_finding *x = must_find(&f, "too-short", "password");
    assert_int_equal(x->severity, SK_SEVERITY_ERROR);
    assert_non_null(strstr(x->message, "512 bytes"));
    assert_null(find(&f, "too-short", "username"));
    sk_findings_free(&f);
    /* With keys it is not opened (malformed) and not diagnosed twice. */
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_case("neg-truncated-blob", &keys, &f);
    must_find(&f, "too-short", "password");
    assert_null(find(&f, "decrypt-failed", "password"));
    sk_findings_free(&f);
}

static void test_neg_bad_base64(void **state)
{
    (void)state;
    sk_findings f;
    sk_verify_opts none = SK_VERIFY_OPTS_INIT;
    verify_case("neg-bad-base64", &none, &f);
    const sk_finding *x = must_find(&f, "base64", "password");
    assert_non_null(strstr(x->message, "byte"));
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_ERROR), 1);
    sk_findings_free(&f);
}

/* NULL options are SK_VERIFY_OPTS_INIT; a version the library does not know is SK_EUSAGE. */
static void test_opts_version(void **state)
{
    (void)state;
    size_t len;
    char *text = tu_data_file("interop/cases/neg-bad-base64/sealed.yaml", &len);
    sk_findings f;
    verify_text(text, NULL, &f);
    assert_non_null(must_find(&f, "base64", "password"));
    sk_findings_free(&f);
    sk_verify_opts bad = SK_VERIFY_OPTS_INIT;
    bad.version = 0;
    sk_error err = {0};
    sk_findings_init(&f);
    assert_int_equal(sk_verify_text((unsigned char *)text, len, "t.yaml", &bad, &f, &err),
                     SK_EUSAGE);
    assert_string_equal(err.msg, "sk_verify_opts version 0 is not supported");
    assert_int_equal(f.n, 0);
    assert_int_equal(f.files, 0);
    sk_findings_free(&f);
    free(text);
}

static void test_neg_flipped_tag(void **state)
{
    fixture *fx = *state;
    sk_findings f;
    sk_verify_opts none = SK_VERIFY_OPTS_INIT;
    verify_case("neg-flipped-gcm-tag", &none, &f);
    no_failures(&f, "flipped without keys"); /* only a key can tell */
    sk_findings_free(&f);
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_case("neg-flipped-gcm-tag", &keys, &f);
    const sk_finding *x = must_find(&f, "altered", "password");
    assert_non_null(strstr(x->message, "altered"));
    assert_string_equal(x->key_fingerprint, FP_CURRENT);
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_WARNING), 1);
    sk_findings_free(&f);
}

static void test_neg_wrong_namespace(void **state)
{
    fixture *fx = *state;
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_case("neg-wrong-namespace", &keys, &f);
    const sk_finding *x = must_find(&f, "decrypt-failed", "password");
    assert_non_null(strstr(x->message, "another name or namespace"));
    assert_non_null(strstr(x->message, "other-namespace/db-credentials"));
    must_find(&f, "decrypt-failed", "username");
    for (size_t i = 0; i < f.n_items; i++)
        assert_int_equal(f.items[i].opens, 0);
    sk_findings_free(&f);
}

static void test_old_key_not_current(void **state)
{
    fixture *fx = *state;
    sk_findings f;
    sk_verify_opts with_cert = {SK_VERIFY_OPTS_VERSION, fx->cert, fx->both, -1};
    verify_case("old-key", &with_cert, &f);
    const sk_finding *x = must_find(&f, "not-current-cert", "token");
    assert_non_null(strstr(x->message, "not under the current certificate"));
    assert_string_equal(x->key_fingerprint, FP_OLD);
    assert_int_equal(f.items[0].newest, 0);
    assert_int_equal(f.items[0].opens, 1);
    sk_findings_free(&f);
    /* Without --cert: index 1 (current) is the newest key given. */
    sk_verify_opts newest = {SK_VERIFY_OPTS_VERSION, NULL, fx->both, 1};
    verify_case("old-key", &newest, &f);
    must_find(&f, "not-newest-key", "token");
    sk_findings_free(&f);
    /* Sealed under the current key: clean. */
    verify_case("strict-basic", &with_cert, &f);
    no_failures(&f, "strict-basic with both keys");
    for (size_t i = 0; i < f.n_items; i++)
        assert_int_equal(f.items[i].newest, 1);
    sk_findings_free(&f);
    /* Only the current key: the old item does not open. */
    sk_verify_opts cur = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_case("old-key", &cur, &f);
    must_find(&f, "decrypt-failed", "token");
    sk_findings_free(&f);
}

/* ---- diagnosis by trying the other labels ---- */

static const char plain_secret[] = "apiVersion: v1\nkind: Secret\n"
                                   "metadata: {name: app, namespace: demo}\n"
                                   "stringData: {user: someone, token: not-a-default-value}\n";

static void test_wrong_scope_cluster(void **state)
{
    fixture *fx = *state;
    json_t *sealed = seal_yaml(fx, plain_secret, SK_SCOPE_CLUSTER_WIDE);
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_tree(sealed, &keys, &f);
    no_failures(&f, "cluster-wide as sealed");
    sk_findings_free(&f);
    /* The outer annotation is flipped off: the template still says cluster-wide. */
    json_t *ann = json_object_get(json_object_get(sealed, "metadata"), "annotations");
    json_object_set_new(ann, SK_ANNOTATION_CLUSTER_WIDE, json_string("false"));
    verify_tree(sealed, &keys, &f);
    const sk_finding *x = must_find(&f, "wrong-scope", "token");
    assert_non_null(strstr(x->message, "sealed cluster-wide"));
    assert_non_null(strstr(x->message, "selects scope strict"));
    assert_string_equal(x->key_fingerprint, FP_CURRENT);
    must_find(&f, "scope-annotation", NULL); /* "false" does not count */
    must_find(&f, "scope-mismatch", NULL);
    for (size_t i = 0; i < f.n_items; i++) {
        assert_int_equal(f.items[i].opens, 0);
        assert_int_equal(f.items[i].sealed_scope, SK_SCOPE_CLUSTER_WIDE);
        assert_string_equal(f.items[i].opened_by, FP_CURRENT);
    }
    sk_findings_free(&f);
    json_decref(sealed);
}

static void test_wrong_scope_namespace_wide(void **state)
{
    fixture *fx = *state;
    json_t *sealed = seal_yaml(fx, plain_secret, SK_SCOPE_NAMESPACE_WIDE);
    json_t *meta = json_object_get(sealed, "metadata");
    json_object_del(meta, "annotations");
    json_object_set_new(meta, "name", json_string("renamed"));
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_tree(sealed, &keys, &f);
    const sk_finding *x = must_find(&f, "wrong-scope", "user");
    assert_non_null(strstr(x->message, "sealed namespace-wide"));
    assert_non_null(strstr(x->message, "namespace-wide: \"true\""));
    sk_findings_free(&f);
    json_decref(sealed);
}

static void test_wrong_identity(void **state)
{
    fixture *fx = *state;
    json_t *sealed = seal_yaml(fx, plain_secret, SK_SCOPE_STRICT);
    json_object_set_new(json_object_get(sealed, "metadata"), "name", json_string("other"));
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_tree(sealed, &keys, &f);
    must_find(&f, "template-name", NULL);
    const sk_finding *x = must_find(&f, "wrong-identity", "user");
    assert_non_null(strstr(x->message, "demo/app"));
    assert_non_null(strstr(x->message, "demo/other"));
    sk_findings_free(&f);
    json_decref(sealed);
}

static void test_copied_item(void **state)
{
    fixture *fx = *state;
    json_t *a = seal_yaml(fx, plain_secret, SK_SCOPE_STRICT);
    json_t *b = seal_yaml(fx,
                          "kind: Secret\nmetadata: {name: b, namespace: demo}\n"
                          "stringData: {foreign: x}\n",
                          SK_SCOPE_STRICT);
    json_t *enc_a = json_object_get(json_object_get(a, "spec"), "encryptedData");
    json_t *enc_b = json_object_get(json_object_get(b, "spec"), "encryptedData");
    json_object_set(enc_a, "foreign", json_object_get(enc_b, "foreign"));
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_tree(a, &keys, &f);
    const sk_finding *x = must_find(&f, "decrypt-failed", "foreign");
    assert_non_null(strstr(x->message, "copied from another SealedSecret"));
    assert_null(find(&f, "decrypt-failed", "user"));
    sk_findings_free(&f);
    json_decref(a);
    json_decref(b);
}

static void test_no_key_of_size(void **state)
{
    fixture *fx = *state;
    char *blob = fake_blob(256, 256, 16);
    char *text = sealed_yaml(blob, "", "", "");
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_text(text, &keys, &f);
    const sk_finding *x = must_find(&f, "no-key", "password");
    assert_non_null(strstr(x->message, "2048-bit"));
    sk_findings_free(&f);
    free(text);
    free(blob);
}

/* ---- content checks ---- */

static void assert_no_text(const sk_findings *f, const char *needle)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strstr(f->v[i].message, needle) != NULL) print_error("leak: %s\n", f->v[i].message);
        assert_null(strstr(f->v[i].message, needle));
        assert_true(f->v[i].item == NULL || strstr(f->v[i].item, needle) == NULL);
    }
}

static void test_default_credentials(void **state)
{
    fixture *fx = *state;
    json_t *sealed = seal_yaml(fx,
                               "kind: Secret\nmetadata: {name: ml, namespace: seldon-system}\n"
                               "stringData:\n  AWS_SECRET_ACCESS_KEY: minioadmin123\n"
                               "  AWS_ACCESS_KEY_ID: minioadmin\n"
                               "  FLASK_KEY: \"6EF6B30F9E557F948C402C89002C7C8A\\n\"\n"
                               "  REGION: us-east-1\n  ALMOST: minioadmin1234\n"
                               "  UPPER: MINIOADMIN\n",
                               SK_SCOPE_STRICT);
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_tree(sealed, &keys, &f);
    const sk_finding *x = must_find(&f, "default-credential", "AWS_SECRET_ACCESS_KEY");
    assert_int_equal(x->severity, SK_SEVERITY_ERROR);
    must_find(&f, "default-credential", "AWS_ACCESS_KEY_ID");
    must_find(&f, "default-credential", "FLASK_KEY"); /* trailing newline ignored */
    assert_null(find(&f, "default-credential", "REGION"));
    assert_null(find(&f, "default-credential", "ALMOST"));
    assert_null(find(&f, "default-credential", "UPPER"));
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_WARNING), 3);
    assert_no_text(&f, "minioadmin");
    assert_no_text(&f, "6EF6B30F");
    sk_findings_free(&f);
    /* Without keys nothing can be said about values. */
    sk_verify_opts none = SK_VERIFY_OPTS_INIT;
    verify_tree(sealed, &none, &f);
    assert_null(find(&f, "default-credential", NULL));
    sk_findings_free(&f);
    json_decref(sealed);
}

static json_t *docker_secret(const fixture *fx, const char *json_value)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "kind: Secret\nmetadata: {name: ghcr, namespace: ns}\n"
             "type: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '%s'\n",
             json_value);
    return seal_yaml(fx, yaml, SK_SCOPE_STRICT);
}

static void expect_docker(const fixture *fx, const char *value, const char *code, sk_severity sev,
                          const char *needle)
{
    json_t *sealed = docker_secret(fx, value);
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_tree(sealed, &keys, &f);
    if (code == NULL) {
        no_failures(&f, value);
    } else {
        const sk_finding *x = must_find(&f, code, ".dockerconfigjson");
        assert_int_equal(x->severity, sev);
        if (needle != NULL) assert_non_null(strstr(x->message, needle));
    }
    assert_no_text(&f, "hunter");
    sk_findings_free(&f);
    json_decref(sealed);
}

static void test_dockerconfigjson(void **state)
{
    fixture *fx = *state;
    /* auth = base64("bot:hunter22") */
    expect_docker(fx,
                  "{\"auths\":{\"ghcr.io\":{\"username\":\"bot\",\"password\":\"hunter22\","
                  "\"auth\":\"Ym90Omh1bnRlcjIy\"}}}",
                  NULL, SK_SEVERITY_INFO, NULL);
    expect_docker(fx, "{\"auths\": {\"ghcr.io\": {\"auth\": \"hunter-x\"", "dockerconfigjson",
                  SK_SEVERITY_ERROR, "not valid JSON");
    expect_docker(fx, "{\"hunter\": 1}", "dockerconfigjson", SK_SEVERITY_ERROR, "auths");
    expect_docker(fx,
                  "{\"auths\":{\"ghcr.io\":{\"username\":\"bot\",\"password\":\"hunter23\","
                  "\"auth\":\"Ym90Omh1bnRlcjIy\"}}}",
                  "dockerconfigjson", SK_SEVERITY_WARNING, "username:password");
    expect_docker(fx, "{\"auths\":{\"ghcr.io\":{\"username\":\"bot\",\"password\":\"changeme\"}}}",
                  "default-credential", SK_SEVERITY_ERROR, "auths entry 1");
    expect_docker(fx, "{\"auths\":{\"ghcr.io\":\"hunter\"}}", "dockerconfigjson", SK_SEVERITY_ERROR,
                  "not a JSON object");
}

/* ---- structure, without keys ---- */

static void test_structure_clean_and_blob_sizes(void **state)
{
    fixture *fx = *state;
    sk_findings f;
    sk_verify_opts none = SK_VERIFY_OPTS_INIT, cert = {SK_VERIFY_OPTS_VERSION, fx->cert, NULL, -1};
    char *b512 = fake_blob(512, 512, 16), *b256 = fake_blob(256, 256, 20);
    char *b300 = fake_blob(300, 300, 16), *gcm = fake_blob(512, 512, 15);
    char *text = sealed_yaml(b512, "", "", "");
    verify_text(text, &cert, &f);
    assert_int_equal(f.n, 0);
    assert_int_equal(f.n_items, 1);
    assert_int_equal(f.files, 1);
    sk_findings_free(&f);
    free(text);

    text = sealed_yaml(b256, "", "", "");
    verify_text(text, &none, &f);
    assert_int_equal(f.n, 0); /* a 2048-bit blob is normal without --cert */
    sk_findings_free(&f);
    verify_text(text, &cert, &f);
    must_find(&f, "rsa-length", "password");
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_ERROR), 1);
    sk_findings_free(&f);
    free(text);

    text = sealed_yaml(b300, "", "", "");
    verify_text(text, &none, &f);
    assert_int_equal(must_find(&f, "rsa-length", "password")->severity, SK_SEVERITY_WARNING);
    sk_findings_free(&f);
    free(text);

    text = sealed_yaml(gcm, "", "", "");
    verify_text(text, &none, &f);
    must_find(&f, "gcm-too-short", "password");
    sk_findings_free(&f);
    free(text);

    text = sealed_yaml("AQ==", "", "", "");
    verify_text(text, &none, &f);
    assert_non_null(strstr(must_find(&f, "too-short", "password")->message, "2-byte"));
    sk_findings_free(&f);
    free(text);
    free(b512), free(b256), free(b300), free(gcm);
}

static void test_structure_findings(void **state)
{
    (void)state;
    char *b = fake_blob(512, 512, 16);
    char *text = sealed_yaml(b,
                             "  creationTimestamp: null\n  annotations:\n"
                             "    sealedsecrets.bitnami.com/namespace-wide: \"True\"\n"
                             "    kubectl.kubernetes.io/last-applied-configuration: x\n",
                             "      annotations:\n"
                             "        kubectl.kubernetes.io/last-applied-configuration: x\n"
                             "      ownerReferences: [{name: o}]\n"
                             "    type: kubernetes.io/dockerconfigjson\n"
                             "    stringData: {leaked: x}\n"
                             "    data: {config.json: '{{ .password }}', literal: plain}\n",
                             "data: {also: eA==}\n");
    sk_findings f;
    sk_verify_opts none = SK_VERIFY_OPTS_INIT;
    verify_text(text, &none, &f);
    assert_int_equal(must_find(&f, "scope-annotation", NULL)->severity, SK_SEVERITY_WARNING);
    assert_int_equal(must_find(&f, "creation-timestamp-null", NULL)->severity, SK_SEVERITY_INFO);
    /* last-applied: a warning outside, an error in the template */
    size_t outer = 0, inner = 0;
    for (size_t i = 0; i < f.n; i++) {
        if (strcmp(f.v[i].code, "last-applied") != 0) continue;
        if (f.v[i].severity == SK_SEVERITY_ERROR) inner++;
        if (f.v[i].severity == SK_SEVERITY_WARNING) outer++;
    }
    assert_int_equal(outer, 1);
    assert_int_equal(inner, 1);
    assert_int_equal(must_find(&f, "owner-references", NULL)->severity, SK_SEVERITY_INFO);
    assert_int_equal(must_find(&f, "plaintext-data", "leaked")->severity, SK_SEVERITY_ERROR);
    must_find(&f, "plaintext-data", "also");
    assert_int_equal(must_find(&f, "template-data", "config.json")->severity, SK_SEVERITY_INFO);
    assert_non_null(strstr(must_find(&f, "template-data", "literal")->message, "no template"));
    must_find(&f, "type-item-missing", ".dockerconfigjson");
    assert_null(find(&f, "scope-mismatch", NULL)); /* "True" counts for neither */
    sk_findings_free(&f);
    free(text);
    free(b);
}

static void test_structure_identity(void **state)
{
    (void)state;
    sk_findings f;
    sk_verify_opts none = SK_VERIFY_OPTS_INIT;
    verify_text("apiVersion: bitnami.com/v1\nkind: SealedSecret\nmetadata: {name: a}\n"
                "spec:\n  encryptedData: {}\n  data: AAAA\n  template:\n"
                "    metadata:\n      name: b\n      namespace: other\n"
                "      annotations: {sealedsecrets.bitnami.com/cluster-wide: true}\n",
                &none, &f);
    must_find(&f, "api-version", NULL);
    must_find(&f, "namespace", NULL);
    must_find(&f, "template-name", NULL);
    must_find(&f, "legacy-data", NULL);
    assert_int_equal(must_find(&f, "scope-annotation", NULL)->severity, SK_SEVERITY_ERROR);
    assert_null(find(&f, "empty", NULL)); /* legacy data is reported instead */
    sk_findings_free(&f);

    /* cluster-wide may omit the namespace; empty items are flagged. */
    verify_text("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
                "metadata:\n  name: a\n  annotations: {sealedsecrets.bitnami.com/cluster-wide: "
                "\"true\"}\nspec:\n  encryptedData: {}\n  template:\n    metadata:\n"
                "      annotations: {sealedsecrets.bitnami.com/cluster-wide: \"true\"}\n",
                &none, &f);
    assert_null(find(&f, "namespace", NULL));
    assert_int_equal(must_find(&f, "empty", NULL)->severity, SK_SEVERITY_WARNING);
    assert_int_equal(f.n, 1);
    sk_findings_free(&f);

    /* template.data alone is a valid SealedSecret. */
    verify_text("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
                "metadata: {name: a, namespace: ns}\nspec:\n  encryptedData: {}\n"
                "  template:\n    data: {x: '{{ 1 }}'}\n",
                &none, &f);
    assert_null(find(&f, "empty", NULL));
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_WARNING), 0);
    sk_findings_free(&f);
}

static void test_structure_values(void **state)
{
    (void)state;
    sk_findings f;
    sk_verify_opts none = SK_VERIFY_OPTS_INIT;
    verify_text("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
                "metadata: {name: a, namespace: ns}\n"
                "spec:\n  encryptedData: {\"bad key\": AAAA, num: 5}\n  template: {}\n",
                &none, &f);
    must_find(&f, "item-key", "bad key");
    must_find(&f, "value-type", "num");
    sk_findings_free(&f);
    verify_text("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
                "metadata: {name: a, namespace: ns}\nspec: {template: {}}\n",
                &none, &f);
    must_find(&f, "encrypted-data", NULL);
    sk_findings_free(&f);
    verify_text("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a, "
                "namespace: ns}\n",
                &none, &f);
    must_find(&f, "spec", NULL);
    sk_findings_free(&f);
}

static void test_documents_and_lists(void **state)
{
    fixture *fx = *state;
    size_t len;
    char *one = tu_data_file("interop/cases/strict-basic/sealed.yaml", &len);
    /* A List of two SealedSecrets between a ConfigMap and a mislabelled document. */
    json_t *a = seal_yaml(fx, plain_secret, SK_SCOPE_STRICT);
    json_t *list =
        json_pack("{s:s, s:s, s:[O, O]}", "apiVersion", "v1", "kind", "List", "items", a, a);
    char *list_text = json_dumps(list, 0);
    char *text = malloc(len + strlen(list_text) + 256);
    assert_non_null(text);
    sprintf(text,
            "%s---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n%s\n---\n"
            "apiVersion: bitnami.com/v1alpha1\nkind: sealedsecret\nmetadata: {name: x}\n",
            one, list_text);
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_text(text, &keys, &f);
    assert_int_equal(f.n_secrets, 3);
    assert_int_equal(f.n_items, 7); /* 3 + 2 x (user, token) */
    assert_int_equal(f.items[0].list_item, 0);
    assert_int_equal(f.items[3].document, 3);
    assert_int_equal(f.items[3].list_item, 1);
    assert_int_equal(f.items[5].list_item, 2);
    for (size_t i = 0; i < f.n_items; i++)
        assert_int_equal(f.items[i].opens, 1);
    const sk_finding *x = must_find(&f, "kind", NULL);
    assert_int_equal(x->document, 4);
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_WARNING), 1);
    sk_findings_free(&f);
    verify_text("a: [unclosed\n", &keys, &f);
    x = must_find(&f, "parse", NULL);
    assert_int_equal(x->document, 0);
    assert_string_equal(x->file, "t.yaml");
    assert_null(strstr(x->message, "t.yaml")); /* the file is named once, by the finding */
    assert_non_null(strstr(x->message, "line"));
    assert_int_equal(f.n_secrets, 0);
    sk_findings_free(&f);
    free(text), free(list_text), free(one);
    json_decref(list);
    json_decref(a);
}

/* ---- policies ---- */

static sk_policy *policy_file(void)
{
    char *path = tu_path(SK_TEST_DATA_DIR, "../../policies/seldon-system.yaml");
    size_t len;
    char *text = tu_read_file(path, &len);
    sk_policy *p = NULL;
    sk_error err = {0};
    int rc = sk_policy_parse((const unsigned char *)text, len, "seldon-system.yaml", &p, &err);
    if (rc != SK_OK) print_error("policy: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    free(text);
    free(path);
    return p;
}

static json_t *seal_example(const fixture *fx, const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "../../examples/seldon-system/%s", name);
    char *path = tu_path(SK_TEST_DATA_DIR, rel);
    char *text = tu_read_file(path, NULL);
    json_t *sealed = seal_yaml(fx, text, SK_SCOPE_STRICT);
    free(text);
    free(path);
    return sealed;
}

static void policy_run(const sk_policy *p, json_t *const *docs, size_t n, sk_findings *f)
{
    sk_error err = {0};
    sk_verify_opts none = SK_VERIFY_OPTS_INIT;
    sk_findings_init(f);
    for (size_t i = 0; i < n; i++) {
        sk_where w = {"sealed.yaml", i + 1, 0, NULL};
        assert_int_equal(sk_verify_doc(docs[i], &w, &none, f, &err), SK_OK);
    }
    assert_int_equal(sk_policy_check(p, f, &err), SK_OK);
}

static void test_policy_seldon(void **state)
{
    fixture *fx = *state;
    sk_policy *p = policy_file();
    json_t *docs[2] = {seal_example(fx, "ml-platform-secret.yaml"),
                       seal_example(fx, "ghcr-secret.yaml")};
    sk_findings f;
    policy_run(p, docs, 2, &f);
    no_failures(&f, "seldon-system examples");
    sk_findings_free(&f);

    /* ghcr missing entirely: reported on the policy file. */
    policy_run(p, docs, 1, &f);
    const sk_finding *x = must_find(&f, "policy-missing-secret", NULL);
    assert_string_equal(x->file, "seldon-system.yaml");
    assert_non_null(strstr(x->message, "seldon-system/ghcr"));
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_WARNING), 1);
    sk_findings_free(&f);

    /* An item removed, the type changed, the scope widened. */
    json_t *enc = json_object_get(json_object_get(docs[0], "spec"), "encryptedData");
    json_object_del(enc, "MLFLOW_FLASK_SERVER_SECRET_KEY");
    json_object_set_new(json_object_get(json_object_get(docs[1], "spec"), "template"), "type",
                        json_string("Opaque"));
    json_t *ann = json_object();
    json_object_set_new(ann, SK_ANNOTATION_NAMESPACE_WIDE, json_string("true"));
    json_object_set_new(json_object_get(docs[0], "metadata"), "annotations", ann);
    policy_run(p, docs, 2, &f);
    x = must_find(&f, "policy-missing-item", "MLFLOW_FLASK_SERVER_SECRET_KEY");
    assert_string_equal(x->file, "sealed.yaml");
    assert_int_equal(x->document, 1);
    assert_non_null(strstr(must_find(&f, "policy-type", NULL)->message, "dockerconfigjson"));
    must_find(&f, "policy-scope", NULL);
    assert_null(find(&f, "policy-missing-item", "AWS_ACCESS_KEY_ID"));
    sk_findings_free(&f);

    json_decref(docs[0]);
    json_decref(docs[1]);
    sk_policy_free(p);
}

static void policy_fails(const char *text, const char *needle)
{
    sk_policy *p = (sk_policy *)&p;
    sk_error err = {0};
    assert_int_not_equal(
        sk_policy_parse((const unsigned char *)text, strlen(text), "p.yaml", &p, &err), SK_OK);
    assert_null(p);
    if (strstr(tu_err_line(&err), needle) == NULL) print_error("message: %s\n", tu_err_line(&err));
    assert_non_null(strstr(tu_err_line(&err), needle));
    assert_non_null(strstr(tu_err_line(&err), "p.yaml"));
}

static void test_policy_refusals(void **state)
{
    (void)state;
    policy_fails("secrets:\n  - name: a\n    namespace: b\n    requried: [x]\n",
                 "unknown field \"requried\"");
    policy_fails("secrets:\n  - namespace: b\n", "secrets[0].name: missing");
    policy_fails("secrets:\n  - {name: a, namespace: b, scope: wide}\n", "scope");
    policy_fails("secrets:\n  - {name: a, namespace: b, required: [\"no spaces\"]}\n",
                 "required[0]");
    policy_fails("secret: []\n", "unknown field");
    policy_fails("a: [", "p.yaml");
    policy_fails("--- {secrets: []}\n--- {secrets: []}\n", "one YAML or JSON map");
}

/* ---- certificates ---- */

static void scan_ok(const char *rel, time_t now, sk_cert_info **v, size_t *n)
{
    size_t len;
    char *text = tu_data_file(rel, &len);
    sk_error err = {0};
    int rc = sk_cert_scan(text, len, rel, now, v, n, &err);
    if (rc != SK_OK) print_error("scan %s: %s\n", rel, tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    free(text);
}

static void test_cert_scan_forms(void **state)
{
    (void)state;
    sk_cert_info *v = NULL;
    size_t n = 0;
    scan_ok("interop/keys/current/tls.crt", NOW_2030, &v, &n);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].fingerprint, FP_CURRENT);
    assert_string_equal(v[0].subject, "CN=sealed-secret");
    assert_string_equal(v[0].source, "PEM block 1");
    assert_int_equal(v[0].bits, 4096);
    assert_int_equal(v[0].not_before, INT64_C(1795635640));
    assert_int_equal(v[0].not_after, INT64_C(2110995640));
    assert_int_equal(v[0].flags, 0);
    free(v);

    scan_ok("interop/keys/backup-list.yaml", NOW_2030, &v, &n);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].fingerprint, FP_CURRENT);
    assert_string_equal(v[1].fingerprint, FP_OLD);
    assert_string_equal(v[0].secret, "kube-system/sealed-secrets-keyq7x2m");
    assert_string_equal(v[0].state, "active");
    assert_non_null(strstr(v[1].source, "document 1, item 2"));
    free(v);

    scan_ok("interop/keys/old/sealed-secrets-key.yaml", NOW_2030, &v, &n);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].fingerprint, FP_OLD);
    free(v);

    /* Expired certificates are listed, flagged (2040 is after both notAfter dates). */
    scan_ok("interop/keys/backup-list.yaml", (time_t)2208988800, &v, &n);
    assert_int_equal(n, 2);
    assert_true(v[0].flags & SK_CERT_EXPIRED);
    assert_true(v[1].flags & SK_CERT_EXPIRED);
    free(v);
}

static void test_cert_scan_pem_bundle_and_bare(void **state)
{
    (void)state;
    size_t a_len, b_len;
    char *a = tu_data_file("interop/keys/current/tls.crt", &a_len);
    char *b = tu_data_file("interop/keys/old/tls.crt", &b_len);
    char *both = malloc(a_len + b_len + 32);
    assert_non_null(both);
    sprintf(both, "# bundle\n%s\n%s", a, b);
    sk_cert_info *v = NULL;
    size_t n = 0;
    sk_error err = {0};
    assert_int_equal(sk_cert_scan(both, strlen(both), "bundle", NOW_2030, &v, &n, &err), SK_OK);
    assert_int_equal(n, 2);
    assert_string_equal(v[1].fingerprint, FP_OLD);
    assert_string_equal(v[1].source, "PEM block 2");
    free(v);

    /* A bare public key: no validity. */
    sk_pubkey *pk = NULL;
    assert_int_equal(sk_pubkey_from_pem(a, a_len, NOW_2030, &pk, &err), SK_OK);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(bio, sk_pubkey_evp(pk)), 1);
    char *p = NULL;
    long plen = BIO_get_mem_data(bio, &p);
    assert_int_equal(sk_cert_scan(p, (size_t)plen, "pub", NOW_2030, &v, &n, &err), SK_OK);
    assert_int_equal(n, 1);
    assert_true(v[0].flags & SK_CERT_IS_BARE_KEY);
    assert_string_equal(v[0].fingerprint, FP_CURRENT);
    assert_string_equal(v[0].subject, "");
    assert_int_equal(v[0].not_after, 0);
    free(v);
    BIO_free(bio);
    sk_pubkey_free(pk);
    free(both), free(a), free(b);
}

static void test_cert_scan_refusals(void **state)
{
    (void)state;
    sk_cert_info *v = (sk_cert_info *)&v;
    size_t n = 7;
    sk_error err = {0};
    const char *nothing = "kind: ConfigMap\nmetadata: {name: x}\n";
    assert_int_equal(sk_cert_scan(nothing, strlen(nothing), "cm.yaml", NOW_2030, &v, &n, &err),
                     SK_EINVAL);
    assert_null(v);
    assert_int_equal(n, 0);
    assert_non_null(strstr(tu_err_line(&err), "cm.yaml: no certificate found"));
    const char *bad = "kind: Secret\ndata: {tls.crt: \"!!!\"}\n";
    assert_int_not_equal(sk_cert_scan(bad, strlen(bad), "s.yaml", NOW_2030, &v, &n, &err), SK_OK);
    assert_non_null(strstr(tu_err_line(&err), "data[tls.crt]"));
    const char *notpem = "kind: Secret\ndata: {tls.crt: aGVsbG8=}\n";
    assert_int_not_equal(sk_cert_scan(notpem, strlen(notpem), "s.yaml", NOW_2030, &v, &n, &err),
                         SK_OK);
    assert_non_null(strstr(tu_err_line(&err), "no CERTIFICATE"));
    const char *key = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    assert_int_equal(sk_cert_scan(key, strlen(key), "k.pem", NOW_2030, &v, &n, &err), SK_EINVAL);
}

/* The newest key of backup-list.yaml, with "compromised" put on the label of item `retire` (0:
 * none). */
static const char *newest_of_backup(int retire)
{
    size_t len;
    char *text = tu_data_file("interop/keys/backup-list.yaml", &len);
    const char *label = "sealed-secrets-key: active";
    char *at = text;
    for (int i = 0; i < retire; i++)
        at = strstr(at + 1, label);
    if (retire > 0) memcpy(strstr(at, "active"), "retire", 6); /* same length: not "active" */
    sk_keyring *kr = NULL;
    sk_error err = {0};
    size_t w = 0;
    assert_int_equal(sk_keyring_new(&kr, &err), SK_OK);
    assert_int_equal(sk_keyring_add_text(kr, text, len, "backup", NULL, &err), SK_OK);
    static char fp[SK_FINGERPRINT_MAX];
    fp[0] = '\0';
    if (sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &w, &err) == SK_OK)
        snprintf(fp, sizeof fp, "%s", sk_keyring_fingerprint(kr, w));
    sk_keyring_free(kr);
    free(text);
    return fp;
}

/*
 * One rule for the newest key (sk_keyring_newest), as the controller picks it: the latest
 * notBefore among the keys it would load. A retired key is never the one to reseal under,
 * however new its certificate; verify, keys, rotate and cert all ask this function.
 */
static void test_newest_key(void **state)
{
    (void)state;
    assert_string_equal(newest_of_backup(0), FP_CURRENT);
    /* The first item (the current key) retired: the old key is the newest one loaded. */
    assert_string_equal(newest_of_backup(1), FP_OLD);
    assert_string_equal(newest_of_backup(2), FP_CURRENT);
}

static void test_pubkey_ex_expired(void **state)
{
    (void)state;
    size_t len;
    char *text = tu_data_file("interop/keys/current/tls.crt", &len);
    sk_pubkey *pk = NULL;
    sk_error err = {0};
    time_t later = (time_t)2208988800; /* 2040 */
    assert_int_equal(sk_pubkey_from_pem(text, len, later, &pk, &err), SK_ECERT);
    assert_null(pk);
    assert_int_equal(sk_pubkey_from_pem_ex(text, len, later, SK_PUBKEY_ALLOW_EXPIRED, &pk, &err),
                     SK_OK);
    assert_true(sk_pubkey_flags(pk) & SK_CERT_EXPIRED);
    assert_string_equal(sk_pubkey_subject(pk), "CN=sealed-secret");
    sk_pubkey_free(pk);
    assert_int_equal(sk_pubkey_from_pem_ex(text, len, NOW_2030, 0, &pk, &err), SK_OK);
    assert_false(sk_pubkey_flags(pk) & SK_CERT_EXPIRED);
    sk_pubkey_free(pk);
    free(text);
}

/* ---- issue 10: plaintext Secrets, copies across a scan, expiry, policies, groups, codes ---- */

static void test_plaintext_secret(void **state)
{
    (void)state;
    sk_findings f;
    verify_text("apiVersion: v1\nkind: Secret\nmetadata: {name: leak, namespace: prod}\n"
                "stringData: {pw: pl41n-value-1}\ndata: {k: cGw0MW4tdmFsdWUtMg==}\n"
                "---\nkind: List\nitems:\n- kind: Secret\n  metadata: {name: in-list}\n"
                "  data: {t: cGw0MW4tdmFsdWUtMw==}\n"
                "---\nkind: Secret\nmetadata: {name: sa, namespace: prod}\n"
                "type: kubernetes.io/service-account-token\n",
                NULL, &f);
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_ERROR), 2);
    const sk_finding *x = must_find(&f, "plaintext-secret", NULL);
    assert_int_equal(x->document, 1);
    assert_int_equal(x->line, 1);
    assert_non_null(strstr(x->message, "prod/leak holds 2 items"));
    assert_non_null(strstr(x->message, "data: k, stringData: pw"));
    assert_int_equal(f.v[1].document, 2);
    assert_int_equal(f.v[1].list_item, 1);
    assert_string_equal(f.v[1].code, "plaintext-secret");
    assert_int_equal(f.v[1].line, 7);
    for (size_t i = 0; i < f.n; i++) {
        assert_null(strstr(f.v[i].message, "pl41n"));
        assert_null(strstr(f.v[i].message, "cGw0MW4"));
    }
    assert_int_equal(f.n_secrets, 0);
    sk_findings_free(&f);
}

static void test_lines_and_columns(void **state)
{
    (void)state;
    sk_findings f;
    char *t = sealed_yaml("not*base64", "", "", "");
    verify_text(t, NULL, &f);
    const sk_finding *x = must_find(&f, "base64", "password");
    assert_int_equal(x->line, 8);    /* "    password: not*base64" */
    assert_int_equal(x->column, 15); /* the value, after "    password: " */
    sk_findings_free(&f);
    free(t);
    /* JSON: the positions come from libyaml reading the same text. */
    verify_text("{\"apiVersion\": \"bitnami.com/v1alpha1\", \"kind\": \"SealedSecret\",\n"
                " \"metadata\": {\"name\": \"db\", \"namespace\": \"prod\"},\n"
                " \"spec\": {\"encryptedData\": {\n"
                "\t\"password\": \"not*base64\"}}}\n",
                NULL, &f);
    x = must_find(&f, "base64", "password");
    assert_int_equal(x->line, 4);
    assert_int_equal(x->column, 15); /* after a tab and "password": " */
    sk_findings_free(&f);
    verify_text("a: [unclosed\n", NULL, &f);
    x = must_find(&f, "parse", NULL);
    assert_true(x->line >= 1);
    sk_findings_free(&f);
}

/* Verifies each document into one findings list, as the CLI does for the files of a scan. */
static void verify_scan(json_t *const *docs, size_t n, const sk_verify_opts *o, sk_findings *f)
{
    sk_error err = {0};
    sk_findings_init(f);
    for (size_t i = 0; i < n; i++) {
        char file[32];
        snprintf(file, sizeof file, "%zu.yaml", i + 1);
        sk_where w = {file, 1, 0, NULL};
        assert_int_equal(sk_verify_doc(docs[i], &w, o, f, &err), SK_OK);
    }
    assert_int_equal(sk_verify_cross_check(o, f, &err), SK_OK);
}

static void set_item(json_t *to, const char *item, const json_t *from, const char *from_item)
{
    json_t *enc_to = json_object_get(json_object_get(to, "spec"), "encryptedData");
    json_t *enc_from = json_object_get(json_object_get(from, "spec"), "encryptedData");
    json_object_set(enc_to, item, json_object_get(enc_from, from_item));
}

static void test_cross_copied_value(void **state)
{
    fixture *fx = *state;
    json_t *docs[2];
    docs[0] = seal_yaml(fx,
                        "kind: Secret\nmetadata: {name: db, namespace: prod}\n"
                        "stringData: {pw: pr0d-value}\n",
                        SK_SCOPE_STRICT);
    docs[1] = seal_yaml(fx, plain_secret, SK_SCOPE_STRICT); /* demo/app: user, token */
    set_item(docs[1], "pw", docs[0], "pw");
    set_item(docs[1], "other", docs[0], "pw");
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_scan(docs, 2, &keys, &f);
    const sk_finding *x = must_find(&f, "copied-value", "pw");
    assert_non_null(strstr(x->message, "copied from prod/db, the same item in 1.yaml:1"));
    assert_string_equal(x->key_fingerprint, FP_CURRENT);
    x = must_find(&f, "copied-value", "other");
    assert_non_null(strstr(x->message, "copied from prod/db, item pw in 1.yaml:1"));
    assert_null(find(&f, "decrypt-failed", NULL));
    assert_null(find(&f, "duplicate-ciphertext", NULL));
    for (size_t i = 0; i < f.n_items; i++)
        assert_null(f.items[i].unopened);
    sk_findings_free(&f);
    /* Without keys: the same bytes in two SealedSecrets, reported on the later one. */
    verify_scan(docs, 2, NULL, &f);
    x = must_find(&f, "duplicate-ciphertext", "pw");
    assert_string_equal(x->file, "2.yaml");
    assert_int_equal(x->severity, SK_SEVERITY_WARNING);
    assert_non_null(strstr(x->message, "prod/db, the same item in 1.yaml:1"));
    must_find(&f, "duplicate-ciphertext", "other");
    assert_null(find(&f, "duplicate-ciphertext", "user"));
    sk_findings_free(&f);
    /* The same SealedSecret twice (two overlays) is not a copy. */
    json_t *twice[2] = {docs[0], docs[0]};
    verify_scan(twice, 2, NULL, &f);
    assert_null(find(&f, "duplicate-ciphertext", NULL));
    sk_findings_free(&f);
    json_decref(docs[0]);
    json_decref(docs[1]);
}

static void test_cross_sealed_for_other(void **state)
{
    fixture *fx = *state;
    json_t *docs[2];
    /* prod/db moved to the typo namespace prd; prod/other tells the scan prod exists. */
    docs[0] = seal_yaml(fx,
                        "kind: Secret\nmetadata: {name: db, namespace: prod}\n"
                        "stringData: {a: v-a, b: v-b}\n",
                        SK_SCOPE_STRICT);
    json_t *tmeta =
        json_object_get(json_object_get(json_object_get(docs[0], "spec"), "template"), "metadata");
    json_object_set_new(json_object_get(docs[0], "metadata"), "namespace", json_string("prd"));
    json_object_set_new(tmeta, "namespace", json_string("prd"));
    docs[1] = seal_yaml(fx,
                        "kind: Secret\nmetadata: {name: other, namespace: prod}\n"
                        "stringData: {c: v-c}\n",
                        SK_SCOPE_STRICT);
    sk_findings f;
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    verify_scan(docs, 2, &keys, &f);
    const sk_finding *x = must_find(&f, "sealed-for-other", "a");
    assert_non_null(strstr(x->message, "sealed for prod/db, not for this SealedSecret"));
    must_find(&f, "sealed-for-other", "b");
    assert_int_equal(f.items[0].sealed_scope, SK_SCOPE_STRICT);
    assert_string_equal(f.items[0].opened_by, FP_CURRENT);
    sk_findings_free(&f);
    /* Alone, where it came from cannot be told. */
    verify_scan(docs, 1, &keys, &f);
    must_find(&f, "decrypt-failed", "a");
    assert_null(find(&f, "sealed-for-other", NULL));
    sk_findings_free(&f);
    json_decref(docs[0]);
    json_decref(docs[1]);
}

static void test_cert_expiry(void **state)
{
    fixture *fx = *state;
    sk_findings f;
    sk_error err = {0};
    sk_findings_init(&f);
    assert_int_equal(sk_verify_cert_findings(fx->cert, "c.crt", NOW_2030, 0, &f, &err), SK_OK);
    assert_int_equal(f.n, 0);
    /* notAfter is 2036-11-22: within 3000 days of 2030, not within 2000. */
    assert_int_equal(sk_verify_cert_findings(fx->cert, "c.crt", NOW_2030, 2000, &f, &err), SK_OK);
    assert_int_equal(f.n, 0);
    assert_int_equal(sk_verify_cert_findings(fx->cert, "c.crt", NOW_2030, 3000, &f, &err), SK_OK);
    const sk_finding *x = must_find(&f, "cert-expiring", NULL);
    assert_int_equal(x->severity, SK_SEVERITY_WARNING);
    assert_string_equal(x->file, "c.crt");
    assert_int_equal(sk_verify_cert_findings(fx->cert, "c.crt", (time_t)2208988800, 0, &f, &err),
                     SK_OK);
    x = must_find(&f, "cert-expired", NULL);
    assert_int_equal(x->severity, SK_SEVERITY_ERROR);
    assert_non_null(strstr(x->message, "2036-11-22"));
    sk_findings_free(&f);
}

/* A key seal refuses is an error naming why; a valid exponent other than 65537 a warning. */
static void test_cert_key_findings(void **state)
{
    (void)state;
    static const struct {
        const char *file, *code, *why;
        sk_severity severity;
    } cases[] = {
        {"cert/e1.pub.pem", "cert-weak-key", "exponent 1 is unsafe", SK_SEVERITY_ERROR},
        {"cert/rsa-1024.pub.pem", "cert-weak-key", "1024 bits", SK_SEVERITY_ERROR},
        {"cert/e3-2048.pub.pem", "cert-unusual-exponent", "not 65537", SK_SEVERITY_WARNING},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = 0;
        char *pem = tu_data_file(cases[i].file, &len);
        sk_pubkey *pk = NULL;
        sk_error err = {0};
        /* Sealing refuses the weak ones; inspecting loads them, flagged. */
        if (cases[i].severity == SK_SEVERITY_ERROR)
            assert_int_equal(sk_pubkey_from_pem(pem, len, NOW_2030, &pk, &err), SK_ECERT);
        assert_int_equal(sk_pubkey_from_pem_ex(pem, len, NOW_2030, SK_PUBKEY_ALLOW_WEAK, &pk, &err),
                         SK_OK);
        sk_findings f;
        sk_findings_init(&f);
        assert_int_equal(sk_verify_cert_findings(pk, "c.pem", NOW_2030, 30, &f, &err), SK_OK);
        assert_int_equal(f.n, 1);
        const sk_finding *x = must_find(&f, cases[i].code, NULL);
        assert_int_equal(x->severity, cases[i].severity);
        assert_string_equal(x->file, "c.pem");
        assert_non_null(strstr(x->message, cases[i].why));
        sk_findings_free(&f);
        sk_pubkey_free(pk);
        free(pem);
    }
}

static sk_policy *policy_of(const char *text)
{
    sk_policy *p = NULL;
    sk_error err = {0};
    int rc = sk_policy_parse((const unsigned char *)text, strlen(text), "p.yaml", &p, &err);
    if (rc != SK_OK) print_error("policy: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    return p;
}

static void test_policy_namespaces(void **state)
{
    (void)state;
    sk_findings f;
    char *blob = fake_blob(512, 512, 32);
    char *a = sealed_yaml(blob, "", "", "");
    char *typo = strdup(a), *at = strstr(typo, "namespace: demo");
    at[12] = 'm', at[13] = 'e'; /* demo -> dmeo, one transposition away */
    size_t la = strlen(a);
    char *both = malloc(la + strlen(typo) + 8);
    sprintf(both, "%s---\n%s", a, typo);
    verify_text(both, NULL, &f);
    sk_policy *p = policy_of("namespaces: [demo]\nsecrets: [{name: app, namespace: demo}]\n");
    sk_error err = {0};
    assert_int_equal(sk_policy_check(p, &f, &err), SK_OK);
    const sk_finding *x = must_find(&f, "policy-namespace", NULL);
    assert_int_equal(x->severity, SK_SEVERITY_ERROR); /* unexpected: not set */
    assert_int_equal(x->document, 2);
    assert_true(x->line > 1);
    assert_non_null(strstr(x->message, "namespace dmeo is not one the policy p.yaml allows (did "
                                       "you mean demo?)"));
    assert_null(find(&f, "policy-unexpected-secret", NULL)); /* only with unexpected: */
    sk_policy_free(p);
    sk_findings_free(&f);
    verify_text(both, NULL, &f);
    p = policy_of("unexpected: warning\nsecrets: [{name: other, namespace: demo}]\n");
    assert_int_equal(sk_policy_check(p, &f, &err), SK_OK);
    x = must_find(&f, "policy-unexpected-secret", NULL);
    assert_int_equal(x->severity, SK_SEVERITY_WARNING);
    assert_non_null(strstr(x->message, "demo/app is not in the policy"));
    assert_null(find(&f, "policy-namespace", NULL));
    sk_policy_free(p);
    sk_findings_free(&f);
    const char *bad[] = {"unexpected: maybe\nsecrets: []\n", "namespaces: []\nsecrets: []\n",
                         "namespaces: [1]\nsecrets: []\n", "namespaces: demo\nsecrets: []\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sk_policy *q = NULL;
        assert_int_equal(
            sk_policy_parse((const unsigned char *)bad[i], strlen(bad[i]), "p.yaml", &q, &err),
            SK_EINVAL);
        assert_null(q);
    }
    free(blob), free(a), free(typo), free(both);
}

static void test_findings_group(void **state)
{
    (void)state;
    sk_findings f;
    sk_error err = {0};
    sk_findings_init(&f);
    sk_where a = {"f.yaml", 1, 0, "a"}, b = {"f.yaml", 1, 0, "b"}, c = {"f.yaml", 1, 0, "c"};
    sk_where whole = {"f.yaml", 1, 0, NULL}, other = {"g.yaml", 1, 0, "a"};
    assert_int_equal(sk_findings_add(&f, &a, SK_SEVERITY_ERROR, "base64", NULL, &err, "m"), 0);
    assert_int_equal(sk_findings_add(&f, &whole, SK_SEVERITY_ERROR, "spec", NULL, &err, "m"), 0);
    assert_int_equal(sk_findings_add(&f, &b, SK_SEVERITY_ERROR, "base64", NULL, &err, "m"), 0);
    assert_int_equal(sk_findings_add(&f, &c, SK_SEVERITY_ERROR, "base64", NULL, &err, "n"), 0);
    assert_int_equal(sk_findings_add(&f, &other, SK_SEVERITY_ERROR, "base64", NULL, &err, "m"), 0);
    assert_int_equal(sk_findings_add(&f, &whole, SK_SEVERITY_ERROR, "spec", NULL, &err, "m"), 0);
    size_t *order = NULL, *start = NULL, n = 0;
    assert_int_equal(sk_findings_group(&f, &order, &start, &n, &err), SK_OK);
    /* {a, b}, whole, {c}, other, whole: whole-SealedSecret findings are never merged. */
    assert_int_equal(n, 5);
    size_t want_order[] = {0, 2, 1, 3, 4, 5}, want_start[] = {0, 2, 3, 4, 5, 6};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(order[i], want_order[i]);
    for (size_t i = 0; i <= n; i++)
        assert_int_equal(start[i], want_start[i]);
    free(order), free(start);
    sk_findings_free(&f);
}

static void test_codes_table(void **state)
{
    fixture *fx = *state;
    size_t n = 0;
    const sk_verify_code *codes = sk_verify_codes(&n);
    assert_true(n > 40);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(sk_verify_code_find(codes[i].code), &codes[i]); /* each once */
        assert_true(strlen(codes[i].summary) > 10 && strlen(codes[i].help) > 10);
    }
    assert_null(sk_verify_code_find("no-such-code"));
    assert_null(sk_verify_code_find(NULL));
    /* Every code the interop cases produce, with and without keys, is in the table. */
    const char *cases[] = {"strict-basic",        "neg-truncated-blob",  "neg-bad-base64",
                           "neg-flipped-gcm-tag", "neg-wrong-namespace", "old-key"};
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, fx->cert, fx->both, 1};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sk_findings f;
        verify_case(cases[c], &keys, &f);
        for (size_t i = 0; i < f.n; i++) {
            if (sk_verify_code_find(f.v[i].code) == NULL) print_error("%s\n", f.v[i].code);
            assert_non_null(sk_verify_code_find(f.v[i].code));
        }
        sk_findings_free(&f);
    }
}

static void test_cross_check_cut(void **state)
{
    fixture *fx = *state;
    /* 600 SealedSecrets in as many namespaces: 1,200 labels, more than a budget of 1,024 RSA
     * operations (one key: one per label) allows. */
    size_t n = 600;
    char *blob = fake_blob(512, 512, 32);
    sk_findings f;
    sk_error err = {0};
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    sk_findings_init(&f);
    f.diagnose_budget = 1024;
    for (size_t i = 0; i <= n; i++) {
        json_t *doc =
            json_pack("{s:s,s:s,s:{s:s},s:{s:{}}}", "apiVersion", "bitnami.com/v1alpha1", "kind",
                      "SealedSecret", "metadata", "name", "s", "spec", "encryptedData");
        assert_non_null(doc);
        char ns[32];
        snprintf(ns, sizeof ns, "ns-%zu", i);
        json_object_set_new(json_object_get(doc, "metadata"), "namespace", json_string(ns));
        if (i == n)
            json_object_set_new(json_object_get(json_object_get(doc, "spec"), "encryptedData"),
                                "foreign", json_string(blob));
        sk_where w = {"many.yaml", i + 1, 0, NULL};
        assert_int_equal(sk_verify_doc(doc, &w, &keys, &f, &err), SK_OK);
        json_decref(doc);
    }
    assert_int_equal(sk_verify_cross_check(&keys, &f, &err), SK_OK);
    must_find(&f, "decrypt-failed", "foreign");
    const sk_finding *x = must_find(&f, "diagnosis-cut", NULL);
    assert_int_equal(x->severity, SK_SEVERITY_INFO);
    assert_string_equal(x->file, "-");
    assert_non_null(strstr(x->message, "budget of 1024 RSA private operations"));
    assert_int_equal(f.diagnose_spent, 1024);
    sk_findings_free(&f);
    free(blob);
}

/* A SealedSecret of n items that no key opens: blobs of the interop key's size. */
static char *junk_yaml(const char *name, size_t n)
{
    char *blob = fake_blob(512, 512, 32);
    size_t cap = 256 + n * (strlen(blob) + 32);
    char *y = malloc(cap);
    assert_non_null(y);
    int used = snprintf(y, cap,
                        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: "
                        "%s, namespace: demo}\nspec:\n  encryptedData:\n",
                        name);
    for (size_t i = 0; i < n; i++)
        used += snprintf(y + used, cap - (size_t)used, "    k%zu: %s\n", i, blob);
    free(blob);
    return y;
}

static size_t count_cut(const sk_findings *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += strcmp(f->v[i].code, "decrypt-failed") == 0 &&
             strstr(f->v[i].message, "budget ran out") != NULL;
    return n;
}

static void test_diagnose_budget(void **state)
{
    fixture *fx = *state;
    /* One key: each item costs 1 (altered) + 2 (the other scopes' labels) operations. With 7,
     * two items are diagnosed and the third runs out after its first try. */
    char *y = junk_yaml("junk", 5);
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    sk_findings f;
    sk_error err = {0};
    sk_findings_init(&f);
    f.diagnose_file_budget = 7;
    assert_int_equal(
        sk_verify_text((const unsigned char *)y, strlen(y), "junk.yaml", &keys, &f, &err), SK_OK);
    assert_int_equal(sk_findings_count(&f, SK_SEVERITY_ERROR), 5);
    assert_int_equal(count_cut(&f), 3);
    assert_true(f.items[1].diagnosed && !f.items[1].diagnose_cut);
    assert_int_equal(f.items[1].diagnose_cost, 3);
    assert_true(f.items[2].diagnose_cut && f.items[4].diagnose_cut);
    assert_int_equal(f.diagnose_spent, 7);
    const sk_finding *x = must_find(&f, "diagnosis-cut", NULL);
    assert_string_equal(x->file, "junk.yaml");
    assert_non_null(strstr(x->message, "3 items"));
    assert_non_null(strstr(x->message, "this file's diagnosis budget of 7 RSA"));
    /* The next file gets its own 7, within what is left of the scan's 10: 3. */
    f.diagnose_budget = 10;
    assert_int_equal(
        sk_verify_text((const unsigned char *)y, strlen(y), "junk2.yaml", &keys, &f, &err), SK_OK);
    assert_int_equal(count_cut(&f), 3 + 4);
    assert_int_equal(f.diagnose_spent, 10);
    assert_non_null(strstr(f.v[f.n - 1].message, "the scan's diagnosis budget of 10 RSA"));
    sk_findings_free(&f);
    free(y);
}

/* The same report from worker processes as from this one, the budget spent in file order. */
static void test_verify_files_jobs(void **state)
{
    fixture *fx = *state;
    char dir[] = "/tmp/sk-verify-files-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *paths[6];
    for (size_t i = 0; i < 6; i++) {
        char name[16];
        snprintf(name, sizeof name, "j%zu", i);
        char *y = i == 3 ? strdup("kind: [unclosed\n") : junk_yaml(name, 2 + i);
        assert_non_null(y);
        size_t n = strlen(dir) + 16;
        paths[i] = malloc(n);
        assert_non_null(paths[i]);
        snprintf(paths[i], n, "%s/%s.yaml", dir, name);
        FILE *fp = fopen(paths[i], "w");
        assert_non_null(fp);
        fputs(y, fp);
        fclose(fp);
        free(y);
    }
    sk_verify_opts keys = {SK_VERIFY_OPTS_VERSION, NULL, fx->cur, 0};
    sk_findings f[3];
    size_t jobs[3] = {1, 3, 6};
    for (size_t r = 0; r < 3; r++) {
        sk_error err = {0};
        sk_findings_init(&f[r]);
        f[r].diagnose_budget = 40, f[r].diagnose_file_budget = 13;
        assert_int_equal(
            sk_verify_files((const char *const *)paths, 6, &keys, jobs[r], &f[r], &err), SK_OK);
    }
    /* 6 + 9 + 12 + 0 (the parse error) + 13 of the 40, cut; the last file gets nothing. */
    assert_int_equal(f[0].diagnose_spent, 40);
    assert_int_equal(f[0].files, 6);
    assert_non_null(must_find(&f[0], "parse", NULL));
    for (size_t r = 1; r < 3; r++) {
        assert_int_equal(f[r].n, f[0].n);
        assert_int_equal(f[r].n_items, f[0].n_items);
        assert_int_equal(f[r].n_secrets, f[0].n_secrets);
        assert_int_equal(f[r].files, f[0].files);
        assert_int_equal(f[r].diagnose_spent, f[0].diagnose_spent);
        for (size_t i = 0; i < f[0].n; i++) {
            assert_string_equal(f[r].v[i].file, f[0].v[i].file);
            assert_string_equal(f[r].v[i].code, f[0].v[i].code);
            assert_string_equal(f[r].v[i].message, f[0].v[i].message);
            assert_int_equal(f[r].v[i].line, f[0].v[i].line);
        }
        for (size_t i = 0; i < f[0].n_items; i++) {
            assert_string_equal(f[r].items[i].item, f[0].items[i].item);
            assert_int_equal(f[r].items[i].diagnose_cut, f[0].items[i].diagnose_cut);
            assert_int_equal(f[r].items[i].failed_finding, f[0].items[i].failed_finding);
        }
    }
    for (size_t r = 0; r < 3; r++)
        sk_findings_free(&f[r]);
    /* A file that cannot be read stops the scan with its error, whatever the workers. */
    paths[4][strlen(paths[4]) - 1] = 'X';
    for (size_t r = 0; r < 3; r++) {
        sk_error err = {0};
        sk_findings g;
        sk_findings_init(&g);
        assert_int_not_equal(
            sk_verify_files((const char *const *)paths, 6, &keys, jobs[r], &g, &err), SK_OK);
        assert_non_null(strstr(err.source, "j4.yamX"));
        assert_int_equal(g.files, 4);
        sk_findings_free(&g);
    }
    paths[4][strlen(paths[4]) - 1] = 'l';
    for (size_t i = 0; i < 6; i++) {
        unlink(paths[i]);
        free(paths[i]);
    }
    rmdir(dir);
}

int main(void)
{
    if (sk_init() != SK_OK || sk_json_wipe_on_free() != SK_OK) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_findings_api),
        cmocka_unit_test(test_interop_positive_clean),
        cmocka_unit_test(test_interop_scopes_recorded),
        cmocka_unit_test(test_neg_truncated),
        cmocka_unit_test(test_neg_bad_base64),
        cmocka_unit_test(test_neg_flipped_tag),
        cmocka_unit_test(test_opts_version),
        cmocka_unit_test(test_neg_wrong_namespace),
        cmocka_unit_test(test_old_key_not_current),
        cmocka_unit_test(test_wrong_scope_cluster),
        cmocka_unit_test(test_wrong_scope_namespace_wide),
        cmocka_unit_test(test_wrong_identity),
        cmocka_unit_test(test_copied_item),
        cmocka_unit_test(test_no_key_of_size),
        cmocka_unit_test(test_default_credentials),
        cmocka_unit_test(test_dockerconfigjson),
        cmocka_unit_test(test_structure_clean_and_blob_sizes),
        cmocka_unit_test(test_structure_findings),
        cmocka_unit_test(test_structure_identity),
        cmocka_unit_test(test_structure_values),
        cmocka_unit_test(test_documents_and_lists),
        cmocka_unit_test(test_policy_seldon),
        cmocka_unit_test(test_policy_refusals),
        cmocka_unit_test(test_cert_scan_forms),
        cmocka_unit_test(test_cert_scan_pem_bundle_and_bare),
        cmocka_unit_test(test_cert_scan_refusals),
        cmocka_unit_test(test_newest_key),
        cmocka_unit_test(test_pubkey_ex_expired),
        cmocka_unit_test(test_plaintext_secret),
        cmocka_unit_test(test_lines_and_columns),
        cmocka_unit_test(test_cross_copied_value),
        cmocka_unit_test(test_cross_sealed_for_other),
        cmocka_unit_test(test_cert_expiry),
        cmocka_unit_test(test_cert_key_findings),
        cmocka_unit_test(test_policy_namespaces),
        cmocka_unit_test(test_findings_group),
        cmocka_unit_test(test_codes_table),
        cmocka_unit_test(test_cross_check_cut),
        cmocka_unit_test(test_diagnose_budget),
        cmocka_unit_test(test_verify_files_jobs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
