#include <sealkit/create.h>
#include <sealkit/crypto.h>
#include <sealkit/emit.h>

#include <stdio.h>
#include <string.h>

#include "formats/emit_internal.h"

int sk_secret_new(const char *name, const char *ns, const char *type, sk_secret *out, sk_error *err)
{
    memset(out, 0, sizeof *out);
    out->immutable = -1;
    if (name == NULL || *name == '\0') return sk_error_set(err, SK_EUSAGE, "a Secret needs a name");
    out->metadata = json_object();
    int rc = out->metadata ? sk_secret_set_name(out, name, err)
                           : sk_error_set(err, SK_ENOMEM, "out of memory");
    if (rc == SK_OK && ns != NULL && *ns != '\0') rc = sk_secret_set_namespace(out, ns, err);
    if (rc == SK_OK && type != NULL && *type != '\0' && (out->type = strdup(type)) == NULL)
        rc = sk_error_set(err, SK_ENOMEM, "out of memory");
    if (rc != SK_OK) sk_secret_free(out);
    return rc;
}

int sk_secret_add_new(sk_secret *s, const char *key, const unsigned char *v, size_t len,
                      sk_error *err)
{
    if (!sk_valid_item_key(key)) {
        sk_error_set(err, SK_EINVAL, "key \"%.128s\" is not a valid Secret key", key);
        sk_error_hint(err, "keys may only contain letters, digits, '-', '_' and '.'");
        return SK_EINVAL;
    }
    for (size_t i = 0; i < s->n_items; i++) {
        if (strcmp(s->items[i].key, key) == 0)
            return sk_error_set(err, SK_EINVAL, "key \"%.128s\" given twice", key);
    }
    return sk_secret_put(s, key, v, len, err);
}

static int add_env_line(sk_secret *s, const char *line, size_t n, size_t lineno, sk_error *err)
{
    while (n > 0 && (*line == ' ' || *line == '\t'))
        line++, n--;
    if (n > 0 && line[n - 1] == '\r') n--;
    if (n == 0 || line[0] == '#') return SK_OK;
    const char *eq = memchr(line, '=', n);
    if (eq == NULL || eq == line)
        return sk_error_set(err, SK_EINVAL, "line %zu: expected KEY=VALUE", lineno);
    char key[254];
    size_t klen = (size_t)(eq - line);
    if (klen >= sizeof key) return sk_error_set(err, SK_EINVAL, "line %zu: key too long", lineno);
    memcpy(key, line, klen);
    key[klen] = '\0';
    int rc = sk_secret_add_new(s, key, (const unsigned char *)eq + 1, n - klen - 1, err);
    return rc == SK_OK ? rc : sk_error_at_line(err, rc, lineno);
}

int sk_secret_add_env_file(sk_secret *s, const char *text, size_t len, const char *source,
                           sk_error *err)
{
    size_t lineno = 0, pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        int rc = add_env_line(s, text + pos, n, ++lineno, err);
        if (rc != SK_OK) return sk_error_at_source(err, rc, source);
        pos += n + 1;
    }
    return SK_OK;
}

static int put_member(sk_secbuf *out, const char *sep, const char *name, const char *v, size_t n,
                      sk_error *err)
{
    int rc = sk_secbuf_puts(out, sep, err);
    if (rc == SK_OK) rc = sk_emit_json_string(name, strlen(name), out, err);
    if (rc == SK_OK) rc = sk_secbuf_puts(out, ":", err);
    if (rc == SK_OK) rc = sk_emit_json_string(v, n, out, err);
    return rc;
}

int sk_dockerconfig_json(const char *server, const char *user, const unsigned char *pw,
                         size_t pw_len, const char *email, sk_secbuf *out, sk_error *err)
{
    sk_secbuf userpass = SK_SECBUF_INIT;
    char *auth = NULL;
    int rc = sk_secbuf_puts(&userpass, user, err);
    if (rc == SK_OK) rc = sk_secbuf_append(&userpass, ":", 1, err);
    if (rc == SK_OK) rc = sk_secbuf_append(&userpass, pw, pw_len, err);
    if (rc == SK_OK) rc = sk_base64_encode(userpass.data, userpass.len, &auth, err);
    sk_secbuf_free(&userpass);
    /* Member order as kubectl's DockerConfigEntry struct: username, password, email, auth. */
    if (rc == SK_OK) rc = sk_secbuf_puts(out, "{\"auths\":{", err);
    if (rc == SK_OK) rc = sk_emit_json_string(server, strlen(server), out, err);
    if (rc == SK_OK) rc = put_member(out, ":{", "username", user, strlen(user), err);
    if (rc == SK_OK) rc = put_member(out, ",", "password", (const char *)pw, pw_len, err);
    if (rc == SK_OK && email != NULL && *email != '\0')
        rc = put_member(out, ",", "email", email, strlen(email), err);
    if (rc == SK_OK) rc = put_member(out, ",", "auth", auth, auth ? strlen(auth) : 0, err);
    if (rc == SK_OK) rc = sk_secbuf_puts(out, "}}}", err);
    sk_free_wiped(auth);
    if (rc != SK_OK) sk_secbuf_free(out);
    return rc;
}
