/* Building Secrets the way `kubectl create secret` does, in guarded memory. */
#ifndef SEALKIT_CREATE_H
#define SEALKIT_CREATE_H

#include <stddef.h>
#include "error.h"
#include "mem.h"
#include "secret.h"

/* An empty Secret: name (required), namespace and type (may be NULL). */
SK_API int sk_secret_new(const char *name, const char *ns, const char *type, sk_secret *out,
                         sk_error *err);

/*
 * Adds the KEY=VALUE lines of an env file as kubectl's --from-env-file does:
 * blank lines and lines starting with '#' are skipped, leading white space
 * is trimmed, the value is everything after the first '=' (no quote
 * processing), a line without '=' is an error naming its number. A key
 * given twice is an error.
 */
SK_API int sk_secret_add_env_file(sk_secret *s, const char *text, size_t len, const char *source,
                                  sk_error *err);

/* Adds one item; a key already present is an error (kubectl refuses duplicates). */
SK_API int sk_secret_add_new(sk_secret *s, const char *key, const unsigned char *v, size_t len,
                             sk_error *err);

/*
 * The .dockerconfigjson value kubectl writes: compact JSON
 * {"auths":{SERVER:{"username":U,"password":P,"email":E,"auth":base64(U:P)}}}
 * with email left out when NULL or empty. out is guarded memory.
 */
SK_API int sk_dockerconfig_json(const char *server, const char *user, const unsigned char *pw,
                                size_t pw_len, const char *email, sk_secbuf *out, sk_error *err);

#endif
