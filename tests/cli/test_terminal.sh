#!/usr/bin/env bash
# Hostile terminals and interrupted runs: strings from input never reach the terminal as control
# characters, --raw plaintext is not dumped on a terminal unasked, a signal during a write leaves
# no temporary file, and closed standard descriptors never capture sealkit's messages.
source "$(dirname "$0")/lib.sh"
ESC=$'\033'

printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: demo}\nstringData: {pw: s3cret}\n' >"$T/s.yaml"
"$SK" seal --cert "$CERT" -o yaml -f "$T/s.yaml" -w "$T/sealed.yaml"

# ---- control characters in messages ----
# A kind that carries an OSC title sequence and a colour: unseal names the kind it skips.
{
  printf 'apiVersion: v1\nkind: "Conf\\e]0;pwned\\aig\\e[31mMap"\nmetadata: {name: x}\n---\n'
  cat "$T/sealed.yaml"
} >"$T/kinds.yaml"
run "$SK" unseal --key "$KEY" -o yaml -f "$T/kinds.yaml"
expect_rc 0 "unseal beside a hostile kind"
expect_err "not a SealedSecret; skipped" "unseal beside a hostile kind"
! grep -q "$ESC" "$T/err" && ok || bad "unseal printed an escape sequence from a kind: $(od -c "$T/err" | head -5)"
grep -qF 'Conf?]0;pwned?ig?[31mMap' "$T/err" && ok || bad "the kind is not shown escaped: $(cat -v "$T/err")"
# An item whose name carries a C1 CSI (U+009B) and a newline: the error names it on one line.
sed "s/^  encryptedData:$/&\n    \"p\\\\u009b2J\\\\nq\": AgBy/" "$T/sealed.yaml" >"$T/c1.yaml"
run "$SK" unseal --key "$KEY" -o yaml -f "$T/c1.yaml"
expect_rc 1 "an item name with control characters"
! grep -qP '\xc2\x9b' "$T/err" && ok || bad "unseal printed a C1 control character: $(cat -v "$T/err")"
[ "$(grep -c . "$T/err")" -le 2 ] && ok || bad "a newline in an item name forged a line: $(cat -v "$T/err")"
# A file name is input too (a repository's tree): it is escaped in errors.
cp "$T/s.yaml" "$T/x${ESC}[2Jy.yaml"
run "$SK" unseal --key "$KEY" "$T/x${ESC}[2Jy.yaml"
expect_rc 1 "a file name with an escape sequence"
! grep -q "$ESC" "$T/err" && ok || bad "a file name's escape sequence reached stderr: $(cat -v "$T/err")"

# A key Secret's name, shown by cert.
sed 's/^  name: .*/  name: "k\\e[2Jx"/' "$IOP/keys/current/sealed-secrets-key.yaml" >"$T/esc-key.yaml"
run "$SK" cert "$T/esc-key.yaml"
grep -qF 'Secret kube-system/k?[2Jx' "$T/out" && ok || bad "cert: the Secret's name is not shown escaped: $(cat -v "$T/out" | head -3)"
! grep -q "$ESC" "$T/out" && ok || bad "cert printed an escape sequence from a Secret's name"

# ---- --raw plaintext and terminals ----
blob=$(printf s3cret | "$SK" seal --cert "$CERT" --raw --namespace demo --name app)
printf %s "$blob" >"$T/blob"
# script(1) gives the command a terminal for standard output.
tty_run() { script -qec "$1" /dev/null >"$T/tty" 2>&1 </dev/null || return $?; }
if tty_run "true"; then
  tty_run "'$SK' unseal --raw --key '$KEY' --namespace demo --name app -f '$T/blob'" && rc=0 || rc=$?
  [ "$rc" -eq 2 ] && ok || bad "--raw to a terminal: exit $rc, expected 2: $(cat -v "$T/tty")"
  grep -qF "would print the plaintext to a terminal" "$T/tty" && ok || bad "--raw to a terminal: no reason given: $(cat -v "$T/tty")"
  ! grep -q s3cret "$T/tty" && ok || bad "--raw printed the plaintext to a terminal"
  tty_run "'$SK' unseal --raw --force --key '$KEY' --namespace demo --name app -f '$T/blob'" || true
  grep -q s3cret "$T/tty" && ok || bad "--raw --force to a terminal: no plaintext: $(cat -v "$T/tty")"
  tty_run "'$SK' unseal --raw -w - --key '$KEY' --namespace demo --name app -f '$T/blob'" || true
  grep -q s3cret "$T/tty" && ok || bad "--raw -w - to a terminal: no plaintext: $(cat -v "$T/tty")"
else
  skip_part "script(1) cannot give a terminal here"
fi
# Not a terminal: as before.
run "$SK" unseal --raw --key "$KEY" --namespace demo --name app -f "$T/blob"
expect_rc 0 "--raw into a pipe"
[ "$(cat "$T/out")" = s3cret ] && ok || bad "--raw into a pipe: wrong bytes"

# ---- a signal during a write ----
# signal_at SIG SYSCALL N CMD...: delivers SIG to CMD on entry to its Nth SYSCALL (strace).
signal_at() {
  local sig=$1 call=$2 n=$3
  shift 3
  set +e
  sh -c 's=$1 c=$2 n=$3; shift 3; strace -f -qq -o /dev/null -e trace="$c" -e inject="$c":signal="$s":when="$n" "$@"' \
    _ "$sig" "$call" "$n" "$@" >/dev/null 2>&1
  rc=$?
  set -e
}
if command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null; then
  for sig in TERM INT; do
    mkdir -p "$T/w$sig"
    # The first fsync is the temporary file's: the plaintext is all in it.
    signal_at "$sig" fsync 1 "$SK" unseal --key "$KEY" -o yaml -f "$T/sealed.yaml" -w "$T/w$sig/secret.yaml"
    [ "$rc" -ne 0 ] && ok || bad "SIG$sig during unseal -w: the run did not stop"
    [ -z "$(ls -A "$T/w$sig")" ] && ok || bad "SIG$sig during unseal -w left: $(ls -A "$T/w$sig")"
    # The same for sealed output and a replaced file.
    cp "$T/sealed.yaml" "$T/w$sig/keep.yaml"
    signal_at "$sig" fsync 1 "$SK" seal --cert "$CERT" -f "$T/s.yaml" -w "$T/w$sig/keep.yaml"
    [ "$(ls -A "$T/w$sig")" = keep.yaml ] && ok || bad "SIG$sig during seal -w left: $(ls -A "$T/w$sig")"
    cmp -s "$T/sealed.yaml" "$T/w$sig/keep.yaml" && ok || bad "SIG$sig during seal -w changed the file"
  done
  # Without a signal the same commands write their files (the injection point is the right one).
  "$SK" unseal --key "$KEY" -o yaml -f "$T/sealed.yaml" -w "$T/wTERM/secret.yaml" 2>/dev/null
  [ -s "$T/wTERM/secret.yaml" ] && ok || bad "unseal -w wrote nothing"
else
  skip_part "strace cannot trace here"
fi

# ---- closed standard descriptors ----
OLDSECRET=$IOP/keys/old/sealed-secrets-key.yaml
mkdir -p "$T/keys" "$T/repo"
cp "$OLDSECRET" "$T/keys/"
"$SK" seal --cert "$IOP/keys/old/tls.crt" -o yaml -f "$T/s.yaml" -w "$T/repo/app.yaml"
# Young key: "nothing to do" goes to stderr, closed; it must not land in the lock file.
set +e
"$SK" rotate --keys "$T/keys" --max-age 30d --bits 2048 --now 2026-10-01T00:00:00Z "$T/repo" 2>&-
rc=$?
set -e
[ "$rc" -eq 0 ] && ok || bad "rotate with stderr closed: exit $rc"
[ -e "$T/keys/.sealkit-rotate.lock" ] && ok || bad "rotate made no lock file"
[ ! -s "$T/keys/.sealkit-rotate.lock" ] && ok || bad "rotate's messages went into its lock file: $(cat "$T/keys/.sealkit-rotate.lock")"
# stdout closed as well: seal -w writes its file and nothing else.
set +e
"$SK" seal --cert "$CERT" -f "$T/s.yaml" -w "$T/closed.json" >&- 2>&-
rc=$?
set -e
[ "$rc" -eq 0 ] && ok || bad "seal -w with stdout and stderr closed: exit $rc"
grep -q '"kind": "SealedSecret"' "$T/closed.json" && ok || bad "seal -w with closed descriptors: wrong output"
# An error with stderr closed: it is lost, not written into the file being read or written.
cp "$T/s.yaml" "$T/in.yaml"
set +e
"$SK" unseal --key "$KEY" -f "$T/in.yaml" -w "$T/never.yaml" 2>&-
rc=$?
set -e
[ "$rc" -eq 1 ] && ok || bad "unseal of a plain Secret with stderr closed: exit $rc"
cmp -s "$T/s.yaml" "$T/in.yaml" && ok || bad "an error message went into the input file"

finish
