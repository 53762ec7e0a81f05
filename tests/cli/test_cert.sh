#!/usr/bin/env bash
# sealkit cert end to end: certificate files, TLS Secrets, backups, expiry warnings, JSON.
source "$(dirname "$0")/lib.sh"
SRC=${SK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
EXPIRED=$SK_TEST_DATA_DIR/verify/expired-2048.crt
FP_CURRENT="SHA256:N0y6dUAHXtv73DQXpORtj6iqEbwinoh+RJ12OVMggAg"
FP_OLD="SHA256:Hvcb8+5bi0XmFwn/+SaWENssGxbvF/Ik6OrMU8LOh3Q"
expect_out() { grep -qF -- "$1" "$T/out" && ok || bad "$2: stdout lacks '$1': $(head -c 400 "$T/out")"; }

# The interop certificates: every field the issue asks for.
run "$SK" cert "$CERT"
expect_rc 0 "current certificate"
expect_out "certificate 1 of 1: PEM block 1" "current: header"
expect_out "subject:     CN=sealed-secret" "current: subject"
expect_out "fingerprint: $FP_CURRENT" "current: fingerprint"
expect_out "key size:    4096 bits" "current: key size"
expect_out "not before:  2026-11-25T19:40:40Z" "current: notBefore"
expect_out "not after:   2036-11-22T19:40:40Z" "current: notAfter"
expect_out "days left:   " "current: days left"
# Days left is computed from the (pinned) clock: check it against date(1).
want=$(( ($(date -u -d 2036-11-22T19:40:40Z +%s) - NOW) / 86400 ))
got=$(sed -n 's/^  days left: *//p' "$T/out")
[ $((got - want)) -ge -1 ] && [ $((got - want)) -le 1 ] && ok || bad "days left $got, expected about $want"
run "$SK" cert "$IOP/keys/old/tls.crt"
expect_out "fingerprint: $FP_OLD" "old certificate"

# A TLS Secret (the controller's key Secret): only its tls.crt is read.
run "$SK" cert "$IOP/keys/old/sealed-secrets-key.yaml"
expect_rc 0 "TLS Secret"
expect_out "document 1: data[tls.crt] (Secret kube-system/" "TLS Secret: source"
expect_out "fingerprint: $FP_OLD" "TLS Secret: fingerprint"
grep -q 'PRIVATE' "$T/out" "$T/err" && bad "key material mentioned" || ok

# The backup List: one block per certificate.
run "$SK" cert "$IOP/keys/backup-list.yaml"
expect_rc 0 "backup list"
expect_out "certificate 1 of 2: document 1, item 1: data[tls.crt]" "backup: first"
expect_out "certificate 2 of 2: document 1, item 2: data[tls.crt]" "backup: second"
expect_out "fingerprint: $FP_CURRENT" "backup: current"
expect_out "fingerprint: $FP_OLD" "backup: old"
expect_out ", active)" "backup: key label"
# The same Secrets as a multi-document file.
{ cat "$IOP/keys/current/sealed-secrets-key.yaml"; echo '---'; cat "$IOP/keys/old/sealed-secrets-key.yaml"; } >"$T/multi.yaml"
run "$SK" cert "$T/multi.yaml"
expect_rc 0 "multi-document backup"
expect_out "certificate 2 of 2: document 2: data[tls.crt]" "multi-document: second"

# --warn-days: both the 10-year certificates expire in about 3600 days.
run "$SK" cert --warn-days 4000 "$IOP/keys/backup-list.yaml"
expect_rc 1 "--warn-days 4000"
expect_err "expires in" "--warn-days 4000 warning"
[ "$(grep -c 'sealkit: warning: certificate' "$T/err")" -eq 2 ] && ok || bad "a warning per certificate"
run "$SK" cert --warn-days 10 "$IOP/keys/backup-list.yaml"
expect_rc 0 "--warn-days 10"
[ ! -s "$T/err" ] && ok || bad "--warn-days 10 warned: $(cat "$T/err")"
# The boundary, from the days left computed above (the clock moves; the tests must not break).
run "$SK" cert --warn-days=$((want + 2)) "$CERT"
expect_rc 1 "--warn-days just above the days left"
run "$SK" cert --warn-days $((want - 2)) "$CERT"
expect_rc 0 "--warn-days just below the days left"

# Default file: --cert, then SEALED_SECRETS_CERT.
run env SEALED_SECRETS_CERT="$SRC/keys/dev-only-controller.crt" "$SK" cert
expect_rc 0 "SEALED_SECRETS_CERT"
expect_out "CN=sealed-secret-dev-only" "dev certificate by environment"
run env SEALED_SECRETS_CERT="$SRC/keys/dev-only-controller.crt" "$SK" cert --cert "$CERT"
expect_out "fingerprint: $FP_CURRENT" "--cert wins over the environment"
run "$SK" cert - <"$CERT"
expect_rc 0 "stdin"

# An expired certificate is shown, and fails.
run "$SK" cert "$EXPIRED"
expect_rc 1 "expired"
expect_out "subject:     CN=expired-test-cert" "expired: still shown"
expect_out "key size:    2048 bits" "expired: key size"
expect_out "status:      EXPIRED" "expired: status"
expect_out "days left:   -" "expired: negative days"
expect_err "has expired" "expired: warning"

# A bare public key: no validity to check.
openssl x509 -in "$CERT" -pubkey -noout >"$T/pub.pem"
run "$SK" cert --warn-days 100000 "$T/pub.pem"
expect_rc 0 "bare public key"
expect_out "bare public key" "bare key status"
expect_out "fingerprint: $FP_CURRENT" "bare key fingerprint"

# JSON.
run "$SK" cert --format json --warn-days 4000 "$IOP/keys/backup-list.yaml"
expect_rc 1 "json with --warn-days 4000"
python3 - "$T/out" <<'P' && ok || bad "cert JSON content"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "sealkit-cert/v1" and r["warn_days"] == 4000
c = r["certificates"]
assert len(c) == 2 and c[0]["fingerprint"].startswith("SHA256:N0y6") and c[1]["fingerprint"].startswith("SHA256:Hvcb")
for x in c:
    assert x["bits"] == 4096 and x["subject"] == "CN=sealed-secret" and x["due"] is True
    assert x["expired"] is False and isinstance(x["days_left"], int) and 0 < x["days_left"] < 3700
    assert x["state"] == "active" and x["secret"].startswith("kube-system/")
    assert x["not_after"].endswith("Z") and x["bare_key"] is False
P

# Refusals.
fails 2 "no certificate: give FILE or --cert FILE" "no file" env -u SEALED_SECRETS_CERT "$SK" cert
fails 2 "no certificate found" "a file without certificates" "$SK" cert "$IOP/keys/current/tls.key"
grep -q 'BEGIN' "$T/err" && bad "key text in the error" || ok
fails 2 "--warn-days needs a number" "bad --warn-days" "$SK" cert --warn-days soon "$CERT"
fails 2 "unsupported output format" "bad format" "$SK" cert -o xml "$CERT"
fails 2 "No such file" "missing file" "$SK" cert "$T/nope.crt"
printf -- '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n' >"$T/broken.crt"
fails 2 "malformed" "broken PEM" "$SK" cert "$T/broken.crt"

# RSA public exponents: one other than 65537 is flagged (no controller makes it); an unsafe one is
# refused, as seal refuses it.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 \
  -out "$T/e3.key" 2>/dev/null
openssl req -x509 -new -key "$T/e3.key" -subj /CN=e3 -days 7300 -out "$T/e3.crt" 2>/dev/null
run "$SK" cert "$T/e3.crt"
expect_rc 0 "exponent 3"
expect_out "exponent:    not 65537" "exponent 3: report line"
expect_err "RSA public exponent other than 65537" "exponent 3: warning"
run "$SK" cert -o json "$T/e3.crt"
grep -q '"unusual_exponent": true' "$T/out" && ok || bad "exponent 3: JSON flag"
run "$SK" cert -o json "$CERT"
grep -q '"unusual_exponent": false' "$T/out" && ok || bad "65537: JSON flag"
grep -q '"weak_key": false' "$T/out" && ok || bad "65537: JSON weak_key"
run "$SK" cert "$CERT"
grep -q 'exponent' "$T/out" "$T/err" && bad "65537 flagged" || ok
python3 - "$CERT" "$T/e1.pem" <<'PY'
import sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
n = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read()).public_key().public_numbers().n
try:
    key = rsa.RSAPublicNumbers(1, n).public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
except ValueError:  # a cryptography that refuses e = 1 itself: write the DER by hand
    def der(tag, body):
        size = len(body)
        head = bytes([size]) if size < 128 else bytes([0x80 | ((size.bit_length() + 7) // 8)]) + size.to_bytes((size.bit_length() + 7) // 8, "big")
        return bytes([tag]) + head + body
    integer = lambda v: der(0x02, v.to_bytes((v.bit_length() + 8) // 8, "big"))
    algo = der(0x30, der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    import base64
    b64 = base64.b64encode(der(0x30, algo + der(0x03, b"\x00" + der(0x30, integer(n) + integer(1))))).decode()
    pem = ("-----BEGIN PUBLIC KEY-----\n" + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64)) + "\n-----END PUBLIC KEY-----\n").encode()
open(sys.argv[2], "wb").write(pem)
PY
fails 2 "exponent 1 is unsafe" "exponent 1" "$SK" cert "$T/e1.pem"

# --pem: kubeseal --fetch-cert, offline, from the key material; byte for byte the tls.crt.
run "$SK" cert --pem "$IOP/keys/current/sealed-secrets-key.yaml"
expect_rc 0 "--pem from a key Secret"
cmp -s "$T/out" "$IOP/keys/current/tls.crt" && ok || bad "--pem: not the Secret's tls.crt"
run "$SK" cert --pem --newest "$IOP/keys/backup-list.yaml"
expect_rc 0 "--pem --newest from a backup"
cmp -s "$T/out" "$IOP/keys/current/tls.crt" && ok || bad "--pem --newest: not the active key's tls.crt"
grep -q 'PRIVATE' "$T/out" "$T/err" && bad "--pem: key material printed" || ok
# The printed certificate seals what the key opens.
cp "$T/out" "$T/fetched.crt"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: demo}\nstringData: {a: b}\n' >"$T/pem-secret.yaml"
run "$SK" seal --cert "$T/fetched.crt" -f "$T/pem-secret.yaml" -o yaml
expect_rc 0 "seal with the --pem certificate"
cp "$T/out" "$T/fetched-sealed.yaml"
run "$SK" unseal --key "$IOP/keys/backup-list.yaml" -f "$T/fetched-sealed.yaml" -o yaml
expect_rc 0 "unseal what the --pem certificate sealed"
expect_out "a: Yg==" "the --pem certificate's value"
cat "$IOP/keys/old/tls.key" "$IOP/keys/old/tls.crt" >"$T/old-pair.pem"
run "$SK" cert --pem - <"$T/old-pair.pem"
expect_rc 0 "--pem from a key and certificate on stdin"
cmp -s "$T/out" "$IOP/keys/old/tls.crt" && ok || bad "--pem from stdin: not the tls.crt"
fails 2 "holds 2 keys" "--pem with two keys" "$SK" cert --pem "$IOP/keys/backup-list.yaml"
expect_err "--newest" "--pem with two keys: the hint"
fails 2 "no certificate to export" "--pem of a bare key" "$SK" cert --pem "$IOP/keys/current/tls.key"
fails 2 "--newest goes with --pem" "--newest alone" "$SK" cert --newest "$CERT"
fails 2 "do not go together" "--pem -o json" "$SK" cert --pem -o json "$CERT"

# The pinned clock: SEALKIT_NOW decides what is expired, and a bad value is a usage error.
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: demo}\nstringData: {a: b}\n' >"$T/clock.yaml"
run env SEALKIT_NOW=2036-11-22T19:40:39Z "$SK" seal --cert "$CERT" -f "$T/clock.yaml"
expect_rc 0 "seal one second before the certificate expires"
fails 1 "expired" "seal one second after the certificate expired" \
  env SEALKIT_NOW=2036-11-22T19:40:41Z "$SK" seal --cert "$CERT" -f "$T/clock.yaml"
fails 2 "SEALKIT_NOW" "a SEALKIT_NOW that is not a time" env SEALKIT_NOW=tomorrow "$SK" seal --cert "$CERT" -f "$T/clock.yaml"

finish
