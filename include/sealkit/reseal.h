/*
 * Re-sealing under a new controller key, offline (docs/format.md §5.6, §6.1): every
 * item is opened with the old keys and sealed again under the new
 * certificate with a fresh session key and the same scope. Unlike the
 * controller's /v1/rotate, nothing but the encryptedData values changes.
 */
#ifndef SEALKIT_RESEAL_H
#define SEALKIT_RESEAL_H

#include <stddef.h>
#include "cert.h"
#include "crypto.h"
#include "error.h"
#include "keys.h"
#include "mem.h"
#include "walk.h"

/*
 * What sk_reseal_text did. The caller sets version (SK_RESEAL_COUNTS_INIT) so
 * that later members can be added without breaking it; the library checks it
 * (SK_EUSAGE for a version it does not know), then zeroes and fills the rest.
 */
#define SK_RESEAL_COUNTS_VERSION 1u
#define SK_RESEAL_COUNTS_INIT                                                                      \
    {                                                                                              \
        .version = SK_RESEAL_COUNTS_VERSION                                                        \
    }

typedef struct sk_reseal_counts {
    unsigned version;      /* SK_RESEAL_COUNTS_VERSION, set by the caller */
    size_t sealed_secrets; /* SealedSecret documents seen */
    size_t resealed;       /* items sealed again under the target */
    size_t unchanged;      /* items a key with the target's fingerprint already opens */
} sk_reseal_counts;

/*
 * Re-seals the SealedSecrets found in a manifest text (YAML or JSON, several
 * documents, Lists; other kinds pass through) and writes the new text to
 * out, replacing (and wiping) what out held. Only the base64 of re-sealed
 * items differs from the input: every other byte - other documents,
 * comments, key order, quoting - is kept.
 * All or nothing: if any item cannot be opened the call fails, names it,
 * and out is left empty. When counts.resealed is 0 the output equals the
 * input. Every re-sealed item gets a fresh session key from libsodium's
 * CSPRNG. keys is not const: decrypting reorders it (see sk_keyring_decrypt).
 */
/*
 * The preflight of a rotation: can keys open what a text holds? For each
 * SealedSecret, opens one item (the first), so that a mistyped key folder or
 * a foreign file fails before a new key is made. *sealed (may be NULL) counts
 * the SealedSecrets seen. SK_EDECRYPT names the document and item that no key
 * opens; a text that does not parse is SK_EPARSE.
 */
SK_API int sk_reseal_probe(const unsigned char *in, size_t len, const char *source,
                           sk_keyring *keys, size_t *sealed, sk_error *err);

SK_API int sk_reseal_text(const unsigned char *in, size_t len, const char *source, sk_keyring *keys,
                          const sk_pubkey *target, sk_secbuf *out, sk_reseal_counts *counts,
                          sk_error *err);

/*
 * Resealing files and folders in place: what `sealkit reseal PATH...` and a rotation do.
 * The options, set up with SK_RESEAL_TREE_OPTS_INIT (which also versions them).
 */
#define SK_RESEAL_TREE_OPTS_VERSION 1u
#define SK_RESEAL_TREE_OPTS_INIT                                                                   \
    {                                                                                              \
        .version = SK_RESEAL_TREE_OPTS_VERSION, .jobs = 1                                          \
    }

enum sk_reseal_tree_flags {
    SK_RESEAL_CHECK = 1u << 0, /* write nothing and remove nothing: only say what would change */
    SK_RESEAL_IGNORE_FILE = 1u << 1, /* honour each named folder's .sealkitignore (walk.h) */
    /*
     * Only open one item of each SealedSecret (sk_reseal_probe), writing and removing nothing:
     * can the keys open the tree? target may then be NULL. A rotation's preflight.
     */
    SK_RESEAL_PROBE = 1u << 2
};

typedef struct sk_reseal_tree_opts {
    unsigned version; /* SK_RESEAL_TREE_OPTS_VERSION */
    unsigned flags;   /* sk_reseal_tree_flags */
    /*
     * Worker processes. Above 1, sk_reseal_tree forks them (and waits for every one before it
     * returns): call it from a process with a single thread, as with any fork.
     */
    size_t jobs;
    const char *const *exclude; /* patterns, as sk_walk_excluding's */
    size_t n_exclude;
    /*
     * Shards: with shards > 1, only the files of shard `shard` (0 <= shard < shards) are
     * resealed; the others count as elsewhere (totals.other_shards). A file's shard is the
     * first 8 bytes (little-endian) of the BLAKE2b-64 hash of its path below the named folder
     * ("app/db.yaml"; a named file: the path as named), modulo shards: the same on every
     * machine and checkout, so N jobs with shards = N and shard = 0..N-1 partition the files.
     */
    size_t shard, shards;
    /* Called in the calling process as files complete (may be NULL). */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
} sk_reseal_tree_opts;

/* What became of one file. */
typedef struct sk_reseal_file {
    int done;    /* 0: never processed (a worker died or could not be started) */
    int rc;      /* SK_OK, or err's code */
    int skipped; /* neither YAML nor JSON (a Helm template) and naming no SealedSecret */
    sk_reseal_counts counts;
    sk_error err;
} sk_reseal_file;

typedef struct sk_reseal_tree_totals {
    size_t files, sealed_secrets, resealed, unchanged;
    size_t changed;       /* files with an item resealed (or that would have one, with CHECK) */
    size_t failed;        /* files that failed or were never processed */
    size_t skipped;       /* files passed over: not manifests, no SealedSecret */
    size_t not_processed; /* links, special files and unreadable folders in the walk */
    size_t temps_removed; /* stale temporary files of killed runs, removed */
    size_t excluded;      /* entries an exclude pattern passed over */
    size_t other_shards;  /* files of other shards, left to their jobs */
} sk_reseal_tree_totals;

typedef struct sk_reseal_tree_report {
    sk_walk_list walk;     /* what was found: files, and what was passed over and why */
    sk_reseal_file *files; /* one per walk.files[i] */
    int *temp_removed;     /* one per walk.temps[i]: 1 when removed */
    sk_error *temp_errors; /* one per walk.temps[i]: why it could not be (code SK_OK: no error) */
    int *mine;             /* one per walk.files[i]: 1 when in this shard (always, unsharded) */
    sk_reseal_tree_totals totals;
} sk_reseal_tree_report;

/*
 * Reseals, in place, every SealedSecret in the files named and in the manifests (*.yaml,
 * *.yml, *.json) of the folders named, as sk_reseal_text does for one text. Each file is
 * read and replaced through a handle on its folder without following a link
 * (sk_open_parent), atomically, only while it is still the file that was read (a concurrent
 * edit is left for the next run and fails), keeping mode, owner and group; a file with
 * several hard links is refused. Stale temporary files of a killed run are removed (not with
 * SK_RESEAL_CHECK). A file that fails is left as it was; the others proceed.
 * Returns SK_OK only when every file found was processed and none failed, and nothing in the
 * folders was passed over but what a pattern excluded (a link, a special file or an
 * unreadable folder makes it SK_EIO): work that was skipped is never a success. Whatever it
 * returns, *report is filled and must be freed; err says why the walk itself failed (a named
 * path that cannot be read) or sums up what failed.
 */
SK_API int sk_reseal_tree(const char *const *paths, size_t n, sk_keyring *keys,
                          const sk_pubkey *target, const sk_reseal_tree_opts *opts,
                          sk_reseal_tree_report *report, sk_error *err);
SK_API void sk_reseal_tree_report_free(sk_reseal_tree_report *report);

/* The shard, out of shards (> 0), of a file whose path below the named folder is rel. */
SK_API size_t sk_reseal_shard_of(const char *rel, size_t shards);

#endif
