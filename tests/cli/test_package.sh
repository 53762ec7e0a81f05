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
run "$SK" package -n seldon-system --set ml --date 20250704 -o "$T/a" "${IN[@]}"
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
-rw-r--r-- 0/0 2025-07-04 00:00 production/ghcr-secret.yaml
-rw-r--r-- 0/0 2025-07-04 00:00 production/kustomization.yaml
-rw-r--r-- 0/0 2025-07-04 00:00 production/ml-platform-secret.yaml
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
[ "$(cd "$T/x" && find . | sort | tr '\n' ' ')" = ". ./production ./production/ghcr-secret.yaml ./production/kustomization.yaml ./production/ml-platform-secret.yaml " ] &&
  ok || bad "extracted layout: $(cd "$T/x" && find . | sort | tr '\n' ' ')"
cmp -s "$T/x/production/ghcr-secret.yaml" "${IN[0]}" && ok || bad "ghcr file stored unchanged"
cmp -s "$T/x/production/ml-platform-secret.yaml" "${IN[1]}" && ok || bad "ml-platform file stored unchanged"
printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ghcr-secret.yaml\n- ml-platform-secret.yaml\n' >"$T/kz.want"
cmp -s "$T/x/production/kustomization.yaml" "$T/kz.want" && ok || bad "kustomization.yaml: $(cat "$T/x/production/kustomization.yaml")"

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
run "$SK" package -n seldon-system --set ml --date 20250704 -o "$T/b" "${IN[@]}"
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
grep -q '2025-07-04 03:33 production/ghcr-secret.yaml' "$T/list" && ok || bad "mtime from SOURCE_DATE_EPOCH"
run env SOURCE_DATE_EPOCH=1751600000 "$SK" package -n seldon-system --set ml --date 20240101 -o "$T/e2" "${IN[@]}"
[ -f "$T/e2/seldon-system-ml-secrets-20240101.tar.gz" ] && ok || bad "--date wins over SOURCE_DATE_EPOCH"
fails 2 'SOURCE_DATE_EPOCH "yesterday"' "bad SOURCE_DATE_EPOCH" env SOURCE_DATE_EPOCH=yesterday "$SK" package -n seldon-system --set ml -o "$T/e2" "${IN[@]}"
fails 2 'date "20250231"' "impossible date" "$SK" package -n seldon-system --set ml --date 20250231 -o "$T/e2" "${IN[@]}"
run "$SK" package -n seldon-system --set ml --overlay staging --date 20250704 --output "$T/staging.tgz" "${IN[@]}"
tar tzf "$T/staging.tgz" >"$T/list"
grep -qx 'staging/kustomization.yaml' "$T/list" && ok || bad "--overlay names the folder"

# --- refusals (nothing written) ---
mkdir -p "$T/r"
fails 1 "document 1: a plaintext Secret (kind: Secret)" "plaintext Secret" \
  "$SK" package -n seldon-system --set ml -o "$T/r" "${IN[0]}" "$SRC/examples/seldon-system/ml-platform-secret.yaml"
expect_err "ml-platform-secret.yaml: document 1" "plaintext names file and document"
grep -q "sealkit seal" "$T/err" && ok || bad "plaintext hint names sealkit seal"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: seldon-system}\ndata: {a: b}\n' >"$T/cm.yaml"
fails 1 "cm.yaml: document 1: kind: ConfigMap is not a SealedSecret" "ConfigMap" \
  "$SK" package -n seldon-system --set ml -o "$T/r" "${IN[0]}" "$T/cm.yaml"
{ cat "${IN[0]}"; echo ---; cat "$T/cm.yaml"; } >"$T/mixed.yaml"
fails 1 "mixed.yaml: document 2: kind: ConfigMap" "ConfigMap as document 2" \
  "$SK" package -n seldon-system --set ml -o "$T/r" "$T/mixed.yaml"
fails 1 'namespace "seldon-system" is not the package'"'"'s namespace "other"' "namespace mismatch" \
  "$SK" package -n other --set ml -o "$T/r" "${IN[@]}"
mkdir -p "$T/dup"
cp "${IN[0]}" "$T/dup/ghcr-secret.yaml"
fails 1 "two files are named ghcr-secret.yaml" "duplicate basename" \
  "$SK" package -n seldon-system --set ml -o "$T/r" "${IN[0]}" "$T/dup/ghcr-secret.yaml"
cp "${IN[0]}" "$T/dup/copy.yaml"
fails 1 "SealedSecret seldon-system/ghcr is in both" "duplicate SealedSecret" \
  "$SK" package -n seldon-system --set ml -o "$T/r" "${IN[0]}" "$T/dup/copy.yaml"
[ -z "$(ls -A "$T/r")" ] && ok || bad "a refused package left files: $(ls -A "$T/r")"
fails 2 "no set" "missing --set" "$SK" package -n seldon-system "${IN[@]}"
fails 2 "exclude each other" "-o and --output" "$SK" package -n seldon-system --set ml -o "$T/r" --output "$T/r/x.tgz" "${IN[@]}"
fails 2 "must be a DNS label" "bad namespace" "$SK" package -n Seldon_System --set ml -o "$T/r" "${IN[@]}"
# A cluster-wide SealedSecret without a namespace is accepted.
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: shared\n  annotations: {sealedsecrets.bitnami.com/cluster-wide: "true"}\nstringData: {a: b}\n' >"$T/cw.yaml"
"$SK" seal --cert "$DEV_CERT" --scope cluster-wide -n seldon-system -o yaml -f "$T/cw.yaml" -w "$T/in-cw.yaml"
grep -q namespace "$T/in-cw.yaml" && bad "cluster-wide SealedSecret has a namespace" || ok
run "$SK" package -n seldon-system --set cw --date 20250704 -o "$T/r" "$T/in-cw.yaml"
expect_rc 0 "cluster-wide SealedSecret without namespace"
rm -f "$T/r"/*

# --- a user's kustomization ---
# refuse_kz NEEDLE LABEL YAML: the kustomization is refused with NEEDLE.
refuse_kz() {
  printf '%s\n' "$3" >"$T/kz.yaml"
  fails 1 "$1" "$2" "$SK" package -n seldon-system --set ml -o "$T/r" --kustomization "$T/kz.yaml" "${IN[@]}"
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
grep -qx -- '- ml-platform-secret.yaml' "$T/xk/production/kustomization.yaml" && ok || bad "resources filled in"
grep -qx 'commonLabels:' "$T/xk/production/kustomization.yaml" && ok || bad "commonLabels kept"
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
run "$SK" package verify "$T/a/$PKG" --key "$KEY"
expect_rc 1 "verify with the wrong key"
grep -q '^production/ml-platform-secret.yaml:1:AWS_ACCESS_KEY_ID: error: ' "$T/out" && ok || bad "wrong key finding per item: $(head -c 300 "$T/out")"
fails 2 "cannot open" "verify a missing package" "$SK" package verify "$T/nope.tgz"
fails 2 "one PACKAGE" "verify without package" "$SK" package verify

# Hostile and broken packages, built with python's tarfile from the good files.
mkdir -p "$T/h"
python3 - "$T/h" "$T/x/production" <<'PY'
import io, os, random, sys, tarfile
rng = random.Random(1)  # fixed seed: the same archives in every run
out, src = sys.argv[1], sys.argv[2]
good = {n: open(os.path.join(src, n), "rb").read() for n in sorted(os.listdir(src))}

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

def base(files=good):
    return [member("production", type=tarfile.DIRTYPE, mode=0o755)] + [member("production/" + n, d) for n, d in files.items()]

make("absolute.tgz", base() + [member("/etc/cron.d/x", b"x")])
make("dotdot.tgz", base() + [member("production/../../escape.yaml", b"x")])
make("symlink.tgz", base() + [member("production/link.yaml", type=tarfile.SYMTYPE, linkname="/etc/passwd")])
make("hardlink.tgz", base() + [member("production/hard.yaml", type=tarfile.LNKTYPE, linkname="production/ghcr-secret.yaml")])
make("device.tgz", base() + [member("production/dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)])
make("fifo.tgz", base() + [member("production/fifo", type=tarfile.FIFOTYPE)])
make("many.tgz", base() + [member("production/f%03d.yaml" % i, b"x") for i in range(300)])
zeros = b"\0" * (4 * 1024 * 1024 - 4096)
make("bomb.tgz", base() + [member("production/z%02d.yaml" % i, zeros) for i in range(13)], level=9)
make("huge.tgz", base() + [member("production/zero.yaml", b"\0" * (50 * 1024 * 1024))], level=9)
make("big.tgz", base() + [member("production/big.yaml", rng.randbytes(5 * 1024 * 1024))], level=1)
hexdata = [rng.randbytes(2 * 1024 * 1024 - 1024).hex().encode() for _ in range(9)]
make("total.tgz", base() + [member("production/t%d.yaml" % i, d) for i, d in enumerate(hexdata)], level=1)
kz = good["kustomization.yaml"] + b"- gone.yaml\n"
make("missing.tgz", base(dict(good, **{"kustomization.yaml": kz})))
make("extra.tgz", base(dict(good, **{"extra.yaml": good["ghcr-secret.yaml"].replace(b"name: ghcr", b"name: extra")})))
plain = b"apiVersion: v1\nkind: Secret\nmetadata: {name: p, namespace: seldon-system}\nstringData: {a: b}\n"
kzp = good["kustomization.yaml"] + b"- plain.yaml\n"
make("plaintext.tgz", base(dict(good, **{"plain.yaml": plain, "kustomization.yaml": kzp})))
make("prefix.tgz", base(dict(good, **{"kustomization.yaml": b"namePrefix: x-\n" + good["kustomization.yaml"]})))
make("nokz.tgz", base({n: d for n, d in good.items() if n != "kustomization.yaml"}))
make("outside.tgz", base() + [member("README", b"x")])
make("nested.tgz", base() + [member("production/sub/x.yaml", b"x")])
make("dup.tgz", base() + [member("production/ghcr-secret.yaml", b"x")])
make("plain.tar", base(), mode="w")
open(os.path.join(out, "garbage.tgz"), "wb").write(b"\x1f\x8b\x08\x00" + rng.randbytes(200))
PY

# hostile FILE NEEDLE: package verify reports NEEDLE and exits 1.
hostile() {
  run "$SK" package verify "$T/h/$1"
  expect_rc 1 "verify $1"
  grep -qF -- "$2" "$T/out" && ok || bad "verify $1: stdout lacks '$2': $(head -c 400 "$T/out") $(head -c 200 "$T/err")"
}
hostile absolute.tgz 'entry 5 "/etc/cron.d/x": absolute path'
hostile dotdot.tgz '"production/../../escape.yaml": ".." path component'
hostile symlink.tgz '"production/link.yaml": symbolic link; links are refused'
hostile hardlink.tgz '"production/hard.yaml": hard link; links are refused'
hostile device.tgz '"production/dev": character device; devices are refused'
hostile fifo.tgz '"production/fifo": FIFO; refused'
hostile many.tgz ':-:-: error: package-limit: more than 256 entries: refused'
hostile bomb.tgz 'compression ratio over 100:1'
hostile huge.tgz '"production/zero.yaml": 52428800 bytes, over the 4 MiB entry limit'
hostile big.tgz '"production/big.yaml": 5242880 bytes, over the 4 MiB entry limit'
hostile total.tgz 'more than 32 MiB in all (total limit)'
hostile missing.tgz 'production/kustomization.yaml:-:-: error: package-missing: lists gone.yaml but the package has no production/gone.yaml'
hostile extra.tgz 'production/extra.yaml:-:-: error: package-unlisted: not listed in production/kustomization.yaml resources; kustomize would not apply it'
hostile plaintext.tgz 'production/plain.yaml:1:-: error: plaintext-secret: a plaintext Secret (kind: Secret); a package never holds plaintext'
hostile prefix.tgz 'production/kustomization.yaml:-:-: error: package-kustomization: namePrefix: kustomize would rename the SealedSecret'
hostile nokz.tgz 'production:-:-: error: package-kustomization: the overlay has no kustomization.yaml'
hostile outside.tgz 'README:-:-: error: package-layout: file outside any overlay folder'
hostile nested.tgz 'production/sub/x.yaml:-:-: error: package-layout: nested file'
hostile dup.tgz '"production/ghcr-secret.yaml" appears twice'
hostile plain.tar 'error: package-archive: not a gzip-compressed tar archive'
hostile garbage.tgz 'not a valid tar.gz'
# Every hostile package fails without a crash or a stray file in the working folder.
[ -z "$(ls -A "$T/r")" ] && ok || bad "verify wrote files"

finish
