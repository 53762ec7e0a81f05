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
#include "scope.h"
#include "doc.h"
#include "emit.h"
#include "secret.h"
#include "seal.h"
#include "unseal.h"
#include "reseal.h"
#include "create.h"
#include "fetch.h"
#include "verify.h"
#include "package.h"

/*
 * Call once before anything else. Initialises libsodium and makes jansson
 * wipe every block it frees, since parsed documents hold base64 plaintext,
 * and calls curl_global_init for sk_fetch_https. (jansson's allocator and
 * libcurl's global setup are process-wide; they are the only global state.
 * Call it from one thread, before starting others.)
 */
SK_API int sk_init(void);
SK_API const char *sk_version(void);

#endif
