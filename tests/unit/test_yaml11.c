/*
 * The YAML 1.1 plain-scalar resolver (yaml11.h) and its two users: the reader
 * (sk_doc_resolve_plain) and the writer (sk_yaml_plain_is_string). Whatever
 * the writer leaves plain, the reader must read back as that same string.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "testutil.h"
#include "formats/doc_internal.h"
#include "formats/emit_internal.h"
#include "formats/yaml11.h"

typedef struct row {
    const char *text;
    size_t len; /* 0: strlen(text) */
    sk_yaml11_tag tag;
    double value; /* BOOL 0/1, INT and FLOAT their value; NAN for .nan */
} row;

#define R(t, tag, v)                                                                               \
    {                                                                                              \
        t, 0, SK_YAML11_##tag, v                                                                   \
    }

/* go-yaml v2's answers (resolve.go), as kubeseal reads and writes them. */
static const row rows[] = {
    R("true", BOOL, 1),
    R("True", BOOL, 1),
    R("TRUE", BOOL, 1),
    R("tRUE", STR, 0),
    R("yes", BOOL, 1),
    R("y", BOOL, 1),
    R("Y", BOOL, 1),
    R("y?", STR, 0),
    R("yES", STR, 0),
    R("on", BOOL, 1),
    R("On", BOOL, 1),
    R("off", BOOL, 0),
    R("OFF", BOOL, 0),
    R("no", BOOL, 0),
    R("n", BOOL, 0),
    R("false", BOOL, 0),
    R("O", STR, 0),
    R("null", NULL, 0),
    R("Null", NULL, 0),
    R("NULL", NULL, 0),
    R("nULL", STR, 0),
    R("~", NULL, 0),
    R("", NULL, 0),
    R("0", INT, 0),
    R("-0", INT, 0),
    R("+12", INT, 12),
    R("-17", INT, -17),
    R("0x1F", INT, 31),
    R("0X1f", INT, 31),
    R("-0x10", INT, -16),
    R("0o17", INT, 15),
    R("017", INT, 15),
    R("1_000", INT, 1000),
    R("0x_1F", INT, 31),
    R("1_", INT, 1),
    R("0b101", INT, 5),
    R("-0b11", INT, -3),
    R("0b-101", INT, -5),
    R("0b+1", INT, 1),
    R("-0b-1", STR, 0),
    R("-0b+1", STR, 0),
    R("0b", STR, 0),
    R("0b2", STR, 0),
    R("0x", STR, 0),
    R("0o8", STR, 0),
    R("9223372036854775807", INT, 9223372036854775807.0),
    R("-9223372036854775808", INT, -9223372036854775808.0),
    R("9223372036854775808", INT, 9223372036854775808.0),
    R("18446744073709551615", INT, 18446744073709551615.0),
    R("18446744073709551616", FLOAT, 18446744073709551616.0),
    R("0x10000000000000000", STR, 0),
    R("1e3", FLOAT, 1000),
    R("1E+3", FLOAT, 1000),
    R("1.", FLOAT, 1),
    R("1.5", FLOAT, 1.5),
    R("08", FLOAT, 8),
    R("1_0.5", FLOAT, 10.5),
    R(".5", FLOAT, 0.5),
    R("+.5", FLOAT, 0.5),
    R("-.5e1", FLOAT, -5),
    R(".5_5", FLOAT, 0.55),
    R("1e999", STR, 0),
    R(".5e999", STR, 0),
    R("1e", STR, 0),
    R(".", STR, 0),
    R(".e3", STR, 0),
    R("._5", STR, 0),
    R(".5_", STR, 0),
    R(".inf", FLOAT, INFINITY),
    R(".Inf", FLOAT, INFINITY),
    R("+.INF", FLOAT, INFINITY),
    R("-.Inf", FLOAT, -INFINITY),
    R(".NaN", FLOAT, NAN),
    R(".nan", FLOAT, NAN),
    R("+.nan", STR, 0),
    R(".Infinity", STR, 0),
    R("inf", STR, 0),
    R("NaN", STR, 0),
    R("1:30", STR, 0),
    R("190:20:30", STR, 0),
    R("<<", STR, 0),
    R("=", STR, 0),
    R("-", STR, 0),
    R("+", STR, 0),
    R("+-1", STR, 0),
    R("_1", STR, 0),
    R("12abc", STR, 0),
    R("1.2.3", STR, 0),
    R("0.0.0.0", STR, 0),
    R("v1", STR, 0),
    R("2001-12-14", TIMESTAMP, 0),
    R("2001-1-2", TIMESTAMP, 0),
    R("2001-12-14T21:59:43Z", TIMESTAMP, 0),
    R("2001-12-14t21:59:43.10-05:00", TIMESTAMP, 0),
    R("2001-12-14 21:59:43.10", TIMESTAMP, 0),
    R("2000-02-29", TIMESTAMP, 0),
    R("2001-02-29", STR, 0),
    R("2001-13-01", STR, 0),
    R("2001-12-14T", STR, 0),
    R("12001-12-14", STR, 0),
    {"yes\0x", 5, SK_YAML11_STR, 0},
    {"1\0", 2, SK_YAML11_STR, 0},
    {".5\0", 3, SK_YAML11_STR, 0},
};

static size_t row_len(const row *r)
{
    return r->len ? r->len : strlen(r->text);
}

static void check_value(const row *r, const sk_yaml11_value *v)
{
    switch (r->tag) {
    case SK_YAML11_BOOL:
        assert_int_equal(v->boolean, (int)r->value);
        break;
    case SK_YAML11_INT:
        if (v->is_unsigned)
            assert_true((double)v->u == r->value);
        else
            assert_true((double)v->i == r->value);
        break;
    case SK_YAML11_FLOAT:
        assert_true(isnan(r->value) ? isnan(v->f) : v->f == r->value);
        break;
    default:
        break;
    }
}

static void test_resolve_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const row *r = &rows[i];
        sk_yaml11_value v;
        sk_yaml11_tag got = sk_yaml11_resolve(r->text, row_len(r), &v);
        if (got != r->tag) fail_msg("\"%s\" resolved as %d, not %d", r->text, got, r->tag);
        check_value(r, &v);
        assert_int_equal(sk_yaml11_resolve(r->text, row_len(r), NULL), got);
    }
}

/* The reader's JSON value for a row matches the resolver's tag. */
static void check_reader(const row *r)
{
    json_t *j = NULL;
    int rc = sk_doc_resolve_plain(r->text, row_len(r), &j);
    if (r->tag == SK_YAML11_FLOAT && !isfinite(r->value)) {
        assert_int_equal(rc, SK_EINVAL);
        assert_null(j);
        return;
    }
    assert_int_equal(rc, SK_OK);
    switch (r->tag) {
    case SK_YAML11_NULL:
        assert_true(json_is_null(j));
        break;
    case SK_YAML11_BOOL:
        assert_true(json_is_boolean(j) && json_is_true(j) == (r->value != 0));
        break;
    case SK_YAML11_INT:
    case SK_YAML11_FLOAT:
        assert_true(json_is_number(j) && json_number_value(j) == r->value);
        break;
    default: /* strings, and timestamps: the text itself */
        assert_true(json_is_string(j));
        assert_int_equal(json_string_length(j), row_len(r));
        assert_memory_equal(json_string_value(j), r->text, row_len(r));
    }
    json_decref(j);
}

static void test_reader_follows_resolver(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (memchr(rows[i].text, '\0', row_len(&rows[i])) == NULL) check_reader(&rows[i]);
}

/* The writer's decision: plain only for strings, and not for base-60 look-alikes. */
static void test_writer_follows_resolver(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const row *r = &rows[i];
        /* The table's strings with a ':' are all base-60 look-alikes. */
        int want = r->tag == SK_YAML11_STR && row_len(r) > 0 && strchr(r->text, ':') == NULL;
        if (sk_yaml_plain_is_string(r->text, row_len(r)) != want)
            fail_msg("writer: \"%s\" plain should be %d", r->text, want);
    }
}

/* s as a string value through sk_emit_yaml and back through the reader. */
static void assert_round_trip(const char *s, size_t n)
{
    json_t *doc = json_object();
    assert_non_null(doc);
    assert_int_equal(json_object_set_new(doc, "v", json_stringn(s, n)), 0);
    sk_secbuf y = SK_SECBUF_INIT;
    sk_error err = {0};
    assert_int_equal(sk_emit_yaml(doc, &y, &err), SK_OK);
    sk_docs docs = {0};
    if (sk_docs_parse(y.data, y.len, "rt", &docs, &err) != SK_OK)
        fail_msg("\"%.*s\" written as %.*s does not read back: %s", (int)n, s, (int)y.len,
                 (const char *)y.data, err.msg);
    const json_t *v = json_object_get(docs.doc[0], "v");
    if (!json_is_string(v) || json_string_length(v) != n || memcmp(json_string_value(v), s, n) != 0)
        fail_msg("\"%.*s\" written as %.*s reads back as another value", (int)n, s, (int)y.len,
                 (const char *)y.data);
    sk_docs_free(&docs);
    sk_secbuf_free(&y);
    json_decref(doc);
}

static void test_table_round_trips(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (memchr(rows[i].text, '\0', row_len(&rows[i])) == NULL)
            assert_round_trip(rows[i].text, row_len(&rows[i]));
}

/*
 * Every string of up to 4 bytes over the characters that steer resolution:
 * when the writer says plain, the reader must read that same string. Up to 2
 * bytes the texts also go through the real writer and reader.
 */
static void test_all_short_strings_agree(void **state)
{
    (void)state;
    static const char alphabet[] = "01789+-._eExXbBoO:TtZ~yn <";
    const size_t k = sizeof alphabet - 1;
    char s[4];
    size_t checked = 0;
    for (size_t len = 1; len <= 4; len++) {
        size_t total = 1;
        for (size_t i = 0; i < len; i++)
            total *= k;
        for (size_t code = 0; code < total; code++) {
            for (size_t i = 0, c = code; i < len; i++, c /= k)
                s[i] = alphabet[c % k];
            if (len <= 2) assert_round_trip(s, len);
            if (!sk_yaml_plain_is_string(s, len)) continue;
            json_t *j = NULL;
            assert_int_equal(sk_doc_resolve_plain(s, len, &j), SK_OK);
            if (!json_is_string(j) || json_string_length(j) != len ||
                memcmp(json_string_value(j), s, len) != 0)
                fail_msg("\"%.*s\" is written plain but not read back as itself", (int)len, s);
            json_decref(j);
            checked++;
        }
    }
    assert_true(checked > 100000);
}

int main(void)
{
    assert_int_equal(sk_init(), SK_OK);
    assert_int_equal(sk_json_wipe_on_free(), SK_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve_table),
        cmocka_unit_test(test_reader_follows_resolver),
        cmocka_unit_test(test_writer_follows_resolver),
        cmocka_unit_test(test_table_round_trips),
        cmocka_unit_test(test_all_short_strings_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
