/*
 * Errors: every fallible function returns SK_OK (0) or one of the codes
 * below, and fills a caller-owned sk_error with a one-line message that
 * names the document and field. Messages never contain secret values.
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
    SK_EUSAGE = 9    /* an API or CLI argument is wrong */
};

#define SK_ERROR_MSG_MAX 640
#define SK_ERROR_HINT_MAX 256

typedef struct sk_error {
    int code;
    char msg[SK_ERROR_MSG_MAX];
    char hint[SK_ERROR_HINT_MAX]; /* empty when no fix is known */
} sk_error;

/* Sets code and message (printf-style); returns code. err may be NULL. */
SK_API int sk_error_set(sk_error *err, int code, const char *fmt, ...) SK_PRINTF(3, 4);
/* Sets the hint of an error already set. */
SK_API void sk_error_hint(sk_error *err, const char *fmt, ...) SK_PRINTF(2, 3);
/* Prepends context ("file.yaml: ") to the message; returns err->code. */
SK_API int sk_error_prefix(sk_error *err, const char *fmt, ...) SK_PRINTF(2, 3);
SK_API void sk_error_clear(sk_error *err);
SK_API const char *sk_status_name(int code);

#endif
