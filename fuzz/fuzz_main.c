/*
 * One libFuzzer binary per entry point: CMake compiles this file once per
 * target with FUZZ_ENTRY set to the function (fuzz_doc_yaml, ...).
 */
#include "harness.h"

#include <stdlib.h>

#ifndef FUZZ_ENTRY
#error "FUZZ_ENTRY must name a fuzz entry point"
#endif
#ifndef SK_FUZZ_KEY_DIR
#error "SK_FUZZ_KEY_DIR must name the folder of the fuzz-only keys"
#endif

/*
 * Guarded memory (sodium_malloc) comes from mmap, where LeakSanitizer does
 * not look. The fuzzers are linked with --wrap for these functions, so the
 * live guarded blocks are counted and an input that leaves one behind stops
 * the run like an ASan leak would.
 */
void *__real_sodium_malloc(size_t size);
void *__real_sodium_allocarray(size_t count, size_t size);
void __real_sodium_free(void *ptr);
void *__wrap_sodium_malloc(size_t size);
void *__wrap_sodium_allocarray(size_t count, size_t size);
void __wrap_sodium_free(void *ptr);

static long live_guarded;

void *__wrap_sodium_malloc(size_t size)
{
    void *p = __real_sodium_malloc(size);
    if (p != NULL) live_guarded++;
    return p;
}

void *__wrap_sodium_allocarray(size_t count, size_t size)
{
    void *p = __real_sodium_allocarray(count, size);
    if (p != NULL) live_guarded++;
    return p;
}

void __wrap_sodium_free(void *ptr)
{
    if (ptr != NULL) live_guarded--;
    __real_sodium_free(ptr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    /* Without its keys a target would fuzz nothing useful: stop at once. */
    if (fuzz_setup(SK_FUZZ_KEY_DIR) != 0) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long before = live_guarded;
    int rc = FUZZ_ENTRY(data, size);
    if (live_guarded != before) abort(); /* a guarded block leaked (or was freed twice) */
    return rc;
}
