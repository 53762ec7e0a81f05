/* sealkit verify: audit SealedSecret files without a cluster and without printing a value. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

static const char usage[] =
    "Usage: sealkit verify [OPTIONS] PATH...\n"
    "\n"
    "Check every SealedSecret in the files and folders given (*.yaml, *.yml, *.json;\n"
    "'-' is stdin) and print one finding per line as FILE:DOCUMENT:ITEM: SEVERITY: CODE:\n"
    "MESSAGE. A plaintext Secret is an error. No value is ever printed. Finding codes:\n"
    "sealkit-verify(1) and docs/verify.md.\n"
    "\n"
    "  --cert FILE|URL    the controller's current certificate (a file, or an https:// URL\n"
    "                     as for seal): RSA parts must match its size, and items not\n"
    "                     sealed under it are flagged [SEALED_SECRETS_CERT]\n"
    "  --key FILE[,FILE]  private keys (as for 'sealkit unseal'): every item must open;\n"
    "                     reports the key and scope that open it and checks the content\n"
    "  --policy FILE      required Secrets and items, allowed namespaces (format:\n"
    "                     sealkit-policy(5); example: policies/seldon-system.yaml)\n"
    "  --warn-days N      a --cert that expires within N days is a warning (default 0)\n"
    "  --fail-on SEV      the least severity that fails the run: error, warning\n"
    "                     (default) or info\n"
    "  -j, --jobs N       verify files in N worker processes (default: twice the\n"
    "                     cores); the report is the same for any N\n"
    "  --diagnose-budget N\n"
    "                     RSA private operations that diagnosing items which do not\n"
    "                     open may spend in the whole scan (default 4096)\n"
    "  --diagnose-file-budget N\n"
    "                     the same in one file (default 512); past either, the items\n"
    "                     left are not diagnosed, and a diagnosis-cut finding says so\n"
    "  -o, --format FMT   text (default), json (schema: docs/verify-schema.json) or\n"
    "                     sarif (SARIF 2.1.0, for code scanning)\n"
    "  -h, --help         show this help\n"
    "\n"
    "In text, repeated findings about items of one SealedSecret are one line whose ITEM\n"
    "lists the items.\n"
    "\n"
    "Exit status: 0 no finding of the --fail-on severity or worse, 1 such findings,\n"
    "2 usage error or a file that cannot be read.\n";

typedef struct verify_args {
    const char *cert, *policy;
    const char *format_given, *warn_days_given, *fail_on_given; /* each option at most once */
    cli_list keys;
    int format;
    long warn_days;
    sk_severity fail_on;
    long jobs;
    size_t budget, file_budget; /* 0: the library's defaults */
} verify_args;

enum {
    OPT_CERT = 256,
    OPT_KEY,
    OPT_POLICY,
    OPT_WARN_DAYS,
    OPT_FAIL_ON,
    OPT_BUDGET,
    OPT_FILE_BUDGET
};

static const struct option options[] = {
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"warn-days", required_argument, NULL, OPT_WARN_DAYS},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"jobs", required_argument, NULL, 'j'},
    {"diagnose-budget", required_argument, NULL, OPT_BUDGET},
    {"diagnose-file-budget", required_argument, NULL, OPT_FILE_BUDGET},
    {"format", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int parse_days(const char *s, long *out)
{
    char *end = NULL;
    long n = strtol(s, &end, 10);
    if (end == s || *end != '\0' || n < 0 || n > 365L * 1000)
        return cli_usage_error("verify", "--warn-days needs a number of days from 0 to 365000");
    *out = n;
    return 0;
}

static int parse_count(const char *s, const char *flag, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno != 0 || n < 1 || n > max)
        return cli_usage_error("verify", "%s needs a number from 1 to %ld", flag, max);
    *out = n;
    return 0;
}

static int parse_budget(const char *s, const char *flag, size_t *out)
{
    long n = 0;
    int rc = parse_count(s, flag, 1000000000L, &n);
    if (rc == 0) *out = (size_t)n;
    return rc;
}

static int parse_flag(int c, verify_args *a, int argc, char **argv)
{
    switch (c) {
    case 'h':
        fputs(usage, stdout);
        return -1;
    case OPT_CERT:
        return cli_once("verify", "--cert", &a->cert, optarg);
    case OPT_KEY:
        return cli_list_add_csv(&a->keys, optarg) != 0 ? EXIT_USAGE : 0;
    case OPT_POLICY:
        return cli_once("verify", "--policy", &a->policy, optarg);
    case OPT_WARN_DAYS:
        if (cli_once("verify", "--warn-days", &a->warn_days_given, optarg) != 0) return EXIT_USAGE;
        return parse_days(optarg, &a->warn_days);
    case OPT_FAIL_ON:
        if (cli_once("verify", "--fail-on", &a->fail_on_given, optarg) != 0) return EXIT_USAGE;
        return cli_parse_fail_on("verify", optarg, &a->fail_on);
    case 'j':
        return parse_count(optarg, "-j", 256, &a->jobs);
    case OPT_BUDGET:
        return parse_budget(optarg, "--diagnose-budget", &a->budget);
    case OPT_FILE_BUDGET:
        return parse_budget(optarg, "--diagnose-file-budget", &a->file_budget);
    case 'o':
        if (cli_once("verify", "-o/--format", &a->format_given, optarg) != 0) return EXIT_USAGE;
        return cli_parse_report_format("verify", optarg, &a->format);
    default:
        return cli_bad_option("verify", argc, argv);
    }
}

static int parse_flags(int argc, char **argv, verify_args *a)
{
    a->fail_on = SK_SEVERITY_WARNING;
    a->jobs = cli_default_jobs();
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "ho:j:", options, NULL)) != -1)
        rc = parse_flag(c, a, argc, argv);
    if (rc != 0) return rc;
    if (a->cert == NULL) a->cert = cli_env("cert");
    if (a->cert != NULL && *a->cert == '\0') a->cert = NULL;
    if (optind >= argc) return cli_usage_error("verify", "no file or folder to verify");
    return 0;
}

/* ---- collecting files ---- */

/* What the walk passed over is part of the audit: a link is not followed, a folder not read. */
static int walk_findings(const sk_walk_list *l, sk_findings *f, sk_error *err)
{
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < l->n_skipped; i++) {
        sk_where w = {l->skipped[i], 0, 0, NULL};
        rc = sk_findings_add(f, &w, SK_SEVERITY_WARNING, "not-followed", NULL, err,
                             "%s: not verified", l->why[i]);
    }
    for (size_t i = 0; rc == SK_OK && i < l->n_unreadable; i++) {
        sk_where w = {l->unreadable[i], 0, 0, NULL};
        rc = sk_findings_add(f, &w, SK_SEVERITY_ERROR, "unreadable", NULL, err,
                             "folder %s: its files were not verified", l->unreadable_why[i]);
    }
    return rc;
}

/* ---- keys and the certificate ---- */

/* ---- printing ---- */

static int report_text(const sk_findings *f, sk_error *err)
{
    int rc = cli_print_findings(f, err);
    fflush(stdout);
    if (rc != SK_OK) return rc;
    size_t opened = 0;
    for (size_t i = 0; i < f->n_items; i++)
        opened += f->items[i].opens == 1;
    size_t e = 0, w = 0;
    for (size_t i = 0; i < f->n; i++) {
        e += f->v[i].severity == SK_SEVERITY_ERROR;
        w += f->v[i].severity == SK_SEVERITY_WARNING;
    }
    fprintf(stderr,
            "sealkit: %zu files, %zu SealedSecrets, %zu items (%zu opened): %zu errors, "
            "%zu warnings, %zu info\n",
            f->files, f->n_secrets, f->n_items, opened, e, w, f->n - e - w);
    return SK_OK;
}

/* ---- running ---- */

typedef struct run_state {
    sk_keyring *kr;
    sk_pubkey *cert;
    sk_policy *policy;
} run_state;

static int load_policy(const char *path, sk_policy **p, sk_error *err)
{
    sk_secbuf text = SK_SECBUF_INIT;
    int rc = sk_read_file(path, SK_MAX_INPUT, &text, err);
    if (rc == SK_OK) rc = sk_policy_parse(text.data, text.len, path, p, err);
    sk_secbuf_free(&text);
    return rc;
}

static int prepare(const verify_args *a, run_state *s, sk_error *err)
{
    int rc = SK_OK;
    if (a->cert != NULL) rc = cli_read_audit_cert(a->cert, &s->cert, err);
    if (rc == SK_OK && a->keys.n > 0) {
        rc = load_private_keys(&a->keys, &s->kr, err);
    }
    if (rc == SK_OK && a->policy != NULL) rc = load_policy(a->policy, &s->policy, err);
    return rc;
}

static int verify_files(const sk_walk_list *files, const sk_verify_opts *opts, long jobs,
                        sk_findings *f, sk_error *err)
{
    int rc = walk_findings(files, f, err);
    if (rc == SK_OK)
        rc = sk_verify_files((const char *const *)files->files, files->n_files, opts, (size_t)jobs,
                             f, err);
    return rc;
}

/* What only the whole scan shows: the certificate, copies between SealedSecrets, the policy. */
static int check_scan(const verify_args *a, const run_state *s, const sk_verify_opts *opts,
                      sk_findings *f, sk_error *err)
{
    int rc = SK_OK;
    if (s->cert != NULL) {
        char source[1024];
        cli_shown_source(a->cert, source, sizeof source);
        rc = sk_verify_cert_findings(s->cert, source, cli_now(), a->warn_days, f, err);
    }
    if (rc == SK_OK) rc = sk_verify_cross_check(opts, f, err);
    if (rc == SK_OK && s->policy != NULL) rc = sk_policy_check(s->policy, f, err);
    if (rc == SK_OK && f->n_secrets == 0) {
        sk_where none = {"-", 0, 0, NULL};
        rc = sk_findings_add(f, &none, SK_SEVERITY_WARNING, "no-sealed-secrets", NULL, err,
                             "no SealedSecret found in the %zu files read", f->files);
    }
    return rc;
}

static int report(const verify_args *a, const sk_findings *f, sk_error *err)
{
    if (a->format == CLI_REPORT_JSON) return cli_report_json(f, f->files, f->n_secrets, NULL, err);
    if (a->format == CLI_REPORT_SARIF) return cli_report_sarif(f, err);
    return report_text(f, err);
}

static int run(const verify_args *a, int npaths, char **paths, sk_error *err)
{
    run_state s = {0};
    sk_walk_list files = {0};
    sk_findings f;
    sk_findings_init(&f);
    int rc = prepare(a, &s, err);
    if (rc == SK_OK)
        rc = sk_walk((const char *const *)paths, (size_t)npaths, SK_WALK_MANIFESTS, &files, err);
    sk_verify_opts opts = {SK_VERIFY_OPTS_VERSION, s.cert, s.kr, cli_newest_key(s.kr)};
    f.diagnose_budget = a->budget, f.diagnose_file_budget = a->file_budget;
    if (rc == SK_OK) rc = verify_files(&files, &opts, a->jobs, &f, err);
    if (rc == SK_OK) rc = check_scan(a, &s, &opts, &f, err);
    if (rc == SK_OK) rc = report(a, &f, err);
    int failing = sk_findings_count(&f, a->fail_on) > 0;
    sk_findings_free(&f);
    sk_walk_list_free(&files);
    sk_policy_free(s.policy);
    sk_pubkey_free(s.cert);
    sk_keyring_free(s.kr);
    if (rc != SK_OK) return -1;
    return failing ? EXIT_FAIL : EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
    verify_args a = {0};
    int rc = parse_flags(argc, argv, &a);
    if (rc != 0) {
        cli_list_free(&a.keys);
        return rc < 0 ? EXIT_OK : rc;
    }
    sk_error err = {0};
    rc = run(&a, argc - optind, argv + optind, &err);
    cli_list_free(&a.keys);
    if (rc < 0) {
        cli_fail(&err);
        return EXIT_USAGE; /* could not verify at all: distinct from "findings" */
    }
    return rc;
}
