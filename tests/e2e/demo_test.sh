#!/usr/bin/env bash
# The main job: `socctl demo --once` runs the real sensors on the project's sample province
# (examples/logs/ through soc-log-sensor --file, examples/pcap/ through soc-packet-sensor --read
# --connect) into a real
# correlator, and exits 0 only when every event was counted. The expected counts are computed
# here, independently of the demo: one event per non-blank log line, and the flows
# `soc-packet-sensor --read` makes of each capture.
source "$(dirname "$0")/lib.sh"
PACKET_SENSOR="$BUILD/sensors/packet/soc-packet-sensor"
set +e
# Its own TMPDIR, so that another demo running beside it cannot make the last check fail.
TMPDIR="$WORK" "$SOCCTL" demo --once --metrics "127.0.0.1:$(free_port)" >"$WORK/demo.out" 2>&1
rc=$?
set -e
cat "$WORK/demo.out"
check "socctl demo --once exits 0" "$rc" 0
check_contains "it says every event was counted" "$WORK/demo.out" "Every sample event was delivered and counted."

column() {  # column SENSOR N: field N of the sensor's row in the summary
  awk -v id="$1" -v n="$2" '$1 == id { v = $n } END { print v }' "$WORK/demo.out"
}
for d in "$SRC"/examples/logs/*/; do
  id=$(basename "$d")
  lines=$(cat "$d"*.log | grep -c .)
  check_ge "$id has sample lines" "$lines" 100
  check "the correlator counted every line of $id (one event each)" "$(column "$id" 4)" "$lines"
  check "$id is fed by the real log sensor" "$(column "$id" 7)" "soc-log-sensor"
done
for f in "$SRC"/examples/pcap/*.pcap; do
  id=$(basename "$f" .pcap)
  flows=$("$PACKET_SENSOR" --read "$f" 2>/dev/null | grep -c .)
  check_ge "$id's capture makes flows" "$flows" 100
  check "the correlator counted every flow event of $id" "$(column "$id" 4)" "$flows"
  check "$id is fed by the real packet sensor (soc-packet-sensor --read --connect)" "$(column "$id" 7)" "soc-packet-sensor"
done
check "every sensor of the summary was counted" \
  "$(awk '/^Summary/ { on = 1; getline; next } /^Sites:/ { on = 0 } on && $3 != $4 { bad++ } END { print bad + 0 }' "$WORK/demo.out")" 0
check_contains "the sensor the demo never starts is silent" "$WORK/demo.out" "SILENT: log-xa-kyanh"
check_contains "the commune without a sensor is shown" "$WORK/demo.out" "xa-nghixuan"

# The sample's story, as the correlator's rules and baseline tell it (every sensor of one site
# in one run: the log sensors read their files one after another, each file its own stream).
for rule in "SSH brute force from one address" "SSH login success after a brute force" \
  "SQL injection attempt in a URL" "Web scanner user agent" "Web vulnerability probing from one address" \
  "New administrator account" "Sudo to an interactive shell" "Firewall deny burst from one address" \
  "Port scan from one address (flows)" "Host scan from one address (flows)" "Clear-text credentials (nDPI)" \
  "DGA domain name (nDPI)" "License expired" "Required equipment missing"; do
  check_contains "the demo's alerts include: $rule" "$WORK/demo.out" "$rule"
done
# The auditors' report of the run, written where the demo says, and checkable.
check_contains "the demo writes the sample province's compliance report" "$WORK/demo.out" \
  "Compliance report of the sample province"
html=$(grep -o '/[^ ]*/report\.html' "$WORK/demo.out" | head -1)
json=$(grep -o '/[^ ]*/report\.json' "$WORK/demo.out" | head -1)
check "its HTML exists" "$([ -s "$html" ] && echo yes)" yes
check_contains "and names the province's systems" "$html" "Cổng dịch vụ công tỉnh"
check_contains "with the expired firewall license of Cẩm Xuyên among the gaps" "$json" '"subject": "fw-camxuyen"'
set +e
"$SOCCTL" report verify "$json" >/dev/null 2>&1
check "its JSON verifies" "$?" 0
set -e
check "no temporary folder is left behind" "$(find "$WORK" -maxdepth 1 -name 'soc-demo.*' | wc -l)" 0

# The alerts reach an Alertmanager when one is installed (prometheus-alertmanager: CI has it),
# and the demo says where; without one it says so and goes on.
check_contains "the demo names the Alertmanager its alerts go to" "$WORK/demo.out" "Alerts are delivered to Alertmanager at http://127.0.0.1:"
held=$(sed -nE 's/^Alertmanager at http:\/\/127\.0\.0\.1:[0-9]+ holds ([0-9]+) active alerts.*/\1/p' "$WORK/demo.out")
check_ge "the demo's alerts are active in that Alertmanager" "${held:-0}" 10
set +e
PATH=/nonexistent TMPDIR="$WORK" "$SOCCTL" demo --once --metrics "127.0.0.1:$(free_port)" >"$WORK/demo-noam.out" 2>&1
rc=$?
set -e
check "without an Alertmanager the demo still exits 0" "$rc" 0
check_contains "and says there was none" "$WORK/demo-noam.out" "Alerts went to no Alertmanager (no Alertmanager: prometheus-alertmanager is not installed)."
# The live view (what `socctl demo` without --once shows until Ctrl-C): screens that count
# events and alerts as they arrive, and a clean stop on SIGINT.
# While it runs, an analyst acknowledges an alert as the console does, with the token the screen
# names (a fresh one per run, mode 600); without it the API refuses.
live_port=$(free_port)
TMPDIR="$WORK" "$SOCCTL" demo --rate 100 --metrics "127.0.0.1:$live_port" >"$WORK/demo-live.out" 2>&1 &
demo_pid=$!
token_file=
alert_id=
for _ in $(seq 1 300); do
  token_file=$(sed -nE 's/^To acknowledge alerts in the console, give it the token in (.*)$/\1/p' "$WORK/demo-live.out" | head -1)
  alert_id=$(curl -sf "http://127.0.0.1:$live_port/api/v1/alerts?limit=1" 2>/dev/null |
    python3 -c 'import json, sys; a = json.load(sys.stdin)["alerts"]; print(a[0]["id"] if a else "")' 2>/dev/null || true)
  [[ -n $token_file && -n $alert_id ]] && break
  sleep 0.2
done
check "the live screen names the API token's file" "$([ -n "$token_file" ] && echo yes)" yes
check "the token file is the owner's alone (600)" "$(stat -c %a "$token_file" 2>/dev/null)" 600
check "an alert is in the store while the demo runs" "$([ -n "$alert_id" ] && echo yes)" yes
ack() {  # ack [TOKEN]: the HTTP status of an acknowledgement of $alert_id
  curl -s -o /dev/null -w '%{http_code}' ${1:+-H "Authorization: Bearer $1"} \
    -d '{"by":"demo-analyst","comment":"seen"}' "http://127.0.0.1:$live_port/api/v1/alerts/$alert_id/ack"
}
check "without the token the API refuses the acknowledgement" "$(ack)" 401
check "with it the acknowledgement is taken" "$(ack "$(cat "$token_file" 2>/dev/null)")" 200
sleep 30
kill -INT "$demo_pid"
set +e
wait "$demo_pid"
rc=$?
set -e
check "the live demo stops cleanly on SIGINT" "$rc" 0
check_ge "it drew the live screen again and again" "$(grep -c '^SOC demo: correlator' "$WORK/demo-live.out")" 3
last_alerts=$(sed -nE 's/^Alerts: ([0-9]+) .*/\1/p' "$WORK/demo-live.out" | tail -1)
check_ge "the screen counts the alerts as they are raised" "${last_alerts:-0}" 1
check_contains "it shows the latest events" "$WORK/demo-live.out" "Latest events:"
check_contains "and ends with the summary" "$WORK/demo-live.out" "Summary (events from the correlator's /metrics"
check "no temporary folder is left behind after the live demo" "$(find "$WORK" -maxdepth 1 -name 'soc-demo.*' | wc -l)" 0
finish
