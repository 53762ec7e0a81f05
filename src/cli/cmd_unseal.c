/* sealkit unseal: kubeseal --recovery-unseal, offline, for many documents. */
#include "cli.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "Usage: sealkit unseal --key FILE [--key FILE...] [OPTIONS] [PATH...] < sealed.yaml\n"
    "       sealkit unseal --raw --key FILE --scope SCOPE [--namespace NS] [--name NAME] < blob\n"
    "\n"
    "Open SealedSecrets with the controller's private keys and print the Secrets, each as\n"
    "its own document, from every file and folder named (*.yaml, *.yml, *.json inside\n"
    "folders; '-' or nothing is stdin). Plaintext goes only to stdout or to the file named\n"
    "by -w, created with mode 0600.\n"
    "\n"
    "  --key FILE[,FILE]            private keys: PEM (PKCS#1/PKCS#8), a key Secret, a List of\n"
    "                               them (the controller's backup), or a folder of such files\n"
    "  --recovery-private-key FILE  the same (kubeseal's name) "
    "[SEALED_SECRETS_RECOVERY_PRIVATE_KEY]\n"
    "  --recovery-unseal            accepted for kubeseal compatibility\n"
    "  -f, --secret-file FILE       read SealedSecrets from FILE (as a PATH)\n"
    "  -o, --format FORMAT          json or yaml; without it, yaml for a -w file named\n"
    "                               *.yaml or *.yml, else json [SEALED_SECRETS_FORMAT]\n"
    "  -w, --output FILE            write to FILE (mode 0600) instead of stdout ('-': stdout)\n"
    "  --raw                        open one base64 blob from stdin or -f; print the bytes\n"
    "  --force                      with --raw: print the plaintext even to a terminal\n"
    "  -n, --namespace NS           the namespace of SealedSecrets that have none (Helm\n"
    "                               output), as kubectl apply -n gives it "
    "[SEALED_SECRETS_NAMESPACE]\n"
    "  --scope, -n/--namespace, --name   the label of a --raw blob\n"
    "  -h, --help                   show this help\n"
    "\n"
    "An option that takes one value may be given once. --raw refuses to print to a\n"
    "terminal unless --force or -w - asks for it.\n"
    "\n"
    "Exit status: 0 success, 1 failure (nothing is printed), 2 usage error.\n";

typedef struct unseal_args {
    cli_list keys;
    const char *input, *output, *format, *scope, *ns, *name;
    int raw, force;
    sk_format out_format;
    char **paths; /* -f and the PATH arguments, in that order */
    size_t n_paths;
} unseal_args;

enum { OPT_KEY = 256, OPT_RECOVERY, OPT_RAW, OPT_SCOPE, OPT_NAME, OPT_FORCE };

static const struct option options[] = {{"key", required_argument, NULL, OPT_KEY},
                                        {"recovery-private-key", required_argument, NULL, OPT_KEY},
                                        {"recovery-unseal", no_argument, NULL, OPT_RECOVERY},
                                        {"secret-file", required_argument, NULL, 'f'},
                                        {"format", required_argument, NULL, 'o'},
                                        {"output", required_argument, NULL, 'w'},
                                        {"sealed-secret-file", required_argument, NULL, 'w'},
                                        {"raw", no_argument, NULL, OPT_RAW},
                                        {"force", no_argument, NULL, OPT_FORCE},
                                        {"scope", required_argument, NULL, OPT_SCOPE},
                                        {"namespace", required_argument, NULL, 'n'},
                                        {"name", required_argument, NULL, OPT_NAME},
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};

static int parse_flag(int c, unseal_args *a)
{
    switch (c) {
    case OPT_KEY:
        return cli_list_add_csv(&a->keys, optarg) != 0 ? EXIT_FAIL : 0;
    case OPT_RECOVERY:
        return 0;
    case 'f':
        return cli_once("unseal", "-f/--secret-file", &a->input, optarg);
    case 'o':
        return cli_once("unseal", "-o/--format", &a->format, optarg);
    case 'w':
        return cli_once("unseal", "-w/--output", &a->output, optarg);
    case OPT_RAW:
        a->raw = 1;
        return 0;
    case OPT_FORCE:
        a->force = 1;
        return 0;
    case OPT_SCOPE:
        return cli_once("unseal", "--scope", &a->scope, optarg);
    case 'n':
        return cli_once("unseal", "-n/--namespace", &a->ns, optarg);
    case OPT_NAME:
        return cli_once("unseal", "--name", &a->name, optarg);
    default:
        return EXIT_USAGE;
    }
}

/* Plaintext on a terminal stays in its scrollback and in screen recordings: only when asked. */
static int check_terminal(const unseal_args *a)
{
    /* -w names the output: a file, or "-" for a terminal the caller chose knowingly. */
    if (!a->raw || a->force || a->output != NULL || !isatty(STDOUT_FILENO)) return 0;
    fputs("sealkit: error: --raw would print the plaintext to a terminal\n"
          "sealkit: hint: redirect it, write it with -w FILE, or ask for it with --force or "
          "-w -\n",
          stderr);
    return EXIT_USAGE;
}

static int parse_flags(int argc, char **argv, unseal_args *a)
{
    const char *env = cli_env("recovery-private-key");
    if (env != NULL && cli_list_add_csv(&a->keys, env) != 0) return EXIT_FAIL;
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "hf:o:w:n:", options, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if (c == '?' || c == ':') return cli_bad_option("unseal", argc, argv);
        rc = parse_flag(c, a);
    }
    if (rc != 0) return rc;
    if (a->format == NULL) a->format = cli_env("format");
    if (a->ns == NULL) a->ns = cli_env("namespace");
    if (a->raw && optind < argc)
        return cli_usage_error("unseal",
                               "--raw opens one blob from stdin or -f: \"%s\" is one "
                               "too many",
                               argv[optind]);
    a->paths = calloc((size_t)(argc - optind) + 1, sizeof *a->paths);
    if (a->paths == NULL) return EXIT_FAIL;
    if (a->input != NULL) a->paths[a->n_paths++] = (char *)a->input;
    for (int i = optind; i < argc; i++)
        a->paths[a->n_paths++] = argv[i];
    const char *out = a->output != NULL && strcmp(a->output, "-") != 0 ? a->output : NULL;
    if (cli_out_format("unseal", a->format, out, SK_FORMAT_JSON, &a->out_format) != 0)
        return EXIT_USAGE;
    if (a->keys.n == 0) return cli_usage_error("unseal", "no private key given: pass --key FILE");
    return check_terminal(a);
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

/* Adds the Secrets of one file's SealedSecrets to out; *found counts them. */
static int unseal_docs(const sk_docs *docs, const char *ns, sk_keyring *kr, sk_format f,
                       const char *name, sk_secbuf *out, size_t *found, sk_error *err)
{
    unseal_ctx c = {kr, ns, f, name, out, 0};
    int rc = sk_docs_walk(docs, unseal_object, &c, err);
    *found += c.found;
    return rc != SK_OK ? sk_error_at_source(err, rc, name) : SK_OK;
}

static int unseal_file(const unseal_args *a, const char *path, sk_keyring *kr, sk_secbuf *out,
                       size_t *found, sk_error *err)
{
    int std_in = strcmp(path, "-") == 0;
    const char *name = std_in ? "<stdin>" : path;
    sk_secbuf in = SK_SECBUF_INIT;
    sk_docs docs = {0};
    if (std_in && isatty(STDIN_FILENO))
        fputs("(tty detected: expecting json/yaml k8s resource in stdin)\n", stderr);
    int rc = sk_read_file(path, SK_MAX_INPUT, &in, err);
    if (rc == SK_OK) rc = sk_docs_parse(in.data, in.len, name, &docs, err);
    sk_secbuf_free(&in);
    if (rc == SK_OK) rc = unseal_docs(&docs, a->ns, kr, a->out_format, name, out, found, err);
    sk_docs_free(&docs);
    return rc;
}

/* What the walk could not read makes the output incomplete: an error, as a failed item is. */
static int walk_problems(const sk_walk_list *l, sk_error *err)
{
    for (size_t i = 0; i < l->n_skipped; i++)
        cli_warn("%s: %s: not opened", l->skipped[i], l->why[i]);
    if (l->n_unreadable == 0) return SK_OK;
    sk_error_set(err, SK_EIO, "folder %s: its files were not opened", l->unreadable_why[0]);
    return sk_error_at_source(err, SK_EIO, l->unreadable[0]);
}

/* Every file and folder named (stdin without one); each Secret is its own document. */
static int unseal_stream(const unseal_args *a, sk_keyring *kr, sk_secbuf *out, sk_error *err)
{
    static const char *const std_in[] = {"-"};
    sk_walk_list files = {0};
    size_t found = 0;
    const char *const *paths = a->n_paths > 0 ? (const char *const *)a->paths : std_in;
    int rc = sk_walk(paths, a->n_paths > 0 ? a->n_paths : 1, SK_WALK_MANIFESTS, &files, err);
    if (rc == SK_OK) rc = walk_problems(&files, err);
    /* A file named on its own must hold one; a folder's other manifests are passed over. */
    for (size_t i = 0; rc == SK_OK && i < files.n_files; i++) {
        const char *path = files.files[i];
        size_t before = found;
        rc = unseal_file(a, path, kr, out, &found, err);
        if (rc == SK_OK && found == before && files.root_len[i] == strlen(path)) {
            rc = sk_error_set(err, SK_EINVAL, "no SealedSecret found");
            sk_error_at_source(err, rc, strcmp(path, "-") == 0 ? "<stdin>" : path);
        }
    }
    if (rc == SK_OK && found == 0) rc = sk_error_set(err, SK_EINVAL, "no SealedSecret found");
    sk_walk_list_free(&files);
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
        free(a.paths);
        return rc < 0 ? EXIT_OK : rc;
    }
    sk_error err = {0};
    sk_keyring *kr = NULL;
    sk_secbuf out = SK_SECBUF_INIT;
    int st = load_private_keys(&a.keys, &kr, &err);
    if (st == SK_OK)
        st = a.raw ? unseal_raw(&a, kr, &out, &err) : unseal_stream(&a, kr, &out, &err);
    const char *path = a.output != NULL && strcmp(a.output, "-") != 0 ? a.output : NULL;
    if (st == SK_OK) st = cli_output(path, &out, 0600, &err);
    sk_secbuf_free(&out);
    sk_keyring_free(kr);
    cli_list_free(&a.keys);
    free(a.paths);
    return st == SK_OK ? EXIT_OK : cli_fail(&err);
}
