/* sealkit verify: audit SealedSecret files without a cluster and without printing a value. */
#include "cli.h"

#include <dirent.h>
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
    "MESSAGE. No value is ever printed. Finding codes: docs/verify.md.\n"
    "\n"
    "  --cert FILE        the controller's current certificate: RSA parts must match its\n"
    "                     size, and items not sealed under it are flagged [SEALED_SECRETS_CERT]\n"
    "  --key FILE[,FILE]  private keys (as for 'sealkit unseal'): every item must open;\n"
    "                     reports the key and scope that open it and checks the content\n"
    "  --policy FILE      required Secrets and items (see policies/seldon-system.yaml)\n"
    "  -o, --format FMT   text (default) or json (schema: docs/verify-schema.json)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 clean (info findings only), 1 errors or warnings found,\n"
    "2 usage error or a file that cannot be read.\n";

typedef struct verify_args {
    const char *cert, *policy;
    cli_list keys;
    int json;
} verify_args;

enum { OPT_CERT = 256, OPT_KEY, OPT_POLICY };

static const struct option options[] = {{"cert", required_argument, NULL, OPT_CERT},
                                        {"key", required_argument, NULL, OPT_KEY},
                                        {"policy", required_argument, NULL, OPT_POLICY},
                                        {"format", required_argument, NULL, 'o'},
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};

static int parse_flags(int argc, char **argv, verify_args *a)
{
    a->cert = cli_env("cert");
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case OPT_CERT:
            a->cert = optarg;
            break;
        case OPT_KEY:
            if (cli_list_add_csv(&a->keys, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_POLICY:
            a->policy = optarg;
            break;
        case 'o':
            if (strcasecmp(optarg, "json") != 0 && strcasecmp(optarg, "text") != 0)
                return cli_usage_error("verify", "unsupported report format: %s", optarg);
            a->json = strcasecmp(optarg, "json") == 0;
            break;
        default:
            return cli_usage_error("verify", "invalid option");
        }
    }
    if (a->cert != NULL && *a->cert == '\0') a->cert = NULL;
    if (optind >= argc) return cli_usage_error("verify", "no file or folder to verify");
    return 0;
}

/* ---- collecting files ---- */

static int wanted(const char *name)
{
    const char *exts[] = {".yaml", ".yml", ".json"};
    size_t n = strlen(name);
    for (size_t i = 0; i < 3; i++) {
        size_t m = strlen(exts[i]);
        if (n > m && strcmp(name + n - m, exts[i]) == 0) return 1;
    }
    return 0;
}

static int push(cli_list *files, const char *path)
{
    char **grown = realloc(files->v, (files->n + 1) * sizeof *grown);
    if (grown == NULL) return -1;
    files->v = grown;
    if ((files->v[files->n] = strdup(path)) == NULL) return -1;
    files->n++;
    return 0;
}

static int pushed(cli_list *files, const char *path, sk_error *err)
{
    return push(files, path) == 0 ? SK_OK : sk_error_set(err, SK_ENOMEM, "out of memory");
}

/*
 * Named paths are followed and taken whatever their suffix; inside folders,
 * links are skipped and only manifests taken (any file when any_name).
 */
static int collect(const char *path, int top, int any_name, cli_list *files, sk_error *err)
{
    struct stat st;
    if (top && strcmp(path, "-") == 0) return pushed(files, path, err);
    if ((top ? stat(path, &st) : lstat(path, &st)) != 0)
        return sk_error_set(err, SK_EIO, "cannot read %s: no such file or folder", path);
    if (S_ISREG(st.st_mode) && (top || any_name || wanted(path))) return pushed(files, path, err);
    if (!S_ISDIR(st.st_mode)) return SK_OK;
    struct dirent **list = NULL;
    int n = scandir(path, &list, NULL, alphasort);
    if (n < 0) return sk_error_set(err, SK_EIO, "cannot list folder %s", path);
    int rc = SK_OK;
    for (int i = 0; i < n; i++) {
        if (rc == SK_OK && list[i]->d_name[0] != '.') {
            char child[4096];
            snprintf(child, sizeof child, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/",
                     list[i]->d_name);
            rc = collect(child, 0, any_name, files, err);
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

/* ---- keys and the certificate ---- */

/* Certificates beside the keys (key Secrets carry tls.crt) tell which key is the newest. */
static void key_certs(const cli_list *paths, sk_cert_info **certs, size_t *n)
{
    cli_list files = {0};
    sk_error ignored = {0};
    for (size_t i = 0; i < paths->n; i++)
        if (strcmp(paths->v[i], "-") != 0) collect(paths->v[i], 1, 1, &files, &ignored);
    for (size_t i = 0; i < files.n; i++)
        cli_add_key_certs(files.v[i], certs, n);
    cli_list_free(&files);
}

/* ---- printing ---- */

static void report_text(const sk_findings *f)
{
    for (size_t i = 0; i < f->n; i++)
        cli_print_finding(&f->v[i]);
    fflush(stdout);
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
}

static json_t *str_or_null(const char *s)
{
    return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

static void put_where(json_t *o, const char *file, size_t document, size_t list_item)
{
    json_object_set_new(o, "file", json_string(file));
    json_object_set_new(o, "document", json_integer((json_int_t)document));
    if (list_item > 0) json_object_set_new(o, "list_item", json_integer((json_int_t)list_item));
}

static json_t *finding_json(const sk_finding *x)
{
    json_t *o = json_object();
    put_where(o, x->file, x->document, x->list_item);
    json_object_set_new(o, "item", str_or_null(x->item));
    json_object_set_new(o, "severity", json_string(sk_severity_name(x->severity)));
    json_object_set_new(o, "code", json_string(x->code));
    json_object_set_new(o, "message", json_string(x->message));
    if (x->key_fingerprint[0])
        json_object_set_new(o, "key_fingerprint", json_string(x->key_fingerprint));
    return o;
}

static json_t *tri(int v)
{
    return v < 0 ? json_null() : json_boolean(v);
}

static json_t *item_json(const sk_verify_item *it)
{
    json_t *o = json_object();
    put_where(o, it->file, it->document, it->list_item);
    json_object_set_new(o, "name", json_string(it->name));
    json_object_set_new(o, "namespace", str_or_null(it->namespace_));
    json_object_set_new(o, "item", json_string(it->item));
    json_object_set_new(o, "scope", json_string(sk_scope_name(it->scope)));
    json_object_set_new(o, "opens", tri(it->opens));
    json_object_set_new(o, "sealed_scope",
                        it->sealed_scope < 0
                            ? json_null()
                            : json_string(sk_scope_name((sk_scope)it->sealed_scope)));
    json_object_set_new(o, "opened_by", str_or_null(it->opened_by));
    json_object_set_new(o, "newest", tri(it->newest));
    return o;
}

/* The --format json report, schema "sealkit-verify/v1" (docs/verify-schema.json). */
static int report_json(const sk_findings *f, sk_error *err)
{
    json_t *root = json_object(), *findings = json_array(), *items = json_array();
    json_t *summary = json_object();
    for (size_t i = 0; i < f->n; i++)
        json_array_append_new(findings, finding_json(&f->v[i]));
    for (size_t i = 0; i < f->n_items; i++)
        json_array_append_new(items, item_json(&f->items[i]));
    size_t e = sk_findings_count(f, SK_SEVERITY_ERROR);
    size_t w = sk_findings_count(f, SK_SEVERITY_WARNING) - e;
    json_object_set_new(summary, "errors", json_integer((json_int_t)e));
    json_object_set_new(summary, "warnings", json_integer((json_int_t)w));
    json_object_set_new(summary, "info", json_integer((json_int_t)(f->n - e - w)));
    json_object_set_new(root, "schema", json_string("sealkit-verify/v1"));
    json_object_set_new(root, "files", json_integer((json_int_t)f->files));
    json_object_set_new(root, "sealed_secrets", json_integer((json_int_t)f->n_secrets));
    json_object_set_new(root, "summary", summary);
    json_object_set_new(root, "findings", findings);
    json_object_set_new(root, "items", items);
    sk_secbuf out = SK_SECBUF_INIT;
    int rc = sk_emit_json(root, &out, err);
    if (rc == SK_OK) rc = cli_output(NULL, &out, 0, err);
    sk_secbuf_free(&out);
    json_decref(root);
    return rc;
}

/* ---- running ---- */

typedef struct run_state {
    sk_keyring *kr;
    sk_pubkey *cert;
    sk_policy *policy;
    sk_cert_info *certs;
    size_t n_certs;
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
    if (a->cert != NULL) rc = cli_load_audit_cert(a->cert, &s->cert, err);
    if (rc == SK_OK && a->keys.n > 0) {
        rc = load_private_keys(&a->keys, &s->kr, err);
        key_certs(&a->keys, &s->certs, &s->n_certs);
    }
    if (rc == SK_OK && a->policy != NULL) rc = load_policy(a->policy, &s->policy, err);
    return rc;
}

static int verify_files(const cli_list *files, const sk_verify_opts *opts, sk_findings *f,
                        sk_error *err)
{
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < files->n; i++) {
        sk_secbuf in = SK_SECBUF_INIT;
        const char *name = strcmp(files->v[i], "-") == 0 ? "<stdin>" : files->v[i];
        rc = sk_read_file(files->v[i], SK_MAX_INPUT, &in, err);
        if (rc == SK_OK) rc = sk_verify_text(in.data, in.len, name, opts, f, err);
        sk_secbuf_free(&in);
    }
    return rc;
}

static int run(const verify_args *a, int npaths, char **paths, sk_error *err)
{
    run_state s = {0};
    cli_list files = {0};
    sk_findings f;
    sk_findings_init(&f);
    int rc = prepare(a, &s, err);
    for (int i = 0; rc == SK_OK && i < npaths; i++)
        rc = collect(paths[i], 1, 0, &files, err);
    sk_verify_opts opts = {s.cert, s.kr,
                           s.kr ? sk_verify_newest_key(s.kr, s.certs, s.n_certs) : -1};
    if (rc == SK_OK) rc = verify_files(&files, &opts, &f, err);
    if (rc == SK_OK && s.policy != NULL) rc = sk_policy_check(s.policy, &f, err);
    if (rc == SK_OK && f.n_secrets == 0) {
        sk_where none = {"-", 0, 0, NULL};
        rc = sk_findings_add(&f, &none, SK_SEVERITY_WARNING, "no-sealed-secrets", NULL, err,
                             "no SealedSecret found in the %zu files read", f.files);
    }
    if (rc == SK_OK && a->json)
        rc = report_json(&f, err);
    else if (rc == SK_OK)
        report_text(&f);
    int findings = sk_findings_count(&f, SK_SEVERITY_WARNING) > 0;
    sk_findings_free(&f);
    cli_list_free(&files);
    sk_policy_free(s.policy);
    free(s.certs);
    sk_pubkey_free(s.cert);
    sk_keyring_free(s.kr);
    if (rc != SK_OK) return -1;
    return findings ? EXIT_FAIL : EXIT_OK;
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
