#include <sealkit/fetch.h>
#include <sealkit/fetch.h>
#include <sealkit/keys.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * SK_WITH_CURL=0 (CMake's SEALKIT_WITH_CURL, when libcurl's headers are missing): no URL
 * support. URLs are still checked and refused the same way, and an https:// URL fails with
 * "this sealkit was built without libcurl headers"; files work as always.
 */
#ifndef SK_WITH_CURL
#define SK_WITH_CURL 1
#endif
#if SK_WITH_CURL
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdint.h>
#endif

#define MAX_REDIRECTS 5L
#define CONNECT_TIMEOUT 10L
#define SHOWN_MAX 320

/* The hint when a certificate URL is not https:// (kubeseal accepts http://). */
#define WHY_HTTPS                                                                                  \
    "the certificate decides who can read the secrets, so it must come over an authenticated "     \
    "channel; use an https:// URL, or download it and pass the file"

int sk_is_url(const char *s)
{
    if (s == NULL || !isalpha((unsigned char)*s)) return 0;
    const char *p = s + 1;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return strncmp(p, "://", 3) == 0;
}

/* Refuses anything but an https:// URL (SK_EUSAGE), before any I/O; shown names it. */
static int check_scheme(const char *url, const char *shown, sk_error *err)
{
    if (!sk_is_url(url))
        return sk_error_set(err, SK_EUSAGE, "%s: not a URL (expected https://HOST/PATH)", shown);
    size_t scheme_len = (size_t)(strstr(url, "://") - url);
    if (scheme_len == 5 && strncasecmp(url, "https", 5) == 0) return SK_OK;
    sk_error_set(err, SK_EUSAGE, "%s: refusing a %.*s:// URL; only https:// is accepted", shown,
                 (int)scheme_len, url);
    if (scheme_len == 4 && strncasecmp(url, "http", 4) == 0)
        sk_error_hint(err, "unlike kubeseal, sealkit does not fetch over http://: %s", WHY_HTTPS);
    else
        sk_error_hint(err, "%s", WHY_HTTPS);
    return SK_EUSAGE;
}

#if SK_WITH_CURL
/*
 * libcurl is opened only when a URL is fetched: linked in, it and the
 * libraries it pulls (GnuTLS, Kerberos, LDAP, ICU...) would cost every sealkit
 * run milliseconds of start-up, for a feature most runs never use.
 */
typedef struct curl_api {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    void (*free)(void *);
    CURLU *(*url)(void);
    void (*url_cleanup)(CURLU *);
    CURLUcode (*url_get)(const CURLU *, CURLUPart, char **, unsigned int);
    CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
    const char *(*url_strerror)(CURLUcode);
} curl_api;

/* POSIX's way to take a function from dlsym's void pointer; remembers what is missing. */
#define LOAD(lib, field, name)                                                                     \
    if ((*(void **)(&api->field) = dlsym(lib, name)) == NULL) missing = name

static int curl_open(curl_api *api, sk_error *err)
{
    /* Never unloaded: OpenSSL, loaded with it, keeps exit handlers in its code. */
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (lib == NULL) {
        sk_error_set(err, SK_EIO, "cannot fetch https:// URLs: libcurl is not installed");
        sk_error_hint(err,
                      "install libcurl4 (Debian), or download the certificate and pass the file");
        return SK_EIO;
    }
    const char *missing = NULL;
    LOAD(lib, global_init, "curl_global_init");
    LOAD(lib, easy_init, "curl_easy_init");
    LOAD(lib, easy_setopt, "curl_easy_setopt");
    LOAD(lib, easy_perform, "curl_easy_perform");
    LOAD(lib, easy_getinfo, "curl_easy_getinfo");
    LOAD(lib, easy_cleanup, "curl_easy_cleanup");
    LOAD(lib, easy_strerror, "curl_easy_strerror");
    LOAD(lib, free, "curl_free");
    LOAD(lib, url, "curl_url");
    LOAD(lib, url_cleanup, "curl_url_cleanup");
    LOAD(lib, url_get, "curl_url_get");
    LOAD(lib, url_set, "curl_url_set");
    LOAD(lib, url_strerror, "curl_url_strerror");
    dlclose(lib); /* drops our reference only: RTLD_NODELETE keeps the code mapped */
    if (missing != NULL)
        return sk_error_set(err, SK_EIO, "libcurl lacks %s: version 7.62 or later is needed",
                            missing);
    /* Idempotent after the first call; sealkit is single-threaded when it fetches. */
    if (api->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return sk_error_set(err, SK_EIO, "cannot start libcurl");
    return SK_OK;
}

/* The CAs to trust; both NULL: libcurl's built-in system bundle and folder. */
typedef struct trust {
    const char *file, *dir;
} trust;

typedef struct sink {
    sk_secbuf *out;
    size_t limit;
    int over;  /* the body grew past limit */
    int nomem; /* guarded memory ran out */
} sink;

/* The URL as messages show it: user info, query and fragment may carry credentials. */
static void display_url(const curl_api *api, const char *url, char shown[SHOWN_MAX])
{
    static const CURLUPart secret_parts[] = {CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS,
                                             CURLUPART_QUERY, CURLUPART_FRAGMENT};
    CURLU *u = api->url();
    char *s = NULL;
    CURLUcode rc =
        u ? api->url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) : CURLUE_OUT_OF_MEMORY;
    for (size_t i = 0; rc == CURLUE_OK && i < sizeof secret_parts / sizeof *secret_parts; i++)
        rc = api->url_set(u, secret_parts[i], NULL, 0);
    if (rc == CURLUE_OK) rc = api->url_get(u, CURLUPART_URL, &s, 0);
    snprintf(shown, SHOWN_MAX, "%s", rc == CURLUE_OK ? s : "the URL");
    api->free(s);
    api->url_cleanup(u);
}

/* Only https:// passes; everything else is refused before any I/O. */
static int check_url(const curl_api *api, const char *url, const char *shown, sk_error *err)
{
    int rc = check_scheme(url, shown, err);
    if (rc != SK_OK) return rc;
    CURLU *u = api->url();
    CURLUcode urc = u ? api->url_set(u, CURLUPART_URL, url, 0) : CURLUE_OUT_OF_MEMORY;
    api->url_cleanup(u);
    if (urc == CURLUE_OK) return SK_OK;
    return sk_error_set(err, SK_EUSAGE, "not a valid https:// URL: %s", api->url_strerror(urc));
}

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
    sink *s = userdata;
    size_t len = size * n;
    if (len > s->limit - s->out->len) {
        s->over = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (sk_secbuf_append(s->out, p, len, NULL) != SK_OK) {
        s->nomem = 1;
        return 0;
    }
    return len;
}

static const char *env_nonempty(const char *name)
{
    const char *v = secure_getenv(name);
    return v != NULL && *v != '\0' ? v : NULL;
}

/* The caller's bundle, else the variables the curl tool and OpenSSL read (libcurl reads none). */
static trust trust_for(const char *ca_file)
{
    if (ca_file != NULL) return (trust){ca_file, NULL};
    trust t = {env_nonempty("CURL_CA_BUNDLE"), env_nonempty("SSL_CERT_DIR")};
    if (t.file == NULL) t.file = env_nonempty("SSL_CERT_FILE");
    return t;
}

static CURLcode setup(const curl_api *api, CURL *c, const char *url, trust ca, sink *s,
                      char *errbuf)
{
    /* curl_off_t is signed: a limit beyond it is left to on_data alone. */
    curl_off_t max_size = s->limit < (size_t)INT64_MAX ? (curl_off_t)s->limit : 0;
    CURLcode rc = CURLE_OK;
#define SET(opt, value)                                                                            \
    if (rc == CURLE_OK) rc = api->easy_setopt(c, opt, value)
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
    SET(CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
    SET(CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    /* Named CAs replace libcurl's built-in bundle and folder: only they are trusted. */
    if (ca.file != NULL || ca.dir != NULL) {
        SET(CURLOPT_CAINFO, ca.file);
        SET(CURLOPT_CAPATH, ca.dir);
    }
    SET(CURLOPT_TIMEOUT, (long)SK_FETCH_TIMEOUT);
    SET(CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
    SET(CURLOPT_NOSIGNAL, 1L); /* a library must not touch the process's signals */
    SET(CURLOPT_MAXFILESIZE_LARGE, max_size);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, s);
    SET(CURLOPT_USERAGENT, "sealkit/" SK_VERSION_STRING);
#undef SET
    return rc;
}

static int transfer_error(const curl_api *api, CURLcode rc, const sink *s, const char *errbuf,
                          const char *shown, trust ca, sk_error *err)
{
    if (s->nomem)
        return sk_error_set(err, SK_ENOMEM, "%s: out of memory (guarded allocation)", shown);
    if (s->over || rc == CURLE_FILESIZE_EXCEEDED)
        return sk_error_set(err, SK_ELIMIT,
                            "cannot fetch %s: the response is larger than %zu bytes", shown,
                            s->limit);
    int code = rc == CURLE_PEER_FAILED_VERIFICATION ? SK_ECERT : SK_EIO;
    sk_error_set(err, code, "cannot fetch %s: %s", shown,
                 *errbuf ? errbuf : api->easy_strerror(rc));
    if (rc == CURLE_PEER_FAILED_VERIFICATION && ca.file == NULL && ca.dir == NULL)
        sk_error_hint(err, "the server's TLS certificate is not trusted; if a private CA signed "
                           "it, set SSL_CERT_FILE to that CA's PEM file");
    else if (rc == CURLE_PEER_FAILED_VERIFICATION)
        sk_error_hint(err,
                      "the server's TLS certificate is not for this host or not signed by a "
                      "CA in %s",
                      ca.file ? ca.file : ca.dir);
    else if (rc == CURLE_UNSUPPORTED_PROTOCOL)
        sk_error_hint(err, "sealkit follows redirects to https:// URLs only");
    return code;
}

static int perform(const curl_api *api, CURL *c, const char *url, size_t limit, trust ca,
                   sk_secbuf *out, const char *shown, sk_error *err)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    sink s = {.out = out, .limit = limit};
    CURLcode rc = setup(api, c, url, ca, &s, errbuf);
    if (rc != CURLE_OK)
        return sk_error_set(err, SK_EIO, "cannot fetch %s: %s", shown, api->easy_strerror(rc));
    rc = api->easy_perform(c);
    long status = 0;
    api->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    /* A 404 page larger than the limit is still a 404; a refused redirect is not a 302. */
    int body_done = rc == CURLE_OK || s.over || rc == CURLE_FILESIZE_EXCEEDED;
    if (body_done && status != 200)
        return sk_error_set(err, SK_EIO, "cannot fetch %s: HTTP %ld", shown, status);
    if (rc != CURLE_OK) return transfer_error(api, rc, &s, errbuf, shown, ca, err);
    return SK_OK;
}

int sk_fetch_https(const char *url, size_t limit, const char *ca_file, sk_secbuf *out,
                   sk_error *err)
{
    char shown[SHOWN_MAX];
    curl_api api;
    sk_secbuf_free(out);
    int rc = curl_open(&api, err);
    if (rc != SK_OK) return rc;
    display_url(&api, url, shown);
    rc = check_url(&api, url, shown, err);
    if (rc != SK_OK) return rc;
    CURL *c = api.easy_init();
    if (c == NULL)
        return sk_error_set(err, SK_ENOMEM, "cannot fetch %s: libcurl failed to start", shown);
    rc = perform(&api, c, url, limit, trust_for(ca_file), out, shown, err);
    api.easy_cleanup(c);
    if (rc != SK_OK) sk_secbuf_free(out);
    return rc;
}

/* The URL as messages show it (see display_url). */
static void shown_url(const char *url, char shown[SHOWN_MAX])
{
    curl_api api;
    if (curl_open(&api, NULL) == SK_OK)
        display_url(&api, url, shown);
    else
        snprintf(shown, SHOWN_MAX, "the URL");
}

#else /* !SK_WITH_CURL */

/* 1 when url holds no space or control character (which libcurl's parser refuses). */
static int plain_chars(const char *url)
{
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) return 0;
    return 1;
}

/*
 * The URL as messages show it, without libcurl's parser: no user info, query or fragment (they
 * may carry credentials); "the URL" if it holds spaces or control characters.
 */
static void shown_url(const char *url, char shown[SHOWN_MAX])
{
    const char *sep = strstr(url, "://");
    if (sep == NULL || !plain_chars(url)) {
        snprintf(shown, SHOWN_MAX, "the URL");
        return;
    }
    const char *auth = sep + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *host = auth; /* after the last '@' of the authority */
    for (const char *p = auth; p < auth + auth_len; p++)
        if (*p == '@') host = p + 1;
    const char *path = auth + auth_len;
    snprintf(shown, SHOWN_MAX, "%.*s%.*s%.*s", (int)(auth - url), url, (int)(path - host), host,
             (int)strcspn(path, "?#"), path);
}

int sk_fetch_https(const char *url, size_t limit, const char *ca_file, sk_secbuf *out,
                   sk_error *err)
{
    (void)limit;
    (void)ca_file;
    char shown[SHOWN_MAX];
    sk_secbuf_free(out);
    shown_url(url, shown);
    int rc = check_scheme(url, shown, err);
    if (rc != SK_OK) return rc;
    /* What libcurl's parser would refuse first, so that a typo is still a usage error. */
    const char *host = url + strlen("https://");
    if (*host == '\0' || *host == '/' || *host == '?' || *host == '#')
        return sk_error_set(err, SK_EUSAGE, "not a valid https:// URL: no host");
    if (!plain_chars(url))
        return sk_error_set(err, SK_EUSAGE,
                            "not a valid https:// URL: it holds spaces or control characters");
    return sk_error_set(err, SK_EIO,
                        "cannot fetch %s: this sealkit was built without libcurl headers; give "
                        "the certificate as a file",
                        shown);
}

#endif /* SK_WITH_CURL */

int sk_fetch_pubkey(const char *path_or_url, time_t now, sk_pubkey **out, sk_error *err)
{
    if (!sk_is_url(path_or_url)) return sk_pubkey_from_file(path_or_url, now, out, err);
    *out = NULL;
    sk_secbuf body = SK_SECBUF_INIT;
    int rc = sk_fetch_https(path_or_url, SK_FETCH_MAX, NULL, &body, err);
    if (rc == SK_OK) {
        rc = sk_pubkey_from_pem((const char *)body.data, body.len, now, out, err);
        if (rc != SK_OK) {
            char shown[SHOWN_MAX];
            shown_url(path_or_url, shown);
            sk_error_prefix(err, "%s: ", shown);
        }
    }
    sk_secbuf_free(&body);
    return rc;
}
