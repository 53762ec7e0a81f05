#!/usr/bin/env python3
"""sealcheck: sealkit's own, independent reference for the Sealed Secrets format.

Written from the format description (tests/data/interop/README.md), not from
sealkit's C code, so that the two can check each other. Needs only Python 3,
`cryptography` and PyYAML.

    sealcheck.py run FIXTURES SEALKIT        every case of FIXTURES/cases.json through the CLI
    sealcheck.py golden [GOLDEN [INTEROP]]   independent checks of tests/data/golden/*
    sealcheck.py emit json|yaml INPUT.json   print INPUT as kubeseal would (Go JSON / go-yaml v2)
    sealcheck.py selftest FIXTURES           the YAML writer against the fixtures' Go-written files

`run`, `golden` and `selftest` print one `PASS id` / `FAIL id: reason` line per check and
end with `N passed, M failed`; the exit status is 1 on any failure. Failure
reasons never show secret values, only names, lengths and short hashes.

The format in brief: a sealed value is u16be(len R) || R || G, where R is
RSA-OAEP (SHA-256, MGF1-SHA-256, label = scope label) of a 32-byte AES key and
G is AES-256-GCM of the plaintext under that key, zero 12-byte nonce, no AAD.
The label is "ns/name" (strict), "ns" (namespace-wide) or empty (cluster-wide),
chosen by the SealedSecret's own metadata.annotations.
"""
import base64
import copy
import functools
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import unicodedata
from decimal import Decimal

import yaml
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CLUSTER_WIDE = "sealedsecrets.bitnami.com/cluster-wide"
NAMESPACE_WIDE = "sealedsecrets.bitnami.com/namespace-wide"
SESSION_KEY_BYTES = 32
CLI_TIMEOUT = 120  # seconds per CLI run; a hung binary must not hang the suite


class SealError(Exception):
    """A value that does not open; `cls` is the README's error_class."""

    def __init__(self, cls, msg):
        super().__init__(msg)
        self.cls = cls


# ---- crypto ---------------------------------------------------------------------------


def scope_label(scope, namespace, name):
    """The OAEP label bytes of a scope (README table)."""
    if scope == "cluster-wide":
        return b""
    if scope == "namespace-wide":
        return (namespace or "").encode()
    if scope == "strict":
        return ("%s/%s" % (namespace or "", name or "")).encode()
    raise ValueError("unknown scope %r" % scope)


def scope_of(meta):
    """The scope a SealedSecret's own metadata selects; cluster-wide wins over namespace-wide."""
    ann = (meta or {}).get("annotations") or {}
    if ann.get(CLUSTER_WIDE) == "true":
        return "cluster-wide"
    if ann.get(NAMESPACE_WIDE) == "true":
        return "namespace-wide"
    return "strict"


def label_for(meta):
    meta = meta or {}
    return scope_label(scope_of(meta), meta.get("namespace"), meta.get("name"))


def b64decode_std(text):
    """Go's base64.StdEncoding: CR/LF ignored, padding required, no other characters."""
    if not isinstance(text, str):
        raise SealError("bad-base64", "not a string")
    s = text.replace("\r", "").replace("\n", "")
    if len(s) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", s):
        raise SealError("bad-base64", "not standard base64")
    return base64.b64decode(s, validate=True)


def _oaep(label):
    # cryptography takes None for "no label"; OAEP hashes both to SHA-256("").
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                        label=label or None)


def open_blob(blob, keys, label):
    """Plaintext of one sealed value; tries every (name, key) like upstream. Raises SealError."""
    if len(blob) < 2 or len(blob) < 2 + int.from_bytes(blob[:2], "big"):
        raise SealError("too-short", "blob shorter than its RSA length header")
    rsa_len = int.from_bytes(blob[:2], "big")
    rsa_ct, gcm = blob[2:2 + rsa_len], blob[2 + rsa_len:]
    rsa_opened = False
    for _, key in keys:
        # Upstream always writes the full modulus; this reference insists on it.
        if (key.key_size + 7) // 8 != rsa_len:
            continue
        try:
            session = key.decrypt(rsa_ct, _oaep(label))
        except ValueError:
            continue
        rsa_opened = True
        if len(session) != SESSION_KEY_BYTES:
            continue
        try:
            return AESGCM(session).decrypt(b"\0" * 12, gcm, None)
        except InvalidTag:
            continue
    if rsa_opened:
        raise SealError("auth-failed", "AES-GCM authentication failed")
    raise SealError("decrypt-failed", "no key could decrypt (RSA-OAEP)")


# ---- documents and keys ---------------------------------------------------------------


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """SafeLoader that keeps timestamps as strings, as go-yaml does for untyped values."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_json_stream(text):
    """Concatenated JSON values (what `-o json` prints for several documents)."""
    dec, docs, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i == len(text):
            return docs
        doc, i = dec.raw_decode(text, i)
        docs.append(doc)


def parse_stream(data, fmt=None):
    """Documents of a JSON stream or multi-document YAML (fmt None: guess), Lists expanded."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if fmt is None:
        fmt = "json" if text.lstrip().startswith("{") else "yaml"
    if fmt == "json":
        docs = parse_json_stream(text)
    else:
        docs = [d for d in yaml.load_all(text, Loader=_Loader) if d is not None]
    out = []
    for d in docs:
        if not isinstance(d, dict):
            raise ValueError("document is not a mapping")
        out.extend((d.get("items") or []) if d.get("kind") == "List" else [d])
    return out


def read_docs(path):
    with open(path, "rb") as f:
        return parse_stream(f.read())


def _pem_keys(raw, where):
    keys = []
    for m in re.finditer(rb"-----BEGIN ([A-Z ]*PRIVATE KEY)-----.*?-----END \1-----", raw, re.S):
        key = serialization.load_pem_private_key(m.group(0), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("%s: not an RSA key" % where)
        keys.append(("%s#%d" % (where, len(keys)), key))
    return keys


def load_keys(path):
    """(name, key) pairs from PEM (PKCS#1/#8), a TLS Secret (data['tls.key']) or a List of them."""
    with open(path, "rb") as f:
        raw = f.read()
    if b"-----BEGIN" in raw:
        keys = _pem_keys(raw, path)
    else:
        keys = []
        for i, doc in enumerate(parse_stream(raw)):
            pem = ((doc.get("data") or {}).get("tls.key"))
            if pem is not None:
                keys += _pem_keys(b64decode_std(pem), "%s[%d]" % (path, i))
    if not keys:
        raise ValueError("%s: no private key found" % path)
    return keys


# ---- Secrets: unsealing and semantic comparison ---------------------------------------

FULL_FIELDS = ("name", "namespace", "labels", "annotations", "type", "immutable", "data")
DATA_FIELDS = ("name", "namespace", "type", "data")  # README's `compare: data`


def secret_view(doc):
    """The README's comparison fields of a Secret: data decoded (null is empty), stringData
    folded in, absent and empty maps/type/immutable equal. Other fields are ignored."""
    if doc.get("kind") != "Secret":
        raise ValueError("document kind is %r, not Secret" % doc.get("kind"))
    meta = doc.get("metadata") or {}
    data = {k: b64decode_std(v) if v is not None else b""
            for k, v in (doc.get("data") or {}).items()}
    for k, v in (doc.get("stringData") or {}).items():
        data[k] = (v or "").encode()
    return {"name": meta.get("name"), "namespace": meta.get("namespace"),
            "labels": dict(meta.get("labels") or {}),
            "annotations": dict(meta.get("annotations") or {}),
            "type": doc.get("type") or "", "immutable": bool(doc.get("immutable")), "data": data}


def unseal(ss, keys):
    """The Secret dict a SealedSecret opens to (upstream's Unseal, without ownerReferences:
    metadata from the template, name and namespace from the outer object). Raises SealError."""
    meta, spec = ss.get("metadata") or {}, ss.get("spec") or {}
    tmpl = spec.get("template") or {}
    if spec.get("data") is not None or tmpl.get("data"):
        raise SealError("unsupported", "legacy spec.data / template data is not modelled here")
    label, data, errors = label_for(meta), {}, []
    for k, v in (spec.get("encryptedData") or {}).items():
        try:
            data[k] = base64.b64encode(open_blob(b64decode_std(v), keys, label)).decode()
        except SealError as e:
            errors.append((k, e))
    if errors:  # all or nothing, like upstream
        raise SealError(errors[0][1].cls, "; ".join("%s: %s" % (k, e) for k, e in errors))
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": copy.deepcopy(tmpl.get("metadata") or {}), "data": data}
    secret["metadata"].update(name=meta.get("name"), namespace=meta.get("namespace"))
    for k in ("type", "immutable"):
        if tmpl.get(k) is not None:
            secret[k] = tmpl[k]
    return secret


def unseal_stream(data, keys):
    """Secret dicts of every SealedSecret in a YAML or JSON stream."""
    return [unseal(d, keys) for d in parse_stream(data)]


def opened(docs, keys):
    """Comparison views of what the SealedSecrets docs open to."""
    return [secret_view(unseal(d, keys)) for d in docs]


def _digest(b):
    return "%d bytes sha256:%s" % (len(b), hashlib.sha256(b).hexdigest()[:12])


def _diff_data(got, want):
    problems = ["missing item %r" % k for k in sorted(set(want) - set(got))]
    problems += ["extra item %r" % k for k in sorted(set(got) - set(want))]
    problems += ["item %r is %s, want %s" % (k, _digest(got[k]), _digest(want[k]))
                 for k in sorted(set(got) & set(want)) if got[k] != want[k]]
    return problems


def diff_views(got, want, fields=FULL_FIELDS):
    """Differences as short texts (no values of data, labels or annotations)."""
    problems = []
    for f in fields:
        g, w = got[f], want[f]
        if g == w:
            continue
        if f == "data":
            problems += _diff_data(g, w)
        elif isinstance(w, dict):
            keys = sorted(k for k in set(g) | set(w) if g.get(k) != w.get(k))
            problems.append("%s differ at %s" % (f, ", ".join(map(repr, keys))))
        else:
            problems.append("%s is %r, want %r" % (f, g, w))
    return problems


def diff_lists(got, want, fields=FULL_FIELDS):
    if len(got) != len(want):
        return ["%d documents, want %d" % (len(got), len(want))]
    return ["doc %d: %s" % (i, p) for i, (g, w) in enumerate(zip(got, want))
            for p in diff_views(g, w, fields)]


# ---- running the interop cases through the CLI ----------------------------------------


class CaseFailure(Exception):
    pass


def _redact(text, secrets):
    line = (text.decode("utf-8", "replace").strip().splitlines() or [""])[0][:160]
    for s in secrets:
        if len(s) >= 4:
            line = line.replace(s.decode("utf-8", "replace"), "<redacted>")
    return line


class CaseRunner:
    """Runs the manifest's cases through one sealkit binary and judges them."""

    def __init__(self, fixdir, sealkit):
        self.fix = os.path.abspath(fixdir)
        self.sk = os.path.abspath(sealkit)
        with open(self.path("cases.json"), encoding="utf-8") as f:
            self.manifest = json.load(f)
        self.secrets = []  # plaintexts of the current case, kept out of failure reasons
        self.key_cache = {}

    def path(self, rel):
        return os.path.join(self.fix, rel)

    def keys(self, ids):
        out = []
        for i in ids:
            path = self.path(self.manifest["keys"][i]["key"])
            if path not in self.key_cache:
                self.key_cache[path] = load_keys(path)
            out += self.key_cache[path]
        return out

    def key_args(self, case):
        keys = self.manifest["keys"]
        return [a for i in case["keys"] for a in ("--key", self.path(keys[i]["key"]))]

    def cert_args(self, case):
        return ["--cert", self.path(self.manifest["keys"][case["cert"]]["cert"])]

    @staticmethod
    def label_args(case):
        args = ["--scope", case["scope"]]
        for flag in ("namespace", "name"):
            if case.get(flag) is not None:
                args += ["--" + flag, case[flag]]
        return args

    @staticmethod
    def seal_args(case, fmt):
        args = ["-o", fmt]
        for k, v in (case.get("args") or {}).items():  # scope, namespace, name overrides
            args += ["--" + k, str(v)]
        return args + list(case.get("extra_args") or [])

    def command(self, case, fmt=None):
        """(argv after the binary, stdin file or None) of a case: the README's command forms."""
        op, inp = case["op"], case["input"]
        if op == "unseal":
            return ["unseal"] + self.key_args(case), inp
        if op == "seal":
            return ["seal"] + self.cert_args(case) + self.seal_args(case, fmt or "yaml"), inp
        if op == "raw-seal":
            return (["seal", "--raw"] + self.cert_args(case) + self.label_args(case)
                    + ["--from-file", self.path(inp)]), None
        if op == "raw-unseal":
            return ["unseal", "--raw"] + self.key_args(case) + self.label_args(case), inp
        if op == "reseal":
            return ["reseal"] + self.cert_args(case) + self.key_args(case), inp
        raise CaseFailure("unknown op %r" % op)

    def cli_raw(self, args, stdin=None):
        with open(self.path(stdin) if stdin else os.devnull, "rb") as f:
            return subprocess.run([self.sk] + args, stdin=f, cwd=self.fix, capture_output=True,
                                  timeout=CLI_TIMEOUT, check=False)

    def cli(self, case, fmt=None):
        """Runs the case's command in the fixture folder; its stdout, or CaseFailure."""
        p = self.cli_raw(*self.command(case, fmt))
        if p.returncode != 0:
            raise CaseFailure("exit %d: %s" % (p.returncode, _redact(p.stderr, self.secrets)))
        return p.stdout

    def expected(self, case):
        views = [secret_view(d) for d in read_docs(self.path(case["expected"]))]
        self.secrets = [v for view in views for v in view["data"].values()]
        return views

    # -- the judges of successful cases, one per op; each raises CaseFailure -------------

    def op_unseal(self, case):
        want, keys = self.expected(case), self.keys(case["keys"])
        self.reference(diff_lists(opened(read_docs(self.path(case["input"])), keys), want))
        out = self.cli(case)
        self.check(diff_lists([secret_view(d) for d in parse_stream(out)], want))

    def op_seal(self, case):
        want, verify = self.expected(case), self.keys(case["verify_keys"])
        first = case.get("output_format", "yaml")
        for fmt in [first] + [f for f in ("yaml", "json") if f != first]:  # both formats
            out = self.cli(case, fmt)
            if (fmt == "json") != out.lstrip().startswith(b"{"):
                raise CaseFailure("-o %s printed the other format" % fmt)
            docs = parse_stream(out, fmt)
            problems = [p for d in docs for p in sealed_shape_problems(d)]
            problems += encoding_problems(out, docs, fmt)
            problems += diff_lists(opened(docs, verify), want)
            self.check(["-o %s: %s" % (fmt, p) for p in problems])

    def op_raw_seal(self, case):
        label, want = self.raw_label(case)
        out = self.cli(case)
        if not re.fullmatch(rb"[A-Za-z0-9+/]+={0,2}", out):
            raise CaseFailure("output is not one base64 blob without a newline (%d bytes)"
                              % len(out))
        got = open_blob(b64decode_std(out.decode()), self.keys(case["verify_keys"]), label)
        self.check(_diff_data({"blob": got}, {"blob": want}))

    def op_raw_unseal(self, case):
        label, want = self.raw_label(case)
        with open(self.path(case["input"]), encoding="ascii") as f:
            ours = open_blob(b64decode_std(f.read()), self.keys(case["keys"]), label)
        self.reference(_diff_data({"blob": ours}, {"blob": want}))
        self.check(_diff_data({"blob": self.cli(case)}, {"blob": want}))

    def op_reseal(self, case):
        want, docs = self.expected(case), read_docs(self.path(case["input"]))
        self.reference(diff_lists(opened(docs, self.keys(case["keys"])), want, DATA_FIELDS))
        out = parse_stream(self.cli(case))
        fields = DATA_FIELDS if case.get("compare") == "data" else FULL_FIELDS
        problems = diff_lists(opened(out, self.keys(case["verify_keys"])), want, fields)
        stale = self.keys(case.get("must_not_open_with") or [])
        for i, (new, old) in enumerate(zip(out, docs)):
            problems += ["doc %d: %s" % (i, p) for p in resealed_problems(new, old, case, stale)]
        self.check(problems)

    # -- error cases and helpers -------------------------------------------------------------

    def judge_error(self, case):
        """An error case must exit non-zero and print nothing (no partial Secret)."""
        if case["op"] == "unseal":
            self.reference_fails(case)
        p = self.cli_raw(*self.command(case))
        if p.returncode == 0:
            raise CaseFailure("exit 0 for a case that must fail")
        if p.stdout.strip():
            raise CaseFailure("exit %d but printed %d bytes on stdout"
                              % (p.returncode, len(p.stdout)))

    def reference_fails(self, case):
        """The reference itself must refuse an error case, for the documented reason."""
        want = case.get("error_class")
        try:
            opened(read_docs(self.path(case["input"])), self.keys(case["keys"]))
        except SealError as e:
            if want and e.cls != want:
                self.reference(["fails with %s, the manifest says %s" % (e.cls, want)])
            return
        self.reference(["opens a case the manifest says must fail"])

    def raw_label(self, case):
        """The label from label_file, cross-checked with the one the scope flags imply."""
        with open(self.path(case["label_file"]), "rb") as f:
            label = f.read()
        with open(self.path(case["expected_plaintext"]), "rb") as f:
            plaintext = f.read()
        self.secrets = [plaintext]
        if label != scope_label(case["scope"], case.get("namespace"), case.get("name")):
            self.reference(["label_file does not match scope/namespace/name"])
        return label, plaintext

    @staticmethod
    def reference(problems):
        # This checker disagrees with the fixture: a bug here, not in sealkit.
        if problems:
            raise CaseFailure("reference disagrees with the fixture: " + "; ".join(problems))

    @staticmethod
    def check(problems):
        if problems:
            raise CaseFailure("; ".join(problems[:6]) + (" ..." if len(problems) > 6 else ""))

    def run_case(self, case):
        """None when the case passes, else the reason."""
        self.secrets = []
        try:
            if case.get("expect") == "error":
                self.judge_error(case)
            else:
                handler = getattr(self, "op_" + case.get("op", "").replace("-", "_"), None)
                if handler is None:
                    raise CaseFailure("unknown op %r" % case.get("op"))
                handler(case)
        except (CaseFailure, SealError) as e:
            return str(e)
        except Exception as e:  # pylint: disable=broad-except ; every case must get a verdict
            return "%s: %s" % (type(e).__name__, _redact(str(e).encode(), self.secrets))
        return None


def sealed_shape_problems(doc):
    """kubeseal's SealedSecret shape: outer metadata holds name, namespace and scope only."""
    problems = []
    if doc.get("apiVersion") != "bitnami.com/v1alpha1" or doc.get("kind") != "SealedSecret":
        problems.append("not a bitnami.com/v1alpha1 SealedSecret")
    meta = doc.get("metadata") or {}
    extra = set(meta) - {"name", "namespace", "annotations", "creationTimestamp"}
    extra |= set(meta.get("annotations") or {}) - {CLUSTER_WIDE, NAMESPACE_WIDE}
    if extra:
        problems.append("outer metadata has %s" % ", ".join(sorted(extra)))
    spec = doc.get("spec") or {}
    if not isinstance(spec.get("encryptedData"), dict) or "template" not in spec:
        problems.append("spec lacks encryptedData or template")
    return problems


def encoding_problems(out, docs, fmt):
    """The bytes must be kubeseal's encoding of the objects they hold (Go JSON / go-yaml v2)."""
    def go_json(d):
        return dump_json(go_order(d, SECRET if d.get("kind") == "Secret" else SEALED_SECRET))

    dump = go_json if fmt == "json" else dump_yaml
    canonical = "".join(dump(d) for d in docs).encode()
    if canonical == out:
        return []
    return ["bytes differ from kubeseal's encoding at offset %d" % _first_difference(canonical,
                                                                                      out)]


def resealed_problems(new, old, case, stale_keys):
    """Re-sealing keeps identity and scope, and the old key no longer opens anything."""
    problems = []
    for f in ("name", "namespace"):
        if (new.get("metadata") or {}).get(f) != (old.get("metadata") or {}).get(f):
            problems.append("%s changed" % f)
    scope = scope_of(new.get("metadata"))
    if scope != case.get("expected_scope", scope_of(old.get("metadata"))):
        problems.append("scope is %s, want %s" % (scope, case.get("expected_scope")))
    label = label_for(new.get("metadata"))
    for k, v in ((new.get("spec") or {}).get("encryptedData") or {}).items():
        try:
            open_blob(b64decode_std(v), stale_keys, label)
            problems.append("item %r still opens with the old key" % k)
        except SealError:
            pass
    return problems


def cmd_run(fixdir, sealkit):
    runner = CaseRunner(fixdir, sealkit)
    cases = runner.manifest["cases"]
    passed = failed = 0
    for case in cases:
        reason = runner.run_case(case)
        if reason is None:
            passed += 1
            print("PASS %s" % case["id"], flush=True)
        else:
            failed += 1
            print("FAIL %s: %s" % (case["id"], reason), flush=True)
    ids = [c["id"] for c in cases]
    if passed + failed != len(cases) or len(set(ids)) != len(ids):
        print("ran %d of %d manifest cases (ids unique: %s)"
              % (passed + failed, len(cases), len(set(ids)) == len(ids)))
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


# ---- Go encoding/json ------------------------------------------------------------------

_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                 "\b": "\\b", "\f": "\\f",  # Go >= 1.22 spelling (was \u0008, \u000c)
                 "<": "\\u003c", ">": "\\u003e", "&": "\\u0026",  # HTML-safe by default
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}  # JSONP-safe, always


def _go_string(s):
    # Go decodes lone surrogate escapes to U+FFFD; Python keeps them.
    return re.sub("[\ud800-\udfff]", "\ufffd", s)


def _json_string(s):
    out = []
    for ch in _go_string(s):
        esc = _JSON_ESCAPES.get(ch)
        if esc is None and ch < " ":
            esc = "\\u%04x" % ord(ch)
        out.append(esc or ch)
    return '"' + "".join(out) + '"'


def _float_digits(f):
    """Shortest round-trip decimal digits of |f| and the decimal point position (Go's decimal)."""
    _, digits, exp = Decimal(repr(abs(f))).as_tuple()
    ds = "".join(map(str, digits))
    dp = len(ds) + exp  # value = 0.ds * 10**dp
    stripped = ds.lstrip("0")
    dp -= len(ds) - len(stripped)
    ds = stripped.rstrip("0")
    return (ds, dp) if ds else ("", 0)


def _fmt_f(ds, dp):
    whole = (ds[:dp] + "0" * (dp - len(ds))) if dp > 0 else "0"
    frac = ("0" * -dp + ds) if dp < 0 else ds[dp:]
    return whole + ("." + frac if frac else "")


def _fmt_e(ds, dp):
    ds = ds or "0"
    exp = dp - 1 if ds != "0" else 0
    mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
    return "%se%s%02d" % (mant, "-" if exp < 0 else "+", abs(exp))


def go_json_float(f):
    """encoding/json's text for a float64 (strconv 'f' -1, or 'e' outside [1e-6, 1e21))."""
    if math.isnan(f) or math.isinf(f):
        raise ValueError("JSON cannot hold NaN or Inf")
    ds, dp = _float_digits(f)
    neg = "-" if math.copysign(1, f) < 0 else ""
    if f != 0 and (abs(f) < 1e-6 or abs(f) >= 1e21):
        return neg + re.sub(r"e([-+])0(\d)$", r"e\1\2", _fmt_e(ds, dp))
    return neg + _fmt_f(ds, dp)


def go_format_g(f):
    """strconv.FormatFloat(f, 'g', -1, 64) as go-yaml v2 uses it (with its .inf/.nan names)."""
    if math.isnan(f):
        return ".nan"
    if math.isinf(f):
        return ".inf" if f > 0 else "-.inf"
    ds, dp = _float_digits(f)
    neg = "-" if math.copysign(1, f) < 0 else ""
    exp = dp - 1 if ds else 0
    return neg + (_fmt_e(ds, dp) if exp < -4 or exp >= 6 else _fmt_f(ds, dp))


def _json_value(v, depth, out):
    pad = "  " * depth
    if isinstance(v, dict):
        if not v:
            out.append("{}")
            return
        out.append("{\n")
        for i, (k, item) in enumerate(v.items()):
            out.append(pad + "  " + _json_string(k) + ": ")
            _json_value(item, depth + 1, out)
            out.append(",\n" if i + 1 < len(v) else "\n")
        out.append(pad + "}")
    elif isinstance(v, list):
        if not v:
            out.append("[]")
            return
        out.append("[\n")
        for i, item in enumerate(v):
            out.append(pad + "  ")
            _json_value(item, depth + 1, out)
            out.append(",\n" if i + 1 < len(v) else "\n")
        out.append(pad + "]")
    else:
        out.append(_json_scalar(v))


def _json_scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_json_float(v)
    if isinstance(v, str):
        return _json_string(v)
    raise TypeError("cannot write %s as JSON" % type(v).__name__)


def dump_json(doc):
    """json.MarshalIndent(doc, "", "  ") + "\\n", members in the order given (see go_order)."""
    out = []
    _json_value(doc, 0, out)
    return "".join(out) + "\n"


# Go struct field order of the types kubeseal marshals, with what omitempty does to each
# field: "o" value dropped when empty, "p" pointer dropped when null, "k" kept as parsed,
# "s" struct always written ({} when absent), "m" map always written (null when absent).
_MAP, _LIST = "map", "list"
OBJECT_META = [
    ("name", None, "o"), ("generateName", None, "o"), ("namespace", None, "o"),
    ("selfLink", None, "o"), ("uid", None, "o"), ("resourceVersion", None, "o"),
    ("generation", None, "o"),
    ("creationTimestamp", None, "k"),  # null before apimachinery 0.34, omitted since
    ("deletionTimestamp", None, "p"), ("deletionGracePeriodSeconds", None, "p"),
    ("labels", (_MAP, None), "o"), ("annotations", (_MAP, None), "o"),
    ("ownerReferences", (_LIST, [("apiVersion", None, "k"), ("kind", None, "k"),
                                 ("name", None, "k"), ("uid", None, "k"),
                                 ("controller", None, "p"),
                                 ("blockOwnerDeletion", None, "p")]), "o"),
    ("finalizers", None, "o"),
    ("managedFields", (_LIST, [("manager", None, "o"), ("operation", None, "o"),
                               ("apiVersion", None, "o"), ("time", None, "p"),
                               ("fieldsType", None, "o"), ("fieldsV1", None, "p"),
                               ("subresource", None, "o")]), "o"),
]
SEALED_SECRET = [
    ("kind", None, "o"), ("apiVersion", None, "o"), ("metadata", OBJECT_META, "s"),
    ("spec", [("template", [("metadata", OBJECT_META, "s"), ("type", None, "o"),
                            ("immutable", None, "p"), ("data", (_MAP, None), "o")], "s"),
              ("data", None, "o"), ("encryptedData", (_MAP, None), "m")], "s"),
    ("status", [("observedGeneration", None, "k"),
                ("conditions", (_LIST, [("type", None, "k"), ("status", None, "k"),
                                        ("lastUpdateTime", None, "k"),
                                        ("lastTransitionTime", None, "k"),
                                        ("reason", None, "k"), ("message", None, "k")]), "k")],
     "p"),
]

# v1.Secret, as `kubeseal --recovery-unseal` marshals it.
SECRET = [
    ("kind", None, "o"), ("apiVersion", None, "o"), ("metadata", OBJECT_META, "s"),
    ("immutable", None, "p"), ("data", (_MAP, None), "o"), ("stringData", (_MAP, None), "o"),
    ("type", None, "o"),
]


def _is_empty(v):
    return v is None or v is False or v == 0 or v == "" or v == {} or v == []


def go_order(v, schema):
    """v as Go would marshal it through the struct `schema`: field order, sorted map keys,
    omitempty applied. Raises ValueError for a field the Go type does not have."""
    if schema is None or v is None:
        return v
    if isinstance(schema, tuple):  # (_MAP | _LIST, element schema)
        kind, elem = schema
        if kind == _MAP:
            return {k: go_order(v[k], elem) for k in sorted(v)}
        return [go_order(x, elem) for x in v]
    if not isinstance(v, dict):
        raise ValueError("%s where Go has a struct" % type(v).__name__)
    unknown = set(v) - {name for name, _, _ in schema}
    if unknown:
        raise ValueError("fields unknown to the Go type: %s" % ", ".join(sorted(unknown)))
    out = {}
    for name, sub, rule in schema:
        if name not in v:
            if rule == "s":
                out[name] = go_order({}, sub)
            elif rule == "m":
                out[name] = None
            continue
        val = v[name]
        if (rule == "o" and _is_empty(val)) or (rule == "p" and val is None):
            continue
        out[name] = go_order(val, sub)
    return out


# ---- go-yaml v2 (through sigs.k8s.io/yaml), as kubeseal -o yaml prints -------------------

_BREAKS = "\r\n\x85\u2028\u2029"
_PLAIN, _SINGLE, _DOUBLE, _LITERAL = "plain", "single", "double", "literal"
BEST_INDENT, BEST_WIDTH = 2, 80

# go-yaml v2's table of special plain scalars. It also lists "<<", but '<' has no hint
# below, so "<<" is never looked up and stays a plain string.
_RESOLVE_MAP = set("y Y yes Yes YES true True TRUE on On ON n N no No NO false False FALSE "
                   "off Off OFF ~ null Null NULL .nan .NaN .NAN .inf .Inf .INF +.inf +.Inf "
                   "+.INF -.inf -.Inf -.INF".split()) | {""}
_HINT = {c: "D" for c in "0123456789"}
_HINT.update({c: "M" for c in "yYnNtTfFoO~"})
_HINT.update({"+": "S", "-": "S", ".": "."})
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_DOT_FLOAT = re.compile(r"\.[0-9](_?[0-9])*([eE][-+]?[0-9](_?[0-9])*)?")
_TS_DATE = r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
_TS_TIME = r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?"
# go-yaml v2's four time.Parse layouts, as regular expressions; ranges are checked apart.
_TIMESTAMPS = [re.compile(_TS_DATE + "[Tt]" + _TS_TIME + r"(?:Z|[-+]([0-9]{2}):([0-9]{2}))"),
               re.compile(_TS_DATE + " +" + _TS_TIME), re.compile(_TS_DATE)]


def _go_parse_uint(s):
    """strconv.ParseUint(s, 0, 64) without underscores: the value or None."""
    base, digits = 10, s
    if s[:1] == "0":
        prefix = s[1:2].lower() if len(s) >= 3 else ""
        base, digits = {"b": (2, s[2:]), "o": (8, s[2:]), "x": (16, s[2:])}.get(prefix,
                                                                               (8, s[1:]))
    if not s or not all(c in "0123456789abcdef"[:base] for c in digits.lower()):
        return None
    n = int(digits, base) if digits else 0
    return n if n < 1 << 64 else None


def _go_parse_int(s):
    """strconv.ParseInt(s, 0, 64) without underscores: the value or None."""
    sign = s[:1] if s[:1] in ("+", "-") else ""
    n = _go_parse_uint(s[len(sign):])
    if n is None:
        return None
    n = -n if sign == "-" else n
    return n if -(1 << 63) <= n < 1 << 63 else None


def _days_in(month, year):
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]


def _is_timestamp(s):
    """go-yaml v2's parseTimestamp: one of its layouts, and time.Parse's range checks pass."""
    for rx in _TIMESTAMPS:
        m = rx.fullmatch(s)
        if not m:
            continue
        g = [int(x) if x is not None else 0 for x in m.groups()] + [0] * 8
        year, month, day, hour, minute, sec, tzh, tzm = g[:8]
        return (1 <= month <= 12 and 1 <= day <= _days_in(month, year) and hour < 24
                and minute < 60 and sec < 60 and tzh <= 24 and tzm <= 60)
    return False


def _float_ok(text):
    try:
        return not math.isinf(float(text))  # Go's ParseFloat reports overflow as an error
    except ValueError:
        return False


def resolves_to_non_string(s):
    """Would go-yaml v2 read s, written plain, as something other than a string?"""
    hint = _HINT.get(s[0]) if s else "N"  # the first character says what s might be
    if hint is None:
        return False
    if s in _RESOLVE_MAP:
        return True
    if hint == ".":
        return bool(_DOT_FLOAT.fullmatch(s)) and _float_ok(s.replace("_", ""))
    if hint not in ("D", "S"):
        return False
    if _is_timestamp(s):
        return True
    plain = s.replace("_", "")
    if _go_parse_int(plain) is not None or _go_parse_uint(plain) is not None:
        return True
    return bool(_YAML_FLOAT.fullmatch(plain)) and _float_ok(plain)


def _is_base60_float(s):
    # Dropped by YAML 1.2 but still quoted on output for older parsers.
    return s[:1] in tuple("+-0123456789") and ":" in s and bool(_BASE60.fullmatch(s))


def _printable(ch):
    c = ord(ch)
    return (c == 0x0A or 0x20 <= c <= 0x7E or 0xA0 <= c <= 0xD7FF
            or (0xE000 <= c <= 0xFFFD and c != 0xFEFF))


def _analyze(value):
    """libyaml's scalar analysis: which styles the emitter allows for value."""
    if not value:
        return {"multiline": False, "block_plain": True, "single": True, "block": False}
    block_ind = flow_ind = value.startswith(("---", "..."))
    line_breaks = special = False
    leading_space = leading_break = trailing_space = trailing_break = False
    break_space = space_break = prev_space = prev_break = False
    preceded_by_ws = True
    for i, ch in enumerate(value):
        followed_by_ws = i + 1 >= len(value) or value[i + 1] in " \t"
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`":
                flow_ind = block_ind = True
            elif ch in "?:":
                flow_ind = True
                block_ind = block_ind or followed_by_ws
            elif ch == "-" and followed_by_ws:
                flow_ind = block_ind = True
        else:
            if ch in ",?[]{}":
                flow_ind = True
            elif ch == ":":
                flow_ind = True
                block_ind = block_ind or followed_by_ws
            elif ch == "#" and preceded_by_ws:
                flow_ind = block_ind = True
        special = special or not _printable(ch)
        if ch == " ":
            leading_space = leading_space or i == 0
            trailing_space = trailing_space or i == len(value) - 1
            break_space = break_space or prev_break
            prev_space, prev_break = True, False
        elif ch in _BREAKS:
            line_breaks = True
            leading_break = leading_break or i == 0
            trailing_break = trailing_break or i == len(value) - 1
            space_break = space_break or prev_space
            prev_space, prev_break = False, True
        else:
            prev_space = prev_break = False
        preceded_by_ws = ch in " \t\0" or ch in _BREAKS
    plain = not (leading_space or leading_break or trailing_space or trailing_break
                 or break_space or space_break or special or line_breaks or block_ind)
    return {"multiline": line_breaks, "block_plain": plain,
            "single": not (break_space or space_break or special),
            "block": not (trailing_space or space_break or special)}


_DQ_ESCAPES = {0x00: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0A: "n", 0x0B: "v", 0x0C: "f",
               0x0D: "r", 0x1B: "e", 0x22: '"', 0x5C: "\\", 0x85: "N", 0xA0: "_",
               0x2028: "L", 0x2029: "P"}


class _YamlEmitter:
    """The block-style subset of go-yaml v2's emitter (a port of libyaml's) kubeseal needs."""

    def __init__(self):
        self.out, self.column, self.indent, self.indents = [], 0, -1, []
        self.whitespace = self.indention = True

    # -- low-level writing; `column` counts characters, as the emitter does
    def put(self, s):
        self.out.append(s)
        self.column += len(s)

    def put_break(self):
        self.out.append("\n")
        self.column = 0

    def write_break(self, ch):
        if ch == "\n":
            self.put_break()
        else:
            self.out.append(ch)
            self.column = 0

    def write_indent(self):
        indent = max(self.indent, 0)
        if (not self.indention or self.column > indent
                or (self.column == indent and not self.whitespace)):
            self.put_break()
        self.put(" " * (indent - self.column))
        self.whitespace = self.indention = True

    def indicator(self, text, need_ws, is_ws, is_indention):
        if need_ws and not self.whitespace:
            self.put(" ")
        self.put(text)
        self.whitespace = is_ws
        self.indention = self.indention and is_indention

    def push_indent(self, flow, indentless):
        self.indents.append(self.indent)
        if self.indent < 0:
            self.indent = BEST_INDENT if flow else 0
        elif not indentless:
            self.indent += BEST_INDENT

    def pop_indent(self):
        self.indent = self.indents.pop()

    # -- nodes
    def node(self, v, mapping_ctx=False, simple_key=False):
        if isinstance(v, dict):
            self.mapping(v)
        elif isinstance(v, list):
            self.sequence(v, mapping_ctx)
        else:
            self.scalar(*_yaml_scalar(v), simple_key=simple_key)

    def mapping(self, v):
        if not v:  # an empty mapping is always written in flow style
            self.indicator("{", True, True, False)
            self.indicator("}", False, False, False)
            return
        self.push_indent(False, False)
        for k in sorted(v, key=functools.cmp_to_key(_go_yaml_key_cmp)):
            self.write_indent()
            text, style = _yaml_scalar(k)
            key = _go_string(text)
            if not _analyze(key)["multiline"] and len(key.encode()) <= 128:
                self.scalar(text, style, simple_key=True)
                self.indicator(":", False, False, False)
            else:  # a complex key: "? key" then ": value"
                self.indicator("?", True, False, True)
                self.scalar(text, style)
                self.write_indent()
                self.indicator(":", True, False, True)
            self.node(v[k], mapping_ctx=True)
        self.pop_indent()

    def sequence(self, v, mapping_ctx):
        if not v:
            self.indicator("[", True, True, False)
            self.indicator("]", False, False, False)
            return
        # go-yaml writes a sequence inside a mapping at the key's indentation.
        self.push_indent(False, mapping_ctx and not self.indention)
        for item in v:
            self.write_indent()
            self.indicator("-", True, False, True)
            self.node(item)
        self.pop_indent()

    def scalar(self, value, style, simple_key=False):
        value = _go_string(value)
        a = _analyze(value)
        if simple_key and a["multiline"]:
            style = _DOUBLE
        if style == _PLAIN and (not a["block_plain"] or (simple_key and not value)):
            style = _SINGLE
        if style == _SINGLE and not a["single"]:
            style = _DOUBLE
        if style == _LITERAL and (not a["block"] or simple_key):
            style = _DOUBLE
        self.push_indent(True, False)
        {_PLAIN: self.write_plain, _SINGLE: self.write_single, _DOUBLE: self.write_double,
         _LITERAL: lambda v, _: self.write_literal(v)}[style](value, not simple_key)
        self.pop_indent()

    def write_plain(self, value, allow_breaks):
        if not self.whitespace:
            self.put(" ")
        self._write_folded(value, allow_breaks, quote=None)
        self.whitespace = self.indention = False

    def write_single(self, value, allow_breaks):
        self.indicator("'", True, False, False)
        self._write_folded(value, allow_breaks, quote="'")
        self.indicator("'", False, False, False)
        self.whitespace = self.indention = False

    def _write_folded(self, value, allow_breaks, quote):
        """Plain and single-quoted text: folds at a space once past the width."""
        spaces = breaks = False
        for i, ch in enumerate(value):
            if ch == " ":
                nxt = value[i + 1] if i + 1 < len(value) else ""
                inner = quote is None or 0 < i < len(value) - 1
                if (allow_breaks and not spaces and self.column > BEST_WIDTH and inner
                        and nxt != " "):
                    self.write_indent()
                else:
                    self.put(ch)
                spaces = True
            elif ch in _BREAKS:
                if not breaks and ch == "\n":
                    self.put_break()
                self.write_break(ch)
                self.indention = breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.put(ch + ch if ch == quote else ch)
                self.indention = spaces = breaks = False

    def write_double(self, value, allow_breaks):
        self.indicator('"', True, False, False)
        spaces = False
        # go-yaml's is_bom(value, i) tests value[0:3], not position i: after a leading
        # U+FEFF every character is escaped (libyaml escapes only the U+FEFF itself).
        bom = value.startswith("\ufeff")
        for i, ch in enumerate(value):
            c = ord(ch)
            if bom or not _printable(ch) or c == 0xFEFF or ch in _BREAKS or ch in '"\\':
                esc = _DQ_ESCAPES.get(c)
                if esc is None:
                    esc = ("x%02X" % c if c <= 0xFF else "u%04X" % c if c <= 0xFFFF
                           else "U%08X" % c)
                self.put("\\" + esc)
                spaces = False
            elif ch == " ":
                if (allow_breaks and not spaces and self.column > BEST_WIDTH
                        and 0 < i < len(value) - 1):
                    self.write_indent()
                    if value[i + 1] == " ":
                        self.put("\\")
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put(ch)
                spaces = False
        self.indicator('"', False, False, False)
        self.whitespace = self.indention = False

    def write_literal(self, value):
        self.indicator("|", True, False, False)
        if value and (value[0] == " " or value[0] in _BREAKS):
            self.indicator(str(BEST_INDENT), False, False, False)
        if not value or value[-1] not in _BREAKS:
            chomp = "-"
        elif len(value) == 1 or value[-2] in _BREAKS:
            chomp = "+"
        else:
            chomp = ""
        if chomp:
            self.indicator(chomp, False, False, False)
        self.put_break()
        self.indention = self.whitespace = breaks = True
        for ch in value:
            if ch in _BREAKS:
                self.write_break(ch)
                self.indention = breaks = True
            else:
                if breaks:
                    self.write_indent()
                self.put(ch)
                self.indention = breaks = False


def _yaml_scalar(v):
    """(text, requested style) as go-yaml v2's encoder asks the emitter for them."""
    if v is None:
        return "null", _PLAIN
    if isinstance(v, bool):
        return ("true" if v else "false"), _PLAIN
    if isinstance(v, int):
        return str(v), _PLAIN
    if isinstance(v, float):
        return go_format_g(v), _PLAIN
    if not isinstance(v, str):
        raise TypeError("cannot write %s as YAML" % type(v).__name__)
    if "\n" in v:
        return v, _LITERAL
    if resolves_to_non_string(v) or _is_base60_float(v):
        return v, _DOUBLE
    return v, _PLAIN


def _is_letter(ch):
    return unicodedata.category(ch).startswith("L")


def _is_digit(ch):
    return unicodedata.category(ch) == "Nd"


def _digit_run(s, i, start):
    n = start
    while i < len(s) and _is_digit(s[i]):
        n = n * 10 + ord(s[i]) - ord("0")
        i += 1
    return n, i


def _go_yaml_key_cmp(a, b):
    """go-yaml v2's "natural" key order (sorter.go keyList.Less), as a cmp function."""
    for i, (ca, cb) in enumerate(zip(a, b)):
        if ca == cb:
            continue
        la, lb = _is_letter(ca), _is_letter(cb)
        if la and lb:
            return -1 if ca < cb else 1
        if la or lb:
            return 1 if la else -1  # the non-letter first
        start = 0
        if ca == "0" or cb == "0":  # upstream quirk: zeros after a non-zero digit run
            j = i - 1
            while j >= 0 and _is_digit(a[j]):
                if a[j] != "0":
                    start = 1
                    break
                j -= 1
        an, ai = _digit_run(a, i, start)
        bn, bi = _digit_run(b, i, start)
        if an != bn:
            return -1 if an < bn else 1
        if ai != bi:
            return -1 if ai < bi else 1
        return -1 if ca < cb else 1
    return (len(a) > len(b)) - (len(a) < len(b))


def dump_yaml(doc):
    """kubeseal's -o yaml text for a JSON-shaped doc (string keys): `---`, then go-yaml v2's
    block YAML with every mapping's keys in go-yaml's order."""
    e = _YamlEmitter()
    e.node(doc)
    e.write_indent()  # the document end
    return "---\n" + "".join(e.out)


# ---- golden files -----------------------------------------------------------------------

SERVER_FIELDS = ("selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
                 "deletionTimestamp", "deletionGracePeriodSeconds")
LAST_APPLIED = ("kubectl.kubernetes.io/last-applied-configuration",
                "kubecfg.ksonnet.io/last-applied-configuration")
GOLDEN_SCOPES = {"strict": "strict", "namespace-wide": "namespace-wide"}


def _scope_annotations(ann, scope):
    """kubeseal's UpdateScopeAnnotations: drop both, then set the non-strict one."""
    ann = {k: v for k, v in ann.items() if k not in (CLUSTER_WIDE, NAMESPACE_WIDE)}
    if scope != "strict":
        ann[CLUSTER_WIDE if scope == "cluster-wide" else NAMESPACE_WIDE] = "true"
    return ann


def kubeseal_shape(secret, scope):
    """Outer metadata and template kubeseal builds from `secret` with --scope `scope`."""
    meta = {k: v for k, v in copy.deepcopy(secret.get("metadata") or {}).items()
            if k not in SERVER_FIELDS and k != "ownerReferences"}
    ann = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in LAST_APPLIED}
    if scope != "strict":
        ann = _scope_annotations(ann, scope)
    meta.pop("annotations", None)
    if ann:
        meta["annotations"] = ann
    outer = {k: meta[k] for k in ("name", "namespace") if meta.get(k)}
    if scope != "strict":
        outer["annotations"] = _scope_annotations({}, scope)
    template = {"metadata": meta}
    for k in ("type", "immutable"):
        if secret.get(k) is not None:
            template[k] = secret[k]
    return outer, template


def plaintexts(secret):
    items = {k: b64decode_std(v or "") for k, v in (secret.get("data") or {}).items()}
    items.update({k: (v or "").encode() for k, v in (secret.get("stringData") or {}).items()})
    return items


def golden_problems(path, raw, secret, keys):
    base, ext = os.path.splitext(os.path.basename(path))
    scope = GOLDEN_SCOPES[base]
    doc = json.loads(raw) if ext == ".json" else next(iter(parse_stream(raw, "yaml")))
    problems = []
    if doc.get("apiVersion") != "bitnami.com/v1alpha1" or doc.get("kind") != "SealedSecret":
        problems.append("not a bitnami.com/v1alpha1 SealedSecret")
    outer, template = kubeseal_shape(secret, scope)
    spec = doc.get("spec") or {}
    if doc.get("metadata") != outer:
        problems.append("outer metadata differs from kubeseal's")
    if spec.get("template") != template:
        problems.append("spec.template differs from kubeseal's copy of the input")
    if set(spec) - {"template", "encryptedData"}:
        problems.append("spec has %s" % ", ".join(sorted(set(spec) - {"template",
                                                                       "encryptedData"})))
    if scope_of(doc.get("metadata")) != scope:
        problems.append("its own annotations select %s" % scope_of(doc.get("metadata")))
    try:
        got = secret_view(unseal(doc, keys))["data"]
        problems += _diff_data(got, plaintexts(secret))
    except SealError as e:
        problems.append(str(e))
    canonical = (dump_json(go_order(doc, SEALED_SECRET)) if ext == ".json"
                 else dump_yaml(doc))
    if canonical.encode() != raw:
        problems.append("bytes differ from Go's encoding at offset %d"
                        % _first_difference(canonical.encode(), raw))
    return problems, doc


def _first_difference(a, b):
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def cmd_golden(golden_dir, interop_dir):
    with open(os.path.join(golden_dir, "secret.yaml"), "rb") as f:
        secret = parse_stream(f.read())[0]
    keys = load_keys(os.path.join(interop_dir, "keys/current/tls.key"))
    passed = failed = 0
    parsed = {}
    for base in GOLDEN_SCOPES:
        for ext in (".json", ".yaml"):
            path = os.path.join(golden_dir, base + ext)
            try:
                with open(path, "rb") as f:
                    problems, parsed[base + ext] = golden_problems(path, f.read(), secret, keys)
            except (OSError, ValueError, KeyError, TypeError, StopIteration,
                    yaml.YAMLError) as e:
                problems = ["%s: %s" % (type(e).__name__, e)]
            # Both files of a scope come from one sealed object: same content, two encodings.
            from_json = parsed.get(base + ".json")
            if ext == ".yaml" and from_json is not None and from_json != parsed.get(base + ext):
                problems.append("holds another object than %s.json" % base)
            if problems:
                failed += 1
                print("FAIL golden/%s%s: %s" % (base, ext, "; ".join(problems)))
            else:
                passed += 1
                print("PASS golden/%s%s" % (base, ext))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def cmd_selftest(fixdir):
    """The YAML writer must reproduce, byte for byte, the fixture files upstream's Go wrote."""
    with open(os.path.join(fixdir, "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    files = sorted({c[k] for c in cases for k in ("input", "expected")
                    if c.get(k, "").endswith(("/sealed.yaml", "/expected.yaml"))})
    passed = failed = 0
    for rel in files:
        with open(os.path.join(fixdir, rel), "rb") as f:
            raw = f.read()
        ours = "".join(dump_yaml(d) for d in parse_stream(raw, "yaml")).encode()
        if ours == raw:
            passed += 1
            print("PASS yaml-writer %s" % rel)
        else:
            failed += 1
            print("FAIL yaml-writer %s: differs at offset %d" % (rel, _first_difference(ours, raw)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not files else 0


def cmd_emit(fmt, path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    sys.stdout.write(dump_json(doc) if fmt == "json" else dump_yaml(doc))
    return 0


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    data = os.path.join(here, "..", "data")
    if len(argv) == 3 and argv[0] == "run":
        return cmd_run(argv[1], argv[2])
    if 1 <= len(argv) <= 3 and argv[0] == "golden":
        golden = argv[1] if len(argv) > 1 else os.path.join(data, "golden")
        interop = argv[2] if len(argv) > 2 else os.path.join(data, "interop")
        return cmd_golden(golden, interop)
    if len(argv) == 2 and argv[0] == "selftest":
        return cmd_selftest(argv[1])
    if len(argv) == 3 and argv[0] == "emit" and argv[1] in ("json", "yaml"):
        return cmd_emit(argv[1], argv[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
