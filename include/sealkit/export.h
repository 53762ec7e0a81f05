/* Symbol visibility for the public API. */
#ifndef SEALKIT_EXPORT_H
#define SEALKIT_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define SK_API __attribute__((visibility("default")))
#define SK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SK_NODISCARD __attribute__((warn_unused_result))
#else
#define SK_API
#define SK_PRINTF(f, a)
#define SK_NODISCARD
#endif

#endif
