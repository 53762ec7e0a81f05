#!/usr/bin/env bash
# sealkit seal end to end: output shapes, files, flags, environment, and refusals.
source "$(dirname "$0")/lib.sh"

cat >"$T/s.yaml" <<'Y'
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: demo
  labels: {app: web}
type: Opaque
stringData:
  password: hunter2
  user: app
Y

# kubeseal's own invocation works unchanged.
run "$SK" seal --cert "$CERT" -o yaml <"$T/s.yaml"
expect_rc 0 "seal -o yaml"
head -2 "$T/out" | tr '\n' '|' | grep -qx -- '---|apiVersion: bitnami.com/v1alpha1|' && ok || bad "yaml starts with ---, apiVersion"
grep -q '^    password: Ag' "$T/out" && ok || bad "yaml has a 4096-bit blob for password"
grep -q 'hunter2' "$T/out" && bad "plaintext in output" || ok
cp "$T/out" "$T/sealed.yaml"

# JSON is the default, in kubeseal's member order.
run "$SK" seal --cert "$CERT" -f "$T/s.yaml"
expect_rc 0 "seal json"
head -3 "$T/out" | tr '\n' '|' | grep -qx -- '{|  "kind": "SealedSecret",|  "apiVersion": "bitnami.com/v1alpha1",|' && ok || bad "json member order"
cp "$T/out" "$T/sealed.json"

# Both open again to the same values.
for f in sealed.yaml sealed.json; do
  run "$SK" unseal --key "$KEY" -o yaml -f "$T/$f"
  expect_rc 0 "unseal $f"
  grep -q "password: $(printf hunter2 | base64)" "$T/out" && ok || bad "$f round trip"
done

# -w writes atomically; a .yaml name forces YAML; nothing on stdout.
run "$SK" seal --cert "$CERT" -f "$T/s.yaml" -w "$T/w.yaml"
expect_rc 0 "seal -w"
expect_no_stdout "seal -w"
head -1 "$T/w.yaml" | grep -qx -- '---' && ok || bad "-w .yaml forces yaml"
ls "$T" | grep -q sealkit-tmp && bad "temporary file left behind" || ok

# A failing seal leaves the -w file as it was.
echo "previous content" >"$T/keep.json"
printf 'kind: BadInput\n' >"$T/bad.yaml"
fails 1 "kind: BadInput is not a Secret" "bad kind with -w" "$SK" seal --cert "$CERT" -f "$T/bad.yaml" -w "$T/keep.json"
grep -qx "previous content" "$T/keep.json" && ok || bad "-w file changed by a failed seal"

# All or nothing: document 2 is bad, so document 1 is not printed either.
printf -- '---\nkind: Secret\nmetadata: {name: a, namespace: ns}\ndata: {k: dg==}\n---\nkind: Secret\nmetadata: {name: b, namespace: ns}\ndata: {k: "%%%%"}\n' >"$T/two.yaml"
fails 1 "document 2: data[k]" "multi-doc all or nothing" "$SK" seal --cert "$CERT" -f "$T/two.yaml"

# Environment variables as kubeseal reads them; the command line wins.
run env SEALED_SECRETS_CERT="$CERT" SEALED_SECRETS_FORMAT=yaml "$SK" seal -f "$T/s.yaml"
expect_rc 0 "SEALED_SECRETS_CERT"
head -1 "$T/out" | grep -qx -- '---' && ok || bad "SEALED_SECRETS_FORMAT=yaml"
run env SEALED_SECRETS_FORMAT=yaml "$SK" seal --cert "$CERT" -o json -f "$T/s.yaml"
head -c1 "$T/out" | grep -q '{' && ok || bad "flag beats environment"
fails 2 "SEALED_SECRETS_ALLOW_EMPTY_DATA: not a boolean" "bad env bool" env SEALED_SECRETS_ALLOW_EMPTY_DATA=maybe "$SK" seal --cert "$CERT" -f "$T/s.yaml"

# Scopes from the flag.
run "$SK" seal --cert "$CERT" --scope cluster-wide -o yaml -f "$T/s.yaml"
grep -c 'sealedsecrets.bitnami.com/cluster-wide: "true"' "$T/out" | grep -qx 2 && ok || bad "cluster-wide annotations outer and template"
fails 2 "must be one of: strict, namespace-wide, cluster-wide" "bad scope" "$SK" seal --cert "$CERT" --scope wide -f "$T/s.yaml"
fails 2 "unsupported output format: xml" "bad format" "$SK" seal --cert "$CERT" -o xml -f "$T/s.yaml"

# Namespace handling is offline.
printf 'kind: Secret\nmetadata: {name: a}\nstringData: {k: v}\n' >"$T/nons.yaml"
fails 1 "namespace" "missing namespace" "$SK" seal --cert "$CERT" -f "$T/nons.yaml"
grep -qF -- "-n NAMESPACE" "$T/err" && ok || bad "missing namespace hint names -n"
run "$SK" seal --cert "$CERT" -n flagns -f "$T/nons.yaml"
expect_rc 0 "-n fills the namespace"
fails 1 'namespace mismatch: input secret is in namespace "demo" but "other" was specified' "mismatch" "$SK" seal --cert "$CERT" -n other -f "$T/s.yaml"

# Empty data needs the flag.
printf 'kind: Secret\nmetadata: {name: a, namespace: ns}\n' >"$T/empty.yaml"
fails 1 "no items" "empty data" "$SK" seal --cert "$CERT" -f "$T/empty.yaml"
grep -qF -- "--allow-empty-data" "$T/err" && ok || bad "empty data hint"
run "$SK" seal --cert "$CERT" --allow-empty-data -f "$T/empty.yaml"
expect_rc 0 "--allow-empty-data"
grep -q '"encryptedData": {}' "$T/out" && ok || bad "empty encryptedData {}"

# Raw mode.
printf 'raw-value' >"$T/raw.txt"
fails 2 "must provide the --name flag with --raw and --scope strict" "raw no name" "$SK" seal --cert "$CERT" --raw --namespace n --from-file "$T/raw.txt"
fails 2 "must provide the --namespace flag with --raw and --scope namespace-wide" "raw no ns" "$SK" seal --cert "$CERT" --raw --scope namespace-wide --from-file "$T/raw.txt"
fails 2 "--from-file requires --raw" "from-file without raw" "$SK" seal --cert "$CERT" --from-file "$T/raw.txt"
run "$SK" seal --cert "$CERT" --raw --namespace n --name x --from-file "k=$T/raw.txt"
expect_rc 0 "raw seal"
[ "$(tail -c1 "$T/out" | od -An -c | tr -d ' ')" != '\n' ] && ok || bad "raw output has no trailing newline"
cp "$T/out" "$T/blob"
run "$SK" unseal --raw --key "$KEY" --scope strict --namespace n --name x -f "$T/blob"
cmp -s "$T/out" "$T/raw.txt" && ok || bad "raw round trip"
run "$SK" unseal --raw --key "$KEY" --scope strict --namespace n --name other -f "$T/blob"
expect_rc 1 "raw opened under another name fails"

# Certificates.
fails 2 "no certificate given" "no cert" "$SK" seal -f "$T/s.yaml"
fails 1 "cannot" "missing cert file" "$SK" seal --cert "$T/nope.pem" -f "$T/s.yaml"
echo "not a certificate" >"$T/garbage.pem"
fails 1 "CERTIFICATE" "garbage cert" "$SK" seal --cert "$T/garbage.pem" -f "$T/s.yaml"
fails 1 "CERTIFICATE" "private key is no certificate" "$SK" seal --cert "$KEY" -f "$T/s.yaml"

# Help and version.
run "$SK" seal --help
expect_rc 0 "seal --help"
grep -q -- "--merge-into" "$T/out" && ok || bad "help lists --merge-into"
run "$SK" --version
grep -q '^sealkit version: ' "$T/out" && ok || bad "--version"
fails 2 "unknown command" "unknown command" "$SK" frobnicate

# A certificate with public exponent 1 would "seal" to the plaintext: refused, never used.
python3 - "$CERT" "$T/e1.pem" <<'PY'
import base64, sys
from cryptography import x509
n = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read()).public_key().public_numbers().n

def der(tag, body):
    size = len(body)
    head = bytes([size]) if size < 128 else bytes([0x80 | ((size.bit_length() + 7) // 8)]) + size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag]) + head + body

def integer(v):
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")
    return der(0x02, b)

rsa_key = der(0x30, integer(n) + integer(1))
algo = der(0x30, der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
spki = der(0x30, algo + der(0x03, b"\x00" + rsa_key))
b64 = base64.encodebytes(spki).decode().replace("\n", "")
pem = "-----BEGIN PUBLIC KEY-----\n" + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + "\n-----END PUBLIC KEY-----\n"
open(sys.argv[2], "w").write(pem)
PY
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: x, namespace: demo}\nstringData: {password: hunter2}\n' >"$T/e1-secret.yaml"
fails 1 "exponent 1 is unsafe" "a certificate with e = 1" "$SK" seal --cert "$T/e1.pem" -f "$T/e1-secret.yaml"

finish
