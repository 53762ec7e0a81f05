/* sealkit seal: kubeseal's sealing flags, offline. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "Usage: sealkit seal --cert FILE [OPTIONS] < secret.yaml > sealed.json\n"
    "\n"
    "Seal Kubernetes Secrets (YAML or JSON; several documents or a kind: List) under the\n"
    "controller's public certificate. Accepts kubeseal's flags; never contacts a cluster.\n"
    "\n"
    "  --cert FILE                 controller certificate (PEM) [SEALED_SECRETS_CERT]\n"
    "  --scope SCOPE               strict (default), namespace-wide or cluster-wide\n"
    "  -o, --format FORMAT         json or yaml; without it, yaml for a -w file named\n"
    "                              *.yaml or *.yml, else json\n"
    "  -f, --secret-file FILE      read input from FILE instead of stdin\n"
    "  -w, --sealed-secret-file F  write output to F atomically\n"
    "  --merge-into FILE           seal the input's items into an existing SealedSecret\n"
    "                              in place, keeping its scope, format and other items\n"
    "  --allow-empty-data          allow a Secret without items\n"
    "  -n, --namespace NS          namespace for Secrets that have none\n"
    "  --name NAME                 rename the Secret (with --raw: the name for the label)\n"
    "  --raw                       seal one value (stdin or --from-file), print the blob\n"
    "  --from-file [KEY=]PATH      with --raw: read the value from PATH\n"
    "  --controller-name, --controller-namespace NAME\n"
    "                              accepted for kubeseal command lines; ignored\n"
    "  -h, --help                  show this help\n"
    "\n"
    "Every flag can be set as SEALED_SECRETS_<FLAG> (e.g. SEALED_SECRETS_SCOPE); the\n"
    "command line wins. An option that takes one value may be given once.\n"
    "Output is all or nothing: on any error nothing is written.\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

typedef struct seal_args {
    const char *cert, *scope, *format, *input, *output, *merge_into, *name, *ns;
    int allow_empty, raw;
    cli_list from_file;
    sk_scope scope_value;
    sk_format out_format;
} seal_args;

enum {
    OPT_CERT = 256,
    OPT_SCOPE,
    OPT_MERGE,
    OPT_ALLOW_EMPTY,
    OPT_RAW,
    OPT_NAME,
    OPT_FROM_FILE,
    OPT_IGNORED
};

static const struct option options[] = {
    {"cert", required_argument, NULL, OPT_CERT},
    {"scope", required_argument, NULL, OPT_SCOPE},
    {"format", required_argument, NULL, 'o'},
    {"secret-file", required_argument, NULL, 'f'},
    {"sealed-secret-file", required_argument, NULL, 'w'},
    {"merge-into", required_argument, NULL, OPT_MERGE},
    {"allow-empty-data", optional_argument, NULL, OPT_ALLOW_EMPTY},
    {"namespace", required_argument, NULL, 'n'},
    {"name", required_argument, NULL, OPT_NAME},
    {"raw", optional_argument, NULL, OPT_RAW},
    {"from-file", required_argument, NULL, OPT_FROM_FILE},
    /* Accepted so that kubeseal command lines keep working; with --cert they do nothing. */
    {"controller-name", required_argument, NULL, OPT_IGNORED},
    {"controller-namespace", required_argument, NULL, OPT_IGNORED},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int env_bool(const char *flag, int *out)
{
    const char *v = cli_env(flag);
    if (v == NULL) return 0;
    int b = cli_parse_bool(v);
    char name[96];
    cli_env_name(flag, name, sizeof name);
    if (b < 0) return cli_usage_error("seal", "%s: not a boolean", name);
    *out = b;
    return 0;
}

/* Before the flags for the booleans, which a flag then overrides. */
static int from_env(seal_args *a)
{
    int rc = env_bool("allow-empty-data", &a->allow_empty);
    if (rc == 0) rc = env_bool("raw", &a->raw);
    return rc;
}

static void env_default(const char **slot, const char *flag)
{
    if (*slot == NULL) *slot = cli_env(flag);
}

/*
 * After the flags: a variable fills only what the command line left unset, so that a flag
 * given once is not taken for a repetition of its variable.
 */
static int env_values(seal_args *a)
{
    env_default(&a->cert, "cert");
    env_default(&a->scope, "scope");
    env_default(&a->format, "format");
    env_default(&a->input, "secret-file");
    env_default(&a->output, "sealed-secret-file");
    env_default(&a->merge_into, "merge-into");
    env_default(&a->name, "name");
    env_default(&a->ns, "namespace");
    const char *ff = cli_env("from-file");
    if (a->from_file.n == 0 && ff != NULL && cli_list_add_csv(&a->from_file, ff) != 0)
        return EXIT_FAIL;
    return 0;
}

static int flag_bool(const char *arg, int *out)
{
    int b = arg ? cli_parse_bool(arg) : 1;
    if (b < 0) return cli_usage_error("seal", "invalid boolean \"%s\"", arg);
    *out = b;
    return 0;
}

static int parse_flags(int argc, char **argv, seal_args *a)
{
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "ho:f:w:n:", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case OPT_CERT:
            rc = cli_once("seal", "--cert", &a->cert, optarg);
            break;
        case OPT_SCOPE:
            rc = cli_once("seal", "--scope", &a->scope, optarg);
            break;
        case 'o':
            rc = cli_once("seal", "-o/--format", &a->format, optarg);
            break;
        case 'f':
            rc = cli_once("seal", "-f/--secret-file", &a->input, optarg);
            break;
        case 'w':
            rc = cli_once("seal", "-w/--sealed-secret-file", &a->output, optarg);
            break;
        case OPT_MERGE:
            rc = cli_once("seal", "--merge-into", &a->merge_into, optarg);
            break;
        case OPT_ALLOW_EMPTY:
            rc = flag_bool(optarg, &a->allow_empty);
            break;
        case 'n':
            rc = cli_once("seal", "-n/--namespace", &a->ns, optarg);
            break;
        case OPT_NAME:
            rc = cli_once("seal", "--name", &a->name, optarg);
            break;
        case OPT_RAW:
            rc = flag_bool(optarg, &a->raw);
            break;
        case OPT_FROM_FILE:
            rc = cli_list_add_csv(&a->from_file, optarg) ? EXIT_FAIL : 0;
            break;
        case OPT_IGNORED:
            break;
        default:
            return cli_bad_option("seal", argc, argv);
        }
    }
    if (rc == 0 && optind < argc)
        return cli_usage_error("seal", "unexpected argument \"%s\"", argv[optind]);
    return rc;
}

static int check_args(seal_args *a)
{
    sk_error err = {0};
    if (a->scope != NULL && sk_scope_parse(a->scope, &a->scope_value, &err) != SK_OK)
        return cli_usage_error("seal", "%s", err.msg);
    if (cli_out_format("seal", a->format, a->output, SK_FORMAT_JSON, &a->out_format) != 0)
        return EXIT_USAGE;
    if (a->from_file.n > 0 && !a->raw) return cli_usage_error("seal", "--from-file requires --raw");
    if (a->from_file.n > 1)
        return cli_usage_error("seal", "must provide only one --from-file when encrypting a "
                                       "single item with --raw");
    if (a->cert == NULL || *a->cert == '\0') {
        fputs("sealkit: error: no certificate given\n"
              "sealkit: hint: pass --cert FILE or set SEALED_SECRETS_CERT "
              "(get it once with 'kubeseal --fetch-cert')\n",
              stderr);
        return EXIT_USAGE;
    }
    return 0;
}

static int load_cert(const seal_args *a, sk_pubkey **pk)
{
    sk_error err = {0};
    /* A path, or an https:// URL fetched with TLS verification (sk_fetch_pubkey). */
    if (sk_fetch_pubkey(a->cert, cli_now(), pk, &err) != SK_OK) return cli_fail(&err);
    if (sk_pubkey_flags(*pk) & SK_CERT_NOT_YET_VALID)
        cli_warn("certificate %s is not valid yet; sealing anyway, as kubeseal does", a->cert);
    return 0;
}

static int emit(const json_t *doc, sk_format f, sk_secbuf *out, sk_error *err)
{
    return f == SK_FORMAT_YAML ? sk_emit_yaml(doc, out, err) : sk_emit_json(doc, out, err);
}

static int read_input(const char *path, sk_secbuf *in, sk_error *err)
{
    if (path == NULL && isatty(STDIN_FILENO))
        fputs("(tty detected: expecting json/yaml k8s resource in stdin)\n", stderr);
    return sk_read_file(path ? path : "-", SK_MAX_INPUT, in, err);
}

/* Reads the input Secrets; on error err says "FILE: document N: field: problem". */
static int read_secrets(const char *path, sk_secret **secrets, sk_origin **origins, size_t *n,
                        sk_error *err)
{
    const char *name = path ? path : "<stdin>";
    sk_secbuf in = SK_SECBUF_INIT;
    sk_docs docs = {0};
    int rc = read_input(path, &in, err);
    if (rc == SK_OK) rc = sk_docs_parse(in.data, in.len, name, &docs, err);
    sk_secbuf_free(&in);
    if (rc == SK_OK) rc = sk_secrets_from_docs(&docs, secrets, origins, n, err);
    sk_docs_free(&docs);
    if (rc == SK_OK && *n == 0) {
        rc = sk_error_set(err, SK_EINVAL, "no Secret found in the input");
        sk_error_hint(err, "the input must hold a v1 Secret in YAML or JSON");
    }
    if (rc != SK_OK) sk_error_at_source(err, rc, name);
    return rc;
}

static void origin_prefix(sk_error *err, const char *name, sk_origin o)
{
    sk_error_at_source(err, err->code, name);
    sk_error_at_object(err, err->code, o.document, o.item);
}

static int seal_stream(const seal_args *a, const sk_pubkey *pk)
{
    sk_error err = {0};
    sk_secret *secrets = NULL;
    sk_origin *origins = NULL;
    size_t n = 0;
    sk_secbuf out = SK_SECBUF_INIT;
    sk_seal_opts opts = {.version = SK_SEAL_OPTS_VERSION,
                         .has_scope = a->scope != NULL,
                         .scope = a->scope_value,
                         .name = a->name,
                         .namespace_ = a->ns,
                         .allow_empty = a->allow_empty};
    int rc = read_secrets(a->input, &secrets, &origins, &n, &err);
    for (size_t i = 0; rc == SK_OK && i < n; i++) {
        json_t *sealed = NULL;
        rc = sk_seal_secret(&secrets[i], pk, &opts, &sealed, &err);
        if (rc == SK_OK) rc = emit(sealed, a->out_format, &out, &err);
        json_decref(sealed);
        if (rc != SK_OK) origin_prefix(&err, a->input ? a->input : "<stdin>", origins[i]);
    }
    sk_secrets_free(secrets, origins, n);
    if (rc == SK_OK) rc = cli_output(a->output, &out, 0644, &err);
    sk_secbuf_free(&out);
    return rc == SK_OK ? EXIT_OK : cli_fail(&err);
}

static int read_raw_value(const seal_args *a, sk_secbuf *value, sk_error *err)
{
    if (a->from_file.n == 0) {
        if (isatty(STDIN_FILENO))
            fputs("(tty detected: expecting a secret to encrypt in stdin)\n", stderr);
        return sk_read_file("-", SK_MAX_INPUT, value, err);
    }
    /* kubectl's [key=]path form: the key part means nothing for one raw value. */
    const char *spec = a->from_file.v[0];
    const char *eq = strchr(spec, '=');
    return sk_read_file(eq ? eq + 1 : spec, SK_MAX_INPUT, value, err);
}

static int seal_raw(const seal_args *a, const sk_pubkey *pk)
{
    sk_scope scope = a->scope ? a->scope_value : SK_SCOPE_STRICT;
    if (scope != SK_SCOPE_CLUSTER_WIDE && (a->ns == NULL || *a->ns == '\0'))
        return cli_usage_error("seal",
                               "must provide the --namespace flag with --raw and --scope %s",
                               sk_scope_name(scope));
    if (scope == SK_SCOPE_STRICT && (a->name == NULL || *a->name == '\0'))
        return cli_usage_error("seal",
                               "must provide the --name flag with --raw and --scope strict");
    sk_error err = {0};
    sk_secbuf value = SK_SECBUF_INIT, out = SK_SECBUF_INIT;
    char *b64 = NULL;
    int rc = read_raw_value(a, &value, &err);
    if (rc == SK_OK) rc = sk_seal_raw(pk, scope, a->ns, a->name, value.data, value.len, &b64, &err);
    sk_secbuf_free(&value);
    if (rc == SK_OK) rc = sk_secbuf_puts(&out, b64, &err);
    free(b64);
    if (rc == SK_OK) rc = cli_output(a->output, &out, 0644, &err);
    sk_secbuf_free(&out);
    return rc == SK_OK ? EXIT_OK : cli_fail(&err);
}

/* The existing SealedSecret's identity and scope win over the input's (docs/format.md §4.6). */
static int seal_for_target(const seal_args *a, const sk_pubkey *pk, json_t *target, sk_scope scope,
                           sk_error *err)
{
    const json_t *meta = json_object_get(target, "metadata");
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    sk_secret *secrets = NULL;
    sk_origin *origins = NULL;
    size_t n = 0;
    sk_seal_opts opts = {.version = SK_SEAL_OPTS_VERSION,
                         .has_scope = 1,
                         .scope = scope,
                         .force_scope = 1,
                         .allow_empty = a->allow_empty};
    int rc = read_secrets(a->input, &secrets, &origins, &n, err);
    for (size_t i = 0; rc == SK_OK && i < n; i++) {
        json_t *sealed = NULL;
        rc = sk_secret_set_name(&secrets[i], name, err);
        if (rc == SK_OK && ns != NULL && *ns != '\0')
            rc = sk_secret_set_namespace(&secrets[i], ns, err);
        if (rc == SK_OK) rc = sk_seal_secret(&secrets[i], pk, &opts, &sealed, err);
        if (rc == SK_OK) rc = sk_seal_merge(target, sealed, err);
        json_decref(sealed);
        if (rc != SK_OK) origin_prefix(err, a->input ? a->input : "<stdin>", origins[i]);
    }
    sk_secrets_free(secrets, origins, n);
    return rc;
}

static int load_target(const char *path, sk_docs *docs, sk_scope *scope, sk_error *err)
{
    sk_secbuf in = SK_SECBUF_INIT;
    int rc = sk_read_file(path, SK_MAX_INPUT, &in, err);
    if (rc == SK_OK) rc = sk_docs_parse(in.data, in.len, path, docs, err);
    sk_secbuf_free(&in);
    if (rc == SK_OK && docs->n != 1)
        rc = sk_error_set(err, SK_EINVAL,
                          "%s: --merge-into needs exactly one SealedSecret, "
                          "found %zu documents",
                          path, docs->n);
    if (rc == SK_OK && (rc = sk_sealed_check(docs->doc[0], scope, err)) != SK_OK) {
        sk_error_at_source(err, rc, path);
        sk_error_at_object(err, rc, 1, 0);
    }
    return rc;
}

static int merge_into(const seal_args *a, const sk_pubkey *pk)
{
    if (a->output != NULL)
        return cli_usage_error("seal", "--merge-into rewrites its file in place; drop -w");
    sk_error err = {0};
    sk_docs docs = {0};
    sk_scope scope = SK_SCOPE_STRICT;
    sk_secbuf out = SK_SECBUF_INIT;
    struct stat st;
    int rc = load_target(a->merge_into, &docs, &scope, &err);
    if (rc == SK_OK && a->scope != NULL && a->scope_value != scope) {
        rc = sk_error_set(&err, SK_EINVAL,
                          "%s is sealed %s; items sealed %s there could never "
                          "be opened",
                          a->merge_into, sk_scope_name(scope), sk_scope_name(a->scope_value));
        sk_error_hint(&err, "drop --scope: --merge-into uses the file's scope");
    }
    if (rc == SK_OK) rc = seal_for_target(a, pk, docs.doc[0], scope, &err);
    if (rc == SK_OK) rc = emit(docs.doc[0], docs.format, &out, &err);
    if (rc == SK_OK && stat(a->merge_into, &st) != 0) st.st_mode = 0644;
    if (rc == SK_OK)
        rc = sk_write_atomic(a->merge_into, out.data, out.len, st.st_mode & 07777, &err);
    sk_secbuf_free(&out);
    sk_docs_free(&docs);
    return rc == SK_OK ? EXIT_OK : cli_fail(&err);
}

int cmd_seal(int argc, char **argv)
{
    seal_args a = {0};
    int rc = from_env(&a);
    if (rc == 0) rc = parse_flags(argc, argv, &a);
    if (rc == 0) rc = env_values(&a);
    if (rc == 0) rc = check_args(&a);
    sk_pubkey *pk = NULL;
    if (rc == 0) rc = load_cert(&a, &pk);
    if (rc == 0) {
        if (a.merge_into != NULL)
            rc = merge_into(&a, pk);
        else if (a.raw)
            rc = seal_raw(&a, pk);
        else
            rc = seal_stream(&a, pk);
    }
    sk_pubkey_free(pk);
    cli_list_free(&a.from_file);
    return rc < 0 ? EXIT_OK : rc;
}
