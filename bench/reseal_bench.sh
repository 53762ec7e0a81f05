#!/usr/bin/env bash
# Reseal benchmark: N SealedSecrets x 15 items, resealed in place to a new 4096-bit key with
# `sealkit reseal -j 2*CORES`, twice:
#   one key:    every file sealed under old1, resealed with --key old1 only;
#   four keys:  files sealed under a mix of old1, old2 and old3, resealed with all four keys
#               given (nothing names the key that sealed a blob: keys are tried in the order
#               docs/format.md §1.5 gives).
# Prints items/s for both, peak memory, and the ratios to OpenSSL's own multi-process RSA-4096
# private-operation rate on all cores (`openssl speed -multi CORES rsa4096`, the sign column),
# and of the four-key rate to the one-key rate. Each is a whole run over all N files, one
# process as a rotation runs it (start-up and the last file's tail counted once), ROUNDS=3 times.
# A virtual machine's speed drifts by 20% within minutes, so a drift must not fall on one side of
# a ratio only: every WINDOW=3 s the reseal is paused (SIGSTOP) while `openssl speed -multi
# -seconds 1` measures, and each stretch of the reseal's running time is priced at the mean of
# the OpenSSL rates just before and just after it.
# Then side by side, which drift cannot tilt at all: the files again in SIDE_SLICES=5 slices,
# each shared out over the cores, and on each core `sealkit reseal -j 1` (one key) pinned
# together with one `openssl speed rsa4096`, so that the two share that core's speed from moment
# to moment, and openssl is stopped (SIGALRM) the moment the reseal exits. The reseal's items per
# CPU second (user + system) over OpenSSL's private operations per CPU second (user time, as
# openssl speed counts it) is that core's ratio; the median over all cores and slices is printed.
# Each such reseal handles N/SIDE_SLICES/CORES files, so its 32 ms start-up weighs more than in
# a whole run.
# Before resealing, on the same files and key: `sealkit verify --key old1 -j JOBS` next to
# `sealkit reseal --check --key old1 -j JOBS` (interleaved, best of ROUNDS each), and the ratios
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
import os, re, resource, select, shutil, signal, subprocess, sys, threading, time
sk, tmp, n, cores, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
items = n * 15
rounds = int(os.environ.get("ROUNDS", "3"))

def openssl_rate(seconds=3):
    out = subprocess.run(["openssl", "speed", "-multi", str(cores), "-seconds", str(seconds),
                          "rsa4096"],
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

def whole_run(folder, keys, window):
    """One reseal of a fresh copy of all of folder's files, as a rotation runs it (one process,
    default jobs), paused every `window` seconds (SIGSTOP to its process group) while
    `openssl speed -multi` measures for a second, then resumed. Each stretch of running time is
    priced at the mean of the OpenSSL rates measured just before and just after it, so a drift
    of the machine's speed falls on both sides of the ratio. Returns the items/s over the
    running time, the ratio to what OpenSSL would have done in that time, the share of the
    cores' running time spent in sealkit (user + system), and the summary line."""
    work = fresh_copy(folder, 0, n)
    rates = [openssl_rate(1)]
    err = open(tmp + "/reseal.err", "w+")
    t0 = time.monotonic()
    p = subprocess.Popen(reseal_args(work, keys), stdout=subprocess.DEVNULL, stderr=err,
                         start_new_session=True)
    pidfd = os.pidfd_open(p.pid)
    stretches = []
    try:
        while True:
            done = bool(select.select([pidfd], [], [], window)[0])
            if not done:
                os.killpg(p.pid, signal.SIGSTOP)  # a zombie leader keeps the group: no ESRCH
            stretches.append(time.monotonic() - t0)
            if done:
                break
            rates.append(openssl_rate(1))
            os.killpg(p.pid, signal.SIGCONT)
            t0 = time.monotonic()
    except BaseException:
        os.killpg(p.pid, signal.SIGKILL)  # its own session: an interrupt never reached it
        raise
    _, status, use = os.wait4(p.pid, 0)
    os.close(pidfd)
    rates.append(openssl_rate(1))
    err.seek(0)
    lines = err.read().strip().splitlines()
    err.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("reseal failed: " + "\n".join(lines[-3:]))
    running = sum(stretches)
    openssl_ops = sum(d * (rates[i] + rates[i + 1]) / 2 for i, d in enumerate(stretches))
    busy = (use.ru_utime + use.ru_stime) / (running * cores)
    return items / running, items / openssl_ops, busy, lines[-1], rates

window = float(os.environ.get("WINDOW", "3"))
sys.stderr.write("%d whole runs each with one key and four keys, paused every %g s for openssl\n"
                 % (rounds, window))
one_runs, four_runs, ossl_runs = [], [], []
for _ in range(rounds):
    one_runs.append(whole_run("single", ["old1"], window))
    four_runs.append(whole_run("mixed", ["old1", "old2", "old3", "new"], window))
    ossl_runs += one_runs[-1][4] + four_runs[-1][4]
r_one = median([r[1] for r in one_runs])
r_four = median([r[1] for r in four_runs])
r_four_one = median([f[1] / o[1] for o, f in zip(one_runs, four_runs)])
one, four = median([r[0] for r in one_runs]), median([r[0] for r in four_runs])
busy = median([r[2] for r in one_runs])
summary = "last run, four keys: " + four_runs[-1][3]
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0

def side_by_side(lo, hi, seconds):
    """Per core, the ratio of a one-key `sealkit reseal -j 1` of its share of files lo..hi, in items
    per CPU second (user + system), to OpenSSL's private operations per CPU second (user time, as
    openssl speed counts it: +R1:count:bits:seconds once its private-operation phase ends), the
    two pinned to that core together so that they share its speed from moment to moment. The
    moment a core's reseal exits, its openssl gets SIGALRM, which ends its private-operation phase
    as its own timer would: OpenSSL is measured over the same shared time as the reseal, never
    alone on the core."""
    per = (hi - lo) // cores
    runs = []
    for c in range(cores):
        work = fresh_copy("single", lo + c * per, lo + (c + 1) * per, "side%d" % c)
        pin = ["taskset", "-c", str(c)]
        speed = subprocess.Popen(pin + ["openssl", "speed", "-mr", "-seconds", str(seconds),
                                        "rsa4096"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        reseal = subprocess.Popen(pin + reseal_args(work, ["old1"], 1),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs.append((speed, reseal, time.monotonic()))
    results = [None] * cores

    def finish(c):
        speed, reseal, t0 = runs[c]
        _, status, use = os.wait4(reseal.pid, 0)
        reseal.returncode = os.waitstatus_to_exitcode(status)
        speed.send_signal(signal.SIGALRM)
        wall = time.monotonic() - t0
        rate = None
        for line in speed.stderr:
            if line.startswith("+R1:"):
                _, count, _, secs = line.strip().split(":")
                rate = float(count) / float(secs)
                break
        speed.kill()
        speed.wait()
        results[c] = (reseal.returncode, use.ru_utime + use.ru_stime, rate, wall)

    threads = [threading.Thread(target=finish, args=(c,)) for c in range(cores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ratios = []
    for code, cpu, rate, wall in results:
        # openssl's own timer ending first would leave part of the reseal unmatched.
        if code != 0 or rate is None or wall >= seconds - 0.5:
            sys.exit("side by side: reseal exited %d after %.1f s, openssl's timer was %d s"
                     % (code, wall, seconds))
        ratios.append((per * 15 / cpu) / rate)
    return ratios

side = min(int(os.environ.get("SIDE_SLICES", "5")), n // cores)
sys.stderr.write("%d slices side by side: on each core, sealkit reseal -j 1 and openssl speed\n"
                 % side)
# openssl must outlast each core's reseal, which has half its core: twice the time a whole run
# takes for as many files, and a margin.
span = max(items / r[0] for r in one_runs) / side
sbs = sorted(x for k in range(side)
             for x in side_by_side(k * n // side, (k + 1) * n // side, int(2.5 * span) + 2))
print("openssl RSA-4096 private ops/s (x%d)  : %10.1f   (median of the samples; from %.1f to %.1f)" % (cores, median(ossl_runs), min(ossl_runs), max(ossl_runs)))
print("sealkit reseal items/s, one key      : %10.1f   ratio to openssl %.3f (median of %d whole runs, from %.3f to %.3f; target >= 0.95); cores busy in sealkit %.1f%% of its running time" % (one, r_one, rounds, min(r[1] for r in one_runs), max(r[1] for r in one_runs), 100 * busy))
print("sealkit reseal items/s, four keys    : %10.1f   ratio to openssl %.3f, to one key %.3f (target >= 0.95)" % (four, r_four, r_four_one))
print("side by side, per CPU second, one key: ratio to openssl %.3f (median of %d core-slices, quartiles %.3f and %.3f; target >= 0.95)" % (median(sbs), len(sbs), sbs[len(sbs) // 4], sbs[3 * len(sbs) // 4]))
print("  each run, one key / four keys / four to one: %s / %s / %s; each core-slice: %s"
      % (" ".join("%.3f" % r[1] for r in one_runs), " ".join("%.3f" % r[1] for r in four_runs),
         " ".join("%.3f" % (f[1] / o[1]) for o, f in zip(one_runs, four_runs)),
         " ".join("%.3f" % x for x in sbs)))
print("peak RSS of one sealkit process      : %10.1f MiB" % rss)
print(summary)
PY
