/*
 * What the files of src/lib/audit share and the library does not export: the diagnosis budget
 * (sk_verify_opts.diagnose_budget) as one file's verification and the worker pool (verify_pool.c)
 * both apply it, so that a scan gives the same report on any number of workers.
 */
#ifndef SEALKIT_AUDIT_VERIFY_INTERNAL_H
#define SEALKIT_AUDIT_VERIFY_INTERNAL_H

#include <sealkit/verify.h>

/* opts, NULL meaning SK_VERIFY_OPTS_INIT; an unknown version is SK_EUSAGE. */
int sk_verify_opts_norm(const sk_verify_opts *in, sk_verify_opts *out, sk_error *err);

/* out's budgets with the defaults for 0. */
size_t sk_verify_budget(const sk_findings *out);
size_t sk_verify_budget_per_file(const sk_findings *out);
/* What is left of the scan's budget, and what one file may spend now (its own budget, within
 * that). */
size_t sk_verify_budget_left(const sk_findings *out);
size_t sk_verify_file_budget(const sk_findings *out);

/* RSA private operations one try of a label costs: keys at least as large as the blob's RSA part
 * (sk_keyring_decrypt tries those), whatever order the ring tries them in. */
size_t sk_verify_charge(const sk_keyring *kr, size_t rsa_len);

/* sk_verify_text with opts normalized and budget operations to diagnose with; does not settle. */
int sk_verify_text_budget(const unsigned char *buf, size_t len, const char *file,
                          const sk_verify_opts *opts, size_t budget, sk_findings *out,
                          sk_error *err);

/*
 * Spends the budget on the diagnoses of out's items from first_item (one file's), in order, as
 * a run with exactly sk_verify_file_budget would have: a diagnosis that cost more than was left
 * is made a cut one. A diagnosis-cut finding on file says so. Adds to out->diagnose_spent.
 */
int sk_verify_settle(sk_findings *out, size_t first_item, const char *file, sk_error *err);

#endif
