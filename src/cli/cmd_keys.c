/*
 * sealkit keys list: the inventory of private keys in PEM files, key Secrets,
 * v1 Lists, multi-document backups and folders (docs/format.md §5.3, §6.3).
 *
 * `--format json` prints one object whose schema is stable (new members may
 * be added; none is removed or changes meaning within "sealkit.keys/v1"):
 *
 *   {
 *     "schema": "sealkit.keys/v1",
 *     "newest": "SHA256:..." | null,        the controller's "most recent" key: greatest
 *                                           certificate notBefore among the keys it would
 *                                           load (--key-order-priority CertNotBefore)
 *     "newest_by_creation_timestamp": "SHA256:..." | null,   the same by the Secrets'
 *                                           creationTimestamp (SecretCreationTimestamp)
 *     "keys": [ {                           one per distinct key, in the order found
 *       "fingerprint": "SHA256:...",        upstream's PublicKeyFingerprint (docs/format.md §5.5)
 *       "bits": 4096,
 *       "form": "secret" | "pem",           from a Secret's data[tls.key], or bare PEM
 *       "source": "path",                   the file it was first found in
 *       "document": 1 | null,               1-based document of a manifest; null for PEM
 *       "item": 2 | null,                   1-based item of a kind: List; null otherwise
 *       "secret_name": "..." | null,        the Secret's metadata.name
 *       "secret_namespace": "..." | null,
 *       "label": "active" | "compromised" | ... | null,  the sealedsecrets.bitnami.com/
 *                                           sealed-secrets-key label; null when absent
 *       "creation_timestamp": "..." | null, the Secret's metadata.creationTimestamp
 *       "certificate": "ok" | "mismatch" | "unreadable" | "none",
 *                                           mismatch: the Secret's tls.crt holds another key
 *       "certificate_fingerprint": "SHA256:..." | null,   the key in the certificate
 *       "not_before": "2026-11-25T19:40:40Z" | null,      certificate validity (UTC)
 *       "not_after": "2036-11-22T19:40:40Z" | null,
 *       "seen": 1,                          how many times the key was found
 *       "newest": true | false              equals the top-level "newest"
 *     } ]
 *   }
 */
#include "cli.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sealkit/keygen.h>
#include <sealkit/timefmt.h>

static const char usage[] =
    "Usage: sealkit keys list [--format text|json] [--key FILE[,FILE]]... [FILE|DIR]...\n"
    "\n"
    "Print every private key found in PEM files (PKCS#1/PKCS#8, several per file), key\n"
    "Secrets, v1 Lists of them, multi-document backups (every document) and folders: its\n"
    "fingerprint, size, certificate validity (the Secret's tls.crt, or a CERTIFICATE beside\n"
    "the key), the sealedsecrets.bitnami.com/sealed-secrets-key label, the Secret, and which\n"
    "key the controller treats as the most recent (greatest certificate notBefore among\n"
    "the keys it loads). A tls.crt that does not hold the Secret's key is flagged MISMATCH.\n"
    "\n"
    "  --key FILE[,FILE]     a key file or folder (same as a positional argument)\n"
    "  -o, --format FORMAT   text (default) or json (schema: sealkit.keys/v1, see README)\n"
    "  --newest              print only the file that holds the newest key (the key\n"
    "                        Secret 'sealkit rotate' asks you to apply); exit 1 if none\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 success, 1 failure (unreadable file, no key found), 2 usage error.\n";

typedef struct keys_args {
    cli_list paths;
    int json, newest;
} keys_args;

enum { OPT_KEY = 256, OPT_NEWEST };

static const struct option options[] = {{"key", required_argument, NULL, OPT_KEY},
                                        {"newest", no_argument, NULL, OPT_NEWEST},
                                        {"format", required_argument, NULL, 'o'},
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};

static int parse_flags(int argc, char **argv, keys_args *a)
{
    int c;
    const char *format = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case OPT_KEY:
            if (cli_list_add_csv(&a->paths, optarg) != 0) return EXIT_FAIL;
            break;
        case 'o':
            if (cli_once("keys", "-o/--format", &format, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_NEWEST:
            a->newest = 1;
            break;
        default:
            return cli_bad_option("keys", argc, argv);
        }
    }
    /* Positional paths are taken whole: a file name may hold a comma. */
    for (int i = optind; i < argc; i++) {
        char *copy = strdup(argv[i]);
        char **grown = copy ? realloc(a->paths.v, (a->paths.n + 1) * sizeof *grown) : NULL;
        if (grown == NULL) {
            free(copy);
            return EXIT_FAIL;
        }
        a->paths.v = grown;
        a->paths.v[a->paths.n++] = copy;
    }
    if (format == NULL || strcasecmp(format, "text") == 0)
        a->json = 0;
    else if (strcasecmp(format, "json") == 0)
        a->json = 1;
    else
        return cli_usage_error("keys", "unsupported output format: %s", format);
    if (a->paths.n == 0) return cli_usage_error("keys", "no key file given");
    return 0;
}

/* ---- loading ---- */

/* ---- output ---- */

static const char *cert_state(int c)
{
    switch (c) {
    case SK_KEY_CERT_OK:
        return "ok";
    case SK_KEY_CERT_MISMATCH:
        return "mismatch";
    case SK_KEY_CERT_UNREADABLE:
        return "unreadable";
    default:
        return "none";
    }
}

static int has_validity(const sk_key_info *in)
{
    return in->cert == SK_KEY_CERT_OK || in->cert == SK_KEY_CERT_MISMATCH;
}

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string_nocheck(s) : json_null();
}

static json_t *time_or_null(int have, int64_t t)
{
    char buf[32];
    if (!have) return json_null();
    sk_time_format(t, buf, sizeof buf);
    return json_string(buf);
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
static json_t *key_json(const sk_keyring *kr, size_t i, int newest)
{
    const sk_key_info *in = sk_keyring_info(kr, i);
    const char *cert_fp = in->cert_fingerprint;
    json_t *o = json_object();
    int bad =
        set(o, "fingerprint", json_string(sk_keyring_fingerprint(kr, i))) ||
        set(o, "bits", json_integer(sk_keyring_bits(kr, i))) ||
        set(o, "form", json_string(in->from_secret ? "secret" : "pem")) ||
        set(o, "source", str_or_null(in->source)) ||
        set(o, "document", in->document ? json_integer((json_int_t)in->document) : json_null()) ||
        set(o, "item", in->item ? json_integer((json_int_t)in->item) : json_null()) ||
        set(o, "secret_name", str_or_null(in->name)) ||
        set(o, "secret_namespace", str_or_null(in->ns)) ||
        set(o, "label", str_or_null(in->label)) ||
        set(o, "creation_timestamp", str_or_null(in->created)) ||
        set(o, "certificate", json_string(cert_state(in->cert))) ||
        set(o, "certificate_fingerprint", cert_fp[0] ? json_string(cert_fp) : json_null()) ||
        set(o, "not_before", time_or_null(has_validity(in), in->not_before)) ||
        set(o, "not_after", time_or_null(has_validity(in), in->not_after)) ||
        set(o, "seen", json_integer((json_int_t)in->seen)) ||
        set(o, "newest", json_boolean(newest));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *newest_json(const sk_keyring *kr, int found, size_t which)
{
    return found ? json_string(sk_keyring_fingerprint(kr, which)) : json_null();
}

static int print_json(const sk_keyring *kr, sk_secbuf *out, sk_error *err)
{
    size_t nb = 0, nc = 0;
    int has_nb = sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &nb, NULL) == SK_OK;
    int has_nc = sk_keyring_newest(kr, SK_KEY_ORDER_CREATION_TIMESTAMP, &nc, NULL) == SK_OK;
    json_t *root = json_object(), *keys = json_array();
    int bad = root == NULL || keys == NULL || set(root, "schema", json_string("sealkit.keys/v1")) ||
              set(root, "newest", newest_json(kr, has_nb, nb)) ||
              set(root, "newest_by_creation_timestamp", newest_json(kr, has_nc, nc));
    for (size_t i = 0; !bad && i < sk_keyring_count(kr); i++)
        bad = json_array_append_new(keys, key_json(kr, i, has_nb && i == nb)) != 0;
    /* json_object_set takes a reference of its own: ours on keys is dropped either way. */
    bad = bad || json_object_set(root, "keys", keys) != 0;
    json_decref(keys);
    int rc = bad ? sk_error_set(err, SK_ENOMEM, "out of memory") : sk_emit_json(root, out, err);
    json_decref(root);
    return rc;
}

/* One table row: the cells, each a short string. */
enum { COL_FP, COL_BITS, COL_NB, COL_NA, COL_LABEL, COL_SECRET, COL_SOURCE, COL_NOTES, NCOL };

typedef struct row {
    char cell[NCOL][600];
} row;

static void fill_notes(const sk_key_info *in, int newest, char *out, size_t outsz)
{
    size_t n = 0;
    out[0] = '\0';
    if (newest) n += (size_t)snprintf(out + n, outsz - n, "newest; ");
    if (n < outsz && in->cert == SK_KEY_CERT_MISMATCH)
        n += (size_t)snprintf(out + n, outsz - n, "MISMATCH: tls.crt holds %s; ",
                              in->cert_fingerprint[0] ? in->cert_fingerprint : "a non-RSA key");
    if (n < outsz && in->cert == SK_KEY_CERT_UNREADABLE)
        n += (size_t)snprintf(out + n, outsz - n, "tls.crt unreadable; ");
    if (n < outsz && in->seen > 1)
        n += (size_t)snprintf(out + n, outsz - n, "found %zu times; ", in->seen);
    if (n >= 2 && n < outsz) out[n - 2] = '\0';
    if (out[0] == '\0') snprintf(out, outsz, "-");
}

static void fill_row(const sk_keyring *kr, size_t i, int newest, row *r)
{
    const sk_key_info *in = sk_keyring_info(kr, i);
    snprintf(r->cell[COL_FP], sizeof r->cell[0], "%s", sk_keyring_fingerprint(kr, i));
    snprintf(r->cell[COL_BITS], sizeof r->cell[0], "%d", sk_keyring_bits(kr, i));
    snprintf(r->cell[COL_NB], sizeof r->cell[0], "-");
    snprintf(r->cell[COL_NA], sizeof r->cell[0], "-");
    if (has_validity(in)) {
        sk_time_format(in->not_before, r->cell[COL_NB], sizeof r->cell[0]);
        sk_time_format(in->not_after, r->cell[COL_NA], sizeof r->cell[0]);
    }
    /* "none": a Secret without the label (the controller skips it); "-": no Secret at all. */
    snprintf(r->cell[COL_LABEL], sizeof r->cell[0], "%.100s",
             in->label         ? in->label
             : in->from_secret ? "none"
                               : "-");
    if (in->from_secret)
        snprintf(r->cell[COL_SECRET], sizeof r->cell[0], "%.120s/%.250s", in->ns ? in->ns : "-",
                 in->name ? in->name : "-");
    else
        snprintf(r->cell[COL_SECRET], sizeof r->cell[0], "-");
    if (in->item)
        snprintf(r->cell[COL_SOURCE], sizeof r->cell[0], "%.400s (document %zu, item %zu)",
                 in->source, in->document, in->item);
    else if (in->document)
        snprintf(r->cell[COL_SOURCE], sizeof r->cell[0], "%.400s (document %zu)", in->source,
                 in->document);
    else
        snprintf(r->cell[COL_SOURCE], sizeof r->cell[0], "%.400s", in->source);
    fill_notes(in, newest, r->cell[COL_NOTES], sizeof r->cell[0]);
}

static int append_row(const row *r, const size_t *width, sk_secbuf *out, sk_error *err)
{
    char line[NCOL * 620];
    size_t n = 0;
    for (int c = 0; c < NCOL && n < sizeof line; c++) {
        if (c == NCOL - 1)
            n += (size_t)snprintf(line + n, sizeof line - n, "%s\n", r->cell[c]);
        else
            n += (size_t)snprintf(line + n, sizeof line - n, "%-*s  ", (int)width[c], r->cell[c]);
    }
    if (n >= sizeof line) return sk_error_set(err, SK_ELIMIT, "table row too long");
    return sk_secbuf_puts(out, line, err);
}

static int footer(const sk_keyring *kr, sk_secbuf *out, sk_error *err)
{
    char line[512];
    size_t nb = 0, nc = 0;
    int has_nb = sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &nb, NULL) == SK_OK;
    int has_nc = sk_keyring_newest(kr, SK_KEY_ORDER_CREATION_TIMESTAMP, &nc, NULL) == SK_OK;
    if (has_nb)
        snprintf(line, sizeof line,
                 "\nnewest: %s (the controller's most recent key: greatest certificate notBefore "
                 "among the keys it loads, docs/format.md §5.3)\n",
                 sk_keyring_fingerprint(kr, nb));
    else
        snprintf(line, sizeof line,
                 "\nnewest: none (no key the controller loads has a readable certificate)\n");
    int rc = sk_secbuf_puts(out, line, err);
    if (rc == SK_OK && has_nc && (!has_nb || nc != nb)) {
        snprintf(line, sizeof line,
                 "newest by creationTimestamp (--key-order-priority SecretCreationTimestamp): %s\n",
                 sk_keyring_fingerprint(kr, nc));
        rc = sk_secbuf_puts(out, line, err);
    }
    return rc;
}

static int print_text(const sk_keyring *kr, sk_secbuf *out, sk_error *err)
{
    size_t n = sk_keyring_count(kr), newest = 0;
    int has_newest = sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &newest, NULL) == SK_OK;
    row *rows = calloc(n + 1, sizeof *rows);
    if (rows == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    static const char *const head[NCOL] = {"FINGERPRINT", "BITS",   "NOT BEFORE", "NOT AFTER",
                                           "LABEL",       "SECRET", "SOURCE",     "NOTES"};
    size_t width[NCOL] = {0};
    for (int c = 0; c < NCOL; c++)
        snprintf(rows[0].cell[c], sizeof rows[0].cell[c], "%s", head[c]);
    for (size_t i = 0; i < n; i++)
        fill_row(kr, i, has_newest && i == newest, &rows[i + 1]);
    for (size_t i = 0; i <= n; i++)
        for (int c = 0; c < NCOL; c++)
            if (strlen(rows[i].cell[c]) > width[c]) width[c] = strlen(rows[i].cell[c]);
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i <= n; i++)
        rc = append_row(&rows[i], width, out, err);
    free(rows);
    return rc == SK_OK ? footer(kr, out, err) : rc;
}

/* The file of the newest key, by the one rule (sk_keyring_newest): a stable pointer for scripts. */
static int print_newest(const sk_keyring *kr, sk_secbuf *out, sk_error *err)
{
    size_t which = 0;
    int rc = sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &which, err);
    if (rc == SK_OK) rc = sk_secbuf_puts(out, sk_keyring_info(kr, which)->source, err);
    if (rc == SK_OK) rc = sk_secbuf_puts(out, "\n", err);
    return rc;
}

static int cmd_keys_list(int argc, char **argv)
{
    keys_args a = {0};
    int rc = parse_flags(argc, argv, &a);
    if (rc != 0) {
        cli_list_free(&a.paths);
        return rc < 0 ? EXIT_OK : rc;
    }
    sk_error err = {0};
    sk_keyring *kr = NULL;
    sk_secbuf out = SK_SECBUF_INIT;
    int st = sk_keyring_new(&kr, &err);
    if (st == SK_OK) st = sk_keyring_load(kr, (const char *const *)a.paths.v, a.paths.n, &err);
    if (st == SK_OK && a.newest)
        st = print_newest(kr, &out, &err);
    else if (st == SK_OK)
        st = a.json ? print_json(kr, &out, &err) : print_text(kr, &out, &err);
    if (st == SK_OK) st = cli_output(NULL, &out, 0, &err);
    sk_secbuf_free(&out);
    sk_keyring_free(kr);
    cli_list_free(&a.paths);
    return st == SK_OK ? EXIT_OK : cli_fail(&err);
}

static const char keys_usage[] = "Usage: sealkit keys list [OPTIONS] [FILE|DIR]...\n"
                                 "\n"
                                 "Commands:\n"
                                 "  list      print the inventory of private keys\n"
                                 "\n"
                                 "Run 'sealkit keys list --help' for its options.\n";

int cmd_keys(int argc, char **argv)
{
    if (argc < 2) {
        fputs(keys_usage, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(keys_usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "list") == 0) return cmd_keys_list(argc - 1, argv + 1);
    fprintf(stderr, "sealkit: error: unknown keys command \"%s\"\n%s", argv[1], keys_usage);
    return EXIT_USAGE;
}
