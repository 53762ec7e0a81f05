/*
 * Replays fuzzer inputs without libFuzzer: every kept crasher in
 * tests/data/regress/ (named <target>-<what>) and every seed of
 * fuzz/corpus/<target>/ goes through the same entry point the fuzzer calls.
 * The entry points abort on a broken invariant and ASan/UBSan catch memory
 * errors in the sanitizer build, so a regression fails this test.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>

#include "testutil.h"

/* The harness is compiled into this test so that it runs the fuzzers' exact code. */
#include "../../fuzz/harness.c" // NOLINT(bugprone-suspicious-include): the fuzzers' own code

#define FUZZ_DIR SK_TEST_DATA_DIR "/../../fuzz"
#define REGRESS_DIR SK_TEST_DATA_DIR "/regress"

static const fuzz_target *target_named(const char *name, size_t len)
{
    for (const fuzz_target *t = fuzz_targets; t->name != NULL; t++) {
        if (strlen(t->name) == len && strncmp(t->name, name, len) == 0) return t;
    }
    return NULL;
}

/* Runs one file through t; returns 1 (a crash does not return). */
static size_t replay(const fuzz_target *t, const char *dir, const char *file)
{
    char *path = tu_path(dir, file);
    size_t len = 0;
    char *text = tu_read_file(path, &len);
    /* An exact-size copy, as libFuzzer passes it, so that over-reads are caught. */
    uint8_t *data = malloc(len > 0 ? len : 1);
    assert_non_null(data);
    memcpy(data, text, len);
    assert_int_equal(t->run(data, len), 0);
    free(data), free(text), free(path);
    return 1;
}

static int is_input(const struct dirent *e)
{
    return e->d_name[0] != '.' && strcmp(e->d_name, "README.md") != 0;
}

/* Every file of dir through t, or through the target its name starts with when t is NULL. */
static size_t replay_dir(const fuzz_target *t, const char *dir)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, is_input, alphasort);
    assert_true(n >= 0);
    size_t done = 0;
    for (int i = 0; i < n; i++) {
        const fuzz_target *run = t;
        if (run == NULL) {
            const char *dash = strchr(list[i]->d_name, '-');
            if (dash != NULL) run = target_named(list[i]->d_name, (size_t)(dash - list[i]->d_name));
            if (run == NULL)
                fail_msg("%s/%s: name does not start with a target", dir, list[i]->d_name);
        }
        done += replay(run, dir, list[i]->d_name);
        free(list[i]);
    }
    free(list);
    return done;
}

static void test_kept_crashers(void **state)
{
    (void)state;
    replay_dir(NULL, REGRESS_DIR);
}

static void test_seed_corpora(void **state)
{
    (void)state;
    for (const fuzz_target *t = fuzz_targets; t->name != NULL; t++) {
        char *dir = tu_path(FUZZ_DIR "/corpus", t->name);
        assert_true(replay_dir(t, dir) > 0);
        free(dir);
    }
}

/* Without both fuzz-only keys the seal and unseal round trips would check nothing. */
static void test_keys_loaded(void **state)
{
    (void)state;
    assert_int_equal(sk_keyring_count(G.ring), 2);
    assert_non_null(G.cert_a);
    assert_non_null(G.cert_b);
    assert_string_not_equal(sk_pubkey_fingerprint(G.cert_a), sk_pubkey_fingerprint(G.cert_b));
}

/* The read-back invariant compares numbers by value and everything else exactly. */
static void test_tree_comparison(void **state)
{
    (void)state;
    json_t *a = json_pack("{s:i, s:[s, b, n], s:{s:s}}", "n", 5, "l", "x", 1, "o", "k", "v");
    json_t *b = json_pack("{s:f, s:[s, b, n], s:{s:s}}", "n", 5.0, "l", "x", 1, "o", "k", "v");
    json_t *c = json_pack("{s:i, s:[s, b, n], s:{s:s}}", "n", 5, "l", "x", 0, "o", "k", "v");
    json_t *d = json_pack("{s:i, s:[s, b, n], s:{s:s}}", "n", 5, "l", "x", 1, "o", "K", "v");
    json_t *e = json_pack("{s:i, s:[s, b], s:{s:s}}", "n", 5, "l", "x", 1, "o", "k", "v");
    json_t *f = json_pack("{s:s#}", "s", "a\0b", (int)3);
    json_t *g = json_pack("{s:s#}", "s", "a\0c", (int)3);
    assert_true(same_tree(a, b) && same_tree(b, a));
    assert_false(same_tree(a, c));
    assert_false(same_tree(a, d));
    assert_false(same_tree(a, e) || same_tree(e, a));
    assert_false(same_tree(f, g));
    assert_false(same_tree(json_object_get(a, "n"), json_object_get(a, "l")));
    json_t *huge = json_pack("[i, {s:[f]}]", 1, "x", 1e19);
    json_t *merge = json_pack("[{s:{s:i}}]", "a", "<<", 1);
    assert_true(any_node(huge, is_huge_integral_real));
    assert_false(any_node(a, is_huge_integral_real) || any_node(b, is_huge_integral_real));
    assert_true(any_node(merge, is_merge_key));
    assert_false(any_node(huge, is_merge_key) || any_node(a, is_merge_key));
    json_decref(huge), json_decref(merge), json_decref(a), json_decref(b), json_decref(c),
        json_decref(d), json_decref(e);
    json_decref(f), json_decref(g);
}

static int setup(void **state)
{
    (void)state;
    return fuzz_setup(FUZZ_DIR "/keys");
}

static int teardown(void **state)
{
    (void)state;
    fuzz_teardown();
    return 0;
}

int main(void)
{
    if (sk_init() != SK_OK || sk_json_wipe_on_free() != SK_OK) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_loaded),
        cmocka_unit_test(test_tree_comparison),
        cmocka_unit_test(test_kept_crashers),
        cmocka_unit_test(test_seed_corpora),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
