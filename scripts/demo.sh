#!/usr/bin/env bash
# The main job: seal the example secrets of examples/seldon-system/ under the dev-only certificate.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
scripts/build.sh "$root/build" >/dev/null
out="$root/out/seldon-system"
mkdir -p "$out"
for f in examples/seldon-system/*-secret.yaml; do
  build/sealkit seal --cert keys/dev-only-controller.crt -f "$f" -w "$out/$(basename "$f")"
  echo "sealed $f -> out/seldon-system/$(basename "$f")"
done
echo "(sealed under keys/dev-only-controller.crt: a development key, never for real secrets)"
