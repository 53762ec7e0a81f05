#!/usr/bin/env bash
# Sharded reseals: N jobs at once over one checkout (reseal --shard K/N, and rotate's mint, reseal
# and finish steps) partition the files exactly: each file resealed by one shard, every item
# opening under the new key only, a plain run afterwards writing nothing; and a file's shard is
# the same in any checkout.
source "$(dirname "$0")/lib.sh"
OLDSECRET=$IOP/keys/old/sealed-secrets-key.yaml
OLDCRT=$IOP/keys/old/tls.crt
OLDKEY=$IOP/keys/old/tls.key

# 30 SealedSecrets in nested folders, under the old key.
mkdir -p "$T/repo"
for i in $(seq 1 30); do
  d="$T/repo/team$((i % 4))/app$((i % 3))"
  mkdir -p "$d"
  printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: s%s, namespace: demo}\nstringData: {a: "%s", b: x}\n' "$i" "$i" |
    "$SK" seal --cert "$OLDCRT" -o yaml >"$d/s$i.yaml"
done
total=30

# The new key, as a rotation makes it.
mkdir -p "$T/keys"
cp "$OLDSECRET" "$T/keys/" && chmod 600 "$T/keys/sealed-secrets-key.yaml"
run "$SK" rotate --keys "$T/keys" --max-age 30d --bits 2048 --now 2030-01-01T00:00:00Z --step mint "$T/repo"
expect_rc 0 "--step mint"
expect_err "now run the reseal jobs" "the mint step says what comes next"
newkey=$("$SK" keys list --newest "$T/keys")
newcrt=${newkey%.yaml}.crt
[ -f "$newcrt" ] && ok || bad "no certificate beside $newkey"

# reseal --shard K/N: N processes at once; each lists what it resealed.
for n in 1 2 3 7; do
  rm -rf "$T/r$n" && cp -a "$T/repo" "$T/r$n"
  pids=()
  for k in $(seq 0 $((n - 1))); do
    "$SK" reseal --cert "$newcrt" --key "$OLDKEY,$newkey" --shard "$k/$n" -j 2 --format json \
      "$T/r$n" >"$T/out.$n.$k" 2>"$T/err.$n.$k" &
    pids+=($!)
  done
  failed_jobs=0
  for p in "${pids[@]}"; do wait "$p" || failed_jobs=$((failed_jobs + 1)); done
  [ "$failed_jobs" -eq 0 ] && ok || bad "$n shards: $failed_jobs jobs failed: $(grep -h "error" "$T"/err.$n.*)"
  python3 - "$T/r$n" "$n" "$total" "$T"/out.$n.* <<'PY' && ok || bad "$n shards do not partition the files"
import json, sys
root, n, total, outs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
seen = {}
for o in outs:
    r = json.load(open(o))
    assert r["totals"]["files"] + r["totals"]["other_shards"] == total, r["totals"]
    for f in r["files"]:
        assert f["status"] == "resealed", f
        assert f["path"] not in seen, "resealed twice: " + f["path"]
        seen[f["path"]] = o
assert len(seen) == total, "resealed %d of %d" % (len(seen), total)
if n > 1:
    assert all(json.load(open(o))["totals"]["files"] < total for o in outs), "one shard took all"
PY
  # Every item opens under the new key, and none under the old one; a plain run writes nothing.
  run "$SK" reseal --check --cert "$newcrt" --key "$newkey" "$T/r$n"
  expect_rc 0 "$n shards: every item opens under the new key"
  run "$SK" reseal --check --format json --cert "$newcrt" --key "$OLDKEY" "$T/r$n"
  python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; assert t["files_failed"] == int(sys.argv[2]), t' \
    "$T/out" "$total" && ok || bad "$n shards: the old key still opens something"
  run "$SK" reseal --format json --cert "$newcrt" --key "$OLDKEY,$newkey" "$T/r$n"
  python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; assert t["files_changed"] == 0 and t["files"] == int(sys.argv[2]), t' \
    "$T/out" "$total" && ok || bad "$n shards: a plain run afterwards wrote something"
done

# A file's shard depends on its path below the named folder only: two checkouts agree.
mkdir -p "$T/x" "$T/y/deeper"
cp -a "$T/repo" "$T/x/repo"
cp -a "$T/repo" "$T/y/deeper/other-name"
for k in 0 1 2; do
  for c in x/repo y/deeper/other-name; do
    "$SK" reseal --dry-run --format json --cert "$newcrt" --key "$OLDKEY" --shard "$k/3" "$T/$c" |
      python3 -c 'import json,sys; p=sys.argv[1]; print(sorted(f["path"][len(p)+1:] for f in json.load(sys.stdin)["files"]))' "$T/$c" \
      >"$T/shard.$k.${c%%/*}"
  done
  cmp -s "$T/shard.$k.x" "$T/shard.$k.y" && ok || bad "shard $k/3 differs between checkouts: $(cat "$T/shard.$k.x" "$T/shard.$k.y")"
  [ "$(cat "$T/shard.$k.x")" != "[]" ] && ok || bad "shard $k/3 is empty"
done

# rotate's steps with 3 reseal jobs at once, and the finish that checks them.
rm -rf "$T/k3" "$T/rot" && mkdir -p "$T/k3" && cp "$OLDSECRET" "$T/k3/" && chmod 600 "$T/k3/sealed-secrets-key.yaml" && cp -a "$T/repo" "$T/rot"
step() { "$SK" rotate --keys "$T/k3" --max-age 30d --bits 2048 --now 2030-01-01T00:00:00Z "$@" "$T/rot"; }
run step --step reseal --shard 0/3
expect_rc 1 "a reseal step before the mint"
expect_err "run --step mint first" "the reseal step says why"
run step --step mint
expect_rc 0 "mint"
run step --step finish
expect_rc 1 "a finish before the reseal jobs"
expect_err "files are not resealed to the newest key yet" "the finish says why"
pids=()
for k in 0 1 2; do step --step reseal --shard "$k/3" --format json >"$T/rot.$k" 2>"$T/rot.err.$k" & pids+=($!); done
failed_jobs=0
for p in "${pids[@]}"; do wait "$p" || failed_jobs=$((failed_jobs + 1)); done
[ "$failed_jobs" -eq 0 ] && ok || bad "rotate reseal jobs failed: $(cat "$T"/rot.err.*)"
python3 - "$total" "$T"/rot.[0-2] <<'PY' && ok || bad "rotate's reseal jobs did not split the files"
import json, sys
rs = [json.load(open(f)) for f in sys.argv[2:]]
assert sum(r["files_changed"] for r in rs) == int(sys.argv[1]), rs
assert not any(r["rotated"] for r in rs), "a reseal job announced the key"
PY
run step --step finish --format json
expect_rc 4 "the finish announces the key"
expect_err "apply it to the cluster" "the finish's announcement"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["rotated"] and r["files_changed"] == 0, r' "$T/out" \
  && ok || bad "finish report: $(cat "$T/out")"
run step --step finish
expect_rc 0 "a second finish: nothing to do"

fails 2 "--shard needs K/N" "shard out of range" "$SK" reseal --cert "$newcrt" --key "$OLDKEY" --shard 3/3 "$T/repo"
fails 2 "--shard needs K/N" "shard not a pair" "$SK" reseal --cert "$newcrt" --key "$OLDKEY" --shard 1 "$T/repo"
fails 2 "--shard goes with --step reseal" "rotate --shard without the step" step --shard 0/2

finish
