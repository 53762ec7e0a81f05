/*
 * The scheduled key rotation, as steps a caller (the CLI, a sharded job) can
 * run one by one: make a new controller key in a key folder when the newest
 * is too old, reseal every SealedSecret under a set of paths to it, and mark
 * the folder done. A run killed at any point is finished by the next one.
 *
 * The key folder holds:
 *   sealed-secrets-key-<UTC time>.yaml  each key, as the controller's TLS Secret (0600)
 *   sealed-secrets-key-<UTC time>.crt   its certificate (0644)
 *   .sealkit-rotate.lock                held (flock) while a rotation is in progress
 *   .sealkit-rotate-minted              fingerprint of the last key a rotation made
 *   .sealkit-rotate-done                fingerprint of the key the paths were resealed to
 * A key is minted as: the minted mark, then the certificate, then the Secret
 * (the key itself, whole or absent). A minted key is announced ("apply it")
 * by every run until one marks it done.
 */
#ifndef SEALKIT_ROTATE_H
#define SEALKIT_ROTATE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "export.h"
#include "keygen.h"
#include "keys.h"
#include "reseal.h"

#define SK_ROTATE_OPTS_VERSION 1u
#define SK_ROTATE_OPTS_INIT                                                                        \
    {                                                                                              \
        .version = SK_ROTATE_OPTS_VERSION, .bits = SK_KEYGEN_DEFAULT_BITS,                         \
        .cn = SK_KEYGEN_DEFAULT_CN, .ns = SK_KEYGEN_DEFAULT_NAMESPACE,                             \
        .valid_for = 3650LL * 86400, .reseal = SK_RESEAL_TREE_OPTS_INIT                            \
    }

enum sk_rotate_flags {
    /* The folder may be missing (it is made 0700) or empty: mint the first key. */
    SK_ROTATE_INIT = 1u << 0,
    /*
     * Take the folder's lock shared, for one of several reseal jobs at once (each with its own
     * opts.reseal.shard): they exclude a mint or a finish, not each other. Only
     * sk_rotate_reseal may follow.
     */
    SK_ROTATE_SHARED = 1u << 1
};

typedef struct sk_rotate_opts {
    unsigned version; /* SK_ROTATE_OPTS_VERSION */
    unsigned flags;   /* sk_rotate_flags */
    const char *dir;  /* the key folder */
    int64_t now;      /* Unix time: key ages and a new key's validity start */
    int64_t max_age;  /* seconds a key may get before a new one is made (> 0) */
    int bits;         /* a new key: 2048, 3072 or 4096 */
    const char *cn, *ns;
    int64_t valid_for;          /* a new key's certificate validity, in seconds */
    sk_reseal_tree_opts reseal; /* jobs, exclusions, progress; SK_RESEAL_CHECK is refused */
} sk_rotate_opts;

typedef enum sk_rotate_state {
    SK_ROTATE_FRESH = 0,  /* the newest key is young enough and the paths are resealed to it */
    SK_ROTATE_DUE = 1,    /* no key, or the newest is too old (done or not): make one */
    SK_ROTATE_PENDING = 2 /* the newest key is young, not done: reseal the paths to it */
} sk_rotate_state;

/* What a rotation found and did; sk_rotation_report returns it, owned by the rotation. */
typedef struct sk_rotate_report {
    sk_rotate_state found; /* as sk_rotate_begin found the folder */
    sk_rotate_state state; /* now: each step moves it on (FRESH once finished) */
    int minted;            /* this run made the key */
    /*
     * The paths are now resealed to a key this job made (in this run or in one that was
     * interrupted) and that was never marked done: it must be applied to the cluster.
     */
    int rotated;
    const char *key;         /* the newest key's file (its Secret); NULL without one */
    const char *fingerprint; /* its fingerprint; NULL without one */
    int64_t key_age;         /* its age in seconds at opts.now */
    char **temps_removed;    /* stale temporary files removed from the key folder */
    size_t n_temps_removed;
    sk_error *unopened; /* the preflight: one error per file the keys cannot open, or path
                           not processed */
    size_t n_unopened;
    sk_reseal_tree_report reseal; /* the reseal step's report (empty until it ran) */
} sk_rotate_report;

typedef struct sk_rotation sk_rotation;

/*
 * Starts a rotation: makes the folder with SK_ROTATE_INIT, takes its lock (SK_EBUSY when
 * another rotation holds it; the kernel drops it if the process dies), removes the stale
 * temporary files of a killed run there (never loaded: one may hold a half-written key),
 * loads its keys and finds the state. A missing or keyless folder is SK_EINVAL unless
 * SK_ROTATE_INIT is given (a mistyped folder must not make a key).
 */
SK_API int sk_rotate_begin(const sk_rotate_opts *opts, sk_rotation **out, sk_error *err);

/* The folder's keys as loaded (NULL while it holds none), for inventories and warnings. */
SK_API const sk_keyring *sk_rotation_keys(const sk_rotation *r);

/* The report so far. */
SK_API const sk_rotate_report *sk_rotation_report(const sk_rotation *r);

/*
 * Before a key is made: can the keys at hand open every SealedSecret under paths (one item
 * each)? SK_EDECRYPT, with the report's unopened filled, when a file cannot be opened or read
 * (a mistyped folder or a foreign file); with no key yet, any SealedSecret fails. SK_EIO when
 * the only trouble is a path the walk did not process (a link, an unreadable folder): it is
 * in unopened too.
 */
SK_API int sk_rotate_preflight(sk_rotation *r, const char *const *paths, size_t n, sk_error *err);

/* Makes the new key in the folder (state DUE only) and makes it the newest: state PENDING. */
SK_API int sk_rotate_mint(sk_rotation *r, sk_error *err);

/*
 * Reseals everything under paths to the newest key (state PENDING), as sk_reseal_tree with
 * opts.reseal; the report's reseal holds what happened. Sets rotated when it all succeeded
 * and the key is one this job made.
 */
SK_API int sk_rotate_reseal(sk_rotation *r, const char *const *paths, size_t n, sk_error *err);

/*
 * After sharded reseals: checks, writing nothing, that every SealedSecret under paths is
 * resealed to the newest key (state PENDING); SK_EINVAL says how many files are not (a shard
 * that failed or never ran). Sets rotated as sk_rotate_reseal does, so that a finish can follow.
 */
SK_API int sk_rotate_check(sk_rotation *r, const char *const *paths, size_t n, sk_error *err);

/* Marks the newest key done after a reseal or check that succeeded: the next run finds FRESH. */
SK_API int sk_rotate_finish(sk_rotation *r, sk_error *err);

/* Releases the lock and frees the rotation (NULL is fine). */
SK_API void sk_rotate_end(sk_rotation *r);

/*
 * All the steps: begin; when DUE, preflight and mint; when PENDING (or minted), reseal and
 * finish. *out is set whenever begin succeeded, to read the report from (sk_rotate_end it),
 * also on a later failure.
 */
SK_API int sk_rotate_run(const sk_rotate_opts *opts, const char *const *paths, size_t n,
                         sk_rotation **out, sk_error *err);

#endif
