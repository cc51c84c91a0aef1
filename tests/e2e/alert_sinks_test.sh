#!/usr/bin/env bash
# The correlator's alert sinks end to end, against real peers on loopback (docs/adr/0022):
#  (a) the sample province's alerts reach a real Alertmanager (Debian prometheus-alertmanager,
#      started here) with the right labels and annotations, read back through its API; a second
#      Alertmanager URL that is down changes nothing for the first; a webhook that fails its
#      first requests gets every alert once, signed; the alert log holds them all, chained;
#  (b) repeats fold into one Alertmanager alert, and a resolution reaches it and is paged as
#      resolved (notices from notice_driver, the sinks' own code, as the alert store sends them);
#  (c) a webhook that hangs delays neither the alert log nor the rules (measured);
#  (d) the alert log across SIGHUP after logrotate and across a restart;
#  (e) bad sink flags are refused with exit 78 and the reason.
source "$(dirname "$0")/lib.sh"
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
notices_in() { if [ -f "$1" ]; then grep -c '"record":"notice"' "$1" || true; else echo 0; fi; }
has_notices() { [ "$(notices_in "$1")" -ge "$2" ]; }
lines_in() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
has_lines() { [ "$(lines_in "$1")" -ge "$2" ]; }

# start_alertmanager: a real Alertmanager on loopback; it pages a webhook receiver ($WORK/paged.jsonl).
start_alertmanager() {
  AM_PORT=$(free_port)
  PAGE_PORT=$(free_port)
  python3 "$SRC/tests/e2e/webhook_receiver.py" "$PAGE_PORT" "$WORK/paged.jsonl" >"$WORK/page.log" 2>&1 &
  PIDS+=("$!")
  cat >"$WORK/am.yml" <<YAML
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
  mkdir -p "$WORK/am-data"
  prometheus-alertmanager --config.file="$WORK/am.yml" --storage.path="$WORK/am-data" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$WORK/am.log" 2>&1 &
  AM_PID=$!
  PIDS+=("$AM_PID")
  local deadline=$((SECONDS + 30))
  until curl -fsS "http://127.0.0.1:$AM_PORT/-/ready" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "FAIL: Alertmanager did not start:"; tail "$WORK/am.log"; exit 1; }
    sleep 0.2
  done
  wait_port "$PAGE_PORT"
}
am_alerts() { curl -fsS "http://127.0.0.1:$AM_PORT/api/v2/alerts"; }

start_alertmanager
DEAD_PORT=$(free_port)  # nothing listens there
HOOK_PORT=$(free_port)
printf 'e2e-webhook-secret\n' >"$WORK/secret"
chmod 600 "$WORK/secret"
python3 "$SRC/tests/e2e/webhook_receiver.py" "$HOOK_PORT" "$WORK/hook.jsonl" --fail-first 3 --secret "$WORK/secret" \
  >"$WORK/hook.log" 2>&1 &
PIDS+=("$!")
wait_port "$HOOK_PORT"

echo "== (a) the sample province's alerts through every sink"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$SRC/rules" \
  --alerts-out "$WORK/alerts.jsonl" --alert-log "$WORK/alerts.log" \
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
wait_for "the alert log" 30 has_notices "$WORK/alerts.log" "$N"
wait_for "the webhook" 60 has_lines "$WORK/hook.jsonl" "$N"
AM_SINK="alertmanager:127.0.0.1:$AM_PORT"
wait_for "Alertmanager" 30 test "$(metric soc_alert_deliveries_total "result=\"ok\",sink=\"$AM_SINK\"")" == "$N"
check "the correlator raised as many alerts as replay" "$(lines_in "$WORK/alerts.jsonl")" "$N"
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
    ids = ann["alert_ids"].split(",")
    if ann.get("alert_url") != "http://soc.example:9750/api/v1/alerts/" + ids[-1] and len(ids) == 1:
        problems.append("alert_url %r for ids %s" % (ann.get("alert_url"), ids))
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
    for f in ("source.ip", "user.name"):
        text = lambda x: x["annotations"].get("evidence", "") + x["annotations"]["summary"] + x["annotations"].get("alerts", "")
        if a.get(f) and not any(str(a[f]) in text(x) for x in match):
            problems.append("%s=%s of %s not in the annotations" % (f, a[f], a["rule.name"]))
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
check "each alert is counted once across the Alertmanager alerts (alert_ids)" "$(awk '$1 == "ids" {print $2}' "$WORK/am-check.out")" "$N"
check_ge "alerts with one label set are folded into one Alertmanager alert" "$(awk '$1 == "folded" {print $2}' "$WORK/am-check.out")" 2
am_n=$(awk '$1 == "am_alerts" {print $2}' "$WORK/am-check.out")
if [ "$am_n" -lt "$N" ]; then echo "ok: $N alerts are $am_n Alertmanager alerts"; else echo "FAIL: $N alerts, $am_n Alertmanager alerts"; FAILS=$((FAILS + 1)); fi
check "Alertmanager groups them by alertname and site" "$(awk '$1 == "groups_ok" {print $2}' "$WORK/am-check.out")" True
DEAD_SINK="alertmanager:127.0.0.1:$DEAD_PORT"
check "the live Alertmanager got every notice while the other was down" \
  "$(metric soc_alert_deliveries_total "result=\"ok\",sink=\"$AM_SINK\"")" "$N"
check "without drops or failures" \
  "$(metric soc_alert_deliveries_total "result=\"dropped\",sink=\"$AM_SINK\"")$(metric soc_alert_deliveries_total "result=\"failed\",sink=\"$AM_SINK\"")" 00
check "the dead one delivered nothing" "$(metric soc_alert_deliveries_total "result=\"ok\",sink=\"$DEAD_SINK\"")" 0
check_ge "and is being retried" "$(metric soc_alert_deliveries_total "result=\"retry\",sink=\"$DEAD_SINK\"")" 1
check_ge "its queue holds what it owes" "$(metric soc_alert_queue_depth "sink=\"$DEAD_SINK\"")" 1
wait_for "the page" 20 test -s "$WORK/paged.jsonl"
check_contains "Alertmanager paged its receiver" "$WORK/paged.jsonl" '"status": "firing"'

HOOK_SINK="webhook:127.0.0.1:$HOOK_PORT"
python3 - "$WORK/hook.jsonl" "$N" >"$WORK/hook-check.out" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
ids = [g["body"]["alert"]["id"] for g in got]
print("in_order_once", ids == list(range(1, n + 1)))
print("signed", all(g["signature_ok"] is True for g in got))
print("kinds", sorted({g["body"]["notice"] for g in got}))
print("linked", all(g["body"]["alert"]["url"] == "http://soc.example:9750/api/v1/alerts/%d" % g["body"]["alert"]["id"] for g in got))
PY
check "the webhook got every alert once, in order, after its first 3 requests failed" \
  "$(awk '$1 == "in_order_once" {print $2}' "$WORK/hook-check.out")" True
check "each body signed with the secret (X-Soc-Signature, checked with python's hmac)" \
  "$(awk '$1 == "signed" {print $2}' "$WORK/hook-check.out")" True
check "each a firing notice with its link" "$(grep -E '^(kinds|linked)' "$WORK/hook-check.out" | tr '\n' ' ')" "kinds ['firing'] linked True "
check "the 3 failures were retried" "$(metric soc_alert_deliveries_total "result=\"retry\",sink=\"$HOOK_SINK\"")" 3
check "and every notice delivered" "$(metric soc_alert_deliveries_total "result=\"ok\",sink=\"$HOOK_SINK\"")" "$N"

check "the alert log holds one notice per alert" "$(notices_in "$WORK/alerts.log")" "$N"
check "its chain verifies" "$("$SOCCTL" audit verify "$WORK/alerts.log" >/dev/null; echo $?)" 0
check "the log sink delivered every notice" "$(metric soc_alert_deliveries_total 'result="ok",sink="log"')" "$N"
# socctl replay --alert-log writes the same records (the same code) for the same alerts.
key='import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["record"] != "notice": continue
    e = r["alert"]["event"]
    print(r["notice"], e["rule.id"], e.get("soc.group", ""), e.get("source.ip", ""), r["alert"]["count"], r["alert"]["first_seen"], r["alert"]["last_seen"], r["alert"]["severity"]["word"])'
python3 -c "$key" "$WORK/alerts.log" | sort >"$WORK/live.keys"
python3 -c "$key" "$WORK/replay.log" | sort >"$WORK/replay.keys"
if diff "$WORK/replay.keys" "$WORK/live.keys" >"$WORK/keys.diff"; then
  echo "ok: socctl replay --alert-log and the correlator log the same notices ($N)"
else
  echo "FAIL: the replay's alert log differs from the correlator's:"; head -10 "$WORK/keys.diff" | sed 's/^/    /'
  FAILS=$((FAILS + 1))
fi
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

echo "== (b) repeats fold and a resolution reaches Alertmanager (notices as the alert store sends them)"
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
alert = {"rule.id": "e2e-resolve", "rule.name": "E2E resolution", "event.severity": 3, "site.id": "dc-hatinh",
         "source.ip": "203.0.113.77", "user.name": "admin", "soc.group": "source.ip=203.0.113.77"}
def line(kind, count):
    return json.dumps({"kind": kind, "id": 500, "count": count, "first_seen": "2026-12-04T08:00:00.000000Z",
                       "last_seen": "2026-12-04T08:05:00.000000Z", "alert": alert}) + "\n"
open(w + "/firing.jsonl", "w").write(line("firing", 1) + line("repeat", 2) + line("repeat", 7))
open(w + "/resolved.jsonl", "w").write(line("resolved", 7))
PY
"$NOTICE_DRIVER" --alertmanager "http://127.0.0.1:$AM_PORT" --external-url "http://soc.example:9750" "$WORK/firing.jsonl" >"$WORK/d1.out"
am_alerts >"$WORK/am2.json"
python3 - "$WORK/am2.json" >"$WORK/fold.out" <<'PY'
import json, sys
am = [a for a in json.load(open(sys.argv[1])) if a["labels"]["alertname"] == "E2E resolution"]
print(len(am), am[0]["annotations"]["count"] if am else "-", am[0]["startsAt"][:19] if am else "-", am[0]["status"]["state"] if am else "-")
PY
check "three notices of one alert are one Alertmanager alert, with the latest count, active since first seen" \
  "$(cat "$WORK/fold.out")" "1 7 2026-12-04T08:00:00 active"
"$NOTICE_DRIVER" --alertmanager "http://127.0.0.1:$AM_PORT" "$WORK/resolved.jsonl" >"$WORK/d2.out"
check_contains "the resolution was delivered" "$WORK/d2.out" "ok=1 retry=0 dropped=0 failed=0"
check "the resolved alert left Alertmanager's active list" \
  "$(am_alerts | python3 -c 'import json,sys; print(sum(a["labels"]["alertname"] == "E2E resolution" for a in json.load(sys.stdin)))')" 0
resolved_paged() { python3 - "$WORK/paged.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    p = json.loads(l)["body"]
    if p["status"] == "resolved" and any(a["labels"]["alertname"] == "E2E resolution" for a in p["alerts"]):
        a = [a for a in p["alerts"] if a["labels"]["alertname"] == "E2E resolution"][0]
        print(a["endsAt"] > a["startsAt"])
        sys.exit(0)
sys.exit(1)
PY
}
wait_for "the resolved page" 30 resolved_paged
check "Alertmanager paged the resolution (endsAt after startsAt)" "$(resolved_paged)" True

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
