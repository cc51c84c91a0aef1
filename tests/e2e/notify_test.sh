#!/usr/bin/env bash
# The service manager's protocol (core/systemd_notify.h) from each daemon, against a stand-in for
# systemd's notification socket: READY=1 only once the daemon's listeners are up, STATUS lines,
# WATCHDOG=1 pings from the main loop at a quarter of WATCHDOG_USEC, STOPPING=1 on SIGTERM. The
# real units under a real systemd are tests/e2e/systemd_units_test.sh.
source "$(dirname "$0")/lib.sh"
need ss python3
PACKET_SENSOR="$BUILD/sensors/packet/soc-packet-sensor"

# The stand-in: prints "<seconds since start> <message with newlines as |>" per datagram.
cat >"$WORK/manager.py" <<'PY'
import socket, sys, time, os
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
t0 = time.monotonic()
with open(sys.argv[2], "w") as out:
    while True:
        data = s.recv(4096).decode(errors="replace")
        out.write(f"{time.monotonic() - t0:.3f} {data.replace(chr(10), '|')}\n")
        out.flush()
PY

# run_daemon NAME PORT_TO_CHECK COMMAND...: starts COMMAND under the stand-in, waits for READY,
# checks the port was open when READY came, watches the pings for 2 s, then stops it.
run_daemon() {
  local name=$1 port=$2
  shift 2
  local sock="$WORK/$name.sock" log="$WORK/$name.notify"
  python3 "$WORK/manager.py" "$sock" "$log" &
  local mgr=$!
  PIDS+=("$mgr")
  for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.05; done
  NOTIFY_SOCKET="$sock" WATCHDOG_USEC=400000 "$@" >"$WORK/$name.out" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  local ready_open=no
  for _ in $(seq 1 200); do
    if grep -q "READY=1" "$log" 2>/dev/null; then
      if [ -z "$port" ] || ss -Hlnt "sport = :$port" | grep -q . || ss -Hlnu "sport = :$port" | grep -q .; then ready_open=yes; fi
      break
    fi
    sleep 0.05
  done
  check "$name: READY=1 once its listener is up" "$ready_open" yes
  check_contains "$name: READY carries a STATUS line" "$log" "READY=1|STATUS="
  sleep 2
  local pings
  pings=$(grep -c "WATCHDOG=1" "$log" || true)
  check_ge "$name: the main loop pings the watchdog at least once per interval (0.4 s)" "$pings" 5
  check "$name: not much more often than asked" "$(awk -v n="$pings" 'BEGIN { print (n <= 40) ? "yes" : "no (" n ")" }')" yes
  kill -TERM "$pid"; wait "$pid" || true
  sleep 0.2
  check_contains "$name: STOPPING=1 on SIGTERM" "$log" "STOPPING=1"
  kill "$mgr" 2>/dev/null || true
}

LISTEN=$(free_port); METRICS=$(free_port)
run_daemon correlator "$METRICS" "$CORRELATOR" --insecure --listen "tcp://127.0.0.1:$LISTEN" --metrics "127.0.0.1:$METRICS" --publish ""
check_contains "correlator: the status says where it listens" "$WORK/correlator.notify" "STATUS=listening on tcp://127.0.0.1:$LISTEN"

start_correlator --insecure
SYSLOG=$(free_port)
run_daemon log-sensor "$SYSLOG" "$LOG_SENSOR" --syslog-tcp "127.0.0.1:$SYSLOG" --connect "tcp://127.0.0.1:$LISTEN_PORT" \
  --insecure --sensor-id l1 --site a
check_contains "log sensor: the status names the port" "$WORK/log-sensor.notify" "tcp port $SYSLOG"
run_daemon collector "" "$COLLECTOR" --tcp "127.0.0.1:$METRICS_PORT" --interval 1 --timeout 0.1 --connect "tcp://127.0.0.1:$LISTEN_PORT" \
  --insecure --sensor-id c1 --site a
check_contains "collector: a status while it probes" "$WORK/collector.notify" "STATUS=probing 127.0.0.1:$METRICS_PORT"
if [ "$(id -u)" = 0 ]; then
  run_daemon packet-sensor "" "$PACKET_SENSOR" --interface lo --filter "udp port 9" --connect "tcp://127.0.0.1:$LISTEN_PORT" \
    --insecure --sensor-id p1 --site a
  check_contains "packet sensor: the status names the interface" "$WORK/packet-sensor.notify" "STATUS=capturing on lo"
else
  echo "SKIP: the packet sensor's live capture needs root"; exit 77
fi

echo "== the collector refuses a --timeout that could outlast the watchdog"
code() { set +e; "$@" >"$WORK/out" 2>&1; echo $?; set -e; }
check "--timeout 30 with a 40 s watchdog exits 78" "$(NOTIFY_SOCKET="$WORK/none" WATCHDOG_USEC=40000000 code "$COLLECTOR" \
  --tcp 127.0.0.1:1 --timeout 30 --connect "tcp://127.0.0.1:$LISTEN_PORT" --insecure --sensor-id c1)" 78
check_contains "it says why" "$WORK/out" "one probe may take up to 60 s, as long as the service's watchdog interval (WatchdogSec=40 s)"
stop_correlator
finish
