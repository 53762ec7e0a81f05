#!/usr/bin/env bash
# Installs what sealkit needs on Debian; does nothing when it is all there.
set -euo pipefail

packages=(build-essential cmake pkg-config clang
          libssl-dev libsodium-dev libyaml-dev libjansson-dev libcmocka-dev libarchive-dev
          python3 python3-cryptography python3-yaml python3-jsonschema # the last: SARIF schema test
          strace valgrind # hardening tests: plaintext-leak tracing, memcheck
          openssh-client # ssh-keygen: the fingerprint cross-check
          clang-tidy clang-format cppcheck # scripts/lint.sh
          libcurl4-openssl-dev openssl groff-base zsh # --cert https://; its test; man and zsh tests
          pre-commit git) # the .pre-commit-hooks.yaml test

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# kubectl (for kustomize and the client-side dry runs of deploy/): Debian's, unless one is there.
command -v kubectl >/dev/null 2>&1 || missing+=(kubernetes-client)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
