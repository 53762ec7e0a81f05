/* sealkit unseal: kubeseal --recovery-unseal, offline, for many documents. */
#include "cli.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "Usage: sealkit unseal --key FILE [--key FILE...] [OPTIONS] < sealed.yaml\n"
    "       sealkit unseal --raw --key FILE --scope SCOPE [--namespace NS] [--name NAME] < blob\n"
    "\n"
    "Open SealedSecrets with the controller's private keys and print the Secrets.\n"
    "Plaintext goes only to stdout or to the file named by -w, created with mode 0600.\n"
    "\n"
    "  --key FILE[,FILE]            private keys: PEM (PKCS#1/PKCS#8), a key Secret, a List of\n"
    "                               them (the controller's backup), or a folder of such files\n"
    "  --recovery-private-key FILE  the same (kubeseal's name) "
    "[SEALED_SECRETS_RECOVERY_PRIVATE_KEY]\n"
    "  --recovery-unseal            accepted for kubeseal compatibility\n"
    "  -f, --secret-file FILE       read SealedSecrets from FILE instead of stdin\n"
    "  -o, --format FORMAT          json (default) or yaml\n"
    "  -w, --output FILE            write to FILE (mode 0600) instead of stdout\n"
    "  --raw                        open one base64 blob from stdin; print the bytes\n"
    "  -n, --namespace NS           the namespace of SealedSecrets that have none (Helm\n"
    "                               output), as kubectl apply -n gives it "
    "[SEALED_SECRETS_NAMESPACE]\n"
    "  --scope, -n/--namespace, --name   the label of a --raw blob\n"
    "  -h, --help                   show this help\n"
    "\n"
    "Exit status: 0 success, 1 failure (nothing is printed), 2 usage error.\n";

typedef struct unseal_args {
    cli_list keys;
    const char *input, *output, *format, *scope, *ns, *name;
    int raw;
    sk_format out_format;
} unseal_args;

enum { OPT_KEY = 256, OPT_RECOVERY, OPT_RAW, OPT_SCOPE, OPT_NAME };

static const struct option options[] = {{"key", required_argument, NULL, OPT_KEY},
                                        {"recovery-private-key", required_argument, NULL, OPT_KEY},
                                        {"recovery-unseal", no_argument, NULL, OPT_RECOVERY},
                                        {"secret-file", required_argument, NULL, 'f'},
                                        {"format", required_argument, NULL, 'o'},
                                        {"output", required_argument, NULL, 'w'},
                                        {"sealed-secret-file", required_argument, NULL, 'w'},
                                        {"raw", no_argument, NULL, OPT_RAW},
                                        {"scope", required_argument, NULL, OPT_SCOPE},
                                        {"namespace", required_argument, NULL, 'n'},
                                        {"name", required_argument, NULL, OPT_NAME},
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};

static int parse_flags(int argc, char **argv, unseal_args *a)
{
    const char *env = cli_env("recovery-private-key");
    if (env != NULL && cli_list_add_csv(&a->keys, env) != 0) return EXIT_FAIL;
    a->format = cli_env("format");
    a->ns = cli_env("namespace");
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hf:o:w:n:", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case OPT_KEY:
            if (cli_list_add_csv(&a->keys, optarg) != 0) return EXIT_FAIL;
            break;
        case OPT_RECOVERY:
            break;
        case 'f':
            a->input = optarg;
            break;
        case 'o':
            a->format = optarg;
            break;
        case 'w':
            a->output = optarg;
            break;
        case OPT_RAW:
            a->raw = 1;
            break;
        case OPT_SCOPE:
            a->scope = optarg;
            break;
        case 'n':
            a->ns = optarg;
            break;
        case OPT_NAME:
            a->name = optarg;
            break;
        default:
            return cli_usage_error("unseal", "invalid option");
        }
    }
    if (optind < argc) return cli_usage_error("unseal", "unexpected argument \"%s\"", argv[optind]);
    if (a->format == NULL || *a->format == '\0' || strcasecmp(a->format, "json") == 0)
        a->out_format = SK_FORMAT_JSON;
    else if (strcasecmp(a->format, "yaml") == 0)
        a->out_format = SK_FORMAT_YAML;
    else
        return cli_usage_error("unseal", "unsupported output format: %s", a->format);
    if (a->keys.n == 0) return cli_usage_error("unseal", "no private key given: pass --key FILE");
    return 0;
}

int load_private_keys(const cli_list *paths, sk_keyring **kr, sk_error *err)
{
    cli_key_memory();
    int rc = sk_keyring_new(kr, err);
    if (rc == SK_OK) rc = sk_keyring_load(*kr, (const char *const *)paths->v, paths->n, err);
    if (rc == SK_OK) cli_warn_exposed(*kr);
    return rc;
}

static int unseal_one(const json_t *doc, const char *ns, sk_keyring *kr, sk_format f,
                      sk_secbuf *out, sk_error *err)
{
    sk_secret s;
    json_t *tree = NULL;
    int rc = sk_unseal_ns(doc, ns, kr, &s, err);
    if (rc != SK_OK) return rc;
    rc = sk_secret_to_json(&s, &tree, err);
    sk_secret_free(&s);
    if (rc == SK_OK)
        rc = f == SK_FORMAT_YAML ? sk_emit_yaml(tree, out, err) : sk_emit_json(tree, out, err);
    json_decref(tree);
    return rc;
}

typedef struct unseal_ctx {
    sk_keyring *kr;
    const char *ns;
    sk_format format;
    const char *name;
    sk_secbuf *out;
    size_t found;
} unseal_ctx;

/* Other kinds (a ConfigMap beside a SealedSecret in one file) are passed over, with a word. */
static int unseal_object(const sk_object *o, void *ctx, sk_error *err)
{
    unseal_ctx *c = ctx;
    const char *kind = json_string_value(json_object_get(o->obj, "kind"));
    if (kind != NULL && strcmp(kind, SK_KIND_SEALED_SECRET) != 0) {
        char where[64];
        sk_object_where(o, where, sizeof where);
        cli_warn("%s: %s is a %.64s, not a SealedSecret; skipped", c->name, where, kind);
        return SK_OK;
    }
    int rc = unseal_one(o->obj, c->ns, c->kr, c->format, c->out, err);
    c->found += rc == SK_OK;
    return rc;
}

static int unseal_docs(const sk_docs *docs, const char *ns, sk_keyring *kr, sk_format f,
                       const char *name, sk_secbuf *out, sk_error *err)
{
    unseal_ctx c = {kr, ns, f, name, out, 0};
    int rc = sk_docs_walk(docs, unseal_object, &c, err);
    if (rc != SK_OK) return sk_error_at_source(err, rc, name);
    if (c.found == 0) {
        sk_error_set(err, SK_EINVAL, "no SealedSecret found");
        return sk_error_at_source(err, SK_EINVAL, name);
    }
    return SK_OK;
}

static int unseal_stream(const unseal_args *a, sk_keyring *kr, sk_secbuf *out, sk_error *err)
{
    const char *name = a->input ? a->input : "<stdin>";
    sk_secbuf in = SK_SECBUF_INIT;
    sk_docs docs = {0};
    if (a->input == NULL && isatty(STDIN_FILENO))
        fputs("(tty detected: expecting json/yaml k8s resource in stdin)\n", stderr);
    int rc = sk_read_file(a->input ? a->input : "-", SK_MAX_INPUT, &in, err);
    if (rc == SK_OK) rc = sk_docs_parse(in.data, in.len, name, &docs, err);
    sk_secbuf_free(&in);
    if (rc == SK_OK) rc = unseal_docs(&docs, a->ns, kr, a->out_format, name, out, err);
    sk_docs_free(&docs);
    return rc;
}

static int unseal_raw(const unseal_args *a, sk_keyring *kr, sk_secbuf *out, sk_error *err)
{
    sk_scope scope = SK_SCOPE_STRICT;
    int rc = sk_scope_parse(a->scope, &scope, err);
    if (rc != SK_OK) return rc;
    if (scope != SK_SCOPE_CLUSTER_WIDE && (a->ns == NULL || *a->ns == '\0'))
        return sk_error_set(err, SK_EUSAGE,
                            "must provide the --namespace flag with --raw and --scope %s",
                            sk_scope_name(scope));
    if (scope == SK_SCOPE_STRICT && (a->name == NULL || *a->name == '\0'))
        return sk_error_set(err, SK_EUSAGE,
                            "must provide the --name flag with --raw and --scope strict");
    sk_secbuf in = SK_SECBUF_INIT, blob = SK_SECBUF_INIT;
    char *label = NULL;
    size_t label_len = 0;
    rc = sk_read_file(a->input ? a->input : "-", SK_MAX_INPUT, &in, err);
    while (
        rc == SK_OK && in.len > 0 &&
        (in.data[in.len - 1] == '\n' || in.data[in.len - 1] == '\r' || in.data[in.len - 1] == ' '))
        in.len--;
    if (rc == SK_OK) rc = sk_base64_decode((const char *)in.data, in.len, &blob, err);
    if (rc == SK_OK) rc = sk_scope_label(scope, a->ns, a->name, &label, &label_len, err);
    if (rc == SK_OK)
        rc = sk_keyring_decrypt(kr, (const unsigned char *)label, label_len, blob.data, blob.len,
                                out, NULL, err);
    free(label);
    sk_secbuf_free(&in);
    sk_secbuf_free(&blob);
    return rc;
}

int cmd_unseal(int argc, char **argv)
{
    unseal_args a = {0};
    int rc = parse_flags(argc, argv, &a);
    if (rc != 0) {
        cli_list_free(&a.keys);
        return rc < 0 ? EXIT_OK : rc;
    }
    sk_error err = {0};
    sk_keyring *kr = NULL;
    sk_secbuf out = SK_SECBUF_INIT;
    int st = load_private_keys(&a.keys, &kr, &err);
    if (st == SK_OK)
        st = a.raw ? unseal_raw(&a, kr, &out, &err) : unseal_stream(&a, kr, &out, &err);
    if (st == SK_OK) st = cli_output(a.output, &out, 0600, &err);
    sk_secbuf_free(&out);
    sk_keyring_free(kr);
    cli_list_free(&a.keys);
    return st == SK_OK ? EXIT_OK : cli_fail(&err);
}
