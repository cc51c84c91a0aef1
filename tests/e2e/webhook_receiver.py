#!/usr/bin/env python3
"""A webhook receiver for the alert sink tests, on loopback.

usage: webhook_receiver.py PORT OUT [--fail-first N] [--hang] [--secret FILE]

Appends one JSON line per accepted POST to OUT: {"path", "body" (the parsed JSON),
"signature_ok" (true/false/null without --secret)}. --fail-first N answers 500 to the first N
POSTs (not recorded); --hang accepts connections and never answers. Writes "ready" to stdout
once listening.
"""
import hashlib
import hmac
import http.server
import json
import sys
import threading
import time

args = sys.argv[1:]
port, out_path = int(args[0]), args[1]
fail_first = int(args[args.index("--fail-first") + 1]) if "--fail-first" in args else 0
hang = "--hang" in args
secret = None
if "--secret" in args:
    with open(args[args.index("--secret") + 1], "rb") as f:
        secret = f.read().rstrip(b"\r\n")

lock = threading.Lock()
seen = 0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the sink keeps its connection
    # Buffered: the status, headers and body leave in one write. Unbuffered, the body waits for
    # the client's delayed ACK of the headers (Nagle), 40 ms a request on a kept connection.
    wbufsize = -1

    def log_message(self, *a):
        pass

    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if hang:
            time.sleep(3600)
            return
        with lock:
            seen += 1
            failing = seen <= fail_first
            if not failing:
                ok = None
                if secret is not None:
                    want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
                    ok = hmac.compare_digest(want, self.headers.get("X-Soc-Signature", ""))
                with open(out_path, "a") as out:
                    out.write(json.dumps({"path": self.path, "body": json.loads(body), "signature_ok": ok}) + "\n")
        status = 500 if failing else 200
        reply = b'{"error":"failing on purpose"}' if failing else b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
server.daemon_threads = True
print("ready", flush=True)
server.serve_forever()
