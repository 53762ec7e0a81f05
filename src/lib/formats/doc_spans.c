#include "formats/doc_spans.h"

#include <stdlib.h>
#include <string.h>

int sk_spans_add(sk_spans *s, const sk_span *sp, sk_error *err)
{
    sk_span *grown = realloc(s->v, (s->n + 1) * sizeof *grown);
    if (grown == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    s->v = grown;
    grown[s->n] = *sp;
    grown[s->n].key = strdup(sp->key);
    if (grown[s->n].key == NULL) return sk_error_set(err, SK_ENOMEM, "out of memory");
    s->n++;
    return SK_OK;
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
