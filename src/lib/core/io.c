#include <sealkit/io.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
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

/* Same file, and unchanged as far as its metadata tells (not atime: reading changes it). */
static int same_state(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_mode == b->st_mode &&
           a->st_nlink == b->st_nlink && a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
           a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
           a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int sk_read_at(int dirfd, const char *name, const char *shown, size_t limit, sk_secbuf *out,
               struct stat *st, sk_error *err)
{
    /* O_NONBLOCK: a FIFO put in the file's place must not hang the open; it is refused below. */
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && errno == ELOOP)
        return io_error(err, shown, SK_EIO,
                        "is a symbolic link (replaced since it was listed?); "
                        "never followed, left alone",
                        0);
    if (fd < 0) return io_error(err, shown, SK_EIO, "cannot open", errno);
    /* The state before reading: a change made while it is read, or later, shows against it. */
    struct stat before, after;
    int rc;
    if (fstat(fd, &before) != 0)
        rc = io_error(err, shown, SK_EIO, "cannot read", errno);
    else if (!S_ISREG(before.st_mode))
        rc = io_error(err, shown, SK_EIO,
                      "not a regular file (replaced since it was listed?); "
                      "left alone",
                      0);
    else
        rc = sk_read_fd(fd, shown, limit, out, err);
    if (rc == SK_OK && (fstat(fd, &after) != 0 || !same_state(&before, &after))) {
        sk_secbuf_free(out);
        rc = io_error(err, shown, SK_EIO, "changed while it was being read; left for the next run",
                      0);
    }
    close(fd);
    if (rc == SK_OK && st != NULL) *st = before;
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

/* A temporary file name fits in this (the name itself is at most NAME_MAX, 255 bytes). */
#define TEMP_NAME_MAX 384

/*
 * The files a write of this process has created and not yet renamed or removed, so that a
 * signal handler can remove them (sk_io_remove_in_flight): a run interrupted while writing
 * plaintext must not leave it behind. The handler may run between any two instructions, so a
 * slot is filled before it is published (state IN_FLIGHT) and unpublished before it is reused;
 * the handler only reads published slots and calls unlinkat, which is async-signal-safe.
 */
enum { SLOT_FREE, SLOT_FILLING, SLOT_IN_FLIGHT };
#define IN_FLIGHT_SLOTS 16

static struct {
    atomic_int state;
    int dirfd;
    char name[TEMP_NAME_MAX];
} in_flight[IN_FLIGHT_SLOTS];

/* The slot that now stands for name in dirfd; -1 when all are taken (the file is not covered). */
static int in_flight_add(int dirfd, const char *name)
{
    for (int i = 0; i < IN_FLIGHT_SLOTS; i++) {
        int expect = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&in_flight[i].state, &expect, SLOT_FILLING)) continue;
        in_flight[i].dirfd = dirfd;
        snprintf(in_flight[i].name, sizeof in_flight[i].name, "%s", name);
        atomic_store(&in_flight[i].state, SLOT_IN_FLIGHT);
        return i;
    }
    return -1;
}

static void in_flight_done(int slot)
{
    if (slot >= 0) atomic_store(&in_flight[slot].state, SLOT_FREE);
}

int sk_io_remove_in_flight(void)
{
    int removed = 0;
    for (int i = 0; i < IN_FLIGHT_SLOTS; i++)
        if (atomic_load(&in_flight[i].state) == SLOT_IN_FLIGHT &&
            unlinkat(in_flight[i].dirfd, in_flight[i].name, 0) == 0)
            removed++;
    return removed;
}

/* Temporary name beside name, in the same folder so that renameat stays on one file system. */
static int open_temp_at(int dirfd, const char *name, mode_t mode, char *tmp, size_t tmpsz)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        snprintf(tmp, tmpsz, "%s.sealkit-tmp.%ld.%d", name, (long)getpid(), attempt);
        int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

/*
 * Creates a file with open_file(dirfd, name, ...) and records it in in_flight (*slot) with every
 * signal blocked in between, so that a SIGINT/SIGTERM handler never runs after the file exists
 * and before it is recorded: such a signal waits until the file can be removed. (sigprocmask is
 * per thread on Linux, as pthread_sigmask, and needs no -pthread.)
 */
static int create_recorded(int dirfd, int (*open_file)(int, const char *, mode_t, char *, size_t),
                           const char *name, mode_t mode, char *made, size_t madesz, int *slot)
{
    sigset_t all, old;
    sigfillset(&all);
    int masked = sigprocmask(SIG_BLOCK, &all, &old) == 0;
    int fd = open_file(dirfd, name, mode, made, madesz);
    int e = errno;
    *slot = fd >= 0 ? in_flight_add(dirfd, made) : -1;
    if (masked) sigprocmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return fd;
}

/* Gives the temporary file fd the owner and group of was; 0, or an errno. */
static int keep_owner(int fd, const struct stat *was)
{
    struct stat now;
    if (fstat(fd, &now) != 0) return errno;
    if (now.st_uid == was->st_uid && now.st_gid == was->st_gid) return 0;
    return fchown(fd, was->st_uid, was->st_gid) == 0 ? 0 : errno;
}

static int owner_error(sk_error *err, const char *shown, const struct stat *was, int e)
{
    sk_error_set(err, SK_EIO,
                 "cannot give the new version its owner and group (%lu:%lu): %s; left "
                 "alone",
                 (unsigned long)was->st_uid, (unsigned long)was->st_gid, strerror(e));
    sk_error_hint(err, "rewrite it as its owner or as root, so that it keeps its owner");
    return sk_error_at_source(err, SK_EIO, shown);
}

/*
 * A complete, fsync'ed copy of data in a new temporary file beside name in dirfd (its name in
 * tmp), with mode and, when owner is not NULL, owner's owner and group.
 */
static int write_temp_at(int dirfd, const char *name, const char *shown, const void *data,
                         size_t len, mode_t mode, const struct stat *owner, char *tmp, int *slot,
                         sk_error *err)
{
    *slot = -1;
    if (strlen(name) + 64 > TEMP_NAME_MAX) return io_error(err, shown, SK_EIO, "name too long", 0);
    int fd = create_recorded(dirfd, open_temp_at, name, mode, tmp, TEMP_NAME_MAX, slot);
    if (fd < 0)
        return io_error(err, shown, SK_EIO, "cannot create a temporary file beside it", errno);
    int e = owner != NULL ? keep_owner(fd, owner) : 0;
    if (e != 0) {
        close(fd);
        unlinkat(dirfd, tmp, 0);
        in_flight_done(*slot);
        return owner_error(err, shown, owner, e);
    }
    /* The umask must not widen or narrow what the caller asked for (after fchown, which may
     * clear the set-id bits). */
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        e = errno;
        close(fd);
        unlinkat(dirfd, tmp, 0);
        in_flight_done(*slot);
        return io_error(err, shown, SK_EIO, "cannot write", e);
    }
    if (close(fd) != 0) {
        e = errno;
        unlinkat(dirfd, tmp, 0);
        in_flight_done(*slot);
        return io_error(err, shown, SK_EIO, "cannot write", e);
    }
    return SK_OK;
}

int sk_write_atomic_at(int dirfd, const char *name, const char *shown, const void *data, size_t len,
                       mode_t mode, const struct stat *was, sk_error *err)
{
    if (was != NULL && was->st_nlink > 1) {
        sk_error_set(err, SK_EIO, "has %lu hard links; rewriting it would split them; left alone",
                     (unsigned long)was->st_nlink);
        return sk_error_at_source(err, SK_EIO, shown);
    }
    char tmp[TEMP_NAME_MAX];
    int slot = -1;
    int rc = write_temp_at(dirfd, name, shown, data, len, mode, was, tmp, &slot, err);
    if (rc != SK_OK) return rc;
    /*
     * As late as can be: the name must still hold the very file that was read, unchanged. A
     * change after this check and before the rename is still lost (rename(2) cannot compare).
     */
    if (was != NULL) {
        struct stat now;
        int e = fstatat(dirfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : errno;
        if (e != 0 || !same_state(was, &now)) {
            unlinkat(dirfd, tmp, 0);
            in_flight_done(slot);
            if (e != 0 && e != ENOENT) return io_error(err, shown, SK_EIO, "cannot check", e);
            return io_error(err, shown, SK_EIO,
                            "changed while it was being rewritten; left for the next run", 0);
        }
    }
    int renamed = renameat(dirfd, tmp, dirfd, name);
    int e = errno;
    if (renamed != 0) unlinkat(dirfd, tmp, 0);
    in_flight_done(slot);
    if (renamed != 0) return io_error(err, shown, SK_EIO, "cannot replace", e);
    if (fsync(dirfd) != 0)
        return io_error(err, shown, SK_EIO, "written, but its folder could not be synced", errno);
    return SK_OK;
}

/* The folder of path, opened as given (the caller named it), and its last part. */
static int open_dir_of(const char *path, int *dirfd, const char **name, sk_error *err)
{
    const char *slash = strrchr(path, '/');
    *name = slash != NULL ? slash + 1 : path;
    if (**name == '\0') return io_error(err, path, SK_EIO, "not a file name", 0);
    char *dir = slash == NULL   ? strdup(".")
                : slash == path ? strdup("/")
                                : strndup(path, (size_t)(slash - path));
    if (dir == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    *dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (*dirfd < 0)
        return io_error(err, path, SK_EIO, "cannot create a temporary file beside it", errno);
    return SK_OK;
}

int sk_write_atomic(const char *path, const void *data, size_t len, mode_t mode, sk_error *err)
{
    int dfd = -1;
    const char *name = NULL;
    int rc = open_dir_of(path, &dfd, &name, err);
    if (rc != SK_OK) return rc;
    rc = sk_write_atomic_at(dfd, name, path, data, len, mode, NULL, err);
    close(dfd);
    return rc;
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

/* name itself, created and never replacing anything; its name in made (for create_recorded). */
static int open_new_at(int dirfd, const char *name, mode_t mode, char *made, size_t madesz)
{
    if (strlen(name) >= madesz) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf(made, madesz, "%s", name);
    return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
}

/* Where hard links are not supported, O_EXCL on the final name still never overwrites. */
static int write_new_direct(int dirfd, const char *name, const char *path, const void *data,
                            size_t len, mode_t mode, sk_error *err)
{
    /* Written in place: until it is whole, the name itself is what an interruption must remove. */
    char made[TEMP_NAME_MAX];
    int slot = -1;
    int fd = create_recorded(dirfd, open_new_at, name, mode, made, sizeof made, &slot);
    if (fd < 0 && errno == EEXIST) return exists_error(path, err);
    if (fd < 0) return io_error(err, path, SK_EIO, "cannot create", errno);
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        unlinkat(dirfd, name, 0);
        in_flight_done(slot);
        return io_error(err, path, SK_EIO, "cannot write", e);
    }
    close(fd);
    in_flight_done(slot);
    (void)fsync(dirfd); /* best effort: the file itself is on disk */
    return SK_OK;
}

static int write_new_at(int dirfd, const char *name, const char *path, const void *data, size_t len,
                        mode_t mode, sk_error *err)
{
    char tmp[TEMP_NAME_MAX];
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) return exists_error(path, err);
    int slot = -1;
    int rc = write_temp_at(dirfd, name, path, data, len, mode, NULL, tmp, &slot, err);
    if (rc != SK_OK) return rc;
    /* link(2), unlike rename(2), fails when the name exists: the whole file appears or nothing. */
    int linked = linkat(dirfd, tmp, dirfd, name, 0);
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    in_flight_done(slot);
    if (linked != 0 && e == EEXIST) return exists_error(path, err);
    if (linked != 0 && link_unsupported(e))
        return write_new_direct(dirfd, name, path, data, len, mode, err);
    if (linked != 0) return io_error(err, path, SK_EIO, "cannot create", e);
    (void)fsync(dirfd);
    return SK_OK;
}

int sk_write_new_at(int dirfd, const char *name, const char *shown, const void *data, size_t len,
                    mode_t mode, sk_error *err)
{
    return write_new_at(dirfd, name, shown, data, len, mode, err);
}

int sk_write_new(const char *path, const void *data, size_t len, mode_t mode, sk_error *err)
{
    int dfd = -1;
    const char *name = NULL;
    int rc = open_dir_of(path, &dfd, &name, err);
    if (rc != SK_OK) return rc;
    rc = write_new_at(dfd, name, path, data, len, mode, err);
    close(dfd);
    return rc;
}
