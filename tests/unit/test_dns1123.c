/* DNS-1123 names (dns1123.h): the edges, and the rules the two old copies did not share. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"
#include "core/dns1123.h"

/* A string of n copies of c (static buffer, n < 300). */
static const char *rep(char c, size_t n)
{
    static char buf[300];
    assert_true(n < sizeof buf);
    memset(buf, c, n);
    buf[n] = '\0';
    return buf;
}

static void test_label(void **state)
{
    (void)state;
    static const char *const good[] = {"a", "0", "kube-system", "a-b", "a--b", "0a", "a0", "9-9"};
    static const char *const bad[] = {"",   "-",  "-a",  "a-",   "A",  "kube_system", "a.b",
                                      ".a", "a.", "a b", "\xe9", "aé", "a\n",         "Kube"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!sk_dns1123_label(good[i])) fail_msg("label \"%s\" refused", good[i]);
        if (!sk_dns1123_subdomain(good[i])) fail_msg("subdomain \"%s\" refused", good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sk_dns1123_label(bad[i])) fail_msg("label \"%s\" accepted", bad[i]);
    assert_false(sk_dns1123_label(NULL));
    assert_true(sk_dns1123_label(rep('a', 63)));
    assert_false(sk_dns1123_label(rep('a', 64)));
}

static void test_subdomain(void **state)
{
    (void)state;
    static const char *const good[] = {"a.b", "my-key.v2", "a.b.c", "0.0", "a-1.b-2"};
    static const char *const bad[] = {"",    ".",   "a..b", ".a",  "a.",  "a.-b", "a-.b",
                                      "a_b", "A.b", "a.B",  "a b", "a/b", "a.b-"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!sk_dns1123_subdomain(good[i])) fail_msg("subdomain \"%s\" refused", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sk_dns1123_subdomain(bad[i])) fail_msg("subdomain \"%s\" accepted", bad[i]);
    assert_false(sk_dns1123_subdomain(NULL));
    assert_true(sk_dns1123_subdomain(rep('a', 253)));
    assert_false(sk_dns1123_subdomain(rep('a', 254)));
    /* A part may be longer than a label (Kubernetes checks only the whole). */
    char long_part[400];
    snprintf(long_part, sizeof long_part, "%s.b", rep('a', 100));
    assert_true(sk_dns1123_subdomain(long_part));
    /* 253 bytes of dotted labels, and one more. */
    char dotted[300];
    for (size_t i = 0; i < 253; i++)
        dotted[i] = i % 2 ? '.' : 'a';
    dotted[253] = '\0';
    assert_true(sk_dns1123_subdomain(dotted));
    dotted[253] = '.';
    dotted[254] = 'a';
    dotted[255] = '\0';
    assert_false(sk_dns1123_subdomain(dotted));
}

int main(void)
{
    assert_int_equal(sk_init(), SK_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label),
        cmocka_unit_test(test_subdomain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
