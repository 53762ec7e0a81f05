/* The HTTPS fetcher's refusals and errors (fetch.h); tests/cli/test_https_cert.sh fetches for real.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "testutil.h"

/* Inside the interop certificates' validity (see test_cert.c). */
#define NOW_2030 ((time_t)1893456000)

static void test_is_url(void **state)
{
    (void)state;
    assert_true(sk_is_url("https://example.com/cert.pem"));
    assert_true(sk_is_url("HTTP://example.com/"));
    assert_true(sk_is_url("git+ssh://host/x"));
    assert_true(sk_is_url("file:///etc/ssl/cert.pem"));
    assert_false(sk_is_url("/etc/ssl/cert.pem"));
    assert_false(sk_is_url("cert.pem"));
    assert_false(sk_is_url("-"));
    assert_false(sk_is_url("https:/example.com"));
    assert_false(sk_is_url("://example.com"));
    assert_false(sk_is_url("1https://example.com"));
    assert_false(sk_is_url("dir/https://x"));
    assert_false(sk_is_url(""));
    assert_false(sk_is_url(NULL));
}

/* Fetches url expecting failure with code; the message must hold needle; out ends up empty. */
static void expect_fetch_error(const char *url, int code, const char *needle, sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    assert_int_equal(sk_secbuf_puts(&out, "stale", err), SK_OK);
    assert_int_equal(sk_fetch_https(url, 4096, NULL, &out, err), code);
    assert_int_equal(err->code, code);
    if (strstr(tu_err_line(err), needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", tu_err_line(err), needle);
    assert_null(out.data);
    assert_int_equal(out.len, 0);
}

static void test_plain_http_refused(void **state)
{
    (void)state;
    sk_error err = {0};
    expect_fetch_error(
        "http://127.0.0.1:9/tls.crt", SK_EUSAGE,
        "http://127.0.0.1:9/tls.crt: refusing a http:// URL; only https:// is accepted", &err);
    assert_non_null(strstr(err.hint, "unlike kubeseal"));
    assert_non_null(strstr(err.hint, "authenticated channel"));
    expect_fetch_error("HTTP://127.0.0.1:9/tls.crt", SK_EUSAGE, "refusing a HTTP:// URL", &err);
}

static void test_other_schemes_refused(void **state)
{
    (void)state;
    sk_error err = {0};
    expect_fetch_error("file:///etc/passwd", SK_EUSAGE, "refusing a file:// URL", &err);
    assert_null(strstr(err.hint, "kubeseal"));
    assert_non_null(strstr(err.hint, "https://"));
    expect_fetch_error("ftp://127.0.0.1/tls.crt", SK_EUSAGE, "refusing a ftp:// URL", &err);
    expect_fetch_error("gopher://127.0.0.1/", SK_EUSAGE, "refusing a gopher:// URL", &err);
    expect_fetch_error("cert.pem", SK_EUSAGE, "not a URL", &err);
}

static void test_malformed_https_refused(void **state)
{
    (void)state;
    sk_error err = {0};
    expect_fetch_error("https://", SK_EUSAGE, "not a valid https:// URL", &err);
    expect_fetch_error("https://exa mple.com/x", SK_EUSAGE, "not a valid https:// URL", &err);
}

/* User info, query and fragment may hold credentials: messages drop them. */
static void test_credentials_not_in_messages(void **state)
{
    (void)state;
    sk_error err = {0};
    expect_fetch_error("http://sealer:pa55word@127.0.0.1:9/c.crt?token=s3cr3t#frag", SK_EUSAGE,
                       "http://127.0.0.1:9/c.crt: refusing", &err);
    assert_null(strstr(tu_err_line(&err), "pa55word"));
    assert_null(strstr(tu_err_line(&err), "sealer"));
    assert_null(strstr(tu_err_line(&err), "s3cr3t"));
    assert_null(strstr(tu_err_line(&err), "frag"));
}

/* A port bound but not listening refuses connections at once, and nobody else can take it. */
static void test_connection_refused(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    char url[64], want[96];
    snprintf(url, sizeof url, "https://127.0.0.1:%u/c.crt", (unsigned)ntohs(a.sin_port));
    snprintf(want, sizeof want, "cannot fetch %s: ", url);
    sk_error err = {0};
    expect_fetch_error(url, SK_EIO, want, &err);
    close(fd);
}

static void test_pubkey_from_path(void **state)
{
    (void)state;
    char *path = tu_path(SK_TEST_DATA_DIR, "interop/keys/current/tls.crt");
    sk_pubkey *pk = NULL;
    sk_error err = {0};
    assert_int_equal(sk_fetch_pubkey(path, NOW_2030, &pk, &err), SK_OK);
    assert_non_null(pk);
    assert_int_equal(sk_pubkey_bits(pk), 4096);
    sk_pubkey_free(pk);
    free(path);

    pk = NULL;
    assert_int_equal(sk_fetch_pubkey("/nonexistent/tls.crt", NOW_2030, &pk, &err), SK_EIO);
    assert_null(pk);
    assert_non_null(strstr(tu_err_line(&err), "cannot read certificate /nonexistent/tls.crt"));
}

static void test_pubkey_url_refused(void **state)
{
    (void)state;
    sk_pubkey *pk = (sk_pubkey *)&pk; /* must be reset to NULL on failure */
    sk_error err = {0};
    assert_int_equal(sk_fetch_pubkey("http://127.0.0.1:9/tls.crt", NOW_2030, &pk, &err), SK_EUSAGE);
    assert_null(pk);
    assert_non_null(strstr(tu_err_line(&err), "refusing a http:// URL"));
}

int main(void)
{
    assert_int_equal(sk_init(), SK_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_url),
        cmocka_unit_test(test_plain_http_refused),
        cmocka_unit_test(test_other_schemes_refused),
        cmocka_unit_test(test_malformed_https_refused),
        cmocka_unit_test(test_credentials_not_in_messages),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_pubkey_from_path),
        cmocka_unit_test(test_pubkey_url_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
