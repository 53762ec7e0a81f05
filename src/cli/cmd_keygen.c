/* sealkit keygen: a controller-compatible key and its kube-system Secret, offline. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sealkit/keygen.h>
#include <sealkit/timefmt.h>

static const char usage[] =
    "Usage: sealkit keygen [OPTIONS] [-w secret.yaml] [--cert-out tls.crt] [--key-out tls.key]\n"
    "\n"
    "Make a key pair the sealed-secrets controller accepts (RSA, self-signed certificate) and\n"
    "print the kubernetes.io/tls Secret that holds it, labelled\n"
    "sealedsecrets.bitnami.com/sealed-secrets-key: active, ready for `kubectl apply -f`.\n"
    "Files are created, never overwritten: an existing file is an error.\n"
    "\n"
    "  --bits N               RSA key size: 2048, 3072 or 4096 (default 4096)\n"
    "  --cn NAME              certificate subject and issuer CN (default \"sealed-secret\";\n"
    "                         \"\" gives an empty DN like the controller's own keys)\n"
    "  --valid-for DURATION   certificate lifetime, e.g. 3650d (default), 87600h, 720h30m\n"
    "  --not-before TIME      start of validity, YYYY-MM-DDTHH:MM:SSZ or @UNIXSECONDS (default "
    "now)\n"
    "  -n, --namespace NS     the Secret's namespace (default kube-system)\n"
    "  -o, --format FORMAT    yaml or json; without it, json for a -w file named *.json,\n"
    "                         else yaml\n"
    "  -w, --output FILE      write the Secret to FILE (mode 0600) instead of stdout\n"
    "  --cert-out FILE        also write the certificate PEM to FILE (mode 0644): seal with it\n"
    "  --key-out FILE         also write the private key PEM (PKCS#1) to FILE (mode 0600)\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 success, 1 failure (nothing is written), 2 usage error.\n";

typedef struct keygen_args {
    int bits;
    const char *cn, *ns, *format, *output, *cert_out, *key_out;
    int64_t not_before, valid_seconds;
    sk_format out_format;
    const char *bits_given, *valid_for_given, *not_before_given; /* each option at most once */
} keygen_args;

enum { OPT_BITS = 256, OPT_CN, OPT_VALID_FOR, OPT_NOT_BEFORE, OPT_CERT_OUT, OPT_KEY_OUT };

static const struct option options[] = {{"bits", required_argument, NULL, OPT_BITS},
                                        {"cn", required_argument, NULL, OPT_CN},
                                        {"valid-for", required_argument, NULL, OPT_VALID_FOR},
                                        {"not-before", required_argument, NULL, OPT_NOT_BEFORE},
                                        {"namespace", required_argument, NULL, 'n'},
                                        {"format", required_argument, NULL, 'o'},
                                        {"output", required_argument, NULL, 'w'},
                                        {"cert-out", required_argument, NULL, OPT_CERT_OUT},
                                        {"key-out", required_argument, NULL, OPT_KEY_OUT},
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};

static int parse_bits(const char *s, int *bits)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || (v != 2048 && v != 3072 && v != 4096))
        return cli_usage_error("keygen", "--bits %s: use 2048, 3072 or 4096", s);
    *bits = (int)v;
    return 0;
}

static int parse_value(int c, const char *arg, keygen_args *a)
{
    sk_error err = {0};
    switch (c) {
    case OPT_BITS:
        if (cli_once("keygen", "--bits", &a->bits_given, arg) != 0) return EXIT_USAGE;
        return parse_bits(arg, &a->bits);
    case OPT_VALID_FOR:
        if (cli_once("keygen", "--valid-for", &a->valid_for_given, arg) != 0) return EXIT_USAGE;
        if (sk_duration_parse(arg, &a->valid_seconds, &err) != SK_OK)
            return cli_usage_error("keygen", "--valid-for: %s", err.msg);
        return 0;
    case OPT_NOT_BEFORE:
        if (cli_once("keygen", "--not-before", &a->not_before_given, arg) != 0) return EXIT_USAGE;
        if (sk_time_parse(arg, &a->not_before, &err) != SK_OK)
            return cli_usage_error("keygen", "--not-before: %s", err.msg);
        return 0;
    default:
        return cli_usage_error("keygen", "invalid option");
    }
}

static int check_outputs(const keygen_args *a)
{
    const char *paths[] = {a->output, a->cert_out, a->key_out};
    for (size_t i = 0; i < 3; i++)
        for (size_t j = i + 1; j < 3; j++)
            if (paths[i] != NULL && paths[j] != NULL && strcmp(paths[i], paths[j]) == 0)
                return cli_usage_error("keygen", "%s is named for two outputs", paths[i]);
    return 0;
}

static int parse_flags(int argc, char **argv, keygen_args *a)
{
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "hn:o:w:", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case OPT_CN:
            rc = cli_once("keygen", "--cn", &a->cn, optarg);
            break;
        case 'n':
            rc = cli_once("keygen", "-n/--namespace", &a->ns, optarg);
            break;
        case 'o':
            rc = cli_once("keygen", "-o/--format", &a->format, optarg);
            break;
        case 'w':
            rc = cli_once("keygen", "-w/--output", &a->output, optarg);
            break;
        case OPT_CERT_OUT:
            rc = cli_once("keygen", "--cert-out", &a->cert_out, optarg);
            break;
        case OPT_KEY_OUT:
            rc = cli_once("keygen", "--key-out", &a->key_out, optarg);
            break;
        case '?':
            return cli_bad_option("keygen", argc, argv);
        default:
            rc = parse_value(c, optarg, a);
            break;
        }
    }
    if (rc != 0) return rc;
    if (optind < argc) return cli_usage_error("keygen", "unexpected argument \"%s\"", argv[optind]);
    if (cli_out_format("keygen", a->format, a->output, SK_FORMAT_YAML, &a->out_format) != 0)
        return EXIT_USAGE;
    return check_outputs(a);
}

/* Refuses before the (slow) key generation when an output file is already there. */
static int refuse_existing(const keygen_args *a, sk_error *err)
{
    const char *paths[] = {a->output, a->cert_out, a->key_out};
    struct stat st;
    for (size_t i = 0; i < 3; i++) {
        if (paths[i] != NULL && lstat(paths[i], &st) == 0) {
            sk_error_set(err, SK_EIO, "%s already exists; sealkit never overwrites it", paths[i]);
            sk_error_hint(err, "choose another file name, or move the existing file away first");
            return SK_EIO;
        }
    }
    return SK_OK;
}

typedef struct keygen_out {
    sk_secbuf secret, cert, key;
} keygen_out;

static int make_outputs(const keygen_args *a, sk_keypair **kp, keygen_out *o, sk_error *err)
{
    int rc = sk_keygen(a->bits, a->cn, a->not_before, a->valid_seconds, kp, err);
    json_t *tree = NULL;
    if (rc == SK_OK) rc = sk_keygen_tls_secret(*kp, a->ns, NULL, &tree, err);
    if (rc == SK_OK)
        rc = a->out_format == SK_FORMAT_JSON ? sk_emit_json(tree, &o->secret, err)
                                             : sk_emit_yaml(tree, &o->secret, err);
    json_decref(tree);
    if (rc == SK_OK) rc = sk_keypair_cert_pem(*kp, &o->cert, err);
    if (rc == SK_OK && a->key_out != NULL) rc = sk_keypair_key_pem(*kp, &o->key, err);
    return rc;
}

/* All or nothing: when one file cannot be written, the ones already made are removed. */
static int write_files(const keygen_args *a, const keygen_out *o, sk_error *err)
{
    const struct {
        const char *path;
        const sk_secbuf *data;
        mode_t mode;
    } files[] = {
        {a->cert_out, &o->cert, 0644}, {a->key_out, &o->key, 0600}, {a->output, &o->secret, 0600}};
    size_t done = 0;
    int rc = SK_OK;
    for (; rc == SK_OK && done < 3; done++) {
        if (files[done].path == NULL) continue;
        rc = sk_write_new(files[done].path, files[done].data->data, files[done].data->len,
                          files[done].mode, err);
        if (rc != SK_OK) break;
    }
    for (size_t i = 0; rc != SK_OK && i < done; i++)
        if (files[i].path != NULL) unlink(files[i].path);
    if (rc == SK_OK && a->output == NULL && cli_write_stdout(o->secret.data, o->secret.len) != 0)
        rc = sk_error_set(err, SK_EIO, "cannot write to standard output");
    return rc;
}

static void report(const keygen_args *a, const sk_keypair *kp)
{
    char nb[32], na[32];
    sk_time_format(a->not_before, nb, sizeof nb);
    sk_time_format(a->not_before + a->valid_seconds, na, sizeof na);
    fprintf(stderr, "sealkit: generated a %d-bit key %s, certificate valid %s to %s\n", a->bits,
            sk_keypair_fingerprint(kp), nb, na);
}

int cmd_keygen(int argc, char **argv)
{
    keygen_args a = {.bits = SK_KEYGEN_DEFAULT_BITS,
                     .not_before = (int64_t)cli_now(),
                     .valid_seconds = SK_KEYGEN_DEFAULT_VALID_SECONDS};
    int rc = parse_flags(argc, argv, &a);
    if (rc != 0) return rc < 0 ? EXIT_OK : rc;
    if (a.cn == NULL) a.cn = SK_KEYGEN_DEFAULT_CN;
    if (a.ns == NULL) a.ns = SK_KEYGEN_DEFAULT_NAMESPACE;
    sk_error err = {0};
    sk_keypair *kp = NULL;
    keygen_out o = {SK_SECBUF_INIT, SK_SECBUF_INIT, SK_SECBUF_INIT};
    int st = sk_keygen_check_names(a.ns, NULL, &err);
    if (st == SK_OK) st = refuse_existing(&a, &err);
    if (st == SK_OK) st = make_outputs(&a, &kp, &o, &err);
    if (st == SK_OK) st = write_files(&a, &o, &err);
    if (st == SK_OK) report(&a, kp);
    sk_secbuf_free(&o.secret);
    sk_secbuf_free(&o.cert);
    sk_secbuf_free(&o.key);
    sk_keypair_free(kp);
    return st == SK_OK ? EXIT_OK : cli_fail(&err);
}
