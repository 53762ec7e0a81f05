#!/usr/bin/env bash
# Bad input to sealkit seal: each is one clear error naming the place, exit 1, nothing written.
source "$(dirname "$0")/lib.sh"

check() { # NAME NEEDLE: seals $T/NAME and expects a failure mentioning NEEDLE
  fails 1 "$2" "$1" "$SK" seal --cert "$CERT" -f "$T/$1"
  grep -q "$1" "$T/err" && ok || bad "$1: message does not name the file"
}

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: ns}\ndata: {k: v}\n' >"$T/configmap.yaml"
check configmap.yaml "document 1: kind: ConfigMap is not a Secret"

printf 'kind: Gadget\n' >"$T/unknown-kind.yaml"
check unknown-kind.yaml "kind: Gadget"

printf 'kind: Secret\nmetadata: {name: a, namespace: ns}\ndata:\n  password: "not*base64"\n' >"$T/bad-base64.yaml"
check bad-base64.yaml "data[password]"
grep -q 'not\*base64' "$T/err" && bad "the bad value is echoed" || ok

printf 'kind: Secret\nmetadata: {namespace: ns}\ndata: {k: dg==}\n' >"$T/no-name.yaml"
check no-name.yaml "metadata.name"

printf 'kind: Secret\nmetadata: {name: a}\ndata: {k: dg==}\n' >"$T/no-namespace.yaml"
check no-namespace.yaml "namespace"

: >"$T/empty.yaml"
check empty.yaml "no Secret found"

printf 'kind: Secret\nmetadata: &m {name: a, namespace: ns}\nstringData: *m\n' >"$T/alias.yaml"
check alias.yaml "anchors and aliases"

cat >"$T/laughs.yaml" <<'Y'
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: [*c,*c,*c,*c,*c,*c,*c,*c,*c]
Y
check laughs.yaml "anchors and aliases"

python3 -c "print('kind: Secret\nx: ' + '['*200 + ']'*200)" >"$T/deep.yaml"
check deep.yaml "nesting"

python3 -c "print('{\"kind\": \"Secret\", \"x\": ' + '['*200 + ']'*200 + '}')" >"$T/deep.json"
check deep.json "nesting"

printf 'kind: Secret\nmetadata: {name: "a\xff", namespace: ns}\n' >"$T/utf8.yaml"
check utf8.yaml "UTF-8"

printf 'kind: Secret\nmetadata: {name: a, namespace: ns}\nstringData: {k: one, k: two}\n' >"$T/dup.yaml"
check dup.yaml "duplicate key"

printf '{"kind": "Secret", "metadata": {"name": "a", "name": "b"}}' >"$T/dup.json"
check dup.json "duplicate"

printf '{"kind": "Secret", "metadata": {"name": "a", "namespace": "n"}, "stringData": {"k": "v"}}\n{"kind": ' >"$T/trunc.json"
check trunc.json "document 2"

printf 'kind: Secret\nmetadata: {name: a, namespace: ns}\nstringData: {k: "unterminated\n' >"$T/trunc.yaml"
check trunc.yaml "line"

printf 'kind: Secret\nmetadata:\n  name: a\n  namespace: ns\n  labels:\n    enabled: yes\nstringData: {k: v}\n' >"$T/unquoted.yaml"
check unquoted.yaml "metadata.labels[enabled]"
grep -q "hint: quote" "$T/err" && ok || bad "unquoted label gets a quoting hint"

head -c $((33 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$T/huge.yaml"
check huge.yaml "limit"

finish
