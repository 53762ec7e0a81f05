#!/usr/bin/env bash
# Usage: scripts/layers.sh: checks that the library's includes follow its layers (README.md,
# "Architecture"): a file in src/lib/LAYER/ and a public header may include only headers of its
# own layer or of a layer below it. Prints each violation; exits 1 when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."

layers=(core crypto formats model keys operations audit package)
declare -A rank public
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done
# The layer of each public header (include/sealkit/NAME.h).
for h in init error export mem io timefmt walk; do public[$h]=core; done
public[crypto]=crypto
for h in doc emit; do public[$h]=formats; done
for h in model scope secret; do public[$h]=model; done
for h in cert keys keygen fetch; do public[$h]=keys; done
for h in seal unseal reseal create rotate; do public[$h]=operations; done
public[verify]=audit
public[package]=package

bad=0
# check FILE LAYER: every include of FILE against LAYER.
check() {
  local file=$1 own=$2 line inc layer
  while IFS= read -r line; do
    if [[ $line =~ ^#include\ \<sealkit/([a-z0-9_]+)\.h\> ]]; then
      inc=${BASH_REMATCH[1]}
      layer=${public[$inc]:-}
      if [ -z "$layer" ]; then
        echo "$file: includes <sealkit/$inc.h>, which belongs to no layer (the umbrella header is for users)"
        bad=1
        continue
      fi
    elif [[ $line =~ ^#include\ \"([a-z]+)/[a-z0-9_]+\.h\" ]]; then
      layer=${BASH_REMATCH[1]}
      [ -n "${rank[$layer]:-}" ] || { echo "$file: $line: no such layer"; bad=1; continue; }
    elif [[ $line =~ ^#include\ \"([a-z0-9_]+)\.h\" ]] && [[ $file == include/* ]]; then
      layer=${public[${BASH_REMATCH[1]}]:-}
      [ -n "$layer" ] || continue # export.h and the like, resolved above for sources
    elif [[ $line =~ ^#include\ \" ]]; then
      echo "$file: $line: name the layer (#include \"LAYER/name.h\")"
      bad=1
      continue
    else
      continue
    fi
    if [ "${rank[$layer]}" -gt "${rank[$own]}" ]; then
      echo "$file ($own) includes a header of the higher layer $layer: $line"
      bad=1
    fi
  done <"$file"
}

for dir in src/lib/*/; do
  own=$(basename "$dir")
  [ -n "${rank[$own]:-}" ] || { echo "src/lib/$own: not a layer of README.md's architecture"; bad=1; continue; }
  for f in "$dir"*.[ch]; do check "$f" "$own"; done
done
for f in include/sealkit/*.h; do
  name=$(basename "$f" .h)
  [ "$name" = sealkit ] && continue
  [ -n "${public[$name]:-}" ] || { echo "$f: belongs to no layer (add it to scripts/layers.sh)"; bad=1; continue; }
  check "$f" "${public[$name]}"
done
[ "$bad" -eq 0 ] && echo "layers: clean"
exit "$bad"
