/* sealkit reseal: re-seal SealedSecrets under a new certificate, offline, in place. */
#include "cli.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "Usage: sealkit reseal --cert NEW.crt --key OLD [--key ...] [OPTIONS] [PATH...]\n"
    "\n"
    "Open every SealedSecret item with the given private keys and seal it again under\n"
    "NEW.crt with a fresh session key and the same scope. Files and folders (*.yaml,\n"
    "*.yml, *.json) are rewritten atomically in place; only the sealed values change.\n"
    "Items a given key with NEW's fingerprint already opens are left byte for byte.\n"
    "Without PATH, reads SealedSecrets on stdin and writes them to stdout.\n"
    "\n"
    "  --cert FILE        the new controller certificate [SEALED_SECRETS_CERT]\n"
    "  --key FILE[,FILE]  private keys (as for 'sealkit unseal'); include NEW's key so\n"
    "                     that items already under it are recognised\n"
    "  --check            write nothing; exit 1 when anything would change\n"
    "  --dry-run          write nothing; list the files that would change\n"
    "  -h, --help         show this help\n"
    "\n"
    "A file that fails is left untouched and reported; the others proceed.\n"
    "Exit status: 0 success, 1 failure (or changes found with --check), 2 usage error.\n";

typedef struct reseal_args {
    const char *cert;
    cli_list keys;
    int check, dry_run;
} reseal_args;

typedef struct totals {
    size_t files, changed, failed;
    sk_reseal_counts items;
} totals;

enum { OPT_CERT = 256, OPT_KEY, OPT_CHECK, OPT_DRY_RUN };

static const struct option options[] = {
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"recovery-private-key", required_argument, NULL, OPT_KEY},
    {"check", no_argument, NULL, OPT_CHECK},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int parse_flags(int argc, char **argv, reseal_args *a)
{
    a->cert = cli_env("cert");
    const char *env = cli_env("recovery-private-key");
    if (env != NULL && cli_list_add_csv(&a->keys, env) != 0) return EXIT_FAIL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return -1;
        case OPT_CERT: a->cert = optarg; break;
        case OPT_KEY:
            if (cli_list_add_csv(&a->keys, optarg) != 0) return EXIT_FAIL;
            break;
        case OPT_CHECK: a->check = 1; break;
        case OPT_DRY_RUN: a->dry_run = 1; break;
        default: return cli_usage_error("reseal", "invalid option");
        }
    }
    if (a->cert == NULL) return cli_usage_error("reseal", "no certificate: pass --cert NEW.crt");
    if (a->keys.n == 0) return cli_usage_error("reseal", "no private key: pass --key OLD.key");
    return 0;
}

static void add_counts(sk_reseal_counts *sum, const sk_reseal_counts *c)
{
    sum->sealed_secrets += c->sealed_secrets;
    sum->resealed += c->resealed;
    sum->unchanged += c->unchanged;
}

static int reseal_file(const reseal_args *a, const char *path, sk_keyring *kr, const sk_pubkey *pk,
                       totals *t)
{
    sk_error err = {0};
    sk_secbuf in = SK_SECBUF_INIT, out = SK_SECBUF_INIT;
    sk_reseal_counts c = {0};
    struct stat st;
    int rc = sk_read_file(path, SK_MAX_INPUT, &in, &err);
    if (rc == SK_OK) rc = sk_reseal_text(in.data, in.len, path, kr, pk, NULL, &out, &c, &err);
    if (rc == SK_OK && c.resealed > 0 && !a->check && !a->dry_run) {
        if (stat(path, &st) != 0) st.st_mode = 0644;
        rc = sk_write_atomic(path, out.data, out.len, st.st_mode & 07777, &err);
    }
    sk_secbuf_free(&in);
    sk_secbuf_free(&out);
    t->files++;
    if (rc != SK_OK) {
        t->failed++;
        cli_fail(&err);
        return rc;
    }
    add_counts(&t->items, &c);
    if (c.resealed > 0) {
        t->changed++;
        if (a->dry_run || a->check) printf("would reseal %s (%zu items)\n", path, c.resealed);
    }
    return SK_OK;
}

static int wanted(const char *name)
{
    size_t n = strlen(name);
    const char *exts[] = {".yaml", ".yml", ".json"};
    for (size_t i = 0; i < 3; i++) {
        size_t m = strlen(exts[i]);
        if (n > m && strcmp(name + n - m, exts[i]) == 0) return 1;
    }
    return 0;
}

static void walk(const reseal_args *a, const char *path, sk_keyring *kr, const sk_pubkey *pk,
                 totals *t, int top)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        sk_error err;
        sk_error_set(&err, SK_EIO, "cannot open %s", path);
        t->failed++;
        cli_fail(&err);
        return;
    }
    if (S_ISREG(st.st_mode) && (top || wanted(path))) {
        reseal_file(a, path, kr, pk, t);
        return;
    }
    if (!S_ISDIR(st.st_mode)) return; /* links and devices are never followed */
    struct dirent **list = NULL;
    int n = scandir(path, &list, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        if (list[i]->d_name[0] != '.') {
            char child[4096];
            snprintf(child, sizeof child, "%s/%s", path, list[i]->d_name);
            walk(a, child, kr, pk, t, 0);
        }
        free(list[i]);
    }
    free(list);
}

static int reseal_stdin(sk_keyring *kr, const sk_pubkey *pk)
{
    sk_error err = {0};
    sk_secbuf in = SK_SECBUF_INIT, out = SK_SECBUF_INIT;
    sk_reseal_counts c = {0};
    int rc = sk_read_file("-", SK_MAX_INPUT, &in, &err);
    if (rc == SK_OK) rc = sk_reseal_text(in.data, in.len, "<stdin>", kr, pk, NULL, &out, &c, &err);
    if (rc == SK_OK) rc = cli_output(NULL, &out, 0, &err);
    sk_secbuf_free(&in);
    sk_secbuf_free(&out);
    return rc == SK_OK ? EXIT_OK : cli_fail(&err);
}

static int run(const reseal_args *a, int npaths, char **paths)
{
    sk_error err = {0};
    sk_keyring *kr = NULL;
    sk_pubkey *pk = NULL;
    if (sk_pubkey_from_file(a->cert, time(NULL), &pk, &err) != SK_OK ||
        load_private_keys(&a->keys, &kr, &err) != SK_OK) {
        sk_pubkey_free(pk);
        sk_keyring_free(kr);
        return cli_fail(&err);
    }
    int rc = EXIT_OK;
    if (npaths == 0) {
        rc = reseal_stdin(kr, pk);
    } else {
        totals t = {0};
        for (int i = 0; i < npaths; i++) walk(a, paths[i], kr, pk, &t, 1);
        fprintf(stderr, "sealkit: %zu files, %zu SealedSecrets, %zu items resealed, %zu unchanged, "
                "%zu files changed, %zu failed\n", t.files, t.items.sealed_secrets, t.items.resealed,
                t.items.unchanged, t.changed, t.failed);
        rc = t.failed > 0 || (a->check && t.changed > 0) ? EXIT_FAIL : EXIT_OK;
    }
    sk_pubkey_free(pk);
    sk_keyring_free(kr);
    return rc;
}

int cmd_reseal(int argc, char **argv)
{
    reseal_args a = {0};
    int rc = parse_flags(argc, argv, &a);
    if (rc == 0) rc = run(&a, argc - optind, argv + optind);
    cli_list_free(&a.keys);
    return rc < 0 ? EXIT_OK : rc;
}
