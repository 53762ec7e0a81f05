/*
 * Kustomizations that keep strict scope: a SealedSecret only decrypts under the
 * name and namespace it was sealed for, so nothing kustomize does to a
 * packaged overlay may change them (or the scope annotations, or the sealed
 * values). Anything sealkit cannot show to be harmless is refused.
 */
#include <sealkit/package.h>

#include <string.h>

#include "package/package_internal.h"

#define RENAMES                                                                                    \
    "kustomize would rename the SealedSecret; strict-scope values would no longer decrypt"
#define SCOPE_PREFIX "sealedsecrets.bitnami.com/"
#define SCOPE_POINTER_PREFIX "sealedsecrets.bitnami.com~1"

/* JSON pointers a patch must not touch; an ancestor replaces them too. */
static const char *const protected_paths[] = {
    "/apiVersion",
    "/kind",
    "/metadata/name",
    "/metadata/namespace",
    "/metadata/annotations/" SCOPE_POINTER_PREFIX "cluster-wide",
    "/metadata/annotations/" SCOPE_POINTER_PREFIX "namespace-wide",
    "/spec/encryptedData",
    "/spec/template/metadata/name",
    "/spec/template/metadata/namespace",
    "/spec/template/metadata/annotations/" SCOPE_POINTER_PREFIX "cluster-wide",
    "/spec/template/metadata/annotations/" SCOPE_POINTER_PREFIX "namespace-wide",
    NULL};

/* A strategic-merge patch names its target with these; they select, they do not set. */
static const char *const smp_selectors[] = {"/apiVersion", "/kind", "/metadata/name",
                                            "/metadata/namespace", NULL};

static int selector(const char *p, const json_t *v)
{
    for (size_t i = 0; smp_selectors[i]; i++)
        if (strcmp(p, smp_selectors[i]) == 0) return json_is_string(v);
    return 0;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* a is b, or an ancestor or descendant of b, as JSON pointers. */
static int related(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la <= lb) return strncmp(a, b, la) == 0 && (b[la] == '\0' || b[la] == '/');
    return strncmp(a, b, lb) == 0 && a[lb] == '/';
}

static int scope_annotation_pointer(const char *p)
{
    static const char *const maps[] = {"/metadata/annotations/",
                                       "/spec/template/metadata/annotations/", NULL};
    for (size_t i = 0; maps[i]; i++)
        if (starts_with(p, maps[i]) && starts_with(p + strlen(maps[i]), SCOPE_POINTER_PREFIX))
            return 1;
    return 0;
}

/* Maps a patch may change key by key: only what the controller copies to the Secret's metadata. */
static const char *const free_maps[] = {"/metadata/labels", "/metadata/annotations",
                                        "/spec/template/metadata/labels",
                                        "/spec/template/metadata/annotations", NULL};

/* A label, a non-scope annotation, or a whole labels map (no scope lives there). */
static int harmless(const char *p)
{
    if (scope_annotation_pointer(p)) return 0;
    for (size_t i = 0; free_maps[i]; i++) {
        size_t n = strlen(free_maps[i]);
        if (strncmp(p, free_maps[i], n) != 0) continue;
        if (p[n] == '/') return 1;
        if (p[n] == '\0' && strstr(free_maps[i], "/labels") != NULL) return 1;
    }
    return 0;
}

/* Whether p touches a name, the kind, the scope or the sealed values. */
static int touches_identity(const char *p)
{
    if (scope_annotation_pointer(p)) return 1;
    for (size_t i = 0; protected_paths[i]; i++)
        if (related(p, protected_paths[i])) return 1;
    return 0;
}

/*
 * Names, scope and sealed values decide whether the Secret opens at all; the rest of the
 * template (type, data, immutable, ...) decides what Secret it becomes, which was sealed and
 * verified as it is. A patch may set labels and annotations only.
 */
static int refuse_touch(size_t n, const char *what, const char *p, sk_error *err)
{
    char shown[128];
    sk_pkg_printable(p, shown, sizeof shown);
    if (touches_identity(p))
        sk_error_set(err, SK_EINVAL,
                     "patches[%zu]: %s \"%s\" changes a SealedSecret's name, namespace, kind, "
                     "scope or sealed values; strict-scope values would no longer decrypt",
                     n, what, shown);
    else
        sk_error_set(err, SK_EINVAL,
                     "patches[%zu]: %s \"%s\" is not a label or annotation: kustomize would "
                     "change the Secret the controller makes from what was sealed and verified",
                     n, what, shown);
    sk_error_hint(err, "seal the Secret as it must be instead of patching it; a secrets package's "
                       "patches may set labels and annotations only");
    return SK_EINVAL;
}

static int check_json6902(const json_t *ops, size_t n, sk_error *err)
{
    size_t i;
    const json_t *op;
    json_array_foreach(ops, i, op)
    {
        const char *path = json_string_value(json_object_get(op, "path"));
        const char *kind = json_string_value(json_object_get(op, "op"));
        const char *from = json_string_value(json_object_get(op, "from"));
        if (path == NULL || kind == NULL)
            return sk_error_set(err, SK_EINVAL,
                                "patches[%zu]: operation %zu: op and path "
                                "must be strings",
                                n, i + 1);
        if (strcmp(kind, "test") == 0) continue; /* it compares, it sets nothing */
        if (!harmless(path)) return refuse_touch(n, "path", path, err);
        if (from != NULL && strcmp(kind, "move") == 0 && !harmless(from))
            return refuse_touch(n, "move from", from, err);
    }
    return SK_OK;
}

/* Appends key to a JSON pointer, escaping '~' and '/'. */
static int pointer_push(char *p, size_t size, const char *key)
{
    size_t n = strlen(p);
    if (n + 1 >= size) return -1;
    p[n++] = '/';
    for (const char *k = key; *k; k++) {
        const char *rep = *k == '~' ? "~0" : *k == '/' ? "~1" : NULL;
        size_t m = rep ? 2 : 1;
        if (n + m >= size) return -1;
        memcpy(p + n, rep ? rep : k, m);
        n += m;
    }
    p[n] = '\0';
    return 0;
}

static int check_smp(const json_t *obj, char *ptr, size_t size, const char *src, size_t n,
                     sk_error *err)
{
    const char *key;
    const json_t *v;
    size_t base = strlen(ptr);
    json_object_foreach((json_t *)obj, key, v)
    {
        if (key[0] == '$')
            return sk_error_set(err, SK_EINVAL,
                                "patches[%zu]: directive %s could replace or "
                                "delete a SealedSecret's metadata; not allowed in a secrets "
                                "package",
                                n, key);
        if (pointer_push(ptr, size, key) != 0)
            return sk_error_set(err, SK_ELIMIT, "patches[%zu]: path too long", n);
        /* Only leaves set anything (null deletes, a list replaces); maps merge key by key. */
        if (json_is_object(v)) {
            int rc = check_smp(v, ptr, size, src, n, err);
            if (rc != SK_OK) return rc;
        } else if (!harmless(ptr) && !selector(ptr, v)) {
            return refuse_touch(n, "field", ptr, err);
        }
        ptr[base] = '\0';
    }
    return SK_OK;
}

static int check_patch_text(const char *text, const char *src, size_t n, sk_error *err)
{
    sk_docs docs = {0};
    char name[SK_ERROR_SOURCE_MAX];
    snprintf(name, sizeof name, "%s: patches[%zu]", src, n);
    int rc = sk_docs_parse((const unsigned char *)text, strlen(text), name, &docs, err);
    if (rc != SK_OK) return rc;
    if (docs.n != 1) {
        rc = sk_error_set(err, SK_EINVAL,
                          "patches[%zu]: expected one patch document, found "
                          "%zu",
                          n, docs.n);
    } else if (json_is_array(docs.doc[0])) {
        rc = check_json6902(docs.doc[0], n, err);
    } else if (json_is_object(docs.doc[0])) {
        char ptr[1024] = "";
        rc = check_smp(docs.doc[0], ptr, sizeof ptr, src, n, err);
    } else {
        rc = sk_error_set(err, SK_EINVAL, "patches[%zu]: not a patch", n);
    }
    sk_docs_free(&docs);
    return rc;
}

static int check_patch(const json_t *p, const char *src, size_t n, sk_error *err)
{
    if (!json_is_object(p))
        return sk_error_set(err, SK_EINVAL, "patches[%zu]: must be a mapping", n);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)p, key, v)
    {
        if (strcmp(key, "path") == 0)
            return sk_error_set(err, SK_EINVAL,
                                "patches[%zu]: path: patch files are not "
                                "packaged; inline the patch with patch:",
                                n);
        if (strcmp(key, "options") == 0) {
            if (json_is_true(json_object_get(v, "allowNameChange")) ||
                json_is_true(json_object_get(v, "allowKindChange")))
                return sk_error_set(err, SK_EINVAL,
                                    "patches[%zu]: options: allowNameChange/"
                                    "allowKindChange: " RENAMES,
                                    n);
        } else if (strcmp(key, "patch") != 0 && strcmp(key, "target") != 0) {
            return sk_error_set(err, SK_EINVAL, "patches[%zu]: unknown field %.64s", n, key);
        }
    }
    const char *text = json_string_value(json_object_get(p, "patch"));
    if (text == NULL)
        return sk_error_set(err, SK_EINVAL, "patches[%zu]: patch: must be a string", n);
    return check_patch_text(text, src, n, err);
}

static int check_patches(const json_t *v, const char *src, sk_error *err)
{
    if (!json_is_array(v)) return sk_error_set(err, SK_EINVAL, "patches: must be a list");
    size_t i;
    const json_t *p;
    json_array_foreach(v, i, p)
    {
        int rc = check_patch(p, src, i + 1, err);
        if (rc != SK_OK) return rc;
    }
    return SK_OK;
}

static int check_string_map(const json_t *v, const char *key, sk_error *err)
{
    const char *k;
    const json_t *val;
    if (!json_is_object(v)) return sk_error_set(err, SK_EINVAL, "%s: must be a mapping", key);
    json_object_foreach((json_t *)v, k, val)
    {
        if (!json_is_string(val))
            return sk_error_set(err, SK_EINVAL, "%s[%.64s]: must be a string (quote it)", key, k);
        if (strcmp(key, "commonAnnotations") == 0 && starts_with(k, SCOPE_PREFIX))
            return sk_error_set(err, SK_EINVAL,
                                "commonAnnotations[%.64s]: kustomize would "
                                "change the SealedSecrets' sealing scope; values would no longer "
                                "decrypt",
                                k);
    }
    return SK_OK;
}

static int check_namespace(const json_t *v, const char *ns, sk_error *err)
{
    const char *got = json_string_value(v);
    if (got == NULL) return sk_error_set(err, SK_EINVAL, "namespace: must be a string");
    if (ns != NULL && strcmp(got, ns) != 0) {
        sk_error_set(err, SK_EINVAL,
                     "namespace: kustomize would move the SealedSecrets from "
                     "\"%.64s\" to \"%.64s\"; strict and namespace-wide values would no longer "
                     "decrypt",
                     ns, got);
        sk_error_hint(err, "remove namespace: or set it to %.64s", ns);
        return SK_EINVAL;
    }
    return SK_OK;
}

static int check_fixed(const json_t *v, const char *key, const char *want, sk_error *err)
{
    const char *got = json_string_value(v);
    if (got == NULL || strcmp(got, want) != 0)
        return sk_error_set(err, SK_EINVAL, "%s: expected %s", key, want);
    return SK_OK;
}

static int refuse_field(const char *key, sk_error *err)
{
    if (strcmp(key, "namePrefix") == 0 || strcmp(key, "nameSuffix") == 0) {
        sk_error_set(err, SK_EINVAL, "%s: " RENAMES, key);
        sk_error_hint(err, "remove %s; seal the Secret under the name it must have", key);
    } else if (strcmp(key, "secretGenerator") == 0 || strcmp(key, "configMapGenerator") == 0 ||
               strcmp(key, "generators") == 0) {
        sk_error_set(err, SK_EINVAL,
                     "%s: generators add objects with hash-suffixed names "
                     "(a secretGenerator puts plaintext in the package); a secrets package holds "
                     "only SealedSecrets",
                     key);
    } else if (strcmp(key, "generatorOptions") == 0) {
        sk_error_set(err, SK_EINVAL,
                     "generatorOptions: name hash suffixes would rename "
                     "generated objects; a secrets package has no generators");
    } else {
        sk_error_set(err, SK_EINVAL,
                     "%.64s: not allowed in a secrets package: sealkit cannot "
                     "check that it keeps SealedSecret names and namespaces",
                     key);
        sk_error_hint(err, "allowed: apiVersion, kind, resources, namespace, commonLabels, labels, "
                           "commonAnnotations, patches");
    }
    return SK_EINVAL;
}

static int check_field(const char *key, const json_t *v, const char *src, const char *ns,
                       sk_error *err)
{
    if (strcmp(key, "apiVersion") == 0) return check_fixed(v, key, SK_KUSTOMIZE_API, err);
    if (strcmp(key, "kind") == 0) return check_fixed(v, key, SK_KUSTOMIZE_KIND, err);
    if (strcmp(key, "namespace") == 0) return check_namespace(v, ns, err);
    if (strcmp(key, "patches") == 0) return check_patches(v, src, err);
    if (strcmp(key, "commonLabels") == 0 || strcmp(key, "commonAnnotations") == 0)
        return check_string_map(v, key, err);
    if (strcmp(key, "resources") == 0 || strcmp(key, "labels") == 0) {
        if (!json_is_array(v)) return sk_error_set(err, SK_EINVAL, "%s: must be a list", key);
        return SK_OK;
    }
    return refuse_field(key, err);
}

int sk_pkg_check_kustomization_doc(const json_t *k, const char *source, const char *ns,
                                   sk_error *err)
{
    if (!json_is_object(k)) {
        sk_error_set(err, SK_EINVAL, "a kustomization must be a mapping");
        return sk_error_at_source(err, SK_EINVAL, source);
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)k, key, v)
    {
        int rc = check_field(key, v, source, ns, err);
        if (rc != SK_OK) return sk_error_at_source(err, rc, source);
    }
    return SK_OK;
}

int sk_package_check_kustomization(const unsigned char *text, size_t len, const char *source,
                                   const char *ns, sk_error *err)
{
    sk_docs docs = {0};
    int rc = sk_docs_parse(text, len, source, &docs, err);
    if (rc != SK_OK) return rc;
    if (docs.n != 1) {
        sk_error_set(err, SK_EINVAL, "expected one kustomization document, found %zu", docs.n);
        rc = sk_error_at_source(err, SK_EINVAL, source);
    } else
        rc = sk_pkg_check_kustomization_doc(docs.doc[0], source, ns, err);
    sk_docs_free(&docs);
    return rc;
}
