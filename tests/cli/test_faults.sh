#!/usr/bin/env bash
# Write failures (ENOSPC, EIO, short writes, EINTR) injected into sealkit's temporary files by an
# LD_PRELOAD shim (tests/faultinject), and kill -9 during --merge-into: every target file is the
# old or the new version, never half written, the error names the file, and no temporary file
# is left behind.
source "$(dirname "$0")/lib.sh"
OLDCRT=$IOP/keys/old/tls.crt
OLDKEY=$IOP/keys/old/tls.key

# The shim: built by CMake (SK_FAULT_SHIM), or here when the script runs on its own.
SHIM=${SK_FAULT_SHIM:-}
if [ -z "$SHIM" ]; then
  SHIM=$T/sk_faultinject.so
  cc -shared -fPIC -O1 -o "$SHIM" "${SK_SOURCE_DIR:-$(dirname "$0")/../..}/tests/faultinject/faultinject.c" -ldl
fi
[ -f "$SHIM" ] || { echo "FAIL: fault shim $SHIM not built" >&2; exit 1; }

# ASan's runtime must come first in the library list: preload it before the shim. A statically
# linked runtime (clang's default) cannot be ordered so; then only the kill -9 part runs.
preload=$SHIM
use_shim=1
if is_asan_build; then
  asan_rt=$(ldd "$SK" | awk '/libasan/ {print $3; exit}')
  if [ -n "$asan_rt" ]; then
    preload=$asan_rt:$SHIM
    echo "note: ASan build: preloading $asan_rt ahead of the fault shim"
  else
    skip_part "ASan runtime is linked statically into $SK, so LD_PRELOAD fault injection cannot run" \
      "(the release build runs it); only kill -9 is tested here"
    use_shim=0
  fi
fi

# faulty SPEC CMD...: runs CMD under the shim with SK_FAULT=SPEC (see run in lib.sh).
faulty() {
  local spec=$1
  shift
  : >"$T/fault.log"
  run env SK_FAULT="$spec" SK_FAULT_LOG="$T/fault.log" LD_PRELOAD="$preload" "$@"
}
fired() { [ -s "$T/fault.log" ] && ok || bad "$1: the shim injected nothing (SK_FAULT=$2)"; }
no_temps() {
  local left
  left=$(find "$1" -name '*.sealkit-tmp.*' | head -3)
  [ -z "$left" ] && ok || bad "$2: temporary files left: $left"
}
same() { cmp -s "$1" "$2" && ok || bad "$3: $1 changed"; }
# opens_as FILE PLAIN LABEL: FILE unseals (current key) to exactly PLAIN.
opens_as() {
  "$SK" unseal --key "$KEY" -o yaml -f "$1" >"$T/opened" 2>"$T/opened.err" && cmp -s "$T/opened" "$2" &&
    ok || bad "$3: $1 is not the complete new version ($(head -c 200 "$T/opened.err"))"
}

declare -A why=([ENOSPC]="No space left on device" [EIO]="Input/output error" [EDQUOT]="Disk quota exceeded")
faults=(open:ENOSPC:0 fchmod:EIO:0 write:ENOSPC:0 write:EIO:0 write:EDQUOT:0 fsync:EIO:0 close:EIO:0 rename:EIO:0)

printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: demo}\nstringData: {user: admin, pass: hunter2}\n' >"$T/s.yaml"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: demo}\nstringData: {pass: changed, extra: more}\n' >"$T/upd.yaml"
mkdir -p "$T/w"

if [ "$use_shim" -eq 1 ]; then
  # The shim must really be in the path: a write that fails makes sealkit fail.
  faulty open:EIO:0 "$SK" seal --cert "$CERT" -f "$T/s.yaml" -w "$T/w/probe.json"
  [ "$rc" -eq 1 ] && grep -q "Input/output error" "$T/err" && ok ||
    { bad "the fault shim has no effect (rc $rc: $(head -c 200 "$T/err"))"; finish; exit 1; }

  # seal -w to a new file and over an existing one.
  "$SK" seal --cert "$CERT" -f "$T/s.yaml" -w "$T/w/old.json"
  cp "$T/w/old.json" "$T/old.orig"
  for spec in "${faults[@]}"; do
    e=$(cut -d: -f2 <<<"$spec")
    faulty "$spec" "$SK" seal --cert "$CERT" -f "$T/s.yaml" -w "$T/w/new.json"
    expect_rc 1 "seal -w new, $spec"
    expect_err_re "w/new.json: cannot [a-z ]+: ${why[$e]}" "seal -w new, $spec"
    expect_no_stdout "seal -w new, $spec"
    expect_one_error_line "seal -w new, $spec"
    fired "seal -w new" "$spec"
    [ ! -e "$T/w/new.json" ] && ok || bad "seal -w new, $spec: the target exists"
    faulty "$spec" "$SK" seal --cert "$CERT" -f "$T/s.yaml" -w "$T/w/old.json"
    expect_rc 1 "seal -w over, $spec"
    expect_err_re "w/old.json: cannot [a-z ]+: ${why[$e]}" "seal -w over, $spec"
    same "$T/w/old.json" "$T/old.orig" "seal -w over, $spec"
    no_temps "$T/w" "seal -w, $spec"
  done

  # unseal -w: the plaintext output is written the same way.
  "$SK" unseal --key "$KEY" -f "$T/old.orig" -w "$T/w/plain.json"
  cp "$T/w/plain.json" "$T/plain.orig"
  for spec in write:ENOSPC:0 fsync:EIO:0 rename:EIO:0; do
    faulty "$spec" "$SK" unseal --key "$KEY" -f "$T/old.orig" -w "$T/w/plain.json"
    expect_rc 1 "unseal -w, $spec"
    expect_err "plain.json" "unseal -w, $spec"
    same "$T/w/plain.json" "$T/plain.orig" "unseal -w, $spec"
    no_temps "$T/w" "unseal -w, $spec"
  done

  # --merge-into, YAML and JSON targets.
  for fmt in yaml json; do
    "$SK" seal --cert "$CERT" -o $fmt -f "$T/s.yaml" -w "$T/w/m.$fmt"
    cp "$T/w/m.$fmt" "$T/m.$fmt.orig"
    for spec in "${faults[@]}"; do
      e=$(cut -d: -f2 <<<"$spec")
      faulty "$spec" "$SK" seal --cert "$CERT" --merge-into "$T/w/m.$fmt" -f "$T/upd.yaml"
      expect_rc 1 "merge $fmt, $spec"
      expect_err_re "m.$fmt: cannot [a-z ]+: ${why[$e]}" "merge $fmt, $spec"
      expect_one_error_line "merge $fmt, $spec"
      fired "merge $fmt" "$spec"
      same "$T/w/m.$fmt" "$T/m.$fmt.orig" "merge $fmt, $spec"
      no_temps "$T/w" "merge $fmt, $spec"
    done
  done

  # Short writes and an interrupted write are not failures: the writer must loop.
  faulty write:SHORT:0 "$SK" seal --cert "$CERT" --merge-into "$T/w/m.yaml" -f "$T/upd.yaml"
  expect_rc 0 "merge with 7-byte writes"
  [ "$(wc -l <"$T/fault.log")" -gt 10 ] && ok || bad "short writes were not injected"
  "$SK" unseal --key "$KEY" -o yaml -f "$T/w/m.yaml" >"$T/merged.plain"
  grep -q "extra: $(printf more | base64)" "$T/merged.plain" && ok || bad "short-write merge lost an item"
  faulty write:EINTR:0:1 "$SK" seal --cert "$CERT" -f "$T/s.yaml" -w "$T/w/eintr.json"
  expect_rc 0 "seal -w with one EINTR"
  fired "EINTR" write:EINTR:0:1
  run "$SK" unseal --key "$KEY" -f "$T/w/eintr.json"
  expect_rc 0 "EINTR output opens"
  no_temps "$T/w" "short writes"

  # reseal of a folder, one worker so that the n-th write is the n-th file (alphabetical).
  mkdir -p "$T/rs.orig"
  for i in 1 2 3 4 5; do
    printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: s%s, namespace: demo}\nstringData: {a: one-%s}\n' "$i" "$i" |
      "$SK" seal --cert "$OLDCRT" -o yaml >"$T/rs.orig/s$i.yaml"
  done
  # reseal_case SPEC JOBS EXPECTED_OLD...: exactly the EXPECTED_OLD files fail and stay old.
  # EXPECTED_OLD "logged": the files the shim says it failed, which depend on which worker took
  # which file.
  reseal_case() {
    local spec=$1 jobs=$2 i f label
    shift 2
    label="reseal -j $jobs, $spec"
    rm -rf "$T/rs"
    cp -r "$T/rs.orig" "$T/rs"
    faulty "$spec" "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" -j "$jobs" "$T/rs"
    expect_rc 1 "$label"
    fired "$label" "$spec"
    cp "$T/err" "$T/reseal.err"
    if [ "$1" = logged ]; then
      # shellcheck disable=SC2046 # one word per file name
      set -- $(sed -n 's|.*\(s[0-9]\.yaml\)\.sealkit-tmp\..*|\1|p' "$T/fault.log" | sort -u)
      echo "$label: the shim failed $*"
      logged_n=$#
    fi
    for i in 1 2 3 4 5; do
      f=s$i.yaml
      if [[ " $* " == *" $f "* ]]; then
        same "$T/rs/$f" "$T/rs.orig/$f" "$label"
        grep -q "^sealkit: error: .*rs/$f: " "$T/reseal.err" && ok || bad "$label: no error names $f: $(head -c 300 "$T/reseal.err")"
      else
        cmp -s "$T/rs/$f" "$T/rs.orig/$f" && bad "$label: $f was not resealed" || ok
        run "$SK" unseal --key "$KEY" -f "$T/rs/$f"
        expect_rc 0 "$label: $f opens with the new key"
      fi
    done
    [ "$(grep -c '^sealkit: error: ' "$T/reseal.err")" -eq $# ] && ok || bad "$label: expected $# error lines: $(cat "$T/reseal.err")"
    no_temps "$T/rs" "$label"
  }
  reseal_case write:ENOSPC:2:1 1 s3.yaml
  reseal_case write:EIO:0:1 1 s1.yaml
  reseal_case fsync:EIO:4 1 s5.yaml
  reseal_case rename:EIO:1 1 s2.yaml s3.yaml s4.yaml s5.yaml
  reseal_case open:ENOSPC:0 1 s1.yaml s2.yaml s3.yaml s4.yaml s5.yaml
  reseal_case close:EIO:3:1 1 s4.yaml
  # Two workers count separately and take the next file as they free up: each one's second write
  # fails, on the file it then holds; the other files are resealed all the same.
  reseal_case write:ENOSPC:1:1 2 logged
  [ "$logged_n" -ge 1 ] && [ "$logged_n" -le 2 ] && ok || bad "reseal -j 2: $logged_n files failed, expected one or two"
fi

# kill -9 at exact points of --merge-into (on entry to the Nth write, fsync or rename): the
# target is always the old or the new version.
python3 - "$T/bigupd.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: demo}\nstringData:\n")
    for i in range(40):
        f.write("  k%02d: %s\n" % (i, ("value-%02d-" % i) * 3000))
PY
mkdir -p "$T/k"
"$SK" seal --cert "$CERT" -o yaml -f "$T/s.yaml" -w "$T/kill.orig"
cp "$T/kill.orig" "$T/k/kill.yaml"
"$SK" seal --cert "$CERT" --merge-into "$T/k/kill.yaml" -f "$T/bigupd.yaml"
"$SK" unseal --key "$KEY" -o yaml -f "$T/k/kill.yaml" >"$T/kill.plain"
old=0 new=0 broken=0
for point in "write 1" "fsync,fdatasync 1" "rename,renameat,renameat2 1" "fsync,fdatasync 2"; do
  cp "$T/kill.orig" "$T/k/kill.yaml"
  kill_at ${point% *} ${point#* } "$SK" seal --cert "$CERT" --merge-into "$T/k/kill.yaml" -f "$T/bigupd.yaml"
  [ "$rc" -ne 0 ] && ok || bad "merge killed at $point reported success"
  if cmp -s "$T/k/kill.yaml" "$T/kill.orig"; then old=$((old + 1))
  elif "$SK" unseal --key "$KEY" -o yaml -f "$T/k/kill.yaml" 2>/dev/null | cmp -s - "$T/kill.plain"; then new=$((new + 1))
  else broken=$((broken + 1)); cp "$T/k/kill.yaml" "$T/broken.${point#* }"; fi
done
leftover=$(find "$T/k" -name 'kill.yaml.sealkit-tmp.*' | wc -l)
echo "merge killed at 4 points: $old old, $new new, $broken broken, $leftover temporary files left"
[ "$broken" -eq 0 ] && ok || bad "kill -9 left $broken half-written files"
[ "$old" -gt 0 ] && ok || bad "no kill landed before the rename (the test tested nothing)"
[ "$new" -gt 0 ] && ok || bad "no kill landed after the rename (the test tested nothing)"
# What killed runs leave, the next reseal of the folder clears (their processes are gone).
if [ "$leftover" -gt 0 ]; then
  run "$SK" reseal --cert "$CERT" --key "$KEY" "$T/k"
  expect_rc 0 "reseal clears stale temporary files"
  no_temps "$T/k" "after reseal"
fi

finish
