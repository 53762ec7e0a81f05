#!/usr/bin/env bash
# sealkit verify end to end: interop cases, diagnosis, default credentials, policies, JSON schema.
source "$(dirname "$0")/lib.sh"
SRC=${SK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
OLDKEY=$IOP/keys/old/tls.key
BACKUP=$IOP/keys/backup-list.yaml
DEVCRT=$SRC/keys/dev-only-controller.crt
DEVKEY=$SRC/keys/dev-only-controller.key
CHECK="python3 $SK_TEST_DATA_DIR/verify/schema_check.py $SRC/docs/verify-schema.json"
: >"$T/all-output" # every stdout and stderr, searched for plaintext at the end
keep() { cat "$T/out" "$T/err" >>"$T/all-output"; }
expect_out() { grep -qF -- "$1" "$T/out" && ok || bad "$2: stdout lacks '$1': $(head -c 400 "$T/out")"; }
expect_not_out() { grep -qF -- "$1" "$T/out" && bad "$2: stdout has '$1'" || ok; }

positive="strict-basic namespace-wide cluster-wide ml-platform ghcr-dockerconfigjson binary-value
          empty-value unicode-value large-256k key-charset old-key"

# ---- every positive interop case is clean, with and without its key ----
mkdir -p "$T/pos"
for c in $positive; do
  f=$IOP/cases/$c/sealed.yaml
  key=$KEY
  [ "$c" = old-key ] && key=$OLDKEY
  run "$SK" verify "$f"; keep
  expect_rc 0 "$c without keys"
  run "$SK" verify --key "$key" "$f"; keep
  expect_rc 0 "$c with its key"
  grep -q ' error: \| warning: ' "$T/out" && bad "$c: error or warning printed" || ok
  cp "$f" "$T/pos/$c.yaml"
done
# A folder of them at once, as JSON: every item opens with the backup (both keys).
run "$SK" verify --key "$BACKUP" --format json "$T/pos"; keep
expect_rc 1 "folder with the backup: old-key is not under the newest key"
cp "$T/out" "$T/report-pos.json"
python3 - "$T/report-pos.json" <<'P' && ok || bad "positive folder report content"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["files"] == 11 and r["sealed_secrets"] == 11, (r["files"], r["sealed_secrets"])
assert all(i["opens"] is True for i in r["items"]), "an item did not open"
codes = {(f["code"], f["severity"]) for f in r["findings"]}
assert codes <= {("creation-timestamp-null", "info"), ("not-newest-key", "warning")}, codes
old = [f for f in r["findings"] if f["code"] == "not-newest-key"]
assert len(old) == 1 and old[0]["item"] == "token" and old[0]["file"].endswith("old-key.yaml"), old
P
# Without keys, --cert only checks sizes: old and current are both 4096-bit.
run "$SK" verify --cert "$CERT" "$T/pos"; keep
expect_rc 0 "positive folder with --cert, no keys"

# A certificate of another size: every RSA part is the wrong length (an expired one still loads).
run "$SK" verify --cert "$SK_TEST_DATA_DIR/verify/expired-2048.crt" "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_rc 1 "2048-bit certificate against 4096-bit blobs"
expect_out ":1:password: error: rsa-length: the RSA part is 512 bytes" "rsa-length"
expect_err "has expired" "expired --cert warns"

# ---- negative cases ----
run "$SK" verify "$IOP/cases/neg-truncated-blob/sealed.yaml"; keep
expect_rc 1 "truncated without keys"
expect_out ":1:password: error: too-short: the header announces 512 bytes" "truncated"
run "$SK" verify "$IOP/cases/neg-bad-base64/sealed.yaml"; keep
expect_rc 1 "bad base64 without keys"
expect_out ":1:password: error: base64: not standard base64" "bad base64"
run "$SK" verify "$IOP/cases/neg-flipped-gcm-tag/sealed.yaml"; keep
expect_rc 0 "flipped tag without keys: undetectable"
run "$SK" verify --key "$KEY" "$IOP/cases/neg-flipped-gcm-tag/sealed.yaml"; keep
expect_rc 1 "flipped tag with keys"
expect_out ":1:password: error: altered: " "flipped tag"
expect_out "the value was altered" "flipped tag message"
expect_not_out ":1:username: error" "flipped tag: only password"
run "$SK" verify --key "$KEY" "$IOP/cases/neg-wrong-namespace/sealed.yaml"; keep
expect_rc 1 "wrong namespace with keys"
expect_out ":1:password: error: decrypt-failed: " "wrong namespace"
expect_out "sealed for another name or namespace" "wrong namespace message"
expect_out '"other-namespace/db-credentials"' "wrong namespace names the label"

# ---- old key against the current certificate ----
run "$SK" verify --cert "$CERT" --key "$BACKUP" "$IOP/cases/old-key/sealed.yaml"; keep
expect_rc 1 "old key with --cert"
expect_out ":1:token: warning: not-current-cert: sealed under key SHA256:Hvcb8" "old key"
expect_out "not under the current certificate" "old key message"
run "$SK" verify --cert "$CERT" --key "$BACKUP" "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_rc 0 "current key with --cert"

# ---- scope diagnosis: sealed cluster-wide, outer annotation flipped off ----
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: demo}\nstringData: {token: t0ken-value-xyz}\n' >"$T/s.yaml"
run "$SK" seal --cert "$CERT" --scope cluster-wide -o yaml -f "$T/s.yaml" -w "$T/cw.yaml"
expect_rc 0 "seal cluster-wide"
run "$SK" verify --key "$KEY" "$T/cw.yaml"; keep
expect_rc 0 "cluster-wide as sealed"
sed '0,/cluster-wide: "true"/s//cluster-wide: "false"/' "$T/cw.yaml" >"$T/flipped.yaml"
run "$SK" verify --key "$KEY" "$T/flipped.yaml"; keep
expect_rc 1 "cluster-wide flipped off"
expect_out ":1:token: error: wrong-scope: sealed cluster-wide, but metadata selects scope strict" "flipped scope"
expect_out "scope-mismatch" "flipped scope: outer and template differ"
run "$SK" verify "$T/flipped.yaml"; keep
expect_not_out "wrong-scope" "no diagnosis without keys"

# ---- default credentials: named by item, never shown ----
cat >"$T/seed.yaml" <<'Y'
apiVersion: v1
kind: Secret
metadata: {name: ml-platform, namespace: seldon-system}
stringData:
  AWS_ACCESS_KEY_ID: EXAMPLE-ID-not-default
  AWS_SECRET_ACCESS_KEY: minioadmin123
  MLFLOW_TRACKING_PASSWORD: my-secure-mlflow-tracking-password
Y
run "$SK" seal --cert "$CERT" -o yaml -f "$T/seed.yaml" -w "$T/seed-sealed.yaml"
expect_rc 0 "seal the seed's defaults"
for fmt in text json; do
  run "$SK" verify --key "$KEY" --format $fmt "$T/seed-sealed.yaml"; keep
  expect_rc 1 "default credentials ($fmt)"
  expect_out "AWS_SECRET_ACCESS_KEY" "default credential named ($fmt)"
  expect_out "default-credential" "default credential code ($fmt)"
  expect_out "MLFLOW_TRACKING_PASSWORD" "seed password named ($fmt)"
  grep -qi minioadmin "$T/out" "$T/err" && bad "minioadmin printed ($fmt)" || ok
  grep -q 'my-secure' "$T/out" "$T/err" && bad "seed password printed ($fmt)" || ok
  [ $fmt = json ] && cp "$T/out" "$T/report-seed.json"
done
run "$SK" verify --key "$KEY" "$T/seed-sealed.yaml"; keep
[ "$(grep -c 'default-credential' "$T/out")" -eq 2 ] && ok || bad "exactly two default credentials"

# ---- policy: the seldon-system examples sealed under the dev certificate ----
mkdir -p "$T/overlay/production"
for f in "$SRC"/examples/seldon-system/*.yaml; do
  run "$SK" seal --cert "$DEVCRT" -o yaml -f "$f" -w "$T/overlay/production/$(basename "$f")"
  expect_rc 0 "seal example $(basename "$f")"
done
run "$SK" verify --cert "$DEVCRT" --key "$DEVKEY" --policy "$SRC/policies/seldon-system.yaml" "$T/overlay"; keep
expect_rc 0 "seldon-system policy passes"
[ ! -s "$T/out" ] && ok || bad "policy pass printed findings: $(head -c 300 "$T/out")"
expect_err "2 files, 2 SealedSecrets, 16 items (16 opened)" "policy pass summary"
run "$SK" verify --policy "$SRC/policies/seldon-system.yaml" --format json "$T/overlay/production/ml-platform-secret.yaml"; keep
expect_rc 1 "ghcr missing"
expect_out '"code": "policy-missing-secret"' "ghcr missing code"
cp "$T/out" "$T/report-policy.json"
grep -v 'MLFLOW_FLASK_SERVER_SECRET_KEY' "$SRC/examples/seldon-system/ml-platform-secret.yaml" >"$T/partial.yaml"
run "$SK" seal --cert "$DEVCRT" -o yaml -f "$T/partial.yaml" -w "$T/overlay/production/ml-platform-secret.yaml"
run "$SK" verify --policy "$SRC/policies/seldon-system.yaml" "$T/overlay"; keep
expect_rc 1 "item missing"
expect_out "ml-platform-secret.yaml:1:MLFLOW_FLASK_SERVER_SECRET_KEY: error: policy-missing-item" "item missing"
[ "$(wc -l <"$T/out")" -eq 1 ] && ok || bad "only the missing item is reported"
printf 'secrets:\n  - {name: a, namespace: b, requried: [x]}\n' >"$T/typo.yaml"
run "$SK" verify --policy "$T/typo.yaml" "$T/overlay"
expect_rc 2 "policy with a typo"
expect_err 'unknown field "requried"' "policy typo message"

# ---- walking, formats, exit codes ----
mkdir -p "$T/tree/sub" "$T/tree/.hidden"
cp "$IOP/cases/strict-basic/sealed.yaml" "$T/tree/sub/a.yml"
cp "$IOP/cases/neg-truncated-blob/sealed.yaml" "$T/tree/.hidden/bad.yaml"
cp "$IOP/cases/neg-truncated-blob/sealed.yaml" "$T/tree/notes.txt"
ln -s "$IOP/cases/neg-truncated-blob/sealed.yaml" "$T/tree/link.yaml"
printf 'a: [unclosed\n' >"$T/tree/broken.json"
run "$SK" verify "$T/tree"; keep
expect_rc 1 "tree with a broken file"
expect_out "broken.json:-:-: error: parse: " "parse finding"
expect_not_out "too-short" "hidden, .txt and linked files are skipped"
expect_err "2 files, 1 SealedSecrets" "tree summary"
run "$SK" verify "$T/tree/notes.txt"; keep
expect_rc 1 "a named file is read whatever its suffix"
run "$SK" verify - <"$IOP/cases/neg-bad-base64/sealed.yaml"; keep
expect_rc 1 "stdin"
expect_out "<stdin>:1:password: error: base64" "stdin name"
printf 'kind: ConfigMap\nmetadata: {name: c}\n' >"$T/cm.yaml"
run "$SK" verify "$T/cm.yaml"; keep
expect_rc 1 "nothing to verify"
expect_out "no-sealed-secrets" "nothing to verify"
run "$SK" verify --format json "$T/tree" "$IOP/cases/strict-basic/sealed.yaml"; keep
cp "$T/out" "$T/report-tree.json"

fails 2 "nope.yaml: cannot read: No such file or directory" "missing path" "$SK" verify "$T/nope.yaml"
fails 2 "unsupported report format: xml" "bad format" "$SK" verify --format xml "$T/cw.yaml"
fails 2 "no file or folder to verify" "no path" "$SK" verify
fails 2 "is not a key Secret" "key file without a key" "$SK" verify --key "$T/cm.yaml" "$T/cw.yaml"
fails 2 "nope.crt: cannot open: No such file" "missing certificate" "$SK" verify --cert "$T/nope.crt" "$T/cw.yaml"
run "$SK" verify --help
expect_rc 0 "--help"
expect_out "FILE:DOCUMENT:ITEM" "--help text"

# ---- JSON reports against the documented schema ----
run $CHECK "$T"/report-*.json
expect_rc 0 "reports match docs/verify-schema.json"
cat "$T/out" "$T/err"
run env SCHEMA_CHECK_HAND=1 $CHECK "$T"/report-*.json
expect_rc 0 "reports pass the hand check too"
grep -q "hand check" "$T/out" && ok || bad "hand check not used"
python3 - "$T/report-seed.json" "$T/broken.json" <<'P'
import json, sys
r = json.load(open(sys.argv[1]))
r["findings"][0]["severity"] = "fatal"
del r["items"][0]["opens"]
json.dump(r, open(sys.argv[2], "w"))
P
for mode in 0 1; do
  run env SCHEMA_CHECK_HAND=$mode $CHECK "$T/broken.json"
  [ "$rc" -ne 0 ] && ok || bad "a broken report passes the schema check (hand=$mode)"
done

# ---- no plaintext anywhere ----
for v in t0ken-value-xyz minioadmin my-secure-mlflow EXAMPLE-ID-not-default hunter2-fake \
         example-secret-access-key-not-real example-token-not-real fake-api-key-123; do
  grep -qiF -- "$v" "$T/all-output" && bad "plaintext '$v' in verify output" || ok
done

finish
