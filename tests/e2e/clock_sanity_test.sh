#!/usr/bin/env bash
# Issue 14, clock sanity: events stamped far in the future or the past are accepted, flagged
# soc.clock_skew and counted per sensor; each sensor's clock offset to the correlator is
# estimated from its heartbeats and exported. Thresholds from --clock-future and --clock-past.
source "$(dirname "$0")/lib.sh"
need curl ss python3

make_keys server s1
cat >"$WORK/allow.yaml" <<YAML
sensors:
  - {id: s1, site: dc-hatinh, public_key: "$(cat "$WORK/s1.pub")"}
YAML
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --events-out "$WORK/events.jsonl" \
  --clock-future 600 --clock-past 3600
event() {  # event WHEN ID: a flow event stamped at `date -d WHEN`
  printf '{"@timestamp":"%s","event.kind":"event","event.dataset":"flow","event.category":["network"],"message":"%s"}\n' \
    "$(date -u -d "$1" +%FT%T.000000Z)" "$2"
}
{
  event now on-time
  event '+5 minutes' a-little-ahead
  event '+11 minutes' ahead
  event '-59 minutes' a-little-behind
  event '-2 days' behind
} >"$WORK/clock.jsonl"
"$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/s1.key" \
  --sensor-id s1 --site dc-hatinh --quiet "$WORK/clock.jsonl"
check "every event is accepted" "$(metric soc_events_received_total 'dataset="flow",sensor="s1",site="dc-hatinh"')" 5
flag() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("message") == sys.argv[2]: print(e.get("soc.clock_skew", "none"))' "$WORK/events.jsonl" "$1"; }
check "on time: not flagged" "$(flag on-time)" none
check "5 min ahead (within --clock-future 600): not flagged" "$(flag a-little-ahead)" none
check "11 min ahead: flagged future" "$(flag ahead)" future
check "59 min behind (within --clock-past 3600): not flagged" "$(flag a-little-behind)" none
check "2 days behind: flagged past" "$(flag behind)" past
check "counted per sensor: future" "$(metric soc_events_clock_skew_total 'direction="future",sensor="s1"')" 1
check "counted per sensor: past" "$(metric soc_events_clock_skew_total 'direction="past",sensor="s1"')" 1
# socctl send's first heartbeat leaves as soon as it connects: its send time gives the offset.
for _ in $(seq 50); do
  offset=$(metric soc_sensor_clock_offset_seconds 'sensor="s1",site="dc-hatinh"')
  [ "$offset" != 0 ] && break
  sleep 0.1
done
echo "estimated clock offset of s1: $offset s (same machine: near 0)"
check "the offset is exported and near zero on one machine" \
  "$(awk -v o="$offset" 'BEGIN { print (o > -2 && o < 2 && o != 0) ? "yes" : "no" }')" yes
stop_correlator
finish
