#!/usr/bin/env bash
# The alert store, its lifecycle and the HTTP API with real correlator processes (issue 10,
# part A; docs/adr/0020, 0021, docs/api.md): alerts committed before the batch's ack, folded
# repeats, alerts that name the account, evidence, acknowledgement by socctl, resolution by the
# store's timer without new events and by a baseline finding that clears, bad input refused
# without change, and everything still open and acknowledged after a restart.
source "$(dirname "$0")/lib.sh"
need ss curl python3

api() { curl -sS "http://127.0.0.1:$METRICS_PORT$1"; }
# jq-like: json EXPR < doc, with `d` the parsed document (python3, no jq on CI).
json() { python3 -c "import json,sys; d=json.load(sys.stdin); r=($1); print(r if not isinstance(r,(dict,list)) else json.dumps(r, ensure_ascii=False))"; }
# alert_of RULE_NAME IP: the id of the alert of that rule whose group holds IP
alert_of() {
  api "/api/v1/alerts?limit=1000" |
    json "[a['id'] for a in d['alerts'] if a['rule']['name'] == '$1' and '$2' in json.dumps(a['group'])][0]"
}
state_of() { api "/api/v1/alerts/$1" | json "d['state']"; }
wait_for() {  # wait_for SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
is_state() { [ "$(state_of "$1")" == "$2" ]; }

make_keys server log-xa pkt-xa
cat >"$WORK/inventory.yaml" <<YAML
timezone: "+07:00"
sites:
  - {id: xa-thach-ha, name: "UBND xã Thạch Hà", kind: commune}
systems:
  - {id: dvc, name: "Dịch vụ công", level: 3, sites: [xa-thach-ha], last_assessment: $(date -u +%F)}
sensors:
  - {id: log-xa, site: xa-thach-ha, kind: log, public_key: "$(cat "$WORK/log-xa.pub")"}
  - {id: pkt-xa, site: xa-thach-ha, kind: packet, public_key: "$(cat "$WORK/pkt-xa.pub")"}
YAML
cat >"$WORK/baseline.yaml" <<'YAML'
baseline: {id: e2e, version: '1'}
requirements:
  - {id: MON-02, title: {vi: "Cảm biến", en: Packet sensor reporting}, reference: r, levels: [3],
     check: {kind: sensor_reporting, sensor_kind: packet, window: 4s}}
YAML
mkdir -p "$WORK/rules"
cp "$SRC/rules/linux/ssh_bruteforce.yml" "$WORK/rules/"
# A rule that resolves quickly: 5 s without a repeat of the same user.
cat >"$WORK/rules/poke.yml" <<'YAML'
title: Test poke
id: 11111111-2222-4333-8444-555555555555
level: low
suppress: {timespan: 5s, by: [user.name]}
detection:
  sel: {event.dataset: test, event.action: poke}
  condition: sel
YAML
printf 's3cret-%s\n' "$RANDOM$RANDOM" >"$WORK/token"
chmod 600 "$WORK/token"
mkdir -p "$WORK/state"

send() {  # send SENSOR FILE
  "$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/$1.key" \
    --sensor-id "$1" --site xa-thach-ha --quiet "$2"
}
sshd() {  # sshd FILE IP OUTCOME USER FIRST_SECOND COUNT: sshd events one second apart from 08:MM:SS
  awk -v ip="$2" -v out="$3" -v user="$4" -v s="$5" -v n="$6" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "{\"@timestamp\":\"2026-11-20T08:%02d:%02d.000000Z\",\"event.kind\":\"event\",\"event.dataset\":\"sshd\",\"event.category\":[\"authentication\"],\"event.outcome\":\"%s\",\"source.ip\":\"%s\",\"user.name\":\"%s%s\",\"destination.ip\":\"10.20.0.5\",\"destination.port\":22}\n", int((s + i) / 60), (s + i) % 60, out, ip, user, (out == "failure" ? i : "")
  }' >"$1"
}
start() {
  start_correlator --server-key "$WORK/server.key" --inventory "$WORK/inventory.yaml" --baseline "$WORK/baseline.yaml" \
    --tick 0.5 --rules "$WORK/rules" --state-dir "$WORK/state" --api-token "$WORK/token" --alerts-out "$WORK/alerts.jsonl"
}

echo "== a brute force that succeeds: the alerts are in the store when socctl send returns"
# Five failures: the pack's SSH brute force threshold (5 in 10 minutes, fail2ban's); each
# batch of five below fires the rule once more.
start
sshd "$WORK/brute.jsonl" 203.0.113.77 failure guess 0 5
sshd "$WORK/success.jsonl" 203.0.113.77 success root 30 1
sshd "$WORK/other.jsonl" 198.51.100.9 failure user 100 5
cat "$WORK/brute.jsonl" "$WORK/success.jsonl" "$WORK/other.jsonl" >"$WORK/attack.jsonl"
send log-xa "$WORK/attack.jsonl"
# No wait: the correlator acknowledges a batch only once its alerts are committed (ADR 0018).
api "/api/v1/alerts?limit=1000" >"$WORK/list1.json"
check "two brute-force alerts, one per address" \
  "$(json "len([a for a in d['alerts'] if a['rule']['name'] == 'SSH brute force from one address'])" <"$WORK/list1.json")" 2
BRUTE=$(alert_of "SSH brute force from one address" 203.0.113.77)
OTHER=$(alert_of "SSH brute force from one address" 198.51.100.9)
SUCCESS=$(alert_of "SSH login success after a brute force" 203.0.113.77)
api "/api/v1/alerts/$SUCCESS" >"$WORK/success.json"
check "the success after the brute force is critical" "$(json "d['severity']" <"$WORK/success.json")" \
  '{"number": 5, "word": "critical"}'
check "it names the account" "$(json "d['fields']['user.name']" <"$WORK/success.json")" root
check "and the site by its name" "$(json "d['site']" <"$WORK/success.json")" '{"id": "xa-thach-ha", "name": "UBND xã Thạch Hà"}'
check "with the MITRE technique's name" "$(json "d['rule']['mitre']" <"$WORK/success.json")" \
  '[{"id": "T1110", "name": "Brute Force"}]'
check "its evidence holds the successful login itself" \
  "$(json "[e['event.outcome'] for e in d['evidence']][-1]" <"$WORK/success.json")" success
# Events are kept once their group is warm (half the threshold of 5: from the third failure on).
check_ge "and failures before it" \
  "$(json "len([e for e in d['evidence'] if e['event.outcome'] == 'failure'])" <"$WORK/success.json")" 3
check "the history says it opened" "$(json "[h['action'] for h in d['history']]" <"$WORK/success.json")" '["opened"]'
check "--alerts-out has the same alert, completed with soc.severity and site.name" \
  "$(grep -c '"rule.name":"SSH login success after a brute force".*"soc.severity":"critical"' "$WORK/alerts.jsonl" | tr -d ' ')" 1
check_contains "… and the site's name" "$WORK/alerts.jsonl" '"site.name":"UBND xã Thạch Hà"'

echo "== repeats fold: the brute force goes on within the suppression window"
sshd "$WORK/more.jsonl" 203.0.113.77 failure again 200 5
send log-xa "$WORK/more.jsonl"
api "/api/v1/alerts/$BRUTE" >"$WORK/brute.json"
check "the same alert, seen twice" "$(json "d['count']" <"$WORK/brute.json")" 2
check "still one alert for that address" \
  "$(api "/api/v1/alerts?source.ip=203.0.113.77&rule=SSH+brute+force+from+one+address" | json "len(d['alerts'])")" 1
check "the repeat is in the history" "$(json "[h['action'] for h in d['history']]" <"$WORK/brute.json")" '["opened", "repeated"]'
check "--alerts-out still shows what went out (suppression held the repeat back)" \
  "$(grep -c '"rule.name":"SSH brute force from one address","rule.ruleset":"[^"]*","event.severity":4,"soc.severity":"high".*"source.ip":"203.0.113.77"' "$WORK/alerts.jsonl" | tr -d ' ')" 1

echo "== socctl alerts ack, then list"
"$SOCCTL" alerts ack "$BRUTE" --api "http://127.0.0.1:$METRICS_PORT" --token-file "$WORK/token" --by lan \
  --comment "blocked at the firewall" >"$WORK/ack.out" 2>&1
check "socctl alerts ack succeeds" "$?" 0
check_contains "and prints the alert, acknowledged" "$WORK/ack.out" "[#$BRUTE acknowledged by lan]"
check "the API shows who acknowledged it" "$(api "/api/v1/alerts/$BRUTE" | json "d['acknowledged']['by'] + '|' + d['acknowledged']['comment']")" \
  "lan|blocked at the firewall"
"$SOCCTL" alerts list --api "http://127.0.0.1:$METRICS_PORT" --state acknowledged --color never >"$WORK/list.out"
check_contains "socctl alerts list --state acknowledged shows it" "$WORK/list.out" "[#$BRUTE acknowledged by lan]"
check "and only it" "$(grep -c '\[#' "$WORK/list.out" | tr -d ' ')" 1
"$SOCCTL" alerts list --api "http://127.0.0.1:$METRICS_PORT" --severity critical --json >"$WORK/list.json"
check "socctl alerts list --severity critical --json: the API's objects" "$(json "d['id']" <"$WORK/list.json")" "$SUCCESS"
if "$SOCCTL" alerts ack 999999 --api "http://127.0.0.1:$METRICS_PORT" --token-file "$WORK/token" --by lan \
  --comment x >"$WORK/ack-missing.out" 2>&1; then rc=0; else rc=$?; fi
check "socctl alerts ack of an unknown id exits 1" "$rc" 1
check_contains "saying so" "$WORK/ack-missing.out" "HTTP 404 not_found: no alert 999999"

echo "== bad input is refused and changes nothing"
before=$(api "/api/v1/alerts/$OTHER" | sha256sum)
code() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }
AUTH="Authorization: Bearer $(cat "$WORK/token")"
URL="http://127.0.0.1:$METRICS_PORT/api/v1/alerts/$OTHER/ack"
check "no token: 401" "$(code -d '{"by":"x","comment":""}' "$URL")" 401
check "a wrong token: 401" "$(code -H 'Authorization: Bearer nope' -d '{"by":"x","comment":""}' "$URL")" 401
check "a malformed body: 400" "$(code -H "$AUTH" -d '{"by":' "$URL")" 400
check_contains "… saying where" "$WORK/body" '"message":"the body is not JSON: 1:7: the text ends where a value is expected"'
check "a body without by: 400" "$(code -H "$AUTH" -d '{"comment":"x"}' "$URL")" 400
check "an unknown id: 404" "$(code -H "$AUTH" -d '{"by":"x","comment":""}' "http://127.0.0.1:$METRICS_PORT/api/v1/alerts/424242/ack")" 404
head -c 2000000 /dev/zero | tr '\0' 'x' >"$WORK/huge"
check "a huge body: 413" "$(code -H "$AUTH" --data-binary @"$WORK/huge" "$URL")" 413
check "a bad filter: 400" "$(code "http://127.0.0.1:$METRICS_PORT/api/v1/alerts?state=closed")" 400
check_contains "… naming it" "$WORK/body" "state: 'closed' is not open, acknowledged or resolved"
check "the alert did not change (its whole answer, hashed)" "$(api "/api/v1/alerts/$OTHER" | sha256sum)" "$before"

echo "== socctl tail --alerts starts with the alerts still open, then live ones"
"$SOCCTL" tail --alerts --connect "tcp://127.0.0.1:$PUBLISH_PORT" --api "http://127.0.0.1:$METRICS_PORT" \
  --color never --count 1 --timeout 30 >"$WORK/tail.out" 2>"$WORK/tail.err" &
tail_pid=$!
PIDS+=("$tail_pid")
wait_for 10 grep -q "#$SUCCESS" "$WORK/tail.out" || true
printf '{"@timestamp":"2026-11-20T09:00:00.000000Z","event.kind":"event","event.dataset":"test","event.category":["host"],"event.action":"poke","user.name":"tam"}\n' >"$WORK/poke.jsonl"
sleep 0.5  # the subscription reaches the correlator
send log-xa "$WORK/poke.jsonl"
wait "$tail_pid" || true
check_contains "the open critical alert, readable: time in the province's zone, severity word, site, rule, account" \
  "$WORK/tail.out" "2026-11-20 15:00:30  CRITICAL      xa-thach-ha \"UBND xã Thạch Hà\"  SSH login success after a brute force  source.ip=203.0.113.77  user.name=root"
check_contains "the acknowledged one says so" "$WORK/tail.out" "[#$BRUTE acknowledged by lan]"
check_contains "then the live alert" "$WORK/tail.out" "LOW           xa-thach-ha \"UBND xã Thạch Hà\"  Test poke  user.name=tam"
check "the open alerts come first" "$(grep -n 'Test poke' "$WORK/tail.out" | cut -d: -f1)" "$(wc -l <"$WORK/tail.out" | tr -d ' ')"

echo "== a quiet rule's alert resolves on the store's timer, with no new event"
POKE=$(api "/api/v1/alerts?rule=Test+poke" | json "d['alerts'][0]['id']")
# Read from its history, not from its state now: on a loaded machine the timer may already have
# run by the time this line does.
wait_for 15 is_state "$POKE" resolved || true
check "the poke alert was opened, then resolved, and nothing else touched it" \
  "$(api "/api/v1/alerts/$POKE" | json "','.join(h['action'] for h in d['history'])")" "opened,resolved"
check "it resolved 5 s or more after it was opened, not before" "$(api "/api/v1/alerts/$POKE" | json "
__import__('datetime').datetime.fromisoformat(d['history'][1]['at'].replace('Z', '+00:00')) -
__import__('datetime').datetime.fromisoformat(d['history'][0]['at'].replace('Z', '+00:00'))
>= __import__('datetime').timedelta(seconds=5)")" True
check "the history says why" "$(api "/api/v1/alerts/$POKE" | json "d['history'][-1]['comment']")" "no repeat for 5s"
check "soc_alerts_resolved_total{reason=quiet}" "$(metric soc_alerts_resolved_total 'reason="quiet"')" 1

echo "== a baseline alert resolves when its finding clears"
wait_for 15 bash -c "curl -s 'http://127.0.0.1:$METRICS_PORT/api/v1/alerts?rule=soc.sensor.silent&state=open' | grep -q pkt-xa" || true
SILENT=$(api "/api/v1/alerts?rule=soc.sensor.silent&state=open" | json "d['alerts'][0]['id']")
check "the silent packet sensor raised an alert" "$(api "/api/v1/alerts/$SILENT" | json "d['rule']['name'] + ' / ' + d['site']['name']")" \
  "Sensor silent / UBND xã Thạch Hà"
printf '{"@timestamp":"2026-11-20T09:00:00.000000Z","event.kind":"event","event.dataset":"flow","event.category":["network"]}\n' >"$WORK/flow.jsonl"
send pkt-xa "$WORK/flow.jsonl"
wait_for 10 is_state "$SILENT" resolved || true
check "once the sensor is heard its alert is resolved" "$(state_of "$SILENT")" resolved
check_contains "because the finding cleared" <(api "/api/v1/alerts/$SILENT") '"action":"resolved","by":null,"comment":"cleared:'

echo "== metrics"
check "soc_alerts_open counts the acknowledged high alert" "$(metric soc_alerts_open 'severity="high",state="acknowledged"')" 1
curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" >"$WORK/metrics.txt"
check_contains "soc_rule_info names the rule" "$WORK/metrics.txt" \
  'soc_rule_info{name="SSH brute force from one address",rule="6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a03",severity="high"} 1'
check_contains "and the baseline's" "$WORK/metrics.txt" 'soc_rule_info{name="Sensor silent",rule="soc.sensor.silent",severity="high"} 1'

echo "== after a restart: still open, still acknowledged, and repeats fold into them"
stop_correlator
start
check "the brute force is still acknowledged" "$(state_of "$BRUTE")" acknowledged
check "by the same person" "$(api "/api/v1/alerts/$BRUTE" | json "d['acknowledged']['comment']")" "blocked at the firewall"
check "the other one is still open" "$(state_of "$OTHER")" open
check "the resolved one is still resolved" "$(state_of "$POKE")" resolved
"$SOCCTL" alerts list --api "http://127.0.0.1:$METRICS_PORT" --color never >"$WORK/list2.out"
check_contains "socctl alerts list shows the acknowledged one" "$WORK/list2.out" "[#$BRUTE acknowledged by lan]"
check_contains "and the open one" "$WORK/list2.out" "[#$OTHER open]"
# After the poke (09:00): the stream's event-time watermark survives a restart (ADR 0030), so events
# older than it by more than the allowed lateness would not be counted by the correlations.
sshd "$WORK/again.jsonl" 198.51.100.9 failure late 400 5
sed -i 's/T08:06:/T09:06:/' "$WORK/again.jsonl"
send log-xa "$WORK/again.jsonl"
check "a repeat after the restart folds into the open alert" "$(api "/api/v1/alerts/$OTHER" | json "d['count']")" 2
stop_correlator

echo "== the API token file: refused when others may read it, or when it is empty"
chmod 644 "$WORK/token"
if "$CORRELATOR" --insecure --listen "tcp://127.0.0.1:$(free_port)" --metrics "127.0.0.1:$(free_port)" --publish "" \
  --api-token "$WORK/token" >"$WORK/token.out" 2>&1; then rc=0; else rc=$?; fi
check "a token file readable by others: exit 78" "$rc" 78
check_contains "with the chmod that fixes it" "$WORK/token.out" "run: chmod 600 $WORK/token"
: >"$WORK/empty-token"
chmod 600 "$WORK/empty-token"
if "$CORRELATOR" --insecure --listen "tcp://127.0.0.1:$(free_port)" --metrics "127.0.0.1:$(free_port)" --publish "" \
  --api-token "$WORK/empty-token" >"$WORK/token.out" 2>&1; then rc=0; else rc=$?; fi
check "an empty token file: exit 78" "$rc" 78
check_contains "saying so" "$WORK/token.out" "--api-token: $WORK/empty-token is empty"
finish
