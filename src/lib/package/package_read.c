/*
 * Reading a package someone else built: every entry goes to memory, nothing
 * is extracted, and anything that would be dangerous to extract (or to hold
 * in memory) stops reading with a message naming the entry.
 */
#include <sealkit/package.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/package_internal.h"

#define PATH_MAX_LEN 1024

typedef struct reader {
    struct archive *a;
    uint64_t archive_len;
    uint64_t total; /* entry bytes read so far */
    size_t index;   /* 1-based number of the current entry */
    char shown[160];
    sk_package *pkg;
    sk_error *err;
} reader;

static int fail(reader *r, int code, const char *fmt, ...) SK_PRINTF(3, 4);

static int fail(reader *r, int code, const char *fmt, ...)
{
    char what[SK_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return sk_error_set(r->err, code, "entry %zu \"%s\": %s", r->index, r->shown, what);
}

/* Why raw is not a safe relative path, or NULL; out receives it normalised. */
static const char *normalise(const char *raw, char *out, size_t size)
{
    if (raw == NULL || *raw == '\0') return "has no name";
    if (raw[0] == '/') return "absolute path (extracting it would write outside the target folder)";
    if (strlen(raw) >= size) return "name too long";
    for (const char *p = raw; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) return "control character in the name";
    while (raw[0] == '.' && raw[1] == '/')
        raw += 2;
    snprintf(out, size, "%s", raw);
    size_t n = strlen(out);
    if (n > 0 && out[n - 1] == '/') out[--n] = '\0';
    if (n == 0) return "names the extraction folder itself";
    for (const char *c = out; c != NULL;) {
        const char *end = strchr(c, '/');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        if (len == 0) return "empty path component";
        if (len == 2 && c[0] == '.' && c[1] == '.')
            return "\"..\" path component (extracting it would escape the target folder)";
        if (len == 1 && c[0] == '.') return "\".\" path component";
        c = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Why the entry's type is refused, or NULL for a regular file or folder. */
static const char *refused_type(struct archive_entry *e)
{
    if (archive_entry_hardlink(e) != NULL) return "hard link; links are refused";
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
        return archive_entry_sparse_count(e) > 0 ? "sparse file; refused" : NULL;
    case AE_IFDIR:
        return NULL;
    case AE_IFLNK:
        return "symbolic link; links are refused";
    case AE_IFCHR:
        return "character device; devices are refused";
    case AE_IFBLK:
        return "block device; devices are refused";
    case AE_IFIFO:
        return "FIFO; refused";
    case AE_IFSOCK:
        return "socket; refused";
    default:
        return "neither a regular file nor a folder; refused";
    }
}

static int read_data(reader *r, struct archive_entry *e, sk_secbuf *data)
{
    if (!archive_entry_size_is_set(e)) return fail(r, SK_EPARSE, "no size in its header");
    la_int64_t size = archive_entry_size(e);
    if (size < 0 || (uint64_t)size > SK_PACKAGE_MAX_ENTRY)
        return fail(r, SK_ELIMIT, "%lld bytes, over the %u MiB entry limit", (long long)size,
                    SK_PACKAGE_MAX_ENTRY >> 20);
    if (r->total + (uint64_t)size > SK_PACKAGE_MAX_TOTAL)
        return fail(r, SK_ELIMIT, "the entries hold more than %u MiB in all (total limit)",
                    SK_PACKAGE_MAX_TOTAL >> 20);
    int rc = sk_secbuf_reserve(data, (size_t)size, r->err);
    unsigned char chunk[16384];
    while (rc == SK_OK) {
        la_ssize_t got = archive_read_data(r->a, chunk, sizeof chunk);
        if (got <= 0) {
            if (got < 0) rc = fail(r, SK_EPARSE, "corrupt data: %s", archive_error_string(r->a));
            break;
        }
        r->total += (uint64_t)got;
        if (data->len + (size_t)got > (size_t)size)
            rc = fail(r, SK_EPARSE, "more data than its header says");
        /* Decompression bombs: entry bytes grow far faster than archive bytes. */
        else if (r->total > SK_PACKAGE_MAX_RATIO * r->archive_len)
            rc = fail(r, SK_ELIMIT,
                      "compression ratio over %d:1 (%llu bytes of entries from a "
                      "%llu-byte archive): refused as a decompression bomb",
                      SK_PACKAGE_MAX_RATIO, (unsigned long long)r->total,
                      (unsigned long long)r->archive_len);
        else
            rc = sk_secbuf_append(data, chunk, (size_t)got, r->err);
    }
    sk_wipe(chunk, sizeof chunk); /* a hostile package may carry plaintext */
    return rc;
}

static int add_entry(reader *r, struct archive_entry *e)
{
    const char *raw = archive_entry_pathname(e);
    sk_pkg_printable(raw ? raw : "", r->shown, sizeof r->shown);
    if (r->index > SK_PACKAGE_MAX_ENTRIES)
        return sk_error_set(r->err, SK_ELIMIT, "more than %d entries: refused",
                            SK_PACKAGE_MAX_ENTRIES);
    char path[PATH_MAX_LEN];
    const char *why = normalise(raw, path, sizeof path);
    if (why == NULL) why = refused_type(e);
    if (why != NULL) return fail(r, SK_EINVAL, "%s", why);
    sk_package_entry *grown = realloc(r->pkg->entries, (r->pkg->n + 1) * sizeof *grown);
    if (grown == NULL) return sk_error_set(r->err, SK_ENOMEM, "out of memory");
    r->pkg->entries = grown;
    sk_package_entry *ent = &grown[r->pkg->n];
    *ent = (sk_package_entry){strdup(path), archive_entry_filetype(e) == AE_IFDIR, SK_SECBUF_INIT};
    if (ent->path == NULL) return sk_error_set(r->err, SK_ENOMEM, "out of memory");
    r->pkg->n++;
    return ent->is_dir ? SK_OK : read_data(r, e, &ent->data);
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const sk_package_entry *)a)->path, ((const sk_package_entry *)b)->path);
}

static int finish(reader *r)
{
    sk_package *p = r->pkg;
    if (p->n > 0) qsort(p->entries, p->n, sizeof *p->entries, entry_cmp);
    for (size_t i = 1; i < p->n; i++) {
        if (strcmp(p->entries[i - 1].path, p->entries[i].path) == 0) {
            char shown[160];
            sk_pkg_printable(p->entries[i].path, shown, sizeof shown);
            return sk_error_set(r->err, SK_EINVAL,
                                "\"%s\" appears twice; extracting would "
                                "silently replace the first",
                                shown);
        }
    }
    return SK_OK;
}

static int not_gzip(reader *r)
{
    if (archive_filter_code(r->a, 0) == ARCHIVE_FILTER_GZIP) return 0;
    sk_error_set(r->err, SK_EPARSE, "not a gzip-compressed tar archive");
    return 1;
}

static int read_all(reader *r)
{
    struct archive_entry *e;
    for (;;) {
        int ar = archive_read_next_header(r->a, &e);
        if (ar == ARCHIVE_EOF) break;
        if (ar != ARCHIVE_OK)
            return sk_error_set(r->err, SK_EPARSE, "entry %zu: not a valid tar.gz: %s",
                                r->index + 1, archive_error_string(r->a));
        if (r->index == 0 && not_gzip(r)) return SK_EPARSE;
        r->index++;
        int rc = add_entry(r, e);
        if (rc != SK_OK) return rc;
    }
    if (r->index == 0 && not_gzip(r)) return SK_EPARSE;
    return finish(r);
}

int sk_package_read(const unsigned char *buf, size_t len, sk_package *out, sk_error *err)
{
    sk_package pkg = {0};
    reader r = {.archive_len = len, .pkg = &pkg, .err = err};
    r.a = archive_read_new();
    if (r.a == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    int rc = SK_OK;
    if (archive_read_support_filter_gzip(r.a) != ARCHIVE_OK ||
        archive_read_support_format_tar(r.a) != ARCHIVE_OK)
        rc = sk_error_set(err, SK_EIO, "libarchive lacks gzip or tar support");
    else if (archive_read_open_memory(r.a, buf, len) != ARCHIVE_OK)
        rc = sk_error_set(err, SK_EPARSE, "not a valid tar.gz: %s", archive_error_string(r.a));
    else
        rc = read_all(&r);
    archive_read_free(r.a);
    if (rc != SK_OK) {
        sk_package_free(&pkg);
        return rc;
    }
    *out = pkg;
    return SK_OK;
}

void sk_package_free(sk_package *p)
{
    if (p == NULL) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->entries[i].path);
        sk_secbuf_free(&p->entries[i].data);
    }
    free(p->entries);
    p->entries = NULL;
    p->n = 0;
}
