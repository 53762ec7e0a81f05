#include <sealkit/sealkit.h>

#include <malloc.h>
#include <sodium.h>
#include <stdlib.h>

static void *wiping_malloc(size_t n)
{
    return malloc(n);
}

/* jansson does not pass the size back, so ask the allocator for it. */
static void wiping_free(void *p)
{
    if (p == NULL) return;
    sodium_memzero(p, malloc_usable_size(p));
    free(p);
}

int sk_init(void)
{
    if (sodium_init() < 0) return SK_ECRYPTO;
    json_set_alloc_funcs(wiping_malloc, wiping_free);
    return SK_OK;
}

const char *sk_version(void)
{
    return SK_VERSION_STRING;
}
