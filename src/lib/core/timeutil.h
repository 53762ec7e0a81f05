/* Internal: calendar conversions shared by cert.c, keys.c and timeutil.c (sealkit/timefmt.h). */
#ifndef SK_TIMEUTIL_H
#define SK_TIMEUTIL_H

#include <stdint.h>

#include <openssl/asn1.h>

/* A certificate time (UTCTime or GeneralizedTime) as Unix time: 1, or 0 when unreadable. */
int sk_asn1_to_unix(const ASN1_TIME *t, int64_t *out);

/*
 * A UTC calendar date and time (year as written, month 1-12) as Unix time:
 * 1, or 0 when it is not a real one (2026-02-30, 24:00:00, a negative field).
 */
int sk_civil_to_unix(int year, int month, int day, int hour, int min, int sec, int64_t *out);

#endif
