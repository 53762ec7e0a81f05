#include <sealkit/crypto.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_internal.h"

/* The blob header is a 16-bit length (docs/format.md §1.2). */
#define MAX_MODULUS_BYTES 65535u
/* EVP update calls take an int length. */
#define EVP_CHUNK ((size_t)1 << 30)
/*
 * OAEP-SHA256 draws a 32-byte seed; feeding more means a future OpenSSL that
 * draws a little more still works, while one that draws much more fails
 * loudly instead of silently becoming non-deterministic.
 */
#define OAEP_SEED_FEED 64
#define CHACHA_BLOCK 64u

_Static_assert(crypto_hash_sha256_BYTES == crypto_stream_chacha20_ietf_KEYBYTES,
               "the RNG key is SHA-256(seed)");

/* Each session key encrypts one message only, so a fixed nonce is safe (docs/format.md §1.1). */
static const unsigned char zero_iv[12];

/* libsodium's randombytes_buf_deterministic() uses this nonce; the stream continues it. */
static const unsigned char drg_nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {
    'L', 'i', 'b', 's', 'o', 'd', 'i', 'u', 'm', 'D', 'R', 'G'};

struct sk_rng {
    unsigned char key[crypto_stream_chacha20_ietf_KEYBYTES]; /* SHA-256(seed) */
    uint32_t block;                                          /* next ChaCha20 block */
    OSSL_LIB_CTX *libctx; /* its DRBGs are TEST-RAND, fed from the stream */
};

/* OpenSSL's reason names the failing step; it never carries data. */
static int crypto_fail(sk_error *err, const char *what)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    if (reason != NULL) return sk_error_set(err, SK_ECRYPTO, "%s (OpenSSL: %s)", what, reason);
    return sk_error_set(err, SK_ECRYPTO, "%s", what);
}

static int oom(sk_error *err)
{
    return sk_error_set(err, SK_ENOMEM, "out of memory");
}

/* ---- deterministic RNG (tests only) ---- */

static int rng_draw(sk_rng *rng, unsigned char *out, size_t n, sk_error *err)
{
    size_t blocks = n / CHACHA_BLOCK + (n % CHACHA_BLOCK != 0);
    if (blocks > UINT32_MAX - rng->block)
        return sk_error_set(err, SK_ELIMIT, "deterministic RNG stream exhausted");
    memset(out, 0, n);
    crypto_stream_chacha20_ietf_xor_ic(out, out, n, drg_nonce, rng->block, rng->key);
    rng->block += (uint32_t)blocks;
    return SK_OK;
}

static int drbg_is_test_rand(OSSL_LIB_CTX *libctx)
{
    EVP_RAND_CTX *drbg = RAND_get0_public(libctx);
    return drbg != NULL && EVP_RAND_is_a(EVP_RAND_CTX_get0_rand(drbg), "TEST-RAND");
}

int sk_rng_new_deterministic(const unsigned char *seed, size_t seed_len, sk_rng **out,
                             sk_error *err)
{
    if (out == NULL || (seed == NULL && seed_len > 0))
        return sk_error_set(err, SK_EUSAGE, "sk_rng_new_deterministic: missing argument");
    *out = NULL;
    sk_rng *rng = calloc(1, sizeof *rng);
    if (rng == NULL) return oom(err);
    crypto_hash_sha256(rng->key, seed != NULL ? seed : (const unsigned char *)"", seed_len);
    /*
     * A private library context whose DRBGs are TEST-RAND: OAEP draws its seed
     * with RAND_bytes_ex() on the context of the key it encrypts with, and
     * TEST-RAND returns exactly the bytes it was fed. The default context and
     * every production path are left alone.
     */
    rng->libctx = OSSL_LIB_CTX_new();
    if (rng->libctx == NULL ||
        RAND_set_DRBG_type(rng->libctx, "TEST-RAND", NULL, NULL, NULL) != 1 ||
        !drbg_is_test_rand(rng->libctx)) {
        sk_rng_free(rng);
        return crypto_fail(err, "deterministic RNG unavailable: OpenSSL has no TEST-RAND");
    }
    *out = rng;
    return SK_OK;
}

void sk_rng_free(sk_rng *rng)
{
    if (rng == NULL) return;
    OSSL_LIB_CTX_free(rng->libctx);
    sk_wipe(rng->key, sizeof rng->key);
    free(rng);
}

/* Gives this thread's public DRBG of the rng's context the next stream bytes. */
static int feed_oaep_seed(sk_rng *rng, sk_error *err)
{
    unsigned char buf[OAEP_SEED_FEED];
    unsigned int strength = 256;
    int rc = rng_draw(rng, buf, sizeof buf, err);
    if (rc != SK_OK) return rc;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_octet_string(OSSL_RAND_PARAM_TEST_ENTROPY, buf, sizeof buf),
        OSSL_PARAM_construct_uint(OSSL_RAND_PARAM_STRENGTH, &strength), OSSL_PARAM_construct_end()};
    EVP_RAND_CTX *drbg = RAND_get0_public(rng->libctx);
    int ok = drbg != NULL && EVP_RAND_CTX_set_params(drbg, p) == 1;
    sk_wipe(buf, sizeof buf);
    return ok ? SK_OK : crypto_fail(err, "cannot feed the deterministic RNG");
}

/*
 * A copy of the public key that lives in libctx, so the caller's key never
 * caches an export tied to a context that sk_rng_free() destroys.
 */
static int copy_public_key(EVP_PKEY *pub, OSSL_LIB_CTX *libctx, EVP_PKEY **copy, sk_error *err)
{
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    int ok = EVP_PKEY_todata(pub, EVP_PKEY_PUBLIC_KEY, &params) == 1 &&
             (ctx = EVP_PKEY_CTX_new_from_name(libctx, "RSA", NULL)) != NULL &&
             EVP_PKEY_fromdata_init(ctx) == 1 &&
             EVP_PKEY_fromdata(ctx, copy, EVP_PKEY_PUBLIC_KEY, params) == 1;
    OSSL_PARAM_free(params);
    EVP_PKEY_CTX_free(ctx);
    return ok ? SK_OK : crypto_fail(err, "cannot copy the public key for deterministic sealing");
}

/* ---- RSA-OAEP ---- */

static void oaep_params(OSSL_PARAM p[5], const unsigned char *label, size_t label_len)
{
    size_t i = 0;
    p[i++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE,
                                              OSSL_PKEY_RSA_PAD_MODE_OAEP, 0);
    p[i++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, "SHA256", 0);
    p[i++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, "SHA256", 0);
    /* The provider copies the label. Left unset when empty: OAEP then hashes "" like Go. */
    if (label_len > 0)
        p[i++] = OSSL_PARAM_construct_octet_string(OSSL_ASYM_CIPHER_PARAM_OAEP_LABEL, (void *)label,
                                                   label_len);
    p[i] = OSSL_PARAM_construct_end();
}

static int rsa_modulus_len(EVP_PKEY *key, size_t *k, sk_error *err)
{
    if (!EVP_PKEY_is_a(key, "RSA")) {
        const char *type = EVP_PKEY_get0_type_name(key);
        return sk_error_set(err, SK_EINVAL, "the key is not an RSA key (%s)",
                            type != NULL ? type : "unknown type");
    }
    int size = EVP_PKEY_get_size(key);
    if (size <= 0) return crypto_fail(err, "cannot read the RSA modulus size");
    if ((unsigned)size > MAX_MODULUS_BYTES)
        return sk_error_set(err, SK_ELIMIT,
                            "RSA modulus of %d bytes does not fit the blob's 16-bit length field",
                            size);
    *k = (size_t)size;
    return SK_OK;
}

int sk_rsa_oaep_sha256_encrypt(OSSL_LIB_CTX *libctx, EVP_PKEY *pub, const unsigned char *label,
                               size_t label_len, const unsigned char *msg, size_t msg_len,
                               unsigned char *out, size_t out_cap, size_t *out_len, sk_error *err)
{
    OSSL_PARAM p[5];
    oaep_params(p, label, label_len);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(libctx, pub, NULL);
    size_t need = 0;
    if (ctx == NULL || EVP_PKEY_encrypt_init_ex(ctx, p) != 1 ||
        EVP_PKEY_encrypt(ctx, NULL, &need, msg, msg_len) != 1) {
        EVP_PKEY_CTX_free(ctx);
        return crypto_fail(err, "cannot set up RSA-OAEP encryption");
    }
    if (need > out_cap) {
        EVP_PKEY_CTX_free(ctx);
        return sk_error_set(err, SK_EUSAGE, "RSA-OAEP needs %zu output bytes, %zu given", need,
                            out_cap);
    }
    *out_len = out_cap;
    int ok = EVP_PKEY_encrypt(ctx, out, out_len, msg, msg_len) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok ? SK_OK : crypto_fail(err, "RSA-OAEP encryption failed");
}

int sk_rsa_oaep_sha256_decrypt(EVP_PKEY *priv, const unsigned char *label, size_t label_len,
                               const unsigned char *ct, size_t ct_len, sk_secbuf *msg,
                               sk_error *err)
{
    OSSL_PARAM p[5];
    oaep_params(p, label, label_len);
    sk_secbuf_clear(msg);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
    size_t n = 0;
    if (ctx == NULL || EVP_PKEY_decrypt_init_ex(ctx, p) != 1 ||
        EVP_PKEY_decrypt(ctx, NULL, &n, ct, ct_len) != 1) {
        EVP_PKEY_CTX_free(ctx);
        return crypto_fail(err, "cannot set up RSA-OAEP decryption");
    }
    int rc = sk_secbuf_reserve(msg, n, err);
    if (rc == SK_OK && EVP_PKEY_decrypt(ctx, msg->data, &n, ct, ct_len) != 1) {
        ERR_clear_error(); /* one message for every cause: OAEP errors must look alike */
        rc = sk_error_set(err, SK_EDECRYPT,
                          "RSA-OAEP rejected it (wrong key or wrong scope/name/namespace)");
    }
    EVP_PKEY_CTX_free(ctx);
    if (rc != SK_OK) {
        sk_secbuf_clear(msg);
        return rc;
    }
    msg->len = n;
    msg->data[n] = '\0';
    return SK_OK;
}

/* ---- AES-256-GCM ---- */

static int evp_update(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *in, size_t len)
{
    while (len > 0) {
        int chunk = (int)(len < EVP_CHUNK ? len : EVP_CHUNK);
        int outl = 0;
        if (EVP_CipherUpdate(ctx, out, &outl, in, chunk) != 1) return 0;
        in += chunk;
        len -= (size_t)chunk;
        if (out != NULL) out += outl;
    }
    return 1;
}

static const EVP_CIPHER *gcm_cipher(size_t key_len)
{
    switch (key_len) {
    case 16:
        return EVP_aes_128_gcm();
    case 24:
        return EVP_aes_192_gcm();
    case 32:
        return EVP_aes_256_gcm();
    default:
        return NULL;
    }
}

static EVP_CIPHER_CTX *gcm_start(int enc, const unsigned char *key, size_t key_len,
                                 const unsigned char *iv, size_t iv_len, const unsigned char *aad,
                                 size_t aad_len)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    OSSL_PARAM p[] = {OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &iv_len),
                      OSSL_PARAM_construct_end()};
    /* The IV length must be set after choosing the cipher and before giving the IV. */
    if (ctx == NULL || EVP_CipherInit_ex2(ctx, gcm_cipher(key_len), NULL, NULL, enc, NULL) != 1 ||
        EVP_CIPHER_CTX_set_params(ctx, p) != 1 ||
        EVP_CipherInit_ex2(ctx, NULL, key, iv, enc, NULL) != 1 ||
        !evp_update(ctx, NULL, aad, aad_len)) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int check_gcm_args(size_t key_len, size_t iv_len, sk_error *err)
{
    if (gcm_cipher(key_len) == NULL)
        return sk_error_set(err, SK_EUSAGE, "an AES key of %zu bytes is not supported", key_len);
    if (iv_len == 0 || iv_len > SK_GCM_IV_MAX)
        return sk_error_set(err, SK_EUSAGE, "AES-GCM IV of %zu bytes is not supported", iv_len);
    return SK_OK;
}

int sk_aesgcm_seal(const unsigned char *key, size_t key_len, const unsigned char *iv, size_t iv_len,
                   const unsigned char *aad, size_t aad_len, const unsigned char *pt, size_t pt_len,
                   unsigned char *ct, unsigned char *tag, sk_error *err)
{
    int rc = check_gcm_args(key_len, iv_len, err);
    if (rc != SK_OK) return rc;
    EVP_CIPHER_CTX *ctx = gcm_start(1, key, key_len, iv, iv_len, aad, aad_len);
    if (ctx == NULL) return crypto_fail(err, "cannot set up AES-GCM");
    unsigned char last[16]; /* GCM's final step writes nothing; the buffer is for the API */
    int outl = 0;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, SK_GCM_TAG_LEN),
        OSSL_PARAM_construct_end()};
    int ok = evp_update(ctx, ct, pt, pt_len) && EVP_CipherFinal_ex(ctx, last, &outl) == 1 &&
             EVP_CIPHER_CTX_get_params(ctx, p) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? SK_OK : crypto_fail(err, "AES-GCM encryption failed");
}

int sk_aesgcm_open(const unsigned char *key, size_t key_len, const unsigned char *iv, size_t iv_len,
                   const unsigned char *aad, size_t aad_len, const unsigned char *ct, size_t ct_len,
                   const unsigned char *tag, unsigned char *pt, sk_error *err)
{
    int rc = check_gcm_args(key_len, iv_len, err);
    if (rc != SK_OK) return rc;
    EVP_CIPHER_CTX *ctx = gcm_start(0, key, key_len, iv, iv_len, aad, aad_len);
    if (ctx == NULL) return crypto_fail(err, "cannot set up AES-GCM");
    unsigned char last[16];
    int outl = 0;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, (void *)tag, SK_GCM_TAG_LEN),
        OSSL_PARAM_construct_end()};
    int ok = evp_update(ctx, pt, ct, ct_len) && EVP_CIPHER_CTX_set_params(ctx, p) == 1 &&
             EVP_CipherFinal_ex(ctx, last, &outl) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (ok) return SK_OK;
    sk_wipe(pt, ct_len); /* unauthenticated plaintext must not survive */
    ERR_clear_error();
    return sk_error_set(err, SK_EAUTH, "AES-GCM authentication failed (blob altered)");
}

int sk_aes256gcm_seal(const unsigned char *key, const unsigned char *iv, size_t iv_len,
                      const unsigned char *aad, size_t aad_len, const unsigned char *pt,
                      size_t pt_len, unsigned char *ct, unsigned char *tag, sk_error *err)
{
    return sk_aesgcm_seal(key, SK_SESSION_KEY_LEN, iv, iv_len, aad, aad_len, pt, pt_len, ct, tag,
                          err);
}

int sk_aes256gcm_open(const unsigned char *key, const unsigned char *iv, size_t iv_len,
                      const unsigned char *aad, size_t aad_len, const unsigned char *ct,
                      size_t ct_len, const unsigned char *tag, unsigned char *pt, sk_error *err)
{
    return sk_aesgcm_open(key, SK_SESSION_KEY_LEN, iv, iv_len, aad, aad_len, ct, ct_len, tag, pt,
                          err);
}

/* ---- the hybrid cipher (docs/format.md §1.3, §1.4) ---- */

static int new_session_key(sk_rng *rng, unsigned char *key, sk_error *err)
{
    if (rng != NULL) return rng_draw(rng, key, SK_SESSION_KEY_LEN, err);
    randombytes_buf(key, SK_SESSION_KEY_LEN);
    return SK_OK;
}

/* RSA-OAEP of the session key, which must fill exactly the k bytes the header announces. */
static int wrap_key(EVP_PKEY *pub, sk_rng *rng, const unsigned char *label, size_t label_len,
                    const unsigned char *key, unsigned char *out, size_t k, sk_error *err)
{
    EVP_PKEY *copy = NULL;
    OSSL_LIB_CTX *libctx = NULL;
    int rc = SK_OK;
    if (rng != NULL) {
        libctx = rng->libctx;
        rc = copy_public_key(pub, libctx, &copy, err);
        if (rc == SK_OK) rc = feed_oaep_seed(rng, err);
    }
    size_t n = 0;
    if (rc == SK_OK)
        rc = sk_rsa_oaep_sha256_encrypt(libctx, copy != NULL ? copy : pub, label, label_len, key,
                                        SK_SESSION_KEY_LEN, out, k, &n, err);
    EVP_PKEY_free(copy);
    if (rc == SK_OK && n != k)
        rc = sk_error_set(err, SK_ECRYPTO, "RSA-OAEP gave %zu bytes for a %zu-byte modulus", n, k);
    return rc;
}

int sk_hybrid_encrypt_keybuf(EVP_PKEY *pub, const unsigned char *label, size_t label_len,
                             const unsigned char *pt, size_t pt_len, sk_rng *rng,
                             unsigned char *key, unsigned char **blob, size_t *blob_len,
                             sk_error *err)
{
    if (pub == NULL || key == NULL || blob == NULL || blob_len == NULL ||
        (label == NULL && label_len > 0) || (pt == NULL && pt_len > 0))
        return sk_error_set(err, SK_EUSAGE, "sk_hybrid_encrypt: missing argument");
    *blob = NULL;
    *blob_len = 0;
    size_t k = 0;
    int rc = rsa_modulus_len(pub, &k, err);
    if (rc != SK_OK) return rc;
    if (pt_len > SIZE_MAX - 2 - k - SK_GCM_TAG_LEN)
        return sk_error_set(err, SK_ELIMIT, "value of %zu bytes is too large to seal", pt_len);
    size_t total = 2 + k + pt_len + SK_GCM_TAG_LEN;
    unsigned char *out = malloc(total);
    if (out == NULL) {
        sk_wipe(key, SK_SESSION_KEY_LEN);
        return oom(err);
    }
    rc = new_session_key(rng, key, err);
    if (rc == SK_OK) rc = wrap_key(pub, rng, label, label_len, key, out + 2, k, err);
    if (rc == SK_OK)
        rc = sk_aes256gcm_seal(key, zero_iv, sizeof zero_iv, NULL, 0, pt, pt_len, out + 2 + k,
                               out + 2 + k + pt_len, err);
    sk_wipe(key, SK_SESSION_KEY_LEN); /* one session key, one message */
    if (rc != SK_OK) {
        free(out);
        return rc;
    }
    out[0] = (unsigned char)(k >> 8);
    out[1] = (unsigned char)(k & 0xff);
    *blob = out;
    *blob_len = total;
    return SK_OK;
}

int sk_hybrid_encrypt_rng(EVP_PKEY *pub, const unsigned char *label, size_t label_len,
                          const unsigned char *pt, size_t pt_len, sk_rng *rng, unsigned char **blob,
                          size_t *blob_len, sk_error *err)
{
    unsigned char *key = sodium_malloc(SK_SESSION_KEY_LEN);
    if (key == NULL) return oom(err);
    int rc =
        sk_hybrid_encrypt_keybuf(pub, label, label_len, pt, pt_len, rng, key, blob, blob_len, err);
    sodium_free(key);
    return rc;
}

int sk_hybrid_encrypt(EVP_PKEY *pub, const unsigned char *label, size_t label_len,
                      const unsigned char *pt, size_t pt_len, unsigned char **blob,
                      size_t *blob_len, sk_error *err)
{
    return sk_hybrid_encrypt_rng(pub, label, label_len, pt, pt_len, NULL, blob, blob_len, err);
}

static size_t header_len(const unsigned char *blob)
{
    return ((size_t)blob[0] << 8) | blob[1];
}

/* GCM with the recovered session key; *pt receives the plaintext only when the tag matches. */
static int open_payload(const sk_secbuf *key, const unsigned char *p, size_t n, sk_secbuf *pt,
                        sk_error *err)
{
    if (n < SK_GCM_TAG_LEN)
        return sk_error_set(err, SK_EAUTH, "AES-GCM authentication failed (blob altered)");
    size_t ct_len = n - SK_GCM_TAG_LEN;
    int rc = sk_secbuf_reserve(pt, ct_len, err);
    if (rc == SK_OK)
        rc = sk_aesgcm_open(key->data, key->len, zero_iv, sizeof zero_iv, NULL, 0, p, ct_len,
                            p + ct_len, pt->data, err);
    if (rc != SK_OK) {
        sk_secbuf_clear(pt);
        return rc;
    }
    pt->len = ct_len;
    pt->data[ct_len] = '\0';
    return SK_OK;
}

/*
 * Go's aes.NewCipher takes a 16, 24 or 32-byte key, so the controller opens a blob whose RSA
 * part holds an AES-128 or AES-192 key as well (docs/format.md §1.4).
 */
static int session_key_len_ok(size_t n)
{
    return n == 16 || n == 24 || n == SK_SESSION_KEY_LEN;
}

/*
 * An RSA ciphertext shorter than the modulus by more than this many bytes would have had to
 * start with as many zero bytes: after an OAEP failure, it is reported as meant for a smaller key.
 */
#define STRIPPED_ZEROS_MAX 8u
/* crypto/rsa's floor since Go 1.24 (GODEBUG rsa1024min), which the controller is built with. */
#define GO_RSA_MIN_BITS 1024

int sk_hybrid_decrypt(EVP_PKEY *priv, const unsigned char *label, size_t label_len,
                      const unsigned char *blob, size_t blob_len, sk_secbuf *pt, sk_error *err)
{
    sk_secbuf key = SK_SECBUF_INIT;
    if (pt != NULL) sk_secbuf_free(pt);
    int rc = sk_hybrid_decrypt_reuse(priv, label, label_len, blob, blob_len, pt, &key, err);
    sk_secbuf_free(&key);
    if (rc != SK_OK && pt != NULL) sk_secbuf_free(pt);
    return rc;
}

int sk_hybrid_decrypt_reuse(EVP_PKEY *priv, const unsigned char *label, size_t label_len,
                            const unsigned char *blob, size_t blob_len, sk_secbuf *pt,
                            sk_secbuf *key, sk_error *err)
{
    if (priv == NULL || pt == NULL || key == NULL || (blob == NULL && blob_len > 0) ||
        (label == NULL && label_len > 0))
        return sk_error_set(err, SK_EUSAGE, "sk_hybrid_decrypt: missing argument");
    sk_secbuf_clear(pt);
    if (blob_len < 2)
        return sk_error_set(err, SK_EDECRYPT,
                            "blob too short: %zu bytes, less than its 2-byte header", blob_len);
    size_t L = header_len(blob);
    if (blob_len - 2 < L)
        return sk_error_set(err, SK_EDECRYPT,
                            "blob too short: header announces %zu bytes of RSA ciphertext, "
                            "blob has %zu",
                            L, blob_len);
    size_t k = 0;
    int rc = rsa_modulus_len(priv, &k, err);
    if (rc != SK_OK) return rc;
    if (EVP_PKEY_get_bits(priv) < GO_RSA_MIN_BITS)
        return sk_error_set(err, SK_EDECRYPT,
                            "the key has %d bits: the controller's Go runtime refuses RSA keys "
                            "under %d bits, so it opens nothing with it",
                            EVP_PKEY_get_bits(priv), GO_RSA_MIN_BITS);
    /*
     * Go's DecryptOAEP refuses a ciphertext longer than the modulus but takes a shorter one: the
     * same number without its leading zero bytes (docs/format.md §1.4).
     */
    if (L > k)
        return sk_error_set(err, SK_EDECRYPT, "blob is for a key of %zu bits, this key has %d bits",
                            L * 8, EVP_PKEY_get_bits(priv));
    rc = sk_rsa_oaep_sha256_decrypt(priv, label, label_len, blob + 2, L, key, err);
    if (rc == SK_EDECRYPT && L + STRIPPED_ZEROS_MAX < k)
        rc = sk_error_set(err, SK_EDECRYPT, "blob is for a key of %zu bits, this key has %d bits",
                          L * 8, EVP_PKEY_get_bits(priv));
    if (rc == SK_OK && !session_key_len_ok(key->len))
        rc = sk_error_set(err, SK_EDECRYPT,
                          "RSA-OAEP gave a %zu-byte session key, expected 16, 24 or 32", key->len);
    if (rc == SK_OK) rc = open_payload(key, blob + 2 + L, blob_len - 2 - L, pt, err);
    sk_secbuf_clear(key); /* wipes the session key */
    return rc;
}

size_t sk_blob_rsa_len(const unsigned char *blob, size_t blob_len)
{
    if (blob == NULL || blob_len < 2) return 0;
    size_t L = header_len(blob);
    return blob_len - 2 < L ? 0 : L;
}

/* ---- base64 (docs/format.md §1.7) ---- */

int sk_base64_encode(const unsigned char *in, size_t len, char **out, sk_error *err)
{
    if (out == NULL || (in == NULL && len > 0))
        return sk_error_set(err, SK_EUSAGE, "sk_base64_encode: missing argument");
    *out = NULL;
    if (len / 3 >= SIZE_MAX / 4 - 1)
        return sk_error_set(err, SK_ELIMIT, "%zu bytes are too many to encode", len);
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(n);
    if (s == NULL) return oom(err);
    sodium_bin2base64(s, n, in != NULL ? in : (const unsigned char *)"", len,
                      sodium_base64_VARIANT_ORIGINAL);
    *out = s;
    return SK_OK;
}

/* 0xff when x < y, else 0, for x and y below 2^8 + 1; without a branch. */
static unsigned lt_mask(unsigned x, unsigned y)
{
    return ((x - y) >> 8) & 0xffu;
}

static unsigned in_range(unsigned c, unsigned lo, unsigned hi)
{
    return lt_mask(lo - 1u, c) & lt_mask(c, hi + 1u);
}

/*
 * An alphabet character's 6-bit value, or 0xff. Branch-free, as libsodium's, so that the timing
 * of decoding a Secret's data does not depend on its characters.
 */
static unsigned b64_value(unsigned c)
{
    unsigned upper = in_range(c, 'A', 'Z'), lower = in_range(c, 'a', 'z');
    unsigned digit = in_range(c, '0', '9'), plus = in_range(c, '+', '+');
    unsigned slash = in_range(c, '/', '/');
    unsigned v = (upper & (c - 'A')) | (lower & (c - 'a' + 26u)) | (digit & (c - '0' + 52u)) |
                 (plus & 62u) | (slash & 63u);
    return v | (~(upper | lower | digit | plus | slash) & 0xffu);
}

static size_t skip_newlines(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

static int bad_base64(sk_error *err, size_t at, size_t len)
{
    if (at >= len)
        return sk_error_set(err, SK_EPARSE,
                            "invalid base64 at byte %zu (input ends early: truncated or missing "
                            "padding)",
                            at);
    return sk_error_set(err, SK_EPARSE, "invalid base64 at byte %zu", at);
}

/*
 * Go's base64.StdEncoding.DecodeString, which the controller runs on every encryptedData value:
 * CR and LF are skipped anywhere, the padding is required, nothing may follow it, and the unused
 * low bits of the last character are ignored (docs/format.md §1.7). Returns 1 with *n bytes in
 * out, or 0 with the offset of the first bad byte in *bad (len: the input ends early).
 */
static int decode_go(const char *s, size_t len, unsigned char *out, size_t *n, size_t *bad)
{
    unsigned q[4] = {0};
    size_t j = 0, o = 0, i = 0;
    int ok = 0;
    for (;;) {
        i = skip_newlines(s, len, i);
        if (i == len) {
            ok = j == 0;
            *bad = len;
            break;
        }
        unsigned v = b64_value((unsigned char)s[i]);
        if (v != 0xffu) {
            q[j++] = v;
            i++;
            if (j == 4) {
                out[o++] = (unsigned char)(q[0] << 2 | q[1] >> 4);
                out[o++] = (unsigned char)(q[1] << 4 | q[2] >> 2);
                out[o++] = (unsigned char)(q[2] << 6 | q[3]);
                j = 0;
            }
            continue;
        }
        *bad = i;
        if (s[i] != '=' || j < 2) break;
        i++;
        if (j == 2) { /* "==" */
            i = skip_newlines(s, len, i);
            *bad = i;
            if (i == len || s[i] != '=') break;
            i++;
        }
        i = skip_newlines(s, len, i);
        *bad = i;
        if (i < len) break; /* data after the padding */
        out[o++] = (unsigned char)(q[0] << 2 | q[1] >> 4);
        if (j == 3) out[o++] = (unsigned char)(q[1] << 4 | q[2] >> 2);
        ok = 1;
        break;
    }
    sk_wipe(q, sizeof q);
    *n = o;
    return ok;
}

int sk_base64_decode(const char *in, size_t len, sk_secbuf *out, sk_error *err)
{
    if (out != NULL) sk_secbuf_free(out);
    int rc = sk_base64_decode_reuse(in, len, out, err);
    if (rc != SK_OK && out != NULL) sk_secbuf_free(out);
    return rc;
}

int sk_base64_decode_reuse(const char *in, size_t len, sk_secbuf *out, sk_error *err)
{
    if (out == NULL || (in == NULL && len > 0))
        return sk_error_set(err, SK_EUSAGE, "sk_base64_decode: missing argument");
    sk_secbuf_clear(out);
    const char *src = in != NULL ? in : "";
    int rc = sk_secbuf_reserve(out, len / 4 * 3 + 3, err);
    if (rc != SK_OK) return rc;
    size_t n = 0, bad = 0;
    if (!decode_go(src, len, out->data, &n, &bad)) {
        sk_secbuf_clear(out);
        return bad_base64(err, bad, len);
    }
    out->len = n;
    out->data[n] = '\0';
    return SK_OK;
}
