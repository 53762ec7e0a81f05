#include <sealkit/sealkit.h>

#include <curl/curl.h>
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
    /* libcurl's global setup (TLS backend) for sk_fetch_https; done here, once, because
     * curl_global_init is not thread-safe on every libcurl build. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return SK_ECRYPTO;
    return SK_OK;
}

const char *sk_version(void)
{
    return SK_VERSION_STRING;
}
