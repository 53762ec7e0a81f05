/* Packages: names and dates, input and kustomization rules, reproducible builds, safe reading,
 * verify. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>

#include "testutil.h"

#define MIDNIGHT_20250704 1751587200

/* ---- fixtures ---- */

typedef struct inputs {
    char *ghcr, *ml;
    size_t ghcr_len, ml_len;
    sk_package_input in[2];
} inputs;

static void load_inputs(inputs *x)
{
    char *p = tu_path(SK_TEST_DATA_DIR, "package/ghcr-secret.yaml");
    x->ghcr = tu_read_file(p, &x->ghcr_len);
    free(p);
    p = tu_path(SK_TEST_DATA_DIR, "package/ml-platform-secret.yaml");
    x->ml = tu_read_file(p, &x->ml_len);
    free(p);
    x->in[0] = (sk_package_input){"in/ml-platform-secret.yaml", (unsigned char *)x->ml, x->ml_len};
    x->in[1] = (sk_package_input){"in/ghcr-secret.yaml", (unsigned char *)x->ghcr, x->ghcr_len};
}

static void free_inputs(inputs *x)
{
    free(x->ghcr);
    free(x->ml);
}

static sk_package_opts default_opts(void)
{
    sk_package_opts o = {
        SK_PACKAGE_OPTS_VERSION, "seldon-system", "ml", NULL, MIDNIGHT_20250704, NULL, 0, NULL};
    return o;
}

static sk_package_input text_input(const char *path, const char *text)
{
    return (sk_package_input){path, (const unsigned char *)text, strlen(text)};
}

static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL) {
        print_error("\"%s\"\n  lacks \"%s\"\n", hay, needle);
        fail();
    }
}

/* ---- names and dates ---- */

static void test_parse_date(void **state)
{
    (void)state;
    sk_error err = {0};
    int64_t t = 0;
    assert_int_equal(sk_package_parse_date("20250704", &t, &err), SK_OK);
    assert_int_equal(t, MIDNIGHT_20250704);
    assert_int_equal(sk_package_parse_date("19700101", &t, &err), SK_OK);
    assert_int_equal(t, 0);
    assert_int_equal(sk_package_parse_date("20240229", &t, &err), SK_OK);
    const char *bad[] = {"20250231", "20230229", "2025074",  "202507040", "19691231", "2025-7-4",
                         "abcdefgh", "20251301", "20250700", "",          NULL};
    for (size_t i = 0; bad[i]; i++) {
        assert_int_equal(sk_package_parse_date(bad[i], &t, &err), SK_EUSAGE);
        assert_contains(tu_err_line(&err), "expected YYYYMMDD");
    }
    assert_int_equal(sk_package_parse_date(NULL, &t, &err), SK_EUSAGE);
}

static void test_parse_epoch(void **state)
{
    (void)state;
    sk_error err = {0};
    int64_t t = -1;
    assert_int_equal(sk_package_parse_epoch("1751600000", &t, &err), SK_OK);
    assert_int_equal(t, 1751600000);
    assert_int_equal(sk_package_parse_epoch("0", &t, &err), SK_OK);
    assert_int_equal(t, 0);
    assert_int_equal(sk_package_parse_epoch("8589934591", &t, &err), SK_OK);
    const char *bad[] = {"", "-1", "12a", " 1", "1.5", "8589934592", "999999999999999", NULL};
    for (size_t i = 0; bad[i]; i++) {
        assert_int_equal(sk_package_parse_epoch(bad[i], &t, &err), SK_EUSAGE);
        assert_contains(tu_err_line(&err), "SOURCE_DATE_EPOCH");
    }
}

static void test_filename(void **state)
{
    (void)state;
    sk_error err = {0};
    char name[SK_PACKAGE_NAME_MAX];
    sk_package_opts o = default_opts();
    assert_int_equal(sk_package_filename(&o, name, sizeof name, &err), SK_OK);
    assert_string_equal(name, "seldon-system-ml-secrets-20250704.tar.gz");
    o.mtime = MIDNIGHT_20250704 + 86399; /* still the 4th in UTC */
    assert_int_equal(sk_package_filename(&o, name, sizeof name, &err), SK_OK);
    assert_string_equal(name, "seldon-system-ml-secrets-20250704.tar.gz");
    o.mtime++;
    assert_int_equal(sk_package_filename(&o, name, sizeof name, &err), SK_OK);
    assert_string_equal(name, "seldon-system-ml-secrets-20250705.tar.gz");
    const char *bad_labels[] = {"Seldon", "-a", "a-", "a_b", "", "a.b", NULL};
    for (size_t i = 0; bad_labels[i]; i++) {
        o = default_opts();
        o.namespace_ = bad_labels[i];
        assert_int_equal(sk_package_filename(&o, name, sizeof name, &err), SK_EUSAGE);
        assert_contains(tu_err_line(&err), "namespace");
        o = default_opts();
        o.set = bad_labels[i];
        assert_int_equal(sk_package_filename(&o, name, sizeof name, &err), SK_EUSAGE);
        assert_contains(tu_err_line(&err), "set");
    }
    o = default_opts();
    o.mtime = -1;
    assert_int_equal(sk_package_filename(&o, name, sizeof name, &err), SK_EUSAGE);
    assert_int_equal(sk_package_filename(&o, name, 8, &err), SK_EUSAGE);
    o = default_opts();
    assert_int_equal(sk_package_filename(&o, name, 8, &err), SK_ELIMIT);
}

/* ---- inputs ---- */

static const char plain_secret[] = "apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: "
                                   "seldon-system}\nstringData: {k: v}\n";
static const char config_map[] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n";

static void expect_input_refused(const char *text, const char *ns, int code, const char *needle)
{
    sk_error err = {0};
    sk_package_input in = text_input("x.yaml", text);
    assert_int_equal(sk_package_check_input(&in, ns, &err), code);
    assert_contains(tu_err_line(&err), needle);
}

static void test_check_input(void **state)
{
    (void)state;
    inputs x;
    load_inputs(&x);
    sk_error err = {0};
    assert_int_equal(sk_package_check_input(&x.in[0], "seldon-system", &err), SK_OK);
    assert_int_equal(sk_package_check_input(&x.in[1], "seldon-system", &err), SK_OK);
    assert_int_equal(sk_package_check_input(&x.in[1], "other", &err), SK_EINVAL);
    assert_contains(tu_err_line(&err),
                    "in/ghcr-secret.yaml: document 1: SealedSecret ghcr: metadata.namespace "
                    "\"seldon-system\" is not the package's namespace \"other\"");
    /* The template's namespace counts too. */
    char *moved = strdup(x.ghcr);
    char *tns = strstr(strstr(moved, "template:"), "namespace: seldon-system");
    memcpy(tns + strlen("namespace: "), "seldon-xxxxxx", 13);
    expect_input_refused(moved, "seldon-system", SK_EINVAL,
                         "spec.template.metadata.namespace \"seldon-xxxxxx\"");
    free(moved);
    expect_input_refused(plain_secret, "seldon-system", SK_EINVAL,
                         "x.yaml: document 1: a plaintext Secret (kind: Secret)");
    expect_input_refused(config_map, "seldon-system", SK_EINVAL,
                         "document 1: kind: ConfigMap is not a SealedSecret");
    expect_input_refused("kind: List\nitems: []\n", "seldon-system", SK_EINVAL, "kind: List");
    expect_input_refused("a: b\n", "seldon-system", SK_EINVAL, "kind: (none) is not");
    expect_input_refused("# nothing\n", "seldon-system", SK_EINVAL,
                         "x.yaml: holds no SealedSecret");
    expect_input_refused("a: [\n", "seldon-system", SK_EPARSE, "x.yaml");
    expect_input_refused("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {}\n",
                         "seldon-system", SK_EINVAL, "document 1: metadata.name: missing");
    /* A SealedSecret after a good one still fails, naming document 2. */
    size_t n = x.ghcr_len + sizeof plain_secret + 8;
    char *two = malloc(n);
    snprintf(two, n, "%s---\n%s", x.ghcr, plain_secret);
    expect_input_refused(two, "seldon-system", SK_EINVAL, "document 2: a plaintext Secret");
    free(two);
    /* Cluster-wide SealedSecrets have no namespace: accepted for any package namespace. */
    const char *cw = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: c\n"
                     "  annotations: {sealedsecrets.bitnami.com/cluster-wide: \"true\"}\n"
                     "spec:\n  encryptedData: {a: AgA=}\n";
    sk_package_input in = text_input("cw.yaml", cw);
    assert_int_equal(sk_package_check_input(&in, "anything", &err), SK_OK);
    sk_package_input big = {"big.yaml", (const unsigned char *)cw, SK_PACKAGE_MAX_ENTRY + 1};
    assert_int_equal(sk_package_check_input(&big, "anything", &err), SK_ELIMIT);
    free_inputs(&x);
}

/* ---- kustomizations ---- */

typedef struct kz_case {
    const char *text;
    const char *ns;
    int rc;
    const char *needle;
} kz_case;

static const kz_case kz_cases[] = {
    {"resources: [a.yaml]\n", "ns", SK_OK, NULL},
    {"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ns\n"
     "commonLabels: {team: ml}\nlabels: [{pairs: {a: b}}]\ncommonAnnotations: {note: x}\n",
     "ns", SK_OK, NULL},
    {"namespace: other\n", NULL, SK_OK, NULL},
    {"namePrefix: team-\n", "ns", SK_EINVAL,
     "namePrefix: kustomize would rename the SealedSecret; strict-scope values would no longer "
     "decrypt"},
    {"nameSuffix: -x\n", "ns", SK_EINVAL, "nameSuffix: kustomize would rename"},
    {"namespace: other\n", "ns", SK_EINVAL,
     "namespace: kustomize would move the SealedSecrets from \"ns\" to \"other\""},
    {"secretGenerator: []\n", "ns", SK_EINVAL, "secretGenerator: generators add objects"},
    {"configMapGenerator: []\n", "ns", SK_EINVAL, "configMapGenerator: generators"},
    {"generatorOptions: {}\n", "ns", SK_EINVAL, "generatorOptions: name hash suffixes"},
    {"replacements: []\n", "ns", SK_EINVAL, "replacements: not allowed in a secrets package"},
    {"components: [../c]\n", "ns", SK_EINVAL, "components: not allowed"},
    {"kind: Component\n", "ns", SK_EINVAL, "kind: expected Kustomization"},
    {"apiVersion: v1\n", "ns", SK_EINVAL, "apiVersion: expected kustomize.config.k8s.io/v1beta1"},
    {"commonAnnotations: {sealedsecrets.bitnami.com/namespace-wide: \"true\"}\n", "ns", SK_EINVAL,
     "commonAnnotations[sealedsecrets.bitnami.com/namespace-wide]: kustomize would change"},
    {"commonLabels: {a: 5}\n", "ns", SK_EINVAL, "commonLabels[a]: must be a string"},
    {"resources: a.yaml\n", "ns", SK_EINVAL, "resources: must be a list"},
    {"- a\n", "ns", SK_EINVAL, "must be a mapping"},
    /* JSON 6902 patches */
    {"patches:\n- patch: '[{op: add, path: /metadata/labels/a, value: b}]'\n", "ns", SK_OK, NULL},
    {"patches:\n- patch: '[{op: replace, path: /metadata/name, value: b}]'\n", "ns", SK_EINVAL,
     "patches[1]: path \"/metadata/name\" changes a SealedSecret's name"},
    {"patches:\n- patch: '[{op: replace, path: /metadata, value: {}}]'\n", "ns", SK_EINVAL,
     "path \"/metadata\""},
    {"patches:\n- patch: '[{op: remove, path: \"\"}]'\n", "ns", SK_EINVAL, "path \"\""},
    {"patches:\n- patch: '[{op: add, path: /spec/template/metadata/namespace, value: x}]'\n", "ns",
     SK_EINVAL, "/spec/template/metadata/namespace"},
    {"patches:\n- patch: '[{op: add, path: "
     "/metadata/annotations/sealedsecrets.bitnami.com~1cluster-wide, value: \"true\"}]'\n",
     "ns", SK_EINVAL, "sealedsecrets.bitnami.com~1cluster-wide"},
    {"patches:\n- patch: '[{op: replace, path: /spec/encryptedData/a, value: AgA=}]'\n", "ns",
     SK_EINVAL, "/spec/encryptedData/a"},
    {"patches:\n- patch: '[{op: move, from: /metadata/namespace, path: /metadata/labels/x}]'\n",
     "ns", SK_EINVAL, "move from \"/metadata/namespace\""},
    {"patches:\n- patch: '[{op: copy, from: /metadata/name, path: /metadata/labels/x}]'\n", "ns",
     SK_OK, NULL},
    {"patches:\n- patch: '[{path: /a}]'\n", "ns", SK_EINVAL, "op and path must be strings"},
    /* Not a name, but what the Secret becomes: only labels and annotations may be patched. */
    {"patches:\n- patch: '[{op: replace, path: /spec/template/type, value: Opaque}]'\n", "ns",
     SK_EINVAL, "path \"/spec/template/type\" is not a label or annotation"},
    {"patches:\n- patch: '[{op: add, path: /spec/template/data/x, value: eA==}]'\n", "ns",
     SK_EINVAL, "path \"/spec/template/data/x\" is not a label or annotation"},
    {"patches:\n- patch: '[{op: move, from: /spec/template/type, path: /metadata/labels/t}]'\n",
     "ns", SK_EINVAL, "move from \"/spec/template/type\""},
    {"patches:\n- patch: '[{op: replace, path: /metadata/annotations, value: {}}]'\n", "ns",
     SK_EINVAL, "path \"/metadata/annotations\" changes a SealedSecret's"},
    {"patches:\n- patch: '[{op: add, path: /spec/template/metadata/labels/a, value: b}]'\n", "ns",
     SK_OK, NULL},
    {"patches:\n- patch: '[{op: replace, path: /metadata/labels, value: {a: b}}]'\n", "ns", SK_OK,
     NULL},
    {"patches:\n- patch: '[{op: test, path: /spec/template/type, value: Opaque}]'\n", "ns", SK_OK,
     NULL},
    /* strategic merge patches */
    {"patches:\n- patch: |\n    kind: SealedSecret\n    metadata: {name: a, namespace: ns, "
     "labels: {x: y}}\n",
     "ns", SK_OK, NULL},
    {"patches:\n- patch: |\n    metadata: {name: a}\n    spec: {template: {metadata: {name: b}}}\n",
     "ns", SK_EINVAL, "field \"/spec/template/metadata/name\""},
    {"patches:\n- patch: |\n    metadata: {name: a, annotations: null}\n", "ns", SK_EINVAL,
     "field \"/metadata/annotations\""},
    {"patches:\n- patch: |\n    metadata: {name: a}\n    spec: {template: {type: Opaque}}\n", "ns",
     SK_EINVAL, "field \"/spec/template/type\" is not a label or annotation"},
    {"patches:\n- patch: |\n    spec: {template: {data: {x: eA==}}}\n", "ns", SK_EINVAL,
     "field \"/spec/template/data/x\""},
    {"patches:\n- patch: |\n    spec: {template: {immutable: true}}\n", "ns", SK_EINVAL,
     "field \"/spec/template/immutable\""},
    {"patches:\n- patch: |\n    metadata: {name: a, annotations: {}}\n    spec: {template: "
     "{metadata: {annotations: {note: x}}}}\n",
     "ns", SK_OK, NULL},
    {"patches:\n- patch: |\n    metadata: {name: {a: b}}\n", "ns", SK_EINVAL,
     "field \"/metadata/name/a\""},
    {"patches:\n- patch: |\n    metadata: {name: a, $patch: replace}\n", "ns", SK_EINVAL,
     "directive $patch"},
    {"patches:\n- patch: |\n    spec: {encryptedData: {a: AgA=}}\n", "ns", SK_EINVAL,
     "\"/spec/encryptedData/a\""},
    {"patches:\n- patch: \"{metadata: {name: a}}\"\n  options: {allowNameChange: true}\n", "ns",
     SK_EINVAL, "allowNameChange/allowKindChange: kustomize would rename"},
    {"patches:\n- path: p.yaml\n", "ns", SK_EINVAL, "patch files are not packaged"},
    {"patches:\n- patch: \"a: [\"\n", "ns", SK_EPARSE, "k.yaml: patches[1]: document 1"},
    {"patches:\n- patch: \"a\"\n", "ns", SK_EINVAL, "patches[1]: not a patch"},
    {"patches:\n- patch: x\n  frob: 1\n", "ns", SK_EINVAL, "unknown field frob"},
    {"patchesStrategicMerge: [a.yaml]\n", "ns", SK_EINVAL, "patchesStrategicMerge: not allowed"},
    {"a: 1\n---\nb: 2\n", "ns", SK_EINVAL, "expected one kustomization document, found 2"},
};

static void test_kustomization_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof kz_cases / sizeof kz_cases[0]; i++) {
        const kz_case *c = &kz_cases[i];
        sk_error err = {0};
        int rc = sk_package_check_kustomization((const unsigned char *)c->text, strlen(c->text),
                                                "k.yaml", c->ns, &err);
        if (rc != c->rc) {
            print_error("case %zu: rc %d, want %d: %s\n", i, rc, c->rc, tu_err_line(&err));
            fail();
        }
        if (c->needle != NULL) {
            assert_contains(tu_err_line(&err), "k.yaml: ");
            assert_contains(tu_err_line(&err), c->needle);
        }
    }
}

/* ---- building ---- */

static void build_ok(const sk_package_opts *o, const sk_package_input *in, size_t n, sk_secbuf *out)
{
    sk_error err = {0};
    int rc = sk_package_build(o, in, n, out, &err);
    if (rc != SK_OK) print_error("build: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
}

static void read_ok(const sk_secbuf *buf, sk_package *p)
{
    sk_error err = {0};
    int rc = sk_package_read(buf->data, buf->len, p, &err);
    if (rc != SK_OK) print_error("read: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
}

static void test_build_reproducible(void **state)
{
    (void)state;
    inputs x;
    load_inputs(&x);
    sk_package_opts o = default_opts();
    sk_secbuf a = SK_SECBUF_INIT, b = SK_SECBUF_INIT, c = SK_SECBUF_INIT;
    build_ok(&o, x.in, 2, &a);
    sk_package_input rev[2] = {x.in[1], x.in[0]};
    build_ok(&o, rev, 2, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    /* gzip: magic, deflate, no flags (no name), mtime 0, XFL 2, OS 3 (Unix). */
    static const unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3};
    assert_memory_equal(a.data, hdr, sizeof hdr);
    o.mtime++;
    build_ok(&o, x.in, 2, &c);
    assert_true(c.len != a.len || memcmp(c.data, a.data, a.len) != 0);
    sk_secbuf_free(&a);
    sk_secbuf_free(&b);
    sk_secbuf_free(&c);
    free_inputs(&x);
}

/* The raw ustar header of entry i (tar stream offset) for field checks. */
static void check_tar_headers(const sk_secbuf *gz)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_memory(a, gz->data, gz->len), ARCHIVE_OK);
    struct archive_entry *e;
    size_t n = 0;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        assert_int_equal(archive_entry_uid(e), 0);
        assert_int_equal(archive_entry_gid(e), 0);
        assert_true(archive_entry_uname(e) == NULL || *archive_entry_uname(e) == '\0');
        assert_true(archive_entry_gname(e) == NULL || *archive_entry_gname(e) == '\0');
        assert_int_equal(archive_entry_mtime(e), MIDNIGHT_20250704);
        int dir = archive_entry_filetype(e) == AE_IFDIR;
        assert_int_equal(archive_entry_perm(e), dir ? 0755 : 0644);
        assert_int_equal(archive_format(a) & ARCHIVE_FORMAT_BASE_MASK, ARCHIVE_FORMAT_TAR);
        n++;
    }
    assert_int_equal(n, 8);
    archive_read_free(a);
}

static void test_build_layout(void **state)
{
    (void)state;
    inputs x;
    load_inputs(&x);
    sk_package_opts o = default_opts();
    sk_secbuf gz = SK_SECBUF_INIT;
    build_ok(&o, x.in, 2, &gz);
    check_tar_headers(&gz);
    sk_package p = {0};
    read_ok(&gz, &p);
    assert_int_equal(p.n, 8);
    /* Each package in a folder of its own, below the two kustomizations that list it. */
    const char *want[] = {"production",
                          "production/kustomization.yaml",
                          "production/sealed-secrets",
                          "production/sealed-secrets/kustomization.yaml",
                          "production/sealed-secrets/ml",
                          "production/sealed-secrets/ml/ghcr-secret.yaml",
                          "production/sealed-secrets/ml/kustomization.yaml",
                          "production/sealed-secrets/ml/ml-platform-secret.yaml"};
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(p.entries[i].path, want[i]);
    assert_true(p.entries[0].is_dir && p.entries[2].is_dir && p.entries[4].is_dir);
    assert_int_equal(p.entries[5].data.len, x.ghcr_len);
    assert_memory_equal(p.entries[5].data.data, x.ghcr, x.ghcr_len);
    assert_memory_equal(p.entries[7].data.data, x.ml, x.ml_len);
#define KZ_HEAD "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n"
    assert_string_equal((char *)p.entries[1].data.data, KZ_HEAD "- sealed-secrets\n");
    assert_string_equal((char *)p.entries[3].data.data, KZ_HEAD "- ml\n");
    assert_string_equal((char *)p.entries[6].data.data,
                        KZ_HEAD "- ghcr-secret.yaml\n- ml-platform-secret.yaml\n");
    sk_package_free(&p);
    sk_secbuf_free(&gz);
    /* --overlay */
    o.overlay = "staging";
    build_ok(&o, x.in, 2, &gz);
    read_ok(&gz, &p);
    assert_string_equal(p.entries[6].path, "staging/sealed-secrets/ml/kustomization.yaml");
    sk_package_free(&p);
    sk_secbuf_free(&gz);
    free_inputs(&x);
}

/* Two overlays in one package: each gets the full layout, in the order given. */
static void test_build_overlays(void **state)
{
    (void)state;
    inputs x;
    load_inputs(&x);
    sk_package_opts o = default_opts();
    sk_package_overlay ov[2] = {{"production", x.in, 2}, {"staging", x.in, 1}};
    sk_secbuf gz = SK_SECBUF_INIT;
    sk_error err = {0};
    assert_int_equal(sk_package_build_overlays(&o, ov, 2, &gz, &err), SK_OK);
    sk_package p = {0};
    read_ok(&gz, &p);
    assert_int_equal(p.n, 15);
    assert_string_equal(p.entries[14].path, "staging/sealed-secrets/ml/ml-platform-secret.yaml");
    sk_findings f;
    sk_findings_init(&f);
    sk_package_summary sum = SK_PACKAGE_SUMMARY_INIT;
    assert_int_equal(sk_package_verify(&p, "pkg", NULL, &f, &sum, &err), SK_OK);
    assert_int_equal(f.n, 0);
    assert_int_equal(sum.overlays, 2);
    assert_int_equal(sum.sealed_files, 3);
    sk_findings_free(&f);
    sk_package_free(&p);
    ov[1].name = "production";
    assert_int_equal(sk_package_build_overlays(&o, ov, 2, &gz, &err), SK_EUSAGE);
    assert_contains(err.msg, "overlay \"production\" given twice");
    ov[1] = (sk_package_overlay){"staging", x.in, 0};
    assert_int_equal(sk_package_build_overlays(&o, ov, 2, &gz, &err), SK_EUSAGE);
    assert_contains(err.msg, "overlay staging: no SealedSecret files");
    sk_secbuf_free(&gz);
    free_inputs(&x);
}

static void expect_build_refused(const sk_package_opts *o, const sk_package_input *in, size_t n,
                                 int code, const char *needle)
{
    sk_error err = {0};
    sk_secbuf out = SK_SECBUF_INIT;
    int rc = sk_package_build(o, in, n, &out, &err);
    if (rc != code) print_error("rc %d, want %d: %s\n", rc, code, tu_err_line(&err));
    assert_int_equal(rc, code);
    assert_contains(tu_err_line(&err), needle);
    assert_null(out.data); /* nothing built */
}

static void test_build_refusals(void **state)
{
    (void)state;
    inputs x;
    load_inputs(&x);
    sk_package_opts o = default_opts();
    sk_package_input in[3] = {x.in[0], x.in[1], x.in[1]};
    in[2].path = "other/ghcr-secret.yaml";
    expect_build_refused(&o, in, 3, SK_EINVAL, "two files are named ghcr-secret.yaml");
    in[2].path = "copy.yaml";
    expect_build_refused(&o, in, 3, SK_EINVAL,
                         "SealedSecret seldon-system/ghcr is in both in/ghcr-secret.yaml and "
                         "copy.yaml");
    in[2] = text_input("dir/plain.yaml", plain_secret);
    expect_build_refused(&o, in, 3, SK_EINVAL, "dir/plain.yaml: document 1: a plaintext Secret");
    in[2] = text_input("cm.yaml", config_map);
    expect_build_refused(&o, in, 3, SK_EINVAL, "cm.yaml: document 1: kind: ConfigMap");
    in[2] = text_input("kustomization.yaml", "resources: []\n");
    expect_build_refused(&o, in, 3, SK_EINVAL, "the package writes its own kustomization");
    const char *bad_names[] = {".hidden.yaml", "a b.yaml", "-x.yaml", "dir/", "é.yaml", NULL};
    for (size_t i = 0; bad_names[i]; i++) {
        in[2] = text_input(bad_names[i], config_map);
        expect_build_refused(&o, in, 3, SK_EINVAL, "file name must be");
    }
    expect_build_refused(&o, in, 0, SK_EUSAGE, "no SealedSecret files");
    o.overlay = "../up";
    expect_build_refused(&o, x.in, 2, SK_EUSAGE, "overlay \"../up\"");
    o = default_opts();
    o.namespace_ = "other";
    expect_build_refused(&o, x.in, 2, SK_EINVAL, "is not the package's namespace \"other\"");
    o = default_opts();
    const char *kz = "namePrefix: x-\n";
    o.kustomization = (const unsigned char *)kz;
    o.kustomization_len = strlen(kz);
    o.kustomization_source = "my-kz.yaml";
    expect_build_refused(&o, x.in, 2, SK_EINVAL, "my-kz.yaml: namePrefix: kustomize would rename");
    kz = "resources: [ghcr-secret.yaml, ../base]\n";
    o.kustomization = (const unsigned char *)kz;
    o.kustomization_len = strlen(kz);
    expect_build_refused(&o, x.in, 2, SK_EINVAL,
                         "my-kz.yaml: resources[2] \"../base\" is not one of the packaged files");
    free_inputs(&x);
}

static void test_build_user_kustomization(void **state)
{
    (void)state;
    inputs x;
    load_inputs(&x);
    sk_package_opts o = default_opts();
    const char *kz = "resources: [ghcr-secret.yaml]\ncommonLabels: {team: ml}\n"
                     "namespace: seldon-system\n";
    o.kustomization = (const unsigned char *)kz;
    o.kustomization_len = strlen(kz);
    sk_secbuf gz = SK_SECBUF_INIT;
    build_ok(&o, x.in, 2, &gz);
    sk_package p = {0};
    read_ok(&gz, &p);
    assert_string_equal((char *)p.entries[6].data.data,
                        "apiVersion: kustomize.config.k8s.io/v1beta1\ncommonLabels:\n  team: ml\n"
                        "kind: Kustomization\nnamespace: seldon-system\nresources:\n"
                        "- ghcr-secret.yaml\n- ml-platform-secret.yaml\n");
    sk_findings f;
    sk_findings_init(&f);
    sk_error err = {0};
    assert_int_equal(sk_package_verify(&p, "pkg", NULL, &f, NULL, &err), SK_OK);
    assert_int_equal(f.n, 0);
    sk_findings_free(&f);
    sk_package_free(&p);
    sk_secbuf_free(&gz);
    free_inputs(&x);
}

/* ---- reading hostile archives ---- */

typedef struct tentry {
    const char *path;
    unsigned type; /* AE_IF*, 0 = regular */
    const char *link;
    size_t size; /* bytes of data (zeros unless data is set) */
    const char *data;
    int hardlink;
} tentry;

/* Writes entries as a tar (gzip-compressed when gz) into a malloc'd buffer. */
static unsigned char *craft(const tentry *t, size_t n, int gz, size_t *len)
{
    size_t cap = 16u << 20;
    unsigned char *buf = malloc(cap);
    assert_non_null(buf);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (gz) archive_write_add_filter_gzip(a);
    assert_int_equal(archive_write_open_memory(a, buf, cap, len), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    unsigned char *zeros = calloc(1, 1u << 20);
    for (size_t i = 0; i < n; i++) {
        archive_entry_clear(e);
        archive_entry_set_pathname(e, t[i].path);
        archive_entry_set_filetype(e, t[i].type ? t[i].type : AE_IFREG);
        archive_entry_set_perm(e, 0644);
        if (t[i].link && t[i].hardlink)
            archive_entry_set_hardlink(e, t[i].link);
        else if (t[i].link)
            archive_entry_set_symlink(e, t[i].link);
        if (t[i].type == AE_IFCHR) archive_entry_set_rdev(e, 0x0103);
        size_t size = t[i].data ? strlen(t[i].data) : t[i].size;
        archive_entry_set_size(e, (la_int64_t)size);
        assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
        if (t[i].data) archive_write_data(a, t[i].data, size);
        for (size_t left = t[i].data ? 0 : size; left > 0;) {
            size_t k = left < (1u << 20) ? left : (1u << 20);
            archive_write_data(a, zeros, k);
            left -= k;
        }
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    archive_entry_free(e);
    free(zeros);
    return buf;
}

static void expect_read_refused(const tentry *t, size_t n, int gz, int code, const char *needle)
{
    size_t len = 0;
    unsigned char *buf = craft(t, n, gz, &len);
    sk_package p = {0};
    sk_error err = {0};
    int rc = sk_package_read(buf, len, &p, &err);
    if (rc != code) print_error("rc %d, want %d: %s\n", rc, code, tu_err_line(&err));
    assert_int_equal(rc, code);
    assert_contains(tu_err_line(&err), needle);
    assert_null(p.entries);
    free(buf);
}

#define DIR_ENTRY                                                                                  \
    {                                                                                              \
        "production/", AE_IFDIR, NULL, 0, NULL, 0                                                  \
    }
#define KZ_ENTRY                                                                                   \
    {                                                                                              \
        "production/kustomization.yaml", 0, NULL, 0, "resources: []\n", 0                          \
    }

static void test_read_hostile(void **state)
{
    (void)state;
    tentry t[3] = {DIR_ENTRY, KZ_ENTRY, {0}};
    const struct {
        tentry e;
        int code;
        const char *needle;
    } cases[] = {
        {{"/etc/passwd", 0, NULL, 1, NULL, 0}, SK_EINVAL, "entry 3 \"/etc/passwd\": absolute path"},
        {{"production/../../x", 0, NULL, 1, NULL, 0}, SK_EINVAL, "\"..\" path component"},
        {{"../x", 0, NULL, 1, NULL, 0}, SK_EINVAL, "\"..\" path component"},
        {{"production/./x", 0, NULL, 1, NULL, 0}, SK_EINVAL, "\".\" path component"},
        {{"production//x", 0, NULL, 1, NULL, 0}, SK_EINVAL, "empty path component"},
        {{"production/a\nb", 0, NULL, 1, NULL, 0}, SK_EINVAL, "\"production/a?b\": control"},
        {{"production/l", AE_IFLNK, "/etc/passwd", 0, NULL, 0}, SK_EINVAL, "symbolic link"},
        {{"production/h", 0, "production/kustomization.yaml", 0, NULL, 1}, SK_EINVAL, "hard link"},
        {{"production/c", AE_IFCHR, NULL, 0, NULL, 0}, SK_EINVAL, "character device"},
        {{"production/b", AE_IFBLK, NULL, 0, NULL, 0}, SK_EINVAL, "block device"},
        {{"production/f", AE_IFIFO, NULL, 0, NULL, 0}, SK_EINVAL, "FIFO"},
        {{"production/big.yaml", 0, NULL, SK_PACKAGE_MAX_ENTRY + 1, NULL, 0},
         SK_ELIMIT,
         "4194305 bytes, over the 4 MiB entry limit"},
        {{"production/kustomization.yaml", 0, NULL, 0, "x", 0},
         SK_EINVAL,
         "\"production/kustomization.yaml\" appears twice"},
        {{"production", AE_IFDIR, NULL, 0, NULL, 0}, SK_EINVAL, "\"production\" appears twice"},
        {{"./", AE_IFDIR, NULL, 0, NULL, 0}, SK_EINVAL, "names the extraction folder itself"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t[2] = cases[i].e;
        expect_read_refused(t, 3, 1, cases[i].code, cases[i].needle);
    }
    /* An entry at exactly the limit is fine size-wise, but 4 MiB of zeros is a bomb. */
    t[2] = (tentry){"production/z.yaml", 0, NULL, SK_PACKAGE_MAX_ENTRY, NULL, 0};
    expect_read_refused(t, 3, 1, SK_ELIMIT, "compression ratio over 100:1");
    /* Too many entries. */
    tentry *many = calloc(SK_PACKAGE_MAX_ENTRIES + 1, sizeof *many);
    char(*names)[32] = calloc(SK_PACKAGE_MAX_ENTRIES + 1, 32);
    for (size_t i = 0; i < SK_PACKAGE_MAX_ENTRIES + 1; i++) {
        snprintf(names[i], 32, "production/f%03zu.yaml", i);
        many[i] = (tentry){names[i], 0, NULL, 0, "x", 0};
    }
    size_t len;
    unsigned char *buf = craft(many, SK_PACKAGE_MAX_ENTRIES, 1, &len);
    sk_package p = {0};
    sk_error err = {0};
    assert_int_equal(sk_package_read(buf, len, &p, &err), SK_OK); /* 256 is fine */
    assert_int_equal(p.n, SK_PACKAGE_MAX_ENTRIES);
    sk_package_free(&p);
    free(buf);
    expect_read_refused(many, SK_PACKAGE_MAX_ENTRIES + 1, 1, SK_ELIMIT, "more than 256 entries");
    free(many);
    free(names);
    /* Not gzip; not an archive at all. */
    expect_read_refused(t, 2, 0, SK_EPARSE, "not a gzip-compressed tar archive");
    static const unsigned char junk[] = "\x1f\x8b\x08\x00garbage garbage garbage";
    assert_int_equal(sk_package_read(junk, sizeof junk, &p, &err), SK_EPARSE);
    assert_contains(tu_err_line(&err), "not a valid tar.gz");
    assert_int_equal(sk_package_read((const unsigned char *)"hello", 5, &p, &err), SK_EPARSE);
}

static void test_read_normalises(void **state)
{
    (void)state;
    tentry t[3] = {{"./production/", AE_IFDIR, NULL, 0, NULL, 0},
                   {"./production/kustomization.yaml", 0, NULL, 0, "resources: []\n", 0},
                   {"production/empty.yaml", 0, NULL, 0, NULL, 0}};
    size_t len;
    unsigned char *buf = craft(t, 3, 1, &len);
    sk_package p = {0};
    sk_error err = {0};
    assert_int_equal(sk_package_read(buf, len, &p, &err), SK_OK);
    assert_int_equal(p.n, 3);
    assert_string_equal(p.entries[0].path, "production");
    assert_string_equal(p.entries[1].path, "production/empty.yaml");
    assert_int_equal(p.entries[1].data.len, 0);
    assert_string_equal(p.entries[2].path, "production/kustomization.yaml");
    sk_package_free(&p);
    free(buf);
}

/* ---- verify ---- */

static sk_keyring *dev_keys(void)
{
    char *path = tu_path(SK_TEST_DATA_DIR, "../../keys/dev-only-controller.key");
    size_t len;
    char *pem = tu_read_file(path, &len);
    sk_keyring *kr = NULL;
    sk_error err = {0};
    assert_int_equal(sk_keyring_new(&kr, &err), SK_OK);
    assert_int_equal(sk_keyring_add_text(kr, pem, len, path, NULL, &err), SK_OK);
    sk_wipe(pem, len);
    free(pem);
    free(path);
    return kr;
}

static void test_verify_clean(void **state)
{
    (void)state;
    inputs x;
    load_inputs(&x);
    sk_package_opts o = default_opts();
    sk_secbuf gz = SK_SECBUF_INIT;
    build_ok(&o, x.in, 2, &gz);
    sk_package p = {0};
    read_ok(&gz, &p);
    sk_keyring *kr = dev_keys();
    sk_verify_opts with_keys = {SK_VERIFY_OPTS_VERSION, NULL, kr, 0};
    const sk_verify_opts *variants[] = {NULL, &with_keys};
    for (size_t v = 0; v < 2; v++) {
        sk_findings f;
        sk_findings_init(&f);
        sk_package_summary sum = SK_PACKAGE_SUMMARY_INIT;
        sk_error err = {0};
        assert_int_equal(sk_package_verify(&p, "pkg", variants[v], &f, &sum, &err), SK_OK);
        for (size_t i = 0; i < f.n; i++)
            print_error("%s: %s\n", f.v[i].file, f.v[i].message);
        assert_int_equal(sk_findings_count(&f, SK_SEVERITY_WARNING), 0);
        assert_int_equal(sum.overlays, 1);
        assert_int_equal(sum.sealed_files, 2);
        assert_int_equal(sum.sealed_secrets, 2);
        assert_int_equal(f.n_secrets, 2);
        if (v == 1) {
            assert_int_equal(f.n_items, 16); /* 15 ml-platform items + .dockerconfigjson */
            for (size_t i = 0; i < f.n_items; i++)
                assert_int_equal(f.items[i].opens, 1);
        }
        sk_findings_free(&f);
    }
    sk_keyring_free(kr);
    sk_package_free(&p);
    sk_secbuf_free(&gz);
    free_inputs(&x);
}

/* Options and summaries carry a version: one the library does not know is SK_EUSAGE. */
static void test_struct_versions(void **state)
{
    (void)state;
    sk_error err = {0};
    char name[SK_PACKAGE_NAME_MAX];
    sk_package_opts o = default_opts();
    o.version = SK_PACKAGE_OPTS_VERSION + 1;
    assert_int_equal(sk_package_filename(&o, name, sizeof name, &err), SK_EUSAGE);
    assert_string_equal(err.msg, "sk_package_opts version 2 is not supported");
    inputs x;
    load_inputs(&x);
    sk_secbuf gz = SK_SECBUF_INIT;
    assert_int_equal(sk_package_build(&o, x.in, 2, &gz, &err), SK_EUSAGE);
    o = default_opts();
    build_ok(&o, x.in, 2, &gz);
    sk_package p = {0};
    read_ok(&gz, &p);
    sk_findings f;
    sk_findings_init(&f);
    sk_package_summary sum = {0};
    assert_int_equal(sk_package_verify(&p, "pkg", NULL, &f, &sum, &err), SK_EUSAGE);
    assert_string_equal(err.msg, "sk_package_summary version 0 is not supported");
    sk_verify_opts vo = SK_VERIFY_OPTS_INIT;
    vo.version = 7;
    sum = (sk_package_summary)SK_PACKAGE_SUMMARY_INIT;
    assert_int_equal(sk_package_verify(&p, "pkg", &vo, &f, &sum, &err), SK_EUSAGE);
    assert_string_equal(err.msg, "sk_verify_opts version 7 is not supported");
    assert_int_equal(f.n, 0);
    assert_int_equal(sk_package_verify(&p, "pkg", NULL, &f, &sum, &err), SK_OK);
    assert_int_equal(sum.version, SK_PACKAGE_SUMMARY_VERSION);
    assert_int_equal(sum.sealed_secrets, 2);
    sk_findings_free(&f);
    sk_package_free(&p);
    sk_secbuf_free(&gz);
    free_inputs(&x);
}

static size_t count_findings(const tentry *t, size_t n)
{
    size_t len;
    unsigned char *buf = craft(t, n, 1, &len);
    sk_package p = {0};
    sk_error err = {0};
    assert_int_equal(sk_package_read(buf, len, &p, &err), SK_OK);
    sk_findings f;
    sk_findings_init(&f);
    assert_int_equal(sk_package_verify(&p, "pkg.tgz", NULL, &f, NULL, &err), SK_OK);
    size_t bad = sk_findings_count(&f, SK_SEVERITY_WARNING);
    sk_findings_free(&f);
    sk_package_free(&p);
    free(buf);
    return bad;
}

/* Verifies a crafted package and checks that finding (file, code, message part) is among its
 * findings. */
static void expect_finding(const tentry *t, size_t n, const char *file, const char *code,
                           const char *needle)
{
    size_t len;
    unsigned char *buf = craft(t, n, 1, &len);
    sk_package p = {0};
    sk_error err = {0};
    assert_int_equal(sk_package_read(buf, len, &p, &err), SK_OK);
    sk_findings f;
    sk_findings_init(&f);
    assert_int_equal(sk_package_verify(&p, "pkg.tgz", NULL, &f, NULL, &err), SK_OK);
    int found = 0;
    for (size_t i = 0; i < f.n; i++)
        found |= strcmp(f.v[i].file, file) == 0 && strcmp(f.v[i].code, code) == 0 &&
                 strstr(f.v[i].message, needle) != NULL;
    if (!found) {
        print_error("no %s finding on %s with \"%s\"; got:\n", code, file, needle);
        for (size_t i = 0; i < f.n; i++)
            print_error("  %s [%s] %s\n", f.v[i].file, f.v[i].code, f.v[i].message);
    }
    assert_true(found);
    sk_findings_free(&f);
    sk_package_free(&p);
    free(buf);
}

static void test_verify_findings(void **state)
{
    (void)state;
    inputs x;
    load_inputs(&x);
    const char *kz = "resources: [ghcr-secret.yaml]\n";
    tentry t[5] = {DIR_ENTRY,
                   {"production/kustomization.yaml", 0, NULL, 0, kz, 0},
                   {"production/ghcr-secret.yaml", 0, NULL, 0, x.ghcr, 0},
                   {0},
                   {0}};
    assert_int_equal(count_findings(t, 3), 0); /* the crafted base is clean */
    t[3] = (tentry){"production/extra.yaml", 0, NULL, 0, x.ml, 0};
    expect_finding(t, 4, "production/extra.yaml", "package-unlisted",
                   "not listed in production/kustomization.yaml resources");
    t[1].data = "resources: [ghcr-secret.yaml, gone.yaml, ghcr-secret.yaml, ../x.yaml]\n";
    expect_finding(t, 3, "production/kustomization.yaml", "package-missing",
                   "lists gone.yaml but the package has no production/gone.yaml");
    expect_finding(t, 3, "production/kustomization.yaml", "package-kustomization",
                   "resources lists ghcr-secret.yaml twice");
    expect_finding(t, 3, "production/kustomization.yaml", "package-kustomization",
                   "resources[4] \"../x.yaml\" is not a file of this overlay");
    t[1].data = "resources: [ghcr-secret.yaml, p.yaml]\n";
    t[3] = (tentry){"production/p.yaml", 0, NULL, 0, plain_secret, 0};
    expect_finding(t, 4, "production/p.yaml", "plaintext-secret", "a plaintext Secret");
    t[3] = (tentry){"production/p.yaml", 0, NULL, 0, config_map, 0};
    expect_finding(t, 4, "production/p.yaml", "package-content", "kind: ConfigMap");
    t[3] = (tentry){"production/p.yaml", 0, NULL, 0, "a: [", 0};
    expect_finding(t, 4, "production/p.yaml", "parse", "document 1");
    t[3] = (tentry){"production/p.yaml", 0, NULL, 0, "# empty\n", 0};
    expect_finding(t, 4, "production/p.yaml", "package-content", "holds no SealedSecret");
    t[1].data = "namePrefix: x-\nresources: [ghcr-secret.yaml]\n";
    expect_finding(t, 3, "production/kustomization.yaml", "package-kustomization",
                   "namePrefix: kustomize would rename the SealedSecret");
    t[1].data = "namespace: other\nresources: [ghcr-secret.yaml]\n";
    expect_finding(t, 3, "production/kustomization.yaml", "package-kustomization",
                   "from \"seldon-system\" to \"other\"");
    t[1].data = "resources: [";
    expect_finding(t, 3, "production/kustomization.yaml", "package-kustomization", "document 1");
    t[1].data = kz;
    t[3] = (tentry){"production/Kustomization", 0, NULL, 0, kz, 0};
    expect_finding(t, 4, "production/Kustomization", "package-kustomization",
                   "one kustomization file per folder");
    t[3] = (tentry){"README", 0, NULL, 0, "x", 0};
    expect_finding(t, 4, "README", "package-layout", "file outside any overlay folder");
    t[3] = (tentry){"production/sub/x.yaml", 0, NULL, 0, "x", 0};
    expect_finding(t, 4, "production/sub/x.yaml", "package-layout", "nested file");
    t[3] = (tentry){"production/sub", AE_IFDIR, NULL, 0, NULL, 0};
    expect_finding(t, 4, "production/sub", "package-layout", "nested folder");
    /* Another namespace in the same overlay. */
    char *other = strdup(x.ghcr);
    for (char *s = other; (s = strstr(s, "seldon-system")) != NULL;)
        memcpy(s, "seldon-xxxxxx", 13);
    char *named = strstr(other, "name: ghcr");
    memcpy(named, "name: gxxx", 10);
    t[1].data = "resources: [ghcr-secret.yaml, other.yaml]\n";
    t[3] = (tentry){"production/other.yaml", 0, NULL, 0, other, 0};
    expect_finding(t, 4, "production", "package-namespace", "SealedSecrets in 2 namespaces");
    /* No kustomization; nothing at all. */
    tentry nokz[2] = {DIR_ENTRY, {"production/ghcr-secret.yaml", 0, NULL, 0, x.ghcr, 0}};
    expect_finding(nokz, 2, "production", "package-kustomization", "the overlay has no");
    expect_finding(t, 0, "pkg.tgz", "package-layout", "the package holds no overlay folder");
    free(other);
    free_inputs(&x);
}

/* ---- install, diff, environments ---- */

static void build_set(const char *set, const sk_package_input *in, size_t n, sk_secbuf *out)
{
    sk_package_opts o = default_opts();
    o.set = set;
    build_ok(&o, in, n, out);
}

static char *file_text(const char *dir, const char *rel)
{
    char *p = tu_path(dir, rel);
    size_t len = 0;
    char *t = tu_read_file(p, &len);
    free(p);
    return t;
}

static void remove_tree(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int install(const char *dir, const sk_install_input *in, size_t n, sk_install_report *rep,
                   sk_error *err)
{
    sk_install_opts o = SK_INSTALL_OPTS_INIT;
    sk_findings f;
    sk_findings_init(&f);
    *rep = (sk_install_report)SK_INSTALL_REPORT_INIT;
    int rc = sk_package_install(dir, in, n, &o, &f, rep, err);
    sk_findings_free(&f);
    return rc;
}

static void test_install(void **state)
{
    (void)state;
    inputs x;
    load_inputs(&x);
    char dir[] = "/tmp/sk-install-XXXXXX";
    assert_non_null(mkdtemp(dir));
    sk_secbuf ml = SK_SECBUF_INIT, other = SK_SECBUF_INIT;
    build_set("ml", x.in, 2, &ml);
    build_set("models", &x.in[1], 1, &other); /* ghcr again, under another set */
    sk_install_input in[2] = {{"ml.tar.gz", ml.data, ml.len},
                              {"models.tar.gz", other.data, other.len}};
    sk_install_report rep;
    sk_error err = {0};
    assert_int_equal(install(dir, in, 1, &rep, &err), SK_OK);
    assert_int_equal(rep.installed, 1);
    char *kz = file_text(dir, "production/sealed-secrets/kustomization.yaml");
    assert_string_equal(kz, KZ_HEAD "- ml\n");
    free(kz);
    char *state_before = file_text(dir, ".sealkit-install.json");
    assert_int_equal(install(dir, in, 1, &rep, &err), SK_OK);
    assert_int_equal(rep.unchanged, 1);
    assert_int_equal(rep.installed + rep.replaced, 0);
    /* The same Secret in two sets of one overlay: refused, naming both; nothing written. */
    assert_int_equal(install(dir, &in[1], 1, &rep, &err), SK_EINVAL);
    assert_contains(err.msg, "ml.tar.gz and models.tar.gz both carry SealedSecret "
                             "seldon-system/ghcr (overlay production), the same");
    char *state_after = file_text(dir, ".sealkit-install.json");
    assert_string_equal(state_before, state_after);
    char *p = tu_path(dir, "production/sealed-secrets/models");
    assert_int_not_equal(access(p, F_OK), 0);
    free(p);
    free(state_before);
    free(state_after);
    remove_tree(dir);
    sk_secbuf_free(&ml);
    sk_secbuf_free(&other);
    free_inputs(&x);
}

/* A stage left by a killed run: without a commit record rolled back, with one finished. */
static void test_install_recovery(void **state)
{
    (void)state;
    char dir[] = "/tmp/sk-recover-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/.sealkit-install.stage", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/.sealkit-install.stage/n0", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    sk_install_report rep;
    sk_error err = {0};
    assert_int_equal(install(dir, NULL, 0, &rep, &err), SK_OK);
    assert_int_equal(rep.recovered, 2);
    snprintf(path, sizeof path, "%s/.sealkit-install.stage", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    /* A complete stage and its commit record: the next call carries it out. */
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/.sealkit-install.stage/n0", dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/.sealkit-install.stage/n0/a.yaml", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("a: 1\n", fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/.sealkit-install.stage/commit", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("mkdir production/sealed-secrets\nswap n0 o0 production/sealed-secrets/zz\n", fp);
    fclose(fp);
    assert_int_equal(install(dir, NULL, 0, &rep, &err), SK_OK);
    assert_int_equal(rep.recovered, 1);
    char *t = file_text(dir, "production/sealed-secrets/zz/a.yaml");
    assert_string_equal(t, "a: 1\n");
    free(t);
    snprintf(path, sizeof path, "%s/.sealkit-install.stage", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    remove_tree(dir);
}

static void test_diff(void **state)
{
    (void)state;
    inputs x;
    load_inputs(&x);
    sk_secbuf a = SK_SECBUF_INIT, b = SK_SECBUF_INIT;
    build_set("ml", x.in, 2, &a);
    build_set("ml", &x.in[1], 1, &b);
    sk_package pa = {0}, pb = {0};
    read_ok(&a, &pa);
    read_ok(&b, &pb);
    sk_package_changes d = SK_PACKAGE_CHANGES_INIT;
    sk_error err = {0};
    assert_int_equal(sk_package_diff(&pa, &pa, NULL, &d, &err), SK_OK);
    assert_true(d.counts[SK_DIFF_UNCHANGED] > 0);
    assert_int_equal(d.counts[SK_DIFF_UNCHANGED], d.n);
    sk_package_changes_free(&d);
    assert_int_equal(sk_package_diff(&pa, &pb, NULL, &d, &err), SK_OK);
    assert_int_equal(d.counts[SK_DIFF_REMOVED], 1);
    assert_int_equal(d.counts[SK_DIFF_ADDED], 0);
    size_t i = 0;
    while (i < d.n && d.v[i].kind != SK_DIFF_REMOVED)
        i++;
    assert_string_equal(d.v[i].secret, "seldon-system/ml-platform");
    assert_null(d.v[i].item);
    assert_string_equal(d.v[i].overlay, "production");
    sk_package_changes_free(&d);
    assert_int_equal(sk_package_diff(&pb, &pa, NULL, &d, &err), SK_OK);
    assert_int_equal(d.counts[SK_DIFF_ADDED], 1);
    sk_package_changes_free(&d);
    assert_string_equal(sk_diff_kind_name(SK_DIFF_RESEALED), "resealed");
    d.version = 0;
    assert_int_equal(sk_package_diff(&pa, &pb, NULL, &d, &err), SK_EUSAGE);
    sk_package_free(&pa);
    sk_package_free(&pb);
    sk_secbuf_free(&a);
    sk_secbuf_free(&b);
    free_inputs(&x);
}

/* Each environment's overlay sealed under its own certificate, from one plaintext input. */
static void test_build_envs(void **state)
{
    (void)state;
    size_t len = 0;
    char *cur = tu_data_file("interop/keys/current/tls.crt", &len);
    char *old = tu_data_file("interop/keys/old/tls.crt", &len);
    sk_pubkey *a = NULL, *b = NULL;
    sk_error err = {0};
    assert_int_equal(sk_pubkey_from_pem(cur, strlen(cur), 0, &a, &err), SK_OK);
    assert_int_equal(sk_pubkey_from_pem(old, strlen(old), 0, &b, &err), SK_OK);
    sk_package_env envs[2] = {{"production", a}, {"staging", b}};
    sk_package_input in = text_input("-", plain_secret);
    sk_package_opts o = default_opts();
    sk_secbuf gz = SK_SECBUF_INIT;
    assert_int_equal(sk_package_build_envs(&o, envs, 2, &in, 1, &gz, &err), SK_OK);
    sk_package p = {0};
    read_ok(&gz, &p);
    assert_string_equal(p.entries[5].path, "production/sealed-secrets/ml/a-secret.yaml");
    assert_string_equal(p.entries[12].path, "staging/sealed-secrets/ml/a-secret.yaml");
    assert_null(strstr((const char *)p.entries[5].data.data, "kind: Secret\n"));
    /* Sealed under different keys: the ciphertexts differ in length or bytes. */
    assert_true(p.entries[5].data.len != p.entries[12].data.len ||
                memcmp(p.entries[5].data.data, p.entries[12].data.data, p.entries[5].data.len));
    sk_package_free(&p);
    in = text_input("cm.yaml", config_map);
    assert_int_not_equal(sk_package_build_envs(&o, envs, 2, &in, 1, &gz, &err), SK_OK);
    assert_contains(tu_err_line(&err), "cm.yaml");
    assert_int_equal(sk_package_build_envs(&o, envs, 0, &in, 1, &gz, &err), SK_EUSAGE);
    sk_secbuf_free(&gz);
    sk_pubkey_free(a);
    sk_pubkey_free(b);
    free(cur);
    free(old);
}

static void test_install_versions(void **state)
{
    (void)state;
    sk_install_opts o = SK_INSTALL_OPTS_INIT;
    sk_install_report rep = SK_INSTALL_REPORT_INIT;
    sk_error err = {0};
    o.version = 0;
    assert_int_equal(sk_package_install("/tmp", NULL, 0, &o, NULL, &rep, &err), SK_EUSAGE);
    assert_contains(err.msg, "sk_install_opts version 0");
    o.version = SK_INSTALL_OPTS_VERSION;
    rep.version = 7;
    assert_int_equal(sk_package_install("/tmp", NULL, 0, &o, NULL, &rep, &err), SK_EUSAGE);
    assert_contains(err.msg, "sk_install_report version 7");
}

int main(void)
{
    if (sk_init() != SK_OK || sk_json_wipe_on_free() != SK_OK) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_parse_epoch),
        cmocka_unit_test(test_filename),
        cmocka_unit_test(test_check_input),
        cmocka_unit_test(test_kustomization_rules),
        cmocka_unit_test(test_build_reproducible),
        cmocka_unit_test(test_build_layout),
        cmocka_unit_test(test_build_overlays),
        cmocka_unit_test(test_install),
        cmocka_unit_test(test_install_recovery),
        cmocka_unit_test(test_install_versions),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_build_envs),
        cmocka_unit_test(test_build_refusals),
        cmocka_unit_test(test_build_user_kustomization),
        cmocka_unit_test(test_read_hostile),
        cmocka_unit_test(test_read_normalises),
        cmocka_unit_test(test_verify_clean),
        cmocka_unit_test(test_verify_findings),
        cmocka_unit_test(test_struct_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
