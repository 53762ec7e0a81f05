#!/usr/bin/env bash
# The main job: the seldon-system secrets (fake values) from env files to a verified package,
# sealed under the dev-only certificate in keys/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
scripts/build.sh "$root/build" >/dev/null
examples/seldon-system/flow.sh "$root/build/sealkit" keys/dev-only-controller.crt \
  keys/dev-only-controller.key "$root/out"
echo "package: out/seldon-system-ml-secrets-20250704.tar.gz (production/kustomization.yaml,"
echo "         production/ml-platform-secret.yaml, production/ghcr-secret.yaml)"
echo "sealed under keys/dev-only-controller.crt: a development key, never for real secrets"
