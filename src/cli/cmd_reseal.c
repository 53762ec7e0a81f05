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
    "  --check            write nothing; exit 4 when anything would change\n"
    "  --dry-run          write nothing; list the files that would change\n"
    "  -j, --jobs N       worker processes (default: twice the number of cores)\n"
    "  --exclude GLOB     pass over what GLOB names inside folders (repeatable; as in\n"
    "                     .gitignore); each folder's .sealkitignore lists more\n"
    "  --shard K/N        only shard K (0..N-1) of N, by a hash of each file's path\n"
    "  --format FORMAT    text (default) or json: the report on stdout\n"
    "  -h, --help         show this help\n"
    "\n"
    "A file that fails is left untouched and reported; the others proceed. A link,\n"
    "special file or unreadable folder inside a folder fails the run unless excluded.\n"
    "Exit status: 0 success (with --check: nothing would change), 1 a file failed,\n"
    "2 usage error, 4 (--check only) files would change.\n";

typedef struct reseal_args {
    const char *cert;
    cli_list keys, exclude;
    int check, dry_run, json;
    long jobs;
    size_t shard, shards;
    const char *jobs_given, *shard_given, *format_given; /* each at most once */
} reseal_args;

enum { OPT_CERT = 256, OPT_KEY, OPT_CHECK, OPT_DRY_RUN, OPT_FORMAT, OPT_EXCLUDE, OPT_SHARD };

static const struct option options[] = {{"cert", required_argument, NULL, OPT_CERT},
                                        {"key", required_argument, NULL, OPT_KEY},
                                        {"recovery-private-key", required_argument, NULL, OPT_KEY},
                                        {"check", no_argument, NULL, OPT_CHECK},
                                        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
                                        {"jobs", required_argument, NULL, 'j'},
                                        {"format", required_argument, NULL, OPT_FORMAT},
                                        {"exclude", required_argument, NULL, OPT_EXCLUDE},
                                        {"shard", required_argument, NULL, OPT_SHARD},
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
            rc = cli_once("reseal", "--cert", &a->cert, optarg);
            break;
        case OPT_KEY:
            rc = cli_list_add_csv(&a->keys, optarg) ? EXIT_FAIL : 0;
            break;
        case OPT_EXCLUDE:
            rc = cli_list_push(&a->exclude, optarg) ? EXIT_FAIL : 0;
            break;
        case OPT_SHARD:
            rc = cli_once("reseal", "--shard", &a->shard_given, optarg);
            if (rc == 0) rc = cli_parse_shard("reseal", optarg, &a->shard, &a->shards);
            break;
        case OPT_CHECK:
            a->check = 1;
            break;
        case OPT_DRY_RUN:
            a->dry_run = 1;
            break;
        case 'j':
            rc = cli_once("reseal", "-j/--jobs", &a->jobs_given, optarg);
            if (rc == 0) rc = parse_jobs(optarg, &a->jobs);
            break;
        case OPT_FORMAT:
            if (cli_once("reseal", "--format", &a->format_given, optarg) != 0) return EXIT_USAGE;
            if (strcasecmp(optarg, "json") != 0 && strcasecmp(optarg, "text") != 0)
                return cli_usage_error("reseal", "unsupported report format: %s", optarg);
            a->json = strcasecmp(optarg, "json") == 0;
            break;
        default:
            return cli_bad_option("reseal", argc, argv);
        }
    }
    if (rc != 0) return rc;
    if (a->cert == NULL) a->cert = cli_env("cert");
    if (a->cert == NULL) return cli_usage_error("reseal", "no certificate: pass --cert NEW.crt");
    if (a->keys.n == 0) return cli_usage_error("reseal", "no private key: pass --key OLD.key");
    return 0;
}

/* ---- reporting ---- */

static void progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    fprintf(stderr, "\rsealkit: reseal %zu/%zu files", done, total);
    if (done == total) fputs("\r\033[K", stderr);
}

static const char *status_of(const reseal_args *a, const sk_reseal_file *r)
{
    if (r->rc != SK_OK) return "failed";
    if (r->skipped) return "skipped";
    if (r->counts.resealed == 0) return "unchanged";
    return a->check || a->dry_run ? "would-reseal" : "resealed";
}

static void report_text(const reseal_args *a, const sk_reseal_tree_report *rep)
{
    cli_reseal_problems(rep);
    for (size_t i = 0; i < rep->walk.n_files; i++) {
        const sk_reseal_file *r = &rep->files[i];
        if (r->rc == SK_OK && r->counts.resealed > 0 && (a->check || a->dry_run)) {
            fputs("would reseal ", stdout);
            cli_fputs_clean(rep->walk.files[i], stdout); /* a name from the repository */
            printf(" (%zu items)\n", r->counts.resealed);
        }
    }
    cli_reseal_summary(&rep->totals);
}

void cli_reseal_summary(const sk_reseal_tree_totals *t)
{
    fprintf(stderr,
            "sealkit: %zu files, %zu SealedSecrets, %zu items resealed, %zu unchanged, "
            "%zu files changed, %zu failed, %zu not processed, %zu skipped (not YAML or JSON, "
            "no SealedSecret), %zu excluded, %zu stale temporary files removed",
            t->files, t->sealed_secrets, t->resealed, t->unchanged, t->changed, t->failed,
            t->not_processed, t->skipped, t->excluded, t->temps_removed);
    if (t->other_shards > 0) fprintf(stderr, ", %zu in other shards", t->other_shards);
    fputc('\n', stderr);
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

static int set_size(json_t *o, const char *key, size_t n)
{
    return set(o, key, json_integer((json_int_t)n));
}

/* One file of the report; NULL when memory runs out. */
static json_t *file_json(const reseal_args *a, const char *path, const sk_reseal_file *r)
{
    char why[SK_ERROR_MSG_MAX + 96];
    sk_error_format_in_source(&r->err, why, sizeof why); /* path is a field */
    json_t *f = json_object();
    int bad = set(f, "path", json_string_nocheck(path)) ||
              set(f, "status", json_string(status_of(a, r))) ||
              set_size(f, "sealed_secrets", r->counts.sealed_secrets) ||
              set_size(f, "items_resealed", r->counts.resealed) ||
              set_size(f, "items_unchanged", r->counts.unchanged) ||
              (r->rc != SK_OK && set(f, "error", json_string_nocheck(why)));
    if (bad) {
        json_decref(f);
        return NULL;
    }
    return f;
}

/* What the walk could not process: links, special files, unreadable folders. */
static int not_processed_json(const sk_walk_list *w, json_t *list)
{
    int bad = 0;
    for (size_t i = 0; !bad && i < w->n_skipped + w->n_unreadable; i++) {
        int link = i < w->n_skipped;
        size_t j = link ? i : i - w->n_skipped;
        json_t *e = json_object();
        bad = set(e, "path", json_string_nocheck(link ? w->skipped[j] : w->unreadable[j])) ||
              set(e, "why", json_string(link ? w->why[j] : w->unreadable_why[j])) ||
              json_array_append_new(list, e) != 0;
    }
    return bad;
}

static int totals_json(const sk_reseal_tree_totals *t, json_t *sum)
{
    return set_size(sum, "files", t->files) || set_size(sum, "sealed_secrets", t->sealed_secrets) ||
           set_size(sum, "items_resealed", t->resealed) ||
           set_size(sum, "items_unchanged", t->unchanged) ||
           set_size(sum, "files_changed", t->changed) || set_size(sum, "files_failed", t->failed) ||
           set_size(sum, "files_skipped", t->skipped) ||
           set_size(sum, "not_processed", t->not_processed) ||
           set_size(sum, "excluded", t->excluded) ||
           set_size(sum, "other_shards", t->other_shards) ||
           set_size(sum, "temps_removed", t->temps_removed);
}

/* The --format json report; its schema is "sealkit-reseal/v1" (see README.md). */
static int report_json(const reseal_args *a, const sk_reseal_tree_report *rep, sk_error *err)
{
    json_t *root = json_object(), *list = json_array(), *sum = json_object(),
           *passed = json_array();
    int bad = root == NULL || list == NULL || sum == NULL || passed == NULL;
    for (size_t i = 0; !bad && i < rep->walk.n_files; i++)
        bad = rep->mine[i] &&
              json_array_append_new(list, file_json(a, rep->walk.files[i], &rep->files[i])) != 0;
    /* json_object_set takes a reference of its own: ours are dropped either way. */
    bad = bad || set(root, "schema", json_string("sealkit-reseal/v1")) ||
          json_object_set(root, "files", list) != 0 || not_processed_json(&rep->walk, passed) ||
          json_object_set(root, "not_processed", passed) != 0 || totals_json(&rep->totals, sum) ||
          json_object_set(root, "totals", sum) != 0;
    json_decref(list), json_decref(sum), json_decref(passed);
    return cli_print_json(root, bad, err);
}

void cli_reseal_problems(const sk_reseal_tree_report *rep)
{
    const sk_walk_list *w = &rep->walk;
    for (size_t i = 0; i < w->n_temps; i++) {
        if (rep->temp_errors[i].code != SK_OK) cli_fail(&rep->temp_errors[i]);
        if (rep->temp_removed[i]) cli_warn("removed %s, left by an interrupted run", w->temps[i]);
    }
    for (size_t i = 0; i < w->n_skipped; i++)
        cli_error("%s: %s; not processed (pass --exclude, or list it in %s)", w->skipped[i],
                  w->why[i], SK_WALK_IGNORE_FILE_NAME);
    for (size_t i = 0; i < w->n_unreadable; i++)
        cli_error("%s: folder %s; its files were not resealed", w->unreadable[i],
                  w->unreadable_why[i]);
    for (size_t i = 0; i < w->n_files; i++)
        if (rep->files[i].rc != SK_OK) cli_fail(&rep->files[i].err);
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

static int reseal_paths(const reseal_args *a, sk_keyring *kr, const sk_pubkey *pk, int npaths,
                        char **paths)
{
    sk_error err = {0};
    sk_reseal_tree_report rep;
    sk_reseal_tree_opts o = SK_RESEAL_TREE_OPTS_INIT;
    o.flags = SK_RESEAL_IGNORE_FILE | (a->check || a->dry_run ? SK_RESEAL_CHECK : 0);
    o.jobs = (size_t)a->jobs;
    o.exclude = (const char *const *)a->exclude.v;
    o.n_exclude = a->exclude.n;
    o.shard = a->shard;
    o.shards = a->shards;
    if (!a->json && isatty(STDERR_FILENO)) o.progress = progress;
    int rc = sk_reseal_tree((const char *const *)paths, (size_t)npaths, kr, pk, &o, &rep, &err);
    if (rc != SK_OK && rep.files == NULL) return cli_fail(&err); /* the walk itself failed */
    int reported = SK_OK;
    if (a->json) {
        cli_reseal_problems(&rep);
        reported = report_json(a, &rep, &err);
    } else {
        report_text(a, &rep);
    }
    size_t changed = rep.totals.changed;
    sk_reseal_tree_report_free(&rep);
    if (reported != SK_OK)
        return cli_fail(&err); /* the files are written: only the report is lost */
    if (rc != SK_OK) return EXIT_FAIL;
    return a->check && changed > 0 ? EXIT_WOULD_CHANGE : EXIT_OK;
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
        cli_list_free(&a.exclude);
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
        rc = argc - optind == 0 ? reseal_stdin(kr, pk)
                                : reseal_paths(&a, kr, pk, argc - optind, argv + optind);
    }
    sk_pubkey_free(pk);
    sk_keyring_free(kr);
    cli_list_free(&a.keys);
    cli_list_free(&a.exclude);
    return rc;
}
