/* sealkit reseal: re-seal SealedSecrets under a new certificate, offline, in place. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "Usage: sealkit reseal --cert NEW.crt --key OLD [--key ...] [OPTIONS] [PATH...]\n"
    "\n"
    "Open every SealedSecret item with the given private keys and seal it again under\n"
    "NEW.crt with a fresh session key and the same scope. Files and folders (*.yaml,\n"
    "*.yml, *.json) are rewritten atomically in place; only the sealed values change.\n"
    "Items a given key with NEW's fingerprint already opens are left byte for byte, so\n"
    "a second run writes nothing. Without PATH: SealedSecrets on stdin, result on stdout.\n"
    "\n"
    "  --cert FILE        the new controller certificate [SEALED_SECRETS_CERT]\n"
    "  --key FILE[,FILE]  private keys (as for 'sealkit unseal'); include NEW's key so\n"
    "                     that items already under it are recognised\n"
    "  --check            write nothing; exit 1 when anything would change\n"
    "  --dry-run          write nothing; list the files that would change\n"
    "  -j, --jobs N       worker processes (default: twice the number of cores)\n"
    "  --format FORMAT    text (default) or json: the report on stdout\n"
    "  -h, --help         show this help\n"
    "\n"
    "A file that fails is left untouched and reported; the others proceed.\n"
    "Exit status: 0 success (with --check: nothing would change), 1 a file failed,\n"
    "2 usage error, 4 (--check only) files would change.\n";

typedef struct reseal_args {
    const char *cert;
    cli_list keys;
    int check, dry_run, json;
    long jobs;
} reseal_args;

/* What one file came to; sent whole through a pipe by worker processes. */
typedef struct file_result {
    int done;
    int skipped; /* not YAML or JSON (a Helm template): not a manifest, and no SealedSecret */
    int rc;
    sk_reseal_counts c;
    sk_error err;
} file_result;

typedef struct record {
    size_t index;
    file_result r;
} record;

_Static_assert(sizeof(record) <= 4096, "a record must be one atomic pipe write");

enum { OPT_CERT = 256, OPT_KEY, OPT_CHECK, OPT_DRY_RUN, OPT_FORMAT };

static const struct option options[] = {{"cert", required_argument, NULL, OPT_CERT},
                                        {"key", required_argument, NULL, OPT_KEY},
                                        {"recovery-private-key", required_argument, NULL, OPT_KEY},
                                        {"check", no_argument, NULL, OPT_CHECK},
                                        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
                                        {"jobs", required_argument, NULL, 'j'},
                                        {"format", required_argument, NULL, OPT_FORMAT},
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};

static int parse_jobs(const char *s, long *out)
{
    char *end = NULL;
    long n = strtol(s, &end, 10);
    if (end == s || *end != '\0' || n < 1 || n > 256)
        return cli_usage_error("reseal", "-j needs a number from 1 to 256");
    *out = n;
    return 0;
}

static int parse_flags(int argc, char **argv, reseal_args *a)
{
    a->cert = cli_env("cert");
    /* Twice the cores: one worker's fsync overlaps another's RSA work. */
    a->jobs = cli_default_jobs();
    const char *env = cli_env("recovery-private-key");
    if (env != NULL && cli_list_add_csv(&a->keys, env) != 0) return EXIT_FAIL;
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "hj:", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case OPT_CERT:
            a->cert = optarg;
            break;
        case OPT_KEY:
            rc = cli_list_add_csv(&a->keys, optarg) ? EXIT_FAIL : 0;
            break;
        case OPT_CHECK:
            a->check = 1;
            break;
        case OPT_DRY_RUN:
            a->dry_run = 1;
            break;
        case 'j':
            rc = parse_jobs(optarg, &a->jobs);
            break;
        case OPT_FORMAT:
            if (strcasecmp(optarg, "json") != 0 && strcasecmp(optarg, "text") != 0)
                return cli_usage_error("reseal", "unsupported report format: %s", optarg);
            a->json = strcasecmp(optarg, "json") == 0;
            break;
        default:
            return cli_usage_error("reseal", "invalid option");
        }
    }
    if (rc != 0) return rc;
    if (a->cert == NULL) return cli_usage_error("reseal", "no certificate: pass --cert NEW.crt");
    if (a->keys.n == 0) return cli_usage_error("reseal", "no private key: pass --key OLD.key");
    return 0;
}

/* ---- collecting files ---- */

/*
 * What the walk passed over is said, and an unreadable folder fails the run: a rotation must
 * never report success for files it did not see. Stale temporary files (a killed run's) are
 * removed, except under --check and --dry-run, which write nothing.
 */
static size_t walk_report(const reseal_args *a, const sk_walk_list *l, size_t *temps_removed)
{
    for (size_t i = 0; i < l->n_skipped; i++)
        cli_warn("%s: %s; skipped", l->skipped[i], l->why[i]);
    for (size_t i = 0; i < l->n_temps && !a->check && !a->dry_run; i++) {
        sk_error err = {0};
        int removed = 0;
        if (sk_walk_remove_stale_temp(l->temps[i], &removed, &err) != SK_OK)
            cli_fail(&err);
        else if (removed)
            cli_warn("removed %s, left by an interrupted run", l->temps[i]);
        *temps_removed += (size_t)removed;
    }
    for (size_t i = 0; i < l->n_unreadable; i++)
        fprintf(stderr, "sealkit: error: %s: folder %s; its files were not resealed\n",
                l->unreadable[i], l->unreadable_why[i]);
    return l->n_unreadable;
}

/* ---- doing one file ---- */

typedef struct work {
    const reseal_args *a;
    sk_keyring *kr;
    const sk_pubkey *pk;
} work;

/*
 * The file is read and replaced through a handle on its folder, opened from the named path
 * without following a link below it, and replaced only while it is still the file that was
 * read, unchanged (a concurrent edit is left for the next run, and the file counts as failed),
 * with its mode, owner and group. A file with several hard links is left alone: replacing one
 * name would split it from the others (reported under --check and --dry-run too).
 */
static void reseal_file(const work *w, const char *path, size_t root_len, file_result *r)
{
    sk_secbuf in = SK_SECBUF_INIT, out = SK_SECBUF_INIT;
    struct stat st;
    int dfd = -1;
    char *name = NULL;
    r->done = 1;
    r->c = (sk_reseal_counts)SK_RESEAL_COUNTS_INIT;
    r->rc = sk_open_parent(path, root_len, &dfd, &name, &r->err);
    if (r->rc == SK_OK) r->rc = sk_read_at(dfd, name, path, SK_MAX_INPUT, &in, &st, &r->err);
    if (r->rc == SK_OK)
        r->rc = sk_reseal_text(in.data, in.len, path, w->kr, w->pk, &out, &r->c, &r->err);
    /* Repositories hold Helm templates and the like: passed over, unless one names a
     * SealedSecret, which then must parse. */
    if (r->rc == SK_EPARSE && in.data != NULL &&
        memmem(in.data, in.len, "SealedSecret", 12) == NULL) {
        r->skipped = 1;
        r->rc = SK_OK;
    }
    if (r->rc == SK_OK && r->c.resealed > 0 && st.st_nlink > 1) {
        sk_error_set(&r->err, SK_EIO, "has %lu hard links; resealing it would split them",
                     (unsigned long)st.st_nlink);
        r->rc = sk_error_at_source(&r->err, SK_EIO, path);
    }
    if (r->rc == SK_OK && r->c.resealed > 0 && !w->a->check && !w->a->dry_run)
        r->rc = sk_write_atomic_at(dfd, name, path, out.data, out.len, st.st_mode & 07777, &st,
                                   &r->err);
    if (dfd >= 0) close(dfd);
    free(name);
    sk_secbuf_free(&in);
    sk_secbuf_free(&out);
}

static void progress(const reseal_args *a, size_t done, size_t total)
{
    if (a->json || !isatty(STDERR_FILENO)) return;
    fprintf(stderr, "\rsealkit: reseal %zu/%zu files", done, total);
    if (done == total) fputs("\r\033[K", stderr);
}

static void run_serial(const work *w, const sk_walk_list *files, file_result *res)
{
    for (size_t i = 0; i < files->n_files; i++) {
        reseal_file(w, files->files[i], files->root_len[i], &res[i]);
        progress(w->a, i + 1, files->n_files);
    }
}

static void worker(const work *w, const sk_walk_list *files, size_t id, size_t jobs, int fd)
{
    for (size_t i = id; i < files->n_files; i += jobs) {
        record rec = {.index = i};
        reseal_file(w, files->files[i], files->root_len[i], &rec.r);
        if (write(fd, &rec, sizeof rec) != (ssize_t)sizeof rec) _exit(EXIT_FAIL);
    }
    _exit(EXIT_OK);
}

/* Files are dealt round-robin to forked workers; each result comes back as one record. */
static void run_parallel(const work *w, const sk_walk_list *files, file_result *res, size_t jobs)
{
    int fds[2];
    if (pipe(fds) != 0) {
        run_serial(w, files, res);
        return;
    }
    fflush(NULL);
    for (size_t id = 0; id < jobs; id++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            worker(w, files, id, jobs, fds[1]);
        }
        if (pid < 0) break; /* fewer workers; their files are reported as not done */
    }
    close(fds[1]);
    record rec;
    size_t done = 0;
    ssize_t got;
    while ((got = read(fds[0], &rec, sizeof rec)) == (ssize_t)sizeof rec ||
           (got < 0 && errno == EINTR)) {
        if (got < 0 || rec.index >= files->n_files) continue;
        res[rec.index] = rec.r;
        progress(w->a, ++done, files->n_files);
    }
    close(fds[0]);
    while (wait(NULL) > 0 || errno == EINTR) {
    }
}

/* ---- reporting ---- */

typedef struct totals {
    size_t files, changed, failed, skipped, temps_removed;
    sk_reseal_counts items;
} totals;

static const char *status_of(const reseal_args *a, const file_result *r)
{
    if (!r->done || r->rc != SK_OK) return "failed";
    if (r->skipped) return "skipped";
    if (r->c.resealed == 0) return "unchanged";
    return a->check || a->dry_run ? "would-reseal" : "resealed";
}

static void tally(const file_result *r, totals *t)
{
    t->files++;
    if (!r->done || r->rc != SK_OK) {
        t->failed++;
        return;
    }
    t->skipped += r->skipped;
    t->items.sealed_secrets += r->c.sealed_secrets;
    t->items.resealed += r->c.resealed;
    t->items.unchanged += r->c.unchanged;
    t->changed += r->c.resealed > 0;
}

static void report_text(const reseal_args *a, const cli_list *files, file_result *res, totals *t)
{
    for (size_t i = 0; i < files->n; i++) {
        file_result *r = &res[i];
        if (!r->done)
            sk_error_set(&r->err, SK_EIO, "%s: not processed (a worker died)", files->v[i]);
        if (!r->done || r->rc != SK_OK)
            cli_fail(&r->err);
        else if (r->c.resealed > 0 && (a->check || a->dry_run))
            printf("would reseal %s (%zu items)\n", files->v[i], r->c.resealed);
        tally(r, t);
    }
    fprintf(stderr,
            "sealkit: %zu files, %zu SealedSecrets, %zu items resealed, %zu unchanged, "
            "%zu files changed, %zu failed, %zu skipped (not YAML or JSON, no SealedSecret), "
            "%zu stale temporary files removed\n",
            t->files, t->items.sealed_secrets, t->items.resealed, t->items.unchanged, t->changed,
            t->failed, t->skipped, t->temps_removed);
}

/*
 * Every member is checked, so that a failed allocation cannot print a report missing one.
 * json_object_set_new takes its value even when it fails, and fails on a NULL value or object.
 * Paths and messages, which may not be UTF-8, go in with json_string_nocheck, as sk_emit_json
 * writes invalid UTF-8 as U+FFFD: a failure is then only ever memory.
 */
static int set(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v);
}

/* One file of the report; NULL when memory runs out. */
static json_t *file_json(const reseal_args *a, const char *path, const file_result *r)
{
    char why[SK_ERROR_MSG_MAX + 96] = "not processed";
    if (r->done) sk_error_format_in_source(&r->err, why, sizeof why); /* path is a field */
    json_t *f = json_object();
    int bad = set(f, "path", json_string_nocheck(path)) ||
              set(f, "status", json_string(status_of(a, r))) ||
              set(f, "sealed_secrets", json_integer((json_int_t)r->c.sealed_secrets)) ||
              set(f, "items_resealed", json_integer((json_int_t)r->c.resealed)) ||
              set(f, "items_unchanged", json_integer((json_int_t)r->c.unchanged)) ||
              ((!r->done || r->rc != SK_OK) && set(f, "error", json_string_nocheck(why)));
    if (bad) {
        json_decref(f);
        return NULL;
    }
    return f;
}

/* The --format json report; its schema is "sealkit-reseal/v1" (see README.md). */
static int report_json(const reseal_args *a, const cli_list *files, file_result *res, totals *t,
                       sk_error *err)
{
    json_t *root = json_object(), *list = json_array(), *sum = json_object();
    int bad = root == NULL || list == NULL || sum == NULL;
    for (size_t i = 0; i < files->n; i++) {
        if (!bad) bad = json_array_append_new(list, file_json(a, files->v[i], &res[i])) != 0;
        tally(&res[i], t);
    }
    /* json_object_set takes a reference of its own: ours on list and sum are dropped either way. */
    bad = bad || set(root, "schema", json_string("sealkit-reseal/v1")) ||
          json_object_set(root, "files", list) != 0 ||
          set(sum, "files", json_integer((json_int_t)t->files)) ||
          set(sum, "sealed_secrets", json_integer((json_int_t)t->items.sealed_secrets)) ||
          set(sum, "items_resealed", json_integer((json_int_t)t->items.resealed)) ||
          set(sum, "items_unchanged", json_integer((json_int_t)t->items.unchanged)) ||
          set(sum, "files_changed", json_integer((json_int_t)t->changed)) ||
          set(sum, "files_failed", json_integer((json_int_t)t->failed)) ||
          set(sum, "files_skipped", json_integer((json_int_t)t->skipped)) ||
          set(sum, "temps_removed", json_integer((json_int_t)t->temps_removed)) ||
          json_object_set(root, "totals", sum) != 0;
    json_decref(list), json_decref(sum);
    sk_secbuf out = SK_SECBUF_INIT;
    int rc = bad ? sk_error_set(err, SK_ENOMEM, "out of memory") : sk_emit_json(root, &out, err);
    if (rc == SK_OK) cli_write_stdout(out.data, out.len);
    sk_secbuf_free(&out);
    json_decref(root);
    return rc;
}

/* ---- entry ---- */

static int reseal_stdin(sk_keyring *kr, const sk_pubkey *pk)
{
    sk_error err = {0};
    sk_secbuf in = SK_SECBUF_INIT, out = SK_SECBUF_INIT;
    sk_reseal_counts c = SK_RESEAL_COUNTS_INIT;
    int rc = sk_read_file("-", SK_MAX_INPUT, &in, &err);
    if (rc == SK_OK) rc = sk_reseal_text(in.data, in.len, "<stdin>", kr, pk, &out, &c, &err);
    if (rc == SK_OK) rc = cli_output(NULL, &out, 0, &err);
    sk_secbuf_free(&in);
    sk_secbuf_free(&out);
    return rc == SK_OK ? EXIT_OK : cli_fail(&err);
}

static int reseal_paths(const work *w, int npaths, char **paths, cli_reseal_totals *sum)
{
    sk_walk_list l;
    sk_error err = {0};
    if (sk_walk((const char *const *)paths, (size_t)npaths, SK_WALK_MANIFESTS, &l, &err) != SK_OK)
        return cli_fail(&err);
    totals t = {0};
    size_t unread = walk_report(w->a, &l, &t.temps_removed);
    cli_list files = {l.files, l.n_files}; /* borrowed from the walk */
    file_result *res = calloc(files.n ? files.n : 1, sizeof *res);
    if (res == NULL) {
        sk_walk_list_free(&l);
        return EXIT_FAIL;
    }
    size_t jobs = (size_t)w->a->jobs < files.n ? (size_t)w->a->jobs : files.n;
    if (jobs > 1)
        run_parallel(w, &l, res, jobs);
    else
        run_serial(w, &l, res);
    int reported = SK_OK;
    if (w->a->json)
        reported = report_json(w->a, &files, res, &t, &err);
    else
        report_text(w->a, &files, res, &t);
    free(res);
    sk_walk_list_free(&l);
    if (sum != NULL)
        *sum = (cli_reseal_totals){t.files, t.changed, t.failed + unread, t.items.resealed};
    if (reported != SK_OK)
        return cli_fail(&err); /* the files are written: only the report is lost */
    if (t.failed > 0 || unread > 0) return EXIT_FAIL;
    return w->a->check && t.changed > 0 ? EXIT_WOULD_CHANGE : EXIT_OK;
}

int cli_reseal_paths(sk_keyring *kr, const sk_pubkey *pk, long jobs, int npaths, char **paths,
                     cli_reseal_totals *sum)
{
    reseal_args a = {.jobs = jobs};
    work w = {&a, kr, pk};
    return reseal_paths(&w, npaths, paths, sum);
}

/*
 * Items already under the new certificate are recognised by opening them: without its private
 * key among --key, every later run would fail on what this one reseals.
 */
static void warn_unknown_target(const reseal_args *a, const sk_keyring *kr, const sk_pubkey *pk)
{
    for (size_t i = 0; i < sk_keyring_count(kr); i++)
        if (strcmp(sk_keyring_fingerprint(kr, i), sk_pubkey_fingerprint(pk)) == 0) return;
    cli_warn("the private key of %s (%s) is not among --key: the next run could not open what "
             "this one reseals; add it",
             a->cert, sk_pubkey_fingerprint(pk));
}

int cmd_reseal(int argc, char **argv)
{
    reseal_args a = {0};
    int rc = parse_flags(argc, argv, &a);
    if (rc != 0) {
        cli_list_free(&a.keys);
        return rc < 0 ? EXIT_OK : rc;
    }
    sk_error err = {0};
    sk_keyring *kr = NULL;
    sk_pubkey *pk = NULL;
    if (sk_fetch_pubkey(a.cert, cli_now(), &pk, &err) != SK_OK ||
        load_private_keys(&a.keys, &kr, &err) != SK_OK) {
        rc = cli_fail(&err);
    } else {
        warn_unknown_target(&a, kr, pk);
        work w = {&a, kr, pk};
        rc = argc - optind == 0 ? reseal_stdin(kr, pk)
                                : reseal_paths(&w, argc - optind, argv + optind, NULL);
    }
    sk_pubkey_free(pk);
    sk_keyring_free(kr);
    cli_list_free(&a.keys);
    return rc;
}
