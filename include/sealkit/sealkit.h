/* sealkit: an offline toolkit for Bitnami Sealed Secrets. */
#ifndef SEALKIT_H
#define SEALKIT_H

#include "export.h"
#include "error.h"
#include "mem.h"
#include "io.h"
#include "crypto.h"
#include "cert.h"
#include "keys.h"
#include "keygen.h"
#include "timefmt.h"
#include "scope.h"
#include "doc.h"
#include "emit.h"
#include "model.h"
#include "secret.h"
#include "walk.h"
#include "seal.h"
#include "unseal.h"
#include "reseal.h"
#include "create.h"
#include "fetch.h"
#include "verify.h"
#include "package.h"

/*
 * Call once before anything else, from one thread. Initialises libsodium and
 * makes jansson wipe every block it frees, since parsed documents hold base64
 * plaintext (jansson's allocator is process-wide: the only global state).
 * sk_fetch_https loads libcurl on first use and runs its global set-up then;
 * call it from one thread too.
 */
SK_API int sk_init(void);
SK_API const char *sk_version(void);

#endif
