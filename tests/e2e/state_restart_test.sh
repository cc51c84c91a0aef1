#!/usr/bin/env bash
# Issue 14: what the correlator keeps in --state-dir across a restart. A brute force split across
# a restart fires once, after SIGTERM (the final snapshot) and after SIGKILL once a periodic
# snapshot was written; without --state-dir the same split never fires. A damaged snapshot is
# moved aside, logged and counted, and the correlator starts anyway. The baseline remembers when
# each sensor was last heard, so a restart does not call it silent nor raise old findings again.
source "$(dirname "$0")/lib.sh"
need curl ss python3

make_keys server ssh1 pkt-dc pkt-xa
cat >"$WORK/inventory.yaml" <<YAML
sites:
  - {id: dc-hatinh, name: "Trung tâm dữ liệu", kind: datacenter}
  - {id: xa-camxuyen, name: "UBND xã", kind: commune}
systems:
  - {id: portal, name: "Cổng dịch vụ công", level: 3, sites: [dc-hatinh, xa-camxuyen], last_assessment: $(date -u -d '-30 days' +%F)}
sensors:
  - {id: ssh1, site: dc-hatinh, kind: log, public_key: "$(cat "$WORK/ssh1.pub")"}
  - {id: pkt-dc, site: dc-hatinh, kind: packet, public_key: "$(cat "$WORK/pkt-dc.pub")"}
  - {id: pkt-xa, site: xa-camxuyen, kind: packet, public_key: "$(cat "$WORK/pkt-xa.pub")"}
YAML
cat >"$WORK/baseline.yaml" <<'YAML'
baseline: {id: e2e, version: '1'}
requirements:
  - {id: MON-02, title: {vi: "Cảm biến", en: Packet sensor reporting}, reference: r, levels: [3],
     check: {kind: sensor_reporting, sensor_kind: packet, window: 30s}}
YAML
LISTEN_PORT=$(free_port)
METRICS_PORT=$(free_port)
RUN=0
correlator() {  # correlator ARGS...: (re)starts on the same ports, one log per run
  RUN=$((RUN + 1))
  "$CORRELATOR" --listen "tcp://127.0.0.1:$LISTEN_PORT" --metrics "127.0.0.1:$METRICS_PORT" --publish "" \
    --server-key "$WORK/server.key" --inventory "$WORK/inventory.yaml" --baseline "$WORK/baseline.yaml" --tick 0.5 \
    --rules "$SRC/rules" "$@" >"$WORK/correlator.$RUN.log" 2>&1 &
  CORRELATOR_PID=$!
  PIDS+=("$CORRELATOR_PID")
  wait_port "$METRICS_PORT" 20
  wait_port "$LISTEN_PORT" 20
  ln -sf "$WORK/correlator.$RUN.log" "$WORK/correlator.log"
}
send() {  # send SENSOR SITE FILE
  "$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/$1.key" \
    --sensor-id "$1" --site "$2" --quiet "$3"
}
failures() {  # failures FILE IP START_SECOND COUNT: failed SSH logins, one every 2 s
  awk -v ip="$2" -v s="$3" -v n="$4" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "{\"@timestamp\":\"2026-11-20T08:00:%02d.000000Z\",\"event.kind\":\"event\",\"event.dataset\":\"sshd\",\"event.category\":[\"authentication\"],\"event.outcome\":\"failure\",\"source.ip\":\"%s\",\"user.name\":\"root\"}\n", s + 2 * i, ip
  }' >"$1"
}
wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
metric_ge() { awk -v a="$(metric "$1" "$2")" -v b="$3" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
alerts_for() { grep -h "\"rule.id\":\"$BRUTE\"" "$@" 2>/dev/null | grep -c "\"source.ip\":\"$IP\"" || true; }
BRUTE=6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a03

# split NAME SIGNAL [correlator flags]: three failures, a restart by SIGNAL, three more. The
# brute-force rule alerts at five: only both halves together reach it.
split() {
  local name=$1 sig=$2
  IP=$3
  shift 3
  failures "$WORK/$name.1.jsonl" "$IP" 0 3
  failures "$WORK/$name.2.jsonl" "$IP" 10 3
  correlator "$@" --alerts-out "$WORK/$name.alerts.jsonl"
  send ssh1 dc-hatinh "$WORK/$name.1.jsonl"
  if [ "$sig" == KILL ]; then
    # Killed without warning, but after a periodic snapshot that holds the first half.
    local before
    before=$(metric soc_snapshots_total 'part="rules",result="ok"')
    wait_for 20 metric_ge soc_snapshots_total 'part="rules",result="ok"' "$((before + 1))" || true
  fi
  kill -"$sig" "$CORRELATOR_PID"
  wait "$CORRELATOR_PID" 2>/dev/null || true
  correlator "$@" --alerts-out "$WORK/$name.alerts.jsonl"
  send ssh1 dc-hatinh "$WORK/$name.2.jsonl"
  # An alert is written before the batch that raised it is acknowledged: once send returns, it
  # is in the file.
}

echo "== a brute force split across SIGTERM fires once"
split term TERM 203.0.113.50 --state-dir "$WORK/term.state"
check "one alert" "$(alerts_for "$WORK/term.alerts.jsonl")" 1
check_contains "counting both halves" "$WORK/term.alerts.jsonl" '"soc.count":5,"event.start":"2026-11-20T08:00:00.000000Z"'
check_contains "the final snapshot was written" "$WORK/correlator.$((RUN - 1)).log" "final snapshot written"
check_contains "and restored" "$WORK/correlator.$RUN.log" "rules: open state of"
check "soc_state_restore_total counts it" "$(metric soc_state_restore_total 'part="rules",result="restored"')" 1
stop_correlator

echo "== a brute force split across SIGKILL, after a periodic snapshot, fires once"
split kill KILL 203.0.113.51 --state-dir "$WORK/kill.state" --snapshot-interval 0.5
check "one alert" "$(alerts_for "$WORK/kill.alerts.jsonl")" 1
check_contains "counting both halves" "$WORK/kill.alerts.jsonl" '"soc.count":5,"event.start":"2026-11-20T08:00:00.000000Z"'
# The first half's events were acknowledged before the kill: they are not sent again, and the
# evidence of the alert names events of both runs of the sender.
python3 - "$WORK/kill.alerts.jsonl" "$BRUTE" >"$WORK/kill.epochs" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    if a.get("source.ip") == "203.0.113.51" and a["rule.id"] == sys.argv[2]:
        print(len({e.split(":")[1] for e in a["soc.evidence"]}))
PY
check "its evidence spans both senders' runs" "$(cat "$WORK/kill.epochs")" 2
stop_correlator

echo "== without --state-dir the same split never fires (what the snapshot adds)"
split none TERM 203.0.113.52
sleep 1
check "no alert" "$(alerts_for "$WORK/none.alerts.jsonl")" 0
stop_correlator

echo "== a damaged snapshot is moved aside, logged and counted; the correlator starts anyway"
python3 - "$WORK/term.state/snapshot/rules.snap" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xFF
open(p, "wb").write(bytes(b))
PY
correlator --state-dir "$WORK/term.state"
check "counted" "$(metric soc_state_restore_total 'part="rules",result="corrupt"')" 1
check_contains "logged with the file and the cause" "$WORK/correlator.$RUN.log" "rules.snap: checksum mismatch (the file is damaged)"
check "moved aside" "$(ls "$WORK/term.state/snapshot/" | grep -c '^rules.snap.corrupt-')" 1
failures "$WORK/after.jsonl" 203.0.113.53 0 10
send ssh1 dc-hatinh "$WORK/after.jsonl"
check "and it runs: events are accepted" "$(metric soc_events_received_total 'dataset="sshd",sensor="ssh1",site="dc-hatinh"')" 10
stop_correlator

echo "== the baseline remembers when each sensor was last heard"
rm -rf "$WORK/base.state"
correlator --state-dir "$WORK/base.state"
printf '{"@timestamp":"%s","event.kind":"event","event.dataset":"flow","event.category":["network"]}\n' \
  "$(date -u +%FT%TZ)" >"$WORK/flow.jsonl"
send pkt-dc dc-hatinh "$WORK/flow.jsonl"
wait_for 10 metric_ge soc_sensor_up 'sensor="pkt-dc",site="dc-hatinh"' 1 || true
check "pkt-dc is up" "$(metric soc_sensor_up 'sensor="pkt-dc",site="dc-hatinh"')" 1
stop_correlator
correlator --state-dir "$WORK/base.state"
sleep 1.5  # a few evaluations (--tick 0.5)
check "after a restart, pkt-dc is still up: its last-seen time was restored" \
  "$(metric soc_sensor_up 'sensor="pkt-dc",site="dc-hatinh"')" 1
check "pkt-xa, never heard, is still down" "$(metric soc_sensor_up 'sensor="pkt-xa",site="xa-camxuyen"')" 0
check "soc_state_restore_total counts the baseline" "$(metric soc_state_restore_total 'part="baseline",result="restored"')" 1
stop_correlator
finish
