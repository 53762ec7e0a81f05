#!/usr/bin/env bash
# sealkit keygen end to end: the key and certificate, the Secret, files that are never overwritten,
# sealing under the new certificate and opening with the new Secret, and kubectl's view of it.
source "$(dirname "$0")/lib.sh"

mode_of() { stat -c %a "$1"; }
cert_text() { openssl x509 -in "$1" -noout -text; }
epoch_of() { date -u -d "$(openssl x509 -in "$1" -noout "-$2" | cut -d= -f2)" +%s; }
b64field() { grep "^  $2: " "$1" | sed "s/^  $2: //" | base64 -d; }

# The default key: RSA 4096, e = 65537, 87600h, in three files with their own modes.
mkdir "$T/d"
run "$SK" keygen -w "$T/d/s.yaml" --cert-out "$T/d/c.pem" --key-out "$T/d/k.pem"
expect_rc 0 "keygen default"
expect_no_stdout "keygen -w"
[ "$(mode_of "$T/d/s.yaml")" = 600 ] && ok || bad "Secret file mode $(mode_of "$T/d/s.yaml"), expected 600"
[ "$(mode_of "$T/d/k.pem")" = 600 ] && ok || bad "key file mode $(mode_of "$T/d/k.pem"), expected 600"
[ "$(mode_of "$T/d/c.pem")" = 644 ] && ok || bad "cert file mode $(mode_of "$T/d/c.pem"), expected 644"
ls "$T/d" | grep -q sealkit-tmp && bad "temporary file left behind" || ok
cert_text "$T/d/c.pem" >"$T/ct"
grep -q 'Public-Key: (4096 bit)' "$T/ct" && ok || bad "default key is not 4096 bits"
grep -q 'Exponent: 65537 (0x10001)' "$T/ct" && ok || bad "exponent is not 65537"
grep -A1 'X509v3 Key Usage: critical' "$T/ct" | grep -qx ' *Encipher Only' && ok || bad "KeyUsage critical encipherOnly only"
grep -A1 'X509v3 Basic Constraints: critical' "$T/ct" | grep -qx ' *CA:TRUE' && ok || bad "BasicConstraints critical CA:TRUE"
grep -q 'X509v3 Subject Key Identifier' "$T/ct" && ok || bad "SubjectKeyIdentifier missing"
grep -q 'Authority Key Identifier' "$T/ct" && bad "unexpected AuthorityKeyIdentifier" || ok
grep -q 'Signature Algorithm: sha256WithRSAEncryption' "$T/ct" && ok || bad "signature algorithm"
grep -q 'Subject: CN *= *sealed-secret$' "$T/ct" && ok || bad "subject CN=sealed-secret"
[ $(($(epoch_of "$T/d/c.pem" enddate) - $(epoch_of "$T/d/c.pem" startdate))) -eq 315360000 ] && ok || bad "validity is not 87600h"
now=$NOW
nb=$(epoch_of "$T/d/c.pem" startdate)
[ "$nb" -eq "$now" ] && ok || bad "notBefore is not the (pinned) clock: $nb vs $now"
head -1 "$T/d/k.pem" | grep -qx -- '-----BEGIN RSA PRIVATE KEY-----' && ok || bad "key PEM is not PKCS#1"
openssl pkey -in "$T/d/k.pem" -check -noout >/dev/null 2>&1 && ok || bad "openssl pkey -check rejects the key"
fp=$(sed -n 's/.*generated a 4096-bit key \(SHA256:[^,]*\),.*/\1/p' "$T/err")
[ -n "$fp" ] && ok || bad "keygen did not report the fingerprint: $(cat "$T/err")"
grep -q 'BEGIN' "$T/err" && bad "key material on stderr" || ok

# The Secret: the controller's shape, holding exactly the two files' bytes.
grep -qx 'type: kubernetes.io/tls' "$T/d/s.yaml" && ok || bad "type"
grep -qx '  namespace: kube-system' "$T/d/s.yaml" && ok || bad "namespace kube-system"
grep -qx '  generateName: sealed-secrets-key' "$T/d/s.yaml" && ok || bad "generateName"
grep -qE '^  name: sealed-secrets-key[a-z0-9]{5}$' "$T/d/s.yaml" && ok || bad "name with 5 random characters"
grep -qx '    sealedsecrets.bitnami.com/sealed-secrets-key: active' "$T/d/s.yaml" && ok || bad "active label"
head -1 "$T/d/s.yaml" | grep -qx -- '---' && ok || bad "YAML starts with ---"
b64field "$T/d/s.yaml" tls.key | cmp -s - "$T/d/k.pem" && ok || bad "tls.key differs from --key-out"
b64field "$T/d/s.yaml" tls.crt | cmp -s - "$T/d/c.pem" && ok || bad "tls.crt differs from --cert-out"

# The certificate seals; the Secret opens what it sealed (keygen -> seal -> unseal).
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: demo}\nstringData: {password: hunter2}\n' >"$T/in.yaml"
run "$SK" seal --cert "$T/d/c.pem" -o yaml -f "$T/in.yaml" -w "$T/sealed.yaml"
expect_rc 0 "seal under the generated certificate"
grep -q '^    password: Ag' "$T/sealed.yaml" && ok || bad "sealed with a 4096-bit key"
run "$SK" unseal --key "$T/d/s.yaml" -o yaml -f "$T/sealed.yaml"
expect_rc 0 "unseal with the generated Secret"
grep -q "password: $(printf hunter2 | base64)" "$T/out" && ok || bad "round trip through the generated key"
run "$SK" unseal --key "$KEY" -f "$T/sealed.yaml"
expect_rc 1 "another key does not open it"

# Never overwrite: every target is checked before the key is made, and stays as it was.
sum=$(sha256sum "$T/d/s.yaml")
fails 1 "already exists" "-w onto an existing Secret" "$SK" keygen --bits 2048 -w "$T/d/s.yaml"
[ "$(sha256sum "$T/d/s.yaml")" = "$sum" ] && ok || bad "existing Secret file changed"
fails 1 "already exists" "--key-out onto an existing key" "$SK" keygen --bits 2048 -w "$T/new.yaml" --key-out "$T/d/k.pem"
[ ! -e "$T/new.yaml" ] && ok || bad "a refused run still wrote -w"
fails 1 "already exists" "--cert-out onto an existing cert" "$SK" keygen --bits 2048 --cert-out "$T/d/c.pem"
ln -s "$T/nowhere" "$T/dangling"
fails 1 "already exists" "-w onto a dangling symlink" "$SK" keygen --bits 2048 -w "$T/dangling"
[ ! -e "$T/nowhere" ] && ok || bad "followed a dangling symlink"
fails 2 "named for two outputs" "same file twice" "$SK" keygen --bits 2048 -w "$T/x" --key-out "$T/x"
fails 1 "cannot create" "missing folder" "$SK" keygen --bits 2048 -w "$T/no/such/s.yaml"
# All or nothing: the certificate written before the Secret failed is taken back.
fails 1 "cannot create" "late failure" "$SK" keygen --bits 2048 --cert-out "$T/early.pem" -w "$T/no/such/s.yaml"
[ ! -e "$T/early.pem" ] && ok || bad "a failed keygen left --cert-out behind"

# Modes do not depend on the umask.
(umask 000 && "$SK" keygen --bits 2048 -w "$T/u0.yaml" --key-out "$T/u0.key" 2>/dev/null)
(umask 077 && "$SK" keygen --bits 2048 --cert-out "$T/u77.crt" >/dev/null 2>&1)
[ "$(mode_of "$T/u0.yaml")$(mode_of "$T/u0.key")$(mode_of "$T/u77.crt")" = 600600644 ] && ok || bad "modes under umask: $(mode_of "$T/u0.yaml") $(mode_of "$T/u0.key") $(mode_of "$T/u77.crt")"

# Flags: sizes, lifetime, injected start, CN, namespace, JSON.
fails 2 "use 2048, 3072 or 4096" "--bits 1024" "$SK" keygen --bits 1024
fails 2 "use 2048, 3072 or 4096" "--bits 4097" "$SK" keygen --bits 4097
fails 2 "invalid duration" "--valid-for 10y" "$SK" keygen --valid-for 10y
fails 2 "is zero" "--valid-for 0h" "$SK" keygen --valid-for 0h
fails 2 "invalid time" "--not-before" "$SK" keygen --not-before yesterday
fails 2 "not a valid name" "-n Bad_NS" "$SK" keygen -n Bad_NS
fails 2 "unsupported output format" "-o xml" "$SK" keygen -o xml
fails 2 "unexpected argument" "stray argument" "$SK" keygen extra
run "$SK" keygen --bits 2048 --cn my-cluster --valid-for 30d --not-before 2030-01-02T03:04:05Z -n sealed-secrets -o json --cert-out "$T/j.pem"
expect_rc 0 "keygen -o json with flags"
[ "$(openssl x509 -in "$T/j.pem" -noout -startdate)" = "notBefore=Jan  2 03:04:05 2030 GMT" ] && ok || bad "--not-before"
[ "$(openssl x509 -in "$T/j.pem" -noout -enddate)" = "notAfter=Feb  1 03:04:05 2030 GMT" ] && ok || bad "--valid-for 30d"
openssl x509 -in "$T/j.pem" -noout -subject | grep -q 'CN *= *my-cluster' && ok || bad "--cn"
cert_text "$T/j.pem" | grep -q 'Public-Key: (2048 bit)' && ok || bad "--bits 2048"
python3 - "$T/out" <<'PY' && ok || bad "JSON Secret shape and member order"
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["kind", "apiVersion", "metadata", "data", "type"], list(d)
m = d["metadata"]
assert list(m) == ["name", "generateName", "namespace", "labels"], list(m)
assert m["namespace"] == "sealed-secrets" and m["generateName"] == "sealed-secrets-key"
assert m["labels"] == {"sealedsecrets.bitnami.com/sealed-secrets-key": "active"}
assert sorted(d["data"]) == ["tls.crt", "tls.key"] and d["type"] == "kubernetes.io/tls"
PY
run "$SK" keygen --bits 2048 --cn "" --valid-for 87600h --cert-out "$T/e.pem" -w "$T/w.json"
expect_rc 0 "keygen empty CN, -w .json"
openssl x509 -in "$T/e.pem" -noout -subject | grep -qx 'subject=' && ok || bad "empty CN gives an empty subject"
head -c1 "$T/w.json" | grep -q '{' && ok || bad "-w NAME.json writes JSON"
[ $(($(epoch_of "$T/e.pem" enddate) - $(epoch_of "$T/e.pem" startdate))) -eq 315360000 ] && ok || bad "--valid-for 87600h"

# kubectl: apply --dry-run=client needs an API server for discovery. A discovery-only stub on
# 127.0.0.1 (kube_stub.py) stands in for one, so the real client-side dry run is exercised.
if command -v kubectl >/dev/null 2>&1; then
  mkfifo "$T/stub.port"
  exec 3<>"$T/stub.port" # read-write: the read below waits for the port line, bounded
  python3 "$(dirname "$0")/kube_stub.py" "$T/stub.port" 60 &
  stub=$!
  read -r -t 30 stub_port <&3 || stub_port=0
  run timeout 60 kubectl apply --dry-run=client --validate=false \
    --server="http://127.0.0.1:$stub_port" -f "$T/d/s.yaml"
  kill "$stub" 2>/dev/null || true
  wait "$stub" 2>/dev/null || true
  expect_rc 0 "kubectl apply --dry-run=client against the discovery stub"
  grep -q 'secret/sealed-secrets-key.* created (dry run)' "$T/out" && ok || bad "kubectl apply --dry-run=client output: $(cat "$T/out") $(cat "$T/err")"
  # Without any API server: the offline checks below, and a loud note.
  run timeout 60 kubectl apply --dry-run=client -f "$T/d/s.yaml"
  if [ "$rc" -eq 0 ]; then
    grep -q 'secret/sealed-secrets-key.* created (dry run)\|secret/sealed-secrets-key.* configured (dry run)' "$T/out" && ok || bad "kubectl apply --dry-run=client output: $(cat "$T/out")"
  elif grep -qiE 'connection refused|unable to recognize|failed to download openapi|dial tcp|no such host|server API group list|couldn.t get|the server could not find|i/o timeout|Unauthorized|forbidden' "$T/err" || [ "$rc" -eq 124 ]; then
    echo "note: with no API server at all kubectl apply --dry-run=client cannot run (the stub run above did);"
    echo "      also checking offline: kubectl create secret tls --dry-run=client and kubectl label --local"
    # Go's crypto/tls accepts the pair, and kubectl builds the same data from the two PEM files.
    run kubectl create secret tls chk -n kube-system --cert "$T/d/c.pem" --key "$T/d/k.pem" --dry-run=client -o json
    expect_rc 0 "kubectl create secret tls accepts the generated pair"
    python3 - "$T/out" "$T/d/s.yaml" <<'PY' && ok || bad "kubectl's tls Secret holds the same tls.crt/tls.key"
import json, sys, re
k = json.load(open(sys.argv[1]))
ours = dict(re.findall(r"^  (tls\.(?:crt|key)): (\S+)$", open(sys.argv[2]).read(), re.M))
assert k["type"] == "kubernetes.io/tls" and k["data"] == ours, (sorted(k["data"]), sorted(ours))
PY
    run kubectl create secret tls chk --cert "$T/j.pem" --key "$T/d/k.pem" --dry-run=client -o json
    expect_rc 1 "kubectl create secret tls refuses a mismatched pair (the check is real)"
    # kubectl reads our manifest as a Kubernetes object, offline.
    run kubectl label --local -f "$T/d/s.yaml" -o json checked=yes
    expect_rc 0 "kubectl label --local reads the Secret"
    python3 - "$T/out" <<'PY' && ok || bad "kubectl's reading of the Secret"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["kind"] == "Secret" and d["apiVersion"] == "v1" and d["type"] == "kubernetes.io/tls"
assert d["metadata"]["labels"]["sealedsecrets.bitnami.com/sealed-secrets-key"] == "active"
assert d["metadata"]["namespace"] == "kube-system" and sorted(d["data"]) == ["tls.crt", "tls.key"]
PY
  else
    bad "kubectl apply --dry-run=client rejected the key Secret: $(head -c 300 "$T/err")"
  fi
else
  skip_part "kubectl is not installed; the Secret was not checked by kubectl"
fi

finish
