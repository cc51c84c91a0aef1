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

echo "== --read of a file larger than the sender's window (64 batches of 512)"
awk 'BEGIN { for (i = 0; i < 50000; i++) printf "Feb 25 14:%02d:%02d belka sshd[%d]: Failed password for root from 10.%d.%d.%d port %d ssh2\n", (i / 60) % 60, i % 60, 1000 + i % 5000, (i / 65536) % 256, (i / 256) % 256, i % 256, 1024 + i % 60000 }' >"$WORK/big.log"
set +e; "$LOG_SENSOR" --read "$WORK/big.log" "${CONNECT[@]}" >/dev/null 2>"$WORK/err4"; rc=$?; set -e
check "every event is acknowledged (exit 0)" "$rc" 0
big_events() { grep -c '"source.ip":"10\.' "$WORK/accepted.jsonl" || true; }
for _ in $(seq 1 100); do [ "$(big_events)" -ge 50000 ] && break; sleep 0.1; done
check "the correlator accepted all 50000 lines, once each" "$(big_events)" 50000
check "the last line is there" "$(grep -c '"source.ip":"10.0.195.79"' "$WORK/accepted.jsonl")" 1

echo "== --file GLOB --connect: a file that grows is followed and published"
mkdir -p "$WORK/logs"
printf 'Feb 25 14:40:00 belka sshd[7]: Failed password for root from 203.0.113.1 port 1 ssh2\n' >"$WORK/logs/app.log"
"$LOG_SENSOR" --file "$WORK/logs/*.log" --file-start beginning --checkpoint "$WORK/checkpoint" "${CONNECT[@]}" \
  >"$WORK/out5" 2>"$WORK/err5" &
SENSOR_PID=$!
PIDS+=("$SENSOR_PID")
tail_events() { grep -c '"source.ip":"203\.0\.113\.' "$WORK/accepted.jsonl" || true; }
for _ in $(seq 1 100); do [ "$(tail_events)" -ge 1 ] && break; sleep 0.05; done
check "the existing line arrived" "$(tail_events)" 1
for i in 2 3 4 5; do
  printf 'Feb 25 14:40:0%s belka sshd[7]: Failed password for root from 203.0.113.%s port 1 ssh2\n' "$i" "$i" >>"$WORK/logs/app.log"
  sleep 0.3
done
for _ in $(seq 1 100); do [ "$(tail_events)" -ge 5 ] && break; sleep 0.05; done
check "each appended line arrived once" "$(tail_events)" 5
check_contains "with the file's path" "$WORK/accepted.jsonl" "\"log.file.path\":\"$WORK/logs/app.log\""
kill -TERM "$SENSOR_PID"
set +e; wait "$SENSOR_PID"; rc=$?; set -e
check "SIGTERM stops it with exit 0" "$rc" 0
check "the checkpoint holds the end of the file (everything acknowledged)" \
  "$(awk '{ print $3 }' "$WORK/checkpoint")" "$(stat -c %s "$WORK/logs/app.log")"

echo "== the sensor's counters in its heartbeats, exported by the correlator"
mkdir -p "$WORK/hb"
{
  printf 'Feb 25 14:40:00 belka sshd[7]: Failed password for root from 203.0.113.9 port 1 ssh2\n'
  printf 'Feb 25 14:40:01 belka myapp[8]: nothing any decoder knows\n'
  printf 'Feb 25 14:40:02 belka myapp[8]: bad \xff\xfe bytes\n'
  printf 'Feb 25 14:40:03 belka myapp[8]: %0400d\n' 0
  printf '\n'
} >"$WORK/hb/a.log"
printf 'Feb 25 14:40:04 belka sshd[7]: Failed password for root from 203.0.113.10 port 1 ssh2\n' >"$WORK/hb/b.log"
JOURNAL_REMOTE=/lib/systemd/systemd-journal-remote
JOURNAL_ARGS=()
JOURNAL_N=0
if [ -x "$JOURNAL_REMOTE" ]; then
  mkdir -p "$WORK/hb/journal"
  for i in 1 2; do
    printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=hello %s\nSYSLOG_IDENTIFIER=myapp\n\n' \
      "$(date +%s%6N)" "$i" "$i"
  done | "$JOURNAL_REMOTE" -o "$WORK/hb/journal/x.journal" - 2>/dev/null
  JOURNAL_ARGS=(--journal --journal-dir "$WORK/hb/journal" --journal-start beginning)
  JOURNAL_N=2
fi
# The sensor's counters, typed by the correlator: soc_sensor_<field>_total, real counters that add
# up the runs of logs1 above (so this run's are what grew from here), or soc_sensor_<field> for a
# gauge.
total() {
  local name="soc_sensor_$1_total"
  [ "$1" = log_files_followed ] && name="soc_sensor_$1"
  metric "$name" "sensor=\"logs1\",site=\"commune-07\""
}
declare -A BASE
for c in log_lines_read log_events log_lines_truncated log_invalid_utf8 log_decode_fallbacks syslog_udp_messages \
         syslog_tcp_messages journal_entries events_acked; do
  BASE[$c]=$(total "$c")
done
reported() { awk -v a="$(total "$1")" -v b="${BASE[$1]:-0}" 'BEGIN { printf "%d", a - b }'; }
"$LOG_SENSOR" --file "$WORK/hb/*.log" --file-start beginning --syslog-udp 127.0.0.1:0 --syslog-tcp 127.0.0.1:0 \
  "${JOURNAL_ARGS[@]}" --max-line-bytes 256 --heartbeat 1 "${CONNECT[@]}" >/dev/null 2>"$WORK/err6" &
SENSOR_PID=$!
PIDS+=("$SENSOR_PID")
for _ in $(seq 1 100); do grep -q 'listening' "$WORK/err6" 2>/dev/null && break; sleep 0.05; done
UDP=$(sed -n 's/.*udp port \([0-9]*\).*/\1/p' "$WORK/err6")
TCP=$(sed -n 's/.*tcp port \([0-9]*\).*/\1/p' "$WORK/err6")
for i in 1 2; do logger --server 127.0.0.1 --port "$UDP" --udp --rfc3164 -t app "udp $i"; done
for i in 1 2 3; do logger --server 127.0.0.1 --port "$TCP" --tcp --rfc5424 -t app "tcp $i"; done
lines_want=$((5 + 1 + 5 + JOURNAL_N))  # 4+1 lines in a.log (one blank), 1 in b.log, 5 syslog, the journal
for _ in $(seq 1 100); do [ "$(reported log_lines_read)" -ge "$lines_want" ] && break; sleep 0.1; done
check "lines read" "$(reported log_lines_read)" "$lines_want"
check "events sent (the blank line gives none)" "$(reported log_events)" $((lines_want - 1))
check "truncated lines" "$(reported log_lines_truncated)" 1
check "invalid UTF-8" "$(reported log_invalid_utf8)" 1
check "decode fallbacks (myapp lines, app messages, journal)" "$(reported log_decode_fallbacks)" $((3 + 5 + JOURNAL_N))
check "syslog over UDP" "$(reported syslog_udp_messages)" 2
check "syslog over TCP" "$(reported syslog_tcp_messages)" 3
check "files followed" "$(reported log_files_followed)" 2
[ "$JOURNAL_N" -eq 0 ] || check "journal entries" "$(reported journal_entries)" "$JOURNAL_N"
check_ge "the transport's own counters are there too" "$(reported events_acked)" 1
kill -TERM "$SENSOR_PID"
wait "$SENSOR_PID" || true

echo "== usage"
set +e; "$LOG_SENSOR" --read "$WORK/auth.log" --connect "tcp://127.0.0.1:$LISTEN_PORT" >/dev/null 2>"$WORK/err3"; rc=$?; set -e
check "--connect without --sensor-id exits 2" "$rc" 2
set +e; "$LOG_SENSOR" --read "$WORK/auth.log" --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" \
  --key "$WORK/none.key" --sensor-id logs1 >/dev/null 2>"$WORK/err3"; rc=$?; set -e
check "an unreadable key exits 78" "$rc" 78

finish
