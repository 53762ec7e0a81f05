#!/usr/bin/env bash
# sealkit rotate killed with SIGKILL at 20+ exact points (on entry to the Nth fsync, link, rename,
# unlink or write: during key making, between the key's files, mid-reseal, before and after the
# done mark). After each kill one plain rerun must leave: every item opening under the newest key
# alone, that key announced unless an earlier run already did it, the key folder holding complete
# keys only, and no temporary file anywhere.
source "$(dirname "$0")/lib.sh"
OLDSECRET=$IOP/keys/old/sealed-secrets-key.yaml # notBefore 2026-09-26T19:40:40Z
OLDCRT=$IOP/keys/old/tls.crt
OLDKEY=$IOP/keys/old/tls.key
NOW=2026-11-20T00:00:00Z # the old key is 55 days old: a rotation is due

mkdir -p "$T/orig/keys" "$T/orig/repo/sub"
cp "$OLDSECRET" "$T/orig/keys/"
for i in 1 2 3; do
  printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: a%s, namespace: demo}\nstringData: {pw: s3cret-%s, user: bob}\n' "$i" "$i" |
    "$SK" seal --cert "$OLDCRT" -o yaml >"$T/orig/repo/sub/a$i.yaml"
done
"$SK" unseal --key "$OLDKEY" -o yaml -f "$T/orig/repo/sub/a2.yaml" >"$T/plain.a2"

ROTATE=("$SK" rotate --keys "$T/w/keys" --max-age 30d --bits 2048 -j 1 --now "$NOW" "$T/w/repo")

# check POINT: the state after a kill at POINT and one rerun.
check() {
  local point=$1 key f
  key=$("$SK" keys list --newest "$T/w/keys" 2>/dev/null) || { bad "$point: no newest key"; return; }
  [[ $key == "$T/w/keys/sealed-secrets-key-"* ]] && ok || bad "$point: the newest key is $key, not a new one"
  for f in "$T"/w/repo/sub/a*.yaml; do
    "$SK" unseal --key "$key" -f "$f" >/dev/null 2>&1 && ok || bad "$point: $(basename "$f") does not open with the new key"
    "$SK" unseal --key "$OLDKEY" -f "$f" >/dev/null 2>&1 && bad "$point: $(basename "$f") still opens with the old key" || ok
  done
  "$SK" unseal --key "$key" -o yaml -f "$T/w/repo/sub/a2.yaml" 2>/dev/null | cmp -s - "$T/plain.a2" &&
    ok || bad "$point: a2's values changed"
  # Complete keys only: every key Secret loads alone.
  for f in "$T"/w/keys/*.yaml; do
    "$SK" keys list "$f" >/dev/null 2>&1 && ok || bad "$point: $(basename "$f") is not a complete key"
  done
  [ -z "$(find "$T/w" -name '*.sealkit-tmp.*')" ] && ok || bad "$point: temporary files left: $(find "$T/w" -name '*.sealkit-tmp.*')"
}

killed=0
points=0
for call in fsync linkat renameat unlinkat write; do
  case $call in
  fsync) ns="1 2 3 4 5 6 7 8 9 10 11 12 13 14" ;;
  linkat) ns="1 2" ;;
  renameat) ns="1 2 3 4 5" ;;
  unlinkat) ns="1 2" ;;
  write) ns="1 3 5" ;;
  esac
  for n in $ns; do
    points=$((points + 1))
    rm -rf "$T/w" && cp -a "$T/orig" "$T/w"
    kill_at "$call" "$n" "${ROTATE[@]}"
    [ "$rc" -eq 137 ] && killed=$((killed + 1))
    run "${ROTATE[@]}"
    # 4: this rerun announced the key; 0: the killed run had announced it and marked it done.
    if [ "$rc" -eq 0 ] || [ "$rc" -eq 4 ]; then ok; else bad "$call #$n: rerun exit $rc: $(head -c 300 "$T/err")"; fi
    check "$call #$n"
    run "${ROTATE[@]}"
    expect_rc 0 "$call #$n: a third run has nothing to do"
  done
done
echo "rotate killed at $killed of $points points"
[ "$killed" -ge 20 ] && ok || bad "only $killed kills landed (20 wanted): the kill points no longer match the run"

finish
