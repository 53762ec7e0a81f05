/* PEM framing (pem.h): block boundaries and labels on well-formed and hostile texts. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "testutil.h"
#include "formats/pem.h"

#define B(label) "-----BEGIN " label "-----"
#define E(label) "-----END " label "-----"

/* The next block of text from *pos, which must exist; returns it. */
static sk_pem_block next_ok(const char *text, size_t *pos, const char *label)
{
    sk_pem_block b;
    assert_int_equal(sk_pem_next(text, strlen(text), pos, label, &b), 1);
    assert_int_equal(*pos, b.end);
    return b;
}

static void assert_label(const sk_pem_block *b, const char *want)
{
    assert_int_equal(b->label_len, strlen(want));
    assert_memory_equal(b->label, want, b->label_len);
}

static void assert_no_more(const char *text, size_t pos, const char *label)
{
    sk_pem_block b;
    size_t before = pos;
    assert_int_equal(sk_pem_next(text, strlen(text), &pos, label, &b), 0);
    assert_int_equal(pos, before);
}

static void test_two_blocks_with_junk(void **state)
{
    (void)state;
    const char *t = "junk\n" B("CERTIFICATE") "\nQUJD\n" E("CERTIFICATE") "\nmore junk -----\n" B(
        "RSA PRIVATE KEY") "\nQUJD\n" E("RSA PRIVATE KEY") "\ntrailer";
    size_t pos = 0;
    sk_pem_block b = next_ok(t, &pos, NULL);
    assert_label(&b, "CERTIFICATE");
    assert_int_equal(b.begin, 5);
    assert_true(b.framed && b.complete);
    assert_memory_equal(t + b.end - strlen(E("CERTIFICATE")), E("CERTIFICATE"),
                        strlen(E("CERTIFICATE")));
    b = next_ok(t, &pos, NULL);
    assert_label(&b, "RSA PRIVATE KEY");
    assert_true(b.complete);
    assert_int_equal(strcmp(t + b.end, "\ntrailer"), 0);
    assert_no_more(t, pos, NULL);
    assert_true(sk_pem_present(t, strlen(t)));
}

static void test_label_filter_steps_over_others(void **state)
{
    (void)state;
    /* An unterminated key block must not hide the certificate after it. */
    const char *t = B("RSA PRIVATE KEY") "\nQUJD\n" B("CERTIFICATE") "\nQUJD\n" E(
        "CERTIFICATE") "\n" B("CERTIFICATEX") "\n" B("CERTIFICATE") "\nQUJD\n";
    size_t pos = 0;
    sk_pem_block b = next_ok(t, &pos, "CERTIFICATE");
    assert_int_equal(b.begin, strlen(B("RSA PRIVATE KEY") "\nQUJD\n"));
    assert_true(b.complete);
    b = next_ok(t, &pos, "CERTIFICATE");
    assert_false(b.complete); /* the last one has no END: it runs to the end */
    assert_int_equal(b.end, strlen(t));
    assert_no_more(t, pos, "CERTIFICATE");
    /* Unfiltered, the unterminated key block swallows the rest. */
    pos = 0;
    b = next_ok(t, &pos, NULL);
    assert_label(&b, "RSA PRIVATE KEY");
    assert_false(b.complete);
    assert_int_equal(b.end, strlen(t));
}

static void test_missing_and_mismatched_end(void **state)
{
    (void)state;
    const char *t = B("CERTIFICATE") "\nQUJD\n" E("PUBLIC KEY") "\n";
    size_t pos = 0;
    sk_pem_block b = next_ok(t, &pos, NULL);
    assert_true(b.framed);
    assert_false(b.complete);
    assert_int_equal(b.end, strlen(t));
    assert_no_more(t, pos, NULL);
}

static void test_nested_begin(void **state)
{
    (void)state;
    const char *t = B("A") "\n" B("B") "\nQUJD\n" E("B") "\n" E("A") "\n";
    size_t pos = 0;
    sk_pem_block b = next_ok(t, &pos, NULL);
    assert_label(&b, "A"); /* the outer block, up to its own END */
    assert_true(b.complete);
    assert_int_equal(b.end, strlen(t) - 1);
    assert_no_more(t, pos, NULL);
    pos = 0;
    b = next_ok(t, &pos, "B"); /* the inner one, when asked for by name */
    assert_int_equal(b.begin, strlen(B("A") "\n"));
    assert_int_equal(b.end, strlen(B("A") "\n" B("B") "\nQUJD\n" E("B")));
}

static void test_crlf(void **state)
{
    (void)state;
    const char *t = B("CERTIFICATE") "\r\nQUJD\r\n" E("CERTIFICATE") "\r\n";
    size_t pos = 0;
    sk_pem_block b = next_ok(t, &pos, "CERTIFICATE");
    assert_label(&b, "CERTIFICATE");
    assert_true(b.complete);
    assert_int_equal(b.end, strlen(t) - 2);
    /* A label stops at CR or LF: a BEGIN line cut there is not framed. */
    const char *cut = "-----BEGIN CERT\r\n-----END CERT-----\r\n";
    pos = 0;
    b = next_ok(cut, &pos, NULL);
    assert_label(&b, "CERT");
    assert_false(b.framed);
    assert_false(b.complete);
    assert_int_equal(b.end, strlen("-----BEGIN CERT"));
    assert_no_more(cut, pos, NULL);
    pos = 0;
    assert_no_more(cut, pos, "CERT");
}

static void test_truncated(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "",
        "-",
        "-----BEG",
        "-----BEGIN",
        "-----BEGIN ",
        "-----BEGIN CERTIFICATE",
        "-----BEGIN CERTIFICATE----",
        "-----BEGIN CERTIFICATE-----",
        "-----BEGIN X-----\nQUJD\n-----END X---",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        const char *t = texts[i];
        size_t len = strlen(t);
        /* An exact-size copy: any read past len is a heap overflow under ASan. */
        char *copy = malloc(len > 0 ? len : 1);
        assert_non_null(copy);
        memcpy(copy, t, len); // NOLINT(bugprone-not-null-terminated-result): no NUL, on purpose
        size_t pos = 0;
        sk_pem_block b;
        int got = sk_pem_next(copy, len, &pos, NULL, &b);
        assert_int_equal(got, len >= strlen("-----BEGIN ") && strncmp(t, "-----BEGIN ", 11) == 0);
        assert_int_equal(sk_pem_present(copy, len), got);
        if (got) {
            assert_true(b.end <= len);
            assert_false(b.complete);
            assert_true(b.label + b.label_len <= copy + len);
        }
        assert_int_equal(sk_pem_next(copy, len, &pos, "X", &b), 0);
        free(copy);
    }
    assert_false(sk_pem_present(NULL, 0));
    size_t pos = 0;
    sk_pem_block b;
    assert_int_equal(sk_pem_next(NULL, 0, &pos, NULL, &b), 0);
}

static void test_shared_dashes_and_empty_label(void **state)
{
    (void)state;
    /* The END line may start on the BEGIN line's closing dashes. */
    const char *t = "-----BEGIN X-----END X-----";
    size_t pos = 0;
    sk_pem_block b = next_ok(t, &pos, "X");
    assert_true(b.complete);
    assert_int_equal(b.end, strlen(t));
    const char *empty = "-----BEGIN -----\nQUJD\n-----END -----\n";
    pos = 0;
    b = next_ok(empty, &pos, NULL);
    assert_int_equal(b.label_len, 0);
    assert_true(b.framed && b.complete);
}

static void test_long_label_is_bounded(void **state)
{
    (void)state;
    size_t n = 100000;
    char *t = malloc(n);
    assert_non_null(t);
    memset(t, 'A', n);
    memcpy(t, "-----BEGIN ", 11); // NOLINT(bugprone-not-null-terminated-result): not a C string
    size_t pos = 0;
    sk_pem_block b;
    assert_int_equal(sk_pem_next(t, n, &pos, NULL, &b), 1);
    assert_int_equal(b.label_len, SK_PEM_LABEL_MAX);
    assert_false(b.framed);
    assert_int_equal(sk_pem_next(t, n, &pos, NULL, &b), 0);
    free(t);
}

/* 1 MiB of BEGIN lines, framed and not, and none closed: must stay linear. */
static void test_many_begins_linear(void **state)
{
    (void)state;
    static const char *const units[] = {"-----BEGIN ", B("X") "\n", B("CERTIFICATE") "x"};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t ul = strlen(units[u]), n = (size_t)1 << 20;
        char *t = malloc(n);
        assert_non_null(t);
        for (size_t i = 0; i < n; i++)
            t[i] = units[u][i % ul];
        clock_t start = clock();
        size_t pos = 0, blocks = 0;
        sk_pem_block b;
        while (sk_pem_next(t, n, &pos, "CERTIFICATE", &b))
            blocks++;
        pos = 0;
        while (sk_pem_next(t, n, &pos, NULL, &b))
            blocks++;
        double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
        assert_true(blocks >= 1);
        assert_true(secs < 10.0); /* quadratic would take hours, even without sanitizers */
        free(t);
    }
}

int main(void)
{
    assert_int_equal(sk_init(), SK_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_blocks_with_junk),
        cmocka_unit_test(test_label_filter_steps_over_others),
        cmocka_unit_test(test_missing_and_mismatched_end),
        cmocka_unit_test(test_nested_begin),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_shared_dashes_and_empty_label),
        cmocka_unit_test(test_long_label_is_bounded),
        cmocka_unit_test(test_many_begins_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
