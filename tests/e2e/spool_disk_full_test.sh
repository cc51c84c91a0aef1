#!/usr/bin/env bash
# The spool's disk full (issue 14): each sender's spool on a 2 MiB tmpfs of its own, the
# correlator away while 16 MB of events wait, every event counted by its number.
# - --spool-full block: a clear error naming the disk's refusal, counted; what cannot be written
#   waits in memory, then the sender stops reading; when space returns (the tmpfs grows) the
#   writes resume by themselves, and once the correlator is back nothing is lost;
# - --spool-full drop-oldest: the sender deletes its oldest spooled events to make room, counts
#   them, and the number it reports is exactly the number missing, which is also the number the
#   correlator counts lost.
# Needs root (mount); skips otherwise. The mounts are removed at exit.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/delivery_lib.sh"
need curl ss awk mount umount
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: mounting a tmpfs needs root"; exit 77; fi
MOUNTS=()
unmount_all() { for m in "${MOUNTS[@]:-}"; do [ -n "$m" ] && umount -l "$m" 2>/dev/null || true; done; }
trap 'unmount_all; cleanup' EXIT
small_disk() {  # small_disk DIR: a 2 MiB tmpfs at DIR
  mkdir -p "$1"
  mount -t tmpfs -o size=2m tmpfs "$1" || { echo "SKIP: cannot mount a tmpfs here"; exit 77; }
  MOUNTS+=("$1")
}

make_keys server s1 s2
cat >"$WORK/allow.yaml" <<YAML
sensors:
  - {id: s1, site: lab, public_key: "$(cat "$WORK/s1.pub")"}
  - {id: s2, site: lab, public_key: "$(cat "$WORK/s2.pub")"}
YAML
LISTEN_PORT=$(free_port)
EP="tcp://127.0.0.1:$LISTEN_PORT"
start_later() {
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
send_bg() {  # send_bg NAME KEY SPOOL POLICY
  "$SOCCTL" send --connect "$EP" --server-pub "$WORK/server.pub" --key "$WORK/$2.key" --sensor-id "$2" --site lab \
    --heartbeat 1 --timeout 180 --spool "$3" --spool-full "$4" "$WORK/events.in" >"$WORK/$1.log" 2>&1 &
  SEND_PID=$!
  PIDS+=("$SEND_PID")
}
reported() { sensor_counter "$1" "$2"; }

N=80000
gen_counted "$N" "$WORK/events.in"
echo "events: $(wc -c <"$WORK/events.in") bytes"

echo "== block: the disk fills, the sender waits in memory, then stops reading; space returns"
small_disk "$WORK/disk1"
send_bg block s1 "$WORK/disk1/spool" block
wait_for "grep -q 'No space left on device' '$WORK/block.log'" 60 "the disk to fill"
check_contains "a clear error: the spool, the file, the disk's reason" "$WORK/block.log" \
  "error spool: $WORK/disk1/spool: cannot write"
check_contains "what happens to the events" "$WORK/block.log" "batches wait in memory, then the sender stops reading (--spool-full block)"
sleep 2
check "it logged the refusal once, not for every retry" "$(grep -c 'No space left on device' "$WORK/block.log")" 1
check "it stopped reading: the file is not read to its end" "$(grep -c 'events read; waiting' "$WORK/block.log" || true)" 0
mount -o remount,size=64m "$WORK/disk1"
echo "the disk has room again"
wait_for "grep -q 'writes work again' '$WORK/block.log'" 30 "the spool to write again"
check_contains "it says the writes work again" "$WORK/block.log" "writes work again after"
wait_for "grep -q 'events read; waiting' '$WORK/block.log'" 60 "the sender to read on"
start_later
set +e; wait "$SEND_PID"; rc=$?; set -e
check "socctl send exits 0" "$rc" 0
wait_for "[ \"\$(reported spool_write_errors s1)\" != 0 ]" 5 "a heartbeat" || true
check_ge "the refused writes are counted in its heartbeat" "$(reported spool_write_errors s1)" 1
check_ge "heartbeats arrived" "$(metric soc_heartbeats_received_total 'sensor="s1"')" 1
check "nothing dropped" "$(reported events_dropped s1)" 0
delivery_report "spool disk full, block, then space returns" s1 "$N" 0
check "nothing lost" "$LOST" 0
check "every event once in --events-out" "$(lines_in "$WORK/events.jsonl")" "$N"
stop_correlator
mv "$WORK/events.jsonl" "$WORK/events-block.jsonl"

echo "== drop-oldest: the disk fills, the oldest spooled events make room, counted"
small_disk "$WORK/disk2"
send_bg drop s2 "$WORK/disk2/spool" drop-oldest
wait_for "grep -q 'events read; waiting' '$WORK/drop.log'" 120 "the sender to read its whole file"
check_contains "a clear error: the spool, the file, the disk's reason" "$WORK/drop.log" "No space left on device"
check "logged once, not at every segment the disk refused" "$(grep -c 'No space left on device' "$WORK/drop.log")" 1
check_contains "it says it drops the oldest to make room" "$WORK/drop.log" "the disk is full: dropping the oldest events"
start_later
set +e; wait "$SEND_PID"; rc=$?; set -e
check "socctl send exits 1: events were dropped" "$rc" 1
dropped=$(sed -n 's/^socctl send: \([0-9]*\) events dropped by the spool.s limits.*/\1/p' "$WORK/drop.log")
check_contains "it says they went for disk errors" "$WORK/drop.log" "${dropped:-x} for disk errors"
wait_for "[ \"\$(reported events_dropped s2)\" = '${dropped:-x}' ]" 5 "a heartbeat" || true
check "its heartbeat reports them" "$(reported events_dropped_disk_error s2)" "${dropped:-x}"
check_ge "and the refused writes" "$(reported spool_write_errors s2)" 1
delivery_report "spool disk full, drop-oldest" s2 "$N" "${dropped:-0}"
check "the number dropped is exactly the number missing" "$LOST" 0
# The spool drops its oldest events: what is missing comes before the first batch that arrived
# (counted lost at it: the sender's first heartbeat said nothing was acknowledged yet) or between
# two that arrived. The spool's own descriptors once kept a deleted segment's space in use: on the
# full disk it then dropped its newest batches, after the last one delivered, where no correlator
# can see a gap (it counted 18,432 lost of 56,448 missing).
check "the correlator counted them lost" "$(metric soc_events_lost_total 'sensor="s2"')" "$MISSING"
check "no event reached the file twice" "$(lines_in "$WORK/events.jsonl")" "$RECEIVED"
finish
