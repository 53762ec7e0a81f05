#!/usr/bin/env bash
# Whole-process time of `sealkit seal` on the ml-platform Secret (4096-bit certificate), next to
# a baseline process doing one RSA-4096 OAEP encryption with the openssl tool, in the same run.
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
echo "sealkit seal, 15 items, whole process : ${seal} ms   (target <= 10 ms)"
echo "openssl pkeyutl, 1 RSA-4096 encryption : ${base} ms"
echo "ratio sealkit / openssl process        : $(awk -v a="$seal" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
