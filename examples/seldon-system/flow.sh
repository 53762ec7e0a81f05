#!/usr/bin/env bash
# The infrastructure document's delivery for namespace seldon-system, end to end:
#   env files -> create (sealed in memory) -> two packages, ml and models -> package verify
#   -> package install side by side next to a team's overlay -> kubectl kustomize
#   -> a key rotation -> new packages whose package diff shows re-encryption only -> install.
# Usage: flow.sh SEALKIT CERT KEY OUTDIR
# Used by scripts/demo.sh (with the dev-only keypair) and by tests/cli/test_demo.sh.
#
# What the document glosses over: its two packages both carry a Secret named ml-platform in
# seldon-system (4 S3 keys in models, all 15 keys in ml). Extracted with tar, the later one
# silently wins and can drop the MLflow and rclone keys training needs; installed side by side,
# kustomize refuses two objects of one name. So the models package carries its storage
# credentials as a Secret of its own name, models-storage (models workloads reference that
# name), and 'package install' refuses the document's pair, naming both packages.
set -euo pipefail
SK=$1 CERT=$2 KEY=$3 OUT=$4
here=$(cd "$(dirname "$0")" && pwd)
policy=$here/../../policies/seldon-system.yaml
ml=seldon-system-ml-secrets-20250704.tar.gz
models=seldon-system-models-secrets-20250704.tar.gz
# A run starts from scratch: what an earlier run of this script made in OUT goes (sealing is
# randomised, so the packages would differ from the earlier ones and rightly be refused).
rm -rf "${OUT:?}/sealed" "$OUT/document" "$OUT/k8s" "$OUT/rotation" "$OUT/$ml" "$OUT/$models" "$OUT/rendered.yaml"
mkdir -p "$OUT/sealed/ml" "$OUT/sealed/models" "$OUT/document"
step() { printf '\n== %s\n' "$*" >&2; }

step "seal (plaintext stays in memory) and package: ml and models"
"$SK" create generic ml-platform -n seldon-system --from-env-file "$here/ml-platform.env" \
  --seal --cert "$CERT" -o yaml -w "$OUT/sealed/ml/ml-platform-secret.yaml"
"$SK" create docker-registry ghcr -n seldon-system --docker-server ghcr.io \
  --docker-username example-bot --docker-password-stdin \
  --seal --cert "$CERT" -o yaml -w "$OUT/sealed/ml/ghcr-secret.yaml" <"$here/ghcr-token.txt"
"$SK" create generic models-storage -n seldon-system --from-env-file "$here/models-storage.env" \
  --seal --cert "$CERT" -o yaml -w "$OUT/sealed/models/models-storage-secret.yaml"
"$SK" package -n seldon-system --set ml --date 20250704 --output-dir "$OUT" "$OUT/sealed/ml"/*.yaml
"$SK" package -n seldon-system --set models --date 20250704 --output-dir "$OUT" "$OUT/sealed/models"/*.yaml
"$SK" package verify "$OUT/$ml" --cert "$CERT" --key "$KEY" --policy "$policy"
"$SK" package verify "$OUT/$models" --cert "$CERT" --key "$KEY"

step "the document's models package (a second ml-platform) is refused next to ml"
"$SK" create generic ml-platform -n seldon-system --from-env-file "$here/models-storage.env" \
  --seal --cert "$CERT" -o yaml -w "$OUT/document/ml-platform-secret.yaml"
"$SK" package -n seldon-system --set models --date 20250704 --output-dir "$OUT/document" \
  "$OUT/document/ml-platform-secret.yaml"
manifests=$OUT/k8s/manifests/seldon-system
mkdir -p "$manifests"
if "$SK" package install -C "$manifests" "$OUT/$ml" "$OUT/document/$models"; then
  echo "flow: the document's pair was installed; it must be refused" >&2
  exit 1
fi

step "a team's own overlay, then both packages installed beside it"
mkdir -p "$manifests/base" "$manifests/production"
cp "$here/team/base/"* "$manifests/base/"
cp "$here/team/production/kustomization.yaml" "$manifests/production/"
"$SK" package install -C "$manifests" "$OUT/$ml" "$OUT/$models"
if command -v kubectl >/dev/null 2>&1; then
  kubectl kustomize "$manifests/production" >"$OUT/rendered.yaml"
  grep -E '^kind:|^  name:' "$OUT/rendered.yaml" >&2
else
  echo "flow: kubectl not installed: the overlay was not built" >&2
fi

step "a key rotation: every SealedSecret resealed under a new key, new packages"
mkdir -p "$OUT/rotation/keys" "$OUT/rotation/ml" "$OUT/rotation/models"
cp "$KEY" "$OUT/rotation/keys/current.key"
cp "$CERT" "$OUT/rotation/keys/current.crt"
chmod 600 "$OUT/rotation/keys/current.key"
cp "$OUT/sealed/ml"/*.yaml "$OUT/rotation/ml/"
cp "$OUT/sealed/models"/*.yaml "$OUT/rotation/models/"
set +e
"$SK" rotate --keys "$OUT/rotation/keys" --max-age 1h "$OUT/rotation/ml" "$OUT/rotation/models"
st=$?
set -e
[ "$st" -eq 4 ] || { echo "flow: rotate exited $st, expected 4 (rotated)" >&2; exit 1; }
"$SK" package -n seldon-system --set ml --date 20250801 --output-dir "$OUT/rotation" "$OUT/rotation/ml"/*.yaml
"$SK" package -n seldon-system --set models --date 20250801 --output-dir "$OUT/rotation" "$OUT/rotation/models"/*.yaml
for set in ml models; do
  "$SK" package diff --key "$OUT/rotation/keys" "$OUT/seldon-system-$set-secrets-20250704.tar.gz" \
    "$OUT/rotation/seldon-system-$set-secrets-20250801.tar.gz" >/dev/null
done
"$SK" package install -C "$manifests" --key "$OUT/rotation/keys" \
  "$OUT/rotation/seldon-system-ml-secrets-20250801.tar.gz" \
  "$OUT/rotation/seldon-system-models-secrets-20250801.tar.gz"
