#!/usr/bin/env bash
# No plaintext leaks: every command runs under strace, which records every byte written to any
# descriptor (-xx, -y: hex data and the path behind each fd). No byte sequence of the test
# secrets (three random 24-byte values), raw or in base64 at any alignment, may reach any
# descriptor but the output the user asked for (unseal's stdout or -w file); for seal, reseal,
# create --seal, verify and package, nowhere at all. Also: core dumps are off (RLIMIT_CORE 0,
# PR_SET_DUMPABLE 0) and secret memory is locked (mlock) and kept out of core files.
source "$(dirname "$0")/lib.sh"
OLDCRT=$IOP/keys/old/tls.crt
OLDKEY=$IOP/keys/old/tls.key

if ! command -v strace >/dev/null || ! strace -o /dev/null true 2>/dev/null; then
  echo "!!! strace is not installed or cannot trace here (ptrace refused): plaintext leaks are NOT tested !!!" >&2
  echo "!!! install it (scripts/setup.sh does), or set SK_ALLOW_NO_STRACE=1 to skip on purpose          !!!" >&2
  [ "${SK_ALLOW_NO_STRACE:-0}" = 1 ] && { skip_part "no strace (SK_ALLOW_NO_STRACE=1)"; finish; }
  exit 1
fi
# LeakSanitizer cannot run under ptrace; the ASan build checks leaks in the other tests.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# Three distinctive secrets, one for each way a value enters: stringData, data, a file.
read -r S1 S2 S3 < <(python3 -c 'import random, string
rng = random.Random(20301)  # fixed seed: the same values in every run
a = string.ascii_letters + string.digits
print(*("".join(rng.choice(a) for _ in range(24)) for _ in range(3)))')
B3=$(printf %s "$S3" | base64 -w0)
printf '%s\n%s\n%s\n' "$S1" "$S2" "$S3" >"$T/secrets"

cat >"$T/scan.py" <<'PY'
"""scan.py TRACE SECRETS [ALLOWED_PATH_PREFIX...]: finds the secrets in the traced writes.

Prints one line per leak (descriptor path, secret, form) and the count of secrets found in
the allowed outputs; exits 1 on any leak or on data strace cut short.
"""
import base64, re, sys
from collections import defaultdict

trace, secrets_file, allowed = sys.argv[1], sys.argv[2], [a.encode() for a in sys.argv[3:]]
secrets = [l.strip().encode() for l in open(secrets_file) if l.strip()]
forms = []  # (label, bytes): raw, and base64 at each of the three alignments (inner chars)
for n, s in enumerate(secrets, 1):
    forms.append(("secret %d raw" % n, s))
    for pad in range(3):
        enc = base64.b64encode(b"\0" * pad + s)
        forms.append(("secret %d base64/%d" % (n, pad), enc[4 if pad else 0:-4]))
call = re.compile(rb"^(\d+) +(?:<\.\.\. )?(write|writev|pwrite64|pwritev2?|sendto|sendmsg)\((\d+)(?:<([^>]*)>)?")
hexstr = re.compile(rb'"((?:\\x[0-9a-f]{2})*)"(\.\.\.)?')
unhex = lambda s: bytes.fromhex(s.replace(b"\\x", b"").decode())
streams = defaultdict(bytearray)
cut = 0
for line in open(trace, "rb"):
    m = call.match(line)
    if not m:
        continue
    path = unhex(m.group(4)) if m.group(4) and m.group(4).startswith(b"\\x") else (m.group(4) or b"fd " + m.group(3))
    for data, dots in hexstr.findall(line[m.end():]):
        cut += bool(dots)
        streams[path] += unhex(data)
leaks, allowed_hits = 0, 0
for path, data in streams.items():
    ok = any(path.startswith(a) for a in allowed)
    for label, needle in forms:
        if needle in data:
            if ok:
                allowed_hits += 1
            else:
                leaks += 1
                print("LEAK: %s written to %s" % (label, path.decode(errors="replace")))
print("scanned %d descriptors, %d bytes; secrets in the asked-for output: %d"
      % (len(streams), sum(map(len, streams.values())), allowed_hits))
if cut:
    print("strace cut %d buffers short: raise -s" % cut)
sys.exit(1 if leaks or cut else 0)
PY

# traced LABEL ALLOWED CMD...: runs CMD (stdin: the caller's; stdout: $T/out) under strace and
# scans what it wrote; it must exit $expect (default 0; "any": 0 or 1). ALLOWED: "" (nowhere) or the path prefixes, comma-separated, that may
# hold the plaintext, and then must (so that a scan that sees nothing cannot pass).
traced() {
  local label=$1 allowed=$2 min=0
  shift 2
  set +e
  strace -f -qq -s 16777216 -xx -y -e trace=write,writev,pwrite64,pwritev,pwritev2,sendto,sendmsg \
    -o "$T/trace" "$@" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
  [[ "$rc" == "${expect:-0}" || ( "${expect:-}" == any && "$rc" -lt 2 ) ]] && ok ||
    bad "$label: exit $rc, expected ${expect:-0}: $(head -c 300 "$T/err")"
  local -a prefixes=()
  [ -n "$allowed" ] && { IFS=, read -r -a prefixes <<<"$allowed"; min=1; }
  if python3 "$T/scan.py" "$T/trace" "$T/secrets" "${prefixes[@]}" >"$T/scan"; then ok
  else bad "$label: $(grep -v '^scanned' "$T/scan" | tr '\n' ';')"; fi
  local hits
  hits=$(sed -n 's/.*asked-for output: \([0-9]*\)$/\1/p' "$T/scan")
  [ "${hits:-0}" -ge "$min" ] && ok || bad "$label: the plaintext was not seen in $allowed: the scan is blind"
  echo "$label: $(tr '\n' ' ' <"$T/scan")"
}

printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: demo}\nstringData: {alpha: %s}\ndata: {gamma: %s}\n' "$S1" "$B3" >"$T/secret.yaml"

# The scan itself must see a leak: raw to stderr, base64 at an odd offset into a pipe.
strace -f -qq -s 16777216 -xx -y -e trace=write,writev -o "$T/trace" \
  sh -c 'cat "$0" >&2; printf "xx%s" "$1" | base64 | cat >/dev/null' "$T/secret.yaml" "$S2" 2>/dev/null
python3 "$T/scan.py" "$T/trace" "$T/secrets" >"$T/scan" && bad "the scan missed planted leaks" || ok
[ "$(grep -c '^LEAK' "$T/scan")" -ge 3 ] && ok || bad "the scan found too few planted leaks: $(cat "$T/scan")"
grep -q "^LEAK: secret 2 base64/2 written to pipe" "$T/scan" && ok || bad "the scan missed base64 at offset 2: $(cat "$T/scan")"
printf '%s' "$S2" >"$T/beta.txt"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: app, namespace: demo}\nstringData: {beta: %s}\n' "$S2" >"$T/beta.yaml"

# Sealing: the plaintext goes nowhere.
traced "seal to stdout" "" "$SK" seal --cert "$CERT" -f "$T/secret.yaml"
traced "seal -w" "" "$SK" seal --cert "$CERT" -o yaml -f "$T/secret.yaml" -w "$T/sealed.yaml"
traced "seal from stdin" "" "$SK" seal --cert "$CERT" <"$T/secret.yaml"
traced "seal --merge-into" "" "$SK" seal --cert "$CERT" --merge-into "$T/sealed.yaml" -f "$T/beta.yaml"
traced "seal --raw" "" "$SK" seal --raw --cert "$CERT" --namespace demo --name app --from-file "$T/beta.txt"
traced "create generic --seal" "" "$SK" create generic app -n demo --from-file "beta=$T/beta.txt" --seal --cert "$CERT"
traced "create docker-registry --seal" "" "$SK" create docker-registry reg -n demo --docker-server r.example \
  --docker-username "$S1" --docker-password-stdin --seal --cert "$CERT" <"$T/beta.txt"
printf 'kind: Secret\nmetadata: {name: app, namespace: demo}\nstringData: {alpha: %s}\ndata: {bad: "%s*"}\n' "$S1" "$S2" >"$T/bad.yaml"
expect=1 traced "seal failing on a later item" "" "$SK" seal --cert "$CERT" -f "$T/bad.yaml"

# Opening: the plaintext goes to the output asked for, and only there.
traced "unseal to stdout" "$T/out" "$SK" unseal --key "$KEY" -f "$T/sealed.yaml"
traced "unseal -o yaml to stdout" "$T/out" "$SK" unseal --key "$KEY" -o yaml -f "$T/sealed.yaml"
traced "unseal -w" "$T/plain.json.sealkit-tmp." "$SK" unseal --key "$KEY" -f "$T/sealed.yaml" -w "$T/plain.json"
grep -q "$(printf %s "$S1" | base64 -w0)" "$T/plain.json" && ok || bad "unseal -w output lacks the secret"
"$SK" seal --raw --cert "$CERT" --namespace demo --name app --from-file "$T/beta.txt" >"$T/blob"
traced "unseal --raw" "$T/out" "$SK" unseal --raw --key "$KEY" --namespace demo --name app <"$T/blob"
[ "$(cat "$T/out")" = "$S2" ] && ok || bad "unseal --raw did not print the value"
# One item no key opens: nothing is printed, and the message names items, never values.
"$SK" seal --cert "$OLDCRT" -f "$T/beta.yaml" --merge-into "$T/sealed.yaml"
expect=1 traced "unseal with an item that does not open" "" "$SK" unseal --key "$KEY" -f "$T/sealed.yaml"

# Resealing: in place (two workers, so results cross a pipe) and as a filter.
mkdir -p "$T/repo"
for i in 1 2 3; do "$SK" seal --cert "$OLDCRT" --name "s$i" -o yaml -f "$T/secret.yaml" -w "$T/repo/s$i.yaml"; done
"$SK" seal --cert "$OLDCRT" --name b -f "$T/beta.yaml" -w "$T/repo/b.json"
traced "reseal folder -j 2" "" "$SK" reseal --cert "$CERT" --key "$OLDKEY,$KEY" -j 2 "$T/repo"
grep -q "4 files changed" "$T/err" && ok || bad "reseal did not reseal: $(cat "$T/err")"
traced "reseal filter" "" "$SK" reseal --cert "$OLDCRT" --key "$KEY" <"$T/repo/s1.yaml"

# Commands added later are traced when this binary has them.
help=$("$SK" --help)
if [[ "$help" == *" verify "* ]]; then
  expect=any traced "verify --key" "" "$SK" verify --key "$KEY" "$T/repo"
  expect=any traced "verify --key -o json" "" "$SK" verify --key "$KEY" -o json "$T/repo"
else echo "note: no verify command in this binary: not traced"; fi
if [[ "$help" == *" package "* ]]; then
  traced "package" "" "$SK" package -n demo --set leak --date 20240101 --output "$T/pkg.tar.gz" "$T/repo/s1.yaml" "$T/repo/b.json"
  expect=any traced "package verify --key" "" "$SK" package verify "$T/pkg.tar.gz" --key "$KEY"
else echo "note: no package command in this binary: not traced"; fi

# Core dumps are off before any secret is read, for every command.
for args in "--version" "seal --cert $CERT -f $T/secret.yaml" "unseal --key $KEY -f $T/repo/b.json"; do
  # shellcheck disable=SC2086
  strace -f -qq -e trace=prctl,setrlimit,prlimit64 -o "$T/hard" "$SK" $args >/dev/null 2>&1 || true
  grep -Eq '(prlimit64\(0, |setrlimit\()RLIMIT_CORE, \{rlim_cur=0, rlim_max=0\}.*= 0' "$T/hard" && ok ||
    bad "sealkit $args: RLIMIT_CORE not set to 0: $(cat "$T/hard")"
  grep -Eq 'prctl\(PR_SET_DUMPABLE, (SUID_DUMP_DISABLE|0)\) = 0' "$T/hard" && ok ||
    bad "sealkit $args: PR_SET_DUMPABLE 0 not set: $(cat "$T/hard")"
done
# ... as the kernel sees it, while sealkit waits for its input.
mkfifo "$T/fifo"
"$SK" seal --cert "$CERT" -f "$T/fifo" >/dev/null 2>&1 &
pid=$!
exec 4>"$T/fifo"
grep -Eq '^Max core file size +0 +0 ' "/proc/$pid/limits" && ok || bad "running sealkit's core limit: $(grep core "/proc/$pid/limits")"
exec 4>&-
wait "$pid" || true

# Secret memory is locked (libsodium's guarded pages) and excluded from core files.
strace -f -qq -e trace=mlock,mlock2,mlockall,madvise -o "$T/lock" "$SK" unseal --key "$KEY" -f "$T/repo/b.json" >/dev/null
locked=$(grep -Ec '^[0-9]+ +mlock2?\(.*= 0$' "$T/lock" || true)
failed_locks=$(grep -Ec '^[0-9]+ +mlock2?\(.*= -1' "$T/lock" || true)
dontdump=$(grep -c 'MADV_DONTDUMP) = 0' "$T/lock" || true)
echo "unseal: $locked mlock calls succeeded, $failed_locks failed, $dontdump regions marked MADV_DONTDUMP"
if is_asan_build; then
  skip_part "mlock: ASan's runtime turns mlock into a no-op; the release build checks it"
else
  [ "$locked" -gt 0 ] && ok || bad "unseal locked no memory"
fi
[ "$dontdump" -gt 0 ] && ok || bad "unseal marked no memory MADV_DONTDUMP"

finish
