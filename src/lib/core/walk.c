#include <sealkit/walk.h>

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WALK_MAX_DEPTH 64
#define WALK_MAX_PATH 4096

typedef struct walker {
    unsigned flags;
    sk_walk_list *out;
    sk_error *err;
    size_t root_len; /* of the named path being walked */
} walker;

typedef struct names {
    char **v;
    size_t n;
} names;

static int oom(sk_error *err)
{
    return sk_error_set(err, SK_ENOMEM, "out of memory");
}

static int push(char ***v, size_t *n, const char *s, sk_error *err)
{
    char **grown = realloc(*v, (*n + 1) * sizeof *grown);
    if (grown == NULL) return oom(err);
    *v = grown;
    if ((grown[*n] = strdup(s)) == NULL) return oom(err);
    (*n)++;
    return SK_OK;
}

/* A list of strings with a static reason beside each. */
static int push_why(char ***v, const char ***why, size_t *n, const char *s, const char *reason,
                    sk_error *err)
{
    const char **grown = realloc(*why, (*n + 1) * sizeof *grown);
    if (grown == NULL) return oom(err);
    *why = grown;
    grown[*n] = reason;
    return push(v, n, s, err);
}

int sk_walk_is_temp_name(const char *name)
{
    const char *tag = strstr(name, ".sealkit-tmp.");
    if (tag == NULL || tag == name) return 0;
    const char *p = tag + strlen(".sealkit-tmp.");
    for (int part = 0; part < 2; part++) {
        if (*p < '0' || *p > '9') return 0;
        while (*p >= '0' && *p <= '9')
            p++;
        if (part == 0 && *p++ != '.') return 0;
    }
    return *p == '\0';
}

/* A file, with how much of its path is the named root. */
static int push_file(walker *w, const char *path, size_t root_len)
{
    sk_walk_list *o = w->out;
    size_t *grown = realloc(o->root_len, (o->n_files + 1) * sizeof *grown);
    if (grown == NULL) return oom(w->err);
    o->root_len = grown;
    grown[o->n_files] = root_len;
    return push(&o->files, &o->n_files, path, w->err);
}

static int is_manifest(const char *name)
{
    static const char *const exts[] = {".yaml", ".yml", ".json"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t m = strlen(exts[i]);
        if (n > m && strcmp(name + n - m, exts[i]) == 0) return 1;
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* The visible entries of an open folder, sorted; 0, or an errno when listing failed. */
static int list_folder(DIR *d, names *out, sk_error *err, int *rc)
{
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        /* Hidden entries are passed over, except a killed run's temporary files of hidden ones. */
        if (e->d_name[0] == '.' && !sk_walk_is_temp_name(e->d_name)) continue;
        if ((*rc = push(&out->v, &out->n, e->d_name, err)) != SK_OK) return 0;
        errno = 0;
    }
    int listed = errno;
    if (out->n > 1) qsort(out->v, out->n, sizeof *out->v, by_name);
    return listed;
}

static int unreadable(walker *w, const char *path, const char *why)
{
    return push_why(&w->out->unreadable, &w->out->unreadable_why, &w->out->n_unreadable, path, why,
                    w->err);
}

static int walk_folder(walker *w, int dfd, const char *path, int depth);

static int visit(walker *w, int dfd, const char *name, const char *path, int depth)
{
    sk_walk_list *o = w->out;
    int follow = (w->flags & SK_WALK_FOLLOW_LINKS) != 0;
    struct stat st;
    if (fstatat(dfd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0)
        return unreadable(w, path, "vanished or cannot be read while the folder was walked");
    if (name[0] == '.' && !S_ISREG(st.st_mode)) return SK_OK; /* hidden, and not our temp file */
    if (S_ISLNK(st.st_mode))
        return push_why(&o->skipped, &o->why, &o->n_skipped, path,
                        "a symbolic link (never followed)", w->err);
    if (S_ISREG(st.st_mode)) {
        if (sk_walk_is_temp_name(name)) return push(&o->temps, &o->n_temps, path, w->err);
        if ((w->flags & SK_WALK_MANIFESTS) && !is_manifest(name)) return SK_OK;
        return push_file(w, path, w->root_len);
    }
    if (!S_ISDIR(st.st_mode))
        return push_why(&o->skipped, &o->why, &o->n_skipped, path, "not a regular file", w->err);
    if (w->flags & SK_WALK_FLAT) return SK_OK;
    int cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (cfd < 0) return unreadable(w, path, "cannot be opened (or was replaced while walked)");
    return walk_folder(w, cfd, path, depth + 1);
}

/* Takes dfd and closes it. */
static int walk_folder(walker *w, int dfd, const char *path, int depth)
{
    if (depth > WALK_MAX_DEPTH) {
        close(dfd);
        sk_error_set(w->err, SK_ELIMIT, "folders nested deeper than %d levels", WALK_MAX_DEPTH);
        return sk_error_at_source(w->err, SK_ELIMIT, path);
    }
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return unreadable(w, path, "cannot be listed");
    }
    names l = {0};
    int rc = SK_OK;
    int listed = list_folder(d, &l, w->err, &rc);
    if (rc == SK_OK && listed != 0) rc = unreadable(w, path, "cannot be listed completely");
    size_t plen = strlen(path);
    const char *sep = plen > 0 && path[plen - 1] == '/' ? "" : "/";
    for (size_t i = 0; rc == SK_OK && i < l.n; i++) {
        char child[WALK_MAX_PATH];
        int len = snprintf(child, sizeof child, "%s%s%s", path, sep, l.v[i]);
        if (len < 0 || (size_t)len >= sizeof child) {
            sk_error_set(w->err, SK_ELIMIT, "path longer than %d bytes", WALK_MAX_PATH - 1);
            rc = sk_error_at_source(w->err, SK_ELIMIT, path);
            break;
        }
        rc = visit(w, dirfd(d), l.v[i], child, depth);
    }
    names_free(&l);
    closedir(d);
    return rc;
}

static int walk_named(walker *w, const char *path)
{
    w->root_len = strlen(path);
    if (strcmp(path, "-") == 0) return push_file(w, path, w->root_len);
    struct stat st;
    /* The path the user named is taken as given, a link included: only what lies below it
     * is walked without following links. */
    if (stat(path, &st) != 0) {
        sk_error_set(w->err, SK_EIO, "cannot read: %s", strerror(errno));
        return sk_error_at_source(w->err, SK_EIO, path);
    }
    if (!S_ISDIR(st.st_mode)) return push_file(w, path, w->root_len);
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        sk_error_set(w->err, SK_EIO, "cannot open the folder: %s", strerror(errno));
        return sk_error_at_source(w->err, SK_EIO, path);
    }
    return walk_folder(w, dfd, path, 1);
}

int sk_walk(const char *const *paths, size_t n, unsigned flags, sk_walk_list *out, sk_error *err)
{
    memset(out, 0, sizeof *out);
    walker w = {flags, out, err, 0};
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < n; i++)
        rc = walk_named(&w, paths[i]);
    if (rc != SK_OK) sk_walk_list_free(out);
    return rc;
}

static void free_all(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void sk_walk_list_free(sk_walk_list *l)
{
    if (l == NULL) return;
    free_all(l->files, l->n_files);
    free(l->root_len);
    free_all(l->temps, l->n_temps);
    free_all(l->skipped, l->n_skipped);
    free((void *)l->why);
    free_all(l->unreadable, l->n_unreadable);
    free((void *)l->unreadable_why);
    memset(l, 0, sizeof *l);
}

static int open_parent_usage(sk_error *err, const char *path, const char *why)
{
    sk_error_set(err, SK_EUSAGE, "%s", why);
    return sk_error_at_source(err, SK_EUSAGE, path);
}

/* A named file: its folder as given; a named link stands for the file it points to. */
static int open_named_parent(const char *path, int *dirfd, char **name, sk_error *err)
{
    struct stat st;
    char *real = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && (real = realpath(path, NULL)) == NULL) {
        sk_error_set(err, SK_EIO, "cannot resolve the link: %s", strerror(errno));
        return sk_error_at_source(err, SK_EIO, path);
    }
    const char *p = real != NULL ? real : path;
    const char *slash = strrchr(p, '/');
    const char *base = slash != NULL ? slash + 1 : p;
    int rc = SK_OK;
    char *dir = NULL;
    if (*base == '\0')
        rc = open_parent_usage(err, path, "no file name at the end of the path");
    else if ((dir = slash == NULL ? strdup(".")
                    : slash == p  ? strdup("/")
                                  : strndup(p, (size_t)(slash - p))) == NULL ||
             (*name = strdup(base)) == NULL)
        rc = oom(err);
    else if ((*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        sk_error_set(err, SK_EIO, "cannot open its folder: %s", strerror(errno));
        rc = sk_error_at_source(err, SK_EIO, path);
    }
    if (rc != SK_OK) {
        free(*name);
        *name = NULL;
    }
    free(dir);
    free(real);
    return rc;
}

int sk_open_parent(const char *path, size_t root_len, int *dirfd, char **name, sk_error *err)
{
    *dirfd = -1;
    *name = NULL;
    if (root_len >= strlen(path)) return open_named_parent(path, dirfd, name, err);
    if (root_len > 0 && path[root_len - 1] != '/' && path[root_len] != '/')
        return open_parent_usage(err, path, "the named part of the path ends inside a name");
    char *root = root_len == 0 ? strdup(path[0] == '/' ? "/" : ".") : strndup(path, root_len);
    if (root == NULL) return oom(err);
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(root);
    if (fd < 0) {
        sk_error_set(err, SK_EIO, "cannot open the named folder: %s", strerror(errno));
        return sk_error_at_source(err, SK_EIO, path);
    }
    const char *below = path + root_len;
    while (*below == '/')
        below++;
    /* Each folder below the named one relative to its parent, never through a link. */
    for (const char *p = below;;) {
        while (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            close(fd);
            return open_parent_usage(err, path,
                                     "a part of the path below the named folder is "
                                     "missing, \".\" or \"..\"");
        }
        if (end == NULL) {
            if ((*name = strdup(p)) == NULL) {
                close(fd);
                return oom(err);
            }
            *dirfd = fd;
            return SK_OK;
        }
        char *part = strndup(p, n);
        int child =
            part == NULL ? -1 : openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        free(part);
        close(fd);
        if (part == NULL) return oom(err);
        if (child < 0 && (e == ELOOP || e == ENOTDIR))
            sk_error_set(err, SK_EIO,
                         "its folder %.*s is now a symbolic link or not a folder (replaced since "
                         "it was listed?); never followed, left alone",
                         (int)(end - below), below);
        else if (child < 0)
            sk_error_set(err, SK_EIO, "cannot open its folder %.*s: %s", (int)(end - below), below,
                         strerror(e));
        if (child < 0) return sk_error_at_source(err, SK_EIO, path);
        fd = child;
        p = end;
    }
}

/* A process that is gone, or a zombie that will never write again. */
static int process_gone(long pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "re");
    if (f == NULL) return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return paren != NULL && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X');
}

int sk_walk_remove_stale_temp(const char *path, int *removed, sk_error *err)
{
    *removed = 0;
    char dir[WALK_MAX_PATH], base[WALK_MAX_PATH];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) return SK_OK;
    snprintf(base, sizeof base, "%s", path);
    const char *name = basename(base);
    if (!sk_walk_is_temp_name(name)) return SK_OK;
    long pid = strtol(strstr(name, ".sealkit-tmp.") + strlen(".sealkit-tmp."), NULL, 10);
    if (pid <= 0 || !process_gone(pid)) return SK_OK;
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) return SK_OK; /* the folder went away or became a link: not ours to touch */
    struct stat st;
    int rc = SK_OK;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
        if (unlinkat(dfd, name, 0) == 0)
            *removed = 1;
        else if (errno != ENOENT)
            rc = sk_error_at_source(
                err, sk_error_set(err, SK_EIO, "cannot remove: %s", strerror(errno)), path);
    }
    close(dfd);
    return rc;
}
