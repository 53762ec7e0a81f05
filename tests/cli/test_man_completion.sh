#!/usr/bin/env bash
# Man pages and shell completions: they exist for every command, lint clean, name every flag
# that the command's --help names, and the completions complete.
source "$(dirname "$0")/lib.sh"

SRC=${SK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
MAN=$SRC/man
COMMANDS=$("$SK" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ "$(echo "$COMMANDS" | wc -w)" -ge 4 ] && ok || bad "no commands found in sealkit --help"

# help_flags CMD...: the flags that `sealkit CMD... --help` names in its usage lines and in
# the first column of its option table (not those its descriptions mention in passing).
help_flags() {
  "$SK" "$@" --help >"$T/help"
  { sed -nE 's/^ +(-.*)$/\1/p' "$T/help" | sed -E 's/  .*//'
    grep -E '^(Usage:| +sealkit )' "$T/help"
  } | grep -oE -- '(^|[][ ,/|])--?[a-zA-Z][a-zA-Z-]*' | sed -E 's/^[][ ,/|]//' | sort -u
}
# Every (sub)command whose --help lists flags.
help_targets() {
  for cmd in $COMMANDS; do
    case $cmd in
    keys) echo "keys list" ;;
    package) echo "package" ;; # its --help covers `package verify` too
    *) echo "$cmd" ;;
    esac
  done
}

# ---- man pages ----
pages=(sealkit.1)
for cmd in $COMMANDS; do pages+=("sealkit-$cmd.1"); done
for p in "${pages[@]}"; do [ -f "$MAN/$p" ] && ok || bad "man/$p missing"; done

if command -v groff >/dev/null; then
  for p in "$MAN"/*.1; do
    run groff -man -Tutf8 -ww -z "$p"
    [ "$rc" -eq 0 ] && [ ! -s "$T/err" ] && ok || bad "groff warnings in $(basename "$p"): $(head -c 400 "$T/err")"
  done
else
  echo "WARNING: groff is not installed: the man pages were NOT linted (scripts/setup.sh installs groff-base)" >&2
fi

for p in "${pages[@]}"; do
  f=$MAN/$p
  [ -f "$f" ] || continue
  for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT EXAMPLES "SEE ALSO"; do
    grep -qx "\.SH \"*$s\"*" "$f" && ok || bad "$p has no $s section"
  done
  name=${p%.1}
  grep -A1 -x '\.SH NAME' "$f" | grep -q "^${name//-/\\\\-} \\\\- " && ok || bad "$p: NAME line is not '$name \\- ...'"
  # Every page it refers to exists.
  for ref in $(grep -oE 'sealkit(\\-[a-z]+)? \(1\)|BR sealkit(\\-[a-z]+)? \(1\)' "$f" | grep -oE 'sealkit(\\-[a-z]+)?' | sed 's/\\-/-/' | sort -u); do
    [ -f "$MAN/$ref.1" ] || bad "$p refers to $ref(1), which does not exist"
  done
done

# Each page names every flag of its command's --help (roff spells - as \-).
while read -r target; do
  [ -n "$target" ] || continue
  cmd=${target%% *}
  f=$MAN/sealkit-$cmd.1
  [ -f "$f" ] || continue
  sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$f" >"$T/page"
  # shellcheck disable=SC2086 # target is "cmd" or "cmd sub"
  missing=$(help_flags $target | while read -r flag; do
    grep -qE -- "(^|[^a-zA-Z-])$flag([^a-zA-Z-]|\$)" "$T/page" || echo "$flag"
  done)
  [ -z "$missing" ] && ok || bad "sealkit-$cmd.1 does not document: $(echo $missing)"
done < <(help_targets)
# And the other way: every flag a page gives an entry of its own (the tag line after .TP) is
# named by --help, so that --help never hides an option the command takes.
while read -r target; do
  [ -n "$target" ] || continue
  cmd=${target%% *}
  f=$MAN/sealkit-$cmd.1
  [ -f "$f" ] || continue
  # shellcheck disable=SC2086 # target is "cmd" or "cmd sub"
  help_flags $target >"$T/helpflags"
  missing=$(awk '/^\.TP/ { getline; print }' "$f" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' |
    grep -oE -- '(^|[ "])--?[a-zA-Z][a-zA-Z-]*' | sed -E 's/^[ "]//' | sort -u |
    while read -r flag; do grep -qxF -- "$flag" "$T/helpflags" || echo "$flag"; done)
  [ -z "$missing" ] && ok || bad "sealkit $target --help does not name: $(echo $missing)"
done < <(help_targets)
for cmd in $COMMANDS; do
  grep -q "^\.B $cmd\$" "$MAN/sealkit.1" && ok || bad "sealkit.1 does not list $cmd"
done

# ---- bash completion ----
BASHC=$SRC/completions/sealkit.bash
run bash -c "source '$BASHC' && complete -p sealkit"
expect_rc 0 "bash sources the completion"
grep -q -- '-F _sealkit sealkit' "$T/out" && ok || bad "complete -p sealkit: $(cat "$T/out")"

# complete WORD...: COMPREPLY for the command line WORD... (the last word is being completed).
complete_bash() {
  (cd "$T" && bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sealkit
    printf "%s\n" "${COMPREPLY[@]}"' _ "$BASHC" "$@")
}
expect_completion() { # EXPECTED WORD...: EXPECTED is the whole reply, one line per candidate
  local want=$1
  shift
  local got
  got=$(complete_bash "$@" | sort | tr '\n' ' ')
  [ "$got" = "$want " ] && ok || bad "bash completion of '$*': got '$got', want '$want'"
}
expect_completion "seal" sealkit se
expect_completion "reseal" sealkit res
expect_completion "--scope" sealkit seal --sc
expect_completion "cluster-wide" sealkit seal --scope cl
expect_completion "json yaml" sealkit unseal -o ""
expect_completion "json sarif text" sealkit verify --format ""
expect_completion "error info warning" sealkit verify --fail-on ""
expect_completion "list" sealkit keys l
expect_completion "docker-registry generic" sealkit create ""
expect_completion "--version" sealkit --vers
mkdir -p "$T/dir.d" && : >"$T/controller.crt" && : >"$T/cluster.key"
for flag in --cert --key -f -w; do
  expect_completion "controller.crt" sealkit seal "$flag" contr
done
: >"$T/my cert.pem"
expect_completion "my cert.pem" sealkit seal --cert my
expect_completion "cluster.key" sealkit unseal --key = clu # bash splits --key=clu at '=' 
expect_completion "dir.d" sealkit rotate --keys d
# Every command is offered, and every flag its --help names.
got=$(complete_bash sealkit "" | sort | tr '\n' ' ')
[ "$got" = "$(echo $COMMANDS | tr ' ' '\n' | sort | tr '\n' ' ')" ] && ok || bad "commands offered: $got"
while read -r target; do
  [ -n "$target" ] || continue
  # shellcheck disable=SC2206 # target is "cmd" or "cmd sub"
  words=(sealkit $target)
  [ "$target" = create ] && words+=(generic name)
  complete_bash "${words[@]}" - >"$T/offered"
  [ "$target" = package ] && complete_bash sealkit package verify pkg.tar.gz - >>"$T/offered"
  # shellcheck disable=SC2086
  missing=$(help_flags $target | while read -r flag; do grep -qxF -- "$flag" "$T/offered" || echo "$flag"; done)
  [ -z "$missing" ] && ok || bad "bash completion of 'sealkit $target -' lacks: $(echo $missing)"
done < <(help_targets)

# ---- zsh completion ----
ZSHC=$SRC/completions/_sealkit
if command -v zsh >/dev/null; then
  run zsh -n "$ZSHC"
  expect_rc 0 "zsh parses _sealkit"
  missing=""
  for target in $(help_targets | tr ' ' '/'); do
    # shellcheck disable=SC2046
    for flag in $(help_flags $(echo "$target" | tr '/' ' ')); do
      grep -qE -- "(^|[{,'*])${flag}[]=+[,}]" "$ZSHC" || missing="$missing $target:$flag"
    done
  done
  [ -z "$missing" ] && ok || bad "_sealkit lacks:$missing"
  # Drive a real interactive zsh through zsh/zpty and press TAB.
  cat >"$T/drive.zsh" <<'Z'
setopt extendedglob
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "PS1='> '; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; cd $2; print READY-\$((6*7))"
zpty -r z out '*READY-42*'
shift 2
while (( $# >= 2 )); do
  zpty -w -n z "$1"$'\t'
  got="" deadline=$((SECONDS + 5))
  while (( SECONDS < deadline )) && [[ ${got//$'\e'\[[0-9;?]#[a-zA-Z]/} != *"$2"* ]]; do
    zpty -r -t z chunk && got+=$chunk || sleep 0.05
  done
  [[ ${got//$'\e'\[[0-9;?]#[a-zA-Z]/} == *"$2"* ]] && print "ok $1" || print "FAIL '$1' did not complete to '$2'"
  # Abandon the line, then wait for a marker the shell prints after it: the next case starts
  # from a clean prompt, without guessing how long that takes.
  zpty -w z $'\x03'
  zpty -w z "print SYNC-\$(( $# * 1000 + 7 ))"
  zpty -r z out "*SYNC-$(( $# * 1000 + 7 ))*"
  shift 2
done
zpty -d z
Z
  : >"$T/controller.crt"
  run timeout 60 zsh -f "$T/drive.zsh" "$(dirname "$ZSHC")" "$T" \
    'sealkit se' 'sealkit seal ' \
    'sealkit seal --sc' 'sealkit seal --scope=' \
    'sealkit seal --scope cl' 'cluster-wide ' \
    'sealkit seal --cert contr' 'controller.crt ' \
    'sealkit keys l' 'sealkit keys list ' \
    'sealkit package ver' 'sealkit package verify ' \
    'sealkit verify -o t' 'text '
  [ "$rc" -eq 0 ] && ! grep -q FAIL "$T/out" && [ "$(grep -c '^ok ' "$T/out")" -eq 7 ] && ok || bad "zsh completion: $(cat "$T/out" "$T/err")"
else
  echo "WARNING: zsh is not installed: the zsh completion was NOT tested (scripts/setup.sh installs zsh)" >&2
  [ -f "$ZSHC" ] && ok || bad "completions/_sealkit missing"
fi
finish
