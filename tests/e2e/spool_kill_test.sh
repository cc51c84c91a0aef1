#!/usr/bin/env bash
# Senders killed with SIGKILL and started again (issue 14): real senders and a real correlator on
# loopback, every event counted by its number in --events-out.
# - socctl send killed while the correlator is away and its spool holds the backlog: restarted,
#   it resends the spool (in its epoch), goes on after the last spooled line: nothing lost,
#   nothing twice;
# - socctl send killed in the middle of a stream the correlator acknowledges: what it resends
#   that had arrived is recognised and counted as repeated, never written twice;
# - soc-log-sensor following a file under steady load, killed: without a spool the checkpoint
#   follows the acknowledgements, so it reads again at most the last second or so; with a
#   spool, nothing is read again and every line reaches --events-out exactly once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/delivery_lib.sh"
need curl ss awk python3

make_keys server s1 s2 logs1 logs2
cat >"$WORK/allow.yaml" <<YAML
sensors:
  - {id: s1, site: lab, public_key: "$(cat "$WORK/s1.pub")"}
  - {id: s2, site: lab, public_key: "$(cat "$WORK/s2.pub")"}
  - {id: logs1, site: lab, public_key: "$(cat "$WORK/logs1.pub")"}
  - {id: logs2, site: lab, public_key: "$(cat "$WORK/logs2.pub")"}
YAML
LISTEN_PORT=$(free_port)
EP="tcp://127.0.0.1:$LISTEN_PORT"
run_correlator() {
  METRICS_PORT=$(free_port)
  PUBLISH_PORT=$(free_port)
  "$CORRELATOR" --listen "$EP" --metrics "127.0.0.1:$METRICS_PORT" --publish "tcp://127.0.0.1:$PUBLISH_PORT" \
    --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --events-out "$WORK/events.jsonl" \
    >>"$WORK/correlator.log" 2>&1 &
  CORRELATOR_PID=$!
  PIDS+=("$CORRELATOR_PID")
  wait_port "$METRICS_PORT"
  wait_port "$LISTEN_PORT"
}
send_cmd() {  # send_cmd KEY SPOOL FILE: the socctl send command line
  echo "$SOCCTL" send --connect "$EP" --server-pub "$WORK/server.pub" --key "$WORK/$1.key" --sensor-id "$1" --site lab \
    --heartbeat 1 --timeout 120 --spool "$2" "$3"
}
kill9() {  # kill9 PID: SIGKILL, checking that it was still running
  local alive=0
  kill -KILL "$1" 2>/dev/null && alive=1
  wait "$1" 2>/dev/null || true
  check "it was still running when killed" "$alive" 1
}

N=200000
gen_counted "$N" "$WORK/events.in"

echo "== socctl send killed mid-spool while the correlator is away"
$(send_cmd s1 "$WORK/spool-s1" "$WORK/events.in") >"$WORK/s1-first.log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_for "[ \$(seg_bytes '$WORK/spool-s1') -ge 8000000 ]" 60 "the spool to hold a backlog"
kill9 "$pid"
spooled=$(seg_bytes "$WORK/spool-s1")
echo "killed with $spooled bytes spooled"
run_correlator
set +e
$(send_cmd s1 "$WORK/spool-s1" "$WORK/events.in") >"$WORK/s1-second.log" 2>&1
rc=$?
set -e
check "the restarted socctl send exits 0" "$rc" 0
check_contains "it resumes after what the spool holds" "$WORK/s1-second.log" "(the spool holds the lines before)"
check_contains "and says it sent the spool's events" "$WORK/s1-second.log" "from the spool of an earlier run"
delivery_report "socctl send, SIGKILL mid-spool" s1 "$N" 0
check "nothing lost" "$LOST" 0
check "every event once in --events-out" "$(lines_in "$WORK/events.jsonl")" "$N"
check "the correlator counted nothing lost" "$(metric soc_events_lost_total 'sensor="s1"')" 0
mv "$WORK/events.jsonl" "$WORK/events-s1.jsonl"
kill -TERM "$CORRELATOR_PID"; wait "$CORRELATOR_PID" || true

echo "== socctl send killed in the middle of a stream the correlator acknowledges"
run_correlator
$(send_cmd s2 "$WORK/spool-s2" "$WORK/events.in") --rate 25000 >"$WORK/s2-first.log" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_for "[ \$(lines_in '$WORK/events.jsonl') -ge 50000 ]" 60 "50,000 events to arrive"
kill9 "$pid"
echo "killed after $(lines_in "$WORK/events.jsonl") events had arrived"
set +e
$(send_cmd s2 "$WORK/spool-s2" "$WORK/events.in") --rate 25000 >"$WORK/s2-second.log" 2>&1
rc=$?
set -e
check "the restarted socctl send exits 0" "$rc" 0
delivery_report "socctl send, SIGKILL mid-stream" s2 "$N" 0
check "nothing lost" "$LOST" 0
check "resent events were recognised: every event once in --events-out" "$(lines_in "$WORK/events.jsonl")" "$N"
check "the correlator counted nothing lost" "$(metric soc_events_lost_total 'sensor="s2"')" 0
mv "$WORK/events.jsonl" "$WORK/events-s2.jsonl"
kill -TERM "$CORRELATOR_PID"; wait "$CORRELATOR_PID" || true

# A steady writer: RATE lines a second to FILE for SECONDS, each "seqno=N", then "done".
writer() {  # writer FILE RATE SECONDS
  python3 - "$@" <<'PY'
import sys, time
path, rate, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
n, start = 0, time.monotonic()
with open(path, "a") as f:
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            break
        due = int(elapsed * rate)
        while n < due:
            f.write(f"Nov 20 08:00:00 web1 app[42]: request seqno={n}\n")
            n += 1
        f.flush()
        time.sleep(0.01)
print(n)
PY
}
checkpoint_offset() { awk '$1 ~ /^[0-9]+$/ { print $3; exit }' "$1" 2>/dev/null || echo 0; }
log_sensor_run() {  # log_sensor_run SENSOR FOLDER [flags]: starts soc-log-sensor, pid in SENSOR_PID
  local id=$1 dir=$2
  shift 2
  "$LOG_SENSOR" --file "$dir/app.log" --file-start beginning --checkpoint "$dir/checkpoint" \
    --connect "$EP" --server-pub "$WORK/server.pub" --key "$WORK/$id.key" --sensor-id "$id" --site lab \
    --heartbeat 1 "$@" >>"$dir/sensor.log" 2>&1 &
  SENSOR_PID=$!
  PIDS+=("$SENSOR_PID")
}
log_kill_test() {  # log_kill_test SENSOR LABEL [flags]: the log sensor killed under steady load
  local id=$1 label=$2 dir="$WORK/$1"
  shift 2
  mkdir -p "$dir"
  : >"$dir/app.log"
  run_correlator
  log_sensor_run "$id" "$dir" "$@"
  writer "$dir/app.log" 2000 12 >"$dir/written" &
  local writer_pid=$!
  # The checkpoint advances while the lines keep coming (it used to wait for a moment with
  # nothing in flight, which steady load never gives).
  wait_for "[ \$(lines_in '$WORK/events.jsonl') -ge 3000 ]" 60 "3,000 lines to arrive"
  CKPT1=$(checkpoint_offset "$dir/checkpoint")
  local seen=$(lines_in "$WORK/events.jsonl")
  wait_for "[ \$(lines_in '$WORK/events.jsonl') -ge $((seen + 3000)) ]" 60 "3,000 more lines"
  CKPT2=$(checkpoint_offset "$dir/checkpoint")
  kill9 "$SENSOR_PID"
  AT_KILL=$(lines_in "$WORK/events.jsonl")
  echo "killed with $AT_KILL lines delivered"
  sleep 0.5
  log_sensor_run "$id" "$dir" "$@"
  wait "$writer_pid"
  WRITTEN=$(cat "$dir/written")
  wait_for "[ \$(unique_in '$WORK/events.jsonl') -ge $WRITTEN ]" 60 "every line to arrive" || true
  delivery_report "$label" "$id" "$WRITTEN" 0
  kill -TERM "$SENSOR_PID"; wait "$SENSOR_PID" || true
}

echo "== soc-log-sensor killed under steady load, no spool"
log_kill_test logs1 "log sensor, SIGKILL under steady load, no spool"
check "nothing lost" "$LOST" 0
repeated=$(( $(lines_in "$WORK/events.jsonl") - RECEIVED ))
echo "$repeated lines read again after the restart, of $AT_KILL delivered before it"
check_ge "the checkpoint advanced under steady load" "${CKPT2:-0}" $(( ${CKPT1:-0} + 1 ))
check_ge "it was written while lines kept coming" "${CKPT1:-0}" 1
check_ge "only what the last checkpoint had not covered was read again" $((AT_KILL - 1)) "$repeated"
mv "$WORK/events.jsonl" "$WORK/events-logs1.jsonl"
kill -TERM "$CORRELATOR_PID"; wait "$CORRELATOR_PID" || true

echo "== soc-log-sensor killed under steady load, with a spool"
log_kill_test logs2 "log sensor, SIGKILL under steady load, spool" --spool "$WORK/logs2/spool"
check "nothing lost" "$LOST" 0
check "nothing read again: every line once in --events-out" "$(lines_in "$WORK/events.jsonl")" "$WRITTEN"
check "the correlator counted nothing lost" "$(metric soc_events_lost_total 'sensor="logs2"')" 0
check_contains "the checkpoint names the spooled batch it follows" "$WORK/logs2/checkpoint" "spool "
finish
