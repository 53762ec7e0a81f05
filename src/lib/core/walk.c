#include <sealkit/walk.h>

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
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
#define WALK_MAX_IGNORE ((size_t)64 * 1024)

typedef struct names {
    char **v;
    size_t n;
} names;

typedef struct walker {
    unsigned flags;
    sk_walk_list *out;
    sk_error *err;
    size_t root_len; /* of the named path being walked */
    const char *const *exclude;
    size_t n_exclude;
    names ignore; /* the patterns of the named folder's ignore file */
} walker;

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

/* A file, with how much of its path is the named root, and its size. */
static int push_file(walker *w, const char *path, size_t root_len, off_t size)
{
    sk_walk_list *o = w->out;
    size_t *grown = realloc(o->root_len, (o->n_files + 1) * sizeof *grown);
    if (grown == NULL) return oom(w->err);
    o->root_len = grown;
    grown[o->n_files] = root_len;
    grown = realloc(o->size, (o->n_files + 1) * sizeof *grown);
    if (grown == NULL) return oom(w->err);
    o->size = grown;
    grown[o->n_files] = size > 0 ? (size_t)size : 0;
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

/*
 * One pattern, as in a .gitignore: with a '/' inside, it matches the path below the named
 * folder ("helm/values.yaml", a leading '/' only anchors); without, any entry's name
 * ("*.tpl.yaml"); a trailing '/' matches folders only (and links to folders, see
 * excluded_link_to_folder). An excluded folder is not entered.
 */
static int matches(const char *pattern, const char *rel, const char *name, int is_dir)
{
    char pat[WALK_MAX_PATH];
    size_t n = strlen(pattern);
    if (n == 0 || n >= sizeof pat) return 0;
    memcpy(pat, pattern, n + 1);
    if (pat[n - 1] == '/') {
        if (!is_dir) return 0;
        pat[--n] = '\0';
    }
    const char *p = pat[0] == '/' ? pat + 1 : pat;
    if (strchr(pat, '/') != NULL) return fnmatch(p, rel, FNM_PATHNAME | FNM_PERIOD) == 0;
    return fnmatch(p, name, FNM_PERIOD) == 0;
}

static int excluded(const walker *w, const char *path, const char *name, int is_dir)
{
    const char *rel = path + w->root_len;
    while (*rel == '/')
        rel++;
    for (size_t i = 0; i < w->n_exclude; i++)
        if (matches(w->exclude[i], rel, name, is_dir)) return 1;
    for (size_t i = 0; i < w->ignore.n; i++)
        if (matches(w->ignore.v[i], rel, name, is_dir)) return 1;
    return 0;
}

/* The ignore file's patterns: one per line; blank lines and lines starting with '#' skipped. */
static int parse_ignore(walker *w, const char *p, size_t len)
{
    const char *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl != NULL ? nl : end;
        size_t n = (size_t)(eol - p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
            n--;
        if (n > 0 && p[0] != '#') {
            char *pat = strndup(p, n);
            int rc = pat == NULL ? oom(w->err) : push(&w->ignore.v, &w->ignore.n, pat, w->err);
            free(pat);
            if (rc != SK_OK) return rc;
        }
        p = eol + (nl != NULL);
    }
    return SK_OK;
}

/* Reads up to cap bytes; 0, or the errno of a failed read. */
static int read_upto(int fd, char *buf, size_t cap, size_t *len)
{
    while (*len < cap) {
        ssize_t got = read(fd, buf + *len, cap - *len);
        if (got == 0) return 0;
        if (got < 0 && errno != EINTR) return errno;
        if (got > 0) *len += (size_t)got;
    }
    return 0;
}

/* The named folder's ignore file, read through its handle; a link in its place is an error. */
static int load_ignore(walker *w, int dfd, const char *path)
{
    int fd = openat(dfd, SK_WALK_IGNORE_FILE_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return SK_OK;
    char shown[WALK_MAX_PATH];
    snprintf(shown, sizeof shown, "%s/%s", path, SK_WALK_IGNORE_FILE_NAME);
    if (fd < 0) {
        sk_error_set(w->err, SK_EIO, "cannot read%s: %s",
                     errno == ELOOP ? " (a symbolic link, never followed)" : "", strerror(errno));
        return sk_error_at_source(w->err, SK_EIO, shown);
    }
    /* Patterns, not secrets: ordinary memory, so the walk needs no sk_init. */
    char *text = malloc(WALK_MAX_IGNORE + 1);
    size_t len = 0;
    int e = text != NULL ? read_upto(fd, text, WALK_MAX_IGNORE + 1, &len) : 0;
    close(fd);
    int rc = SK_OK;
    if (text == NULL)
        rc = oom(w->err);
    else if (e != 0)
        rc = sk_error_at_source(
            w->err, sk_error_set(w->err, SK_EIO, "cannot read: %s", strerror(e)), shown);
    else if (len > WALK_MAX_IGNORE)
        rc = sk_error_at_source(
            w->err, sk_error_set(w->err, SK_ELIMIT, "longer than %zu bytes", WALK_MAX_IGNORE),
            shown);
    else
        rc = parse_ignore(w, text, len);
    free(text);
    return rc;
}

/*
 * A link that a folders-only pattern ("vendor/") names, and whose target is a folder: a vendored
 * folder that happens to be a link is what the user meant to pass over. The link is never
 * followed into the walk; its target is only looked at (stat) to tell a folder from a file, and
 * only when such a pattern names the link at all.
 */
static int excluded_link_to_folder(const walker *w, int dfd, const char *name, const char *path,
                                   const struct stat *st)
{
    if (!S_ISLNK(st->st_mode) || !excluded(w, path, name, 1)) return 0;
    struct stat target;
    return fstatat(dfd, name, &target, 0) == 0 && S_ISDIR(target.st_mode);
}

static int visit(walker *w, int dfd, const char *name, const char *path, int depth)
{
    sk_walk_list *o = w->out;
    int follow = (w->flags & SK_WALK_FOLLOW_LINKS) != 0;
    struct stat st;
    if (fstatat(dfd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
        /* Another writer's temporary file (a parallel shard's), renamed since it was listed. */
        if (errno == ENOENT && sk_walk_is_temp_name(name)) return SK_OK;
        return unreadable(w, path, "vanished or cannot be read while the folder was walked");
    }
    if (name[0] == '.' && !S_ISREG(st.st_mode)) return SK_OK; /* hidden, and not our temp file */
    if (excluded(w, path, name, S_ISDIR(st.st_mode)) ||
        excluded_link_to_folder(w, dfd, name, path, &st)) {
        o->n_excluded++;
        return SK_OK;
    }
    if (S_ISLNK(st.st_mode))
        return push_why(&o->skipped, &o->why, &o->n_skipped, path,
                        "a symbolic link (never followed)", w->err);
    if (S_ISREG(st.st_mode)) {
        if (sk_walk_is_temp_name(name)) return push(&o->temps, &o->n_temps, path, w->err);
        if ((w->flags & SK_WALK_MANIFESTS) && !is_manifest(name)) return SK_OK;
        return push_file(w, path, w->root_len, st.st_size);
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
    names_free(&w->ignore);
    w->ignore = (names){0};
    w->root_len = strlen(path);
    if (strcmp(path, "-") == 0) return push_file(w, path, w->root_len, 0);
    struct stat st;
    /* The path the user named is taken as given, a link included: only what lies below it
     * is walked without following links. */
    if (stat(path, &st) != 0) {
        sk_error_set(w->err, SK_EIO, "cannot read: %s", strerror(errno));
        return sk_error_at_source(w->err, SK_EIO, path);
    }
    if (!S_ISDIR(st.st_mode)) return push_file(w, path, w->root_len, st.st_size);
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        sk_error_set(w->err, SK_EIO, "cannot open the folder: %s", strerror(errno));
        return sk_error_at_source(w->err, SK_EIO, path);
    }
    int rc = (w->flags & SK_WALK_IGNORE_FILE) ? load_ignore(w, dfd, path) : SK_OK;
    if (rc != SK_OK) {
        close(dfd);
        return rc;
    }
    return walk_folder(w, dfd, path, 1);
}

int sk_walk_excluding(const char *const *paths, size_t n, unsigned flags,
                      const char *const *exclude, size_t n_exclude, sk_walk_list *out,
                      sk_error *err)
{
    memset(out, 0, sizeof *out);
    walker w = {.flags = flags, .out = out, .err = err, .exclude = exclude, .n_exclude = n_exclude};
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < n; i++)
        rc = walk_named(&w, paths[i]);
    names_free(&w.ignore);
    if (rc != SK_OK) sk_walk_list_free(out);
    return rc;
}

int sk_walk(const char *const *paths, size_t n, unsigned flags, sk_walk_list *out, sk_error *err)
{
    return sk_walk_excluding(paths, n, flags, NULL, 0, out, err);
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
    free(l->size);
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
