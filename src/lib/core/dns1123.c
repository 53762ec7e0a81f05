/* DNS-1123 names: see dns1123.h. */
#include "core/dns1123.h"

#include <stddef.h>
#include <string.h>

/* Not islower/isdigit: a Latin-1 locale would let bytes above 0x7f through. */
static int lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? on exactly n bytes, with no length limit. */
static int label_shape(const char *s, size_t n)
{
    if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1])) return 0;
    for (size_t i = 1; i + 1 < n; i++)
        if (!lower_alnum(s[i]) && s[i] != '-') return 0;
    return 1;
}

int sk_dns1123_label(const char *s)
{
    /* strnlen: a long string is refused at the limit, not measured in full. */
    size_t n = s != NULL ? strnlen(s, SK_DNS1123_LABEL_MAX + 1) : 0;
    return n <= SK_DNS1123_LABEL_MAX && label_shape(s, n);
}

int sk_dns1123_subdomain(const char *s)
{
    size_t n = s != NULL ? strnlen(s, SK_DNS1123_SUBDOMAIN_MAX + 1) : 0;
    if (n == 0 || n > SK_DNS1123_SUBDOMAIN_MAX) return 0;
    for (size_t start = 0, i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') continue;
        if (!label_shape(s + start, i - start)) return 0;
        start = i + 1;
    }
    return 1;
}
