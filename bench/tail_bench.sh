#!/usr/bin/env bash
# The end of a reseal run: N SealedSecrets x 15 items and one of BIG items that the walk reaches
# last (its name sorts last), resealed to a new 4096-bit key by one `sealkit reseal` with the
# default jobs, as a rotation runs it. Prints how busy the cores were: CPU seconds (user + system,
# the process and its workers) over the run's wall time on all cores; the baseline is 1.0, every
# core resealing from start to end. Workers take the largest file first; were it taken last, one
# worker would reseal it alone while the other cores idle, and the share would drop by about
# BIG x (one item's time) x (cores - 1) over the run's core time.
# Usage: bench/tail_bench.sh [N=200] [BIG=300] [ROUNDS=3]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SK=${SEALKIT:-$root/build/sealkit}
N=${1:-200}
BIG=${2:-300}
ROUNDS=${3:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "setup: $N SealedSecrets x 15 items and one of $BIG items, walked last" >&2
for k in old new; do
  openssl req -x509 -newkey rsa:4096 -nodes -keyout "$tmp/$k.key" -out "$tmp/$k.crt" \
    -days 30 -subj "/CN=bench-$k" 2>/dev/null
done
secret() { # name items
  printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: bench}\nstringData:\n' "$1"
  for j in $(seq 1 "$2"); do printf '  ITEM_%s: value-%s-%s\n' "$j" "$1" "$j"; done
}
mkdir -p "$tmp/repo"
for i in $(seq 1 "$N"); do
  secret "s$i" 15 | "$SK" seal --cert "$tmp/old.crt" -o yaml >"$tmp/repo/s$i.yaml"
done
secret zbig "$BIG" | "$SK" seal --cert "$tmp/old.crt" -o yaml >"$tmp/repo/zbig.yaml"

python3 - "$SK" "$tmp" "$ROUNDS" <<'PY'
import os, resource, shutil, subprocess, sys, time
sk, tmp, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
cores = os.cpu_count()
shares = []
for _ in range(rounds):
    shutil.rmtree(tmp + "/r", ignore_errors=True)
    shutil.copytree(tmp + "/repo", tmp + "/r")
    os.sync()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run([sk, "reseal", "--cert", tmp + "/new.crt", "--key", tmp + "/old.key",
                    tmp + "/r"], stderr=subprocess.DEVNULL, check=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    shares.append(cpu / (wall * cores))
    print("run: wall %.2f s, CPU %.2f s on %d cores, busy %.3f" % (wall, cpu, cores, shares[-1]))
shares.sort()
print("cores busy, median of %d runs: %.3f (baseline 1.0: every core resealing throughout)"
      % (rounds, shares[len(shares) // 2]))
PY
