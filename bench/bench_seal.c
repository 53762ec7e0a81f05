/*
 * Seals the 15-item ml-platform Secret under a 4096-bit key in a loop and
 * compares the item rate with OpenSSL's own RSA-4096 OAEP public-operation
 * rate measured in the same process: sealing one item is one RSA public
 * operation plus AES-GCM, so the ratio shows sealkit's overhead.
 */
#include <sealkit/sealkit.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char secret_yaml[] =
    "apiVersion: v1\nkind: Secret\nmetadata: {name: ml-platform, namespace: seldon-system}\n"
    "type: Opaque\nstringData:\n"
    "  AWS_ACCESS_KEY_ID: EXAMPLE-ACCESS-KEY-ID\n  AWS_SECRET_ACCESS_KEY: example-secret\n"
    "  AWS_DEFAULT_REGION: us-east-1\n  AWS_ENDPOINT_URL: http://minio.minio.svc:9000\n"
    "  MLFLOW_TRACKING_URI: http://mlflow.mlflow.svc:5000\n  MLFLOW_TRACKING_USERNAME: user\n"
    "  MLFLOW_TRACKING_PASSWORD: example-password\n  MLFLOW_S3_ENDPOINT_URL: http://minio:9000\n"
    "  MLFLOW_FLASK_SERVER_SECRET_KEY: example-flask\n  RCLONE_CONFIG_S3_TYPE: s3\n"
    "  RCLONE_CONFIG_S3_PROVIDER: Minio\n  RCLONE_CONFIG_S3_ACCESS_KEY_ID: EXAMPLE\n"
    "  RCLONE_CONFIG_S3_SECRET_ACCESS_KEY: example-secret\n  RCLONE_CONFIG_S3_REGION: us-east-1\n"
    "  RCLONE_CONFIG_S3_ENDPOINT: http://minio:9000\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what, const sk_error *err)
{
    fprintf(stderr, "bench_seal: %s: %s\n", what, err ? err->msg : "failed");
    return 1;
}

/* OpenSSL alone: RSA-OAEP-SHA256 encryptions of a 32-byte key per second. */
static double openssl_rate(EVP_PKEY *pub, double seconds)
{
    unsigned char in[32] = {1}, out[512];
    size_t n = 0;
    double start = now_s(), t;
    do {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
        size_t outlen = sizeof out;
        if (ctx == NULL || EVP_PKEY_encrypt_init(ctx) <= 0 ||
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
            EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0 ||
            EVP_PKEY_encrypt(ctx, out, &outlen, in, sizeof in) <= 0)
            return -1;
        EVP_PKEY_CTX_free(ctx);
        n++;
        t = now_s() - start;
    } while (t < seconds);
    return (double)n / t;
}

/* sealkit's per-item cipher alone, to split its cost from the document work. */
static double hybrid_rate(EVP_PKEY *pub, double seconds)
{
    const unsigned char pt[] = "example-secret-access-key-not-real";
    size_t n = 0;
    double start = now_s(), t;
    do {
        unsigned char *blob = NULL;
        size_t blob_len = 0;
        if (sk_hybrid_encrypt(pub, (const unsigned char *)"ns/name", 7, pt, sizeof pt - 1, &blob,
                              &blob_len, NULL) != SK_OK)
            return -1;
        free(blob);
        n++;
        t = now_s() - start;
    } while (t < seconds);
    return (double)n / t;
}

static int load_secret(sk_secret **s, sk_error *err)
{
    sk_docs docs = {0};
    sk_origin *origins = NULL;
    size_t n = 0;
    int rc = sk_docs_parse((const unsigned char *)secret_yaml, sizeof secret_yaml - 1, "bench",
                           &docs, err);
    if (rc == SK_OK) rc = sk_secrets_from_docs(&docs, s, &origins, &n, err);
    sk_docs_free(&docs);
    free(origins);
    return rc;
}

static double seal_rate(const sk_pubkey *pk, sk_secret *s, double seconds, sk_error *err)
{
    size_t n = 0;
    double start = now_s(), t;
    do {
        json_t *sealed = NULL;
        sk_secbuf out = SK_SECBUF_INIT;
        if (sk_seal_secret(s, pk, NULL, &sealed, err) != SK_OK) return -1;
        if (sk_emit_json(sealed, &out, err) != SK_OK) return -1;
        json_decref(sealed);
        sk_secbuf_free(&out);
        n++;
        t = now_s() - start;
    } while (t < seconds);
    return (double)n / t;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3.0;
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

    /* Interleaved rounds, so that a busy neighbour slows all three alike. */
    double rsa = 0, hybrid = 0, seals = 0;
    const int rounds = 5;
    for (int r = 0; r < rounds; r++) {
        rsa += openssl_rate(sk_pubkey_evp(pk), seconds / rounds) / rounds;
        hybrid += hybrid_rate(sk_pubkey_evp(pk), seconds / rounds) / rounds;
        seals += seal_rate(pk, s, seconds / rounds, &err) / rounds;
    }
    if (rsa <= 0 || seals <= 0) return die("measure", &err);
    double items = seals * (double)s->n_items;
    printf("openssl RSA-4096 OAEP public ops/s : %10.1f\n", rsa);
    printf("sealkit sk_hybrid_encrypt items/s  : %10.1f  (ratio %.3f)\n", hybrid, hybrid / rsa);
    printf("sealkit seals/s (15-item Secret)   : %10.1f  (%.1f items/s)\n", seals, items);
    printf("ratio items/s / openssl ops/s      : %10.3f  (target >= 0.80)\n", items / rsa);

    sk_secrets_free(s, NULL, 1);
    sk_pubkey_free(pk);
    BIO_free(bio);
    EVP_PKEY_free(key);
    return 0;
}
