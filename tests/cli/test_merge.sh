#!/usr/bin/env bash
# sealkit seal --merge-into: in place, atomic, keeps the file's scope and format and other items.
source "$(dirname "$0")/lib.sh"

printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: demo, labels: {a: "1"}}\nstringData: {bar: one, foo: two}\n' >"$T/base.yaml"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: whatever, namespace: elsewhere, annotations: {note: hi}}\nstringData: {foo: updated, zed: three}\n' >"$T/update.yaml"

# YAML file: stays YAML; bar keeps its ciphertext byte for byte; foo changes; zed is added.
"$SK" seal --cert "$CERT" -o yaml -f "$T/base.yaml" -w "$T/app.yaml"
chmod 0640 "$T/app.yaml"
bar_before=$(grep '^    bar: ' "$T/app.yaml")
foo_before=$(grep '^    foo: ' "$T/app.yaml")
run "$SK" seal --cert "$CERT" --merge-into "$T/app.yaml" -f "$T/update.yaml"
expect_rc 0 "merge yaml"
expect_no_stdout "merge yaml"
head -1 "$T/app.yaml" | grep -qx -- '---' && ok || bad "merged file is still YAML"
[ "$(grep '^    bar: ' "$T/app.yaml")" = "$bar_before" ] && ok || bad "untouched item changed"
[ "$(grep '^    foo: ' "$T/app.yaml")" != "$foo_before" ] && ok || bad "updated item kept its old blob"
[ "$(stat -c %a "$T/app.yaml")" = 640 ] && ok || bad "file mode not kept"
run "$SK" unseal --key "$KEY" -o yaml -f "$T/app.yaml"
expect_rc 0 "merged file opens"
for kv in "bar: $(printf one | base64)" "foo: $(printf updated | base64)" "zed: $(printf three | base64)" "note: hi" "name: app" "namespace: demo"; do
  grep -q "$kv" "$T/out" && ok || bad "merged secret lacks '$kv'"
done

# JSON file: stays JSON.
"$SK" seal --cert "$CERT" -f "$T/base.yaml" -w "$T/app.json"
run "$SK" seal --cert "$CERT" --merge-into "$T/app.json" -f "$T/update.yaml"
expect_rc 0 "merge json"
head -c1 "$T/app.json" | grep -q '{' && ok || bad "merged file is still JSON"

# A cluster-wide file: new items are sealed cluster-wide without being told.
"$SK" seal --cert "$CERT" --scope cluster-wide -o yaml -f "$T/base.yaml" -w "$T/cw.yaml"
run "$SK" seal --cert "$CERT" --merge-into "$T/cw.yaml" -f "$T/update.yaml"
expect_rc 0 "merge cluster-wide"
sed -i 's/  name: app$/  name: renamed/' "$T/cw.yaml"
run "$SK" unseal --key "$KEY" -f "$T/cw.yaml"
expect_rc 0 "cluster-wide merged items open under another name"
fails 1 "is sealed cluster-wide" "merge with a conflicting --scope" "$SK" seal --cert "$CERT" --scope strict --merge-into "$T/cw.yaml" -f "$T/update.yaml"

# Failures leave the file alone.
cp "$T/app.yaml" "$T/before.yaml"
printf 'kind: Secret\nmetadata: {name: x}\ndata: {k: "!!"}\n' >"$T/bad.yaml"
fails 1 "data[k]" "merge bad input" "$SK" seal --cert "$CERT" --merge-into "$T/app.yaml" -f "$T/bad.yaml"
cmp -s "$T/app.yaml" "$T/before.yaml" && ok || bad "failed merge changed the file"
printf 'kind: ConfigMap\nmetadata: {name: x}\n' >"$T/cm.yaml"
fails 1 "expected SealedSecret" "merge into a non-SealedSecret" "$SK" seal --cert "$CERT" --merge-into "$T/cm.yaml" -f "$T/update.yaml"
fails 2 "drop -w" "merge with -w" "$SK" seal --cert "$CERT" --merge-into "$T/app.yaml" -f "$T/update.yaml" -w "$T/x.yaml"
ls "$T" | grep -q sealkit-tmp && bad "temporary file left behind" || ok

finish
