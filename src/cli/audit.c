/* What 'sealkit verify' and 'sealkit package verify' share: their inputs and their lines. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cli_load_audit_cert(const char *path, sk_pubkey **pk, sk_error *err)
{
    sk_secbuf text = SK_SECBUF_INIT;
    int rc = sk_read_file(path, (size_t)1 << 20, &text, err);
    if (rc == SK_OK)
        rc = sk_pubkey_from_pem_ex((const char *)text.data, text.len, cli_now(),
                                   SK_PUBKEY_ALLOW_EXPIRED, pk, err);
    if (rc != SK_OK) sk_error_at_source(err, rc, path);
    sk_secbuf_free(&text);
    if (rc == SK_OK && (sk_pubkey_flags(*pk) & SK_CERT_EXPIRED))
        cli_warn("%s: the certificate has expired (see 'sealkit cert')", path);
    return rc;
}

long cli_newest_key(const sk_keyring *kr)
{
    size_t which = 0;
    if (kr == NULL || sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &which, NULL) != SK_OK)
        return -1;
    return (long)which;
}

/* Names and messages come from the files: control characters would forge lines. */
static void print_clean(const char *s)
{
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

void cli_print_finding(const sk_finding *x)
{
    char doc[48] = "-";
    if (x->document > 0 && x->list_item > 0)
        snprintf(doc, sizeof doc, "%zu.%zu", x->document, x->list_item);
    else if (x->document > 0)
        snprintf(doc, sizeof doc, "%zu", x->document);
    print_clean(x->file ? x->file : "-");
    printf(":%s:", doc);
    print_clean(x->item ? x->item : "-");
    printf(": %s: %s: ", sk_severity_name(x->severity), x->code);
    print_clean(x->message);
    putchar('\n');
}
