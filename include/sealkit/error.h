/*
 * Errors: every fallible function returns SK_OK (0) or one of the codes
 * below, and fills a caller-owned sk_error (which may be NULL) with a
 * one-line message naming the field, and with where the problem is as
 * fields: source, document, List item and line. sk_error_format joins them
 * into one line. Messages never contain secret values.
 */
#ifndef SEALKIT_ERROR_H
#define SEALKIT_ERROR_H

#include <stddef.h>
#include "export.h"

enum sk_status {
    SK_OK = 0,
    SK_EIO = 1,      /* reading or writing a file failed */
    SK_EPARSE = 2,   /* malformed YAML, JSON, PEM or base64 */
    SK_EINVAL = 3,   /* well-formed input with wrong content */
    SK_ECERT = 4,    /* certificate or key rejected */
    SK_EDECRYPT = 5, /* no key could open a blob */
    SK_ECRYPTO = 6,  /* the crypto library failed */
    SK_ELIMIT = 7,   /* input exceeds a documented limit */
    SK_ENOMEM = 8,   /* out of memory */
    SK_EUSAGE = 9,   /* an API or CLI argument is wrong */
    SK_EAUTH = 10,   /* a key opened the RSA part, but the AES-GCM tag failed: altered */
    SK_EBUSY = 11    /* another process holds a lock (a rotation's key folder) */
};

#define SK_ERROR_MSG_MAX 640
#define SK_ERROR_HINT_MAX 256
#define SK_ERROR_SOURCE_MAX 256

typedef struct sk_error {
    int code;
    char msg[SK_ERROR_MSG_MAX];       /* the problem, with its field path; no location */
    char hint[SK_ERROR_HINT_MAX];     /* empty when no fix is known */
    char source[SK_ERROR_SOURCE_MAX]; /* file name or "<stdin>"; empty when unknown */
    size_t document;                  /* 1-based; 0 when unknown */
    size_t item;                      /* 1-based item of a List document; 0 when none */
    size_t line;                      /* 1-based; 0 when unknown */
} sk_error;

/* Sets code and message (printf-style); returns code. err may be NULL. */
SK_API int sk_error_set(sk_error *err, int code, const char *fmt, ...) SK_PRINTF(3, 4);
/* Sets the hint of an error already set. */
SK_API void sk_error_hint(sk_error *err, const char *fmt, ...) SK_PRINTF(2, 3);
/*
 * Prepends context ("file.yaml: ") to the message; returns err->code, or SK_EINVAL when err is
 * NULL: a caller that may have a NULL err returns its own status, not this.
 */
SK_API int sk_error_prefix(sk_error *err, const char *fmt, ...) SK_PRINTF(2, 3);
SK_API void sk_error_clear(sk_error *err);
/*
 * Record where the problem is. Each sets only what is still unknown, so the
 * innermost caller, which knows best, wins. Each returns code, as
 * sk_error_set does, so that `return sk_error_at_source(err, rc, path);`
 * keeps the status even when err is NULL.
 */
SK_API int sk_error_at_source(sk_error *err, int code, const char *source);
SK_API int sk_error_at_object(sk_error *err, int code, size_t document, size_t item);
SK_API int sk_error_at_line(sk_error *err, int code, size_t line);
/*
 * "SOURCE: document N, item M: line L: MESSAGE", each part present only when
 * known. Returns the length it needed (as snprintf).
 */
SK_API size_t sk_error_format(const sk_error *err, char *buf, size_t size);
/* The same without the source, for reports that name the file in a field of their own. */
SK_API size_t sk_error_format_in_source(const sk_error *err, char *buf, size_t size);
SK_API const char *sk_status_name(int code);

#endif
