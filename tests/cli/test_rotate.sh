#!/usr/bin/env bash
# sealkit rotate: does nothing while the newest key is young, rotates when it is old (clock
# injected with --now), finishes an interrupted run, and refuses to run twice at once.
source "$(dirname "$0")/lib.sh"
OLDSECRET=$IOP/keys/old/sealed-secrets-key.yaml   # notBefore 2026-09-26T19:40:40Z
OLDCRT=$IOP/keys/old/tls.crt

mkdir -p "$T/keys" "$T/repo"
cp "$OLDSECRET" "$T/keys/" && chmod 600 "$T/keys/sealed-secrets-key.yaml"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: demo}\nstringData: {pw: s3cret, user: bob}\n' >"$T/s.yaml"
"$SK" seal --cert "$OLDCRT" -o yaml -f "$T/s.yaml" -w "$T/repo/app.yaml"
cp "$T/repo/app.yaml" "$T/app.orig"

rot() { run "$SK" rotate --keys "$T/keys" --max-age 30d --bits 2048 -j 2 "$@" "$T/repo"; }

# A missing or empty key folder is a mistake unless --init says it is the first run.
fails 1 "no key in $T/nokeys" "a key folder that does not exist" \
  "$SK" rotate --keys "$T/nokeys" --max-age 30d --bits 2048 "$T/repo"
[ ! -e "$T/nokeys" ] && ok || bad "rotate created a mistyped key folder"
# --init over a repository that already holds SealedSecrets: no key could open them.
run "$SK" rotate --keys "$T/nokeys" --init --max-age 30d --bits 2048 "$T/repo"
expect_rc 1 "--init over sealed files"
expect_err "no key was made" "--init over sealed files"
expect_no_stdout "--init over sealed files"
[ -z "$(ls -A "$T/nokeys" | grep -v '^\.sealkit-rotate\.lock$')" ] && ok || bad "--init made a key: $(ls -A "$T/nokeys")"
# --init over an empty repository: the first key, announced.
mkdir -p "$T/emptyrepo"
run "$SK" rotate --keys "$T/initkeys" --init --max-age 30d --bits 2048 "$T/emptyrepo"
expect_rc 4 "--init over an empty repository"
[ "$(ls "$T/initkeys" | grep -c '^sealed-secrets-key-.*\.yaml$')" -eq 1 ] && ok || bad "--init: no key made"
[ "$(stat -c %a "$T/initkeys")" = 700 ] && ok || bad "--init: the key folder is not 0700"

# Young key, first run: the repo is already under it; nothing changes but the run is recorded.
rot --now 2026-10-01T00:00:00Z
expect_rc 0 "first run with a young key"
cmp -s "$T/repo/app.yaml" "$T/app.orig" && ok || bad "young key: repo changed"
[ "$(ls "$T/keys" | grep -c '^sealed-secrets-key-')" -eq 0 ] && ok || bad "young key: a key was made"
rot --now 2026-10-02T00:00:00Z
expect_rc 0 "second run with a young key"
expect_err "nothing to do" "young key: nothing to do"

# 55 days later the key is old, but a file in the repo is sealed under a key the folder lacks:
# the preflight stops the run before any key is made.
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: foreign, namespace: demo}\nstringData: {a: b}\n' |
  "$SK" seal --cert "$CERT" -o yaml >"$T/repo/foreign.yaml"
rot --now 2026-11-20T00:00:00Z
expect_rc 1 "preflight with a foreign file"
expect_err "foreign.yaml" "the foreign file is named"
expect_err "1 file cannot be opened with the keys in $T/keys; no key was made" "the preflight says it made nothing"
[ "$(ls "$T/keys" | grep -c '^sealed-secrets-key-')" -eq 0 ] && ok || bad "preflight: a key was made"
rm "$T/repo/foreign.yaml"

# Then: a new key (Secret 0600 + certificate), a resealed repo, exit 4 with "apply it".
rot --now 2026-11-20T00:00:00Z --format json
expect_rc 4 "rotation"
expect_err "apply it to the cluster" "the new key is announced"
cp "$T/out" "$T/rotate.json"
key=$(ls "$T/keys"/sealed-secrets-key-20261120T000000Z.yaml 2>/dev/null || true)
[ -n "$key" ] && ok || bad "no new key Secret in the folder"
[ "$(stat -c %a "$key")" = 600 ] && ok || bad "key Secret must be 0600"
[ -f "$T/keys/sealed-secrets-key-20261120T000000Z.crt" ] && ok || bad "no certificate beside it"
grep -q 'sealedsecrets.bitnami.com/sealed-secrets-key: active' "$key" && ok || bad "key Secret lacks the active label"
run "$SK" unseal --key "$key" -o yaml -f "$T/repo/app.yaml"
expect_rc 0 "repo opens with the new key alone"
grep -q "pw: $(printf s3cret | base64)" "$T/out" && ok || bad "values kept"
run "$SK" unseal --key "$IOP/keys/old/tls.key" -f "$T/repo/app.yaml"
expect_rc 1 "repo no longer opens with the old key"
cp "$T/repo/app.yaml" "$T/app.new"
python3 - "$T/rotate.json" "$key" <<'PY' && ok || bad "rotate --format json report: $(cat "$T/rotate.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["rotated"] is True and r["key"] == sys.argv[2], r
assert r["fingerprint"].startswith("SHA256:") and r["files_changed"] == 1, r
assert r["items_resealed"] == 2 and r["failed"] == 0, r
PY
run "$SK" keys list --newest "$T/keys"
expect_rc 0 "keys list --newest"
[ "$(cat "$T/out")" = "$key" ] && ok || bad "keys list --newest printed $(cat "$T/out"), not $key"

# The day after: nothing to do, nothing touched; -q says nothing; hours are printed as hours.
rot --now 2026-11-21T00:00:00Z
expect_rc 0 "after rotation"
expect_err "nothing to do" "fresh key: nothing to do"
expect_err "newest key is 1d old (max 30d)" "ages in days"
run "$SK" rotate --keys "$T/keys" --max-age 40h --bits 2048 -q --now 2026-11-21T12:00:00Z "$T/repo"
expect_rc 0 "quiet, nothing to do"
[ ! -s "$T/err" ] && [ ! -s "$T/out" ] && ok || bad "-q printed something: $(cat "$T/err")"
run "$SK" rotate --keys "$T/keys" --max-age 40h --bits 2048 --now 2026-11-21T12:00:00Z "$T/repo"
expect_err "newest key is 36h old (max 40h)" "ages in hours"
cmp -s "$T/repo/app.yaml" "$T/app.new" && ok || bad "fresh key: repo changed"

# An interrupted run (key made, reseal not finished) is finished by the next run.
cp "$T/app.orig" "$T/repo/app.yaml"
rm "$T/keys/.sealkit-rotate-done"
rot --now 2026-11-22T00:00:00Z
expect_rc 4 "resume"
expect_err "apply it to the cluster" "the key made by the interrupted run is announced again"
run "$SK" unseal --key "$key" -f "$T/repo/app.yaml"
expect_rc 0 "resume resealed the repo under the newest key"
[ "$(ls "$T/keys" | grep -c '\.yaml$')" -eq 2 ] && ok || bad "resume must not make another key"

# Two runs at once: the second one stops with exit 3. flock(1) holds the lock for exactly as
# long as the run it starts, so no timing is involved.
run flock "$T/keys/.sealkit-rotate.lock" "$SK" rotate --keys "$T/keys" --max-age 30d --bits 2048 \
  --now 2027-06-01T00:00:00Z "$T/repo"
expect_rc 3 "locked"
expect_err "another sealkit rotate is running" "lock message"

# A link in the repository is work the rotation cannot do: the run fails, names it and is not
# marked done (the next run tries again), unless it is excluded on the command line or in the
# repository's .sealkitignore.
mkdir -p "$T/lk/keys" "$T/lk/repo" "$T/lk/outside"
cp "$OLDSECRET" "$T/lk/keys/" && chmod 600 "$T/lk/keys/sealed-secrets-key.yaml"
cp "$T/app.orig" "$T/lk/repo/app.yaml"
cp "$T/app.orig" "$T/lk/outside/victim.yaml"
ln -s "$T/lk/outside" "$T/lk/repo/vendored"
lrot() { run "$SK" rotate --keys "$T/lk/keys" --max-age 30d --bits 2048 -j 2 --now 2027-01-01T00:00:00Z "$@" "$T/lk/repo"; }
lrot
expect_rc 1 "a link in the repository fails the rotation"
expect_err "vendored: a symbolic link (never followed); not processed" "the link is named"
expect_err "1 path not processed; no key was made" "the preflight finds the link before a key is made, and does not call it unopened"
[ "$(ls "$T/lk/keys" | grep -c '\.yaml$')" -eq 1 ] && ok || bad "a key was made despite the link"
[ ! -e "$T/lk/keys/.sealkit-rotate-done" ] && ok || bad "a rotation that passed over a link was marked done"
cmp -s "$T/lk/outside/victim.yaml" "$T/app.orig" && ok || bad "rotate wrote through a link"
lrot --exclude vendored --format json
expect_rc 4 "the link excluded: the rotation completes"
python3 - "$T/out" <<'PY' && ok || bad "json after an excluded link: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["rotated"] is True and r["failed"] == 0 and r["files_changed"] == 1, r
assert r["excluded"] == 1, r
PY
rm "$T/lk/keys/.sealkit-rotate-done"
echo vendored >"$T/lk/repo/.sealkitignore"
lrot
expect_rc 4 "the link in .sealkitignore: the rotation completes (and announces the key again)"
cmp -s "$T/lk/outside/victim.yaml" "$T/app.orig" && ok || bad "rotate wrote through an excluded link"

# Helm templates are passed over by the preflight and the reseal, and counted; a file that names a
# SealedSecret and does not parse stops the preflight before any key is made.
mkdir -p "$T/hm/keys" "$T/hm/repo"
cp "$OLDSECRET" "$T/hm/keys/" && chmod 600 "$T/hm/keys/sealed-secrets-key.yaml"
cp "$T/app.orig" "$T/hm/repo/app.yaml"
printf 'kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  {{- if .Values.x }}\n' >"$T/hm/repo/cm.yaml"
run "$SK" rotate --keys "$T/hm/keys" --max-age 30d --bits 2048 --now 2027-01-01T00:00:00Z --format json "$T/hm/repo"
expect_rc 4 "a Helm template beside the SealedSecrets"
expect_err "1 skipped (not YAML or JSON" "the template is counted in the summary"
python3 - "$T/out" <<'PY' && ok || bad "json with a Helm template: $(cat "$T/out")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["rotated"] is True and r["files_skipped"] == 1 and r["files_changed"] == 1 and r["failed"] == 0, r
PY
printf 'kind: SealedSecret\nmetadata:\n  name: {{ .Release.Name }}\n  {{- if .Values.x }}\n' >"$T/hm/repo/cm.yaml"
run "$SK" rotate --keys "$T/hm/keys" --max-age 30d --bits 2048 --now 2027-03-01T00:00:00Z "$T/hm/repo"
expect_rc 1 "a SealedSecret that does not parse"
expect_err "hm/repo/cm.yaml: document 1" "the broken file is named"
expect_err "no key was made" "the preflight stopped it"
[ "$(ls "$T/hm/keys" | grep -c '\.yaml$')" -eq 2 ] && ok || bad "a key was made despite the broken file"

# A key file others can read is warned about, with the fix.
mkdir -p "$T/wk/keys" "$T/wk/repo"
cp "$OLDSECRET" "$T/wk/keys/" && chmod 644 "$T/wk/keys/sealed-secrets-key.yaml"
run "$SK" rotate --keys "$T/wk/keys" --max-age 3650d --bits 2048 --now 2027-01-01T00:00:00Z "$T/wk/repo"
expect_err "sealed-secrets-key.yaml: private key file is readable by others (mode 0644); fix: chmod 600" "an exposed key file"

fails 2 "--max-age given twice" "rotate --max-age twice" \
  "$SK" rotate --keys "$T/keys" --max-age 1d --max-age 2d "$T/repo"
fails 2 "--keys given twice" "rotate --keys twice" \
  "$SK" rotate --keys "$T/keys" --keys "$T/other" --max-age 1d "$T/repo"
run "$SK" rotate --keys "$T/keys" --max-age 1d --exclude a --exclude b --now 2026-09-27T00:00:00Z "$T/repo"
[ "$rc" -ne 2 ] && ok || bad "--exclude is repeatable: $(cat "$T/err")"
fails 2 "--max-age" "no max age" "$SK" rotate --keys "$T/keys" "$T/repo"
fails 2 "--bits" "bad bits" "$SK" rotate --keys "$T/keys" --max-age 1d --bits 1024 "$T/repo"
fails 2 "--now" "bad clock" "$SK" rotate --keys "$T/keys" --max-age 1d --now yesterday "$T/repo"

finish
