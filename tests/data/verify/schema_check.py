#!/usr/bin/env python3
"""Validates sealkit verify --format json reports against docs/verify-schema.json.

Usage: schema_check.py SCHEMA REPORT...
Uses the jsonschema module when it can be imported (unless SCHEMA_CHECK_HAND=1);
otherwise checks the required fields and their types by hand. Says which one it used: never skips silently.
"""
import json
import os
import re
import sys

FP = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")
SCOPES = {"strict", "namespace-wide", "cluster-wide"}


def fail(msg):
    print("schema_check: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def check_where(o, what):
    if not isinstance(o.get("file"), str) or not o["file"]:
        fail(what + ": file")
    if not is_int(o.get("document")):
        fail(what + ": document")
    if "list_item" in o and (not is_int(o["list_item"]) or o["list_item"] < 1):
        fail(what + ": list_item")


def by_hand(schema, r):
    top = set(schema["required"])
    if set(r) - set(schema["properties"]):
        fail("unknown top-level fields %s" % sorted(set(r) - set(schema["properties"])))
    if not top <= set(r):
        fail("missing top-level fields %s" % sorted(top - set(r)))
    if r["schema"] != "sealkit-verify/v1":
        fail("schema")
    for k in ("files", "sealed_secrets"):
        if not is_int(r[k]):
            fail(k)
    for k in ("errors", "warnings", "info"):
        if not is_int(r["summary"].get(k)):
            fail("summary." + k)
    fdef = schema["definitions"]["finding"]
    for i, f in enumerate(r["findings"]):
        what = "findings[%d]" % i
        if not set(fdef["required"]) <= set(f) or set(f) - set(fdef["properties"]):
            fail(what + ": fields %s" % sorted(f))
        check_where(f, what)
        if f["item"] is not None and not isinstance(f["item"], str):
            fail(what + ": item")
        if f["severity"] not in ("error", "warning", "info"):
            fail(what + ": severity")
        if not re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", f["code"]) or not f["message"]:
            fail(what + ": code/message")
        if "key_fingerprint" in f and not FP.match(f["key_fingerprint"]):
            fail(what + ": key_fingerprint")
    idef = schema["definitions"]["item"]
    for i, it in enumerate(r["items"]):
        what = "items[%d]" % i
        if not set(idef["required"]) <= set(it) or set(it) - set(idef["properties"]):
            fail(what + ": fields %s" % sorted(it))
        check_where(it, what)
        if not isinstance(it["name"], str) or not isinstance(it["item"], str):
            fail(what + ": name/item")
        if it["namespace"] is not None and not isinstance(it["namespace"], str):
            fail(what + ": namespace")
        if it["scope"] not in SCOPES or it["sealed_scope"] not in SCOPES | {None}:
            fail(what + ": scope")
        for k in ("opens", "newest"):
            if it[k] not in (True, False, None):
                fail(what + ": " + k)
        if it["opened_by"] is not None and not FP.match(it["opened_by"]):
            fail(what + ": opened_by")


def main():
    schema = json.load(open(sys.argv[1]))
    jsonschema = None
    if os.environ.get("SCHEMA_CHECK_HAND") != "1":
        try:
            import jsonschema
        except ImportError:
            pass
    print("schema_check: using %s" % ("jsonschema" if jsonschema else "the hand check (no jsonschema module)"))
    for path in sys.argv[2:]:
        report = json.load(open(path))
        if jsonschema:
            try:
                jsonschema.validate(report, schema)
            except jsonschema.ValidationError as e:
                fail("%s: %s" % (path, e.message))
        else:
            by_hand(schema, report)
    print("schema_check: %d reports valid" % (len(sys.argv) - 2))


if __name__ == "__main__":
    main()
