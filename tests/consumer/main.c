/*
 * Uses the installed public API only: prints the version and a strict scope's label, then
 * seals a Secret with a versioned options struct and checks that an unknown version is refused.
 */
#include <sealkit/sealkit.h>

#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what, const sk_error *err)
{
    fprintf(stderr, "consumer: %s: %s\n", what, err->msg);
    return 1;
}

/* A throwaway key, its certificate as a sealing target, one Secret sealed with it. */
static int seal_demo(void)
{
    sk_error err = {0};
    sk_keypair *kp = NULL;
    sk_secbuf pem = SK_SECBUF_INIT;
    sk_pubkey *pk = NULL;
    sk_secret s = {0};
    json_t *sealed = NULL;
    int rc = sk_keygen(2048, SK_KEYGEN_DEFAULT_CN, 1700000000, 3600, &kp, &err);
    if (rc == SK_OK) rc = sk_keypair_cert_pem(kp, &pem, &err);
    if (rc == SK_OK)
        rc = sk_pubkey_from_pem((const char *)pem.data, pem.len, 1700000060, &pk, &err);
    if (rc == SK_OK) rc = sk_secret_new("db", "demo", NULL, &s, &err);
    if (rc == SK_OK) rc = sk_secret_put(&s, "password", (const unsigned char *)"hunter2", 7, &err);
    if (rc != SK_OK) {
        fail("set-up", &err);
    } else {
        sk_seal_opts future = SK_SEAL_OPTS_INIT;
        future.version = SK_SEAL_OPTS_VERSION + 1;
        rc = sk_seal_secret(&s, pk, &future, &sealed, &err);
        if (rc != SK_EUSAGE) {
            fprintf(stderr, "consumer: an unknown sk_seal_opts version gave %d\n", rc);
            rc = 1;
        } else {
            sk_seal_opts o = SK_SEAL_OPTS_INIT;
            rc = sk_seal_secret(&s, pk, &o, &sealed, &err);
            if (rc != SK_OK) fail("seal", &err);
        }
    }
    if (rc == SK_OK) {
        const json_t *enc = json_object_get(json_object_get(sealed, "spec"), "encryptedData");
        printf("sealed %zu item(s)\n", json_object_size(enc));
    }
    json_decref(sealed);
    sk_secret_free(&s);
    sk_pubkey_free(pk);
    sk_secbuf_free(&pem);
    sk_keypair_free(kp);
    return rc == SK_OK ? 0 : 1;
}

int main(void)
{
    if (sk_init() != SK_OK) {
        fputs("consumer: sk_init failed\n", stderr);
        return 1;
    }
    /* Before any jansson value exists: the sealed tree below holds base64 ciphertext only,
     * but a real program's Secrets hold plaintext. */
    sk_json_wipe_on_free();
    sk_error err = {0};
    char *label = NULL;
    size_t len = 0;
    if (sk_scope_label(SK_SCOPE_STRICT, "demo", "db", &label, &len, &err) != SK_OK)
        return fail("label", &err);
    printf("sealkit %s label %s (%zu bytes)\n", sk_version(), label, len);
    free(label);
    return seal_demo();
}
