#!/usr/bin/env bash
# sealkit reseal: old key to new key, in place, only sealed values change, idempotent.
source "$(dirname "$0")/lib.sh"
OLDCRT=$IOP/keys/old/tls.crt
OLDKEY=$IOP/keys/old/tls.key

mkdir -p "$T/repo/sub"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: demo}\nstringData: {x: one, z: two}\n' >"$T/a.yaml"
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
expect_rc 4 "--check finds work"
cmp -s "$T/repo/mixed.yaml" "$T/mixed.orig" && ok || bad "--check wrote"

run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/repo"
expect_rc 0 "reseal repo"
expect_err "3 items resealed" "reseal summary"
cmp -s "$T/repo/plain.yaml" "$T/plain.orig" && ok || bad "non-sealed file changed"
# Only the blob lines differ.
diff "$T/mixed.orig" "$T/repo/mixed.yaml" | grep '^[<>]' | grep -v -E '^[<>]     "?(x|z)"?: Ag' && bad "reseal changed other lines" || ok
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

# A worker killed on one file loses that file only: the other worker takes every file not yet
# taken (dealt out in advance, the dead worker's later files were lost with it).
rm -rf "$T/big" && cp -r "$T/big.orig" "$T/big"
set +e
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -o /dev/null -P s5.yaml \
  -e trace=rename,renameat,renameat2 -e inject=rename,renameat,renameat2:signal=KILL:when=1 \
  "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" -j 2 "$T/big" >/dev/null 2>"$T/err"
rc=$?
set -e
expect_rc 1 "a worker killed on s5"
expect_err "s5.yaml: not processed (its worker died)" "a worker killed on s5"
left=$(for i in $(seq 1 24); do if cmp -s "$T/big/s$i.yaml" "$T/big.orig/s$i.yaml"; then echo "s$i"; fi; done)
[ "$left" = s5 ] && ok || bad "a worker killed on s5 left these files old: $left"

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
run "$SK" reseal --check --cert "$CERT" --key "$OLDKEY,$KEY" --exclude linked "$T/w/repo"
expect_rc 4 "--check with work to do"
[ -f "$T/w/repo/sub/w.yaml.sealkit-tmp.2147483646.0" ] && ok || bad "--check removed a file"
# A link in the tree is work not done: it fails the run, by name, unless excluded.
run "$SK" reseal --check --cert "$CERT" --key "$OLDKEY,$KEY" "$T/w/repo"
expect_rc 1 "--check beside a link that is not excluded"
run "$SK" reseal --dry-run --cert "$CERT" --key "$OLDKEY,$KEY" "$T/w/repo"
expect_rc 1 "reseal beside a linked folder that is not excluded"
expect_err "linked: a symbolic link (never followed); not processed (pass --exclude" "the link is named"
expect_err "1 not processed" "the link is counted in the summary"
run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" --exclude linked "$T/w/repo"
expect_rc 0 "reseal beside a linked folder, excluded"
expect_err "1 excluded" "the exclusion is counted"
cmp -s "$T/w/outside/victim.yaml" "$T/w/victim.orig" && ok || bad "reseal wrote through a link"
[ -f "$T/w/repo/backup.sealkit-tmp.4000000/data" ] && ok || bad "a folder named like a temporary file lost its contents"
[ -f "$T/w/repo/notes.sealkit-tmp.3999999.txt" ] && ok || bad "a file that only contains the tag was removed"
[ ! -e "$T/w/repo/sub/w.yaml.sealkit-tmp.2147483646.0" ] && ok || bad "the stale temporary file was left"
expect_err "removed $T/w/repo/sub/w.yaml.sealkit-tmp.2147483646.0" "the removal is said"
expect_err "1 stale temporary files removed" "the removal is counted in the summary"

# Exclusions: --exclude GLOB (a name anywhere, a path below the named folder, folders only with a
# trailing '/') and the repository's own .sealkitignore; an excluded folder is not entered.
mkdir -p "$T/ex/repo/charts/app" "$T/ex/repo/apps/prod" "$T/ex/repo/keep"
for f in charts/app/s.yaml apps/prod/s.yaml apps/prod/t.tpl.yaml keep/s.yaml; do
  printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: e, namespace: demo}\nstringData: {a: b}\n' |
    "$SK" seal --cert "$OLDCRT" -o yaml >"$T/ex/repo/$f"
done
ln -s /etc "$T/ex/repo/apps/etc-link"
run "$SK" reseal --check --format json --cert "$CERT" --key "$OLDKEY,$KEY" --exclude charts/ \
  --exclude '*.tpl.yaml' --exclude apps/etc-link "$T/ex/repo"
expect_rc 4 "--exclude: the rest would change"
python3 - "$T/out" <<'PY' && ok || bad "--exclude: wrong files: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))
got = sorted(f["path"].split("/ex/repo/")[1] for f in r["files"])
assert got == ["apps/prod/s.yaml", "keep/s.yaml"], got
assert r["totals"]["excluded"] == 3 and r["totals"]["not_processed"] == 0, r["totals"]
assert r["not_processed"] == [], r
PY
printf '# ours\ncharts/\n\n*.tpl.yaml\n/apps/etc-link\n' >"$T/ex/repo/.sealkitignore"
run "$SK" reseal --check --cert "$CERT" --key "$OLDKEY,$KEY" "$T/ex/repo"
expect_rc 4 ".sealkitignore: the rest would change"
expect_err "3 excluded" ".sealkitignore's patterns are applied"
grep -q "charts\|tpl" "$T/out" && bad ".sealkitignore: an excluded file was listed: $(cat "$T/out")" || ok
# A pattern with a '/' matches below the named folder only, not a name anywhere.
run "$SK" reseal --check --cert "$CERT" --key "$OLDKEY,$KEY" --exclude prod/s.yaml "$T/ex/repo"
grep -q "apps/prod/s.yaml" "$T/out" && ok || bad "a path pattern matched a subpath: $(cat "$T/out")"
# An ignore file that is a link is never followed: the run fails and says so.
rm "$T/ex/repo/.sealkitignore"
ln -s /etc/hostname "$T/ex/repo/.sealkitignore"
fails 1 ".sealkitignore: cannot read (a symbolic link, never followed)" "a linked ignore file" \
  "$SK" reseal --check --cert "$CERT" --key "$OLDKEY,$KEY" "$T/ex/repo"

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
# An escape libyaml cannot read (a surrogate pair): no positions for this JSON text.
doc["metadata"]["annotations"]["note"] = "\U0001F600"
json.dump(doc, open(sys.argv[3].replace(".json", "-emoji.json"), "w"), indent=2)
PY
cp "$T/copies/with-copy.json" "$T/copies/json.orig"
run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/copies/with-copy.yaml"
expect_rc 0 "reseal a YAML file that holds copies of the value"
run "$SK" unseal --key "$KEY" -f "$T/copies/with-copy.yaml"
expect_rc 0 "spec.encryptedData opens with the new key alone"
head -1 "$T/copies/with-copy.yaml" | grep -qF "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["spec"]["encryptedData"]["pw"])' "$T/copies/sealed.json")" &&
  ok || bad "the comment was rewritten instead of (or as well as) the value"
# JSON: libyaml reads the text too and says where each value is; the annotation's copy stays.
run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/copies/with-copy.json"
expect_rc 0 "reseal a JSON file that holds a copy of the value"
run "$SK" unseal --key "$KEY" -f "$T/copies/with-copy.json"
expect_rc 0 "the JSON file's spec.encryptedData opens with the new key alone"
python3 - "$T/copies/json.orig" "$T/copies/with-copy.json" <<'PY' && ok || bad "JSON: something besides the sealed values changed"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["metadata"] == b["metadata"], "the annotation changed"
assert a["spec"]["encryptedData"]["pw"] != b["spec"]["encryptedData"]["pw"]
lines = lambda p: [l for l in open(p) if '"pw"' not in l]
assert lines(sys.argv[1]) == lines(sys.argv[2]), "a line besides the value's changed"
PY
# Where libyaml cannot read the JSON text, two copies of the value are a refusal, never a guess.
cp "$T/copies/with-copy-emoji.json" "$T/copies/emoji.orig"
fails 1 "appears more than once" "reseal a JSON file that holds a copy, unreadable for libyaml" \
  "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/copies/with-copy-emoji.json"
cmp -s "$T/copies/with-copy-emoji.json" "$T/copies/emoji.orig" && ok || bad "the refused JSON file changed"

# Unattended runs over trees others push to (as root, from cron): each file is read and replaced
# through a handle on its folder, and only while it is still the file that was read.
# stop_at SYSCALL N CMD...: starts CMD in the background (stdout in $T/out, stderr in $T/err)
# under strace, which stops it with SIGSTOP right after its Nth call of SYSCALL; returns once it
# is stopped (strace logs the group stop), its pid in $stopped. resume: continues it and waits;
# its exit code in $rc. No timing involved: the swap is made while the process is stopped.
# (LeakSanitizer cannot run under ptrace: an ASan build's leak check is off for these runs.)
stop_at() {
  local call=$1 n=$2 i
  shift 2
  rm -f "$T/stop.log"
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -o "$T/stop.log" -e trace="$call" -e inject="$call":signal=STOP:when="$n" "$@" \
    >"$T/out" 2>"$T/err" &
  stop_tracer=$!
  stopped=
  for i in $(seq 1 1200); do
    stopped=$(awk '/--- stopped by SIGSTOP ---/ {print $1; exit}' "$T/stop.log" 2>/dev/null || true)
    [ -n "$stopped" ] && return 0
    kill -0 "$stop_tracer" 2>/dev/null || break
    sleep 0.05
  done
  return 1
}
resume() {
  [ -n "$stopped" ] && kill -CONT "$stopped"
  set +e
  wait "$stop_tracer"
  rc=$?
  set -e
}
sealed_w() { # sealed_w FILE: a SealedSecret under the old key
  printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: w, namespace: demo}\nstringData: {a: b}\n' |
    "$SK" seal --cert "$OLDCRT" -o yaml >"$1"
}
opens_new() { "$SK" unseal --key "$KEY" -f "$1" >/dev/null 2>&1; }
no_temps_in() { find "$1" -name '*.sealkit-tmp.*' | grep -q . && bad "$2: temporary files left in $1" || ok; }

if command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null; then
  # A folder swapped for a link to a folder outside the tree after the walk (stopped after the
  # walk, on the pipe to the workers): the file below it is refused and named, nothing outside
  # is written, the other files proceed.
  mkdir -p "$T/sw/repo/sub" "$T/sw/outside"
  sealed_w "$T/sw/repo/a.yaml"
  sealed_w "$T/sw/repo/sub/w.yaml"
  cp "$T/sw/repo/sub/w.yaml" "$T/sw/outside/w.yaml"
  cp "$T/sw/outside/w.yaml" "$T/sw/victim.orig"
  if stop_at pipe2 1 "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" -j 2 "$T/sw/repo"; then
    mv "$T/sw/repo/sub" "$T/sw/repo/sub.aside"
    ln -s "$T/sw/outside" "$T/sw/repo/sub"
    resume
    expect_rc 1 "a folder swapped for a link after the walk"
    expect_err "sw/repo/sub/w.yaml: its folder sub is now a symbolic link or not a folder" "the swapped file is named"
    cmp -s "$T/sw/outside/w.yaml" "$T/sw/victim.orig" && ok || bad "reseal wrote through a folder swapped for a link"
    no_temps_in "$T/sw/outside" "swap after the walk"
    opens_new "$T/sw/repo/a.yaml" && ok || bad "the other file was not resealed"
  else
    resume
    bad "reseal did not stop after the walk: $(cat "$T/stop.log")"
  fi

  # The same swap during the RSA work (stopped on the first fchmod, of the temporary file): the
  # folder handle still holds the folder that was read, so the new version lands there, never
  # through the link.
  rm -rf "$T/sw2" && mkdir -p "$T/sw2/repo/sub" "$T/sw2/outside"
  sealed_w "$T/sw2/repo/sub/w.yaml"
  cp "$T/sw2/repo/sub/w.yaml" "$T/sw2/outside/w.yaml"
  cp "$T/sw2/outside/w.yaml" "$T/sw2/victim.orig"
  if stop_at fchmod 1 "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" -j 1 "$T/sw2/repo"; then
    mv "$T/sw2/repo/sub" "$T/sw2/repo/sub.aside"
    ln -s "$T/sw2/outside" "$T/sw2/repo/sub"
    resume
    expect_rc 0 "a folder swapped for a link during the RSA work"
    cmp -s "$T/sw2/outside/w.yaml" "$T/sw2/victim.orig" && ok || bad "reseal wrote through a folder swapped during the work"
    no_temps_in "$T/sw2/outside" "swap during the work"
    opens_new "$T/sw2/repo/sub.aside/w.yaml" && ok || bad "the file read was not the one replaced"
  else
    resume
    bad "reseal did not stop at its first fchmod: $(cat "$T/stop.log")"
  fi

  # A concurrent edit (a git pull) between the read and the rename is not reverted: the file is
  # left as edited, reported as failed, and the next run reseals it with the edit.
  rm -rf "$T/ce" && mkdir -p "$T/ce"
  sealed_w "$T/ce/w.yaml"
  if stop_at fchmod 1 "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" -j 1 --format json "$T/ce"; then
    echo "# pulled meanwhile" >>"$T/ce/w.yaml"
    cp "$T/ce/w.yaml" "$T/ce.edited"
    resume
    expect_rc 1 "a file edited while it was resealed"
    python3 - "$T/out" <<'PY' && ok || bad "json report of the concurrent edit: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))
(f,) = r["files"]
assert f["status"] == "failed", f
assert "changed while it was being rewritten; left for the next run" in f["error"], f
assert r["totals"]["files_failed"] == 1 and r["totals"]["files_changed"] == 0, r["totals"]
PY
    cmp -s "$T/ce/w.yaml" "$T/ce.edited" && ok || bad "the concurrent edit was reverted"
    no_temps_in "$T/ce" "concurrent edit"
    run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/ce"
    expect_rc 0 "the next run reseals the edited file"
    grep -q "^# pulled meanwhile" "$T/ce/w.yaml" && opens_new "$T/ce/w.yaml" && ok || bad "the next run lost the edit or did not reseal"
  else
    resume
    bad "reseal did not stop at its first fchmod: $(cat "$T/stop.log")"
  fi
else
  skip_part "strace cannot trace here: the swap and concurrent-edit races are not run"
fi

# A file with another hard link is left alone and reported (also by --dry-run); one that needs
# no change is not a failure.
mkdir -p "$T/hl/repo"
sealed_w "$T/hl/repo/a.yaml"
ln "$T/hl/repo/a.yaml" "$T/hl/a-elsewhere.yaml"
cp "$T/hl/repo/a.yaml" "$T/hl/a.orig"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: nw, namespace: demo}\nstringData: {a: b}\n' |
  "$SK" seal --cert "$CERT" -o yaml >"$T/hl/repo/new.yaml"
ln "$T/hl/repo/new.yaml" "$T/hl/new-elsewhere.yaml"
ino=$(stat -c %i "$T/hl/repo/a.yaml")
run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/hl/repo"
expect_rc 1 "a hard-linked file fails the run"
expect_err "hl/repo/a.yaml: has 2 hard links; resealing it would split them" "the hard link is said"
[ "$(grep -c '^sealkit: error: ' "$T/err")" -eq 1 ] && ok || bad "expected one error line (the hard-linked file needing no change is no failure): $(cat "$T/err")"
[ "$(stat -c %i:%h "$T/hl/repo/a.yaml")" = "$ino:2" ] && ok || bad "the hard link was split"
cmp -s "$T/hl/a-elsewhere.yaml" "$T/hl/a.orig" && cmp -s "$T/hl/repo/a.yaml" "$T/hl/a.orig" && ok || bad "a hard-linked file changed"
run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" --dry-run --format json "$T/hl/repo"
expect_rc 1 "--dry-run reports the hard link"
python3 - "$T/out" <<'PY' && ok || bad "json report of the hard link: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))
st = {f["path"].rsplit("/", 1)[1]: f for f in r["files"]}
assert st["a.yaml"]["status"] == "failed", st
assert st["a.yaml"]["error"] == "has 2 hard links; resealing it would split them", st
assert st["new.yaml"]["status"] == "unchanged", st
PY

# Run as root, the new version keeps the file's owner and group as well as its mode; as another
# user, a file it cannot give back to its owner is left alone and reported, never taken over.
if [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$T/own"
  sealed_w "$T/own/f.yaml"
  chown 1234:5678 "$T/own/f.yaml"
  chmod 0640 "$T/own/f.yaml"
  run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/own"
  expect_rc 0 "reseal a file owned by someone else, as root"
  [ "$(stat -c %u:%g:%a "$T/own/f.yaml")" = "1234:5678:640" ] && ok || bad "owner, group or mode lost: $(stat -c %u:%g:%a "$T/own/f.yaml")"
  opens_new "$T/own/f.yaml" && ok || bad "the owned file was not resealed"
else
  skip_part "not root: the owner and group cases need chown"
fi
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  mkdir -p "$T/np/repo"
  cp "$OLDKEY" "$T/np/old.key"
  cp "$KEY" "$T/np/new.key"
  cp "$CERT" "$T/np/new.crt"
  chmod 0644 "$T/np/old.key" "$T/np/new.key" "$T/np/new.crt"
  sealed_w "$T/np/repo/theirs.yaml"
  sealed_w "$T/np/repo/mine.yaml"
  chown 1234:5678 "$T/np/repo/theirs.yaml"
  chown 65534:65534 "$T/np/repo/mine.yaml"
  chmod 0666 "$T/np/repo/theirs.yaml" "$T/np/repo/mine.yaml"
  chmod 0777 "$T/np/repo"
  cp "$T/np/repo/theirs.yaml" "$T/np/theirs.orig"
  chmod 0755 "$T"
  run setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$SK" reseal --cert "$T/np/new.crt" --key "$T/np/old.key,$T/np/new.key" "$T/np/repo"
  chmod 0700 "$T"
  expect_rc 1 "not root: a file owned by someone else"
  expect_err "theirs.yaml: cannot give the new version its owner and group (1234:5678)" "the owner is said"
  cmp -s "$T/np/repo/theirs.yaml" "$T/np/theirs.orig" && ok || bad "a file of someone else's was rewritten"
  [ "$(stat -c %u:%g "$T/np/repo/theirs.yaml")" = "1234:5678" ] && ok || bad "a file changed hands"
  opens_new "$T/np/repo/mine.yaml" && ok || bad "the user's own file was not resealed"
  [ "$(stat -c %u:%g:%a "$T/np/repo/mine.yaml")" = "65534:65534:666" ] && ok || bad "the user's own file changed owner or mode"
  no_temps_in "$T/np/repo" "not root"
else
  skip_part "not root or no setpriv: the case of another user's file is not run"
fi

# Repositories as they are: a Helm template is passed over with a count; a file that names a
# SealedSecret but does not parse still fails. And resealing without the new certificate's key
# among --key is said: the next run could not recognise what this one wrote.
mkdir -p "$T/helm/templates"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: h, namespace: demo}\nstringData: {a: b}\n' |
  "$SK" seal --cert "$OLDCRT" -o yaml >"$T/helm/sealed.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\n{{- if .Values.x }}\ndata: {a: b}\n{{- end }}\n' >"$T/helm/templates/cm.yaml"
run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/helm"
expect_rc 0 "a Helm template beside a SealedSecret"
expect_err "1 skipped" "the template is counted as skipped"
printf 'kind: SealedSecret\nspec: {encryptedData: {a: [}\n' >"$T/helm/broken.yaml"
run "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" "$T/helm"
expect_rc 1 "a SealedSecret that does not parse"
expect_err "broken.yaml" "the broken SealedSecret is named"
rm "$T/helm/broken.yaml"
"$SK" seal --cert "$OLDCRT" -o yaml -f "$T/a.yaml" -w "$T/helm/again.yaml"
run "$SK" reseal --cert "$CERT" --key "$OLDKEY" "$T/helm"
expect_err "is not among --key" "a reseal whose new key is not among --key is warned about"

# Single-value options given twice are an error, never "the last wins"; a kubeseal flag gets a hint.
fails 2 "--cert given twice" "reseal --cert twice" "$SK" reseal --cert "$CERT" --cert "$OLDCRT" --key "$KEY" "$T/repo"
fails 2 "-j/--jobs given twice" "reseal -j twice" "$SK" reseal --cert "$CERT" --key "$KEY" -j 2 -j 3 "$T/repo"
fails 2 "--shard given twice" "reseal --shard twice" "$SK" reseal --cert "$CERT" --key "$KEY" --shard 0/2 --shard 1/2 "$T/repo"
run "$SK" reseal --re-encrypt
expect_rc 2 "kubeseal's --re-encrypt"
expect_err "sealkit reseal" "the hint names the sealkit command"
# Names from the repository are printed with control characters escaped.
mkdir -p "$T/esc"
ln -s /etc "$T/esc/x$(printf '\033')[2Jy.yaml"
run "$SK" reseal --check --cert "$CERT" --key "$KEY" "$T/esc"
expect_rc 1 "a link with an escape sequence in its name"
grep -q "$(printf '\033')" "$T/err" && bad "an escape sequence reached the terminal: $(cat -v "$T/err")" || ok
expect_err "symbolic link (never followed)" "the link is still named"

finish
