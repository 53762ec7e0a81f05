/*
 * One package for several environments from one plaintext source: each
 * environment's overlay is sealed, in memory, under its own cluster's
 * certificate, so a value sealed for staging never opens in production.
 */
#include <sealkit/package.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sealkit/emit.h>
#include <sealkit/seal.h>
#include <sealkit/secret.h>

#include "package/package_internal.h"

/* The sealed files of one environment: one per Secret, "<name>-secret.yaml". */
typedef struct env_files {
    sk_package_input *in;
    sk_secbuf *data;
    char (*names)[SK_PACKAGE_FILE_NAME_MAX + 1];
    size_t n, cap;
} env_files;

static int oom(sk_error *err)
{
    sk_error_set(err, SK_ENOMEM, "out of memory");
    return SK_ENOMEM; /* a constant, so that the analyzer sees the failure path */
}

static int grow(env_files *f, sk_error *err)
{
    if (f->n < f->cap && f->in && f->data && f->names) return SK_OK;
    size_t cap = f->cap ? 2 * f->cap : 8;
    sk_package_input *in = realloc(f->in, cap * sizeof *in);
    if (in != NULL) f->in = in;
    sk_secbuf *data = in ? realloc(f->data, cap * sizeof *data) : NULL;
    if (data != NULL) f->data = data;
    char(*names)[SK_PACKAGE_FILE_NAME_MAX + 1] =
        data ? realloc(f->names, cap * sizeof *names) : NULL;
    if (names == NULL) return oom(err);
    f->names = names;
    f->cap = cap;
    return SK_OK;
}

static int seal_one(env_files *f, sk_secret *s, const sk_package_opts *o, const sk_pubkey *pk,
                    sk_error *err)
{
    sk_seal_opts so = SK_SEAL_OPTS_INIT;
    so.namespace_ = o->namespace_;
    json_t *tree = NULL;
    int rc = grow(f, err);
    if (rc == SK_OK) rc = sk_seal_secret(s, pk, &so, &tree, err);
    if (rc != SK_OK) return rc;
    sk_secbuf *d = &f->data[f->n];
    *d = (sk_secbuf)SK_SECBUF_INIT;
    rc = sk_emit_yaml(tree, d, err);
    json_decref(tree);
    const char *name = sk_secret_name(s);
    snprintf(f->names[f->n], sizeof f->names[f->n], "%.88s-secret.yaml", name ? name : "secret");
    f->in[f->n] = (sk_package_input){f->names[f->n], d->data, d->len};
    f->n++; /* freed with the rest, even when the emitter failed */
    return rc;
}

static int seal_input(env_files *f, const sk_package_input *p, const sk_package_opts *o,
                      const sk_pubkey *pk, sk_error *err)
{
    sk_docs docs = {0};
    sk_secret *s = NULL;
    sk_origin *origins = NULL;
    size_t n = 0;
    int rc = sk_docs_parse(p->data, p->len, p->path, &docs, err);
    if (rc != SK_OK) return rc;
    rc = sk_secrets_from_docs(&docs, &s, &origins, &n, err);
    for (size_t i = 0; rc == SK_OK && i < n; i++)
        rc = seal_one(f, &s[i], o, pk, err);
    if (rc != SK_OK) sk_error_at_source(err, rc, p->path);
    if (s != NULL) sk_secrets_free(s, origins, n);
    sk_docs_free(&docs);
    return rc;
}

static void files_free(env_files *f)
{
    for (size_t i = 0; i < f->n; i++)
        sk_secbuf_free(&f->data[i]);
    free(f->in);
    free(f->data);
    free(f->names);
}

int sk_package_build_envs(const sk_package_opts *o, const sk_package_env *envs, size_t n_envs,
                          const sk_package_input *plain, size_t n, sk_secbuf *out, sk_error *err)
{
    if (n_envs == 0) return sk_error_set(err, SK_EUSAGE, "no environment to package");
    if (n == 0) return sk_error_set(err, SK_EUSAGE, "no Secret files to seal");
    env_files *f = calloc(n_envs, sizeof *f);
    sk_package_overlay *ov = calloc(n_envs, sizeof *ov);
    if (f == NULL || ov == NULL) {
        free(f);
        free(ov);
        return oom(err);
    }
    int rc = SK_OK;
    for (size_t e = 0; rc == SK_OK && e < n_envs; e++) {
        for (size_t i = 0; rc == SK_OK && i < n; i++)
            rc = seal_input(&f[e], &plain[i], o, envs[e].cert, err);
        ov[e] = (sk_package_overlay){envs[e].name, f[e].in, f[e].n};
    }
    if (rc == SK_OK) rc = sk_package_build_overlays(o, ov, n_envs, out, err);
    for (size_t e = 0; e < n_envs; e++)
        files_free(&f[e]);
    free(f);
    free(ov);
    return rc;
}
