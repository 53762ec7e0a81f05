#!/usr/bin/env bash
# sealkit package install: packages side by side (either order), next to a team's overlay, refusals
# that leave the folder byte-identical, same package twice, newer and older packages, files install
# did not write, and SIGKILL at every rename, link, unlink, mkdir and fsync of an install; SIGINT
# and SIGTERM at every step, open included.
source "$(dirname "$0")/lib.sh"
SRC=${SK_SOURCE_DIR:?}
EX=$SRC/examples/seldon-system
DEV_CERT=$SRC/keys/dev-only-controller.crt
DEV_KEY=$SRC/keys/dev-only-controller.key
KUBECTL=${KUBECTL:-kubectl}
ML=seldon-system-ml-secrets-20250704.tar.gz
MODELS=seldon-system-models-secrets-20250704.tar.gz

# The infra team's packages: ml (ml-platform with 15 keys, ghcr); models as the infrastructure
# document has it (a second ml-platform with 4 keys) and corrected (models-storage).
mkdir -p "$T/s/ml" "$T/s/bad" "$T/s/models" "$T/d/ml" "$T/d/bad" "$T/d/models" "$T/d/ml2"
"$SK" create generic ml-platform -n seldon-system --from-env-file "$EX/ml-platform.env" \
  --seal --cert "$DEV_CERT" -o yaml -w "$T/s/ml/ml-platform-secret.yaml"
"$SK" seal --cert "$DEV_CERT" -o yaml -f "$EX/ghcr-secret.yaml" -w "$T/s/ml/ghcr-secret.yaml"
"$SK" create generic ml-platform -n seldon-system --from-env-file "$EX/models-storage.env" \
  --seal --cert "$DEV_CERT" -o yaml -w "$T/s/bad/ml-platform-secret.yaml"
"$SK" create generic models-storage -n seldon-system --from-env-file "$EX/models-storage.env" \
  --seal --cert "$DEV_CERT" -o yaml -w "$T/s/models/models-storage-secret.yaml"
pkg() { "$SK" package -n seldon-system --set "$1" --date "$2" --output-dir "$3" "${@:4}" >/dev/null; }
pkg ml 20250704 "$T/d/ml" "$T/s/ml"/*.yaml
pkg models 20250704 "$T/d/bad" "$T/s/bad"/*.yaml
pkg models 20250704 "$T/d/models" "$T/s/models"/*.yaml
# The ml package again after a rotation: the same Secrets sealed again, a later date.
"$SK" reseal --cert "$DEV_CERT" --key "$DEV_KEY" <"$T/s/ml/ghcr-secret.yaml" >/dev/null 2>&1 || true
mkdir -p "$T/s/ml2"
for f in "$T/s/ml"/*.yaml; do
  "$SK" unseal --key "$DEV_KEY" -f "$f" 2>/dev/null | "$SK" seal --cert "$DEV_CERT" -o yaml -w "$T/s/ml2/$(basename "$f")"
done
pkg ml 20250801 "$T/d/ml2" "$T/s/ml2"/*.yaml
ML2=seldon-system-ml-secrets-20250801.tar.gz

# snap DIR: every path (type) and every file's hash, the lock file aside.
snap() {
  (cd "$1" && find . ! -name .sealkit-install.lock -printf '%y %p\n' | sort &&
    find . -type f ! -name .sealkit-install.lock -exec sha256sum {} + | sort -k2)
}
# rendered DIR/production: kind/name of every object kustomize builds, sorted.
rendered() {
  "$KUBECTL" kustomize "$1/production" 2>"$T/kerr" | python3 -c '
import sys, yaml
for d in yaml.safe_load_all(sys.stdin):
    if d: print(d["kind"], d["metadata"]["name"], d.get("spec", {}).get("replicas", ""))' | sort
}
have_kubectl=0
command -v "$KUBECTL" >/dev/null 2>&1 && have_kubectl=1

# --- both packages, in either order, into the document's empty folder ---
for order in "ml models" "models ml"; do
  dir=$T/k-${order// /-}/k8s/manifests/seldon-system
  mkdir -p "$dir"
  for p in $order; do
    f=$T/d/$p/$ML
    [ "$p" = models ] && f=$T/d/models/$MODELS
    run "$SK" package install -C "$dir" "$f"
    expect_rc 0 "install $p ($order)"
  done
  [ -f "$dir/production/sealed-secrets/ml/ml-platform-secret.yaml" ] && ok || bad "$order: ml set in its folder"
  [ -f "$dir/production/sealed-secrets/models/models-storage-secret.yaml" ] && ok || bad "$order: models set in its folder"
  if [ $have_kubectl = 1 ]; then
    [ "$(rendered "$dir" | tr '\n' ,)" = "SealedSecret ghcr ,SealedSecret ml-platform ,SealedSecret models-storage ," ] &&
      ok || bad "$order: kustomize builds every SealedSecret: $(rendered "$dir" | tr '\n' ,) $(head -c 300 "$T/kerr")"
  else
    skip_part "kubectl not installed: the installed folder was NOT built"
  fi
done
cmp -s <(snap "$T/k-ml-models/k8s/manifests/seldon-system") <(snap "$T/k-models-ml/k8s/manifests/seldon-system") &&
  ok || bad "the order of installs changes the folder"
dir=$T/k-ml-models/k8s/manifests/seldon-system

# --- the same package twice changes nothing (not even a time) ---
before=$(snap "$dir")
stamp=$(stat -c %Y.%i "$dir/production/sealed-secrets/ml/ml-platform-secret.yaml" "$dir/.sealkit-install.json")
run "$SK" package install -C "$dir" "$T/d/ml/$ML"
expect_rc 0 "install again"
expect_err "0 sets installed, 0 replaced, 1 unchanged" "install again: unchanged"
[ "$(snap "$dir")" = "$before" ] && ok || bad "install again changed the folder"
[ "$(stat -c %Y.%i "$dir/production/sealed-secrets/ml/ml-platform-secret.yaml" "$dir/.sealkit-install.json")" = "$stamp" ] &&
  ok || bad "install again rewrote files"

# --- the document's pair: the same Secret in two packages is refused, folder byte-identical ---
for d in "$dir" "$T/k-models-ml/k8s/manifests/seldon-system"; do
  before=$(snap "$d")
  run "$SK" package install -C "$d" "$T/d/bad/$MODELS"
  expect_rc 1 "conflicting package"
  expect_err "both carry SealedSecret seldon-system/ml-platform (overlay production) with different content" "conflict names the Secret"
  expect_err "$ML and $MODELS" "conflict names both packages"
  expect_one_error_line "conflict"
  [ "$(snap "$d")" = "$before" ] && ok || bad "a refused install changed the folder"
done
mkdir -p "$T/pair"
run "$SK" package install -C "$T/pair" "$T/d/bad/$MODELS" "$T/d/ml/$ML"
expect_rc 1 "conflicting pair in one run"
expect_err "both carry SealedSecret seldon-system/ml-platform" "pair in one run"
[ -z "$(ls -A "$T/pair" | grep -v '^.sealkit-install.lock$')" ] && ok || bad "refused pair left files: $(ls -A "$T/pair")"

# Another install holding the folder's lock: exit 3, nothing written.
if command -v flock >/dev/null 2>&1; then
  before=$(snap "$dir")
  run flock "$dir/.sealkit-install.lock" "$SK" package install -C "$dir" "$T/d/ml2/$ML2"
  expect_rc 3 "install while another holds the lock"
  expect_err "another sealkit package install is running" "lock named"
  [ "$(snap "$dir")" = "$before" ] && ok || bad "a locked-out install changed the folder"
else
  skip_part "flock not installed: the install lock was NOT tested"
fi

# --- a newer package of a set replaces its files; an older one is refused unless --force ---
cp -a "$dir" "$T/newer"
run "$SK" package install -C "$T/newer" "$T/d/ml2/$ML2"
expect_rc 0 "newer package"
expect_err "0 sets installed, 1 replaced, 0 unchanged" "newer replaces"
cmp -s "$T/newer/production/sealed-secrets/ml/ml-platform-secret.yaml" "$T/s/ml2/ml-platform-secret.yaml" && ok || bad "newer files in place"
before=$(snap "$T/newer")
run "$SK" package install -C "$T/newer" "$T/d/ml/$ML"
expect_rc 1 "older package"
expect_err "$ML (20250704) is older than the installed $ML2 (20250801)" "older refused"
[ "$(snap "$T/newer")" = "$before" ] && ok || bad "refused older install changed the folder"
run "$SK" package install -C "$T/newer" --force "$T/d/ml/$ML"
expect_rc 0 "older with --force"
[ "$(snap "$T/newer")" = "$(snap "$dir")" ] && ok || bad "--force back to the older package gives the older folder"

# --- next to a team's overlay: none of its files changes ---
team=$T/team/k8s/manifests/seldon-system
mkdir -p "$team/base" "$team/production"
cat >"$team/base/kustomization.yaml" <<'Y'
resources: [deployment.yaml]
Y
cat >"$team/base/deployment.yaml" <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata: {name: trainer, namespace: seldon-system}
spec:
  replicas: 1
  selector: {matchLabels: {app: trainer}}
  template:
    metadata: {labels: {app: trainer}}
    spec:
      containers: [{name: t, image: busybox}]
Y
cat >"$team/production/kustomization.yaml" <<'Y'
resources:
- ../base
patches:
- patch: |
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: trainer, namespace: seldon-system}
    spec: {replicas: 3}
Y
(cd "$team" && sha256sum base/* production/kustomization.yaml) >"$T/team.sums"
[ $have_kubectl = 1 ] && team_before=$(rendered "$team")
run "$SK" package install -C "$team" "$T/d/ml/$ML" "$T/d/models/$MODELS"
expect_rc 0 "install next to a team overlay"
expect_err "production/kustomization.yaml is your own and does not list sealed-secrets: add '- sealed-secrets'" "install names the one line to add"
(cd "$team" && sha256sum -c --quiet "$T/team.sums") && ok || bad "a team file changed"
if [ $have_kubectl = 1 ]; then
  [ "$(rendered "$team")" = "$team_before" ] && ok || bad "the team's build changed before the line was added"
  sed -i 's|^- ../base$|- ../base\n- sealed-secrets|' "$team/production/kustomization.yaml"
  [ "$(rendered "$team" | tr '\n' ,)" = "Deployment trainer 3,SealedSecret ghcr ,SealedSecret ml-platform ,SealedSecret models-storage ," ] &&
    ok || bad "team build with the packages: $(rendered "$team" | tr '\n' ,) $(head -c 300 "$T/kerr")"
  run "$SK" package install -C "$team" "$T/d/ml2/$ML2"
  expect_rc 0 "update next to the team overlay"
  [ -z "$(grep -F 'is your own' "$T/err")" ] && ok || bad "a listed overlay is reported as unlisted"
fi

# --- files install did not write are never touched ---
cp -a "$dir" "$T/foreign"
echo "# mine" >"$T/foreign/production/sealed-secrets/ml/notes.yaml"
before=$(snap "$T/foreign")
run "$SK" package install -C "$T/foreign" "$T/d/ml2/$ML2"
expect_rc 1 "foreign file in a set folder"
expect_err "production/sealed-secrets/ml/notes.yaml: was not written by sealkit package install" "names the foreign file"
[ "$(snap "$T/foreign")" = "$before" ] && ok || bad "refused install changed the folder (foreign file)"
rm "$T/foreign/production/sealed-secrets/ml/notes.yaml"
echo "# edited" >>"$T/foreign/production/sealed-secrets/ml/ghcr-secret.yaml"
run "$SK" package install -C "$T/foreign" "$T/d/ml2/$ML2"
expect_rc 1 "edited file in a set folder"
expect_err "ml/ghcr-secret.yaml: changed since install wrote it" "names the edited file"
mkdir -p "$T/theirs/production/sealed-secrets/ml"
echo "x: 1" >"$T/theirs/production/sealed-secrets/ml/x.yaml"
run "$SK" package install -C "$T/theirs" "$T/d/ml/$ML"
expect_rc 1 "a set folder someone else made"
expect_err "production/sealed-secrets/ml: exists and was not written by sealkit package install" "names the folder"
[ "$(cat "$T/theirs/production/sealed-secrets/ml/x.yaml")" = "x: 1" ] && ok || bad "their file changed"
# A package that does not verify: its findings and nothing installed.
mkdir -p "$T/unv"
printf 'not a package' >"$T/junk.tar.gz"
fails 1 "not a valid tar.gz" "junk package" "$SK" package install -C "$T/unv" "$T/junk.tar.gz"
run "$SK" package install -C "$T/unv" --key "$KEY" "$T/d/ml/$ML"
expect_rc 1 "a package that does not open under the key given"
expect_err "does not verify" "verify failure named"
grep -q '^production/sealed-secrets/ml/ml-platform-secret.yaml:1:AWS_ACCESS_KEY_ID: error: ' "$T/out" && ok || bad "the findings are printed: $(head -c 300 "$T/out")"
[ -z "$(ls -A "$T/unv" | grep -v '^.sealkit-install.lock$')" ] && ok || bad "unverified package installed"
fails 2 "pass -C DIR" "no -C" "$SK" package install "$T/d/ml/$ML"
fails 1 "cannot open the folder" "missing folder" "$SK" package install -C "$T/nope" "$T/d/ml/$ML"

# --- a multi-environment package: each overlay installed; a newer one without staging removes it ---
mkdir -p "$T/envs/v1" "$T/envs/v2" "$T/envdir"
"$SK" package -n seldon-system --set ml --date 20250704 --env production="$DEV_CERT" --env staging="$CERT" \
  --output-dir "$T/envs/v1" "$EX/ghcr-secret.yaml" >/dev/null
"$SK" package -n seldon-system --set ml --date 20250801 --env production="$DEV_CERT" \
  --output-dir "$T/envs/v2" "$EX/ghcr-secret.yaml" >/dev/null
run "$SK" package install -C "$T/envdir" --key "$DEV_KEY,$KEY" "$T/envs/v1/$ML"
expect_rc 0 "install a two-environment package"
[ -f "$T/envdir/production/sealed-secrets/ml/ghcr-secret.yaml" ] && [ -f "$T/envdir/staging/sealed-secrets/ml/ghcr-secret.yaml" ] &&
  ok || bad "both overlays installed"
run "$SK" package install -C "$T/envdir" "$T/envs/v2/$ML2"
expect_rc 0 "newer package without staging"
expect_err "1 sets removed from overlays their new package lacks" "staging set removed"
[ ! -e "$T/envdir/staging/sealed-secrets/ml" ] && ok || bad "the staging set folder is still there"
grep -qx 'resources: \[\]' "$T/envdir/staging/sealed-secrets/kustomization.yaml" && ok ||
  bad "staging listing: $(cat "$T/envdir/staging/sealed-secrets/kustomization.yaml")"
[ -z "$(ls -A "$T/envdir" | grep stage)" ] && ok || bad "stage left behind"

# --- SIGKILL at each step: the next run leaves the folder as before or fully installed ---
if command -v strace >/dev/null 2>&1; then
  mkdir -p "$T/kbase"
  "$SK" package install -C "$T/kbase" "$T/d/ml/$ML" 2>/dev/null
  cp -a "$T/kbase" "$T/kfull"
  "$SK" package install -C "$T/kfull" "$T/d/ml2/$ML2" "$T/d/models/$MODELS" 2>/dev/null
  want_before=$(snap "$T/kbase")
  want_after=$(snap "$T/kfull")
  n=1 finished=0 rolled=0 completed=0
  while [ $n -le 200 ]; do
    rm -rf "$T/kt"
    cp -a "$T/kbase" "$T/kt"
    kill_at rename,renameat,renameat2,linkat,unlinkat,mkdirat,fsync "$n" "$SK" package install -C "$T/kt" "$T/d/ml2/$ML2" "$T/d/models/$MODELS"
    if [ "$rc" -eq 0 ]; then finished=1; break; fi
    run "$SK" package install -C "$T/kt"
    expect_rc 0 "recovery after a kill at call $n"
    got=$(snap "$T/kt")
    if [ "$got" = "$want_before" ]; then rolled=$((rolled + 1)); ok
    elif [ "$got" = "$want_after" ]; then completed=$((completed + 1)); ok
    else bad "killed at call $n: the folder is neither as before nor fully installed"; fi
    n=$((n + 1))
  done
  [ $finished = 1 ] && ok || bad "the install never ran to its end under strace"
  [ $rolled -gt 0 ] && [ $completed -gt 0 ] && ok || bad "kills: $rolled rolled back, $completed finished (want both)"
  echo "killed at $((n - 1)) points: $rolled rolled back, $completed finished"
  # SIGINT and SIGTERM (by turns) at each step, openat included: the handler removes the write in
  # flight, so no temporary file is left, not even one made an instant before the signal. The
  # stage (SealedSecrets only, never plaintext) is by design left to the next run, which rolls it
  # back or finishes it as after SIGKILL: the signal may come after the commit record, when the
  # staged files are what must still be put in place.
  n=1 finished=0 staged=0
  while [ $n -le 400 ]; do
    rm -rf "$T/kt"
    cp -a "$T/kbase" "$T/kt"
    sig=INT
    [ $((n % 2)) -eq 0 ] && sig=TERM
    signal_at $sig rename,renameat,renameat2,linkat,unlinkat,mkdirat,fsync,openat "$n" "$SK" package install -C "$T/kt" "$T/d/ml2/$ML2" "$T/d/models/$MODELS"
    if [ "$rc" -eq 0 ]; then finished=1; break; fi
    left=$(find "$T/kt" -name '*.sealkit-tmp.*')
    [ -z "$left" ] && ok || bad "SIG$sig at call $n left a temporary file: $left"
    [ -d "$T/kt/.sealkit-install.stage" ] && staged=$((staged + 1))
    run "$SK" package install -C "$T/kt"
    expect_rc 0 "recovery after SIG$sig at call $n"
    got=$(snap "$T/kt")
    [ "$got" = "$want_before" ] || [ "$got" = "$want_after" ] && ok ||
      bad "SIG$sig at call $n: the folder is neither as before nor fully installed after the next run"
    n=$((n + 1))
  done
  [ $finished = 1 ] && ok || bad "the install never ran to its end under strace (signals)"
  [ $staged -gt 0 ] && ok || bad "no signal came while a stage was there"
  echo "signalled at $((n - 1)) points, $staged with a stage for the next run"
else
  skip_part "strace not installed: install was NOT killed mid-way"
fi

finish
