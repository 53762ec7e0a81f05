/*
 * The rotation state machine (rotate.h), one state and one crash point at a time: a crash is
 * a rotation ended after some step (the lock goes with it, as with a killed process), or a
 * key folder left as a killed step leaves it; the next run must finish the job.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

#define DAY 86400LL
#define T0 1893456000LL /* 2030-01-01T00:00:00Z */

static char root[64], keys[96], repo[96];

static int setup(void **state)
{
    (void)state;
    if (sk_init() != SK_OK) return -1;
    snprintf(root, sizeof root, "/tmp/sk-rotate-XXXXXX");
    if (mkdtemp(root) == NULL) return -1;
    snprintf(keys, sizeof keys, "%s/keys", root);
    snprintf(repo, sizeof repo, "%s/repo", root);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd);
}

/* Each test starts from no key folder and an empty repository. */
static int fresh(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s %s/other && mkdir %s", keys, repo, root, repo);
    return system(cmd);
}

static sk_rotate_opts opts_at(int64_t now, unsigned flags)
{
    sk_rotate_opts o = SK_ROTATE_OPTS_INIT;
    o.dir = keys;
    o.now = now;
    o.max_age = 30 * DAY;
    o.bits = 2048; /* the smallest a rotation makes: the tests are about states, not sizes */
    o.flags = flags;
    return o;
}

static const char *const paths[] = {repo};

/* A whole run; returns its status and the report's key facts in the out-parameters. */
static int run(int64_t now, unsigned flags, sk_rotate_report *seen)
{
    sk_rotation *r = NULL;
    sk_error err = {0};
    sk_rotate_opts o = opts_at(now, flags);
    int rc = sk_rotate_run(&o, paths, 1, &r, &err);
    if (r != NULL) {
        *seen = *sk_rotation_report(r);
        seen->key = seen->fingerprint = NULL; /* owned by r */
        seen->reseal = (sk_reseal_tree_report){0};
        seen->reseal.totals = sk_rotation_report(r)->reseal.totals;
        seen->unopened = NULL;
        seen->temps_removed = NULL;
    }
    sk_rotate_end(r);
    return rc;
}

/* How many names in dir end with suffix. */
static int count(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t a = strlen(e->d_name), b = strlen(suffix);
        n += a >= b && strcmp(e->d_name + a - b, suffix) == 0;
    }
    closedir(d);
    return n;
}

static sk_keyring *load_ring(const char *path)
{
    sk_keyring *kr = NULL;
    sk_error err = {0};
    assert_int_equal(sk_keyring_new(&kr, &err), SK_OK);
    assert_int_equal(sk_keyring_load(kr, &path, 1, &err), SK_OK);
    return kr;
}

/* A SealedSecret demo/name with one item, sealed to the newest key of the folder dir. */
static void seal_file(const char *dir, const char *name, int64_t now)
{
    sk_keyring *kr = load_ring(dir);
    sk_pubkey *pk = NULL;
    sk_error err = {0};
    size_t newest = 0;
    char *b64 = NULL, path[256];
    assert_int_equal(sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &newest, &err), SK_OK);
    assert_int_equal(sk_keyring_pubkey(kr, newest, (time_t)now, &pk, &err), SK_OK);
    assert_int_equal(
        sk_seal_raw(pk, SK_SCOPE_STRICT, "demo", name, (const unsigned char *)"pw", 2, &b64, &err),
        SK_OK);
    snprintf(path, sizeof path, "%s/%s.yaml", repo, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: %s\n"
            "  namespace: demo\nspec:\n  encryptedData:\n    pw: %s\n",
            name, b64);
    fclose(f);
    free(b64);
    sk_pubkey_free(pk);
    sk_keyring_free(kr);
}

/* Does the ring of the key files matching only (a path) open every item of the file? */
static int opens(const char *key_path, const char *name)
{
    sk_keyring *kr = load_ring(key_path);
    char path[256];
    size_t len = 0, sealed = 0;
    sk_error err = {0};
    snprintf(path, sizeof path, "%s/%s.yaml", repo, name);
    char *text = tu_read_file(path, &len);
    int rc = sk_reseal_probe((const unsigned char *)text, len, path, kr, &sealed, &err);
    free(text);
    sk_keyring_free(kr);
    return rc == SK_OK && sealed == 1;
}

/* The key Secret file of the folder's newest key. */
static void newest_key_file(char *out, size_t size)
{
    sk_rotation *r = NULL;
    sk_error err = {0};
    sk_rotate_opts o = opts_at(T0, 0);
    o.max_age = 1000 * DAY * 365;
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_OK);
    snprintf(out, size, "%s", sk_rotation_report(r)->key);
    sk_rotate_end(r);
}

/* A key made at now in a folder of its own (root/other), as another cluster's; its key file. */
static void mint_elsewhere(int64_t now, char *key, size_t size)
{
    char other[128];
    sk_rotation *r = NULL;
    sk_error err = {0};
    snprintf(other, sizeof other, "%s/other", root);
    sk_rotate_opts o = opts_at(now, SK_ROTATE_INIT);
    o.dir = other;
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_OK);
    assert_int_equal(sk_rotate_mint(r, &err), SK_OK);
    snprintf(key, size, "%s", sk_rotation_report(r)->key);
    sk_rotate_end(r);
}

static void test_missing_folder_needs_init(void **state)
{
    (void)state;
    sk_rotation *r = NULL;
    sk_error err = {0};
    sk_rotate_opts o = opts_at(T0, 0);
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_EINVAL);
    assert_null(r);
    assert_non_null(strstr(err.hint, "--init"));
    struct stat st;
    assert_int_not_equal(stat(keys, &st), 0); /* a mistyped folder is never made */
    o.flags = SK_ROTATE_INIT;
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_OK);
    assert_int_equal(sk_rotation_report(r)->found, SK_ROTATE_DUE);
    assert_null(sk_rotation_report(r)->key);
    sk_rotate_end(r);
    assert_int_equal(stat(keys, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
}

/* A file where the key folder should be: "not a folder", not the errno of --init's mkdir. */
static void test_key_folder_is_a_file(void **state)
{
    (void)state;
    sk_rotation *r = NULL;
    sk_error err = {0};
    FILE *f = fopen(keys, "w");
    assert_non_null(f);
    fclose(f);
    sk_rotate_opts o = opts_at(T0, SK_ROTATE_INIT);
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_EINVAL);
    assert_null(r);
    assert_non_null(strstr(err.msg, "(not a folder)"));
    o.flags = 0;
    sk_error_clear(&err);
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_EINVAL);
    assert_non_null(strstr(err.msg, "(not a folder)"));
    unlink(keys);
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_EINVAL);
    assert_non_null(strstr(err.msg, "(No such file or directory)"));
}

static void test_first_key_then_fresh(void **state)
{
    (void)state;
    sk_rotate_report rep;
    assert_int_equal(run(T0, SK_ROTATE_INIT, &rep), SK_OK);
    assert_int_equal(rep.found, SK_ROTATE_DUE);
    assert_true(rep.minted && rep.rotated);
    assert_int_equal(rep.state, SK_ROTATE_FRESH);
    assert_int_equal(count(keys, ".yaml"), 1);
    assert_int_equal(count(keys, ".crt"), 1);
    /* A day later: nothing to do, nothing made, nothing announced. */
    assert_int_equal(run(T0 + DAY, 0, &rep), SK_OK);
    assert_int_equal(rep.found, SK_ROTATE_FRESH);
    assert_false(rep.minted || rep.rotated);
    assert_int_equal(rep.key_age, DAY);
    assert_int_equal(count(keys, ".yaml"), 1);
}

static void test_due_reseals_everything(void **state)
{
    (void)state;
    sk_rotate_report rep;
    char first[512], second[512];
    assert_int_equal(run(T0, SK_ROTATE_INIT, &rep), SK_OK);
    newest_key_file(first, sizeof first);
    seal_file(keys, "a", T0);
    seal_file(keys, "b", T0);
    assert_int_equal(run(T0 + 31 * DAY, 0, &rep), SK_OK);
    assert_int_equal(rep.found, SK_ROTATE_DUE);
    assert_true(rep.minted && rep.rotated);
    assert_int_equal(rep.reseal.totals.changed, 2);
    assert_int_equal(rep.reseal.totals.resealed, 2);
    newest_key_file(second, sizeof second);
    assert_string_not_equal(first, second);
    /* Every item opens under the new key, and no longer under the old one. */
    assert_true(opens(second, "a") && opens(second, "b"));
    assert_false(opens(first, "a") || opens(first, "b"));
}

/* A folder that does not hold the keys of what the paths hold: no key is made. */
static void test_preflight_refuses_before_minting(void **state)
{
    (void)state;
    sk_rotate_report rep;
    char other[128];
    assert_int_equal(run(T0, SK_ROTATE_INIT, &rep), SK_OK);
    mint_elsewhere(T0, other, sizeof other);
    seal_file(other, "foreign", T0); /* a key the folder does not have */
    sk_rotation *r = NULL;
    sk_error err = {0};
    sk_rotate_opts o = opts_at(T0 + 31 * DAY, 0);
    int rc = sk_rotate_run(&o, paths, 1, &r, &err);
    assert_int_equal(rc, SK_EDECRYPT);
    assert_non_null(strstr(err.msg, "no key was made"));
    assert_int_equal(sk_rotation_report(r)->n_unopened, 1);
    assert_non_null(strstr(sk_rotation_report(r)->unopened[0].source, "foreign.yaml"));
    assert_false(sk_rotation_report(r)->minted);
    sk_rotate_end(r);
    assert_int_equal(count(keys, ".yaml"), 1);
}

/* Killed after the new key was written, before any file was resealed. */
static void test_crash_after_mint(void **state)
{
    (void)state;
    sk_rotate_report rep;
    assert_int_equal(run(T0, SK_ROTATE_INIT, &rep), SK_OK);
    seal_file(keys, "a", T0);
    sk_rotation *r = NULL;
    sk_error err = {0};
    sk_rotate_opts o = opts_at(T0 + 31 * DAY, 0);
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_OK);
    assert_int_equal(sk_rotate_preflight(r, paths, 1, &err), SK_OK);
    assert_int_equal(sk_rotate_mint(r, &err), SK_OK);
    assert_int_equal(sk_rotation_report(r)->state, SK_ROTATE_PENDING);
    sk_rotate_end(r);
    /* The next run finds the key pending, reseals to it, and announces it: this job made it. */
    assert_int_equal(run(T0 + 31 * DAY + 60, 0, &rep), SK_OK);
    assert_int_equal(rep.found, SK_ROTATE_PENDING);
    assert_false(rep.minted);
    assert_true(rep.rotated);
    assert_int_equal(rep.reseal.totals.changed, 1);
    assert_int_equal(count(keys, ".yaml"), 2);
    char second[512];
    newest_key_file(second, sizeof second);
    assert_true(opens(second, "a"));
}

/* Killed after the reseal, before the done mark: announced again, nothing rewritten. */
static void test_crash_before_done(void **state)
{
    (void)state;
    sk_rotate_report rep;
    assert_int_equal(run(T0, SK_ROTATE_INIT, &rep), SK_OK);
    seal_file(keys, "a", T0);
    sk_rotation *r = NULL;
    sk_error err = {0};
    sk_rotate_opts o = opts_at(T0 + 31 * DAY, 0);
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_OK);
    assert_int_equal(sk_rotate_preflight(r, paths, 1, &err), SK_OK);
    assert_int_equal(sk_rotate_mint(r, &err), SK_OK);
    assert_int_equal(sk_rotate_reseal(r, paths, 1, &err), SK_OK);
    assert_true(sk_rotation_report(r)->rotated);
    sk_rotate_end(r);
    assert_int_equal(run(T0 + 31 * DAY + 60, 0, &rep), SK_OK);
    assert_int_equal(rep.found, SK_ROTATE_PENDING);
    assert_true(rep.rotated);
    assert_int_equal(rep.reseal.totals.changed, 0);
    assert_int_equal(rep.reseal.totals.unchanged, 1);
    assert_int_equal(run(T0 + 31 * DAY + 120, 0, &rep), SK_OK);
    assert_int_equal(rep.found, SK_ROTATE_FRESH);
    assert_false(rep.rotated);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/*
 * Killed between the minted mark and the key's files, or between the certificate and the
 * Secret: a mark naming no key, and a certificate without its key. The next run makes a key
 * of its own under the next free name, and the orphan certificate is left alone.
 */
static void test_crash_between_key_files(void **state)
{
    (void)state;
    sk_rotate_report rep;
    char path[1024], crt[256];
    assert_int_equal(run(T0, SK_ROTATE_INIT, &rep), SK_OK);
    seal_file(keys, "a", T0);
    snprintf(path, sizeof path, "%s/.sealkit-rotate-minted", keys);
    write_text(path, "SHA256:no-such-key\n");
    /* The name a run at T0 + 31 days takes, holding only a certificate. */
    snprintf(crt, sizeof crt, "%s/sealed-secrets-key-20300201T000000Z.crt", keys);
    snprintf(path, sizeof path, "cp %s/sealed-secrets-key-20300101T000000Z.crt %s", keys, crt);
    assert_int_equal(system(path), 0);
    assert_int_equal(run(T0 + 31 * DAY, 0, &rep), SK_OK);
    assert_true(rep.minted && rep.rotated);
    char second[512];
    newest_key_file(second, sizeof second);
    assert_non_null(strstr(second, "sealed-secrets-key-20300201T000000Z-2.yaml"));
    assert_true(opens(second, "a"));
    struct stat st;
    assert_int_equal(stat(crt, &st), 0);
}

/* A killed run's temporary file in the key folder is removed, never loaded as a key. */
static void test_key_temp_never_loaded(void **state)
{
    (void)state;
    sk_rotate_report rep;
    char tmp[256], cmd[512], other[128];
    assert_int_equal(run(T0, SK_ROTATE_INIT, &rep), SK_OK);
    /* A complete, newer key Secret, under a temporary name. */
    mint_elsewhere(T0 + DAY, other, sizeof other);
    snprintf(tmp, sizeof tmp, "%s/sealed-secrets-key-X.yaml.sealkit-tmp.2147483646.0", keys);
    snprintf(cmd, sizeof cmd, "cp %s %s", other, tmp);
    assert_int_equal(system(cmd), 0);
    sk_rotation *r = NULL;
    sk_error err = {0};
    sk_rotate_opts o = opts_at(T0 + 2 * DAY, 0);
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_OK);
    const sk_rotate_report *got = sk_rotation_report(r);
    assert_int_equal(got->n_temps_removed, 1);
    assert_string_equal(got->temps_removed[0], tmp);
    assert_non_null(strstr(got->key, "20300101T000000Z.yaml")); /* not the temporary file's key */
    assert_int_equal(got->found, SK_ROTATE_FRESH);
    sk_rotate_end(r);
    struct stat st;
    assert_int_not_equal(stat(tmp, &st), 0);
}

static void test_lock(void **state)
{
    (void)state;
    sk_rotation *a = NULL, *b = NULL;
    sk_error err = {0};
    sk_rotate_opts o = opts_at(T0, SK_ROTATE_INIT);
    assert_int_equal(sk_rotate_begin(&o, &a, &err), SK_OK);
    assert_int_equal(sk_rotate_begin(&o, &b, &err), SK_EBUSY);
    assert_null(b);
    assert_non_null(strstr(err.msg, "another sealkit rotate is running"));
    sk_rotate_end(a);
    assert_int_equal(sk_rotate_begin(&o, &b, &err), SK_OK);
    sk_rotate_end(b);
}

/* A newer key put in the folder by hand (a restored backup) is resealed to, not announced. */
static void test_imported_key_not_announced(void **state)
{
    (void)state;
    sk_rotate_report rep;
    char other[128], cmd[512];
    assert_int_equal(run(T0, SK_ROTATE_INIT, &rep), SK_OK);
    seal_file(keys, "a", T0);
    mint_elsewhere(T0 + DAY, other, sizeof other);
    snprintf(cmd, sizeof cmd, "cp %s %s/imported.yaml", other, keys);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(run(T0 + 2 * DAY, 0, &rep), SK_OK);
    assert_int_equal(rep.found, SK_ROTATE_PENDING);
    assert_false(rep.minted || rep.rotated);
    assert_int_equal(rep.reseal.totals.changed, 1);
    snprintf(cmd, sizeof cmd, "%s/imported.yaml", keys);
    assert_true(opens(cmd, "a"));
}

/* A link in the tree is work not done: the run fails and the folder is not marked done. */
static void test_link_fails_until_excluded(void **state)
{
    (void)state;
    sk_rotate_report rep;
    char link[256];
    assert_int_equal(run(T0, SK_ROTATE_INIT, &rep), SK_OK);
    seal_file(keys, "a", T0);
    snprintf(link, sizeof link, "%s/elsewhere", repo);
    assert_int_equal(symlink("/etc", link), 0);
    /* Found by the preflight: no key is made, and a link is not a blob no key opens. */
    assert_int_equal(run(T0 + 31 * DAY, 0, &rep), SK_EIO);
    assert_int_equal(rep.n_unopened, 1);
    assert_false(rep.minted);
    assert_int_equal(count(keys, ".yaml"), 1);
    /* Found by the reseal, when the key was made before the link appeared. */
    sk_rotation *r = NULL;
    sk_error err = {0};
    sk_rotate_opts o = opts_at(T0 + 31 * DAY, 0);
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_OK);
    assert_int_equal(sk_rotate_mint(r, &err), SK_OK);
    assert_int_equal(sk_rotate_reseal(r, paths, 1, &err), SK_EIO);
    assert_int_equal(sk_rotation_report(r)->reseal.totals.not_processed, 1);
    assert_false(sk_rotation_report(r)->rotated);
    assert_int_equal(sk_rotate_finish(r, &err), SK_EUSAGE); /* never marked done */
    sk_rotate_end(r);
    o = opts_at(T0 + 31 * DAY + 60, 0);
    const char *ex[] = {"elsewhere"};
    o.reseal.exclude = ex;
    o.reseal.n_exclude = 1;
    assert_int_equal(sk_rotate_run(&o, paths, 1, &r, &err), SK_OK);
    assert_int_equal(sk_rotation_report(r)->found, SK_ROTATE_PENDING);
    assert_true(sk_rotation_report(r)->rotated);
    assert_int_equal(sk_rotation_report(r)->reseal.totals.excluded, 1);
    sk_rotate_end(r);
}

/* A Helm template is passed over by the preflight and the reseal alike; a file that names a
 * SealedSecret and does not parse stops the preflight. */
static void test_helm_template_skipped(void **state)
{
    (void)state;
    sk_rotate_report rep;
    char path[256];
    assert_int_equal(run(T0, SK_ROTATE_INIT, &rep), SK_OK);
    seal_file(keys, "a", T0);
    snprintf(path, sizeof path, "%s/cm.yaml", repo);
    write_text(path, "kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
                     "  {{- if .Values.x }}\n");
    assert_int_equal(run(T0 + 31 * DAY, 0, &rep), SK_OK);
    assert_true(rep.rotated);
    assert_int_equal(rep.reseal.totals.skipped, 1);
    assert_int_equal(rep.reseal.totals.changed, 1);
    write_text(path, "kind: SealedSecret\nmetadata:\n  name: {{ .Release.Name }}\n"
                     "  {{- if .Values.x }}\n");
    assert_int_equal(run(T0 + 62 * DAY, 0, &rep), SK_EDECRYPT);
    assert_int_equal(rep.n_unopened, 1);
    assert_false(rep.minted);
}

static void test_misuse(void **state)
{
    (void)state;
    sk_rotation *r = NULL;
    sk_error err = {0};
    sk_rotate_opts bad = {0};
    assert_int_equal(sk_rotate_begin(&bad, &r, &err), SK_EUSAGE);
    sk_rotate_opts o = opts_at(T0, SK_ROTATE_INIT);
    o.reseal.flags = SK_RESEAL_CHECK;
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_EUSAGE);
    o = opts_at(T0, SK_ROTATE_INIT);
    assert_int_equal(sk_rotate_begin(&o, &r, &err), SK_OK);
    assert_int_equal(sk_rotate_reseal(r, paths, 1, &err), SK_EUSAGE); /* nothing pending */
    assert_int_equal(sk_rotate_mint(r, &err), SK_OK);
    assert_int_equal(sk_rotate_mint(r, &err), SK_EUSAGE);   /* no longer due */
    assert_int_equal(sk_rotate_finish(r, &err), SK_EUSAGE); /* no reseal yet */
    sk_rotate_end(r);
    sk_rotate_end(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_missing_folder_needs_init, fresh),
        cmocka_unit_test_setup(test_key_folder_is_a_file, fresh),
        cmocka_unit_test_setup(test_first_key_then_fresh, fresh),
        cmocka_unit_test_setup(test_due_reseals_everything, fresh),
        cmocka_unit_test_setup(test_preflight_refuses_before_minting, fresh),
        cmocka_unit_test_setup(test_crash_after_mint, fresh),
        cmocka_unit_test_setup(test_crash_before_done, fresh),
        cmocka_unit_test_setup(test_crash_between_key_files, fresh),
        cmocka_unit_test_setup(test_key_temp_never_loaded, fresh),
        cmocka_unit_test_setup(test_lock, fresh),
        cmocka_unit_test_setup(test_imported_key_not_announced, fresh),
        cmocka_unit_test_setup(test_link_fails_until_excluded, fresh),
        cmocka_unit_test_setup(test_helm_template_skipped, fresh),
        cmocka_unit_test_setup(test_misuse, fresh),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
