/* Where each encryptedData value is, in bytes: the splice of reseal depends on it. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"
#include "formats/doc_spans.h"

/* The span of (document, item, key) in buf, copied out (key NULL); 0 when there is none. */
static int span_of(const char *buf, size_t document, size_t item, const char *key, sk_span *out)
{
    sk_spans s;
    sk_docs docs;
    sk_error err = {0};
    assert_int_equal(
        sk_docs_parse_spans((const unsigned char *)buf, strlen(buf), "t", &docs, &s, &err), SK_OK);
    const sk_span *sp = sk_spans_find(&s, document, item, key);
    if (sp != NULL) *out = *sp, out->key = NULL;
    sk_spans_free(&s);
    sk_docs_free(&docs);
    return sp != NULL;
}

/* The text of (document, item, key) in buf, as the span says ("" when there is none). */
static const char *text_of(const char *buf, size_t document, size_t item, const char *key)
{
    static char out[256];
    sk_span sp;
    out[0] = '\0';
    if (!span_of(buf, document, item, key, &sp)) return out;
    if (sp.one_line)
        snprintf(out, sizeof out, "%.*s", (int)(sp.end - sp.start), buf + sp.start);
    else
        snprintf(out, sizeof out, "(multi-line)");
    return out;
}

static size_t span_start(const char *buf, size_t document, size_t item, const char *key)
{
    sk_span sp;
    assert_true(span_of(buf, document, item, key, &sp));
    return sp.start;
}

static void test_positions_are_bytes(void **state)
{
    (void)state;
    /* Multi-byte characters, CRLF and a byte order mark come before the value. */
    const char *y =
        "\xef\xbb\xbf# \xc3\xa9\xf0\x9f\x98\x80 AgB\r\n"
        "metadata: {name: \"\xc3\xa9\", annotations: {a: 'AgB'}}\r\n"
        "spec:\r\n  encryptedData:\r\n    pw: AgB\r\n    q: \"AgC\"\r\n    s: 'AgD'\r\n";
    assert_string_equal(text_of(y, 1, 0, "pw"), "AgB");
    assert_string_equal(text_of(y, 1, 0, "q"), "AgC");
    assert_string_equal(text_of(y, 1, 0, "s"), "AgD");
    assert_string_equal(text_of(y, 1, 0, "a"), ""); /* an annotation is not encryptedData */
}

static void test_documents_and_lists(void **state)
{
    (void)state;
    /* Empty documents do not count, as in sk_docs; List items are numbered from 1. */
    const char *y = "---\n---\nspec: {encryptedData: {k: AgA}}\n---\nkind: List\nitems:\n"
                    "- spec: {encryptedData: {k: AgB}}\n- kind: ConfigMap\n"
                    "- spec:\n    encryptedData:\n      k: AgC\n      m: |\n        AgD\n";
    assert_string_equal(text_of(y, 1, 0, "k"), "AgA");
    assert_string_equal(text_of(y, 2, 1, "k"), "AgB");
    assert_string_equal(text_of(y, 2, 3, "k"), "AgC");
    assert_string_equal(text_of(y, 2, 3, "m"), "(multi-line)"); /* a block scalar */
    assert_string_equal(text_of(y, 2, 2, "k"), "");
}

/* JSON: libyaml reads the text again for positions; jansson's documents stay the model. */
static void test_json(void **state)
{
    (void)state;
    const char *j = "{\"kind\": \"List\", \"items\": [\n"
                    "\t{\"metadata\": {\"annotations\": {\"c\": \"{\\\"k\\\":\\\"AgA\\\"}\"}},\n"
                    "\t \"spec\": {\"encryptedData\": {\"k\": \"AgA\", \"s\": \"Ag\\/B\"}}},\n"
                    "\t{\"spec\": {\"encryptedData\": {\"k\": \"AgD\"}}}]}\n";
    assert_string_equal(text_of(j, 1, 1, "k"), "AgA");
    assert_string_equal(text_of(j, 1, 1, "s"), "Ag\\/B"); /* the text, escape and all */
    assert_string_equal(text_of(j, 1, 2, "k"), "AgD");
    assert_ptr_equal(strstr(j, "\"AgA\", \"s\"") + 1, j + span_start(j, 1, 1, "k"));
    /* An escape libyaml refuses (half a surrogate pair): jansson reads it, no spans. */
    const char *u = "{\"metadata\": {\"name\": \"\\ud83d\\ude00\"},\n"
                    " \"spec\": {\"encryptedData\": {\"k\": \"AgA\"}}}\n";
    assert_string_equal(text_of(u, 1, 0, "k"), "");
}

static void test_malformed(void **state)
{
    (void)state;
    sk_spans s;
    sk_docs docs;
    sk_error err = {0};
    const char *y = "spec: {encryptedData: {k: AgA}\n";
    assert_int_equal(sk_docs_parse_spans((const unsigned char *)y, strlen(y), "t", &docs, &s, &err),
                     SK_EPARSE);
    assert_int_equal(s.n, 0);
    assert_null(s.v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions_are_bytes),
        cmocka_unit_test(test_documents_and_lists),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
