#!/usr/bin/env bash
# The test command: set up, build, run every test, then again under ASan+UBSan.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh

# -Werror is off by default (for packagers); CI builds with it.
echo "== build and test (release)"
scripts/build.sh "$root/build" -DSEALKIT_WERROR=ON
ctest --test-dir "$root/build" --output-on-failure -j"$(nproc)"
scripts/lint.sh "$root/build"

echo "== build and test (AddressSanitizer + UndefinedBehaviorSanitizer)"
scripts/build.sh "$root/build-asan" -DSEALKIT_WERROR=ON -DSEALKIT_SANITIZE=ON -DSEALKIT_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=Debug
# Not again under the sanitizers, to keep CI under 15 minutes: the strace kill points of rotate
# (each state and crash point runs under ASan in test_rotate) and valgrind (meaningless here).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$root/build-asan" --output-on-failure -j"$(nproc)" -E 'rotate_kill|valgrind'


echo "== fuzz smoke (libFuzzer, clang, 10 s per target; scripts/fuzz.sh 600 runs them long)"
FUZZ_JOBS="$(nproc)" scripts/fuzz.sh 10
