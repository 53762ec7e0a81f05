#include <sealkit/cert.h>
#include <sealkit/io.h>
#include <sealkit/mem.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "formats/pem.h"
#include "core/timeutil.h"

/* A certificate is a few KiB; anything near this is not one. */
#define CERT_FILE_LIMIT (1u << 20)

struct sk_pubkey {
    EVP_PKEY *pkey;
    int bits;
    unsigned flags;
    int64_t not_before;
    int64_t not_after;
    char fingerprint[SK_FINGERPRINT_MAX];
    char subject[256];
    char weakness[160];
};

static const char FETCH_HINT[] = "the controller's certificate comes from `kubeseal --fetch-cert` "
                                 "or the controller log (\"Certificate generated\")";

/* ---- fingerprint (docs/format.md §5.5) ---- */

static void put_u32(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* SSH mpint: big-endian, minimal, with a 0x00 pad when the top bit is set. Returns bytes written.
 */
static size_t put_mpint(unsigned char *p, const BIGNUM *bn)
{
    size_t n = (size_t)BN_num_bytes(bn);
    size_t pad = 0;
    BN_bn2bin(bn, p + 4 + 1);
    if (n > 0 && (p[5] & 0x80) != 0) pad = 1;
    if (pad == 0)
        memmove(p + 4, p + 5, n);
    else
        p[4] = 0;
    put_u32(p, n + pad);
    return 4 + n + pad;
}

static int rsa_wire_form(EVP_PKEY *rsa, unsigned char **out, size_t *out_len, sk_error *err)
{
    BIGNUM *e = NULL, *n = NULL;
    if (!EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_E, &e) ||
        !EVP_PKEY_get_bn_param(rsa, OSSL_PKEY_PARAM_RSA_N, &n)) {
        BN_free(e);
        BN_free(n);
        ERR_clear_error();
        return sk_error_set(err, SK_ECRYPTO, "cannot read the RSA modulus and exponent");
    }
    static const char type[] = "ssh-rsa";
    size_t cap =
        4 + (sizeof type - 1) + (size_t)2 * 5 + (size_t)BN_num_bytes(e) + (size_t)BN_num_bytes(n);
    unsigned char *buf = malloc(cap);
    if (buf == NULL) {
        BN_free(e);
        BN_free(n);
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    }
    put_u32(buf, sizeof type - 1);
    memcpy(buf + 4, type, sizeof type - 1);
    size_t len = 4 + sizeof type - 1;
    len += put_mpint(buf + len, e);
    len += put_mpint(buf + len, n);
    BN_free(e);
    BN_free(n);
    *out = buf;
    *out_len = len;
    return SK_OK;
}

int sk_fingerprint(EVP_PKEY *rsa, char out[SK_FINGERPRINT_MAX], sk_error *err)
{
    if (rsa == NULL || !EVP_PKEY_is_a(rsa, "RSA"))
        return sk_error_set(err, SK_EUSAGE, "a fingerprint needs an RSA key");
    unsigned char *wire = NULL;
    size_t wire_len = 0;
    int rc = rsa_wire_form(rsa, &wire, &wire_len, err);
    if (rc != SK_OK) return rc;
    unsigned char md[32];
    int ok = EVP_Digest(wire, wire_len, md, NULL, EVP_sha256(), NULL);
    free(wire);
    if (!ok) {
        ERR_clear_error();
        return sk_error_set(err, SK_ECRYPTO, "SHA-256 failed");
    }
    static const char prefix[] = "SHA256:";
    memcpy(out, prefix, sizeof prefix);
    sodium_bin2base64(out + sizeof prefix - 1, SK_FINGERPRINT_MAX - (sizeof prefix - 1), md,
                      sizeof md, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    return SK_OK;
}

/* ---- PEM scanning ---- */

/* The label of the next BEGIN line at or after pos, for messages only. */
static void next_block_name(const char *text, size_t len, size_t pos, char *name, size_t namesz)
{
    sk_pem_block b;
    snprintf(name, namesz, "PEM");
    if (sk_pem_next(text, len, &pos, NULL, &b) && b.label_len > 0)
        snprintf(name, namesz, "%.*s", (int)b.label_len, b.label);
}

/*
 * Reads the next PEM block. Returns 1 with a block, 0 at the end of the text,
 * or an sk_status (SK_EPARSE) for a broken block. Blocks live in secure memory:
 * a combined file given as the certificate may also hold the private key.
 */
static int read_block(BIO *bio, const char *text, size_t len, sk_pem_der *b, sk_error *err)
{
    size_t pos = 0;
    int got = sk_pem_read_der(bio, len, b, &pos);
    if (got >= 0) return got;
    char name[64];
    next_block_name(text, len, pos, name, sizeof name);
    return sk_error_set(err, SK_EPARSE,
                        "%s block after byte %zu is malformed (bad base64 or no END line)", name,
                        pos);
}

/* ---- certificate checks ---- */

static void format_date(int64_t when, char *out, size_t outsz)
{
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    time_t t = (time_t)when;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(out, outsz, "%lld (Unix time)", (long long)when);
        return;
    }
    snprintf(out, outsz, "%s %d, %d (%04d-%02d-%02d %02d:%02d:%02d UTC)", months[tm.tm_mon],
             tm.tm_mday, tm.tm_year + 1900, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static const char *key_type_name(EVP_PKEY *pkey)
{
    const char *name = EVP_PKEY_get0_type_name(pkey);
    return name != NULL ? name : "of an unknown type";
}

/*
 * What Go's crypto/rsa refuses (an exponent below 2 or above 2^31-1), an even exponent, and
 * what OpenSSL's public-key check refuses. With e = 1 the "ciphertext" is the plaintext.
 */
static int check_exponent(sk_pubkey *pk, sk_error *err)
{
    EVP_PKEY *key = pk->pkey;
    BIGNUM *e = NULL;
    if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
        ERR_clear_error();
        return sk_error_set(err, SK_ECERT, "cannot read the RSA public exponent");
    }
    int bits = BN_num_bits(e);
    unsigned long v = bits <= 31 ? (unsigned long)BN_get_word(e) : 0;
    int odd = BN_is_odd(e);
    if (!BN_is_word(e, 65537)) pk->flags |= SK_CERT_UNUSUAL_EXPONENT;
    BN_free(e);
    if (bits > 31)
        return sk_error_set(err, SK_ECERT, "RSA public exponent has %d bits; at most 31 are valid",
                            bits);
    if (v < 3 || !odd) {
        sk_error_set(err, SK_ECERT,
                     "RSA public exponent %lu is unsafe: it must be odd and at least 3", v);
        sk_error_hint(err, "this is not a controller's certificate; the controller uses 65537");
        return SK_ECERT;
    }
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    int checked = ctx != NULL && EVP_PKEY_public_check(ctx) == 1;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    if (!checked) return sk_error_set(err, SK_ECERT, "RSA public key fails OpenSSL's key check");
    return SK_OK;
}

/* Sealing refuses a weak key; inspecting (SK_PUBKEY_ALLOW_WEAK) records why and goes on. */
static int weak(sk_pubkey *pk, unsigned load_flags, int rc, sk_error *err, sk_error *why)
{
    if (rc == SK_OK) return SK_OK;
    if (!(load_flags & SK_PUBKEY_ALLOW_WEAK)) {
        if (err != NULL) *err = *why;
        return rc;
    }
    pk->flags |= SK_CERT_WEAK_KEY;
    if (pk->weakness[0] == '\0') snprintf(pk->weakness, sizeof pk->weakness, "%.159s", why->msg);
    return SK_OK;
}

static int check_key(sk_pubkey *pk, const char *what, unsigned load_flags, sk_error *err)
{
    if (!EVP_PKEY_is_a(pk->pkey, "RSA"))
        return sk_error_set(err, SK_ECERT, "%s key is %s, sealed secrets need RSA", what,
                            key_type_name(pk->pkey));
    pk->bits = EVP_PKEY_get_bits(pk->pkey);
    sk_error why = {0};
    int rc = SK_OK;
    if (pk->bits < SK_MIN_RSA_BITS)
        rc = sk_error_set(&why, SK_ECERT, "RSA key has %d bits; at least %d are required", pk->bits,
                          SK_MIN_RSA_BITS);
    rc = weak(pk, load_flags, rc, err, &why);
    if (rc == SK_OK) {
        why = (sk_error){0};
        rc = weak(pk, load_flags, check_exponent(pk, &why), err, &why);
    }
    return rc == SK_OK ? sk_fingerprint(pk->pkey, pk->fingerprint, err) : rc;
}

static int check_validity(sk_pubkey *pk, X509 *x, time_t now, unsigned load_flags, sk_error *err)
{
    if (!sk_asn1_to_unix(X509_get0_notBefore(x), &pk->not_before) ||
        !sk_asn1_to_unix(X509_get0_notAfter(x), &pk->not_after)) {
        ERR_clear_error();
        return sk_error_set(err, SK_ECERT, "certificate has an unreadable validity period");
    }
    /* Like upstream: expired only strictly after notAfter; notBefore is only a warning. */
    if ((int64_t)now > pk->not_after && (load_flags & SK_PUBKEY_ALLOW_EXPIRED)) {
        pk->flags |= SK_CERT_EXPIRED;
    } else if ((int64_t)now > pk->not_after) {
        char date[96];
        format_date(pk->not_after, date, sizeof date);
        sk_error_set(err, SK_ECERT, "certificate expired on %s", date);
        sk_error_hint(err, "fetch the controller's current certificate (kubeseal --fetch-cert)");
        return SK_ECERT;
    }
    if ((int64_t)now < pk->not_before) pk->flags |= SK_CERT_NOT_YET_VALID;
    return SK_OK;
}

/* RFC 2253 escapes control and non-ASCII bytes, so the line is safe to print; long ones are cut. */
static void read_subject(sk_pubkey *pk, X509 *x)
{
    BIO *mem = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n = 0;
    if (mem != NULL && X509_NAME_print_ex(mem, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0)
        n = BIO_get_mem_data(mem, &p);
    if (n > 0 && p != NULL)
        snprintf(pk->subject, sizeof pk->subject, "%.*s", (int)(n < 255 ? n : 255), p);
    BIO_free(mem);
    ERR_clear_error();
}

static int load_cert(sk_pubkey *pk, const sk_pem_der *b, time_t now, unsigned load_flags,
                     sk_error *err)
{
    const unsigned char *p = b->data;
    X509 *x = d2i_X509(NULL, &p, b->len);
    if (x == NULL) {
        ERR_clear_error();
        return sk_error_set(err, SK_EPARSE, "CERTIFICATE block is not a valid X.509 certificate");
    }
    pk->pkey = X509_get_pubkey(x); /* takes a reference that outlives x */
    int rc = SK_OK;
    if (pk->pkey == NULL) {
        ERR_clear_error();
        rc = sk_error_set(err, SK_ECERT, "certificate public key cannot be decoded");
    }
    if (rc == SK_OK) rc = check_key(pk, "certificate", load_flags, err);
    if (rc == SK_OK) rc = check_validity(pk, x, now, load_flags, err);
    if (rc == SK_OK) read_subject(pk, x);
    X509_free(x);
    return rc;
}

static int load_bare_key(sk_pubkey *pk, const sk_pem_der *b, unsigned load_flags, sk_error *err)
{
    const unsigned char *p = b->data;
    pk->pkey = d2i_PUBKEY(NULL, &p, b->len);
    if (pk->pkey == NULL) {
        ERR_clear_error();
        return sk_error_set(err, SK_EPARSE, "PUBLIC KEY block is not a valid public key");
    }
    pk->flags |= SK_CERT_IS_BARE_KEY;
    return check_key(pk, "public", load_flags, err);
}

/* Finds the first CERTIFICATE block, remembering the first PUBLIC KEY block as a fallback. */
static int scan_blocks(BIO *bio, const char *text, size_t len, sk_pem_der *cert, sk_pem_der *bare,
                       sk_error *err)
{
    for (;;) {
        sk_pem_der b = {0};
        int got = read_block(bio, text, len, &b, err);
        if (got == 0) return SK_OK;
        if (got != 1) return got;
        if (strcmp(b.name, "CERTIFICATE") == 0) {
            *cert = b;
            return SK_OK;
        }
        if (strcmp(b.name, "PUBLIC KEY") == 0 && bare->name == NULL)
            *bare = b;
        else
            sk_pem_der_free(&b);
    }
}

int sk_pubkey_from_pem(const char *pem, size_t len, time_t now, sk_pubkey **out, sk_error *err)
{
    return sk_pubkey_from_pem_ex(pem, len, now, 0, out, err);
}

int sk_pubkey_from_pem_ex(const char *pem, size_t len, time_t now, unsigned load_flags,
                          sk_pubkey **out, sk_error *err)
{
    *out = NULL;
    if (len > INT_MAX) return sk_error_set(err, SK_ELIMIT, "certificate text is too large");
    BIO *bio = BIO_new_mem_buf(len > 0 ? pem : "", (int)len);
    sk_pubkey *pk = calloc(1, sizeof *pk);
    if (bio == NULL || pk == NULL) {
        BIO_free(bio);
        free(pk);
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    }
    sk_pem_der cert = {0}, bare = {0};
    int rc = scan_blocks(bio, len > 0 ? pem : "", len, &cert, &bare, err);
    BIO_free(bio);
    if (rc == SK_OK && cert.name != NULL)
        rc = load_cert(pk, &cert, now, load_flags, err);
    else if (rc == SK_OK && bare.name != NULL)
        rc = load_bare_key(pk, &bare, load_flags, err);
    else if (rc == SK_OK) {
        rc = sk_error_set(err, SK_EPARSE, "no CERTIFICATE or PUBLIC KEY block found");
        sk_error_hint(err, "%s", FETCH_HINT);
    }
    sk_pem_der_free(&cert);
    sk_pem_der_free(&bare);
    if (rc != SK_OK) {
        sk_pubkey_free(pk);
        return rc;
    }
    *out = pk;
    return SK_OK;
}

int sk_pubkey_from_file(const char *path, time_t now, sk_pubkey **out, sk_error *err)
{
    *out = NULL;
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sk_error_set(err, SK_EIO, "cannot read certificate %s: %s", path, strerror(errno));
        sk_error_hint(err, "pass the controller's certificate with --cert FILE or "
                           "SEALED_SECRETS_CERT");
        return SK_EIO;
    }
    sk_secbuf text = SK_SECBUF_INIT;
    int rc = sk_read_fd(fd, name, CERT_FILE_LIMIT, &text, err);
    if (!is_stdin) close(fd);
    if (rc == SK_OK) {
        rc = sk_pubkey_from_pem((const char *)text.data, text.len, now, out, err);
        if (rc != SK_OK) sk_error_at_source(err, rc, name);
    }
    sk_secbuf_free(&text);
    return rc;
}

void sk_pubkey_free(sk_pubkey *pk)
{
    if (pk == NULL) return;
    EVP_PKEY_free(pk->pkey);
    free(pk);
}

EVP_PKEY *sk_pubkey_evp(const sk_pubkey *pk)
{
    return pk->pkey;
}

int sk_pubkey_bits(const sk_pubkey *pk)
{
    return pk->bits;
}

unsigned sk_pubkey_flags(const sk_pubkey *pk)
{
    return pk->flags;
}

int64_t sk_pubkey_not_before(const sk_pubkey *pk)
{
    return pk->not_before;
}

int64_t sk_pubkey_not_after(const sk_pubkey *pk)
{
    return pk->not_after;
}

const char *sk_pubkey_fingerprint(const sk_pubkey *pk)
{
    return pk->fingerprint;
}

const char *sk_pubkey_subject(const sk_pubkey *pk)
{
    return pk->subject;
}

const char *sk_pubkey_weakness(const sk_pubkey *pk)
{
    return pk->weakness;
}
