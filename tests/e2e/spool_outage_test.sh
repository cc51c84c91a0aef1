#!/usr/bin/env bash
# The correlator away while a sender has events (issue 14): real `socctl send` processes with a
# spool and a real correlator on loopback, every event counted by its number in --events-out.
# - away for longer than the spool holds, drop-oldest: the sender drops the oldest events, says
#   how many (stderr, exit 1, its heartbeat), and that number is exactly the number missing;
# - the same outage with --spool-full block: the sender stops reading instead, and nothing is lost;
# - away for less than the spool holds: nothing lost, nothing dropped.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/delivery_lib.sh"
need curl ss awk

make_keys server s1 s2 s3
cat >"$WORK/allow.yaml" <<YAML
sensors:
  - {id: s1, site: lab, public_key: "$(cat "$WORK/s1.pub")"}
  - {id: s2, site: lab, public_key: "$(cat "$WORK/s2.pub")"}
  - {id: s3, site: lab, public_key: "$(cat "$WORK/s3.pub")"}
YAML
LISTEN_PORT=$(free_port)
EP="tcp://127.0.0.1:$LISTEN_PORT"
start_later() {  # the correlator, on the port the senders already try
  METRICS_PORT=$(free_port)
  PUBLISH_PORT=$(free_port)
  "$CORRELATOR" --listen "$EP" --metrics "127.0.0.1:$METRICS_PORT" --publish "tcp://127.0.0.1:$PUBLISH_PORT" \
    --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --events-out "$WORK/events.jsonl" \
    >"$WORK/correlator.log" 2>&1 &
  CORRELATOR_PID=$!
  PIDS+=("$CORRELATOR_PID")
  wait_port "$METRICS_PORT"
  wait_port "$LISTEN_PORT"
}
send_bg() {  # send_bg NAME KEY FILE FLAGS...: socctl send in the background, its pid in SEND_PID
  local name=$1 key=$2 file=$3
  shift 3
  "$SOCCTL" send --connect "$EP" --server-pub "$WORK/server.pub" --key "$WORK/$key.key" --sensor-id "$key" \
    --site lab --heartbeat 1 --timeout 120 "$@" "$file" >"$WORK/$name.log" 2>&1 &
  SEND_PID=$!
  PIDS+=("$SEND_PID")
}
read_all() { wait_for "grep -q 'events read; waiting' '$WORK/$1.log'" 120 "$1 to read its whole file"; }

N=60000
gen_counted "$N" "$WORK/events.in"

echo "== down longer than a 1 MiB spool holds, drop-oldest"
send_bg drop s1 "$WORK/events.in" --spool "$WORK/spool-s1" --spool-max-bytes 1048576 --spool-full drop-oldest
read_all drop
spool_bytes=$(seg_bytes "$WORK/spool-s1")
check_ge "the spool stayed within its limit while the correlator was away" 1048576 "$spool_bytes"
start_later
set +e; wait "$SEND_PID"; rc=$?; set -e
check "socctl send exits 1: events were dropped" "$rc" 1
dropped=$(sed -n 's/^socctl send: \([0-9]*\) events dropped by the spool.s limits.*/\1/p' "$WORK/drop.log")
check_ge "it says how many it dropped" "${dropped:-0}" 1
wait_for "[ \"\$(sensor_counter events_dropped s1)\" = '${dropped:-x}' ]" 10 \
  "the heartbeat to report the drops" || true
check "its heartbeat reports the same number" \
  "$(sensor_counter events_dropped s1)" "${dropped:-x}"
check "all of them for the size limit" \
  "$(sensor_counter events_dropped_spool_full s1)" "${dropped:-x}"
delivery_report "drop-oldest, spool too small for the outage" s1 "$N" "${dropped:-0}"
check "the number dropped is exactly the number missing (lost)" "$LOST" 0
check "what arrived is the newest, contiguous" "$(grep -o 'seqno=[0-9]*' "$WORK/events.jsonl" | cut -d= -f2 | sort -n | tail -1)" $((N - 1))
check "no event reached the file twice" "$(lines_in "$WORK/events.jsonl")" "$RECEIVED"
stop_correlator
mv "$WORK/events.jsonl" "$WORK/events-drop.jsonl"

echo "== the same outage, --spool-full block: the sender stops reading, nothing is lost"
send_bg block s2 "$WORK/events.in" --spool "$WORK/spool-s2" --spool-max-bytes 1048576 --spool-full block
sleep 3
check "it has not finished reading" "$(grep -c 'events read; waiting' "$WORK/block.log" || true)" 0
spool_bytes=$(seg_bytes "$WORK/spool-s2")
check_ge "the spool stayed within its limit" 1048576 "$spool_bytes"
start_later
set +e; wait "$SEND_PID"; rc=$?; set -e
check "socctl send exits 0" "$rc" 0
delivery_report "block, spool too small for the outage" s2 "$N" 0
check "nothing lost" "$LOST" 0
check "every event once in --events-out" "$(lines_in "$WORK/events.jsonl")" "$N"
check_ge "heartbeats arrived" "$(metric soc_heartbeats_received_total 'sensor="s2"')" 1
check "nothing dropped (heartbeat)" "$(sensor_counter events_dropped s2)" 0
stop_correlator
mv "$WORK/events.jsonl" "$WORK/events-block.jsonl"

echo "== down for less than the spool holds: nothing lost, nothing dropped"
send_bg fits s3 "$WORK/events.in" --spool "$WORK/spool-s3"
read_all fits
check_ge "the events wait in the spool" "$(seg_bytes "$WORK/spool-s3")" 4000000
start_later
set +e; wait "$SEND_PID"; rc=$?; set -e
check "socctl send exits 0" "$rc" 0
delivery_report "spool large enough" s3 "$N" 0
check "nothing lost" "$LOST" 0
check "every event once in --events-out" "$(lines_in "$WORK/events.jsonl")" "$N"
check "the correlator counted none lost" "$(metric soc_events_lost_total 'sensor="s3"')" 0
check "the correlator received every one" "$(metric soc_events_received_total 'dataset="flow",sensor="s3",site="lab"')" "$N"

echo "== bad flags"
set +e
"$SOCCTL" send --connect "$EP" --insecure --sensor-id s1 --spool "$WORK/x" --spool-full sometimes "$WORK/events.in" >"$WORK/bad1.log" 2>&1
rc1=$?
"$SOCCTL" send --connect "$EP" --insecure --sensor-id s1 --spool "$WORK/x" --spool-max-bytes 1000 "$WORK/events.in" >"$WORK/bad2.log" 2>&1
rc2=$?
# A sender that runs a while (100 events a second) holds its spool folder.
"$SOCCTL" send --connect "$EP" --server-pub "$WORK/server.pub" --key "$WORK/s3.key" --sensor-id s3 --site lab \
  --spool "$WORK/spool-lock" --rate 100 "$WORK/events.in" >"$WORK/locked.log" 2>&1 &
holder=$!
PIDS+=("$holder")
wait_for "[ -s '$WORK/spool-lock/lock' ]" 10 "the first sender to lock its spool"
"$SOCCTL" send --connect "$EP" --server-pub "$WORK/server.pub" --key "$WORK/s3.key" --sensor-id s3 --site lab \
  --spool "$WORK/spool-lock" --timeout 5 "$WORK/events.in" >"$WORK/second.log" 2>&1
rc3=$?
kill -TERM "$holder"
wait "$holder"
set -e
check "--spool-full with another word exits 2" "$rc1" 2
check_contains "and says what it takes" "$WORK/bad1.log" "--spool-full must be drop-oldest or block, got 'sometimes'"
check "--spool-max-bytes below 1 MiB exits 2" "$rc2" 2
check_contains "and says the minimum" "$WORK/bad2.log" "--spool-max-bytes must be at least 1048576"
check "a spool folder in use by another sender exits 78" "$rc3" 78
check_contains "and names the other process" "$WORK/second.log" "is in use by pid $holder"
finish
