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
        if (e->d_name[0] == '.') continue;
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
    if (S_ISLNK(st.st_mode))
        return push_why(&o->skipped, &o->why, &o->n_skipped, path,
                        "a symbolic link (never followed)", w->err);
    if (S_ISREG(st.st_mode)) {
        if (sk_walk_is_temp_name(name)) return push(&o->temps, &o->n_temps, path, w->err);
        if ((w->flags & SK_WALK_MANIFESTS) && !is_manifest(name)) return SK_OK;
        return push(&o->files, &o->n_files, path, w->err);
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
    if (strcmp(path, "-") == 0) return push(&w->out->files, &w->out->n_files, path, w->err);
    struct stat st;
    if (stat(path, &st) != 0) {
        sk_error_set(w->err, SK_EIO, "cannot read: %s", strerror(errno));
        return sk_error_at_source(w->err, SK_EIO, path);
    }
    if (!S_ISDIR(st.st_mode)) return push(&w->out->files, &w->out->n_files, path, w->err);
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
    walker w = {flags, out, err};
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
    free_all(l->temps, l->n_temps);
    free_all(l->skipped, l->n_skipped);
    free((void *)l->why);
    free_all(l->unreadable, l->n_unreadable);
    free((void *)l->unreadable_why);
    memset(l, 0, sizeof *l);
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
