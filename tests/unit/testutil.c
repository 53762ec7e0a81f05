#include "testutil.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        print_error("cannot open %s\n", path);
        fail();
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    if (len != NULL) *len = n;
    return buf;
}

char *tu_path(const char *dir, const char *rel)
{
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, rel);
    return p;
}

char *tu_data_file(const char *rel, size_t *len)
{
    char *path = tu_path(SK_TEST_DATA_DIR, rel);
    char *text = tu_read_file(path, len);
    free(path);
    return text;
}

const char *tu_err_line(const sk_error *err)
{
    static char line[SK_ERROR_MSG_MAX + SK_ERROR_SOURCE_MAX + 96];
    sk_error_format(err, line, sizeof line);
    return line;
}
