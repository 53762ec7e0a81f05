/*
 * The file system side of installing packages: a stage folder inside the
 * target, a commit record, and operations that can be repeated, so that an
 * install killed at any point is rolled back (no commit record yet) or
 * finished (commit record written) by the next run. Every folder below the
 * target is opened with O_NOFOLLOW: a link is never entered nor removed through.
 *
 * Signals: the one sealkit temporary file here, the commit record's, is written
 * with sk_write_atomic_at and so removed by sk_io_remove_in_flight like any
 * other. The staged files are not temporary files in that sense and are not
 * recorded: they hold SealedSecrets only (never plaintext), they all live in
 * the stage, which the next run removes whatever it finds there, and once the
 * commit record exists they are what that run must still put in place, so a
 * signal handler must not remove them (nor could it walk the stage safely).
 */
#include "package/package_install_internal.h"

#include <sealkit/package.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sealkit/io.h>
#include <sealkit/mem.h>

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static int sys_fail(sk_error *err, const char *what, const char *shown)
{
    sk_error_set(err, SK_EIO, "%s: cannot %s: %s", shown, what, strerror(errno));
    return SK_EIO;
}

static int open_one(int base, const char *name, int create, const char *shown, sk_error *err)
{
    int fd = openat(base, name, DIR_FLAGS);
    if (fd < 0 && errno == ENOENT && create) {
        if (mkdirat(base, name, 0755) != 0 && errno != EEXIST)
            return sys_fail(err, "create the folder", shown), -1;
        if (fsync(base) != 0) return sys_fail(err, "sync the folder", shown), -1;
        fd = openat(base, name, DIR_FLAGS);
    }
    if (fd < 0)
        sk_error_set(err, SK_EIO, "%s: cannot open as a folder (a link is never followed): %s",
                     shown, strerror(errno));
    return fd;
}

int sk_pkg_open_dir(int base, const char *rel, int create, const char *shown, int *fd,
                    sk_error *err)
{
    char part[256];
    *fd = -1;
    int cur = dup(base);
    if (cur < 0) return sys_fail(err, "open", shown);
    for (const char *p = rel; cur >= 0 && *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || n >= sizeof part) {
            close(cur);
            return sk_error_set(err, SK_EUSAGE, "%s: not a relative folder path", shown);
        }
        memcpy(part, p, n);
        part[n] = '\0';
        int next = open_one(cur, part, create, shown, err);
        close(cur);
        cur = next;
        p += n + (p[n] == '/');
    }
    if (cur < 0) return SK_EIO;
    *fd = cur;
    return SK_OK;
}

int sk_pkg_exists(int dirfd, const char *name)
{
    struct stat st;
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int sk_pkg_put_file(int dirfd, const char *name, const void *data, size_t len, sk_error *err)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return sys_fail(err, "create", name);
    const unsigned char *p = data;
    int rc = SK_OK;
    for (size_t done = 0; rc == SK_OK && done < len;) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            rc = sys_fail(err, "write", name);
        else
            done += (size_t)w;
    }
    if (rc == SK_OK && fchmod(fd, 0644) != 0) rc = sys_fail(err, "set the mode of", name);
    if (rc == SK_OK && fsync(fd) != 0) rc = sys_fail(err, "sync", name);
    if (close(fd) != 0 && rc == SK_OK) rc = sys_fail(err, "close", name);
    return rc;
}

static int remove_entries(int fd, const char *name, sk_error *err)
{
    DIR *d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return sys_fail(err, "list", name);
    }
    int rc = SK_OK;
    struct dirent *e;
    while (rc == SK_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        rc = sk_pkg_remove_tree(dirfd(d), e->d_name, err);
    }
    closedir(d);
    return rc;
}

int sk_pkg_remove_tree(int dirfd, const char *name, sk_error *err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? SK_OK : sys_fail(err, "inspect", name);
    if (S_ISDIR(st.st_mode)) {
        int fd = openat(dirfd, name, DIR_FLAGS);
        if (fd < 0) return sys_fail(err, "open", name);
        int rc = remove_entries(fd, name, err);
        if (rc != SK_OK) return rc;
    }
    if (unlinkat(dirfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT)
        return sys_fail(err, "remove", name);
    return SK_OK;
}

/* Opens the folder holding rel's last part, and points *base at that part. */
static int open_parent(int dirfd, const char *rel, int *fd, const char **base, sk_error *err)
{
    const char *slash = strrchr(rel, '/');
    *base = slash ? slash + 1 : rel;
    if (slash == NULL) {
        *fd = dup(dirfd);
        return *fd < 0 ? sys_fail(err, "open", ".") : SK_OK;
    }
    char parent[1024];
    snprintf(parent, sizeof parent, "%.*s", (int)(slash - rel), rel);
    return sk_pkg_open_dir(dirfd, parent, 1, parent, fd, err);
}

static int finish_op(int pfd, int rc, const char *rel, sk_error *err)
{
    if (rc == SK_OK && fsync(pfd) != 0) rc = sys_fail(err, "sync the folder of", rel);
    close(pfd);
    return rc;
}

static int op_swap(int dirfd, int stagefd, const char *nw, const char *old, const char *rel,
                   sk_error *err)
{
    if (!sk_pkg_exists(stagefd, nw)) return SK_OK; /* done before */
    int pfd, oldfd, rc = SK_OK;
    const char *base;
    if (open_parent(dirfd, rel, &pfd, &base, err) != SK_OK) return SK_EIO;
    if (sk_pkg_open_dir(stagefd, SK_PKG_OLD, 1, SK_PKG_OLD, &oldfd, err) != SK_OK) {
        close(pfd);
        return SK_EIO;
    }
    if (sk_pkg_exists(pfd, base) && renameat(pfd, base, oldfd, old) != 0)
        rc = sys_fail(err, "move aside", rel);
    if (rc == SK_OK && renameat(stagefd, nw, pfd, base) != 0) rc = sys_fail(err, "install", rel);
    close(oldfd);
    return finish_op(pfd, rc, rel, err);
}

static int op_drop(int dirfd, int stagefd, const char *old, const char *rel, sk_error *err)
{
    int pfd, oldfd, rc = SK_OK;
    const char *base;
    if (open_parent(dirfd, rel, &pfd, &base, err) != SK_OK) return SK_EIO;
    if (sk_pkg_open_dir(stagefd, SK_PKG_OLD, 1, SK_PKG_OLD, &oldfd, err) != SK_OK) {
        close(pfd);
        return SK_EIO;
    }
    if (sk_pkg_exists(pfd, base) && renameat(pfd, base, oldfd, old) != 0)
        rc = sys_fail(err, "move aside", rel);
    close(oldfd);
    return finish_op(pfd, rc, rel, err);
}

static int op_put(int dirfd, int stagefd, const char *nw, const char *rel, int keep, sk_error *err)
{
    if (!sk_pkg_exists(stagefd, nw)) return SK_OK;
    int pfd, rc = SK_OK;
    const char *base;
    if (open_parent(dirfd, rel, &pfd, &base, err) != SK_OK) return SK_EIO;
    if (!keep && renameat(stagefd, nw, pfd, base) != 0) rc = sys_fail(err, "install", rel);
    /* create: link(2) never replaces; a file someone made meanwhile is theirs and stays. */
    if (keep && linkat(stagefd, nw, pfd, base, 0) != 0 && errno != EEXIST)
        rc = sys_fail(err, "create", rel);
    if (keep && rc == SK_OK && unlinkat(stagefd, nw, 0) != 0) rc = sys_fail(err, "remove", nw);
    return finish_op(pfd, rc, rel, err);
}

static int apply_line(int dirfd, int stagefd, char *line, sk_error *err)
{
    char *f[4] = {0};
    size_t n = 0;
    for (char *save = NULL, *t = strtok_r(line, " ", &save); t && n < 4;
         t = strtok_r(NULL, " ", &save))
        f[n++] = t;
    if (n == 2 && strcmp(f[0], "mkdir") == 0) {
        int fd = -1;
        int rc = sk_pkg_open_dir(dirfd, f[1], 1, f[1], &fd, err);
        if (rc == SK_OK) close(fd);
        return rc;
    }
    if (n == 4 && strcmp(f[0], "swap") == 0) return op_swap(dirfd, stagefd, f[1], f[2], f[3], err);
    if (n == 3 && strcmp(f[0], "drop") == 0) return op_drop(dirfd, stagefd, f[1], f[2], err);
    if (n == 3 && strcmp(f[0], "put") == 0) return op_put(dirfd, stagefd, f[1], f[2], 0, err);
    if (n == 3 && strcmp(f[0], "create") == 0) return op_put(dirfd, stagefd, f[1], f[2], 1, err);
    return sk_error_set(err, SK_EPARSE, SK_PKG_STAGE "/" SK_PKG_COMMIT ": unknown operation");
}

int sk_pkg_apply(int dirfd, int stagefd, const char *commit, sk_error *err)
{
    char *copy = strdup(commit);
    if (copy == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    int rc = SK_OK;
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); rc == SK_OK && l;
         l = strtok_r(NULL, "\n", &save))
        rc = apply_line(dirfd, stagefd, l, err);
    free(copy);
    if (rc == SK_OK && fsync(dirfd) != 0) rc = sys_fail(err, "sync", "the folder");
    return rc;
}

int sk_pkg_recover(int dirfd, const char *shown, int *recovered, sk_error *err)
{
    *recovered = 0;
    if (!sk_pkg_exists(dirfd, SK_PKG_STAGE)) return SK_OK;
    int stagefd = -1;
    int rc = sk_pkg_open_dir(dirfd, SK_PKG_STAGE, 0, SK_PKG_STAGE, &stagefd, err);
    if (rc != SK_OK) {
        sk_error_prefix(err, "%s", shown);
        return rc;
    }
    sk_secbuf commit = SK_SECBUF_INIT;
    *recovered = 2;
    if (sk_pkg_exists(stagefd, SK_PKG_COMMIT)) {
        *recovered = 1;
        rc = sk_read_at(stagefd, SK_PKG_COMMIT, SK_PKG_STAGE "/" SK_PKG_COMMIT, 1u << 20, &commit,
                        NULL, err);
        if (rc == SK_OK) rc = sk_pkg_apply(dirfd, stagefd, (const char *)commit.data, err);
    }
    sk_secbuf_free(&commit);
    close(stagefd);
    if (rc == SK_OK) rc = sk_pkg_remove_tree(dirfd, SK_PKG_STAGE, err);
    if (rc == SK_OK && fsync(dirfd) != 0) rc = sys_fail(err, "sync", shown);
    return rc;
}

/*
 * Opens the folder that will hold path's last part (*name points at it), making the folders
 * that are missing (0755), mkdir -p style, and never going by path again: each part is opened
 * relative to its parent's handle. The folders that exist are the ones the caller named and
 * are taken as given (a link among them is followed, as every named path is); a folder this
 * call makes is entered with O_NOFOLLOW, so one swapped for a link meanwhile is refused rather
 * than written through.
 */
static int open_out_dir(const char *path, int *dfd, const char **name, sk_error *err)
{
    const char *slash = strrchr(path, '/');
    *name = slash != NULL ? slash + 1 : path;
    *dfd = -1;
    if (**name == '\0' || strcmp(*name, ".") == 0 || strcmp(*name, "..") == 0) {
        sk_error_set(err, SK_EUSAGE, "not a file name");
        return sk_error_at_source(err, SK_EUSAGE, path);
    }
    int cur = open(path[0] == '/' ? "/" : ".", DIR_FLAGS & ~O_NOFOLLOW);
    if (cur < 0) {
        sk_error_set(err, SK_EIO, "cannot open the current folder: %s", strerror(errno));
        return sk_error_at_source(err, SK_EIO, path);
    }
    int made = 0;
    char part[256];
    for (const char *p = path; slash != NULL && p < slash;) {
        size_t n = strcspn(p, "/");
        if (p + n > slash) n = (size_t)(slash - p);
        const char *next = p + n + 1;
        if (n == 0 || (n == 1 && p[0] == '.')) {
            p = next;
            continue;
        }
        if (n >= sizeof part) {
            close(cur);
            sk_error_set(err, SK_ELIMIT, "a folder name is longer than %zu bytes", sizeof part - 1);
            return sk_error_at_source(err, SK_ELIMIT, path);
        }
        memcpy(part, p, n);
        part[n] = '\0';
        int fd = openat(cur, part, made ? DIR_FLAGS : DIR_FLAGS & ~O_NOFOLLOW);
        if (fd < 0 && errno == ENOENT) {
            if (mkdirat(cur, part, 0755) != 0 && errno != EEXIST) {
                sk_error_set(err, SK_EIO, "cannot create the folder %.*s: %s", (int)(p + n - path),
                             path, strerror(errno));
                close(cur);
                return sk_error_at_source(err, SK_EIO, path);
            }
            made = 1;
            (void)fsync(cur); /* best effort: the new folder's entry in its parent */
            fd = openat(cur, part, DIR_FLAGS);
        }
        int e = errno;
        close(cur);
        if (fd < 0) {
            sk_error_set(err, SK_EIO, "cannot open the folder %.*s%s: %s", (int)(p + n - path),
                         path,
                         made && (e == ELOOP || e == ENOTDIR)
                             ? " (a folder sealkit made, replaced by a link or a file since; "
                               "never followed)"
                             : "",
                         strerror(e));
            return sk_error_at_source(err, SK_EIO, path);
        }
        cur = fd;
        p = next;
    }
    *dfd = cur;
    return SK_OK;
}

int sk_package_save(const char *path, const unsigned char *data, size_t len, int force, int *same,
                    sk_error *err)
{
    *same = 0;
    int dfd = -1;
    const char *name = NULL;
    int rc = open_out_dir(path, &dfd, &name, err);
    if (rc != SK_OK) return rc;
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            rc = sk_write_new_at(dfd, name, path, data, len, 0644, err);
        else
            rc = sk_error_at_source(
                err, sk_error_set(err, SK_EIO, "cannot inspect: %s", strerror(errno)), path);
        close(dfd);
        return rc;
    }
    if (S_ISLNK(st.st_mode)) {
        close(dfd);
        sk_error_set(err, SK_EIO, "is a symbolic link; never followed, left alone");
        sk_error_hint(err, "remove the link, or give another --output or --output-dir");
        return sk_error_at_source(err, SK_EIO, path);
    }
    /* Read and, with force, replaced through the folder's handle: only the very file read. */
    sk_secbuf old = SK_SECBUF_INIT;
    rc = sk_read_at(dfd, name, path, SK_MAX_INPUT, &old, &st, err);
    *same = rc == SK_OK && old.len == len && memcmp(old.data, data, len) == 0;
    sk_secbuf_free(&old);
    if (rc == SK_OK && !*same && force)
        rc = sk_write_atomic_at(dfd, name, path, data, len, 0644, &st, err);
    else if (rc == SK_OK && !*same) {
        sk_error_set(err, SK_EINVAL, "%s: exists with other contents; not replaced", path);
        sk_error_hint(err, "pass --force to replace it, or give another --date or --output-dir");
        rc = SK_EINVAL;
    }
    close(dfd);
    return rc;
}
