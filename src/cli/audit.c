/* What 'sealkit verify' and 'sealkit package verify' share: their inputs and their lines. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void cli_shown_source(const char *path, char *out, size_t cap)
{
    const char *sep = strstr(path, "://");
    if (!sk_is_url(path) || sep == NULL) {
        snprintf(out, cap, "%s", path);
        return;
    }
    /* User info, query and fragment may carry credentials: a report must not repeat them. */
    const char *auth = sep + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *host = auth;
    for (const char *p = auth; p < auth + auth_len; p++)
        if (*p == '@') host = p + 1;
    const char *rest = auth + auth_len;
    snprintf(out, cap, "%.*s%.*s%.*s", (int)(auth - path), path, (int)(rest - host), host,
             (int)strcspn(rest, "?#"), rest);
}

/*
 * A path or, as for seal, an https:// URL (sk_fetch_https: TLS verified, system or environment
 * CA). Not sk_fetch_pubkey: an audit must still read an expired or weak certificate, to report
 * it (sk_verify_cert_findings).
 */
int cli_read_audit_cert(const char *path, sk_pubkey **pk, sk_error *err)
{
    sk_secbuf text = SK_SECBUF_INIT;
    int url = sk_is_url(path);
    int rc = url ? sk_fetch_https(path, SK_FETCH_MAX, NULL, &text, err)
                 : sk_read_file(path, (size_t)1 << 20, &text, err);
    if (url && rc != SK_OK) {
        sk_secbuf_free(&text);
        return rc; /* the message names the URL already, without its credentials */
    }
    if (rc == SK_OK)
        rc = sk_pubkey_from_pem_ex((const char *)text.data, text.len, cli_now(),
                                   SK_PUBKEY_ALLOW_EXPIRED | SK_PUBKEY_ALLOW_WEAK, pk, err);
    char shown[1024];
    cli_shown_source(path, shown, sizeof shown);
    if (rc != SK_OK) sk_error_at_source(err, rc, shown);
    sk_secbuf_free(&text);
    return rc;
}

long cli_newest_key(const sk_keyring *kr)
{
    size_t which = 0;
    if (kr == NULL || sk_keyring_newest(kr, SK_KEY_ORDER_CERT_NOT_BEFORE, &which, NULL) != SK_OK)
        return -1;
    return (long)which;
}

/* Names and messages come from the files: control characters would forge lines. */
static void print_clean(const char *s)
{
    cli_fputs_clean(s, stdout);
}

static void print_where(const sk_finding *x)
{
    char doc[48] = "-";
    if (x->document > 0 && x->list_item > 0)
        snprintf(doc, sizeof doc, "%zu.%zu", x->document, x->list_item);
    else if (x->document > 0)
        snprintf(doc, sizeof doc, "%zu", x->document);
    print_clean(x->file ? x->file : "-");
    printf(":%s:", doc);
}

static void print_cause(const sk_finding *x)
{
    printf(": %s: %s: ", sk_severity_name(x->severity), x->code);
    print_clean(x->message);
    putchar('\n');
}

void cli_print_finding(const sk_finding *x)
{
    print_where(x);
    print_clean(x->item ? x->item : "-");
    print_cause(x);
}

int cli_print_findings(const sk_findings *f, sk_error *err)
{
    size_t *order = NULL, *start = NULL, n = 0;
    int rc = sk_findings_group(f, &order, &start, &n, err);
    for (size_t g = 0; rc == SK_OK && g < n; g++) {
        const sk_finding *x = &f->v[order[start[g]]];
        print_where(x);
        for (size_t k = start[g]; k < start[g + 1]; k++) {
            if (k > start[g]) putchar(',');
            print_clean(f->v[order[k]].item ? f->v[order[k]].item : "-");
        }
        print_cause(x);
    }
    free(order);
    free(start);
    return rc;
}

/* ---- options both take ---- */

int cli_parse_report_format(const char *cmd, const char *s, int *format)
{
    if (strcasecmp(s, "text") == 0)
        *format = CLI_REPORT_TEXT;
    else if (strcasecmp(s, "json") == 0)
        *format = CLI_REPORT_JSON;
    else if (strcasecmp(s, "sarif") == 0)
        *format = CLI_REPORT_SARIF;
    else
        return cli_usage_error(cmd, "unsupported report format: %s", s);
    return 0;
}

int cli_parse_fail_on(const char *cmd, const char *s, sk_severity *out)
{
    for (int v = SK_SEVERITY_INFO; v <= SK_SEVERITY_ERROR; v++)
        if (strcmp(s, sk_severity_name((sk_severity)v)) == 0) {
            *out = (sk_severity)v;
            return 0;
        }
    return cli_usage_error(cmd, "--fail-on needs error, warning or info, not %s", s);
}

/* ---- JSON (schema sealkit-verify/v1, docs/verify-schema.json) ---- */

/*
 * Every member is checked, so that a failed allocation cannot print a report missing one.
 * json_object_set_new takes its value even when it fails, and fails on a NULL value or object.
 * Text that may not be UTF-8 (paths, messages that quote input) goes in with
 * json_string_nocheck, as sk_emit_json writes invalid UTF-8 as U+FFFD: a failure is then only
 * ever memory.
 */
static int set(json_t *o, const char *key, json_t *v)
{
    return json_object_set_new(o, key, v);
}

static json_t *str_or_null(const char *s)
{
    return s != NULL && *s != '\0' ? json_string_nocheck(s) : json_null();
}

static int put_where(json_t *o, const char *file, size_t document, size_t list_item)
{
    return set(o, "file", json_string_nocheck(file)) ||
           set(o, "document", json_integer((json_int_t)document)) ||
           (list_item > 0 && set(o, "list_item", json_integer((json_int_t)list_item)));
}

/* NULL when memory runs out. */
static json_t *finding_json(const sk_finding *x)
{
    json_t *o = json_object();
    int bad = put_where(o, x->file, x->document, x->list_item) ||
              set(o, "item", str_or_null(x->item)) ||
              set(o, "severity", json_string(sk_severity_name(x->severity))) ||
              set(o, "code", json_string(x->code)) ||
              set(o, "message", json_string_nocheck(x->message)) ||
              (x->line > 0 && set(o, "line", json_integer((json_int_t)x->line))) ||
              (x->column > 0 && set(o, "column", json_integer((json_int_t)x->column))) ||
              (x->key_fingerprint[0] && set(o, "key_fingerprint", json_string(x->key_fingerprint)));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *tri(int v)
{
    return v < 0 ? json_null() : json_boolean(v);
}

/* NULL when memory runs out. */
static json_t *item_json(const sk_verify_item *it)
{
    json_t *o = json_object();
    int bad = put_where(o, it->file, it->document, it->list_item) ||
              set(o, "name", json_string_nocheck(it->name)) ||
              set(o, "namespace", str_or_null(it->namespace_)) ||
              set(o, "item", json_string_nocheck(it->item)) ||
              set(o, "scope", json_string(sk_scope_name(it->scope))) ||
              set(o, "opens", tri(it->opens)) ||
              set(o, "sealed_scope",
                  it->sealed_scope < 0 ? json_null()
                                       : json_string(sk_scope_name((sk_scope)it->sealed_scope))) ||
              set(o, "opened_by", str_or_null(it->opened_by)) || set(o, "newest", tri(it->newest));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int cli_report_json(const sk_findings *f, size_t files, size_t sealed_secrets, json_t *package,
                    sk_error *err)
{
    json_t *root = json_object(), *findings = json_array(), *items = json_array();
    json_t *summary = json_object();
    int bad = root == NULL || findings == NULL || items == NULL || summary == NULL;
    for (size_t i = 0; !bad && i < f->n; i++)
        bad = json_array_append_new(findings, finding_json(&f->v[i])) != 0;
    for (size_t i = 0; !bad && i < f->n_items; i++)
        bad = json_array_append_new(items, item_json(&f->items[i])) != 0;
    size_t e = sk_findings_count(f, SK_SEVERITY_ERROR);
    size_t w = sk_findings_count(f, SK_SEVERITY_WARNING) - e;
    /* json_object_set takes a reference of its own: ours on the lists are dropped either way. */
    bad = bad || set(summary, "errors", json_integer((json_int_t)e)) ||
          set(summary, "warnings", json_integer((json_int_t)w)) ||
          set(summary, "info", json_integer((json_int_t)(f->n - e - w))) ||
          set(root, "schema", json_string("sealkit-verify/v1")) ||
          (package != NULL && json_object_set(root, "package", package) != 0) ||
          set(root, "files", json_integer((json_int_t)files)) ||
          set(root, "sealed_secrets", json_integer((json_int_t)sealed_secrets)) ||
          json_object_set(root, "summary", summary) != 0 ||
          json_object_set(root, "findings", findings) != 0 ||
          json_object_set(root, "items", items) != 0;
    json_decref(summary), json_decref(findings), json_decref(items);
    return cli_print_json(root, bad, err);
}

/* ---- SARIF 2.1.0, for code scanning (GitHub, GitLab) ---- */

static const char *sarif_level(sk_severity sev)
{
    return sev == SK_SEVERITY_ERROR ? "error" : sev == SK_SEVERITY_WARNING ? "warning" : "note";
}

/* {"key": s}; s comes from the files and need not be UTF-8 (sk_emit_json writes U+FFFD). */
static json_t *one(const char *key, const char *s)
{
    json_t *o = json_object();
    if (o != NULL && json_object_set_new(o, key, json_string_nocheck(s)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *text_of(const char *s)
{
    return one("text", s);
}

static json_t *sarif_rule(const sk_verify_code *c)
{
    return json_pack("{s:s,s:o,s:o,s:{s:s}}", "id", c->code, "shortDescription",
                     text_of(c->summary), "help", text_of(c->help), "defaultConfiguration", "level",
                     sarif_level(c->severity));
}

/* A path as a URI reference: anything but unreserved characters and '/' is %-encoded. */
static json_t *uri_of(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(path);
    char *u = malloc(3 * n + 1), *o = u;
    if (u == NULL) return NULL;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p) != NULL) {
            *o++ = (char)*p;
        } else {
            *o++ = '%', *o++ = hex[*p >> 4], *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    json_t *j = json_string(u);
    free(u);
    return j;
}

static json_t *sarif_location(const sk_finding *x)
{
    json_t *phys = json_pack("{s:{s:o}}", "artifactLocation", "uri", uri_of(x->file));
    if (phys != NULL && x->line > 0 &&
        json_object_set_new(phys, "region",
                            json_pack("{s:I,s:I}", "startLine", (json_int_t)x->line, "startColumn",
                                      (json_int_t)(x->column ? x->column : 1))) != 0) {
        json_decref(phys);
        return NULL;
    }
    return json_pack("[{s:o}]", "physicalLocation", phys);
}

/* The rule index of code: sealkit's table, else a rule added for it at the end. */
static long rule_index(json_t *rules, const char *code)
{
    for (size_t i = 0; i < json_array_size(rules); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(rules, i), "id")), code) == 0)
            return (long)i;
    sk_verify_code other = {code, SK_SEVERITY_ERROR, code, "See docs/verify.md."};
    if (json_array_append_new(rules, sarif_rule(&other)) != 0) return -1;
    return (long)json_array_size(rules) - 1;
}

static json_t *sarif_result(const sk_finding *x, json_t *rules)
{
    long idx = rule_index(rules, x->code);
    if (idx < 0) return NULL;
    json_t *r = json_pack("{s:s,s:I,s:s,s:o}", "ruleId", x->code, "ruleIndex", (json_int_t)idx,
                          "level", sarif_level(x->severity), "message", text_of(x->message));
    int bad = r == NULL;
    if (!bad && strcmp(x->file, "-") != 0)
        bad = json_object_set_new(r, "locations", sarif_location(x)) != 0;
    if (!bad && x->item != NULL)
        bad = json_object_set_new(r, "properties", one("item", x->item)) != 0;
    if (bad) json_decref(r);
    return bad ? NULL : r;
}

static json_t *sarif_log(const sk_findings *f)
{
    size_t n = 0;
    const sk_verify_code *codes = sk_verify_codes(&n);
    json_t *rules = json_array(), *results = json_array();
    int bad = rules == NULL || results == NULL;
    for (size_t i = 0; !bad && i < n; i++)
        bad = json_array_append_new(rules, sarif_rule(&codes[i])) != 0;
    for (size_t i = 0; !bad && i < f->n; i++)
        bad = json_array_append_new(results, sarif_result(&f->v[i], rules)) != 0;
    if (bad) {
        json_decref(rules), json_decref(results);
        return NULL;
    }
    return json_pack("{s:s,s:s,s:[{s:{s:{s:s,s:s,s:o}},s:o}]}", "$schema",
                     "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0", "runs",
                     "tool", "driver", "name", "sealkit", "version", sk_version(), "rules", rules,
                     "results", results);
}

int cli_report_sarif(const sk_findings *f, sk_error *err)
{
    return cli_print_json(sarif_log(f), 0, err);
}
