/* sealkit: entry point. Hardens the process, then dispatches a subcommand. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

static const char usage[] =
    "Usage: sealkit COMMAND [OPTIONS]\n"
    "\n"
    "Offline toolkit for Bitnami Sealed Secrets.\n"
    "\n"
    "Commands:\n"
    "  seal      seal Secrets under the controller's certificate (kubeseal-compatible)\n"
    "  unseal    open SealedSecrets with the controller's private keys\n"
    "  reseal    re-seal SealedSecrets under a new certificate, in place\n"
    "  verify    audit SealedSecret files (with or without keys) without printing a value\n"
    "  cert      show certificates (file, TLS Secret, key backup); warn before expiry\n"
    "  keygen    make a controller key pair and its kube-system TLS Secret\n"
    "  keys      keys list: inventory of private keys in files, backups and folders\n"
    "  create    build a Secret like kubectl (generic, docker-registry), sealed with --seal\n"
    "  rotate    scheduled job: new controller key when the newest is too old, then reseal\n"
    "  package   build a reproducible tar.gz kustomize overlay of SealedSecrets; verify one\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help\n"
    "  --version      show the version\n"
    "\n"
    "Environment: SEALKIT_NOW=TIME (RFC 3339 or @SECONDS) pins the clock used for\n"
    "certificate validity and key dates.\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n"
    "Run 'sealkit COMMAND --help' for a command's options.\n";

/* Plaintext must never reach a core file or another process's ptrace. */
static void harden(void)
{
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
    harden();
    if (sk_init() != SK_OK) {
        fputs("sealkit: error: cannot initialise libsodium\n", stderr);
        return EXIT_FAIL;
    }
    /* Before any jansson value exists: manifests and sealed trees hold secrets as base64. */
    sk_json_wipe_on_free();
    sk_error err = {0};
    if (cli_clock_init(&err) != SK_OK) {
        fprintf(stderr, "sealkit: error: SEALKIT_NOW: %s\n", err.msg);
        return EXIT_USAGE;
    }
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("sealkit version: %s\n", sk_version());
        return EXIT_OK;
    }
    if (strcmp(cmd, "seal") == 0) return cmd_seal(argc - 1, argv + 1);
    if (strcmp(cmd, "unseal") == 0) return cmd_unseal(argc - 1, argv + 1);
    if (strcmp(cmd, "reseal") == 0) return cmd_reseal(argc - 1, argv + 1);
    if (strcmp(cmd, "verify") == 0) return cmd_verify(argc - 1, argv + 1);
    if (strcmp(cmd, "cert") == 0) return cmd_cert(argc - 1, argv + 1);
    if (strcmp(cmd, "keygen") == 0) return cmd_keygen(argc - 1, argv + 1);
    if (strcmp(cmd, "keys") == 0) return cmd_keys(argc - 1, argv + 1);
    if (strcmp(cmd, "create") == 0) return cmd_create(argc - 1, argv + 1);
    if (strcmp(cmd, "rotate") == 0) return cmd_rotate(argc - 1, argv + 1);
    if (strcmp(cmd, "package") == 0) return cmd_package(argc - 1, argv + 1);
    fprintf(stderr, "sealkit: error: unknown command \"%s\"\n%s", cmd, usage);
    return EXIT_USAGE;
}
