#!/usr/bin/env bash
# The rule engine live in the correlator (soc-correlator --rules): alerts on the feed, in
# --alerts-out and in soc_alerts_total; the same alerts as `socctl replay` on the same events;
# reloads (a broken rule keeps the old set; a good one adds a rule; unchanged rules keep their
# open windows); timers (a window-end condition fires without more events).
source "$(dirname "$0")/lib.sh"
need curl python3

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

# failures FILE IP START_SECOND COUNT: failed SSH logins, one every 2 s from 08:00:START_SECOND.
failures() {
  awk -v ip="$2" -v s="$3" -v n="$4" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "{\"@timestamp\":\"2026-11-20T08:00:%02d.000000Z\",\"event.kind\":\"event\",\"event.dataset\":\"sshd\",\"event.category\":[\"authentication\"],\"event.outcome\":\"failure\",\"source.ip\":\"%s\",\"user.name\":\"root\"}\n", s + 2 * i, ip
  }' >"$1"
}

# wait_for "what" COMMAND...: polls COMMAND (up to 15 s) until it succeeds.
wait_for() {
  local what=$1 deadline=$((SECONDS + 15))
  shift
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then echo "(timed out waiting for $what)"; return 0; fi
    sleep 0.2
  done
}
lines() { if [ -f "$1" ]; then grep -c -- "$2" "$1" || true; else echo 0; fi; }
has_lines() { [ "$(lines "$1" "$2")" -ge "$3" ]; }
metric_is() { [ "$(metric "$1" "$2")" == "$3" ]; }

BRUTE=6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a03
FAILURE=6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a01

echo "== (a) live alerts: feed, --alerts-out, soc_alerts_total"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$SRC/rules" \
  --alerts-out "$WORK/alerts.jsonl"
"$SOCCTL" tail --connect "tcp://127.0.0.1:$PUBLISH_PORT" --alerts --json --api "" --count 1 --timeout 60 >"$WORK/tail.out" 2>&1 &
tail_pid=$!
PIDS+=("$tail_pid")
sleep 0.5  # let the subscription reach the correlator
check "the shipped pack is loaded" "$(metric soc_rules_loaded '')" "$("$SOCCTL" rules check "$SRC/rules" | awk '{print $1}')"
check "no rule failed" "$(metric soc_rules_failed '')" 0
failures "$WORK/brute.jsonl" 203.0.113.50 0 12
send ssh1 dc-hatinh "$WORK/brute.jsonl"
wait_for "the alert in --alerts-out" has_lines "$WORK/alerts.jsonl" "\"rule.id\":\"$BRUTE\"" 1
check "--alerts-out holds one brute-force alert" "$(lines "$WORK/alerts.jsonl" "\"rule.id\":\"$BRUTE\"")" 1
check_contains "with the attacker's address" "$WORK/alerts.jsonl" '"source.ip":"203.0.113.50"'
check_contains "and the technique" "$WORK/alerts.jsonl" '"threat.technique.id":["T1110.001"]'
wait "$tail_pid" || true
check "socctl tail --alerts showed it as it fired" "$(lines "$WORK/tail.out" "\"rule.id\":\"$BRUTE\"")" 1
check "soc_alerts_total counts it, at the site of its evidence" "$(metric soc_alerts_total "rule=\"$BRUTE\",severity=\"high\",site=\"dc-hatinh\"")" 1
# The rule statistics reach /metrics on the stage's next tick (every 250 ms), not with the alert.
wait_for "the rule metrics" metric_is soc_rule_state_groups "rule=\"$BRUTE\"" 1
check "soc_rule_matches_total counts the failed logins" "$(metric soc_rule_matches_total "rule=\"$FAILURE\"")" 12
# 12 failures: the brute force (5 in 10 minutes) fires at the 5th and the 10th; the second fire
# is suppressed (one alert per address and 10 minutes) but counted as a match.
check "and the correlation's fires" "$(metric soc_rule_matches_total "rule=\"$BRUTE\"")" 2
check "the brute force keeps one open group" "$(metric soc_rule_state_groups "rule=\"$BRUTE\"")" 1
check_ge "evaluation time is observed (sampled)" "$(metric soc_rule_eval_seconds_count '')" 1
curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" >"$WORK/metrics.txt"
check_contains "the histogram has buckets" "$WORK/metrics.txt" 'soc_rule_eval_seconds_bucket{le="1e-06"}'
stop_correlator

echo "== (b) live == replay on the same events"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$SRC/rules" \
  --alerts-out "$WORK/live.jsonl"
for f in log-dc-hatinh log-xa-camxuyen pkt-dc-hatinh pkt-xa-thachha; do
  send "$f" "${f#*-}" "$SRC/examples/events/$f.jsonl"
done
"$SOCCTL" replay --rules "$SRC/rules" "$SRC"/examples/events/{log-dc-hatinh,log-xa-camxuyen,pkt-dc-hatinh,pkt-xa-thachha}.jsonl \
  >"$WORK/replay.jsonl" 2>/dev/null
want=$(wc -l <"$WORK/replay.jsonl")
check_ge "replay raises alerts on the sample province" "$want" 10
# (The default pack has no window-end condition, so replay's flush at the end of input adds
# nothing that live would raise only after the idle timeout; (e) tests that path.)
wait_for "the live alerts" has_lines "$WORK/live.jsonl" '"event.kind":"alert"' "$want"
key='import json,sys
for l in open(sys.argv[1]):
    a = json.loads(l)
    print(a["rule.id"], a.get("soc.group", ""), a.get("source.ip", ""), a.get("destination.ip", ""), a.get("user.name", ""), a.get("soc.count"), a.get("event.start", ""), a.get("event.end", ""))'
python3 -c "$key" "$WORK/replay.jsonl" | sort >"$WORK/replay.keys"
python3 -c "$key" "$WORK/live.jsonl" | sort >"$WORK/live.keys"
if diff "$WORK/replay.keys" "$WORK/live.keys" >"$WORK/keys.diff"; then
  echo "ok: live alerts equal replay's ($want, by rule.id, group values, count and evidence times)"
else
  echo "FAIL: live alerts differ from replay's:"; sed 's/^/    /' "$WORK/keys.diff" | head -20
  FAILS=$((FAILS + 1))
fi
check "soc_alerts_total agrees" "$(curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" | awk '/^soc_alerts_total/ {s += $2} END {print s + 0}')" "$want"
stop_correlator

echo "== (c) a reload with a broken rule keeps the old set; a good reload adds a rule"
mkdir -p "$WORK/rules"
cp -r "$SRC/rules/linux" "$WORK/rules/"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$WORK/rules" \
  --alerts-out "$WORK/reload.jsonl"
loaded=$(metric soc_rules_loaded '')
cat >"$WORK/rules/broken.yml" <<'YAML'
title: broken
detection:
  sel:
    process.name|endwith: sshd
  condition: sel
YAML
kill -HUP "$CORRELATOR_PID"
wait_for "the failed reload" metric_is soc_rules_reload_total 'result="failure"' 1
check "the reload failed" "$(metric soc_rules_reload_total 'result="failure"')" 1
check "no reload succeeded" "$(metric soc_rules_reload_total 'result="success"')" 0
check "the old rules still run" "$(metric soc_rules_loaded '')" "$loaded"
check "the refused rule is counted" "$(metric soc_rules_failed '')" 1
check_contains "the log says why, with file:line:column" "$WORK/correlator.log" \
  "broken.yml:4:5: error[rule.bad_modifier]: unknown value modifier 'endwith'"
failures "$WORK/brute2.jsonl" 203.0.113.60 0 10
send ssh1 dc-hatinh "$WORK/brute2.jsonl"
wait_for "an alert after the failed reload" has_lines "$WORK/reload.jsonl" '203.0.113.60' 1
check "alerts still fire after the failed reload" "$(lines "$WORK/reload.jsonl" "\"rule.id\":\"$BRUTE\"")" 1
# The fix, and a new rule, picked up from the folder change alone (no signal).
cat >"$WORK/rules/broken.yml" <<'YAML'
title: Root login attempt
id: 11111111-2222-4333-8444-555555555555
level: medium
logsource: {product: linux, service: sshd}
detection:
  sel:
    user.name|endswith: oot
  condition: sel
YAML
wait_for "the good reload" metric_is soc_rules_reload_total 'result="success"' 1
check "the folder change reloaded" "$(metric soc_rules_reload_total 'result="success"')" 1
check "with one rule more" "$(metric soc_rules_loaded '')" "$((loaded + 1))"
check "nothing refused now" "$(metric soc_rules_failed '')" 0
failures "$WORK/one.jsonl" 203.0.113.61 40 1
send ssh1 dc-hatinh "$WORK/one.jsonl"
wait_for "the new rule's alert" has_lines "$WORK/reload.jsonl" '11111111-2222-4333-8444-555555555555' 1
check "the new rule fires" "$(lines "$WORK/reload.jsonl" '"rule.id":"11111111-2222-4333-8444-555555555555"')" 1

echo "== (d) open windows of unchanged rules survive a reload"
failures "$WORK/half1.jsonl" 203.0.113.70 10 5
failures "$WORK/half2.jsonl" 203.0.113.70 20 5
send ssh1 dc-hatinh "$WORK/half1.jsonl"
before=$(metric soc_rules_reload_total 'result="success"')
# A new file that sorts first moves every other rule to a new index in the set.
sed 's/11111111-2222-4333-8444-555555555555/11111111-2222-4333-8444-666666666666/; s/title: Root login attempt/title: Root login attempt (copy)/' \
  "$WORK/rules/broken.yml" >"$WORK/rules/aaa.yml"
kill -HUP "$CORRELATOR_PID"
wait_for "the reload" metric_is soc_rules_reload_total 'result="success"' "$((before + 1))"
check "SIGHUP reloaded" "$(metric soc_rules_reload_total 'result="success"')" "$((before + 1))"
check "with the new file's rule" "$(metric soc_rules_loaded '')" "$((loaded + 2))"
send ssh1 dc-hatinh "$WORK/half2.jsonl"
wait_for "the brute force across the reload" has_lines "$WORK/reload.jsonl" "\"rule.id\":\"$BRUTE\",.*203.0.113.70" 1
check "half before and half after the reload make one alert" \
  "$(grep "\"rule.id\":\"$BRUTE\"" "$WORK/reload.jsonl" | grep -c '"source.ip":"203.0.113.70"')" 1
check_contains "counting all ten failures" "$WORK/reload.jsonl" '"soc.count":10,"event.start":"2026-11-20T08:00:10.000000Z"'
# A changed rule starts over: the brute force needs 3 now, its old windows are gone.
failures "$WORK/half3.jsonl" 203.0.113.80 0 2
send ssh1 dc-hatinh "$WORK/half3.jsonl"
sed -i 's/condition: {gte: 10}/condition: {gte: 3}/' "$WORK/rules/linux/ssh_bruteforce.yml"
before=$(metric soc_rules_reload_total 'result="success"')
kill -HUP "$CORRELATOR_PID"
wait_for "the reload" metric_is soc_rules_reload_total 'result="success"' "$((before + 1))"
failures "$WORK/half4.jsonl" 203.0.113.80 10 2
send ssh1 dc-hatinh "$WORK/half4.jsonl"
sleep 1
check "a changed rule does not count what it saw before the reload" \
  "$(grep "\"rule.id\":\"$BRUTE\"" "$WORK/reload.jsonl" | grep -c '"source.ip":"203.0.113.80"' || true)" 0
failures "$WORK/half5.jsonl" 203.0.113.80 20 1
send ssh1 dc-hatinh "$WORK/half5.jsonl"
wait_for "the changed rule's alert" has_lines "$WORK/reload.jsonl" "\"rule.id\":\"$BRUTE\",.*203.0.113.80" 1
check "it fires on new evidence" "$(grep "\"rule.id\":\"$BRUTE\"" "$WORK/reload.jsonl" | grep -c '"source.ip":"203.0.113.80"')" 1
stop_correlator

echo "== (e) a window-end condition fires without more events (idle watermark)"
mkdir -p "$WORK/timer"
cat >"$WORK/timer/quiet.yml" <<'YAML'
title: SSH failure
id: 22222222-0000-4000-8000-000000000001
name: ssh_fail
level: low
logsource: {product: linux, service: sshd}
detection:
  sel:
    event.outcome: failure
  condition: sel
---
title: Few SSH failures from one address
id: 22222222-0000-4000-8000-000000000002
level: low
correlation:
  type: event_count
  rules: [ssh_fail]
  group-by: [source.ip]
  timespan: 2s
  condition: {lt: 5}
YAML
# A broken rule at startup is reported and skipped; the others run.
printf 'title: broken at start\ndetection:\n  sel: {x|nope: 1}\n  condition: sel\n' >"$WORK/timer/broken.yml"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --rules "$WORK/timer" \
  --alerts-out "$WORK/timer.jsonl"
check "the broken rule is counted" "$(metric soc_rules_failed '')" 1
check "the others run" "$(metric soc_rules_loaded '')" 2
check_contains "the log names it with file:line:column" "$WORK/correlator.log" "broken.yml:3:9: error[rule.bad_modifier]"
failures "$WORK/few.jsonl" 203.0.113.90 0 1
send ssh1 dc-hatinh "$WORK/few.jsonl"
# The window (2 s) plus the allowed lateness (60 s) must pass on the wall clock.
deadline=$((SECONDS + 90))
until has_lines "$WORK/timer.jsonl" 22222222-0000-4000-8000-000000000002 1 || [ "$SECONDS" -ge "$deadline" ]; do sleep 1; done
check "the lt condition fired with no further event" \
  "$(lines "$WORK/timer.jsonl" '"rule.id":"22222222-0000-4000-8000-000000000002"')" 1
check "its group is closed" "$(metric soc_rule_state_groups 'rule="22222222-0000-4000-8000-000000000002"')" 0
stop_correlator

echo "== a rule folder that cannot be read is a configuration error"
set +e
"$CORRELATOR" --insecure --listen "tcp://127.0.0.1:$(free_port)" --metrics "127.0.0.1:$(free_port)" --publish "" \
  --rules "$WORK/no-such-folder" >"$WORK/missing.out" 2>&1
rc=$?
set -e
check "exit 78" "$rc" 78
check_contains "naming the folder" "$WORK/missing.out" "no-such-folder"

finish
