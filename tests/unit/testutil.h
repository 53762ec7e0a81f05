/* Helpers shared by the unit tests. */
#ifndef SK_TESTUTIL_H
#define SK_TESTUTIL_H

#include <stddef.h>
#include <sealkit/sealkit.h>

/* Reads a whole file into a malloc'd NUL-terminated buffer; fails the test on error. */
char *tu_read_file(const char *path, size_t *len);
/* Joins a directory and a relative path into a static-per-call buffer (malloc'd). */
char *tu_path(const char *dir, const char *rel);
/* The error as the CLI prints it (sk_error_format), in a static buffer. */
const char *tu_err_line(const sk_error *err);
/* Reads tests/data/REL (the repository's own test data) like tu_read_file. */
char *tu_data_file(const char *rel, size_t *len);

#endif
