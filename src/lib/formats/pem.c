/* PEM block framing: see pem.h. */
#include "formats/pem.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

static const char BEGIN[] = "-----BEGIN ";
static const char END[] = "-----END ";
static const char DASHES[] = "-----";
#define BEGIN_LEN (sizeof BEGIN - 1)
#define END_LEN (sizeof END - 1)
#define DASHES_LEN (sizeof DASHES - 1)

/* Offset of the next "-----BEGIN " at or after from, or len. */
static size_t find_begin(const char *text, size_t len, size_t from)
{
    if (text == NULL || from >= len) return len;
    const char *hit = memmem(text + from, len - from, BEGIN, BEGIN_LEN);
    return hit != NULL ? (size_t)(hit - text) : len;
}

/* Fills the label of the BEGIN line at b->begin: bounded, so a huge "label" costs nothing. */
static void read_label(const char *text, size_t len, sk_pem_block *b)
{
    size_t at = b->begin + BEGIN_LEN, n = 0;
    while (at + n < len && n < SK_PEM_LABEL_MAX && text[at + n] != '-' && text[at + n] != '\n' &&
           text[at + n] != '\r')
        n++;
    b->label = text + at;
    b->label_len = n;
    at += n;
    b->framed = len - at >= DASHES_LEN && memcmp(text + at, DASHES, DASHES_LEN) == 0;
}

static int label_is(const sk_pem_block *b, const char *label)
{
    return b->framed && strlen(label) == b->label_len && memcmp(b->label, label, b->label_len) == 0;
}

/*
 * The END line is looked for from the label's end on, so that it may share the
 * BEGIN line's closing dashes ("-----BEGIN X-----END X-----"), as a plain
 * search for the END text from the BEGIN line would find it.
 */
static void find_end(const char *text, size_t len, sk_pem_block *b)
{
    size_t from = (size_t)(b->label - text) + b->label_len;
    char needle[END_LEN + SK_PEM_LABEL_MAX + DASHES_LEN];
    size_t n = 0;
    memcpy(needle, END, END_LEN);
    n += END_LEN;
    memcpy(needle + n, b->label, b->label_len);
    n += b->label_len;
    memcpy(needle + n, DASHES, DASHES_LEN);
    n += DASHES_LEN;
    const char *hit = memmem(text + from, len - from, needle, n);
    b->complete = hit != NULL;
    b->end = hit != NULL ? (size_t)(hit - text) + n : len;
}

int sk_pem_next(const char *text, size_t len, size_t *pos, const char *label, sk_pem_block *b)
{
    memset(b, 0, sizeof *b);
    for (size_t at = find_begin(text, len, *pos); at < len;
         at = find_begin(text, len, at + BEGIN_LEN)) {
        b->begin = at;
        read_label(text, len, b);
        if (label != NULL && !label_is(b, label)) continue;
        if (b->framed)
            find_end(text, len, b);
        else
            b->end = (size_t)(b->label - text) + b->label_len;
        *pos = b->end;
        return 1;
    }
    memset(b, 0, sizeof *b);
    return 0;
}

int sk_pem_present(const char *text, size_t len)
{
    return find_begin(text, len, 0) < len;
}

/* ---- decoding, through OpenSSL ---- */

void sk_pem_der_free(sk_pem_der *b)
{
    if (b->name != NULL) OPENSSL_secure_clear_free(b->name, strlen(b->name));
    if (b->header != NULL) OPENSSL_secure_clear_free(b->header, strlen(b->header));
    if (b->data != NULL) OPENSSL_secure_clear_free(b->data, (size_t)b->len);
    memset(b, 0, sizeof *b);
}

int sk_pem_read_der(BIO *bio, size_t len, sk_pem_der *b, size_t *at)
{
    *at = len - (size_t)BIO_pending(bio);
    ERR_set_mark();
    /* PEM_FLAG_SECURE: the block may be a private key, or sit beside one in a combined file. */
    int ok = PEM_read_bio_ex(bio, &b->name, &b->header, &b->data, &b->len,
                             PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE);
    unsigned long e = ok ? 0 : ERR_peek_last_error();
    ERR_pop_to_mark();
    if (ok) return 1;
    if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) return 0;
    return -1;
}
