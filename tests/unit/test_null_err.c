/*
 * "sk_error *err may be NULL" (error.h): every public function that takes err
 * is driven down an error path with err == NULL, and must return the same
 * status as with an sk_error (which must then hold that code), not crash.
 * Functions that can only fail when memory runs out get a failing jansson
 * allocation, or, when nothing of theirs goes through jansson, a successful
 * call with err == NULL.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "core/json_alloc.h"
#include "testutil.h"

#define NOW ((time_t)1893456000) /* 2030-01-01: inside every fixture certificate's validity */

static struct {
    sk_pubkey *pk;
    sk_keyring *kr;    /* the interop "current" key */
    sk_keyring *old;   /* the interop "old" key: opens nothing sealed under current */
    sk_keyring *empty; /* no key */
    sk_keypair *kp;    /* 2048 bits */
    char *sealed;      /* tests/data/golden/strict.json, sealed under current */
    size_t sealed_len;
    sk_secbuf blob; /* its encryptedData[key9], decoded */
    char tmp[64];   /* a folder of our own */
} fx;

/* ---- one failing jansson allocation, for the functions that can only run out of memory ---- */

static json_malloc_t real_malloc;
static json_free_t real_free;
static int fail_next;

static void *flaky_malloc(size_t n)
{
    if (fail_next) {
        fail_next = 0;
        sk_json_alloc_failed();
        return NULL;
    }
    return real_malloc(n);
}

/* ---- helpers ---- */

static json_t *parse1(const char *text)
{
    sk_docs docs;
    assert_int_equal(sk_docs_parse((const unsigned char *)text, strlen(text), "t", &docs, NULL),
                     SK_OK);
    assert_int_equal(docs.n, 1);
    json_t *doc = json_incref(docs.doc[0]);
    sk_docs_free(&docs);
    return doc;
}

static sk_secret new_secret(void)
{
    sk_secret s;
    assert_int_equal(sk_secret_new("app", "prod", NULL, &s, NULL), SK_OK);
    assert_int_equal(sk_secret_put(&s, "k", (const unsigned char *)"v", 1, NULL), SK_OK);
    return s;
}

static const char secret_yaml[] = "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\n"
                                  "stringData: {k: v}\n";
static const char bad_pem[] = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
                              "-----END CERTIFICATE-----\n";

/* ---- the cases: each takes err (NULL or not) and returns the status ---- */

/* cert.h */
static int c_pubkey_from_pem(sk_error *err)
{
    sk_pubkey *pk = NULL;
    return sk_pubkey_from_pem("no PEM here", 11, NOW, &pk, err);
}
static int c_pubkey_from_pem_bad_block(sk_error *err)
{
    sk_pubkey *pk = NULL;
    return sk_pubkey_from_pem(bad_pem, strlen(bad_pem), NOW, &pk, err);
}
static int c_pubkey_from_pem_ex_expired(sk_error *err)
{
    size_t len = 0;
    char *crt = tu_data_file("interop/keys/current/tls.crt", &len);
    sk_pubkey *pk = NULL;
    int rc = sk_pubkey_from_pem_ex(crt, len, (time_t)4102444800 /* 2100 */, 0, &pk, err);
    sk_pubkey_free(pk);
    free(crt);
    return rc;
}
static int c_pubkey_from_file(sk_error *err)
{
    sk_pubkey *pk = NULL;
    return sk_pubkey_from_file("/nonexistent/tls.crt", NOW, &pk, err);
}
static int c_fingerprint(sk_error *err)
{
    char fp[SK_FINGERPRINT_MAX];
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(ec);
    int rc = sk_fingerprint(ec, fp, err);
    EVP_PKEY_free(ec);
    return rc;
}

/* create.h */
static int c_secret_new(sk_error *err)
{
    sk_secret s;
    return sk_secret_new(NULL, "ns", NULL, &s, err);
}
static int c_add_env_file(sk_error *err)
{
    sk_secret s = new_secret();
    int rc = sk_secret_add_env_file(&s, "A=1\nnot a pair\n", 15, "env", err);
    sk_secret_free(&s);
    return rc;
}
static int c_secret_add_new(sk_error *err)
{
    sk_secret s = new_secret();
    int rc = sk_secret_add_new(&s, "k", (const unsigned char *)"again", 5, err);
    sk_secret_free(&s);
    return rc;
}
static int c_dockerconfig_json(sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    /* The length is refused before the password is read. */
    return sk_dockerconfig_json("r.example", "u", (const unsigned char *)"", SIZE_MAX / 2, NULL,
                                &out, err);
}

/* crypto.h */
static int c_hybrid_encrypt(sk_error *err)
{
    unsigned char *blob = NULL;
    size_t len = 0;
    return sk_hybrid_encrypt(NULL, NULL, 0, (const unsigned char *)"x", 1, &blob, &len, err);
}
static int c_hybrid_decrypt(sk_error *err)
{
    sk_secbuf pt = SK_SECBUF_INIT;
    fx.blob.data[40] ^= 1; /* inside the RSA part */
    int rc = sk_hybrid_decrypt(sk_keyring_key(fx.kr, 0), (const unsigned char *)"x", 1,
                               fx.blob.data, fx.blob.len, &pt, err);
    fx.blob.data[40] ^= 1;
    return rc;
}
static int c_base64_encode(sk_error *err)
{
    return sk_base64_encode((const unsigned char *)"x", 1, NULL, err);
}
static int c_base64_decode(sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    return sk_base64_decode("no*base64", 9, &out, err);
}

/* doc.h */
static int c_docs_parse_yaml(sk_error *err)
{
    sk_docs docs;
    return sk_docs_parse((const unsigned char *)"a: [1,\n", 7, "bad.yaml", &docs, err);
}
static int c_docs_parse_json(sk_error *err)
{
    sk_docs docs;
    return sk_docs_parse((const unsigned char *)"{\"a\": }", 7, "bad.json", &docs, err);
}

/* emit.h */
static json_t *deep_tree(void)
{
    json_t *root = json_array(), *at = root;
    for (int i = 0; i < 300; i++) { /* deeper than the emitters go (256) */
        json_t *next = json_array();
        assert_int_equal(json_array_append_new(at, next), 0);
        at = next;
    }
    return root;
}
static int c_emit_json(sk_error *err)
{
    json_t *deep = deep_tree();
    sk_secbuf out = SK_SECBUF_INIT;
    int rc = sk_emit_json(deep, &out, err);
    sk_secbuf_free(&out);
    json_decref(deep);
    return rc;
}
static int c_emit_yaml(sk_error *err)
{
    json_t *deep = deep_tree();
    sk_secbuf out = SK_SECBUF_INIT;
    int rc = sk_emit_yaml(deep, &out, err);
    sk_secbuf_free(&out);
    json_decref(deep);
    return rc;
}

/* fetch.h */
static int c_fetch_https(sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    return sk_fetch_https("http://example.com/cert.pem", SK_FETCH_MAX, NULL, &out, err);
}
static int c_fetch_pubkey(sk_error *err)
{
    sk_pubkey *pk = NULL;
    return sk_fetch_pubkey("/nonexistent/cert.pem", NOW, &pk, err);
}

/* io.h */
static int c_read_fd(sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    return sk_read_fd(-1, "fd", 100, &out, err);
}
static int c_read_file(sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    return sk_read_file("/nonexistent/file", 100, &out, err);
}
static int c_read_file_limit(sk_error *err)
{
    char *path = tu_path(SK_TEST_DATA_DIR, "golden/strict.json");
    sk_secbuf out = SK_SECBUF_INIT;
    int rc = sk_read_file(path, 10, &out, err);
    sk_secbuf_free(&out);
    free(path);
    return rc;
}
static int c_write_atomic(sk_error *err)
{
    return sk_write_atomic("/nonexistent/dir/file", "x", 1, 0600, err);
}
static int c_read_at(sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    return sk_read_at(-1, "f.yaml", "f.yaml", 100, &out, NULL, err);
}
static int c_write_atomic_at(sk_error *err)
{
    struct stat was = {.st_nlink = 2}; /* refused before anything is written */
    return sk_write_atomic_at(-1, "f.yaml", "f.yaml", "x", 1, 0600, &was, err);
}
static int c_write_new(sk_error *err)
{
    char path[96];
    snprintf(path, sizeof path, "%s/exists", fx.tmp);
    return sk_write_new(path, "x", 1, 0600, err);
}
static int c_write_new_at(sk_error *err)
{
    return sk_write_new_at(-1, "f.yaml", "f.yaml", "x", 1, 0600, err);
}

/* keygen.h */
static int c_keygen(sk_error *err)
{
    sk_keypair *kp = NULL;
    return sk_keygen(1000, "cn", 0, 86400, &kp, err);
}
static int c_keypair_cert_pem(sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    int rc = sk_keypair_cert_pem(fx.kp, &out, err);
    sk_secbuf_free(&out);
    return rc;
}
static int c_keypair_key_pem(sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    int rc = sk_keypair_key_pem(fx.kp, &out, err);
    sk_secbuf_free(&out);
    return rc;
}
static int c_keygen_tls_secret(sk_error *err)
{
    json_t *out = NULL;
    return sk_keygen_tls_secret(fx.kp, "Not_A_Namespace", NULL, &out, err);
}
static int c_keygen_check_names(sk_error *err)
{
    return sk_keygen_check_names("ns", "Bad Name", err);
}

/* keys.h */
static int c_keyring_new(sk_error *err)
{
    sk_keyring *kr = NULL;
    int rc = sk_keyring_new(&kr, err);
    sk_keyring_free(kr);
    return rc;
}
static int c_keyring_add_pem(sk_error *err)
{
    return sk_keyring_add_pem(fx.empty, "no key", 6, "t", NULL, err);
}
static int c_keyring_add_text(sk_error *err)
{
    static const char t[] = "apiVersion: v1\nkind: Secret\nmetadata: {name: k}\ndata: {}\n";
    return sk_keyring_add_text(fx.empty, t, strlen(t), "k.yaml", NULL, err);
}
static int c_keyring_add_text_base64(sk_error *err)
{
    static const char t[] = "kind: Secret\ndata: {tls.key: \"no*base64\"}\n";
    return sk_keyring_add_text(fx.empty, t, strlen(t), "k.yaml", NULL, err);
}
static int c_keyring_add_certs(sk_error *err)
{
    static const char t[] = "-----BEGIN CERTIFICATE-----\nno*base64\n-----END CERTIFICATE-----\n";
    return sk_keyring_add_certs(fx.empty, t, strlen(t), "c.pem", NULL, err);
}
static int c_keyring_load(sk_error *err)
{
    const char *paths[] = {"/nonexistent/tls.key"};
    return sk_keyring_load(fx.empty, paths, 1, err);
}
static int c_keyring_load_none(sk_error *err)
{
    return sk_keyring_load(fx.empty, NULL, 0, err);
}
static int c_keyring_pubkey(sk_error *err)
{
    sk_pubkey *pk = NULL;
    return sk_keyring_pubkey(fx.kr, 5, NOW, &pk, err);
}
static int c_keyring_newest(sk_error *err)
{
    size_t which = 0;
    return sk_keyring_newest(fx.empty, SK_KEY_ORDER_CERT_NOT_BEFORE, &which, err);
}
static int c_keyring_decrypt(sk_error *err)
{
    sk_secbuf pt = SK_SECBUF_INIT;
    return sk_keyring_decrypt(fx.old, (const unsigned char *)"myns/mysecret", 13, fx.blob.data,
                              fx.blob.len, &pt, NULL, err);
}

/* mem.h */
static int c_secbuf_reserve(sk_error *err)
{
    sk_secbuf b = SK_SECBUF_INIT;
    return sk_secbuf_reserve(&b, SIZE_MAX - 1, err);
}
static int c_secbuf_append(sk_error *err)
{
    sk_secbuf b = SK_SECBUF_INIT;
    return sk_secbuf_append(&b, "", SIZE_MAX / 2, err);
}
static int c_secbuf_puts(sk_error *err)
{
    sk_secbuf b = SK_SECBUF_INIT;
    int rc = sk_secbuf_puts(&b, "text", err);
    sk_secbuf_free(&b);
    return rc;
}

/* model.h */
static int refuse(const sk_object *o, void *ctx, sk_error *err)
{
    (void)o, (void)ctx;
    return sk_error_set(err, SK_ECERT, "refused");
}
static int c_docs_walk_list(sk_error *err)
{
    json_t *doc = parse1("kind: List\nitems: {a: b}\n");
    sk_docs docs = {&doc, NULL, 1, SK_FORMAT_YAML};
    int rc = sk_docs_walk(&docs, refuse, NULL, err);
    json_decref(doc);
    return rc;
}
static int c_docs_walk_fn(sk_error *err)
{
    json_t *doc = parse1("kind: List\nitems: [{a: b}]\n");
    sk_docs docs = {&doc, NULL, 1, SK_FORMAT_YAML};
    int rc = sk_docs_walk(&docs, refuse, NULL, err);
    json_decref(doc);
    return rc;
}

/* package.h */
static int c_package_parse_date(sk_error *err)
{
    int64_t t = 0;
    return sk_package_parse_date("20240231", &t, err);
}
static int c_package_parse_epoch(sk_error *err)
{
    int64_t t = 0;
    return sk_package_parse_epoch("soon", &t, err);
}
static int c_package_filename(sk_error *err)
{
    sk_package_opts o = SK_PACKAGE_OPTS_INIT;
    o.namespace_ = "Not_A_Label";
    o.set = "app";
    char name[SK_PACKAGE_NAME_MAX];
    return sk_package_filename(&o, name, sizeof name, err);
}
static int c_package_check_input(sk_error *err)
{
    sk_package_input in = {"s.yaml", (const unsigned char *)secret_yaml, strlen(secret_yaml)};
    return sk_package_check_input(&in, "prod", err);
}
static int c_package_check_kustomization(sk_error *err)
{
    static const char k[] = "namePrefix: x-\n";
    return sk_package_check_kustomization((const unsigned char *)k, strlen(k), "k.yaml", "prod",
                                          err);
}
/* A strategic-merge patch that sets a sealed value: refused three levels down. */
static int c_package_check_kustomization_patch(sk_error *err)
{
    static const char k[] = "patches:\n- patch: |\n    kind: SealedSecret\n"
                            "    spec:\n      encryptedData:\n        k: AAAA\n";
    return sk_package_check_kustomization((const unsigned char *)k, strlen(k), "k.yaml", "prod",
                                          err);
}
static int c_package_build(sk_error *err)
{
    sk_package_opts o = SK_PACKAGE_OPTS_INIT;
    o.namespace_ = "prod";
    o.set = "app";
    sk_secbuf out = SK_SECBUF_INIT;
    return sk_package_build(&o, NULL, 0, &out, err);
}
static int c_package_read(sk_error *err)
{
    sk_package p;
    return sk_package_read((const unsigned char *)"not a tar.gz at all", 19, &p, err);
}
static int c_package_verify(sk_error *err)
{
    sk_package p = {NULL, 0};
    sk_findings f;
    sk_findings_init(&f);
    sk_package_summary sum = {0}; /* no version */
    int rc = sk_package_verify(&p, "p.tar.gz", NULL, &f, &sum, err);
    sk_findings_free(&f);
    return rc;
}
static int c_package_build_overlays(sk_error *err)
{
    sk_package_opts o = SK_PACKAGE_OPTS_INIT;
    o.namespace_ = "prod";
    o.set = "app";
    sk_package_input in = {"s.json", (const unsigned char *)fx.sealed, fx.sealed_len};
    sk_package_overlay ov[] = {{"prod", &in, 1}, {"prod", &in, 1}}; /* the same overlay twice */
    sk_secbuf out = SK_SECBUF_INIT;
    return sk_package_build_overlays(&o, ov, 2, &out, err);
}
static int c_package_build_envs_none(sk_error *err)
{
    sk_package_opts o = SK_PACKAGE_OPTS_INIT;
    o.namespace_ = "prod";
    o.set = "app";
    sk_package_input in = {"s.yaml", (const unsigned char *)secret_yaml, strlen(secret_yaml)};
    sk_secbuf out = SK_SECBUF_INIT;
    return sk_package_build_envs(&o, NULL, 0, &in, 1, &out, err);
}
static int c_package_build_envs_parse(sk_error *err)
{
    sk_package_opts o = SK_PACKAGE_OPTS_INIT;
    o.namespace_ = "prod";
    o.set = "app";
    sk_package_env env = {"prod", fx.pk};
    static const char bad[] = "kind: Secret\nmetadata: [unclosed\n";
    sk_package_input in = {"s.yaml", (const unsigned char *)bad, strlen(bad)};
    sk_secbuf out = SK_SECBUF_INIT;
    return sk_package_build_envs(&o, &env, 1, &in, 1, &out, err);
}
/* Sealed for the environment, then refused for its overlay's name. */
static int c_package_build_envs_overlay(sk_error *err)
{
    sk_package_opts o = SK_PACKAGE_OPTS_INIT;
    o.namespace_ = "prod";
    o.set = "app";
    sk_package_env env = {"not a name", fx.pk};
    sk_package_input in = {"s.yaml", (const unsigned char *)secret_yaml, strlen(secret_yaml)};
    sk_secbuf out = SK_SECBUF_INIT;
    int rc = sk_package_build_envs(&o, &env, 1, &in, 1, &out, err);
    sk_secbuf_free(&out);
    return rc;
}
static int c_package_save_other(sk_error *err)
{
    char path[96];
    int same = 1;
    snprintf(path, sizeof path, "%s/exists", fx.tmp); /* holds "x" */
    int rc = sk_package_save(path, (const unsigned char *)"y", 1, 0, &same, err);
    assert_int_equal(same, 0);
    return rc;
}
static int c_package_save_link(sk_error *err)
{
    char path[96];
    int same = 1;
    snprintf(path, sizeof path, "%s/link", fx.tmp); /* a link to "exists" */
    return sk_package_save(path, (const unsigned char *)"x", 1, 1, &same, err);
}
static int c_package_save_no_name(sk_error *err)
{
    char path[96];
    int same = 1;
    snprintf(path, sizeof path, "%s/", fx.tmp);
    return sk_package_save(path, (const unsigned char *)"x", 1, 0, &same, err);
}

/* A package in memory: each entry's bytes given (NULL: a folder). */
static sk_package mem_package(const char *const *paths, const char *const *texts, size_t n)
{
    sk_package p = {calloc(n, sizeof *p.entries), n};
    assert_non_null(p.entries);
    for (size_t i = 0; i < n; i++) {
        p.entries[i].path = strdup(paths[i]);
        p.entries[i].is_dir = texts[i] == NULL;
        p.entries[i].data = (sk_secbuf)SK_SECBUF_INIT;
        if (texts[i] != NULL)
            assert_int_equal(sk_secbuf_append(&p.entries[i].data, texts[i], strlen(texts[i]), NULL),
                             SK_OK);
    }
    return p;
}
static int diff_of(const char *a_text, const char *b_text, unsigned version, sk_error *err)
{
    const char *const paths[] = {"prod/sealed-secrets/app/a.json",
                                 "prod/sealed-secrets/app/b.json"};
    const char *const a_texts[] = {a_text, b_text};
    const char *const b_texts[] = {fx.sealed, NULL};
    sk_package a = mem_package(paths, a_texts, 2), b = mem_package(paths, b_texts, 1);
    sk_package_changes d = SK_PACKAGE_CHANGES_INIT;
    d.version = version;
    int rc = sk_package_diff(&a, &b, fx.kr, &d, err);
    sk_package_changes_free(&d);
    sk_package_free(&a);
    sk_package_free(&b);
    return rc;
}
static int c_package_diff_usage(sk_error *err)
{
    return diff_of(fx.sealed, "{}", 0, err);
}
static int c_package_diff_twice(sk_error *err)
{
    return diff_of(fx.sealed, fx.sealed, SK_PACKAGE_CHANGES_VERSION, err);
}
static int c_package_diff_parse(sk_error *err)
{
    return diff_of(fx.sealed, "{not json", SK_PACKAGE_CHANGES_VERSION, err);
}
static int install_into(const char *dir, unsigned version, sk_error *err)
{
    static const char junk[] = "not a tar.gz at all";
    sk_install_input in = {"junk.tar.gz", (const unsigned char *)junk, strlen(junk)};
    sk_install_opts o = SK_INSTALL_OPTS_INIT;
    o.version = version;
    sk_install_report rep = SK_INSTALL_REPORT_INIT;
    return sk_package_install(dir, &in, 1, &o, NULL, &rep, err);
}
static int c_package_install_usage(sk_error *err)
{
    return install_into(fx.tmp, 0, err);
}
static int c_package_install_missing(sk_error *err)
{
    return install_into("/nonexistent/manifests", SK_INSTALL_OPTS_VERSION, err);
}
static int c_package_install_junk(sk_error *err)
{
    char dir[96];
    snprintf(dir, sizeof dir, "%s/manifests", fx.tmp);
    return install_into(dir, SK_INSTALL_OPTS_VERSION, err);
}

/* reseal.h */
static int c_reseal_text(sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    sk_reseal_counts c = SK_RESEAL_COUNTS_INIT;
    return sk_reseal_text((const unsigned char *)fx.sealed, fx.sealed_len, "s.json", fx.old, fx.pk,
                          &out, &c, err);
}
static int c_reseal_text_parse(sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    sk_reseal_counts c = SK_RESEAL_COUNTS_INIT;
    return sk_reseal_text((const unsigned char *)"a: [", 4, "s.yaml", fx.kr, fx.pk, &out, &c, err);
}

/* rotate.h */
static int c_rotate_begin_usage(sk_error *err)
{
    sk_rotate_opts o = SK_ROTATE_OPTS_INIT;
    o.version = 0;
    sk_rotation *r = NULL;
    return sk_rotate_begin(&o, &r, err);
}
static int c_rotate_begin_missing(sk_error *err)
{
    sk_rotate_opts o = SK_ROTATE_OPTS_INIT;
    o.dir = "/nonexistent/keys";
    o.max_age = 86400;
    sk_rotation *r = NULL;
    return sk_rotate_begin(&o, &r, err);
}
static int c_rotate_run_missing(sk_error *err)
{
    sk_rotate_opts o = SK_ROTATE_OPTS_INIT;
    o.dir = "/nonexistent/keys";
    o.max_age = 86400;
    const char *paths[] = {fx.tmp};
    sk_rotation *r = NULL;
    int rc = sk_rotate_run(&o, paths, 1, &r, err);
    sk_rotate_end(r);
    return rc;
}

/* The steps on a key folder with no key yet (state DUE), each refused or failing. */
enum rotate_step { STEP_PREFLIGHT, STEP_MINT, STEP_RESEAL, STEP_CHECK, STEP_FINISH };
static int rotate_step(enum rotate_step step, unsigned flags, sk_error *err)
{
    char keys[96], sealed[96];
    snprintf(keys, sizeof keys, "%s/keys", fx.tmp);
    snprintf(sealed, sizeof sealed, "%s/sealed.json", fx.tmp);
    sk_rotate_opts o = SK_ROTATE_OPTS_INIT;
    o.flags = SK_ROTATE_INIT | flags;
    o.dir = keys;
    o.now = NOW;
    o.max_age = 86400;
    sk_rotation *r = NULL;
    assert_int_equal(sk_rotate_begin(&o, &r, NULL), SK_OK);
    assert_int_equal(sk_rotation_report(r)->state, SK_ROTATE_DUE);
    const char *paths[] = {sealed};
    int rc = step == STEP_PREFLIGHT ? sk_rotate_preflight(r, paths, 1, err)
             : step == STEP_MINT    ? sk_rotate_mint(r, err)
             : step == STEP_RESEAL  ? sk_rotate_reseal(r, paths, 1, err)
             : step == STEP_CHECK   ? sk_rotate_check(r, paths, 1, err)
                                    : sk_rotate_finish(r, err);
    sk_rotate_end(r);
    return rc;
}
/* No key in the folder yet: the SealedSecret under the paths opens with none. */
static int c_rotate_preflight(sk_error *err)
{
    return rotate_step(STEP_PREFLIGHT, 0, err);
}
static int c_rotate_mint_shared(sk_error *err)
{
    return rotate_step(STEP_MINT, SK_ROTATE_SHARED, err);
}
static int c_rotate_reseal_due(sk_error *err)
{
    return rotate_step(STEP_RESEAL, 0, err);
}
static int c_rotate_check_due(sk_error *err)
{
    return rotate_step(STEP_CHECK, 0, err);
}
static int c_rotate_finish_due(sk_error *err)
{
    return rotate_step(STEP_FINISH, 0, err);
}

/* scope.h */
static int c_scope_parse(sk_error *err)
{
    sk_scope s;
    return sk_scope_parse("global", &s, err);
}
static int c_scope_set_annotations(sk_error *err)
{
    json_t *ann = json_object();
    fail_next = 1;
    int rc = sk_scope_set_annotations(ann, SK_SCOPE_CLUSTER_WIDE, err);
    fail_next = 0;
    json_decref(ann);
    return rc;
}
static int c_scope_label(sk_error *err)
{
    char *label = NULL;
    size_t len = 0;
    int rc = sk_scope_label(SK_SCOPE_STRICT, "ns", "name", &label, &len, err);
    free(label);
    return rc;
}

/* seal.h */
static int c_seal_secret(sk_error *err)
{
    sk_secret s;
    json_t *doc = parse1(secret_yaml); /* no namespace */
    assert_int_equal(sk_secret_from_json(doc, &s, NULL), SK_OK);
    json_t *sealed = NULL;
    int rc = sk_seal_secret(&s, fx.pk, NULL, &sealed, err);
    sk_secret_free(&s);
    json_decref(doc);
    return rc;
}
static int c_seal_raw(sk_error *err)
{
    char *b64 = NULL;
    return sk_seal_raw(fx.pk, SK_SCOPE_STRICT, "ns", NULL, (const unsigned char *)"x", 1, &b64,
                       err);
}
static int c_sealed_check(sk_error *err)
{
    json_t *doc = parse1(secret_yaml);
    sk_scope scope;
    int rc = sk_sealed_check(doc, &scope, err);
    json_decref(doc);
    return rc;
}
static int c_seal_merge(sk_error *err)
{
    json_t *into = parse1(fx.sealed);
    json_t *from = parse1("spec: {encryptedData: {new: AAAA}}\n");
    fail_next = 1;
    int rc = sk_seal_merge(into, from, err);
    fail_next = 0;
    json_decref(into);
    json_decref(from);
    return rc;
}

/* secret.h */
static int c_secret_from_json(sk_error *err)
{
    json_t *doc = parse1("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
    sk_secret s;
    int rc = sk_secret_from_json(doc, &s, err);
    json_decref(doc);
    return rc;
}
static int c_secret_from_json_base64(sk_error *err)
{
    json_t *doc = parse1("apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata: {k: \"*\"}\n");
    sk_secret s;
    int rc = sk_secret_from_json(doc, &s, err);
    json_decref(doc);
    return rc;
}
static int c_secrets_from_docs(sk_error *err)
{
    json_t *doc = parse1("kind: List\nitems: [{kind: ConfigMap}]\n");
    sk_docs docs = {&doc, NULL, 1, SK_FORMAT_YAML};
    sk_secret *s = NULL;
    sk_origin *o = NULL;
    size_t n = 0;
    int rc = sk_secrets_from_docs(&docs, &s, &o, &n, err);
    json_decref(doc);
    return rc;
}
static int c_secret_set_name(sk_error *err)
{
    sk_secret s = new_secret();
    fail_next = 1;
    int rc = sk_secret_set_name(&s, "other", err);
    fail_next = 0;
    sk_secret_free(&s);
    return rc;
}
static int c_secret_set_namespace(sk_error *err)
{
    sk_secret s = new_secret();
    fail_next = 1;
    int rc = sk_secret_set_namespace(&s, "other", err);
    fail_next = 0;
    sk_secret_free(&s);
    return rc;
}
static int c_secret_put(sk_error *err)
{
    sk_secret s = new_secret();
    int rc = sk_secret_put(&s, "big", (const unsigned char *)"", SIZE_MAX / 2, err);
    sk_secret_free(&s);
    return rc;
}
static int c_secret_to_json(sk_error *err)
{
    sk_secret s = new_secret();
    json_t *tree = NULL;
    fail_next = 1;
    int rc = sk_secret_to_json(&s, &tree, err);
    fail_next = 0;
    sk_secret_free(&s);
    return rc;
}

/* timefmt.h */
static int c_duration_parse(sk_error *err)
{
    int64_t s = 0;
    return sk_duration_parse("ten days", &s, err);
}
static int c_time_parse(sk_error *err)
{
    int64_t t = 0;
    return sk_time_parse("yesterday", &t, err);
}

/* unseal.h */
static int c_unseal(sk_error *err)
{
    json_t *doc = parse1(secret_yaml);
    sk_secret s;
    int rc = sk_unseal(doc, fx.kr, &s, err);
    json_decref(doc);
    return rc;
}
static int c_unseal_wrong_key(sk_error *err)
{
    json_t *doc = parse1(fx.sealed);
    sk_secret s;
    int rc = sk_unseal(doc, fx.old, &s, err);
    json_decref(doc);
    return rc;
}
/* Refused while the template's metadata is copied (sk_error_prefix on the way out). */
static int c_unseal_template_metadata(sk_error *err)
{
    json_t *doc = parse1("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
                         "metadata: {name: a, namespace: b}\n"
                         "spec: {encryptedData: {}, template: {metadata: {generation: x}}}\n");
    sk_secret s;
    int rc = sk_unseal(doc, fx.kr, &s, err);
    json_decref(doc);
    return rc;
}
static int c_diagnose_scope(sk_error *err)
{
    sk_scope opens;
    return sk_diagnose_scope(fx.old, fx.blob.data, fx.blob.len, "myns", "mysecret", SK_SCOPE_STRICT,
                             &opens, err);
}

/* verify.h */
static int c_findings_add(sk_error *err)
{
    sk_findings f;
    sk_findings_init(&f);
    sk_where w = {"f", 1, 0, NULL};
    int rc = sk_findings_add(&f, &w, SK_SEVERITY_INFO, "code", NULL, err, "%s", "message");
    sk_findings_free(&f);
    return rc;
}
static int c_verify_doc(sk_error *err)
{
    json_t *doc = parse1(fx.sealed);
    sk_findings f;
    sk_findings_init(&f);
    sk_where w = {"f", 1, 0, NULL};
    sk_verify_opts o = {0}; /* no version */
    int rc = sk_verify_doc(doc, &w, &o, &f, err);
    sk_findings_free(&f);
    json_decref(doc);
    return rc;
}
/* The scope guesses of an item that does not open (the label of each is made with err). */
static int c_verify_doc_guesses(sk_error *err)
{
    json_t *doc = parse1(fx.sealed);
    sk_findings f;
    sk_findings_init(&f);
    sk_where w = {"f", 1, 0, NULL};
    sk_verify_opts o = SK_VERIFY_OPTS_INIT;
    o.keys = fx.old;
    int rc = sk_verify_doc(doc, &w, &o, &f, err);
    if (rc == SK_OK) assert_true(sk_findings_count(&f, SK_SEVERITY_ERROR) > 0);
    sk_findings_free(&f);
    json_decref(doc);
    return rc;
}
static int c_verify_docs(sk_error *err)
{
    json_t *doc = parse1("kind: List\nitems: {a: b}\n");
    sk_docs docs = {&doc, NULL, 1, SK_FORMAT_YAML};
    sk_findings f;
    sk_findings_init(&f);
    int rc = sk_verify_docs(&docs, "l.yaml", NULL, &f, err);
    if (rc == SK_OK) assert_string_equal(f.v[0].code, "parse"); /* reported as a finding */
    sk_findings_free(&f);
    json_decref(doc);
    return rc;
}
static int c_verify_text(sk_error *err)
{
    sk_findings f;
    sk_findings_init(&f);
    int rc = sk_verify_text((const unsigned char *)"a: [", 4, "bad.yaml", NULL, &f, err);
    if (rc == SK_OK) assert_string_equal(f.v[0].code, "parse");
    sk_findings_free(&f);
    return rc;
}
static int c_verify_text_opts(sk_error *err)
{
    sk_findings f;
    sk_findings_init(&f);
    sk_verify_opts o = {0}; /* no version */
    int rc = sk_verify_text((const unsigned char *)fx.sealed, fx.sealed_len, "s.json", &o, &f, err);
    sk_findings_free(&f);
    return rc;
}
static int policy(const char *text, sk_error *err)
{
    sk_policy *p = NULL;
    int rc = sk_policy_parse((const unsigned char *)text, strlen(text), "policy.yaml", &p, err);
    sk_policy_free(p);
    return rc;
}
static int c_policy_parse_field(sk_error *err)
{
    return policy("secrets: []\nextra: 1\n", err);
}
static int c_policy_parse_scope(sk_error *err)
{
    return policy("secrets: [{name: a, namespace: b, scope: global, required: [k]}]\n", err);
}
static int c_policy_parse_yaml(sk_error *err)
{
    return policy("secrets: [\n", err);
}
static int c_policy_check(sk_error *err)
{
    sk_policy *p = NULL;
    static const char t[] = "secrets: [{name: a, namespace: b, required: [k]}]\n";
    assert_int_equal(sk_policy_parse((const unsigned char *)t, strlen(t), "p", &p, NULL), SK_OK);
    sk_findings f;
    sk_findings_init(&f);
    int rc = sk_policy_check(p, &f, err);
    if (rc == SK_OK) assert_true(f.n > 0); /* the missing Secret */
    sk_findings_free(&f);
    sk_policy_free(p);
    return rc;
}
static int c_cert_scan_none(sk_error *err)
{
    sk_cert_info *v = NULL;
    size_t n = 0;
    return sk_cert_scan("nothing", 7, "c", NOW, &v, &n, err);
}
static int c_cert_scan_bad_block(sk_error *err)
{
    sk_cert_info *v = NULL;
    size_t n = 0;
    return sk_cert_scan(bad_pem, strlen(bad_pem), "c.pem", NOW, &v, &n, err);
}
static int c_cert_scan_bad_base64(sk_error *err)
{
    static const char t[] = "kind: Secret\nmetadata: {name: k}\ndata: {tls.crt: \"no*base64\"}\n";
    sk_cert_info *v = NULL;
    size_t n = 0;
    return sk_cert_scan(t, strlen(t), "k.yaml", NOW, &v, &n, err);
}

/* walk.h */
static int c_walk(sk_error *err)
{
    const char *paths[] = {"/nonexistent/folder"};
    sk_walk_list l;
    return sk_walk(paths, 1, SK_WALK_MANIFESTS, &l, err);
}
static int c_open_parent(sk_error *err)
{
    int dfd = 0;
    char *name = NULL;
    int rc = sk_open_parent("/nonexistent/dir/f.yaml", 12, &dfd, &name, err);
    assert_int_equal(dfd, -1);
    assert_null(name);
    return rc;
}
static int c_open_parent_usage(sk_error *err)
{
    int dfd = 0;
    char *name = NULL;
    return sk_open_parent("/tmp/dir/f.yaml", 6, &dfd, &name, err);
}
static int c_walk_remove_stale_temp(sk_error *err)
{
    int removed = 1;
    int rc = sk_walk_remove_stale_temp("/nonexistent/f.yaml.sealkit-tmp.1.1", &removed, err);
    assert_int_equal(removed, 0);
    return rc;
}

typedef struct null_case {
    const char *name;
    int (*run)(sk_error *err);
    int want;
} null_case;

#define CASE(fn, want)                                                                             \
    {                                                                                              \
#fn, c_##fn, want                                                                          \
    }

static const null_case cases[] = {
    CASE(pubkey_from_pem, SK_EPARSE),
    CASE(pubkey_from_pem_bad_block, SK_EPARSE),
    CASE(pubkey_from_pem_ex_expired, SK_ECERT),
    CASE(pubkey_from_file, SK_EIO),
    CASE(fingerprint, SK_EUSAGE),
    CASE(secret_new, SK_EUSAGE),
    CASE(add_env_file, SK_EINVAL),
    CASE(secret_add_new, SK_EINVAL),
    CASE(dockerconfig_json, SK_ELIMIT),
    CASE(hybrid_encrypt, SK_EUSAGE),
    CASE(hybrid_decrypt, SK_EDECRYPT),
    CASE(base64_encode, SK_EUSAGE),
    CASE(base64_decode, SK_EPARSE),
    CASE(docs_parse_yaml, SK_EPARSE),
    CASE(docs_parse_json, SK_EPARSE),
    CASE(emit_json, SK_ELIMIT),
    CASE(emit_yaml, SK_ELIMIT),
    CASE(fetch_https, SK_EUSAGE),
    CASE(fetch_pubkey, SK_EIO),
    CASE(read_fd, SK_EIO),
    CASE(read_file, SK_EIO),
    CASE(read_file_limit, SK_ELIMIT),
    CASE(write_atomic, SK_EIO),
    CASE(read_at, SK_EIO),
    CASE(write_atomic_at, SK_EIO),
    CASE(write_new, SK_EIO),
    CASE(write_new_at, SK_EIO),
    CASE(keygen, SK_EUSAGE),
    CASE(keypair_cert_pem, SK_OK),
    CASE(keypair_key_pem, SK_OK),
    CASE(keygen_tls_secret, SK_EUSAGE),
    CASE(keygen_check_names, SK_EUSAGE),
    CASE(keyring_new, SK_OK),
    CASE(keyring_add_pem, SK_EPARSE),
    CASE(keyring_add_text, SK_EINVAL),
    CASE(keyring_add_text_base64, SK_EPARSE),
    CASE(keyring_add_certs, SK_EPARSE),
    CASE(keyring_load, SK_EIO),
    CASE(keyring_load_none, SK_EINVAL),
    CASE(keyring_pubkey, SK_EUSAGE),
    CASE(keyring_newest, SK_EINVAL),
    CASE(keyring_decrypt, SK_EDECRYPT),
    CASE(secbuf_reserve, SK_ELIMIT),
    CASE(secbuf_append, SK_ELIMIT),
    CASE(secbuf_puts, SK_OK),
    CASE(docs_walk_list, SK_EINVAL),
    CASE(docs_walk_fn, SK_ECERT),
    CASE(package_parse_date, SK_EUSAGE),
    CASE(package_parse_epoch, SK_EUSAGE),
    CASE(package_filename, SK_EUSAGE),
    CASE(package_check_input, SK_EINVAL),
    CASE(package_check_kustomization, SK_EINVAL),
    CASE(package_check_kustomization_patch, SK_EINVAL),
    CASE(package_build, SK_EUSAGE),
    CASE(package_read, SK_EPARSE),
    CASE(package_verify, SK_EUSAGE),
    CASE(package_build_overlays, SK_EUSAGE),
    CASE(package_build_envs_none, SK_EUSAGE),
    CASE(package_build_envs_parse, SK_EPARSE),
    CASE(package_build_envs_overlay, SK_EUSAGE),
    CASE(package_save_other, SK_EINVAL),
    CASE(package_save_link, SK_EIO),
    CASE(package_save_no_name, SK_EUSAGE),
    CASE(package_diff_usage, SK_EUSAGE),
    CASE(package_diff_twice, SK_EINVAL),
    CASE(package_diff_parse, SK_EPARSE),
    CASE(package_install_usage, SK_EUSAGE),
    CASE(package_install_missing, SK_EIO),
    CASE(package_install_junk, SK_EPARSE),
    CASE(reseal_text, SK_EDECRYPT),
    CASE(reseal_text_parse, SK_EPARSE),
    CASE(rotate_begin_usage, SK_EUSAGE),
    CASE(rotate_begin_missing, SK_EINVAL),
    CASE(rotate_run_missing, SK_EINVAL),
    CASE(rotate_preflight, SK_EDECRYPT),
    CASE(rotate_mint_shared, SK_EUSAGE),
    CASE(rotate_reseal_due, SK_EUSAGE),
    CASE(rotate_check_due, SK_EUSAGE),
    CASE(rotate_finish_due, SK_EUSAGE),
    CASE(scope_parse, SK_EUSAGE),
    CASE(scope_set_annotations, SK_ENOMEM),
    CASE(scope_label, SK_OK),
    CASE(seal_secret, SK_EINVAL),
    CASE(seal_raw, SK_EUSAGE),
    CASE(sealed_check, SK_EINVAL),
    CASE(seal_merge, SK_ENOMEM),
    CASE(secret_from_json, SK_EINVAL),
    CASE(secret_from_json_base64, SK_EPARSE),
    CASE(secrets_from_docs, SK_EINVAL),
    CASE(secret_set_name, SK_ENOMEM),
    CASE(secret_set_namespace, SK_ENOMEM),
    CASE(secret_put, SK_ELIMIT),
    CASE(secret_to_json, SK_ENOMEM),
    CASE(duration_parse, SK_EUSAGE),
    CASE(time_parse, SK_EUSAGE),
    CASE(unseal, SK_EINVAL),
    CASE(unseal_wrong_key, SK_EDECRYPT),
    CASE(unseal_template_metadata, SK_EINVAL),
    CASE(diagnose_scope, SK_EDECRYPT),
    CASE(findings_add, SK_OK),
    CASE(verify_doc, SK_EUSAGE),
    CASE(verify_doc_guesses, SK_OK),
    CASE(verify_docs, SK_OK),
    CASE(verify_text, SK_OK),
    CASE(verify_text_opts, SK_EUSAGE),
    CASE(policy_parse_field, SK_EINVAL),
    CASE(policy_parse_scope, SK_EUSAGE),
    CASE(policy_parse_yaml, SK_EPARSE),
    CASE(policy_check, SK_OK),
    CASE(cert_scan_none, SK_EINVAL),
    CASE(cert_scan_bad_block, SK_EPARSE),
    CASE(cert_scan_bad_base64, SK_EPARSE),
    CASE(walk, SK_EIO),
    CASE(open_parent, SK_EIO),
    CASE(open_parent_usage, SK_EUSAGE),
    CASE(walk_remove_stale_temp, SK_OK),
};

static void test_null_err(void **state)
{
    (void)state;
    int failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const null_case *c = &cases[i];
        sk_error err = {0};
        int with = c->run(&err);
        int without = c->run(NULL);
        if (with != c->want || err.code != c->want || without != c->want) {
            print_error("%s: want %s; with an sk_error %s (code %s: %s), with NULL %s\n", c->name,
                        sk_status_name(c->want), sk_status_name(with), sk_status_name(err.code),
                        tu_err_line(&err), sk_status_name(without));
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

/* The error functions themselves accept NULL. */
static void test_error_functions(void **state)
{
    (void)state;
    assert_int_equal(sk_error_set(NULL, SK_EIO, "x %d", 1), SK_EIO);
    sk_error_hint(NULL, "hint");
    sk_error_prefix(NULL, "prefix: ");
    sk_error_clear(NULL);
    assert_int_equal(sk_error_at_source(NULL, SK_EPARSE, "f"), SK_EPARSE);
    assert_int_equal(sk_error_at_object(NULL, SK_EINVAL, 1, 2), SK_EINVAL);
    assert_int_equal(sk_error_at_line(NULL, SK_ELIMIT, 3), SK_ELIMIT);
}

static int setup(void **state)
{
    (void)state;
    sk_error err = {0};
    assert_int_equal(sk_init(), SK_OK);
    assert_int_equal(sk_json_wipe_on_free(), SK_OK);
    json_get_alloc_funcs(&real_malloc, &real_free);
    json_set_alloc_funcs(flaky_malloc, real_free);

    char *crt = tu_path(SK_TEST_DATA_DIR, "interop/keys/current/tls.crt");
    assert_int_equal(sk_pubkey_from_file(crt, NOW, &fx.pk, &err), SK_OK);
    free(crt);
    const char *paths[] = {"interop/keys/current/tls.key", "interop/keys/old/tls.key"};
    sk_keyring **rings[] = {&fx.kr, &fx.old};
    for (size_t i = 0; i < 2; i++) {
        size_t len = 0;
        char *key = tu_data_file(paths[i], &len);
        assert_int_equal(sk_keyring_new(rings[i], &err), SK_OK);
        assert_int_equal(sk_keyring_add_pem(*rings[i], key, len, paths[i], NULL, &err), SK_OK);
        free(key);
    }
    assert_int_equal(sk_keyring_new(&fx.empty, &err), SK_OK);
    assert_int_equal(sk_keygen(2048, "cn", 1700000000, 86400, &fx.kp, &err), SK_OK);
    fx.sealed = tu_data_file("golden/strict.json", &fx.sealed_len);
    json_t *doc = parse1(fx.sealed);
    const json_t *v =
        json_object_get(json_object_get(json_object_get(doc, "spec"), "encryptedData"), "key9");
    assert_int_equal(sk_base64_decode(json_string_value(v), json_string_length(v), &fx.blob, &err),
                     SK_OK);
    json_decref(doc);
    snprintf(fx.tmp, sizeof fx.tmp, "/tmp/sk_null_err.XXXXXX");
    assert_non_null(mkdtemp(fx.tmp));
    char path[96];
    snprintf(path, sizeof path, "%s/exists", fx.tmp);
    assert_int_equal(sk_write_new(path, "x", 1, 0600, &err), SK_OK);
    snprintf(path, sizeof path, "%s/link", fx.tmp);
    assert_int_equal(symlink("exists", path), 0);
    snprintf(path, sizeof path, "%s/manifests", fx.tmp);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/sealed.json", fx.tmp);
    assert_int_equal(sk_write_new(path, fx.sealed, fx.sealed_len, 0600, &err), SK_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    /* Ours alone (mkdtemp), with what the cases left in it: lock files, a key folder. */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx.tmp);
    assert_int_equal(system(cmd), 0);
    sk_pubkey_free(fx.pk);
    sk_keyring_free(fx.kr);
    sk_keyring_free(fx.old);
    sk_keyring_free(fx.empty);
    sk_keypair_free(fx.kp);
    sk_secbuf_free(&fx.blob);
    free(fx.sealed);
    json_set_alloc_funcs(real_malloc, real_free);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_err),
        cmocka_unit_test(test_error_functions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
