/* Fetching the sealing certificate over HTTPS (libcurl). */
#ifndef SEALKIT_FETCH_H
#define SEALKIT_FETCH_H

#include <stddef.h>
#include <time.h>
#include "cert.h"
#include "error.h"
#include "mem.h"

#define SK_FETCH_MAX (1u << 20) /* 1 MiB: the largest response body sk_fetch_pubkey accepts */
#define SK_FETCH_TIMEOUT 30     /* seconds for the whole transfer */

/*
 * GETs url into out (at most limit bytes). Only https:// is accepted, never
 * http:// or file://: the certificate decides who can read the secrets, so it
 * must come over an authenticated channel. TLS peer and host verification are
 * always on (TLS 1.2 or later); redirects are followed only to https:// (at
 * most 5); the transfer fails after SK_FETCH_TIMEOUT seconds; any final status
 * but 200 fails ("HTTP 404").
 *
 * ca_file names a PEM bundle to trust instead of the system store. NULL means
 * the system store, or the bundle named by the environment variable
 * CURL_CA_BUNDLE or else SSL_CERT_FILE, and the hashed folder named by
 * SSL_CERT_DIR (libcurl itself reads none of them). Only the bundle and folder
 * so named are trusted then. Messages name the URL without user, password,
 * query or fragment.
 *
 * Each call opens libcurl.so.4 with dlopen (it then stays loaded) and runs
 * curl_global_init, which is process-wide and not thread-safe in every
 * libcurl: do not fetch from two threads at once, nor while another thread
 * uses libcurl (see sealkit.h). Without libcurl (not installed, or a sealkit
 * built without its headers) a well-formed URL is SK_EIO.
 */
SK_API int sk_fetch_https(const char *url, size_t limit, const char *ca_file, sk_secbuf *out,
                          sk_error *err);

/* 1 when s starts with "scheme://" (which sk_fetch_pubkey fetches instead of opening), else 0. */
SK_API int sk_is_url(const char *s);

/*
 * Loads a sealing certificate from a file ("-" is standard input) like
 * sk_pubkey_from_file, or from a URL through sk_fetch_https (system or
 * environment CA, SK_FETCH_MAX bytes) and sk_pubkey_from_pem.
 */
SK_API int sk_fetch_pubkey(const char *path_or_url, time_t now, sk_pubkey **out, sk_error *err);

#endif
