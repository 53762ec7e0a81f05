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
echo "packages: out/seldon-system-ml-secrets-20250704.tar.gz, out/seldon-system-models-secrets-20250704.tar.gz"
echo "installed: out/k8s/manifests/seldon-system/production/sealed-secrets/{ml,models}/ (next to a team overlay)"
echo "sealed under keys/dev-only-controller.crt: a development key, never for real secrets"
