#!/usr/bin/env bash
# Usage: scripts/lint.sh [BUILD_DIR]: clang-format, cppcheck and clang-tidy, zero findings allowed.
# BUILD_DIR (default build/) must hold compile_commands.json: clang-tidy needs the real flags.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(realpath -m "${1:-$root/build}") # relative to where we were called from
cd "$root"
if [ ! -f "$dir/compile_commands.json" ]; then
  echo "lint: $dir/compile_commands.json is missing: configure that build dir first" >&2
  exit 2
fi
failed=0

# Tracked files only: build trees and scratch files are not ours to check (outside a git
# checkout, every file that matches).
tracked() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -- "$@"
  else
    for p in "$@"; do [ -d "${p%%/\**}" ] && find "${p%%/\**}" -path "$p" -type f; done | sort
  fi
}

echo "== self-contained"
# A fresh clone has nothing beside it: no tracked file may reach outside the repository for
# data or documents (the pattern is split so that this line does not match itself).
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  outside='\.\./'"shared|/work/"'shared'
  if git grep -n -I -E "$outside" -- . ; then
    echo "lint: the files above reach outside the repository: copy the data into tests/data" >&2
    failed=1
  fi
fi

echo "== layers"
scripts/layers.sh || failed=1

echo "== clang-format"
mapfile -t sources < <(tracked 'src/*.[ch]' 'include/*.[ch]' 'tests/unit/*.[ch]' 'bench/*.[ch]' \
  'tests/faultinject/*.[ch]' 'tests/consumer/*.[ch]' 'fuzz/*.[ch]')
if ! clang-format --dry-run -Werror "${sources[@]}"; then
  echo "lint: clang-format: run 'clang-format -i' on the files above" >&2
  failed=1
fi

echo "== cppcheck"
# System headers are not given to cppcheck: it checks our code, not libc's. Findings that are
# proven false positives are suppressed inline (// cppcheck-suppress ID ; reason).
if ! cppcheck --quiet --enable=warning,style,performance,portability --std=c11 --inline-suppr \
  --suppress=missingIncludeSystem --error-exitcode=1 -j"$(nproc)" \
  -D_GNU_SOURCE -Iinclude -Isrc/lib src/lib src/cli; then
  failed=1
fi

echo "== clang-tidy"
# One process per file, in parallel; each file's report is kept whole and printed only on failure.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
tracked 'src/*.c' | xargs -P"$(nproc)" -I{} sh -c \
  'clang-tidy --quiet -p "$1" "$2" >"$3/$(echo "$2" | tr / _).log" 2>&1 || echo "$2" >>"$3/failed"' \
  _ "$dir" {} "$out"
if [ -s "$out/failed" ]; then
  sort "$out/failed" | while read -r f; do
    grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' "$out/$(echo "$f" | tr / _).log"
  done
  echo "lint: clang-tidy: findings in $(wc -l <"$out/failed") file(s)" >&2
  failed=1
fi

[ "$failed" -eq 0 ] && echo "lint: clean"
exit "$failed"
