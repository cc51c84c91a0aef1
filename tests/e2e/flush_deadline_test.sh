#!/usr/bin/env bash
# The flush deadline (issue 17): a batch leaves when it is full (512 events) or when its oldest
# event has waited --flush-deadline, whichever comes first. soc-log-sensor receives syslog over
# TCP and sends to a real correlator; the deadlines here are long on purpose, so that what must
# wait is seen waiting whatever the machine's load (no check depends on being fast):
# - 600 messages with a 60 s deadline: the first 512 fill a batch and leave at once; the other
#   88 wait for the deadline, and leave at SIGTERM (the sensor flushes before it exits);
# - one message with a 4 s deadline: it waits about 4 s, not less, then leaves by itself.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/delivery_lib.sh"
need curl ss awk python3
: "${LOG_SENSOR:=$BUILD/sensors/log/soc-log-sensor}"

make_keys server logs1
printf 'sensors:\n  - {id: logs1, site: lab, public_key: "%s"}\n' "$(cat "$WORK/logs1.pub")" >"$WORK/allow.yaml"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --events-out "$WORK/events.jsonl"
received() { metric soc_events_received_total 'dataset="syslog",sensor="logs1",site="lab"'; }
sensor() {  # sensor DEADLINE_MS: starts the log sensor, its syslog TCP port in TCP
  "$LOG_SENSOR" --syslog-tcp 127.0.0.1:0 --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" \
    --key "$WORK/logs1.key" --sensor-id logs1 --site lab --flush-deadline "$1" >"$WORK/sensor.log" 2>&1 &
  SENSOR_PID=$!
  PIDS+=("$SENSOR_PID")
  wait_for "grep -q listening '$WORK/sensor.log'" 30 "the sensor to listen"
  TCP=$(sed -n 's/.*tcp port \([0-9]*\).*/\1/p' "$WORK/sensor.log")
  wait_for "[ \"\$(metric soc_heartbeats_received_total 'sensor=\"logs1\"')\" != 0 ]" 30 "the sensor to connect"
}
syslog() {  # syslog FIRST COUNT: COUNT messages over one TCP connection, newline framed
  python3 - "$TCP" "$1" "$2" <<'PY'
import socket, sys
port, first, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
s.sendall("".join(f"<13>Nov 20 08:00:00 web1 app[42]: request seqno={first + i}\n" for i in range(count)).encode())
s.close()
PY
}

echo "== 600 messages, --flush-deadline 60000: a full batch leaves at once, the rest waits"
sensor 60000
syslog 0 600
wait_for "[ \"\$(received)\" -ge 512 ]" 60 "the first batch"
sleep 2
check "the full batch arrived, the 88 others wait for the deadline" "$(received)" 512
kill -TERM "$SENSOR_PID"; wait "$SENSOR_PID" || true
check "at SIGTERM the sensor sends what waited" "$(received)" 600

echo "== one message, --flush-deadline 4000: it waits for the deadline, then leaves by itself"
sensor 4000
before=$(received)
t0=$(date +%s.%N)
syslog 600 1
wait_for "[ \"\$(received)\" -gt $before ]" 60 "the message"
t1=$(date +%s.%N)
waited=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "the message arrived after $waited s"
check_ge "it waited for the 4 s deadline" "$waited" 3.9
check "it arrived alone, before SIGTERM" "$(received)" $((before + 1))
kill -TERM "$SENSOR_PID"; wait "$SENSOR_PID" || true
check "every message once in --events-out" "$(unique_in "$WORK/events.jsonl")/$(lines_in "$WORK/events.jsonl")" "601/601"

echo "== bad values"
set +e
"$LOG_SENSOR" --syslog-tcp 127.0.0.1:0 --connect "tcp://127.0.0.1:$LISTEN_PORT" --insecure --sensor-id logs1 \
  --flush-deadline 100000 >"$WORK/bad.log" 2>&1
rc=$?
set -e
check "--flush-deadline beyond a minute exits 2" "$rc" 2
check_contains "and says the range" "$WORK/bad.log" "--flush-deadline must be 0 .. 60000 milliseconds"
finish
