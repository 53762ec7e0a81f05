#include <sealkit/mem.h>

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int sk_secbuf_reserve(sk_secbuf *b, size_t cap, sk_error *err)
{
    if (b->data != NULL && cap <= b->cap) return SK_OK;
    if (cap > SIZE_MAX / 2 - 1) return sk_error_set(err, SK_ELIMIT, "buffer too large");
    /* sodium_malloc rounds up to whole pages anyway, so start with most of one. */
    size_t want = b->cap ? b->cap : 4095;
    while (want < cap)
        want *= 2;
    /* sodium_malloc cannot grow in place: copy into a fresh guarded block. */
    unsigned char *p = sodium_malloc(want + 1);
    if (p == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory (guarded allocation)");
    if (b->data != NULL) {
        memcpy(p, b->data, b->len);
        sodium_free(b->data);
    }
    p[b->len] = '\0';
    b->data = p;
    b->cap = want;
    return SK_OK;
}

int sk_secbuf_append(sk_secbuf *b, const void *p, size_t n, sk_error *err)
{
    if (n > SIZE_MAX / 2 - b->len) return sk_error_set(err, SK_ELIMIT, "buffer too large");
    int rc = sk_secbuf_reserve(b, b->len + n, err);
    if (rc != SK_OK) return rc;
    if (n > 0) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return SK_OK;
}

int sk_secbuf_puts(sk_secbuf *b, const char *s, sk_error *err)
{
    return sk_secbuf_append(b, s, strlen(s), err);
}

void sk_secbuf_free(sk_secbuf *b)
{
    if (b->data != NULL) sodium_free(b->data); /* wipes before unmapping */
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void sk_secbuf_clear(sk_secbuf *b)
{
    if (b->data != NULL) sodium_memzero(b->data, b->cap + 1);
    b->len = 0;
}

void sk_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0) sodium_memzero(p, n);
}

void sk_free_wiped(char *s)
{
    if (s == NULL) return;
    sk_wipe(s, strlen(s));
    free(s);
}
