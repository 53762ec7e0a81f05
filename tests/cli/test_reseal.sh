#!/usr/bin/env bash
# sealkit reseal: old key to new key, in place, only sealed values change, idempotent.
source "$(dirname "$0")/lib.sh"
OLDCRT=$IOP/keys/old/tls.crt
OLDKEY=$IOP/keys/old/tls.key

mkdir -p "$T/repo/sub"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: demo}\nstringData: {x: one, y: two}\n' >"$T/a.yaml"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: b, namespace: demo}\nstringData: {z: three}\n' >"$T/b.yaml"
{ echo "# a comment that must survive"
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {k: v}\n'
  "$SK" seal --cert "$OLDCRT" -o yaml -f "$T/a.yaml"
} >"$T/repo/mixed.yaml"
"$SK" seal --cert "$OLDCRT" -f "$T/b.yaml" -w "$T/repo/sub/b.json"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n' >"$T/repo/plain.yaml"
cp "$T/repo/plain.yaml" "$T/plain.orig"
cp "$T/repo/mixed.yaml" "$T/mixed.orig"

run "$SK" reseal --cert "$CERT" --key "$OLDKEY" --check "$T/repo"
expect_rc 1 "--check finds work"
cmp -s "$T/repo/mixed.yaml" "$T/mixed.orig" && ok || bad "--check wrote"

run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/repo"
expect_rc 0 "reseal repo"
expect_err "3 items resealed" "reseal summary"
cmp -s "$T/repo/plain.yaml" "$T/plain.orig" && ok || bad "non-sealed file changed"
# Only the blob lines differ.
diff "$T/mixed.orig" "$T/repo/mixed.yaml" | grep '^[<>]' | grep -v -E '^[<>]     "?(x|y)"?: Ag' && bad "reseal changed other lines" || ok
head -1 "$T/repo/mixed.yaml" | grep -q '^# a comment' && ok || bad "comment lost"
run "$SK" unseal --key "$KEY" -o yaml -f "$T/repo/mixed.yaml"
expect_rc 0 "opens with the new key alone"
run "$SK" unseal --key "$OLDKEY" -f "$T/repo/sub/b.json"
expect_rc 1 "no longer opens with the old key"

# A second run changes nothing, not even mtimes.
m1=$(stat -c %Y.%y "$T/repo/mixed.yaml" "$T/repo/sub/b.json")
sleep 1
run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/repo"
expect_rc 0 "second run"
expect_err "0 items resealed" "second run resealed nothing"
[ "$(stat -c %Y.%y "$T/repo/mixed.yaml" "$T/repo/sub/b.json")" = "$m1" ] && ok || bad "second run touched files"

# A file with an item no key opens is left alone and reported; the others proceed.
"$SK" seal --cert "$OLDCRT" -f "$T/a.yaml" -w "$T/repo/stuck.json"
cp "$T/repo/stuck.json" "$T/stuck.orig"
"$SK" seal --cert "$OLDCRT" -f "$T/b.yaml" -w "$T/repo/fine.json"
run "$SK" reseal --cert "$CERT" --key "$KEY" "$T/repo/stuck.json" "$T/repo/sub/b.json"
expect_rc 1 "unopenable item fails the run"
expect_err "stuck.json" "failure names the file"
cmp -s "$T/repo/stuck.json" "$T/stuck.orig" && ok || bad "failed file changed"

# Filter mode.
run "$SK" reseal --cert "$CERT" --key "$OLDKEY" <"$T/stuck.orig"
expect_rc 0 "filter mode"
cp "$T/out" "$T/filtered.json"
run "$SK" unseal --key "$KEY" -f "$T/filtered.json"
expect_rc 0 "filtered output opens with the new key"

finish
