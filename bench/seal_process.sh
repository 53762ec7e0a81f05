#!/usr/bin/env bash
# Whole-process time of `sealkit seal` on the ml-platform Secret (4096-bit certificate), next to
# two baseline processes of the openssl tool in the same run: one RSA-4096 OAEP encryption, and
# OpenSSL's public-key check of the certificate's key (`pkey -pubcheck`), which sealkit also runs
# before it seals (a Miller-Rabin test that the modulus is not a prime or a prime power: with such
# a modulus anyone could open what is sealed). The check alone is a full 4096-bit exponentiation,
# so it sets the floor of a seal's time, above the 10 ms target set before sealkit ran it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SK=${SEALKIT:-$root/build/sealkit}
CERT=${CERT:-$root/keys/dev-only-controller.crt}
IN=$root/examples/seldon-system/ml-platform-secret.yaml
N=${N:-50}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl x509 -in "$CERT" -pubkey -noout >"$tmp/pub.pem"
head -c 32 /dev/urandom >"$tmp/k"

ms_per_run() { # CMD...: mean wall milliseconds over N runs
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$N"); do "$@" >/dev/null; done
  end=$(date +%s%N)
  awk -v s="$start" -v e="$end" -v n="$N" 'BEGIN { printf "%.3f", (e - s) / 1e6 / n }'
}

"$SK" seal --cert "$CERT" -f "$IN" >/dev/null   # warm the page cache
seal=$(ms_per_run "$SK" seal --cert "$CERT" -f "$IN")
base=$(ms_per_run openssl pkeyutl -encrypt -pubin -inkey "$tmp/pub.pem" -in "$tmp/k" \
       -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256)
read_only=$(ms_per_run openssl pkey -pubin -in "$tmp/pub.pem" -noout)
checked=$(ms_per_run openssl pkey -pubin -in "$tmp/pub.pem" -pubcheck -noout)
check=$(awk -v a="$checked" -v b="$read_only" 'BEGIN { printf "%.3f", a - b }')
echo "sealkit seal, 15 items, whole process   : ${seal} ms"
echo "openssl pkeyutl, 1 RSA-4096 encryption   : ${base} ms"
echo "openssl pkey -pubcheck, less reading it  : ${check} ms   (OpenSSL's public-key check)"
echo "ratio sealkit / (encryption + check)     : $(awk -v a="$seal" -v b="$base" -v c="$check" 'BEGIN { printf "%.2f", a / (b + c) }')"
echo "sealkit less the check                   : $(awk -v a="$seal" -v c="$check" 'BEGIN { printf "%.3f", a - c }') ms   (target <= 10 ms)"
