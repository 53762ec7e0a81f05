#!/usr/bin/env bash
# sealkit create generic / docker-registry, plain and sealed in memory.
source "$(dirname "$0")/lib.sh"

printf 'AWS_ACCESS_KEY_ID=EXAMPLE\n# a comment\n\n  AWS_DEFAULT_REGION=us-east-1\nURL=http://x/?a=b\n' >"$T/ml.env"
printf 'file-value' >"$T/token.txt"

run "$SK" create generic ml -n seldon-system --from-env-file "$T/ml.env" --from-file "$T/token.txt" --from-file "other=$T/token.txt" -o yaml
expect_rc 0 "create generic"
for kv in "AWS_ACCESS_KEY_ID: $(printf EXAMPLE | base64)" "AWS_DEFAULT_REGION: $(printf us-east-1 | base64)" \
          "URL: $(printf 'http://x/?a=b' | base64)" "token.txt: $(printf file-value | base64)" "other: " \
          "namespace: seldon-system" "type: Opaque"; do
  grep -qF "$kv" "$T/out" && ok || bad "generic output lacks '$kv'"
done

# Sealed in memory: the output is a SealedSecret that opens to the same items; no plaintext printed.
run "$SK" create generic ml -n seldon-system --from-env-file "$T/ml.env" --seal --cert "$CERT" -o yaml
expect_rc 0 "create generic --seal"
grep -q "kind: SealedSecret" "$T/out" && ok || bad "sealed output"
grep -q "EXAMPLE\|us-east-1" "$T/out" && bad "plaintext in sealed output" || ok
cp "$T/out" "$T/sealed.yaml"
run "$SK" unseal --key "$KEY" -o yaml -f "$T/sealed.yaml"
grep -qF "AWS_DEFAULT_REGION: $(printf us-east-1 | base64)" "$T/out" && ok || bad "sealed generic round trip"

# docker-registry: kubectl's .dockerconfigjson, password from stdin.
run bash -c "printf 's3cret\n' | '$SK' create docker-registry ghcr -n seldon-system --docker-server ghcr.io --docker-username bot --docker-password-stdin"
expect_rc 0 "create docker-registry"
python3 - "$T/out" <<'PY' && ok || bad "dockerconfigjson shape"
import base64, json, sys
d = json.load(open(sys.argv[1]))
assert d["type"] == "kubernetes.io/dockerconfigjson"
cfg = json.loads(base64.b64decode(d["data"][".dockerconfigjson"]))
e = cfg["auths"]["ghcr.io"]
assert list(e) == ["username", "password", "auth"], list(e)
assert e["username"] == "bot" and e["password"] == "s3cret"
assert base64.b64decode(e["auth"]) == b"bot:s3cret"
PY
run bash -c "printf 's3cret' | '$SK' create docker-registry ghcr -n seldon-system --docker-server ghcr.io --docker-username bot --docker-password-stdin --docker-email a@b.c --seal --cert '$CERT' -w '$T/ghcr.yaml'"
expect_rc 0 "create docker-registry --seal -w"
grep -q s3cret "$T/ghcr.yaml" && bad "plaintext in sealed file" || ok
[ "$(stat -c %a "$T/ghcr.yaml")" = 644 ] && ok || bad "sealed file mode"

# A plaintext Secret written to a file is private.
run "$SK" create generic p -n ns --from-file "$T/token.txt" -w "$T/plain.json"
[ "$(stat -c %a "$T/plain.json")" = 600 ] && ok || bad "plaintext file must be 0600"

# A password on the command line works but is warned about.
run "$SK" create docker-registry g -n ns --docker-username u --docker-password p
expect_rc 0 "--docker-password"
expect_err "visible to other users" "command-line password warning"

# Refusals.
fails 2 "no items" "generic without items" "$SK" create generic x -n ns
fails 2 "unknown kind" "bad kind" "$SK" create tls x -n ns
fails 2 "--docker-password-stdin" "registry without password" "$SK" create docker-registry x -n ns --docker-username u
fails 2 "--seal needs --cert" "seal without cert" "$SK" create generic x -n ns --from-file "$T/token.txt" --seal
printf 'NOEQUALS\n' >"$T/bad.env"
fails 1 "bad.env: line 1: expected KEY=VALUE" "bad env file" "$SK" create generic x -n ns --from-env-file "$T/bad.env"
printf 'A=1\nA=2\n' >"$T/dup.env"
fails 1 "given twice" "duplicate key" "$SK" create generic x -n ns --from-env-file "$T/dup.env"
fails 1 "not a valid Secret key" "bad key" "$SK" create generic x -n ns --from-literal 'bad key=v'
fails 1 "cannot open" "missing file" "$SK" create generic x -n ns --from-file "$T/nope"

finish
