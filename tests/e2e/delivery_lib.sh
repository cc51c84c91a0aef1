# Helpers for the delivery fault tests (issue 14, sender side): events that can be counted one by
# one, a sender of them, and the report every test prints. Sourced after lib.sh.

# gen_counted N FILE: N valid events, the i-th carrying "message":"seqno=i" (i from 0).
gen_counted() {
  awk -v n="$1" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "{\"@timestamp\":\"2026-11-20T08:%02d:%02d.%06dZ\",\"event.kind\":\"event\",\"event.dataset\":\"flow\",\"event.category\":[\"network\"],\"source.ip\":\"10.1.%d.%d\",\"destination.ip\":\"192.0.2.1\",\"destination.port\":443,\"message\":\"seqno=%d\"}\n", (i / 60000) % 60, (i / 1000) % 60, i % 1000000, (i / 256) % 256, i % 256, i
  }' >"$2"
}

# unique_in FILE: how many distinct seqno=N the file holds; lines_in FILE: how many lines carry one.
unique_in() { { grep -o 'seqno=[0-9]*' "$1" 2>/dev/null || true; } | sort -u | wc -l; }
lines_in() { local n; n=$(grep -c 'seqno=[0-9]*' "$1" 2>/dev/null) || true; echo "${n:-0}"; }
# seg_bytes DIR: the size of a spool's segment files (0 when there is none).
seg_bytes() { { cat "$1"/*.seg 2>/dev/null || true; } | wc -c; }

# wait_for CONDITION-COMMAND SECONDS WHAT: polls every 0.1 s.
wait_for() {
  local deadline=$((SECONDS + $2))
  until eval "$1"; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "timed out after $2 s waiting for: $3"; return 1; fi
    sleep 0.1
  done
}

# delivery_report LABEL SENSOR SENT DROPPED: prints sent, received, duplicated, dropped and lost for
# one sensor, from the correlator's --events-out ($WORK/events.jsonl, its lines of SENSOR) and
# /metrics; sets LOST, RECEIVED and MISSING (sent - received).
# received: distinct events in the file; duplicated: events the correlator recognised as repeats
# (soc_events_duplicate_total) plus copies that reached the file twice; lost: sent, neither
# received nor reported dropped.
delivery_report() {
  local label=$1 sensor=$2 sent=$3 dropped=$4 unique lines dup_metric lost_metric mine="$WORK/events.$2.jsonl"
  { grep -F "\"observer.name\":\"$sensor\"" "$WORK/events.jsonl" 2>/dev/null || true; } >"$mine"
  unique=$(unique_in "$mine")
  lines=$(lines_in "$mine")
  dup_metric=$(metric soc_events_duplicate_total "sensor=\"$sensor\"")
  lost_metric=$(metric soc_events_lost_total "sensor=\"$sensor\"")
  LOST=$((sent - unique - dropped))
  RECEIVED=$unique
  MISSING=$((sent - unique))
  echo "delivery [$label]: sent=$sent received=$unique duplicated=$((dup_metric + lines - unique)) ($dup_metric recognised by the correlator, $((lines - unique)) twice in --events-out) dropped=$dropped lost=$LOST (the correlator counted $lost_metric lost)"
}

# sensor_counter FIELD SENSOR: a heartbeat field (soc.sensor.FIELD) of SENSOR at site "lab", as
# the correlator exports it (daemon/sensor_report.cpp): soc_sensor_FIELD_total for a counter
# (added up over the sensor's runs), soc_sensor_FIELD for a gauge. 0 when absent.
sensor_counter() {
  local v name
  for name in "soc_sensor_$1_total" "soc_sensor_$1"; do
    v=$(metric "$name" "sensor=\"$2\",site=\"lab\"")
    if [ "$v" != 0 ]; then echo "$v"; return; fi
  done
  echo 0
}
