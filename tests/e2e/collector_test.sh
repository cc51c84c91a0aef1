#!/usr/bin/env bash
# soc-collector against real servers on loopback: openssl s_server with a certificate that
# expires in 5 days, a closed port, a python3 HTTP(S) server answering like FortiOS
# /api/v2/monitor/license/status; bad input (TLS to a plain port, a silent server, HTTP 401 and
# 500, malformed JSON) gives failure events, never a crash; the events reach a real correlator,
# and with --inventory --baseline its findings become metrics and baseline alerts there.
source "$(dirname "$0")/lib.sh"
need openssl python3 ss curl
: "${COLLECTOR:=$BUILD/collectors/soc-collector}"

# checks FILE: reads lines "what ;; EXPR ;; EXPECTED" from stdin and checks each, in one Python
# process (the machine is small; one interpreter per check would dominate the test's time).
# In EXPR, E is the list of events, by(dataset) those of one dataset, ts() parses RFC 3339.
PYPRELUDE='
import json, sys, datetime
E = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def by(ds): return [e for e in E if e.get("event.dataset") == ds]
def ts(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
now = datetime.datetime.now(datetime.timezone.utc)
'
checks() {
  local rc=0
  python3 -c "$PYPRELUDE"'
failed = 0
for line in sys.stdin:
    if not line.strip(): continue
    what, expr, want = [x.strip() for x in line.split(";;")]
    try: got = str(eval(expr))
    except Exception as ex: got = "exception: %r" % ex
    if got == want: print("ok: %s (%s)" % (what, got))
    else:
        print("FAIL: %s: got %r, expected %r" % (what, got, want)); failed += 1
sys.exit(min(failed, 100))' "$1" || rc=$?
  FAILS=$((FAILS + rc))
}

echo "== servers"
openssl req -x509 -newkey rsa:2048 -nodes -days 5 -subj "/CN=portal.test" \
  -addext "subjectAltName=DNS:portal.test,IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>"$WORK/req.log"
TLS_PORT=$(free_port)
openssl s_server -accept "127.0.0.1:$TLS_PORT" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet \
  >"$WORK/s_server.log" 2>&1 </dev/null &
PIDS+=($!)
CLOSED_PORT=$(free_port)

# The FortiOS stand-in: /api/v2/monitor/license/status with the right token answers the
# license status; /e500/..., /garbage/... misbehave; a wrong token gets 401.
NOW=$(date +%s)
EXP_HW=$((NOW + 30 * 86400))
EXP_AV=$((NOW - 2 * 86400))
cat >"$WORK/fortios.py" <<'PY'
import http.server, json, os, ssl, sys, threading
exp_hw, exp_av = int(os.environ["EXP_HW"]), int(os.environ["EXP_AV"])
answer = {"http_method": "GET", "status": "success", "serial": "FG200FT921900001", "version": "v7.2.5",
          "vdom": "root", "path": "license", "name": "status",
          "results": {"forticare": {"type": "cloud_service_status", "status": "registered",
                                    "support": {"hardware": {"status": "licensed", "expires": exp_hw}}},
                      "antivirus": {"type": "downloaded_fds_object", "status": "expired", "expires": exp_av,
                                    "engine": {"version": "6.00288"}},
                      "vdom": {"type": "platform", "max": 10, "used": 1}}}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def send(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.headers.get("Authorization") != "Bearer s3cret-token":
            return self.send(401, b'{"http_status":401}')
        if self.path.startswith("/e500/"):
            return self.send(500, b'{"http_status":500,"status":"error"}')
        if self.path.startswith("/garbage/"):
            return self.send(200, b'{"results": {"antivirus": {"status": "licen')
        if self.path.startswith("/notjson/"):
            return self.send(200, b'<html>login</html>')
        if self.path == "/api/v2/monitor/license/status":
            return self.send(200, json.dumps(answer).encode())
        self.send(404, b"{}")
plain = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
tls = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[3], sys.argv[4])
tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
threading.Thread(target=tls.serve_forever, daemon=True).start()
plain.serve_forever()
PY
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)
EXP_HW=$EXP_HW EXP_AV=$EXP_AV python3 "$WORK/fortios.py" "$HTTP_PORT" "$HTTPS_PORT" "$WORK/cert.pem" "$WORK/key.pem" \
  >"$WORK/fortios.log" 2>&1 &
PIDS+=($!)
# A server that accepts connections (the kernel's backlog) and never says anything.
SILENT_PORT=$(free_port)
python3 -c "import socket,sys,time; s=socket.socket(); s.bind(('127.0.0.1',int(sys.argv[1]))); s.listen(8); time.sleep(600)" \
  "$SILENT_PORT" &
PIDS+=($!)
for p in "$TLS_PORT" "$HTTP_PORT" "$HTTPS_PORT" "$SILENT_PORT"; do wait_port "$p"; done
printf 's3cret-token\n' >"$WORK/token"
printf 'wrong\n' >"$WORK/badtoken"
chmod 600 "$WORK/token" "$WORK/badtoken"  # secrets must be readable by their owner only
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.000000Z; }

echo "== --once --stdout: TLS certificate, closed port, FortiOS over HTTP"
set +e
"$COLLECTOR" --once --stdout --tls "127.0.0.1:$TLS_PORT/portal.test" --tcp "127.0.0.1:$CLOSED_PORT" \
  --tcp "127.0.0.1:$TLS_PORT" --fortios "http://127.0.0.1:$HTTP_PORT" --fortios-token-file "$WORK/token" \
  >"$WORK/once.jsonl" 2>"$WORK/once.err"
rc=$?
set -e
check "exit 0" "$rc" 0
checks "$WORK/once.jsonl" <<CHECKS
every line is an event of state ;; all(e["event.kind"] == "state" and e["observer.type"] == "collector" and e["event.type"] == ["info"] for e in E) ;; True
one TLS event ;; len(by("collector.tls")) ;; 1
TLS probe succeeded ;; by("collector.tls")[0]["event.outcome"] ;; success
common name of the certificate ;; by("collector.tls")[0]["tls.server.x509.subject.common_name"] ;; ['portal.test']
issuer of the self-signed certificate ;; by("collector.tls")[0]["tls.server.x509.issuer.common_name"] ;; ['portal.test']
not_after is within 5 days of now ;; 0 < (ts(by("collector.tls")[0]["tls.server.not_after"]) - now).total_seconds() <= 5 * 86400 ;; True
not_after is the certificate's own ;; by("collector.tls")[0]["tls.server.not_after"] ;; $(date -u -d "$(openssl x509 -in "$WORK/cert.pem" -noout -enddate | sed 's/notAfter=//')" +%Y-%m-%dT%H:%M:%S.000000Z)
not_before is before now ;; ts(by("collector.tls")[0]["tls.server.not_before"]) <= now ;; True
self-signed: read but not verified ;; by("collector.tls")[0]["tls.server.verified"] ;; False
the SNI used ;; by("collector.tls")[0]["tls.client.server_name"] ;; portal.test
the TLS version ;; by("collector.tls")[0]["tls.version"] in ("1.2", "1.3") ;; True
destination of the TLS probe ;; (by("collector.tls")[0]["destination.address"], by("collector.tls")[0]["destination.port"]) ;; ('127.0.0.1', $TLS_PORT)
network category ;; by("collector.tls")[0]["event.category"] ;; ['network']
the closed port fails ;; [e["event.outcome"] for e in by("collector.tcp") if e["destination.port"] == $CLOSED_PORT] ;; ['failure']
with a reason ;; [e["error.message"] for e in by("collector.tcp") if e["destination.port"] == $CLOSED_PORT] ;; ['cannot connect to 127.0.0.1 port $CLOSED_PORT: Connection refused']
the open port succeeds ;; [e["event.outcome"] for e in by("collector.tcp") if e["destination.port"] == $TLS_PORT] ;; ['success']
durations in nanoseconds ;; all(isinstance(e["event.duration"], int) and e["event.duration"] > 0 for e in E) ;; True
license entries ;; [e["asset.license.name"] for e in by("collector.license")] ;; ['forticare', 'forticare.support.hardware', 'antivirus']
support: licensed ;; [e["asset.license.status"] for e in by("collector.license") if e["asset.license.name"] == "forticare.support.hardware"] ;; ['licensed']
support expiry ;; [e["asset.license.expires"] for e in by("collector.license") if e["asset.license.name"] == "forticare.support.hardware"] ;; ['$(iso "$EXP_HW")']
antivirus: expired, two days ago ;; [(e["asset.license.status"], e["asset.license.expires"]) for e in by("collector.license") if e["asset.license.name"] == "antivirus"] ;; [('expired', '$(iso "$EXP_AV")')]
vendor, serial and category of license events ;; sorted({(e["observer.vendor"], e["observer.serial_number"], e["event.category"][0], e["event.outcome"]) for e in by("collector.license")}) ;; [('Fortinet', 'FG200FT921900001', 'configuration', 'success')]
license destination ;; {(e["destination.address"], e["destination.port"]) for e in by("collector.license")} ;; {('127.0.0.1', $HTTP_PORT)}
CHECKS

echo "== FortiOS over HTTPS with a self-signed certificate"
"$COLLECTOR" --once --stdout --fortios "https://127.0.0.1:$HTTPS_PORT" --fortios-token-file "$WORK/token" \
  >"$WORK/https.jsonl" 2>"$WORK/https.err"
checks "$WORK/https.jsonl" <<CHECKS
verification is on by default: one failure ;; [(e["event.outcome"], "certificate" in e["error.message"]) for e in E] ;; [('failure', True)]
CHECKS
"$COLLECTOR" --once --stdout --fortios "https://127.0.0.1:$HTTPS_PORT" --fortios-token-file "$WORK/token" --fortios-insecure \
  >"$WORK/https2.jsonl" 2>"$WORK/https2.err"
checks "$WORK/https2.jsonl" <<CHECKS
--fortios-insecure reads the licenses ;; [(e["asset.license.name"], e["event.outcome"]) for e in by("collector.license")][-1] ;; ('antivirus', 'success')
with the right expiry ;; [e["asset.license.expires"] for e in by("collector.license") if e["asset.license.name"] == "forticare.support.hardware"] ;; ['$(iso "$EXP_HW")']
CHECKS

echo "== bad input: failure events, clear errors, no crash"
set +e
"$COLLECTOR" --once --stdout --timeout 1 \
  --tls "127.0.0.1:$HTTP_PORT" --tls "127.0.0.1:$SILENT_PORT" --tls "127.0.0.1:$CLOSED_PORT" --tcp 192.0.2.1:9 \
  --tcp "no-such-host.invalid:80" \
  --fortios "http://127.0.0.1:$HTTP_PORT/e500" --fortios "http://127.0.0.1:$HTTP_PORT/garbage" \
  --fortios "http://127.0.0.1:$HTTP_PORT/notjson" --fortios "http://127.0.0.1:$CLOSED_PORT" \
  --fortios-token-file "$WORK/token" >"$WORK/bad.jsonl" 2>"$WORK/bad.err"
rc=$?
"$COLLECTOR" --once --stdout --fortios "http://127.0.0.1:$HTTP_PORT" --fortios-token-file "$WORK/badtoken" \
  >"$WORK/401.jsonl" 2>"$WORK/401.err"
rc401=$?
set -e
check "exit 0 (failures are findings)" "$rc" 0
check "exit 0 after 401" "$rc401" 0
checks "$WORK/bad.jsonl" <<CHECKS
one failure event per target ;; [e["event.outcome"] for e in E] ;; $(python3 -c 'print(["failure"] * 9)')
every failure says why ;; all(e.get("error.message") for e in E) ;; True
TLS to a plain HTTP port ;; by("collector.tls")[0]["error.message"].startswith("TLS handshake failed") ;; True
TLS to a silent server times out ;; by("collector.tls")[1]["error.message"] ;; TLS handshake failed: no answer within 1000 ms
a name that does not resolve ;; by("collector.tcp")[1]["error.message"].startswith("cannot resolve no-such-host.invalid") ;; True
HTTP 500 ;; by("collector.license")[0]["error.message"] ;; GET http://127.0.0.1:$HTTP_PORT/e500/api/v2/monitor/license/status: HTTP 500
truncated JSON ;; "truncated" in by("collector.license")[1]["error.message"] ;; True
not JSON ;; "not the expected JSON object" in by("collector.license")[2]["error.message"] ;; True
API not reachable ;; "Connection refused" in by("collector.license")[3]["error.message"] or "connect" in by("collector.license")[3]["error.message"] ;; True
CHECKS
checks "$WORK/401.jsonl" <<CHECKS
HTTP 401 names the token ;; [(e["event.outcome"], "HTTP 401: the API token was refused" in e["error.message"]) for e in E] ;; [('failure', True)]
CHECKS
check_contains "errors are also logged" "$WORK/bad.err" "soc-collector: 127.0.0.1:$SILENT_PORT: TLS handshake failed"

echo "== usage and config errors"
set +e
"$COLLECTOR" --once --stdout >/dev/null 2>"$WORK/u1"; r1=$?
"$COLLECTOR" --once --stdout --tcp nohost >/dev/null 2>"$WORK/u2"; r2=$?
"$COLLECTOR" --once --tcp h:1 >/dev/null 2>"$WORK/u3"; r3=$?
printf 'targets:\n  - {tcp: "h:1", colour: red}\n' >"$WORK/bad.yaml"
"$COLLECTOR" --once --stdout --config "$WORK/bad.yaml" >/dev/null 2>"$WORK/u4"; r4=$?
set -e
check "nothing to probe exits 2" "$r1" 2
check "a bad endpoint exits 2" "$r2" 2
check_contains "and says why" "$WORK/u2" "'nohost': expected HOST:PORT"
check "neither --stdout nor --connect exits 2" "$r3" 2
check "a bad config exits 78" "$r4" 78
check_contains "with file:line:column" "$WORK/u4" "bad.yaml:2:18: error[targets.unknown_key]"

echo "== config file targets carry their asset id"
cat >"$WORK/collector.yaml" <<YAML
timeout: 2
targets:
  - {tls: "127.0.0.1:$TLS_PORT/portal.test", asset: portal-1}
  - {tcp: "127.0.0.1:$CLOSED_PORT", asset: vc-commune-07}
  - {fortios: "http://127.0.0.1:$HTTP_PORT", asset: fw-dc-1, token_file: "$WORK/token"}
YAML
"$COLLECTOR" --once --stdout --config "$WORK/collector.yaml" >"$WORK/cfg.jsonl" 2>"$WORK/cfg.err"
checks "$WORK/cfg.jsonl" <<CHECKS
asset ids ;; sorted({e["event.dataset"] + "=" + e["asset.id"] for e in E}) ;; ['collector.license=fw-dc-1', 'collector.tcp=vc-commune-07', 'collector.tls=portal-1']
CHECKS

echo "== daemon mode repeats the probes until SIGTERM"
"$COLLECTOR" --stdout --interval 1 --tcp "127.0.0.1:$TLS_PORT" >"$WORK/daemon.jsonl" 2>"$WORK/daemon.err" &
DAEMON=$!
PIDS+=("$DAEMON")
for _ in $(seq 1 600); do [ "$(wc -l <"$WORK/daemon.jsonl")" -ge 3 ] && break; sleep 0.05; done
check_ge "probed again and again" "$(wc -l <"$WORK/daemon.jsonl")" 3
kill -TERM "$DAEMON"
set +e; wait "$DAEMON"; rc=$?; set -e
check "SIGTERM stops it with exit 0" "$rc" 0

echo "== to a real correlator"
make_keys server col1
printf 'sensors:\n  - {id: col1, site: dc-hatinh, public_key: "%s"}\n' "$(cat "$WORK/col1.pub")" >"$WORK/allow.yaml"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --events-out "$WORK/accepted.jsonl"
CONNECT=(--connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/col1.key"
         --sensor-id col1 --site dc-hatinh)
set +e
"$COLLECTOR" --once "${CONNECT[@]}" --config "$WORK/collector.yaml" >"$WORK/c.out" 2>"$WORK/c.err"; rc=$?
set -e
check "delivered and acknowledged (exit 0)" "$rc" 0
check "nothing on stdout" "$(wc -c <"$WORK/c.out")" 0
n_state() { grep -c '"event.kind":"state"' "$WORK/accepted.jsonl" 2>/dev/null || true; }
for _ in $(seq 1 600); do [ "$(n_state)" -ge 5 ] && break; sleep 0.05; done
check "the correlator accepted the 5 events" "$(n_state)" 5
checks "$WORK/accepted.jsonl" <<CHECKS
under the collector's id and site ;; sorted({(e["observer.name"], e["site.id"]) for e in E if e.get("event.kind") == "state"}) ;; [('col1', 'dc-hatinh')]
the certificate expiry arrived ;; [0 < (ts(e["tls.server.not_after"]) - now).total_seconds() <= 5 * 86400 for e in by("collector.tls")] ;; [True]
the license expiry arrived ;; [e["asset.license.expires"] for e in by("collector.license") if e["asset.license.name"] == "antivirus"] ;; ['$(iso "$EXP_AV")']
the closed port arrived as a failure ;; [(e["asset.id"], e["event.outcome"]) for e in by("collector.tcp")] ;; [('vc-commune-07', 'failure')]
CHECKS
check "nothing was rejected" "$(metric soc_events_rejected_total 'reason="wrong_type"')" 0

echo "== daemon mode to the correlator"
"$COLLECTOR" "${CONNECT[@]}" --interval 1 --heartbeat 1 --tcp "127.0.0.1:$TLS_PORT" --tcp "127.0.0.1:$CLOSED_PORT" \
  >/dev/null 2>"$WORK/d2.err" &
DAEMON=$!
PIDS+=("$DAEMON")
n_tcp_ok() { grep '"event.dataset":"collector.tcp"' "$WORK/accepted.jsonl" | grep -c '"event.outcome":"success"' || true; }
for _ in $(seq 1 600); do [ "$(n_tcp_ok)" -ge 2 ] && break; sleep 0.05; done
check_ge "repeated probes reach the correlator" "$(n_tcp_ok)" 2
for _ in $(seq 1 600); do [ "$(metric soc_sensor_probe_failures_total 'sensor="col1",site="dc-hatinh"')" != 0 ] && break; sleep 0.05; done
check_ge "heartbeats report the probes" "$(metric soc_sensor_probes_total 'sensor="col1",site="dc-hatinh"')" 2
check_ge "and the failures (the closed port)" "$(metric soc_sensor_probe_failures_total 'sensor="col1",site="dc-hatinh"')" 1
kill -TERM "$DAEMON"
set +e; wait "$DAEMON"; rc=$?; set -e
check "SIGTERM stops it with exit 0" "$rc" 0

echo "== its findings reach the correlator's baseline and metrics"
stop_correlator
# The collector is an inventory sensor; the portal's certificate expires in 5 days (CRT-01 wants
# 30) and the device says its antivirus subscription ended 2 days ago.
cat >"$WORK/inventory.yaml" <<YAML
sites:
  - {id: dc-hatinh, name: "Trung tâm dữ liệu", kind: datacenter}
systems:
  - {id: portal, name: "Cổng dịch vụ công", level: 3, sites: [dc-hatinh], last_assessment: $(date -u +%F)}
assets:
  - {id: fw-dc-1, site: dc-hatinh, kind: firewall, address: 127.0.0.1, licenses: [{kind: signatures, expires: $(date -u -d '+300 days' +%F)}]}
  - {id: portal-1, site: dc-hatinh, kind: portal, address: "127.0.0.1:$TLS_PORT"}
sensors:
  - {id: col1, site: dc-hatinh, kind: collector, public_key: "$(cat "$WORK/col1.pub")"}
YAML
cat >"$WORK/baseline.yaml" <<'YAML'
baseline: {id: e2e-collector, version: '1'}
requirements:
  - {id: AST-02, title: {vi: "Tường lửa có bản quyền", en: Firewall licensed}, reference: r, levels: [3],
     check: {kind: license_valid, asset_kind: firewall, warn_days: 30}}
  - {id: CRT-01, title: {vi: "Chứng thư số còn hạn", en: Certificate valid}, reference: r, levels: [3],
     check: {kind: certificate_valid, asset_kind: portal, min_days: 30}}
YAML
start_correlator --server-key "$WORK/server.key" --inventory "$WORK/inventory.yaml" --baseline "$WORK/baseline.yaml" \
  --tick 0.5 --alerts-out "$WORK/inv-alerts.jsonl"
CONNECT=(--connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/col1.key"
         --sensor-id col1 --site dc-hatinh)
set +e
"$COLLECTOR" --once "${CONNECT[@]}" --config "$WORK/collector.yaml" >/dev/null 2>"$WORK/c2.err"; rc=$?
set -e
check "delivered to the correlator with the baseline (exit 0)" "$rc" 0
cert_end=$(date -u -d "$(openssl x509 -in "$WORK/cert.pem" -noout -enddate | sed 's/notAfter=//')" +%s)
cert_metric() { metric soc_certificate_expiry_timestamp_seconds "target=\"127.0.0.1:$TLS_PORT/portal.test\",site=\"dc-hatinh\""; }
for _ in $(seq 1 100); do [ "$(cert_metric)" != 0 ] && break; sleep 0.1; done
check "soc_certificate_expiry_timestamp_seconds is the probed certificate's expiry" "$(cert_metric)" "$cert_end"
av_metric() { metric soc_license_expiry_timestamp_seconds 'asset="fw-dc-1",license="signatures",site="dc-hatinh"'; }
for _ in $(seq 1 100); do [ "$(av_metric)" == "$EXP_AV" ] && break; sleep 0.1; done
check "the device's antivirus expiry replaced the inventory's signatures licence" "$(av_metric)" "$EXP_AV"
for _ in $(seq 1 100); do grep -q soc.certificate.expiring "$WORK/inv-alerts.jsonl" 2>/dev/null && grep -q soc.license.expired "$WORK/inv-alerts.jsonl" && break; sleep 0.1; done
check "soc.certificate.expiring for the portal" "$(grep '"rule.id":"soc.certificate.expiring"' "$WORK/inv-alerts.jsonl" | grep -c '"asset.id":"portal-1"')" 1
check "soc.license.expired for the firewall, from what the device said" \
  "$(grep '"rule.id":"soc.license.expired"' "$WORK/inv-alerts.jsonl" | grep -c '"asset.id":"fw-dc-1"')" 1
check "CRT-01 is not met" "$(metric soc_requirement_status 'system="portal",requirement="CRT-01",status="not_met"')" 1
check "AST-02 is not met" "$(metric soc_requirement_status 'system="portal",requirement="AST-02",status="not_met"')" 1
check "the collector is up" "$(metric soc_sensor_up 'sensor="col1",site="dc-hatinh"')" 1

finish

