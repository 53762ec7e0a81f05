/*
 * Internal: helpers shared by emit_json.c, emit_yaml.c and yaml11.c (Go runtime behaviour in C),
 * and the emitter pieces other modules (create.c, template.c) and the unit tests use.
 */
#ifndef SK_EMIT_INTERNAL_H
#define SK_EMIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sealkit/error.h>
#include <sealkit/mem.h>

/* Appends s as one JSON string literal, quotes included, with Go's escaping. */
int sk_emit_json_string(const char *s, size_t n, sk_secbuf *out, sk_error *err);

/* go-yaml v2's key order (docs/format.md §3.4): negative, zero or positive like strcmp. */
int sk_yaml_key_cmp(const char *a, const char *b);
/*
 * Non-zero when go-yaml v2 would read the plain scalar s back as a string and
 * s is not a YAML 1.1 base-60 number ("1:20"): go-yaml's exact rule, so "<<"
 * counts as a string and "" does not.
 */
int sk_yaml_plain_is_string(const char *s, size_t len);

#define SK_RUNE_ERROR 0xFFFDu

/*
 * Decodes one rune like Go's utf8.DecodeRune: on any invalid, truncated,
 * overlong or surrogate sequence it yields U+FFFD and consumes ONE byte.
 * n must be > 0. Returns the number of bytes consumed.
 */
size_t sk_utf8_decode(const unsigned char *s, size_t n, uint32_t *rune);

/* Go's unicode.IsLetter / unicode.IsDigit (tables: see emit_common.c). */
int sk_rune_is_letter(uint32_t r);
int sk_rune_is_digit(uint32_t r);

/* Room for any formatted float64 below, NUL included. */
#define SK_GO_FLOAT_MAX 40

/*
 * Go encoding/json's text for a finite float64 ('f' or, outside
 * [1e-6, 1e21), 'e' with "e-07" cleaned to "e-7"). Returns 0, or -1 when v
 * is not finite (Go refuses NaN and Inf).
 */
int sk_go_json_float(double v, char out[SK_GO_FLOAT_MAX]);

/* Go strconv.FormatFloat(v, 'g', -1, 64) for a finite v. Returns 0 or -1. */
int sk_go_format_g(double v, char out[SK_GO_FLOAT_MAX]);

/*
 * strtod in the "C" locale on exactly n bytes of decimal text (no
 * underscores). Returns 0 and the value, or -1 when the text is not a number.
 */
int sk_strtod_c(const char *s, size_t n, double *v);

#endif
