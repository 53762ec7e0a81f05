#include <sealkit/io.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* An I/O error: the file goes in err->source, so that the message does not repeat it. */
static int io_error(sk_error *err, const char *path, int code, const char *what, int e)
{
    if (e != 0)
        sk_error_set(err, code, "%s: %s", what, strerror(e));
    else
        sk_error_set(err, code, "%s", what);
    return sk_error_at_source(err, code, path);
}

int sk_read_fd(int fd, const char *name, size_t limit, sk_secbuf *out, sk_error *err)
{
    unsigned char chunk[16384];
    int rc = SK_OK;
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            rc = io_error(err, name, SK_EIO, "cannot read", errno);
            break;
        }
        if (got == 0) break;
        if (out->len + (size_t)got > limit) {
            rc = sk_error_set(err, SK_ELIMIT, "larger than the %zu MiB input limit", limit >> 20);
            sk_error_at_source(err, SK_ELIMIT, name);
            break;
        }
        rc = sk_secbuf_append(out, chunk, (size_t)got, err);
        if (rc != SK_OK) break;
    }
    sk_wipe(chunk, sizeof chunk);
    if (rc == SK_OK && out->data == NULL) rc = sk_secbuf_reserve(out, 0, err);
    if (rc != SK_OK) sk_secbuf_free(out);
    return rc;
}

int sk_read_file(const char *path, size_t limit, sk_secbuf *out, sk_error *err)
{
    if (strcmp(path, "-") == 0) return sk_read_fd(STDIN_FILENO, "<stdin>", limit, out, err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error(err, path, SK_EIO, "cannot open", errno);
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return io_error(err, path, SK_EIO, "cannot read: it is a directory", 0);
    }
    int rc = sk_read_fd(fd, path, limit, out, err);
    close(fd);
    return rc;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL) return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Temporary name beside the target so that rename(2) stays on one filesystem. */
static int open_temp_beside(const char *path, mode_t mode, char *tmp, size_t tmpsz)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(tmp, tmpsz, "%s.sealkit-tmp.%ld.%d", path, (long)getpid(), attempt);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

/* A complete, fsync'ed copy of data in a new temporary file beside path (name in tmp). */
static int write_temp(const char *path, const void *data, size_t len, mode_t mode, char *tmp,
                      size_t tmpsz, sk_error *err)
{
    if (strlen(path) + 64 > tmpsz)
        return sk_error_set(err, SK_EIO, "path too long: %.64s...", path);
    int fd = open_temp_beside(path, mode, tmp, tmpsz);
    if (fd < 0)
        return io_error(err, path, SK_EIO, "cannot create a temporary file beside it", errno);
    /* The umask must not widen or narrow what the caller asked for. */
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return io_error(err, path, SK_EIO, "cannot write", e);
    }
    if (close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return io_error(err, path, SK_EIO, "cannot write", e);
    }
    return SK_OK;
}

int sk_write_atomic(const char *path, const void *data, size_t len, mode_t mode, sk_error *err)
{
    char tmp[4096 + 64];
    int rc = write_temp(path, data, len, mode, tmp, sizeof tmp, err);
    if (rc != SK_OK) return rc;
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return io_error(err, path, SK_EIO, "cannot replace", e);
    }
    if (fsync_dir_of(path) != 0)
        return io_error(err, path, SK_EIO, "written, but its folder could not be synced", errno);
    return SK_OK;
}

static int exists_error(const char *path, sk_error *err)
{
    io_error(err, path, SK_EIO, "already exists; sealkit never overwrites it", 0);
    sk_error_hint(err, "choose another file name, or move the existing file away first");
    return SK_EIO;
}

/* No hard links on this file system (vfat, some FUSE); EOPNOTSUPP is ENOTSUP on Linux only. */
static int link_unsupported(int e)
{
#if EOPNOTSUPP != ENOTSUP
    if (e == EOPNOTSUPP) return 1;
#endif
    return e == EPERM || e == ENOTSUP || e == ENOSYS;
}

/* Where hard links are not supported, O_EXCL on the final name still never overwrites. */
static int write_new_direct(const char *path, const void *data, size_t len, mode_t mode,
                            sk_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0 && errno == EEXIST) return exists_error(path, err);
    if (fd < 0) return io_error(err, path, SK_EIO, "cannot create", errno);
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return io_error(err, path, SK_EIO, "cannot write", e);
    }
    close(fd);
    (void)fsync_dir_of(path); /* best effort: the file itself is on disk */
    return SK_OK;
}

int sk_write_new(const char *path, const void *data, size_t len, mode_t mode, sk_error *err)
{
    char tmp[4096 + 64];
    struct stat st;
    if (lstat(path, &st) == 0) return exists_error(path, err);
    int rc = write_temp(path, data, len, mode, tmp, sizeof tmp, err);
    if (rc != SK_OK) return rc;
    /* link(2), unlike rename(2), fails when the name exists: the whole file appears or nothing. */
    int linked = link(tmp, path);
    int e = errno;
    unlink(tmp);
    if (linked != 0 && e == EEXIST) return exists_error(path, err);
    if (linked != 0 && link_unsupported(e)) return write_new_direct(path, data, len, mode, err);
    if (linked != 0) return io_error(err, path, SK_EIO, "cannot create", e);
    (void)fsync_dir_of(path);
    return SK_OK;
}
