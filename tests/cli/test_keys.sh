#!/usr/bin/env bash
# sealkit keys list: the inventory of keys in backups, Secrets, PEM files and folders; the JSON schema.
# Loading keys for unseal and verify: the blobs they open, the warnings about file modes; unseal -n.
source "$(dirname "$0")/lib.sh"

K=$IOP/keys
fp_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keys"][sys.argv[2]]["fingerprint"])' "$IOP/cases.json" "$1"; }
FP_CUR=$(fp_of current)
FP_OLD=$(fp_of old)
[ -n "$FP_CUR" ] && [ -n "$FP_OLD" ] && ok || bad "fingerprints from cases.json"
# row FP: the table line of that key.
row() { grep -F -- "$1 " "$T/out"; }

# The controller's backup List: both keys, with the fixture's fingerprints, dates and names.
run "$SK" keys list "$K/backup-list.yaml"
expect_rc 0 "keys list backup-list.yaml"
[ "$(grep -c '^SHA256:' "$T/out")" -eq 2 ] && ok || bad "backup-list: expected 2 keys: $(cat "$T/out")"
row "$FP_CUR" | grep -q '4096  2026-11-25T19:40:40Z  2036-11-22T19:40:40Z  active  kube-system/sealed-secrets-keyq7x2m' && ok || bad "current row: $(row "$FP_CUR")"
row "$FP_OLD" | grep -q '4096  2026-09-26T19:40:40Z  2036-09-23T19:40:40Z  active  kube-system/sealed-secrets-keyb4k9z' && ok || bad "old row: $(row "$FP_OLD")"
row "$FP_CUR" | grep -q 'newest' && ok || bad "current is not marked newest"
row "$FP_OLD" | grep -q 'newest' && bad "old is marked newest" || ok
grep -qF "newest: $FP_CUR (the controller's most recent key: greatest certificate notBefore" "$T/out" && ok || bad "newest line names current and the rule"
grep -q '(document 1, item 2)' "$T/out" && ok || bad "source names document and item"
head -1 "$T/out" | grep -q '^FINGERPRINT  *BITS  *NOT BEFORE  *NOT AFTER  *LABEL  *SECRET  *SOURCE  *NOTES$' && ok || bad "table header"

# A folder: the Secret, tls.key and tls.crt of one key are one row; the key was found twice.
run "$SK" keys list "$K/current/"
expect_rc 0 "keys list folder"
[ "$(grep -c '^SHA256:' "$T/out")" -eq 1 ] && ok || bad "current/: expected 1 key"
row "$FP_CUR" | grep -q 'found 2 times' && ok || bad "current/: seen twice"
grep -q '//' "$T/out" && bad "doubled slash in a folder path" || ok

# Bare PEM: no Secret and no label; a CERTIFICATE file beside it gives the dates.
run "$SK" keys list "$K/old/tls.key"
expect_rc 0 "keys list PEM"
row "$FP_OLD" | grep -qE '4096  -  +-  +-  +-  ' && ok || bad "bare PEM row: $(row "$FP_OLD")"
grep -q '^newest: none' "$T/out" && ok || bad "no certificate, no newest"
run "$SK" keys list --key "$K/old/tls.key,$K/old/tls.crt"
expect_rc 0 "keys list --key key,cert"
row "$FP_OLD" | grep -q '2026-09-26T19:40:40Z  2036-09-23T19:40:40Z  -  ' && ok || bad "cert beside the PEM key: $(row "$FP_OLD")"
cat "$K/old/tls.key" "$K/old/tls.crt" >"$T/combined.pem"
run "$SK" keys list "$T/combined.pem" "$K/current/tls.key"
expect_rc 0 "combined PEM"
row "$FP_OLD" | grep -q '2026-09-26T19:40:40Z' && ok || bad "cert in the same PEM file"
grep -qF "newest: $FP_OLD" "$T/out" && ok || bad "the only key with a certificate is the newest"

# A multi-document backup: List (2 keys) + --- + another key Secret; every document is read.
run "$SK" keygen --bits 2048 --not-before 2030-01-01T00:00:00Z -w "$T/third.yaml"
expect_rc 0 "keygen for the third key"
FP_NEW=$(sed -n 's/.*generated a 2048-bit key \(SHA256:[^,]*\),.*/\1/p' "$T/err")
cat "$K/backup-list.yaml" "$T/third.yaml" >"$T/backup.yaml"
[ "$(grep -c '^---$' "$T/backup.yaml")" -eq 2 ] && ok || bad "backup has two documents"
run "$SK" keys list -o json "$T/backup.yaml"
expect_rc 0 "keys list multi-document"
cp "$T/out" "$T/multi.json"
python3 - "$T/multi.json" "$FP_CUR" "$FP_OLD" "$FP_NEW" <<'PY' && ok || bad "multi-document inventory"
import json, sys
d = json.load(open(sys.argv[1]))
fps = [k["fingerprint"] for k in d["keys"]]
assert fps == sys.argv[2:5], fps
assert [(k["document"], k["item"]) for k in d["keys"]] == [(1, 1), (1, 2), (2, None)]
assert d["newest"] == sys.argv[4] and [k["newest"] for k in d["keys"]] == [False, False, True]
assert d["keys"][2]["not_before"] == "2030-01-01T00:00:00Z"
assert d["keys"][2]["creation_timestamp"] is None
# By creationTimestamp only the List's Secrets have one: current (2026-11-20) beats old (09-26).
assert d["newest_by_creation_timestamp"] == sys.argv[2]
PY

# The JSON schema (documented in cmd_keys.c and README): members, order and types.
python3 - "$T/multi.json" <<'PY' && ok || bad "JSON schema sealkit.keys/v1"
import json, sys, re
d = json.load(open(sys.argv[1]))
assert list(d) == ["schema", "newest", "newest_by_creation_timestamp", "keys"], list(d)
assert d["schema"] == "sealkit.keys/v1"
want = ["fingerprint", "bits", "form", "source", "document", "item", "secret_name",
        "secret_namespace", "label", "creation_timestamp", "certificate",
        "certificate_fingerprint", "not_before", "not_after", "seen", "newest"]
opt_str = (str, type(None))
opt_int = (int, type(None))
for k in d["keys"]:
    assert list(k) == want, list(k)
    assert re.fullmatch(r"SHA256:[A-Za-z0-9+/]{43}", k["fingerprint"])
    assert isinstance(k["bits"], int) and not isinstance(k["bits"], bool)
    assert k["form"] in ("secret", "pem") and isinstance(k["source"], str)
    for f in ("document", "item"): assert isinstance(k[f], opt_int)
    for f in ("secret_name", "secret_namespace", "label", "creation_timestamp",
              "certificate_fingerprint", "not_before", "not_after"):
        assert isinstance(k[f], opt_str), f
    assert k["certificate"] in ("ok", "mismatch", "unreadable", "none")
    for f in ("not_before", "not_after"):
        assert k[f] is None or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", k[f])
    assert isinstance(k["seen"], int) and k["seen"] >= 1 and isinstance(k["newest"], bool)
    assert k["form"] == "secret" and k["label"] == "active" and k["certificate"] == "ok"
    assert k["certificate_fingerprint"] == k["fingerprint"]
PY

# A tls.crt that holds another key is flagged; a compromised label is shown and not "newest".
sed "s|^  tls.crt: .*|$(grep '^  tls.crt: ' "$K/old/sealed-secrets-key.yaml")|" "$K/current/sealed-secrets-key.yaml" >"$T/mismatch.yaml"
! cmp -s "$T/mismatch.yaml" "$K/current/sealed-secrets-key.yaml" && ok || bad "mismatch fixture unchanged"
run "$SK" keys list "$T/mismatch.yaml"
expect_rc 0 "keys list mismatch"
row "$FP_CUR" | grep -qF "MISMATCH: tls.crt holds $FP_OLD" && ok || bad "MISMATCH not flagged: $(cat "$T/out")"
run "$SK" keys list -o json "$T/mismatch.yaml"
python3 - "$T/out" "$FP_OLD" <<'PY' && ok || bad "mismatch in JSON"
import json, sys
k = json.load(open(sys.argv[1]))["keys"][0]
assert k["certificate"] == "mismatch" and k["certificate_fingerprint"] == sys.argv[2], k
PY
sed 's/sealed-secrets-key: active/sealed-secrets-key: compromised/' "$K/current/sealed-secrets-key.yaml" >"$T/compromised.yaml"
run "$SK" keys list "$T/compromised.yaml" "$K/old/sealed-secrets-key.yaml"
expect_rc 0 "keys list compromised"
row "$FP_CUR" | grep -q '  compromised  ' && ok || bad "compromised label not shown"
grep -qF "newest: $FP_OLD" "$T/out" && ok || bad "a compromised key is not the controller's newest"
sed '/sealedsecrets.bitnami.com\/sealed-secrets-key: active/d; /^  labels:$/d' "$K/old/sealed-secrets-key.yaml" >"$T/nolabel.yaml"
run "$SK" keys list "$T/nolabel.yaml"
row "$FP_OLD" | grep -q '  none  ' && ok || bad "a Secret without the label shows none: $(row "$FP_OLD")"

# Folder with other files beside the keys; the same key in several places.
mkdir "$T/dir"
cp "$K/backup-list.yaml" "$T/dir/a-backup.yaml"
cp "$K/old/tls.crt" "$T/dir/old.crt"
echo "notes" >"$T/dir/README"
cp "$T/third.yaml" "$T/dir/z.yaml"
run "$SK" keys list -o json "$T/dir" "$K/current/tls.key"
expect_rc 0 "keys list folder + file"
python3 - "$T/out" "$FP_CUR" <<'PY' && ok || bad "folder inventory"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["keys"]) == 3, [k["fingerprint"] for k in d["keys"]]
cur = [k for k in d["keys"] if k["fingerprint"] == sys.argv[2]][0]
assert cur["seen"] == 2 and cur["form"] == "secret" and cur["source"].endswith("dir/a-backup.yaml")
PY

# Keys open every blob the controller opens (tests/data/hybrid): an RSA part without its leading
# zero byte, AES-128 and AES-192 session keys, base64 with non-zero unused bits.
cp "$K/current/tls.key" "$T/current.key"
chmod 600 "$T/current.key"
run "$SK" unseal --key "$T/current.key" -f "$SK_TEST_DATA_DIR/hybrid/edges-sealed.yaml"
expect_rc 0 "unseal the controller's edge cases"
python3 - "$T/out" "$SK_TEST_DATA_DIR/hybrid/vectors.json" <<'PY' && ok || bad "edge values differ: $(head -c 300 "$T/out")"
import json, sys
got = json.load(open(sys.argv[1]))["data"]
want = {v["name"]: v["plaintext"] for v in json.load(open(sys.argv[2]))["vectors"] if v["opens"] and v["plaintext"]}
assert len(want) == 5 and got == want, (got, want)
PY

# -n supplies the namespace of a SealedSecret that has none (Helm output), as kubectl apply -n does.
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2}\n' >"$T/nons.yaml"
run "$SK" seal --cert "$CERT" -n demo -f "$T/nons.yaml"
expect_rc 0 "seal for namespace demo"
python3 - "$T/out" "$T/nons-sealed.json" <<'PY'
import json, sys
ss = json.load(open(sys.argv[1]))
assert ss["metadata"].pop("namespace") == "demo"
ss["spec"]["template"]["metadata"].pop("namespace", None)
json.dump(ss, open(sys.argv[2], "w"))
PY
run "$SK" unseal --key "$T/current.key" -f "$T/nons-sealed.json"
expect_rc 1 "no namespace, no -n: the strict label does not match"
run "$SK" unseal --key "$T/current.key" -n demo -f "$T/nons-sealed.json" -o yaml
expect_rc 0 "unseal -n demo"
grep -q '^  namespace: demo$' "$T/out" && ok || bad "unseal -n: namespace not set: $(cat "$T/out")"
grep -q '^  password: aHVudGVyMg==$' "$T/out" && ok || bad "unseal -n: value"
run env SEALED_SECRETS_NAMESPACE=demo "$SK" unseal --key "$T/current.key" -f "$T/nons-sealed.json"
expect_rc 0 "unseal with SEALED_SECRETS_NAMESPACE"
# A namespace the SealedSecret has wins over -n, as in seal.
run "$SK" seal --cert "$CERT" -n demo -f "$T/nons.yaml" -w "$T/ns-sealed.json"
run "$SK" unseal --key "$T/current.key" -n other -f "$T/ns-sealed.json" -o yaml
expect_rc 0 "unseal -n other of a SealedSecret in demo"
grep -q '^  namespace: demo$' "$T/out" && ok || bad "unseal -n replaced the SealedSecret's namespace"

# Private keys others can read, and key folders others can write to, are named with the fix.
mkdir -m 700 "$T/exp"
cp "$K/current/tls.key" "$T/exp/tls.key"
chmod 644 "$T/exp/tls.key"
run "$SK" unseal --key "$T/exp/tls.key" -f "$T/ns-sealed.json"
expect_rc 0 "unseal with a key file others can read"
expect_err "$T/exp/tls.key: private key file is readable by others (mode 0644); fix: chmod 600 $T/exp/tls.key" "readable key: warning"
chmod 640 "$T/exp/tls.key"
run "$SK" verify --key "$T/exp/tls.key" "$T/ns-sealed.json"
expect_err "readable by its group (mode 0640); fix: chmod 600" "verify: group-readable key: warning"
chmod 600 "$T/exp/tls.key"
run "$SK" unseal --key "$T/exp/tls.key" -f "$T/ns-sealed.json"
expect_rc 0 "unseal with a key file only its owner reads"
[ ! -s "$T/err" ] && ok || bad "mode 0600 still warned: $(cat "$T/err")"
chmod 777 "$T/exp"
run "$SK" unseal --key "$T/exp" -f "$T/ns-sealed.json"
expect_err "$T/exp: key folder is writable by others (mode 0777), who can add or swap keys; fix: chmod o-w $T/exp" "writable folder: warning"
run "$SK" unseal --key "$T/exp/tls.key" -f "$T/ns-sealed.json"
expect_err "fix: chmod o-w $T/exp" "writable folder of a key file: warning"
chmod 755 "$T/exp"
# A Secret volume: the key is a link into ..data; the mode of the file it leads to counts.
mkdir -p "$T/vol/..2030_01_01"
cp "$K/current/tls.key" "$T/vol/..2030_01_01/tls.key"
chmod 644 "$T/vol/..2030_01_01/tls.key"
ln -s ..2030_01_01 "$T/vol/..data"
ln -s ..data/tls.key "$T/vol/tls.key"
run "$SK" unseal --key "$T/vol" -f "$T/ns-sealed.json"
expect_rc 0 "unseal with a Secret volume"
expect_err "$T/vol/tls.key: private key file is readable by others (mode 0644)" "Secret volume: warning names the link"
expect_err "defaultMode: 0400" "Secret volume: the volume's fix"
chmod 400 "$T/vol/..2030_01_01/tls.key"
run "$SK" unseal --key "$T/vol" -f "$T/ns-sealed.json"
[ ! -s "$T/err" ] && ok || bad "Secret volume with mode 0400 warned: $(cat "$T/err")"

# Refusals.
fails 2 "no key file given" "no arguments" "$SK" keys list
fails 2 "unsupported output format" "-o xml" "$SK" keys list -o xml "$K/backup-list.yaml"
fails 2 "unknown keys command" "unknown subcommand" "$SK" keys show "$K/backup-list.yaml"
fails 1 "cannot open" "missing file" "$SK" keys list "$T/missing.pem"
fails 1 "no private key or certificate found" "file without a key" "$SK" keys list "$T/dir/README"
mkdir "$T/empty"
fails 1 "no private key found" "folder without keys" "$SK" keys list "$T/empty"
fails 1 "no private key found" "certificate only" "$SK" keys list "$K/old/tls.crt"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: x}\ndata: {other: eA==}\n' >"$T/nokey.yaml"
printf 'tls.key: is mentioned here\n' >>"$T/nokey.yaml"
fails 1 "data[tls.key]: missing" "Secret without tls.key" "$SK" keys list "$T/nokey.yaml"
grep -q 'BEGIN' "$T/err" && bad "key material in an error" || ok

finish
