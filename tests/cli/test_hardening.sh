#!/usr/bin/env bash
# The built CLI and libsealkit.so carry the hardening of cmake/SealkitHardening.cmake: full RELRO
# (GNU_RELRO + BIND_NOW), a non-executable stack, no text relocations, a PIE executable, stack
# protector calls and FORTIFY_SOURCE's checked calls (__*_chk), as readelf and nm see them.
source "$(dirname "$0")/lib.sh"

B=$(cd "$(dirname "$SK")" && pwd)
LIB=${SK_LIBSEALKIT:-$B/libsealkit.so}
cache() { sed -n "s/^$1:[A-Z]*=//p" "$B/CMakeCache.txt" 2>/dev/null || true; }

if [ "$(cache SEALKIT_HARDENING)" = OFF ]; then
  skip_part "configured with SEALKIT_HARDENING=OFF: nothing to check"
  finish
fi
[ -f "$LIB" ] && ok || bad "libsealkit.so not found at $LIB (set SK_LIBSEALKIT)"

# FORTIFY_SOURCE is only on in optimised builds without sanitizers (glibc needs -O; ASan
# replaces its checks with its own). No build type: CMakeLists.txt's default, RelWithDebInfo.
fortify_why=""
build_type=$(cache CMAKE_BUILD_TYPE)
case $build_type in
'' | Release | RelWithDebInfo | MinSizeRel) ;;
*) fortify_why="build type $build_type does not optimise" ;;
esac
is_asan_build && fortify_why="$SK is an ASan build"

# check FILE LABEL: what every ELF file built here must have.
check() {
  local f=$1 what=$2
  # (Outputs go to files first: grep -q closing a pipe early would fail it under pipefail.)
  readelf -lW "$f" >"$T/phdr"
  readelf -dW "$f" >"$T/dyn"
  nm -D --undefined-only "$f" >"$T/undef"
  grep -q '^ *GNU_RELRO ' "$T/phdr" && ok || bad "$what: no GNU_RELRO segment (-Wl,-z,relro)"
  grep -Eq '\(FLAGS\) .*BIND_NOW|\(FLAGS_1\) .*NOW' "$T/dyn" && ok || bad "$what: no BIND_NOW (-Wl,-z,now): partial RELRO only"
  local stack
  stack=$(awk '$1 == "GNU_STACK" {print $7}' "$T/phdr")
  [ -n "$stack" ] && [[ "$stack" != *E* ]] && ok || bad "$what: stack is not non-executable (GNU_STACK flags '$stack')"
  grep -q 'TEXTREL' "$T/dyn" && bad "$what: has text relocations" || ok
  grep -Eq ' __stack_chk_fail(@|$)' "$T/undef" && ok || bad "$what: no __stack_chk_fail: built without -fstack-protector-strong"
  if [ -n "$fortify_why" ]; then
    skip_part "$what: FORTIFY_SOURCE not checked: $fortify_why, built without it"
  else
    local chk
    chk=$(grep -oE ' __[a-z0-9_]+_chk(@|$)' "$T/undef" | grep -v __stack_chk || true)
    [ -n "$chk" ] && ok || bad "$what: no __*_chk calls: built without -D_FORTIFY_SOURCE=2"
  fi
}

check "$SK" "sealkit"
check "$LIB" "libsealkit.so"

# The CLI is a position-independent executable, the library a shared object with a SONAME.
readelf -hW "$SK" >"$T/hdr"
readelf -lW "$SK" >"$T/phdr"
readelf -dW "$SK" >"$T/dyn"
grep -Eq 'Type: +DYN' "$T/hdr" && grep -q '^ *INTERP ' "$T/phdr" && ok || bad "sealkit is not a PIE: $(grep Type: "$T/hdr")"
# binutils 2.31+ mark PIEs in FLAGS_1; older ones do not, which the two checks above cover.
if grep -q '(FLAGS_1)' "$T/dyn"; then
  grep -Eq '\(FLAGS_1\) .*PIE' "$T/dyn" && ok || bad "sealkit: FLAGS_1 lacks PIE: $(grep FLAGS_1 "$T/dyn")"
fi
readelf -dW "$LIB" >"$T/dyn"
grep -q '(SONAME)' "$T/dyn" && ok || bad "libsealkit.so has no SONAME"

# And the binary still runs.
run "$SK" --version
expect_rc 0 "sealkit --version"
finish
