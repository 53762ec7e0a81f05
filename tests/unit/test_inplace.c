/*
 * Replacing a file in place through a handle on its folder (sk_open_parent, sk_read_at,
 * sk_write_atomic_at), step by step with the hostile change in between: a folder swapped for a
 * link, a concurrent edit, a hard link, a file owned by someone else.
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
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "testutil.h"
#include "operations/reseal_internal.h"

static char root[64];

static char *at(const char *rel)
{
    return tu_path(root, rel);
}

static void put(const char *rel, const char *text)
{
    char *p = at(rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    free(p);
}

static void dir(const char *rel)
{
    char *p = at(rel);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
}

/* The file's bytes, compared with text. */
static void expect_text(const char *rel, const char *text)
{
    char *p = at(rel);
    size_t len = 0;
    char *got = tu_read_file(p, &len);
    assert_string_equal(got, text);
    free(got);
    free(p);
}

/* No sealkit temporary file in the folder rel. */
static void expect_no_temps(const char *rel)
{
    char *p = at(rel);
    DIR *d = opendir(p);
    assert_non_null(d);
    const struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".sealkit-tmp.") != NULL) fail_msg("left behind: %s", e->d_name);
    closedir(d);
    free(p);
}

static int setup(void **state)
{
    (void)state;
    if (sk_init() != SK_OK) return -1;
    snprintf(root, sizeof root, "/tmp/sk-inplace-XXXXXX");
    return mkdtemp(root) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd);
}

/*
 * The walk records each file's size, and the workers take the largest first: a large file
 * taken last would leave the other cores idle while it is resealed.
 */
static void test_sizes_and_order(void **state)
{
    (void)state;
    dir("so");
    put("so/a.yaml", "abc");
    put("so/b.yaml", "0123456789");
    put("so/c.yaml", "xyz");
    put("so/d.yaml", "9876543210");
    put("so/e.yaml", "12345");
    char *folder = at("so"), *named = at("so/a.yaml");
    const char *paths[] = {folder, "-", named};
    sk_walk_list l;
    sk_error err = {0};
    assert_int_equal(sk_walk(paths, 3, SK_WALK_MANIFESTS, &l, &err), SK_OK);
    assert_int_equal(l.n_files, 7);
    const size_t sizes[] = {3, 10, 3, 10, 5, 0, 3}; /* a b c d e, standard input, a named */
    for (size_t i = 0; i < l.n_files; i++)
        assert_int_equal(l.size[i], sizes[i]);
    /* Largest first, equal sizes in walk order; a file of another shard (c) is not taken. */
    const int mine[] = {1, 1, 0, 1, 1, 1, 1};
    size_t order[7] = {0};
    assert_int_equal(sk_reseal_order(&l, mine, order), 6);
    const size_t want[] = {1, 3, 4, 0, 6, 5};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(order[i], want[i]);
    sk_walk_list_free(&l);
    assert_null(l.size);
    free(folder);
    free(named);
}

/* Each file of the walk says how much of its path is the path named. */
static void test_root_len(void **state)
{
    (void)state;
    dir("rl");
    dir("rl/sub");
    put("rl/sub/a.yaml", "a\n");
    put("rl/b.yaml", "b\n");
    char *folder = at("rl"), *slash = at("rl/"), *file = at("rl/b.yaml");
    const char *paths[] = {folder, slash, file};
    sk_walk_list l;
    sk_error err = {0};
    assert_int_equal(sk_walk(paths, 3, SK_WALK_MANIFESTS, &l, &err), SK_OK);
    assert_int_equal(l.n_files, 5);
    for (size_t i = 0; i < 2; i++) { /* rl/b.yaml, rl/sub/a.yaml */
        assert_int_equal(l.root_len[i], strlen(folder));
        assert_int_equal(l.root_len[2 + i], strlen(slash));
    }
    char *deep = at("rl/sub/a.yaml");
    assert_string_equal(l.files[3], deep);
    free(deep);
    assert_int_equal(l.root_len[4], strlen(file)); /* a named file is all root */
    /* Each opens again to the folder that holds it. */
    for (size_t i = 0; i < l.n_files; i++) {
        int dfd = -1;
        char *name = NULL;
        assert_int_equal(sk_open_parent(l.files[i], l.root_len[i], &dfd, &name, &err), SK_OK);
        sk_secbuf buf = SK_SECBUF_INIT;
        struct stat st;
        assert_int_equal(sk_read_at(dfd, name, l.files[i], 100, &buf, &st, &err), SK_OK);
        assert_int_equal(buf.len, 2);
        assert_true(S_ISREG(st.st_mode));
        sk_secbuf_free(&buf);
        close(dfd);
        free(name);
    }
    sk_walk_list_free(&l);
    free(folder);
    free(slash);
    free(file);
}

static void test_open_parent_refusals(void **state)
{
    (void)state;
    dir("op");
    dir("op/sub");
    put("op/sub/f.yaml", "f\n");
    put("op/target.yaml", "t\n");
    char *base = at("op");
    size_t rl = strlen(base);
    char path[256];
    int dfd = 7;
    char *name = (char *)"x";
    sk_error err = {0};
    /* The named part must end where a name does. */
    snprintf(path, sizeof path, "%s/sub/f.yaml", base);
    assert_int_equal(sk_open_parent(path, rl - 1, &dfd, &name, &err), SK_EUSAGE);
    assert_int_equal(dfd, -1);
    assert_null(name);
    /* Nothing below may climb out. */
    snprintf(path, sizeof path, "%s/sub/../target.yaml", base);
    assert_int_equal(sk_open_parent(path, rl, &dfd, &name, &err), SK_EUSAGE);
    assert_string_equal(err.source, path);
    snprintf(path, sizeof path, "%s/sub/", base);
    assert_int_equal(sk_open_parent(path, rl, &dfd, &name, &err), SK_EUSAGE);
    /* A missing folder below the root. */
    snprintf(path, sizeof path, "%s/gone/f.yaml", base);
    assert_int_equal(sk_open_parent(path, rl, &dfd, &name, &err), SK_EIO);
    assert_non_null(strstr(err.msg, "cannot open its folder gone"));
    /* A named file that is a link stands for the file it points to: the caller chose it. */
    char *link = at("op/link.yaml");
    assert_int_equal(symlink("target.yaml", link), 0);
    assert_int_equal(sk_open_parent(link, strlen(link), &dfd, &name, &err), SK_OK);
    assert_string_equal(name, "target.yaml");
    sk_secbuf buf = SK_SECBUF_INIT;
    assert_int_equal(sk_read_at(dfd, name, link, 100, &buf, NULL, &err), SK_OK);
    assert_memory_equal(buf.data, "t\n", 2);
    sk_secbuf_free(&buf);
    close(dfd);
    free(name);
    /* Reading by name never follows a link, nor opens a special file (nor hangs on a FIFO). */
    int ofd = open(base, O_RDONLY | O_DIRECTORY);
    assert_true(ofd >= 0);
    assert_int_equal(sk_read_at(ofd, "link.yaml", link, 100, &buf, NULL, &err), SK_EIO);
    assert_non_null(strstr(err.msg, "symbolic link"));
    assert_string_equal(err.source, link);
    char *fifo = at("op/fifo.yaml");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    free(fifo);
    assert_int_equal(sk_read_at(ofd, "fifo.yaml", "fifo.yaml", 100, &buf, NULL, &err), SK_EIO);
    assert_non_null(strstr(err.msg, "not a regular file"));
    assert_int_equal(sk_read_at(ofd, "sub", "sub", 100, &buf, NULL, NULL), SK_EIO);
    close(ofd);
    free(link);
    free(base);
}

/*
 * The swap of issue item 3: after the walk, a folder of the tree becomes a link to a folder
 * outside it. Opening the file's folder again refuses the link; and a handle opened before the
 * swap keeps writing into the folder that was read, never through the link.
 */
static void test_swapped_folder(void **state)
{
    (void)state;
    dir("sw");
    dir("sw/repo");
    dir("sw/repo/sub");
    dir("sw/outside");
    put("sw/repo/sub/f.yaml", "old\n");
    put("sw/outside/f.yaml", "victim\n");
    char *repo = at("sw/repo");
    const char *paths[] = {repo};
    sk_walk_list l;
    sk_error err = {0};
    assert_int_equal(sk_walk(paths, 1, SK_WALK_MANIFESTS, &l, &err), SK_OK);
    assert_int_equal(l.n_files, 1);
    char *sub = at("sw/repo/sub"), *aside = at("sw/repo/sub.aside"), *outside = at("sw/outside");

    /* Swapped between the walk and the open: the file is refused, named, nothing written. */
    assert_int_equal(rename(sub, aside), 0);
    assert_int_equal(symlink(outside, sub), 0);
    int dfd = -1;
    char *name = NULL;
    assert_int_equal(sk_open_parent(l.files[0], l.root_len[0], &dfd, &name, &err), SK_EIO);
    assert_string_equal(err.source, l.files[0]);
    assert_non_null(strstr(err.msg, "its folder sub is now a symbolic link or not a folder"));
    assert_int_equal(dfd, -1);
    /* What sk_write_atomic (by path) did before: it would have gone through the link. */
    expect_text("sw/outside/f.yaml", "victim\n");
    expect_no_temps("sw/outside");

    /* Swapped between the read and the write (the RSA work): the handle still holds the folder
     * that was read, so the new bytes land there, beside nothing of the outside folder's. */
    assert_int_equal(unlink(sub), 0);
    assert_int_equal(rename(aside, sub), 0);
    assert_int_equal(sk_open_parent(l.files[0], l.root_len[0], &dfd, &name, &err), SK_OK);
    sk_secbuf in = SK_SECBUF_INIT;
    struct stat st;
    assert_int_equal(sk_read_at(dfd, name, l.files[0], 100, &in, &st, &err), SK_OK);
    assert_int_equal(rename(sub, aside), 0);
    assert_int_equal(symlink(outside, sub), 0);
    assert_int_equal(sk_write_atomic_at(dfd, name, l.files[0], "new\n", 4, 0644, &st, &err), SK_OK);
    expect_text("sw/outside/f.yaml", "victim\n");
    expect_no_temps("sw/outside");
    expect_text("sw/repo/sub.aside/f.yaml", "new\n");
    sk_secbuf_free(&in);
    close(dfd);
    free(name);
    sk_walk_list_free(&l);
    free(repo);
    free(sub);
    free(aside);
    free(outside);
}

/* Opens the file rel (below root) and reads it, as reseal does. */
static void read_step(const char *rel, int *dfd, char **name, struct stat *st)
{
    char *path = at(rel);
    sk_error err = {0};
    sk_secbuf in = SK_SECBUF_INIT;
    assert_int_equal(sk_open_parent(path, strlen(root), dfd, name, &err), SK_OK);
    assert_int_equal(sk_read_at(*dfd, *name, path, 1000, &in, st, &err), SK_OK);
    sk_secbuf_free(&in);
    free(path);
}

/* A change between the read and the write is never reverted: the write refuses. */
static void test_changed_meanwhile(void **state)
{
    (void)state;
    dir("ch");
    static const char *const how[] = {"edit", "replace", "remove", "chmod", "swap-link"};
    for (size_t i = 0; i < sizeof how / sizeof how[0]; i++) {
        char rel[64], other[64];
        snprintf(rel, sizeof rel, "ch/%s.yaml", how[i]);
        snprintf(other, sizeof other, "ch/%s.new", how[i]);
        put(rel, "old\n");
        int dfd = -1;
        char *name = NULL;
        struct stat st;
        read_step(rel, &dfd, &name, &st);
        char *path = at(rel), *np = at(other);
        const char *want = "pulled\n";
        switch (i) {
        case 0: { /* edited in place */
            int fd = open(path, O_WRONLY | O_TRUNC);
            assert_int_equal(write(fd, "pulled\n", 7), 7);
            close(fd);
            break;
        }
        case 1: /* replaced by rename, as git does */
            put(other, "pulled\n");
            assert_int_equal(rename(np, path), 0);
            break;
        case 2: /* removed: it must not come back */
            assert_int_equal(unlink(path), 0);
            want = NULL;
            break;
        case 3: /* only its mode changed */
            assert_int_equal(chmod(path, 0600), 0);
            want = "old\n";
            break;
        default: /* a link put in its place */
            put(other, "pulled\n");
            assert_int_equal(unlink(path), 0);
            assert_int_equal(symlink(other + 3, path), 0);
            break;
        }
        sk_error err = {0};
        assert_int_equal(sk_write_atomic_at(dfd, name, path, "resealed\n", 9, 0644, &st, &err),
                         SK_EIO);
        assert_string_equal(err.source, path);
        assert_non_null(strstr(err.msg, "changed while it was being rewritten; left for the next"));
        struct stat now;
        if (want == NULL)
            assert_int_equal(lstat(path, &now), -1);
        else
            expect_text(rel, want);
        expect_no_temps("ch");
        close(dfd);
        free(name);
        free(path);
        free(np);
    }
    /* Untouched, it is replaced: the check does not refuse a file nobody changed. */
    put("ch/calm.yaml", "old\n");
    int dfd = -1;
    char *name = NULL;
    struct stat st;
    read_step("ch/calm.yaml", &dfd, &name, &st);
    sk_error err = {0};
    assert_int_equal(sk_write_atomic_at(dfd, name, "calm.yaml", "new\n", 4, 0640, &st, &err),
                     SK_OK);
    expect_text("ch/calm.yaml", "new\n");
    char *calm = at("ch/calm.yaml");
    struct stat now;
    assert_int_equal(stat(calm, &now), 0);
    assert_int_equal(now.st_mode & 07777, 0640);
    close(dfd);
    free(name);
    free(calm);
}

/* A file with another name elsewhere is left alone: replacing one name would split them. */
static void test_hard_link(void **state)
{
    (void)state;
    dir("hl");
    put("hl/a.yaml", "old\n");
    char *a = at("hl/a.yaml"), *b = at("hl/b.yaml");
    assert_int_equal(link(a, b), 0);
    int dfd = -1;
    char *name = NULL;
    struct stat st, before, after;
    assert_int_equal(stat(a, &before), 0);
    read_step("hl/a.yaml", &dfd, &name, &st);
    sk_error err = {0};
    assert_int_equal(sk_write_atomic_at(dfd, name, a, "new\n", 4, 0644, &st, &err), SK_EIO);
    assert_string_equal(err.source, a);
    assert_non_null(strstr(err.msg, "has 2 hard links"));
    assert_int_equal(stat(a, &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);
    assert_int_equal(after.st_nlink, 2);
    expect_text("hl/b.yaml", "old\n");
    expect_no_temps("hl");
    /* Without a recorded state (sk_write_atomic's way), the name is replaced as asked. */
    assert_int_equal(sk_write_atomic_at(dfd, name, a, "new\n", 4, 0644, NULL, &err), SK_OK);
    expect_text("hl/a.yaml", "new\n");
    expect_text("hl/b.yaml", "old\n");
    close(dfd);
    free(name);
    free(a);
    free(b);
}

/* Run as root (as from cron), the new version keeps the owner, group and mode. */
static void test_owner_kept(void **state)
{
    (void)state;
    if (geteuid() != 0) skip();
    dir("ow");
    put("ow/f.yaml", "old\n");
    char *f = at("ow/f.yaml");
    assert_int_equal(chown(f, 1234, 5678), 0);
    assert_int_equal(chmod(f, 0640), 0);
    int dfd = -1;
    char *name = NULL;
    struct stat st, now;
    read_step("ow/f.yaml", &dfd, &name, &st);
    sk_error err = {0};
    assert_int_equal(sk_write_atomic_at(dfd, name, f, "new\n", 4, st.st_mode & 07777, &st, &err),
                     SK_OK);
    assert_int_equal(stat(f, &now), 0);
    assert_int_not_equal(now.st_ino, st.st_ino); /* replaced, not written over */
    assert_int_equal(now.st_uid, 1234);
    assert_int_equal(now.st_gid, 5678);
    assert_int_equal(now.st_mode & 07777, 0640);
    expect_text("ow/f.yaml", "new\n");
    close(dfd);
    free(name);
    free(f);
}

/*
 * Not root, in a folder it may write to, a process cannot give the new version the owner of a
 * file that is not its own: the file is left alone rather than silently changing hands.
 */
static void test_owner_not_root(void **state)
{
    (void)state;
    if (geteuid() != 0) skip(); /* to make the file someone else's and become nobody */
    dir("nr");
    char *folder = at("nr");
    assert_int_equal(chmod(folder, 0777), 0);
    assert_int_equal(chmod(root, 0755), 0);
    put("nr/f.yaml", "old\n");
    char *f = at("nr/f.yaml");
    assert_int_equal(chown(f, 1234, 5678), 0);
    assert_int_equal(chmod(f, 0666), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(10);
        int dfd = -1;
        char *name = NULL;
        struct stat st;
        sk_secbuf in = SK_SECBUF_INIT;
        sk_error err = {0};
        if (sk_open_parent(f, strlen(root), &dfd, &name, &err) != SK_OK) _exit(11);
        if (sk_read_at(dfd, name, f, 100, &in, &st, &err) != SK_OK) _exit(12);
        if (sk_write_atomic_at(dfd, name, f, "new\n", 4, 0666, &st, &err) != SK_EIO) _exit(13);
        if (strstr(err.msg, "cannot give the new version its owner and group (1234:5678)") == NULL)
            _exit(14);
        if (err.hint[0] == '\0') _exit(15);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    expect_text("nr/f.yaml", "old\n");
    struct stat now;
    assert_int_equal(stat(f, &now), 0);
    assert_int_equal(now.st_uid, 1234);
    expect_no_temps("nr");
    assert_int_equal(chmod(root, 0700), 0);
    free(folder);
    free(f);
}

/* sk_write_atomic and sk_write_new, by path, go the same way. */
static void test_by_path(void **state)
{
    (void)state;
    dir("bp");
    char *f = at("bp/f.yaml");
    sk_error err = {0};
    assert_int_equal(sk_write_new(f, "one\n", 4, 0600, &err), SK_OK);
    assert_int_equal(sk_write_new(f, "two\n", 4, 0600, &err), SK_EIO);
    assert_non_null(strstr(err.msg, "already exists"));
    assert_int_equal(sk_write_atomic(f, "three\n", 6, 0640, &err), SK_OK);
    expect_text("bp/f.yaml", "three\n");
    struct stat st;
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    expect_no_temps("bp");
    char *missing = at("bp/no/such.yaml");
    assert_int_equal(sk_write_atomic(missing, "x", 1, 0600, &err), SK_EIO);
    assert_string_equal(err.source, missing);
    assert_int_equal(sk_write_atomic("", "x", 1, 0600, &err), SK_EIO);
    free(missing);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_len),        cmocka_unit_test(test_open_parent_refusals),
        cmocka_unit_test(test_swapped_folder),  cmocka_unit_test(test_changed_meanwhile),
        cmocka_unit_test(test_hard_link),       cmocka_unit_test(test_owner_kept),
        cmocka_unit_test(test_owner_not_root),  cmocka_unit_test(test_by_path),
        cmocka_unit_test(test_sizes_and_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
