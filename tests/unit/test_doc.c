/* The manifest reader: YAML and JSON streams, scalar resolution, refusals and limits. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "testutil.h"
#include "formats/doc_internal.h"

#define SRC "test.yaml"

static int parse_n(const char *text, size_t len, sk_docs *docs, sk_error *err)
{
    memset(err, 0, sizeof *err);
    return sk_docs_parse((const unsigned char *)text, len, SRC, docs, err);
}

static int parse(const char *text, sk_docs *docs, sk_error *err)
{
    return parse_n(text, strlen(text), docs, err);
}

/* Parses text that must succeed with n documents. */
static void parse_ok(const char *text, size_t len, size_t n, sk_docs *docs)
{
    sk_error err;
    int rc = parse_n(text, len, docs, &err);
    if (rc != SK_OK) print_error("unexpected error: %s\n", tu_err_line(&err));
    assert_int_equal(rc, SK_OK);
    assert_int_equal(docs->n, n);
}

/*
 * Parses text that must fail with code; the message must start with the
 * source and name "document <docno>: line <line>", and contain needle.
 */
static void expect_error_n(const char *text, size_t len, int code, size_t docno, size_t line,
                           const char *needle)
{
    sk_docs docs;
    sk_error err;
    int rc = parse_n(text, len, &docs, &err);
    if (rc != code) print_error("rc %d, message: %s\n", rc, tu_err_line(&err));
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_int_equal(docs.n, 0);
    assert_null(docs.doc);
    char want[64];
    snprintf(want, sizeof want, SRC ": document %zu: line %zu: ", docno, line);
    if (strncmp(tu_err_line(&err), want, strlen(want)) != 0 ||
        strstr(tu_err_line(&err), needle) == NULL)
        print_error("message \"%s\" lacks \"%s\" or \"%s\"\n", tu_err_line(&err), want, needle);
    assert_true(strncmp(tu_err_line(&err), want, strlen(want)) == 0);
    assert_non_null(strstr(tu_err_line(&err), needle));
}

static void expect_error(const char *text, int code, size_t docno, size_t line, const char *needle)
{
    expect_error_n(text, strlen(text), code, docno, line, needle);
}

static const char *str_at(const json_t *doc, const char *path1, const char *path2)
{
    const json_t *v = json_object_get(doc, path1);
    if (path2 != NULL) v = json_object_get(v, path2);
    return json_string_value(v);
}

/* ---- basic shapes ------------------------------------------------------ */

static void test_single_doc(void **state)
{
    (void)state;
    sk_docs docs;
    const char *text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\n"
                       "data:\n  z: eg==\n  a: YQ==\ntype: Opaque\n";
    parse_ok(text, strlen(text), 1, &docs);
    assert_int_equal(docs.format, SK_FORMAT_YAML);
    assert_int_equal(docs.line[0], 1);
    const json_t *d = docs.doc[0];
    assert_true(json_is_object(d));
    assert_string_equal(str_at(d, "kind", NULL), "Secret");
    assert_string_equal(str_at(d, "metadata", "namespace"), "ns");
    /* input order is kept: z before a */
    const char *first = json_object_iter_key(json_object_iter(json_object_get(d, "data")));
    assert_string_equal(first, "z");
    assert_int_equal(json_object_size(d), 5);
    sk_docs_free(&docs);
    assert_null(docs.doc);
    assert_int_equal(docs.n, 0);
    sk_docs_free(&docs); /* twice is harmless */
}

static void test_multi_doc_file(void **state)
{
    (void)state;
    char *path = tu_path(SK_TEST_DATA_DIR, "doc/multi.yaml");
    size_t len;
    char *text = tu_read_file(path, &len);
    sk_docs docs;
    parse_ok(text, len, 3, &docs);
    assert_string_equal(str_at(docs.doc[0], "metadata", "name"), "first");
    assert_string_equal(str_at(docs.doc[0], "stringData", "password"), "not-a-real-password");
    assert_string_equal(str_at(docs.doc[1], "metadata", "name"), "second");
    /* kind: List stays one document; expanding it is the caller's job */
    assert_string_equal(str_at(docs.doc[2], "kind", NULL), "List");
    assert_int_equal(json_array_size(json_object_get(docs.doc[2], "items")), 2);
    assert_int_equal(docs.line[0], 3);
    assert_int_equal(docs.line[1], 13);
    assert_int_equal(docs.line[2], 21);
    sk_docs_free(&docs);
    free(text);
    free(path);
}

static void test_multi_doc_inline(void **state)
{
    (void)state;
    sk_docs docs;
    /* no leading ---, empty documents in between, a trailing --- */
    const char *text = "a: 1\n---\n---\n# only a comment\n---\nb: 2\n--- # c\nc: 3\n---\n";
    parse_ok(text, strlen(text), 3, &docs);
    assert_int_equal(json_integer_value(json_object_get(docs.doc[0], "a")), 1);
    assert_int_equal(json_integer_value(json_object_get(docs.doc[1], "b")), 2);
    assert_int_equal(json_integer_value(json_object_get(docs.doc[2], "c")), 3);
    assert_int_equal(docs.line[0], 1);
    assert_int_equal(docs.line[1], 6);
    assert_int_equal(docs.line[2], 8);
    sk_docs_free(&docs);
    /* an indented --- is content, not a separator */
    text = "a: |\n  x\n  ---\n  y\n";
    parse_ok(text, strlen(text), 1, &docs);
    assert_string_equal(str_at(docs.doc[0], "a", NULL), "x\n---\ny\n");
    sk_docs_free(&docs);
}

static void test_comments(void **state)
{
    (void)state;
    sk_docs docs;
    const char *text =
        "# header\nkey: value # trailing\n# between\nlist:\n  # inside\n  - x # item\n"
        "hash: 'a # not a comment'\nplain: a#b\n";
    parse_ok(text, strlen(text), 1, &docs);
    assert_int_equal(json_object_size(docs.doc[0]), 4);
    assert_string_equal(str_at(docs.doc[0], "key", NULL), "value");
    assert_string_equal(json_string_value(json_array_get(json_object_get(docs.doc[0], "list"), 0)),
                        "x");
    assert_string_equal(str_at(docs.doc[0], "hash", NULL), "a # not a comment");
    assert_string_equal(str_at(docs.doc[0], "plain", NULL), "a#b");
    assert_int_equal(docs.line[0], 2);
    sk_docs_free(&docs);
}

static void test_bom_crlf_file(void **state)
{
    (void)state;
    char *path = tu_path(SK_TEST_DATA_DIR, "doc/bom-crlf.yaml");
    size_t len;
    char *text = tu_read_file(path, &len);
    assert_int_equal((unsigned char)text[0], 0xEF);
    assert_non_null(strstr(text, "\r\n"));
    sk_docs docs;
    parse_ok(text, len, 2, &docs);
    assert_string_equal(str_at(docs.doc[0], "apiVersion", NULL), "v1");
    assert_string_equal(str_at(docs.doc[0], "metadata", "name"), "crlf");
    /* literal blocks: CRLF becomes \n, | keeps the final newline, |- strips it */
    assert_string_equal(str_at(docs.doc[0], "stringData", "cert"), "line one\nline two\n");
    assert_string_equal(str_at(docs.doc[0], "stringData", "short"), "no newline");
    assert_int_equal(docs.line[0], 1);
    assert_int_equal(docs.line[1], 12);
    sk_docs_free(&docs);
    free(text);
    free(path);
}

static void test_bom_json_and_detection(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        sk_format want;
    } cases[] = {
        {"{}", SK_FORMAT_JSON},
        {" \t\r\n{\"a\":1}", SK_FORMAT_JSON},
        {"\xEF\xBB\xBF{}", SK_FORMAT_JSON},
        {"\xEF\xBB\xBF \n{}", SK_FORMAT_JSON},
        {"a: b", SK_FORMAT_YAML},
        {"[1]", SK_FORMAT_YAML},
        {"", SK_FORMAT_YAML},
        {"   \n", SK_FORMAT_YAML},
        {"# {\n{a: b}", SK_FORMAT_YAML},
        {"---\n{}", SK_FORMAT_YAML},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const unsigned char *t = (const unsigned char *)cases[i].text;
        assert_int_equal(sk_detect_format(t, strlen(cases[i].text)), cases[i].want);
    }
    /* only the first 4096 bytes are looked at */
    char big[5000];
    memset(big, ' ', sizeof big);
    big[4095] = '{';
    assert_int_equal(sk_detect_format((unsigned char *)big, sizeof big), SK_FORMAT_JSON);
    big[4095] = ' ';
    big[4096] = '{';
    assert_int_equal(sk_detect_format((unsigned char *)big, sizeof big), SK_FORMAT_YAML);

    sk_docs docs;
    const char *text = "\xEF\xBB\xBF\n{\"kind\": \"Secret\"}";
    parse_ok(text, strlen(text), 1, &docs);
    assert_int_equal(docs.format, SK_FORMAT_JSON);
    assert_int_equal(docs.line[0], 2);
    sk_docs_free(&docs);
}

static void test_utf16_refused(void **state)
{
    (void)state;
    /* "a: b" in UTF-16LE with its BOM: manifests must be UTF-8 */
    static const char text[] = "\xFF\xFE"
                               "a\0:\0 \0b\0\n\0";
    expect_error_n(text, sizeof text - 1, SK_EPARSE, 1, 1, "invalid UTF-8");
}

static void test_unicode(void **state)
{
    (void)state;
    sk_docs docs;
    const char *text = "s: h\xC3\xA9llo \xE2\x9C\x93\ne: \"caf\\u00e9 \\U0001F600\"\n"
                       "k\xC3\xA9y: x\n";
    parse_ok(text, strlen(text), 1, &docs);
    assert_string_equal(str_at(docs.doc[0], "s", NULL), "h\xC3\xA9llo \xE2\x9C\x93");
    assert_string_equal(str_at(docs.doc[0], "e", NULL), "caf\xC3\xA9 \xF0\x9F\x98\x80");
    assert_string_equal(str_at(docs.doc[0], "k\xC3\xA9y", NULL), "x");
    sk_docs_free(&docs);
}

static void test_root_scalar_and_sequence(void **state)
{
    (void)state;
    sk_docs docs;
    /* non-mapping roots are documents too: the caller decides what to do with them */
    parse_ok("--- foo\n--- [1, 2]\n--- false\n", 28, 3, &docs);
    assert_string_equal(json_string_value(docs.doc[0]), "foo");
    assert_true(json_is_array(docs.doc[1]));
    assert_true(json_is_false(docs.doc[2]));
    sk_docs_free(&docs);
}

static void test_empty_inputs(void **state)
{
    (void)state;
    static const char *const texts[] = {"",
                                        "   \n\n",
                                        "# just a comment\n",
                                        "---\n",
                                        "---\n...\n",
                                        "--- ~\n--- null\n---\n",
                                        "\xEF\xBB\xBF",
                                        "\r\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        sk_docs docs;
        parse_ok(texts[i], strlen(texts[i]), 0, &docs);
        sk_docs_free(&docs);
    }
    sk_docs docs;
    sk_error err;
    assert_int_equal(sk_docs_parse(NULL, 0, SRC, &docs, &err), SK_OK);
    assert_int_equal(docs.n, 0);
}

/* ---- JSON streams -------------------------------------------------------- */

static void test_json_stream_file(void **state)
{
    (void)state;
    char *path = tu_path(SK_TEST_DATA_DIR, "doc/stream.json");
    size_t len;
    char *text = tu_read_file(path, &len);
    sk_docs docs;
    parse_ok(text, len, 2, &docs);
    assert_int_equal(docs.format, SK_FORMAT_JSON);
    assert_string_equal(str_at(docs.doc[0], "metadata", "name"), "one");
    assert_string_equal(str_at(docs.doc[1], "stringData", "k"), "v");
    const char *first =
        json_object_iter_key(json_object_iter(json_object_get(docs.doc[0], "data")));
    assert_string_equal(first, "z");
    assert_int_equal(docs.line[0], 1);
    assert_int_equal(docs.line[1], 7);
    sk_docs_free(&docs);
    free(text);
    free(path);
}

static void test_json_stream_inline(void **state)
{
    (void)state;
    sk_docs docs;
    const char *text = "{\"a\":1}{\"b\":2.5}\r\n\t {\"c\":[true,null,\"x\"]}\n\n";
    parse_ok(text, strlen(text), 3, &docs);
    assert_int_equal(json_integer_value(json_object_get(docs.doc[0], "a")), 1);
    assert_true(json_real_value(json_object_get(docs.doc[1], "b")) == 2.5);
    assert_int_equal(json_array_size(json_object_get(docs.doc[2], "c")), 3);
    assert_int_equal(docs.line[0], 1);
    assert_int_equal(docs.line[1], 1);
    assert_int_equal(docs.line[2], 2);
    sk_docs_free(&docs);
    /* the interop manifest is one big JSON object */
    char *path = tu_path(SK_TEST_DATA_DIR, "interop/cases.json");
    size_t len;
    char *big = tu_read_file(path, &len);
    parse_ok(big, len, 1, &docs);
    assert_string_equal(str_at(docs.doc[0], "schema", NULL), "sealed-secrets-interop/v1");
    sk_docs_free(&docs);
    free(big);
    free(path);
}

static void test_json_errors(void **state)
{
    (void)state;
    expect_error("{\"a\":1}\n\n  xyz", SK_EPARSE, 2, 3, "expected");
    expect_error("{\"a\":1} {\"b\":2}\n{\"c\":\n  x}", SK_EPARSE, 3, 3, "invalid token");
    expect_error("{\"a\":1}\n[1, 2]", SK_EPARSE, 2, 2, "must be a JSON object");
    expect_error("{\"a\":1}\n\"str\"", SK_EPARSE, 2, 2, "expected");
    expect_error("{\"a\": 1,\n \"a\": 2}", SK_EPARSE, 1, 2, "duplicate key \"a\"");
    expect_error("{\"a\": {\"k\": 1, \"k\": 2}}", SK_EPARSE, 1, 1, "duplicate key");
    expect_error("{\"a\": \"x\\u0000y\"}", SK_EPARSE, 1, 1, "NUL byte in a string");
    expect_error_n("{\"a\": 1}\n{\"a\": \"x\0\"}", 19, SK_EPARSE, 2, 2, "NUL byte in input");
    expect_error_n("{\"a\": 1}\n\0", 10, SK_EPARSE, 2, 2, "NUL byte in input");
    expect_error("{\"a\": \"\xC3\x28\"}", SK_EPARSE, 1, 1, "invalid UTF-8");
    expect_error("{\"a\": \"abc", SK_EPARSE, 1, 1, "premature end of input");
    expect_error("{\"a\": 1}\n{\"b\": ", SK_EPARSE, 2, 2, "");
    expect_error("{\"a\": 123456789012345678901234567890}", SK_EPARSE, 1, 1, "too big integer");
}

/* Secret values must never reach a message, whatever the parser complains about. */
static void test_values_not_in_messages(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{\"a\": \"s3cr3t",
        "{\"a\": \"s3cr3t\x01\"}",
        "{\"a\": \"s3cr3t\\uD800\"}",
        "{\"a\": \"s3cr3t\\q\"}",
        "{\"a\": s3cr3t}",
        "{\"a\": \"s3cr3t\" \"b\"}",
        "a: \"s3cr3t",
        "a: 's3cr3t",
        "a: !!int s3cr3t",
        "a: s3cr3t\n b: c",
        "a: \"s3cr3t\\0\"",
        "a: !!bool s3cr3t",
        "{\"a\": \"s3cr3t\\u0000\"}",
        "a: [s3cr3t",
        "a: \"s3cr3t\\ud800\"",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        sk_docs docs;
        sk_error err;
        assert_int_not_equal(parse(texts[i], &docs, &err), SK_OK);
        if (strstr(tu_err_line(&err), "s3cr3t") != NULL ||
            strstr(tu_err_line(&err), "s3cr") != NULL)
            print_error("case %zu leaks: %s\n", i, tu_err_line(&err));
        assert_null(strstr(tu_err_line(&err), "s3cr"));
        assert_non_null(strstr(tu_err_line(&err), "document 1"));
        assert_non_null(strstr(tu_err_line(&err), "line "));
    }
}

/* ---- interop fixtures ---------------------------------------------------- */

static void test_interop_files(void **state)
{
    (void)state;
    static const char *const patterns[] = {
        "interop/cases/*/secret.yaml", "interop/cases/*/sealed.yaml",
        "interop/cases/*/expected.yaml", "interop/keys/*.yaml", "interop/keys/*/*.yaml"};
    size_t files = 0;
    for (size_t p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        char *pattern = tu_path(SK_TEST_DATA_DIR, patterns[p]);
        glob_t g;
        assert_int_equal(glob(pattern, 0, NULL, &g), 0);
        for (size_t i = 0; i < g.gl_pathc; i++) {
            size_t len;
            char *text = tu_read_file(g.gl_pathv[i], &len);
            sk_docs docs;
            sk_error err;
            int rc = parse_n(text, len, &docs, &err);
            if (rc != SK_OK) print_error("%s: %s\n", g.gl_pathv[i], tu_err_line(&err));
            assert_int_equal(rc, SK_OK);
            assert_true(docs.n >= 1);
            for (size_t d = 0; d < docs.n; d++) {
                assert_true(json_is_object(docs.doc[d]));
                assert_non_null(json_string_value(json_object_get(docs.doc[d], "kind")));
                assert_true(docs.line[d] >= 1);
            }
            sk_docs_free(&docs);
            free(text);
            files++;
        }
        globfree(&g);
        free(pattern);
    }
    assert_true(files > 20);
}

/* ---- scalar resolution ------------------------------------------------- */

typedef struct scalar_case {
    const char *text; /* as written after "v: " */
    char type;        /* n(ull) t(rue) f(alse) i(nteger) r(eal) s(tring: the text itself) */
    long long i;
    double r;
} scalar_case;

static const scalar_case plain_cases[] = {
    {"", 'n', 0, 0},
    {"~", 'n', 0, 0},
    {"null", 'n', 0, 0},
    {"Null", 'n', 0, 0},
    {"NULL", 'n', 0, 0},
    {"nULL", 's', 0, 0},
    {"y", 't', 0, 0},
    {"Y", 't', 0, 0},
    {"yes", 't', 0, 0},
    {"Yes", 't', 0, 0},
    {"YES", 't', 0, 0},
    {"on", 't', 0, 0},
    {"On", 't', 0, 0},
    {"ON", 't', 0, 0},
    {"true", 't', 0, 0},
    {"True", 't', 0, 0},
    {"TRUE", 't', 0, 0},
    {"n", 'f', 0, 0},
    {"N", 'f', 0, 0},
    {"no", 'f', 0, 0},
    {"No", 'f', 0, 0},
    {"NO", 'f', 0, 0},
    {"off", 'f', 0, 0},
    {"Off", 'f', 0, 0},
    {"OFF", 'f', 0, 0},
    {"false", 'f', 0, 0},
    {"False", 'f', 0, 0},
    {"FALSE", 'f', 0, 0},
    {"yES", 's', 0, 0},
    {"tRUE", 's', 0, 0},
    {"oN", 's', 0, 0},
    {"O", 's', 0, 0},
    {"0", 'i', 0, 0},
    {"-0", 'i', 0, 0},
    {"42", 'i', 42, 0},
    {"+12", 'i', 12, 0},
    {"-17", 'i', -17, 0},
    {"1_000", 'i', 1000, 0},
    {"1__0", 'i', 10, 0},
    {"1_", 'i', 1, 0},
    {"0x1F", 'i', 31, 0},
    {"0X1f", 'i', 31, 0},
    {"-0x10", 'i', -16, 0},
    {"0xdead_beef", 'i', 0xdeadbeefLL, 0},
    {"0o17", 'i', 15, 0},
    {"0O17", 'i', 15, 0},
    {"017", 'i', 15, 0},
    {"-017", 'i', -15, 0},
    {"0b101", 'i', 5, 0},
    {"-0b11", 'i', -3, 0},
    {"9223372036854775807", 'i', INT64_MAX, 0},
    {"-9223372036854775808", 'i', INT64_MIN, 0},
    {"9223372036854775808", 'r', 0, 9223372036854775808.0},
    {"18446744073709551615", 'r', 0, 18446744073709551615.0},
    {"18446744073709551616", 'r', 0, 18446744073709551616.0},
    {"-9223372036854775809", 'r', 0, -9223372036854775809.0},
    {"0x10000000000000000", 's', 0, 0},
    {"08", 'r', 0, 8.0},
    {"09.5", 'r', 0, 9.5},
    {"1.5", 'r', 0, 1.5},
    {"-1.5", 'r', 0, -1.5},
    {"1.", 'r', 0, 1.0},
    {"1e3", 'r', 0, 1000.0},
    {"1E+3", 'r', 0, 1000.0},
    {"2.5e-3", 'r', 0, 2.5e-3},
    {"1_0.5", 'r', 0, 10.5},
    {".5", 'r', 0, 0.5},
    {"+.5", 'r', 0, 0.5},
    {"-.5e1", 'r', 0, -5.0},
    {".5_5", 'r', 0, 0.55},
    {".5e1_0", 'r', 0, 0.5e10},
    {"._5", 's', 0, 0},
    {".5_", 's', 0, 0},
    {".", 's', 0, 0},
    {".e3", 's', 0, 0},
    {"1e999", 's', 0, 0},
    {".5e999", 's', 0, 0},
    {"1e", 's', 0, 0},
    {"0x", 's', 0, 0},
    {"0b", 's', 0, 0},
    {"0b102", 's', 0, 0},
    {"0o8", 's', 0, 0},
    {"0xG", 's', 0, 0},
    {"0x1p3", 's', 0, 0},
    {"+", 's', 0, 0},
    {"-", 's', 0, 0},
    {"+-1", 's', 0, 0},
    {"1.2.3", 's', 0, 0},
    {"12abc", 's', 0, 0},
    {"1:20", 's', 0, 0},
    {"2001-12-14", 's', 0, 0},
    {"2001-12-14T21:59:43Z", 's', 0, 0},
    {"2001-12-14 21:59:43.10", 's', 0, 0},
    {"<<", 's', 0, 0},
    {"=", 's', 0, 0},
    {"_1", 's', 0, 0},
    {"Opaque", 's', 0, 0},
    {"+.nan", 's', 0, 0},
    {"inf", 's', 0, 0},
    {"NaN", 's', 0, 0},
    {"0.0.0.0", 's', 0, 0},
    {"v1", 's', 0, 0},
};

static void check_scalar(const json_t *v, const scalar_case *c)
{
    int ok;
    switch (c->type) {
    case 'n':
        ok = json_is_null(v);
        break;
    case 't':
        ok = json_is_true(v);
        break;
    case 'f':
        ok = json_is_false(v);
        break;
    case 'i':
        ok = json_is_integer(v) && json_integer_value(v) == c->i;
        break;
    case 'r':
        ok = json_is_real(v) && json_real_value(v) == c->r;
        break;
    default:
        ok = json_is_string(v) && strcmp(json_string_value(v), c->text) == 0;
    }
    if (!ok) print_error("plain scalar \"%s\" did not resolve as '%c'\n", c->text, c->type);
    assert_true(ok);
}

static void test_plain_scalars(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof plain_cases / sizeof plain_cases[0]; i++) {
        const scalar_case *c = &plain_cases[i];
        /* as a block mapping value (where a lone "-" would start a sequence) */
        char text[128];
        sk_docs docs;
        if (strcmp(c->text, "-") != 0) {
            snprintf(text, sizeof text, "v: %s\n", c->text);
            parse_ok(text, strlen(text), 1, &docs);
            check_scalar(json_object_get(docs.doc[0], "v"), c);
            sk_docs_free(&docs);
        }
        /* as a flow sequence item */
        snprintf(text, sizeof text, "- [%s]\n", c->text);
        parse_ok(text, strlen(text), 1, &docs);
        if (c->text[0] != '\0') check_scalar(json_array_get(json_array_get(docs.doc[0], 0), 0), c);
        sk_docs_free(&docs);
        /* straight through the resolver */
        json_t *v = NULL;
        assert_int_equal(sk_doc_resolve_plain(c->text, strlen(c->text), &v), SK_OK);
        check_scalar(v, c);
        json_decref(v);
    }
}

static void test_quoted_and_block_scalars(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        const char *want;
    } cases[] = {
        {"'1'", "1"},
        {"\"true\"", "true"},
        {"'null'", "null"},
        {"\"~\"", "~"},
        {"''", ""},
        {"\"\"", ""},
        {"'0x1F'", "0x1F"},
        {"\"1e3\"", "1e3"},
        {"!!str 12", "12"},
        {"!!str yes", "yes"},
        {"! 12", "12"},
        {"!!str", ""},
        {"\".inf\"", ".inf"},
        {"'<<'", "<<"},
        {"\"a\\tb\"", "a\tb"},
        {"'it''s'", "it's"},
        {"|\n  a\n  b\n", "a\nb\n"},
        {"|-\n  a\n  b\n", "a\nb"},
        {"|+\n  a\n", "a\n\n"},
        {">\n  a\n  b\n", "a b\n"},
        {">-\n  12\n", "12"},
        {"|\n  true\n", "true\n"},
        {"\"multi\n  line\"", "multi line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "v: %s\n", cases[i].yaml);
        sk_docs docs;
        parse_ok(text, strlen(text), 1, &docs);
        const json_t *v = json_object_get(docs.doc[0], "v");
        if (!json_is_string(v) || strcmp(json_string_value(v), cases[i].want) != 0)
            print_error("%s did not stay the string \"%s\"\n", cases[i].yaml, cases[i].want);
        assert_true(json_is_string(v));
        assert_string_equal(json_string_value(v), cases[i].want);
        sk_docs_free(&docs);
    }
}

static void test_keys_are_literal_strings(void **state)
{
    (void)state;
    sk_docs docs;
    const char *text = "true: a\n1: b\n~: c\n0x10: d\n\"q\": e\n1.5: f\nyes: g\n";
    parse_ok(text, strlen(text), 1, &docs);
    static const char *const keys[] = {"true", "1", "~", "0x10", "q", "1.5", "yes"};
    size_t i = 0;
    const char *key;
    json_t *val;
    json_object_foreach(docs.doc[0], key, val)
    {
        assert_true(i < 7);
        assert_string_equal(key, keys[i]);
        assert_true(json_is_string(val));
        i++;
    }
    assert_int_equal(i, 7);
    sk_docs_free(&docs);
    /* `? key` with no value: the value is null */
    parse_ok("? k\n", 4, 1, &docs);
    assert_true(json_is_null(json_object_get(docs.doc[0], "k")));
    sk_docs_free(&docs);
}

static void test_core_tags(void **state)
{
    (void)state;
    sk_docs docs;
    const char *text = "i: !!int \"12\"\nf: !!float 1\nb: !!bool yes\nz: !!null ''\n"
                       "m: !!map {a: 1}\ns: !!seq [1]\nx: !<tag:yaml.org,2002:str> 5\n"
                       "n: ! {a: 1}\n";
    parse_ok(text, strlen(text), 1, &docs);
    const json_t *d = docs.doc[0];
    assert_int_equal(json_integer_value(json_object_get(d, "i")), 12);
    assert_true(json_is_real(json_object_get(d, "f")));
    assert_true(json_real_value(json_object_get(d, "f")) == 1.0);
    assert_true(json_is_true(json_object_get(d, "b")));
    assert_true(json_is_null(json_object_get(d, "z")));
    assert_true(json_is_object(json_object_get(d, "m")));
    assert_true(json_is_array(json_object_get(d, "s")));
    assert_string_equal(str_at(d, "x", NULL), "5");
    assert_true(json_is_object(json_object_get(d, "n")));
    sk_docs_free(&docs);

    expect_error("a: 1\nb: !foo x\n", SK_EPARSE, 1, 2, "tag !foo is not supported");
    expect_error("a: !!binary aGk=\n", SK_EPARSE, 1, 1, "tag !!binary is not supported");
    expect_error("a: !!timestamp 2001-12-14\n", SK_EPARSE, 1, 1, "!!timestamp");
    expect_error("a: !!set {x}\n", SK_EPARSE, 1, 1, "tag !!set");
    expect_error("a: !!str {x: 1}\n", SK_EPARSE, 1, 1, "tag !!str is not supported on a mapping");
    expect_error("a: !!map [1]\n", SK_EPARSE, 1, 1, "on a sequence");
    expect_error("a: !!seq x\n", SK_EPARSE, 1, 1, "on a scalar");
    expect_error("a: !!int abc\n", SK_EPARSE, 1, 1, "does not match its tag !!int");
    expect_error("a: !!int 1.5\n", SK_EPARSE, 1, 1, "does not match its tag !!int");
    expect_error("a: !!bool 1\n", SK_EPARSE, 1, 1, "does not match its tag !!bool");
    expect_error("a: !!null x\n", SK_EPARSE, 1, 1, "does not match its tag !!null");
    expect_error("a: !!float x\n", SK_EPARSE, 1, 1, "does not match its tag !!float");
    expect_error("!!int 1: x\n", SK_EPARSE, 1, 1, "on a mapping key");
    expect_error("%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n", SK_EPARSE, 1, 3,
                 "tag:example.com,2000:x");
}

/*
 * In the maps Go reads as map[string]string, go-yaml v2 would turn an unquoted `no:` into
 * false and kubeseal would seal the item as "false": such keys are refused, naming the field.
 */
static void test_string_map_keys_must_be_strings(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t line;
        const char *needle;
    } bad[] = {
        {"kind: Secret\nstringData:\n  ok: a\n  no: b\n", 4,
         "stringData: the unquoted key no is a boolean in YAML 1.1"},
        {"stringData:\n  y: a\n", 2, "stringData: the unquoted key y is a boolean"},
        {"data:\n  on: YQ==\n", 2, "data: the unquoted key on is a boolean"},
        {"metadata:\n  labels:\n    true: a\n", 3, "metadata.labels: the unquoted key true"},
        {"metadata:\n  annotations:\n    null: a\n", 3,
         "metadata.annotations: the unquoted key null is null"},
        {"metadata:\n  annotations:\n    ~: a\n", 3, "metadata.annotations: the unquoted key ~"},
        {"stringData:\n  1e3: a\n", 2, "stringData: the unquoted key 1e3 is a number"},
        {"stringData:\n  0x1F: a\n", 2, "stringData: the unquoted key 0x1F is an integer"},
        {"stringData: {Off: a}\n", 1, "stringData: the unquoted key Off"},
        {"spec:\n  encryptedData:\n    NO: AgB\n", 3, "spec.encryptedData: the unquoted key NO"},
        {"spec:\n  template:\n    data:\n      yes: x\n", 4, "spec.template.data: the unquoted"},
        {"spec:\n  template:\n    metadata:\n      labels:\n        n: x\n", 5,
         "spec.template.metadata.labels: the unquoted key n"},
        {"spec:\n  template:\n    metadata:\n      annotations:\n        off: x\n", 5,
         "spec.template.metadata.annotations: the unquoted key off"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_error(bad[i].text, SK_EINVAL, 1, bad[i].line, bad[i].needle);
        sk_docs docs;
        sk_error err;
        assert_int_equal(parse(bad[i].text, &docs, &err), SK_EINVAL);
        assert_non_null(strstr(err.hint, "quote the key"));
    }
    /* The second document, and the List item, are named. */
    sk_docs docs;
    sk_error err;
    const char *list = "a: 1\n---\nkind: List\nitems:\n- kind: Secret\n- kind: Secret\n"
                       "  stringData:\n    on: x\n";
    assert_int_equal(parse(list, &docs, &err), SK_EINVAL);
    assert_string_equal(tu_err_line(&err),
                        SRC ": document 2, item 2: line 8: stringData: the unquoted key on is a "
                            "boolean in YAML 1.1, not a string");
    /* Quoted keys, keys that stay strings, and other maps are fine. */
    const char *fine = "kind: Secret\nstringData:\n  \"no\": a\n  'yes': b\n  !!str on: c\n"
                       "  2001-12-14: d\n  no-way: e\n  1.2.3: f\nmetadata:\n  name: x\n"
                       "  other:\n    no: g\nspec:\n  selector:\n    true: h\nno: i\n";
    parse_ok(fine, strlen(fine), 1, &docs);
    const json_t *sd = json_object_get(docs.doc[0], "stringData");
    static const char *const keys[] = {"no", "yes", "on", "2001-12-14", "no-way", "1.2.3"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(json_object_get(sd, keys[i]));
    sk_docs_free(&docs);
}

/* Kubeseal seals "a\0b": a Go string may hold NUL, and so may these maps' values. */
static void test_nul_in_string_map_values(void **state)
{
    (void)state;
    static const char yaml[] = "kind: Secret\napiVersion: v1\nmetadata:\n  name: s\n"
                               "  namespace: ns\n  annotations:\n    note: \"x\\0y\"\n"
                               "stringData:\n  k: \"a\\0b\"\n";
    static const char json[] =
        "{\"kind\": \"Secret\", \"apiVersion\": \"v1\", \"metadata\": "
        "{\"name\": \"s\", \"namespace\": \"ns\", \"annotations\": "
        "{\"note\": \"x\\u0000y\"}}, \"stringData\": {\"k\": \"a\\u0000b\"}}";
    const char *texts[] = {yaml, json};
    for (size_t t = 0; t < 2; t++) {
        sk_docs docs;
        parse_ok(texts[t], strlen(texts[t]), 1, &docs);
        const json_t *v = json_object_get(json_object_get(docs.doc[0], "stringData"), "k");
        assert_int_equal(json_string_length(v), 3);
        assert_memory_equal(json_string_value(v), "a\0b", 3);
        /* The model keeps all three bytes as the item's value. */
        sk_secret *secrets = NULL;
        sk_origin *origins = NULL;
        size_t n = 0;
        sk_error err = {0};
        assert_int_equal(sk_secrets_from_docs(&docs, &secrets, &origins, &n, &err), SK_OK);
        assert_int_equal(n, 1);
        assert_int_equal(secrets[0].n_items, 1);
        assert_int_equal(secrets[0].items[0].value.len, 3);
        assert_memory_equal(secrets[0].items[0].value.data, "a\0b", 3);
        sk_secrets_free(secrets, origins, n);
        sk_docs_free(&docs);
    }
    /* Anywhere else (names, kinds, other maps) it is still refused, in both formats. */
    expect_error("metadata:\n  name: \"a\\0b\"\n", SK_EPARSE, 1, 2, "NUL byte in a string");
    expect_error("{\"metadata\": {\"name\": \"a\\u0000b\"}}", SK_EPARSE, 1, 1,
                 "NUL byte in a string");
    expect_error("{\"spec\": {\"x\": {\"k\": \"\\u0000\"}}}", SK_EPARSE, 1, 1,
                 "NUL byte in a string");
    expect_error("{\"stringData\": {\"k\\u0000\": \"v\"}}", SK_EPARSE, 1, 1, "NUL");
    expect_error("stringData:\n  \"k\\0\": v\n", SK_EPARSE, 1, 2, "NUL byte in a string");
    sk_docs docs;
    sk_error err;
    const char *item = "{\"kind\": \"List\", \"items\": [{\"stringData\": {\"k\": \"\\u0000\"}}, "
                       "{\"kind\": \"Secret\\u0000\"}]}";
    assert_int_equal(parse(item, &docs, &err), SK_EPARSE);
    assert_int_equal(err.item, 2);
    /* A value with a NUL is not the annotation value "true". */
    json_t *ann = json_pack("{s:s%}", "sealedsecrets.bitnami.com/cluster-wide", "true\0x", 6);
    assert_non_null(ann);
    assert_int_equal(sk_scope_from_annotations(ann), SK_SCOPE_STRICT);
    json_decref(ann);
}

static void test_merge_and_nonfinite(void **state)
{
    (void)state;
    expect_error("a: 1\n<<: {b: 2}\n", SK_EPARSE, 1, 2, "merge keys (<<) are not supported");
    sk_docs docs;
    parse_ok("'<<': x\nv: <<\n", 14, 1, &docs);
    assert_string_equal(str_at(docs.doc[0], "<<", NULL), "x");
    assert_string_equal(str_at(docs.doc[0], "v", NULL), "<<");
    sk_docs_free(&docs);

    static const char *const nonfinite[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",  ".INF",
                                            "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF"};
    for (size_t i = 0; i < sizeof nonfinite / sizeof nonfinite[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "a: b\nv: %s\n", nonfinite[i]);
        expect_error(text, SK_EPARSE, 1, 2, "cannot be represented in JSON");
        json_t *v = NULL;
        assert_int_equal(sk_doc_resolve_plain(nonfinite[i], strlen(nonfinite[i]), &v), SK_EINVAL);
        assert_null(v);
    }
    sk_error err;
    assert_int_equal(parse("v: .inf\n", &docs, &err), SK_EPARSE);
    assert_non_null(strstr(err.hint, "quote"));
    /* quoted, they are ordinary strings */
    parse_ok("v: \".inf\"\nw: '.nan'\n", 20, 1, &docs);
    assert_string_equal(str_at(docs.doc[0], "v", NULL), ".inf");
    sk_docs_free(&docs);
}

/* ---- refusals ------------------------------------------------------------ */

static void test_yaml_duplicate_keys(void **state)
{
    (void)state;
    expect_error("a: 1\nb: 2\na: 3\n", SK_EPARSE, 1, 3, "duplicate key \"a\"");
    expect_error("x: 1\n---\nm:\n  foo: 1\n  \"foo\": 2\n", SK_EPARSE, 2, 5,
                 "duplicate key \"foo\"");
    expect_error("a: {k: 1, 'k': 2}\n", SK_EPARSE, 1, 1, "duplicate key \"k\"");
    expect_error("a:\n  x: 1\na: 2\n", SK_EPARSE, 1, 3, "duplicate key \"a\"");
    /* control characters in a key are not printed raw */
    expect_error("\"a\\nb\": 1\n\"a\\nb\": 2\n", SK_EPARSE, 1, 2, "duplicate key \"a?b\"");
    /* same text in different mappings is fine */
    sk_docs docs;
    parse_ok("a: {k: 1}\nb: {k: 2}\n", 20, 1, &docs);
    sk_docs_free(&docs);
}

static void test_anchors_and_aliases(void **state)
{
    (void)state;
    char *path = tu_path(SK_TEST_DATA_DIR, "doc/billion-laughs.yaml");
    size_t len;
    char *text = tu_read_file(path, &len);
    expect_error_n(text, len, SK_EPARSE, 1, 6, "YAML anchors and aliases are not supported");
    free(text);
    free(path);
    expect_error("a: 1\n---\nb: &x 1\n", SK_EPARSE, 2, 3, "anchors and aliases");
    sk_docs docs;
    sk_error err;
    assert_int_equal(parse("b: &x 1\n", &docs, &err), SK_EPARSE);
    assert_non_null(strstr(err.hint, "in full"));
    expect_error("a: &m {x: 1}\n", SK_EPARSE, 1, 1, "anchors and aliases");
    expect_error("a: &s [1]\n", SK_EPARSE, 1, 1, "anchors and aliases");
    expect_error("a: 1\nb: *undefined\n", SK_EPARSE, 1, 2, "anchors and aliases");
}

static void test_non_scalar_keys(void **state)
{
    (void)state;
    expect_error("? [a]\n: b\n", SK_EPARSE, 1, 1, "a mapping key must be a string, not a sequence");
    expect_error("x: 1\n? {a: 1}\n: b\n", SK_EPARSE, 1, 2, "not a mapping");
    expect_error("a: {[1]: 2}\n", SK_EPARSE, 1, 1, "not a sequence");
    expect_error("[a]: b\n", SK_EPARSE, 1, 1, "not a sequence");
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    expect_error("a: 1\n---\nb: x\xFFy\n", SK_EPARSE, 2, 3, "invalid UTF-8");
    expect_error("a: \xC3\x28\n", SK_EPARSE, 1, 1, "invalid UTF-8");
    sk_docs docs;
    sk_error err;
    assert_int_equal(parse("a: \xC3\x28\n", &docs, &err), SK_EPARSE);
    assert_string_equal(err.hint, "the input must be UTF-8 encoded");
    assert_int_equal(parse("{\"a\": \"\xC3\x28\"}", &docs, &err), SK_EPARSE);
    assert_string_equal(err.hint, "the input must be UTF-8 encoded");
    expect_error("a: \xE2\x82\n", SK_EPARSE, 1, 1, "invalid UTF-8");
    expect_error("a: \xED\xA0\x80\n", SK_EPARSE, 1, 1, "invalid UTF-8"); /* surrogate */
    expect_error("a: b\nc: d\xC3", SK_EPARSE, 1, 2, "invalid UTF-8");    /* cut at the end */
}

static void test_nul_bytes(void **state)
{
    (void)state;
    static const char raw[] = "a: 1\n---\nb: x\0y\n";
    expect_error_n(raw, sizeof raw - 1, SK_EPARSE, 2, 3, "NUL byte in input");
    static const char tail[] = "a: 1\n\0";
    expect_error_n(tail, sizeof tail - 1, SK_EPARSE, 1, 2, "NUL byte in input");
    expect_error("a: 1\nb: \"x\\0y\"\n", SK_EPARSE, 1, 2, "NUL byte in a string");
    expect_error("\"k\\0\": 1\n", SK_EPARSE, 1, 1, "NUL byte in a string");
    expect_error("a: \"\\x01\\x00\"\n", SK_EPARSE, 1, 1, "NUL byte in a string");
    expect_error("a: b\x01\n", SK_EPARSE, 1, 1, "control character");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_error("a: 1\nb: \"unterminated\n", SK_EPARSE, 1, 3, "while scanning a quoted scalar");
    expect_error("a: 1\n---\nb: 'unterminated\n\n", SK_EPARSE, 2, 5, "quoted scalar");
    expect_error("a: [1, 2\n", SK_EPARSE, 1, 2, "flow sequence");
    expect_error("a: b\n c: d\n", SK_EPARSE, 1, 2, "mapping values are not allowed");
    expect_error("a: 1\n---\nb: 2\n---\nc: @x\n", SK_EPARSE, 3, 5, "cannot start any token");
    expect_error("a: 1\n- b\n", SK_EPARSE, 1, 2, "");
    expect_error("\ta: 1\n", SK_EPARSE, 1, 1, "");
}

/* ---- limits -------------------------------------------------------------- */

/* levels nested block mappings: "k:\n  k:\n ... k: v" */
static char *nested_yaml(size_t levels)
{
    char *s = malloc(levels * (2 * levels + 8) + 1);
    assert_non_null(s);
    size_t n = 0;
    for (size_t i = 0; i < levels; i++) {
        memset(s + n, ' ', 2 * i);
        n += 2 * i;
        n += (size_t)sprintf(s + n, i + 1 < levels ? "k:\n" : "k: v\n");
    }
    s[n] = '\0';
    return s;
}

/* levels nested JSON objects: {"k":{"k":...1}} */
static char *nested_json(size_t levels)
{
    char *s = malloc(levels * 6 + 8);
    assert_non_null(s);
    size_t n = 0;
    for (size_t i = 0; i < levels; i++)
        n += (size_t)sprintf(s + n, "{\"k\":");
    s[n++] = '1';
    for (size_t i = 0; i < levels; i++)
        s[n++] = '}';
    s[n] = '\0';
    return s;
}

static void test_depth_limit(void **state)
{
    (void)state;
    sk_docs docs;
    char *ok = nested_yaml(SK_MAX_DEPTH);
    parse_ok(ok, strlen(ok), 1, &docs);
    sk_docs_free(&docs);
    free(ok);
    char *deep = nested_yaml(SK_MAX_DEPTH + 1);
    expect_error(deep, SK_ELIMIT, 1, SK_MAX_DEPTH + 1, "nesting deeper than 64 levels");
    free(deep);
    deep = nested_yaml(200);
    expect_error(deep, SK_ELIMIT, 1, SK_MAX_DEPTH + 1, "nesting deeper than 64 levels");
    free(deep);

    ok = nested_json(SK_MAX_DEPTH);
    parse_ok(ok, strlen(ok), 1, &docs);
    sk_docs_free(&docs);
    free(ok);
    deep = nested_json(SK_MAX_DEPTH + 1);
    expect_error(deep, SK_ELIMIT, 1, 1, "nesting deeper than 64 levels");
    free(deep);
    deep = nested_json(200);
    expect_error(deep, SK_ELIMIT, 1, 1, "nesting deeper than 64 levels");
    free(deep);
}

static void test_deep_flow_nesting(void **state)
{
    (void)state;
    const size_t depth = 10000;
    char *s = malloc(2 * depth + 8);
    assert_non_null(s);
    memcpy(s, "a: ", 3);
    memset(s + 3, '[', depth);
    memset(s + 3 + depth, ']', depth);
    s[3 + 2 * depth] = '\0';
    expect_error(s, SK_ELIMIT, 1, 1, "nesting deeper than");
    /* unbalanced and truncated */
    s[3 + depth] = '\0';
    expect_error(s, SK_ELIMIT, 1, 1, "nesting deeper than");
    free(s);
    /* JSON: jansson's own limit (2048) trips first; still a limit error */
    s = malloc(2 * depth + 16);
    assert_non_null(s);
    memcpy(s, "{\"a\":", 5);
    memset(s + 5, '[', depth);
    memset(s + 5 + depth, ']', depth);
    memcpy(s + 5 + 2 * depth, "}", 2);
    expect_error(s, SK_ELIMIT, 1, 1, "nesting deeper than");
    free(s);
}

static void test_document_limit(void **state)
{
    (void)state;
    for (int json = 0; json <= 1; json++) {
        const char *unit = json ? "{\"a\":1}\n" : "a: 1\n---\n";
        size_t ul = strlen(unit);
        char *s = malloc(ul * (SK_MAX_DOCUMENTS + 1) + 1);
        assert_non_null(s);
        for (size_t i = 0; i < SK_MAX_DOCUMENTS; i++)
            memcpy(s + i * ul, unit, ul);
        s[ul * SK_MAX_DOCUMENTS] = '\0';
        sk_docs docs;
        parse_ok(s, strlen(s), SK_MAX_DOCUMENTS, &docs);
        assert_int_equal(docs.line[SK_MAX_DOCUMENTS - 1],
                         (json ? 1 : 2) * (SK_MAX_DOCUMENTS - 1) + 1);
        sk_docs_free(&docs);
        memcpy(s + ul * SK_MAX_DOCUMENTS, unit, ul);
        s[ul * (SK_MAX_DOCUMENTS + 1)] = '\0';
        sk_error err;
        assert_int_equal(parse(s, &docs, &err), SK_ELIMIT);
        assert_non_null(strstr(tu_err_line(&err), "more than 4096 documents"));
        assert_non_null(strstr(tu_err_line(&err), "document 4097: line "));
        assert_int_equal(docs.n, 0);
        free(s);
    }
    /* empty YAML documents do not count */
    char *s = malloc(4 * (2 * SK_MAX_DOCUMENTS) + 8);
    assert_non_null(s);
    for (size_t i = 0; i < 2 * SK_MAX_DOCUMENTS; i++)
        memcpy(s + 4 * i, "---\n", 4);
    memcpy(s + 8 * SK_MAX_DOCUMENTS, "a: 1\n", 6);
    sk_docs docs;
    parse_ok(s, 8 * SK_MAX_DOCUMENTS + 5, 1, &docs);
    assert_int_equal(docs.line[0], 2 * SK_MAX_DOCUMENTS + 1);
    sk_docs_free(&docs);
    free(s);
}

static void test_node_limit(void **state)
{
    (void)state;
    /* a mapping, its key, a sequence and n items: n + 3 nodes */
    for (int json = 0; json <= 1; json++) {
        size_t items = SK_MAX_NODES - 3;
        char *s = malloc(2 * items + 32);
        assert_non_null(s);
        size_t n = (size_t)sprintf(s, json ? "{\"a\": [" : "a: [");
        for (size_t i = 0; i < items; i++) {
            s[n++] = '0';
            s[n++] = ',';
        }
        s[n - 1] = ']';
        n += (size_t)sprintf(s + n, json ? "}" : "\n");
        sk_docs docs;
        parse_ok(s, n, 1, &docs);
        sk_docs_free(&docs);
        /* one more item */
        memcpy(s + n - 2, json ? ",0]}" : ",0]\n", 4);
        sk_error err;
        int rc = parse_n(s, n + 2, &docs, &err);
        if (rc != SK_ELIMIT) print_error("%s\n", tu_err_line(&err));
        assert_int_equal(rc, SK_ELIMIT);
        assert_non_null(strstr(tu_err_line(&err), "more than 1000000 nodes"));
        assert_non_null(strstr(tu_err_line(&err), "document 1: line 1"));
        free(s);
    }
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_maxrss;
}

/*
 * jansson has no node limit and spends ~250 bytes on an empty object: 31 MB of "{}," took
 * 2.5 GB and 15 s before the finished tree was checked. The limits must hold while parsing.
 */
static void test_json_limits_while_parsing(void **state)
{
    (void)state;
    size_t items = (size_t)31 * 1024 * 1024 / 3;
    char *s = malloc(3 * items + 16);
    assert_non_null(s);
    size_t n = (size_t)sprintf(s, "{\"a\": [");
    for (size_t i = 0; i < items; i++) {
        memcpy(s + n, "{},", 3);
        n += 3;
    }
    memcpy(s + n - 1, "]}", 2);
    n++;
    long before = peak_rss_kb();
    sk_docs docs;
    sk_error err;
    assert_int_equal(parse_n(s, n, &docs, &err), SK_ELIMIT);
    assert_non_null(strstr(tu_err_line(&err), SRC ": document 1: line 1: more than 1000000 nodes"));
    /* Far below what building even the first million empty objects would take. */
    assert_true(peak_rss_kb() - before < 64 * 1024);
    free(s);
    /* Brackets, commas and colons inside strings, escaped quotes included, are not nodes. */
    size_t len = 2 * (size_t)SK_MAX_NODES + 64;
    s = malloc(len);
    assert_non_null(s);
    n = (size_t)sprintf(s, "{\"a\\\"[\": \"\\\"");
    for (size_t i = 0; i < (size_t)SK_MAX_NODES; i++) {
        memcpy(s + n, i % 2 ? "[," : "{:", 2);
        n += 2;
    }
    n += (size_t)sprintf(s + n, "\"}\n{\"b\": [[[]]]}");
    parse_ok(s, n, 2, &docs);
    assert_int_equal(json_string_length(json_object_get(docs.doc[0], "a\"[")),
                     1 + 2 * (size_t)SK_MAX_NODES);
    sk_docs_free(&docs);
    free(s);
    /* Depth is refused before jansson's own limit of 2048 is reached. */
    s = malloc(4096 + 16);
    assert_non_null(s);
    n = (size_t)sprintf(s, "{\"a\": ");
    for (size_t i = 0; i < 3000; i++)
        s[n++] = '[';
    expect_error_n(s, n, SK_ELIMIT, 1, 1, "nesting deeper than 64 levels");
    free(s);
}

static void test_source_prefix(void **state)
{
    (void)state;
    sk_docs docs;
    sk_error err = {0};
    const char *text = "a: 1\na: 2\n";
    assert_int_equal(sk_docs_parse((const unsigned char *)text, strlen(text), NULL, &docs, &err),
                     SK_EPARSE);
    assert_string_equal(tu_err_line(&err), "document 1: line 2: duplicate key \"a\"");
    /* The place is in fields, not only in the text: callers never parse the message. */
    assert_string_equal(err.msg, "duplicate key \"a\"");
    assert_int_equal(err.document, 1);
    assert_int_equal(err.item, 0);
    assert_int_equal(err.line, 2);
    assert_string_equal(err.source, "");
    assert_int_equal(
        sk_docs_parse((const unsigned char *)text, strlen(text), "<stdin>", &docs, &err),
        SK_EPARSE);
    assert_string_equal(tu_err_line(&err), "<stdin>: document 1: line 2: duplicate key \"a\"");
    assert_string_equal(err.source, "<stdin>");
}

int main(void)
{
    if (sk_init() != SK_OK || sk_json_wipe_on_free() != SK_OK) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_doc),
        cmocka_unit_test(test_multi_doc_file),
        cmocka_unit_test(test_multi_doc_inline),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_bom_crlf_file),
        cmocka_unit_test(test_bom_json_and_detection),
        cmocka_unit_test(test_utf16_refused),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_root_scalar_and_sequence),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_json_stream_file),
        cmocka_unit_test(test_json_stream_inline),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_values_not_in_messages),
        cmocka_unit_test(test_interop_files),
        cmocka_unit_test(test_plain_scalars),
        cmocka_unit_test(test_quoted_and_block_scalars),
        cmocka_unit_test(test_keys_are_literal_strings),
        cmocka_unit_test(test_string_map_keys_must_be_strings),
        cmocka_unit_test(test_nul_in_string_map_values),
        cmocka_unit_test(test_core_tags),
        cmocka_unit_test(test_merge_and_nonfinite),
        cmocka_unit_test(test_yaml_duplicate_keys),
        cmocka_unit_test(test_anchors_and_aliases),
        cmocka_unit_test(test_non_scalar_keys),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_deep_flow_nesting),
        cmocka_unit_test(test_document_limit),
        cmocka_unit_test(test_node_limit),
        cmocka_unit_test(test_json_limits_while_parsing),
        cmocka_unit_test(test_source_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
