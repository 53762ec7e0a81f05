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
    "  --init              DIR may be missing or empty: make the first key there\n"
    "  -j, --jobs N        reseal worker processes (default: twice the number of cores)\n"
    "  --format FMT        text (default) or json: a report on standard output\n"
    "  -q, --quiet         print nothing when there is nothing to do\n"
    "  --now TIME          pretend the time is TIME (RFC 3339 or @SECONDS), for tests\n"
    "  -h, --help          show this help\n"
    "\n"
    "Before it makes a key, rotate checks that the keys in DIR open one item of every\n"
    "SealedSecret under PATH, so a mistyped folder or a foreign file fails first.\n"
    "\n"
    "Exit status: 0 nothing to do, 1 failure (run again to finish), 2 usage error,\n"
    "3 another rotate holds the folder's lock, 4 rotated: apply the new key (its path\n"
    "is printed, and 'sealkit keys list --newest DIR' prints it again).\n";

typedef struct rotate_args {
    const char *dir, *cn, *ns;
    int64_t max_age, valid_for, now;
    int bits, init, json, quiet;
    long jobs;
} rotate_args;

enum {
    OPT_KEYS = 256,
    OPT_MAX_AGE,
    OPT_BITS,
    OPT_CN,
    OPT_VALID_FOR,
    OPT_NAMESPACE,
    OPT_NOW,
    OPT_INIT,
    OPT_FORMAT
};

static const struct option options[] = {{"keys", required_argument, NULL, OPT_KEYS},
                                        {"max-age", required_argument, NULL, OPT_MAX_AGE},
                                        {"bits", required_argument, NULL, OPT_BITS},
                                        {"cn", required_argument, NULL, OPT_CN},
                                        {"valid-for", required_argument, NULL, OPT_VALID_FOR},
                                        {"namespace", required_argument, NULL, OPT_NAMESPACE},
                                        {"jobs", required_argument, NULL, 'j'},
                                        {"now", required_argument, NULL, OPT_NOW},
                                        {"init", no_argument, NULL, OPT_INIT},
                                        {"format", required_argument, NULL, OPT_FORMAT},
                                        {"quiet", no_argument, NULL, 'q'},
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
                       .jobs = cli_default_jobs()};
    optind = 1;
    while ((c = getopt_long(argc, argv, "hj:q", options, NULL)) != -1) {
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
        case OPT_INIT:
            a->init = 1;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
                return cli_usage_error("rotate", "--format must be text or json");
            a->json = strcmp(optarg, "json") == 0;
            break;
        case 'q':
            a->quiet = 1;
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
    sk_error_set(err, SK_EIO, "%s is held: another sealkit rotate is running", path);
    return EXIT_LOCKED;
}

/*
 * The folder's state, one fingerprint per file: .sealkit-rotate-minted names the last key this
 * job made (written before the key's files), .sealkit-rotate-done the key the paths were last
 * resealed to and announced. A minted key is announced ("apply it") until it is done.
 */
static const char MINTED[] = ".sealkit-rotate-minted", DONE[] = ".sealkit-rotate-done";

static int state_is(const char *dir, const char *file, const char *fingerprint)
{
    char path[4096], buf[SK_FINGERPRINT_MAX + 2] = {0};
    if (fingerprint == NULL) return 0;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    /* A link in its place is not our state: never followed. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[strcspn(buf, "\n")] = '\0';
    return strcmp(buf, fingerprint) == 0;
}

static int set_state(const char *dir, const char *file, const char *fingerprint, sk_error *err)
{
    char path[4096], line[SK_FINGERPRINT_MAX + 2];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int n = snprintf(line, sizeof line, "%s\n", fingerprint);
    return sk_write_atomic(path, line, (size_t)n, 0644, err);
}

static int name_taken(const char *base, const char *ext)
{
    char path[4300];
    struct stat st;
    snprintf(path, sizeof path, "%s%s", base, ext);
    return lstat(path, &st) == 0;
}

/* Temporary files of a killed run in the key folder (they may hold a private key). */
static void remove_stale_temps(const char *dir)
{
    sk_walk_list l;
    if (sk_walk(&dir, 1, SK_WALK_FLAT, &l, NULL) != SK_OK) return;
    for (size_t i = 0; i < l.n_temps; i++) {
        int removed = 0;
        sk_error err = {0};
        if (sk_walk_remove_stale_temp(l.temps[i], &removed, &err) != SK_OK)
            cli_fail(&err);
        else if (removed)
            cli_warn("removed %s, left by an interrupted run", l.temps[i]);
    }
    sk_walk_list_free(&l);
}

/*
 * Writes the new key's certificate (0644), then its Secret (0600): the Secret, which holds the
 * certificate too, is the key, and appears whole or not at all, so an interrupted run leaves a
 * complete key or none. Neither file ever replaces another.
 */
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
    /* A run killed between the two files leaves a certificate alone: take the next name. */
    snprintf(base, sizeof base, "%s/sealed-secrets-key-%s", a->dir, stamp);
    for (int n = 2; n < 100 && (name_taken(base, ".crt") || name_taken(base, ".yaml")); n++)
        snprintf(base, sizeof base, "%s/sealed-secrets-key-%s-%d", a->dir, stamp, n);
    int rc = sk_keygen(a->bits, a->cn, a->now, a->valid_for, &kp, err);
    if (rc == SK_OK) rc = sk_keygen_tls_secret(kp, a->ns, NULL, &secret, err);
    if (rc == SK_OK) rc = sk_emit_yaml(secret, &yaml, err);
    if (rc == SK_OK) rc = sk_keypair_cert_pem(kp, &crt, err);
    if (rc == SK_OK) rc = set_state(a->dir, MINTED, sk_keypair_fingerprint(kp), err);
    snprintf(path, sizeof path, "%s.crt", base);
    if (rc == SK_OK) rc = sk_write_new(path, crt.data, crt.len, 0644, err);
    snprintf(path, sizeof path, "%s.yaml", base);
    if (rc == SK_OK) rc = sk_write_new(path, yaml.data, yaml.len, 0600, err);
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

/* Files other than our own state (the lock, the done mark, a killed run's temporary files). */
static int has_files(const char *dir)
{
    sk_walk_list l;
    if (sk_walk(&dir, 1, SK_WALK_FLAT | SK_WALK_FOLLOW_LINKS, &l, NULL) != SK_OK) return 0;
    int found = l.n_files > 0;
    sk_walk_list_free(&l);
    return found;
}

/*
 * Can the keys at hand open every SealedSecret under the paths? One item each: a mistyped key
 * folder or a foreign file must fail before a key is made. Prints each problem.
 */
static int preflight(sk_keyring *kr, int npaths, char **paths)
{
    sk_walk_list l;
    sk_error err = {0};
    if (sk_walk((const char *const *)paths, (size_t)npaths, SK_WALK_MANIFESTS, &l, &err) != SK_OK)
        return cli_fail(&err);
    size_t unopened = 0;
    for (size_t i = 0; i < l.n_files; i++) {
        sk_secbuf text = SK_SECBUF_INIT;
        int rc = sk_read_file(l.files[i], SK_MAX_INPUT, &text, &err);
        if (rc == SK_OK) rc = sk_reseal_probe(text.data, text.len, l.files[i], kr, NULL, &err);
        sk_secbuf_free(&text);
        if (rc != SK_OK) unopened++, cli_fail(&err);
    }
    sk_walk_list_free(&l);
    if (unopened == 0) return EXIT_OK;
    fprintf(stderr,
            "sealkit: %zu files cannot be opened with the keys in the folder; no key "
            "was made\n",
            unopened);
    return EXIT_FAIL;
}

/* "30d", "12h", "90m" or "45s": the largest unit that divides the duration. */
static void format_age(int64_t s, char *out, size_t n)
{
    if (s % 86400 == 0)
        snprintf(out, n, "%lldd", (long long)(s / 86400));
    else if (s % 3600 == 0)
        snprintf(out, n, "%lldh", (long long)(s / 3600));
    else if (s % 60 == 0)
        snprintf(out, n, "%lldm", (long long)(s / 60));
    else
        snprintf(out, n, "%llds", (long long)s);
}

typedef struct outcome {
    int rotated; /* the paths are now under a key that this or an earlier run made */
    const char *key, *fingerprint;
    cli_reseal_totals sum;
} outcome;

static int report(const rotate_args *a, const outcome *o, int status)
{
    if (a->json) {
        json_t *r = json_pack(
            "{s:b, s:s?, s:s?, s:I, s:I, s:I}", "rotated", o->rotated, "key", o->key, "fingerprint",
            o->fingerprint, "files_changed", (json_int_t)o->sum.files_changed, "items_resealed",
            (json_int_t)o->sum.items_resealed, "failed", (json_int_t)o->sum.failed);
        /* The same writer as every other JSON sealkit prints. */
        sk_secbuf text = SK_SECBUF_INIT;
        sk_error err = {0};
        if (r == NULL) sk_error_set(&err, SK_ENOMEM, "out of memory");
        if (r == NULL || sk_emit_json(r, &text, &err) != SK_OK)
            status = cli_fail(&err);
        else
            cli_write_stdout(text.data, text.len);
        sk_secbuf_free(&text);
        json_decref(r);
    }
    if (status == EXIT_WOULD_CHANGE)
        fprintf(stderr,
                "sealkit: rotated to %s (%s): apply it to the cluster (kubectl apply -f) and "
                "restart the controller before you deploy the resealed files\n",
                o->key, o->fingerprint);
    return status;
}

/* Which key to reseal to, minting one when the newest is too old (or there is none). */
static int choose_key(const rotate_args *a, sk_keyring **kr, size_t *newest, int *minted,
                      int npaths, char **paths, sk_error *err)
{
    int rc = has_files(a->dir) ? load_folder(a->dir, kr, newest, err) : SK_OK;
    if (rc != SK_OK) return cli_fail(err);
    if (*kr == NULL && !a->init) {
        sk_error_set(err, SK_EINVAL, "no key in %s", a->dir);
        sk_error_hint(err, "a mistyped --keys? To make the first key there, pass --init");
        return cli_fail(err);
    }
    const sk_key_info *info = *kr ? sk_keyring_info(*kr, *newest) : NULL;
    if (info != NULL && a->now - info->not_before < a->max_age) return EXIT_OK;
    /* With --init and no key yet, the paths must hold no SealedSecret: nothing could open it. */
    if (*kr == NULL && sk_keyring_new(kr, err) != SK_OK) return cli_fail(err);
    int status = preflight(*kr, npaths, paths);
    if (status != EXIT_OK) return status;
    sk_keyring_free(*kr);
    *kr = NULL;
    *minted = 1;
    rc = write_new_key(a, err);
    if (rc == SK_OK) rc = load_folder(a->dir, kr, newest, err);
    return rc == SK_OK ? EXIT_OK : cli_fail(err);
}

static int rotate(const rotate_args *a, int npaths, char **paths)
{
    sk_error err = {0};
    sk_keyring *kr = NULL;
    sk_pubkey *target = NULL;
    size_t newest = 0;
    int minted = 0;
    outcome o = {0};
    struct stat st;
    if (a->dir == NULL) return EXIT_USAGE;
    if (a->init && mkdir(a->dir, 0700) != 0 && errno != EEXIST) {
        sk_error_set(&err, SK_EIO, "cannot create the folder: %s", strerror(errno));
        sk_error_at_source(&err, SK_EIO, a->dir);
        return cli_fail(&err);
    }
    if (!a->init && stat(a->dir, &st) != 0) {
        sk_error_set(&err, SK_EINVAL, "no key in %s (%s)", a->dir, strerror(errno));
        sk_error_hint(&err, "a mistyped --keys? To make the first key there, pass --init");
        return cli_fail(&err);
    }
    int locked = take_lock(a->dir, &err);
    if (locked != SK_OK) {
        cli_fail(&err);
        return locked == EXIT_LOCKED ? EXIT_LOCKED : EXIT_FAIL;
    }
    remove_stale_temps(a->dir);
    int status = choose_key(a, &kr, &newest, &minted, npaths, paths, &err);
    if (status != EXIT_OK) {
        sk_keyring_free(kr);
        return status;
    }
    const char *fp = sk_keyring_fingerprint(kr, newest);
    if (state_is(a->dir, DONE, fp)) {
        char age[32], max[32];
        format_age(a->now - sk_keyring_info(kr, newest)->not_before, age, sizeof age);
        format_age(a->max_age, max, sizeof max);
        if (!a->quiet)
            fprintf(stderr, "sealkit: newest key is %s old (max %s): nothing to do\n", age, max);
        status = a->json ? report(a, &o, EXIT_OK) : EXIT_OK;
        sk_keyring_free(kr);
        return status;
    }
    /* A key not yet done: reseal to it. If this job made it (now or in a run that was
     * interrupted), announce it; the announcement comes before the done mark, so a kill
     * between them only means that the next run announces it again. */
    if (sk_keyring_pubkey(kr, newest, (time_t)a->now, &target, &err) != SK_OK)
        status = cli_fail(&err);
    if (status == EXIT_OK) status = cli_reseal_paths(kr, target, a->jobs, npaths, paths, &o.sum);
    o.rotated = status == EXIT_OK && (minted || state_is(a->dir, MINTED, fp));
    o.key = sk_keyring_info(kr, newest)->source;
    o.fingerprint = fp;
    if (o.rotated) status = EXIT_WOULD_CHANGE; /* rotated: the key must be applied */
    status = report(a, &o, status);
    if ((status == EXIT_OK || status == EXIT_WOULD_CHANGE) &&
        set_state(a->dir, DONE, fp, &err) != SK_OK)
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
