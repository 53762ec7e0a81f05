/*
 * Resealing a tree of files in place: the walk, one file's read-reseal-replace, and the
 * worker processes that share the RSA work (docs/format.md §6.1).
 */
#include <sealkit/reseal.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sealkit/io.h>
#include <sodium.h>

#include "core/shared_counter.h"
#include "operations/reseal_internal.h"

/* What one worker sends back for one file: one pipe write, so records never interleave. */
typedef struct record {
    size_t index;
    sk_reseal_file r;
} record;

_Static_assert(sizeof(record) <= 4096, "a record must be one atomic pipe write");

typedef struct work {
    const sk_reseal_tree_opts *o;
    sk_keyring *kr;
    const sk_pubkey *pk;
    const sk_walk_list *walk;
    const int *mine;
    size_t total; /* files of this shard */
} work;

/* One worker's guarded blocks, kept from file to file and wiped after each. */
typedef struct bufs {
    sk_secbuf in, out;
    sk_reseal_scratch scratch;
} bufs;

static void bufs_free(bufs *b)
{
    sk_secbuf_free(&b->in);
    sk_secbuf_free(&b->out);
    sk_reseal_scratch_free(&b->scratch);
}

/* Repositories hold Helm templates and the like: passed over, unless one names a
 * SealedSecret, which then must parse. */
static int not_a_manifest(int rc, const sk_secbuf *in)
{
    return rc == SK_EPARSE && in->data != NULL &&
           memmem(in->data, in->len, "SealedSecret", 12) == NULL;
}

/*
 * Read and replaced through a handle on its folder, never through a link below the named
 * path; replaced only while it is still the file that was read, unchanged, with its mode,
 * owner and group. A file with several hard links is refused, under CHECK too: replacing one
 * name would split it from the others.
 */
static void reseal_file(const work *w, size_t i, bufs *b, sk_reseal_file *r)
{
    const char *path = w->walk->files[i];
    sk_secbuf *in = &b->in, *out = &b->out;
    struct stat st = {0};
    int dfd = -1;
    char *name = NULL;
    *r = (sk_reseal_file){.done = 1, .counts = SK_RESEAL_COUNTS_INIT};
    r->rc = sk_open_parent(path, w->walk->root_len[i], &dfd, &name, &r->err);
    if (r->rc == SK_OK) r->rc = sk_read_at(dfd, name, path, SK_MAX_INPUT, in, &st, &r->err);
    int have_text = r->rc == SK_OK; /* else in holds nothing of this file */
    if (r->rc == SK_OK && (w->o->flags & SK_RESEAL_PROBE))
        r->rc = sk_reseal_probe(in->data, in->len, path, w->kr, &r->counts.sealed_secrets, &r->err);
    else if (r->rc == SK_OK)
        r->rc = sk_reseal_text_scratch(in->data, in->len, path, w->kr, w->pk, NULL, &b->scratch,
                                       out, &r->counts, &r->err);
    if (have_text && not_a_manifest(r->rc, in)) {
        sk_error_clear(&r->err);
        r->skipped = 1;
        r->rc = SK_OK;
    }
    if (r->rc == SK_OK && r->counts.resealed > 0 && st.st_nlink > 1) {
        sk_error_set(&r->err, SK_EIO, "has %lu hard links; resealing it would split them",
                     (unsigned long)st.st_nlink);
        r->rc = sk_error_at_source(&r->err, SK_EIO, path);
    }
    if (r->rc == SK_OK && r->counts.resealed > 0 && !(w->o->flags & SK_RESEAL_CHECK))
        r->rc = sk_write_atomic_at(dfd, name, path, out->data, out->len, st.st_mode & 07777, &st,
                                   &r->err);
    if (dfd >= 0) close(dfd);
    free(name);
    sk_secbuf_clear(in);
    sk_secbuf_clear(out);
}

static void progress(const work *w, size_t done)
{
    if (w->o->progress != NULL) w->o->progress(w->o->progress_ctx, done, w->total);
}

static void run_serial(const work *w, sk_reseal_file *res)
{
    size_t done = 0;
    bufs b = {0};
    for (size_t i = 0; i < w->walk->n_files; i++) {
        if (!w->mine[i]) continue;
        reseal_file(w, i, &b, &res[i]);
        progress(w, ++done);
    }
    bufs_free(&b);
}

/* Shared by the parent and the workers (a mapping, so a worker's _exit leaks nothing): the
 * files of this run in the order they are taken, and the next one to take. */
typedef struct queue {
    atomic_size_t next;
    size_t order[];
} queue;

typedef struct by_size {
    size_t size, index;
} by_size;

static int largest_first(const void *a, const void *b)
{
    const by_size *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

size_t sk_reseal_order(const sk_walk_list *walk, const int *mine, size_t *order)
{
    size_t k = 0;
    by_size *v = malloc((walk->n_files ? walk->n_files : 1) * sizeof *v);
    for (size_t i = 0; i < walk->n_files; i++)
        if (mine[i]) order[k++] = i;
    if (v == NULL) return k; /* walk order is as correct, only slower at the end */
    for (size_t j = 0; j < k; j++)
        v[j] = (by_size){walk->size[order[j]], order[j]};
    qsort(v, k, sizeof *v, largest_first);
    for (size_t j = 0; j < k; j++)
        order[j] = v[j].index;
    free(v);
    return k;
}

/*
 * Each worker takes the next file not yet taken, largest first: dealing them out in advance
 * would leave a worker that drew the large files running alone at the end, and so would a
 * large file taken last. A file's size stands for its RSA work.
 */
static void worker(const work *w, queue *q, int fd)
{
    bufs b = {0};
    int status = 0;
    for (;;) {
        size_t k = atomic_fetch_add(&q->next, 1);
        if (k >= w->total) break;
        record rec = {.index = q->order[k]};
        reseal_file(w, rec.index, &b, &rec.r);
        if (write(fd, &rec, sizeof rec) != (ssize_t)sizeof rec) {
            status = 1;
            break;
        }
    }
    bufs_free(&b); /* _exit would unmap them unwiped */
    _exit(status);
}

/*
 * Files go to forked workers (processes, not threads: the ring reorders itself as it
 * decrypts, and each worker gets its own copy); each result comes back as one record. A file
 * whose record never arrives stays not done, and counts as failed.
 */
static void run_parallel(const work *w, sk_reseal_file *res, size_t jobs)
{
    size_t size = sizeof(queue) + w->total * sizeof(size_t);
    queue *q = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int fds[2];
    if (q == MAP_FAILED || pipe(fds) != 0) {
        if (q != MAP_FAILED) munmap(q, size);
        run_serial(w, res);
        return;
    }
    atomic_init(&q->next, 0);
    sk_reseal_order(w->walk, w->mine, q->order);
    for (size_t id = 0; id < jobs; id++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            worker(w, q, fds[1]);
        }
        if (pid < 0) break;
    }
    close(fds[1]);
    record rec;
    size_t done = 0;
    ssize_t got;
    while ((got = read(fds[0], &rec, sizeof rec)) == (ssize_t)sizeof rec ||
           (got < 0 && errno == EINTR)) {
        if (got < 0 || rec.index >= w->walk->n_files) continue;
        res[rec.index] = rec.r;
        progress(w, ++done);
    }
    close(fds[0]);
    while (wait(NULL) > 0 || errno == EINTR) {
    }
    munmap(q, size);
}

static void tally(const sk_reseal_file *r, sk_reseal_tree_totals *t)
{
    t->files++;
    if (!r->done || r->rc != SK_OK) {
        t->failed++;
        return;
    }
    t->skipped += (size_t)r->skipped;
    t->sealed_secrets += r->counts.sealed_secrets;
    t->resealed += r->counts.resealed;
    t->unchanged += r->counts.unchanged;
    t->changed += r->counts.resealed > 0;
}

size_t sk_reseal_shard_of(const char *rel, size_t shards)
{
    unsigned char h[8];
    uint64_t v = 0;
    if (shards <= 1) return 0;
    crypto_generichash(h, sizeof h, (const unsigned char *)rel, strlen(rel), NULL, 0);
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | h[i];
    return (size_t)(v % shards);
}

/* The path below the named folder; a named file's path as named. */
static const char *rel_path(const char *path, size_t root_len)
{
    if (root_len >= strlen(path)) return path;
    const char *rel = path + root_len;
    while (*rel == '/')
        rel++;
    return rel;
}

static int in_shard(const sk_reseal_tree_opts *o, const char *path, size_t root_len)
{
    return o->shards <= 1 || sk_reseal_shard_of(rel_path(path, root_len), o->shards) == o->shard;
}

/*
 * Does this run own the temporary file? Sharded, only the temporary files of its own files: a
 * shard's job on another machine has its own process IDs, so a live writer there could look
 * gone from here. The walk lists a temporary file only inside a named folder, whose root_len
 * the files share.
 */
static int owns_temp(const sk_reseal_tree_opts *o, const char *temp, const sk_walk_list *w)
{
    if (o->shards <= 1) return 1;
    const char *tag = strstr(temp, ".sealkit-tmp.");
    for (size_t i = 0; tag != NULL && i < w->n_files; i++) {
        size_t n = strlen(w->files[i]);
        if (n == (size_t)(tag - temp) && strncmp(w->files[i], temp, n) == 0)
            return in_shard(o, w->files[i], w->root_len[i]);
    }
    return 0; /* its file is gone: left to an unsharded run */
}

/* A killed run's temporary files: the files they were replacing are intact. */
static void remove_temps(const sk_reseal_tree_opts *o, sk_reseal_tree_report *rep)
{
    for (size_t i = 0; i < rep->walk.n_temps && !(o->flags & (SK_RESEAL_CHECK | SK_RESEAL_PROBE));
         i++) {
        if (!owns_temp(o, rep->walk.temps[i], &rep->walk)) continue;
        sk_walk_remove_stale_temp(rep->walk.temps[i], &rep->temp_removed[i], &rep->temp_errors[i]);
        rep->totals.temps_removed += (size_t)rep->temp_removed[i];
    }
}

static int check_opts(const sk_reseal_tree_opts *o, const sk_pubkey *target, sk_error *err)
{
    if (o == NULL || o->version != SK_RESEAL_TREE_OPTS_VERSION)
        return sk_error_set(err, SK_EUSAGE,
                            "sk_reseal_tree: options not set up with "
                            "SK_RESEAL_TREE_OPTS_INIT");
    if (o->jobs > 4096) return sk_error_set(err, SK_EUSAGE, "sk_reseal_tree: too many jobs");
    if (o->shards > 1 && o->shard >= o->shards)
        return sk_error_set(err, SK_EUSAGE, "sk_reseal_tree: shard %zu of %zu", o->shard,
                            o->shards);
    if (target == NULL && !(o->flags & SK_RESEAL_PROBE))
        return sk_error_set(err, SK_EUSAGE, "sk_reseal_tree: no target certificate");
    return SK_OK;
}

static int summary(const sk_reseal_tree_report *rep, sk_error *err)
{
    const sk_reseal_tree_totals *t = &rep->totals;
    if (t->failed == 0 && t->not_processed == 0) return SK_OK;
    return sk_error_set(err, SK_EIO,
                        "%zu of %zu files failed, %zu entries were not processed (links, "
                        "special files, unreadable folders)",
                        t->failed, t->files, t->not_processed);
}

int sk_reseal_tree(const char *const *paths, size_t n, sk_keyring *keys, const sk_pubkey *target,
                   const sk_reseal_tree_opts *opts, sk_reseal_tree_report *rep, sk_error *err)
{
    memset(rep, 0, sizeof *rep);
    int rc = check_opts(opts, target, err);
    unsigned flags = SK_WALK_MANIFESTS;
    if (opts != NULL && (opts->flags & SK_RESEAL_IGNORE_FILE)) flags |= SK_WALK_IGNORE_FILE;
    if (rc == SK_OK)
        rc = sk_walk_excluding(paths, n, flags, opts->exclude, opts->n_exclude, &rep->walk, err);
    if (rc != SK_OK) return rc;
    size_t nf = rep->walk.n_files, nt = rep->walk.n_temps;
    rep->files = calloc(nf ? nf : 1, sizeof *rep->files);
    rep->temp_removed = calloc(nt ? nt : 1, sizeof *rep->temp_removed);
    rep->temp_errors = calloc(nt ? nt : 1, sizeof *rep->temp_errors);
    rep->mine = calloc(nf ? nf : 1, sizeof *rep->mine);
    if (rep->files == NULL || rep->temp_removed == NULL || rep->temp_errors == NULL ||
        rep->mine == NULL) {
        sk_reseal_tree_report_free(rep);
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    }
    size_t total = 0;
    for (size_t i = 0; i < nf; i++)
        total += (size_t)(rep->mine[i] = in_shard(opts, rep->walk.files[i], rep->walk.root_len[i]));
    remove_temps(opts, rep);
    work w = {opts, keys, target, &rep->walk, rep->mine, total};
    size_t jobs = opts->jobs < total ? opts->jobs : total;
    if (jobs > 1)
        run_parallel(&w, rep->files, jobs);
    else
        run_serial(&w, rep->files);
    rep->totals.other_shards = nf - total;
    for (size_t i = 0; i < nf; i++) {
        if (!rep->mine[i]) continue;
        if (!rep->files[i].done) {
            sk_error_set(&rep->files[i].err, SK_EIO, "not processed (its worker died)");
            rep->files[i].rc = sk_error_at_source(&rep->files[i].err, SK_EIO, rep->walk.files[i]);
        }
        tally(&rep->files[i], &rep->totals);
    }
    rep->totals.not_processed = rep->walk.n_skipped + rep->walk.n_unreadable;
    rep->totals.excluded = rep->walk.n_excluded;
    return summary(rep, err);
}

void sk_reseal_tree_report_free(sk_reseal_tree_report *rep)
{
    if (rep == NULL) return;
    sk_walk_list_free(&rep->walk);
    free(rep->files);
    free(rep->temp_removed);
    free(rep->temp_errors);
    free(rep->mine);
    memset(rep, 0, sizeof *rep);
}
