# Shared by the CLI tests: a scratch folder and small assertions that say what failed.
set -euo pipefail
SK=${SEALKIT:?set SEALKIT to the sealkit binary}
IOP=${SK_SHARED_DIR:?}/interop
CERT=$IOP/keys/current/tls.crt
KEY=$IOP/keys/current/tls.key
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0
failed=0

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }

# run CMD...: runs it with stdout in $T/out, stderr in $T/err and the exit code in $rc.
run() { set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e; }

expect_rc() { [ "$rc" -eq "$1" ] && ok || bad "$2: exit $rc, expected $1; stderr: $(head -c 300 "$T/err")"; }
expect_err() { grep -qF -- "$1" "$T/err" && ok || bad "$2: stderr lacks '$1': $(head -c 300 "$T/err")"; }
expect_no_stdout() { [ ! -s "$T/out" ] && ok || bad "$1: printed to stdout on failure"; }
expect_one_error_line() {
  local n
  n=$(grep -c '^sealkit: error: ' "$T/err" || true)
  [ "$n" -eq 1 ] && ok || bad "$1: expected one 'sealkit: error:' line, got $n"
}

# fails CODE NEEDLE LABEL CMD...: the command must fail with CODE, one error line holding NEEDLE, no stdout.
fails() {
  local code=$1 needle=$2 label=$3
  shift 3
  run "$@"
  expect_rc "$code" "$label"
  expect_err "$needle" "$label"
  expect_no_stdout "$label"
  expect_one_error_line "$label"
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
