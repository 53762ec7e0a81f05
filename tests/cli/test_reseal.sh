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

# A second run changes nothing, not even mtimes (set to a past instant, so any write shows).
touch -d @1000000000 "$T/repo/mixed.yaml" "$T/repo/sub/b.json"
m1=$(stat -c %Y.%y "$T/repo/mixed.yaml" "$T/repo/sub/b.json")
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

# JSON report and dry run.
"$SK" seal --cert "$OLDCRT" -f "$T/a.yaml" -w "$T/repo/again.json"
run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" --dry-run --format json "$T/repo"
expect_rc 0 "dry run json"
python3 - "$T/out" <<'PY' && ok || bad "json report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "sealkit-reseal/v1"
st = {f["path"].rsplit("/", 1)[1]: f["status"] for f in r["files"]}
assert st["again.json"] == "would-reseal" and st["mixed.yaml"] == "unchanged", st
assert st["stuck.json"] == "would-reseal" and st["plain.yaml"] == "unchanged", st
assert r["totals"]["files_failed"] == 0 and r["totals"]["items_resealed"] >= 4, r["totals"]
PY
run "$SK" unseal --key "$OLDKEY" -f "$T/repo/again.json"
expect_rc 0 "dry run wrote nothing"
fails 2 "-j needs a number" "bad -j" "$SK" reseal --cert "$CERT" --key "$KEY" -j 0 "$T/repo"

# kill -9 in the middle of a parallel run, at exact points (every worker dies on entry to its
# Nth write, fsync or rename): every file is the old or the new version, and a second run
# finishes the job and clears what the killed run left behind.
mkdir -p "$T/big"
for i in $(seq 1 24); do
  printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: s%s, namespace: demo}\nstringData: {a: one-%s, b: two, c: three}\n' "$i" "$i" |
    "$SK" seal --cert "$OLDCRT" -o yaml >"$T/big/s$i.yaml"
done
cp -r "$T/big" "$T/big.orig"
for point in "rename,renameat,renameat2 4" "fsync,fdatasync 5" "write 3"; do
  rm -rf "$T/big" && cp -r "$T/big.orig" "$T/big"
  kill_at ${point% *} ${point#* } "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" -j 2 "$T/big"
  [ "$rc" -ne 0 ] && ok || bad "killed at $point: the run reported success"
  old=0; new=0; broken=0
  for i in $(seq 1 24); do
    f=$T/big/s$i.yaml
    if cmp -s "$f" "$T/big.orig/s$i.yaml"; then old=$((old + 1))
    elif "$SK" unseal --key "$KEY" -f "$f" >/dev/null 2>&1; then new=$((new + 1))
    else broken=$((broken + 1)); fi
  done
  echo "killed on entry to call ${point#* } of ${point% *}: $old old, $new new, $broken broken"
  [ "$broken" -eq 0 ] && ok || bad "kill at $point left $broken half-written files"
  [ "$old" -gt 0 ] && ok || bad "kill at $point: no file left old (the kill point is too late)"
  run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/big"
  expect_rc 0 "rerun after the kill at $point"
  ls "$T/big" | grep -q sealkit-tmp && bad "temporary files left after the rerun ($point)" || ok
  for i in $(seq 1 24); do
    "$SK" unseal --key "$KEY" -f "$T/big/s$i.yaml" >/dev/null 2>&1 && ok || bad "s$i not resealed ($point)"
  done
done

# The walk never follows a link, says what it passed over, and removes only what is provably a
# killed run's temporary file: never a folder or a file that merely contains the tag, never under
# --check or --dry-run, and never by a path that goes through a link.
mkdir -p "$T/w/repo/sub" "$T/w/outside" "$T/w/repo/backup.sealkit-tmp.4000000"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: w, namespace: demo}\nstringData: {a: b}\n' |
  "$SK" seal --cert "$OLDCRT" -o yaml >"$T/w/repo/sub/w.yaml"
cp "$T/w/repo/sub/w.yaml" "$T/w/outside/victim.yaml"
cp "$T/w/outside/victim.yaml" "$T/w/victim.orig"
ln -s "$T/w/outside" "$T/w/repo/linked"
echo keep >"$T/w/repo/backup.sealkit-tmp.4000000/data"
echo keep >"$T/w/repo/notes.sealkit-tmp.3999999.txt"
echo stale >"$T/w/repo/sub/w.yaml.sealkit-tmp.2147483646.0"
run "$SK" reseal --check --cert "$CERT" --key "$OLDKEY,$KEY" "$T/w/repo"
expect_rc 1 "--check with work to do"
[ -f "$T/w/repo/sub/w.yaml.sealkit-tmp.2147483646.0" ] && ok || bad "--check removed a file"
run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/w/repo"
expect_rc 0 "reseal beside a linked folder"
expect_err "linked: a symbolic link (never followed); skipped" "the link is named"
cmp -s "$T/w/outside/victim.yaml" "$T/w/victim.orig" && ok || bad "reseal wrote through a link"
[ -f "$T/w/repo/backup.sealkit-tmp.4000000/data" ] && ok || bad "a folder named like a temporary file lost its contents"
[ -f "$T/w/repo/notes.sealkit-tmp.3999999.txt" ] && ok || bad "a file that only contains the tag was removed"
[ ! -e "$T/w/repo/sub/w.yaml.sealkit-tmp.2147483646.0" ] && ok || bad "the stale temporary file was left"
expect_err "removed $T/w/repo/sub/w.yaml.sealkit-tmp.2147483646.0" "the removal is said"

# The value is rewritten where the parser says it is, even when the same base64 stands earlier in
# the file (a last-applied-configuration annotation holding the whole SealedSecret, a comment).
mkdir -p "$T/copies"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: c, namespace: demo}\nstringData: {pw: hunter2}\n' |
  "$SK" seal --cert "$OLDCRT" -o json >"$T/copies/sealed.json"
python3 - "$T/copies/sealed.json" "$T/copies/with-copy.yaml" "$T/copies/with-copy.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
blob = doc["spec"]["encryptedData"]["pw"]
copy = json.dumps(doc, separators=(",", ":"))
with open(sys.argv[2], "w") as f:
    f.write("# the old value, for the record: %s\n" % blob)
    f.write("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  annotations:\n")
    f.write("    kubectl.kubernetes.io/last-applied-configuration: '%s'\n" % copy)
    f.write("  name: c\n  namespace: demo\nspec:\n  encryptedData:\n    pw: %s\n" % blob)
    f.write("  template:\n    metadata: {name: c, namespace: demo}\n")
doc["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": copy}
json.dump(doc, open(sys.argv[3], "w"), indent=2)
PY
cp "$T/copies/with-copy.json" "$T/copies/json.orig"
run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/copies/with-copy.yaml"
expect_rc 0 "reseal a YAML file that holds copies of the value"
run "$SK" unseal --key "$KEY" -f "$T/copies/with-copy.yaml"
expect_rc 0 "spec.encryptedData opens with the new key alone"
head -1 "$T/copies/with-copy.yaml" | grep -qF "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["spec"]["encryptedData"]["pw"])' "$T/copies/sealed.json")" &&
  ok || bad "the comment was rewritten instead of (or as well as) the value"
# JSON keeps no positions: two copies of the value make the file a refusal, never a guess.
fails 1 "appears more than once" "reseal a JSON file that holds a copy of the value" \
  "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/copies/with-copy.json"
cmp -s "$T/copies/with-copy.json" "$T/copies/json.orig" && ok || bad "the refused JSON file changed"

finish
