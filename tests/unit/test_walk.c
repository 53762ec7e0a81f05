/* The one folder walk: order, what is passed over and why, links never followed. */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"

static char root[64];

static void put(const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "x", 1), 1);
    close(fd);
}

static void dir(const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    assert_int_equal(mkdir(p, 0700), 0);
}

static void link_to(const char *target, const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    assert_int_equal(symlink(target, p), 0);
}

/* Each relative path of v (below root) joined by spaces. */
static const char *rel_list(char **v, size_t n)
{
    static char out[2048];
    size_t len = 0, skip = strlen(root) + 1;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", i ? " " : "", v[i] + skip);
    return out;
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/sk-walk-XXXXXX");
    if (mkdtemp(root) == NULL) return -1;
    dir("b");
    dir("a");
    dir(".git");
    put("b/z.yaml");
    put("b/y.json");
    put("a/x.yml");
    put("a/notes.txt");
    put(".git/config.yaml");
    put("a/.hidden.yaml");
    put("a/s.yaml.sealkit-tmp.4242.0");
    put("a/notes.sealkit-tmp.3999999.txt");
    dir("a/backup.sealkit-tmp.4000000");
    put("a/backup.sealkit-tmp.4000000/inside.yaml");
    link_to("/etc", "a/etc");
    link_to("/etc/passwd", "a/passwd.yaml");
    char *fifo = tu_path(root, "a/pipe.yaml");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    free(fifo);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd);
}

static void test_order_and_filters(void **state)
{
    (void)state;
    sk_walk_list l;
    sk_error err = {0};
    const char *paths[] = {root};
    assert_int_equal(sk_walk(paths, 1, SK_WALK_MANIFESTS, &l, &err), SK_OK);
    /* Sorted by name at each level; hidden entries, non-manifests and temporary files not taken. */
    assert_string_equal(rel_list(l.files, l.n_files),
                        "a/backup.sealkit-tmp.4000000/inside.yaml a/x.yml b/y.json b/z.yaml");
    /* Only an exact temporary name counts as one: not a folder, not "notes.sealkit-tmp.N.txt". */
    assert_string_equal(rel_list(l.temps, l.n_temps), "a/s.yaml.sealkit-tmp.4242.0");
    /* Links and special files are named, with why, and never followed. */
    assert_string_equal(rel_list(l.skipped, l.n_skipped), "a/etc a/passwd.yaml a/pipe.yaml");
    assert_non_null(strstr(l.why[0], "symbolic link"));
    assert_non_null(strstr(l.why[2], "not a regular file"));
    assert_int_equal(l.n_unreadable, 0);
    sk_walk_list_free(&l);
}

static void test_named_paths(void **state)
{
    (void)state;
    sk_walk_list l;
    sk_error err = {0};
    char *file = tu_path(root, "a/notes.txt");
    char *link = tu_path(root, "a/passwd.yaml");
    const char *paths[] = {file, "-", link};
    /* Named paths are taken as given, whatever their name; a named link is the user's choice. */
    assert_int_equal(sk_walk(paths, 3, SK_WALK_MANIFESTS, &l, &err), SK_OK);
    assert_int_equal(l.n_files, 3);
    assert_string_equal(l.files[1], "-");
    sk_walk_list_free(&l);
    char *missing = tu_path(root, "nope");
    const char *bad[] = {file, missing};
    assert_int_equal(sk_walk(bad, 2, 0, &l, &err), SK_EIO);
    assert_string_equal(err.source, missing);
    assert_int_equal(l.n_files, 0); /* nothing half-listed on error */
    assert_int_equal(sk_walk(bad, 2, 0, &l, NULL), SK_EIO);
    free(file);
    free(link);
    free(missing);
}

static void test_flat_and_follow(void **state)
{
    (void)state;
    sk_walk_list l;
    sk_error err = {0};
    char *a = tu_path(root, "a");
    const char *paths[] = {a};
    assert_int_equal(sk_walk(paths, 1, SK_WALK_FLAT | SK_WALK_FOLLOW_LINKS, &l, &err), SK_OK);
    /* Flat: the subfolder is not entered; following: passwd.yaml is read through its link. */
    assert_string_equal(rel_list(l.files, l.n_files),
                        "a/notes.sealkit-tmp.3999999.txt a/notes.txt a/passwd.yaml a/x.yml");
    sk_walk_list_free(&l);
    free(a);
}

static void test_temp_names(void **state)
{
    (void)state;
    assert_true(sk_walk_is_temp_name("s.yaml.sealkit-tmp.12.0"));
    assert_true(sk_walk_is_temp_name("x.sealkit-tmp.1.99"));
    assert_false(sk_walk_is_temp_name(".sealkit-tmp.12.0"));
    assert_false(sk_walk_is_temp_name("s.yaml.sealkit-tmp.12"));
    assert_false(sk_walk_is_temp_name("s.yaml.sealkit-tmp.12.0.txt"));
    assert_false(sk_walk_is_temp_name("s.yaml.sealkit-tmp..0"));
    assert_false(sk_walk_is_temp_name("s.yaml.sealkit-tmp.12.x"));
}

/* A stale temporary file is removed only when it is one, and its writer is gone. */
static void test_remove_stale_temp(void **state)
{
    (void)state;
    sk_error err = {0};
    int removed = 9;
    put("a/t.yaml.sealkit-tmp.2147483646.0"); /* no such process */
    char *stale = tu_path(root, "a/t.yaml.sealkit-tmp.2147483646.0");
    assert_int_equal(sk_walk_remove_stale_temp(stale, &removed, &err), SK_OK);
    assert_int_equal(removed, 1);
    assert_int_equal(access(stale, F_OK), -1);
    char live[256];
    snprintf(live, sizeof live, "%s/a/t.yaml.sealkit-tmp.%ld.0", root, (long)getpid());
    int fd = open(live, O_WRONLY | O_CREAT, 0600);
    close(fd);
    assert_int_equal(sk_walk_remove_stale_temp(live, &removed, &err), SK_OK);
    assert_int_equal(removed, 0); /* its writer (this process) is alive */
    assert_int_equal(access(live, F_OK), 0);
    char *folder = tu_path(root, "a/backup.sealkit-tmp.4000000");
    char *notes = tu_path(root, "a/notes.sealkit-tmp.3999999.txt");
    assert_int_equal(sk_walk_remove_stale_temp(folder, &removed, &err), SK_OK);
    assert_int_equal(removed, 0);
    assert_int_equal(sk_walk_remove_stale_temp(notes, &removed, &err), SK_OK);
    assert_int_equal(removed, 0);
    unlink(live);
    free(stale);
    free(folder);
    free(notes);
}

/* Patterns as in a .gitignore: a name anywhere, a path below the named folder, folders only. */
static void test_exclude(void **state)
{
    (void)state;
    sk_walk_list l;
    sk_error err = {0};
    const char *paths[] = {root};
    const char *ex[] = {"b/", "*.yml", "a/etc", "a/pipe.yaml"};
    assert_int_equal(sk_walk_excluding(paths, 1, SK_WALK_MANIFESTS, ex, 4, &l, &err), SK_OK);
    /* b/ and everything below it, a/x.yml by name, a link and a FIFO by path. */
    assert_string_equal(rel_list(l.files, l.n_files), "a/backup.sealkit-tmp.4000000/inside.yaml");
    assert_string_equal(rel_list(l.skipped, l.n_skipped), "a/passwd.yaml");
    assert_int_equal(l.n_excluded, 4);
    sk_walk_list_free(&l);
    /* A trailing '/' matches folders only; a pattern with '/' does not match a deeper path. */
    const char *narrow[] = {"x.yml/", "z.yaml/", "y.json/b", "backup.sealkit-tmp.4000000/"};
    assert_int_equal(sk_walk_excluding(paths, 1, SK_WALK_MANIFESTS, narrow, 4, &l, &err), SK_OK);
    assert_string_equal(rel_list(l.files, l.n_files), "a/x.yml b/y.json b/z.yaml");
    assert_int_equal(l.n_excluded, 1);
    sk_walk_list_free(&l);
}

/*
 * A folders-only pattern also names a link to a folder (a vendored folder that is a link), which
 * is passed over without being followed; not a link to a file, nor a dangling one.
 */
static void test_exclude_link_to_folder(void **state)
{
    (void)state;
    sk_walk_list l;
    sk_error err = {0};
    const char *paths[] = {root};
    link_to("/nonexistent/sk-walk-target", "b/gone");
    const char *ex[] = {"etc/", "passwd.yaml/", "gone/"};
    assert_int_equal(sk_walk_excluding(paths, 1, SK_WALK_MANIFESTS, ex, 3, &l, &err), SK_OK);
    assert_string_equal(rel_list(l.skipped, l.n_skipped), "a/passwd.yaml a/pipe.yaml b/gone");
    assert_int_equal(l.n_excluded, 1);
    /* Never entered: nothing of /etc among the files. */
    assert_string_equal(rel_list(l.files, l.n_files),
                        "a/backup.sealkit-tmp.4000000/inside.yaml a/x.yml b/y.json b/z.yaml");
    sk_walk_list_free(&l);
    /* Anchored, from a .sealkitignore as from --exclude. */
    char *ign = tu_path(root, ".sealkitignore");
    FILE *f = fopen(ign, "w");
    assert_non_null(f);
    fputs("/a/etc/\n", f);
    fclose(f);
    assert_int_equal(sk_walk(paths, 1, SK_WALK_MANIFESTS | SK_WALK_IGNORE_FILE, &l, &err), SK_OK);
    assert_string_equal(rel_list(l.skipped, l.n_skipped), "a/passwd.yaml a/pipe.yaml b/gone");
    assert_int_equal(l.n_excluded, 1);
    sk_walk_list_free(&l);
    unlink(ign);
    free(ign);
    char *gone = tu_path(root, "b/gone");
    unlink(gone);
    free(gone);
}

/* The named folder's .sealkitignore: comments, blank lines, trailing spaces; a link refused. */
static void test_ignore_file(void **state)
{
    (void)state;
    sk_walk_list l;
    sk_error err = {0};
    const char *paths[] = {root};
    char *ign = tu_path(root, ".sealkitignore");
    FILE *f = fopen(ign, "w");
    assert_non_null(f);
    fputs("# generated charts\n\n/b  \n*.yml\r\n", f);
    fclose(f);
    assert_int_equal(sk_walk(paths, 1, SK_WALK_MANIFESTS, &l, &err), SK_OK);
    assert_int_equal(l.n_excluded, 0); /* only read when asked */
    sk_walk_list_free(&l);
    assert_int_equal(sk_walk(paths, 1, SK_WALK_MANIFESTS | SK_WALK_IGNORE_FILE, &l, &err), SK_OK);
    assert_string_equal(rel_list(l.files, l.n_files), "a/backup.sealkit-tmp.4000000/inside.yaml");
    assert_int_equal(l.n_excluded, 2);
    sk_walk_list_free(&l);
    unlink(ign);
    assert_int_equal(symlink("/etc/hostname", ign), 0);
    assert_int_equal(sk_walk(paths, 1, SK_WALK_MANIFESTS | SK_WALK_IGNORE_FILE, &l, &err), SK_EIO);
    assert_non_null(strstr(err.source, ".sealkitignore"));
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_int_equal(l.n_files, 0);
    unlink(ign);
    free(ign);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_filters),      cmocka_unit_test(test_named_paths),
        cmocka_unit_test(test_flat_and_follow),        cmocka_unit_test(test_temp_names),
        cmocka_unit_test(test_remove_stale_temp),      cmocka_unit_test(test_exclude),
        cmocka_unit_test(test_exclude_link_to_folder), cmocka_unit_test(test_ignore_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
