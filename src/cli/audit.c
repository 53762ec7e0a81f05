/* What 'sealkit verify' and 'sealkit package verify' share: their inputs and their lines. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
 * CA). Not sk_fetch_pubkey: an audit must still read an expired certificate, to report it.
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
                                   SK_PUBKEY_ALLOW_EXPIRED, pk, err);
    char shown[1024];
    cli_shown_source(path, shown, sizeof shown);
    if (rc != SK_OK) sk_error_at_source(err, rc, shown);
    sk_secbuf_free(&text);
    return rc;
}

int cli_load_audit_cert(const char *path, sk_pubkey **pk, sk_error *err)
{
    int rc = cli_read_audit_cert(path, pk, err);
    if (rc == SK_OK && (sk_pubkey_flags(*pk) & SK_CERT_EXPIRED))
        cli_warn("%s: the certificate has expired (see 'sealkit cert')", path);
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
    json_t *log = sarif_log(f);
    sk_secbuf out = SK_SECBUF_INIT;
    int rc =
        log == NULL ? sk_error_set(err, SK_ENOMEM, "out of memory") : sk_emit_json(log, &out, err);
    if (rc == SK_OK) rc = cli_output(NULL, &out, 0, err);
    sk_secbuf_free(&out);
    json_decref(log);
    return rc;
}
