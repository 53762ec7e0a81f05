#!/usr/bin/env bash
# .pre-commit-hooks.yaml with the real pre-commit tool, offline: a scratch repository adds sealkit
# with the three lines README gives (repo: a local git repository holding the hooks file, rev: its
# commit); a commit with a plaintext Secret is refused, a clean one passes.
source "$(dirname "$0")/lib.sh"
SRC=${SK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}

if ! command -v pre-commit >/dev/null || ! command -v git >/dev/null; then
  skip_part "pre-commit or git is not installed (scripts/setup.sh installs them)"
  finish
fi

export HOME=$T/home PRE_COMMIT_HOME=$T/pre-commit-cache
mkdir -p "$HOME" "$T/bin"
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid
export GIT_CONFIG_NOSYSTEM=1
ln -s "$(cd "$(dirname "$SK")" && pwd)/$(basename "$SK")" "$T/bin/sealkit"
export PATH=$T/bin:$PATH
g() { git -c init.defaultBranch=main -c commit.gpgsign=false "$@"; }

# The hooks as a repository: the file under test at the root, committed (pre-commit clones rev).
mkdir "$T/hooks"
cp "$SRC/.pre-commit-hooks.yaml" "$T/hooks/"
run g -C "$T/hooks" init -q
run g -C "$T/hooks" add .pre-commit-hooks.yaml
run g -C "$T/hooks" commit -q -m hooks
expect_rc 0 "commit the hooks repository"
REV=$(git -C "$T/hooks" rev-parse HEAD)

mkdir "$T/repo"
run g -C "$T/repo" init -q
expect_rc 0 "git init"
# The three lines of README, with repo: the local copy.
cat >"$T/repo/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $T/hooks
    rev: $REV
    hooks: [{id: sealkit-verify}]
YAML
run g -C "$T/repo" add .pre-commit-config.yaml
run g -C "$T/repo" commit -q -m config
expect_rc 0 "commit the config (no hook yet)"
run sh -c "cd '$T/repo' && pre-commit install"
expect_rc 0 "pre-commit install"

# A clean SealedSecret, and an unrelated YAML file: the commit passes.
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: demo}\nstringData: {password: hunter2}\n' >"$T/s.yaml"
"$SK" seal --cert "$CERT" -o yaml -f "$T/s.yaml" -w "$T/repo/db-sealed.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n' >"$T/repo/cm.yaml"
run g -C "$T/repo" add db-sealed.yaml cm.yaml
run g -C "$T/repo" commit -m clean
expect_rc 0 "a clean commit passes the hook"
cat "$T/out" "$T/err" >"$T/both" # git shows the hook's output on stderr
grep -q "sealkit verify.*Passed" "$T/both" && ok || bad "the hook did not run: $(cat "$T/out" "$T/err")"
[ "$(git -C "$T/repo" log --format=%s -1)" = clean ] && ok || bad "the clean commit was not made"

# A plaintext Secret: refused, named by its code, and its value never printed.
cp "$T/s.yaml" "$T/repo/db-secret.yaml"
run g -C "$T/repo" add db-secret.yaml
run g -C "$T/repo" commit -m plaintext
expect_rc 1 "a commit with a plaintext Secret is refused"
cat "$T/out" "$T/err" >"$T/both"
grep -q "db-secret.yaml:1:-: error: plaintext-secret:" "$T/both" && ok || bad "no plaintext-secret finding: $(cat "$T/out" "$T/err")"
grep -q hunter2 "$T/out" "$T/err" && bad "the hook printed the value" || ok
[ "$(git -C "$T/repo" log --format=%s -1)" = clean ] && ok || bad "the plaintext commit was made"

# The tree variant with args (keys and a policy), as the hooks file documents it.
cat >"$T/repo/policy.yaml" <<YAML
namespaces: [demo]
secrets: [{name: db, namespace: demo, required: [password]}]
YAML
mkdir "$T/repo/k8s"
g -C "$T/repo" mv db-sealed.yaml k8s/ >/dev/null
g -C "$T/repo" rm -q --cached db-secret.yaml && rm "$T/repo/db-secret.yaml"
cat >"$T/repo/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $T/hooks
    rev: $REV
    hooks: [{id: sealkit-verify-tree, args: [--key, $KEY, --policy, policy.yaml, k8s/]}]
YAML
run g -C "$T/repo" add -A
run g -C "$T/repo" commit -m tree
expect_rc 0 "the tree variant passes on a tree that opens and meets the policy"
# An item that does not open under its name: the moved copy is refused.
sed 's/name: db$/name: db2/' "$T/repo/k8s/db-sealed.yaml" >"$T/repo/k8s/db2-sealed.yaml"
run g -C "$T/repo" add k8s/db2-sealed.yaml
run g -C "$T/repo" commit -m renamed
expect_rc 1 "the tree variant refuses an item that does not open"
cat "$T/out" "$T/err" >"$T/both"
grep -q "k8s/db2-sealed.yaml:1:password: error: sealed-for-other: sealed for demo/db" "$T/both" && ok || bad "tree variant finding: $(cat "$T/out" "$T/err")"
finish
