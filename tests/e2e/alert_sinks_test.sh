#!/usr/bin/env bash
# The correlator's alert sinks end to end, against real peers on loopback (docs/adr/0022):
#  (a) the sample province's alerts, folded by the alert store (--state-dir), reach a real
#      Alertmanager (Debian prometheus-alertmanager, started here) with the right labels and
#      annotations, read back through its API; a second Alertmanager URL that is down changes
#      nothing for the first; a webhook that fails its first requests gets every notice once,
#      signed, in the alert log's order; the alert log holds them all, chained;
#  (b) through the alert store: a repeat folds into the open Alertmanager alert, an
#      acknowledgement (API) and the resolution after the quiet period reach Alertmanager, which
#      pages the resolution; the webhook and the alert log get the four notices;
#  (f) an alert open across a correlator restart is restated to an Alertmanager that never saw
#      it, and not logged or posted to the webhook again;
#  (c) a webhook that hangs delays neither the alert log nor the rules (measured);
#  (d) the alert log across SIGHUP after logrotate and across a restart;
#  (e) bad sink flags are refused with exit 78 and the reason.
source "$(dirname "$0")/lib.sh"
# lib.sh's start_correlator, tried again once on fresh ports (another test on this machine may
# take a port between free_port and the bind), and saying why when the correlator does not start.
eval "lib_$(declare -f start_correlator)"
start_correlator() {
  local try
  for try in 1 2; do
    if lib_start_correlator "$@"; then return 0; fi
    echo "(the correlator did not come up, attempt $try:)"; tail -5 "$WORK/correlator.log" | sed 's/^/    /'
    kill "$CORRELATOR_PID" 2>/dev/null || true
    wait "$CORRELATOR_PID" 2>/dev/null || true
  done
  echo "FAIL: the correlator did not start"
  exit 1
}
need curl python3 prometheus-alertmanager

make_keys server ssh1 log-dc-hatinh log-xa-camxuyen pkt-dc-hatinh pkt-xa-thachha
{
  echo "sensors:"
  echo "  - {id: ssh1, site: dc-hatinh, public_key: \"$(cat "$WORK/ssh1.pub")\"}"
  for s in dc-hatinh xa-camxuyen; do echo "  - {id: log-$s, site: $s, public_key: \"$(cat "$WORK/log-$s.pub")\"}"; done
  for s in dc-hatinh xa-thachha; do echo "  - {id: pkt-$s, site: $s, public_key: \"$(cat "$WORK/pkt-$s.pub")\"}"; done
} >"$WORK/allow.yaml"

send() {  # send SENSOR SITE FILE
  "$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/$1.key" \
    --sensor-id "$1" --site "$2" --quiet "$3"
}
failures() {  # failures FILE IP COUNT: failed SSH logins, one every 2 s
  awk -v ip="$2" -v n="$3" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "{\"@timestamp\":\"2026-11-20T09:00:%02d.000000Z\",\"event.kind\":\"event\",\"event.dataset\":\"sshd\",\"event.category\":[\"authentication\"],\"event.outcome\":\"failure\",\"source.ip\":\"%s\",\"user.name\":\"root\"}\n", 2 * i, ip
  }' >"$1"
}
wait_for() {  # wait_for "what" SECONDS COMMAND...: polls COMMAND until it succeeds
  local what=$1 deadline=$((SECONDS + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "(timed out waiting for $what)"; return 0; fi
    sleep 0.2
  done
}
wait_until() {  # wait_until "what" SECONDS 'SHELL CONDITION': evaluates the condition anew each time
  local what=$1 deadline=$((SECONDS + $2))
  until eval "$3" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "(timed out waiting for $what)"; return 0; fi
    sleep 0.2
  done
}
notices_in() { if [ -f "$1" ]; then grep -c '"record":"notice"' "$1" || true; else echo 0; fi; }
has_notices() { [ "$(notices_in "$1")" -ge "$2" ]; }
lines_in() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
has_lines() { [ "$(lines_in "$1")" -ge "$2" ]; }

# start_alertmanager NAME: a real Alertmanager on loopback, its port in AM_PORT; it pages a
# webhook receiver ($WORK/paged.jsonl, started with the first one).
start_alertmanager() {
  AM_PORT=$(free_port)
  if [ -z "${PAGE_PORT:-}" ]; then
    PAGE_PORT=$(free_port)
    python3 "$SRC/tests/e2e/webhook_receiver.py" "$PAGE_PORT" "$WORK/paged.jsonl" >"$WORK/page.log" 2>&1 &
    PIDS+=("$!")
  fi
  cat >"$WORK/$1.yml" <<YAML
route:
  receiver: page
  group_by: [alertname, site]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: page
    webhook_configs:
      - url: http://127.0.0.1:$PAGE_PORT/page
        send_resolved: true
YAML
  mkdir -p "$WORK/$1-data"
  prometheus-alertmanager --config.file="$WORK/$1.yml" --storage.path="$WORK/$1-data" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$WORK/$1.log" 2>&1 &
  AM_PID=$!
  PIDS+=("$AM_PID")
  local deadline=$((SECONDS + 30))
  until curl -fsS "http://127.0.0.1:$AM_PORT/-/ready" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "FAIL: Alertmanager did not start:"; tail "$WORK/$1.log"; exit 1; }
    sleep 0.2
  done
  wait_port "$PAGE_PORT"
}
am_alerts() { curl -fsS "http://127.0.0.1:${1:-$AM_PORT}/api/v2/alerts"; }

start_alertmanager am
DEAD_PORT=$(free_port)  # nothing listens there
HOOK_PORT=$(free_port)
printf 'e2e-webhook-secret\n' >"$WORK/secret"
chmod 600 "$WORK/secret"
python3 "$SRC/tests/e2e/webhook_receiver.py" "$HOOK_PORT" "$WORK/hook.jsonl" --fail-first 3 --secret "$WORK/secret" \
  >"$WORK/hook.log" 2>&1 &
PIDS+=("$!")
wait_port "$HOOK_PORT"

echo "== (a) the sample province's alerts through the alert store and every sink"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$SRC/rules" \
  --state-dir "$WORK/state-a" --alerts-out "$WORK/alerts.jsonl" --alert-log "$WORK/alerts.log" \
  --alertmanager "http://127.0.0.1:$AM_PORT" --alertmanager "http://127.0.0.1:$DEAD_PORT" \
  --webhook "http://127.0.0.1:$HOOK_PORT/hook" --webhook-secret "$WORK/secret" \
  --external-url "http://soc.example:9750"
for f in log-dc-hatinh log-xa-camxuyen pkt-dc-hatinh pkt-xa-thachha; do
  send "$f" "${f#*-}" "$SRC/examples/events/$f.jsonl"
done
"$SOCCTL" replay --rules "$SRC/rules" --alert-log "$WORK/replay.log" \
  "$SRC"/examples/events/{log-dc-hatinh,log-xa-camxuyen,pkt-dc-hatinh,pkt-xa-thachha}.jsonl >"$WORK/replay.jsonl" 2>/dev/null
N=$(wc -l <"$WORK/replay.jsonl")
check_ge "the sample province raises alerts" "$N" 10
wait_for "the alerts" 30 has_lines "$WORK/alerts.jsonl" "$N"
check "the correlator raised as many alerts as replay" "$(lines_in "$WORK/alerts.jsonl")" "$N"
# Each batch was acknowledged after the store committed it and handed its notices on: once the
# log's queue is empty, the log holds every notice there will be.
wait_until "the alert log" 30 '[ "$(metric soc_alert_queue_depth '"'"'sink="log"'"'"')" == 0 ]'
NOTICES=$(notices_in "$WORK/alerts.log")
curl -fsS "http://127.0.0.1:$METRICS_PORT/api/v1/alerts?limit=1000" >"$WORK/api.json"
STORED=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["alerts"]))' "$WORK/api.json")
echo "   $N alerts, $STORED in the alert store, $NOTICES notices"
check_ge "at least one notice per stored alert (repeats, suppressed ones too, fold into them)" "$NOTICES" "$STORED"
wait_for "the webhook" 60 has_lines "$WORK/hook.jsonl" "$NOTICES"
AM_SINK="alertmanager:127.0.0.1:$AM_PORT"
wait_until "Alertmanager" 30 '[ "$(metric soc_alert_deliveries_total "result=\"ok\",sink=\"$AM_SINK\"")" == "$NOTICES" ]'
am_alerts >"$WORK/am.json"
curl -fsS "http://127.0.0.1:$AM_PORT/api/v2/alerts/groups" >"$WORK/am-groups.json"
python3 - "$WORK/alerts.jsonl" "$WORK/am.json" "$WORK/am-groups.json" >"$WORK/am-check.out" <<'PY'
import ipaddress, json, sys
alerts = [json.loads(l) for l in open(sys.argv[1])]
am = json.load(open(sys.argv[2]))
groups = json.load(open(sys.argv[3]))
words = {1: "informational", 2: "low", 3: "medium", 4: "high", 5: "critical"}
safe = {"alertname", "severity", "site", "rule_id", "observer_name", "asset_id", "asset_kind", "site_level",
        "soc_system_id", "soc_requirement_id", "event_dataset", "event_module", "event_action", "event_outcome",
        "network_transport", "network_protocol", "ndpi_protocol", "ndpi_category", "destination_port"}
problems = []
def is_ip(v):
    try:
        ipaddress.ip_address(v)
        return True
    except ValueError:
        return False
for a in am:
    for k, v in a["labels"].items():
        if k not in safe: problems.append("unbounded label %s=%s" % (k, v))
        if is_ip(v): problems.append("an address as a label: %s=%s" % (k, v))
    ann = a["annotations"]
    if a["status"]["state"] != "active": problems.append("not active: %s" % a["labels"])
    if not ann.get("summary", "").startswith(a["labels"]["alertname"]): problems.append("summary %r" % ann.get("summary"))
    if not ann.get("alert_url", "").startswith("http://soc.example:9750/api/v1/alerts/"):
        problems.append("alert_url %r" % ann.get("alert_url"))
    if not a.get("generatorURL", "").startswith("http://soc.example:9750/api/v1/alerts/"): problems.append("generatorURL %r" % a.get("generatorURL"))
    if a["endsAt"] <= a["updatedAt"]: problems.append("endsAt %s not in the future" % a["endsAt"])
# Every correlator alert is in one Alertmanager alert with its rule, severity word and site.
covered = 0
for a in alerts:
    want = {"alertname": a["rule.name"], "severity": words[a["event.severity"]], "rule_id": a["rule.id"]}
    if a.get("site.id"): want["site"] = a["site.id"]
    match = [x for x in am if all(x["labels"].get(k) == v for k, v in want.items())]
    if not match: problems.append("no Alertmanager alert for %s" % want)
    else: covered += 1
ids = sum(len(x["annotations"]["alert_ids"].split(",")) for x in am)
folded = max(len(x["annotations"]["alert_ids"].split(",")) for x in am)
pairs = {(x["labels"]["alertname"], x["labels"].get("site", "")) for x in am}
print("covered", covered)
print("am_alerts", len(am))
print("ids", ids)
print("folded", folded)
print("groups_ok", len(groups) == len(pairs) and all(set(g["labels"]) <= {"alertname", "site"} for g in groups))
for p in problems: print("problem", p)
PY
check "every correlator alert has its Alertmanager alert (rule name, severity word, site, rule id)" \
  "$(awk '$1 == "covered" {print $2}' "$WORK/am-check.out")" "$N"
check "labels hold no address and no unbounded field; annotations carry summary, links, evidence" \
  "$(grep -c '^problem' "$WORK/am-check.out" || true)" 0
{ grep '^problem' "$WORK/am-check.out" || true; } | head -10 | sed 's/^/    /'
check "each stored alert is counted once across the Alertmanager alerts (alert_ids)" \
  "$(awk '$1 == "ids" {print $2}' "$WORK/am-check.out")" "$STORED"
check_ge "stored alerts with one label set are folded into one Alertmanager alert" "$(awk '$1 == "folded" {print $2}' "$WORK/am-check.out")" 2
check "Alertmanager groups them by alertname and site" "$(awk '$1 == "groups_ok" {print $2}' "$WORK/am-check.out")" True
DEAD_SINK="alertmanager:127.0.0.1:$DEAD_PORT"
check "the live Alertmanager got every notice while the other was down" \
  "$(metric soc_alert_deliveries_total "result=\"ok\",sink=\"$AM_SINK\"")" "$NOTICES"
check "without drops or failures" \
  "$(metric soc_alert_deliveries_total "result=\"dropped\",sink=\"$AM_SINK\"")$(metric soc_alert_deliveries_total "result=\"failed\",sink=\"$AM_SINK\"")" 00
check "the dead one delivered nothing" "$(metric soc_alert_deliveries_total "result=\"ok\",sink=\"$DEAD_SINK\"")" 0
check_ge "and is being retried" "$(metric soc_alert_deliveries_total "result=\"retry\",sink=\"$DEAD_SINK\"")" 1
check_ge "its queue holds what it owes" "$(metric soc_alert_queue_depth "sink=\"$DEAD_SINK\"")" 1
wait_for "the page" 20 test -s "$WORK/paged.jsonl"
check_contains "Alertmanager paged its receiver" "$WORK/paged.jsonl" '"status": "firing"'

HOOK_SINK="webhook:127.0.0.1:$HOOK_PORT"
python3 - "$WORK/hook.jsonl" "$WORK/alerts.log" "$WORK/api.json" "$WORK/replay.log" >"$WORK/hook-check.out" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
log = [r for r in map(json.loads, open(sys.argv[2])) if r["record"] == "notice"]
api = json.load(open(sys.argv[3]))["alerts"]
replay = [r for r in map(json.loads, open(sys.argv[4])) if r["record"] == "notice"]
seq = lambda recs: [(r["notice"], r["alert"]["id"], r["alert"]["count"]) for r in recs]
print("same_as_log", seq([g["body"] for g in got]) == seq(log))
print("signed", all(g["signature_ok"] is True for g in got))
kinds = {g["body"]["notice"] for g in got}
print("kinds", "firing" in kinds and kinds <= {"firing", "repeat"})
print("linked", all(g["body"]["alert"]["url"] == "http://soc.example:9750/api/v1/alerts/%d" % g["body"]["alert"]["id"] for g in got))
print("fired_once", sorted(r["alert"]["id"] for r in log if r["notice"] == "firing") == sorted(a["id"] for a in api))
latest = {r["alert"]["id"]: r["alert"]["count"] for r in log}
print("counts_as_store", latest == {a["id"]: a["count"] for a in api})
print("rules_as_replay", {r["alert"]["rule"]["id"] for r in log} == {r["alert"]["rule"]["id"] for r in replay})
PY
value() { awk -v k="$1" '$1 == k {print $2}' "$WORK/hook-check.out"; }
check "the webhook got every notice once, in the alert log's order, after its first 3 requests failed" "$(value same_as_log)" True
check "each body signed with the secret (X-Soc-Signature, checked with python's hmac)" "$(value signed)" True
check "firing (and repeat) notices, each with its link" "$(grep -E '^(kinds|linked)' "$WORK/hook-check.out" | tr '\n' ' ')" \
  "kinds True linked True "
check "one firing notice per stored alert" "$(value fired_once)" True
check "each alert's latest notice has the store's count" "$(value counts_as_store)" True
check "the 3 failures were retried" "$(metric soc_alert_deliveries_total "result=\"retry\",sink=\"$HOOK_SINK\"")" 3
check "and every notice delivered" "$(metric soc_alert_deliveries_total "result=\"ok\",sink=\"$HOOK_SINK\"")" "$NOTICES"

check "its chain verifies" "$("$SOCCTL" audit verify "$WORK/alerts.log" >/dev/null; echo $?)" 0
check "the log sink delivered every notice" "$(metric soc_alert_deliveries_total 'result="ok",sink="log"')" "$NOTICES"
# socctl replay --alert-log writes the same records with the same code (one firing notice per
# alert: replay has no store to fold them).
check "socctl replay --alert-log logs the rules the correlator logged" "$(value rules_as_replay)" True
check "one notice per replayed alert" "$(notices_in "$WORK/replay.log")" "$N"
check "the replay's log verifies too" "$("$SOCCTL" audit verify "$WORK/replay.log" >/dev/null; echo $?)" 0

echo "== (d) the alert log across logrotate (SIGHUP) and a restart"
mv "$WORK/alerts.log" "$WORK/alerts.log.1"
kill -HUP "$CORRELATOR_PID"
failures "$WORK/brute1.jsonl" 198.18.5.1 12
send ssh1 dc-hatinh "$WORK/brute1.jsonl"
wait_for "the alert in the new file" 20 grep -q 198.18.5.1 "$WORK/alerts.log"
check_contains "the new file begins with a start record after the reopen" <(head -1 "$WORK/alerts.log") '"record":"start"'
check "the two files verify as one chain" "$("$SOCCTL" audit verify "$WORK/alerts.log.1" "$WORK/alerts.log" >/dev/null; echo $?)" 0
stop_correlator
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$SRC/rules" --alert-log "$WORK/alerts.log"
failures "$WORK/brute2.jsonl" 198.18.5.2 12
send ssh1 dc-hatinh "$WORK/brute2.jsonl"
wait_for "the alert after the restart" 20 grep -q 198.18.5.2 "$WORK/alerts.log"
check "the restart is on record" "$(grep -c '"record":"open"' "$WORK/alerts.log")" 1
check "and the chain still verifies across both files" \
  "$("$SOCCTL" audit verify "$WORK/alerts.log.1" "$WORK/alerts.log" >/dev/null; echo $?)" 0
stop_correlator

echo "== (b) through the alert store: a repeat, an acknowledgement and the resolution reach Alertmanager"
# A plain rule without suppress: its alert resolves after --alert-resolve-after without a repeat.
mkdir -p "$WORK/probe-rules"
cat >"$WORK/probe-rules/probe.yml" <<'YAML'
title: E2E sink probe
id: 5d0c3a52-7e4b-4c8e-9a51-2f6e0c1d9e01
name: e2e_sink_probe
status: test
description: An event of the alert sink test.
level: high
logsource: {product: linux, service: sshd}
detection:
  selection:
    event.action: e2e-sink-probe
  condition: selection
YAML
probe() {  # probe FILE IP COUNT: COUNT probe events from IP, timed now
  local t
  t=$(date -u +%Y-%m-%dT%H:%M:%S)
  for i in $(seq 1 "$3"); do
    printf '{"@timestamp":"%s.%06dZ","event.kind":"event","event.dataset":"sshd","event.category":["authentication"],"event.action":"e2e-sink-probe","source.ip":"%s","user.name":"admin"}\n' "$t" "$i" "$2"
  done >"$1"
}
printf 'e2e-api-token-0123456789abcdef\n' >"$WORK/token"
chmod 600 "$WORK/token"
HOOK2_PORT=$(free_port)
python3 "$SRC/tests/e2e/webhook_receiver.py" "$HOOK2_PORT" "$WORK/hook2.jsonl" >"$WORK/hook2.log" 2>&1 &
PIDS+=("$!")
wait_port "$HOOK2_PORT"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$WORK/probe-rules" \
  --state-dir "$WORK/state-b" --alert-resolve-after 30 --api-token "$WORK/token" \
  --alertmanager "http://127.0.0.1:$AM_PORT" --webhook "http://127.0.0.1:$HOOK2_PORT/hook" --alert-log "$WORK/b.log"
probe_am() {  # the Alertmanager alert of the probe: "COUNT STATE" of its annotations, or nothing
  am_alerts "${1:-$AM_PORT}" | python3 -c 'import json,sys
for a in json.load(sys.stdin):
    if a["labels"]["alertname"] == "E2E sink probe" and a["status"]["state"] == "active":
        print(a["annotations"]["count"], a["annotations"]["state"], a["labels"].get("site", "-"), a["annotations"]["alert_ids"])'
}
probe "$WORK/p1.jsonl" 203.0.113.77 1
T_FIRST=$SECONDS
send ssh1 dc-hatinh "$WORK/p1.jsonl"
wait_until "the probe's alert in Alertmanager" 20 '[ -n "$(probe_am)" ]'
check "the alert is in Alertmanager, open, at its site" "$(probe_am)" "1 open dc-hatinh 1"
ack=$(curl -sS -o "$WORK/ack.json" -w '%{http_code}' -H "Authorization: Bearer $(cat "$WORK/token")" \
  -d '{"by":"lan","comment":"e2e"}' "http://127.0.0.1:$METRICS_PORT/api/v1/alerts/1/ack")
check "the API acknowledges it" "$ack" 200
wait_until "the acknowledgement in Alertmanager" 20 '[ "$(probe_am | cut -d" " -f2)" == acknowledged ]'
check "Alertmanager shows it acknowledged" "$(probe_am)" "1 acknowledged dc-hatinh 1"
probe "$WORK/p2.jsonl" 203.0.113.77 2
send ssh1 dc-hatinh "$WORK/p2.jsonl"
T_LAST=$SECONDS
echo "   (the repeat came $((T_LAST - T_FIRST)) s after the first occurrence)"
wait_until "the repeat in Alertmanager" 20 '[ "$(probe_am | cut -d" " -f1)" == 3 ]'
check "a repeat in another batch folds into the same Alertmanager alert, still acknowledged" "$(probe_am)" \
  "3 acknowledged dc-hatinh 1"
wait_until "the resolution" 60 '[ -z "$(probe_am)" ]'
echo "   (gone from Alertmanager $((SECONDS - T_LAST)) s after the last occurrence; quiet period 30 s)"
check "the store resolved it after 30 s without a repeat and Alertmanager's active list lost it" "$(probe_am)" ""
probe_paged() { python3 - "$WORK/paged.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    p = json.loads(l)["body"]
    for a in p["alerts"]:
        if p["status"] == "resolved" and a["labels"]["alertname"] == "E2E sink probe":
            print(a["endsAt"] > a["startsAt"])
            sys.exit(0)
sys.exit(1)
PY
}
wait_for "the resolved page" 30 probe_paged
check "Alertmanager paged the resolution (endsAt after startsAt)" "$(probe_paged)" True
check "the store says resolved" \
  "$(curl -fsS "http://127.0.0.1:$METRICS_PORT/api/v1/alerts/1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')" resolved
wait_for "the webhook's notices" 20 has_lines "$WORK/hook2.jsonl" 4
check "the webhook got firing, acknowledged, repeat, resolved" \
  "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["body"]["notice"] for l in open(sys.argv[1])))' "$WORK/hook2.jsonl")" \
  "firing acknowledged repeat resolved"
check "and so did the alert log" \
  "$(python3 -c 'import json,sys; print(" ".join(r["notice"] for r in map(json.loads, open(sys.argv[1])) if r["record"] == "notice"))' "$WORK/b.log")" \
  "firing acknowledged repeat resolved"
stop_correlator

echo "== (f) an alert open across a restart is restated to Alertmanager, not logged again"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$WORK/probe-rules" \
  --state-dir "$WORK/state-b" --alert-resolve-after 600 --alertmanager "http://127.0.0.1:$AM_PORT" \
  --webhook "http://127.0.0.1:$HOOK2_PORT/hook" --alert-log "$WORK/b.log"
probe "$WORK/p3.jsonl" 203.0.113.78 1
send ssh1 dc-hatinh "$WORK/p3.jsonl"
wait_until "the second probe in Alertmanager" 20 '[ -n "$(probe_am)" ]'
stop_correlator
before_log=$(notices_in "$WORK/b.log")
before_hook=$(lines_in "$WORK/hook2.jsonl")
AM1_PORT=$AM_PORT
start_alertmanager am2  # it never heard of the alert
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$WORK/probe-rules" \
  --state-dir "$WORK/state-b" --alert-resolve-after 600 --alertmanager "http://127.0.0.1:$AM_PORT" \
  --webhook "http://127.0.0.1:$HOOK2_PORT/hook" --alert-log "$WORK/b.log"
wait_until "the restated alert" 20 '[ -n "$(probe_am)" ]'
check "the new Alertmanager has the alert still open in the store, without a new event" "$(probe_am)" "1 open dc-hatinh 2"
check_contains "the correlator says so" "$WORK/correlator.log" "1 open alerts restated to the alert sinks"
sleep 1
check "the alert log got no notice again (only the restart's open record)" "$(notices_in "$WORK/b.log")" "$before_log"
check "nor the webhook" "$(lines_in "$WORK/hook2.jsonl")" "$before_hook"
stop_correlator
AM_PORT=$AM1_PORT

echo "== (c) a webhook that hangs delays neither the alert log nor the rules"
HANG_PORT=$(free_port)
python3 "$SRC/tests/e2e/webhook_receiver.py" "$HANG_PORT" "$WORK/hang.jsonl" --hang >"$WORK/hang-receiver.log" 2>&1 &
PIDS+=("$!")
wait_port "$HANG_PORT"
now_ms() { date +%s%3N; }
# measure LOG TAG IP: sends a brute force; prints "SEND_MS LOG_MS": how long socctl send took
# (acknowledged once the rules ran) and from the send's start to the alert in the alert log.
measure() {
  failures "$WORK/m-$2.jsonl" "$3" 12
  local t0 t1 t2
  t0=$(now_ms)
  send ssh1 dc-hatinh "$WORK/m-$2.jsonl"
  t1=$(now_ms)
  local deadline=$((SECONDS + 60))
  until grep -q "$3" "$1" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.01; done
  t2=$(now_ms)
  echo "$((t1 - t0)) $((t2 - t0))"
}
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$SRC/rules" --alert-log "$WORK/none.log"
measure "$WORK/none.log" warm 198.18.5.50 >/dev/null
read -r send_none log_none < <(measure "$WORK/none.log" none 198.18.5.51)
per_run=$(notices_in "$WORK/none.log")
stop_correlator
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$SRC/rules" --alert-log "$WORK/hang.log" \
  --webhook "http://127.0.0.1:$HANG_PORT/hook" --alert-http-timeout 60
measure "$WORK/hang.log" warm 198.18.5.60 >/dev/null  # the webhook's worker now waits on its first request
read -r send_hang log_hang < <(measure "$WORK/hang.log" hang 198.18.5.61)
echo "   no webhook:      send ${send_none} ms, alert in the log ${log_none} ms after the send began"
echo "   hanging webhook: send ${send_hang} ms, alert in the log ${log_hang} ms after the send began"
# Were the sink on the alert path, each figure would take the 60 s request timeout.
if [ "$log_hang" -le $((log_none + 1500)) ] && [ "$log_hang" -lt 5000 ]; then
  echo "ok: the hanging webhook does not delay the alert log (${log_hang} ms vs ${log_none} ms)"
else echo "FAIL: the alert log waited for the hanging webhook (${log_hang} ms vs ${log_none} ms)"; FAILS=$((FAILS + 1)); fi
if [ "$send_hang" -le $((send_none + 1500)) ] && [ "$send_hang" -lt 5000 ]; then
  echo "ok: the hanging webhook does not delay the rules (send acknowledged in ${send_hang} ms vs ${send_none} ms)"
else echo "FAIL: the rules waited for the hanging webhook (${send_hang} ms vs ${send_none} ms)"; FAILS=$((FAILS + 1)); fi
check "the rules saw both brute forces, as without the webhook" "$(notices_in "$WORK/hang.log")" "$per_run"
HANG_SINK="webhook:127.0.0.1:$HANG_PORT"
check "the hanging webhook delivered nothing" "$(metric soc_alert_deliveries_total "result=\"ok\",sink=\"$HANG_SINK\"")" 0
check "and holds their notices in its queue" "$(metric soc_alert_queue_depth "sink=\"$HANG_SINK\"")" "$per_run"
t0=$(now_ms)
stop_correlator
stop_ms=$(( $(now_ms) - t0 ))
# The drain (5 s) ends with the request in flight aborted, not at its 60 s timeout.
check "the correlator stops within the drain time, the hanging request aborted" \
  "$([ "$stop_ms" -lt 15000 ] && echo yes || echo "no: $stop_ms ms")" yes
echo "   (stopped in $stop_ms ms)"

echo "== (e) bad sink flags are refused (exit 78) with the reason"
refused() {  # refused "what" TEXT ARGS...: the correlator must exit 78 saying TEXT
  local what=$1 text=$2 rc=0
  shift 2
  timeout 20 "$CORRELATOR" --insecure --listen "tcp://127.0.0.1:$(free_port)" --metrics "127.0.0.1:$(free_port)" \
    --publish "" "$@" >"$WORK/refused.log" 2>&1 || rc=$?
  check "$what: exit 78" "$rc" 78
  check_contains "$what: the reason" "$WORK/refused.log" "$text"
}
chmod 644 "$WORK/secret"
refused "a webhook secret others can read" "--webhook-secret: $WORK/secret can be read by other users (mode 0644); a secret must be readable by its owner only; run: chmod 600 $WORK/secret" \
  --webhook "http://127.0.0.1:$HOOK_PORT/hook" --webhook-secret "$WORK/secret"
refused "an Alertmanager URL that is none" "--alertmanager: 'alertmanager:9093'" --alertmanager alertmanager:9093
refused "an unknown fsync policy" "--alert-log-fsync: 'sometimes' is not an fsync policy: always, interval or never" \
  --alert-log "$WORK/x.log" --alert-log-fsync sometimes
printf 'not\na chained log\n' >"$WORK/foreign.log"
refused "an alert log that is another file" "--alert-log: $WORK/foreign.log:2: not a chained alert log" --alert-log "$WORK/foreign.log"
check "which is left as it was" "$(cat "$WORK/foreign.log")" "$(printf 'not\na chained log')"

finish
