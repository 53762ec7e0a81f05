/* Uses the installed public API only: prints the version and a strict scope's label. */
#include <sealkit/sealkit.h>

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    if (sk_init() != SK_OK) {
        fputs("consumer: sk_init failed\n", stderr);
        return 1;
    }
    sk_error err = {0};
    char *label = NULL;
    size_t len = 0;
    if (sk_scope_label(SK_SCOPE_STRICT, "demo", "db", &label, &len, &err) != SK_OK) {
        fprintf(stderr, "consumer: %s\n", err.msg);
        return 1;
    }
    printf("sealkit %s label %s (%zu bytes)\n", sk_version(), label, len);
    free(label);
    return 0;
}
