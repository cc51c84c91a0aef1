#!/usr/bin/env bash
# soc-packet-sensor live: captures on loopback, publishes to a real correlator over CURVE, and
# the correlator has the flows and the capture counters of the heartbeats. Needs root (or
# CAP_NET_RAW) to capture; skips otherwise.
source "$(dirname "$0")/lib.sh"
need curl ss python3
SENSOR="$BUILD/sensors/packet/soc-packet-sensor"
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: live capture needs root (CAP_NET_RAW)"; exit 77; fi

make_keys server p1
cat >"$WORK/allow.yaml" <<YAML
sensors:
  - {id: p1, site: xa-camxuyen, kind: packet, public_key: "$(cat "$WORK/p1.pub")"}
YAML
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --events-out "$WORK/events.jsonl"
UDP_PORT=$(free_port)

"$SENSOR" --interface lo --filter "udp port $UDP_PORT" --connect "tcp://127.0.0.1:$LISTEN_PORT" \
  --server-pub "$WORK/server.pub" --key "$WORK/p1.key" --sensor-id p1 --site xa-camxuyen \
  --heartbeat 1 --user nobody >"$WORK/sensor.log" 2>&1 &
SENSOR_PID=$!
PIDS+=("$SENSOR_PID")
for _ in $(seq 1 50); do grep -q "capturing on lo" "$WORK/sensor.log" && break; sleep 0.1; done
check_contains "the sensor captures on lo" "$WORK/sensor.log" "capturing on lo"
check "it dropped root" "$(ps -o user= -p "$SENSOR_PID" | tr -d ' ')" "nobody"

# Ten datagrams each way between two sockets on loopback: one flow.
python3 - "$UDP_PORT" <<'PY'
import socket, sys
port = int(sys.argv[1])
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); srv.bind(("127.0.0.1", port))
cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); cli.bind(("127.0.0.1", 0))
for i in range(10):
    cli.sendto(b"hello %d" % i, ("127.0.0.1", port))
    data, addr = srv.recvfrom(100)
    srv.sendto(data.upper(), addr)
    cli.recvfrom(100)
PY
sleep 2.5  # two heartbeats
kill -TERM "$SENSOR_PID"
set +e; wait "$SENSOR_PID"; rc=$?; set -e
check "SIGTERM flushes, delivers and exits 0" "$rc" 0
grep '"event.dataset":"flow"' "$WORK/events.jsonl" >"$WORK/flows.jsonl" || true
check "the correlator has the flow" "$(grep -c "\"destination.port\":$UDP_PORT" "$WORK/flows.jsonl" || true)" 1
check_contains "20 packets in it" "$WORK/flows.jsonl" '"network.packets":20'
check_contains "from the sensor's id" "$WORK/flows.jsonl" '"observer.name":"p1"'
check_contains "and site" "$WORK/flows.jsonl" '"site.id":"xa-camxuyen"'
check_contains "heartbeats carry the capture counters" "$WORK/events.jsonl" '"soc.sensor.packets_received":'
check_contains "and the active flows" "$WORK/events.jsonl" '"soc.sensor.flows_active":'
check_ge "the correlator exports them" "$(metric soc_sensor_packets_received_total 'sensor="p1",site="xa-camxuyen"')" 20
check "a missing interface is a configuration error (78)" "$(set +e; "$SENSOR" --interface no-such-if0 --sensor-id p1 --insecure >/dev/null 2>"$WORK/err"; echo $?)" 78
check_contains "with a clear message naming the flag" "$WORK/err" "--interface: no-such-if0"
finish
