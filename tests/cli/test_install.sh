#!/usr/bin/env bash
# cmake --install into a scratch prefix, then build tests/consumer against it three ways
# (find_package shared, find_package static, pkg-config) and run each.
source "$(dirname "$0")/lib.sh"

B=$(cd "$(dirname "$SK")" && pwd)
SRC=${SK_SOURCE_DIR:-$(dirname "$0")/../..}
P=$T/prefix
cache() { sed -n "s/^$1:[A-Z]*=//p" "$B/CMakeCache.txt"; }
CC_USED=$(cache CMAKE_C_COMPILER)
VERSION=$("$SK" --version | sed 's/.*: //')
# A sanitizer build's libsealkit.so needs the ASan runtime first: build the consumer the same way.
SAN_FLAGS=""
[ "$(cache SEALKIT_SANITIZE)" = ON ] && SAN_FLAGS="-fsanitize=address,undefined"

run cmake --install "$B" --prefix "$P"
expect_rc 0 "cmake --install"
LIBDIR=$(dirname "$(find "$P" -name 'libsealkit.so.0' | head -1)")
[ -d "$LIBDIR" ] && [ "$LIBDIR" != . ] && ok || bad "no libsealkit.so.0 under the prefix"

# Layout: binary, versioned shared library with its links, static library, headers, metadata.
[ -x "$P/bin/sealkit" ] && ok || bad "bin/sealkit missing"
run "$P/bin/sealkit" --version
grep -qx "sealkit version: $VERSION" "$T/out" && ok || bad "installed sealkit --version: $(cat "$T/out")"
[ -f "$LIBDIR/libsealkit.so.$VERSION" ] && [ ! -L "$LIBDIR/libsealkit.so.$VERSION" ] && ok || bad "libsealkit.so.$VERSION is not a file"
[ "$(readlink "$LIBDIR/libsealkit.so.0")" = "libsealkit.so.$VERSION" ] && ok || bad "libsealkit.so.0 -> $(readlink "$LIBDIR/libsealkit.so.0")"
[ "$(readlink "$LIBDIR/libsealkit.so")" = "libsealkit.so.0" ] && ok || bad "libsealkit.so -> $(readlink "$LIBDIR/libsealkit.so")"
[ -f "$LIBDIR/libsealkit.a" ] && ok || bad "libsealkit.a missing"
# (Outputs go to files first: grep -q closing a pipe early would fail it under pipefail.)
readelf -d "$LIBDIR/libsealkit.so.$VERSION" >"$T/dyn"
grep -q 'Library soname: \[libsealkit.so.0\]' "$T/dyn" && ok || bad "SONAME is not libsealkit.so.0"
# Only the sk_ API is exported (hidden visibility by default).
nm -D --defined-only "$LIBDIR/libsealkit.so" >"$T/syms"
others=$(awk '$2 ~ /[TDBR]/ && $3 !~ /^sk_/ {print $3}' "$T/syms")
[ -z "$others" ] && ok || bad "exported symbols outside sk_: $others"
grep -q ' T sk_fetch_https$' "$T/syms" && ok || bad "sk_fetch_https not exported"
grep -q ' T sk_json_wipe_on_free$' "$T/syms" && ok || bad "sk_json_wipe_on_free not exported"
# Test hooks (src/lib/crypto/rng.h, src/lib/operations/testhooks.h) and internal helpers
# (src/lib/operations/reseal_internal.h, ...) live in the static library only: neither exported
# nor named by an installed header.
forbidden="sk_rng_new_deterministic sk_rng_free sk_hybrid_encrypt_rng sk_hybrid_encrypt_keybuf
  sk_seal_secret_rng sk_seal_raw_rng sk_reseal_text_rng sk_reseal_text_scratch sk_reseal_scratch_free
  sk_emit_json_string sk_yaml_key_cmp
  sk_yaml_plain_is_string sk_rsa_oaep_sha256_encrypt sk_aes256gcm_seal sk_json_loadb"
for name in $forbidden; do
  awk -v n="$name" '$3 == n {found = 1} END {exit !found}' "$T/syms" && bad "test hook or internal $name is exported" || ok
  grep -rqw "$name" "$P/include/sealkit" && bad "installed headers name $name" || ok
done
grep -rqw 'sk_rng' "$P/include/sealkit" && bad "installed headers name sk_rng" || ok
# The other way round: every exported function is declared by an installed header.
undeclared=""
for name in $(awk '$2 == "T" {print $3}' "$T/syms"); do
  grep -rqE "[ *]$name\(" "$P/include/sealkit" || undeclared="$undeclared $name"
done
[ -z "$undeclared" ] && ok || bad "exported but in no installed header:$undeclared"
n=0
for h in "$SRC"/include/sealkit/*.h; do
  cmp -s "$h" "$P/include/sealkit/$(basename "$h")" && n=$((n + 1)) || bad "header $(basename "$h") not installed"
done
[ "$n" -gt 10 ] && ok || bad "only $n headers installed"
for f in sealkitConfig.cmake sealkitConfigVersion.cmake sealkitTargets.cmake; do
  [ -f "$LIBDIR/cmake/sealkit/$f" ] && ok || bad "cmake/sealkit/$f missing"
done

# pkg-config: version, the dependencies the public headers need, relocated paths.
export PKG_CONFIG_PATH=$LIBDIR/pkgconfig
run pkg-config --modversion sealkit
grep -qx "$VERSION" "$T/out" && ok || bad "pkg-config --modversion: $(cat "$T/out") $(cat "$T/err")"
run pkg-config --print-requires sealkit
grep -q '^libcrypto' "$T/out" && grep -q '^jansson' "$T/out" && ok || bad "Requires lacks libcrypto/jansson: $(cat "$T/out")"
run pkg-config --print-requires-private sealkit
for m in libsodium yaml-0.1 libarchive; do
  grep -q "^$m" "$T/out" && ok || bad "Requires.private lacks $m"
done
run pkg-config --variable=includedir sealkit
[ "$(cd "$(cat "$T/out")" 2>/dev/null && pwd)" = "$(cd "$P/include" && pwd)" ] && ok || bad "includedir $(cat "$T/out") is not under the prefix"

# Each installed header compiles on its own, as strict C11.
n=0
for h in "$P"/include/sealkit/*.h; do
  printf '#include <sealkit/%s>\ntypedef int header_check;\n' "$(basename "$h")" >"$T/h.c"
  # shellcheck disable=SC2046
  run "$CC_USED" -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only $(pkg-config --cflags sealkit) "$T/h.c"
  [ "$rc" -eq 0 ] && n=$((n + 1)) || bad "installed $(basename "$h") does not compile alone: $(head -c 300 "$T/err")"
done
[ "$n" -gt 10 ] && ok || bad "only $n installed headers compile alone"

expect_consumer() { # LABEL BINARY
  run env LD_LIBRARY_PATH="$LIBDIR" "$2"
  expect_rc 0 "$1 runs"
  grep -qx "sealkit $VERSION label demo/db (7 bytes)" "$T/out" && ok || bad "$1 output: $(cat "$T/out")"
  grep -qx "sealed 1 item(s)" "$T/out" && ok || bad "$1 did not seal: $(cat "$T/out" "$T/err")"
}

# find_package(sealkit) with sealkit::sealkit (shared) and sealkit::sealkit_static.
for target in sealkit sealkit_static; do
  run cmake -S "$SRC/tests/consumer" -B "$T/c-$target" -DCMAKE_PREFIX_PATH="$P" \
    -DCMAKE_C_COMPILER="$CC_USED" -DCMAKE_C_FLAGS="$SAN_FLAGS" -DCMAKE_EXE_LINKER_FLAGS="$SAN_FLAGS" \
    -DSEALKIT_CONSUMER_TARGET=sealkit::$target
  expect_rc 0 "consumer configure ($target)"
  run cmake --build "$T/c-$target"
  expect_rc 0 "consumer build ($target): $(tail -5 "$T/out")"
  expect_consumer "find_package $target" "$T/c-$target/consumer"
done
readelf -d "$T/c-sealkit/consumer" >"$T/dyn"
grep -q 'NEEDED.*\[libsealkit.so.0\]' "$T/dyn" && ok || bad "shared consumer does not need libsealkit.so.0"
readelf -d "$T/c-sealkit_static/consumer" >"$T/dyn"
grep -q 'libsealkit' "$T/dyn" && bad "static consumer needs libsealkit.so" || ok

# A version the package cannot satisfy is refused.
mkdir -p "$T/c-v1"
sed 's/find_package(sealkit 0.1 REQUIRED)/find_package(sealkit 1.0 REQUIRED)/' "$SRC/tests/consumer/CMakeLists.txt" >"$T/c-v1/CMakeLists.txt"
cp "$SRC/tests/consumer/main.c" "$T/c-v1/"
run cmake -S "$T/c-v1" -B "$T/c-v1/build" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_COMPILER="$CC_USED"
[ "$rc" -ne 0 ] && grep -q 'sealkitConfig.cmake, version: ' "$T/err" && ok || bad "find_package(sealkit 1.0) accepted 0.x"

# pkg-config, the way a Makefile would.
# shellcheck disable=SC2046 # word splitting of pkg-config's flags is the point
run "$CC_USED" $SAN_FLAGS -o "$T/consumer-pc" "$SRC/tests/consumer/main.c" $(pkg-config --cflags --libs sealkit)
expect_rc 0 "pkg-config consumer build: $(head -c 300 "$T/err")"
expect_consumer "pkg-config consumer" "$T/consumer-pc"

# Man pages (one per command in sealkit --help) and completions.
MAN=$P/share/man/man1
[ -f "$MAN/sealkit.1" ] && ok || bad "man1/sealkit.1 missing"
for cmd in $("$SK" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p'); do
  [ -f "$MAN/sealkit-$cmd.1" ] && ok || bad "man1/sealkit-$cmd.1 missing"
done
cmp -s "$SRC/completions/sealkit.bash" "$P/share/bash-completion/completions/sealkit" && ok || bad "bash completion not installed"
cmp -s "$SRC/completions/_sealkit" "$P/share/zsh/site-functions/_sealkit" && ok || bad "zsh completion not installed"
finish
