/*
 * Seals the 15-item ml-platform Secret under a 4096-bit key in a loop and
 * compares the item rate with OpenSSL's own RSA-4096 OAEP public-operation
 * rate measured in the same process: sealing one item is one RSA public
 * operation plus AES-GCM, so the ratio shows sealkit's overhead.
 *
 * The output buffer and the session key's guarded block are kept from one
 * Secret to the next, as a caller sealing many does: a guarded allocation
 * maps, locks and unmaps pages, a cost of its own.
 *
 * A virtual machine's speed drifts within seconds, so the rates are measured
 * in rounds of about a millisecond each: 15 OpenSSL encryptions, 15 items
 * through sk_hybrid_encrypt, one whole Secret sealed and written as JSON, in
 * CPU time of this process, the order turning from round to round; the ratios
 * printed are the medians of the rounds' ratios.
 * Usage: bench_seal [ROUNDS=2000]
 */
#include <sealkit/sealkit.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#include "crypto/crypto_internal.h"

static int die(const char *what, const sk_error *err)
{
    fprintf(stderr, "bench_seal: %s: %s\n", what, err ? err->msg : "failed");
    return 1;
}

/* OpenSSL alone: CPU seconds of n RSA-OAEP-SHA256 encryptions of a 32-byte key. */
static double openssl_seconds(EVP_PKEY *pub, size_t n)
{
    unsigned char in[32] = {1}, out[512];
    double start = bench_cpu_s();
    for (size_t i = 0; i < n; i++) {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
        size_t outlen = sizeof out;
        if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
            EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0 ||
            EVP_PKEY_encrypt(ctx, out, &outlen, in, sizeof in) <= 0)
            return -1;
        EVP_PKEY_CTX_free(ctx);
    }
    return bench_cpu_s() - start;
}

/*
 * sealkit's per-item cipher alone, as sealing runs it: the session key in one guarded block
 * kept for every item, to split its cost from the document work.
 */
static double hybrid_seconds(EVP_PKEY *pub, unsigned char *session_key, size_t n)
{
    const unsigned char pt[] = "example-secret-access-key-not-real";
    double start = bench_cpu_s();
    for (size_t i = 0; i < n; i++) {
        unsigned char *blob = NULL;
        size_t blob_len = 0;
        if (sk_hybrid_encrypt_keybuf(pub, (const unsigned char *)"ns/name", 7, pt, sizeof pt - 1,
                                     NULL, session_key, &blob, &blob_len, NULL) != SK_OK)
            return -1;
        free(blob);
    }
    return bench_cpu_s() - start;
}

static int load_secret(sk_secret **s, sk_error *err)
{
    sk_docs docs = {0};
    sk_origin *origins = NULL;
    size_t n = 0;
    int rc = sk_docs_parse((const unsigned char *)bench_secret_yaml, sizeof bench_secret_yaml - 1,
                           "bench", &docs, err);
    if (rc == SK_OK) rc = sk_secrets_from_docs(&docs, s, &origins, &n, err);
    sk_docs_free(&docs);
    free(origins);
    return rc;
}

/* One Secret sealed and written as JSON into out, a buffer the caller keeps from one to the next.
 */
static double seal_seconds(const sk_pubkey *pk, sk_secret *s, sk_secbuf *out, sk_error *err)
{
    double start = bench_cpu_s();
    json_t *sealed = NULL;
    if (sk_seal_secret(s, pk, NULL, &sealed, err) != SK_OK) return -1;
    sk_secbuf_clear(out);
    int rc = sk_emit_json(sealed, out, err);
    json_decref(sealed);
    return rc == SK_OK ? bench_cpu_s() - start : -1;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 2000;
    if (rounds < 4 || rounds > 1000000) return die("usage", NULL);
    sk_error err = {0};
    if (sk_init() != SK_OK || sk_json_wipe_on_free() != SK_OK) return die("init", NULL);
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
    BIO *bio = BIO_new(BIO_s_mem());
    if (key == NULL || bio == NULL || !PEM_write_bio_PUBKEY(bio, key)) return die("keygen", NULL);
    char *pem = NULL;
    long pem_len = BIO_get_mem_data(bio, &pem);
    sk_pubkey *pk = NULL;
    sk_secret *s = NULL;
    if (sk_pubkey_from_pem(pem, (size_t)pem_len, time(NULL), &pk, &err) != SK_OK)
        return die("pubkey", &err);
    if (load_secret(&s, &err) != SK_OK) return die("secret", &err);

    size_t n = s->n_items;
    sk_secbuf out = SK_SECBUF_INIT, session_key = SK_SECBUF_INIT;
    if (sk_secbuf_reserve(&session_key, SK_SESSION_KEY_LEN, &err) != SK_OK)
        return die("memory", &err);
    double *hybrid = calloc((size_t)rounds, sizeof *hybrid);
    double *sealing = calloc((size_t)rounds, sizeof *sealing);
    double rsa_t = 0, hybrid_t = 0, seal_t = 0;
    for (int r = 0; hybrid != NULL && sealing != NULL && r < rounds; r++) {
        double t[3];
        for (int k = 0; k < 3; k++) {
            int which = (k + r) % 3; /* each goes first, second and third in turn */
            t[which] = which == 0   ? openssl_seconds(sk_pubkey_evp(pk), n)
                       : which == 1 ? hybrid_seconds(sk_pubkey_evp(pk), session_key.data, n)
                                    : seal_seconds(pk, s, &out, &err);
        }
        if (t[0] <= 0 || t[1] <= 0 || t[2] <= 0) return die("measure", &err);
        hybrid[r] = t[0] / t[1];
        sealing[r] = t[0] / t[2];
        rsa_t += t[0];
        hybrid_t += t[1];
        seal_t += t[2];
    }
    if (hybrid == NULL || sealing == NULL) return die("memory", NULL);
    qsort(hybrid, (size_t)rounds, sizeof *hybrid, bench_by_value);
    qsort(sealing, (size_t)rounds, sizeof *sealing, bench_by_value);
    double items = (double)n * rounds;
    printf("openssl RSA-4096 OAEP public ops/s : %10.1f\n", items / rsa_t);
    printf("sealkit sk_hybrid_encrypt items/s  : %10.1f  (ratio %.3f, median of %d rounds)\n",
           items / hybrid_t, hybrid[rounds / 2], rounds);
    printf("sealkit seals/s (15-item Secret)   : %10.1f  (%.1f items/s)\n", rounds / seal_t,
           items / seal_t);
    printf("ratio items/s / openssl ops/s      : %10.3f  (median of %d rounds, quartiles %.3f, "
           "%.3f; target >= 0.80)\n",
           sealing[rounds / 2], rounds, sealing[rounds / 4], sealing[3 * rounds / 4]);

    free(hybrid);
    free(sealing);
    sk_secbuf_free(&out);
    sk_secbuf_free(&session_key);
    sk_secrets_free(s, NULL, 1);
    sk_pubkey_free(pk);
    BIO_free(bio);
    EVP_PKEY_free(key);
    return 0;
}
