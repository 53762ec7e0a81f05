/*
 * Times: the public parsers and formatter of sealkit/time.h, and the calendar
 * conversions of timeutil.h that certificates and key files share.
 */
#include <sealkit/timefmt.h>

#include "core/timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- calendar ---- */

int sk_asn1_to_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) return 0;
    *out = (int64_t)timegm(&tm);
    return 1;
}

int sk_civil_to_unix(int year, int month, int day, int hour, int min, int sec, int64_t *out)
{
    if (year < 0 || month < 0 || day < 0 || hour < 0 || min < 0 || sec < 0) return 0;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = min,
                    .tm_sec = sec};
    time_t t = timegm(&tm);
    /* timegm normalises 2026-02-30 into March: a changed field means the date was invalid. */
    if (t == (time_t)-1 || tm.tm_year + 1900 != year || tm.tm_mon + 1 != month ||
        tm.tm_mday != day || tm.tm_hour != hour || tm.tm_min != min || tm.tm_sec != sec)
        return 0;
    *out = (int64_t)t;
    return 1;
}

/* ---- durations ---- */

static int unit_seconds(char u)
{
    switch (u) {
    case 'd':
        return 86400;
    case 'h':
        return 3600;
    case 'm':
        return 60;
    case 's':
        return 1;
    default:
        return 0;
    }
}

int sk_duration_parse(const char *s, int64_t *seconds, sk_error *err)
{
    const int64_t max = 100000LL * 366 * 86400; /* far beyond any certificate */
    int64_t total = 0;
    const char *p = s;
    if (s == NULL || *s == '\0') return sk_error_set(err, SK_EUSAGE, "empty duration");
    while (*p != '\0') {
        int64_t n = 0;
        const char *start = p;
        while (*p >= '0' && *p <= '9' && n <= max)
            n = n * 10 + (*p++ - '0');
        int unit = unit_seconds(*p);
        if (p == start || unit == 0 || n > max / unit || total > max - n * unit)
            return sk_error_set(err, SK_EUSAGE,
                                "invalid duration \"%.32s\": use a number with d, h, m or s "
                                "(3650d, 87600h, 720h30m)",
                                s);
        total += n * unit;
        p++;
    }
    if (total == 0) return sk_error_set(err, SK_EUSAGE, "duration \"%.32s\" is zero", s);
    *seconds = total;
    return SK_OK;
}

/* ---- times ---- */

static int parse_unix(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0) return 0;
    *out = v;
    return 1;
}

/* The digits of s[at..at+n) as a number; -1 unless every one is a digit. */
static int digits(const char *s, size_t at, size_t n)
{
    int v = 0;
    for (size_t i = at; i < at + n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Exactly YYYY-MM-DDTHH:MM:SSZ: fixed positions, digits only, a real calendar date. */
static int parse_rfc3339_utc(const char *s, int64_t *out)
{
    static const char shape[] = "0000-00-00T00:00:00Z";
    if (strlen(s) != sizeof shape - 1) return 0;
    for (size_t i = 0; shape[i] != '\0'; i++)
        if (shape[i] != '0' && s[i] != shape[i]) return 0;
    return sk_civil_to_unix(digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2), digits(s, 11, 2),
                            digits(s, 14, 2), digits(s, 17, 2), out);
}

int sk_time_parse(const char *s, int64_t *out, sk_error *err)
{
    if (s != NULL && s[0] == '@' && parse_unix(s + 1, out)) return SK_OK;
    if (s != NULL && parse_rfc3339_utc(s, out)) return SK_OK;
    return sk_error_set(err, SK_EUSAGE,
                        "invalid time \"%.40s\": use YYYY-MM-DDTHH:MM:SSZ (UTC) or @UNIXSECONDS",
                        s ? s : "");
}

void sk_time_format(int64_t t, char *out, size_t outsz)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, outsz, "@%lld", (long long)t);
}
