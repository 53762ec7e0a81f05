/*
 * Times and durations as the CLI and key files write them: Unix seconds in,
 * RFC 3339 UTC text out. Used by keygen (validity), rotate (--now, --max-age)
 * and the key inventory (creationTimestamp).
 */
#ifndef SEALKIT_TIMEFMT_H
#define SEALKIT_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

/*
 * A duration as seconds: a sequence of <integer><unit> with units d (24h),
 * h, m and s, e.g. "3650d", "87600h", "720h30m" (Go's syntax, plus d).
 * Zero, negative, overflowing or unit-less values are SK_EUSAGE.
 */
SK_API int sk_duration_parse(const char *s, int64_t *seconds, sk_error *err);

/* "YYYY-MM-DDTHH:MM:SSZ" (RFC 3339 in UTC) or "@SECONDS" to Unix time; SK_EUSAGE otherwise. */
SK_API int sk_time_parse(const char *s, int64_t *out, sk_error *err);
/* Unix time as "YYYY-MM-DDTHH:MM:SSZ"; out holds at least 32 bytes. */
SK_API void sk_time_format(int64_t t, char *out, size_t outsz);

#endif
