/* Calendar helpers (timeutil.h) shared by certificates, key files and sk_time_parse. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/asn1.h>

#include "testutil.h"
#include "core/timeutil.h"

static void test_civil(void **state)
{
    (void)state;
    int64_t t = -5;
    assert_true(sk_civil_to_unix(1970, 1, 1, 0, 0, 0, &t));
    assert_int_equal(t, 0);
    assert_true(sk_civil_to_unix(2024, 2, 29, 23, 59, 59, &t));
    assert_int_equal(t, 1709251199);
    assert_true(sk_civil_to_unix(2000, 2, 29, 0, 0, 0, &t));
    static const int bad[][6] = {
        {2023, 2, 29, 0, 0, 0}, {1900, 2, 29, 0, 0, 0}, {2024, 0, 1, 0, 0, 0},
        {2024, 13, 1, 0, 0, 0}, {2024, 4, 31, 0, 0, 0}, {2024, 1, 0, 0, 0, 0},
        {2024, 1, 1, 24, 0, 0}, {2024, 1, 1, 0, 60, 0}, {2024, 1, 1, 0, 0, 60},
        {2024, 1, 1, -1, 0, 0}, {-1, 1, 1, 0, 0, 0},    {2024, -1, 1, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const int *f = bad[i];
        t = 42;
        if (sk_civil_to_unix(f[0], f[1], f[2], f[3], f[4], f[5], &t))
            fail_msg("%04d-%02d-%02d %02d:%02d:%02d accepted", f[0], f[1], f[2], f[3], f[4], f[5]);
        assert_int_equal(t, 42);
    }
    /* timegm's error value is also a real second; it stays refused, as before the move. */
    assert_false(sk_civil_to_unix(1969, 12, 31, 23, 59, 59, &t));
}

static void test_asn1(void **state)
{
    (void)state;
    int64_t t = 0;
    ASN1_TIME *a = ASN1_TIME_new();
    assert_non_null(a);
    assert_true(ASN1_TIME_set_string(a, "20491231235959Z")); /* GeneralizedTime */
    assert_true(sk_asn1_to_unix(a, &t));
    assert_int_equal(t, 2524607999);
    assert_true(ASN1_TIME_set_string(a, "700101000000Z")); /* UTCTime */
    assert_true(sk_asn1_to_unix(a, &t));
    assert_int_equal(t, 0);
    ASN1_TIME_free(a);
    assert_false(sk_asn1_to_unix(NULL, &t));
}

int main(void)
{
    assert_int_equal(sk_init(), SK_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil),
        cmocka_unit_test(test_asn1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
