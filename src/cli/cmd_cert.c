/* sealkit cert: show the sealing certificates of a file and warn before they expire. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char usage[] =
    "Usage: sealkit cert [OPTIONS] [FILE]\n"
    "\n"
    "Show subject, fingerprint, key size, validity and days left of every certificate\n"
    "in FILE: a PEM certificate or public key, a TLS Secret (data[\"tls.crt\"]), or a key\n"
    "backup (a List of key Secrets, or several documents). FILE defaults to --cert or\n"
    "SEALED_SECRETS_CERT; '-' is stdin. Expired certificates are shown too.\n"
    "\n"
    "  --cert FILE       the file to read when FILE is not given [SEALED_SECRETS_CERT]\n"
    "  --warn-days N     exit 1 when a certificate expires within N days (default 0:\n"
    "                    only when one has expired)\n"
    "  -o, --format FMT  text (default) or json\n"
    "  --pem             print the certificate of the key in FILE (a key Secret, a backup,\n"
    "                    or a key PEM with its certificate) as PEM, the way kubeseal's\n"
    "                    fetch-cert prints it; with several keys, give --newest\n"
    "  --newest          with --pem: the certificate of the key the controller seals with\n"
    "  -h, --help        show this help\n"
    "\n"
    "A certificate whose RSA public exponent is not 65537 gets a warning; one whose key\n"
    "seal refuses (exponent 1 or even, too short) is an error.\n"
    "\n"
    "Exit status: 0 every certificate is valid for N more days, 1 one expires within\n"
    "N days or has expired, 2 usage error or unreadable file.\n";

typedef struct cert_args {
    const char *file;
    long warn_days;
    int json, pem, newest;
} cert_args;

enum { OPT_CERT = 256, OPT_WARN_DAYS, OPT_PEM, OPT_NEWEST };

static const struct option options[] = {{"cert", required_argument, NULL, OPT_CERT},
                                        {"warn-days", required_argument, NULL, OPT_WARN_DAYS},
                                        {"format", required_argument, NULL, 'o'},
                                        {"pem", no_argument, NULL, OPT_PEM},
                                        {"newest", no_argument, NULL, OPT_NEWEST},
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};

static int parse_days(const char *s, long *out)
{
    char *end = NULL;
    long n = strtol(s, &end, 10);
    if (end == s || *end != '\0' || n < 0 || n > 365L * 1000)
        return cli_usage_error("cert", "--warn-days needs a number of days from 0 to 365000");
    *out = n;
    return 0;
}

static int parse_flags(int argc, char **argv, cert_args *a)
{
    const char *format = NULL, *warn_days = NULL;
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case OPT_CERT:
            rc = cli_once("cert", "--cert", &a->file, optarg);
            break;
        case OPT_WARN_DAYS:
            rc = cli_once("cert", "--warn-days", &warn_days, optarg);
            if (rc == 0) rc = parse_days(optarg, &a->warn_days);
            break;
        case OPT_PEM:
            a->pem = 1;
            break;
        case OPT_NEWEST:
            a->newest = 1;
            break;
        case 'o':
            rc = cli_once("cert", "-o/--format", &format, optarg);
            if (rc == 0 && strcasecmp(optarg, "json") != 0 && strcasecmp(optarg, "text") != 0)
                return cli_usage_error("cert", "unsupported output format: %s", optarg);
            a->json = strcasecmp(optarg, "json") == 0;
            break;
        default:
            return cli_bad_option("cert", argc, argv);
        }
    }
    if (rc != 0) return rc;
    if (argc - optind > 1) return cli_usage_error("cert", "one file at a time");
    if (argc - optind == 1 && cli_once("cert", "FILE and --cert", &a->file, argv[optind]) != 0)
        return EXIT_USAGE;
    if (a->file == NULL) a->file = cli_env("cert");
    if (a->file == NULL || *a->file == '\0')
        return cli_usage_error("cert", "no certificate: give FILE or --cert FILE");
    if (a->newest && !a->pem) return cli_usage_error("cert", "--newest goes with --pem");
    if (a->pem && a->json) return cli_usage_error("cert", "--pem and -o json do not go together");
    return 0;
}

static void utc(int64_t when, char *out, size_t size)
{
    time_t t = (time_t)when;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, size, "%lld", (long long)when);
}

/* Whole days left, rounded down; negative once expired. */
static long days_left(const sk_cert_info *c, time_t now)
{
    int64_t s = c->not_after - (int64_t)now;
    return (long)(s >= 0 ? s / 86400 : -((-s + 86399) / 86400));
}

static int is_bare(const sk_cert_info *c)
{
    return (c->flags & SK_CERT_IS_BARE_KEY) != 0;
}

/* Expired, or expires within warn_days (a bare key has no expiry). */
static int due(const sk_cert_info *c, time_t now, long warn_days)
{
    return !is_bare(c) && ((c->flags & SK_CERT_EXPIRED) ||
                           c->not_after - (int64_t)now < (int64_t)warn_days * 86400);
}

static const char *status(const sk_cert_info *c, time_t now, long warn_days)
{
    if (c->flags & SK_CERT_WEAK_KEY) return "WEAK KEY (seal refuses it)";
    if (is_bare(c)) return "bare public key (no validity period)";
    if (c->flags & SK_CERT_EXPIRED) return "EXPIRED";
    if (c->flags & SK_CERT_NOT_YET_VALID) return "not yet valid (notBefore is in the future)";
    if (due(c, now, warn_days)) return "expires soon";
    return "valid";
}

static void print_text(const sk_cert_info *v, size_t n, time_t now, long warn_days)
{
    for (size_t i = 0; i < n; i++) {
        const sk_cert_info *c = &v[i];
        char nb[40], na[40];
        utc(c->not_before, nb, sizeof nb);
        utc(c->not_after, na, sizeof na);
        /* The file name, Secret name and subject come from input: a CN can hold escapes. */
        printf("%scertificate %zu of %zu: ", i ? "\n" : "", i + 1, n);
        cli_fputs_clean(c->source, stdout);
        if (c->secret[0]) {
            fputs(" (Secret ", stdout);
            cli_fputs_clean(c->secret, stdout);
            printf("%s%s)", c->state[0] ? ", " : "", c->state);
        }
        fputs("\n  subject:     ", stdout);
        cli_fputs_clean(c->subject[0] ? c->subject : "(empty)", stdout);
        putchar('\n');
        printf("  fingerprint: %s\n  key size:    %d bits\n", c->fingerprint, c->bits);
        if (c->flags & SK_CERT_UNUSUAL_EXPONENT)
            printf("  exponent:    not 65537 (no controller makes such a key)\n");
        if (!is_bare(c))
            printf("  not before:  %s\n  not after:   %s\n  days left:   %ld\n", nb, na,
                   days_left(c, now));
        printf("  status:      %s\n", status(c, now, warn_days));
    }
}

/*
 * Every member is checked, so that a failed allocation cannot print a report missing one.
 * json_object_set_new takes its value even when it fails, and fails on a NULL value or object.
 * Text that may not be UTF-8 (paths, names cut short) goes in with json_string_nocheck, as
 * sk_emit_json writes invalid UTF-8 as U+FFFD: a failure is then only ever memory.
 */
static int set(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v);
}

/* NULL when memory runs out. */
static json_t *cert_json(const sk_cert_info *c, time_t now, long warn_days)
{
    json_t *o = json_object();
    char nb[40], na[40];
    utc(c->not_before, nb, sizeof nb);
    utc(c->not_after, na, sizeof na);
    int bare = is_bare(c);
    int bad =
        set(o, "source", json_string_nocheck(c->source)) ||
        set(o, "secret", c->secret[0] ? json_string_nocheck(c->secret) : json_null()) ||
        set(o, "state", c->state[0] ? json_string_nocheck(c->state) : json_null()) ||
        set(o, "subject", json_string_nocheck(c->subject)) ||
        set(o, "fingerprint", json_string(c->fingerprint)) ||
        set(o, "bits", json_integer(c->bits)) || set(o, "bare_key", json_boolean(bare)) ||
        set(o, "not_before", bare ? json_null() : json_string(nb)) ||
        set(o, "not_after", bare ? json_null() : json_string(na)) ||
        set(o, "days_left", bare ? json_null() : json_integer(days_left(c, now))) ||
        set(o, "expired", json_boolean((c->flags & SK_CERT_EXPIRED) != 0)) ||
        set(o, "not_yet_valid", json_boolean((c->flags & SK_CERT_NOT_YET_VALID) != 0)) ||
        set(o, "due", json_boolean(due(c, now, warn_days))) ||
        set(o, "unusual_exponent", json_boolean((c->flags & SK_CERT_UNUSUAL_EXPONENT) != 0)) ||
        set(o, "weak_key", json_boolean((c->flags & SK_CERT_WEAK_KEY) != 0));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int print_json(const sk_cert_info *v, size_t n, time_t now, long warn_days, sk_error *err)
{
    json_t *root = json_object(), *list = json_array();
    int bad = root == NULL || list == NULL;
    for (size_t i = 0; !bad && i < n; i++)
        bad = json_array_append_new(list, cert_json(&v[i], now, warn_days)) != 0;
    /* json_object_set takes a reference of its own: ours on list is dropped either way. */
    bad = bad || set(root, "schema", json_string("sealkit-cert/v1")) ||
          set(root, "warn_days", json_integer(warn_days)) ||
          json_object_set(root, "certificates", list) != 0;
    json_decref(list);
    return cli_print_json(root, bad, err);
}

/* The key whose certificate --pem prints: the only one, or the controller's newest. */
static int pick_key(const sk_keyring *kr, int newest, size_t *which, sk_error *err)
{
    size_t n = sk_keyring_count(kr);
    if (newest) return sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, which, err);
    if (n > 1) {
        sk_error_set(err, SK_EUSAGE, "the file holds %zu keys; --pem prints one certificate", n);
        sk_error_hint(err, "add --newest for the one the controller seals with");
        return SK_EUSAGE;
    }
    *which = 0;
    return SK_OK;
}

/* kubeseal --fetch-cert, offline: the certificate comes from the key material itself. */
static int export_pem(const cert_args *a)
{
    cli_list paths = {0};
    sk_keyring *kr = NULL;
    sk_error err = {0};
    char *pem = NULL;
    size_t len = 0, which = 0;
    int rc = cli_list_push(&paths, a->file) == 0 ? SK_OK
                                                 : sk_error_set(&err, SK_ENOMEM, "out of memory");
    if (rc == SK_OK) rc = load_private_keys(&paths, &kr, &err);
    if (rc == SK_OK) rc = pick_key(kr, a->newest, &which, &err);
    if (rc == SK_OK) rc = sk_keyring_cert_pem(kr, which, &pem, &len, &err);
    if (rc == SK_OK && cli_write_stdout(pem, len) != 0)
        rc = sk_error_set(&err, SK_EIO, "cannot write to standard output");
    free(pem);
    sk_keyring_free(kr);
    cli_list_free(&paths);
    if (rc == SK_OK) return EXIT_OK;
    cli_fail(&err);
    return EXIT_USAGE;
}

int cmd_cert(int argc, char **argv)
{
    cert_args a = {0};
    int rc = parse_flags(argc, argv, &a);
    /* parse_flags sets a file whenever it returns 0; the check is for the analyzer's sake. */
    if (rc != 0 || a.file == NULL) return rc < 0 ? EXIT_OK : rc != 0 ? rc : EXIT_USAGE;
    if (a.pem) return export_pem(&a);
    sk_error err = {0};
    sk_secbuf text = SK_SECBUF_INIT;
    sk_cert_info *v = NULL;
    size_t n = 0;
    time_t now = cli_now();
    const char *name = strcmp(a.file, "-") == 0 ? "<stdin>" : a.file;
    rc = sk_read_file(a.file, SK_MAX_INPUT, &text, &err);
    if (rc == SK_OK) rc = sk_cert_scan((const char *)text.data, text.len, name, now, &v, &n, &err);
    sk_secbuf_free(&text);
    if (rc == SK_OK) {
        if (a.json)
            rc = print_json(v, n, now, a.warn_days, &err);
        else
            print_text(v, n, now, a.warn_days);
    }
    size_t late = 0;
    for (size_t i = 0; rc == SK_OK && i < n; i++) {
        if (v[i].flags & SK_CERT_WEAK_KEY) {
            late++;
            cli_warn("certificate %zu (%s) has a key that seal refuses", i + 1, v[i].fingerprint);
        } else if (v[i].flags & SK_CERT_UNUSUAL_EXPONENT)
            cli_warn("certificate %zu (%s) has an RSA public exponent other than 65537: no "
                     "controller made it; check where it came from",
                     i + 1, v[i].fingerprint);
        if (!due(&v[i], now, a.warn_days)) continue;
        late++;
        if (v[i].flags & SK_CERT_EXPIRED)
            cli_warn("certificate %zu (%s) has expired", i + 1, v[i].fingerprint);
        else
            cli_warn("certificate %zu (%s) expires in %ld days, within %ld", i + 1,
                     v[i].fingerprint, days_left(&v[i], now), a.warn_days);
    }
    free(v);
    if (rc != SK_OK) {
        cli_fail(&err);
        return EXIT_USAGE;
    }
    return late > 0 ? EXIT_FAIL : EXIT_OK;
}
