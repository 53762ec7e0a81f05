/* sealkit: entry point. Hardens the process, then dispatches a subcommand. */
#include "cli.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

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
    "  package   build, verify, install or compare tar.gz kustomize packages of SealedSecrets\n"
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

/*
 * A descriptor 0, 1 or 2 that the caller closed (2>&-) would be the next file sealkit opens:
 * its messages would then land in a lock file or an output. /dev/null takes each such place.
 * Without /dev/null there is no safe way on: better to stop before opening anything.
 */
static int hold_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1) continue;
        int nul = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (nul != fd) return -1;
    }
    return 0;
}

/* An interrupted write must not leave its temporary file (maybe plaintext) behind. */
static void on_signal(int sig)
{
    sk_io_remove_in_flight();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void remove_temps_on_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        /* A signal the caller ignores (nohup, a shell's background job) stays ignored. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

int main(int argc, char **argv)
{
    if (hold_std_fds() != 0) return EXIT_FAIL;
    harden();
    remove_temps_on_signals();
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
