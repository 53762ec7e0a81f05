#!/usr/bin/env bash
# Sharded reseal benchmark: a repository of N SealedSecrets x ITEMS items, resealed to a new
# 4096-bit key by S = 1, 2 and 4 `sealkit reseal --shard K/S` processes started at once on this
# machine (each with -j 2*CORES/S, so that every run has the same number of workers). Prints the
# wall time of each run and its ratio to the one-shard run: on one machine the shards only split
# the same cores, so the ratio shows the cost of sharding (about 1.0 expected); on S machines
# with a shared volume each shard brings its own cores.
# Usage: bench/shard_bench.sh [N=1000] [ITEMS=15]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
SK=${SEALKIT:-$root/build/sealkit}
N=${1:-1000}
ITEMS=${2:-15}
CORES=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "setup: $N SealedSecrets x $ITEMS items" >&2
for k in old new; do
  openssl req -x509 -newkey rsa:4096 -nodes -keyout "$tmp/$k.key" -out "$tmp/$k.crt" \
    -days 30 -subj "/CN=bench-$k" 2>/dev/null
done
mkdir -p "$tmp/repo"
for i in $(seq 1 "$N"); do
  d="$tmp/repo/team$((i % 8))"
  mkdir -p "$d"
  {
    printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: s%s, namespace: bench}\nstringData:\n' "$i"
    for j in $(seq 1 "$ITEMS"); do printf '  ITEM_%s: value-%s-%s\n' "$j" "$i" "$j"; done
  } | "$SK" seal --cert "$tmp/old.crt" -o yaml >"$d/s$i.yaml"
done

declare -A secs
for s in 1 2 4; do
  rm -rf "$tmp/r" && cp -a "$tmp/repo" "$tmp/r"
  jobs=$((2 * CORES / s)); [ "$jobs" -ge 1 ] || jobs=1
  t0=$(date +%s%N)
  pids=()
  for k in $(seq 0 $((s - 1))); do
    "$SK" reseal --cert "$tmp/new.crt" --key "$tmp/old.key,$tmp/new.key" --shard "$k/$s" -j "$jobs" \
      "$tmp/r" 2>"$tmp/err.$k" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { cat "$tmp"/err.*; exit 1; }; done
  t1=$(date +%s%N)
  secs[$s]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  # Every file must be resealed, by exactly one shard.
  changed=$(grep -ho '[0-9]* files changed' "$tmp"/err.* | awk '{n += $1} END {print n}')
  [ "$changed" -eq "$N" ] || { echo "shards changed $changed of $N files" >&2; exit 1; }
done
for s in 1 2 4; do
  printf 'shards %d (-j %d each): %7.2f s   ratio to one shard %.3f\n' "$s" \
    $(( (2 * CORES / s) > 0 ? 2 * CORES / s : 1 )) "${secs[$s]}" "$(awk -v a="${secs[$s]}" -v b="${secs[1]}" 'BEGIN { print a / b }')"
done
