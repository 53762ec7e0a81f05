#include <sealkit/init.h>
#include <sealkit/error.h>
#include <sealkit/mem.h>

#include <malloc.h>
#include <sodium.h>
#include <stdlib.h>

#include "core/json_alloc.h"

/* Inside sk_json_loadb, and whether an allocation failed there (json_alloc.h). */
static _Thread_local int loading, load_failed;

void sk_json_alloc_failed(void)
{
    if (loading) load_failed = 1;
}

static void *wiping_malloc(size_t n)
{
    if (loading && load_failed) return NULL;
    void *p = malloc(n);
    if (p == NULL) sk_json_alloc_failed();
    return p;
}

/* jansson does not pass the size back, so ask the allocator for it. */
static void wiping_free(void *p)
{
    if (p == NULL) return;
    sodium_memzero(p, malloc_usable_size(p));
    free(p);
}

json_t *sk_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *je, int *oom)
{
    loading = 1;
    load_failed = 0;
    json_t *v = json_loadb(buf, len, flags, je);
    *oom = load_failed;
    loading = 0;
    load_failed = 0;
    if (*oom) {
        json_decref(v);
        return NULL;
    }
    return v;
}

int sk_init(void)
{
    if (sodium_init() < 0) return SK_ECRYPTO;
    return SK_OK;
}

int sk_json_wipe_on_free(void)
{
    json_set_alloc_funcs(wiping_malloc, wiping_free);
    return SK_OK;
}

const char *sk_version(void)
{
    return SK_VERSION_STRING;
}
