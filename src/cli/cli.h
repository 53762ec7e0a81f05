/* The sealkit command line: argument parsing and printing only. */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <sealkit/sealkit.h>

/* Exit codes (documented in README.md and sealkit --help). */
enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,
    EXIT_USAGE = 2,
    EXIT_LOCKED = 3,       /* rotate: another run holds the key folder's lock */
    EXIT_WOULD_CHANGE = 4, /* reseal --check: files would change; rotate: a new key to apply */
};

/* Prints "sealkit: error: MSG" and "sealkit: hint: HINT"; returns the exit code for it. */
int cli_fail(const sk_error *err);
/* Prints a usage error and returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) SK_PRINTF(2, 3);
void cli_warn(const char *fmt, ...) SK_PRINTF(1, 2);
/* "sealkit: error: MSG" without a hint, for one of several problems a run reports. */
void cli_error(const char *fmt, ...) SK_PRINTF(1, 2);
/* "sealkit: MSG": progress and summaries on stderr. */
void cli_say(const char *fmt, ...) SK_PRINTF(1, 2);
/*
 * Writes s with control characters (C0, DEL, UTF-8 C1) as '?': file names, item names and
 * kinds come from input, and a terminal obeys escape sequences. cli_fail, cli_usage_error,
 * cli_warn, cli_error and cli_say print every message through it.
 */
void cli_fputs_clean(const char *s, FILE *f);
/*
 * For an option that takes one value: stores value in *slot, or, when *slot is already set
 * (the option came twice), prints a usage error naming opt and returns EXIT_USAGE. Repeating
 * such an option is an error rather than "the last one wins", which silently drops input.
 */
int cli_once(const char *cmd, const char *opt, const char **slot, const char *value);
/*
 * The output format of every command that writes manifests (seal, create, unseal, keygen): an
 * explicit -o/--format (json or yaml; a SEALED_SECRETS_FORMAT variable counts as one) always
 * wins; without one, an output file named *.yaml or *.yml gets YAML, *.json JSON, and anything
 * else (stdout included) the command's fallback: JSON as kubeseal, YAML for keygen's key Secret.
 */
int cli_out_format(const char *cmd, const char *format, const char *output, sk_format fallback,
                   sk_format *f);
/*
 * For getopt_long's '?': a kubeseal flag that sealkit does elsewhere or never does (--re-encrypt,
 * --fetch-cert, --kubeconfig, ...) gets a hint naming what to use; else "invalid option".
 */
int cli_bad_option(const char *cmd, int argc, char **argv);

/* SEALED_SECRETS_<NAME> as kubeseal reads it; NULL when unset. */
const char *cli_env(const char *flag);
void cli_env_name(const char *flag, char *name, size_t size);
/* Go's strconv.ParseBool forms; -1 when s is none of them. */
int cli_parse_bool(const char *s);

/* The clock for certificate validity and key dates: SEALKIT_NOW when set (read once by
 * main), else the system time. A pinned clock makes runs reproducible. */
time_t cli_now(void);
/* Reads SEALKIT_NOW; returns 0, or fills err when it is set but not a time. */
int cli_clock_init(sk_error *err);

/* Writes all of buf to stdout; returns 0 or -1. */
int cli_write_stdout(const void *buf, size_t len);
/* Output goes to path atomically (mode), or to stdout when path is NULL. */
int cli_output(const char *path, const sk_secbuf *out, unsigned mode, sk_error *err);
/*
 * root as every JSON report sealkit prints (sk_emit_json) on stdout; takes root, which may be
 * NULL. bad (or a NULL root) means building it ran out of memory: nothing is printed.
 */
int cli_print_json(json_t *root, int bad, sk_error *err);

/* A growable list of strings (repeatable and comma-separated flags). */
typedef struct cli_list {
    char **v;
    size_t n;
} cli_list;
int cli_list_add_csv(cli_list *l, const char *csv);
/* Adds s as one entry, commas and all. */
int cli_list_push(cli_list *l, const char *s);
void cli_list_free(cli_list *l);

int cmd_seal(int argc, char **argv);
int cmd_unseal(int argc, char **argv);
int cmd_reseal(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_rotate(int argc, char **argv);
int cmd_package(int argc, char **argv);

/* The newest key by the controller's rule (sk_keyring_newest); -1 when none qualifies. */
long cli_newest_key(const sk_keyring *kr);
/*
 * The --cert of 'verify' and 'package verify': an expired or weak certificate loads, flagged,
 * and sk_verify_cert_findings reports it.
 */
int cli_read_audit_cert(const char *path, sk_pubkey **pk, sk_error *err);
/* -o/--format of 'verify' and 'package verify'. */
enum { CLI_REPORT_TEXT, CLI_REPORT_JSON, CLI_REPORT_SARIF };
int cli_parse_report_format(const char *cmd, const char *s, int *format);
int cli_parse_fail_on(const char *cmd, const char *s, sk_severity *out);
/*
 * The --format json report (schema sealkit-verify/v1, docs/verify-schema.json) on stdout;
 * package, when not NULL, is the "package" member ('package verify').
 */
int cli_report_json(const sk_findings *f, size_t files, size_t sealed_secrets, json_t *package,
                    sk_error *err);
/* path as reports name it: a URL without its user info, query and fragment. */
void cli_shown_source(const char *path, char *out, size_t cap);
/* One finding as FILE:DOCUMENT:ITEM: SEVERITY: CODE: MESSAGE on stdout. */
void cli_print_finding(const sk_finding *x);
/* Every finding so, repeated item findings as one line whose ITEM lists the items. */
int cli_print_findings(const sk_findings *f, sk_error *err);
/* The findings as one SARIF 2.1.0 log on stdout: a rule per code, a result per finding. */
int cli_report_sarif(const sk_findings *f, sk_error *err);

/*
 * Prints what a reseal of files and folders could not do, one error line each (cmd_reseal.c):
 * stale temporary files that could not be removed, links, special files and unreadable
 * folders, failed files; and a warning for each stale temporary file removed.
 */
void cli_reseal_problems(const sk_reseal_tree_report *rep);
/* The one-line summary of a reseal of files and folders, on stderr. */
void cli_reseal_summary(const sk_reseal_tree_totals *t);
/* Parses --shard K/N (0 <= K < N); returns 0, or a usage error's exit code. */
int cli_parse_shard(const char *cmd, const char *s, size_t *shard, size_t *shards);
/* The default -j: twice the cores (one worker's fsync overlaps another's RSA), at most 256. */
long cli_default_jobs(void);

/* Sets up OpenSSL's secure heap for private keys, with a note when it cannot (common.c). */
void cli_key_memory(void);
/* Warns of each key file others can read and key folder others can write, with the fix. */
void cli_warn_exposed(const sk_keyring *kr);
/* Loads --key files and folders into a new ring (cmd_unseal.c). */
int load_private_keys(const cli_list *paths, sk_keyring **kr, sk_error *err);

#endif
