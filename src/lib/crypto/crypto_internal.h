/*
 * Internal: the primitives under sk_hybrid_encrypt / sk_hybrid_decrypt,
 * exposed so the unit tests can run known-answer vectors (Wycheproof) against
 * exactly the code the hybrid cipher uses. Not part of the public API.
 */
#ifndef SK_CRYPTO_INTERNAL_H
#define SK_CRYPTO_INTERNAL_H

#include <stddef.h>
#include <openssl/evp.h>
#include <sealkit/error.h>
#include <sealkit/crypto.h>
#include <sealkit/mem.h>

#include "crypto/rng.h"

/* Largest GCM IV OpenSSL's provider accepts (bytes). */
#define SK_GCM_IV_MAX 128

/*
 * RSA-OAEP with SHA-256 for both the OAEP hash and MGF1. The label is used
 * as given (zero bytes = no label). libctx selects where the OAEP seed comes
 * from (NULL = the default context); pub must belong to that context.
 * out must hold EVP_PKEY_get_size(pub) bytes.
 */
int sk_rsa_oaep_sha256_encrypt(OSSL_LIB_CTX *libctx, EVP_PKEY *pub, const unsigned char *label,
                               size_t label_len, const unsigned char *msg, size_t msg_len,
                               unsigned char *out, size_t out_cap, size_t *out_len, sk_error *err);

/*
 * The inverse; the message goes to guarded memory, into msg's block when it is large enough
 * (msg is emptied first, and wiped and emptied on failure; free it when done). Any failure is
 * SK_EDECRYPT without detail, as OAEP errors must not be told apart.
 */
int sk_rsa_oaep_sha256_decrypt(EVP_PKEY *priv, const unsigned char *label, size_t label_len,
                               const unsigned char *ct, size_t ct_len, sk_secbuf *msg,
                               sk_error *err);

/*
 * AES-GCM with a 16-byte tag, a key of 16, 24 or 32 bytes (AES-128, -192, -256) and an IV of
 * 1..SK_GCM_IV_MAX bytes. Seal writes pt_len bytes to ct and SK_GCM_TAG_LEN bytes to tag. Open
 * writes ct_len bytes to pt and wipes them again when the tag does not match (SK_EAUTH). pt and
 * ct may be NULL when their length is 0. The sk_aes256gcm_ forms take a 32-byte key.
 */
int sk_aesgcm_seal(const unsigned char *key, size_t key_len, const unsigned char *iv, size_t iv_len,
                   const unsigned char *aad, size_t aad_len, const unsigned char *pt, size_t pt_len,
                   unsigned char *ct, unsigned char *tag, sk_error *err);
int sk_aesgcm_open(const unsigned char *key, size_t key_len, const unsigned char *iv, size_t iv_len,
                   const unsigned char *aad, size_t aad_len, const unsigned char *ct, size_t ct_len,
                   const unsigned char *tag, unsigned char *pt, sk_error *err);
int sk_aes256gcm_seal(const unsigned char *key, const unsigned char *iv, size_t iv_len,
                      const unsigned char *aad, size_t aad_len, const unsigned char *pt,
                      size_t pt_len, unsigned char *ct, unsigned char *tag, sk_error *err);
int sk_aes256gcm_open(const unsigned char *key, const unsigned char *iv, size_t iv_len,
                      const unsigned char *aad, size_t aad_len, const unsigned char *ct,
                      size_t ct_len, const unsigned char *tag, unsigned char *pt, sk_error *err);

/*
 * sk_hybrid_encrypt with a caller-owned guarded buffer of SK_SESSION_KEY_LEN
 * bytes for the session key (wiped before return), so that sealing a Secret
 * of many items needs one guarded allocation rather than one per item.
 */
int sk_hybrid_encrypt_keybuf(EVP_PKEY *pub, const unsigned char *label, size_t label_len,
                             const unsigned char *pt, size_t pt_len, sk_rng *rng,
                             unsigned char *key, unsigned char **blob, size_t *blob_len,
                             sk_error *err);

/*
 * sk_hybrid_decrypt into the caller's reusable guarded blocks: pt for the plaintext and key
 * for the session key (wiped before return). Both are emptied first and kept allocated
 * whatever happens, so that opening many items maps and locks no memory per item; free them
 * when done. On failure pt is wiped and empty.
 */
int sk_hybrid_decrypt_reuse(EVP_PKEY *priv, const unsigned char *label, size_t label_len,
                            const unsigned char *blob, size_t blob_len, sk_secbuf *pt,
                            sk_secbuf *key, sk_error *err);

/* sk_base64_decode into out's block when it is large enough (wiped and empty on failure). */
int sk_base64_decode_reuse(const char *in, size_t len, sk_secbuf *out, sk_error *err);

#endif
