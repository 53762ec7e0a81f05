/*
 * An LD_PRELOAD shim that makes calls on sealkit's temporary files fail, so
 * that tests can prove the atomic-write path leaves every target old or new
 * and no temporary file behind. Only files whose name contains
 * ".sealkit-tmp." (and the descriptors opened on them) are touched: standard
 * output, standard error and the inputs keep working.
 *
 * SK_FAULT="OP:ERR:N[:COUNT][,OP:ERR:N[:COUNT]...]"
 *   OP     open, write, fsync, fchmod, close or rename (of a temporary file)
 *   ERR    ENOSPC, EIO, EDQUOT, EROFS, EACCES, EINTR, or SHORT (write only:
 *          each call writes at most 7 bytes, which a correct writer loops over)
 *   N      this many calls of OP succeed first (counted per process)
 *   COUNT  this many calls fail after them (default: every later call)
 * SK_FAULT_LOG=FILE appends one line "OP ERR PATH" per injected fault.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define TAG ".sealkit-tmp."
#define MAX_FDS 4096
#define SHORT_WRITE 7
#define ERR_SHORT (-1)

enum op { OP_OPEN, OP_WRITE, OP_FSYNC, OP_FCHMOD, OP_CLOSE, OP_RENAME, N_OPS };
static const char *const op_names[N_OPS] = {"open", "write", "fsync", "fchmod", "close", "rename"};

typedef struct rule {
    int active;
    int err;    /* errno to set, or ERR_SHORT */
    long after; /* calls that succeed first */
    long count; /* failures after them; -1 means no end */
    long calls; /* calls seen so far */
} rule;

static rule rules[N_OPS];
static char temp_fd[MAX_FDS];
static char temp_name[MAX_FDS][256];
static const char *log_path;

static const struct {
    const char *name;
    int value;
} errnos[] = {{"ENOSPC", ENOSPC}, {"EIO", EIO},     {"EDQUOT", EDQUOT},  {"EROFS", EROFS},
              {"EACCES", EACCES}, {"EINTR", EINTR}, {"SHORT", ERR_SHORT}};

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_fchmod)(int, mode_t);
static int (*real_close)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_renameat)(int, const char *, int, const char *);

static void die(const char *msg)
{
    fprintf(stderr, "faultinject: %s\n", msg);
    _exit(97);
}

static int parse_errno(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (strlen(errnos[i].name) == n && strncmp(errnos[i].name, s, n) == 0)
            return errnos[i].value;
    die("SK_FAULT: unknown error name");
    return 0;
}

static void parse_rule(char *spec)
{
    char *fields[4] = {NULL, NULL, NULL, NULL};
    size_t n = 0;
    for (char *save = NULL, *f = strtok_r(spec, ":", &save); f && n < 4;
         f = strtok_r(NULL, ":", &save))
        fields[n++] = f;
    if (n < 3) die("SK_FAULT: expected OP:ERR:N[:COUNT]");
    for (int op = 0; op < N_OPS; op++) {
        if (strcmp(fields[0], op_names[op]) != 0) continue;
        rules[op].active = 1;
        rules[op].err = parse_errno(fields[1], strlen(fields[1]));
        rules[op].after = strtol(fields[2], NULL, 10);
        rules[op].count = n == 4 ? strtol(fields[3], NULL, 10) : -1;
        if (rules[op].err == ERR_SHORT && op != OP_WRITE) die("SK_FAULT: SHORT is for write only");
        return;
    }
    die("SK_FAULT: unknown operation");
}

static void *next(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (p == NULL) die("dlsym failed");
    return p;
}

__attribute__((constructor)) static void setup(void)
{
    real_open = next("open");
    real_open64 = next("open64");
    real_openat = next("openat");
    real_write = next("write");
    real_fsync = next("fsync");
    real_fdatasync = next("fdatasync");
    real_fchmod = next("fchmod");
    real_close = next("close");
    real_rename = next("rename");
    real_renameat = next("renameat");
    log_path = getenv("SK_FAULT_LOG");
    const char *env = getenv("SK_FAULT");
    if (env == NULL || *env == '\0') return;
    char *copy = strdup(env);
    if (copy == NULL) die("out of memory");
    for (char *save = NULL, *r = strtok_r(copy, ",", &save); r; r = strtok_r(NULL, ",", &save))
        parse_rule(r);
    free(copy);
}

static void log_fault(int op, int err, const char *path)
{
    if (log_path == NULL) return;
    int fd = real_open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return;
    char line[512];
    const char *ename = "SHORT";
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (errnos[i].value == err) ename = errnos[i].name;
    int n = snprintf(line, sizeof line, "%s %s %s\n", op_names[op], ename, path ? path : "?");
    if (n > 0) (void)real_write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    real_close(fd);
}

/* Counts a call on a temporary file; returns the errno to inject, ERR_SHORT, or 0. */
static int fault(int op, const char *path)
{
    rule *r = &rules[op];
    if (!r->active) return 0;
    long seen = __atomic_fetch_add(&r->calls, 1, __ATOMIC_SEQ_CST);
    if (seen < r->after || (r->count >= 0 && seen >= r->after + r->count)) return 0;
    log_fault(op, r->err, path);
    return r->err;
}

static int is_temp_path(const char *path)
{
    return path != NULL && strstr(path, TAG) != NULL;
}

static const char *temp_fd_name(int fd)
{
    return fd >= 0 && fd < MAX_FDS && temp_fd[fd] ? temp_name[fd] : NULL;
}

static int opened(int fd, const char *path)
{
    if (fd >= 0 && fd < MAX_FDS && is_temp_path(path)) {
        temp_fd[fd] = 1;
        snprintf(temp_name[fd], sizeof temp_name[fd], "%s", path);
    }
    return fd;
}

static int open_common(int dirfd, const char *path, int flags, mode_t mode, int which)
{
    if (is_temp_path(path)) {
        int e = fault(OP_OPEN, path);
        if (e) {
            errno = e;
            return -1;
        }
    }
    int fd = which == 0   ? real_open(path, flags, mode)
             : which == 1 ? real_open64(path, flags, mode)
                          : real_openat(dirfd, path, flags, mode);
    return opened(fd, path);
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return open_common(AT_FDCWD, path, flags, mode, 0);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return open_common(AT_FDCWD, path, flags, mode, 1);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return open_common(dirfd, path, flags, mode, 2);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    const char *name = temp_fd_name(fd);
    int e = name ? fault(OP_WRITE, name) : 0;
    if (e == ERR_SHORT) return real_write(fd, buf, len < SHORT_WRITE ? len : SHORT_WRITE);
    if (e) {
        errno = e;
        return -1;
    }
    return real_write(fd, buf, len);
}

static int fd_call(int op, int fd)
{
    const char *name = temp_fd_name(fd);
    int e = name ? fault(op, name) : 0;
    if (e) errno = e;
    return e;
}

int fsync(int fd)
{
    return fd_call(OP_FSYNC, fd) ? -1 : real_fsync(fd);
}

int fdatasync(int fd)
{
    return fd_call(OP_FSYNC, fd) ? -1 : real_fdatasync(fd);
}

int fchmod(int fd, mode_t mode)
{
    return fd_call(OP_FCHMOD, fd) ? -1 : real_fchmod(fd, mode);
}

/* Like NFS on a full disk: the descriptor is released, and the error reported. */
int close(int fd)
{
    int e = fd_call(OP_CLOSE, fd);
    if (fd >= 0 && fd < MAX_FDS) temp_fd[fd] = 0;
    int rc = real_close(fd);
    if (e) {
        errno = e;
        return -1;
    }
    return rc;
}

int rename(const char *from, const char *to)
{
    int e = is_temp_path(from) ? fault(OP_RENAME, from) : 0;
    if (e) {
        errno = e;
        return -1;
    }
    return real_rename(from, to);
}

int renameat(int fromfd, const char *from, int tofd, const char *to)
{
    int e = is_temp_path(from) ? fault(OP_RENAME, from) : 0;
    if (e) {
        errno = e;
        return -1;
    }
    return real_renameat(fromfd, from, tofd, to);
}
