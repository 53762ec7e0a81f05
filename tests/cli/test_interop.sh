#!/usr/bin/env bash
# Runs every case of the upstream interop fixtures (../shared/interop) through the CLI with the
# shared judge; fails on any FAIL or SKIP, and when the manifest's case count is not all run.
set -euo pipefail
SK=${SEALKIT:?} ; FIX=${SK_SHARED_DIR:?}/interop
[ -f "$FIX/cases.json" ] || { echo "interop fixtures not found at $FIX"; exit 1; }
report=$(mktemp)
trap 'rm -f "$report"' EXIT
set +e
python3 "$FIX/tools/run_fixtures.py" "$FIX" --report "$report" \
  --unseal-cmd     "$SK unseal {key_args} < {input}" \
  --seal-cmd       "$SK seal --cert {cert} -o {format} {scope_args} {namespace_args} {name_args} {extra_args} < {input}" \
  --raw-seal-cmd   "$SK seal --raw --cert {cert} --scope {scope} {namespace_args} {name_args} --from-file {input}" \
  --raw-unseal-cmd "$SK unseal --raw {key_args} --scope {scope} {namespace_args} {name_args} < {input}" \
  --reseal-cmd     "$SK reseal --cert {cert} {key_args} < {input}"
judge=$?
set -e
python3 - "$report" "$FIX/cases.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
results = rep["results"] if isinstance(rep, dict) else rep
cases = json.load(open(sys.argv[2]))["cases"]
bad = [r for r in results if r["status"] != "PASS"]
print("%d passed, %d failed" % (len(results) - len(bad), len(bad)))
if len(results) != len(cases):
    sys.exit("ran %d of %d manifest cases" % (len(results), len(cases)))
sys.exit(1 if bad else 0)
PY
exit $judge
