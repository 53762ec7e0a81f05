# Shared by the CLI tests: a scratch folder and small assertions that say what failed.
set -euo pipefail
SK=${SEALKIT:?set SEALKIT to the sealkit binary}
IOP=${SK_TEST_DATA_DIR:?}/interop
CERT=$IOP/keys/current/tls.crt
KEY=$IOP/keys/current/tls.key
# The pinned clock (CTest sets SEALKIT_NOW; see tests/CMakeLists.txt), in seconds.
export SEALKIT_NOW=${SEALKIT_NOW:-2030-01-01T00:00:00Z}
NOW=$(date -u -d "$SEALKIT_NOW" +%s)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
skipped=0

ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }
# skip_part REASON: a check that could not run here. It is never counted as passed: a test
# with a skipped part and no failure exits 77, which CTest reports as skipped.
skip_part() { echo "SKIP: $*"; skipped=$((skipped + 1)); }
is_asan_build() { [[ "$(nm -D "$SK" 2>/dev/null)" == *__asan_init* ]]; }

# run CMD...: runs it with stdout in $T/out, stderr in $T/err and the exit code in $rc.
run() { set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e; }

expect_rc() { [ "$rc" -eq "$1" ] && ok || bad "$2: exit $rc, expected $1; stderr: $(head -c 300 "$T/err")"; }
expect_err() { grep -qF -- "$1" "$T/err" && ok || bad "$2: stderr lacks '$1': $(head -c 300 "$T/err")"; }
expect_err_re() { grep -qE -- "$1" "$T/err" && ok || bad "$2: stderr does not match '$1': $(head -c 300 "$T/err")"; }
expect_no_stdout() { [ ! -s "$T/out" ] && ok || bad "$1: printed to stdout on failure"; }
expect_one_error_line() {
  local n
  n=$(grep -c '^sealkit: error: ' "$T/err" || true)
  [ "$n" -eq 1 ] && ok || bad "$1: expected one 'sealkit: error:' line, got $n"
}

# kill_at SYSCALLS N CMD...: runs CMD (stdout and stderr dropped) and kills each of its
# processes with SIGKILL on entry to that process's Nth call of one of SYSCALLS (strace's fault
# injection): a crash at an exact point, the same in every run, with no timing involved.
kill_at() { signal_at KILL "$@"; }

# signal_at SIG SYSCALLS N CMD...: kill_at with another signal (INT, TERM: the ones sealkit's
# handler catches), sent on entry to the call; it is handled when the call returns.
signal_at() {
  local sig=$1 calls=$2 n=$3
  shift 3
  set +e
  # Through sh, which (unlike bash) does not announce the killed strace on stderr. LeakSanitizer
  # cannot run under ptrace: an ASan build would fail every traced run that ends.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" sh -c 's=$1 c=$2 n=$3; shift 3; strace -f -qq -o /dev/null -e trace="$c" -e inject="$c":signal="$s":when="$n" "$@"' \
    _ "$sig" "$calls" "$n" "$@" >/dev/null 2>&1
  rc=$?
  set -e
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

# finish: the closing line, then exit 1 on any failure, 77 when a part was skipped, else 0.
finish() {
  if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
  else
    echo "$passed passed, $failed failed"
  fi
  [ "$failed" -eq 0 ] || exit 1
  [ "$skipped" -eq 0 ] || exit 77
  exit 0
}
