#!/usr/bin/env bash
# Issue 14: the alert store's disk full (--state-dir on a small tmpfs, filled). A batch whose
# alerts cannot be committed is not acknowledged, nor recorded as seen anywhere a restart reads
# (its events stay out of --events-out, its mark out of the delivery journal):
#   - the correlator killed while the commit fails: the sender's resend to the next run is
#     accepted, not dropped as a repeat, and the brute force's alert is in the store;
#   - room again without a restart: the correlator commits what it kept (the store applies the
#     failed batch again) and acknowledges; the alert is in the store once, each event in
#     --events-out once.
# Needs root (mount).
source "$(dirname "$0")/lib.sh"
need curl ss python3 mount umount dd
[ "$(id -u)" -eq 0 ] || { echo "SKIP: mounting a tmpfs needs root"; exit 77; }

FULL="$WORK/full"
mkdir -p "$FULL"
mount -t tmpfs -o size=4m tmpfs "$FULL" || { echo "SKIP: cannot mount a tmpfs here"; exit 77; }
unmount() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  umount "$FULL" 2>/dev/null || umount -l "$FULL" 2>/dev/null || true
  cleanup
}
trap unmount EXIT

make_keys server ssh1
cat >"$WORK/allow.yaml" <<YAML
sensors:
  - {id: ssh1, site: dc-hatinh, public_key: "$(cat "$WORK/ssh1.pub")"}
YAML
LISTEN_PORT=$(free_port)
METRICS_PORT=$(free_port)
RUN=0
correlator() {  # (re)starts on the same ports, one log per run
  RUN=$((RUN + 1))
  "$CORRELATOR" --listen "tcp://127.0.0.1:$LISTEN_PORT" --metrics "127.0.0.1:$METRICS_PORT" --publish "" \
    --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$SRC/rules" \
    --state-dir "$FULL/state" --events-out "$WORK/events.jsonl" >"$WORK/correlator.$RUN.log" 2>&1 &
  CORRELATOR_PID=$!
  PIDS+=("$CORRELATOR_PID")
  wait_port "$METRICS_PORT" 20
  wait_port "$LISTEN_PORT" 20
  ln -sf "$WORK/correlator.$RUN.log" "$WORK/correlator.log"
}
send_bg() {  # send_bg FILE: socctl send in the background (SENDER: its pid)
  "$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/ssh1.key" \
    --sensor-id ssh1 --site dc-hatinh --timeout 120 "$1" >"$WORK/send.$RUN.out" 2>&1 &
  SENDER=$!
  PIDS+=("$SENDER")
}
failures() {  # failures FILE IP COUNT: failed SSH logins, one every 2 s
  awk -v ip="$2" -v n="$3" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "{\"@timestamp\":\"2026-11-20T08:00:%02d.000000Z\",\"event.kind\":\"event\",\"event.dataset\":\"sshd\",\"event.category\":[\"authentication\"],\"event.outcome\":\"failure\",\"source.ip\":\"%s\",\"user.name\":\"root\"}\n", 2 * i, ip
  }' >"$1"
}
wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
metric_ge() { awk -v a="$(metric "$1" "$2")" -v b="$3" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
fill() { dd if=/dev/zero of="$FULL/filler" bs=64k >/dev/null 2>&1 || true; sync; }
# The brute-force alerts the store holds for IP: "<alerts> <count of the first>".
stored() {
  curl -sS "http://127.0.0.1:$METRICS_PORT/api/v1/alerts?limit=1000" | python3 -c "
import json, sys
d = json.load(sys.stdin)
a = [x for x in d['alerts'] if x['rule']['name'].startswith('SSH brute force') and '$1' in json.dumps(x['group'])]
print(len(a), a[0]['count'] if a else 0)"
}
# Lines of --events-out from source IP: "<unique event ids> <repeated>".
in_events() {
  python3 - "$WORK/events.jsonl" "$1" <<'PY'
import collections, json, sys
ids = collections.Counter()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("source.ip") == sys.argv[2]:
        ids[e["event.id"]] += 1
print(len(ids), sum(c - 1 for c in ids.values()))
PY
}
N=12

echo "== the store's disk fills up; the correlator is killed while it cannot commit"
correlator
fill
failures "$WORK/bf1.jsonl" 203.0.113.7 "$N"
send_bg "$WORK/bf1.jsonl"
wait_for 30 metric_ge soc_ingest_blocked '' 1 || true
check "the batch that raised an alert is not acknowledged: the correlator reads nothing more" \
  "$(metric soc_ingest_blocked '')" 1
check_ge "the failed commit is counted" "$(metric soc_write_errors_total 'output="alert_store"')" 1
check_ge "the alert waits to be committed again" "$(metric soc_queue_depth 'queue="alert_store"')" 1
check_contains "the log says the alerts cannot be committed" "$WORK/correlator.log" "the alerts cannot be committed"
check "its events are not in --events-out (nothing a restart would take for seen)" "$(in_events 203.0.113.7)" "0 0"
check "the sender is still waiting" "$(kill -0 "$SENDER" 2>/dev/null && echo running)" running
kill -9 "$CORRELATOR_PID"
wait "$CORRELATOR_PID" 2>/dev/null || true
rm -f "$FULL/filler"
correlator
set +e
wait "$SENDER"
rc=$?
set -e
check "the sender finishes against the next run: every event acknowledged" "$rc" 0
wait_for 10 metric_ge soc_batches_received_total 'sensor="ssh1"' 1 || true
check "the resend is accepted, not dropped as a repeat" "$(metric soc_events_duplicate_total 'sensor="ssh1"')" 0
check "the resend's events are received" "$(metric soc_events_received_total 'dataset="sshd",sensor="ssh1",site="dc-hatinh"')" "$N"
check "each event is in --events-out once" "$(in_events 203.0.113.7)" "$N 0"
check "the brute force's alert is in the store" "$(stored 203.0.113.7 | cut -d' ' -f1)" 1

echo "== full again; room returns without a restart"
fill
failures "$WORK/bf2.jsonl" 203.0.113.8 "$N"
send_bg "$WORK/bf2.jsonl"
wait_for 30 metric_ge soc_ingest_blocked '' 1 || true
check "blocked while the store cannot commit" "$(metric soc_ingest_blocked '')" 1
check "not in --events-out meanwhile" "$(in_events 203.0.113.8)" "0 0"
sleep 2  # retried each second, still failing
rm -f "$FULL/filler"
set +e
wait "$SENDER"
rc=$?
set -e
check "the sender finishes: the batch is acknowledged once the store commits" "$rc" 0
check "the correlator reads again" "$(metric soc_ingest_blocked '')" 0
check "nothing waits to be committed" "$(metric soc_queue_depth 'queue="alert_store"')" 0
check "the alert the failed batch raised is in the store, once" "$(stored 203.0.113.8 | cut -d' ' -f1)" 1
check "each event in --events-out once" "$(in_events 203.0.113.8)" "$N 0"
check "the first brute force is still there, once" "$(stored 203.0.113.7 | cut -d' ' -f1)" 1
echo "sent $((2 * N)), received $(metric soc_events_received_total 'dataset="sshd",sensor="ssh1",site="dc-hatinh"') (this run), duplicated $(metric soc_events_duplicate_total 'sensor="ssh1"'), lost $(metric soc_events_lost_total 'sensor="ssh1"')"
kill -TERM "$CORRELATOR_PID"
wait "$CORRELATOR_PID" 2>/dev/null || true
finish
