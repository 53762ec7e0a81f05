#!/usr/bin/env python3
"""A discovery-only Kubernetes API stub on 127.0.0.1, so that `kubectl apply --dry-run=client`
can run without a cluster: it serves /version, /api, /apis and /api/v1 (Secrets only) and
answers 404 to every object GET. Writes its port and a newline to the file (a FIFO) named by argv[1]; stops by itself
after argv[2] seconds (default 60)."""
import json
import sys
import threading
import http.server

RESOURCES = {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
    {"name": "secrets", "singularName": "secret", "namespaced": True, "kind": "Secret",
     "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}]}
ROUTES = {
    "/version": {"major": "1", "minor": "30", "gitVersion": "v1.30.0-stub"},
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": RESOURCES,
}
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
