#!/usr/bin/env bash
# seal --cert https://...: a local HTTPS server on 127.0.0.1 with a CA made here, at test time.
source "$(dirname "$0")/lib.sh"

# Nothing from the caller's environment may decide which CA is trusted or route through a proxy.
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE SEALED_SECRETS_CERT
unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: demo}\nstringData: {password: hunter2}\n' >"$T/s.yaml"
pw_b64=$(printf hunter2 | base64)

# Built without libcurl headers (SEALKIT_WITH_CURL=OFF), sealkit refuses https:// URLs in one line
# of its own, still refuses other schemes as usage errors, and still seals with a file.
NOCURL="this sealkit was built without libcurl headers; give the certificate as a file"
nocurl_checks() { # BINARY LABEL
  fails 1 "cannot fetch https://127.0.0.1:1/x.crt: $NOCURL" "$2: https URL" "$1" seal --cert https://127.0.0.1:1/x.crt -f "$T/s.yaml"
  [ "$(wc -l <"$T/err")" -eq 1 ] && ok || bad "$2: https URL: more than one line: $(cat "$T/err")"
  fails 2 "refusing a http:// URL" "$2: http URL" "$1" seal --cert http://127.0.0.1:1/x.crt -f "$T/s.yaml"
  run "$1" seal --cert "$CERT" -f "$T/s.yaml"
  expect_rc 0 "$2: seal with a certificate file"
}
run "$SK" seal --cert https://127.0.0.1:1/x.crt -f "$T/s.yaml"
if grep -qF "$NOCURL" "$T/err"; then
  nocurl_checks "$SK" "$SK"
  skip_part "$SK was built without libcurl headers (SEALKIT_WITH_CURL=OFF): nothing fetched"
  finish
fi

# A throwaway CA and a server certificate for IP 127.0.0.1 only (so "localhost" must fail the
# host check). EC keys: fast to make; they never leave $T.
tls() { openssl "$@" >/dev/null 2>&1 || { echo "FAIL: openssl $1" >&2; exit 1; }; }
tls req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=sealkit test-only CA" -keyout "$T/ca.key" -out "$T/ca.crt"
tls req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=127.0.0.1" -keyout "$T/server.key" -out "$T/server.csr"
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$T/server.ext"
tls x509 -req -in "$T/server.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -days 1 \
  -extfile "$T/server.ext" -out "$T/server.crt"
# A second CA that signed nothing here: trusting it must not help.
tls req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=sealkit other test-only CA" -keyout "$T/other.key" -out "$T/other.crt"

mkdir "$T/www"
cp "$CERT" "$T/www/tls.crt"
echo "not a certificate" >"$T/www/junk.txt"

cat >"$T/server.py" <<'PY'
import http.server, os, ssl, sys, threading
www, cert, key, portfile = sys.argv[1:5]

class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=www, **k)

    def do_GET(self):
        port = self.server.server_address[1]
        if self.path in ("/to-https", "/to-http"):
            scheme = "https" if self.path == "/to-https" else "http"
            self.send_response(302)
            self.send_header("Location", "%s://127.0.0.1:%d/tls.crt" % (scheme, port))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path in ("/big", "/big-stream"):
            self.send_response(200)
            if self.path == "/big":
                self.send_header("Content-Length", str(2 << 20))
            self.end_headers()  # /big-stream: HTTP/1.0, the body ends when the connection closes
            try:
                for _ in range(32):
                    self.wfile.write(b"A" * 65536)
            except OSError:
                pass  # the client hung up at its limit
        else:
            super().do_GET()

    def log_message(self, *a):
        pass

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
# Handshakes happen in the handler threads, so a client that gives up cannot block accept().
srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
threading.Timer(120, srv.shutdown).start()  # bounded even if nobody kills it
with open(portfile, "w") as f:  # a FIFO: the test waits on it
    f.write("%d\n" % srv.server_address[1])
srv.serve_forever()
PY

# The server writes its port to a FIFO once it listens; opened read-write here, so that the
# read waits for the line (bounded) and a server that dies early cannot hang the test.
mkfifo "$T/port"
exec 3<>"$T/port"
python3 "$T/server.py" "$T/www" "$T/server.crt" "$T/server.key" "$T/port" 2>"$T/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; rm -rf "$T"' EXIT
read -r -t 30 PORT <&3 || { echo "FAIL: the test HTTPS server did not start: $(cat "$T/server.log")" >&2; exit 1; }
URL=https://127.0.0.1:$PORT

# Trusted through SSL_CERT_FILE: seals, and the result opens with the interop key.
run env SSL_CERT_FILE="$T/ca.crt" "$SK" seal --cert "$URL/tls.crt" -o yaml -f "$T/s.yaml"
expect_rc 0 "https cert with SSL_CERT_FILE"
cp "$T/out" "$T/sealed.yaml"
run "$SK" unseal --key "$KEY" -o yaml -f "$T/sealed.yaml"
expect_rc 0 "unseal what the fetched cert sealed"
grep -q "password: $pw_b64" "$T/out" && ok || bad "round trip through the fetched certificate"
# The fetched certificate is the interop one: same scope label, same key, so a raw blob opens too.
run env SSL_CERT_FILE="$T/ca.crt" "$SK" seal --cert "$URL/tls.crt" --raw -n demo --name db --from-file "$T/www/junk.txt"
expect_rc 0 "raw seal with an https cert"
cp "$T/out" "$T/blob"
run "$SK" unseal --raw --key "$KEY" --scope strict --namespace demo --name db <"$T/blob"
grep -qx "not a certificate" "$T/out" && ok || bad "raw blob from https cert opens: $(cat "$T/err")"

# CURL_CA_BUNDLE works as for the curl tool, and so does SEALED_SECRETS_CERT with a URL.
run env CURL_CA_BUNDLE="$T/ca.crt" SEALED_SECRETS_CERT="$URL/tls.crt" "$SK" seal -f "$T/s.yaml"
expect_rc 0 "CURL_CA_BUNDLE + SEALED_SECRETS_CERT URL"
head -c1 "$T/out" | grep -q '{' && ok || bad "json output from URL cert"

# SSL_CERT_DIR: a hashed folder (openssl rehash) holding the test CA.
mkdir "$T/cadir" && cp "$T/ca.crt" "$T/cadir/" && tls rehash "$T/cadir"
run env SSL_CERT_DIR="$T/cadir" "$SK" seal --cert "$URL/tls.crt" -f "$T/s.yaml"
expect_rc 0 "SSL_CERT_DIR with the test CA"
# A bundle and a folder named together are both trusted.
run env SSL_CERT_FILE="$T/other.crt" SSL_CERT_DIR="$T/cadir" "$SK" seal --cert "$URL/tls.crt" -f "$T/s.yaml"
expect_rc 0 "SSL_CERT_FILE (other CA) + SSL_CERT_DIR (test CA)"

# Redirects: followed to https://, never to http://.
run env SSL_CERT_FILE="$T/ca.crt" "$SK" seal --cert "$URL/to-https" -f "$T/s.yaml"
expect_rc 0 "redirect to https is followed"
fails 1 "cannot fetch $URL/to-http:" "redirect to http" env SSL_CERT_FILE="$T/ca.crt" "$SK" seal --cert "$URL/to-http" -f "$T/s.yaml"
expect_err "redirects to https:// URLs only" "redirect to http hint"

# Without the test CA the server is not trusted: a TLS verification error, exit 1.
fails 1 "cannot fetch $URL/tls.crt: SSL certificate problem" "untrusted server" "$SK" seal --cert "$URL/tls.crt" -f "$T/s.yaml"
expect_err "set SSL_CERT_FILE" "untrusted server hint"
fails 1 "SSL certificate problem" "wrong CA" env SSL_CERT_FILE="$T/other.crt" "$SK" seal --cert "$URL/tls.crt" -f "$T/s.yaml"
expect_err "not signed by a CA in $T/other.crt" "wrong CA hint names the bundle"
# Trusted CA, but the certificate is not for this host name.
fails 1 "localhost" "host name mismatch" env SSL_CERT_FILE="$T/ca.crt" "$SK" seal --cert "https://localhost:$PORT/tls.crt" -f "$T/s.yaml"

# Plain http:// and file:// are refused before any connection, as usage errors.
fails 2 "http://127.0.0.1:$PORT/tls.crt: refusing a http:// URL; only https:// is accepted" "http refused" "$SK" seal --cert "http://127.0.0.1:$PORT/tls.crt" -f "$T/s.yaml"
expect_err "authenticated channel" "http refusal says why"
fails 2 "refusing a file:// URL" "file refused" "$SK" seal --cert "file://$CERT" -f "$T/s.yaml"
fails 2 "refusing a ftp:// URL" "ftp refused" "$SK" seal --cert "ftp://127.0.0.1/tls.crt" -f "$T/s.yaml"

# HTTP errors and bodies that are not certificates.
fails 1 "cannot fetch $URL/missing.crt: HTTP 404" "404" env SSL_CERT_FILE="$T/ca.crt" "$SK" seal --cert "$URL/missing.crt" -f "$T/s.yaml"
fails 1 "$URL/junk.txt: " "not a certificate" env SSL_CERT_FILE="$T/ca.crt" "$SK" seal --cert "$URL/junk.txt" -f "$T/s.yaml"
fails 1 "larger than 1048576 bytes" "Content-Length over the limit" env SSL_CERT_FILE="$T/ca.crt" "$SK" seal --cert "$URL/big" -f "$T/s.yaml"
fails 1 "larger than 1048576 bytes" "streamed body over the limit" env SSL_CERT_FILE="$T/ca.crt" "$SK" seal --cert "$URL/big-stream" -f "$T/s.yaml"

# Credentials in the URL never reach a message.
fails 1 "cannot fetch $URL/missing.crt: HTTP 404" "credentials in URL" env SSL_CERT_FILE="$T/ca.crt" "$SK" seal --cert "https://sealer:pa55word@127.0.0.1:$PORT/missing.crt?token=s3cr3t#frag" -f "$T/s.yaml"
grep -qE 'pa55word|s3cr3t|sealer' "$T/err" && bad "URL credentials in the message: $(cat "$T/err")" || ok

# Nothing listens: a connection error, exit 1 (the server's port, after it is gone, is not used
# here: a closed port on loopback fails at once).
fails 1 "cannot fetch https://127.0.0.1:1/tls.crt" "connection refused" env SSL_CERT_FILE="$T/ca.crt" "$SK" seal --cert "https://127.0.0.1:1/tls.crt" -f "$T/s.yaml"

# verify --cert takes a URL as seal does: the fetched certificate sizes the RSA parts and decides
# which items are current, and it is named in reports without credentials.
mkdir "$T/tree" && cp "$T/sealed.yaml" "$T/tree/"
run env SSL_CERT_FILE="$T/ca.crt" "$SK" verify --cert "$URL/tls.crt" --key "$KEY" "$T/tree"
expect_rc 0 "verify --cert https URL + --key"
grep -q "1 items (1 opened): 0 errors, 0 warnings" "$T/err" && ok || bad "verify with a URL cert: $(cat "$T/err")"
# A certificate of another key makes the item not current: proof the URL's certificate is used.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k2.key" -out "$T/www/k2.crt" -days 1 \
  -subj "/CN=other" 2>/dev/null
run env SSL_CERT_FILE="$T/ca.crt" "$SK" verify --cert "https://u:pa55word@127.0.0.1:$PORT/k2.crt?t=s3cr3t" --key "$KEY" --format json "$T/tree"
expect_rc 1 "verify --cert URL of another key"
grep -q '"code": "not-current-cert"' "$T/out" && ok || bad "verify URL cert: no not-current-cert: $(cat "$T/out" "$T/err")"
grep -qE 'pa55word|s3cr3t' "$T/out" "$T/err" && bad "verify printed URL credentials" || ok
fails 2 "cannot fetch $URL/missing.crt: HTTP 404" "verify: 404 cert URL" env SSL_CERT_FILE="$T/ca.crt" "$SK" verify --cert "$URL/missing.crt" "$T/tree"
fails 2 "refusing a http:// URL" "verify: http cert URL" "$SK" verify --cert "http://127.0.0.1:$PORT/tls.crt" "$T/tree"
fails 2 "$URL/junk.txt" "verify: URL body is not a certificate" env SSL_CERT_FILE="$T/ca.crt" "$SK" verify --cert "$URL/junk.txt" "$T/tree"

kill -0 "$server" 2>/dev/null && ok || bad "the test server died early: $(cat "$T/server.log")"

# The same sources configured with -DSEALKIT_WITH_CURL=OFF, as where libcurl's headers are
# missing: the CLI builds (same compiler and flags as this build) and refuses URLs as above.
B=$(cd "$(dirname "$SK")" && pwd)
cache() { sed -n "s/^$1:[A-Z]*=//p" "$B/CMakeCache.txt"; }
run cmake -S "${SK_SOURCE_DIR:-$(dirname "$0")/../..}" -B "$T/nocurl" -DSEALKIT_WITH_CURL=OFF \
  -DSEALKIT_TESTS=OFF -DSEALKIT_BENCH=OFF -DCMAKE_C_COMPILER="$(cache CMAKE_C_COMPILER)" \
  -DCMAKE_BUILD_TYPE="$(cache CMAKE_BUILD_TYPE)" -DSEALKIT_SANITIZE="$(cache SEALKIT_SANITIZE)" \
  -DSEALKIT_WERROR="$(cache SEALKIT_WERROR)"
expect_rc 0 "configure with SEALKIT_WITH_CURL=OFF"
grep -q 'https:// certificate URLs: no' "$T/out" && ok || bad "SEALKIT_WITH_CURL=OFF: configure does not say URLs are off"
run cmake --build "$T/nocurl" --target sealkit_cli -j"$(nproc)"
if [ "$rc" -eq 0 ]; then
  ok
  nocurl_checks "$T/nocurl/sealkit" "built with SEALKIT_WITH_CURL=OFF"
else
  bad "build with SEALKIT_WITH_CURL=OFF: exit $rc: $(grep -h -m3 -E 'error:|warning:' "$T/out" "$T/err" || true)"
fi
finish
