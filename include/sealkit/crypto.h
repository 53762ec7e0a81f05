/*
 * The Sealed Secrets hybrid cipher (docs/format.md §1):
 *   blob = u16be(k) || RSA-OAEP-SHA256(session key, label) || AES-256-GCM(plaintext)
 * with a fresh 32-byte session key per item, a 12-byte zero nonce and no AAD.
 */
#ifndef SEALKIT_CRYPTO_H
#define SEALKIT_CRYPTO_H

#include <stddef.h>
#include <openssl/evp.h>
#include "error.h"
#include "mem.h"

#define SK_SESSION_KEY_LEN 32
#define SK_GCM_TAG_LEN 16

/*
 * Seals one item; *blob is malloc'd (it is ciphertext, not secret). The
 * session key comes from libsodium's CSPRNG, the OAEP seed from OpenSSL's DRBG.
 */
SK_API int sk_hybrid_encrypt(EVP_PKEY *pub, const unsigned char *label, size_t label_len,
                             const unsigned char *pt, size_t pt_len, unsigned char **blob,
                             size_t *blob_len, sk_error *err);

/*
 * Opens one blob with one private key. The plaintext goes to guarded memory:
 * *pt is emptied first, filled only on success and left empty on failure.
 * Returns SK_EDECRYPT with a reason ("blob too short", "blob is for a key of
 * N bits", "RSA-OAEP rejected it") when the key cannot open it, and SK_EAUTH
 * when the key opens the RSA part but the AES-GCM tag fails: the blob was
 * altered after sealing. It opens what upstream's controller opens (docs/format.md §1.4): an
 * RSA part of at most the key's modulus length (a shorter one lacks leading zero bytes) and a
 * session key of 16, 24 or 32 bytes; sealing always writes the modulus length and 32 bytes.
 * A key under 1024 bits opens nothing, as Go's crypto/rsa refuses it.
 */
SK_API int sk_hybrid_decrypt(EVP_PKEY *priv, const unsigned char *label, size_t label_len,
                             const unsigned char *blob, size_t blob_len, sk_secbuf *pt,
                             sk_error *err);

/*
 * Bytes of the RSA part announced by the blob header, or 0 when the blob is
 * shorter than the header or than the RSA part it announces.
 */
SK_API size_t sk_blob_rsa_len(const unsigned char *blob, size_t blob_len);

/*
 * Standard base64 with padding (no line breaks). *out is malloc'd: free() it,
 * or sk_free_wiped() it when in is plaintext.
 */
SK_API int sk_base64_encode(const unsigned char *in, size_t len, char **out, sk_error *err);
/*
 * Standard base64 with padding into guarded memory, as Go's StdEncoding reads
 * it: CR and LF are ignored, and so are non-zero unused bits in the last
 * character. Anything else outside the alphabet, missing padding or trailing
 * data is SK_EPARSE with the byte offset in the message. *out is emptied
 * first and left empty on failure.
 */
SK_API int sk_base64_decode(const char *in, size_t len, sk_secbuf *out, sk_error *err);

#endif
