/* sealkit package: reproducible tar.gz kustomize overlays of SealedSecrets, and their audit. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "Usage: sealkit package -n NAMESPACE --set SET [OPTIONS] FILE...\n"
    "       sealkit package verify PACKAGE [--cert FILE] [--key FILE...] [--policy FILE]\n"
    "\n"
    "Build NAMESPACE-SET-secrets-YYYYMMDD.tar.gz holding the kustomize overlay\n"
    "OVERLAY/kustomization.yaml (resources: the files, sorted) and the SealedSecret\n"
    "FILEs under OVERLAY/, for 'tar xzf PKG -C DIR && kubectl apply -k DIR/OVERLAY'.\n"
    "Only SealedSecrets of NAMESPACE (or without namespace) are accepted; a plaintext\n"
    "Secret is refused. Same inputs and date, same bytes. Prints the package's path.\n"
    "\n"
    "  -n, --namespace NS     namespace of the SealedSecrets (required)\n"
    "  --set SET              the set in the package name, e.g. ml (required)\n"
    "  --overlay NAME         folder inside the package (default production)\n"
    "  --date YYYYMMDD        package date, and every entry's mtime (midnight UTC);\n"
    "                         default: SOURCE_DATE_EPOCH, else today\n"
    "  --kustomization FILE   start from this kustomization; refused when it would rename\n"
    "                         or move a SealedSecret (namePrefix, nameSuffix, namespace,\n"
    "                         generators, patches of names, namespaces or scope)\n"
    "  -o, --output-dir DIR   write the package into DIR (default: the current folder)\n"
    "  --output FILE          write the package to FILE\n"
    "  -h, --help             show this help\n"
    "\n"
    "verify reads PACKAGE in memory (never extracting it), refuses unsafe archives\n"
    "(absolute paths, '..', links, devices, entries over 4 MiB, over 256 entries,\n"
    "over 32 MiB in all, compression over 100:1), checks that each overlay's\n"
    "kustomization.yaml lists exactly its files, and verifies every SealedSecret as\n"
    "'sealkit verify' does. One finding per line on stdout, as FILE:DOCUMENT:ITEM:\n"
    "SEVERITY: CODE: MESSAGE (FILE is the path inside the package; codes:\n"
    "docs/verify.md); a summary on stderr.\n"
    "\n"
    "  --cert FILE        the controller's current certificate [SEALED_SECRETS_CERT]\n"
    "  --key FILE[,FILE]  private keys (as for 'sealkit unseal'): every item must open\n"
    "  --policy FILE      required Secrets and items (see policies/seldon-system.yaml)\n"
    "\n"
    "Exit status: package: 0 success, 1 failure, 2 usage error; package verify:\n"
    "0 clean (info findings only), 1 errors or warnings found (an unsafe archive is\n"
    "one), 2 usage error or a file, key, certificate or policy that cannot be read.\n";

typedef struct package_args {
    const char *ns, *set, *overlay, *date, *kustomization, *dir, *output;
} package_args;

enum {
    OPT_SET = 256,
    OPT_OVERLAY,
    OPT_DATE,
    OPT_KUSTOMIZATION,
    OPT_OUTPUT,
    OPT_CERT,
    OPT_KEY,
    OPT_POLICY
};

static const struct option build_options[] = {
    {"namespace", required_argument, NULL, 'n'},
    {"set", required_argument, NULL, OPT_SET},
    {"overlay", required_argument, NULL, OPT_OVERLAY},
    {"date", required_argument, NULL, OPT_DATE},
    {"kustomization", required_argument, NULL, OPT_KUSTOMIZATION},
    {"output-dir", required_argument, NULL, 'o'},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int parse_build_flags(int argc, char **argv, package_args *a)
{
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hn:o:", build_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case 'n':
            a->ns = optarg;
            break;
        case OPT_SET:
            a->set = optarg;
            break;
        case OPT_OVERLAY:
            a->overlay = optarg;
            break;
        case OPT_DATE:
            a->date = optarg;
            break;
        case OPT_KUSTOMIZATION:
            a->kustomization = optarg;
            break;
        case 'o':
            a->dir = optarg;
            break;
        case OPT_OUTPUT:
            a->output = optarg;
            break;
        default:
            return cli_usage_error("package", "invalid option");
        }
    }
    if (a->ns == NULL) return cli_usage_error("package", "no namespace: pass -n NAMESPACE");
    if (a->set == NULL) return cli_usage_error("package", "no set: pass --set SET (e.g. ml)");
    if (a->dir != NULL && a->output != NULL)
        return cli_usage_error("package", "-o DIR and --output FILE exclude each other");
    if (optind >= argc) return cli_usage_error("package", "no SealedSecret files given");
    return 0;
}

/* --date, else SOURCE_DATE_EPOCH, else midnight UTC today. */
static int package_time(const package_args *a, int64_t *t, sk_error *err)
{
    if (a->date != NULL) return sk_package_parse_date(a->date, t, err);
    const char *env = getenv("SOURCE_DATE_EPOCH");
    if (env != NULL && *env != '\0') return sk_package_parse_epoch(env, t, err);
    int64_t now = (int64_t)cli_now();
    *t = now - now % 86400;
    return SK_OK;
}

static void free_inputs(sk_package_input *in, sk_secbuf *bufs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sk_secbuf_free(&bufs[i]);
    free(bufs);
    free(in);
}

static int read_inputs(int n, char **paths, sk_package_input **in, sk_secbuf **bufs, sk_error *err)
{
    *in = calloc((size_t)n, sizeof **in);
    *bufs = calloc((size_t)n, sizeof **bufs);
    if (*in == NULL || *bufs == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        int rc = sk_read_file(paths[i], SK_PACKAGE_MAX_ENTRY, &(*bufs)[i], err);
        if (rc != SK_OK) return rc;
        (*in)[i] = (sk_package_input){paths[i], (*bufs)[i].data, (*bufs)[i].len};
    }
    return SK_OK;
}

static int build(const package_args *a, int n, char **paths, sk_error *err)
{
    sk_package_opts o = SK_PACKAGE_OPTS_INIT;
    o.namespace_ = a->ns;
    o.set = a->set;
    o.overlay = a->overlay;
    o.kustomization_source = a->kustomization;
    sk_package_input *in = NULL;
    sk_secbuf *bufs = NULL, kz = SK_SECBUF_INIT, out = SK_SECBUF_INIT;
    char name[SK_PACKAGE_NAME_MAX], path[4096];
    int rc = package_time(a, &o.mtime, err);
    if (rc == SK_OK) rc = sk_package_filename(&o, name, sizeof name, err);
    if (rc == SK_OK && a->kustomization != NULL)
        rc = sk_read_file(a->kustomization, SK_PACKAGE_MAX_ENTRY, &kz, err);
    o.kustomization = kz.data;
    o.kustomization_len = kz.len;
    if (rc == SK_OK) rc = read_inputs(n, paths, &in, &bufs, err);
    if (rc == SK_OK) rc = sk_package_build(&o, in, (size_t)n, &out, err);
    if (rc == SK_OK) {
        if (a->output != NULL)
            snprintf(path, sizeof path, "%s", a->output);
        else
            snprintf(path, sizeof path, "%s/%s", a->dir ? a->dir : ".", name);
        rc = sk_write_atomic(path, out.data, out.len, 0644, err);
    }
    if (rc == SK_OK) printf("%s\n", path);
    free_inputs(in, bufs, in ? (size_t)n : 0);
    sk_secbuf_free(&kz);
    sk_secbuf_free(&out);
    return rc;
}

/* ---- verify ---- */

typedef struct verify_args {
    const char *pkg, *cert, *policy;
    cli_list keys;
} verify_args;

static const struct option verify_options[] = {{"cert", required_argument, NULL, OPT_CERT},
                                               {"key", required_argument, NULL, OPT_KEY},
                                               {"policy", required_argument, NULL, OPT_POLICY},
                                               {"help", no_argument, NULL, 'h'},
                                               {NULL, 0, NULL, 0}};

static int parse_verify_flags(int argc, char **argv, verify_args *a)
{
    a->cert = cli_env("cert");
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", verify_options, NULL)) != -1) {
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
        default:
            return cli_usage_error("package", "invalid option");
        }
    }
    if (a->cert != NULL && *a->cert == '\0') a->cert = NULL;
    if (optind + 1 != argc)
        return cli_usage_error("package", "package verify takes one PACKAGE file");
    a->pkg = argv[optind];
    return 0;
}

typedef struct verify_ctx {
    sk_pubkey *cert;
    sk_keyring *keys;
    sk_policy *policy;
} verify_ctx;

static int load(const verify_args *a, verify_ctx *c, sk_error *err)
{
    int rc = a->cert != NULL ? cli_load_audit_cert(a->cert, &c->cert, err) : SK_OK;
    if (rc == SK_OK && a->keys.n > 0) rc = load_private_keys(&a->keys, &c->keys, err);
    if (rc == SK_OK && a->policy != NULL) {
        sk_secbuf text = SK_SECBUF_INIT;
        rc = sk_read_file(a->policy, SK_MAX_INPUT, &text, err);
        if (rc == SK_OK) rc = sk_policy_parse(text.data, text.len, a->policy, &c->policy, err);
        sk_secbuf_free(&text);
    }
    return rc;
}

/* An archive sk_package_read refuses is a finding about the package, not a usage error. */
static const char *read_code(int rc)
{
    return rc == SK_ELIMIT   ? "package-limit"
           : rc == SK_EINVAL ? "package-unsafe"
                             : "package-archive";
}

static int report(const verify_args *a, const sk_findings *f, const sk_package_summary *s)
{
    for (size_t i = 0; i < f->n; i++)
        cli_print_finding(&f->v[i]);
    fflush(stdout);
    size_t opened = 0, e = sk_findings_count(f, SK_SEVERITY_ERROR);
    size_t w = sk_findings_count(f, SK_SEVERITY_WARNING) - e;
    for (size_t i = 0; i < f->n_items; i++)
        opened += f->items[i].opens == 1;
    fprintf(stderr,
            "sealkit: %s: %zu overlays, %zu files, %zu SealedSecrets, %zu items "
            "(%zu opened): %zu errors, %zu warnings, %zu info\n",
            a->pkg, s->overlays, s->sealed_files, s->sealed_secrets, f->n_items, opened, e, w,
            f->n - e - w);
    return e + w > 0 ? EXIT_FAIL : EXIT_OK;
}

/* verify's exit status for an error (not a finding) is 2. */
static int error_exit(const sk_error *err)
{
    cli_fail(err);
    return EXIT_USAGE;
}

static int check(const verify_args *a, const verify_ctx *c, const sk_package *pkg)
{
    sk_error err = {0};
    sk_findings f;
    sk_findings_init(&f);
    sk_package_summary sum = SK_PACKAGE_SUMMARY_INIT;
    sk_verify_opts vo = {SK_VERIFY_OPTS_VERSION, c->cert, c->keys, cli_newest_key(c->keys)};
    int rc = sk_package_verify(pkg, a->pkg, &vo, &f, &sum, &err);
    if (rc == SK_OK && c->policy != NULL) rc = sk_policy_check(c->policy, &f, &err);
    int st = rc == SK_OK ? report(a, &f, &sum) : error_exit(&err);
    sk_findings_free(&f);
    return st;
}

static int verify(const verify_args *a, verify_ctx *c)
{
    sk_error err = {0};
    sk_secbuf buf = SK_SECBUF_INIT;
    sk_package pkg = {0};
    int rc = load(a, c, &err);
    if (rc == SK_OK) rc = sk_read_file(a->pkg, SK_MAX_INPUT, &buf, &err);
    if (rc != SK_OK) return error_exit(&err);
    rc = sk_package_read(buf.data, buf.len, &pkg, &err);
    sk_secbuf_free(&buf);
    if (rc == SK_ENOMEM) return error_exit(&err);
    if (rc != SK_OK) {
        char why[SK_ERROR_MSG_MAX + SK_ERROR_SOURCE_MAX + 96];
        sk_error_format(&err, why, sizeof why); /* its source is the member of the package */
        sk_finding refused = {.file = (char *)a->pkg,
                              .severity = SK_SEVERITY_ERROR,
                              .code = read_code(rc),
                              .message = why};
        cli_print_finding(&refused);
        fprintf(stderr, "sealkit: %s: refused; nothing in it was checked\n", a->pkg);
        return EXIT_FAIL;
    }
    int st = check(a, c, &pkg);
    sk_package_free(&pkg);
    return st;
}

static int cmd_package_verify(int argc, char **argv)
{
    verify_args a = {0};
    verify_ctx c = {0};
    int rc = parse_verify_flags(argc, argv, &a);
    if (rc == 0) rc = verify(&a, &c);
    sk_pubkey_free(c.cert);
    sk_keyring_free(c.keys);
    sk_policy_free(c.policy);
    cli_list_free(&a.keys);
    return rc < 0 ? EXIT_OK : rc;
}

int cmd_package(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "verify") == 0) return cmd_package_verify(argc - 1, argv + 1);
    package_args a = {0};
    int rc = parse_build_flags(argc, argv, &a);
    if (rc != 0) return rc < 0 ? EXIT_OK : rc;
    sk_error err = {0};
    return build(&a, argc - optind, argv + optind, &err) == SK_OK ? EXIT_OK : cli_fail(&err);
}
