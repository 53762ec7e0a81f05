#include "formats/doc_spans.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include <sealkit/doc.h>
#include <sealkit/mem.h>

#include "formats/doc_internal.h"

typedef struct frame {
    int is_map;
    int want_key; /* maps: the next scalar is a key */
    char *key;    /* maps: the key whose value comes next */
    size_t index; /* sequences: the index of the next node */
} frame;

typedef struct walker {
    const unsigned char *buf;
    size_t len, bom;
    size_t chars, bytes; /* a cursor: character index chars is at byte offset bytes */
    frame st[SK_MAX_DEPTH + 2];
    int depth;
    size_t doc;
    sk_spans *out;
    sk_error *err;
} walker;

/* libyaml counts characters after the byte order mark; the splice needs bytes. */
static size_t byte_at(walker *w, size_t chars)
{
    if (chars < w->chars) w->chars = 0, w->bytes = w->bom;
    while (w->chars < chars && w->bytes < w->len) {
        w->bytes++;
        while (w->bytes < w->len && (w->buf[w->bytes] & 0xC0) == 0x80)
            w->bytes++;
        w->chars++;
    }
    return w->bytes;
}

static int is_key(const frame *f, const char *key)
{
    return f->is_map && f->key != NULL && strcmp(f->key, key) == 0;
}

/* The List item of spec.encryptedData.KEY at the top of the stack, or -1 for another place. */
static long encrypted_item(const walker *w)
{
    const frame *s = w->st;
    if (w->depth == 3 && is_key(&s[0], "spec") && is_key(&s[1], "encryptedData") && s[2].is_map)
        return 0;
    if (w->depth == 5 && is_key(&s[0], "items") && !s[1].is_map && is_key(&s[2], "spec") &&
        is_key(&s[3], "encryptedData") && s[4].is_map)
        return (long)s[1].index + 1;
    return -1;
}

static int add_span(walker *w, const yaml_event_t *ev, size_t item)
{
    sk_span *grown = realloc(w->out->v, (w->out->n + 1) * sizeof *grown);
    if (grown == NULL) return sk_error_set(w->err, SK_ENOMEM, "out of memory");
    w->out->v = grown;
    sk_span *sp = &grown[w->out->n];
    yaml_scalar_style_t style = ev->data.scalar.style;
    int quoted =
        style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    *sp = (sk_span){.document = w->doc, .item = item, .key = strdup(w->st[w->depth - 1].key)};
    if (sp->key == NULL) return sk_error_set(w->err, SK_ENOMEM, "out of memory");
    sp->one_line =
        ev->start_mark.line == ev->end_mark.line && (style == YAML_PLAIN_SCALAR_STYLE || quoted);
    sp->start = byte_at(w, ev->start_mark.index + (size_t)quoted);
    sp->end = byte_at(w, ev->end_mark.index - (size_t)quoted);
    if (sp->end < sp->start) sp->one_line = 0, sp->end = sp->start;
    w->out->n++;
    return SK_OK;
}

/* A node ended: its parent map waits for a key again, its parent sequence counts it. */
static void node_done(walker *w)
{
    if (w->depth == 0) return;
    frame *top = &w->st[w->depth - 1];
    if (top->is_map) {
        free(top->key);
        top->key = NULL;
        top->want_key = 1;
    } else {
        top->index++;
    }
}

static int on_scalar(walker *w, const yaml_event_t *ev)
{
    frame *top = w->depth > 0 ? &w->st[w->depth - 1] : NULL;
    if (top != NULL && top->is_map && top->want_key) {
        top->key = strdup((const char *)ev->data.scalar.value);
        top->want_key = 0;
        return top->key != NULL ? SK_OK : sk_error_set(w->err, SK_ENOMEM, "out of memory");
    }
    long item = encrypted_item(w);
    int rc = item >= 0 ? add_span(w, ev, (size_t)item) : SK_OK;
    node_done(w);
    return rc;
}

/* A document that is only a null scalar is empty: sk_docs skips it, so its number goes on. */
static int null_root(const yaml_event_t *ev)
{
    if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return 0;
    json_t *v = NULL;
    int is_null = sk_doc_resolve_plain((const char *)ev->data.scalar.value, ev->data.scalar.length,
                                       &v) == SK_OK &&
                  json_is_null(v);
    json_decref(v);
    return is_null;
}

static int on_event(walker *w, const yaml_event_t *ev)
{
    int node = ev->type == YAML_SCALAR_EVENT || ev->type == YAML_SEQUENCE_START_EVENT ||
               ev->type == YAML_MAPPING_START_EVENT;
    if (node && w->depth == 0 && !null_root(ev)) w->doc++;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return on_scalar(w, ev);
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        if (w->depth >= SK_MAX_DEPTH + 1)
            return sk_error_set(w->err, SK_ELIMIT, "nesting deeper than %d levels", SK_MAX_DEPTH);
        w->st[w->depth++] = (frame){.is_map = ev->type == YAML_MAPPING_START_EVENT, .want_key = 1};
        return SK_OK;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        free(w->st[--w->depth].key);
        node_done(w);
        return SK_OK;
    default:
        return SK_OK;
    }
}

int sk_yaml_encrypted_spans(const unsigned char *buf, size_t len, sk_spans *out, sk_error *err)
{
    memset(out, 0, sizeof *out);
    size_t bom = sk_doc_bom_len(buf, len);
    walker w = {.buf = buf, .len = len, .bom = bom, .bytes = bom, .out = out, .err = err};
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return sk_error_set(err, SK_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&p, buf, len);
    int rc = SK_OK, done = 0;
    while (rc == SK_OK && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = sk_error_set(err, SK_EPARSE, "cannot locate values: %s",
                              p.problem ? p.problem : "YAML error");
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = on_event(&w, &ev);
        /* A Secret beside the SealedSecrets would have its values here: wipe them. */
        if (ev.type == YAML_SCALAR_EVENT) sk_wipe(ev.data.scalar.value, ev.data.scalar.length);
        yaml_event_delete(&ev);
    }
    while (w.depth > 0)
        free(w.st[--w.depth].key);
    yaml_parser_delete(&p);
    if (rc != SK_OK) sk_spans_free(out);
    return rc;
}

void sk_spans_free(sk_spans *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].key);
    free(s->v);
    memset(s, 0, sizeof *s);
}

const sk_span *sk_spans_find(const sk_spans *s, size_t document, size_t item, const char *key)
{
    for (size_t i = 0; i < s->n; i++) {
        const sk_span *sp = &s->v[i];
        if (sp->document == document && sp->item == item && strcmp(sp->key, key) == 0) return sp;
    }
    return NULL;
}
