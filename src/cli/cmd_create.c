/* sealkit create: kubectl's Secret builders, sealing in memory with --seal. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "Usage: sealkit create generic NAME -n NS [--from-literal K=V] [--from-file [K=]PATH]\n"
    "                              [--from-env-file PATH] [--type TYPE] [OPTIONS]\n"
    "       sealkit create docker-registry NAME -n NS --docker-server S --docker-username U\n"
    "                              --docker-password-stdin [--docker-email E] [OPTIONS]\n"
    "\n"
    "Build a Secret as 'kubectl create secret' does. With --seal it is sealed in memory\n"
    "and only the SealedSecret is written, so the plaintext never needs a file.\n"
    "\n"
    "  -n, --namespace NS          namespace of the Secret\n"
    "  --from-literal K=V          an item from the command line (visible in ps: avoid)\n"
    "  --from-file [K=]PATH        an item from a file (key: K or the file's name)\n"
    "  --from-env-file PATH        items from KEY=VALUE lines\n"
    "  --type TYPE                 Secret type (generic: Opaque)\n"
    "  --docker-password-stdin     read the registry password from stdin\n"
    "  --seal                      seal under --cert (or SEALED_SECRETS_CERT)\n"
    "  --cert FILE, --scope SCOPE  as for 'sealkit seal'\n"
    "  -o, --format FORMAT         json or yaml; without it, yaml for a -w file named\n"
    "                              *.yaml or *.yml, else json\n"
    "  -w, --output FILE           write to FILE (a plaintext Secret is created 0600)\n"
    "  -h, --help                  show this help\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

typedef struct create_args {
    const char *kind, *name, *ns, *type, *cert, *scope, *format, *output;
    const char *server, *user, *password, *email;
    int seal, password_stdin;
    cli_list literals, files, env_files;
} create_args;

enum {
    OPT_LITERAL = 256,
    OPT_FILE,
    OPT_ENV_FILE,
    OPT_TYPE,
    OPT_SEAL,
    OPT_CERT,
    OPT_SCOPE,
    OPT_SERVER,
    OPT_USER,
    OPT_PASSWORD,
    OPT_PASSWORD_STDIN,
    OPT_EMAIL
};

static const struct option options[] = {
    {"namespace", required_argument, NULL, 'n'},
    {"from-literal", required_argument, NULL, OPT_LITERAL},
    {"from-file", required_argument, NULL, OPT_FILE},
    {"from-env-file", required_argument, NULL, OPT_ENV_FILE},
    {"type", required_argument, NULL, OPT_TYPE},
    {"seal", no_argument, NULL, OPT_SEAL},
    {"cert", required_argument, NULL, OPT_CERT},
    {"scope", required_argument, NULL, OPT_SCOPE},
    {"format", required_argument, NULL, 'o'},
    {"output", required_argument, NULL, 'w'},
    {"docker-server", required_argument, NULL, OPT_SERVER},
    {"docker-username", required_argument, NULL, OPT_USER},
    {"docker-password", required_argument, NULL, OPT_PASSWORD},
    {"docker-password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN},
    {"docker-email", required_argument, NULL, OPT_EMAIL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int parse_flags(int argc, char **argv, create_args *a)
{
    int c, rc = 0;
    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "hn:o:w:", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case 'n':
            rc = cli_once("create", "-n/--namespace", &a->ns, optarg);
            break;
        case OPT_LITERAL:
            rc = cli_list_push(&a->literals, optarg) ? EXIT_FAIL : 0;
            break;
        case OPT_FILE:
            rc = cli_list_push(&a->files, optarg) ? EXIT_FAIL : 0;
            break;
        case OPT_ENV_FILE:
            rc = cli_list_push(&a->env_files, optarg) ? EXIT_FAIL : 0;
            break;
        case OPT_TYPE:
            rc = cli_once("create", "--type", &a->type, optarg);
            break;
        case OPT_SEAL:
            a->seal = 1;
            break;
        case OPT_CERT:
            rc = cli_once("create", "--cert", &a->cert, optarg);
            break;
        case OPT_SCOPE:
            rc = cli_once("create", "--scope", &a->scope, optarg);
            break;
        case 'o':
            rc = cli_once("create", "-o/--format", &a->format, optarg);
            break;
        case 'w':
            rc = cli_once("create", "-w/--output", &a->output, optarg);
            break;
        case OPT_SERVER:
            rc = cli_once("create", "--docker-server", &a->server, optarg);
            break;
        case OPT_USER:
            rc = cli_once("create", "--docker-username", &a->user, optarg);
            break;
        case OPT_PASSWORD:
            rc = cli_once("create", "--docker-password", &a->password, optarg);
            break;
        case OPT_PASSWORD_STDIN:
            a->password_stdin = 1;
            break;
        case OPT_EMAIL:
            rc = cli_once("create", "--docker-email", &a->email, optarg);
            break;
        default:
            return cli_bad_option("create", argc, argv);
        }
    }
    if (rc != 0) return rc;
    if (a->cert == NULL) a->cert = cli_env("cert");
    if (argc - optind != 2)
        return cli_usage_error("create", "expected a kind (generic or docker-registry) and a NAME");
    a->kind = argv[optind];
    a->name = argv[optind + 1];
    return 0;
}

static int check_args(const create_args *a)
{
    if (a->kind == NULL || a->name == NULL)
        return cli_usage_error("create", "expected a kind and a NAME");
    int generic = strcmp(a->kind, "generic") == 0;
    if (!generic && strcmp(a->kind, "docker-registry") != 0)
        return cli_usage_error("create", "unknown kind \"%s\": use generic or docker-registry",
                               a->kind);
    if (generic && a->literals.n + a->files.n + a->env_files.n == 0)
        return cli_usage_error("create",
                               "no items: pass --from-literal, --from-file or --from-env-file");
    if (!generic && (a->user == NULL || (a->password == NULL && !a->password_stdin)))
        return cli_usage_error(
            "create", "docker-registry needs --docker-username and --docker-password-stdin");
    if (!generic && a->password != NULL && a->password_stdin)
        return cli_usage_error(
            "create", "give the password once: --docker-password or --docker-password-stdin");
    sk_format f;
    if (cli_out_format("create", a->format, a->output, SK_FORMAT_JSON, &f) != 0) return EXIT_USAGE;
    if (a->seal && (a->cert == NULL || *a->cert == '\0'))
        return cli_usage_error("create", "--seal needs --cert FILE (or SEALED_SECRETS_CERT)");
    if (!a->seal && a->scope != NULL)
        return cli_usage_error("create", "--scope only means something with --seal");
    return 0;
}

static int add_file_item(sk_secret *s, const char *spec, sk_error *err)
{
    const char *eq = strchr(spec, '=');
    const char *path = eq ? eq + 1 : spec;
    const char *slash = strrchr(path, '/');
    char key[254];
    snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - spec) : (int)strlen(slash ? slash + 1 : path),
             eq ? spec : (slash ? slash + 1 : path));
    sk_secbuf v = SK_SECBUF_INIT;
    int rc = sk_read_file(path, SK_MAX_INPUT, &v, err);
    if (rc == SK_OK) rc = sk_secret_add_new(s, key, v.data, v.len, err);
    sk_secbuf_free(&v);
    return rc;
}

static int add_generic_items(const create_args *a, sk_secret *s, sk_error *err)
{
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < a->literals.n; i++) {
        const char *kv = a->literals.v[i];
        const char *eq = strchr(kv, '=');
        if (eq == NULL || eq == kv)
            return sk_error_set(err, SK_EUSAGE, "--from-literal needs KEY=VALUE");
        char key[254];
        snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
        rc = sk_secret_add_new(s, key, (const unsigned char *)eq + 1, strlen(eq + 1), err);
    }
    for (size_t i = 0; rc == SK_OK && i < a->files.n; i++)
        rc = add_file_item(s, a->files.v[i], err);
    for (size_t i = 0; rc == SK_OK && i < a->env_files.n; i++) {
        sk_secbuf text = SK_SECBUF_INIT;
        rc = sk_read_file(a->env_files.v[i], SK_MAX_INPUT, &text, err);
        if (rc == SK_OK)
            rc = sk_secret_add_env_file(s, (const char *)text.data, text.len, a->env_files.v[i],
                                        err);
        sk_secbuf_free(&text);
    }
    return rc;
}

static int read_password(const create_args *a, sk_secbuf *pw, sk_error *err)
{
    if (a->password != NULL) return sk_secbuf_puts(pw, a->password, err);
    int rc = sk_read_fd(STDIN_FILENO, "<stdin>", (size_t)64 * 1024, pw, err);
    /* As docker login --password-stdin: one trailing newline is not part of it. */
    if (rc == SK_OK && pw->len > 0 && pw->data[pw->len - 1] == '\n') pw->len--;
    if (rc == SK_OK && pw->len > 0 && pw->data[pw->len - 1] == '\r') pw->len--;
    if (rc == SK_OK && pw->len == 0) rc = sk_error_set(err, SK_EUSAGE, "empty password on stdin");
    return rc;
}

static int add_docker_item(const create_args *a, sk_secret *s, sk_error *err)
{
    sk_secbuf pw = SK_SECBUF_INIT, json = SK_SECBUF_INIT;
    const char *server = a->server ? a->server : "https://index.docker.io/v1/";
    int rc = read_password(a, &pw, err);
    if (rc == SK_OK)
        rc = sk_dockerconfig_json(server, a->user, pw.data, pw.len, a->email, &json, err);
    if (rc == SK_OK) rc = sk_secret_add_new(s, ".dockerconfigjson", json.data, json.len, err);
    sk_secbuf_free(&pw);
    sk_secbuf_free(&json);
    return rc;
}

static int render(const create_args *a, sk_secret *s, sk_secbuf *out, sk_error *err)
{
    json_t *tree = NULL;
    int rc;
    if (a->seal) {
        sk_pubkey *pk = NULL;
        sk_seal_opts o = {.version = SK_SEAL_OPTS_VERSION, .has_scope = a->scope != NULL};
        rc = a->scope ? sk_scope_parse(a->scope, &o.scope, err) : SK_OK;
        if (rc == SK_OK) rc = sk_fetch_pubkey(a->cert, cli_now(), &pk, err);
        if (rc == SK_OK) rc = sk_seal_secret(s, pk, &o, &tree, err);
        sk_pubkey_free(pk);
    } else {
        rc = sk_secret_to_json(s, &tree, err);
    }
    sk_format f = SK_FORMAT_JSON;
    (void)cli_out_format("create", a->format, a->output, SK_FORMAT_JSON,
                         &f); /* checked by check_args */
    if (rc == SK_OK)
        rc = f == SK_FORMAT_YAML ? sk_emit_yaml(tree, out, err) : sk_emit_json(tree, out, err);
    json_decref(tree);
    return rc;
}

static int run(const create_args *a)
{
    int generic = a->kind != NULL && strcmp(a->kind, "generic") == 0;
    if (a->literals.n > 0 || a->password != NULL)
        cli_warn("a secret value on the command line is visible to other users (ps) and in shell "
                 "history; prefer %s",
                 generic ? "--from-file or --from-env-file" : "--docker-password-stdin");
    sk_error err = {0};
    sk_secret s;
    sk_secbuf out = SK_SECBUF_INIT;
    const char *type = a->type ? a->type : generic ? "Opaque" : "kubernetes.io/dockerconfigjson";
    int rc = sk_secret_new(a->name, a->ns, type, &s, &err);
    if (rc != SK_OK) return cli_fail(&err);
    rc = generic ? add_generic_items(a, &s, &err) : add_docker_item(a, &s, &err);
    if (rc == SK_OK) rc = render(a, &s, &out, &err);
    /* Only sealed output may be readable by others. */
    if (rc == SK_OK) rc = cli_output(a->output, &out, a->seal ? 0644 : 0600, &err);
    sk_secret_free(&s);
    sk_secbuf_free(&out);
    return rc == SK_OK ? EXIT_OK : cli_fail(&err);
}

int cmd_create(int argc, char **argv)
{
    create_args a = {0};
    int rc = parse_flags(argc, argv, &a);
    if (rc == 0) rc = check_args(&a);
    if (rc == 0) rc = run(&a);
    cli_list_free(&a.literals);
    cli_list_free(&a.files);
    cli_list_free(&a.env_files);
    return rc < 0 ? EXIT_OK : rc;
}
