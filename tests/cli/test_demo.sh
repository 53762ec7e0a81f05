#!/usr/bin/env bash
# The README's main flow (examples/seldon-system/flow.sh): env files -> create --seal -> the ml
# and models packages -> package verify -> the document's pair refused -> both installed next to a
# team's overlay -> kubectl kustomize -> rotation -> package diff shows re-encryption only ->
# install of the new packages. Then the single-package tar flow, and values equal to the env file.
source "$(dirname "$0")/lib.sh"
SRC=${SK_SOURCE_DIR:?}
DEVCRT=$SRC/keys/dev-only-controller.crt
DEVKEY=$SRC/keys/dev-only-controller.key
ML=seldon-system-ml-secrets-20250704.tar.gz
MODELS=seldon-system-models-secrets-20250704.tar.gz

run bash "$SRC/examples/seldon-system/flow.sh" "$SK" "$DEVCRT" "$DEVKEY" "$T/flow"
expect_rc 0 "flow"
expect_err "$ML: 1 overlays, 2 files, 2 SealedSecrets, 16 items (16 opened): 0 errors, 0 warnings" "ml package verifies"
expect_err "$MODELS: 1 overlays, 1 files, 1 SealedSecrets, 4 items (4 opened): 0 errors, 0 warnings" "models package verifies"
expect_err "$ML and $MODELS both carry SealedSecret seldon-system/ml-platform (overlay production) with different content" "the document's pair is refused"
expect_err "2 sets installed, 0 replaced, 0 unchanged" "both installed next to the team overlay"
expect_err "0 added, 0 removed, 0 changed, 16 resealed (same value), 0 re-encrypted" "ml diff after rotation: re-encryption only"
expect_err "0 added, 0 removed, 0 changed, 4 resealed (same value), 0 re-encrypted" "models diff after rotation: re-encryption only"
expect_err "0 sets installed, 2 replaced, 0 unchanged" "rotated packages replace the installed ones"
m=$T/flow/k8s/manifests/seldon-system
for f in base/deployment.yaml base/kustomization.yaml production/kustomization.yaml; do
  cmp -s "$m/$f" "$SRC/examples/seldon-system/team/$f" && ok || bad "install changed the team's $f"
done
for f in ml/kustomization.yaml ml/ml-platform-secret.yaml ml/ghcr-secret.yaml models/models-storage-secret.yaml; do
  [ -f "$m/production/sealed-secrets/$f" ] && ok || bad "not installed: production/sealed-secrets/$f"
done

if command -v kubectl >/dev/null; then
  run kubectl kustomize "$m/production"
  expect_rc 0 "kubectl kustomize of the team overlay with the packages"
  python3 - "$T/out" <<'PY' && ok || bad "kustomize output: $(grep -E '^kind|^  name' "$T/out" | tr '\n' ' ')"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
got = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
assert got == [("Deployment", "trainer"), ("SealedSecret", "ghcr"), ("SealedSecret", "ml-platform"),
               ("SealedSecret", "models-storage")], got
assert [d for d in docs if d["kind"] == "Deployment"][0]["spec"]["replicas"] == 3  # the team's patch
PY
else
  skip_part "kubectl not installed: the overlay was not built"
fi

# The installed values (after the rotation) are the env file's, item by item.
run "$SK" unseal --key "$T/flow/rotation/keys" -o json -f "$m/production/sealed-secrets/ml/ml-platform-secret.yaml"
expect_rc 0 "unseal ml-platform"
python3 - "$T/out" "$SRC/examples/seldon-system/ml-platform.env" <<'PY' && ok || bad "values differ from the env file"
import base64, json, sys
got = {k: base64.b64decode(v).decode() for k, v in json.load(open(sys.argv[1]))["data"].items()}
want = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if l.strip() and not l.startswith("#"))
assert got == want, sorted(set(got) ^ set(want))
assert len(got) == 15
PY
run "$SK" unseal --key "$T/flow/rotation/keys" -o json -f "$m/production/sealed-secrets/ml/ghcr-secret.yaml"
grep -q '"type": "kubernetes.io/dockerconfigjson"' "$T/out" && ok || bad "ghcr type"

# The single-package tar flow of the infrastructure document still works, and the documented
# extraction (--keep-old-files) never replaces a file: a second package fails loudly instead.
x=$T/tar/k8s/manifests/seldon-system
mkdir -p "$x"
tar xzf "$T/flow/$ML" -C "$x" --keep-old-files && ok || bad "tar xzf of one package"
if command -v kubectl >/dev/null; then
  run kubectl kustomize "$x/production"
  [ "$(grep -c '^kind: SealedSecret' "$T/out")" -eq 2 ] && ok || bad "kustomize of the extracted package has both SealedSecrets"
fi
sum=$(cd "$x" && find . -type f -exec sha256sum {} + | sort)
set +e
tar xzf "$T/flow/$MODELS" -C "$x" --keep-old-files 2>"$T/err"
st=$?
set -e
[ "$st" -ne 0 ] && grep -q 'production/kustomization.yaml' "$T/err" && ok || bad "a second extraction did not fail on the shared file"
[ "$(cd "$x" && find . -type f -exec sha256sum {} + | sort | grep -v '/models/')" = "$sum" ] && ok ||
  bad "the second extraction replaced a file"

# Sealing is randomized, so a second flow gives other bytes; packaging the same sealed files
# again gives the same bytes.
cp "$T/flow/$ML" "$T/first.tar.gz"
run "$SK" package -n seldon-system --set ml --date 20250704 --output-dir "$T/again" \
  "$T/flow/sealed/ml/ml-platform-secret.yaml" "$T/flow/sealed/ml/ghcr-secret.yaml"
cmp -s "$T/again/$ML" "$T/first.tar.gz" && ok || bad "repackaging the same files changed the bytes"

finish
