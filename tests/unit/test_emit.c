/*
 * Emitters: kubeseal's JSON (Go MarshalIndent) and YAML (go-yaml v2) bytes,
 * go-yaml's key order and its "would this plain scalar read back as a
 * string" rule.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <yaml.h>

#include <sealkit/sealkit.h>
#include <sealkit/emit.h>

#include "formats/emit_internal.h"
#include "testutil.h"

/* "ünïcödé annotation ✓" */
#define UNICODE_NOTE                                                                               \
    "\xc3\xbc"                                                                                     \
    "n"                                                                                            \
    "\xc3\xaf"                                                                                     \
    "c"                                                                                            \
    "\xc3\xb6"                                                                                     \
    "d"                                                                                            \
    "\xc3\xa9"                                                                                     \
    " annotation \xe2\x9c\x93"

/* ---- helpers --------------------------------------------------------------- */

typedef int (*emit_fn)(const json_t *, sk_secbuf *, sk_error *);

/* Emits doc and compares the whole output with expected (NUL-terminated). */
static void assert_emits(emit_fn fn, const json_t *doc, const char *expected)
{
    sk_secbuf out = SK_SECBUF_INIT;
    sk_error err;
    sk_error_clear(&err);
    assert_int_equal(fn(doc, &out, &err), SK_OK);
    if (out.len != strlen(expected) || memcmp(out.data, expected, out.len) != 0) {
        print_error("expected:\n%s\ngot:\n%.*s\n", expected, (int)out.len, (const char *)out.data);
        fail();
    }
    sk_secbuf_free(&out);
}

static void assert_emits_file(emit_fn fn, const json_t *doc, const char *rel)
{
    char *path = tu_path(SK_TEST_DATA_DIR, rel);
    char *expected = tu_read_file(path, NULL);
    assert_emits(fn, doc, expected);
    free(expected);
    free(path);
}

static json_t *load_json_file(const char *rel)
{
    char *path = tu_path(SK_TEST_DATA_DIR, rel);
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    if (doc == NULL) print_error("%s: %s\n", path, jerr.text);
    assert_non_null(doc);
    free(path);
    return doc;
}

/* {"k": <n bytes of s>} */
static json_t *one_member(const char *s, size_t n)
{
    json_t *doc = json_object();
    assert_int_equal(json_object_set_new(doc, "k", json_stringn_nocheck(s, n)), 0);
    return doc;
}

/* The YAML line for a value: "---\nk: <expected>\n". */
static void assert_yaml_value(const char *s, size_t n, const char *expected)
{
    json_t *doc = one_member(s, n);
    size_t len = strlen(expected) + 16;
    char *want = malloc(len);
    assert_non_null(want);
    snprintf(want, len, "---\nk: %s\n", expected);
    assert_emits(sk_emit_yaml, doc, want);
    free(want);
    json_decref(doc);
}

/* The JSON text of one string value, compared without the surrounding object. */
static void assert_json_string(const char *s, size_t n, const char *expected)
{
    json_t *doc = one_member(s, n);
    size_t len = strlen(expected) + 32;
    char *want = malloc(len);
    assert_non_null(want);
    snprintf(want, len, "{\n  \"k\": %s\n}\n", expected);
    assert_emits(sk_emit_json, doc, want);
    free(want);
    json_decref(doc);
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

/* ---- a minimal libyaml loader (for re-parsing our output and the fixtures) -- */

static json_t *load_node(yaml_parser_t *p, yaml_event_t *ev);

static json_t *load_scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (strcmp(v, "null") == 0) return json_null();
        if (strcmp(v, "true") == 0) return json_true();
        if (strcmp(v, "false") == 0) return json_false();
        char *end;
        long long i = strtoll(v, &end, 10);
        if (n > 0 && *end == '\0' && v[0] != '+' && (v[0] != '0' || n == 1)) return json_integer(i);
    }
    return json_stringn_nocheck(v, n);
}

static json_t *load_collection(yaml_parser_t *p, int mapping)
{
    json_t *out = mapping ? json_object() : json_array();
    for (;;) {
        yaml_event_t ev;
        assert_true(yaml_parser_parse(p, &ev));
        if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return out;
        }
        if (!mapping) {
            json_array_append_new(out, load_node(p, &ev));
            continue;
        }
        assert_int_equal(ev.type, YAML_SCALAR_EVENT);
        json_t *key =
            json_stringn_nocheck((const char *)ev.data.scalar.value, ev.data.scalar.length);
        yaml_event_delete(&ev);
        assert_true(yaml_parser_parse(p, &ev));
        json_object_setn_new_nocheck(out, json_string_value(key), json_string_length(key),
                                     load_node(p, &ev));
        json_decref(key);
    }
}

static json_t *load_node(yaml_parser_t *p, yaml_event_t *ev)
{
    json_t *out = NULL;
    if (ev->type == YAML_SCALAR_EVENT) {
        out = load_scalar(ev);
        yaml_event_delete(ev);
        return out;
    }
    int mapping = ev->type == YAML_MAPPING_START_EVENT;
    assert_true(mapping || ev->type == YAML_SEQUENCE_START_EVENT);
    yaml_event_delete(ev);
    return load_collection(p, mapping);
}

static void expect_event(yaml_parser_t *p, yaml_event_type_t type)
{
    yaml_event_t ev;
    assert_true(yaml_parser_parse(p, &ev));
    assert_int_equal(ev.type, type);
    yaml_event_delete(&ev);
}

/* One YAML document (as a stream of exactly one document) into a JSON tree. */
static json_t *load_yaml(const unsigned char *text, size_t len)
{
    yaml_parser_t p;
    assert_true(yaml_parser_initialize(&p));
    yaml_parser_set_input_string(&p, text, len);
    expect_event(&p, YAML_STREAM_START_EVENT);
    expect_event(&p, YAML_DOCUMENT_START_EVENT);
    yaml_event_t ev;
    assert_true(yaml_parser_parse(&p, &ev));
    json_t *doc = load_node(&p, &ev);
    expect_event(&p, YAML_DOCUMENT_END_EVENT);
    expect_event(&p, YAML_STREAM_END_EVENT);
    yaml_parser_delete(&p);
    return doc;
}

/* ---- docs/format.md examples -------------------------------------------------- */

/* kubeseal's SealedSecret for docs/format.md §3.3 (Go struct order), optionally namespace-wide. */
static json_t *spec_sealed_secret(int namespace_wide)
{
    json_t *outer = json_pack("{s:s, s:s}", "name", "mysecret", "namespace", "myns");
    json_t *tmeta = json_pack("{s:s, s:s, s:{s:s}}", "name", "mysecret", "namespace", "myns",
                              "labels", "app", "web");
    if (namespace_wide) {
        json_object_set_new(outer, "annotations",
                            json_pack("{s:s}", "sealedsecrets.bitnami.com/namespace-wide", "true"));
        json_object_set_new(tmeta, "annotations",
                            json_pack("{s:s}", "sealedsecrets.bitnami.com/namespace-wide", "true"));
    }
    json_t *doc =
        json_pack("{s:s, s:s, s:o, s:{s:{s:o, s:s}, s:{s:s}}}", "kind", "SealedSecret",
                  "apiVersion", "bitnami.com/v1alpha1", "metadata", outer, "spec", "template",
                  "metadata", tmeta, "type", "Opaque", "encryptedData", "foo", "AgB...(base64)...");
    assert_non_null(doc);
    return doc;
}

static json_t *spec_recovered_secret(void)
{
    json_t *doc =
        json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}, s:[{s:s, s:s, s:s, s:s, s:b}]}, s:{s:s}, s:s}",
                  "kind", "Secret", "apiVersion", "v1", "metadata", "name", "mysecret", "namespace",
                  "myns", "labels", "app", "web", "ownerReferences", "apiVersion",
                  "bitnami.com/v1alpha1", "kind", "SealedSecret", "name", "mysecret", "uid", "",
                  "controller", 1, "data", "foo", "YmFy", "type", "Opaque");
    assert_non_null(doc);
    return doc;
}

static void test_kubeseal_sealed_json(void **state)
{
    (void)state;
    json_t *doc = spec_sealed_secret(0);
    assert_emits_file(sk_emit_json, doc, "emit/kubeseal-sealed.json");
    json_decref(doc);
}

static void test_kubeseal_sealed_yaml(void **state)
{
    (void)state;
    json_t *doc = spec_sealed_secret(1);
    assert_emits_file(sk_emit_yaml, doc, "emit/kubeseal-sealed.yaml");
    json_decref(doc);
}

/* 3.3's sentence: namespace-wide adds annotations after labels, in both metadata objects. */
static void test_kubeseal_namespace_wide_json(void **state)
{
    (void)state;
    json_t *doc = spec_sealed_secret(1);
    sk_secbuf out = SK_SECBUF_INIT;
    assert_int_equal(sk_emit_json(doc, &out, NULL), SK_OK);
    const char *text = (const char *)out.data;
    const char *ann = "\"annotations\": {\n      \"sealedsecrets.bitnami.com/namespace-wide\": "
                      "\"true\"\n    }\n  },";
    assert_non_null(strstr(text, ann));
    const char *labels = strstr(text, "\"labels\"");
    assert_non_null(labels);
    assert_non_null(strstr(labels, "\"annotations\""));
    sk_secbuf_free(&out);
    json_decref(doc);
}

static void test_kubeseal_recovered(void **state)
{
    (void)state;
    json_t *doc = spec_recovered_secret();
    assert_emits_file(sk_emit_json, doc, "emit/kubeseal-recovered.json");
    assert_emits_file(sk_emit_yaml, doc, "emit/kubeseal-recovered.yaml");
    json_decref(doc);
}

/* ---- key order -------------------------------------------------------------- */

static void assert_key_before(const char *a, const char *b)
{
    if (sk_yaml_key_cmp(a, b) >= 0 || sk_yaml_key_cmp(b, a) <= 0) {
        print_error("expected \"%s\" before \"%s\"\n", a, b);
        fail();
    }
}

static void test_key_order_spec_table(void **state)
{
    (void)state;
    assert_key_before("A_B", "AB");
    assert_key_before("key9", "key10");
    assert_key_before("key_1", "key1");
    assert_key_before("_x", "0");
    assert_key_before("0", "A");
    assert_key_before("A", "a");
    assert_key_before("abc", "abcd"); /* a prefix sorts first */
    assert_key_before("", "a");
    assert_int_equal(sk_yaml_key_cmp("same", "same"), 0);
    /* JSON (byte) order differs for all of these: */
    assert_true(strcmp("A_B", "AB") > 0);
    assert_true(strcmp("key9", "key10") > 0);
    assert_true(strcmp("_x", "0") > 0);
    /* The fixed fields of docs/format.md §3.4. */
    assert_key_before("apiVersion", "kind");
    assert_key_before("encryptedData", "template");
    assert_key_before("data", "encryptedData");
    assert_key_before("data", "immutable");
    assert_key_before("immutable", "metadata");
    assert_key_before("annotations", "creationTimestamp");
    assert_key_before("creationTimestamp", "labels");
    assert_key_before("name", "namespace");
}

/* go-yaml v2's own TestSortedOutput list (string part), which must come out in this order. */
static void test_key_order_upstream_list(void **state)
{
    (void)state;
    static const char *const order[] = {
        "",      ".1",    ".2",    ".a",   "1",      "2",     "a!10", "a/0001",
        "a/002", "a/3",   "a/10",  "a/11", "a/0012", "a/100", "a~10", "ab/1",
        "b/1",   "b/01",  "b/2",   "b/02", "b/3",    "b/03",  "b1",   "b01",
        "b3",    "c2.10", "c10.2", "d1",   "d7",     "d7abc", "d12",  "d12a"};
    size_t n = sizeof order / sizeof order[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_key_before(order[i], order[j]);
}

static void test_key_order_v2_specifics(void **state)
{
    (void)state;
    /* v2 has no "after a digit" letter rule (yaml.v3 sorts e2b first). */
    assert_key_before("e21a", "e2b");
    /* Upstream quirk: a '0' continuing a non-zero digit run keeps counting it. */
    assert_key_before("x19", "x100000");
    assert_key_before("x9", "x10");
    /* Non-letters: digit runs as numbers, then shorter run, then code point. */
    assert_key_before("a-1", "a.1");
    assert_key_before("a_", "a0");
    assert_key_before("a1", "a01");
    /* Letters compare by code point, after every non-letter, including non-ASCII ones. */
    assert_key_before("a\xc3\xa9", "a\xc3\xb6"); /* aé < aö */
    assert_key_before("aZ", "a\xc3\xa9");
    assert_key_before("a\xe2\x9c\x93", "aa"); /* U+2713 is not a letter */
    /* The cycle v2 really has: k2 < k10 < k1a < k2 (upstream's output then depends on Go's map
     * order). */
    assert_key_before("k2", "k10");
    assert_key_before("k10", "k1a");
    assert_key_before("k1a", "k2");
}

static void test_key_order_env_keys_match_json(void **state)
{
    (void)state;
    static const char *const keys[] = {"API_KEY",
                                       "AWS_ACCESS_KEY_ID",
                                       "AWS_DEFAULT_REGION",
                                       "AWS_ENDPOINT_URL",
                                       "AWS_SECRET_ACCESS_KEY",
                                       "MLFLOW_ARTIFACT_ROOT",
                                       "MLFLOW_FLASK_SERVER_SECRET_KEY",
                                       "MLFLOW_S3_ENDPOINT_URL",
                                       "MLFLOW_TRACKING_PASSWORD",
                                       "MLFLOW_TRACKING_URI",
                                       "MLFLOW_TRACKING_USERNAME",
                                       "RCLONE_CONFIG_S3_ACCESS_KEY_ID",
                                       "RCLONE_CONFIG_S3_ENDPOINT",
                                       "RCLONE_CONFIG_S3_PROVIDER",
                                       "RCLONE_CONFIG_S3_REGION",
                                       "RCLONE_CONFIG_S3_SECRET_ACCESS_KEY",
                                       "RCLONE_CONFIG_S3_TYPE",
                                       "S3_BUCKET",
                                       "rclone.conf"};
    size_t n = sizeof keys / sizeof keys[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            assert_int_equal(sign(sk_yaml_key_cmp(keys[i], keys[j])),
                             sign(strcmp(keys[i], keys[j])));
}

/* xorshift32: a fixed sequence, so a failure reproduces. */
static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/*
 * Keys whose digit runs are single digits: on these go-yaml's relation is a
 * lexicographic order (non-letters < digits < letters), hence a total order.
 */
static void random_key(uint32_t *seed, char *out, size_t cap, int single_digits)
{
    static const char alphabet[] = "abzAZ_-./~019\xc3\xa9";
    size_t len = 1 + rng_next(seed) % (cap - 3);
    size_t i = 0;
    int prev_digit = 0;
    while (i < len) {
        char c = alphabet[rng_next(seed) % (sizeof alphabet - 1)];
        int digit = c >= '0' && c <= '9';
        if ((unsigned char)c >= 0x80) { /* keep the 2-byte rune whole */
            out[i++] = '\xc3';
            out[i++] = '\xa9';
        } else if (!(single_digits && digit && prev_digit)) {
            out[i++] = c;
        } else {
            continue;
        }
        prev_digit = digit;
    }
    out[i] = '\0';
}

#define NKEYS 200

static void test_key_order_random_total(void **state)
{
    (void)state;
    static char keys[NKEYS][24];
    static signed char cmp[NKEYS][NKEYS];
    uint32_t seed = 0x5EA1C0DEu;
    for (int i = 0; i < NKEYS; i++)
        random_key(&seed, keys[i], sizeof keys[i], 1);
    for (int i = 0; i < NKEYS; i++)
        for (int j = 0; j < NKEYS; j++)
            cmp[i][j] = (signed char)sign(sk_yaml_key_cmp(keys[i], keys[j]));
    for (int i = 0; i < NKEYS; i++) {
        for (int j = 0; j < NKEYS; j++) {
            assert_int_equal(cmp[i][j], -cmp[j][i]);
            assert_int_equal(cmp[i][j] == 0, strcmp(keys[i], keys[j]) == 0);
            if (cmp[i][j] >= 0) continue;
            for (int k = 0; k < NKEYS; k++)
                if (cmp[j][k] < 0 && cmp[i][k] >= 0) {
                    print_error("not transitive: %s < %s < %s\n", keys[i], keys[j], keys[k]);
                    fail();
                }
        }
    }
}

/* Any keys at all: v2's relation is still antisymmetric, so the sort is well defined. */
static void test_key_order_random_antisymmetric(void **state)
{
    (void)state;
    static char keys[NKEYS][24];
    uint32_t seed = 12345u;
    for (int i = 0; i < NKEYS; i++)
        random_key(&seed, keys[i], sizeof keys[i], 0);
    for (int i = 0; i < NKEYS; i++)
        for (int j = 0; j < NKEYS; j++) {
            int a = sign(sk_yaml_key_cmp(keys[i], keys[j]));
            int b = sign(sk_yaml_key_cmp(keys[j], keys[i]));
            assert_int_equal(a, -b);
            assert_int_equal(a == 0, strcmp(keys[i], keys[j]) == 0);
        }
}

/* The emitter sorts every mapping, whatever the insertion order. */
static void test_yaml_sorts_every_mapping(void **state)
{
    (void)state;
    json_t *doc =
        json_pack("{s:{s:s, s:s, s:s, s:s}, s:s, s:[{s:s, s:s}]}", "zeta", "key10", "x", "key9",
                  "y", "AB", "z", "A_B", "w", "alpha", "a", "list", "b", "1", "a", "2");
    assert_emits(sk_emit_yaml, doc,
                 "---\n"
                 "alpha: a\n"
                 "list:\n"
                 "- a: \"2\"\n"
                 "  b: \"1\"\n"
                 "zeta:\n"
                 "  A_B: w\n"
                 "  AB: z\n"
                 "  key9: \"y\"\n"
                 "  key10: x\n");
    /* JSON keeps the tree's order. */
    assert_emits(
        sk_emit_json, doc,
        "{\n  \"zeta\": {\n    \"key10\": \"x\",\n    \"key9\": \"y\",\n    \"AB\": \"z\",\n"
        "    \"A_B\": \"w\"\n  },\n  \"alpha\": \"a\",\n  \"list\": [\n    {\n"
        "      \"b\": \"1\",\n      \"a\": \"2\"\n    }\n  ]\n}\n");
    json_decref(doc);
}

/* A set with a v2 cycle still comes out complete and the same every time. */
static void test_yaml_cyclic_keys_deterministic(void **state)
{
    (void)state;
    json_t *doc = json_pack("{s:i, s:i, s:i}", "k1a", 1, "k2", 2, "k10", 3);
    sk_secbuf a = SK_SECBUF_INIT, b = SK_SECBUF_INIT;
    assert_int_equal(sk_emit_yaml(doc, &a, NULL), SK_OK);
    assert_int_equal(sk_emit_yaml(doc, &b, NULL), SK_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    const char *t = (const char *)a.data;
    assert_non_null(strstr(t, "k1a: 1\n"));
    assert_non_null(strstr(t, "k2: 2\n"));
    assert_non_null(strstr(t, "k10: 3\n"));
    sk_secbuf_free(&a);
    sk_secbuf_free(&b);
    json_decref(doc);
}

/* ---- plain-scalar resolution -------------------------------------------------- */

static void test_plain_is_string_table(void **state)
{
    (void)state;
    static const char *const not_strings[] = {
        /* null, bool, special floats */
        "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
        "-.INF",
        /* ints: decimal, signs, 0x, 0o, leading-zero octal, 0b, underscores, uint64 */
        "0", "7", "42", "+42", "-42", "0x1F", "0X1f", "-0x1F", "0o17", "0O17", "017", "0b1011",
        "-0b101", "0b-101", "0b+1", "1_000", "0x_1F", "1__0", "1_", "9223372036854775807",
        "-9223372036854775808", "18446744073709551615", "0777777777777777777777",
        /* floats */
        "1.5", "1.", "-1.0e+3", "+1e3", "1e3", "1E3", ".5", "+.5", "-.5e1", ".5_0", ".1e-99999",
        "00.5", "09", "0789", "99999999999999999999", "6.02e23",
        /* timestamps */
        "2001-12-14", "2001-1-2", "2001-12-14T21:59:43Z", "2001-12-14t21:59:43.10-05:00",
        "2001-12-14T21:59:43,5+24:00", "2001-12-14 21:59:43.10", "2001-12-14   1:2:3", "2000-02-29",
        "0000-01-01",
        /* base 60 */
        "1:20", "190:20:30", "-1:20", "+1:20", "1:20.5", "1_0:20", "1:2",
        /* empty */
        ""};
    static const char *const strings[] = {
        "hello",
        "AgB+/=",
        UNICODE_NOTE,
        "<<",
        "=",
        "yes!",
        "Yes.",
        "nO",
        "TRue",
        "on_call",
        "offset",
        "null0",
        "NuLL",
        ".nAn",
        ".Infinity",
        ".",
        "..",
        "._5",
        ".5_",
        "._",
        ".5e",
        ".e5",
        "-",
        "+",
        "--1",
        "+-1",
        "-+1",
        "0x",
        "0b",
        "0x1G",
        "0b2",
        "0o8",
        "-0b-1",
        "-0b+1",
        "_1",
        "1e999",
        "-1e999",
        ".5e999",
        "1.2.3",
        "10.0.0.1",
        "v1.2.3",
        "1e",
        "1e+",
        "e3",
        "0xFFFFFFFFFFFFFFFFF",
        "0b"
        "11111111111111111111111111111111111111111111111111111111111111111",
        "2001-02-30",
        "2001-13-01",
        "2001-12-14T",
        "2001-12-14T25:00:00Z",
        "2001-12-14T21:59:43",
        "2001-12-14T21:59:43z",
        "2001-12-14T21:59:43+5:00",
        "2001-12-14T21:59:43+25:00",
        "2001-12-14 21:59:43Z",
        "2001-12-14x",
        "12001-12-14",
        "201-12-14",
        "2001-1-2 3:4",
        "1:60",
        "1:",
        ":20",
        "1::20",
        "a1:20",
        "1:20:",
        "1:20.5.5",
        "0.0.0.0:80",
        "https://x",
        "key: value",
        " lead",
        "trail ",
        "\t"};
    for (size_t i = 0; i < sizeof not_strings / sizeof not_strings[0]; i++) {
        if (sk_yaml_plain_is_string(not_strings[i], strlen(not_strings[i]))) {
            print_error("\"%s\" should not be a plain string\n", not_strings[i]);
            fail();
        }
    }
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        if (!sk_yaml_plain_is_string(strings[i], strlen(strings[i]))) {
            print_error("\"%s\" should be a plain string\n", strings[i]);
            fail();
        }
    }
    /* Length is honoured: "yes" followed by more bytes is a string, NUL included. */
    assert_true(sk_yaml_plain_is_string("yes\0x", 5));
    assert_false(sk_yaml_plain_is_string("yes\0x", 3));
    assert_false(sk_yaml_plain_is_string(NULL, 0));
}

/* ---- YAML scalar styles --------------------------------------------------------- */

struct style_case {
    const char *value;
    const char *yaml;
};

static void test_yaml_quoting_table(void **state)
{
    (void)state;
    static const struct style_case cases[] = {
        /* would resolve to something else: double quotes */
        {"true", "\"true\""},
        {"yes", "\"yes\""},
        {"1.5", "\"1.5\""},
        {"0x1F", "\"0x1F\""},
        {"2001-12-14", "\"2001-12-14\""},
        {"1:20", "\"1:20\""},
        {"", "\"\""},
        {"~", "\"~\""},
        {"null", "\"null\""},
        {"0755", "\"0755\""},
        {"-17", "\"-17\""},
        {".inf", "\".inf\""},
        /* strings that stay plain */
        {"hello", "hello"},
        {"AgB+/=", "AgB+/="},
        {UNICODE_NOTE, UNICODE_NOTE},
        {"<<", "<<"}, /* resolve() never looks past '<' (docs/format.md §3.4) */
        {"-x", "-x"},
        {":x", ":x"},
        {"?x", "?x"},
        {"a-b", "a-b"},
        {"1:60", "1:60"},
        {"1e999", "1e999"},
        {"2001-02-30", "2001-02-30"},
        {"https://x/y#z", "https://x/y#z"},
        {"a'b", "a'b"},
        {"a\"b", "a\"b"},
        {"<b>&amp;</b>", "<b>&amp;</b>"},
        /* syntax forbids plain: libyaml picks single quotes */
        {" lead", "' lead'"},
        {"trail ", "'trail '"},
        {"a: b", "'a: b'"},
        {"a #b", "'a #b'"},
        {"- x", "'- x'"},
        {"-", "'-'"},
        {"*x", "'*x'"},
        {"&x", "'&x'"},
        {"!x", "'!x'"},
        {"'x", "'''x'"},
        {"\"x", "'\"x'"},
        {"@x", "'@x'"},
        {"`x", "'`x'"},
        {"%x", "'%x'"},
        {"|x", "'|x'"},
        {">x", "'>x'"},
        {"#x", "'#x'"},
        {"[x", "'[x'"},
        {"{x", "'{x'"},
        {",x", "',x'"},
        {"? x", "'? x'"},
        {"---", "'---'"},
        {"...", "'...'"},
        /* non-printable content: double quotes with libyaml's escapes */
        {"a\tb", "\"a\\tb\""},
        {"a\rb", "\"a\\rb\""},
        {"\x1b[0m", "\"\\e[0m\""},
        {"a\x7f", "\"a\\x7F\""},
        {"key \xf0\x9f\x94\x91", "\"key \\U0001F511\""},
        {"\xc2\x85", "\"\\N\""},
        /* go-yaml's is_bom looks at the value's start: every character after it is escaped */
        {"\xef\xbb\xbfx y", "\"\\uFEFF\\x78\\x20\\x79\""},
        {"x\xef\xbb\xbf", "\"x\\uFEFF\""},
        /* NBSP and the other printable non-ASCII stay raw */
        {"a\xc2\xa0"
         "b",
         "a\xc2\xa0"
         "b"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_yaml_value(cases[i].value, strlen(cases[i].value), cases[i].yaml);
    assert_yaml_value("a\0b", 3, "\"a\\0b\"");
}

static void test_yaml_literal_blocks(void **state)
{
    (void)state;
    static const struct style_case cases[] = {
        {"line1\nline2", "|-\n  line1\n  line2"},
        {"line1\nline2\n", "|\n  line1\n  line2"},
        {"kept\n\n", "|+\n  kept\n"}, /* no "..." after a keep block */
        {"\n", "|2+\n"},
        {" lead\nx", "|2-\n   lead\n  x"},
        {"\nx", "|2-\n\n  x"},
        {"a\n\nb\n", "|\n  a\n\n  b"},
        {"true\n", "|\n  true"},
        {"# not a comment\n- item\n", "|\n  # not a comment\n  - item"},
        /* trailing space or a space before a break makes block style impossible */
        {"a \nb", "\"a \\nb\""},
        {"a\nb ", "\"a\\nb \""},
        {"a\r\nb", "\"a\\r\\nb\""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_yaml_value(cases[i].value, strlen(cases[i].value), cases[i].yaml);
}

/*
 * Width 80: a plain or quoted scalar breaks at the first single space once
 * the column passes 80 (libyaml's rule, which go-yaml v2.4 kept); words are
 * never split, so base64 blobs stay on one line.
 */
static void test_yaml_folding(void **state)
{
    (void)state;
    const char *text = "This annotation is deliberately longer than eighty columns so that the "
                       "emitter folds it at a space.";
    assert_yaml_value(text, strlen(text),
                      "This annotation is deliberately longer than eighty columns so that the "
                      "emitter\n  folds it at a space.");
    const char *quoted = "#This one needs quotes and is also longer than eighty columns so it "
                         "folds inside the quotes.";
    assert_yaml_value(quoted, strlen(quoted),
                      "'#This one needs quotes and is also longer than eighty columns so it "
                      "folds inside\n  the quotes.'");
    const char *dq = "yes\tand a tab, so double quotes, and long enough to be folded by the "
                     "emitter at a space";
    assert_yaml_value(dq, strlen(dq),
                      "\"yes\\tand a tab, so double quotes, and long enough to be folded by the "
                      "emitter\n  at a space\"");
    char blob[401];
    memset(blob, 'A', 400);
    blob[400] = '\0';
    assert_yaml_value(blob, 400, blob);
}

/* Keys follow the same style rules; keys longer than 128 bytes become "? " keys. */
static void test_yaml_keys(void **state)
{
    (void)state;
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s}", "yes", "a", "a b", "b", "#k", "c", "0", "d");
    assert_emits(sk_emit_yaml, doc, "---\n'#k': c\n\"0\": d\na b: b\n\"yes\": a\n");
    json_decref(doc);
    char key[130];
    memset(key, 'k', 129);
    key[129] = '\0';
    doc = json_pack("{s:s}", key, "v");
    char want[300];
    snprintf(want, sizeof want, "---\n? %s\n: v\n", key);
    assert_emits(sk_emit_yaml, doc, want);
    json_decref(doc);
}

static void test_yaml_collections_and_scalars(void **state)
{
    (void)state;
    json_t *doc = json_pack("{s:{}, s:[], s:n, s:b, s:b, s:I, s:[[s,s],{s:[]}], s:[{s:s},{s:s}]}",
                            "emptyMap", "emptyList", "nothing", "yes", 1, "no", 0, "int",
                            (json_int_t)-9223372036854775807LL - 1, "nested", "a", "b", "c",
                            "ownerReferences", "apiVersion", "v1", "kind", "K");
    assert_emits(sk_emit_yaml, doc,
                 "---\n"
                 "emptyList: []\n"
                 "emptyMap: {}\n"
                 "int: -9223372036854775808\n"
                 "nested:\n"
                 "- - a\n"
                 "  - b\n"
                 "- c: []\n"
                 "\"no\": false\n"
                 "nothing: null\n"
                 "ownerReferences:\n"
                 "- apiVersion: v1\n"
                 "- kind: K\n"
                 "\"yes\": true\n");
    json_decref(doc);
    json_t *arr = json_pack("[s,{}]", "x");
    assert_emits(sk_emit_yaml, arr, "---\n- x\n- {}\n");
    json_decref(arr);
    json_t *empty = json_object();
    assert_emits(sk_emit_yaml, empty, "---\n{}\n");
    assert_emits(sk_emit_json, empty, "{}\n");
    json_decref(empty);
}

/* Reals reach go-yaml as Go JSON text: integral ones read back as ints. */
static void test_reals(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *json, *yaml;
    } cases[] = {{1.5, "1.5", "1.5"},
                 {3.0, "3", "3"},
                 {-0.0, "-0", "0"},
                 {0.1, "0.1", "0.1"},
                 {1.0 / 3.0, "0.3333333333333333", "0.3333333333333333"},
                 {123456789.0, "123456789", "123456789"},
                 {1234567.5, "1234567.5", "1.2345675e+06"},
                 {1e6, "1000000", "1000000"},
                 {1e20, "100000000000000000000", "1e+20"},
                 {1e21, "1e+21", "1e+21"},
                 {1e-6, "0.000001", "1e-06"},
                 {0.0001, "0.0001", "0.0001"},
                 {5e-7, "5e-7", "5e-07"},
                 {1.7976931348623157e308, "1.7976931348623157e+308", "1.7976931348623157e+308"},
                 {5e-324, "5e-324", "5e-324"},
                 {9223372036854775808.0, "9223372036854776000", "9223372036854776000"},
                 {-9223372036854775808.0, "-9223372036854776000", "-9.223372036854776e+18"},
                 {18446744073709551616.0, "18446744073709552000", "1.8446744073709552e+19"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *doc = json_pack("{s:f}", "r", cases[i].v);
        char want[128];
        snprintf(want, sizeof want, "{\n  \"r\": %s\n}\n", cases[i].json);
        assert_emits(sk_emit_json, doc, want);
        snprintf(want, sizeof want, "---\nr: %s\n", cases[i].yaml);
        assert_emits(sk_emit_yaml, doc, want);
        json_decref(doc);
    }
}

/* ---- JSON escaping ------------------------------------------------------------ */

struct esc_case {
    const char *in;
    size_t len;
    const char *json;
};

#define ESC(s, j)                                                                                  \
    {                                                                                              \
        s, sizeof(s) - 1, j                                                                        \
    }

static void test_json_escaping_table(void **state)
{
    (void)state;
    static const struct esc_case cases[] = {
        ESC("<b>&</b>", "\"\\u003cb\\u003e\\u0026\\u003c/b\\u003e\""),
        ESC("a\"b\\c/d", "\"a\\\"b\\\\c/d\""),
        ESC("\n\r\t", "\"\\n\\r\\t\""),
        ESC("\b\f", "\"\\b\\f\""), /* Go >= 1.22 */
        ESC("\x01\x1f", "\"\\u0001\\u001f\""),
        ESC("\x00", "\"\\u0000\""),
        ESC("\x7f", "\"\x7f\""),
        ESC("\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\""),
        ESC("\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x91\""),
        ESC("\xef\xbf\xbd", "\"\xef\xbf\xbd\""), /* a real U+FFFD stays raw */
        ESC("a\xff"
            "b",
            "\"a\\ufffdb\""),
        ESC("\xc3", "\"\\ufffd\""),
        ESC("\xe2\x82"
            "a",
            "\"\\ufffd\\ufffda\""),
        ESC("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""), /* surrogate */
        ESC("\xc0\xaf", "\"\\ufffd\\ufffd\""),            /* overlong */
        ESC("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
        ESC("\xe2\x80\xa8\xff<", "\"\\u2028\\ufffd\\u003c\"")};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_json_string(cases[i].in, cases[i].len, cases[i].json);
}

static void test_json_escapes_keys(void **state)
{
    (void)state;
    json_t *doc = json_object();
    json_object_setn_new_nocheck(doc, "<k>\x00\xff", 5, json_true());
    assert_emits(sk_emit_json, doc, "{\n  \"\\u003ck\\u003e\\u0000\\ufffd\": true\n}\n");
    json_decref(doc);
}

/* Invalid UTF-8 reaches go-yaml as U+FFFD (from the JSON step), written raw. */
static void test_yaml_invalid_utf8(void **state)
{
    (void)state;
    assert_yaml_value("a\xff"
                      "b",
                      3,
                      "a\xef\xbf\xbd"
                      "b");
    assert_yaml_value("\xff", 1, "\xef\xbf\xbd");
    assert_yaml_value("yes\xff", 4, "yes\xef\xbf\xbd");
}

/* ---- oracle goldens, interop fixtures, round trip ------------------------------ */

static void test_oracle_goldens(void **state)
{
    (void)state;
    static const char *const cases[] = {"annotations", "ml_platform", "recovered", "go_corners"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "emit/oracle/%s.input.json", cases[i]);
        json_t *doc = load_json_file(rel);
        snprintf(rel, sizeof rel, "emit/oracle/%s.expected.json", cases[i]);
        assert_emits_file(sk_emit_json, doc, rel);
        snprintf(rel, sizeof rel, "emit/oracle/%s.expected.yaml", cases[i]);
        assert_emits_file(sk_emit_yaml, doc, rel);
        json_decref(doc);
    }
}

/*
 * kubeseal marshals typed Go values: structs in field order, maps (labels, annotations,
 * encryptedData, template data, a Secret's data) sorted by key bytes, whatever the input's
 * order. The emit/gomaps inputs list every map unsorted; the expected JSON was written by
 * hand from encoding/json's rules (sort.Slice on the key strings, so "App" < "app" <
 * "app-x" < "app.k..." < "app10" < "app9"; MarshalIndent's HTML escaping of < > &) and
 * agrees with tests/tools/sealcheck.py's go_order + dump_json; the YAML is sealcheck's
 * go-yaml v2 writer, whose natural order puts "app9" before "app10".
 */
static void test_go_map_order(void **state)
{
    (void)state;
    static const char *const cases[] = {"sealed", "secret"};
    /* A map's first two members once the object is an item of a List. */
    static const char *const in_list[] = {"\"PASSWORD\": \"AgB2\",\n          \"api\": ",
                                          "\"Token\": \"dA==\",\n        \"api_key\": "};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "emit/gomaps/%s.input.json", cases[i]);
        json_t *doc = load_json_file(rel);
        snprintf(rel, sizeof rel, "emit/gomaps/%s.expected.json", cases[i]);
        assert_emits_file(sk_emit_json, doc, rel);
        snprintf(rel, sizeof rel, "emit/gomaps/%s.expected.yaml", cases[i]);
        assert_emits_file(sk_emit_yaml, doc, rel);
        json_t *list =
            json_pack("{s:s, s:s, s:[O]}", "kind", "List", "apiVersion", "v1", "items", doc);
        assert_non_null(list);
        sk_secbuf out = SK_SECBUF_INIT;
        assert_int_equal(sk_emit_json(list, &out, NULL), SK_OK);
        assert_non_null(strstr((const char *)out.data, in_list[i]));
        sk_secbuf_free(&out);
        json_decref(list);
        json_decref(doc);
    }
    /* Other documents (sealkit's own reports) keep the tree's order. */
    json_t *report = json_pack("{s:{s:s, s:s}}", "labels", "b", "1", "a", "2");
    assert_emits(sk_emit_json, report,
                 "{\n  \"labels\": {\n    \"b\": \"1\",\n    \"a\": \"2\"\n  }\n}\n");
    json_decref(report);
}

/* Every kubeseal-shaped YAML fixture, read back and written again, is the same bytes. */
static void test_interop_fixtures_reemit(void **state)
{
    (void)state;
    static const char *const cases[] = {"binary-value",          "cluster-wide",   "empty-value",
                                        "ghcr-dockerconfigjson", "key-charset",    "large-256k",
                                        "ml-platform",           "namespace-wide", "old-key",
                                        "strict-basic",          "unicode-value"};
    static const char *const files[] = {"sealed.yaml", "expected.yaml"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t f = 0; f < 2; f++) {
            char rel[160];
            snprintf(rel, sizeof rel, "interop/cases/%s/%s", cases[i], files[f]);
            char *path = tu_path(SK_TEST_DATA_DIR, rel);
            size_t len;
            char *text = tu_read_file(path, &len);
            json_t *doc = load_yaml((const unsigned char *)text, len);
            assert_emits(sk_emit_yaml, doc, text);
            json_decref(doc);
            free(text);
            free(path);
        }
    }
}

/* json_equal, but for keys holding NUL (jansson's compares C strings). */
static int trees_equal(const json_t *a, const json_t *b)
{
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b)) return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!trees_equal(json_array_get(a, i), json_array_get(b, i))) return 0;
        return 1;
    }
    if (!json_is_object(a) || !json_is_object(b)) return json_equal(a, b);
    if (json_object_size(a) != json_object_size(b)) return 0;
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach((json_t *)a, key, klen, v)
    {
        json_t *w = json_object_getn(b, key, klen);
        if (w == NULL || !trees_equal(v, w)) {
            print_error("differs at key \"%.*s\"\n", (int)klen, key);
            return 0;
        }
    }
    return 1;
}

static void test_yaml_roundtrip_libyaml(void **state)
{
    (void)state;
    static const char *const values[] = {
        "plain",
        "",
        "true",
        "yes",
        "1.5",
        "0x1F",
        "2001-12-14",
        "1:20",
        "~",
        "null",
        "<<",
        " lead",
        "trail ",
        "a: b",
        "a #b",
        "- x",
        "'q'",
        "\"dq\"",
        "a\tb",
        "a\rb",
        "a\r\nb",
        "a\xe2\x80\xa8"
        "b",
        "a\xc2\x85"
        "b",
        "a\xc2\xa0"
        "b",
        "\xf0\x9f\x94\x91",
        "\x7f",
        "line1\nline2",
        "line1\nline2\n",
        "kept\n\n\n",
        " lead\nx",
        "\n\nx",
        "a \nb",
        "a\n b\n",
        "x  y",
        "--- x",
        "... x",
        "a long value with many words that goes well past the eighty column limit and is folded",
        "  a long value with leading spaces and many words that goes past the eighty column limit",
        "a long value with  double  spaces  and many words that goes past the eighty column limit"};
    size_t n = sizeof values / sizeof values[0];
    json_t *doc = json_object();
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%02zu", i);
        json_object_set_new(doc, key, json_string(values[i]));
        json_object_set_new(doc, values[i], json_integer((json_int_t)i)); /* as a key too */
        json_array_append_new(list, json_string(values[i]));
    }
    json_object_set_new(doc, "list", list);
    json_object_setn_new_nocheck(doc, "nul\0key", 7, json_stringn("a\0b", 3));
    sk_secbuf out = SK_SECBUF_INIT;
    assert_int_equal(sk_emit_yaml(doc, &out, NULL), SK_OK);
    json_t *back = load_yaml(out.data, out.len);
    assert_true(trees_equal(doc, back));
    json_decref(back);
    sk_secbuf_free(&out);
    json_decref(doc);
}

/* ---- buffers and failures -------------------------------------------------------- */

static void test_appends_to_buffer(void **state)
{
    (void)state;
    json_t *doc = json_pack("{s:s}", "a", "b");
    sk_secbuf out = SK_SECBUF_INIT;
    assert_int_equal(sk_secbuf_puts(&out, "before\n", NULL), SK_OK);
    assert_int_equal(sk_emit_yaml(doc, &out, NULL), SK_OK);
    assert_int_equal(sk_emit_yaml(doc, &out, NULL), SK_OK);
    assert_int_equal(sk_emit_json(doc, &out, NULL), SK_OK);
    const char *want = "before\n---\na: b\n---\na: b\n{\n  \"a\": \"b\"\n}\n";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    sk_secbuf_free(&out);
    json_decref(doc);
}

static void test_usage_errors(void **state)
{
    (void)state;
    sk_secbuf out = SK_SECBUF_INIT;
    sk_error err;
    json_t *doc = json_object();
    assert_int_equal(sk_emit_json(NULL, &out, &err), SK_EUSAGE);
    assert_int_equal(err.code, SK_EUSAGE);
    assert_int_equal(sk_emit_yaml(NULL, &out, &err), SK_EUSAGE);
    assert_int_equal(sk_emit_json(doc, NULL, &err), SK_EUSAGE);
    assert_int_equal(sk_emit_yaml(doc, NULL, &err), SK_EUSAGE);
    assert_null(out.data);
    json_decref(doc);
}

/* Too deep: refused, and the buffer is left exactly as it was. */
static void test_depth_limit_restores_buffer(void **state)
{
    (void)state;
    json_t *doc = json_string("secret-ish leaf");
    for (int i = 0; i < 300; i++) {
        json_t *wrap = json_object();
        json_object_set_new(wrap, "k", doc);
        doc = wrap;
    }
    emit_fn fns[] = {sk_emit_json, sk_emit_yaml};
    for (int f = 0; f < 2; f++) {
        sk_secbuf out = SK_SECBUF_INIT;
        sk_error err;
        assert_int_equal(sk_secbuf_puts(&out, "keep", NULL), SK_OK);
        assert_int_equal(fns[f](doc, &out, &err), SK_ELIMIT);
        assert_int_equal(err.code, SK_ELIMIT);
        assert_non_null(strstr(tu_err_line(&err), "nesting"));
        assert_int_equal(out.len, 4);
        assert_string_equal((const char *)out.data, "keep");
        sk_secbuf_free(&out);
    }
    json_decref(doc);
}

int main(void)
{
    if (sk_init() != SK_OK || sk_json_wipe_on_free() != SK_OK) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kubeseal_sealed_json),
        cmocka_unit_test(test_kubeseal_sealed_yaml),
        cmocka_unit_test(test_kubeseal_namespace_wide_json),
        cmocka_unit_test(test_kubeseal_recovered),
        cmocka_unit_test(test_key_order_spec_table),
        cmocka_unit_test(test_key_order_upstream_list),
        cmocka_unit_test(test_key_order_v2_specifics),
        cmocka_unit_test(test_key_order_env_keys_match_json),
        cmocka_unit_test(test_key_order_random_total),
        cmocka_unit_test(test_key_order_random_antisymmetric),
        cmocka_unit_test(test_yaml_sorts_every_mapping),
        cmocka_unit_test(test_yaml_cyclic_keys_deterministic),
        cmocka_unit_test(test_plain_is_string_table),
        cmocka_unit_test(test_yaml_quoting_table),
        cmocka_unit_test(test_yaml_literal_blocks),
        cmocka_unit_test(test_yaml_folding),
        cmocka_unit_test(test_yaml_keys),
        cmocka_unit_test(test_yaml_collections_and_scalars),
        cmocka_unit_test(test_reals),
        cmocka_unit_test(test_json_escaping_table),
        cmocka_unit_test(test_json_escapes_keys),
        cmocka_unit_test(test_yaml_invalid_utf8),
        cmocka_unit_test(test_oracle_goldens),
        cmocka_unit_test(test_go_map_order),
        cmocka_unit_test(test_interop_fixtures_reemit),
        cmocka_unit_test(test_yaml_roundtrip_libyaml),
        cmocka_unit_test(test_appends_to_buffer),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_depth_limit_restores_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
