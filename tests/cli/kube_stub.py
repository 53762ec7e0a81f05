#!/usr/bin/env python3
"""A discovery-only Kubernetes API stub on 127.0.0.1, so that `kubectl apply --dry-run=client`
can run without a cluster: it serves /version, /api, /apis and the kinds sealkit and deploy/ use,
and answers 404 to every object GET. Writes its port and a newline to the file (a FIFO) named by argv[1]; stops by itself
after argv[2] seconds (default 60)."""
import json
import sys
import threading
import http.server

VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def resources(group_version, *kinds):
    """An APIResourceList of namespaced kinds, each as (plural, Kind)."""
    return {"kind": "APIResourceList", "groupVersion": group_version, "resources": [
        {"name": plural, "singularName": kind.lower(), "namespaced": True, "kind": kind,
         "verbs": VERBS} for plural, kind in kinds]}


# What the manifests in deploy/ and the Secrets sealkit writes use, and nothing more.
GROUPS = {
    "batch/v1": resources("batch/v1", ("jobs", "Job"), ("cronjobs", "CronJob")),
    "rbac.authorization.k8s.io/v1": resources("rbac.authorization.k8s.io/v1",
                                              ("roles", "Role"), ("rolebindings", "RoleBinding")),
    "argoproj.io/v1alpha1": resources("argoproj.io/v1alpha1",
                                      ("workflowtemplates", "WorkflowTemplate")),
}
ROUTES = {
    "/version": {"major": "1", "minor": "30", "gitVersion": "v1.30.0-stub"},
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": gv.split("/")[0], "versions": [{"groupVersion": gv, "version": gv.split("/")[1]}],
         "preferredVersion": {"groupVersion": gv, "version": gv.split("/")[1]}} for gv in GROUPS]},
    "/api/v1": resources("v1", ("secrets", "Secret"), ("serviceaccounts", "ServiceAccount"),
                         ("persistentvolumeclaims", "PersistentVolumeClaim"),
                         ("namespaces", "Namespace")),
}
ROUTES.update({"/apis/" + gv: body for gv, body in GROUPS.items()})
NOT_FOUND = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = ROUTES.get(self.path.split("?")[0])
        data = json.dumps(body if body is not None else NOT_FOUND).encode()
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % server.server_address[1])
threading.Timer(float(sys.argv[2]) if len(sys.argv) > 2 else 60.0, server.shutdown).start()
server.serve_forever()
