/*
 * Internal: the one place that finds PEM blocks in a text (cert.c, keys.c,
 * keyfile.c, verify_cert.c). Two layers:
 *  - sk_pem_next / sk_pem_present locate BEGIN and END lines by their bytes,
 *    without decoding: to sniff a text, to cut it into blocks, to name a block
 *    in a message. They are linear in the text and never read past len.
 *  - sk_pem_read_der decodes the next block with OpenSSL's PEM reader into
 *    secure memory, for the callers that want the DER bytes.
 */
#ifndef SK_PEM_H
#define SK_PEM_H

#include <stddef.h>

#include <openssl/bio.h>

/* Label bytes looked at; real labels ("RSA PRIVATE KEY") are far shorter. */
#define SK_PEM_LABEL_MAX 64

typedef struct sk_pem_block {
    const char *label; /* into the text, after "-----BEGIN "; not NUL-terminated */
    size_t label_len;  /* up to the first '-', CR or LF, at most SK_PEM_LABEL_MAX */
    size_t begin;      /* offset of "-----BEGIN " */
    size_t end;        /* offset just past "-----END <label>-----"; see complete */
    int framed;        /* the label is followed by "-----" (a well-formed BEGIN line) */
    int complete;      /* the END line was found; otherwise end is len for a framed
                          block, and the end of the label for an unframed one */
} sk_pem_block;

/*
 * Finds the first BEGIN line at or after *pos. With label NULL any BEGIN line
 * counts, framed or not; otherwise only a framed one with exactly that label
 * (others are stepped over, not skipped to their END). Returns 1 with *b
 * filled and *pos moved to b->end, or 0 when there is none (*pos unchanged).
 */
int sk_pem_next(const char *text, size_t len, size_t *pos, const char *label, sk_pem_block *b);

/* Non-zero when text holds "-----BEGIN " anywhere: the cue that it is PEM, not YAML/JSON. */
int sk_pem_present(const char *text, size_t len);

/* A decoded block; every part is a secure allocation, wiped by sk_pem_der_free. */
typedef struct sk_pem_der {
    char *name;
    char *header;
    unsigned char *data;
    long len;
} sk_pem_der;

/*
 * Reads the next block of a memory BIO over a text of len bytes. Returns 1
 * with *b filled, 0 when no BEGIN line is left, or -1 for a broken block
 * (bad base64, no END line), with *at its byte offset for messages.
 * OpenSSL's error queue is left as it was.
 */
int sk_pem_read_der(BIO *bio, size_t len, sk_pem_der *b, size_t *at);
void sk_pem_der_free(sk_pem_der *b);

#endif
