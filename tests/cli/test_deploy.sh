#!/usr/bin/env bash
# deploy/: every manifest builds with kubectl kustomize and passes kubectl's client-side dry run
# (against the discovery-only stub); the rotation's Role grants exactly what it needs; every pod
# runs as non-root on a read-only root file system; the container recipe is multi-stage and ships
# no build tools; and the CronJob's rotate script maps sealkit's exit codes as documented.
source "$(dirname "$0")/lib.sh"
D=${SK_SOURCE_DIR:?}/deploy

# ---- kubectl: build and client-side dry run ----
if command -v kubectl >/dev/null 2>&1; then
  for d in rotate shards argo volume; do
    run kubectl kustomize "$D/$d"
    expect_rc 0 "kubectl kustomize deploy/$d"
    cp "$T/out" "$T/built-$d.yaml"
  done
  mkfifo "$T/stub.port"
  exec 3<>"$T/stub.port"
  python3 "$(dirname "$0")/kube_stub.py" "$T/stub.port" 120 &
  stub=$!
  read -r -t 30 port <&3 || port=0
  dry() { run timeout 60 kubectl apply --dry-run=client --validate=false --server="http://127.0.0.1:$port" -f "$1"; }
  for d in rotate shards argo; do
    dry "$T/built-$d.yaml"
    expect_rc 0 "kubectl apply --dry-run=client deploy/$d"
  done
  dry "$T/built-rotate.yaml"
  for o in serviceaccount/sealkit-rotate role.rbac.authorization.k8s.io/sealkit-rotate \
    rolebinding.rbac.authorization.k8s.io/sealkit-rotate cronjob.batch/sealkit-rotate; do
    grep -q "^$o created (dry run)" "$T/out" && ok || bad "deploy/rotate: no $o: $(cat "$T/out" "$T/err")"
  done
  dry "$T/built-argo.yaml"
  grep -q "^workflowtemplate.argoproj.io/sealkit-rotate created (dry run)" "$T/out" && ok || bad "deploy/argo: $(cat "$T/out" "$T/err")"
  for f in mint-job finish-job; do
    dry "$D/shards/$f.yaml"
    expect_rc 0 "kubectl apply --dry-run=client deploy/shards/$f.yaml"
  done
  kill "$stub" 2>/dev/null || true
  wait "$stub" 2>/dev/null || true
else
  skip_part "kubectl is not installed: the manifests are not built or dry-run"
fi

# ---- the manifests, read as YAML ----
# check_rbac FILE...: every rule of every Role must be within the rotation's needs; no cluster-wide
# role or binding anywhere. Prints what is too much.
cat >"$T/rbac.py" <<'PY'
import sys, yaml
ALLOWED = {("", "secrets", "create", None),
           ("", "secrets", "get", "sealkit-rotation-keys"),
           ("", "secrets", "update", "sealkit-rotation-keys")}
bad = []
for path in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(path)):
        if not doc:
            continue
        kind = doc.get("kind")
        if kind in ("ClusterRole", "ClusterRoleBinding"):
            bad.append("%s: a %s" % (path, kind))
        if kind == "RoleBinding":
            subjects = doc.get("subjects", [])
            if [(s["kind"], s["name"]) for s in subjects] != [("ServiceAccount", "sealkit-rotate")]:
                bad.append("%s: binds %s" % (path, subjects))
        if kind != "Role":
            continue
        for rule in doc.get("rules", []):
            names = rule.get("resourceNames") or [None]
            for g in rule.get("apiGroups", []):
                for r in rule.get("resources", []):
                    for v in rule.get("verbs", []):
                        for n in names:
                            if (g, r, v, n) not in ALLOWED:
                                bad.append("%s: %s %s/%s%s" % (path, v, g or "core", r,
                                           "" if n is None else " " + n))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
mapfile -t manifests < <(find "$D" -name '*.yaml' | sort)
run python3 "$T/rbac.py" "${manifests[@]}"
expect_rc 0 "deploy/: RBAC within the rotation's needs ($(cat "$T/out"))"
# The check itself must catch a wider grant, a wildcard and a cluster-wide role.
sed 's/verbs: \["get", "update"\]/verbs: ["get", "update", "list"]/' "$D/rotate/role.yaml" >"$T/role-list.yaml"
sed 's/resources: \["secrets"\]/resources: ["*"]/' "$D/rotate/role.yaml" >"$T/role-star.yaml"
sed 's/^kind: Role$/kind: ClusterRole/' "$D/rotate/role.yaml" >"$T/role-cluster.yaml"
for f in role-list role-star role-cluster; do
  run python3 "$T/rbac.py" "$T/$f.yaml"
  expect_rc 1 "the RBAC check refuses $f"
done

# Every pod: non-root, read-only root, no privilege escalation, all capabilities dropped; the
# CronJob never overlaps itself; the Indexed Job's N matches its --shard.
run python3 - "${manifests[@]}" <<'PY'
import re, sys, yaml
bad = []
def pods(doc):
    k = doc.get("kind")
    if k == "CronJob":
        yield doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    elif k == "Job":
        yield doc["spec"]["template"]["spec"]
    elif k == "WorkflowTemplate":
        t = dict(doc["spec"])
        t["containers"] = [x["container"] for x in doc["spec"]["templates"] if "container" in x]
        yield t
for path in sys.argv[1:]:
    for doc in yaml.safe_load_all(open(path)):
        if not doc:
            continue
        for p in pods(doc):
            sc = p.get("securityContext", {})
            if not sc.get("runAsNonRoot") or sc.get("runAsUser", 0) == 0:
                bad.append("%s: pod may run as root" % path)
            for c in p.get("initContainers", []) + p.get("containers", []):
                csc = c.get("securityContext", {})
                if csc.get("readOnlyRootFilesystem") is not True:
                    bad.append("%s: %s: writable root" % (path, c.get("name", "?")))
                if csc.get("allowPrivilegeEscalation") is not False:
                    bad.append("%s: %s: privilege escalation" % (path, c.get("name", "?")))
                if csc.get("capabilities", {}).get("drop") != ["ALL"]:
                    bad.append("%s: %s: capabilities kept" % (path, c.get("name", "?")))
        if doc.get("kind") == "CronJob" and doc["spec"].get("concurrencyPolicy") != "Forbid":
            bad.append("%s: the CronJob may overlap itself" % path)
        if doc.get("kind") == "Job" and doc["spec"].get("completionMode") == "Indexed":
            s = doc["spec"]
            args = " ".join(s["template"]["spec"]["containers"][0].get("args", []))
            m = re.search(r"--shard=\$\(JOB_COMPLETION_INDEX\)/(\d+)", args)
            if not (m and int(m.group(1)) == s["completions"] == s["parallelism"]):
                bad.append("%s: completions, parallelism and --shard N differ" % path)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
expect_rc 0 "deploy/: pod security, Forbid, shard count ($(cat "$T/out"))"

# The scripts inside the manifests parse as sh.
python3 - "$T" "${manifests[@]}" <<'PY'
import sys, yaml
out, n = sys.argv[1], 0
for path in sys.argv[2:]:
    for doc in yaml.safe_load_all(open(path)):
        stack = [doc]
        while stack:
            x = stack.pop()
            if isinstance(x, dict):
                cmd = (x.get("command") or []) + (x.get("args") or [])
                if "-c" in cmd or "-ec" in cmd:
                    n += 1
                    open("%s/script.%d.sh" % (out, n), "w").write(cmd[-1])
                stack.extend(x.values())
            elif isinstance(x, list):
                stack.extend(x)
PY
for s in "$T"/script.*.sh; do
  sh -n "$s" && ok || bad "a script in deploy/ does not parse: $(cat "$s")"
done

# ---- the CronJob's rotate step, run here with its paths moved into a scratch folder ----
# Exit 0 and 4 are success (4 leaves the key Secret's path for the apply step); others fail.
python3 - "$D/rotate/cronjob.yaml" "$T" >"$T/rotate-step.sh" <<'PY'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
spec = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
script = [c for c in spec["initContainers"] if c["name"] == "rotate"][0]["command"][-1]
t = sys.argv[2]
for a, b in (("/keys-in", t + "/ks/in"), ("/keys", t + "/ks/keys"), ("/work", t + "/ks/work")):
    script = script.replace(a, b)
print(script)
PY
mkdir -p "$T/ks/in" "$T/ks/keys" "$T/ks/work/repo/k8s" "$T/bin"
ln -s "$SK" "$T/bin/sealkit"
cp "$IOP/keys/old/sealed-secrets-key.yaml" "$T/ks/in/"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: demo}\nstringData: {pw: x}\n' |
  "$SK" seal --cert "$IOP/keys/old/tls.crt" -o yaml >"$T/ks/work/repo/k8s/a.yaml"
# The clock is past the old key's 30 days: the step rotates (sealkit exits 4) and succeeds.
run env PATH="$T/bin:$PATH" sh "$T/rotate-step.sh"
expect_rc 0 "the rotate step after a rotation"
[ -s "$T/ks/work/rotated" ] && [ -f "$(cat "$T/ks/work/rotated")" ] && ok || bad "the rotate step did not name the key to apply"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["rotated"] and r["files_changed"] == 1, r' \
  "$T/ks/work/report.json" && ok || bad "the rotate step's report"
# A failure (a file no key opens) fails the step, with sealkit's exit code.
rm -f "$T/ks/work/rotated" "$T/ks/keys"/*
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: b, namespace: demo}\nstringData: {pw: other}\n' |
  "$SK" seal --cert "$CERT" -o yaml >"$T/ks/work/repo/k8s/b.yaml"
run env PATH="$T/bin:$PATH" SEALKIT_NOW=2031-01-01T00:00:00Z sh "$T/rotate-step.sh"
expect_rc 1 "the rotate step when a file cannot be opened"
[ ! -e "$T/ks/work/rotated" ] && ok || bad "a failed rotation asked for a key to be applied"

# ---- the container recipe ----
if command -v hadolint >/dev/null 2>&1; then
  run hadolint "$D/Dockerfile"
  expect_rc 0 "hadolint deploy/Dockerfile"
fi
cat >"$T/dockerfile.py" <<'PY'
import re, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
stages = re.split(r"(?m)^FROM\s+", text)[1:]
bad = []
if len(stages) < 2:
    bad.append("not multi-stage")
final = stages[-1]
if not re.match(r"\S+-slim\b", final):
    bad.append("the final stage is not a slim base: " + final.split()[0])
users = re.findall(r"(?m)^USER\s+(\S+)", final)
if not users or users[-1].split(":")[0] in ("0", "root"):
    bad.append("the final stage runs as root")
for tool in ("build-essential", "gcc", "cmake", "make", "pkg-config", "-dev", "clang"):
    for line in re.findall(r"(?m)^RUN .*", final):
        if re.search(r"(^|\s)\S*%s(\s|$)" % re.escape(tool), line.split("install", 1)[-1]):
            bad.append("the final stage installs " + tool)
if "COPY --from=" not in final:
    bad.append("the final stage does not copy from the build stage")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
run python3 "$T/dockerfile.py" "$D/Dockerfile"
expect_rc 0 "deploy/Dockerfile: multi-stage, slim, non-root, no build tools ($(cat "$T/out"))"
# The check must catch a final stage with build tools, or run as root.
sed 's/libssl3 libsodium23/libssl3 libssl-dev gcc libsodium23/' "$D/Dockerfile" >"$T/Dockerfile.tools"
sed 's/^USER 10001:10001$/USER root/' "$D/Dockerfile" >"$T/Dockerfile.root"
for f in tools root; do
  run python3 "$T/dockerfile.py" "$T/Dockerfile.$f"
  expect_rc 1 "the Dockerfile check refuses the $f variant"
done

finish
