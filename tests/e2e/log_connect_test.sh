#!/usr/bin/env bash
# soc-log-sensor publishing to a live correlator over CURVE: a file with --read, then syslog
# received from logger; the correlator accepts the events under the sensor's id and site.
source "$(dirname "$0")/lib.sh"
need logger ss curl
: "${LOG_SENSOR:=$BUILD/sensors/log/soc-log-sensor}"

make_keys server logs1
printf 'sensors:\n  - {id: logs1, site: commune-07, public_key: "%s"}\n' "$(cat "$WORK/logs1.pub")" >"$WORK/allow.yaml"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --events-out "$WORK/accepted.jsonl"
CONNECT=(--connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/logs1.key"
         --sensor-id logs1 --site commune-07)

echo "== --read FILE --connect"
cat >"$WORK/auth.log" <<'LOG'
Feb 25 14:34:10 belka sshd[31602]: Failed password for invalid user ROOT from 194.117.26.69 port 50273 ssh2
Feb 25 14:34:11 belka sshd[31602]: Accepted password for alice from 198.51.100.7 port 50274 ssh2
LOG
set +e; "$LOG_SENSOR" --read "$WORK/auth.log" "${CONNECT[@]}" >"$WORK/out" 2>"$WORK/err"; rc=$?; set -e
check "the file is delivered and acknowledged (exit 0)" "$rc" 0
check "nothing goes to stdout" "$(wc -c <"$WORK/out")" 0
sshd_events() { grep -c '"event.dataset":"sshd"' "$WORK/accepted.jsonl" || true; }
for _ in $(seq 1 50); do [ "$(sshd_events)" -ge 2 ] && break; sleep 0.1; done
check "the correlator accepted both events" "$(sshd_events)" 2
check_contains "under the sensor's id" "$WORK/accepted.jsonl" '"observer.name":"logs1"'
check_contains "the failure arrived" "$WORK/accepted.jsonl" '"source.ip":"194.117.26.69"'

echo "== syslog listener --connect"
"$LOG_SENSOR" --syslog-udp 127.0.0.1:0 "${CONNECT[@]}" >"$WORK/out2" 2>"$WORK/err2" &
SENSOR_PID=$!
PIDS+=("$SENSOR_PID")
for _ in $(seq 1 100); do grep -q 'listening' "$WORK/err2" 2>/dev/null && break; sleep 0.05; done
UDP=$(sed -n 's/.*udp port \([0-9]*\).*/\1/p' "$WORK/err2")
logger --server 127.0.0.1 --port "$UDP" --udp --rfc3164 -t sshd -p auth.info "Failed password for root from 192.0.2.77 port 2201 ssh2"
for _ in $(seq 1 100); do grep -q '192.0.2.77' "$WORK/accepted.jsonl" && break; sleep 0.05; done
check_contains "the received failure reached the correlator" "$WORK/accepted.jsonl" '"source.ip":"192.0.2.77"'
kill -TERM "$SENSOR_PID"
set +e; wait "$SENSOR_PID"; rc=$?; set -e
check "SIGTERM stops it with exit 0" "$rc" 0

echo "== usage"
set +e; "$LOG_SENSOR" --read "$WORK/auth.log" --connect "tcp://127.0.0.1:$LISTEN_PORT" >/dev/null 2>"$WORK/err3"; rc=$?; set -e
check "--connect without --sensor-id exits 2" "$rc" 2
set +e; "$LOG_SENSOR" --read "$WORK/auth.log" --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" \
  --key "$WORK/none.key" --sensor-id logs1 >/dev/null 2>"$WORK/err3"; rc=$?; set -e
check "an unreadable key exits 78" "$rc" 78

finish
