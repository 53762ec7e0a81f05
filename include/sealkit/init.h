/* Setting up the process for sealkit: libsodium, and jansson's allocator. */
#ifndef SEALKIT_INIT_H
#define SEALKIT_INIT_H

#include "export.h"

/*
 * Call once before anything else, from one thread: initialises libsodium
 * (guarded memory, the CSPRNG). It does not touch jansson: see
 * sk_json_wipe_on_free.
 */
SK_API int sk_init(void);

/*
 * Makes jansson wipe every block it frees (json_set_alloc_funcs). Parsed
 * documents and the trees sealkit builds hold secrets as base64 text (Secret
 * data, a key Secret's tls.key), which jansson's default free() leaves in the
 * heap; sealkit's own buffers for plaintext are guarded memory, but its
 * jansson trees are not. It also lets sealkit notice an allocation that
 * fails inside jansson's JSON reader, which otherwise drops a byte and goes
 * on: without it, out of memory while reading JSON can give a damaged tree.
 * Recommended for every program that handles secrets; the sealkit CLI calls
 * it. Not done by sk_init because jansson's allocator is
 * process-wide: it also applies to the application's own jansson use and to
 * any other library that uses jansson. Call it once, from one thread, before
 * any jansson value exists (jansson's rule for json_set_alloc_funcs). Returns
 * SK_OK.
 */
SK_API int sk_json_wipe_on_free(void);

SK_API const char *sk_version(void);

#endif
