/* File input and atomic output. */
#ifndef SEALKIT_IO_H
#define SEALKIT_IO_H

#include <stddef.h>
#include <sys/types.h>
#include "error.h"
#include "mem.h"

/* Largest input sealkit reads from one file or stream (documented). */
#define SK_MAX_INPUT ((size_t)32 * 1024 * 1024)

/*
 * Reads all of fd into guarded memory; more than limit bytes is SK_ELIMIT.
 * name is for messages (the error's source).
 */
SK_API int sk_read_fd(int fd, const char *name, size_t limit, sk_secbuf *out, sk_error *err);
/* Reads a whole file; "-" means standard input. */
SK_API int sk_read_file(const char *path, size_t limit, sk_secbuf *out, sk_error *err);

/*
 * Replaces path atomically: a temporary file in the same folder created with
 * mode (whatever the umask), written, fsync'ed, renamed over path, and the
 * folder fsync'ed. On a failure up to the rename path is untouched and the
 * temporary file is removed; when only the final folder fsync fails, path
 * already holds the new bytes and the SK_EIO message says so ("written, but
 * its folder could not be synced").
 */
SK_API int sk_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           sk_error *err);

/*
 * Creates path with exactly mode and writes data, never replacing anything:
 * the bytes go to a temporary file beside path, are fsync'ed, then linked to
 * path, which fails when path exists (SK_EIO, "already exists"). A reader
 * never sees a partial file; on failure nothing is left behind. On a file
 * system without hard links (vfat, some FUSE) path is instead created with
 * O_EXCL and written in place: still never replacing anything, but a reader
 * may see it partly written.
 */
SK_API int sk_write_new(const char *path, const void *data, size_t len, mode_t mode, sk_error *err);

#endif
