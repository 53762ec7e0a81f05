#!/usr/bin/env bash
# sealkit package and package verify: layout, kustomize, reproducibility, refusals, hostile archives.
source "$(dirname "$0")/lib.sh"
SRC=${SK_SOURCE_DIR:?}
DEV_CERT=$SRC/keys/dev-only-controller.crt
DEV_KEY=$SRC/keys/dev-only-controller.key
PKG=seldon-system-ml-secrets-20250704.tar.gz
KUBECTL=${KUBECTL:-kubectl} # the kubectl to render with (a missing one is reported loudly)

# Seal the examples under the dev certificate: these are what the infra team would package.
mkdir -p "$T/in" "$T/a" "$T/b"
for f in "$SRC"/examples/seldon-system/*.yaml; do
  "$SK" seal --cert "$DEV_CERT" -o yaml -f "$f" -w "$T/in/$(basename "$f")"
done
IN=("$T/in/ghcr-secret.yaml" "$T/in/ml-platform-secret.yaml")

# --- building ---
run "$SK" package -n seldon-system --set ml --date 20250704 --output-dir "$T/a" "${IN[@]}"
expect_rc 0 "package"
[ "$(cat "$T/out")" = "$T/a/$PKG" ] && ok || bad "prints the package path: $(cat "$T/out")"
[ -f "$T/a/$PKG" ] && ok || bad "package file $PKG written"
[ "$(stat -c %a "$T/a/$PKG")" = 644 ] && ok || bad "package mode 0644"
# (grep reads whole outputs here: with pipefail, an early-exiting grep -q would fail the pipe.)
case "$(ls "$T/a")" in *sealkit-tmp*) bad "temporary file left behind" ;; *) ok ;; esac

# Listing: sorted entries, uid/gid 0, no names, modes, mtime midnight UTC of --date.
tar tvzf "$T/a/$PKG" --numeric-owner --utc >"$T/list"
awk '{print $1, $2, $4, $5, $6}' "$T/list" >"$T/list.short"
cat >"$T/list.want" <<'L'
drwxr-xr-x 0/0 2025-07-04 00:00 production/
-rw-r--r-- 0/0 2025-07-04 00:00 production/kustomization.yaml
drwxr-xr-x 0/0 2025-07-04 00:00 production/sealed-secrets/
-rw-r--r-- 0/0 2025-07-04 00:00 production/sealed-secrets/kustomization.yaml
drwxr-xr-x 0/0 2025-07-04 00:00 production/sealed-secrets/ml/
-rw-r--r-- 0/0 2025-07-04 00:00 production/sealed-secrets/ml/ghcr-secret.yaml
-rw-r--r-- 0/0 2025-07-04 00:00 production/sealed-secrets/ml/kustomization.yaml
-rw-r--r-- 0/0 2025-07-04 00:00 production/sealed-secrets/ml/ml-platform-secret.yaml
L
cmp -s "$T/list.short" "$T/list.want" && ok || bad "tar listing: $(cat "$T/list.short")"
tar tvzf "$T/a/$PKG" >"$T/names"
grep -q ' root/root \| [a-z]\+/[a-z]\+ ' "$T/names" && bad "user or group names stored" || ok
# gzip header: magic, deflate, no flags (no file name), mtime 0, XFL 2 (level 9), OS 3.
[ "$(head -c 10 "$T/a/$PKG" | od -An -tx1 | tr -d ' \n')" = 1f8b0800000000000203 ] && ok ||
  bad "gzip header: $(head -c 10 "$T/a/$PKG" | od -An -tx1)"

# Extract as the consumers do and check the layout and contents.
mkdir -p "$T/x"
tar xzf "$T/a/$PKG" -C "$T/x"
[ "$(cd "$T/x" && find . | sort | tr '\n' ' ')" = ". ./production ./production/kustomization.yaml ./production/sealed-secrets ./production/sealed-secrets/kustomization.yaml ./production/sealed-secrets/ml ./production/sealed-secrets/ml/ghcr-secret.yaml ./production/sealed-secrets/ml/kustomization.yaml ./production/sealed-secrets/ml/ml-platform-secret.yaml " ] &&
  ok || bad "extracted layout: $(cd "$T/x" && find . | sort | tr '\n' ' ')"
cmp -s "$T/x/production/sealed-secrets/ml/ghcr-secret.yaml" "${IN[0]}" && ok || bad "ghcr file stored unchanged"
cmp -s "$T/x/production/sealed-secrets/ml/ml-platform-secret.yaml" "${IN[1]}" && ok || bad "ml-platform file stored unchanged"
kz_head='apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n'
printf "$kz_head"'- ghcr-secret.yaml\n- ml-platform-secret.yaml\n' >"$T/kz.want"
cmp -s "$T/x/production/sealed-secrets/ml/kustomization.yaml" "$T/kz.want" && ok || bad "set kustomization.yaml: $(cat "$T/x/production/sealed-secrets/ml/kustomization.yaml")"
printf "$kz_head"'- sealed-secrets\n' >"$T/kz.want"
cmp -s "$T/x/production/kustomization.yaml" "$T/kz.want" && ok || bad "overlay kustomization.yaml: $(cat "$T/x/production/kustomization.yaml")"
printf "$kz_head"'- ml\n' >"$T/kz.want"
cmp -s "$T/x/production/sealed-secrets/kustomization.yaml" "$T/kz.want" && ok || bad "sealed-secrets/kustomization.yaml: $(cat "$T/x/production/sealed-secrets/kustomization.yaml")"

# kubectl kustomize renders both SealedSecrets with their names, namespaces and values unchanged.
# compare_kustomize DIR: the rendered objects are exactly the sealed inputs.
compare_kustomize() {
  "$KUBECTL" kustomize "$1" >"$T/rendered" 2>"$T/kerr" || { bad "kubectl kustomize $1: $(head -c 300 "$T/kerr")"; return; }
  python3 - "$T/rendered" "${IN[@]}" <<'PY' && ok || bad "kustomize output differs from the inputs"
import sys, yaml
got = {(d["kind"], d["metadata"]["namespace"], d["metadata"]["name"]): d for d in yaml.safe_load_all(open(sys.argv[1])) if d}
want = {}
for p in sys.argv[2:]:
    for d in yaml.safe_load_all(open(p)):
        if d: want[(d["kind"], d["metadata"]["namespace"], d["metadata"]["name"])] = d
assert set(got) == {("SealedSecret", "seldon-system", "ghcr"), ("SealedSecret", "seldon-system", "ml-platform")}, got.keys()
assert set(got) == set(want)
for k in want:
    assert got[k]["spec"]["encryptedData"] == want[k]["spec"]["encryptedData"], k
    assert got[k]["spec"]["template"]["metadata"]["name"] == k[2], k
PY
}
if command -v "$KUBECTL" >/dev/null 2>&1; then
  compare_kustomize "$T/x/production"
else
  skip_part "kubectl not installed: the package was NOT checked with 'kubectl kustomize'"
fi

# --- reproducible bytes ---
touch -d '2001-01-01' "${IN[@]}"
run "$SK" package -n seldon-system --set ml --date 20250704 --output-dir "$T/b" "${IN[@]}"
cmp -s "$T/a/$PKG" "$T/b/$PKG" && ok || bad "two runs differ"
# Input order does not matter either.
run "$SK" package -n seldon-system --set ml --date 20250704 --output "$T/rev.tgz" "${IN[1]}" "${IN[0]}"
cmp -s "$T/a/$PKG" "$T/rev.tgz" && ok || bad "input order changes the bytes"
# SOURCE_DATE_EPOCH at midnight gives the --date package; another instant, its own stable bytes.
mkdir -p "$T/e1" "$T/e2" "$T/e3"
(cd "$T/e1" && SOURCE_DATE_EPOCH=1751587200 "$SK" package -n seldon-system --set ml "${IN[@]}" >/dev/null)
cmp -s "$T/a/$PKG" "$T/e1/$PKG" && ok || bad "SOURCE_DATE_EPOCH=midnight differs from --date"
for d in e2 e3; do
  (cd "$T/$d" && SOURCE_DATE_EPOCH=1751600000 "$SK" package -n seldon-system --set ml "${IN[@]}" >/dev/null)
done
cmp -s "$T/e2/$PKG" "$T/e3/$PKG" && ok || bad "SOURCE_DATE_EPOCH runs differ"
cmp -s "$T/e2/$PKG" "$T/a/$PKG" && bad "SOURCE_DATE_EPOCH ignored" || ok
tar tvzf "$T/e2/$PKG" --utc >"$T/list"
grep -q '2025-07-04 03:33 production/sealed-secrets/ml/ghcr-secret.yaml' "$T/list" && ok || bad "mtime from SOURCE_DATE_EPOCH"
run env SOURCE_DATE_EPOCH=1751600000 "$SK" package -n seldon-system --set ml --date 20240101 --output-dir "$T/e2" "${IN[@]}"
[ -f "$T/e2/seldon-system-ml-secrets-20240101.tar.gz" ] && ok || bad "--date wins over SOURCE_DATE_EPOCH"
fails 2 'SOURCE_DATE_EPOCH "yesterday"' "bad SOURCE_DATE_EPOCH" env SOURCE_DATE_EPOCH=yesterday "$SK" package -n seldon-system --set ml --output-dir "$T/e2" "${IN[@]}"
fails 2 'date "20250231"' "impossible date" "$SK" package -n seldon-system --set ml --date 20250231 --output-dir "$T/e2" "${IN[@]}"
run "$SK" package -n seldon-system --set ml --overlay staging --date 20250704 --output "$T/staging.tgz" "${IN[@]}"
tar tzf "$T/staging.tgz" >"$T/list"
grep -qx 'staging/kustomization.yaml' "$T/list" && ok || bad "--overlay names the folder"

# --- output: a folder of its own flag, made when missing; never silently replaced ---
run "$SK" package -n seldon-system --set ml --date 20250704 --output-dir "$T/new/deep" "${IN[@]}"
expect_rc 0 "--output-dir makes the folder"
cmp -s "$T/new/deep/$PKG" "$T/a/$PKG" && ok || bad "package in the new folder"
run "$SK" package -n seldon-system --set ml --date 20250704 --output-dir "$T/new/deep" "${IN[@]}"
expect_rc 0 "the same package again"
expect_err "already holds this package" "same bytes: left alone"
cp "$T/a/$PKG" "$T/keep.tgz"
fails 1 "$T/a/$PKG: exists with other contents; not replaced" "a different package of the same name" \
  "$SK" package -n seldon-system --set ml --date 20250704 --output-dir "$T/a" "${IN[0]}"
grep -q "pass --force" "$T/err" && ok || bad "hint names --force"
cmp -s "$T/a/$PKG" "$T/keep.tgz" && ok || bad "the refused package replaced the file"
run "$SK" package -n seldon-system --set ml --date 20250704 --output-dir "$T/a" --force "${IN[0]}"
expect_rc 0 "--force replaces"
cmp -s "$T/a/$PKG" "$T/keep.tgz" && bad "--force did not replace" || ok
cp "$T/keep.tgz" "$T/a/$PKG"
# A link in the package file's place is never followed: not read (its target's bytes would
# answer "already holds this package"), not replaced, even with --force.
mkdir -p "$T/lk" "$T/elsewhere"
cp "$T/a/$PKG" "$T/elsewhere/$PKG"
ln -s "$T/elsewhere/$PKG" "$T/lk/$PKG"
fails 1 "is a symbolic link; never followed, left alone" "a link in the package's place" \
  "$SK" package -n seldon-system --set ml --date 20250704 --output-dir "$T/lk" "${IN[@]}"
run "$SK" package -n seldon-system --set ml --date 20250704 --output-dir "$T/lk" --force "${IN[0]}"
expect_rc 1 "--force with a link in the package's place"
[ -L "$T/lk/$PKG" ] && cmp -s "$T/elsewhere/$PKG" "$T/a/$PKG" && ok || bad "the link or its target changed"
# A folder that package made, swapped for a link before the file is written (strace holds the
# process 3 s after its second mkdir, the one of b): the file goes through the folder's handle,
# never through the link.
if command -v strace >/dev/null 2>&1; then
  mkdir -p "$T/sw" "$T/outside/b"
  (cd "$T/sw" && ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -o /dev/null \
    -e trace=mkdir,mkdirat -e inject=mkdir,mkdirat:delay_exit=3000000:when=2 \
    "$SK" package -n seldon-system --set ml --date 20250704 --output-dir a/b "${IN[@]}" >/dev/null 2>"$T/sw.err") &
  swpid=$!
  for _ in $(seq 200); do [ -d "$T/sw/a/b" ] && break; sleep 0.05; done
  mv "$T/sw/a" "$T/sw/moved" && ln -s "$T/outside" "$T/sw/a"
  wait "$swpid" && ok || bad "package with a folder swapped mid-run: $(head -c 300 "$T/sw.err")"
  [ -z "$(ls -A "$T/outside/b")" ] && ok || bad "wrote through a folder swapped for a link: $(ls -A "$T/outside/b")"
  cmp -s "$T/sw/moved/b/$PKG" "$T/a/$PKG" && ok || bad "the package is not in the folder package made"
else
  skip_part "strace not installed: no folder swapped for a link mid-run"
fi
# -o DIR: still a folder, with a warning (everywhere else -o is a format).
run "$SK" package -n seldon-system --set ml --date 20250704 -o "$T/o" "${IN[@]}"
expect_rc 0 "-o DIR still works"
expect_err "-o DIR is deprecated (everywhere else -o is a format): use --output-dir $T/o" "-o warns"
cmp -s "$T/o/$PKG" "$T/a/$PKG" && ok || bad "-o DIR wrote the package"

# --- refusals (nothing written) ---
mkdir -p "$T/r"
fails 1 "document 1: a plaintext Secret (kind: Secret)" "plaintext Secret" \
  "$SK" package -n seldon-system --set ml --output-dir "$T/r" "${IN[0]}" "$SRC/examples/seldon-system/ml-platform-secret.yaml"
expect_err "ml-platform-secret.yaml: document 1" "plaintext names file and document"
grep -q "sealkit seal" "$T/err" && ok || bad "plaintext hint names sealkit seal"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: seldon-system}\ndata: {a: b}\n' >"$T/cm.yaml"
fails 1 "cm.yaml: document 1: kind: ConfigMap is not a SealedSecret" "ConfigMap" \
  "$SK" package -n seldon-system --set ml --output-dir "$T/r" "${IN[0]}" "$T/cm.yaml"
{ cat "${IN[0]}"; echo ---; cat "$T/cm.yaml"; } >"$T/mixed.yaml"
fails 1 "mixed.yaml: document 2: kind: ConfigMap" "ConfigMap as document 2" \
  "$SK" package -n seldon-system --set ml --output-dir "$T/r" "$T/mixed.yaml"
fails 1 'namespace "seldon-system" is not the package'"'"'s namespace "other"' "namespace mismatch" \
  "$SK" package -n other --set ml --output-dir "$T/r" "${IN[@]}"
mkdir -p "$T/dup"
cp "${IN[0]}" "$T/dup/ghcr-secret.yaml"
fails 1 "two files are named ghcr-secret.yaml" "duplicate basename" \
  "$SK" package -n seldon-system --set ml --output-dir "$T/r" "${IN[0]}" "$T/dup/ghcr-secret.yaml"
cp "${IN[0]}" "$T/dup/copy.yaml"
fails 1 "SealedSecret seldon-system/ghcr is in both" "duplicate SealedSecret" \
  "$SK" package -n seldon-system --set ml --output-dir "$T/r" "${IN[0]}" "$T/dup/copy.yaml"
[ -z "$(ls -A "$T/r")" ] && ok || bad "a refused package left files: $(ls -A "$T/r")"
fails 2 "no set" "missing --set" "$SK" package -n seldon-system "${IN[@]}"
fails 2 "exclude each other" "--output-dir and --output" "$SK" package -n seldon-system --set ml --output-dir "$T/r" --output "$T/r/x.tgz" "${IN[@]}"
fails 2 "must be a DNS label" "bad namespace" "$SK" package -n Seldon_System --set ml --output-dir "$T/r" "${IN[@]}"
# A cluster-wide SealedSecret without a namespace is accepted.
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: shared\n  annotations: {sealedsecrets.bitnami.com/cluster-wide: "true"}\nstringData: {a: b}\n' >"$T/cw.yaml"
"$SK" seal --cert "$DEV_CERT" --scope cluster-wide -n seldon-system -o yaml -f "$T/cw.yaml" -w "$T/in-cw.yaml"
grep -q namespace "$T/in-cw.yaml" && bad "cluster-wide SealedSecret has a namespace" || ok
run "$SK" package -n seldon-system --set cw --date 20250704 --output-dir "$T/r" "$T/in-cw.yaml"
expect_rc 0 "cluster-wide SealedSecret without namespace"
rm -f "$T/r"/*

# --- a user's kustomization ---
# refuse_kz NEEDLE LABEL YAML: the kustomization is refused with NEEDLE.
refuse_kz() {
  printf '%s\n' "$3" >"$T/kz.yaml"
  fails 1 "$1" "$2" "$SK" package -n seldon-system --set ml --output-dir "$T/r" --kustomization "$T/kz.yaml" "${IN[@]}"
}
refuse_kz "namePrefix: kustomize would rename the SealedSecret; strict-scope values would no longer decrypt" "namePrefix" 'namePrefix: team-'
refuse_kz "nameSuffix: kustomize would rename the SealedSecret" "nameSuffix" 'nameSuffix: -v2'
refuse_kz 'namespace: kustomize would move the SealedSecrets from "seldon-system" to "other"' "namespace" 'namespace: other'
refuse_kz "secretGenerator: generators add objects with hash-suffixed names" "secretGenerator" 'secretGenerator: [{name: s, literals: [a=b]}]'
refuse_kz "generatorOptions: name hash suffixes" "generatorOptions" 'generatorOptions: {disableNameSuffixHash: false}'
refuse_kz 'patches[1]: path "/metadata/name" changes' "json6902 rename" 'patches:
- target: {kind: SealedSecret}
  patch: |
    - op: replace
      path: /metadata/name
      value: other'
refuse_kz 'patches[1]: field "/spec/template/metadata/namespace" changes' "smp template namespace" 'patches:
- patch: |
    apiVersion: bitnami.com/v1alpha1
    kind: SealedSecret
    metadata: {name: ghcr}
    spec: {template: {metadata: {namespace: other}}}'
refuse_kz "allowNameChange/allowKindChange: kustomize would rename" "allowNameChange" 'patches:
- target: {kind: SealedSecret}
  options: {allowNameChange: true}
  patch: "{metadata: {name: x}}"'
refuse_kz 'commonAnnotations[sealedsecrets.bitnami.com/cluster-wide]' "scope annotation" 'commonAnnotations: {sealedsecrets.bitnami.com/cluster-wide: "true"}'
refuse_kz 'resources[1] "../base" is not one of the packaged files' "foreign resource" 'resources: [../base]'
refuse_kz 'replacements: not allowed in a secrets package' "unknown field" 'replacements: []'
# Harmless additions are kept and kustomize still renders the same names.
cat >"$T/kz.yaml" <<'Y'
commonLabels: {team: ml}
namespace: seldon-system
patches:
- target: {kind: SealedSecret, name: ghcr}
  patch: |
    apiVersion: bitnami.com/v1alpha1
    kind: SealedSecret
    metadata:
      name: ghcr
      annotations: {note: delivered}
Y
run "$SK" package -n seldon-system --set ml --date 20250704 --output "$T/kz.tgz" --kustomization "$T/kz.yaml" "${IN[@]}"
expect_rc 0 "harmless kustomization"
mkdir -p "$T/xk"
tar xzf "$T/kz.tgz" -C "$T/xk"
grep -qx -- '- ml-platform-secret.yaml' "$T/xk/production/sealed-secrets/ml/kustomization.yaml" && ok || bad "resources filled in"
grep -qx 'commonLabels:' "$T/xk/production/sealed-secrets/ml/kustomization.yaml" && ok || bad "commonLabels kept"
if command -v "$KUBECTL" >/dev/null 2>&1; then
  compare_kustomize "$T/xk/production"
  grep -q 'team: ml' "$T/rendered" && ok || bad "kustomize applied commonLabels"
fi
run "$SK" package verify "$T/kz.tgz"
expect_rc 0 "verify a package with a harmless kustomization"

# --- package verify ---
run "$SK" package verify "$T/a/$PKG"
expect_rc 0 "verify clean"
[ ! -s "$T/out" ] && ok || bad "clean verify printed findings: $(head -c 300 "$T/out")"
expect_err "1 overlays, 2 files, 2 SealedSecrets, 16 items (0 opened): 0 errors, 0 warnings, 0 info" "verify summary"
run "$SK" package verify "$T/a/$PKG" --cert "$DEV_CERT" --key "$DEV_KEY" --policy "$SRC/policies/seldon-system.yaml"
expect_rc 0 "verify clean with cert, key and policy"
expect_err "16 items (16 opened): 0 errors, 0 warnings" "verify summary with keys"
# package verify reports the --cert as verify does (issue 12).
run "$SK" package verify "$T/a/$PKG" --cert "$SK_TEST_DATA_DIR/cert/e1.pub.pem"
expect_rc 1 "package verify with a weak --cert"
grep -qF "e1.pub.pem:-:-: error: cert-weak-key: RSA public exponent 1 is unsafe" "$T/out" && ok || bad "package verify: cert-weak-key: $(head -c 300 "$T/out")"
run "$SK" package verify "$T/a/$PKG" --key "$KEY"
expect_rc 1 "verify with the wrong key"
# One line per SealedSecret and cause, listing its items (as verify groups them).
grep -q '^production/sealed-secrets/ml/ml-platform-secret.yaml:1:AWS_ACCESS_KEY_ID,AWS_DEFAULT_REGION,[A-Z0-9_,]*: error: decrypt-failed: ' "$T/out" && ok || bad "wrong key findings grouped: $(head -c 300 "$T/out")"
[ "$(wc -l <"$T/out")" -eq 2 ] && ok || bad "wrong key: one line per SealedSecret: $(cat "$T/out")"
fails 2 "cannot open" "verify a missing package" "$SK" package verify "$T/nope.tgz"
fails 2 "one PACKAGE" "verify without package" "$SK" package verify

# Hostile and broken packages, built with python's tarfile from the good files.
mkdir -p "$T/h"
python3 - "$T/h" "$T/x/production" <<'PY'
import io, os, random, sys, tarfile
rng = random.Random(1)  # fixed seed: the same archives in every run
out, top = sys.argv[1], sys.argv[2]
src = os.path.join(top, "sealed-secrets", "ml")
S = "production/sealed-secrets/ml/"
good = {n: open(os.path.join(src, n), "rb").read() for n in sorted(os.listdir(src))}
tops = {p: open(os.path.join(top, p), "rb").read() for p in ("kustomization.yaml", "sealed-secrets/kustomization.yaml")}

def member(name, data=b"", **kw):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti, (io.BytesIO(data) if data else None)

def make(fname, members, mode="w:gz", level=6):
    with tarfile.open(os.path.join(out, fname), mode, **({"compresslevel": level} if mode.endswith("gz") else {})) as t:
        for ti, f in members:
            t.addfile(ti, f)

def base(files=good, listing=tops["sealed-secrets/kustomization.yaml"]):
    d = tarfile.DIRTYPE
    return ([member("production", type=d, mode=0o755), member("production/kustomization.yaml", tops["kustomization.yaml"]),
             member("production/sealed-secrets", type=d, mode=0o755), member("production/sealed-secrets/kustomization.yaml", listing),
             member("production/sealed-secrets/ml", type=d, mode=0o755)] + [member(S + n, d) for n, d in files.items()])

def flat(files=good):  # the layout of packages from earlier releases
    return [member("production", type=tarfile.DIRTYPE, mode=0o755)] + [member("production/" + n, d) for n, d in files.items()]

make("absolute.tgz", base() + [member("/etc/cron.d/x", b"x")])
make("dotdot.tgz", base() + [member("production/../../escape.yaml", b"x")])
make("symlink.tgz", base() + [member("production/link.yaml", type=tarfile.SYMTYPE, linkname="/etc/passwd")])
make("hardlink.tgz", base() + [member("production/hard.yaml", type=tarfile.LNKTYPE, linkname="production/ghcr-secret.yaml")])
make("device.tgz", base() + [member("production/dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)])
make("fifo.tgz", base() + [member("production/fifo", type=tarfile.FIFOTYPE)])
make("many.tgz", base() + [member(S + "f%03d.yaml" % i, b"x") for i in range(300)])
zeros = b"\0" * (4 * 1024 * 1024 - 4096)
make("bomb.tgz", base() + [member(S + "z%02d.yaml" % i, zeros) for i in range(13)], level=9)
make("huge.tgz", base() + [member(S + "zero.yaml", b"\0" * (50 * 1024 * 1024))], level=9)
make("big.tgz", base() + [member(S + "big.yaml", rng.randbytes(5 * 1024 * 1024))], level=1)
hexdata = [rng.randbytes(2 * 1024 * 1024 - 1024).hex().encode() for _ in range(9)]
make("total.tgz", base() + [member(S + "t%d.yaml" % i, d) for i, d in enumerate(hexdata)], level=1)
kz = good["kustomization.yaml"] + b"- gone.yaml\n"
make("missing.tgz", base(dict(good, **{"kustomization.yaml": kz})))
make("extra.tgz", base(dict(good, **{"extra.yaml": good["ghcr-secret.yaml"].replace(b"name: ghcr", b"name: extra")})))
plain = b"apiVersion: v1\nkind: Secret\nmetadata: {name: p, namespace: seldon-system}\nstringData: {a: b}\n"
kzp = good["kustomization.yaml"] + b"- plain.yaml\n"
make("plaintext.tgz", base(dict(good, **{"plain.yaml": plain, "kustomization.yaml": kzp})))
make("prefix.tgz", base(dict(good, **{"kustomization.yaml": b"namePrefix: x-\n" + good["kustomization.yaml"]})))
# Issue 10, item 6: patches that change the Secret the controller makes, not only its name.
smp_type = b"patches:\n- patch: |\n    apiVersion: bitnami.com/v1alpha1\n    kind: SealedSecret\n    metadata: {name: ghcr}\n    spec: {template: {type: Opaque}}\n"
make("type.tgz", base(dict(good, **{"kustomization.yaml": good["kustomization.yaml"] + smp_type})))
j_data = b"patches:\n- target: {kind: SealedSecret}\n  patch: '[{op: add, path: /spec/template/data, value: {extra: eA==}}]'\n"
make("data.tgz", base(dict(good, **{"kustomization.yaml": good["kustomization.yaml"] + j_data})))
make("replacements.tgz", base(dict(good, **{"kustomization.yaml": good["kustomization.yaml"] + b"replacements: []\n"})))
make("nokz.tgz", base({n: d for n, d in good.items() if n != "kustomization.yaml"}))
make("outside.tgz", base() + [member("README", b"x")])
make("nested.tgz", base() + [member(S + "sub/x.yaml", b"x")])
make("stray.tgz", base() + [member("production/sealed-secrets/stray.yaml", good["ghcr-secret.yaml"])])
make("dup.tgz", base() + [member(S + "ghcr-secret.yaml", b"x")])
make("unlisted-set.tgz", base(listing=b"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n"))
make("legacy.tgz", flat())
make("legacy-nested.tgz", flat() + [member("production/sub/x.yaml", b"x")])
make("plain.tar", base(), mode="w")
open(os.path.join(out, "garbage.tgz"), "wb").write(b"\x1f\x8b\x08\x00" + rng.randbytes(200))
PY

# hostile FILE NEEDLE: package verify reports NEEDLE and exits 1.
hostile() {
  run "$SK" package verify "$T/h/$1"
  expect_rc 1 "verify $1"
  grep -qF -- "$2" "$T/out" && ok || bad "verify $1: stdout lacks '$2': $(head -c 400 "$T/out") $(head -c 200 "$T/err")"
}
hostile absolute.tgz 'entry 9 "/etc/cron.d/x": absolute path'
hostile dotdot.tgz '"production/../../escape.yaml": ".." path component'
hostile symlink.tgz '"production/link.yaml": symbolic link; links are refused'
hostile hardlink.tgz '"production/hard.yaml": hard link; links are refused'
hostile device.tgz '"production/dev": character device; devices are refused'
hostile fifo.tgz '"production/fifo": FIFO; refused'
hostile many.tgz ':-:-: error: package-limit: more than 256 entries: refused'
hostile bomb.tgz 'compression ratio over 100:1'
hostile huge.tgz '"production/sealed-secrets/ml/zero.yaml": 52428800 bytes, over the 4 MiB entry limit'
hostile big.tgz '"production/sealed-secrets/ml/big.yaml": 5242880 bytes, over the 4 MiB entry limit'
hostile total.tgz 'more than 32 MiB in all (total limit)'
hostile missing.tgz 'production/sealed-secrets/ml/kustomization.yaml:-:-: error: package-missing: lists gone.yaml but the package has no production/sealed-secrets/ml/gone.yaml'
hostile extra.tgz 'production/sealed-secrets/ml/extra.yaml:-:-: error: package-unlisted: not listed in production/sealed-secrets/ml/kustomization.yaml resources; kustomize would not apply it'
hostile plaintext.tgz 'production/sealed-secrets/ml/plain.yaml:1:-: error: plaintext-secret: a plaintext Secret (kind: Secret); a package never holds plaintext'
hostile prefix.tgz 'production/sealed-secrets/ml/kustomization.yaml:-:-: error: package-kustomization: namePrefix: kustomize would rename the SealedSecret'
hostile type.tgz 'production/sealed-secrets/ml/kustomization.yaml:-:-: error: package-kustomization: patches[1]: field "/spec/template/type" is not a label or annotation'
hostile data.tgz 'production/sealed-secrets/ml/kustomization.yaml:-:-: error: package-kustomization: patches[1]: path "/spec/template/data" is not a label or annotation'
hostile replacements.tgz 'production/sealed-secrets/ml/kustomization.yaml:-:-: error: package-kustomization: replacements: not allowed in a secrets package'

# Reports for CI (issue 10): package verify speaks verify's JSON (with a package member) and SARIF,
# and --fail-on sets what fails; a refused archive is a report too.
SCHEMA_CHECK="python3 $SK_TEST_DATA_DIR/verify/schema_check.py $SRC/docs/verify-schema.json"
run "$SK" package verify --format json "$T/h/type.tgz"
expect_rc 1 "package verify --format json with a finding"
cp "$T/out" "$T/pv-type.json"
run "$SK" package verify -o json "$T/h/dotdot.tgz"
expect_rc 1 "package verify --format json of a refused archive"
cp "$T/out" "$T/pv-refused.json"
run "$SK" package verify -o json "$T/a/$PKG" --key "$DEV_KEY"
expect_rc 0 "package verify --format json, clean"
cp "$T/out" "$T/pv-clean.json"
run $SCHEMA_CHECK "$T/pv-type.json" "$T/pv-refused.json" "$T/pv-clean.json"
expect_rc 0 "package verify JSON matches docs/verify-schema.json: $(head -c 300 "$T/out")"
python3 - "$T/pv-type.json" "$T/pv-refused.json" "$T/pv-clean.json" "$PKG" <<'PY' && ok || bad "package verify JSON content"
import json, sys
t, r, c = (json.load(open(p)) for p in sys.argv[1:4])
assert t["package"] == {"path": t["package"]["path"], "refused": False, "overlays": 1}, t["package"]
assert [f["code"] for f in t["findings"]] == ["package-kustomization"], t["findings"]
assert t["summary"]["errors"] == 1 and t["sealed_secrets"] == 2, t
assert r["package"]["refused"] is True and r["findings"][0]["code"] == "package-unsafe", r
assert c["findings"] == [] and len(c["items"]) == 16 and all(i["opens"] for i in c["items"]), c
assert c["package"]["path"].endswith(sys.argv[4]), c["package"]
PY
grep -q 'overlays' "$T/err" && bad "JSON mode printed the text summary" || ok
run "$SK" package verify --format sarif "$T/h/type.tgz"
expect_rc 1 "package verify --format sarif"
cp "$T/out" "$T/pv.sarif"
if /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
  run /usr/bin/python3 - "$SK_TEST_DATA_DIR/verify/sarif-schema-2.1.0.json" "$T/pv.sarif" <<'PY'
import json, sys, jsonschema
schema, log = (json.load(open(p)) for p in sys.argv[1:3])
jsonschema.Draft4Validator(schema).validate(log)
run = log["runs"][0]
rule = run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]
assert rule["id"] == "package-kustomization" and "See docs" not in rule["help"]["text"], rule
assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "production/sealed-secrets/ml/kustomization.yaml"
PY
  expect_rc 0 "package verify SARIF validates, with a documented rule: $(tail -c 300 "$T/err")"
else
  skip_part "python3-jsonschema missing: package verify SARIF not validated"
fi
# A warning fails by default; --fail-on error lets it pass, --fail-on info fails on anything.
printf 'secrets: []\nnamespaces: [seldon-system]\nunexpected: warning\n' >"$T/pol-warn.yaml"
run "$SK" package verify "$T/a/$PKG" --policy "$T/pol-warn.yaml"
expect_rc 1 "a policy warning fails by default"
grep -q ': warning: policy-unexpected-secret: ' "$T/out" && ok || bad "policy warning: $(head -c 300 "$T/out")"
run "$SK" package verify "$T/a/$PKG" --policy "$T/pol-warn.yaml" --fail-on error
expect_rc 0 "--fail-on error: warnings pass"
fails 2 "--fail-on needs error, warning or info" "bad --fail-on" "$SK" package verify "$T/a/$PKG" --fail-on fatal
fails 2 "unsupported report format: yaml" "bad --format" "$SK" package verify "$T/a/$PKG" -o yaml
fails 2 "given twice" "--format twice" "$SK" package verify "$T/a/$PKG" -o json -o sarif
hostile nokz.tgz 'production/sealed-secrets/ml:-:-: error: package-kustomization: the overlay has no kustomization.yaml'
hostile outside.tgz 'README:-:-: error: package-layout: file outside any overlay folder'
hostile nested.tgz 'production/sealed-secrets/ml/sub/x.yaml:-:-: error: package-layout: not a place of the package layout'
hostile stray.tgz 'production/sealed-secrets/stray.yaml:-:-: error: package-layout: not a place of the package layout'
hostile unlisted-set.tgz 'production/sealed-secrets/kustomization.yaml:-:-: error: package-kustomization: must hold apiVersion, kind and resources listing exactly the 1 folder(s) beside it (ml)'
hostile legacy-nested.tgz 'production/sub/x.yaml:-:-: error: package-layout: nested file'
# A package of an earlier release (files directly in production/) still verifies.
run "$SK" package verify "$T/h/legacy.tgz"
expect_rc 0 "verify a package of the earlier layout"
expect_err "1 overlays, 2 files, 2 SealedSecrets" "earlier layout summary"
hostile dup.tgz '"production/sealed-secrets/ml/ghcr-secret.yaml" appears twice'
hostile plain.tar 'error: package-archive: not a gzip-compressed tar archive'
hostile garbage.tgz 'not a valid tar.gz'
# Every hostile package fails without a crash or a stray file in the working folder.
[ -z "$(ls -A "$T/r")" ] && ok || bad "verify wrote files"

# --- several environments from one plaintext source ---
ENVS=(--env production="$DEV_CERT" --env staging="$CERT")
"$SK" create generic ml-platform -n seldon-system --from-env-file "$SRC/examples/seldon-system/ml-platform.env" -o yaml |
  "$SK" package -n seldon-system --set ml --date 20250704 "${ENVS[@]}" --output-dir "$T/env" - "$SRC/examples/seldon-system/ghcr-secret.yaml" >"$T/out" 2>"$T/err"
[ -f "$T/env/$PKG" ] && ok || bad "--env package built: $(head -c 300 "$T/err")"
tar tzf "$T/env/$PKG" | grep -v '/$' | sort >"$T/list"
printf '%s\n' production/kustomization.yaml production/sealed-secrets/kustomization.yaml \
  production/sealed-secrets/ml/ghcr-secret.yaml production/sealed-secrets/ml/kustomization.yaml \
  production/sealed-secrets/ml/ml-platform-secret.yaml staging/kustomization.yaml \
  staging/sealed-secrets/kustomization.yaml staging/sealed-secrets/ml/ghcr-secret.yaml \
  staging/sealed-secrets/ml/kustomization.yaml staging/sealed-secrets/ml/ml-platform-secret.yaml >"$T/list.want"
cmp -s "$T/list" "$T/list.want" && ok || bad "--env layout: $(tr '\n' ' ' <"$T/list")"
# Each overlay opens under its own key only.
run "$SK" package verify "$T/env/$PKG" --key "$DEV_KEY"
expect_rc 1 "env package under the production key"
grep -q '^staging/sealed-secrets/ml/ml-platform-secret.yaml:1:AWS_ACCESS_KEY_ID,[A-Z0-9_,]*: error: decrypt-failed' "$T/out" && ok || bad "staging does not open under the production key"
grep -q '^production/' "$T/out" && bad "production has findings under its own key: $(grep '^production/' "$T/out" | head -2)" || ok
expect_err "2 overlays, 4 files, 4 SealedSecrets, 32 items (16 opened)" "env verify summary (production key)"
run "$SK" package verify "$T/env/$PKG" --key "$KEY"
expect_rc 1 "env package under the staging key"
grep -q '^production/sealed-secrets/ml/ghcr-secret.yaml:1:.dockerconfigjson: error: decrypt-failed' "$T/out" && ok || bad "production does not open under the staging key"
grep -q '^staging/' "$T/out" && bad "staging has findings under its own key" || ok
run "$SK" package verify "$T/env/$PKG" --key "$DEV_KEY,$KEY"
expect_rc 0 "env package with both keys"
mkdir -p "$T/envx"
tar xzf "$T/env/$PKG" -C "$T/envx"
run "$SK" unseal --key "$KEY" -o json -f "$T/envx/staging/sealed-secrets/ml/ml-platform-secret.yaml"
python3 - "$T/out" "$SRC/examples/seldon-system/ml-platform.env" <<'PY' && ok || bad "staging values differ from the env file"
import base64, json, sys
got = {k: base64.b64decode(v).decode() for k, v in json.load(open(sys.argv[1]))["data"].items()}
want = dict(l.strip().split("=", 1) for l in open(sys.argv[2]) if l.strip() and not l.startswith("#"))
assert got == want
PY
fails 2 "expected NAME=CERT" "--env without =" "$SK" package -n seldon-system --set ml --env production "${IN[@]}"
fails 2 "--env names the overlays" "--env with --overlay" "$SK" package -n seldon-system --set ml --overlay x "${ENVS[@]}" "${IN[@]}"
fails 1 "kind: SealedSecret" "--env takes plaintext Secrets" "$SK" package -n seldon-system --set ml "${ENVS[@]}" --output-dir "$T/envr" "${IN[0]}"
[ -z "$(ls -A "$T/envr" 2>/dev/null)" ] && ok || bad "a refused --env package left files"

# --- package diff ---
run "$SK" package diff "$T/a/$PKG" "$T/a/$PKG"
expect_rc 0 "diff of a package with itself"
expect_err "0 added, 0 removed, 0 changed, 0 resealed (same value), 0 re-encrypted (value not compared), 0 template, 16 unchanged" "diff: all unchanged"
[ ! -s "$T/out" ] && ok || bad "diff printed lines for identical packages"
# A rotation: every item resealed under a new key, same values.
mkdir -p "$T/rot" "$T/rotd"
cp "${IN[@]}" "$T/rot/"
"$SK" reseal --cert "$CERT" --key "$DEV_KEY,$KEY" "$T/rot" 2>/dev/null
"$SK" package -n seldon-system --set ml --date 20250801 --output-dir "$T/rotd" "$T/rot"/*.yaml >/dev/null
NEWPKG=$T/rotd/seldon-system-ml-secrets-20250801.tar.gz
run "$SK" package diff "$T/a/$PKG" "$NEWPKG"
expect_rc 0 "diff after a rotation, no keys"
expect_err "0 added, 0 removed, 0 changed, 0 resealed (same value), 16 re-encrypted (value not compared)" "without keys: re-encrypted"
grep -qx 'production seldon-system/ml-platform AWS_ACCESS_KEY_ID: re-encrypted' "$T/out" && ok || bad "diff line per item: $(head -3 "$T/out")"
run "$SK" package diff --key "$DEV_KEY,$KEY" "$T/a/$PKG" "$NEWPKG"
expect_rc 0 "diff after a rotation, with keys"
expect_err "0 changed, 16 resealed (same value), 0 re-encrypted" "with keys: resealed only"
run "$SK" package diff --key "$DEV_KEY,$KEY" --format json "$T/a/$PKG" "$NEWPKG"
python3 - "$T/out" <<'PY' && ok || bad "diff --format json: $(head -c 300 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "sealkit-package-diff/v1"
assert d["totals"]["resealed"] == 16 and d["totals"]["changed"] == 0, d["totals"]
assert {c["change"] for c in d["changes"]} == {"resealed"}
assert {"overlay": "production", "secret": "seldon-system/ghcr", "item": ".dockerconfigjson", "change": "resealed"} in d["changes"]
PY
# A changed value, an added item, a removed Secret; never a value in the output.
sed 's/^AWS_SECRET_ACCESS_KEY=.*/AWS_SECRET_ACCESS_KEY=rotated-secret-value-xyz/; $a NEW_ITEM=new-item-value-xyz' \
  "$SRC/examples/seldon-system/ml-platform.env" >"$T/changed.env"
mkdir -p "$T/chg" "$T/chgd"
"$SK" create generic ml-platform -n seldon-system --from-env-file "$T/changed.env" --seal --cert "$DEV_CERT" -o yaml -w "$T/chg/ml-platform-secret.yaml"
"$SK" package -n seldon-system --set ml --date 20250802 --output-dir "$T/chgd" "$T/chg/ml-platform-secret.yaml" >/dev/null
run "$SK" package diff --key "$DEV_KEY" "$T/a/$PKG" "$T/chgd/seldon-system-ml-secrets-20250802.tar.gz"
expect_rc 1 "diff with changes"
grep -qx 'production seldon-system/ghcr: removed' "$T/out" && ok || bad "removed Secret"
grep -qx 'production seldon-system/ml-platform AWS_SECRET_ACCESS_KEY: changed' "$T/out" && ok || bad "changed value: $(cat "$T/out")"
grep -qx 'production seldon-system/ml-platform AWS_ACCESS_KEY_ID: resealed' "$T/out" && ok || bad "unchanged value resealed"
grep -qx 'production seldon-system/ml-platform NEW_ITEM: added' "$T/out" && ok || bad "added item"
grep -q 'xyz\|example-secret-access-key-not-real' "$T/out" "$T/err" && bad "diff printed a value" || ok
run "$SK" package diff --key "$KEY" "$T/a/$PKG" "$NEWPKG"
expect_rc 0 "diff when the old side does not open"
expect_err "Secrets did not open with the keys given" "unopened Secrets are reported"
# Names from a package are printed with control characters as '?': a Secret named with ESC and a
# newline, an item key with an OSC sequence, can neither drive the terminal nor forge a line.
python3 - "$T/x/production" "$T/h/ctl.tgz" <<'PY'
import io, json, os, sys, tarfile, yaml
top, out = sys.argv[1], sys.argv[2]
files = {}
for d, _, names in os.walk(top):
    for n in names:
        p = os.path.join(d, n)
        files["production/" + os.path.relpath(p, top)] = open(p, "rb").read()
S = "production/sealed-secrets/ml/"
ml = yaml.safe_load(files[S + "ml-platform-secret.yaml"])
ml["spec"]["encryptedData"]["k\x1b]0;pwn\x07"] = "AgA="
files[S + "ml-platform-secret.yaml"] = json.dumps(ml).encode()
evil = {"apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
        "metadata": {"name": "evil\x1b[2J\ninjected", "namespace": "seldon-system"},
        "spec": {"encryptedData": {"k": "AgA="}}}
files[S + "evil.yaml"] = json.dumps(evil).encode()
with tarfile.open(out, "w:gz") as t:
    for name in sorted(files):
        ti = tarfile.TarInfo(name)
        ti.size = len(files[name])
        t.addfile(ti, io.BytesIO(files[name]))
PY
run "$SK" package diff "$T/a/$PKG" "$T/h/ctl.tgz"
expect_rc 1 "diff with control characters in names"
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$T/out" && bad "diff printed a control character: $(cat -v "$T/out")" || ok
grep -qxF 'production seldon-system/evil?[2J?injected: added' "$T/out" && ok || bad "escaped Secret name: $(cat -v "$T/out")"
grep -qxF 'production seldon-system/ml-platform k?]0;pwn?: added' "$T/out" && ok || bad "escaped item name: $(cat -v "$T/out")"
grep -q '^injected' "$T/out" && bad "a newline in a Secret name made a line of its own" || ok
fails 2 "two PACKAGE files" "diff with one package" "$SK" package diff "$T/a/$PKG"
fails 2 "--format is text or json" "diff bad format" "$SK" package diff -o yaml "$T/a/$PKG" "$T/a/$PKG"

finish
