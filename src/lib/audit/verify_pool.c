/*
 * sk_verify_files: the files of a scan verified in worker processes. A worker verifies whole
 * files into a list of its own and sends it back as bytes; the parent appends the lists in file
 * order and spends the diagnosis budget on them in that order (sk_verify_settle), so that the
 * report is the one a run in this process gives, on any number of workers.
 *
 * Processes, not threads: the key ring reorders itself as it decrypts and OpenSSL's key objects
 * are not ours to share; each worker gets its own copy. A finding list is a few strings per
 * finding: sending it costs nothing next to one RSA operation.
 */
#include <sealkit/verify.h>
#include <sealkit/io.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit/verify_internal.h"
#include "core/shared_counter.h"

#define NONE UINT64_MAX /* a NULL string */

/* ---- one file's findings as bytes ---- */

typedef struct wbuf {
    unsigned char *p;
    size_t n, cap;
    int bad;
} wbuf;

static void put(wbuf *b, const void *v, size_t n)
{
    if (b->bad) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->bad = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, v, n);
    b->n += n;
}

static void put_u(wbuf *b, uint64_t v)
{
    put(b, &v, sizeof v);
}

static void put_s(wbuf *b, const char *s)
{
    if (s == NULL) {
        put_u(b, NONE);
        return;
    }
    size_t n = strlen(s);
    put_u(b, n);
    put(b, s, n);
}

static void put_finding(wbuf *b, const sk_finding *x)
{
    put_s(b, x->file);
    put_u(b, x->document), put_u(b, x->list_item);
    put_s(b, x->item);
    put_u(b, (uint64_t)x->severity);
    put_s(b, x->code);
    put_s(b, x->message);
    put_s(b, x->key_fingerprint);
    put_u(b, x->line), put_u(b, x->column);
}

static void put_item(wbuf *b, const sk_verify_item *it)
{
    put_s(b, it->file);
    put_u(b, it->document), put_u(b, it->list_item);
    put_s(b, it->name), put_s(b, it->namespace_), put_s(b, it->item);
    put_u(b, (uint64_t)it->scope);
    put_u(b, (uint64_t)(int64_t)it->opens), put_u(b, (uint64_t)(int64_t)it->sealed_scope);
    put_s(b, it->opened_by);
    put_u(b, (uint64_t)(int64_t)it->newest);
    put(b, it->digest, sizeof it->digest);
    put_u(b, (uint64_t)it->has_digest);
    put_s(b, it->unopened);
    put_u(b, it->failed_finding);
    put_u(b, it->line), put_u(b, it->column);
    put_u(b, (uint64_t)it->diagnosed), put_u(b, (uint64_t)it->diagnose_cut);
    put_u(b, it->diagnose_cost);
}

static void put_secret(wbuf *b, const sk_verify_secret *s)
{
    put_s(b, s->file);
    put_u(b, s->document), put_u(b, s->list_item);
    put_s(b, s->name), put_s(b, s->namespace_), put_s(b, s->type);
    put_u(b, (uint64_t)s->scope);
    put_u(b, s->n_keys);
    for (size_t k = 0; k < s->n_keys; k++)
        put_s(b, s->keys[k]);
    put_u(b, s->line);
}

/* The record of file index: its length first, so that the parent knows where it ends. */
static void put_file(wbuf *b, uint64_t index, int rc, const sk_error *ferr, const sk_findings *f)
{
    put_u(b, 0); /* the length, set below */
    put_u(b, index);
    put_u(b, (uint64_t)(int64_t)rc);
    put(b, ferr, sizeof *ferr);
    put_u(b, f->files);
    put_u(b, f->n), put_u(b, f->n_items), put_u(b, f->n_secrets);
    for (size_t i = 0; i < f->n; i++)
        put_finding(b, &f->v[i]);
    for (size_t i = 0; i < f->n_items; i++)
        put_item(b, &f->items[i]);
    for (size_t i = 0; i < f->n_secrets; i++)
        put_secret(b, &f->secrets[i]);
    if (!b->bad) {
        uint64_t len = b->n - sizeof len;
        memcpy(b->p, &len, sizeof len);
    }
}

typedef struct rbuf {
    const unsigned char *p;
    size_t n, off;
    int bad;
} rbuf;

static void get(rbuf *r, void *v, size_t n)
{
    if (r->bad || r->n - r->off < n) {
        r->bad = 1;
        memset(v, 0, n);
        return;
    }
    memcpy(v, r->p + r->off, n);
    r->off += n;
}

static uint64_t get_u(rbuf *r)
{
    uint64_t v;
    get(r, &v, sizeof v);
    return v;
}

/* malloc'd; NULL for a NULL string (or when memory runs out: then r->bad). */
static char *get_s(rbuf *r)
{
    uint64_t n = get_u(r);
    if (r->bad || n == NONE) return NULL;
    if (n > r->n - r->off) {
        r->bad = 1;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (s == NULL) {
        r->bad = 1;
        return NULL;
    }
    memcpy(s, r->p + r->off, (size_t)n);
    s[n] = '\0';
    r->off += (size_t)n;
    return s;
}

static void get_fixed(rbuf *r, char *out, size_t cap)
{
    char *s = get_s(r);
    snprintf(out, cap, "%s", s ? s : "");
    free(s);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*v, c * size);
    if (p == NULL) return -1;
    *v = p;
    *cap = c;
    return 0;
}

/* The code's static string, as sk_finding keeps it. */
static const char *static_code(const char *code)
{
    const sk_verify_code *c = code ? sk_verify_code_find(code) : NULL;
    return c ? c->code : "unknown";
}

static void get_finding(rbuf *r, sk_findings *out)
{
    if (grow((void **)&out->v, &out->cap, out->n, sizeof *out->v) != 0) {
        r->bad = 1;
        return;
    }
    sk_finding x = {0};
    x.file = get_s(r);
    x.document = (size_t)get_u(r), x.list_item = (size_t)get_u(r);
    x.item = get_s(r);
    x.severity = (sk_severity)get_u(r);
    char *code = get_s(r);
    x.code = static_code(code);
    free(code);
    x.message = get_s(r);
    get_fixed(r, x.key_fingerprint, sizeof x.key_fingerprint);
    x.line = (size_t)get_u(r), x.column = (size_t)get_u(r);
    if (r->bad || x.file == NULL || x.message == NULL) {
        r->bad = 1;
        free(x.file), free(x.item), free(x.message);
        return;
    }
    out->v[out->n++] = x;
}

static void get_item(rbuf *r, sk_findings *out, size_t base)
{
    if (grow((void **)&out->items, &out->cap_items, out->n_items, sizeof *out->items) != 0) {
        r->bad = 1;
        return;
    }
    sk_verify_item it = {0};
    it.file = get_s(r);
    it.document = (size_t)get_u(r), it.list_item = (size_t)get_u(r);
    it.name = get_s(r), it.namespace_ = get_s(r), it.item = get_s(r);
    it.scope = (sk_scope)get_u(r);
    it.opens = (int)(int64_t)get_u(r), it.sealed_scope = (int)(int64_t)get_u(r);
    get_fixed(r, it.opened_by, sizeof it.opened_by);
    it.newest = (int)(int64_t)get_u(r);
    get(r, it.digest, sizeof it.digest);
    it.has_digest = (int)get_u(r);
    it.unopened = get_s(r);
    it.failed_finding = (size_t)get_u(r) + base;
    it.line = (size_t)get_u(r), it.column = (size_t)get_u(r);
    it.diagnosed = (int)get_u(r), it.diagnose_cut = (int)get_u(r);
    it.diagnose_cost = (size_t)get_u(r);
    if (r->bad || it.file == NULL || it.name == NULL || it.item == NULL) {
        r->bad = 1;
        free(it.file), free(it.name), free(it.namespace_), free(it.item), free(it.unopened);
        return;
    }
    out->items[out->n_items++] = it;
}

static void free_secret(sk_verify_secret *s)
{
    free(s->file), free(s->name), free(s->namespace_), free(s->type);
    for (size_t k = 0; k < s->n_keys; k++)
        free(s->keys[k]);
    free(s->keys);
}

static void get_secret(rbuf *r, sk_findings *out)
{
    if (grow((void **)&out->secrets, &out->cap_secrets, out->n_secrets, sizeof *out->secrets) !=
        0) {
        r->bad = 1;
        return;
    }
    sk_verify_secret s = {0};
    s.file = get_s(r);
    s.document = (size_t)get_u(r), s.list_item = (size_t)get_u(r);
    s.name = get_s(r), s.namespace_ = get_s(r), s.type = get_s(r);
    s.scope = (sk_scope)get_u(r);
    uint64_t n = get_u(r);
    if (!r->bad && n <= (r->n - r->off) / sizeof(uint64_t)) {
        s.keys = calloc((size_t)n + 1, sizeof *s.keys);
        if (s.keys == NULL) r->bad = 1;
        for (; !r->bad && s.n_keys < n; s.n_keys++)
            if ((s.keys[s.n_keys] = get_s(r)) == NULL) r->bad = 1;
    } else {
        r->bad = 1;
    }
    s.line = (size_t)get_u(r);
    if (r->bad || s.file == NULL || s.name == NULL) {
        r->bad = 1;
        free_secret(&s);
        return;
    }
    out->secrets[out->n_secrets++] = s;
}

/*
 * Appends one record to out. *frc and *ferr are the file's own result (a file that could not be
 * read); the return value is SK_ENOMEM or a malformed record.
 */
static int load_file(rbuf *r, sk_findings *out, int *frc, sk_error *ferr, sk_error *err)
{
    (void)get_u(r); /* its index: the caller knows it */
    *frc = (int)(int64_t)get_u(r);
    get(r, ferr, sizeof *ferr);
    ferr->msg[sizeof ferr->msg - 1] = ferr->hint[sizeof ferr->hint - 1] = '\0';
    ferr->source[sizeof ferr->source - 1] = '\0';
    size_t files = (size_t)get_u(r);
    uint64_t n = get_u(r), n_items = get_u(r), n_secrets = get_u(r);
    size_t base = out->n;
    for (uint64_t i = 0; !r->bad && i < n; i++)
        get_finding(r, out);
    for (uint64_t i = 0; !r->bad && i < n_items; i++)
        get_item(r, out, base);
    for (uint64_t i = 0; !r->bad && i < n_secrets; i++)
        get_secret(r, out);
    if (r->bad) return sk_error_set(err, SK_ENOMEM, "out of memory reading a worker's findings");
    out->files += files;
    return SK_OK;
}

/* ---- one file, in whichever process ---- */

static const char *shown_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

static int verify_path(const char *path, const sk_verify_opts *opts, size_t budget,
                       sk_findings *out, sk_error *err)
{
    sk_secbuf in = SK_SECBUF_INIT;
    int rc = sk_read_file(path, SK_MAX_INPUT, &in, err);
    if (rc == SK_OK)
        rc = sk_verify_text_budget(in.data, in.len, shown_name(path), opts, budget, out, err);
    sk_secbuf_free(&in);
    return rc;
}

/* ---- the pool ---- */

/* Shared by the parent and the workers: the next file to take, and the scan's budget left after
 * the files merged so far, an upper bound of what any later file may spend. */
typedef struct shared {
    atomic_size_t next;
    atomic_size_t left;
} shared;

typedef struct pool {
    const char *const *paths;
    size_t n;
    const sk_verify_opts *opts;
    const sk_findings *out; /* the parent's, as it was at fork: the budgets */
    shared *sh;
} pool;

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

/*
 * Verifies with the budget the parent last published, which is at least what the file will be
 * granted in file order: sk_verify_settle then takes back what a smaller grant would not have
 * covered. The worker so never waits for the files before its own.
 */
static void worker(const pool *p, int fd)
{
    for (;;) {
        size_t i = atomic_fetch_add(&p->sh->next, 1);
        if (i >= p->n) break;
        size_t left = atomic_load(&p->sh->left), per_file = sk_verify_budget_per_file(p->out);
        size_t budget = left < per_file ? left : per_file;
        sk_findings f;
        sk_findings_init(&f);
        sk_error ferr = {0};
        int rc = verify_path(p->paths[i], p->opts, budget, &f, &ferr);
        wbuf b = {0};
        put_file(&b, i, rc, &ferr, &f);
        sk_findings_free(&f);
        if (b.bad || write_all(fd, b.p, b.n) != 0) _exit(1);
        free(b.p);
    }
    _exit(0);
}

typedef struct inbox {
    int fd;
    unsigned char *p;
    size_t n, cap;
} inbox;

typedef struct parent {
    const pool *pl;
    unsigned char **rec; /* per file: its record, until merged */
    size_t *rec_len;
    size_t merged; /* files merged into out */
    sk_findings *out;
    sk_error *err;
    int rc;
} parent;

/* Merges the records that are next in file order. */
static void merge_ready(parent *m)
{
    while (m->rc == SK_OK && m->merged < m->pl->n && m->rec[m->merged] != NULL) {
        size_t i = m->merged;
        rbuf r = {m->rec[i], m->rec_len[i], 0, 0};
        int frc = SK_OK;
        sk_error ferr = {0};
        size_t first = m->out->n_items;
        m->rc = load_file(&r, m->out, &frc, &ferr, m->err);
        if (m->rc == SK_OK && frc != SK_OK) {
            *m->err = ferr;
            m->rc = frc;
        }
        if (m->rc == SK_OK)
            m->rc = sk_verify_settle(m->out, first, shown_name(m->pl->paths[i]), m->err);
        free(m->rec[i]);
        m->rec[i] = NULL;
        m->merged++;
        atomic_store(&m->pl->sh->left, sk_verify_budget_left(m->out));
    }
    if (m->rc != SK_OK) atomic_store(&m->pl->sh->next, m->pl->n); /* the workers stop */
}

/* Takes the complete records out of a worker's bytes. */
static void take_records(parent *m, inbox *b)
{
    size_t off = 0;
    uint64_t len;
    while (b->n - off >= sizeof len) {
        memcpy(&len, b->p + off, sizeof len);
        if (len < sizeof(uint64_t) || len > b->n - off - sizeof len) break;
        uint64_t index;
        memcpy(&index, b->p + off + sizeof len, sizeof index);
        unsigned char *rec = malloc((size_t)len);
        if (rec == NULL || index >= m->pl->n || m->rec[index] != NULL) {
            free(rec);
            if (m->rc == SK_OK)
                m->rc =
                    sk_error_set(m->err, rec ? SK_EIO : SK_ENOMEM,
                                 rec ? "a verify worker sent a malformed record" : "out of memory");
        } else {
            memcpy(rec, b->p + off + sizeof len, (size_t)len);
            m->rec[index] = rec, m->rec_len[index] = (size_t)len;
        }
        off += sizeof len + (size_t)len;
    }
    memmove(b->p, b->p + off, b->n - off);
    b->n -= off;
}

/* Reads what the workers send, merging as it goes, until every pipe is closed. */
static void collect(parent *m, inbox *in, size_t jobs)
{
    struct pollfd *pf = calloc(jobs, sizeof *pf);
    if (pf == NULL) {
        m->rc = sk_error_set(m->err, SK_ENOMEM, "out of memory");
        return; /* the pipes close when the workers end: they are not waited on here */
    }
    for (size_t open = jobs; open > 0;) {
        size_t k = 0;
        for (size_t j = 0; j < jobs; j++)
            if (in[j].fd >= 0) pf[k].fd = in[j].fd, pf[k].events = POLLIN, pf[k++].revents = 0;
        if (poll(pf, k, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (size_t j = 0, q = 0; j < jobs; j++) {
            if (in[j].fd < 0) continue;
            if (pf[q++].revents == 0) continue;
            if (in[j].cap - in[j].n < 65536) {
                size_t cap = in[j].cap ? in[j].cap * 2 : 131072;
                unsigned char *p = realloc(in[j].p, cap);
                if (p == NULL) {
                    m->rc = sk_error_set(m->err, SK_ENOMEM, "out of memory");
                    close(in[j].fd), in[j].fd = -1, open--;
                    continue;
                }
                in[j].p = p, in[j].cap = cap;
            }
            ssize_t got = read(in[j].fd, in[j].p + in[j].n, in[j].cap - in[j].n);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) {
                close(in[j].fd), in[j].fd = -1, open--;
                continue;
            }
            in[j].n += (size_t)got;
            take_records(m, &in[j]);
            merge_ready(m);
        }
    }
    free(pf);
}

static int run_serial(const pool *p, sk_findings *out, sk_error *err)
{
    int rc = SK_OK;
    for (size_t i = 0; rc == SK_OK && i < p->n; i++) {
        size_t first = out->n_items;
        rc = verify_path(p->paths[i], p->opts, sk_verify_file_budget(out), out, err);
        if (rc == SK_OK) rc = sk_verify_settle(out, first, shown_name(p->paths[i]), err);
    }
    return rc;
}

static int run_parallel(const pool *p, size_t jobs, sk_findings *out, sk_error *err)
{
    inbox *in = calloc(jobs, sizeof *in);
    pid_t *pids = calloc(jobs, sizeof *pids);
    parent m = {p,    calloc(p->n, sizeof *m.rec), calloc(p->n, sizeof *m.rec_len), 0, out, err,
                SK_OK};
    size_t started = 0;
    if (in == NULL || pids == NULL || m.rec == NULL || m.rec_len == NULL) {
        free(in), free(pids), free(m.rec), free(m.rec_len);
        return sk_error_set(err, SK_ENOMEM, "out of memory");
    }
    for (; started < jobs; started++) {
        int fds[2];
        if (pipe(fds) != 0) break;
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            for (size_t j = 0; j < started; j++)
                close(in[j].fd);
            worker(p, fds[1]);
        }
        close(fds[1]);
        if (pid < 0) {
            close(fds[0]);
            break;
        }
        in[started].fd = fds[0], pids[started] = pid;
    }
    if (started == 0) {
        free(in), free(pids), free(m.rec), free(m.rec_len);
        return run_serial(p, out, err);
    }
    collect(&m, in, started);
    for (size_t j = 0; j < started; j++) {
        while (waitpid(pids[j], NULL, 0) < 0 && errno == EINTR) {
        }
        free(in[j].p);
    }
    /* A file whose record never came: its worker died, perhaps on that very file, so it is
     * not tried again here. */
    if (m.rc == SK_OK && m.merged < p->n) {
        sk_error_set(err, SK_EIO, "not verified (its worker died)");
        m.rc = sk_error_at_source(err, SK_EIO, shown_name(p->paths[m.merged]));
    }
    for (size_t i = 0; i < p->n; i++)
        free(m.rec[i]);
    free(in), free(pids), free(m.rec), free(m.rec_len);
    return m.rc;
}

int sk_verify_files(const char *const *paths, size_t n, const sk_verify_opts *opts, size_t jobs,
                    sk_findings *out, sk_error *err)
{
    sk_verify_opts o;
    int rc = sk_verify_opts_norm(opts, &o, err);
    if (rc != SK_OK) return rc;
    if (jobs > 4096) return sk_error_set(err, SK_EUSAGE, "sk_verify_files: too many jobs");
    pool p = {paths, n, &o, out, NULL};
    if (jobs > n) jobs = n;
    if (jobs <= 1) return run_serial(&p, out, err);
    shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) return run_serial(&p, out, err);
    atomic_init(&sh->next, 0);
    atomic_init(&sh->left, sk_verify_budget_left(out));
    p.sh = sh;
    rc = run_parallel(&p, jobs, out, err);
    munmap(sh, sizeof *sh);
    return rc;
}
