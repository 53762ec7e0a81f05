#!/usr/bin/env bash
# The delivery flow for namespace seldon-system, end to end:
#   env file -> create (sealed in memory) -> package -> package verify.
# Usage: flow.sh SEALKIT CERT KEY OUTDIR
# Used by scripts/demo.sh (with the dev-only keypair) and by tests/cli/test_demo.sh.
set -euo pipefail
SK=$1 CERT=$2 KEY=$3 OUT=$4
here=$(cd "$(dirname "$0")" && pwd)
policy=$here/../../policies/seldon-system.yaml
mkdir -p "$OUT/sealed"

"$SK" create generic ml-platform -n seldon-system --from-env-file "$here/ml-platform.env" \
  --seal --cert "$CERT" -o yaml -w "$OUT/sealed/ml-platform-secret.yaml"
"$SK" create docker-registry ghcr -n seldon-system --docker-server ghcr.io \
  --docker-username example-bot --docker-password-stdin \
  --seal --cert "$CERT" -o yaml -w "$OUT/sealed/ghcr-secret.yaml" <"$here/ghcr-token.txt"

"$SK" package -n seldon-system --set ml --date 20250704 -o "$OUT" \
  "$OUT/sealed/ml-platform-secret.yaml" "$OUT/sealed/ghcr-secret.yaml"
"$SK" package verify "$OUT/seldon-system-ml-secrets-20250704.tar.gz" \
  --cert "$CERT" --key "$KEY" --policy "$policy"
