#!/usr/bin/env python3
"""Writes the expected outputs of the oracle cross-check cases (run once; the
unit test reads the results and needs no Python).

    python3 gen_oracle.py   # from tests/data/emit/oracle

For every <name>.input.json it writes <name>.expected.json and
<name>.expected.yaml with /work/shared/interop/tools/ssoracle.py's dump_json
and dump_yaml. The inputs avoid what the oracle cannot mimic: reals, non-ASCII
map keys, and keys where go-yaml v2's and v3's orders differ (k1a vs k10).
"""
import glob
import json
import os
import sys

sys.path.insert(0, os.environ.get("SK_SHARED_DIR", "/work/shared") + "/interop/tools")
import ssoracle  # noqa: E402

for path in sorted(glob.glob("*.input.json")):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    base = path[: -len(".input.json")]
    with open(base + ".expected.json", "w", encoding="utf-8", newline="") as f:
        f.write(ssoracle.dump_json(doc))
    with open(base + ".expected.yaml", "w", encoding="utf-8", newline="") as f:
        f.write(ssoracle.dump_yaml(doc))
