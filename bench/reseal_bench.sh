#!/usr/bin/env bash
# Reseal benchmark: N SealedSecrets x 15 items, resealed in place to a new 4096-bit key with
# `sealkit reseal -j 2*CORES`, twice:
#   one key:    every file sealed under old1, resealed with --key old1 only;
#   four keys:  files sealed under a mix of old1, old2 and old3, resealed with all four keys
#               given (nothing names the key that sealed a blob: keys are tried in the order
#               docs/format.md §1.5 gives).
# Prints items/s for both, peak memory, and the ratios to OpenSSL's own multi-process RSA-4096
# private-operation rate on all cores (`openssl speed -multi CORES -seconds 3 rsa4096`, the sign
# column), and of the four-key rate to the one-key rate. A virtual machine's speed drifts by 20%
# within minutes, so a drift must not fall on one side of a ratio only: the files are resealed
# in SLICES=10 slices, each a fresh copy of N/SLICES files, in turn with openssl: openssl, slice
# 1 with one key, slice 1 with four keys, openssl, slice 2 ..., openssl. Each slice's rates are
# divided by the mean of the openssl rates just before and just after it, and the median of the
# slices' ratios is printed (items/s: all items over all slices' time).
# Then side by side, which drift cannot tilt: the files again in SIDE_SLICES=5 slices, each
# shared out over the cores, and on each core `sealkit reseal -j 1` (one key) pinned together with one
# `openssl speed rsa4096`, so that the two share that core's speed from moment to moment. The
# reseal's items per CPU second (user + system) over OpenSSL's private operations per CPU second
# (user time, as openssl speed counts it) is that core's ratio; the median over all cores and
# slices is printed. The wall-clock ratio above also charges the reseal the time a core stood
# idle (its start-up, the last files of a slice, fsync waits); this one measures its work alone.
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

python3 - "$SK" "$tmp" "$N" "$CORES" "$JOBS" <<'PY'
import os, re, resource, shutil, subprocess, sys, time
sk, tmp, n, cores, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
items = n * 15
rounds = int(os.environ.get("ROUNDS", "3"))

def openssl_rate():
    out = subprocess.run(["openssl", "speed", "-multi", str(cores), "-seconds", "3", "rsa4096"],
                         capture_output=True, text=True).stdout
    rows = [l.split() for l in out.splitlines() if re.match(r"^rsa 4096 bits", l)]
    return float(rows[-1][-2])

def fresh_copy(folder, lo, hi, name="work"):
    """A fresh folder holding copies of folder's files lo+1..hi."""
    work = tmp + "/" + name
    shutil.rmtree(work, ignore_errors=True)
    os.mkdir(work)
    for i in range(lo + 1, hi + 1):
        shutil.copyfile("%s/%s/s%d.yaml" % (tmp, folder, i), "%s/s%d.yaml" % (work, i))
    os.sync()
    return work

def reseal_args(work, keys, j=jobs):
    return [sk, "reseal", "--cert", tmp + "/new.crt", "--key",
            ",".join("%s/%s.key" % (tmp, k) for k in keys), "-j", str(j), work]

def reseal(folder, keys, lo=0, hi=n):
    """items/s, seconds and summary line of one reseal of a fresh copy of folder's files lo..hi."""
    work = fresh_copy(folder, lo, hi)
    items = (hi - lo) * 15
    t0 = time.monotonic()
    r = subprocess.run(reseal_args(work, keys), capture_output=True, text=True)
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
for _ in range(rounds):
    runs["check"].append(timed(check_args, (4,)))
    runs["verify"].append(timed(verify_args, (0,)))
check, verify = (min(w for w, _ in runs[k]) for k in ("check", "verify"))
check_cpu, verify_cpu = (min(c for _, c in runs[k]) for k in ("check", "verify"))
print("verify --key vs reseal --check: %d items, -j %d: verify %.2f s, reseal --check %.2f s, "
      "ratio %.3f (target <= 1.05); CPU %.2f s vs %.2f s, ratio %.3f"
      % (items, jobs, verify, check, verify / check, verify_cpu, check_cpu, verify_cpu / check_cpu))

def median(v):
    v = sorted(v)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2

slices = min(int(os.environ.get("SLICES", "10")), n)
ossl_runs, one_runs, four_runs = [], [], []
sys.stderr.write("%d slices: openssl speed, one key, four keys\n" % slices)
for k in range(slices):
    lo, hi = k * n // slices, (k + 1) * n // slices
    ossl_runs.append(openssl_rate())
    one_runs.append(reseal("single", ["old1"], lo, hi))
    four_runs.append(reseal("mixed", ["old1", "old2", "old3", "new"], lo, hi))
ossl_runs.append(openssl_rate())
around = [(ossl_runs[i] + ossl_runs[i + 1]) / 2 for i in range(slices)]
one_ratios = [one_runs[i][0] / around[i] for i in range(slices)]
r_one = median(one_ratios)
r_four = median([four_runs[i][0] / around[i] for i in range(slices)])
r_four_one = median([four_runs[i][0] / one_runs[i][0] for i in range(slices)])
dt1, dt4 = sum(r[1] for r in one_runs), sum(r[1] for r in four_runs)
ossl, one, four = median(ossl_runs), items / dt1, items / dt4
summary = "last slice, four keys: " + four_runs[-1][2]
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0

def side_by_side(lo, hi, seconds):
    """Per core, the ratio of a one-key `sealkit reseal -j 1` of its share of files lo..hi, in items
    per CPU second (user + system), to OpenSSL's private operations per CPU second (user time, as
    openssl speed counts it: +R1:count:bits:seconds once its private-operation phase ends), the
    two pinned to that core together so that they share its speed from moment to moment."""
    per = (hi - lo) // cores
    runs = []
    for c in range(cores):
        work = fresh_copy("single", lo + c * per, lo + (c + 1) * per, "side%d" % c)
        pin = ["taskset", "-c", str(c)]
        speed = subprocess.Popen(pin + ["openssl", "speed", "-mr", "-seconds", str(seconds),
                                        "rsa4096"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        t0 = time.monotonic()
        reseal = subprocess.Popen(pin + reseal_args(work, ["old1"], 1),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs.append((speed, reseal, t0))
    done = []
    for speed, reseal, t0 in runs:
        _, status, use = os.wait4(reseal.pid, 0)
        reseal.returncode = os.waitstatus_to_exitcode(status)
        done.append((use.ru_utime + use.ru_stime, time.monotonic() - t0))
    ratios = []
    for (speed, reseal, _), (cpu, wall) in zip(runs, done):
        rate = None
        for line in speed.stderr:
            if line.startswith("+R1:"):
                _, count, _, secs = line.strip().split(":")
                rate = float(count) / float(secs)
                break
        speed.kill()
        speed.wait()
        if reseal.returncode != 0 or rate is None or wall > seconds:
            sys.exit("side by side: reseal exited %d after %.1f s, openssl ran %d s"
                     % (reseal.returncode, wall, seconds))
        ratios.append((per * 15 / cpu) / rate)
    return ratios

side = min(int(os.environ.get("SIDE_SLICES", "5")), n // cores)
sys.stderr.write("%d slices side by side: on each core, sealkit reseal -j 1 and openssl speed\n"
                 % side)
# openssl must outlast each core's reseal, which shares its core: about twice the time of a
# wall-clock slice per wall-clock slice's worth of files.
span = max(r[1] for r in one_runs) * slices / side
sbs = sorted(x for k in range(side)
             for x in side_by_side(k * n // side, (k + 1) * n // side, int(2.5 * span) + 2))
print("reseal: %d items in %d slices, -j %d: one key %.2f s, four keys %.2f s" % (items, slices, jobs, dt1, dt4))
print("openssl RSA-4096 private ops/s (x%d)  : %10.1f   (median; from %.1f to %.1f)" % (cores, ossl, min(ossl_runs), max(ossl_runs)))
print("sealkit reseal items/s, one key      : %10.1f   ratio to openssl %.3f (median of slices, from %.3f to %.3f; target >= 0.95)" % (one, r_one, min(one_ratios), max(one_ratios)))
print("sealkit reseal items/s, four keys    : %10.1f   ratio to openssl %.3f, to one key %.3f (target >= 0.95)" % (four, r_four, r_four_one))
print("side by side, per CPU second, one key: ratio to openssl %.3f (median of %d core-slices, quartiles %.3f and %.3f; target >= 0.95)" % (median(sbs), len(sbs), sbs[len(sbs) // 4], sbs[3 * len(sbs) // 4]))
print("peak RSS of one sealkit process      : %10.1f MiB" % rss)
print(summary)
PY
