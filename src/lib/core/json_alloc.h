/*
 * Internal: sealkit's jansson allocator (init.c, installed by sk_json_wipe_on_free)
 * and the JSON reader call that needs it.
 *
 * jansson's JSON reader does not check every allocation: when growing its
 * token buffer fails it drops the byte and reads on (jansson 2.14, load.c:
 * lex_save), so that a string can come back a byte short, or without its
 * closing quote and then be decoded past the end of the buffer. sk_json_loadb
 * notes the failures of sealkit's allocator while it reads, and after the
 * first one every later allocation of the read fails too, so that the reader
 * stops at its next allocation; the caller gets NULL and *oom set, never a
 * damaged tree. With another allocator installed (sk_json_wipe_on_free not
 * called) it cannot see the failures: jansson's reader is then as it is.
 */
#ifndef SK_JSON_ALLOC_H
#define SK_JSON_ALLOC_H

#include <stddef.h>
#include <jansson.h>

/* json_loadb; NULL with *oom = 1 when an allocation failed while reading (*oom = 0 otherwise). */
json_t *sk_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *je, int *oom);

/*
 * For an allocator installed in front of sk_init's (the OOM unit test): tells
 * sk_json_loadb about a failure that never reached sk_init's allocator.
 */
void sk_json_alloc_failed(void);

#endif
