#!/usr/bin/env bash
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]
#   Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs
#   each for SECONDS (default 30), FUZZ_JOBS (default 1) at a time, on a
#   temporary copy of fuzz/corpus/<target> so that the committed corpus does
#   not grow. Prints execs and coverage per target; fails on any crash, leak,
#   timeout or out-of-memory. A long run: scripts/fuzz.sh 600
#   FUZZ_NO_BUILD=1 skips the build. Findings are kept in build-fuzz/artifacts/<target>/,
#   logs in build-fuzz/logs/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
shift || true
all_targets=(doc_yaml doc_json seal unseal pem keyfile package)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
jobs=${FUZZ_JOBS:-1}
build="$root/build-fuzz"

case $seconds in
'' | *[!0-9]* | 0) echo "fuzz.sh: SECONDS must be a positive integer" >&2 && exit 2 ;;
esac

# FUZZ_NO_BUILD=1 reuses the fuzzers already in build-fuzz/.
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEALKIT_SANITIZE=ON \
    -DSEALKIT_FUZZ=ON -DSEALKIT_TESTS=OFF -DSEALKIT_BENCH=OFF >/dev/null
  cmake --build "$build" -j"$(nproc)" --target fuzzers >/dev/null
fi

dict_for() {
  case $1 in
  pem) echo "$root/fuzz/dict/pem.dict" ;;
  *) echo "$root/fuzz/dict/manifest.dict" ;;
  esac
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
touch "$work/.start"

# Runs one target; its exit status is libFuzzer's.
run_one() {
  local t=$1 corpus="$work/$1" art="$build/artifacts/$1" log="$build/logs/$1.log"
  mkdir -p "$corpus" "$art" "$build/logs"
  cp "$root/fuzz/corpus/$t/"* "$corpus/"
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -timeout=10 -dict="$(dict_for "$t")" -artifact_prefix="$art/" -print_final_stats=1 \
    "$corpus" >"$log" 2>&1
}

# One line per target from its log: execs, rate, final coverage, verdict.
summary() {
  local t=$1 rc=$2 log="$build/logs/$1.log"
  local execs rate cov ft found verdict=ok
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -1)
  found=$(find "$build/artifacts/$t" -type f -newer "$work/.start" | head -5 | tr '\n' ' ')
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    verdict="FAILED (exit $rc) ${found:-see $log}"
  fi
  printf '%-9s %10s execs %6s/s %4ss  %-22s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$seconds" \
    "${cov:-cov: ?}" "$verdict"
  # libFuzzer stops at the first finding, so the end of its log is the report.
  [ "$verdict" = ok ] || { grep -v -e '^#[0-9]' -e '^stat::' "$log" | tail -n 30 >&2; false; }
}

declare -A status
pending=("${targets[@]}")
while [ ${#pending[@]} -gt 0 ]; do
  batch=("${pending[@]:0:$jobs}")
  pending=("${pending[@]:$jobs}")
  declare -A pid=()
  for t in "${batch[@]}"; do
    [ -d "$root/fuzz/corpus/$t" ] || { echo "fuzz.sh: unknown target $t" >&2 && exit 2; }
    run_one "$t" &
    pid[$t]=$!
  done
  for t in "${batch[@]}"; do
    rc=0
    wait "${pid[$t]}" || rc=$?
    status[$t]=$rc
  done
done

failed=0
for t in "${targets[@]}"; do
  summary "$t" "${status[$t]}" || failed=1
done
exit $failed
