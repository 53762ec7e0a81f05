/*
 * The rotation state machine (rotate.h). Every step can be the last one a killed process
 * made: the folder's files alone say where the next run picks up.
 */
#include <sealkit/rotate.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sealkit/emit.h>
#include <sealkit/io.h>
#include <sealkit/walk.h>

#define PATH_MAX_LEN 4096

static const char LOCK[] = ".sealkit-rotate.lock", MINTED[] = ".sealkit-rotate-minted",
                  DONE[] = ".sealkit-rotate-done";

struct sk_rotation {
    sk_rotate_opts o;
    int lock_fd;
    sk_keyring *kr; /* NULL while the folder holds no key */
    size_t newest;
    int checked; /* rep.reseal is a check: it wrote nothing */
    sk_rotate_report rep;
};

static int oom(sk_error *err)
{
    return sk_error_set(err, SK_ENOMEM, "out of memory");
}

static int in_dir(const sk_rotation *r, const char *name, char *path, size_t size)
{
    return snprintf(path, size, "%s/%s", r->o.dir, name) < (int)size;
}

/* Held for the life of the rotation; the kernel drops it if the process dies. */
static int take_lock(sk_rotation *r, sk_error *err)
{
    char path[PATH_MAX_LEN];
    if (!in_dir(r, LOCK, path, sizeof path))
        return sk_error_at_source(err, sk_error_set(err, SK_ELIMIT, "path too long"), r->o.dir);
    r->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (r->lock_fd < 0)
        return sk_error_set(err, SK_EIO, "cannot open %s: %s", path, strerror(errno));
    int how = (r->o.flags & SK_ROTATE_SHARED) ? LOCK_SH : LOCK_EX;
    if (flock(r->lock_fd, how | LOCK_NB) == 0) return SK_OK;
    sk_error_set(err, SK_EBUSY, "%s is held: another sealkit rotate is running", path);
    return SK_EBUSY;
}

/* Does the state file say fingerprint? A link in its place is not our state: never followed. */
static int state_is(const sk_rotation *r, const char *file, const char *fingerprint)
{
    char path[PATH_MAX_LEN], buf[SK_FINGERPRINT_MAX + 2] = {0};
    if (fingerprint == NULL || !in_dir(r, file, path, sizeof path)) return 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[strcspn(buf, "\n")] = '\0';
    return strcmp(buf, fingerprint) == 0;
}

static int set_state(const sk_rotation *r, const char *file, const char *fingerprint, sk_error *err)
{
    char path[PATH_MAX_LEN], line[SK_FINGERPRINT_MAX + 2];
    if (!in_dir(r, file, path, sizeof path))
        return sk_error_at_source(err, sk_error_set(err, SK_ELIMIT, "path too long"), r->o.dir);
    int n = snprintf(line, sizeof line, "%s\n", fingerprint);
    return sk_write_atomic(path, line, (size_t)n, 0644, err);
}

/* Temporary files of a killed run in the key folder: one may hold a half-written key. */
static int remove_stale_temps(sk_rotation *r, sk_error *err)
{
    sk_walk_list l;
    const char *dir = r->o.dir;
    int rc = sk_walk(&dir, 1, SK_WALK_FLAT, &l, err);
    for (size_t i = 0; rc == SK_OK && i < l.n_temps; i++) {
        int removed = 0;
        rc = sk_walk_remove_stale_temp(l.temps[i], &removed, err);
        if (rc != SK_OK || !removed) continue;
        char **grown = realloc(r->rep.temps_removed,
                               (r->rep.n_temps_removed + 1) * sizeof *r->rep.temps_removed);
        if (grown == NULL) {
            rc = oom(err);
            break;
        }
        r->rep.temps_removed = grown;
        if ((grown[r->rep.n_temps_removed] = strdup(l.temps[i])) == NULL)
            rc = oom(err);
        else
            r->rep.n_temps_removed++;
    }
    sk_walk_list_free(&l);
    return rc;
}

/* Files other than our own state (the lock, the marks, a killed run's temporary files). */
static int has_files(const char *dir)
{
    sk_walk_list l;
    if (sk_walk(&dir, 1, SK_WALK_FLAT | SK_WALK_FOLLOW_LINKS, &l, NULL) != SK_OK) return 0;
    int found = l.n_files > 0;
    sk_walk_list_free(&l);
    return found;
}

static void no_key(const sk_rotation *r, sk_error *err, const char *why)
{
    sk_error_set(err, SK_EINVAL, "no key in %s%s", r->o.dir, why);
    sk_error_hint(err, "a mistyped --keys? To make the first key there, pass --init");
}

/* The folder's keys and the state they are in. */
static int load(sk_rotation *r, sk_error *err)
{
    sk_keyring_free(r->kr);
    r->kr = NULL;
    sk_rotate_report *rep = &r->rep;
    rep->key = rep->fingerprint = NULL;
    if (!has_files(r->o.dir)) {
        rep->state = SK_ROTATE_DUE;
        if (r->o.flags & SK_ROTATE_INIT) return SK_OK;
        no_key(r, err, "");
        return SK_EINVAL;
    }
    const char *dir = r->o.dir;
    int rc = sk_keyring_new(&r->kr, err);
    if (rc == SK_OK) rc = sk_keyring_load(r->kr, &dir, 1, err);
    if (rc == SK_OK &&
        sk_keyring_newest(r->kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &r->newest, err) != SK_OK)
        rc = sk_error_at_source(err, SK_EINVAL, dir);
    if (rc != SK_OK) return rc;
    const sk_key_info *info = sk_keyring_info(r->kr, r->newest);
    rep->key = info->source;
    rep->fingerprint = sk_keyring_fingerprint(r->kr, r->newest);
    rep->key_age = r->o.now - info->not_before;
    /* Too old is due whatever was done: the paths then go straight to the next key. */
    if (rep->key_age >= r->o.max_age)
        rep->state = SK_ROTATE_DUE;
    else
        rep->state = state_is(r, DONE, rep->fingerprint) ? SK_ROTATE_FRESH : SK_ROTATE_PENDING;
    return SK_OK;
}

static int check_opts(const sk_rotate_opts *o, sk_error *err)
{
    if (o == NULL || o->version != SK_ROTATE_OPTS_VERSION ||
        o->reseal.version != SK_RESEAL_TREE_OPTS_VERSION)
        return sk_error_set(err, SK_EUSAGE,
                            "sk_rotate: options not set up with "
                            "SK_ROTATE_OPTS_INIT");
    if (o->dir == NULL || o->max_age <= 0 || o->cn == NULL || o->ns == NULL)
        return sk_error_set(err, SK_EUSAGE,
                            "sk_rotate: a key folder and a maximum age are "
                            "needed");
    if (o->reseal.flags & SK_RESEAL_CHECK)
        return sk_error_set(err, SK_EUSAGE, "sk_rotate: a rotation always writes");
    return SK_OK;
}

static int open_folder(const sk_rotate_opts *o, sk_error *err)
{
    struct stat st;
    if ((o->flags & SK_ROTATE_INIT) && mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
        sk_error_set(err, SK_EIO, "cannot create the folder: %s", strerror(errno));
        return sk_error_at_source(err, SK_EIO, o->dir);
    }
    /* st is read only when stat succeeded; errno only when it failed (mkdir may have set it). */
    int e = stat(o->dir, &st) == 0 ? 0 : errno;
    if (e == 0 && S_ISDIR(st.st_mode)) return SK_OK;
    sk_error_set(err, SK_EINVAL, "no key in %s (%s)", o->dir,
                 e != 0 ? strerror(e) : "not a folder");
    sk_error_hint(err, "a mistyped --keys? To make the first key there, pass --init");
    return SK_EINVAL;
}

int sk_rotate_begin(const sk_rotate_opts *opts, sk_rotation **out, sk_error *err)
{
    *out = NULL;
    int rc = check_opts(opts, err);
    if (rc == SK_OK) rc = open_folder(opts, err);
    if (rc != SK_OK) return rc;
    sk_rotation *r = calloc(1, sizeof *r);
    if (r == NULL) return oom(err);
    r->o = *opts;
    r->lock_fd = -1;
    rc = take_lock(r, err);
    if (rc == SK_OK) rc = remove_stale_temps(r, err);
    if (rc == SK_OK) rc = load(r, err);
    if (rc != SK_OK) {
        sk_rotate_end(r);
        return rc;
    }
    r->rep.found = r->rep.state;
    *out = r;
    return SK_OK;
}

const sk_keyring *sk_rotation_keys(const sk_rotation *r)
{
    return r->kr;
}

const sk_rotate_report *sk_rotation_report(const sk_rotation *r)
{
    return &r->rep;
}

static int add_unopened(sk_rotate_report *rep, const sk_error *e, sk_error *err)
{
    sk_error *grown = realloc(rep->unopened, (rep->n_unopened + 1) * sizeof *grown);
    if (grown == NULL) return oom(err);
    rep->unopened = grown;
    grown[rep->n_unopened++] = *e;
    return SK_OK;
}

/* What the walk could not process, as the error the reseal would stop on. */
static int add_passed_over(sk_rotate_report *rep, const char *path, const char *why, sk_error *err)
{
    sk_error e = {0};
    sk_error_set(&e, SK_EIO, "%s; not processed (exclude it to pass over it)", why);
    sk_error_at_source(&e, SK_EIO, path);
    return add_unopened(rep, &e, err);
}

/* A link is not a file the keys failed to open: the summary counts the two apart. */
static int preflight_refused(const sk_rotation *r, size_t unopened, size_t passed, sk_error *err)
{
    if (passed == 0)
        return sk_error_set(err, SK_EDECRYPT,
                            "%zu file%s cannot be opened with the keys in %s; no key was made",
                            unopened, unopened == 1 ? "" : "s", r->o.dir);
    if (unopened == 0)
        return sk_error_set(err, SK_EIO, "%zu path%s not processed; no key was made", passed,
                            passed == 1 ? "" : "s");
    return sk_error_set(err, SK_EDECRYPT,
                        "%zu file%s cannot be opened with the keys in %s, %zu path%s not "
                        "processed; no key was made",
                        unopened, unopened == 1 ? "" : "s", r->o.dir, passed,
                        passed == 1 ? "" : "s");
}

/*
 * One item of each SealedSecret, through the reseal's own walk, exclusions and workers: cheap,
 * and enough to catch the wrong folder, a foreign file or a link before a key is made.
 */
int sk_rotate_preflight(sk_rotation *r, const char *const *paths, size_t n, sk_error *err)
{
    sk_keyring *empty = NULL;
    sk_reseal_tree_report t;
    sk_reseal_tree_opts o = r->o.reseal;
    o.flags |= SK_RESEAL_PROBE;
    o.progress = NULL;
    int rc = r->kr == NULL ? sk_keyring_new(&empty, err) : SK_OK;
    if (rc != SK_OK) return rc;
    int probed = sk_reseal_tree(paths, n, r->kr ? r->kr : empty, NULL, &o, &t, err);
    sk_keyring_free(empty);
    if (probed != SK_OK && t.files == NULL) return probed; /* the walk itself failed */
    const sk_walk_list *w = &t.walk;
    for (size_t i = 0; rc == SK_OK && i < w->n_files; i++)
        if (t.files[i].rc != SK_OK) rc = add_unopened(&r->rep, &t.files[i].err, err);
    size_t unopened = r->rep.n_unopened;
    for (size_t i = 0; rc == SK_OK && i < w->n_skipped; i++)
        rc = add_passed_over(&r->rep, w->skipped[i], w->why[i], err);
    for (size_t i = 0; rc == SK_OK && i < w->n_unreadable; i++)
        rc = add_passed_over(&r->rep, w->unreadable[i], w->unreadable_why[i], err);
    sk_reseal_tree_report_free(&t);
    if (rc != SK_OK || r->rep.n_unopened == 0) return rc;
    return preflight_refused(r, unopened, r->rep.n_unopened - unopened, err);
}

static int name_taken(const char *base, const char *ext)
{
    char path[PATH_MAX_LEN + 16];
    struct stat st;
    snprintf(path, sizeof path, "%s%s", base, ext);
    return lstat(path, &st) == 0;
}

/* sealed-secrets-key-<time>, or -2, -3... after a run killed between a key's two files. */
static int key_base(const sk_rotation *r, char *base, size_t size, sk_error *err)
{
    char stamp[32];
    struct tm tm;
    time_t t = (time_t)r->o.now;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(base, size, "%s/%s-%s", r->o.dir, SK_KEY_PREFIX, stamp);
    for (int n = 2; n < 100 && (name_taken(base, ".crt") || name_taken(base, ".yaml")); n++)
        snprintf(base, size, "%s/%s-%s-%d", r->o.dir, SK_KEY_PREFIX, stamp, n);
    if (!name_taken(base, ".crt") && !name_taken(base, ".yaml")) return SK_OK;
    return sk_error_at_source(err, sk_error_set(err, SK_EIO, "no free key name"), r->o.dir);
}

/*
 * The minted mark, the certificate (0644), then the Secret (0600): the Secret holds the
 * certificate too and is the key; it appears whole or not at all, and neither file ever
 * replaces another.
 */
static int write_key(const sk_rotation *r, const sk_keypair *kp, const char *base, sk_error *err)
{
    json_t *secret = NULL;
    sk_secbuf yaml = SK_SECBUF_INIT, crt = SK_SECBUF_INIT;
    char path[PATH_MAX_LEN + 16];
    int rc = sk_keygen_tls_secret(kp, r->o.ns, NULL, &secret, err);
    if (rc == SK_OK) rc = sk_emit_yaml(secret, &yaml, err);
    if (rc == SK_OK) rc = sk_keypair_cert_pem(kp, &crt, err);
    if (rc == SK_OK) rc = set_state(r, MINTED, sk_keypair_fingerprint(kp), err);
    snprintf(path, sizeof path, "%s.crt", base);
    if (rc == SK_OK) rc = sk_write_new(path, crt.data, crt.len, 0644, err);
    snprintf(path, sizeof path, "%s.yaml", base);
    if (rc == SK_OK) rc = sk_write_new(path, yaml.data, yaml.len, 0600, err);
    json_decref(secret);
    sk_secbuf_free(&yaml);
    sk_secbuf_free(&crt);
    return rc;
}

int sk_rotate_mint(sk_rotation *r, sk_error *err)
{
    if (r->rep.state != SK_ROTATE_DUE || (r->o.flags & SK_ROTATE_SHARED))
        return sk_error_set(err, SK_EUSAGE, "sk_rotate_mint: no key is due, or the lock is shared");
    sk_keypair *kp = NULL;
    char base[PATH_MAX_LEN];
    int rc = key_base(r, base, sizeof base, err);
    if (rc == SK_OK) rc = sk_keygen(r->o.bits, r->o.cn, r->o.now, r->o.valid_for, &kp, err);
    if (rc == SK_OK) rc = write_key(r, kp, base, err);
    sk_keypair_free(kp);
    if (rc == SK_OK) rc = load(r, err);
    if (rc == SK_OK && r->rep.state != SK_ROTATE_PENDING)
        rc = sk_error_set(err, SK_EINVAL, "the new key in %s is not the newest there", r->o.dir);
    r->rep.minted = rc == SK_OK;
    return rc;
}

static int reseal_to_newest(sk_rotation *r, const char *const *paths, size_t n, unsigned flags,
                            sk_error *err)
{
    if (r->rep.state != SK_ROTATE_PENDING)
        return sk_error_set(err, SK_EUSAGE, "sk_rotate_reseal: no key is pending");
    sk_pubkey *target = NULL;
    sk_reseal_tree_opts o = r->o.reseal;
    o.flags |= flags;
    sk_reseal_tree_report_free(&r->rep.reseal);
    r->checked = (flags & SK_RESEAL_CHECK) != 0;
    int rc = sk_keyring_pubkey(r->kr, r->newest, (time_t)r->o.now, &target, err);
    if (rc == SK_OK) rc = sk_reseal_tree(paths, n, r->kr, target, &o, &r->rep.reseal, err);
    sk_pubkey_free(target);
    return rc;
}

/* Announced until done: a run killed after the reseal announces it again. */
static void set_rotated(sk_rotation *r, int rc)
{
    r->rep.rotated = rc == SK_OK && (r->rep.minted || state_is(r, MINTED, r->rep.fingerprint));
}

int sk_rotate_reseal(sk_rotation *r, const char *const *paths, size_t n, sk_error *err)
{
    int rc = reseal_to_newest(r, paths, n, 0, err);
    set_rotated(r, rc);
    return rc;
}

int sk_rotate_check(sk_rotation *r, const char *const *paths, size_t n, sk_error *err)
{
    if (r->o.reseal.shards > 1 || (r->o.flags & SK_ROTATE_SHARED))
        return sk_error_set(err, SK_EUSAGE, "sk_rotate_check: checks every shard, not one");
    int rc = reseal_to_newest(r, paths, n, SK_RESEAL_CHECK, err);
    size_t behind = r->rep.reseal.totals.changed;
    if (rc == SK_OK && behind > 0)
        rc = sk_error_set(err, SK_EINVAL,
                          "%zu files are not resealed to the newest key yet (did a shard fail?)",
                          behind);
    set_rotated(r, rc);
    return rc;
}

int sk_rotate_finish(sk_rotation *r, sk_error *err)
{
    const sk_reseal_tree_report *t = &r->rep.reseal;
    if (r->rep.state != SK_ROTATE_PENDING || (r->o.flags & SK_ROTATE_SHARED) ||
        r->o.reseal.shards > 1 || t->files == NULL || t->totals.failed > 0 ||
        t->totals.not_processed > 0 || (r->checked && t->totals.changed > 0))
        return sk_error_set(err, SK_EUSAGE, "sk_rotate_finish: the reseal did not succeed");
    int rc = set_state(r, DONE, r->rep.fingerprint, err);
    if (rc == SK_OK) r->rep.state = SK_ROTATE_FRESH;
    return rc;
}

void sk_rotate_end(sk_rotation *r)
{
    if (r == NULL) return;
    if (r->lock_fd >= 0) close(r->lock_fd);
    sk_keyring_free(r->kr);
    for (size_t i = 0; i < r->rep.n_temps_removed; i++)
        free(r->rep.temps_removed[i]);
    free(r->rep.temps_removed);
    free(r->rep.unopened);
    sk_reseal_tree_report_free(&r->rep.reseal);
    free(r);
}

int sk_rotate_run(const sk_rotate_opts *opts, const char *const *paths, size_t n, sk_rotation **out,
                  sk_error *err)
{
    int rc = sk_rotate_begin(opts, out, err);
    sk_rotation *r = *out;
    if (rc != SK_OK || r == NULL) return rc;
    if (r->rep.state == SK_ROTATE_FRESH) return SK_OK;
    if (r->rep.state == SK_ROTATE_DUE) rc = sk_rotate_preflight(r, paths, n, err);
    if (rc == SK_OK && r->rep.state == SK_ROTATE_DUE) rc = sk_rotate_mint(r, err);
    if (rc == SK_OK) rc = sk_rotate_reseal(r, paths, n, err);
    if (rc == SK_OK) rc = sk_rotate_finish(r, err);
    return rc;
}
