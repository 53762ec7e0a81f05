#!/usr/bin/env bash
# kubeseal habits: an explicit -o wins over the output file's name, one default rule without it,
# an option that takes one value given twice is an error (never "last wins"), unseal takes
# several files and folders, and kubeseal-only flags get a hint naming sealkit's way.
source "$(dirname "$0")/lib.sh"

printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: demo}\nstringData: {pw: one}\n' >"$T/a.yaml"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: b, namespace: demo}\nstringData: {pw: two}\n' >"$T/b.yaml"
is_json() { head -c 1 "$1" | grep -q '{'; }
is_yaml() { head -c 4 "$1" | grep -q -- '---\|^api'; }

# ---- output format: -o wins; else the -w file's name; else json ----
"$SK" seal --cert "$CERT" -f "$T/a.yaml" -o json -w "$T/sa.yaml"
is_json "$T/sa.yaml" && ok || bad "seal -o json -w F.yaml: not json"
"$SK" seal --cert "$CERT" -f "$T/a.yaml" -w "$T/sa2.yaml"
is_yaml "$T/sa2.yaml" && ok || bad "seal -w F.yaml: not yaml"
"$SK" seal --cert "$CERT" -f "$T/b.yaml" -o yaml -w "$T/sb.json"
is_yaml "$T/sb.json" && ok || bad "seal -o yaml -w F.json: not yaml"
SEALED_SECRETS_FORMAT=json "$SK" seal --cert "$CERT" -f "$T/a.yaml" -w "$T/sa3.yaml"
is_json "$T/sa3.yaml" && ok || bad "SEALED_SECRETS_FORMAT=json -w F.yaml: not json"
"$SK" create generic c -n demo --from-literal k=v -w "$T/c.yaml" 2>/dev/null
is_yaml "$T/c.yaml" && ok || bad "create -w F.yaml: not yaml"
"$SK" create generic c -n demo --from-literal k=v -o json -w "$T/c2.yaml" 2>/dev/null
is_json "$T/c2.yaml" && ok || bad "create -o json -w F.yaml: not json"
"$SK" unseal --key "$KEY" -f "$T/sa.yaml" -w "$T/ua.yaml" 2>/dev/null
is_yaml "$T/ua.yaml" && ok || bad "unseal -w F.yaml: not yaml"
"$SK" unseal --key "$KEY" -f "$T/sa.yaml" -o json -w "$T/ua2.yaml" 2>/dev/null
is_json "$T/ua2.yaml" && ok || bad "unseal -o json -w F.yaml: not json"
run "$SK" unseal --key "$KEY" -f "$T/sa.yaml"
is_json "$T/out" && ok || bad "unseal to stdout: not json"

# ---- an option that takes one value, twice ----
twice() {
  local label=$1 opt=$2
  shift 2
  fails 2 "$opt given twice" "$label" "$@"
}
twice "seal -f a -f b" -f/--secret-file "$SK" seal --cert "$CERT" -f "$T/a.yaml" -f "$T/b.yaml"
twice "seal --cert twice" --cert "$SK" seal --cert "$CERT" --cert "$CERT" -f "$T/a.yaml"
twice "seal -o twice" -o/--format "$SK" seal --cert "$CERT" -o json -o yaml -f "$T/a.yaml"
twice "seal -w twice" -w/--sealed-secret-file "$SK" seal --cert "$CERT" -f "$T/a.yaml" -w "$T/x1" -w "$T/x2"
[ ! -e "$T/x1" ] && [ ! -e "$T/x2" ] && ok || bad "seal -w twice wrote a file"
twice "seal -n twice" -n/--namespace "$SK" seal --cert "$CERT" -n a --namespace b -f "$T/a.yaml"
# A variable and its flag are not a repetition: the flag wins.
SEALED_SECRETS_CERT=/nonexistent run "$SK" seal --cert "$CERT" -f "$T/a.yaml"
expect_rc 0 "SEALED_SECRETS_CERT and --cert"
twice "unseal -f a -f b" -f/--secret-file "$SK" unseal --key "$KEY" -f "$T/sa.yaml" -f "$T/sb.json"
twice "unseal -w twice" -w/--output "$SK" unseal --key "$KEY" -f "$T/sa.yaml" -w "$T/u1" --output "$T/u2"
twice "unseal -o twice" -o/--format "$SK" unseal --key "$KEY" -o yaml -o json -f "$T/sa.yaml"
twice "create --cert twice" --cert "$SK" create generic c -n demo --from-literal k=v --seal --cert "$CERT" --cert "$CERT"
run "$SK" create docker-registry r -n demo --docker-username u --docker-password hunter2 --docker-password hunter3
expect_rc 2 "create --docker-password twice"
expect_err "--docker-password given twice" "create --docker-password twice"
! grep -q hunter "$T/err" && ok || bad "a repeated password was printed"
twice "verify --cert twice" --cert "$SK" verify --cert "$CERT" --cert "$CERT" "$T/sa.yaml"
twice "verify -o twice" -o/--format "$SK" verify -o json -o text "$T/sa.yaml"
twice "cert --cert twice" --cert "$SK" cert --cert "$CERT" --cert "$CERT"
twice "cert FILE and --cert" "FILE and --cert" "$SK" cert --cert "$CERT" "$CERT"
twice "keygen -w twice" -w/--output "$SK" keygen -w "$T/k1.yaml" -w "$T/k2.yaml"
twice "keygen --bits twice" --bits "$SK" keygen --bits 2048 --bits 4096
twice "keys -o twice" -o/--format "$SK" keys list -o json -o text "$KEY"
twice "package -n twice" -n/--namespace "$SK" package -n a -n b --set ml "$T/sa.yaml"
twice "package --output-dir and -o" --output-dir "$SK" package -n a --set ml --output-dir "$T" -o "$T" "$T/sa.yaml"
twice "package verify --cert twice" --cert "$SK" package verify --cert "$CERT" --cert "$CERT" "$T/p.tar.gz"
twice "package install -C twice" -C/--directory "$SK" package install -C "$T" -C "$T" "$T/p.tar.gz"
twice "package diff -o twice" -o/--format "$SK" package diff -o json -o text "$T/p.tar.gz" "$T/p.tar.gz"

# ---- unseal: several files and folders ----
mkdir -p "$T/tree/sub"
cp "$T/sa2.yaml" "$T/tree/a.yaml"
cp "$T/sb.json" "$T/tree/sub/b.yaml"
printf 'not a manifest' >"$T/tree/README.md"
run "$SK" unseal --key "$KEY" -o yaml "$T/sa.yaml" "$T/tree"
expect_rc 0 "unseal FILE FOLDER"
[ "$(grep -c '^kind: Secret$' "$T/out")" -eq 3 ] && ok || bad "unseal FILE FOLDER: expected 3 Secrets: $(cat "$T/out")"
[ "$(grep -c '^---$' "$T/out")" -eq 3 ] && ok || bad "unseal FILE FOLDER: each Secret is not its own document"
grep -q 'pw: dHdv' "$T/out" && ok || bad "unseal FILE FOLDER: the folder's b is missing"
run "$SK" unseal --key "$KEY" -o yaml -f "$T/sa.yaml" "$T/sb.json"
expect_rc 0 "unseal -f FILE FILE"
[ "$(grep -c '^kind: Secret$' "$T/out")" -eq 2 ] && ok || bad "unseal -f FILE FILE: expected 2 Secrets"
# All or nothing across files: one that fails prints nothing.
fails 1 "no SealedSecret found" "unseal FILE PLAIN" "$SK" unseal --key "$KEY" "$T/sa.yaml" "$T/a.yaml"
fails 2 "--raw opens one blob" "unseal --raw FILE FILE" "$SK" unseal --raw --key "$KEY" --scope cluster-wide "$T/sa.yaml" "$T/sb.json"

# ---- kubeseal-only flags ----
hint() {
  local label=$1 needle=$2
  shift 2
  run "$@"
  expect_rc 2 "$label"
  expect_err "$needle" "$label"
  expect_err "a kubeseal flag" "$label"
}
hint "seal --re-encrypt" "use 'sealkit reseal'" "$SK" seal --re-encrypt --cert "$CERT"
hint "seal --recovery-unseal" "use 'sealkit unseal'" "$SK" seal --recovery-unseal --recovery-private-key "$KEY"
hint "seal --fetch-cert" "'sealkit cert --pem'" "$SK" seal --fetch-cert
hint "seal --validate" "use 'sealkit verify'" "$SK" seal --validate -f "$T/sa.yaml"
hint "seal --kubeconfig" "never talks to a cluster" "$SK" seal --kubeconfig=/x --cert "$CERT"
hint "seal --context" "never talks to a cluster" "$SK" seal --context prod --cert "$CERT"
hint "unseal --controller-name" "never talks to a cluster" "$SK" unseal --controller-name x --key "$KEY"
hint "unseal --controller-namespace" "never talks to a cluster" "$SK" unseal --controller-namespace=x --key "$KEY"
hint "verify --re-encrypt" "use 'sealkit reseal'" "$SK" verify --re-encrypt "$T/sa.yaml"
hint "create --fetch-cert" "'sealkit cert --pem'" "$SK" create --fetch-cert
hint "cert --fetch-cert" "'sealkit cert --pem'" "$SK" cert --fetch-cert
hint "keys --kubeconfig" "never talks to a cluster" "$SK" keys list --kubeconfig /x "$KEY"
hint "keygen --controller-namespace" "never talks to a cluster" "$SK" keygen --controller-namespace kube-system
hint "package --validate" "use 'sealkit verify'" "$SK" package -n a --set ml --validate "$T/sa.yaml"
# unseal takes kubeseal's --recovery-unseal; seal keeps accepting the controller flags.
run "$SK" unseal --recovery-unseal --recovery-private-key "$KEY" -f "$T/sa.yaml"
expect_rc 0 "unseal --recovery-unseal"
run "$SK" seal --controller-name sealed-secrets --controller-namespace kube-system --cert "$CERT" -f "$T/a.yaml"
expect_rc 0 "seal --controller-name with --cert"

finish
