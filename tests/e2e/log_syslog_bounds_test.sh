#!/usr/bin/env bash
# The syslog TCP listener against connections that say nothing (issue 16, docs/adr/0034): 600
# idle connections from one address, then 600 more from twenty addresses, and a real sender
# (util-linux logger, from 127.0.0.1) still gets through at once; the refusals and closes are
# counted in --stats and in the heartbeats the correlator exports; silent connections are closed
# after the idle timeout. Every peer is on loopback (127.0.0.0/8 gives the addresses).
source "$(dirname "$0")/lib.sh"
need ss logger python3 curl

start_correlator --insecure
"$LOG_SENSOR" --syslog-tcp 127.0.0.1:0 --syslog-tcp-max-connections 512 --syslog-tcp-max-per-source 32 \
  --syslog-tcp-idle-timeout 25 --stats --connect "tcp://127.0.0.1:$LISTEN_PORT" --insecure --sensor-id logs1 \
  --site a --heartbeat 1 >"$WORK/events" 2>"$WORK/err" &
SENSOR=$!
PIDS+=("$SENSOR")
for _ in $(seq 1 100); do grep -q "tcp port" "$WORK/err" && break; sleep 0.1; done
TCP=$(sed -n 's/.*tcp port \([0-9]*\).*/\1/p' "$WORK/err")
echo "listening on tcp port $TCP"

# The idle crowd: opens connections from the given source addresses and keeps them open without
# sending a byte until told to stop (a line on stdin); reports how many the sensor closed.
cat >"$WORK/crowd.py" <<'PY'
import socket, sys, time, select
port = int(sys.argv[1]); plan = sys.argv[2:]  # ADDR:COUNT ...
socks = []
for item in plan:
    addr, count = item.split(":")
    for _ in range(int(count)):
        s = socket.socket()
        s.bind((addr, 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", port))
        socks.append(s)
print(f"opened {len(socks)}", flush=True)
sys.stdin.readline()
closed = 0
for s in socks:
    s.setblocking(False)
    try:
        if s.recv(1) == b"": closed += 1
    except BlockingIOError:
        pass
    except OSError:
        closed += 1
print(f"closed by the sensor {closed} of {len(socks)}", flush=True)
PY

echo "== 600 idle connections from one address"
coproc CROWD_A { python3 "$WORK/crowd.py" "$TCP" 127.0.0.2:600; }
PIDS+=("$CROWD_A_PID")
read -r -t 60 line <&"${CROWD_A[0]}"; echo "crowd A: $line"
sleep 0.5
t0=$(date +%s.%N)
logger --server 127.0.0.1 --port "$TCP" --tcp --rfc3164 -t sshd -p auth.info \
  "Failed password for root from 198.51.100.7 port 4242 ssh2"
for _ in $(seq 1 50); do [ "$(metric soc_events_received_total 'dataset="sshd",sensor="logs1",site="a"')" = 1 ] && break; sleep 0.1; done
t1=$(date +%s.%N)
check "the real sender's event reached the correlator" "$(metric soc_events_received_total 'dataset="sshd",sensor="logs1",site="a"')" 1
check "within two seconds" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a < 2) ? "yes" : "no (" b - a " s)" }')" yes

echo "== 600 more from twenty addresses: the table fills, the longest-silent make room"
plan=()
for i in $(seq 1 20); do plan+=("127.0.1.$i:30"); done
coproc CROWD_B { python3 "$WORK/crowd.py" "$TCP" "${plan[@]}"; }
PIDS+=("$CROWD_B_PID")
read -r -t 60 line <&"${CROWD_B[0]}"; echo "crowd B: $line"
sleep 1.2  # the crowd has now been silent for more than a second
t0=$(date +%s.%N)
logger --server 127.0.0.1 --port "$TCP" --tcp --rfc3164 -t sshd -p auth.info \
  "Failed password for admin from 198.51.100.8 port 4243 ssh2"
for _ in $(seq 1 50); do [ "$(metric soc_events_received_total 'dataset="sshd",sensor="logs1",site="a"')" = 2 ] && break; sleep 0.1; done
t1=$(date +%s.%N)
check "the real sender still gets through a full table" "$(metric soc_events_received_total 'dataset="sshd",sensor="logs1",site="a"')" 2
check "within two seconds" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a < 2) ? "yes" : "no (" b - a " s)" }')" yes

echo "== the refusals are counted in the heartbeats"
sleep 1.5
refused=$(metric soc_sensor_syslog_tcp_refused_total 'sensor="logs1",site="a"')
check_ge "refused connections reach the correlator" "$refused" 568
open_now=$(metric soc_sensor_syslog_tcp_connections 'sensor="logs1",site="a"')
check_ge "the table is full" "$open_now" 511
check "never more than the limit" "$(awk -v n="$open_now" 'BEGIN { print (n <= 512) ? "yes" : "no" }')" yes

echo "== silent connections are closed after the idle timeout (25 s; long enough that a loaded machine opens both crowds first)"
sleep 25
echo stop >&"${CROWD_A[1]}"; read -r -t 30 line <&"${CROWD_A[0]}"; echo "crowd A: $line"
check "every connection of crowd A was closed by the sensor" "$line" "closed by the sensor 600 of 600"
echo stop >&"${CROWD_B[1]}"; read -r -t 30 line <&"${CROWD_B[0]}"; echo "crowd B: $line"
check "every connection of crowd B was closed by the sensor" "$line" "closed by the sensor 600 of 600"
sleep 1.5
check_ge "closed for silence, counted" "$(metric soc_sensor_syslog_tcp_closed_idle_total 'sensor="logs1",site="a"')" 1
check "no connection left open" "$(metric soc_sensor_syslog_tcp_connections 'sensor="logs1",site="a"')" 0

kill -TERM "$SENSOR"; wait "$SENSOR" || true
check_contains "--stats: the per-source refusals" "$WORK/err" "tcp_refused_per_source=568"
check_contains "the refusals are logged" "$WORK/err" "syslog: TCP connections refused: "
grep "tcp_" "$WORK/err" | tail -2
stop_correlator
finish
