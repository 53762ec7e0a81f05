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
    "                              [--fail-on SEVERITY] [-o|--format text|json|sarif]\n"
    "       sealkit package install -C DIR [--cert FILE] [--key FILE...] [--force] PACKAGE...\n"
    "       sealkit package diff OLD NEW [--key FILE...] [-o|--format text|json]\n"
    "\n"
    "Build NAMESPACE-SET-secrets-YYYYMMDD.tar.gz holding the kustomize overlay\n"
    "OVERLAY/kustomization.yaml (resources: [sealed-secrets]),\n"
    "OVERLAY/sealed-secrets/kustomization.yaml (resources: [SET]) and the package's own\n"
    "folder OVERLAY/sealed-secrets/SET/ (its kustomization.yaml and the SealedSecret\n"
    "FILEs), for 'tar xzf PKG -C DIR --keep-old-files && kubectl apply -k DIR/OVERLAY'.\n"
    "Only SealedSecrets of NAMESPACE (or without namespace) are accepted; a plaintext\n"
    "Secret is refused. Same inputs and date, same bytes. Prints the package's path.\n"
    "An existing package file with other bytes is not replaced without --force.\n"
    "\n"
    "  -n, --namespace NS     namespace of the SealedSecrets (required)\n"
    "  --set SET              the set in the package name, e.g. ml (required)\n"
    "  --overlay NAME         folder inside the package (default production)\n"
    "  --date YYYYMMDD        package date, and every entry's mtime (midnight UTC);\n"
    "                         default: SOURCE_DATE_EPOCH, else today\n"
    "  --kustomization FILE   start from this kustomization; refused when it would change\n"
    "                         a SealedSecret beyond labels and annotations (namePrefix,\n"
    "                         nameSuffix, namespace, generators, replacements, patches\n"
    "                         of anything else)\n"
    "  --output-dir DIR       write the package into DIR, made if missing (default: the\n"
    "                         current folder); -o DIR still works, with a warning: -o is\n"
    "                         a format everywhere else\n"
    "  --output FILE          write the package to FILE\n"
    "  --force                replace an existing package file with other bytes\n"
    "  --env NAME=CERT        (repeatable) one overlay NAME per environment, each sealed\n"
    "                         in memory under its own CERT (a path or https:// URL); the\n"
    "                         FILEs are then plaintext Secret manifests ('-': stdin),\n"
    "                         stored as NAME/sealed-secrets/SET/<secret>-secret.yaml\n"
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
    "  --fail-on SEV      error, warning (default) or info: the findings that fail\n"
    "  -o, --format FMT   text (default), json (sealkit-verify/v1 with a package\n"
    "                     member) or sarif (SARIF 2.1.0), as for 'sealkit verify'\n"
    "\n"
    "install verifies each PACKAGE (as verify does) and installs it into the\n"
    "manifests folder DIR: OVERLAY/sealed-secrets/SET/ per package,\n"
    "OVERLAY/sealed-secrets/kustomization.yaml listing every installed set, and\n"
    "OVERLAY/kustomization.yaml only where DIR has none (a team's own is never touched:\n"
    "add '- sealed-secrets' to its resources once). Refused, with DIR left as it was:\n"
    "two packages carrying the same Secret, a package older than the installed one of\n"
    "its set (unless --force), a file in the way that install did not write. Atomic:\n"
    "a killed install is finished or rolled back by the next (PACKAGE may be omitted).\n"
    "\n"
    "  -C, --directory DIR  the manifests folder (must exist)\n"
    "  --force              install a package older than the one installed\n"
    "\n"
    "diff compares the SealedSecrets of two packages by overlay, namespace/name and\n"
    "item: added, removed, re-encrypted (another ciphertext) and template changes;\n"
    "with --key both sides are opened and each re-encrypted item is 'resealed' (same\n"
    "value) or 'changed'. Never a value. One line per difference on stdout, a summary\n"
    "on stderr; --format json prints {schema: sealkit-package-diff/v1, changes:\n"
    "[{overlay, secret, item?, change}], totals, unopened}. Exit status: 0 nothing\n"
    "added, removed or changed (re-encryption only), 1 otherwise, 2 error.\n"
    "\n"
    "Exit status: package, install: 0 success, 1 failure, 2 usage error, 3 (install)\n"
    "another install holds DIR's lock; package verify:\n"
    "0 clean (no finding at or above --fail-on), 1 findings (an unsafe archive is\n"
    "one), 2 usage error or a file, key, certificate or policy that cannot be read.\n";

typedef struct package_args {
    const char *ns, *set, *overlay, *date, *kustomization, *dir, *output;
    int force;
    cli_list envs; /* NAME=CERT */
} package_args;

enum {
    OPT_SET = 256,
    OPT_OVERLAY,
    OPT_DATE,
    OPT_KUSTOMIZATION,
    OPT_OUTPUT,
    OPT_CERT,
    OPT_KEY,
    OPT_POLICY,
    OPT_OUTPUT_DIR,
    OPT_FORCE,
    OPT_ENV,
    OPT_FAIL_ON
};

static const struct option build_options[] = {
    {"namespace", required_argument, NULL, 'n'},
    {"set", required_argument, NULL, OPT_SET},
    {"overlay", required_argument, NULL, OPT_OVERLAY},
    {"date", required_argument, NULL, OPT_DATE},
    {"kustomization", required_argument, NULL, OPT_KUSTOMIZATION},
    {"output-dir", required_argument, NULL, OPT_OUTPUT_DIR},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"force", no_argument, NULL, OPT_FORCE},
    {"env", required_argument, NULL, OPT_ENV},
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
            if (cli_once("package", "-n/--namespace", &a->ns, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_SET:
            if (cli_once("package", "--set", &a->set, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_OVERLAY:
            if (cli_once("package", "--overlay", &a->overlay, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_DATE:
            if (cli_once("package", "--date", &a->date, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_KUSTOMIZATION:
            if (cli_once("package", "--kustomization", &a->kustomization, optarg) != 0)
                return EXIT_USAGE;
            break;
        case 'o':
            cli_warn("package: -o DIR is deprecated (everywhere else -o is a format): use "
                     "--output-dir %s",
                     optarg);
            if (cli_once("package", "--output-dir", &a->dir, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_OUTPUT_DIR:
            if (cli_once("package", "--output-dir", &a->dir, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_FORCE:
            a->force = 1;
            break;
        case OPT_ENV:
            if (strchr(optarg, '=') == NULL || optarg[0] == '=')
                return cli_usage_error("package", "--env %s: expected NAME=CERT", optarg);
            if (cli_list_push(&a->envs, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_OUTPUT:
            if (cli_once("package", "--output", &a->output, optarg) != 0) return EXIT_USAGE;
            break;
        default:
            return cli_bad_option("package", argc, argv);
        }
    }
    if (a->ns == NULL) return cli_usage_error("package", "no namespace: pass -n NAMESPACE");
    if (a->set == NULL) return cli_usage_error("package", "no set: pass --set SET (e.g. ml)");
    if (a->dir != NULL && a->output != NULL)
        return cli_usage_error("package", "--output-dir DIR and --output FILE exclude each other");
    if (a->envs.n > 0 && (a->overlay || a->kustomization))
        return cli_usage_error("package", "--env names the overlays: drop --overlay and "
                                          "--kustomization");
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

/* --env NAME=CERT...: each overlay sealed, in memory, under its own certificate. */
static int build_envs(const package_args *a, const sk_package_opts *o, const sk_package_input *in,
                      size_t n, sk_secbuf *out, sk_error *err)
{
    sk_package_env *envs = calloc(a->envs.n, sizeof *envs);
    char **names = calloc(a->envs.n, sizeof *names);
    if (envs == NULL || names == NULL) {
        free(envs);
        free(names);
        sk_error_set(err, SK_ENOMEM, "out of memory");
        return SK_ENOMEM;
    }
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < a->envs.n; i++) {
        const char *eq = strchr(a->envs.v[i], '=');
        names[i] = strndup(a->envs.v[i], (size_t)(eq - a->envs.v[i]));
        sk_pubkey *pk = NULL;
        rc = names[i] ? sk_fetch_pubkey(eq + 1, cli_now(), &pk, err)
                      : sk_error_set(err, SK_ENOMEM, "out of memory");
        envs[i] = (sk_package_env){names[i], pk};
    }
    if (rc == SK_OK) rc = sk_package_build_envs(o, envs, a->envs.n, in, n, out, err);
    for (size_t i = 0; i < a->envs.n; i++) {
        sk_pubkey_free((sk_pubkey *)envs[i].cert);
        free(names[i]);
    }
    free(envs);
    free(names);
    return rc;
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
    int same = 0;
    int rc = package_time(a, &o.mtime, err);
    if (rc == SK_OK) rc = sk_package_filename(&o, name, sizeof name, err);
    if (rc == SK_OK && a->kustomization != NULL)
        rc = sk_read_file(a->kustomization, SK_PACKAGE_MAX_ENTRY, &kz, err);
    o.kustomization = kz.data;
    o.kustomization_len = kz.len;
    if (rc == SK_OK) rc = read_inputs(n, paths, &in, &bufs, err);
    if (rc == SK_OK && a->envs.n > 0) rc = build_envs(a, &o, in, (size_t)n, &out, err);
    if (rc == SK_OK && a->envs.n == 0) rc = sk_package_build(&o, in, (size_t)n, &out, err);
    if (rc == SK_OK) {
        if (a->output != NULL)
            snprintf(path, sizeof path, "%s", a->output);
        else
            snprintf(path, sizeof path, "%s/%s", a->dir ? a->dir : ".", name);
        rc = sk_package_save(path, out.data, out.len, a->force, &same, err);
    }
    if (rc == SK_OK && same) cli_say("%s: already holds this package", path);
    if (rc == SK_OK) {
        cli_fputs_clean(path, stdout);
        putchar('\n');
    }
    free_inputs(in, bufs, in ? (size_t)n : 0);
    sk_secbuf_free(&kz);
    sk_secbuf_free(&out);
    return rc;
}

/* ---- verify ---- */

typedef struct verify_args {
    const char *pkg, *cert, *policy, *format_given, *fail_on_given;
    cli_list keys;
    int format;
    sk_severity fail_on;
} verify_args;

static const struct option verify_options[] = {{"cert", required_argument, NULL, OPT_CERT},
                                               {"key", required_argument, NULL, OPT_KEY},
                                               {"policy", required_argument, NULL, OPT_POLICY},
                                               {"fail-on", required_argument, NULL, OPT_FAIL_ON},
                                               {"format", required_argument, NULL, 'o'},
                                               {"help", no_argument, NULL, 'h'},
                                               {NULL, 0, NULL, 0}};

static int parse_verify_flags(int argc, char **argv, verify_args *a)
{
    int c;
    optind = 1;
    a->fail_on = SK_SEVERITY_WARNING;
    while ((c = getopt_long(argc, argv, "ho:", verify_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case OPT_CERT:
            if (cli_once("package", "--cert", &a->cert, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_KEY:
            if (cli_list_add_csv(&a->keys, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_POLICY:
            if (cli_once("package", "--policy", &a->policy, optarg) != 0) return EXIT_USAGE;
            break;
        case OPT_FAIL_ON:
            if (cli_once("package", "--fail-on", &a->fail_on_given, optarg) != 0 ||
                cli_parse_fail_on("package", optarg, &a->fail_on) != 0)
                return EXIT_USAGE;
            break;
        case 'o':
            if (cli_once("package", "-o/--format", &a->format_given, optarg) != 0 ||
                cli_parse_report_format("package", optarg, &a->format) != 0)
                return EXIT_USAGE;
            break;
        default:
            return cli_bad_option("package", argc, argv);
        }
    }
    if (a->cert == NULL) a->cert = cli_env("cert");
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
    int rc = a->cert != NULL ? cli_read_audit_cert(a->cert, &c->cert, err) : SK_OK;
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

static int report_text(const verify_args *a, const sk_findings *f, const sk_package_summary *s,
                       sk_error *err)
{
    int rc = cli_print_findings(f, err);
    fflush(stdout);
    if (rc != SK_OK) return rc;
    size_t opened = 0, e = sk_findings_count(f, SK_SEVERITY_ERROR);
    size_t w = sk_findings_count(f, SK_SEVERITY_WARNING) - e;
    for (size_t i = 0; i < f->n_items; i++)
        opened += f->items[i].opens == 1;
    if (s == NULL) {
        cli_say("%s: refused; nothing in it was checked", a->pkg);
        return SK_OK;
    }
    cli_say("%s: %zu overlays, %zu files, %zu SealedSecrets, %zu items (%zu opened): %zu errors, "
            "%zu warnings, %zu info",
            a->pkg, s->overlays, s->sealed_files, s->sealed_secrets, f->n_items, opened, e, w,
            f->n - e - w);
    return SK_OK;
}

/* The verify report with a "package" member: what was read, or that the archive was refused. */
static int report_json(const verify_args *a, const sk_findings *f, const sk_package_summary *s,
                       sk_error *err)
{
    json_t *pkg = json_pack("{s:s,s:b,s:I}", "path", a->pkg, "refused", s == NULL, "overlays",
                            (json_int_t)(s ? s->overlays : 0));
    if (pkg == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    int rc = cli_report_json(f, s ? s->sealed_files : 0, s ? s->sealed_secrets : 0, pkg, err);
    json_decref(pkg);
    return rc;
}

/* s is NULL when the archive was refused before anything in it was read. */
static int report(const verify_args *a, const sk_findings *f, const sk_package_summary *s,
                  sk_error *err)
{
    if (a->format == CLI_REPORT_JSON) return report_json(a, f, s, err);
    if (a->format == CLI_REPORT_SARIF) return cli_report_sarif(f, err);
    return report_text(a, f, s, err);
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
    if (rc == SK_OK && c->cert != NULL) {
        char source[1024];
        cli_shown_source(a->cert, source, sizeof source);
        rc = sk_verify_cert_findings(c->cert, source, cli_now(), 0, &f, &err);
    }
    if (rc == SK_OK && c->policy != NULL) rc = sk_policy_check(c->policy, &f, &err);
    if (rc == SK_OK) rc = report(a, &f, &sum, &err);
    int st = rc != SK_OK                             ? error_exit(&err)
             : sk_findings_count(&f, a->fail_on) > 0 ? EXIT_FAIL
                                                     : EXIT_OK;
    sk_findings_free(&f);
    return st;
}

/* An archive sk_package_read refuses is one error finding; whatever the format, it fails. */
static int refused(const verify_args *a, int why_rc, const sk_error *why)
{
    char msg[SK_ERROR_MSG_MAX + SK_ERROR_SOURCE_MAX + 96];
    sk_error_format(why, msg, sizeof msg); /* its source is the member of the package */
    sk_findings f;
    sk_findings_init(&f);
    sk_error err = {0};
    sk_where w = {a->pkg, 0, 0, NULL};
    int rc = sk_findings_add(&f, &w, SK_SEVERITY_ERROR, read_code(why_rc), NULL, &err, "%s", msg);
    if (rc == SK_OK) rc = report(a, &f, NULL, &err);
    sk_findings_free(&f);
    return rc == SK_OK ? EXIT_FAIL : error_exit(&err);
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
        return refused(a, rc, &err);
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

/* ---- install ---- */

typedef struct install_args {
    verify_args v; /* cert and keys; pkg unused */
    const char *dir;
    int force;
    char **pkgs;
    int n;
} install_args;

static const struct option install_options[] = {{"directory", required_argument, NULL, 'C'},
                                                {"cert", required_argument, NULL, OPT_CERT},
                                                {"key", required_argument, NULL, OPT_KEY},
                                                {"force", no_argument, NULL, OPT_FORCE},
                                                {"help", no_argument, NULL, 'h'},
                                                {NULL, 0, NULL, 0}};

static int parse_install_flags(int argc, char **argv, install_args *a)
{
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hC:", install_options, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        int bad = 0;
        if (c == 'C')
            bad = cli_once("package", "-C/--directory", &a->dir, optarg);
        else if (c == OPT_CERT)
            bad = cli_once("package", "--cert", &a->v.cert, optarg);
        else if (c == OPT_KEY)
            bad = cli_list_add_csv(&a->v.keys, optarg);
        else if (c == OPT_FORCE)
            a->force = 1;
        else
            return cli_bad_option("package", argc, argv);
        if (bad != 0) return EXIT_USAGE;
    }
    if (a->v.cert == NULL) a->v.cert = cli_env("cert");
    if (a->v.cert != NULL && *a->v.cert == '\0') a->v.cert = NULL;
    if (a->dir == NULL)
        return cli_usage_error("package", "install: no manifests folder: pass -C DIR");
    a->pkgs = argv + optind;
    a->n = argc - optind;
    return 0;
}

static void install_summary(const install_args *a, const sk_install_report *r)
{
    /* cli_say: the folder is named by the caller, the overlay in unlisted by a package. */
    if (r->recovered)
        cli_say("%s: an interrupted install was %s", a->dir,
                r->recovered == 1 ? "finished" : "rolled back");
    cli_say("%s: %zu sets installed, %zu replaced, %zu unchanged", a->dir, r->installed,
            r->replaced, r->unchanged);
    if (r->removed)
        cli_say("%s: %zu sets removed from overlays their new package lacks", a->dir, r->removed);
    if (r->unlisted[0])
        cli_say("note: %s/%s is your own and does not list sealed-secrets: add "
                "'- sealed-secrets' to its resources (once) to deploy the packages with it",
                a->dir, r->unlisted);
}

static int read_packages(const install_args *a, sk_secbuf *bufs, sk_install_input *in,
                         sk_error *err)
{
    for (int i = 0; i < a->n; i++) {
        int rc = sk_read_file(a->pkgs[i], SK_MAX_INPUT, &bufs[i], err);
        if (rc != SK_OK) return rc;
        in[i] = (sk_install_input){a->pkgs[i], bufs[i].data, bufs[i].len};
    }
    return SK_OK;
}

static int install(const install_args *a, verify_ctx *c)
{
    sk_error err = {0};
    sk_findings f;
    sk_findings_init(&f);
    sk_install_report rep = SK_INSTALL_REPORT_INIT;
    sk_install_opts o = SK_INSTALL_OPTS_INIT;
    sk_secbuf *bufs = calloc((size_t)a->n + 1, sizeof *bufs);
    sk_install_input *in = calloc((size_t)a->n + 1, sizeof *in);
    int rc = bufs && in ? load(&a->v, c, &err) : sk_error_set(&err, SK_ENOMEM, "out of memory");
    sk_verify_opts vo = {SK_VERIFY_OPTS_VERSION, c->cert, c->keys, cli_newest_key(c->keys)};
    o.verify = &vo;
    o.force = a->force;
    if (rc == SK_OK) rc = read_packages(a, bufs, in, &err);
    if (rc == SK_OK) rc = sk_package_install(a->dir, in, (size_t)a->n, &o, &f, &rep, &err);
    for (size_t i = 0; rc != SK_OK && i < f.n; i++)
        if (f.v[i].severity == SK_SEVERITY_ERROR) cli_print_finding(&f.v[i]);
    for (int i = 0; bufs && i < a->n; i++)
        sk_secbuf_free(&bufs[i]);
    free(bufs);
    free(in);
    sk_findings_free(&f);
    if (rc == SK_OK) install_summary(a, &rep);
    if (rc == SK_EBUSY) return cli_fail(&err), EXIT_LOCKED;
    return rc == SK_OK ? EXIT_OK : cli_fail(&err);
}

static int cmd_package_install(int argc, char **argv)
{
    install_args a = {0};
    verify_ctx c = {0};
    int rc = parse_install_flags(argc, argv, &a);
    if (rc == 0) rc = install(&a, &c);
    sk_pubkey_free(c.cert);
    sk_keyring_free(c.keys);
    cli_list_free(&a.v.keys);
    return rc < 0 ? EXIT_OK : rc;
}

/* ---- diff ---- */

typedef struct diff_args {
    verify_args v; /* keys; pkg unused */
    const char *old, *new_;
    int json;
} diff_args;

static const struct option diff_options[] = {{"key", required_argument, NULL, OPT_KEY},
                                             {"format", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};

static int parse_diff_flags(int argc, char **argv, diff_args *a)
{
    const char *format = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", diff_options, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if (c == OPT_KEY) {
            if (cli_list_add_csv(&a->v.keys, optarg) != 0) return EXIT_USAGE;
        } else if (c == 'o' && cli_once("package", "-o/--format", &format, optarg) != 0) {
            return EXIT_USAGE;
        } else if (c == 'o' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "text") == 0)) {
            a->json = strcmp(optarg, "json") == 0;
        } else if (c == 'o') {
            return cli_usage_error("package", "diff: --format is text or json");
        } else {
            return cli_bad_option("package", argc, argv);
        }
    }
    if (optind + 2 != argc)
        return cli_usage_error("package", "package diff takes two PACKAGE files: OLD NEW");
    a->old = argv[optind];
    a->new_ = argv[optind + 1];
    return 0;
}

static int read_package(const char *path, sk_package *p, sk_error *err)
{
    sk_secbuf buf = SK_SECBUF_INIT;
    int rc = sk_read_file(path, SK_MAX_INPUT, &buf, err);
    if (rc == SK_OK) rc = sk_package_read(buf.data, buf.len, p, err);
    if (rc != SK_OK && rc != SK_ENOMEM) sk_error_at_source(err, rc, path);
    sk_secbuf_free(&buf);
    return rc;
}

static void diff_text(const sk_package_changes *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const sk_diff_entry *x = &d->v[i];
        if (x->kind == SK_DIFF_UNCHANGED) continue;
        /* Overlay, Secret and item names come from the packages: never a raw control byte. */
        cli_fputs_clean(x->overlay, stdout);
        putchar(' ');
        cli_fputs_clean(x->secret, stdout);
        if (x->item != NULL) {
            putchar(' ');
            cli_fputs_clean(x->item, stdout);
        }
        printf(": %s\n", sk_diff_kind_name(x->kind));
    }
    fflush(stdout);
    const size_t *c = d->counts;
    fprintf(stderr,
            "sealkit: %zu added, %zu removed, %zu changed, %zu resealed (same value), %zu "
            "re-encrypted (value not compared), %zu template, %zu unchanged\n",
            c[SK_DIFF_ADDED], c[SK_DIFF_REMOVED], c[SK_DIFF_CHANGED], c[SK_DIFF_RESEALED],
            c[SK_DIFF_REENCRYPTED], c[SK_DIFF_TEMPLATE], c[SK_DIFF_UNCHANGED]);
    if (d->unopened > 0)
        cli_warn("%zu Secrets did not open with the keys given: their values were not compared",
                 d->unopened);
}

static json_t *diff_json(const diff_args *a, const sk_package_changes *d)
{
    json_t *changes = json_array(), *totals = json_object();
    for (size_t i = 0; changes && i < d->n; i++) {
        const sk_diff_entry *x = &d->v[i];
        json_array_append_new(changes, json_pack("{s:s, s:s, s:s?, s:s}", "overlay", x->overlay,
                                                 "secret", x->secret, "item", x->item, "change",
                                                 sk_diff_kind_name(x->kind)));
    }
    for (int k = 0; totals && k < SK_DIFF_KINDS; k++)
        json_object_set_new(totals, sk_diff_kind_name((sk_diff_kind)k),
                            json_integer((json_int_t)d->counts[k]));
    return json_pack("{s:s, s:s, s:s, s:o*, s:o*, s:I}", "schema", "sealkit-package-diff/v1", "old",
                     a->old, "new", a->new_, "changes", changes, "totals", totals, "unopened",
                     (json_int_t)d->unopened);
}

static int diff_report(const diff_args *a, const sk_package_changes *d)
{
    if (a->json) {
        sk_error err = {0};
        if (cli_print_json(diff_json(a, d), 0, &err) != SK_OK) return error_exit(&err);
    } else {
        diff_text(d);
    }
    const size_t *c = d->counts;
    return c[SK_DIFF_ADDED] + c[SK_DIFF_REMOVED] + c[SK_DIFF_CHANGED] + c[SK_DIFF_TEMPLATE] > 0
               ? EXIT_FAIL
               : EXIT_OK;
}

static int diff(const diff_args *a, verify_ctx *c)
{
    sk_error err = {0};
    sk_package old = {0}, nw = {0};
    sk_package_changes d = SK_PACKAGE_CHANGES_INIT;
    int rc = load(&a->v, c, &err);
    if (rc == SK_OK) rc = read_package(a->old, &old, &err);
    if (rc == SK_OK) rc = read_package(a->new_, &nw, &err);
    if (rc == SK_OK) rc = sk_package_diff(&old, &nw, c->keys, &d, &err);
    int st = rc == SK_OK ? diff_report(a, &d) : error_exit(&err);
    sk_package_changes_free(&d);
    sk_package_free(&old);
    sk_package_free(&nw);
    return st;
}

static int cmd_package_diff(int argc, char **argv)
{
    diff_args a = {0};
    verify_ctx c = {0};
    int rc = parse_diff_flags(argc, argv, &a);
    if (rc == 0) rc = diff(&a, &c);
    sk_keyring_free(c.keys);
    cli_list_free(&a.v.keys);
    return rc < 0 ? EXIT_OK : rc;
}

int cmd_package(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "verify") == 0) return cmd_package_verify(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "diff") == 0) return cmd_package_diff(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "install") == 0) return cmd_package_install(argc - 1, argv + 1);
    package_args a = {0};
    int rc = parse_build_flags(argc, argv, &a);
    sk_error err = {0};
    if (rc == 0)
        rc = build(&a, argc - optind, argv + optind, &err) == SK_OK ? EXIT_OK : cli_fail(&err);
    cli_list_free(&a.envs);
    return rc < 0 ? EXIT_OK : rc;
}
