/*
 * Reseals the 15-item ml-platform SealedSecret from one 4096-bit key to another in a loop, the
 * way a reseal worker does (sk_reseal_text_scratch, guarded blocks kept), and compares the item
 * rate with OpenSSL's own RSA-4096 private-operation rate (what `openssl speed rsa4096` signs)
 * with the same key. Resealing an item is one private operation plus one public operation,
 * AES-GCM and the document work, so the ratio shows what sealkit adds.
 *
 * A virtual machine's speed drifts within seconds, so the two are measured in pairs: one text
 * resealed, then as many signatures as it had items (every other pair the other way round), in
 * CPU time of this process; the ratio printed is the median of the pairs' ratios.
 * Usage: bench_reseal [PAIRS=200]
 */
#include <sealkit/sealkit.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#include "operations/reseal_internal.h"

static int die(const char *what, const sk_error *err)
{
    fprintf(stderr, "bench_reseal: %s: %s\n", what, err ? err->msg : "failed");
    return 1;
}

static int pem_of(EVP_PKEY *key, int private_part, char **pem, long *len, BIO **bio)
{
    *bio = BIO_new(BIO_s_mem());
    if (*bio == NULL) return 0;
    int ok = private_part ? PEM_write_bio_PrivateKey(*bio, key, NULL, NULL, 0, NULL, NULL)
                          : PEM_write_bio_PUBKEY(*bio, key);
    *len = BIO_get_mem_data(*bio, pem);
    return ok && *len > 0;
}

/* The ml-platform Secret sealed under old, as YAML. */
static int sealed_text(const sk_pubkey *old, sk_secbuf *text, sk_error *err)
{
    sk_docs docs = {0};
    sk_origin *origins = NULL;
    sk_secret *s = NULL;
    size_t n = 0;
    json_t *sealed = NULL;
    int rc = sk_docs_parse((const unsigned char *)bench_secret_yaml, sizeof bench_secret_yaml - 1,
                           "bench", &docs, err);
    if (rc == SK_OK) rc = sk_secrets_from_docs(&docs, &s, &origins, &n, err);
    if (rc == SK_OK) rc = sk_seal_secret(&s[0], old, NULL, &sealed, err);
    if (rc == SK_OK) rc = sk_emit_yaml(sealed, text, err);
    json_decref(sealed);
    if (s != NULL) sk_secrets_free(s, NULL, n);
    free(origins);
    sk_docs_free(&docs);
    return rc;
}

/* CPU seconds of n private operations with key, as openssl speed does them. */
static double sign_seconds(EVP_PKEY_CTX *ctx, size_t n)
{
    unsigned char in[36] = {1}, sig[512];
    double t = bench_cpu_s();
    for (size_t i = 0; i < n; i++) {
        size_t len = sizeof sig;
        if (EVP_PKEY_sign(ctx, sig, &len, in, sizeof in) <= 0) return -1;
    }
    return bench_cpu_s() - t;
}

int main(int argc, char **argv)
{
    int pairs = argc > 1 ? atoi(argv[1]) : 200;
    if (pairs < 4 || pairs > 100000) return die("usage", NULL);
    sk_error err = {0};
    if (sk_init() != SK_OK || sk_json_wipe_on_free() != SK_OK) return die("init", NULL);
    EVP_PKEY *oldk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
    EVP_PKEY *newk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
    BIO *b_old = NULL, *b_oldpub = NULL, *b_new = NULL;
    char *p_old = NULL, *p_oldpub = NULL, *p_new = NULL;
    long l_old = 0, l_oldpub = 0, l_new = 0;
    if (oldk == NULL || newk == NULL || !pem_of(oldk, 1, &p_old, &l_old, &b_old) ||
        !pem_of(oldk, 0, &p_oldpub, &l_oldpub, &b_oldpub) ||
        !pem_of(newk, 0, &p_new, &l_new, &b_new))
        return die("keygen", NULL);
    sk_keyring *kr = NULL;
    sk_pubkey *oldpub = NULL, *target = NULL;
    sk_secbuf text = SK_SECBUF_INIT, out = SK_SECBUF_INIT;
    if (sk_keyring_new(&kr, &err) != SK_OK ||
        sk_keyring_add_pem(kr, p_old, (size_t)l_old, "old", NULL, &err) != SK_OK ||
        sk_pubkey_from_pem(p_oldpub, (size_t)l_oldpub, time(NULL), &oldpub, &err) != SK_OK ||
        sk_pubkey_from_pem(p_new, (size_t)l_new, time(NULL), &target, &err) != SK_OK ||
        sealed_text(oldpub, &text, &err) != SK_OK)
        return die("setup", &err);
    EVP_PKEY_CTX *sign = EVP_PKEY_CTX_new(oldk, NULL);
    if (sign == NULL || EVP_PKEY_sign_init(sign) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(sign, RSA_PKCS1_PADDING) <= 0)
        return die("sign setup", NULL);

    sk_reseal_scratch scratch = {0};
    double *ratio = calloc((size_t)pairs, sizeof *ratio), reseal_t = 0, sign_t = 0;
    size_t items = 0;
    for (int i = 0; ratio != NULL && i < pairs; i++) {
        sk_reseal_counts c = SK_RESEAL_COUNTS_INIT;
        double s = i % 2 ? sign_seconds(sign, 15) : 0, t = bench_cpu_s();
        if (sk_reseal_text_scratch(text.data, text.len, "bench", kr, target, NULL, &scratch, &out,
                                   &c, &err) != SK_OK)
            return die("reseal", &err);
        double r = bench_cpu_s() - t;
        if (i % 2 == 0) s = sign_seconds(sign, c.resealed);
        if (c.resealed != 15 || s <= 0) return die("measure", NULL);
        ratio[i] = s / r;
        reseal_t += r;
        sign_t += s;
        items += c.resealed;
    }
    if (ratio == NULL) return die("memory", NULL);
    qsort(ratio, (size_t)pairs, sizeof *ratio, bench_by_value);
    printf("openssl RSA-4096 private ops/s (1 core)  : %10.1f\n", (double)items / sign_t);
    printf("sealkit reseal items/s (1 core)          : %10.1f\n", (double)items / reseal_t);
    printf("ratio, median of %d pairs                : %10.3f  (quartiles %.3f, %.3f; target >= "
           "0.95)\n",
           pairs, ratio[pairs / 2], ratio[pairs / 4], ratio[3 * pairs / 4]);

    free(ratio);
    sk_reseal_scratch_free(&scratch);
    sk_secbuf_free(&out);
    sk_secbuf_free(&text);
    EVP_PKEY_CTX_free(sign);
    sk_pubkey_free(oldpub);
    sk_pubkey_free(target);
    sk_keyring_free(kr);
    BIO_free(b_old);
    BIO_free(b_oldpub);
    BIO_free(b_new);
    EVP_PKEY_free(oldk);
    EVP_PKEY_free(newk);
    return 0;
}
