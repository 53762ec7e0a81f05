#!/usr/bin/env bash
# The README's main flow (examples/seldon-system/flow.sh): env file -> create --seal -> package ->
# package verify, then the package as a team receives it: tar xzf + kubectl kustomize, and the
# values opened again equal the env file's.
source "$(dirname "$0")/lib.sh"
SRC=${SK_SOURCE_DIR:?}
DEVCRT=$SRC/keys/dev-only-controller.crt
DEVKEY=$SRC/keys/dev-only-controller.key

run bash "$SRC/examples/seldon-system/flow.sh" "$SK" "$DEVCRT" "$DEVKEY" "$T/flow"
expect_rc 0 "flow"
expect_err "0 errors, 0 warnings" "package verify is clean"
pkg=$T/flow/seldon-system-ml-secrets-20250704.tar.gz
[ -f "$pkg" ] && ok || bad "no package"

mkdir -p "$T/k8s/manifests/seldon-system"
tar xzf "$pkg" -C "$T/k8s/manifests/seldon-system"
for f in kustomization.yaml ml-platform-secret.yaml ghcr-secret.yaml; do
  [ -f "$T/k8s/manifests/seldon-system/production/$f" ] && ok || bad "package lacks production/$f"
done

if command -v kubectl >/dev/null; then
  run kubectl kustomize "$T/k8s/manifests/seldon-system/production"
  expect_rc 0 "kubectl kustomize"
  [ "$(grep -c '^kind: SealedSecret' "$T/out")" -eq 2 ] && ok || bad "kustomize output has both SealedSecrets"
else
  skip_part "kubectl not installed: the overlay was not built"
fi

# What the team would get from the controller equals the env file, item by item.
run "$SK" unseal --key "$DEVKEY" -o json -f "$T/k8s/manifests/seldon-system/production/ml-platform-secret.yaml"
expect_rc 0 "unseal ml-platform"
python3 - "$T/out" "$SRC/examples/seldon-system/ml-platform.env" <<'PY' && ok || bad "values differ from the env file"
import base64, json, sys
got = {k: base64.b64decode(v).decode() for k, v in json.load(open(sys.argv[1]))["data"].items()}
want = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if l.strip() and not l.startswith("#"))
assert got == want, sorted(set(got) ^ set(want))
assert len(got) == 15
PY
run "$SK" unseal --key "$DEVKEY" -o json -f "$T/k8s/manifests/seldon-system/production/ghcr-secret.yaml"
grep -q '"type": "kubernetes.io/dockerconfigjson"' "$T/out" && ok || bad "ghcr type"

# Sealing is randomized, so a second flow gives other bytes; packaging the same sealed files
# again gives the same bytes.
cp "$pkg" "$T/first.tar.gz"
run "$SK" package -n seldon-system --set ml --date 20250704 -o "$T/flow" \
  "$T/flow/sealed/ml-platform-secret.yaml" "$T/flow/sealed/ghcr-secret.yaml"
cmp -s "$pkg" "$T/first.tar.gz" && ok || bad "repackaging the same files changed the bytes"

finish
