/* sealkit: an offline toolkit for Bitnami Sealed Secrets. */
#ifndef SEALKIT_H
#define SEALKIT_H

#include "export.h"
#include "init.h"
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
#include "rotate.h"
#include "create.h"
#include "fetch.h"
#include "verify.h"
#include "package.h"

/*
 * Thread safety. sealkit keeps no global state of its own but a lock-free
 * record of the files its writes have in flight (sk_io_remove_in_flight in
 * io.h), safe from any thread; it sets up process-wide libraries, and its
 * objects have no locks:
 *
 *  - sk_init and sk_json_wipe_on_free change process-wide state: call them
 *    once, from one thread, before starting the threads that use sealkit.
 *  - sk_fetch_https (and sk_fetch_pubkey given a URL) loads libcurl and runs
 *    curl_global_init on every call, which libcurl documents as not
 *    thread-safe (before 7.84, or built without atomics): never run two
 *    fetches at once, nor one while another thread uses libcurl. It also
 *    reads CURL_CA_BUNDLE, SSL_CERT_FILE and SSL_CERT_DIR: do not change the
 *    environment meanwhile.
 *  - An sk_keyring is not read-only while it decrypts: sk_keyring_decrypt
 *    records which key opened the blob so that it is tried first next time,
 *    and so does everything that decrypts through the ring (sk_unseal,
 *    sk_diagnose_scope, sk_reseal_text, the verify functions and
 *    sk_package_verify when given keys). Use one ring per thread, or lock
 *    around every call that takes the ring. Adding keys also invalidates the
 *    pointers of sk_keyring_info.
 *  - Every other object (sk_pubkey, sk_secret, sk_docs, sk_findings,
 *    sk_secbuf, sk_package, jansson trees, ...) may be used by one thread at
 *    a time; objects passed as const (a loaded sk_pubkey, a parsed tree) may
 *    be read by several threads at once. Errors go to the caller's sk_error,
 *    never to shared state.
 */

#endif
