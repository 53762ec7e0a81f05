#!/usr/bin/env python3
"""Writes, or with --check verifies, the expected outputs of the emitter cross-check
cases (the unit test test_emit.c reads the results and needs no Python).

    python3 gen_oracle.py           # rewrite <name>.expected.json / .expected.yaml
    python3 gen_oracle.py --check   # compare them with what the writer produces now

For every <name>.input.json in this folder the expected files are
tests/tools/sealcheck.py's dump_json of go_order (Go's json.MarshalIndent of the typed
object: struct fields in Go order, map keys sorted) and dump_yaml (kubeseal's `---` plus go-yaml v2's block YAML,
keys in go-yaml's order). That writer is independent of sealkit's C emitters.
--check prints PASS/FAIL per file and `N passed, M failed`, and exits 1 on a
difference.
"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tools"))
import sealcheck  # noqa: E402  (tests/tools/sealcheck.py)


def expected_files(input_path):
    """{path: text} of the two expected files of one input."""
    with open(input_path, encoding="utf-8") as f:
        doc = json.load(f)
    base = input_path[: -len(".input.json")]
    schema = sealcheck.SECRET if doc.get("kind") == "Secret" else sealcheck.SEALED_SECRET
    return {base + ".expected.json": sealcheck.dump_json(sealcheck.go_order(doc, schema)),
            base + ".expected.yaml": sealcheck.dump_yaml(doc)}


def check(path, text):
    try:
        with open(path, "rb") as f:
            ok = f.read() == text.encode("utf-8")
    except OSError:
        ok = False
    print("%s emit/oracle/%s" % ("PASS" if ok else "FAIL", os.path.basename(path))
          + ("" if ok else ": differs from sealcheck's writer"))
    return ok


def main(argv):
    if argv not in ([], ["--check"]):
        sys.stderr.write(__doc__)
        return 2
    inputs = sorted(glob.glob(os.path.join(HERE, "*.input.json")))
    outputs = {p: t for i in inputs for p, t in expected_files(i).items()}
    if not argv:
        for path, text in outputs.items():
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        return 0
    results = [check(p, t) for p, t in outputs.items()]
    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
