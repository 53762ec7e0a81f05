/* Internal: rendering spec.template.data for unseal (see template.c for the subset). */
#ifndef SK_TEMPLATE_H
#define SK_TEMPLATE_H

#include <sealkit/secret.h>

/* Appends the rendering of tmpl over s's items to out (guarded memory). */
int sk_template_render(const char *tmpl, size_t len, const sk_secret *s, sk_secbuf *out,
                       sk_error *err);

#endif
