#!/usr/bin/env bash
# The journal cursor kept with each spooled batch (issue 14): soc-log-sensor reads real journal
# files (written by systemd-journal-remote) while the correlator is away, is killed with SIGKILL
# in the middle, and started again with the correlator back: it resends what its spool holds and
# resumes the journal after the last spooled entry. Every entry reaches --events-out exactly
# once; then entries appended later arrive too, once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/delivery_lib.sh"
need curl ss awk
: "${LOG_SENSOR:=$BUILD/sensors/log/soc-log-sensor}"
JOURNAL_REMOTE=/lib/systemd/systemd-journal-remote
[ -x "$JOURNAL_REMOTE" ] || { echo "SKIP: $JOURNAL_REMOTE is not installed (package systemd-journal-remote)"; exit 77; }

mkdir -p "$WORK/journal"
entries() {  # entries FIRST COUNT: Journal Export Format, one entry per seqno, a microsecond apart
  # (awk's integers are 32-bit: the time is written as seconds and a 6-digit microsecond part)
  awk -v first="$1" -v n="$2" -v sec="$(date +%s)" 'BEGIN {
    for (i = first; i < first + n; i++) {
      printf "__REALTIME_TIMESTAMP=%s%06d\n__MONOTONIC_TIMESTAMP=%s%06d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n", sec, i, sec, i
      printf "MESSAGE=request seqno=%d done\nSYSLOG_IDENTIFIER=app\n_PID=42\n_HOSTNAME=web1\nPRIORITY=6\n\n", i
    }
  }'
}
N=40000
entries 0 "$N" | "$JOURNAL_REMOTE" -o "$WORK/journal/a.journal" - 2>>"$WORK/remote.log"

make_keys server logs1
printf 'sensors:\n  - {id: logs1, site: lab, public_key: "%s"}\n' "$(cat "$WORK/logs1.pub")" >"$WORK/allow.yaml"
LISTEN_PORT=$(free_port)
sensor() {
  "$LOG_SENSOR" --journal --journal-dir "$WORK/journal" --journal-start beginning --checkpoint "$WORK/checkpoint" \
    --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/logs1.key" \
    --sensor-id logs1 --site lab --heartbeat 1 --spool "$WORK/spool" >>"$WORK/sensor.log" 2>&1 &
  SENSOR_PID=$!
  PIDS+=("$SENSOR_PID")
}

echo "== $N journal entries read while the correlator is away; SIGKILL in the middle"
sensor
wait_for "[ \$(seg_bytes '$WORK/spool') -ge 3000000 ]" 60 "the spool to hold a backlog"
kill -KILL "$SENSOR_PID"
wait "$SENSOR_PID" 2>/dev/null || true
echo "killed with $(seg_bytes "$WORK/spool") bytes spooled"
METRICS_PORT=$(free_port)
PUBLISH_PORT=$(free_port)
"$CORRELATOR" --listen "tcp://127.0.0.1:$LISTEN_PORT" --metrics "127.0.0.1:$METRICS_PORT" \
  --publish "tcp://127.0.0.1:$PUBLISH_PORT" --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" \
  --events-out "$WORK/events.jsonl" >"$WORK/correlator.log" 2>&1 &
CORRELATOR_PID=$!
PIDS+=("$CORRELATOR_PID")
wait_port "$METRICS_PORT"
sensor
wait_for "[ \$(unique_in '$WORK/events.jsonl') -ge $N ]" 120 "every entry to arrive" || true
sleep 1  # anything read twice would follow
delivery_report "journal, SIGKILL mid-spool" logs1 "$N" 0
check "nothing lost" "$LOST" 0
check "nothing read twice: every entry once in --events-out" "$(lines_in "$WORK/events.jsonl")" "$N"
check "the correlator counted nothing lost" "$(metric soc_events_lost_total 'sensor="logs1"')" 0
check_ge "the spool's events were resent" "$(sensor_counter spool_events_recovered logs1)" 1

echo "== entries appended afterwards arrive once"
sleep 1.1  # a later second: the new entries come after the others in the journal's order
entries "$N" 100 | "$JOURNAL_REMOTE" -o "$WORK/journal/b.journal" - 2>>"$WORK/remote.log"
wait_for "[ \$(unique_in '$WORK/events.jsonl') -ge $((N + 100)) ]" 60 "the appended entries" || true
sleep 1
check "every entry once" "$(unique_in "$WORK/events.jsonl")/$(lines_in "$WORK/events.jsonl")" "$((N + 100))/$((N + 100))"
kill -TERM "$SENSOR_PID"; wait "$SENSOR_PID" || true
check_contains "the checkpoint holds the journal cursor" "$WORK/checkpoint" "journal s="
finish
