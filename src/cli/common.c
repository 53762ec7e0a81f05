#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void cli_fputs_clean(const char *s, FILE *f)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        /* U+0080..U+009F in UTF-8: C1 controls, which some terminals obey as ESC sequences. */
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            fputc('?', f);
            p++;
        } else {
            fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
        }
    }
}

/* One message line: the text quotes file names, item names and kinds from input. */
static void message(const char *prefix, const char *fmt, va_list ap)
{
    char small[1024];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    char *big = NULL; /* a longer message; without memory, the first 1023 bytes of it */
    if (n >= (int)sizeof small && (big = malloc((size_t)n + 1)) != NULL)
        vsnprintf(big, (size_t)n + 1, fmt, again);
    va_end(again);
    fputs(prefix, stderr);
    cli_fputs_clean(big != NULL ? big : small, stderr);
    fputc('\n', stderr);
    free(big);
}

static void message_s(const char *prefix, const char *text)
{
    fputs(prefix, stderr);
    cli_fputs_clean(text, stderr);
    fputc('\n', stderr);
}

int cli_fail(const sk_error *err)
{
    char line[SK_ERROR_MSG_MAX + SK_ERROR_SOURCE_MAX + 96];
    sk_error_format(err, line, sizeof line);
    message_s("sealkit: error: ", line);
    if (err->hint[0]) message_s("sealkit: hint: ", err->hint);
    return err->code == SK_EUSAGE ? EXIT_USAGE : EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("sealkit: error: ", fmt, ap);
    va_end(ap);
    fprintf(stderr, "sealkit: hint: see 'sealkit %s --help'\n", cmd);
    return EXIT_USAGE;
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("sealkit: warning: ", fmt, ap);
    va_end(ap);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("sealkit: error: ", fmt, ap);
    va_end(ap);
}

void cli_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("sealkit: ", fmt, ap);
    va_end(ap);
}

int cli_once(const char *cmd, const char *opt, const char **slot, const char *value)
{
    /* Never the values: one may be a password (--docker-password). */
    if (*slot != NULL)
        return cli_usage_error(cmd,
                               "%s given twice; give it once (sealkit never lets the last "
                               "one win)",
                               opt);
    *slot = value;
    return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int cli_out_format(const char *cmd, const char *format, const char *output, sk_format fallback,
                   sk_format *f)
{
    if (format != NULL && *format != '\0') {
        if (strcasecmp(format, "json") == 0)
            *f = SK_FORMAT_JSON;
        else if (strcasecmp(format, "yaml") == 0)
            *f = SK_FORMAT_YAML;
        else
            return cli_usage_error(cmd, "unsupported output format: %s", format);
        return 0;
    }
    *f = fallback;
    if (output != NULL && (has_suffix(output, ".yaml") || has_suffix(output, ".yml")))
        *f = SK_FORMAT_YAML;
    else if (output != NULL && has_suffix(output, ".json"))
        *f = SK_FORMAT_JSON;
    return 0;
}

/* kubeseal's flags that mean something sealkit does with another command, or never does. */
#define NO_CLUSTER                                                                                 \
    "sealkit never talks to a cluster: drop it (sealing takes --cert FILE, opening --key FILE)"
static const struct {
    const char *flag, *hint;
} kubeseal_only[] = {
    {"re-encrypt", "to seal again under a new certificate, use 'sealkit reseal'"},
    {"recovery-unseal", "to open SealedSecrets with private keys, use 'sealkit unseal'"},
    {"recovery-private-key", "to open SealedSecrets with private keys, use 'sealkit unseal'"},
    {"fetch-cert", "sealkit never talks to a cluster: export the certificate from a key Secret "
                   "or backup with 'sealkit cert --pem', then pass --cert"},
    {"validate", "to check SealedSecrets offline, use 'sealkit verify'"},
    {"rotate", "kubeseal's --rotate is --re-encrypt: use 'sealkit reseal'"},
    {"version", "sealkit's version: 'sealkit --version'"},
    /* The controller and kubectl's connection flags, which kubeseal takes from client-go. */
    {"controller-name", NO_CLUSTER},
    {"controller-namespace", NO_CLUSTER},
    {"kubeconfig", NO_CLUSTER},
    {"context", NO_CLUSTER},
    {"cluster", NO_CLUSTER},
    {"user", NO_CLUSTER},
    {"server", NO_CLUSTER},
    {"token", NO_CLUSTER},
    {"username", NO_CLUSTER},
    {"password", NO_CLUSTER},
    {"as", NO_CLUSTER},
    {"as-group", NO_CLUSTER},
    {"as-uid", NO_CLUSTER},
    {"certificate-authority", NO_CLUSTER},
    {"client-certificate", NO_CLUSTER},
    {"client-key", NO_CLUSTER},
    {"insecure-skip-tls-verify", NO_CLUSTER},
    {"tls-server-name", NO_CLUSTER},
    {"request-timeout", NO_CLUSTER},
};

int cli_bad_option(const char *cmd, int argc, char **argv)
{
    /* getopt_long leaves optind just past the option it could not take. */
    const char *arg = optind >= 1 && optind - 1 < argc ? argv[optind - 1] : "";
    arg = strncmp(arg, "--", 2) == 0 ? arg + 2 : NULL;
    for (size_t i = 0; arg != NULL && i < sizeof kubeseal_only / sizeof kubeseal_only[0]; i++) {
        size_t n = strlen(kubeseal_only[i].flag);
        if (strncmp(arg, kubeseal_only[i].flag, n) == 0 && (arg[n] == '\0' || arg[n] == '=')) {
            fprintf(stderr, "sealkit: error: 'sealkit %s' has no --%s (a kubeseal flag)\n", cmd,
                    kubeseal_only[i].flag);
            fprintf(stderr, "sealkit: hint: %s\n", kubeseal_only[i].hint);
            return EXIT_USAGE;
        }
    }
    return cli_usage_error(cmd, "invalid option");
}

void cli_env_name(const char *flag, char *name, size_t size)
{
    size_t n = (size_t)snprintf(name, size, "SEALED_SECRETS_");
    for (const char *p = flag; *p && n + 1 < size; p++) {
        char c = *p;
        if (c == '-') c = '_';
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        name[n++] = c;
    }
    name[n] = '\0';
}

const char *cli_env(const char *flag)
{
    char name[96];
    cli_env_name(flag, name, sizeof name);
    return getenv(name);
}

static int64_t pinned_now;
static int clock_pinned;

int cli_clock_init(sk_error *err)
{
    const char *v = getenv("SEALKIT_NOW");
    if (v == NULL || *v == '\0') return SK_OK;
    if (sk_time_parse(v, &pinned_now, err) != SK_OK) return SK_EUSAGE;
    clock_pinned = 1;
    return SK_OK;
}

long cli_default_jobs(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) return 1;
    return cores > 128 ? 256 : 2 * cores;
}

time_t cli_now(void)
{
    return clock_pinned ? (time_t)pinned_now : time(NULL);
}

int cli_parse_bool(const char *s)
{
    static const char *const yes[] = {"1", "t", "T", "true", "TRUE", "True", NULL};
    static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False", NULL};
    for (size_t i = 0; yes[i]; i++)
        if (strcmp(s, yes[i]) == 0) return 1;
    for (size_t i = 0; no[i]; i++)
        if (strcmp(s, no[i]) == 0) return 0;
    return -1;
}

int cli_write_stdout(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t w = write(STDOUT_FILENO, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int cli_output(const char *path, const sk_secbuf *out, unsigned mode, sk_error *err)
{
    if (path != NULL) return sk_write_atomic(path, out->data, out->len, (mode_t)mode, err);
    if (cli_write_stdout(out->data, out->len) != 0)
        return sk_error_set(err, SK_EIO, "cannot write to standard output: %s", strerror(errno));
    return SK_OK;
}

int cli_print_json(json_t *root, int bad, sk_error *err)
{
    sk_secbuf out = SK_SECBUF_INIT;
    int rc = bad || root == NULL ? sk_error_set(err, SK_ENOMEM, "out of memory")
                                 : sk_emit_json(root, &out, err);
    if (rc == SK_OK) rc = cli_output(NULL, &out, 0, err);
    sk_secbuf_free(&out);
    json_decref(root);
    return rc;
}

static int list_push(cli_list *l, const char *s, size_t n)
{
    char **grown = realloc(l->v, (l->n + 1) * sizeof *grown);
    if (grown == NULL) return -1;
    l->v = grown;
    l->v[l->n] = strndup(s, n);
    if (l->v[l->n] == NULL) return -1;
    l->n++;
    return 0;
}

int cli_list_push(cli_list *l, const char *s)
{
    return list_push(l, s, strlen(s));
}

int cli_list_add_csv(cli_list *l, const char *csv)
{
    const char *p = csv;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n > 0 && list_push(l, p, n) != 0) return -1;
        if (comma == NULL) return 0;
        p = comma + 1;
    }
}

void cli_list_free(cli_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int cli_parse_shard(const char *cmd, const char *s, size_t *shard, size_t *shards)
{
    char *end = NULL;
    errno = 0;
    unsigned long k = strtoul(s, &end, 10), n = 0;
    int ok = end != s && *end == '/' && s[0] != '-';
    if (ok) {
        const char *p = end + 1;
        n = strtoul(p, &end, 10);
        ok = end != p && *end == '\0' && *p != '-' && errno == 0 && n >= 1 && n <= 4096 && k < n;
    }
    if (!ok) return cli_usage_error(cmd, "--shard needs K/N with 0 <= K < N <= 4096, e.g. 0/4");
    *shard = k;
    *shards = n;
    return 0;
}

/*
 * Room for the private numbers of a few hundred 4096-bit keys (about 2 KiB each) and OpenSSL's
 * temporaries, within the usual 8 MiB RLIMIT_MEMLOCK that libsodium's guarded pages share.
 */
#define SECURE_HEAP_BYTES ((size_t)1 << 20)

void cli_key_memory(void)
{
    int locked = 0;
    sk_error why = {0};
    if (sk_keys_secure_heap_init(SECURE_HEAP_BYTES, &locked, &why) != SK_OK)
        fprintf(stderr, "sealkit: note: %s; private keys stay in ordinary memory\n", why.msg);
    else if (!locked)
        fputs("sealkit: note: OpenSSL's secure heap could not be locked in memory (ulimit -l); "
              "private keys may be swapped out\n",
              stderr);
}

void cli_warn_exposed(const sk_keyring *kr)
{
    for (size_t i = 0; kr != NULL && i < sk_keyring_exposure_count(kr); i++) {
        const sk_key_exposure *x = sk_keyring_exposure(kr, i);
        if (x->kind == SK_KEY_FILE_READABLE)
            cli_warn("%s: private key file is readable by %s (mode %04o); fix: chmod 600 %s "
                     "(in a Secret volume: defaultMode: 0400)",
                     x->path, (x->mode & 04) ? "others" : "its group", x->mode, x->path);
        else
            cli_warn("%s: key folder is writable by others (mode %04o), who can add or swap keys; "
                     "fix: chmod o-w %s",
                     x->path, x->mode, x->path);
    }
}
