#include <sealkit/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sk_error_set(sk_error *err, int code, const char *fmt, ...)
{
    if (err == NULL) return code;
    err->code = code;
    err->hint[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void sk_error_hint(sk_error *err, const char *fmt, ...)
{
    if (err == NULL) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

int sk_error_prefix(sk_error *err, const char *fmt, ...)
{
    if (err == NULL) return SK_EINVAL;
    char prefix[SK_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t plen = n < 0 ? 0 : (size_t)n;
    if (plen >= sizeof err->msg) plen = sizeof err->msg - 1;
    /* Shift the message right (truncating its tail) and put the prefix in front. */
    size_t mlen = strlen(err->msg);
    if (plen + mlen >= sizeof err->msg) mlen = sizeof err->msg - 1 - plen;
    memmove(err->msg + plen, err->msg, mlen);
    memcpy(err->msg, prefix, plen);
    err->msg[plen + mlen] = '\0';
    return err->code;
}

void sk_error_clear(sk_error *err)
{
    if (err == NULL) return;
    err->code = SK_OK;
    err->msg[0] = '\0';
    err->hint[0] = '\0';
}

const char *sk_status_name(int code)
{
    switch (code) {
    case SK_OK:
        return "ok";
    case SK_EIO:
        return "i/o error";
    case SK_EPARSE:
        return "parse error";
    case SK_EINVAL:
        return "invalid input";
    case SK_ECERT:
        return "certificate rejected";
    case SK_EDECRYPT:
        return "cannot decrypt";
    case SK_ECRYPTO:
        return "crypto failure";
    case SK_ELIMIT:
        return "limit exceeded";
    case SK_ENOMEM:
        return "out of memory";
    case SK_EUSAGE:
        return "usage error";
    default:
        return "unknown error";
    }
}
