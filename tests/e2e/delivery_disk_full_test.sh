#!/usr/bin/env bash
# Issue 14: the correlator's --events-out on a full disk (a 1 MiB tmpfs). What cannot be written
# is not acknowledged: the error is logged once with the file and the cause and counted
# (soc_write_errors_total{output="events_out"}), no partial line is left in the file, the
# sender keeps its events (its window fills and it waits), and once the disk has room again
# (the tmpfs remounted larger) everything arrives, each event exactly once. Needs root (mount).
source "$(dirname "$0")/lib.sh"
need curl ss python3 mount umount
[ "$(id -u)" -eq 0 ] || { echo "SKIP: mounting a tmpfs needs root"; exit 77; }

FULL="$WORK/full"
mkdir -p "$FULL"
mount -t tmpfs -o size=1m tmpfs "$FULL" || { echo "SKIP: cannot mount a tmpfs here"; exit 77; }
unmount() {  # the processes that hold files on it first, then the mount, then the work folder
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  umount "$FULL" 2>/dev/null || umount -l "$FULL" 2>/dev/null || true
  cleanup
}
trap unmount EXIT

make_keys server s1
cat >"$WORK/allow.yaml" <<YAML
sensors:
  - {id: s1, site: dc-hatinh, public_key: "$(cat "$WORK/s1.pub")"}
YAML
N=20000  # about 5 MB of events: five times what the disk holds
gen_events "$N" "$WORK/in.jsonl"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --state-dir "$WORK/state" \
  --events-out "$FULL/events.jsonl"
wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
metric_ge() { awk -v a="$(metric "$1" "$2")" -v b="$3" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

echo "== the disk fills up"
"$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/s1.key" \
  --sensor-id s1 --site dc-hatinh --timeout 300 "$WORK/in.jsonl" >"$WORK/send.out" 2>&1 &
sender=$!
PIDS+=("$sender")
wait_for 60 metric_ge soc_ingest_blocked '' 1 || true
check "the correlator stops reading while --events-out cannot be written" "$(metric soc_ingest_blocked '')" 1
check_ge "the failed write is counted" "$(metric soc_write_errors_total 'output="events_out"')" 1
check_contains "the log says which file and why" "$WORK/correlator.log" "cannot write $FULL/events.jsonl: No space left on device"
check_contains "and that the batch waits, unacknowledged" "$WORK/correlator.log" "is not acknowledged until its outputs can be written"
sleep 3  # it stays that way: retried every second, counted each time, logged once
check_ge "retries are counted" "$(metric soc_write_errors_total 'output="events_out"')" 3
check "logged once" "$(grep -c "cannot write $FULL/events.jsonl" "$WORK/correlator.log")" 1
check "the sender is still waiting, not done" "$(kill -0 "$sender" 2>/dev/null && echo running)" running
written=$(python3 - "$FULL/events.jsonl" <<'PY'
import json, sys
data = open(sys.argv[1], "rb").read()
assert data.endswith(b"\n"), "the file ends in a partial line"
for line in data.splitlines():
    json.loads(line)
print(len(data.splitlines()))
PY
) || written="torn"
echo "while the disk is full, --events-out holds $written whole lines"
check "every line in the full file is whole" "$([ "$written" != torn ] && echo yes)" yes
acked=$(metric soc_events_received_total 'dataset="flow",sensor="s1",site="dc-hatinh"')
echo "accepted so far: $acked of $N"

echo "== room again: everything arrives, once"
mount -o remount,size=64m "$FULL"
set +e
wait "$sender"
rc=$?
set -e
check "the sender finishes: every event acknowledged" "$rc" 0
check "the correlator reads again" "$(metric soc_ingest_blocked '')" 0
check_contains "and says so" "$WORK/correlator.log" "writing $FULL/events.jsonl again"
read -r unique repeated missing lines <<<"$(python3 - "$FULL/events.jsonl" "$N" <<'PY'
import collections, json, sys
ids, lines = collections.Counter(), 0
for line in open(sys.argv[1], "rb"):
    lines += 1
    e = json.loads(line)
    if "event.id" in e:
        ids[e["event.id"]] += 1
seqs = {int(i.rsplit(":", 1)[1]) for i in ids}
print(len(ids), sum(c - 1 for c in ids.values()), int(sys.argv[2]) - len(seqs & set(range(int(sys.argv[2])))), lines)
PY
)"
dup=$(metric soc_events_duplicate_total 'sensor="s1"')
echo "sent $N, received $(metric soc_events_received_total 'dataset="flow",sensor="s1",site="dc-hatinh"'), duplicated $dup (resent during the outage, dropped), dropped 0, lost $missing"
check "--events-out holds every event" "$unique" "$N"
check "each exactly once" "$repeated" 0
check "lost" "$missing" 0
check "nothing counted lost by sequence" "$(metric soc_events_lost_total 'sensor="s1"')" 0
stop_correlator
finish
