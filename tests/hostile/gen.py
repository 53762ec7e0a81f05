#!/usr/bin/env python3
"""Writes the hostile-input corpus in this folder (the files cases.tsv names).

The files are committed; run this only to change the corpus:
    tests/hostile/gen.py build/sealkit tests/data/interop/keys/current/tls.crt
sealkit seals the one real item the SealedSecret cases carry, so that each of
them fails for the reason its name says and not for a bad blob. Inputs that are
large or made of many pieces (100 MiB, a million nodes, truncations) are made
by tests/cli/test_hostile.sh at run time instead.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HEAD = "apiVersion: v1\nkind: Secret\n"
META = "metadata: {name: app, namespace: demo}\n"
VALID = HEAD + META + "stringData: {user: admin}\n"
DEEP = 10000


def put(name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def secret_json(string_value=b"v", key=b"k"):
    return (b'{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app", "namespace": "demo"}, '
            b'"stringData": {"' + key + b'": "' + string_value + b'"}}\n')


def billion_laughs():
    lines = ['lol0: &l0 "lol"']
    for i in range(1, 10):
        lines.append("lol%d: &l%d [%s]" % (i, i, ", ".join(["*l%d" % (i - 1)] * 10)))
    put("laughs.yaml", "\n".join(lines) + "\n")
    put("laughs-in-secret.yaml", HEAD + META + "stringData:\n  a: &x secretvalue\n  b: *x\n")
    put("anchor-only.yaml", HEAD + "metadata: &m {name: app, namespace: demo}\nstringData: {k: v}\n")


def nesting():
    put("deep-flow-seq.yaml", HEAD + META + "stringData: {k: " + "[" * DEEP + "]" * DEEP + "}\n")
    put("deep-flow-map.yaml", HEAD + META + "x: " + "{a: " * DEEP + "b" + "}" * DEEP + "\n")
    # Compact block sequences: each "- " opens one level, so 10,000 fit on a line.
    put("deep-block-seq.yaml", HEAD + META + "x:\n" + "- " * DEEP + "v\n")
    # Block mappings need their indentation: 10,000 levels would be 50 MB, past the input
    # limit, so this one goes well past the nesting limit with 300 levels (45 kB).
    put("deep-block-map.yaml", HEAD + META + "x:\n" +
        "".join(" " * i + "k%d:\n" % i for i in range(1, 301)) + " " * 301 + "v\n")
    put("deep-json-array.json", '{"kind": "Secret", "x": ' + "[" * DEEP + "]" * DEEP + "}\n")
    put("deep-json-object.json", '{"kind": "Secret", "x": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}\n")


def utf8():
    forms = {
        "overlong": b"\xc0\xaf", "overlong3": b"\xe0\x80\xaf", "surrogate": b"\xed\xa0\x80",
        "truncated": b"\xe2\x82", "ff": b"\xff", "beyond-max": b"\xf4\x90\x80\x80",
        "lone-continuation": b"\x80",
    }
    for name, bad in forms.items():
        put("utf8-%s.yaml" % name,
            (HEAD + META).encode() + b'stringData: {k: "a' + bad + b'b"}\n')
        put("utf8-%s.json" % name, secret_json(b"a" + bad + b"b"))
    put("utf8-truncated-at-eof.yaml", VALID.encode() + b"# \xe2\x82")
    put("utf8-in-key.yaml", (HEAD + META).encode() + b'stringData: {"k\xff": v}\n')
    put("utf8-in-name.yaml", HEAD.encode() + b"metadata: {name: \"a\xc3\", namespace: demo}\n"
        b"stringData: {k: v}\n")
    put("escape-surrogate.json", secret_json(b"a\\ud800b"))
    put("escape-surrogate.yaml", HEAD + META + 'stringData: {k: "a\\uD800b"}\n')
    put("utf16le-bom.yaml", b"\xff\xfe" + VALID.encode("utf-16-le"))
    put("utf16be.yaml", VALID.encode("utf-16-be"))


def duplicates():
    put("dup-top.yaml", HEAD + "kind: Secret\n" + META + "stringData: {k: v}\n")
    put("dup-nested.yaml", HEAD + "metadata:\n  name: app\n  namespace: demo\n  labels:\n"
        '    tier: "a"\n    tier: "b"\nstringData: {k: v}\n')
    put("dup-stringdata.yaml", HEAD + META + "stringData:\n  k: one\n  k: two\n")
    put("dup-quoted.yaml", HEAD + META + 'stringData: {"k": one, k: two}\n')
    put("dup-escaped.yaml", HEAD + META + 'stringData: {"\\x6b": one, k: two}\n')
    put("dup-explicit.yaml", HEAD + META + "stringData: {? k : one, k: two}\n")
    put("dup-merge-key.yaml", HEAD + META + "stringData: {<<: {k: one}, j: two}\n")
    put("dup-top.json", '{"kind": "Secret", "kind": "Secret", "metadata": {"name": "app", '
        '"namespace": "demo"}, "stringData": {"k": "v"}}\n')
    put("dup-nested.json", '{"kind": "Secret", "metadata": {"name": "app", "namespace": "demo", '
        '"annotations": {"a": "1", "a": "2"}}, "stringData": {"k": "v"}}\n')
    put("dup-stringdata.json", secret_json(b'one", "k": "two'))


def nul_bytes():
    put("nul-in-value.yaml", (HEAD + META).encode() + b"stringData: {k: a\x00b}\n")
    put("nul-at-start.yaml", b"\x00" + VALID.encode())
    put("nul-at-end.yaml", VALID.encode() + b"\x00")
    put("nul-escape.yaml", HEAD + META + 'stringData: {k: "a\\0b"}\n')
    put("nul-in-value.json", secret_json(b"a\x00b"))
    put("nul-escape.json", secret_json(b"a\\u0000b"))
    put("nul-escape-in-key.json", secret_json(b"v", b"k\\u0000x"))
    # A NUL is fine in a stringData value (kubeseal seals it), not in a name.
    put("nul-escape-in-name.json", secret_json().replace(b'"app"', b'"a\\u0000pp"'))
    put("nul-escape-in-name.yaml", HEAD + 'metadata: {name: "a\\0pp", namespace: demo}\n'
        + "stringData: {k: v}\n")


def line_ends_and_bom():
    block = HEAD + META + "stringData:\n  k: v\n  multi: |\n    line1\n    line2\n"
    put("crlf.yaml", block.replace("\n", "\r\n"))
    put("crlf.json", secret_json().replace(b", ", b",\r\n "))
    put("bom.yaml", b"\xef\xbb\xbf" + VALID.encode())
    put("bom.json", b"\xef\xbb\xbf" + secret_json())


def wrong_types():
    cases = {
        "metadata-list": "metadata: [app]\nstringData: {k: v}\n",
        "name-map": "metadata: {name: {a: b}, namespace: demo}\nstringData: {k: v}\n",
        "namespace-int": "metadata: {name: app, namespace: 5}\nstringData: {k: v}\n",
        "labels-list": "metadata: {name: app, namespace: demo, labels: [a]}\nstringData: {k: v}\n",
        "label-value-map": "metadata: {name: app, namespace: demo, labels: {a: {b: c}}}\n"
                           "stringData: {k: v}\n",
        "annotations-string": "metadata: {name: app, namespace: demo, annotations: text}\n"
                              "stringData: {k: v}\n",
        "data-list": META + "data: [dg==]\n",
        "data-value-int": META + "data: {k: 5}\n",
        "stringdata-list": META + "stringData: [v]\n",
        "stringdata-value-list": META + "stringData: {k: [v]}\n",
        "type-int": META + "type: 5\nstringData: {k: v}\n",
        "immutable-string": META + 'immutable: "true"\nstringData: {k: v}\n',
    }
    for name, body in cases.items():
        put("wt-%s.yaml" % name, HEAD + body)
    put("wt-kind-list.yaml", "apiVersion: v1\nkind: [Secret]\n" + META + "stringData: {k: v}\n")
    put("wt-apiversion-int.yaml", "apiVersion: 1\nkind: Secret\n" + META + "stringData: {k: v}\n")
    put("wt-metadata-list.json", '{"apiVersion": "v1", "kind": "Secret", "metadata": ["app"], '
        '"stringData": {"k": "v"}}\n')
    put("wt-data-value-int.json", '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app", '
        '"namespace": "demo"}, "data": {"k": 5}}\n')


def sealed_wrong_types(sealkit, cert):
    sealed = subprocess.run([sealkit, "seal", "--cert", cert, "-o", "yaml"], input=VALID.encode(),
                            check=True, capture_output=True).stdout.decode()
    blob = [l.split(": ", 1)[1] for l in sealed.splitlines() if l.startswith("    user: ")][0]
    head = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
    meta = "metadata: {name: app, namespace: demo}\n"
    enc = "{user: %s}" % blob
    put("sealed-valid.yaml", head + meta + "spec:\n  encryptedData: " + enc + "\n")
    cases = {
        "spec-list": meta + "spec: [a]\n",
        "encrypteddata-list": meta + "spec: {encryptedData: [%s]}\n" % blob,
        "encrypteddata-value-int": meta + "spec: {encryptedData: {user: 5}}\n",
        "template-string": meta + "spec: {encryptedData: %s, template: text}\n" % enc,
        "template-metadata-int": meta + "spec: {encryptedData: %s, template: {metadata: 5}}\n" % enc,
        "template-data-list": meta + "spec: {encryptedData: %s, template: {data: [a]}}\n" % enc,
        "template-type-list": meta + "spec: {encryptedData: %s, template: {type: [a]}}\n" % enc,
        "template-immutable-string": meta + 'spec: {encryptedData: %s, template: {immutable: "yes"}}\n'
                                     % enc,
        "template-labels-list": meta + "spec: {encryptedData: %s, template: {metadata: {labels: [a]}}}\n"
                                % enc,
        "annotations-list": "metadata: {name: app, namespace: demo, annotations: [a]}\n"
                            "spec: {encryptedData: %s}\n" % enc,
        "annotation-value-list": "metadata: {name: app, namespace: demo, annotations: {a: [b]}}\n"
                                 "spec: {encryptedData: %s}\n" % enc,
        "labels-list": "metadata: {name: app, namespace: demo, labels: [a]}\n"
                       "spec: {encryptedData: %s}\n" % enc,
        "name-map": "metadata: {name: {a: b}, namespace: demo}\nspec: {encryptedData: %s}\n" % enc,
        "namespace-int": "metadata: {name: app, namespace: 5}\nspec: {encryptedData: %s}\n" % enc,
    }
    for name, body in cases.items():
        put("sealed-wt-%s.yaml" % name, head + body)
    put("sealed-wt-kind-list.yaml", "apiVersion: bitnami.com/v1alpha1\nkind: [SealedSecret]\n" + meta +
        "spec: {encryptedData: %s}\n" % enc)
    put("sealed-crlf.yaml", sealed.replace("\n", "\r\n"))
    put("sealed-bom.yaml", "\ufeff" + sealed)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen.py SEALKIT CERT")
    billion_laughs()
    nesting()
    utf8()
    duplicates()
    nul_bytes()
    line_ends_and_bom()
    wrong_types()
    sealed_wrong_types(sys.argv[1], sys.argv[2])


main()
