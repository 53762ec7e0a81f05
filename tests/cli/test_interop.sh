#!/usr/bin/env bash
# Interop with upstream sealed-secrets, judged by the project's own independent checker
# (tests/tools/sealcheck.py; Python with cryptography and PyYAML):
#   * every case of tests/data/interop/cases.json through the CLI (fails on any FAIL, and when
#     fewer or more cases ran than the manifest lists);
#   * the golden files of test_golden.c, the checker's YAML writer against the files upstream's
#     Go wrote, and the emitter oracle files (gen_oracle.py --check);
#   * negative controls: a fake sealkit that misbehaves must make the checker fail exactly the
#     cases it spoils, so a checker that passes everything cannot go unnoticed.
# Ends with one "N passed, M failed" line over all of them.
set -euo pipefail
SK=${SEALKIT:?set SEALKIT to the sealkit binary}
DATA=${SK_TEST_DATA_DIR:?}
SRC=${SK_SOURCE_DIR:?}
CHECK=$SRC/tests/tools/sealcheck.py
FIX=$DATA/interop
# Sealing checks the certificate's validity; pin the clock inside the fixture keys' 10 years.
export SEALKIT_NOW=${SEALKIT_NOW:-2030-01-01T00:00:00Z}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0
failed=0

# tally LABEL CMD...: runs a checker, shows its output and adds its closing "N passed, M failed".
tally() {
  local label=$1 rc last
  shift
  set +e
  "$@" >"$T/log" 2>&1
  rc=$?
  set -e
  cat "$T/log"
  last=$(tail -n 1 "$T/log")
  if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
    # The exit status must agree with the summary.
    if [ "$rc" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
      echo "FAIL $label: exit $rc with no failure reported"
      failed=$((failed + 1))
    fi
  else
    echo "FAIL $label: no summary line (exit $rc)"
    failed=$((failed + 1))
  fi
}

# control LABEL WANT_FILE CMD...: the checker must exit non-zero and FAIL exactly the ids
# listed in WANT_FILE (one a line, sorted), passing every other one.
control() {
  local label=$1 want=$2 rc
  shift 2
  set +e
  "$@" >"$T/ctl" 2>&1
  rc=$?
  set -e
  sed -n 's/^FAIL \([^:]*\):.*/\1/p' "$T/ctl" | LC_ALL=C sort >"$T/got"
  if [ "$rc" -ne 0 ] && diff -q "$want" "$T/got" >/dev/null; then
    echo "PASS control $label ($(wc -l <"$T/got") FAILs, as wanted)"
    passed=$((passed + 1))
  else
    echo "FAIL control $label: exit $rc; FAIL lines differ from the wanted ones:"
    diff "$want" "$T/got" | sed 's/^/    /' || true
    failed=$((failed + 1))
  fi
}

# case_ids EXPECT: the manifest's ids with that expect (ok, error or all), sorted.
case_ids() {
  python3 -c 'import json, sys
cases = json.load(open(sys.argv[1]))["cases"]
print("\n".join(sorted(c["id"] for c in cases if sys.argv[2] in ("all", c["expect"]))))' \
    "$FIX/cases.json" "$1" | LC_ALL=C sort
}

tally interop python3 "$CHECK" run "$FIX" "$SK"
tally golden python3 "$CHECK" golden "$DATA/golden" "$FIX"
tally yaml-writer python3 "$CHECK" selftest "$FIX"
tally emit-oracle python3 "$DATA/emit/oracle/gen_oracle.py" --check

# The kubeseal-shaped examples that test_emit.c compares sealkit's writer with: the checker's own
# Go-style writers must give the same bytes from the parsed content.
examples() {
  local n=0 bad=0 f
  for f in "$DATA"/emit/kubeseal-*.json "$DATA"/emit/kubeseal-*.yaml; do
    n=$((n + 1))
    if [[ $f == *.json ]]; then
      python3 "$CHECK" emit json "$f" >"$T/example" || true
    else
      python3 -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)' \
        "$f" >"$T/example.json" && python3 "$CHECK" emit yaml "$T/example.json" >"$T/example" || true
    fi
    if cmp -s "$T/example" "$f"; then echo "PASS $(basename "$f")"; else echo "FAIL $(basename "$f")"; bad=$((bad + 1)); fi
  done
  echo "$((n - bad)) passed, $bad failed"
  [ "$bad" -eq 0 ]
}
tally emit-examples examples

# ---- negative controls ------------------------------------------------------------------
# A fake sealkit: runs the real one, then misbehaves as FAKE_MODE says.
#   lie      an unseal that fails prints a made-up Secret and exits 0
#   corrupt  every successful output is spoiled: one sealed blob or one unsealed value changes
#   silent   prints nothing and exits 0, without running anything
cat >"$T/fake-sealkit" <<'PY'
#!/usr/bin/env python3
import os, re, subprocess, sys
mode, args = os.environ["FAKE_MODE"], sys.argv[1:]

def corrupt(out):
    if args[:2] == ["unseal", "--raw"]:
        return out + b"!"
    if args[0] == "unseal":  # JSON Secret: prefix the first data value with base64 "ABC"
        at = out.index(b'": "', out.index(b'"data": {')) + 4
        return out[:at] + b"QUJD" + out[at:]
    m = re.search(rb"Ag[A-D][A-Za-z0-9+/]{100}", out)  # a blob: flip one RSA-part character
    i = m.start() + 60
    return out[:i] + (b"B" if out[i:i + 1] != b"B" else b"C") + out[i + 1:]

if mode == "silent":
    sys.exit(0)
p = subprocess.run([os.environ["REAL_SEALKIT"]] + args, stdout=subprocess.PIPE)
out, rc = p.stdout, p.returncode
if mode == "lie" and args[0] == "unseal" and rc != 0:
    out, rc = b'{"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "x"}}\n', 0
elif mode == "corrupt" and rc == 0:
    out = corrupt(out)
sys.stdout.buffer.write(out)
sys.exit(rc)
PY
chmod +x "$T/fake-sealkit"
case_ids error >"$T/want-error"
case_ids ok >"$T/want-ok"
case_ids all >"$T/want-all"
for mode in lie:want-error corrupt:want-ok silent:want-all; do
  control "fake sealkit (${mode%%:*})" "$T/${mode#*:}" env FAKE_MODE="${mode%%:*}" \
    REAL_SEALKIT="$(readlink -f "$SK")" python3 "$CHECK" run "$FIX" "$T/fake-sealkit"
done

# Tampered golden files: one JSON with two members swapped (bytes no longer Go's), one YAML
# whose outer scope annotation is gone (its values no longer open under its own label).
cp -r "$DATA/golden" "$T/golden"
python3 - "$T/golden" <<'PY'
import sys
d = sys.argv[1]
text = open(d + "/strict.json").read()
a, b = '    "name": "mysecret",\n', '    "namespace": "myns"\n'
swapped = '    "namespace": "myns",\n    "name": "mysecret"\n'
assert a + b in text
open(d + "/strict.json", "w").write(text.replace(a + b, swapped, 1))
text = open(d + "/namespace-wide.yaml").read()
a = 'metadata:\n  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: "true"\n'
assert a in text
open(d + "/namespace-wide.yaml", "w").write(text.replace(a, "metadata:\n", 1))
PY
printf '%s\n' golden/namespace-wide.yaml golden/strict.json >"$T/want-golden"
control "tampered golden files" "$T/want-golden" python3 "$CHECK" golden "$T/golden" "$FIX"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
