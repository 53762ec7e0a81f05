#include <sealkit/crypto.h>
#include <sealkit/keys.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>

typedef struct key_entry {
    EVP_PKEY *pkey;
    int bits;
    size_t modulus_len;
    char fp[SK_FINGERPRINT_MAX];
} key_entry;

struct sk_keyring {
    key_entry *keys;
    size_t n, cap;
    size_t last; /* the key that opened the previous blob: blobs of one document share a key */
    int has_last;
};

int sk_keyring_new(sk_keyring **out, sk_error *err)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    return SK_OK;
}

static void drop_keys_from(sk_keyring *kr, size_t from)
{
    for (size_t i = from; i < kr->n; i++)
        EVP_PKEY_free(kr->keys[i].pkey);
    kr->n = from;
}

void sk_keyring_free(sk_keyring *kr)
{
    if (kr == NULL) return;
    drop_keys_from(kr, 0);
    free(kr->keys);
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

/* ---- adding keys ---- */

/* Takes ownership of pkey; a key already in the ring is dropped silently. */
static int add_key(sk_keyring *kr, EVP_PKEY *pkey, size_t *added, sk_error *err)
{
    key_entry e = {pkey, EVP_PKEY_get_bits(pkey), (size_t)EVP_PKEY_get_size(pkey), {0}};
    int rc = sk_fingerprint(pkey, e.fp, err);
    for (size_t i = 0; rc == SK_OK && i < kr->n; i++) {
        if (strcmp(kr->keys[i].fp, e.fp) == 0) {
            EVP_PKEY_free(pkey);
            return SK_OK;
        }
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
    kr->keys[kr->n++] = e;
    (*added)++;
    return SK_OK;
}

typedef struct key_block {
    char *name;
    char *header;
    unsigned char *data;
    long len;
} key_block;

/* PEM_FLAG_SECURE made every part a secure allocation; clear_free wipes what it frees. */
static void key_block_free(key_block *b)
{
    if (b->name != NULL) OPENSSL_secure_clear_free(b->name, strlen(b->name));
    if (b->header != NULL) OPENSSL_secure_clear_free(b->header, strlen(b->header));
    if (b->data != NULL) OPENSSL_secure_clear_free(b->data, (size_t)b->len);
    memset(b, 0, sizeof *b);
}

/* 1 with a block, 0 at the end of the text, else an sk_status. */
static int next_key_block(BIO *bio, size_t len, const char *source, key_block *b, sk_error *err)
{
    size_t pos = len - (size_t)BIO_pending(bio);
    ERR_set_mark();
    int ok = PEM_read_bio_ex(bio, &b->name, &b->header, &b->data, &b->len,
                             PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE);
    unsigned long e = ok ? 0 : ERR_peek_last_error();
    ERR_pop_to_mark();
    if (ok) return 1;
    if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) return 0;
    return sk_error_set(err, SK_EPARSE,
                        "%s: PEM block after byte %zu is malformed (bad base64 or no END line)",
                        source, pos);
}

static int is_encrypted(const key_block *b)
{
    return strcmp(b->name, "ENCRYPTED PRIVATE KEY") == 0 ||
           (b->header != NULL && strstr(b->header, "ENCRYPTED") != NULL);
}

static int decode_der(const key_block *b, const char *structure, const char *keytype,
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
static int block_to_key(const key_block *b, const char *source, size_t blockno, EVP_PKEY **pkey,
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
    if (!decode_der(b, pkcs1 ? "type-specific" : "PrivateKeyInfo", pkcs1 ? "RSA" : NULL, pkey))
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

static int add_blocks(sk_keyring *kr, BIO *bio, size_t len, const char *source, size_t *found,
                      size_t *added, sk_error *err)
{
    for (size_t blockno = 1;; blockno++) {
        key_block b = {0};
        int got = next_key_block(bio, len, source, &b, err);
        if (got == 0) return SK_OK;
        if (got != 1) return got;
        EVP_PKEY *pkey = NULL;
        int rc = block_to_key(&b, source, blockno, &pkey, err);
        key_block_free(&b);
        if (rc == SK_OK && pkey != NULL) {
            (*found)++;
            rc = add_key(kr, pkey, added, err);
        }
        if (rc != SK_OK) return rc;
    }
}

int sk_keyring_add_pem(sk_keyring *kr, const char *text, size_t len, const char *source,
                       size_t *added, sk_error *err)
{
    size_t found = 0, n_added = 0, start = kr->n;
    if (added != NULL) *added = 0;
    if (len > INT_MAX) return sk_error_set(err, SK_ELIMIT, "%s: key text is too large", source);
    /* A read-only memory BIO reads the caller's bytes in place: no copy of the key text. */
    BIO *bio = BIO_new_mem_buf(len > 0 ? text : "", (int)len);
    if (bio == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    int rc = add_blocks(kr, bio, len, source, &found, &n_added, err);
    BIO_free(bio);
    if (rc == SK_OK && found == 0) {
        rc = sk_error_set(err, SK_EPARSE, "no private key found in %s", source);
        sk_error_hint(err, "expected a PEM \"RSA PRIVATE KEY\" or \"PRIVATE KEY\" block, such as "
                           "the controller Secret's tls.key");
    }
    /* All or nothing: a text that fails part-way adds no key. */
    if (rc != SK_OK) {
        drop_keys_from(kr, start);
        return rc;
    }
    if (added != NULL) *added = n_added;
    return SK_OK;
}

/* ---- decryption ---- */

/* Step 0 is the key that worked last time; the rest follow in ring order without it. */
static size_t try_order(const sk_keyring *kr, size_t step)
{
    if (!kr->has_last) return step;
    if (step == 0) return kr->last;
    return step <= kr->last ? step - 1 : step;
}

int sk_keyring_decrypt(sk_keyring *kr, const unsigned char *label, size_t label_len,
                       const unsigned char *blob, size_t blob_len, sk_secbuf *pt, size_t *which,
                       sk_error *err)
{
    size_t need = sk_blob_rsa_len(blob, blob_len);
    size_t tried = 0;
    sk_error why = {0};
    if (kr->n == 0) {
        sk_error_set(err, SK_EDECRYPT, "no key could decrypt it: no private key was given");
        sk_error_hint(err, "pass the controller's private key");
        return SK_EDECRYPT;
    }
    for (size_t step = 0; step < kr->n; step++) {
        size_t i = try_order(kr, step);
        /* Only a key with the modulus size the header announces can open it (spec 1.5). */
        if (need != 0 && kr->keys[i].modulus_len != need) continue;
        tried++;
        int rc = sk_hybrid_decrypt(kr->keys[i].pkey, label, label_len, blob, blob_len, pt, &why);
        if (rc == SK_OK) {
            kr->last = i;
            kr->has_last = 1;
            if (which != NULL) *which = i;
            return SK_OK;
        }
        sk_secbuf_free(pt);
        if (rc == SK_ENOMEM) return sk_error_set(err, rc, "%s", why.msg);
    }
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
