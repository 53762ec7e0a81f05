/*
 * Verify policies: which Secrets must exist, with which type, scope and
 * items (docs/verify.md). Read strictly: an unknown field is an error, so a
 * misspelt "requried" cannot turn a policy into one that checks nothing.
 */
#include <sealkit/verify.h>
#include <sealkit/secret.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rule {
    char *name, *ns, *type;
    int has_scope;
    sk_scope scope;
    char **required;
    size_t n_required;
} rule;

struct sk_policy {
    char *source;
    rule *v;
    size_t n;
    char **namespaces; /* NULL: any namespace */
    size_t n_namespaces;
    int unexpected; /* an sk_severity for what the policy does not list; -1 when not set */
};

static int oom(sk_error *err)
{
    return sk_error_set(err, SK_ENOMEM, "out of memory");
}

void sk_policy_free(sk_policy *p)
{
    if (p == NULL) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        free(p->v[i].ns);
        free(p->v[i].type);
        for (size_t k = 0; k < p->v[i].n_required; k++)
            free(p->v[i].required[k]);
        free(p->v[i].required);
    }
    for (size_t i = 0; i < p->n_namespaces; i++)
        free(p->namespaces[i]);
    free(p->namespaces);
    free(p->v);
    free(p->source);
    free(p);
}

static int only_fields(const json_t *obj, const char *const *allowed, const char *where,
                       sk_error *err)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        size_t i = 0;
        while (allowed[i] != NULL && strcmp(allowed[i], k) != 0)
            i++;
        if (allowed[i] == NULL)
            return sk_error_set(err, SK_EINVAL, "%s: unknown field \"%.64s\"", where, k);
    }
    return SK_OK;
}

/* A string field: required or optional; *out is strdup'ed (NULL when absent). */
static int string_field(const json_t *obj, const char *key, int required, const char *where,
                        char **out, sk_error *err)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL && !required) return SK_OK;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return sk_error_set(err, SK_EINVAL, "%s.%s: %s", where, key,
                            v == NULL ? "missing" : "must be a non-empty string");
    *out = strdup(json_string_value(v));
    return *out == NULL ? oom(err) : SK_OK;
}

static int read_required(const json_t *list, rule *r, const char *where, sk_error *err)
{
    if (list == NULL) return SK_OK;
    if (!json_is_array(list))
        return sk_error_set(err, SK_EINVAL, "%s.required: must be a list of item names", where);
    r->required = calloc(json_array_size(list) + 1, sizeof *r->required);
    if (r->required == NULL) return oom(err);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *k = json_string_value(json_array_get(list, i));
        if (k == NULL || !sk_valid_item_key(k))
            return sk_error_set(err, SK_EINVAL, "%s.required[%zu]: not a valid Secret item name",
                                where, i);
        if ((r->required[r->n_required] = strdup(k)) == NULL) return oom(err);
        r->n_required++;
    }
    return SK_OK;
}

static int read_rule(const json_t *e, rule *r, const char *where, sk_error *err)
{
    static const char *const fields[] = {"name", "namespace", "type", "scope", "required", NULL};
    if (!json_is_object(e)) return sk_error_set(err, SK_EINVAL, "%s: must be a map", where);
    int rc = only_fields(e, fields, where, err);
    if (rc == SK_OK) rc = string_field(e, "name", 1, where, &r->name, err);
    if (rc == SK_OK) rc = string_field(e, "namespace", 1, where, &r->ns, err);
    if (rc == SK_OK) rc = string_field(e, "type", 0, where, &r->type, err);
    const json_t *scope = json_object_get(e, "scope");
    if (rc == SK_OK && scope != NULL) {
        r->has_scope = 1;
        if (!json_is_string(scope))
            return sk_error_set(err, SK_EINVAL, "%s.scope: must be a string", where);
        rc = sk_scope_parse(json_string_value(scope), &r->scope, err);
        if (rc != SK_OK) {
            sk_error_prefix(err, "%s.scope: ", where);
            return rc; /* not sk_error_prefix's value: err may be NULL */
        }
    }
    if (rc == SK_OK) rc = read_required(json_object_get(e, "required"), r, where, err);
    return rc;
}

static int read_namespaces(const json_t *list, sk_policy *p, sk_error *err)
{
    if (list == NULL) return SK_OK;
    if (!json_is_array(list) || json_array_size(list) == 0)
        return sk_error_set(err, SK_EINVAL, "namespaces: must be a non-empty list of namespaces");
    p->namespaces = calloc(json_array_size(list), sizeof *p->namespaces);
    if (p->namespaces == NULL) return oom(err);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *ns = json_string_value(json_array_get(list, i));
        if (ns == NULL || *ns == '\0')
            return sk_error_set(err, SK_EINVAL, "namespaces[%zu]: must be a non-empty string", i);
        if ((p->namespaces[p->n_namespaces] = strdup(ns)) == NULL) return oom(err);
        p->n_namespaces++;
    }
    return SK_OK;
}

static int read_unexpected(const json_t *v, sk_policy *p, sk_error *err)
{
    const char *s = json_string_value(v);
    p->unexpected = -1;
    if (v == NULL) return SK_OK;
    if (s != NULL && strcmp(s, "error") == 0)
        p->unexpected = SK_SEVERITY_ERROR;
    else if (s != NULL && strcmp(s, "warning") == 0)
        p->unexpected = SK_SEVERITY_WARNING;
    else
        return sk_error_set(err, SK_EINVAL, "unexpected: must be error or warning");
    return SK_OK;
}

static int read_policy(const sk_docs *docs, sk_policy *p, sk_error *err)
{
    static const char *const fields[] = {"secrets", "description", "namespaces", "unexpected",
                                         NULL};
    if (docs->n != 1 || !json_is_object(docs->doc[0]))
        return sk_error_set(err, SK_EINVAL, "a policy is one YAML or JSON map with \"secrets\"");
    const json_t *root = docs->doc[0];
    int rc = only_fields(root, fields, "policy", err);
    if (rc == SK_OK) rc = read_namespaces(json_object_get(root, "namespaces"), p, err);
    if (rc == SK_OK) rc = read_unexpected(json_object_get(root, "unexpected"), p, err);
    const json_t *list = json_object_get(root, "secrets");
    if (rc == SK_OK && !json_is_array(list))
        return sk_error_set(err, SK_EINVAL,
                            "secrets: missing (a list of {name, namespace, type, "
                            "scope, required})");
    if (rc == SK_OK && (p->v = calloc(json_array_size(list) + 1, sizeof *p->v)) == NULL)
        return oom(err);
    for (size_t i = 0; rc == SK_OK && i < json_array_size(list); i++) {
        char where[48];
        snprintf(where, sizeof where, "secrets[%zu]", i);
        p->n++;
        rc = read_rule(json_array_get(list, i), &p->v[i], where, err);
    }
    return rc;
}

int sk_policy_parse(const unsigned char *buf, size_t len, const char *source, sk_policy **out,
                    sk_error *err)
{
    *out = NULL;
    sk_policy *p = calloc(1, sizeof *p);
    if (p == NULL || (p->source = strdup(source)) == NULL) {
        free(p);
        return oom(err);
    }
    sk_docs docs = {0};
    int rc = sk_docs_parse(buf, len, source, &docs, err);
    if (rc == SK_OK) {
        rc = read_policy(&docs, p, err);
        if (rc != SK_OK) sk_error_at_source(err, rc, source);
    }
    sk_docs_free(&docs);
    if (rc != SK_OK) {
        sk_policy_free(p);
        return rc;
    }
    *out = p;
    return SK_OK;
}

static int same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static int has_key(const sk_verify_secret *s, const char *key)
{
    for (size_t i = 0; i < s->n_keys; i++)
        if (strcmp(s->keys[i], key) == 0) return 1;
    return 0;
}

static int check_secret(const sk_policy *p, const rule *r, const sk_verify_secret *s,
                        sk_findings *f, sk_error *err)
{
    sk_where w = {s->file, s->document, s->list_item, NULL};
    /* The API server stores an empty type as Opaque. */
    const char *type = s->type != NULL && *s->type != '\0' ? s->type : "Opaque";
    int rc = SK_OK;
    if (r->type != NULL && strcmp(type, r->type) != 0)
        rc = sk_findings_add(f, &w, SK_SEVERITY_ERROR, "policy-type", NULL, err,
                             "type is %.128s; the policy %s requires %.128s", type, p->source,
                             r->type);
    if (rc == SK_OK && r->has_scope && s->scope != r->scope)
        rc = sk_findings_add(f, &w, SK_SEVERITY_ERROR, "policy-scope", NULL, err,
                             "scope is %s; the policy %s requires %s", sk_scope_name(s->scope),
                             p->source, sk_scope_name(r->scope));
    for (size_t k = 0; rc == SK_OK && k < r->n_required; k++) {
        if (has_key(s, r->required[k])) continue;
        w.item = r->required[k];
        rc = sk_findings_add(f, &w, SK_SEVERITY_ERROR, "policy-missing-item", NULL, err,
                             "required by the policy %s but missing", p->source);
    }
    return rc;
}

/* Edit distance, for "did you mean": a namespace one or two letters off is a typo. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 253 || lb > 253) return (size_t)-1;
    size_t row[254];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The allowed namespace ns is a typo of; NULL when it is allowed or like none of them. */
static const char *typo_of(const sk_policy *p, const char *ns, int *allowed)
{
    const char *near = NULL;
    *allowed = 0;
    for (size_t i = 0; i < p->n_namespaces; i++) {
        if (strcmp(p->namespaces[i], ns) == 0) *allowed = 1;
        if (near == NULL && distance(p->namespaces[i], ns) <= 2) near = p->namespaces[i];
    }
    return *allowed ? NULL : near;
}

static int listed(const sk_policy *p, const sk_verify_secret *s)
{
    for (size_t i = 0; i < p->n; i++)
        if (same(s->name, p->v[i].name) && same(s->namespace_, p->v[i].ns)) return 1;
    return 0;
}

/* A SealedSecret the policy does not allow: in another namespace, or not listed. */
static int check_stray(const sk_policy *p, const sk_verify_secret *s, sk_findings *f, sk_error *err)
{
    sk_where w = {s->file, s->document, s->list_item, NULL};
    sk_severity sev = p->unexpected < 0 ? SK_SEVERITY_ERROR : (sk_severity)p->unexpected;
    int allowed = 1;
    const char *near = NULL;
    if (p->namespaces != NULL && s->namespace_ != NULL) near = typo_of(p, s->namespace_, &allowed);
    if (!allowed)
        return sk_findings_add(f, &w, sev, "policy-namespace", NULL, err,
                               "namespace %.128s is not one the policy %s allows%s%.128s%s",
                               s->namespace_, p->source, near ? " (did you mean " : "",
                               near ? near : "", near ? "?)" : "");
    if (p->unexpected < 0 || listed(p, s)) return SK_OK;
    return sk_findings_add(f, &w, sev, "policy-unexpected-secret", NULL, err,
                           "%.128s/%.128s is not in the policy %s; add it there or remove it",
                           s->namespace_ ? s->namespace_ : "", s->name, p->source);
}

static int check_rule(const sk_policy *p, const rule *r, sk_findings *f, sk_error *err)
{
    size_t found = 0;
    int rc = SK_OK;
    for (size_t s = 0; rc == SK_OK && s < f->n_secrets; s++) {
        if (!same(f->secrets[s].name, r->name) || !same(f->secrets[s].namespace_, r->ns)) continue;
        found++;
        rc = check_secret(p, r, &f->secrets[s], f, err);
    }
    sk_where w = {p->source, 0, 0, NULL};
    if (rc == SK_OK && found == 0)
        rc = sk_findings_add(f, &w, SK_SEVERITY_ERROR, "policy-missing-secret", NULL, err,
                             "no SealedSecret %.128s/%.128s%s%.128s%s; the policy requires it",
                             r->ns, r->name, r->type ? " (type " : "", r->type ? r->type : "",
                             r->type ? ")" : "");
    return rc;
}

/* Findings about a SealedSecret point at the start of its document. */
static void place(sk_findings *f, size_t from)
{
    for (size_t i = from; i < f->n; i++) {
        sk_finding *x = &f->v[i];
        for (size_t s = 0; x->line == 0 && s < f->n_secrets; s++) {
            const sk_verify_secret *o = &f->secrets[s];
            if (strcmp(o->file, x->file) == 0 && o->document == x->document &&
                o->list_item == x->list_item && x->document > 0)
                x->line = o->line, x->column = o->line > 0;
        }
    }
}

int sk_policy_check(const sk_policy *p, sk_findings *f, sk_error *err)
{
    int rc = SK_OK;
    size_t from = f->n;
    for (size_t i = 0; rc == SK_OK && i < p->n; i++)
        rc = check_rule(p, &p->v[i], f, err);
    for (size_t s = 0; rc == SK_OK && s < f->n_secrets; s++)
        rc = check_stray(p, &f->secrets[s], f, err);
    place(f, from);
    return rc;
}
