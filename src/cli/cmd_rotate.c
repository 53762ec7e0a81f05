/*
 * sealkit rotate: the scheduled job. Makes a new controller key when the
 * newest one in the key folder is too old, then reseals the repository under
 * it. State lives in the folder:
 *   sealed-secrets-key-<UTC time>.yaml   each key as the controller's TLS Secret (0600)
 *   sealed-secrets-key-<UTC time>.crt    its certificate (0644)
 *   .sealkit-rotate.lock                 held (flock) while a run is in progress
 *   .sealkit-rotate-done                 fingerprint of the key the paths were last resealed to
 * A run that dies leaves the done-file behind the newest key, so the next run
 * finishes the reseal before anything else.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sealkit/keygen.h>
#include <sealkit/timefmt.h>

enum { EXIT_LOCKED = 3 };

static const char usage[] =
    "Usage: sealkit rotate --keys DIR --max-age AGE [OPTIONS] PATH...\n"
    "\n"
    "The scheduled key rotation. If the newest key in DIR is younger than AGE, do nothing.\n"
    "Otherwise make a new controller key in DIR (sealed-secrets-key-<time>.yaml, the TLS\n"
    "Secret to 'kubectl apply' in the controller's namespace, and its .crt) and reseal\n"
    "every SealedSecret under PATH with it, in place. A run that was interrupted is\n"
    "finished by the next one. Apply the new key Secret to the cluster and restart the\n"
    "controller before you deploy the resealed SealedSecrets.\n"
    "\n"
    "  --keys DIR          folder of controller keys (created 0700 if missing)\n"
    "  --max-age AGE       e.g. 30d, 720h (as the controller's --key-renew-period)\n"
    "  --bits N            size of a new key: 2048, 3072 or 4096 (default)\n"
    "  --cn NAME           certificate CN of a new key (default sealed-secret)\n"
    "  --valid-for AGE     certificate validity of a new key (default 3650d)\n"
    "  --namespace NS      namespace of the key Secret (default kube-system)\n"
    "  -j, --jobs N        reseal worker processes (default: twice the number of cores)\n"
    "  --now TIME          pretend the time is TIME (RFC 3339 or @SECONDS), for tests\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 nothing to do or rotated, 1 failure (run again to finish),\n"
    "2 usage error, 3 another rotate holds the folder's lock.\n";

typedef struct rotate_args {
    const char *dir, *cn, *ns;
    int64_t max_age, valid_for, now;
    int bits;
    long jobs;
} rotate_args;

enum { OPT_KEYS = 256, OPT_MAX_AGE, OPT_BITS, OPT_CN, OPT_VALID_FOR, OPT_NAMESPACE, OPT_NOW };

static const struct option options[] = {{"keys", required_argument, NULL, OPT_KEYS},
                                        {"max-age", required_argument, NULL, OPT_MAX_AGE},
                                        {"bits", required_argument, NULL, OPT_BITS},
                                        {"cn", required_argument, NULL, OPT_CN},
                                        {"valid-for", required_argument, NULL, OPT_VALID_FOR},
                                        {"namespace", required_argument, NULL, OPT_NAMESPACE},
                                        {"jobs", required_argument, NULL, 'j'},
                                        {"now", required_argument, NULL, OPT_NOW},
                                        {"help", no_argument, NULL, 'h'},
                                        {NULL, 0, NULL, 0}};

static int bad(const char *what, const sk_error *err)
{
    return cli_usage_error("rotate", "%s: %s", what, err->msg);
}

static int parse_flags(int argc, char **argv, rotate_args *a)
{
    sk_error err = {0};
    int c;
    *a = (rotate_args){.cn = SK_KEYGEN_DEFAULT_CN,
                       .ns = SK_KEYGEN_DEFAULT_NAMESPACE,
                       .valid_for = 3650LL * 86400,
                       .now = (int64_t)cli_now(),
                       .bits = SK_KEYGEN_DEFAULT_BITS,
                       .jobs = 2 * sysconf(_SC_NPROCESSORS_ONLN)};
    optind = 1;
    while ((c = getopt_long(argc, argv, "hj:", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return -1;
        case OPT_KEYS:
            a->dir = optarg;
            break;
        case OPT_MAX_AGE:
            if (sk_duration_parse(optarg, &a->max_age, &err) != SK_OK)
                return bad("--max-age", &err);
            break;
        case OPT_BITS:
            a->bits = (int)strtol(optarg, NULL, 10);
            break;
        case OPT_CN:
            a->cn = optarg;
            break;
        case OPT_VALID_FOR:
            if (sk_duration_parse(optarg, &a->valid_for, &err) != SK_OK)
                return bad("--valid-for", &err);
            break;
        case OPT_NAMESPACE:
            a->ns = optarg;
            break;
        case 'j':
            a->jobs = strtol(optarg, NULL, 10);
            break;
        case OPT_NOW:
            if (sk_time_parse(optarg, &a->now, &err) != SK_OK) return bad("--now", &err);
            break;
        default:
            return cli_usage_error("rotate", "invalid option");
        }
    }
    if (a->dir == NULL) return cli_usage_error("rotate", "no key folder: pass --keys DIR");
    if (a->max_age <= 0)
        return cli_usage_error("rotate", "no --max-age: say how old a key may get");
    if (a->bits != 2048 && a->bits != 3072 && a->bits != 4096)
        return cli_usage_error("rotate", "--bits must be 2048, 3072 or 4096");
    if (a->jobs < 1 || a->jobs > 256)
        return cli_usage_error("rotate", "-j needs a number from 1 to 256");
    if (optind >= argc) return cli_usage_error("rotate", "no PATH to reseal");
    return 0;
}

/* Holds DIR's lock for the life of the process; the kernel drops it if we die. */
static int take_lock(const char *dir, sk_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/.sealkit-rotate.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return sk_error_set(err, SK_EIO, "cannot open %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return SK_OK;
    close(fd);
    return sk_error_set(err, SK_EIO, "%s is held: another sealkit rotate is running", path);
}

static void done_path(const char *dir, char *out, size_t n)
{
    snprintf(out, n, "%s/.sealkit-rotate-done", dir);
}

static int already_done(const char *dir, const char *fingerprint)
{
    char path[4096], buf[SK_FINGERPRINT_MAX + 2] = {0};
    done_path(dir, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return n > 0 && strcmp(buf, fingerprint) == 0;
}

static int mark_done(const char *dir, const char *fingerprint, sk_error *err)
{
    char path[4096], line[SK_FINGERPRINT_MAX + 2];
    done_path(dir, path, sizeof path);
    int n = snprintf(line, sizeof line, "%s\n", fingerprint);
    return sk_write_atomic(path, line, (size_t)n, 0644, err);
}

/* Writes the new key's Secret (0600) and certificate (0644); neither ever replaces a file. */
static int write_new_key(const rotate_args *a, sk_error *err)
{
    sk_keypair *kp = NULL;
    json_t *secret = NULL;
    sk_secbuf yaml = SK_SECBUF_INIT, crt = SK_SECBUF_INIT;
    char stamp[32], base[4200], path[4300];
    struct tm tm;
    time_t t = (time_t)a->now;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(base, sizeof base, "%s/sealed-secrets-key-%s", a->dir, stamp);
    int rc = sk_keygen(a->bits, a->cn, a->now, a->valid_for, &kp, err);
    if (rc == SK_OK) rc = sk_keygen_tls_secret(kp, a->ns, NULL, &secret, err);
    if (rc == SK_OK) rc = sk_emit_yaml(secret, &yaml, err);
    if (rc == SK_OK) rc = sk_keypair_cert_pem(kp, &crt, err);
    snprintf(path, sizeof path, "%s.yaml", base);
    if (rc == SK_OK) rc = sk_write_new(path, yaml.data, yaml.len, 0600, err);
    if (rc == SK_OK)
        fprintf(stderr,
                "sealkit: new key %s (%s); apply it to the cluster and restart "
                "the controller\n",
                path, sk_keypair_fingerprint(kp));
    snprintf(path, sizeof path, "%s.crt", base);
    if (rc == SK_OK) rc = sk_write_new(path, crt.data, crt.len, 0644, err);
    json_decref(secret);
    sk_secbuf_free(&yaml);
    sk_secbuf_free(&crt);
    sk_keypair_free(kp);
    return rc;
}

static int load_folder(const char *dir, sk_keyring **kr, size_t *newest, sk_error *err)
{
    cli_list paths = {0};
    int rc =
        cli_list_push(&paths, dir) == 0 ? SK_OK : sk_error_set(err, SK_ENOMEM, "out of memory");
    if (rc == SK_OK) rc = load_private_keys(&paths, kr, err);
    cli_list_free(&paths);
    if (rc != SK_OK) return rc;
    if (sk_keyring_newest(*kr, SK_KEY_ORDER_CERT_NOT_BEFORE, newest, err) != SK_OK)
        return sk_error_at_source(err, SK_EINVAL, dir);
    return SK_OK;
}

/* An empty folder is the first run; anything in it must load as keys. */
static int has_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    while (d != NULL && !found && (e = readdir(d)) != NULL)
        found = e->d_name[0] != '.';
    if (d != NULL) closedir(d);
    return found;
}

static int rotate(const rotate_args *a, int npaths, char **paths)
{
    sk_error err = {0};
    sk_keyring *kr = NULL;
    sk_pubkey *target = NULL;
    size_t newest = 0;
    if (a->dir == NULL) return EXIT_USAGE;
    if (mkdir(a->dir, 0700) != 0 && errno != EEXIST) {
        sk_error_set(&err, SK_EIO, "cannot create %s: %s", a->dir, strerror(errno));
        return cli_fail(&err);
    }
    if (take_lock(a->dir, &err) != SK_OK) {
        cli_fail(&err);
        return EXIT_LOCKED;
    }
    int rc = has_files(a->dir) ? load_folder(a->dir, &kr, &newest, &err) : SK_OK;
    const sk_key_info *info = kr ? sk_keyring_info(kr, newest) : NULL;
    int64_t age = info ? a->now - info->not_before : 0;
    if (rc == SK_OK && (info == NULL || age >= a->max_age)) {
        sk_keyring_free(kr);
        kr = NULL;
        rc = write_new_key(a, &err);
        if (rc == SK_OK) rc = load_folder(a->dir, &kr, &newest, &err);
    } else if (rc == SK_OK && already_done(a->dir, sk_keyring_fingerprint(kr, newest))) {
        fprintf(stderr, "sealkit: newest key is %lld days old (max %lld): nothing to do\n",
                (long long)(age / 86400), (long long)(a->max_age / 86400));
        sk_keyring_free(kr);
        return EXIT_OK;
    }
    if (rc == SK_OK) rc = sk_keyring_pubkey(kr, newest, (time_t)a->now, &target, &err);
    int status =
        rc == SK_OK ? cli_reseal_paths(kr, target, a->jobs, npaths, paths) : cli_fail(&err);
    if (rc == SK_OK && status == EXIT_OK &&
        mark_done(a->dir, sk_keyring_fingerprint(kr, newest), &err) != SK_OK)
        status = cli_fail(&err);
    sk_pubkey_free(target);
    sk_keyring_free(kr);
    return status;
}

int cmd_rotate(int argc, char **argv)
{
    rotate_args a;
    int rc = parse_flags(argc, argv, &a);
    if (rc != 0) return rc < 0 ? EXIT_OK : rc;
    return rotate(&a, argc - optind, argv + optind);
}
