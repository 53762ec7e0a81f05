#include <sealkit/crypto.h>
#include <sealkit/keys.h>
#include <sealkit/timefmt.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keys/keys_internal.h"
#include "crypto/crypto_internal.h"
#include "formats/pem.h"
#include "core/timeutil.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

enum { OWN_SOURCE, OWN_NAME, OWN_NS, OWN_LABEL, OWN_CREATED, OWN_COUNT };

typedef struct key_entry {
    EVP_PKEY *pkey;
    int bits;
    size_t modulus_len;
    char fp[SK_FINGERPRINT_MAX];
    sk_key_info info;     /* its strings point into own[] */
    X509 *cert;           /* the certificate info.cert describes; NULL without a readable one */
    char *own[OWN_COUNT]; /* strings owned by the entry */
    uint64_t used;        /* ring tick of its last success; 0 = never */
    size_t opened;        /* SealedSecrets it opened (once per sk_keyring_hint_begin) */
    double n_top;         /* the modulus's leading 8 bytes: what the ciphertexts must stay below */
} key_entry;

/*
 * What the caller knows of the SealedSecret whose items come next (sk_keyring_hint_item): the
 * largest RSA part among them, and the key that opened one of them.
 */
typedef struct key_hint {
    size_t rsa_len; /* of the RSA parts seen; 0 = no hint */
    size_t m;       /* how many */
    double c_max;   /* the largest one's leading 8 bytes */
    size_t opened;  /* the key that opened one of them; SIZE_MAX = none yet */
} key_hint;

struct sk_keyring {
    key_entry *keys;
    size_t n, cap;
    uint64_t tick; /* counts successful decryptions, to order keys by recent use */
    size_t tries;  /* decryptions attempted, one per key tried (sk_keyring_tries) */
    sk_key_exposure *exposed;
    size_t n_exposed;
    key_hint hint;
    /*
     * The order SealedSecrets came in: follows[j * n + k] counts those opened by key k right
     * after one opened by key j, while follows_n == n (recounted when keys are added).
     */
    size_t *follows, follows_n;
    size_t last_opened; /* the key that opened the last SealedSecret; SIZE_MAX = none */
    size_t opened;      /* SealedSecrets opened */
};

int sk_keyring_new(sk_keyring **out, sk_error *err)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    sk_keyring_hint_begin(*out);
    (*out)->last_opened = SIZE_MAX;
    return SK_OK;
}

static void drop_keys_from(sk_keyring *kr, size_t from)
{
    for (size_t i = from; i < kr->n; i++) {
        EVP_PKEY_free(kr->keys[i].pkey);
        X509_free(kr->keys[i].cert);
        for (size_t j = 0; j < OWN_COUNT; j++)
            free(kr->keys[i].own[j]);
    }
    kr->n = from;
}

void sk_keyring_free(sk_keyring *kr)
{
    if (kr == NULL) return;
    drop_keys_from(kr, 0);
    free(kr->keys);
    for (size_t i = 0; i < kr->n_exposed; i++)
        free((char *)kr->exposed[i].path);
    free(kr->exposed);
    free(kr->follows);
    free(kr);
}

size_t sk_keyring_count(const sk_keyring *kr)
{
    return kr->n;
}

EVP_PKEY *sk_keyring_key(const sk_keyring *kr, size_t i)
{
    return i < kr->n ? kr->keys[i].pkey : NULL;
}

const char *sk_keyring_fingerprint(const sk_keyring *kr, size_t i)
{
    return i < kr->n ? kr->keys[i].fp : NULL;
}

int sk_keyring_bits(const sk_keyring *kr, size_t i)
{
    return i < kr->n ? kr->keys[i].bits : 0;
}

const sk_key_info *sk_keyring_info(const sk_keyring *kr, size_t i)
{
    return i < kr->n ? &kr->keys[i].info : NULL;
}

/* ---- files and folders other users can reach ---- */

int sk_keyring_note_exposure(sk_keyring *kr, const char *path, int kind, unsigned mode,
                             sk_error *err)
{
    for (size_t i = 0; i < kr->n_exposed; i++)
        if (kr->exposed[i].kind == kind && strcmp(kr->exposed[i].path, path) == 0) return SK_OK;
    sk_key_exposure *grown = realloc(kr->exposed, (kr->n_exposed + 1) * sizeof *grown);
    if (grown == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    kr->exposed = grown;
    char *copy = strdup(path);
    if (copy == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    kr->exposed[kr->n_exposed++] = (sk_key_exposure){.path = copy, .kind = kind, .mode = mode};
    return SK_OK;
}

size_t sk_keyring_exposure_count(const sk_keyring *kr)
{
    return kr->n_exposed;
}

const sk_key_exposure *sk_keyring_exposure(const sk_keyring *kr, size_t i)
{
    return i < kr->n_exposed ? &kr->exposed[i] : NULL;
}

/* ---- the secure heap ---- */

static int heap_locked;
static size_t heap_bytes;

/*
 * OpenSSL's decoder reports a failed secure allocation as an undecodable key: a heap with less
 * than a sixteenth left (1 MiB holds some 580 keys of 4096 bits) is taken to be the cause.
 */
static int secure_heap_full(void)
{
    return heap_bytes > 0 && CRYPTO_secure_used() + heap_bytes / 16 > heap_bytes;
}

int sk_keys_secure_heap_init(size_t bytes, int *locked, sk_error *err)
{
    if (!CRYPTO_secure_malloc_initialized()) {
        /* 1: set up and locked; 2: set up, but mlock or MADV_DONTDUMP was refused. */
        int r = CRYPTO_secure_malloc_init(bytes, 32);
        ERR_clear_error();
        if (r == 0)
            return sk_error_set(err, SK_ENOMEM, "cannot set up OpenSSL's secure heap of %zu bytes",
                                bytes);
        heap_locked = r == 1;
        heap_bytes = bytes;
    }
    if (locked != NULL) *locked = heap_locked;
    return SK_OK;
}

/* ---- adding keys ---- */

/* Big-endian bytes as a number of the same order: only ever compared, never computed with. */
static double leading(const unsigned char *b)
{
    double v = 0;
    for (size_t i = 0; i < 8; i++)
        v = v * 256 + b[i];
    return v;
}

static double modulus_top(EVP_PKEY *pkey, size_t len)
{
    BIGNUM *n = NULL;
    unsigned char *buf = len >= 8 ? malloc(len) : NULL;
    double top = 0;
    if (buf != NULL && EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) &&
        BN_bn2binpad(n, buf, (int)len) == (int)len)
        top = leading(buf);
    ERR_clear_error();
    BN_free(n);
    free(buf);
    return top; /* 0: no hint for this key, tried in the usual order */
}

static size_t find_key(const sk_keyring *kr, const char *fp)
{
    for (size_t i = 0; i < kr->n; i++)
        if (strcmp(kr->keys[i].fp, fp) == 0) return i;
    return SIZE_MAX;
}

/*
 * Takes ownership of pkey; a key already in the ring is dropped and *idx
 * names the one kept. *is_new says which happened.
 */
static int add_key(sk_keyring *kr, EVP_PKEY *pkey, size_t *idx, int *is_new, sk_error *err)
{
    key_entry e = {.pkey = pkey,
                   .bits = EVP_PKEY_get_bits(pkey),
                   .modulus_len = (size_t)EVP_PKEY_get_size(pkey)};
    int rc = sk_fingerprint(pkey, e.fp, err);
    size_t found = rc == SK_OK ? find_key(kr, e.fp) : SIZE_MAX;
    if (found == SIZE_MAX) e.n_top = modulus_top(pkey, e.modulus_len);
    *is_new = 0;
    if (found != SIZE_MAX) {
        EVP_PKEY_free(pkey);
        *idx = found;
        return SK_OK;
    }
    if (rc == SK_OK && kr->n == kr->cap) {
        size_t cap = kr->cap ? kr->cap * 2 : 4;
        key_entry *grown = realloc(kr->keys, cap * sizeof *grown);
        if (grown == NULL)
            rc = sk_error_set(err, SK_ENOMEM, "out of memory");
        else {
            kr->keys = grown;
            kr->cap = cap;
        }
    }
    if (rc != SK_OK) {
        EVP_PKEY_free(pkey);
        return rc;
    }
    *idx = kr->n;
    *is_new = 1;
    kr->keys[kr->n++] = e;
    return SK_OK;
}

/* 1 with a block, 0 at the end of the text, else an sk_status. */
static int next_key_block(BIO *bio, size_t len, const char *source, sk_pem_der *b, sk_error *err)
{
    size_t pos = 0;
    int got = sk_pem_read_der(bio, len, b, &pos);
    if (got >= 0) return got;
    return sk_error_set(err, SK_EPARSE,
                        "%s: PEM block after byte %zu is malformed (bad base64 or no END line)",
                        source, pos);
}

static int is_encrypted(const sk_pem_der *b)
{
    return strcmp(b->name, "ENCRYPTED PRIVATE KEY") == 0 ||
           (b->header != NULL && strstr(b->header, "ENCRYPTED") != NULL);
}

static int decode_der(const sk_pem_der *b, const char *structure, const char *keytype,
                      EVP_PKEY **pkey)
{
    ERR_set_mark(); /* decoder noise is not the caller's business */
    OSSL_DECODER_CTX *dctx = OSSL_DECODER_CTX_new_for_pkey(pkey, "DER", structure, keytype,
                                                           EVP_PKEY_KEYPAIR, NULL, NULL);
    const unsigned char *p = b->data;
    size_t left = (size_t)b->len;
    int ok = dctx != NULL && OSSL_DECODER_from_data(dctx, &p, &left) && *pkey != NULL;
    OSSL_DECODER_CTX_free(dctx);
    ERR_pop_to_mark();
    return ok;
}

/*
 * Turns one PEM block into a key. *pkey stays NULL for blocks that are not
 * private keys. blockno (1-based) is for messages.
 */
static int block_to_key(const sk_pem_der *b, const char *source, size_t blockno, EVP_PKEY **pkey,
                        sk_error *err)
{
    int pkcs1 = strcmp(b->name, "RSA PRIVATE KEY") == 0;
    int pkcs8 = strcmp(b->name, "PRIVATE KEY") == 0;
    const char *other = strcmp(b->name, "EC PRIVATE KEY") == 0    ? "EC"
                        : strcmp(b->name, "DSA PRIVATE KEY") == 0 ? "DSA"
                                                                  : NULL;
    *pkey = NULL;
    if (is_encrypted(b) && strstr(b->name, "PRIVATE KEY") != NULL) {
        sk_error_set(err, SK_EPARSE, "%s: PEM block %zu: encrypted private keys are not supported",
                     source, blockno);
        sk_error_hint(err, "decrypt it first, e.g. openssl pkey -in KEY.pem -out plain.pem");
        return SK_EPARSE;
    }
    if (other)
        return sk_error_set(err, SK_ECERT,
                            "%s: PEM block %zu: the private key is %s, sealed secrets need RSA",
                            source, blockno, other);
    if (!pkcs1 && !pkcs8) return SK_OK;
    int decoded =
        decode_der(b, pkcs1 ? "type-specific" : "PrivateKeyInfo", pkcs1 ? "RSA" : NULL, pkey);
    if (!decoded && secure_heap_full())
        return sk_error_set(err, SK_ENOMEM,
                            "%s: PEM block %zu: OpenSSL's secure heap of %zu bytes is full: too "
                            "many keys at once",
                            source, blockno, heap_bytes);
    if (!decoded)
        return sk_error_set(err, SK_EPARSE, "%s: PEM block %zu (%s) is not a valid %s key", source,
                            blockno, b->name, pkcs1 ? "PKCS#1" : "PKCS#8");
    if (!EVP_PKEY_is_a(*pkey, "RSA")) {
        const char *type = EVP_PKEY_get0_type_name(*pkey);
        EVP_PKEY_free(*pkey);
        *pkey = NULL;
        return sk_error_set(err, SK_ECERT,
                            "%s: PEM block %zu: the private key is %s, sealed secrets need RSA",
                            source, blockno, type ? type : "not RSA");
    }
    return SK_OK;
}

/* The ring indexes of the keys one text held, new or already known. */
typedef struct found_keys {
    size_t *idx;
    size_t n, added;
} found_keys;

static int note_found(found_keys *f, size_t idx, int is_new, sk_error *err)
{
    size_t *grown = realloc(f->idx, (f->n + 1) * sizeof *grown);
    if (grown == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    f->idx = grown;
    f->idx[f->n++] = idx;
    f->added += is_new ? 1 : 0;
    return SK_OK;
}

static int add_blocks(sk_keyring *kr, BIO *bio, size_t len, const char *source, found_keys *f,
                      sk_error *err)
{
    for (size_t blockno = 1;; blockno++) {
        sk_pem_der b = {0};
        int got = next_key_block(bio, len, source, &b, err);
        if (got == 0) return SK_OK;
        if (got != 1) return got;
        EVP_PKEY *pkey = NULL;
        int rc = block_to_key(&b, source, blockno, &pkey, err);
        sk_pem_der_free(&b);
        if (rc == SK_OK && pkey != NULL) {
            size_t idx = 0;
            int is_new = 0;
            rc = add_key(kr, pkey, &idx, &is_new, err);
            if (rc == SK_OK) rc = note_found(f, idx, is_new, err);
        }
        if (rc != SK_OK) return rc;
    }
}

/* ---- what came with a key ---- */

static int own_str(key_entry *e, int slot, const char *value, const char **field)
{
    free(e->own[slot]);
    e->own[slot] = NULL;
    *field = NULL;
    if (value == NULL) return SK_OK;
    e->own[slot] = strdup(value);
    *field = e->own[slot];
    return e->own[slot] != NULL ? SK_OK : SK_ENOMEM;
}

/* Records x as e's certificate: OK when it holds e's public key, MISMATCH otherwise. */
static void set_cert(key_entry *e, X509 *x)
{
    sk_key_info *in = &e->info;
    EVP_PKEY *pub = X509_get0_pubkey(x);
    X509_free(e->cert);
    e->cert = X509_up_ref(x) == 1 ? x : NULL;
    in->cert_fingerprint[0] = '\0';
    if (pub == NULL || !EVP_PKEY_is_a(pub, "RSA") ||
        sk_fingerprint(pub, in->cert_fingerprint, NULL) != SK_OK)
        in->cert_fingerprint[0] = '\0';
    if (!sk_asn1_to_unix(X509_get0_notBefore(x), &in->not_before) ||
        !sk_asn1_to_unix(X509_get0_notAfter(x), &in->not_after)) {
        in->cert = SK_KEY_CERT_UNREADABLE;
        in->cert_fingerprint[0] = '\0';
        X509_free(e->cert);
        e->cert = NULL;
        return;
    }
    in->cert = strcmp(in->cert_fingerprint, e->fp) == 0 ? SK_KEY_CERT_OK : SK_KEY_CERT_MISMATCH;
}

/* The first readable CERTIFICATE block of text, or NULL. */
static X509 *first_cert(const char *text, size_t len)
{
    if (text == NULL || len > INT_MAX) return NULL;
    BIO *bio = BIO_new_mem_buf(len > 0 ? text : "", (int)len);
    X509 *x = NULL;
    for (int more = bio != NULL; more && x == NULL;) {
        sk_pem_der b = {0};
        more = next_key_block(bio, len, "", &b, NULL) == 1;
        if (more && strcmp(b.name, "CERTIFICATE") == 0) {
            const unsigned char *p = b.data;
            x = d2i_X509(NULL, &p, b.len);
        }
        sk_pem_der_free(&b);
    }
    BIO_free(bio);
    ERR_clear_error();
    return x;
}

/* A Secret pairs its tls.crt with its tls.key: the controller uses that certificate. */
static void set_secret_cert(key_entry *e, const sk_key_origin *o)
{
    if (!o->has_crt) return;
    X509 *x = first_cert(o->crt, o->crt_len);
    if (x == NULL) {
        e->info.cert = SK_KEY_CERT_UNREADABLE;
        e->info.cert_fingerprint[0] = '\0';
        X509_free(e->cert);
        e->cert = NULL;
        return;
    }
    set_cert(e, x);
    X509_free(x);
}

static int take_secret(key_entry *e, const sk_key_origin *o)
{
    sk_key_info *in = &e->info;
    int rc = own_str(e, OWN_SOURCE, o->source, &in->source);
    if (rc == SK_OK) rc = own_str(e, OWN_NAME, o->name, &in->name);
    if (rc == SK_OK) rc = own_str(e, OWN_NS, o->ns, &in->ns);
    if (rc == SK_OK) rc = own_str(e, OWN_LABEL, o->label, &in->label);
    if (rc == SK_OK) rc = own_str(e, OWN_CREATED, o->created, &in->created);
    in->from_secret = 1;
    in->document = o->document;
    in->item = o->item;
    in->has_created =
        o->created != NULL && sk_time_parse(o->created, &in->created_at, NULL) == SK_OK;
    set_secret_cert(e, o);
    return rc;
}

static int record_origin(key_entry *e, const sk_key_origin *o, int is_new)
{
    e->info.seen++;
    if (o == NULL) return SK_OK;
    if (o->from_secret && !e->info.from_secret) return take_secret(e, o);
    if (!is_new) return SK_OK;
    e->info.document = o->document;
    e->info.item = o->item;
    return own_str(e, OWN_SOURCE, o->source, &e->info.source);
}

static int record_found(sk_keyring *kr, const found_keys *f, const sk_key_origin *o, sk_error *err)
{
    size_t first_new = kr->n - f->added;
    for (size_t i = 0; i < f->n; i++) {
        size_t idx = f->idx[i];
        if (record_origin(&kr->keys[idx], o, idx >= first_new) != SK_OK)
            return sk_error_set(err, SK_ENOMEM, "out of memory");
    }
    return SK_OK;
}

int sk_keyring_add_pem_from(sk_keyring *kr, const char *text, size_t len, const char *source,
                            const sk_key_origin *origin, size_t *added, sk_error *err)
{
    found_keys f = {0};
    size_t start = kr->n;
    sk_key_origin plain = {.source = source};
    if (added != NULL) *added = 0;
    if (len > INT_MAX) return sk_error_set(err, SK_ELIMIT, "%s: key text is too large", source);
    /* A read-only memory BIO reads the caller's bytes in place: no copy of the key text. */
    BIO *bio = BIO_new_mem_buf(len > 0 ? text : "", (int)len);
    if (bio == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    int rc = add_blocks(kr, bio, len, source, &f, err);
    BIO_free(bio);
    if (rc == SK_OK && f.n == 0) {
        rc = sk_error_set(err, SK_EPARSE, "no private key found in %s", source);
        sk_error_hint(err, "expected a PEM \"RSA PRIVATE KEY\" or \"PRIVATE KEY\" block, such as "
                           "the controller Secret's tls.key");
    }
    if (rc == SK_OK) rc = record_found(kr, &f, origin != NULL ? origin : &plain, err);
    /* Certificates beside the keys in the same text describe them. */
    if (rc == SK_OK) rc = sk_keyring_add_certs(kr, text, len, source, NULL, err);
    free(f.idx);
    /* All or nothing: a text that fails part-way adds no key. */
    if (rc != SK_OK) {
        drop_keys_from(kr, start);
        return rc;
    }
    if (added != NULL) *added = f.added;
    return SK_OK;
}

int sk_keyring_add_pem(sk_keyring *kr, const char *text, size_t len, const char *source,
                       size_t *added, sk_error *err)
{
    return sk_keyring_add_pem_from(kr, text, len, source, NULL, added, err);
}

static void attach_cert(sk_keyring *kr, const sk_pem_der *b, size_t *attached)
{
    const unsigned char *p = b->data;
    X509 *x = d2i_X509(NULL, &p, b->len);
    EVP_PKEY *pub = x != NULL ? X509_get0_pubkey(x) : NULL;
    char fp[SK_FINGERPRINT_MAX];
    if (pub != NULL && EVP_PKEY_is_a(pub, "RSA") && sk_fingerprint(pub, fp, NULL) == SK_OK) {
        size_t i = find_key(kr, fp);
        if (i != SIZE_MAX && kr->keys[i].info.cert == SK_KEY_CERT_NONE) {
            set_cert(&kr->keys[i], x);
            (*attached)++;
        }
    }
    X509_free(x);
    ERR_clear_error();
}

int sk_keyring_add_certs(sk_keyring *kr, const char *text, size_t len, const char *source,
                         size_t *attached, sk_error *err)
{
    size_t n = 0;
    if (attached != NULL) *attached = 0;
    if (len > INT_MAX) return sk_error_set(err, SK_ELIMIT, "%s: text is too large", source);
    BIO *bio = BIO_new_mem_buf(len > 0 ? text : "", (int)len);
    if (bio == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    int got;
    for (;;) {
        sk_pem_der b = {0};
        got = next_key_block(bio, len, source, &b, err);
        if (got == 1 && strcmp(b.name, "CERTIFICATE") == 0) attach_cert(kr, &b, &n);
        sk_pem_der_free(&b);
        if (got != 1) break;
    }
    BIO_free(bio);
    if (got != 0) return got;
    if (attached != NULL) *attached = n;
    return SK_OK;
}

/* ---- the controller's "most recent" key ---- */

static int controller_loads(const sk_key_info *in)
{
    if (!in->from_secret) return 1;
    return (in->label != NULL && strcmp(in->label, "active") == 0) ||
           (in->name != NULL && strcmp(in->name, "sealed-secrets-key") == 0);
}

/* The controller registers keys by creationTimestamp; keys without one come first here. */
static int registered_before(const sk_key_info *a, size_t ia, const sk_key_info *b, size_t ib)
{
    int64_t ta = a->has_created ? a->created_at : INT64_MIN;
    int64_t tb = b->has_created ? b->created_at : INT64_MIN;
    return ta != tb ? ta < tb : ia < ib;
}

static int order_time(const sk_key_info *in, int order, int64_t *t)
{
    if (order == SK_KEY_ORDER_CREATION_TIMESTAMP) {
        *t = in->created_at;
        return in->has_created;
    }
    *t = in->not_before;
    return in->cert == SK_KEY_CERT_OK || in->cert == SK_KEY_CERT_MISMATCH;
}

int sk_keyring_newest(const sk_keyring *kr, int order, size_t *which, sk_error *err)
{
    size_t best = SIZE_MAX;
    int64_t best_t = 0;
    for (size_t i = 0; i < kr->n; i++) {
        const sk_key_info *in = &kr->keys[i].info;
        int64_t t;
        if (!controller_loads(in) || !order_time(in, order, &t)) continue;
        /* Strictly newer wins; a tie goes to the key registered first. */
        if (best == SIZE_MAX || t > best_t ||
            (t == best_t && registered_before(in, i, &kr->keys[best].info, best))) {
            best = i;
            best_t = t;
        }
    }
    if (best == SIZE_MAX) {
        sk_error_set(err, SK_EINVAL, "no key the controller would load has a %s",
                     order == SK_KEY_ORDER_CERT_NOT_BEFORE ? "certificate" : "creationTimestamp");
        sk_error_hint(err, "give the key Secrets (with tls.crt), or each tls.crt beside its key");
        return SK_EINVAL;
    }
    *which = best;
    return SK_OK;
}

/* ---- decryption ---- */

/* ---- decryption: the order keys are tried in ---- */

size_t sk_keyring_tries(const sk_keyring *kr)
{
    return kr->tries;
}

void sk_keyring_hint_begin(sk_keyring *kr)
{
    kr->hint = (key_hint){0, 0, 0, SIZE_MAX};
}

void sk_keyring_hint_item(sk_keyring *kr, const char *b64, size_t len)
{
    unsigned char head[12];
    size_t got = 0;
    /* 16 characters are 12 whole bytes: the 2-byte length and the RSA part's leading 10. */
    if (len < 16 ||
        sodium_base642bin(head, sizeof head, b64, 16, NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != sizeof head)
        return; /* not base64: the decrypt says why */
    size_t rsa_len = ((size_t)head[0] << 8) | head[1];
    key_hint *h = &kr->hint;
    if (h->m > 0 && h->rsa_len != rsa_len) h->rsa_len = 0; /* mixed sizes: no hint */
    if (h->m == 0) h->rsa_len = rsa_len;
    h->m++;
    double c = leading(head + 2);
    if (c > h->c_max) h->c_max = c;
}

/*
 * How likely key k is to have sealed the next SealedSecret, before its items are looked at:
 * how often it followed the key that opened the last one (files of one folder or one period
 * come in runs, or in turns), plus its share of all SealedSecrets opened, with one more each
 * so that an unused key keeps a chance (the files seen predict the next, in any order).
 */
static double prior(const sk_keyring *kr, size_t k)
{
    double share = (double)(kr->keys[k].opened + 1) / (double)(kr->opened + kr->n);
    if (kr->follows == NULL || kr->follows_n != kr->n || kr->last_opened >= kr->n) return share;
    return (double)kr->follows[kr->last_opened * kr->n + k] + share;
}

/* Did key a more likely seal the hinted items than key b? */
static int more_likely(const sk_keyring *kr, size_t a, size_t b)
{
    const key_hint *h = &kr->hint;
    const key_entry *ka = &kr->keys[a], *kb = &kr->keys[b];
    double odds = prior(kr, a) / prior(kr, b);
    /* Each RSA part is uniform below the modulus of the key that sealed it: likelihood n^-m. */
    for (size_t i = 0; i < h->m && i < 64; i++)
        odds *= kb->n_top / ka->n_top;
    return odds > 1.0;
}

/* 0: opened an item of this SealedSecret; 1: could have sealed every item; 2: the rest. */
static int tier(const sk_keyring *kr, size_t i)
{
    const key_hint *h = &kr->hint;
    const key_entry *k = &kr->keys[i];
    if (i == h->opened) return 0;
    if (h->m == 0 || h->rsa_len != k->modulus_len || k->n_top <= 0) return 2;
    return k->n_top > h->c_max ? 1 : 2;
}

static int before(const sk_keyring *kr, size_t a, size_t b)
{
    int ta = tier(kr, a), tb = tier(kr, b);
    if (ta != tb) return ta < tb;
    if (ta == 1) return more_likely(kr, a, b);
    return kr->keys[a].used > kr->keys[b].used;
}

/*
 * A wrong key costs a full RSA private operation, and nothing in a blob names its key. Without a
 * hint: most recently successful first (the items of one document share a key). With one: a key
 * that opened an item of the SealedSecret; then the keys whose modulus is above all its RSA
 * parts, most likely first (a smaller modulus makes the parts seen likelier; prior() weighs
 * what the SealedSecrets opened so far predict); then the rest.
 */
static size_t *try_order(const sk_keyring *kr)
{
    size_t *order = malloc(kr->n * sizeof *order);
    if (order == NULL) return NULL;
    for (size_t i = 0; i < kr->n; i++) {
        size_t j = i;
        for (; j > 0 && before(kr, i, order[j - 1]); j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    return order;
}

int sk_keyring_decrypt(sk_keyring *kr, const unsigned char *label, size_t label_len,
                       const unsigned char *blob, size_t blob_len, sk_secbuf *pt, size_t *which,
                       sk_error *err)
{
    sk_secbuf key = SK_SECBUF_INIT;
    sk_secbuf_free(pt);
    int rc = sk_keyring_decrypt_reuse(kr, label, label_len, blob, blob_len, pt, &key, which, err);
    sk_secbuf_free(&key);
    if (rc != SK_OK) sk_secbuf_free(pt);
    return rc;
}

/* Key i opened a SealedSecret (its first item opened under this hint). */
static void count_opened(sk_keyring *kr, size_t i)
{
    kr->keys[i].opened++;
    kr->opened++;
    if (kr->follows_n != kr->n) { /* keys were added: what followed what is recounted */
        free(kr->follows);
        kr->follows = calloc(kr->n * kr->n, sizeof *kr->follows);
        kr->follows_n = kr->follows != NULL ? kr->n : 0; /* none: the shares alone order */
        kr->last_opened = SIZE_MAX;
    }
    if (kr->follows != NULL && kr->last_opened < kr->n) kr->follows[kr->last_opened * kr->n + i]++;
    kr->last_opened = i;
}

int sk_keyring_decrypt_reuse(sk_keyring *kr, const unsigned char *label, size_t label_len,
                             const unsigned char *blob, size_t blob_len, sk_secbuf *pt,
                             sk_secbuf *key, size_t *which, sk_error *err)
{
    size_t need = sk_blob_rsa_len(blob, blob_len);
    size_t tried = 0;
    sk_error why = {0};
    if (kr->n == 0) {
        sk_error_set(err, SK_EDECRYPT, "no key could decrypt it: no private key was given");
        sk_error_hint(err, "pass the controller's private key");
        return SK_EDECRYPT;
    }
    size_t *order = try_order(kr);
    if (order == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    /*
     * A key of the modulus size the header announces first, then larger keys: Go's DecryptOAEP
     * also opens an RSA part that lacks its leading zero bytes (docs/format.md §1.5).
     */
    for (size_t step = 0; step < 2 * kr->n; step++) {
        size_t i = order[step % kr->n];
        size_t k = kr->keys[i].modulus_len;
        int first_pass = step < kr->n;
        if (need == 0 ? !first_pass : (first_pass ? k != need : k <= need)) continue;
        tried++;
        kr->tries++;
        int rc = sk_hybrid_decrypt_reuse(kr->keys[i].pkey, label, label_len, blob, blob_len, pt,
                                         key, &why);
        if (rc == SK_OK) {
            kr->keys[i].used = ++kr->tick;
            if (kr->hint.opened != i) count_opened(kr, i);
            kr->hint.opened = i;
            if (which != NULL) *which = i;
            free(order);
            return SK_OK;
        }
        sk_secbuf_clear(pt);
        if (rc == SK_ENOMEM) {
            free(order);
            return sk_error_set(err, rc, "%s", why.msg);
        }
    }
    free(order);
    if (tried == 0) {
        sk_error_set(err, SK_EDECRYPT,
                     "no key could decrypt it: no key of %zu bits (the blob "
                     "needs one)",
                     need * 8);
        sk_error_hint(err, "pass the private key of the controller that sealed it");
        return SK_EDECRYPT;
    }
    if (tried == 1) return sk_error_set(err, SK_EDECRYPT, "no key could decrypt it: %s", why.msg);
    return sk_error_set(err, SK_EDECRYPT, "no key could decrypt it (%zu keys tried; last: %s)",
                        tried, why.msg);
}

int sk_keyring_cert_pem(const sk_keyring *kr, size_t i, char **pem, size_t *len, sk_error *err)
{
    *pem = NULL;
    *len = 0;
    if (kr == NULL || i >= kr->n) return sk_error_set(err, SK_EUSAGE, "no key %zu in the ring", i);
    const key_entry *e = &kr->keys[i];
    if (e->info.cert != SK_KEY_CERT_OK || e->cert == NULL) {
        const char *why = e->info.cert == SK_KEY_CERT_MISMATCH ? "its tls.crt holds another key"
                          : e->info.cert == SK_KEY_CERT_UNREADABLE
                              ? "its tls.crt holds no readable certificate"
                              : "no certificate came with it";
        sk_error_set(err, SK_EINVAL, "key %s has no certificate to export: %s", e->fp, why);
        sk_error_hint(err, "give the key Secret (with tls.crt) or the tls.crt beside the key");
        return SK_EINVAL;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    char *text = NULL;
    long n = 0;
    if (bio == NULL || !PEM_write_bio_X509(bio, e->cert) ||
        (n = BIO_get_mem_data(bio, &text)) <= 0) {
        BIO_free(bio);
        ERR_clear_error();
        return sk_error_set(err, SK_ECRYPTO, "cannot write the certificate as PEM");
    }
    *pem = malloc((size_t)n + 1);
    if (*pem != NULL) {
        memcpy(*pem, text, (size_t)n);
        (*pem)[n] = '\0';
        *len = (size_t)n;
    }
    BIO_free(bio);
    return *pem != NULL ? SK_OK : sk_error_set(err, SK_ENOMEM, "out of memory");
}

int sk_keyring_pubkey(const sk_keyring *kr, size_t i, time_t now, sk_pubkey **out, sk_error *err)
{
    *out = NULL;
    if (kr == NULL || i >= kr->n) return sk_error_set(err, SK_EUSAGE, "no key %zu in the ring", i);
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long len = 0;
    if (bio == NULL || !PEM_write_bio_PUBKEY(bio, kr->keys[i].pkey) ||
        (len = BIO_get_mem_data(bio, &pem)) <= 0) {
        BIO_free(bio);
        return sk_error_set(err, SK_ECRYPTO, "cannot write the key's public half");
    }
    int rc = sk_pubkey_from_pem(pem, (size_t)len, now, out, err);
    BIO_free(bio);
    return rc;
}
