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
# One line for the three items of one cause (issue 10, item 7), and the expiry as a finding.
expect_out ":1:password,port,username: error: rsa-length: the RSA part is 512 bytes" "rsa-length grouped"
[ "$(grep -c 'rsa-length' "$T/out")" -eq 1 ] && ok || bad "rsa-length: one line for three items"
expect_out "expired-2048.crt:-:-: error: cert-expired: the certificate expired on 2025-01-01" "cert-expired"
expect_err "4 errors" "cert-expired counts in the summary"

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
expect_out ":1:password,port,username: error: decrypt-failed: " "wrong namespace"
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
grep -q ':1:AWS_SECRET_ACCESS_KEY,MLFLOW_TRACKING_PASSWORD: error: default-credential' "$T/out" &&
  [ "$(grep -c 'default-credential' "$T/out")" -eq 1 ] && ok || bad "two default credentials on one line"
run "$SK" verify --key "$KEY" --format json "$T/seed-sealed.yaml"
[ "$(grep -c '"code": "default-credential"' "$T/out")" -eq 2 ] && ok || bad "JSON keeps one finding per item"

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

# ---- issue 10: the mistakes auditors look for ----
# A plaintext Secret beside the sealed ones, alone, in a List and in a multi-document file.
mkdir -p "$T/plain"
cp "$IOP/cases/strict-basic/sealed.yaml" "$T/plain/sealed.yaml"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: leak, namespace: prod}\nstringData: {pw: pl41n-str1ng-value}\n' >"$T/plain/a-secret.yaml"
printf 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: in-list, namespace: prod}\n  data: {token: cGw0MW4tYjY0LXZhbHVl}\n' >"$T/plain/list.yaml"
{ cat "$IOP/cases/strict-basic/sealed.yaml"; printf -- '---\napiVersion: v1\nkind: Secret\nmetadata: {name: second, namespace: prod}\ndata: {k: cGw0MW4tc2Vjb25kLWRvYw==}\n'; } >"$T/plain/multi.yaml"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: no-values, namespace: prod}\ntype: kubernetes.io/service-account-token\n' >"$T/plain/sa-token.yaml"
for fmt in text json; do
  run "$SK" verify --format $fmt "$T/plain"; keep
  expect_rc 1 "plaintext Secrets ($fmt)"
  [ "$(grep -c 'plaintext-secret' "$T/out")" -eq 3 ] && ok || bad "three plaintext Secrets ($fmt): $(cat "$T/out")"
  grep -q 'no-values' "$T/out" && bad "a Secret without values is not plaintext ($fmt)" || ok
done
run "$SK" verify "$T/plain"; keep
expect_out "a-secret.yaml:1:-: error: plaintext-secret: kind: Secret prod/leak holds 1 item in plaintext (stringData: pw)" "plaintext Secret"
expect_out "list.yaml:1.1:-: error: plaintext-secret: kind: Secret prod/in-list" "plaintext Secret in a List"
expect_out "multi.yaml:2:-: error: plaintext-secret: kind: Secret prod/second holds 1 item in plaintext (data: k)" "plaintext Secret in document 2"
expect_err "3 errors" "plaintext Secrets count as errors"

# The --cert's expiry: a finding in the summary, the JSON and the exit status.
days=$(( ($(date -u -d "$(openssl x509 -in "$CERT" -noout -enddate | cut -d= -f2)" +%s) - NOW) / 86400 ))
run "$SK" verify --cert "$CERT" --warn-days $((days + 1)) "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_rc 1 "certificate expiring within --warn-days"
expect_out "tls.crt:-:-: warning: cert-expiring: the certificate expires on 2036-11-22" "cert-expiring"
expect_err "0 errors, 1 warnings" "cert-expiring counts as a warning"
run "$SK" verify --cert "$CERT" --warn-days "$days" "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_rc 0 "certificate expiring after --warn-days"
expect_not_out "cert-expiring" "no cert-expiring outside --warn-days"
run "$SK" verify --cert "$SK_TEST_DATA_DIR/verify/expired-2048.crt" --format json "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_out '"code": "cert-expired"' "cert-expired in JSON"
expect_out '"errors": 4' "cert-expired in the JSON summary"
cp "$T/out" "$T/report-expired.json"

# A certificate seal refuses is read, to be reported: e = 1 makes the sealed session key the
# plaintext. An exponent other than 65537 is a warning: no controller makes one (issue 12).
run "$SK" verify --cert "$SK_TEST_DATA_DIR/cert/e1.pub.pem" --format json "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_rc 1 "a weak --cert is a finding, not a refusal"
python3 - "$T/out" <<'PY' && ok || bad "cert-weak-key finding"
import json, sys
r = json.load(open(sys.argv[1]))
f = [f for f in r["findings"] if f["code"] == "cert-weak-key"]
assert len(f) == 1 and f[0]["severity"] == "error" and f[0]["file"].endswith("e1.pub.pem"), f
assert "exponent 1 is unsafe" in f[0]["message"], f[0]["message"]
assert r["summary"]["errors"] == 1, r["summary"]
PY
run "$SK" verify --cert "$SK_TEST_DATA_DIR/cert/rsa-1024.pub.pem" "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_out "rsa-1024.pub.pem:-:-: error: cert-weak-key: RSA key has 1024 bits; at least 2048 are required" "a 1024-bit --cert"
run "$SK" verify --cert "$SK_TEST_DATA_DIR/cert/e3-2048.pub.pem" "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_rc 1 "an unusual exponent"
expect_out "e3-2048.pub.pem:-:-: warning: cert-unusual-exponent: the RSA public exponent is not 65537" "cert-unusual-exponent"
expect_not_out "cert-weak-key" "exponent 3 is not weak"
run "$SK" verify --cert "$CERT" "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_not_out "cert-" "the controller's certificate has no certificate finding"
fails 2 "--warn-days needs a number of days" "bad --warn-days" "$SK" verify --warn-days soon "$T/cw.yaml"

# Values copied between SealedSecrets: prod/db's pw pasted into staging/db as pw and password.
mkdir -p "$T/copy"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: prod}\nstringData: {pw: c0pied-pr0d-pass, user: pr0d-user-name}\n' >"$T/prod.yaml"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: staging}\nstringData: {user: st4ging-user-name}\n' >"$T/staging.yaml"
run "$SK" seal --cert "$CERT" -o yaml -f "$T/prod.yaml" -w "$T/copy/prod-db.yaml"
run "$SK" seal --cert "$CERT" -o yaml -f "$T/staging.yaml" -w "$T/staging-db.yaml"
pw=$(grep -E '^ +pw: ' "$T/copy/prod-db.yaml" | sed 's/^ *pw: //')
awk -v pw="$pw" '{print} /^  encryptedData:/{print "    password: " pw; print "    pw: " pw}' "$T/staging-db.yaml" >"$T/copy/staging-db.yaml"
grep -q "password: $pw" "$T/copy/staging-db.yaml" && ok || bad "the copy was not made"
run "$SK" verify --key "$KEY" "$T/copy"; keep
expect_rc 1 "copied values with the key"
expect_out "staging-db.yaml:1:pw: error: copied-value: copied from prod/db, the same item in $T/copy/prod-db.yaml:1" "copied value named"
expect_out "staging-db.yaml:1:password: error: copied-value: copied from prod/db, item pw in" "copied value under another item"
expect_not_out "decrypt-failed" "a copy is not left as decrypt-failed"
run "$SK" verify "$T/copy"; keep
expect_rc 1 "copied values without keys"
expect_out "staging-db.yaml:1:password: warning: duplicate-ciphertext: the same ciphertext as prod/db, item pw in $T/copy/prod-db.yaml:1" "duplicate ciphertext (another item)"
expect_out "staging-db.yaml:1:pw: warning: duplicate-ciphertext: the same ciphertext as prod/db, the same item" "duplicate ciphertext (same item)"
# The same SealedSecret in two overlays is not a copy.
mkdir -p "$T/overlays/a" "$T/overlays/b"
cp "$T/copy/prod-db.yaml" "$T/overlays/a/db.yaml"; cp "$T/copy/prod-db.yaml" "$T/overlays/b/db.yaml"
run "$SK" verify "$T/overlays"; keep
expect_rc 0 "one SealedSecret in two overlays"

# Sealed for another namespace: named when the scan shows which one opens it.
run "$SK" verify --key "$KEY" "$IOP/cases/neg-wrong-namespace/sealed.yaml" "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_out "neg-wrong-namespace/sealed.yaml:1:password,port,username: error: sealed-for-other: sealed for demo/db-credentials, the same item" "sealed for another SealedSecret of the scan"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: shared, namespace: prod}\nstringData: {k: n4mespace-w1de-val}\n' >"$T/nw.yaml"
run "$SK" seal --cert "$CERT" --scope namespace-wide -o yaml -f "$T/nw.yaml" -w "$T/nw-sealed.yaml"
expect_rc 0 "seal namespace-wide"
# prod/db renamed to prd/db, scanned with another SealedSecret of prod: no copy of it to compare.
sed 's/namespace: prod$/namespace: prd/' "$T/copy/prod-db.yaml" >"$T/typo-db.yaml"
run "$SK" verify --key "$KEY" "$T/typo-db.yaml" "$T/nw-sealed.yaml"; keep
expect_out "typo-db.yaml:1:pw,user: error: sealed-for-other: sealed for prod/db, not for this SealedSecret" "a namespace typo: its own name in a namespace of the scan"
run "$SK" verify --key "$KEY" "$T/typo-db.yaml"; keep
expect_out "typo-db.yaml:1:pw,user: error: decrypt-failed: " "alone, the namespace it was sealed for is not determinable"
k=$(grep -E '^ +k: ' "$T/nw-sealed.yaml" | sed 's/^ *k: //')
awk -v k="$k" '{print} /^  encryptedData:/{print "    k: " k}' "$T/staging-db.yaml" >"$T/nw-copy.yaml"
run "$SK" verify --key "$KEY" "$T/nw-sealed.yaml" "$T/nw-copy.yaml"; keep
expect_out "nw-copy.yaml:1:k: error: copied-value: copied from namespace prod (namespace-wide), the same item" "copied from a namespace-wide SealedSecret"

# Policy: allowed namespaces and unexpected SealedSecrets (a seldon-sytem copy).
cp -r "$T/overlay" "$T/strays"
sed 's/namespace: seldon-system$/namespace: seldon-sytem/' "$T/overlay/production/ml-platform-secret.yaml" >"$T/strays/typo.yaml"
grep -q 'namespace: seldon-sytem' "$T/strays/typo.yaml" && ok || bad "the typo copy was not made"
printf 'namespaces: [seldon-system]\nunexpected: warning\nsecrets:\n  - {name: ml-platform, namespace: seldon-system}\n' >"$T/allow.yaml"
run "$SK" verify --policy "$T/allow.yaml" "$T/strays"; keep
expect_rc 1 "strays are warnings"
expect_out "typo.yaml:1:-: warning: policy-namespace: namespace seldon-sytem is not one the policy $T/allow.yaml allows (did you mean seldon-system?)" "namespace typo"
expect_out "ghcr-secret.yaml:1:-: warning: policy-unexpected-secret: seldon-system/ghcr is not in the policy" "unexpected SealedSecret"
grep -q 'policy-unexpected-secret: seldon-sytem' "$T/out" && bad "a namespace stray is reported once" || ok
# --fail-on: the same warnings do not fail a gate on errors; info findings fail one on info.
run "$SK" verify --policy "$T/allow.yaml" --fail-on error "$T/strays"; keep
expect_rc 0 "--fail-on error with warnings only"
sed 's/unexpected: warning/unexpected: error/' "$T/allow.yaml" >"$T/allow-error.yaml"
run "$SK" verify --policy "$T/allow-error.yaml" --fail-on error "$T/strays"; keep
expect_rc 1 "--fail-on error with unexpected: error"
expect_out "error: policy-namespace" "unexpected: error"
run "$SK" verify "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_rc 0 "info findings pass by default"
run "$SK" verify --fail-on info "$IOP/cases/strict-basic/sealed.yaml"; keep
expect_rc 1 "--fail-on info"
fails 2 "--fail-on needs error, warning or info" "bad --fail-on" "$SK" verify --fail-on fatal "$T/cw.yaml"
printf 'unexpected: maybe\nsecrets: []\n' >"$T/bad-unexpected.yaml"
fails 2 "unexpected: must be error or warning" "bad unexpected" "$SK" verify --policy "$T/bad-unexpected.yaml" "$T/cw.yaml"
run "$SK" verify --policy "$T/allow.yaml" --format json "$T/strays"; keep
cp "$T/out" "$T/report-strays.json"

# ---- SARIF 2.1.0: validated against the published schema ----
run "$SK" verify --policy "$T/allow.yaml" --format sarif "$T/strays" "$T/plain" "$T/copy"; keep
expect_rc 1 "SARIF report"
cp "$T/out" "$T/strays.sarif"
run "$SK" verify --policy "$T/allow.yaml" --format json "$T/strays" "$T/plain" "$T/copy"
cp "$T/out" "$T/strays-sarif-twin.json"
if /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
  run /usr/bin/python3 - "$SK_TEST_DATA_DIR/verify/sarif-schema-2.1.0.json" "$T/strays.sarif" "$T/strays-sarif-twin.json" <<'PY'
import json, sys, jsonschema
schema, log, twin = (json.load(open(p)) for p in sys.argv[1:4])
jsonschema.Draft4Validator(schema).validate(log)
run = log["runs"][0]
rules = run["tool"]["driver"]["rules"]
ids = [r["id"] for r in rules]
assert len(ids) == len(set(ids)), "a rule twice"
assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in rules), "a rule without help"
assert len(run["results"]) == len(twin["findings"]), (len(run["results"]), len(twin["findings"]))
for res, f in zip(run["results"], twin["findings"]):
    assert res["ruleId"] == f["code"] and ids[res["ruleIndex"]] == f["code"], (res, f)
    assert res["level"] == {"error": "error", "warning": "warning", "info": "note"}[f["severity"]]
    if f["file"] == "-":
        assert "locations" not in res
        continue
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == f["file"], (loc, f)
    if "line" in f:
        assert loc["region"]["startLine"] == f["line"] and loc["region"]["startColumn"] == f["column"]
codes = {r["ruleId"] for r in run["results"]}
assert {"plaintext-secret", "policy-namespace", "duplicate-ciphertext"} <= codes, codes
PY
  expect_rc 0 "SARIF validates against sarif-schema-2.1.0.json: $(tail -c 300 "$T/err")"
  cp "$T/strays.sarif" "$T/broken.sarif"
  sed -i 's/"level": "note"/"level": "fatal"/' "$T/broken.sarif"
  run /usr/bin/python3 -c 'import json,sys,jsonschema; jsonschema.Draft4Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))' \
    "$SK_TEST_DATA_DIR/verify/sarif-schema-2.1.0.json" "$T/broken.sarif"
  [ "$rc" -ne 0 ] && ok || bad "a broken SARIF log passes the schema"
else
  skip_part "python3-jsonschema is not installed (scripts/setup.sh): SARIF not validated"
fi
# Lines and columns point at the item's value.
python3 - "$T/strays-sarif-twin.json" "$T/copy/staging-db.yaml" <<'PY' && ok || bad "line and column of an item finding"
import json, sys
r = json.load(open(sys.argv[1]))
f = [f for f in r["findings"] if f["code"] == "duplicate-ciphertext" and f["item"] == "password"][0]
line = open(sys.argv[2]).read().split("\n")[f["line"] - 1]
assert line[:f["column"] - 1].strip() == "password:" and line[f["column"] - 1:].startswith("Ag"), line[:40]
PY

# Every code is documented: in docs/verify.md, in the man page, and as a SARIF rule with help.
python3 - "$T/strays.sarif" "$SRC/docs/verify.md" "$SRC/man/sealkit-verify.1" <<'PY' && ok || bad "a code is not documented"
import json, re, sys
ids = {r["id"] for r in json.load(open(sys.argv[1]))["runs"][0]["tool"]["driver"]["rules"]}
md = set()
codes_section = open(sys.argv[2]).read().split("\n## Codes\n")[1].split("\n## ")[0]
for cell in re.findall(r"^\| ((?:`[a-z0-9-]+`(?:, )?)+) \|", codes_section, re.M):
    md |= set(re.findall(r"`([a-z0-9-]+)`", cell))
man = {m.replace("\\-", "-") for m in re.findall(r"^\.TP\n\.B ([a-z0-9\\-]+)$", open(sys.argv[3]).read(), re.M)}
assert ids - md == set(), ("not in docs/verify.md", ids - md)
assert md - ids == set(), ("documented but not a rule", md - ids)
assert ids - man == set(), ("not in the man page", ids - man)
PY

# ---- the audit repository (tests/data/verify/repo): one of each mistake beside correct files ----
REPO=$SK_TEST_DATA_DIR/verify/repo
run "$SK" verify --key "$KEY" --policy "$REPO/policy.yaml" --format json "$REPO"; keep
expect_rc 1 "audit repository with the key"
python3 - "$T/out" <<'PY' && ok || bad "audit repository with the key: each mistake once, by its code"
import json, sys
r = json.load(open(sys.argv[1]))
got = sorted((f["file"].split("/repo/")[1], f["code"], f["item"]) for f in r["findings"])
assert got == [("prod/leak.yaml", "plaintext-secret", None),
               ("seldon-sytem/db.yaml", "policy-namespace", None),
               ("staging/api.yaml", "sealed-for-other", "token"),
               ("staging/db.yaml", "copied-value", "pw")], got
PY
run "$SK" verify --policy "$REPO/policy.yaml" --format json "$REPO"; keep
python3 - "$T/out" <<'PY' && ok || bad "audit repository without keys"
import json, sys
r = json.load(open(sys.argv[1]))
got = sorted((f["file"].split("/repo/")[1], f["code"], f["item"]) for f in r["findings"])
assert got == [("prod/leak.yaml", "plaintext-secret", None),
               ("seldon-sytem/db.yaml", "policy-namespace", None),
               ("staging/db.yaml", "duplicate-ciphertext", "pw")], got
PY

# ---- diagnosis budget: a file of junk blobs finishes and says where diagnosis stopped ----
# junk FILE NAME N: a SealedSecret of N values no key opens, of the interop key's size (512 bytes).
junk() {
  python3 - "$@" <<'PY'
import base64, os, sys
path, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "w") as f:
    f.write("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n")
    f.write("metadata: {name: %s, namespace: demo}\nspec:\n  encryptedData:\n" % name)
    for i in range(n):
        f.write("    k%03d: %s\n" % (i, base64.b64encode(b"\x02\x00" + os.urandom(552)).decode()))
PY
}
junk "$T/junk.yaml" junk 400
start=$(date +%s)
run "$SK" verify --key "$KEY" "$T/junk.yaml"; keep
expect_rc 1 "a file of junk blobs"
[ $(($(date +%s) - start)) -lt 120 ] && ok || bad "400 junk blobs took $(($(date +%s) - start)) s"
# One key: 3 operations per item (altered, two other scopes), so 512 cover 170 items.
expect_out "junk.yaml:-:-: info: diagnosis-cut: 230 items that do not open were not diagnosed: this file's diagnosis budget of 512 RSA private operations ran out" "junk: the cut is reported"
[ "$(grep -oE '[:,]k[0-9]{3}' "$T/out" | sort -u | wc -l)" -eq 400 ] && ok || bad "junk: every item is reported"
expect_out "error: decrypt-failed: no key given opens it under its strict label; the diagnosis budget ran out" "junk: undiagnosed items"
run "$SK" verify --key "$KEY" --diagnose-file-budget 30 "$T/junk.yaml"; keep
expect_out "390 items that do not open were not diagnosed: this file's diagnosis budget of 30 RSA" "--diagnose-file-budget"
fails 2 "--diagnose-budget needs a number from 1 to" "bad --diagnose-budget" "$SK" verify --diagnose-budget none "$T/junk.yaml"
fails 2 "--diagnose-file-budget needs a number from 1 to" "bad --diagnose-file-budget" "$SK" verify --diagnose-file-budget 0 "$T/junk.yaml"
fails 2 "-j needs a number from 1 to 256" "bad -j" "$SK" verify -j 0 "$T/junk.yaml"

# ---- -j: worker processes give the report one process gives, byte for byte ----
# The audit repository, a parse error, and junk files that share the scan's budget in file order.
mkdir "$T/jobs"
cp -r "$REPO"/. "$T/jobs/"
for i in 1 2 3 4 5 6; do junk "$T/jobs/junk$i.yaml" "junk$i" $((2 + i)); done
printf 'kind: [unclosed\n' >"$T/jobs/broken.yaml"
for fmt in text json sarif; do
  for j in 1 4; do
    run "$SK" verify -j "$j" --format "$fmt" --key "$KEY" --policy "$REPO/policy.yaml" \
      --diagnose-budget 40 --diagnose-file-budget 13 "$T/jobs"; keep
    expect_rc 1 "-j $j --format $fmt"
    cat "$T/out" "$T/err" >"$T/jobs-$fmt-$j"
  done
  cmp -s "$T/jobs-$fmt-1" "$T/jobs-$fmt-4" && ok || bad "-j 1 and -j 4 differ ($fmt): $(diff "$T/jobs-$fmt-1" "$T/jobs-$fmt-4" | head -5)"
done
grep -q "copied-value" "$T/jobs-text-1" && grep -q "parse" "$T/jobs-text-1" && ok || bad "-j: the scan has no findings to compare"
grep -q "junk6.yaml:-:-: info: diagnosis-cut: .*the scan's diagnosis budget of 40" "$T/jobs-text-1" && ok || bad "-j: the scan's budget is not cut: $(grep diagnosis-cut "$T/jobs-text-1")"

# ---- no plaintext anywhere ----
for v in t0ken-value-xyz minioadmin my-secure-mlflow EXAMPLE-ID-not-default hunter2-fake \
         pl41n-str1ng-value cGw0MW4tYjY0LXZhbHVl pl41n-b64-value cGw0MW4tc2Vjb25kLWRvYw pl41n-second-doc \
         c0pied-pr0d-pass pr0d-user-name st4ging-user-name n4mespace-w1de-val fake-r3po \
         example-secret-access-key-not-real example-token-not-real fake-api-key-123; do
  grep -qiF -- "$v" "$T/all-output" && bad "plaintext '$v' in verify output" || ok
done

finish
