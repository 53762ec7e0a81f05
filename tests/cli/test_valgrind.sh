#!/usr/bin/env bash
# valgrind memcheck over the CLI end to end, successes and failures: zero errors and zero
# definite or indirect leaks (OpenSSL's "still reachable" caches do not count).
source "$(dirname "$0")/lib.sh"
OLDCRT=$IOP/keys/old/tls.crt
OLDKEY=$IOP/keys/old/tls.key

if is_asan_build; then
  skip_part "$SK is an ASan build, which valgrind cannot run; the release build runs this test"
  finish
fi
if ! command -v valgrind >/dev/null; then
  skip_part "valgrind is not installed: memcheck NOT run (scripts/setup.sh installs it)"
  finish
fi

n=0
# vg CODE LABEL CMD...: CMD (sealkit's arguments) under memcheck must exit CODE, cleanly.
vg() {
  local code=$1 label=$2
  shift 2
  n=$((n + 1))
  run valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --child-silent-after-fork=no --log-file="$T/vg.%p" "$SK" "$@"
  expect_rc "$code" "$label"
  # valgrind does not know mlock2 (syscall 325), by which OpenSSL locks its secure heap: it says
  # so and fails the call, and OpenSSL falls back to mlock. Only that notice is passed over.
  local mlock2='^--[0-9]+-- (WARNING: unhandled amd64-linux syscall: 325|You may be able to write your own handler\.|Read the file README_MISSING_SYSCALL_OR_IOCTL\.|Nevertheless we consider this a bug\.  Please report|it at http://valgrind\.org/support/bug_reports\.html\.)$'
  if cat "$T"/vg.* 2>/dev/null | grep -v -E "$mlock2" | grep -q .; then
    bad "$label: valgrind reports: $(cat "$T"/vg.* | grep -v -E "$mlock2" | head -c 1500)"
  else ok; fi
  rm -f "$T"/vg.*
}

printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: demo, labels: {tier: db}}\ntype: Opaque\nstringData: {user: app-7f3k, pass: h7Lq-93kd-x1Zp}\ndata: {blob: AAEC/w==}\n' >"$T/s.yaml"
printf '{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a", "namespace": "demo"}, "stringData": {"k": "v"}}, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "b", "namespace": "demo"}, "stringData": {"k": "w"}}]}\n' >"$T/list.json"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: demo}\nstringData: {pass: changed, extra: more}\n' >"$T/upd.yaml"

vg 0 "seal yaml to json" seal --cert "$CERT" -f "$T/s.yaml"
cp "$T/out" "$T/sealed.json"
vg 0 "seal -o yaml -w, stdin" seal --cert "$CERT" -o yaml -w "$T/sealed.yaml" <"$T/s.yaml"
vg 0 "seal a List, cluster-wide" seal --cert "$CERT" --scope cluster-wide -f "$T/list.json"
vg 0 "seal --merge-into" seal --cert "$CERT" --merge-into "$T/sealed.yaml" -f "$T/upd.yaml"
vg 0 "unseal json" unseal --key "$KEY" -f "$T/sealed.json"
vg 0 "unseal -o yaml -w, two keys" unseal --key "$OLDKEY,$KEY" -o yaml -f "$T/sealed.yaml" -w "$T/plain.yaml"
vg 0 "unseal with the key backup List" unseal --key "$IOP/keys/backup-list.yaml" -f "$T/sealed.json"
vg 0 "seal --raw" seal --raw --cert "$CERT" --namespace demo --name app --from-file "$T/upd.yaml"
cp "$T/out" "$T/blob"
vg 0 "unseal --raw" unseal --raw --key "$KEY" --namespace demo --name app -f "$T/blob"
cmp -s "$T/out" "$T/upd.yaml" && ok || bad "raw round trip"
vg 0 "create generic --seal" create generic app -n demo --from-literal user=app-7f3k --from-file "$T/upd.yaml" --seal --cert "$CERT"
vg 0 "create docker-registry --seal" create docker-registry reg -n demo --docker-server r.example \
  --docker-username u --docker-password-stdin --seal --cert "$CERT" -o yaml <"$T/blob"
mkdir -p "$T/repo"
"$SK" seal --cert "$OLDCRT" -o yaml -f "$T/s.yaml" -w "$T/repo/a.yaml"
"$SK" seal --cert "$OLDCRT" -f "$T/list.json" -w "$T/repo/b.json"
cp -r "$T/repo" "$T/repo2"
vg 0 "reseal folder" reseal --cert "$CERT" --key "$OLDKEY,$KEY" -j 1 "$T/repo"
vg 0 "reseal folder, two workers" reseal --cert "$CERT" --key "$OLDKEY,$KEY" -j 2 "$T/repo2"
vg 0 "reseal filter" reseal --cert "$OLDCRT" --key "$KEY" <"$T/sealed.json"

# Failures free what they allocated too.
printf 'kind: Secret\nmetadata: {name: a, namespace: ns}\nstringData: {k: one, k: two}\n' >"$T/dup.yaml"
vg 1 "seal: duplicate key" seal --cert "$CERT" -f "$T/dup.yaml"
vg 1 "seal: deep nesting" seal --cert "$CERT" -f "${SK_SOURCE_DIR:-$(dirname "$0")/../..}/tests/hostile/deep-json-object.json"
vg 1 "seal: invalid UTF-8" seal --cert "$CERT" -f "${SK_SOURCE_DIR:-$(dirname "$0")/../..}/tests/hostile/utf8-overlong.yaml"
vg 1 "seal: wrong type" seal --cert "$CERT" -f "${SK_SOURCE_DIR:-$(dirname "$0")/../..}/tests/hostile/wt-label-value-map.yaml"
vg 1 "seal: missing certificate" seal --cert "$T/none.crt" -f "$T/s.yaml"
vg 2 "seal: usage error" seal --cert "$CERT" --scope nowhere -f "$T/s.yaml"
vg 1 "unseal: wrong key" unseal --key "$OLDKEY" -f "$T/sealed.json"
head -c 700 "$T/sealed.json" >"$T/cut.json"
vg 1 "unseal: truncated file" unseal --key "$KEY" -f "$T/cut.json"
vg 1 "reseal: a file no key opens" reseal --cert "$CERT" --key "$OLDKEY" "$T/repo"
if [[ "$("$SK" --help)" == *" verify "* ]]; then
  vg 0 "verify --key" verify --key "$KEY" "$T/repo"
fi

echo "$n sealkit runs under memcheck"
finish
