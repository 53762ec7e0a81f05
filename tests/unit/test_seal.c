/* Sealing through the library: round trips, shapes, and refusals. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "operations/reseal_internal.h"
#include "operations/testhooks.h"
#include "testutil.h"

typedef struct fixture {
    sk_pubkey *pk;
    sk_keyring *kr;
} fixture;

static int setup(void **state)
{
    static fixture f;
    sk_error err = {0};
    char *crt = tu_path(SK_TEST_DATA_DIR, "interop/keys/current/tls.crt");
    char *key = tu_path(SK_TEST_DATA_DIR, "interop/keys/current/tls.key");
    size_t len;
    char *pem = tu_read_file(key, &len);
    assert_int_equal(
        sk_pubkey_from_file(crt, 1893456000 /* 2030-01-01: inside its validity */, &f.pk, &err),
        SK_OK);
    assert_int_equal(sk_keyring_new(&f.kr, &err), SK_OK);
    assert_int_equal(sk_keyring_add_pem(f.kr, pem, len, key, NULL, &err), SK_OK);
    free(crt), free(key), free(pem);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sk_pubkey_free(f->pk);
    sk_keyring_free(f->kr);
    return 0;
}

/* Parses text into Secrets; returns the count. */
static size_t parse_secrets(const char *text, sk_secret **out, sk_error *err)
{
    sk_docs docs = {0};
    sk_origin *origins = NULL;
    size_t n = 0;
    int rc = sk_docs_parse((const unsigned char *)text, strlen(text), "test", &docs, err);
    if (rc == SK_OK) rc = sk_secrets_from_docs(&docs, out, &origins, &n, err);
    sk_docs_free(&docs);
    free(origins);
    return rc == SK_OK ? n : 0;
}

static void free_secrets(sk_secret *s, size_t n)
{
    sk_secrets_free(s, NULL, n);
}

/* Seals s, then opens the result and checks every item came back byte for byte. */
static json_t *seal_and_check(fixture *f, sk_secret *s, const sk_seal_opts *o)
{
    sk_error err = {0};
    json_t *sealed = NULL;
    int rc = sk_seal_secret(s, f->pk, o, &sealed, &err);
    if (rc != SK_OK) print_error("seal: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    sk_secret back;
    rc = sk_unseal(sealed, f->kr, &back, &err);
    if (rc != SK_OK) print_error("unseal: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    assert_int_equal(back.n_items, s->n_items);
    for (size_t i = 0; i < s->n_items; i++) {
        assert_string_equal(back.items[i].key, s->items[i].key);
        assert_int_equal(back.items[i].value.len, s->items[i].value.len);
        assert_memory_equal(back.items[i].value.data, s->items[i].value.data,
                            s->items[i].value.len);
    }
    assert_string_equal(sk_secret_name(&back), sk_secret_name(s));
    sk_secret_free(&back);
    return sealed;
}

static const char *outer_annotation(const json_t *sealed, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(sealed, "metadata"), "annotations"), key));
}

static void test_scopes_round_trip(void **state)
{
    fixture *f = *state;
    const char *text = "apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: demo}\n"
                       "stringData: {password: hunter2}\n";
    sk_scope scopes[] = {SK_SCOPE_STRICT, SK_SCOPE_NAMESPACE_WIDE, SK_SCOPE_CLUSTER_WIDE};
    for (size_t i = 0; i < 3; i++) {
        sk_error err = {0};
        sk_secret *s = NULL;
        assert_int_equal(parse_secrets(text, &s, &err), 1);
        sk_seal_opts o = {.version = SK_SEAL_OPTS_VERSION, .has_scope = 1, .scope = scopes[i]};
        json_t *sealed = seal_and_check(f, &s[0], &o);
        sk_scope got;
        assert_int_equal(sk_sealed_check(sealed, &got, &err), SK_OK);
        assert_int_equal(got, scopes[i]);
        if (scopes[i] == SK_SCOPE_CLUSTER_WIDE)
            assert_string_equal(outer_annotation(sealed, SK_ANNOTATION_CLUSTER_WIDE), "true");
        if (scopes[i] == SK_SCOPE_STRICT)
            assert_null(json_object_get(json_object_get(sealed, "metadata"), "annotations"));
        json_decref(sealed);
        free_secrets(s, 1);
    }
}

static void test_strict_cannot_downgrade(void **state)
{
    fixture *f = *state;
    const char *text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: b\n"
                       "  annotations:\n    sealedsecrets.bitnami.com/cluster-wide: \"true\"\n"
                       "data: {k: dg==}\n";
    sk_error err = {0};
    sk_secret *s = NULL;
    assert_int_equal(parse_secrets(text, &s, &err), 1);
    sk_seal_opts o = {.version = SK_SEAL_OPTS_VERSION, .has_scope = 1, .scope = SK_SCOPE_STRICT};
    json_t *sealed = seal_and_check(f, &s[0], &o);
    assert_string_equal(outer_annotation(sealed, SK_ANNOTATION_CLUSTER_WIDE), "true");
    json_decref(sealed);
    free_secrets(s, 1);
}

static void test_binary_and_large_values(void **state)
{
    fixture *f = *state;
    sk_error err = {0};
    sk_secret *s = NULL;
    assert_int_equal(parse_secrets("kind: Secret\nmetadata: {name: b, namespace: ns}\n", &s, &err),
                     1);
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    size_t big_len = 1024 * 1024;
    unsigned char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (unsigned char)(i * 7 + 3);
    assert_int_equal(sk_secret_put(&s[0], "all-bytes", all, sizeof all, &err), SK_OK);
    assert_int_equal(sk_secret_put(&s[0], "nul.ff", (const unsigned char *)"\0\xff\0", 3, &err),
                     SK_OK);
    assert_int_equal(sk_secret_put(&s[0], "one-mib", big, big_len, &err), SK_OK);
    assert_int_equal(sk_secret_put(&s[0], "empty", (const unsigned char *)"", 0, &err), SK_OK);
    json_t *sealed = seal_and_check(f, &s[0], NULL);
    const char *b = json_string_value(json_object_get(
        json_object_get(json_object_get(sealed, "spec"), "encryptedData"), "one-mib"));
    assert_true(strlen(b) > big_len * 4 / 3);
    json_decref(sealed);
    free(big);
    free_secrets(s, 1);
}

static void test_empty_secret_needs_flag(void **state)
{
    fixture *f = *state;
    sk_error err = {0};
    sk_secret *s = NULL;
    json_t *sealed = NULL;
    assert_int_equal(parse_secrets("kind: Secret\nmetadata: {name: e, namespace: ns}\n", &s, &err),
                     1);
    assert_int_equal(sk_seal_secret(&s[0], f->pk, NULL, &sealed, &err), SK_EINVAL);
    assert_non_null(strstr(err.hint, "--allow-empty-data"));
    sk_seal_opts o = {.version = SK_SEAL_OPTS_VERSION, .allow_empty = 1};
    assert_int_equal(sk_seal_secret(&s[0], f->pk, &o, &sealed, &err), SK_OK);
    json_t *enc = json_object_get(json_object_get(sealed, "spec"), "encryptedData");
    assert_true(json_is_object(enc));
    assert_int_equal(json_object_size(enc), 0);
    json_decref(sealed);
    free_secrets(s, 1);
}

static void test_multi_document_and_list(void **state)
{
    fixture *f = *state;
    const char *text =
        "---\nkind: Secret\nmetadata: {name: one, namespace: ns}\ndata: {a: YQ==}\n"
        "---\napiVersion: v1\nkind: List\nitems:\n"
        "- kind: Secret\n  metadata: {name: two, namespace: ns}\n  stringData: {b: bee}\n"
        "- kind: Secret\n  metadata: {name: three, namespace: ns}\n  stringData: {c: sea}\n";
    sk_error err = {0};
    sk_secret *s = NULL;
    assert_int_equal(parse_secrets(text, &s, &err), 3);
    const char *names[] = {"one", "two", "three"};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(sk_secret_name(&s[i]), names[i]);
        json_decref(seal_and_check(f, &s[i], NULL));
    }
    free_secrets(s, 3);
}

static void test_string_data_wins(void **state)
{
    (void)state;
    sk_error err = {0};
    sk_secret *s = NULL;
    assert_int_equal(
        parse_secrets(
            "kind: Secret\nmetadata: {name: x}\ndata: {fss: YnJy}\nstringData: {fss: baa}\n", &s,
            &err),
        1);
    assert_int_equal(s[0].n_items, 1);
    assert_memory_equal(s[0].items[0].value.data, "baa", 3);
    free_secrets(s, 1);
}

static void test_template_shape(void **state)
{
    fixture *f = *state;
    const char *text =
        "apiVersion: v1\nkind: Secret\ntype: Opaque\nimmutable: true\n"
        "metadata:\n  name: web\n  namespace: prod\n  uid: \"1234\"\n  resourceVersion: \"9\"\n"
        "  creationTimestamp: \"2024-01-01T00:00:00Z\"\n  labels: {app: web}\n"
        "  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: "
        "'{\"data\":\"leak\"}'\n"
        "    foo.bar.io/foo-bar-baz: keep\n"
        "  ownerReferences: [{apiVersion: v1, kind: X, name: y, uid: z}]\n"
        "data: {k: dg==}\n";
    sk_error err = {0};
    sk_secret *s = NULL;
    size_t n = parse_secrets(text, &s, &err);
    if (n == 0) print_error("%s\n", tu_err_line(&err));
    assert_int_equal(n, 1);
    json_t *sealed = seal_and_check(f, &s[0], NULL);
    json_t *tmpl = json_object_get(json_object_get(sealed, "spec"), "template");
    json_t *tmeta = json_object_get(tmpl, "metadata");
    assert_null(json_object_get(tmeta, "uid"));
    assert_null(json_object_get(tmeta, "resourceVersion"));
    assert_null(json_object_get(tmeta, "creationTimestamp"));
    assert_null(json_object_get(tmeta, "ownerReferences"));
    json_t *ann = json_object_get(tmeta, "annotations");
    assert_null(json_object_get(ann, "kubectl.kubernetes.io/last-applied-configuration"));
    assert_string_equal(json_string_value(json_object_get(ann, "foo.bar.io/foo-bar-baz")), "keep");
    assert_string_equal(json_string_value(json_object_get(json_object_get(tmeta, "labels"), "app")),
                        "web");
    assert_string_equal(json_string_value(json_object_get(tmpl, "type")), "Opaque");
    assert_true(json_is_true(json_object_get(tmpl, "immutable")));
    /* Outer metadata carries the identity only. */
    assert_int_equal(json_object_size(json_object_get(sealed, "metadata")), 2);
    json_decref(sealed);
    free_secrets(s, 1);
}

static void expect_parse_error(const char *text, int code, const char *needle)
{
    sk_error err = {0};
    sk_secret *s = NULL;
    assert_int_equal(parse_secrets(text, &s, &err), 0);
    assert_int_equal(err.code, code);
    if (strstr(tu_err_line(&err), needle) == NULL)
        print_error("message \"%s\" lacks \"%s\"\n", tu_err_line(&err), needle);
    assert_non_null(strstr(tu_err_line(&err), needle));
    assert_null(strstr(tu_err_line(&err), "hunter2"));
}

static void test_bad_secrets(void **state)
{
    (void)state;
    expect_parse_error("kind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n", SK_EINVAL,
                       "document 1: kind: ConfigMap");
    expect_parse_error("kind: Foo\n", SK_EINVAL, "kind: Foo is not a Secret");
    expect_parse_error("metadata: {name: a}\n", SK_EINVAL, "kind: missing");
    expect_parse_error("kind: Secret\napiVersion: v2\n", SK_EINVAL, "apiVersion");
    expect_parse_error("---\nkind: Secret\nmetadata: {name: a}\n---\nkind: Secret\ndata: "
                       "{password: 'hunter2!!'}\n",
                       SK_EPARSE, "document 2: data[password]");
    expect_parse_error("kind: Secret\nstringData: {port: 5432}\n", SK_EINVAL,
                       "stringData[port]: must be a string");
    expect_parse_error("kind: Secret\nmetadata: {labels: {'on': true}}\n", SK_EINVAL,
                       "metadata.labels[on]");
    expect_parse_error("kind: Secret\nmetadata: {name: 12}\n", SK_EINVAL, "metadata.name");
    expect_parse_error("kind: Secret\nstringData: {'bad key': x}\n", SK_EINVAL,
                       "not a valid Secret key");
    expect_parse_error("kind: List\nitems:\n- kind: Secret\n- kind: Pod\n", SK_EINVAL,
                       "document 1, item 2: kind: Pod");
    expect_parse_error("kind: Secret\ndata: [1, 2]\n", SK_EINVAL, "data: must be a map");
    expect_parse_error("kind: Secret\nimmutable: maybe\n", SK_EINVAL, "immutable");
}

static void test_missing_identity(void **state)
{
    fixture *f = *state;
    sk_error err = {0};
    sk_secret *s = NULL;
    json_t *sealed = NULL;
    assert_int_equal(
        parse_secrets("kind: Secret\nmetadata: {namespace: ns}\ndata: {k: dg==}\n", &s, &err), 1);
    assert_int_equal(sk_seal_secret(&s[0], f->pk, NULL, &sealed, &err), SK_EINVAL);
    assert_non_null(strstr(tu_err_line(&err), "metadata.name"));
    free_secrets(s, 1);
    assert_int_equal(
        parse_secrets("kind: Secret\nmetadata: {name: a}\ndata: {k: dg==}\n", &s, &err), 1);
    assert_int_equal(sk_seal_secret(&s[0], f->pk, NULL, &sealed, &err), SK_EINVAL);
    assert_non_null(strstr(tu_err_line(&err), "namespace"));
    assert_non_null(strstr(err.hint, "-n"));
    /* The namespace flag fills it in; a cluster-wide Secret needs none. */
    sk_seal_opts o = {.version = SK_SEAL_OPTS_VERSION, .namespace_ = "flagns"};
    json_t *ok = seal_and_check(f, &s[0], &o);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(ok, "metadata"), "namespace")), "flagns");
    json_decref(ok);
    free_secrets(s, 1);
    assert_int_equal(
        parse_secrets("kind: Secret\nmetadata: {name: a, namespace: secretns}\ndata: {k: dg==}\n",
                      &s, &err),
        1);
    o.namespace_ = "flagns";
    assert_int_equal(sk_seal_secret(&s[0], f->pk, &o, &sealed, &err), SK_EINVAL);
    assert_non_null(
        strstr(tu_err_line(&err),
               "namespace mismatch: input secret is in namespace \"secretns\" but \"flagns\""));
    free_secrets(s, 1);
    assert_int_equal(
        parse_secrets("kind: Secret\nmetadata: {name: a}\ndata: {k: dg==}\n", &s, &err), 1);
    sk_seal_opts cw = {
        .version = SK_SEAL_OPTS_VERSION, .has_scope = 1, .scope = SK_SCOPE_CLUSTER_WIDE};
    ok = seal_and_check(f, &s[0], &cw);
    assert_null(json_object_get(json_object_get(ok, "metadata"), "namespace"));
    json_decref(ok);
    free_secrets(s, 1);
}

static void test_renamed_fails_to_open(void **state)
{
    fixture *f = *state;
    sk_error err = {0};
    sk_secret *s = NULL;
    assert_int_equal(
        parse_secrets(
            "kind: Secret\nmetadata: {name: a, namespace: ns}\ndata: {k: dg==, j: dg==}\n", &s,
            &err),
        1);
    json_t *sealed = seal_and_check(f, &s[0], NULL);
    json_object_set_new(json_object_get(sealed, "metadata"), "name", json_string("renamed"));
    sk_secret back;
    assert_int_equal(sk_unseal(sealed, f->kr, &back, &err), SK_EDECRYPT);
    assert_non_null(strstr(tu_err_line(&err), "items j, k"));
    json_decref(sealed);
    free_secrets(s, 1);
}

static void test_scope_diagnosis(void **state)
{
    fixture *f = *state;
    sk_error err = {0};
    sk_secret *s = NULL;
    assert_int_equal(
        parse_secrets("kind: Secret\nmetadata: {name: a, namespace: ns}\ndata: {k: dg==}\n", &s,
                      &err),
        1);
    sk_seal_opts o = {
        .version = SK_SEAL_OPTS_VERSION, .has_scope = 1, .scope = SK_SCOPE_NAMESPACE_WIDE};
    json_t *sealed = seal_and_check(f, &s[0], &o);
    /* Drop the outer annotation: the label becomes strict's and nothing opens. */
    json_object_del(json_object_get(sealed, "metadata"), "annotations");
    sk_secret back;
    assert_int_equal(sk_unseal(sealed, f->kr, &back, &err), SK_EDECRYPT);
    assert_non_null(
        strstr(tu_err_line(&err), "sealed namespace-wide but the SealedSecret is strict"));
    const char *b64 = json_string_value(
        json_object_get(json_object_get(json_object_get(sealed, "spec"), "encryptedData"), "k"));
    sk_secbuf blob = SK_SECBUF_INIT;
    assert_int_equal(sk_base64_decode(b64, strlen(b64), &blob, &err), SK_OK);
    sk_scope opens = SK_SCOPE_STRICT;
    assert_int_equal(
        sk_diagnose_scope(f->kr, blob.data, blob.len, "ns", "a", SK_SCOPE_STRICT, &opens, &err),
        SK_OK);
    assert_int_equal(opens, SK_SCOPE_NAMESPACE_WIDE);
    /* Another namespace: no scope's label opens it. */
    assert_int_equal(
        sk_diagnose_scope(f->kr, blob.data, blob.len, "other", "a", SK_SCOPE_STRICT, &opens, &err),
        SK_EDECRYPT);
    sk_secbuf_free(&blob);
    json_decref(sealed);
    free_secrets(s, 1);
}

static const sk_item *item(const sk_secret *s, const char *key)
{
    for (size_t i = 0; i < s->n_items; i++)
        if (strcmp(s->items[i].key, key) == 0) return &s->items[i];
    return NULL;
}

static void test_template_data(void **state)
{
    fixture *f = *state;
    sk_error err = {0};
    sk_secret *s = NULL;
    assert_int_equal(
        parse_secrets("kind: Secret\nmetadata: {name: t, namespace: ns}\n"
                      "stringData: {server1: 'a<b\"c', user: bob, db-name: main, over: sealed}\n",
                      &s, &err),
        1);
    json_t *sealed = seal_and_check(f, &s[0], NULL);
    json_t *tmpl = json_object_get(json_object_get(sealed, "spec"), "template");
    json_t *data = json_object();
    json_object_set_new(data, "config.json",
                        json_string("{\"s\": {{ toJson .server1 }}, \"u\": \"{{ .user }}\", "
                                    "\"d\": \"{{index . \"db-name\"}}\"}\n  {{- .user -}}  x"));
    json_object_set_new(data, "over", json_string("{{ .user }}-templated"));
    json_object_set_new(tmpl, "data", data);
    sk_secret back;
    int rc = sk_unseal(sealed, f->kr, &back, &err);
    if (rc != SK_OK) print_error("%s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    const sk_item *cfg = item(&back, "config.json");
    assert_non_null(cfg);
    assert_string_equal((const char *)cfg->value.data,
                        "{\"s\": \"a\\u003cb\\\"c\", \"u\": \"bob\", \"d\": \"main\"}bobx");
    assert_string_equal((const char *)item(&back, "over")->value.data, "bob-templated");
    sk_secret_free(&back);
    /* Outside the subset: refused, naming the template's key. */
    json_object_set_new(data, "bad", json_string("{{ .user | upper }}"));
    assert_int_equal(sk_unseal(sealed, f->kr, &back, &err), SK_EINVAL);
    assert_non_null(strstr(tu_err_line(&err), "spec.template.data[bad]"));
    json_object_set_new(data, "bad", json_string("{{ .missing }}"));
    assert_int_equal(sk_unseal(sealed, f->kr, &back, &err), SK_EINVAL);
    assert_non_null(strstr(tu_err_line(&err), "not an item"));
    json_decref(sealed);
    free_secrets(s, 1);
}

static void test_raw(void **state)
{
    fixture *f = *state;
    sk_error err = {0};
    char *b64 = NULL;
    assert_int_equal(
        sk_seal_raw(f->pk, SK_SCOPE_STRICT, "ns", NULL, (const unsigned char *)"v", 1, &b64, &err),
        SK_EUSAGE);
    assert_int_equal(sk_seal_raw(f->pk, SK_SCOPE_NAMESPACE_WIDE, NULL, NULL,
                                 (const unsigned char *)"v", 1, &b64, &err),
                     SK_EUSAGE);
    assert_int_equal(sk_seal_raw(f->pk, SK_SCOPE_CLUSTER_WIDE, NULL, NULL,
                                 (const unsigned char *)"v", 1, &b64, &err),
                     SK_OK);
    assert_int_equal(strncmp(b64, "Ag", 2), 0);
    sk_secbuf blob = SK_SECBUF_INIT, pt = SK_SECBUF_INIT;
    assert_int_equal(sk_base64_decode(b64, strlen(b64), &blob, &err), SK_OK);
    assert_int_equal(sk_keyring_decrypt(f->kr, (const unsigned char *)"", 0, blob.data, blob.len,
                                        &pt, NULL, &err),
                     SK_OK);
    assert_int_equal(pt.len, 1);
    assert_int_equal(pt.data[0], 'v');
    sk_secbuf_free(&blob);
    sk_secbuf_free(&pt);
    free(b64);
}

static void test_merge(void **state)
{
    fixture *f = *state;
    sk_error err = {0};
    sk_secret *a = NULL, *b = NULL;
    assert_int_equal(parse_secrets("kind: Secret\nmetadata: {name: m, namespace: ns, labels: {x: "
                                   "'1'}}\nstringData: {bar: one, foo: two}\n",
                                   &a, &err),
                     1);
    assert_int_equal(parse_secrets("kind: Secret\nmetadata: {name: m, namespace: ns, annotations: "
                                   "{'y': '2'}}\nstringData: {foo: new, zed: three}\n",
                                   &b, &err),
                     1);
    json_t *into = seal_and_check(f, &a[0], NULL);
    json_t *from = seal_and_check(f, &b[0], NULL);
    json_t *enc = json_object_get(json_object_get(into, "spec"), "encryptedData");
    char *bar_before = strdup(json_string_value(json_object_get(enc, "bar")));
    assert_int_equal(sk_seal_merge(into, from, &err), SK_OK);
    assert_int_equal(json_object_size(enc), 3);
    assert_string_equal(json_string_value(json_object_get(enc, "bar")), bar_before);
    /* Members stay byte-sorted as kubeseal writes them. */
    const char *order[] = {"bar", "foo", "zed"};
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(enc, k, v) assert_string_equal(k, order[i++]);
    sk_secret back;
    assert_int_equal(sk_unseal(into, f->kr, &back, &err), SK_OK);
    assert_memory_equal(back.items[1].value.data, "new", 3);
    json_t *tmeta =
        json_object_get(json_object_get(json_object_get(into, "spec"), "template"), "metadata");
    assert_non_null(json_object_get(json_object_get(tmeta, "labels"), "x"));
    assert_non_null(json_object_get(json_object_get(tmeta, "annotations"), "y"));
    sk_secret_free(&back);
    free(bar_before);
    json_decref(into);
    json_decref(from);
    free_secrets(a, 1);
    free_secrets(b, 1);
}

/* Options and result structs carry a version: one the library does not know is SK_EUSAGE. */
static void test_struct_versions(void **state)
{
    fixture *f = *state;
    sk_error err = {0};
    sk_secret *s = NULL;
    json_t *sealed = NULL;
    assert_int_equal(
        parse_secrets("kind: Secret\nmetadata: {name: v, namespace: ns}\nstringData: {k: x}\n", &s,
                      &err),
        1);
    sk_seal_opts o = SK_SEAL_OPTS_INIT;
    o.version = SK_SEAL_OPTS_VERSION + 1;
    assert_int_equal(sk_seal_secret(&s[0], f->pk, &o, &sealed, &err), SK_EUSAGE);
    assert_string_equal(err.msg, "sk_seal_opts version 2 is not supported");
    assert_null(sealed);
    o.version = 0; /* not started from SK_SEAL_OPTS_INIT */
    assert_int_equal(sk_seal_secret(&s[0], f->pk, &o, &sealed, &err), SK_EUSAGE);
    o = (sk_seal_opts)SK_SEAL_OPTS_INIT;
    assert_int_equal(sk_seal_secret(&s[0], f->pk, &o, &sealed, &err), SK_OK);

    sk_secbuf text = SK_SECBUF_INIT, out = SK_SECBUF_INIT;
    assert_int_equal(sk_emit_yaml(sealed, &text, &err), SK_OK);
    sk_reseal_counts c = {0};
    assert_int_equal(sk_reseal_text(text.data, text.len, "t.yaml", f->kr, f->pk, &out, &c, &err),
                     SK_EUSAGE);
    assert_string_equal(err.msg, "sk_reseal_counts version 0 is not supported");
    assert_int_equal(out.len, 0);
    c = (sk_reseal_counts)SK_RESEAL_COUNTS_INIT;
    c.resealed = 99; /* the library zeroes what it fills */
    assert_int_equal(sk_reseal_text(text.data, text.len, "t.yaml", f->kr, f->pk, &out, &c, &err),
                     SK_OK);
    assert_int_equal(c.version, SK_RESEAL_COUNTS_VERSION);
    assert_int_equal(c.sealed_secrets, 1);
    assert_int_equal(c.unchanged, 1); /* the ring's key is the target's */
    assert_int_equal(c.resealed, 0);
    assert_int_equal(out.len, text.len);
    sk_secbuf_free(&text);
    sk_secbuf_free(&out);
    json_decref(sealed);
    free_secrets(s, 1);
}

/* Seals yaml (one Secret) under the certificate at cert_rel and emits the SealedSecret. */
static void sealed_text(const char *cert_rel, const char *yaml, sk_secbuf *text)
{
    sk_error err = {0};
    sk_pubkey *pk = NULL;
    sk_secret *s = NULL;
    json_t *sealed = NULL;
    char *crt = tu_path(SK_TEST_DATA_DIR, cert_rel);
    assert_int_equal(sk_pubkey_from_file(crt, 1893456000, &pk, &err), SK_OK);
    assert_int_equal(parse_secrets(yaml, &s, &err), 1);
    assert_int_equal(sk_seal_secret(&s[0], pk, NULL, &sealed, &err), SK_OK);
    assert_int_equal(sk_emit_yaml(sealed, text, &err), SK_OK);
    json_decref(sealed);
    free_secrets(s, 1);
    sk_pubkey_free(pk);
    free(crt);
}

static int wiped(const sk_secbuf *b)
{
    for (size_t i = 0; b->data != NULL && i <= b->cap; i++)
        if (b->data[i] != 0) return 0;
    return b->len == 0;
}

static sk_rng *rng_of(const char *seed)
{
    sk_rng *rng = NULL;
    sk_error err = {0};
    assert_int_equal(
        sk_rng_new_deterministic((const unsigned char *)seed, strlen(seed), &rng, &err), SK_OK);
    return rng;
}

/*
 * A worker reuses its guarded blocks from file to file: a short text after a long one comes
 * out byte for byte as it does with fresh blocks, and nothing of a text stays in them.
 */
static void test_reseal_scratch_reuse(void **state)
{
    fixture *f = *state; /* f->pk is the target, current/tls.crt */
    sk_error err = {0};
    sk_keyring *old = NULL;
    char *key = tu_path(SK_TEST_DATA_DIR, "interop/keys/old/tls.key");
    size_t len;
    char *pem = tu_read_file(key, &len);
    assert_int_equal(sk_keyring_new(&old, &err), SK_OK);
    assert_int_equal(sk_keyring_add_pem(old, pem, len, key, NULL, &err), SK_OK);
    sk_secbuf long_text = SK_SECBUF_INIT, short_text = SK_SECBUF_INIT;
    sealed_text("interop/keys/old/tls.crt",
                "kind: Secret\nmetadata: {name: l, namespace: ns}\nstringData:\n"
                "  a: first-value-that-is-rather-long-first-value-that-is-rather-long\n"
                "  b: second-value-that-is-rather-long-second-value-that-is-rather-long\n"
                "  c: third-value-that-is-rather-long-third-value-that-is-rather-long\n",
                &long_text);
    sealed_text("interop/keys/old/tls.crt",
                "kind: Secret\nmetadata: {name: s, namespace: ns}\nstringData: {k: x}\n",
                &short_text);

    sk_reseal_scratch scratch = {0};
    sk_secbuf out = SK_SECBUF_INIT, fresh = SK_SECBUF_INIT;
    sk_reseal_counts c = SK_RESEAL_COUNTS_INIT;
    sk_rng *rng = rng_of("long");
    assert_int_equal(sk_reseal_text_scratch(long_text.data, long_text.len, "l.yaml", old, f->pk,
                                            rng, &scratch, &out, &c, &err),
                     SK_OK);
    sk_rng_free(rng);
    assert_int_equal(c.resealed, 3);
    assert_true(out.len > short_text.len);
    assert_true(wiped(&scratch.blob) && wiped(&scratch.plain) && wiped(&scratch.rsa_key) &&
                wiped(&scratch.session_key));
    assert_non_null(scratch.plain.data); /* kept for the next text */

    rng = rng_of("short");
    assert_int_equal(sk_reseal_text_scratch(short_text.data, short_text.len, "s.yaml", old, f->pk,
                                            rng, &scratch, &out, &c, &err),
                     SK_OK);
    sk_rng_free(rng);
    assert_int_equal(c.resealed, 1);
    assert_true(wiped(&scratch.plain) && wiped(&scratch.session_key));
    rng = rng_of("short");
    assert_int_equal(sk_reseal_text_rng(short_text.data, short_text.len, "s.yaml", old, f->pk, rng,
                                        &fresh, &c, &err),
                     SK_OK);
    sk_rng_free(rng);
    assert_int_equal(out.len, fresh.len);
    assert_memory_equal(out.data, fresh.data, fresh.len);
    assert_int_equal(out.data[out.len], '\0');

    sk_reseal_scratch_free(&scratch);
    assert_null(scratch.plain.data);
    sk_secbuf_free(&out);
    sk_secbuf_free(&fresh);
    sk_secbuf_free(&long_text);
    sk_secbuf_free(&short_text);
    sk_keyring_free(old);
    free(pem);
    free(key);
}

int main(void)
{
    if (sk_init() != SK_OK || sk_json_wipe_on_free() != SK_OK) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scopes_round_trip),
        cmocka_unit_test(test_strict_cannot_downgrade),
        cmocka_unit_test(test_binary_and_large_values),
        cmocka_unit_test(test_empty_secret_needs_flag),
        cmocka_unit_test(test_multi_document_and_list),
        cmocka_unit_test(test_string_data_wins),
        cmocka_unit_test(test_template_shape),
        cmocka_unit_test(test_bad_secrets),
        cmocka_unit_test(test_missing_identity),
        cmocka_unit_test(test_renamed_fails_to_open),
        cmocka_unit_test(test_scope_diagnosis),
        cmocka_unit_test(test_template_data),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_struct_versions),
        cmocka_unit_test(test_reseal_scratch_reuse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
