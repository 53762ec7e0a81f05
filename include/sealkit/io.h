/* File input and atomic output. */
#ifndef SEALKIT_IO_H
#define SEALKIT_IO_H

#include <stddef.h>
#include <sys/stat.h>
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
 * Reads the file name in the folder dirfd (see sk_open_parent in walk.h), never following a
 * link: a link, a folder or a special file there is SK_EIO. shown names the file in messages
 * (the error's source). When st is not NULL it receives the file's state as it was read (fstat
 * of the descriptor read from, taken before reading), for sk_write_atomic_at. A file that
 * changes while it is read is SK_EIO ("changed while it was being read").
 */
SK_API int sk_read_at(int dirfd, const char *name, const char *shown, size_t limit, sk_secbuf *out,
                      struct stat *st, sk_error *err);

/*
 * Replaces path atomically: a temporary file in the same folder created with
 * mode (whatever the umask), written, fsync'ed, renamed over path, and the
 * folder fsync'ed. On a failure up to the rename path is untouched and the
 * temporary file is removed; when only the final folder fsync fails, path
 * already holds the new bytes and the SK_EIO message says so ("written, but
 * its folder could not be synced"). The folder is opened by path (the caller
 * named it) and the rest goes through its handle: sk_write_atomic_at, was NULL.
 */
SK_API int sk_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           sk_error *err);

/*
 * sk_write_atomic through a handle on the folder: replaces name in dirfd, never going by path
 * again, so a folder swapped for a link meanwhile is never written through. The temporary file
 * is created with openat(O_CREAT | O_EXCL | O_NOFOLLOW), written, fsync'ed, renamed over name
 * with renameat, and dirfd fsync'ed. shown names the file in messages (the error's source).
 *
 * was, when not NULL, is the file's state from sk_read_at, for replacing the very file that was
 * read and nothing else:
 * - a file with more than one hard link is refused (SK_EIO, "has N hard links"): replacing one
 *   name would silently split it from the others;
 * - the new file gets was's owner and group, and mode. When that fails (a process that is not
 *   root cannot give a file away, nor to a group it is not in), nothing is replaced (SK_EIO):
 *   the file would otherwise change hands silently, and its owner might lose access to it;
 * - just before the rename, name must still be that file (same device and inode, not a link)
 *   and unchanged (same size, mode, owner, link count, modification and change times). Else
 *   nothing is replaced, the temporary file is removed, and SK_EIO says "changed while it was
 *   being rewritten". Not seen: a change in the instant between that check and the rename
 *   (rename(2) cannot compare and swap), or an in-place write that keeps the size within one
 *   tick of the file system's clock (the times then do not move).
 * With was NULL, whatever name holds is replaced, and the new file belongs to the caller.
 */
SK_API int sk_write_atomic_at(int dirfd, const char *name, const char *shown, const void *data,
                              size_t len, mode_t mode, const struct stat *was, sk_error *err);

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

/*
 * sk_write_new through a handle on the folder: creates name in dirfd, never going by path and
 * never replacing anything (a link in its place counts as existing: never followed). The
 * temporary file is made with openat(O_CREAT | O_EXCL | O_NOFOLLOW) and linked to name with
 * linkat. shown names the file in messages (the error's source).
 */
SK_API int sk_write_new_at(int dirfd, const char *name, const char *shown, const void *data,
                           size_t len, mode_t mode, sk_error *err);

/*
 * Removes every file that a write of this process (sk_write_atomic, sk_write_atomic_at,
 * sk_write_new, sk_write_new_at) has created and not yet put in place, and returns how many.
 * Async-signal-safe: meant for a SIGINT/SIGTERM handler that then re-raises the signal, so
 * that an interrupted write leaves no temporary file (which may hold plaintext) behind. A file
 * is recorded as it is created, with signals blocked in between, so a signal never finds one
 * unrecorded. The library installs no handler itself; up to 16 writes in flight at once
 * (threads) are covered. This record of writes in flight is the one process-wide state the
 * library keeps.
 */
SK_API int sk_io_remove_in_flight(void);

#endif
