/*
 * sealkit rotate: the scheduled job. The steps and the key folder's state are the library's
 * (sealkit/rotate.h); this file parses the flags and prints what happened.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sealkit/timefmt.h>

static const char usage[] =
    "Usage: sealkit rotate --keys DIR --max-age AGE [OPTIONS] PATH...\n"
    "\n"
    "The scheduled key rotation. If the newest key in DIR is younger than AGE, do nothing.\n"
    "Otherwise make a new controller key in DIR (sealed-secrets-key-<time>.yaml, the TLS\n"
    "Secret to 'kubectl apply' in the controller's namespace, and its .crt) and reseal\n"
    "every SealedSecret under PATH with it, in place. A run that was interrupted is\n"
    "finished by the next one. Apply the new key Secret to the cluster and restart the\n"
    "controller before you deploy the resealed SealedSecrets.\n"
    "\n"
    "  --keys DIR          folder of controller keys (created 0700 if missing)\n"
    "  --max-age AGE       e.g. 30d, 720h (as the controller's --key-renew-period)\n"
    "  --bits N            size of a new key: 2048, 3072 or 4096 (default)\n"
    "  --cn NAME           certificate CN of a new key (default sealed-secret)\n"
    "  --valid-for AGE     certificate validity of a new key (default 3650d)\n"
    "  --namespace NS      namespace of the key Secret (default kube-system)\n"
    "  --init              DIR may be missing or empty: make the first key there\n"
    "  -j, --jobs N        reseal worker processes (default: twice the number of cores)\n"
    "  --exclude GLOB      pass over what GLOB names (repeatable), as reseal does\n"
    "  --step STEP         all (default), or mint, reseal, finish for a sharded rotation\n"
    "  --shard K/N         with --step reseal: only shard K of N, as reseal splits them\n"
    "  --format FMT        text (default) or json: a report on standard output\n"
    "  -q, --quiet         print nothing when there is nothing to do\n"
    "  --now TIME          pretend the time is TIME (RFC 3339 or @SECONDS), for tests\n"
    "  -h, --help          show this help\n"
    "\n"
    "Before it makes a key, rotate checks that the keys in DIR open one item of every\n"
    "SealedSecret under PATH, so a mistyped folder or a foreign file fails first.\n"
    "\n"
    "Exit status: 0 nothing to do, 1 failure (run again to finish), 2 usage error,\n"
    "3 another rotate holds the folder's lock, 4 rotated: apply the new key (its path\n"
    "is printed, and 'sealkit keys list --newest DIR' prints it again).\n";

/* Where a sharded rotation is: one mint, N reseal jobs, one finish; or all of it at once. */
enum { STEP_ALL, STEP_MINT, STEP_RESEAL, STEP_FINISH };

typedef struct rotate_args {
    sk_rotate_opts o;
    cli_list exclude;
    int json, quiet, step;
} rotate_args;

enum {
    OPT_KEYS = 256,
    OPT_MAX_AGE,
    OPT_BITS,
    OPT_CN,
    OPT_VALID_FOR,
    OPT_NAMESPACE,
    OPT_NOW,
    OPT_INIT,
    OPT_FORMAT,
    OPT_EXCLUDE,
    OPT_STEP,
    OPT_SHARD,
    OPT_LAST
};

static const struct option options[] = {{"keys", required_argument, NULL, OPT_KEYS},
                                        {"max-age", required_argument, NULL, OPT_MAX_AGE},
                                        {"bits", required_argument, NULL, OPT_BITS},
                                        {"cn", required_argument, NULL, OPT_CN},
                                        {"valid-for", required_argument, NULL, OPT_VALID_FOR},
                                        {"namespace", required_argument, NULL, OPT_NAMESPACE},
                                        {"jobs", required_argument, NULL, 'j'},
                                        {"now", required_argument, NULL, OPT_NOW},
                                        {"init", no_argument, NULL, OPT_INIT},
                                        {"format", required_argument, NULL, OPT_FORMAT},
                                        {"exclude", required_argument, NULL, OPT_EXCLUDE},
                                        {"step", required_argument, NULL, OPT_STEP},
                                        {"shard", required_argument, NULL, OPT_SHARD},
                                        {"quiet", no_argument, NULL, 'q'},
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};

static int bad(const char *what, const sk_error *err)
{
    return cli_usage_error("rotate", "%s: %s", what, err->msg);
}

static int parse_step(const char *s, int *step)
{
    static const char *const names[] = {"all", "mint", "reseal", "finish"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) != 0) continue;
        *step = i;
        return 0;
    }
    return cli_usage_error("rotate", "--step must be all, mint, reseal or finish");
}

static int parse_option(int c, rotate_args *a)
{
    sk_error err = {0};
    sk_rotate_opts *o = &a->o;
    long jobs;
    switch (c) {
    case OPT_KEYS:
        o->dir = optarg;
        return 0;
    case OPT_MAX_AGE:
        return sk_duration_parse(optarg, &o->max_age, &err) == SK_OK ? 0 : bad("--max-age", &err);
    case OPT_BITS:
        o->bits = (int)strtol(optarg, NULL, 10);
        return 0;
    case OPT_CN:
        o->cn = optarg;
        return 0;
    case OPT_VALID_FOR:
        return sk_duration_parse(optarg, &o->valid_for, &err) == SK_OK ? 0
                                                                       : bad("--valid-for", &err);
    case OPT_NAMESPACE:
        o->ns = optarg;
        return 0;
    case 'j':
        jobs = strtol(optarg, NULL, 10);
        if (jobs < 1 || jobs > 256)
            return cli_usage_error("rotate", "-j needs a number from 1 to 256");
        o->reseal.jobs = (size_t)jobs;
        return 0;
    case OPT_NOW:
        return sk_time_parse(optarg, &o->now, &err) == SK_OK ? 0 : bad("--now", &err);
    case OPT_INIT:
        o->flags |= SK_ROTATE_INIT;
        return 0;
    case OPT_FORMAT:
        if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
            return cli_usage_error("rotate", "--format must be text or json");
        a->json = strcmp(optarg, "json") == 0;
        return 0;
    case OPT_EXCLUDE:
        return cli_list_push(&a->exclude, optarg) ? EXIT_FAIL : 0;
    case OPT_STEP:
        return parse_step(optarg, &a->step);
    case OPT_SHARD:
        return cli_parse_shard("rotate", optarg, &o->reseal.shard, &o->reseal.shards);
    case 'q':
        a->quiet = 1;
        return 0;
    default:
        return EXIT_USAGE; /* parse_flags said why */
    }
}

/* Every option but --exclude takes one value: a repeat is an error, never "the last wins". */
static int given_once(int c, const char **given)
{
    const char *name = NULL;
    for (const struct option *p = options; p->name != NULL; p++)
        if (p->val == c && p->has_arg == required_argument) name = p->name;
    if (name == NULL || c == OPT_EXCLUDE) return 0; /* a flag, or the one repeatable option */
    char opt[40];
    snprintf(opt, sizeof opt, c == 'j' ? "-j/--%s" : "--%s", name);
    return cli_once("rotate", opt, &given[c == 'j' ? 0 : c - OPT_KEYS + 1], optarg);
}

static int parse_flags(int argc, char **argv, rotate_args *a)
{
    const char *given[OPT_LAST - OPT_KEYS + 1] = {0};
    int c, rc = 0;
    a->o = (sk_rotate_opts)SK_ROTATE_OPTS_INIT;
    a->o.now = (int64_t)cli_now();
    a->o.reseal.jobs = (size_t)cli_default_jobs();
    a->o.reseal.flags = SK_RESEAL_IGNORE_FILE;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "hj:q", options, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if (c == '?' || c == ':') return cli_bad_option("rotate", argc, argv);
        rc = given_once(c, given);
        if (rc == 0) rc = parse_option(c, a);
    }
    if (rc != 0) return rc;
    a->o.reseal.exclude = (const char *const *)a->exclude.v;
    a->o.reseal.n_exclude = a->exclude.n;
    if (a->o.dir == NULL) return cli_usage_error("rotate", "no key folder: pass --keys DIR");
    if (a->o.max_age <= 0)
        return cli_usage_error("rotate", "no --max-age: say how old a key may get");
    if (a->o.bits != 2048 && a->o.bits != 3072 && a->o.bits != 4096)
        return cli_usage_error("rotate", "--bits must be 2048, 3072 or 4096");
    if (a->o.reseal.shards > 1 && a->step != STEP_RESEAL)
        return cli_usage_error("rotate", "--shard goes with --step reseal");
    if (a->step == STEP_RESEAL) a->o.flags |= SK_ROTATE_SHARED;
    if (optind >= argc) return cli_usage_error("rotate", "no PATH to reseal");
    return 0;
}

/* "30d", "12h", "90m" or "45s": the largest unit that divides the duration. */
static void format_age(int64_t s, char *out, size_t n)
{
    if (s % 86400 == 0)
        snprintf(out, n, "%lldd", (long long)(s / 86400));
    else if (s % 3600 == 0)
        snprintf(out, n, "%lldh", (long long)(s / 3600));
    else if (s % 60 == 0)
        snprintf(out, n, "%lldm", (long long)(s / 60));
    else
        snprintf(out, n, "%llds", (long long)s);
}

static int report_json(const sk_rotate_report *r, int announces)
{
    const sk_reseal_tree_totals *t = &r->reseal.totals;
    json_t *o = json_pack(
        "{s:b, s:s?, s:s?, s:I, s:I, s:I, s:I, s:I}", "rotated", r->rotated && announces, "key",
        r->rotated && announces ? r->key : NULL, "fingerprint",
        r->rotated && announces ? r->fingerprint : NULL, "files_changed", (json_int_t)t->changed,
        "items_resealed", (json_int_t)t->resealed, "files_skipped", (json_int_t)t->skipped,
        "excluded", (json_int_t)t->excluded, "failed",
        (json_int_t)t->failed + (json_int_t)t->not_processed + (json_int_t)r->n_unopened);
    sk_error err = {0};
    return cli_print_json(o, 0, &err) == SK_OK ? EXIT_OK : cli_fail(&err);
}

/* Everything a run has to say on stderr, failures first. */
static void report_text(const rotate_args *a, const sk_rotate_report *r, int announces)
{
    for (size_t i = 0; i < r->n_temps_removed; i++)
        cli_warn("removed %s, left by an interrupted run", r->temps_removed[i]);
    for (size_t i = 0; i < r->n_unopened; i++)
        cli_fail(&r->unopened[i]);
    if (r->reseal.files != NULL) {
        cli_reseal_problems(&r->reseal);
        cli_reseal_summary(&r->reseal.totals);
    }
    if (r->found == SK_ROTATE_FRESH && !a->quiet) {
        char age[32], max[32];
        format_age(r->key_age, age, sizeof age);
        format_age(a->o.max_age, max, sizeof max);
        fprintf(stderr, "sealkit: newest key is %s old (max %s): nothing to do\n", age, max);
    }
    if (r->minted && a->step == STEP_MINT)
        fprintf(stderr,
                "sealkit: made %s (%s); now run the reseal jobs (--step reseal --shard K/N), "
                "then --step finish\n",
                r->key, r->fingerprint);
    if (r->rotated && announces)
        fprintf(stderr,
                "sealkit: rotated to %s (%s): apply it to the cluster (kubectl apply -f) and "
                "restart the controller before you deploy the resealed files\n",
                r->key, r->fingerprint);
}

/* One step of a sharded rotation; each finds the state the step before it left. */
static int run_step(const rotate_args *a, const char *const *paths, size_t n, sk_rotation **rot,
                    sk_error *err)
{
    if (a->step == STEP_ALL) return sk_rotate_run(&a->o, paths, n, rot, err);
    int rc = sk_rotate_begin(&a->o, rot, err);
    if (rc != SK_OK) return rc;
    sk_rotate_state st = sk_rotation_report(*rot)->state;
    if (st == SK_ROTATE_FRESH) return SK_OK;
    if (a->step == STEP_MINT) {
        if (st != SK_ROTATE_DUE) return SK_OK; /* a key is pending already: the reseal's turn */
        rc = sk_rotate_preflight(*rot, paths, n, err);
        return rc == SK_OK ? sk_rotate_mint(*rot, err) : rc;
    }
    if (st == SK_ROTATE_DUE) {
        sk_error_set(err, SK_EINVAL, "a new key is due in %s: run --step mint first", a->o.dir);
        return SK_EINVAL;
    }
    if (a->step == STEP_RESEAL) return sk_rotate_reseal(*rot, paths, n, err);
    rc = sk_rotate_check(*rot, paths, n, err);
    return rc == SK_OK ? sk_rotate_finish(*rot, err) : rc;
}

static int rotate(const rotate_args *a, int npaths, char **paths)
{
    sk_error err = {0};
    sk_rotation *rot = NULL;
    cli_key_memory();
    int rc = run_step(a, (const char *const *)paths, (size_t)npaths, &rot, &err);
    if (rot == NULL) {
        cli_fail(&err);
        return rc == SK_EBUSY ? EXIT_LOCKED : EXIT_FAIL;
    }
    const sk_rotate_report *r = sk_rotation_report(rot);
    cli_warn_exposed(sk_rotation_keys(rot));
    report_text(a, r, a->step == STEP_ALL || a->step == STEP_FINISH);
    if (rc != SK_OK) cli_fail(&err); /* after the files' own lines: the sum of them */
    /* Only a whole rotation or its finish announces the key: it is then resealed everywhere. */
    int announces = a->step == STEP_ALL || a->step == STEP_FINISH;
    int status = rc != SK_OK ? EXIT_FAIL : r->rotated && announces ? EXIT_WOULD_CHANGE : EXIT_OK;
    if (a->json && report_json(r, announces) != EXIT_OK) status = EXIT_FAIL;
    sk_rotate_end(rot);
    return status;
}

int cmd_rotate(int argc, char **argv)
{
    rotate_args a = {0};
    int rc = parse_flags(argc, argv, &a);
    if (rc == 0) rc = rotate(&a, argc - optind, argv + optind);
    cli_list_free(&a.exclude);
    return rc < 0 ? EXIT_OK : rc;
}
