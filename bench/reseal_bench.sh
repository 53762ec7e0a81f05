#!/usr/bin/env bash
# Reseal benchmark: N SealedSecrets x 15 items, resealed in place to a new 4096-bit key with
# `sealkit reseal -j 2*CORES`, twice:
#   one key:    every file sealed under old1, resealed with --key old1 only;
#   four keys:  files sealed under a mix of old1, old2 and old3, resealed with all four keys
#               given (the right key is found by trying, most recently successful first).
# Prints items/s for both, peak memory, and the ratios to OpenSSL's own multi-process RSA-4096
# private-operation rate on all cores (`openssl speed -multi CORES rsa4096`, the sign column),
# measured in the same run, and of the four-key rate to the one-key rate.
# Before resealing, on the same files and key: `sealkit verify --key old1 -j JOBS` next to
# `sealkit reseal --check --key old1 -j JOBS` (interleaved, best of ROUNDS=3 each), and the ratios
# of their wall and CPU times (target: wall <= 1.05).
# Usage: bench/reseal_bench.sh [N=1000]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SK=${SEALKIT:-$root/build/sealkit}
N=${1:-1000}
CORES=$(nproc)
JOBS=${JOBS:-$((2 * CORES))}   # sealkit reseal default
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "setup: 4 keys, $N SealedSecrets x 15 items" >&2
for k in old1 old2 old3 new; do
  openssl req -x509 -newkey rsa:4096 -nodes -keyout "$tmp/$k.key" -out "$tmp/$k.crt" \
    -days 30 -subj "/CN=bench-$k" 2>/dev/null
done
mkdir -p "$tmp/mixed" "$tmp/single"
for i in $(seq 1 "$N"); do
  {
    printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: s%s, namespace: bench}\nstringData:\n' "$i"
    for j in $(seq 1 15); do printf '  ITEM_%s: value-%s-%s\n' "$j" "$i" "$j"; done
  } >"$tmp/s.yaml"
  "$SK" seal --cert "$tmp/old$((i % 3 + 1)).crt" -o yaml -f "$tmp/s.yaml" -w "$tmp/mixed/s$i.yaml"
  "$SK" seal --cert "$tmp/old1.crt" -o yaml -f "$tmp/s.yaml" -w "$tmp/single/s$i.yaml"
done

echo "measuring openssl speed -multi $CORES rsa4096" >&2
ossl=$(openssl speed -multi "$CORES" -seconds 5 rsa4096 2>/dev/null |
       awk '/^rsa 4096 bits/ { print $(NF-1) }' | tail -1)

python3 - "$SK" "$tmp" "$N" "$CORES" "$ossl" "$JOBS" <<'PY'
import os, resource, subprocess, sys, time
sk, tmp, n, cores, ossl, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
items = n * 15

def reseal(folder, keys):
    t0 = time.monotonic()
    r = subprocess.run([sk, "reseal", "--cert", tmp + "/new.crt", "--key",
                        ",".join("%s/%s.key" % (tmp, k) for k in keys), "-j", str(jobs),
                        tmp + "/" + folder], capture_output=True, text=True)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit("reseal failed: " + r.stderr[-500:])
    return items / dt, dt, r.stderr.strip().splitlines()[-1]

def timed(args, ok_codes):
    """Wall and CPU seconds (user + system, the process and its workers) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(args, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode not in ok_codes:
        sys.exit("%s failed (%d): %s" % (args[1], r.returncode, r.stderr[-500:]))
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

# Interleaved, best of ROUNDS each: on a shared machine the load changes between runs, and a
# phase of load must not fall on one command only.
key1 = tmp + "/old1.key"
check_args = [sk, "reseal", "--check", "--cert", tmp + "/new.crt", "--key", key1, "-j", str(jobs),
              tmp + "/single"]
verify_args = [sk, "verify", "--key", key1, "-j", str(jobs), tmp + "/single"]
runs = {"check": [], "verify": []}
for _ in range(int(os.environ.get("ROUNDS", "3"))):
    runs["check"].append(timed(check_args, (4,)))
    runs["verify"].append(timed(verify_args, (0,)))
check, verify = (min(w for w, _ in runs[k]) for k in ("check", "verify"))
check_cpu, verify_cpu = (min(c for _, c in runs[k]) for k in ("check", "verify"))
print("verify --key vs reseal --check: %d items, -j %d: verify %.2f s, reseal --check %.2f s, "
      "ratio %.3f (target <= 1.05); CPU %.2f s vs %.2f s, ratio %.3f"
      % (items, jobs, verify, check, verify / check, verify_cpu, check_cpu, verify_cpu / check_cpu))

one, dt1, _ = reseal("single", ["old1"])
four, dt4, summary = reseal("mixed", ["old1", "old2", "old3", "new"])
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
print("reseal: %d items, -j %d: one key %.2f s, four keys %.2f s" % (items, jobs, dt1, dt4))
print("openssl RSA-4096 private ops/s (x%d)  : %10.1f" % (cores, ossl))
print("sealkit reseal items/s, one key      : %10.1f   ratio to openssl %.3f (target >= 0.95)" % (one, one / ossl))
print("sealkit reseal items/s, four keys    : %10.1f   ratio to openssl %.3f, to one key %.3f (target >= 0.95)" % (four, four / ossl, four / one))
print("peak RSS of one sealkit process      : %10.1f MiB" % rss)
print(summary)
PY
