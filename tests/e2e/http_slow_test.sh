#!/usr/bin/env bash
# The correlator's HTTP listener against slow clients (issue 16, docs/adr/0034): half-open
# requests and clients that trickle their headers hold a worker each for at most the request
# timeout, and with 64 workers a Prometheus scrape (curl here) still answers within a second
# while 48 of them hang; more clients than workers delay a scrape by at most the timeout.
source "$(dirname "$0")/lib.sh"
need ss curl python3

start_correlator --insecure
echo "metrics on $METRICS_PORT"

# Slow clients: MODE is "half" (half a request, then silence) or "trickle" (one header byte
# every 0.5 s, never finishing). Prints "open N", then waits for a line on stdin and prints how
# many the server has closed.
cat >"$WORK/slow.py" <<'PY'
import socket, sys, time, threading
port, mode, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    socks.append(s)
print(f"open {len(socks)}", flush=True)
closed = set()
def trickle():
    while True:
        for i, s in enumerate(socks):
            if i in closed: continue
            try:
                s.sendall(b"X")
            except OSError:
                closed.add(i)
        time.sleep(0.5)
if mode == "trickle":
    threading.Thread(target=trickle, daemon=True).start()
sys.stdin.readline()
for i, s in enumerate(socks):
    if i in closed: continue
    s.setblocking(False)
    try:
        data = s.recv(65536)
        # Closed, or answered with an error (CivetWeb answers "400 Bad Request" when the timeout
        # ends an incomplete request): either way the worker is free again.
        if data == b"" or (data.startswith(b"HTTP/1.") and data[9:10] in (b"4", b"5")): closed.add(i)
    except BlockingIOError:
        pass
    except OSError:
        closed.add(i)
print(f"closed {len(closed)}", flush=True)
PY

scrape_time() {  # seconds one scrape takes, or "failed"
  curl -sS -o "$WORK/scrape" -m "$1" -w '%{time_total}' "http://127.0.0.1:$METRICS_PORT/metrics" 2>/dev/null || echo failed
}

echo "== 48 half-open requests: a scrape answers within a second"
coproc HALF { python3 "$WORK/slow.py" "$METRICS_PORT" half 48; }
PIDS+=("$HALF_PID")
read -r -t 30 line <&"${HALF[0]}"; echo "slow clients: $line"
sleep 0.5
for i in 1 2 3 4 5; do
  t=$(scrape_time 1)
  check "scrape $i answers within a second (took ${t} s)" "$(awk -v t="$t" 'BEGIN { print (t != "failed" && t < 1.0) ? "yes" : "no" }')" yes
done
check_contains "the scrape is the exposition" "$WORK/scrape" "soc_build_info"

echo "== the half-open requests are dropped after the request timeout (5 s)"
sleep 5.5
echo stop >&"${HALF[1]}"; read -r -t 30 line <&"${HALF[0]}"; echo "slow clients: $line"
check "every half-open request was closed by the server" "$line" "closed 48"

echo "== 16 clients trickling their headers are dropped after the timeout too"
coproc TRICKLE { python3 "$WORK/slow.py" "$METRICS_PORT" trickle 16; }
PIDS+=("$TRICKLE_PID")
read -r -t 30 line <&"${TRICKLE[0]}"; echo "slow clients: $line"
t=$(scrape_time 1)
check "a scrape answers within a second meanwhile (took ${t} s)" "$(awk -v t="$t" 'BEGIN { print (t != "failed" && t < 1.0) ? "yes" : "no" }')" yes
sleep 6.5
echo stop >&"${TRICKLE[1]}"; read -r -t 30 line <&"${TRICKLE[0]}"; echo "slow clients: $line"
check "a trickle does not extend the timeout" "$line" "closed 16"

echo "== more slow clients than workers (100 > 64): a scrape waits at most the timeout"
coproc MANY { python3 "$WORK/slow.py" "$METRICS_PORT" half 100; }
PIDS+=("$MANY_PID")
read -r -t 30 line <&"${MANY[0]}"; echo "slow clients: $line"
sleep 0.2
t=$(scrape_time 8)
check "the scrape answers within the 5 s timeout plus a second (took ${t} s)" "$(awk -v t="$t" 'BEGIN { print (t != "failed" && t < 6.0) ? "yes" : "no" }')" yes
echo stop >&"${MANY[1]}"; read -r -t 30 line <&"${MANY[0]}" || true
stop_correlator

finish
