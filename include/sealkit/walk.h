/*
 * The one folder walk of every command (verify, reseal, unseal and keys):
 * which files a list of paths stands for, in a stable order, and what was
 * passed over and why. Inside folders it opens each folder relative to its
 * parent's handle with O_NOFOLLOW, so a link swapped in for a folder is never
 * entered, and it reads entries with fstatat without following links.
 */
#ifndef SEALKIT_WALK_H
#define SEALKIT_WALK_H

#include <stddef.h>
#include "error.h"
#include "export.h"

enum sk_walk_flags {
    SK_WALK_MANIFESTS = 1u << 0, /* inside folders, take only *.yaml, *.yml and *.json */
    /*
     * Follow links inside folders. Only for key folders: a Secret mounted as a
     * volume presents each key as a link into a hidden ..data folder.
     */
    SK_WALK_FOLLOW_LINKS = 1u << 1,
    SK_WALK_FLAT = 1u << 2, /* do not descend into subfolders */
    /* Read the patterns of SK_WALK_IGNORE_FILE_NAME in each named folder, as --exclude's. */
    SK_WALK_IGNORE_FILE = 1u << 3
};

/* A repository's own list of what a rotation passes over (one pattern per line, '#' comments). */
#define SK_WALK_IGNORE_FILE_NAME ".sealkitignore"

typedef struct sk_walk_list {
    char **files; /* named files in the order given, then each folder's files by name */
    /*
     * Beside each file: how many leading bytes of its path are the path the caller named (the
     * whole path for a named file). What follows is what the walk found below it, without
     * following a link: sk_open_parent opens it again the same way.
     */
    size_t *root_len;
    size_t *size; /* beside each file: its size in bytes when walked (0 for standard input) */
    size_t n_files;
    char **temps; /* regular files named as sealkit's temporary files ("F.sealkit-tmp.PID.N") */
    size_t n_temps;
    char **skipped; /* links and special files inside folders, never read */
    const char **why;
    size_t n_skipped;
    char **unreadable; /* folders that could not be opened or listed: their files are unknown */
    const char **unreadable_why;
    size_t n_unreadable;
    size_t n_excluded; /* entries an exclude pattern matched (a folder counts once) */
} sk_walk_list;

/*
 * Walks paths. A named path is taken as given (a named link is followed, a
 * named file is taken whatever its name; "-" is standard input) and must
 * exist; inside folders, entries whose name starts with '.' are passed over
 * without a word. Errors: SK_EIO for a named path that cannot be read (the
 * error's source names it), SK_ELIMIT past 64 levels of folders or a path
 * longer than 4095 bytes, SK_ENOMEM. On error *out is empty.
 */
SK_API int sk_walk(const char *const *paths, size_t n, unsigned flags, sk_walk_list *out,
                   sk_error *err);
SK_API void sk_walk_list_free(sk_walk_list *l);

/*
 * sk_walk, passing over what a pattern names inside folders. Patterns are as in a .gitignore
 * (fnmatch(3), no "**"): with a '/' inside, a pattern matches the path below the named folder
 * ("helm/values.yaml"; a leading '/' only anchors); without, any entry's name ("*.tpl.yaml",
 * "charts"); a trailing '/' matches folders only, and links to folders (a vendored folder that
 * is a link: the link is never followed, its target only stat'ed to tell a folder from a file).
 * An excluded folder is not entered; links and special files can be excluded too. With
 * SK_WALK_IGNORE_FILE, each named folder's .sealkitignore adds its patterns for that folder (a
 * link in its place is SK_EIO).
 */
SK_API int sk_walk_excluding(const char *const *paths, size_t n, unsigned flags,
                             const char *const *exclude, size_t n_exclude, sk_walk_list *out,
                             sk_error *err);

/*
 * Opens the folder that holds path, to read and replace the file through it (sk_read_at and
 * sk_write_atomic_at in io.h) rather than by path. The first root_len bytes of path (the path
 * the caller named: sk_walk_list.root_len) are opened as given, links and all; each folder
 * below them is opened relative to its parent with O_NOFOLLOW, so a folder replaced by a link
 * since the walk is never entered. When root_len covers path (a named file), its folder is
 * opened as given and, when the file is a link, the file it points to is the one opened: the
 * caller chose it. *dirfd is the folder (close it); *name the file's name in it (malloc'd:
 * free() it). Errors (the error's source is path): SK_EIO when a folder cannot be opened or is
 * no longer a folder (a link, say); SK_EUSAGE when root_len does not end where a path part
 * does, or a part below it is "." or ".." or missing; SK_ENOMEM.
 */
SK_API int sk_open_parent(const char *path, size_t root_len, int *dirfd, char **name,
                          sk_error *err);

/* Non-zero when name (no folder part) is one of sealkit's temporary file names. */
SK_API int sk_walk_is_temp_name(const char *name);

/*
 * Removes path when it is a regular file named as sealkit's temporary files
 * whose writing process is gone (a run killed before its rename: the file it
 * was replacing is intact). It goes through a handle to the folder, opened
 * without following a link, and never removes anything else. *removed is 1
 * when it did. A live writer's file is left alone (SK_OK, *removed 0).
 */
SK_API int sk_walk_remove_stale_temp(const char *path, int *removed, sk_error *err);

#endif
