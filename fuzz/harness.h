/*
 * The fuzz entry points. Each fuzzer (fuzz_main.c built once per target) and
 * the regression test (tests/unit/test_regress.c) call the same functions, so
 * a kept crasher replays exactly what the fuzzer ran. The entry points never
 * print; a broken invariant calls abort(), which libFuzzer reports as a crash.
 */
#ifndef SK_FUZZ_HARNESS_H
#define SK_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* The clock every certificate is checked against (2027-01-01T00:00:00Z). */
#define FUZZ_NOW ((time_t)1798761600)

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

typedef struct fuzz_target {
    const char *name; /* also the corpus folder and the regress file prefix */
    fuzz_fn run;
} fuzz_target;

/* Loads the fuzz-only keys from key_dir (fuzz/keys); 0 on success. Call once. */
int fuzz_setup(const char *key_dir);
void fuzz_teardown(void);

int fuzz_doc_yaml(const uint8_t *data, size_t size);
int fuzz_doc_json(const uint8_t *data, size_t size);
int fuzz_seal(const uint8_t *data, size_t size);
int fuzz_unseal(const uint8_t *data, size_t size);
int fuzz_pem(const uint8_t *data, size_t size);
int fuzz_keyfile(const uint8_t *data, size_t size);
int fuzz_package(const uint8_t *data, size_t size);

/* Every target, ending with {NULL, NULL}. */
extern const fuzz_target fuzz_targets[];

#endif
