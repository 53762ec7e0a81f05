#include <sealkit/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sk_error_set(sk_error *err, int code, const char *fmt, ...)
{
    if (err == NULL) return code;
    memset(err, 0, sizeof *err);
    err->code = code;
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
    memset(err, 0, sizeof *err);
}

int sk_error_at_source(sk_error *err, int code, const char *source)
{
    if (err != NULL && err->source[0] == '\0' && source != NULL)
        snprintf(err->source, sizeof err->source, "%s", source);
    return code;
}

int sk_error_at_object(sk_error *err, int code, size_t document, size_t item)
{
    if (err != NULL && err->document == 0) {
        err->document = document;
        err->item = item;
    }
    return code;
}

int sk_error_at_line(sk_error *err, int code, size_t line)
{
    if (err != NULL && err->line == 0) err->line = line;
    return code;
}

static size_t format(const sk_error *err, int with_source, char *buf, size_t size)
{
    char where[SK_ERROR_SOURCE_MAX + 96] = "";
    size_t n = 0;
    if (with_source && err->source[0])
        n += (size_t)snprintf(where + n, sizeof where - n, "%s: ", err->source);
    if (err->document > 0 && n < sizeof where)
        n += (size_t)snprintf(where + n, sizeof where - n, "document %zu", err->document);
    if (err->item > 0 && n < sizeof where)
        n += (size_t)snprintf(where + n, sizeof where - n, ", item %zu", err->item);
    if (err->document > 0 && n < sizeof where)
        n += (size_t)snprintf(where + n, sizeof where - n, ": ");
    if (err->line > 0 && n < sizeof where)
        snprintf(where + n, sizeof where - n, "line %zu: ", err->line);
    const char *msg = err->msg[0] ? err->msg : sk_status_name(err->code);
    int len = snprintf(buf, size, "%s%s", where, msg);
    return len < 0 ? 0 : (size_t)len;
}

size_t sk_error_format(const sk_error *err, char *buf, size_t size)
{
    return format(err, 1, buf, size);
}

size_t sk_error_format_in_source(const sk_error *err, char *buf, size_t size)
{
    return format(err, 0, buf, size);
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
    case SK_EAUTH:
        return "altered";
    case SK_EBUSY:
        return "busy";
    default:
        return "unknown error";
    }
}
