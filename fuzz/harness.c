/*
 * The fuzz entry points (see harness.h). Besides "no crash, no leak", they
 * check invariants that must hold for any input the library accepts:
 *   - a parsed document, written back as JSON and as YAML, reads back as the
 *     same tree (numbers compared by value: Go writes 5.0 as 5);
 *   - a sealed Secret passes sk_sealed_check and unseals to the same items;
 *   - reseal with nothing to reseal returns the input byte for byte;
 *   - a keyring counts exactly the keys it reported adding.
 * Failing one is a bug, reported with abort().
 */
#include "harness.h"

#include <sealkit/sealkit.h>
#include <sealkit/package.h>

#include "formats/doc_spans.h"    /* where reseal writes (src/lib, internal) */
#include "operations/testhooks.h" /* the deterministic RNG (src/lib, internal) */

#include <archive.h>
#include <archive_entry.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Items one fuzz input may seal and open again (RSA private operations are slow). */
#define MAX_ROUNDTRIP_ITEMS 16

static const char SOURCE[] = "fuzz";

static struct {
    sk_keyring *ring;  /* fuzz-only keys a and b */
    sk_pubkey *cert_a; /* seal target */
    sk_pubkey *cert_b; /* reseal target */
} G;

static int load_cert(const char *dir, const char *file, sk_pubkey **out)
{
    char path[4096];
    sk_error err = {0};
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return sk_pubkey_from_file(path, FUZZ_NOW, out, &err);
}

static int load_key(const char *dir, const char *file)
{
    char path[4096];
    sk_error err = {0};
    sk_secbuf pem = SK_SECBUF_INIT;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int rc = sk_read_file(path, 1u << 20, &pem, &err);
    if (rc == SK_OK)
        rc = sk_keyring_add_pem(G.ring, (const char *)pem.data, pem.len, path, NULL, &err);
    sk_secbuf_free(&pem);
    return rc;
}

int fuzz_setup(const char *key_dir)
{
    sk_error err = {0};
    if (sk_init() != SK_OK || sk_json_wipe_on_free() != SK_OK ||
        sk_keyring_new(&G.ring, &err) != SK_OK)
        return -1;
    if (load_key(key_dir, "fuzz-only-a.key") != SK_OK) return -1;
    if (load_key(key_dir, "fuzz-only-b.key") != SK_OK) return -1;
    if (load_cert(key_dir, "fuzz-only-a.crt", &G.cert_a) != SK_OK) return -1;
    if (load_cert(key_dir, "fuzz-only-b.crt", &G.cert_b) != SK_OK) return -1;
    return sk_keyring_count(G.ring) == 2 ? 0 : -1;
}

void fuzz_teardown(void)
{
    sk_keyring_free(G.ring);
    sk_pubkey_free(G.cert_a);
    sk_pubkey_free(G.cert_b);
    memset(&G, 0, sizeof G);
}

static void check(int ok)
{
    if (!ok) abort();
}

/* ---- tree comparison and the write/read-back invariant ---- */

static int same_tree(const json_t *a, const json_t *b);

static int same_object(const json_t *a, const json_t *b)
{
    const char *k;
    json_t *v;
    if (json_object_size(a) != json_object_size(b)) return 0;
    json_object_foreach((json_t *)a, k, v)
    {
        const json_t *w = json_object_get(b, k);
        if (w == NULL || !same_tree(v, w)) return 0;
    }
    return 1;
}

static int same_array(const json_t *a, const json_t *b)
{
    if (json_array_size(a) != json_array_size(b)) return 0;
    for (size_t i = 0; i < json_array_size(a); i++) {
        if (!same_tree(json_array_get(a, i), json_array_get(b, i))) return 0;
    }
    return 1;
}

static int same_tree(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    if (json_is_number(a) && json_is_number(b)) return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b)) return 0;
    switch (json_typeof(a)) {
    case JSON_OBJECT:
        return same_object(a, b);
    case JSON_ARRAY:
        return same_array(a, b);
    case JSON_STRING:
        return json_equal(a, b);
    default:
        return 1; /* true, false, null */
    }
}

static void check_reads_back(const json_t *doc, const sk_secbuf *text)
{
    sk_docs back = {0};
    sk_error err = {0};
    check(sk_docs_parse(text->data, text->len, "emitted", &back, &err) == SK_OK);
    /* A document that is just null reads back as an empty document, which is skipped. */
    if (back.n == 0)
        check(json_is_null(doc));
    else
        check(back.n == 1 && same_tree(doc, back.doc[0]));
    sk_docs_free(&back);
}

/* Non-zero when pred holds for a member (key, value) or element (NULL, value) of v. */
static int any_node(const json_t *v, int (*pred)(const char *key, const json_t *v))
{
    const char *k;
    json_t *m;
    for (size_t i = 0; i < json_array_size(v); i++) {
        if (pred(NULL, json_array_get(v, i)) || any_node(json_array_get(v, i), pred)) return 1;
    }
    json_object_foreach((json_t *)v, k, m)
    {
        if (pred(k, m) || any_node(m, pred)) return 1;
    }
    return 0;
}

/*
 * A YAML integer beyond int64 becomes a real, which Go (and sk_emit_json)
 * writes as digits without a point; the JSON reader (jansson) refuses such
 * an integer ("too big integer"), so that case is left out of the check.
 */
static int is_huge_integral_real(const char *key, const json_t *v)
{
    (void)key;
    return json_is_real(v) && fabs(json_real_value(v)) >= 9.2e18;
}

/*
 * go-yaml v2 writes a "<<" key plain, and reads it back as a merge key,
 * which the reader refuses: sealkit writes what kubeseal writes, so that
 * case is left out of the YAML check.
 */
static int is_merge_key(const char *key, const json_t *v)
{
    (void)v;
    return key != NULL && strcmp(key, "<<") == 0;
}

/*
 * Only objects are checked through JSON: a top-level array or scalar does
 * not start with '{', so the reader would take it for YAML.
 */
static void write_and_read_back(const json_t *doc)
{
    sk_secbuf out = SK_SECBUF_INIT;
    sk_error err = {0};
    if (sk_emit_json(doc, &out, &err) == SK_OK && json_is_object(doc) &&
        !any_node(doc, is_huge_integral_real))
        check_reads_back(doc, &out);
    sk_secbuf_free(&out);
    if (sk_emit_yaml(doc, &out, &err) == SK_OK && !any_node(doc, is_merge_key))
        check_reads_back(doc, &out);
    sk_secbuf_free(&out);
}

/*
 * A span is where reseal writes: inside the input, in a parsed document, on one line when it
 * says so, and there holding the value's own text, unless quotes or escapes stand between.
 */
static void check_span(const sk_docs *docs, const sk_span *sp, const uint8_t *data, size_t size)
{
    check(sp->start <= sp->end && sp->end <= size);
    check(sp->document >= 1 && sp->document <= docs->n);
    const json_t *obj = docs->doc[sp->document - 1];
    if (sp->item > 0) obj = json_array_get(json_object_get(obj, "items"), sp->item - 1);
    const json_t *v =
        json_object_get(json_object_get(json_object_get(obj, "spec"), "encryptedData"), sp->key);
    check(v != NULL);
    const char *text = (const char *)data + sp->start;
    size_t n = sp->end - sp->start;
    if (!sp->one_line) return;
    check(memchr(text, '\n', n) == NULL);
    if (json_is_string(v) && memchr(text, '\\', n) == NULL && memchr(text, '\'', n) == NULL)
        check(json_string_length(v) == n && memcmp(json_string_value(v), text, n) == 0);
}

static void parse_and_check(const uint8_t *data, size_t size)
{
    sk_docs docs = {0};
    sk_spans spans = {0};
    sk_error err = {0};
    if (sk_docs_parse_spans(data, size, SOURCE, &docs, &spans, &err) == SK_OK) {
        for (size_t i = 0; i < spans.n; i++)
            check_span(&docs, &spans.v[i], data, size);
        for (size_t i = 0; i < docs.n; i++)
            write_and_read_back(docs.doc[i]);
    }
    sk_spans_free(&spans);
    sk_docs_free(&docs);
}

/* Runs the reader on prefix + data, in a buffer of exactly that size (for ASan). */
static void parse_with_prefix(const char *prefix, size_t p, const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(p + size);
    if (buf == NULL) return;
    memcpy(buf, prefix, p);
    if (size > 0) memcpy(buf + p, data, size);
    parse_and_check(buf, p + size);
    free(buf);
}

/* YAML only: an input the reader would take for JSON is made a YAML flow mapping. */
int fuzz_doc_yaml(const uint8_t *data, size_t size)
{
    if (sk_detect_format(data, size) == SK_FORMAT_JSON)
        parse_with_prefix("--- ", 4, data, size);
    else
        parse_and_check(data, size);
    return 0;
}

/* JSON only: an input that does not start with '{' gets one. */
int fuzz_doc_json(const uint8_t *data, size_t size)
{
    if (sk_detect_format(data, size) == SK_FORMAT_JSON)
        parse_and_check(data, size);
    else
        parse_with_prefix("{", 1, data, size);
    return 0;
}

/* ---- Secret model and sealing ---- */

/*
 * The options come from the low bits of the input's last byte, which stays
 * part of the manifest: a trailing newline (0x0a) means "-n fuzz-ns, no
 * --scope, no --name, data required".
 */
static sk_seal_opts opts_from(const uint8_t *data, size_t size)
{
    unsigned b = size > 0 ? data[size - 1] : 0;
    sk_seal_opts o = SK_SEAL_OPTS_INIT;
    o.has_scope = (b & 1u) != 0;
    o.scope = (sk_scope)((b >> 1) % 3u);
    o.namespace_ = (b & 8u) ? "fuzz-ns" : NULL;
    o.allow_empty = (b & 16u) != 0;
    o.name = (b & 32u) ? "fuzz-name" : NULL;
    o.force_scope = (b & 64u) != 0;
    return o;
}

static void check_items_equal(const sk_secret *a, const sk_secret *b)
{
    check(a->n_items == b->n_items);
    for (size_t i = 0; i < a->n_items; i++) {
        check(strcmp(a->items[i].key, b->items[i].key) == 0);
        check(a->items[i].value.len == b->items[i].value.len);
        check(a->items[i].value.len == 0 ||
              memcmp(a->items[i].value.data, b->items[i].value.data, a->items[i].value.len) == 0);
    }
}

static void check_sealed(const json_t *sealed, const sk_secret *s, size_t *budget)
{
    sk_error err = {0};
    sk_scope scope;
    check(sk_sealed_check(sealed, &scope, &err) == SK_OK);
    if (s->n_items > *budget) return;
    *budget -= s->n_items;
    sk_secret back;
    check(sk_unseal(sealed, G.ring, &back, &err) == SK_OK);
    check_items_equal(s, &back);
    sk_secret_free(&back);
}

static void emit_both(const json_t *doc)
{
    sk_secbuf out = SK_SECBUF_INIT;
    sk_error err = {0};
    check(sk_emit_json(doc, &out, &err) == SK_OK);
    sk_secbuf_free(&out);
    check(sk_emit_yaml(doc, &out, &err) == SK_OK);
    sk_secbuf_free(&out);
}

static void seal_all(sk_secret *s, size_t n, const sk_seal_opts *base)
{
    static const unsigned char seed[] = "sealkit fuzz";
    sk_error err = {0};
    sk_rng *rng = NULL;
    size_t budget = MAX_ROUNDTRIP_ITEMS;
    json_t *first = NULL;
    if (sk_rng_new_deterministic(seed, sizeof seed, &rng, &err) != SK_OK) return;
    for (size_t i = 0; i < n; i++) {
        json_t *sealed = NULL;
        if (sk_seal_secret_rng(&s[i], G.cert_a, base, rng, &sealed, &err) != SK_OK) continue;
        emit_both(sealed);
        check_sealed(sealed, &s[i], &budget);
        /* --merge-into: fold every later SealedSecret into the first one. */
        if (first == NULL)
            first = json_deep_copy(sealed);
        else if (sk_seal_merge(first, sealed, &err) == SK_OK)
            emit_both(first);
        json_decref(sealed);
    }
    json_decref(first);
    sk_rng_free(rng);
}

int fuzz_seal(const uint8_t *data, size_t size)
{
    sk_docs docs = {0};
    sk_error err = {0};
    sk_secret *secrets = NULL;
    sk_origin *origins = NULL;
    size_t n = 0;
    if (sk_docs_parse(data, size, SOURCE, &docs, &err) == SK_OK &&
        sk_secrets_from_docs(&docs, &secrets, &origins, &n, &err) == SK_OK) {
        sk_seal_opts o = opts_from(data, size);
        seal_all(secrets, n, &o);
        sk_secrets_free(secrets, origins, n);
    }
    sk_docs_free(&docs);
    return 0;
}

/* ---- SealedSecrets: unseal and reseal ---- */

static void unseal_one(const json_t *doc)
{
    sk_secret s;
    sk_error err = {0};
    if (sk_unseal(doc, G.ring, &s, &err) != SK_OK) return;
    json_t *tree = NULL;
    if (sk_secret_to_json(&s, &tree, &err) == SK_OK) emit_both(tree);
    json_decref(tree);
    sk_secret_free(&s);
}

static void unseal_docs(const uint8_t *data, size_t size)
{
    sk_docs docs = {0};
    sk_error err = {0};
    if (sk_docs_parse(data, size, SOURCE, &docs, &err) == SK_OK) {
        for (size_t i = 0; i < docs.n; i++) {
            const json_t *items = json_object_get(docs.doc[i], "items");
            for (size_t j = 0; j < json_array_size(items); j++)
                unseal_one(json_array_get(items, j));
            unseal_one(docs.doc[i]);
        }
    }
    sk_docs_free(&docs);
}

static void reseal(const uint8_t *data, size_t size)
{
    static const unsigned char seed[] = "sealkit fuzz reseal";
    sk_error err = {0};
    sk_rng *rng = NULL;
    sk_secbuf out = SK_SECBUF_INIT;
    sk_reseal_counts counts = SK_RESEAL_COUNTS_INIT;
    if (sk_rng_new_deterministic(seed, sizeof seed, &rng, &err) != SK_OK) return;
    if (sk_reseal_text_rng(data, size, SOURCE, G.ring, G.cert_b, rng, &out, &counts, &err) ==
        SK_OK) {
        if (counts.resealed == 0)
            check(out.len == size && (size == 0 || memcmp(out.data, data, size) == 0));
        else
            check(out.len != size || memcmp(out.data, data, size) != 0);
    }
    sk_secbuf_free(&out);
    sk_rng_free(rng);
}

int fuzz_unseal(const uint8_t *data, size_t size)
{
    unseal_docs(data, size);
    reseal(data, size);
    return 0;
}

/* ---- certificates and keys ---- */

static void check_ring(sk_keyring *kr, size_t added)
{
    check(sk_keyring_count(kr) == added);
    for (size_t i = 0; i < added; i++) {
        check(sk_keyring_key(kr, i) != NULL);
        check(strncmp(sk_keyring_fingerprint(kr, i), "SHA256:", 7) == 0);
        check(sk_keyring_bits(kr, i) > 0);
    }
}

int fuzz_pem(const uint8_t *data, size_t size)
{
    sk_error err = {0};
    sk_pubkey *pk = NULL;
    if (sk_pubkey_from_pem((const char *)data, size, FUZZ_NOW, &pk, &err) == SK_OK) {
        check(sk_pubkey_bits(pk) >= SK_MIN_RSA_BITS);
        check(strncmp(sk_pubkey_fingerprint(pk), "SHA256:", 7) == 0);
        check((sk_pubkey_flags(pk) & SK_CERT_IS_BARE_KEY) || sk_pubkey_not_after(pk) >= FUZZ_NOW);
        sk_pubkey_free(pk);
    }
    sk_keyring *kr = NULL;
    size_t added = 0;
    if (sk_keyring_new(&kr, &err) != SK_OK) return 0;
    if (sk_keyring_add_pem(kr, (const char *)data, size, SOURCE, &added, &err) == SK_OK)
        check_ring(kr, added);
    sk_keyring_free(kr);
    return 0;
}

int fuzz_keyfile(const uint8_t *data, size_t size)
{
    sk_error err = {0};
    sk_keyring *kr = NULL;
    size_t added = 0;
    if (sk_keyring_new(&kr, &err) != SK_OK) return 0;
    if (sk_keyring_add_text(kr, (const char *)data, size, SOURCE, &added, &err) == SK_OK)
        check_ring(kr, added);
    sk_keyring_free(kr);
    return 0;
}

/* ---- delivery packages ---- */

/*
 * The input is a tar archive (the fuzzer mutates its headers, which it could
 * not reach through compressed bytes) that is gzip-compressed here, or, when
 * it starts with the gzip magic, already a tar.gz (so the gzip layer is
 * fuzzed too). Returns 0 and a malloc'd *out on success.
 */
static int gzip_bytes(const uint8_t *data, size_t size, unsigned char **out, size_t *out_len)
{
    size_t cap = size + size / 8 + 4096;
    unsigned char *buf = malloc(cap);
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    int ok = buf != NULL && a != NULL && e != NULL;
    if (ok) {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, (la_int64_t)size);
        ok = archive_write_add_filter_gzip(a) == ARCHIVE_OK &&
             archive_write_set_format_raw(a) == ARCHIVE_OK &&
             archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK &&
             archive_write_open_memory(a, buf, cap, out_len) == ARCHIVE_OK &&
             archive_write_header(a, e) == ARCHIVE_OK &&
             (size == 0 || archive_write_data(a, data, size) == (la_ssize_t)size) &&
             archive_write_close(a) == ARCHIVE_OK;
    }
    archive_entry_free(e);
    archive_write_free(a);
    if (!ok) free(buf);
    *out = ok ? buf : NULL;
    return ok ? 0 : -1;
}

/* Every component of a returned path is non-empty and not "..". */
static void check_path(const char *path)
{
    check(path != NULL && path[0] != '\0');
    for (const char *c = path;; c++) {
        size_t n = strcspn(c, "/");
        check(n > 0 && !(n == 2 && c[0] == '.' && c[1] == '.'));
        c += n;
        if (*c == '\0') break;
    }
}

/* What sk_package_read promises about the entries it returns. */
static void check_entries(const sk_package *p)
{
    check(p->n <= SK_PACKAGE_MAX_ENTRIES);
    for (size_t i = 0; i < p->n; i++) {
        const sk_package_entry *e = &p->entries[i];
        check_path(e->path);
        check(e->data.len <= (size_t)SK_PACKAGE_MAX_ENTRY && (!e->is_dir || e->data.len == 0));
        if (i > 0) check(strcmp(p->entries[i - 1].path, e->path) < 0);
    }
}

int fuzz_package(const uint8_t *data, size_t size)
{
    unsigned char *gz = NULL;
    size_t gz_len = size;
    if (!(size >= 2 && data[0] == 0x1f && data[1] == 0x8b) && gzip_bytes(data, size, &gz, &gz_len))
        return 0;
    sk_package p = {0};
    sk_error err = {0};
    if (sk_package_read(gz ? gz : data, gz_len, &p, &err) == SK_OK) {
        check_entries(&p);
        sk_findings f;
        sk_findings_init(&f);
        sk_verify_opts vo = {SK_VERIFY_OPTS_VERSION, NULL, G.ring, -1};
        sk_package_summary sum = SK_PACKAGE_SUMMARY_INIT;
        sk_package_verify(&p, SOURCE, &vo, &f, &sum, &err);
        sk_findings_free(&f);
        sk_package_free(&p);
    }
    free(gz);
    return 0;
}

const fuzz_target fuzz_targets[] = {
    {"doc_yaml", fuzz_doc_yaml}, {"doc_json", fuzz_doc_json},
    {"seal", fuzz_seal},         {"unseal", fuzz_unseal},
    {"pem", fuzz_pem},           {"keyfile", fuzz_keyfile},
    {"package", fuzz_package},   {NULL, NULL},
};
