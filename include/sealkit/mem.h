/*
 * Guarded memory for plaintext and key material: libsodium's sodium_malloc
 * (guard pages, mlock where permitted, wiped on free).
 */
#ifndef SEALKIT_MEM_H
#define SEALKIT_MEM_H

#include <stddef.h>
#include "error.h"

typedef struct sk_secbuf {
    unsigned char *data; /* sodium_malloc'd, NUL-terminated after len */
    size_t len;
    size_t cap;
} sk_secbuf;

#define SK_SECBUF_INIT                                                                             \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Ensures room for cap bytes plus a terminating NUL. */
SK_API int sk_secbuf_reserve(sk_secbuf *b, size_t cap, sk_error *err);
SK_API int sk_secbuf_append(sk_secbuf *b, const void *p, size_t n, sk_error *err);
SK_API int sk_secbuf_puts(sk_secbuf *b, const char *s, sk_error *err);
/* Wipes and releases; leaves b empty and reusable. */
SK_API void sk_secbuf_free(sk_secbuf *b);
/*
 * Wipes the contents and empties b (len 0) but keeps its guarded block for the next use:
 * a loop that opens many items reuses one block instead of mapping and locking one each.
 */
SK_API void sk_secbuf_clear(sk_secbuf *b);

/* Wipes n bytes in a way the compiler cannot elide. */
SK_API void sk_wipe(void *p, size_t n);
/* Frees a heap string after wiping it (NULL is fine), e.g. sk_base64_encode's text of plaintext. */
SK_API void sk_free_wiped(char *s);

#endif
