/* Internal: the file system side of sk_package_install (package_install_fs.c). */
#ifndef SK_PACKAGE_INSTALL_INTERNAL_H
#define SK_PACKAGE_INSTALL_INTERNAL_H

#include <stddef.h>
#include <sealkit/error.h>

#define SK_PKG_STAGE ".sealkit-install.stage"
#define SK_PKG_COMMIT "commit"
#define SK_PKG_OLD "old"

/*
 * Opens the folder rel (components separated by '/') below base, each component with
 * O_NOFOLLOW so that a link is never entered; with create, missing folders are made (0755).
 * shown names the folder in messages.
 */
int sk_pkg_open_dir(int base, const char *rel, int create, const char *shown, int *fd,
                    sk_error *err);

/* 1 when name exists in dirfd (a link counts, never followed), 0 when not. */
int sk_pkg_exists(int dirfd, const char *name);

/* Creates name in dirfd (never replacing anything), writes data and fsyncs it. */
int sk_pkg_put_file(int dirfd, const char *name, const void *data, size_t len, sk_error *err);

/* Removes name in dirfd and, for a folder, everything in it, never following a link. */
int sk_pkg_remove_tree(int dirfd, const char *name, sk_error *err);

/*
 * Carries out the commit record's operations, each of which can be repeated: a run killed
 * part-way is finished by running them all again. Lines:
 *   mkdir REL            the folder REL (and its parents) exists
 *   swap NEW OLD REL     the folder REL moves to old/OLD, then stage/NEW becomes REL
 *   drop OLD REL         the folder REL moves to old/OLD
 *   put NEW REL          stage/NEW replaces the file REL
 *   create NEW REL       stage/NEW becomes REL unless REL exists meanwhile (then it is kept)
 */
int sk_pkg_apply(int dirfd, int stagefd, const char *commit, sk_error *err);

/*
 * Finishes (commit record present) or rolls back (absent) an install that was interrupted,
 * then removes the stage. *recovered: 0 nothing to do, 1 finished, 2 rolled back.
 */
int sk_pkg_recover(int dirfd, const char *shown, int *recovered, sk_error *err);

#endif
