#!/usr/bin/env bash
# The inventory and baseline live in the correlator (docs/adr/0017): soc-correlator --inventory
# --baseline with real sensors (socctl send) and hand-written collector events. Dates are
# relative to today so that the test does not age.
source "$(dirname "$0")/lib.sh"
need ss curl date

day() { date -u -d "$1" +%F; }              # day '-10 days' -> YYYY-MM-DD
epoch() { date -u -d "$1" +%s; }            # epoch '2026-12-01' -> Unix seconds
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }  # count FILE TEXT: lines holding TEXT
wait_for() {  # wait_for SECONDS COMMAND...: until the command succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

EXPIRED=$(day '-10 days')     # fw-dc's support ended 10 days ago
EXPIRING=$(day '+10 days')    # fw-dc2's support ends within warn_days (30)
VALID=$(day '+400 days')
ASSESSED=$(day '-30 days')
WAIVED_UNTIL=$(day '+60 days')

make_keys server pkt-dc pkt-xa col-dc stranger
cat >"$WORK/inventory.yaml" <<YAML
sites:
  - {id: dc, name: "Trung tâm dữ liệu", kind: datacenter}
  - {id: xa, name: "UBND xã", kind: commune}
systems:
  - {id: portal, name: "Cổng dịch vụ công", level: 3, sites: [dc, xa], last_assessment: $ASSESSED}
  - {id: motcua, name: "Một cửa", level: 2, sites: [xa], last_assessment: $ASSESSED}
assets:
  - {id: fw-dc, site: dc, kind: firewall, address: 10.0.0.1, licenses: [{kind: support, expires: $EXPIRED}]}
  - {id: fw-dc2, site: dc, kind: firewall, address: 10.0.0.2, licenses: [{kind: support, expires: $EXPIRING}]}
  - {id: portal-dc, site: dc, kind: portal, address: "127.0.0.1:8443"}
sensors:
  - {id: pkt-dc, site: dc, kind: packet, public_key: "$(cat "$WORK/pkt-dc.pub")"}
  - {id: pkt-xa, site: xa, kind: packet, public_key: "$(cat "$WORK/pkt-xa.pub")"}
  - {id: col-dc, site: dc, kind: collector, public_key: "$(cat "$WORK/col-dc.pub")"}
waivers:
  - {requirement: AST-03, system: motcua, reason: "firewall on order", approved_by: director, expires: $WAIVED_UNTIL}
YAML
cat >"$WORK/baseline.yaml" <<'YAML'
baseline: {id: e2e, version: '1'}
requirements:
  - {id: AST-02, title: {vi: "Tường lửa có bản quyền", en: Firewall licensed}, reference: r, levels: [3],
     check: {kind: license_valid, asset_kind: firewall, warn_days: 30}}
  - {id: AST-03, title: {vi: "Có tường lửa", en: Firewall present}, reference: r, levels: [2, 3],
     check: {kind: asset_present, asset_kind: firewall}}
  - {id: MON-02, title: {vi: "Cảm biến", en: Packet sensor reporting}, reference: r, levels: [3],
     check: {kind: sensor_reporting, sensor_kind: packet, window: 6s}}
  - {id: CRT-01, title: {vi: "Chứng thư", en: Certificate valid}, reference: r, levels: [3],
     check: {kind: certificate_valid, asset_kind: portal, min_days: 30}}
YAML
"$SOCCTL" inventory check "$WORK/inventory.yaml" --baseline "$WORK/baseline.yaml" >/dev/null

echo "== at start: every inventory sensor is down, the licenses and gaps are exported"
# No --allow: the inventory's sensors: section is the allowlist.
start_correlator --server-key "$WORK/server.key" --inventory "$WORK/inventory.yaml" --baseline "$WORK/baseline.yaml" \
  --tick 0.5 --alerts-out "$WORK/alerts.jsonl" --events-out "$WORK/events.jsonl"
check_contains "the inventory's three sensors are the allowlist" "$WORK/correlator.log" "3 sensors allowed"
check "pkt-dc is down before it is heard" "$(metric soc_sensor_up 'sensor="pkt-dc",site="dc"')" 0
check "pkt-xa is down before it is heard" "$(metric soc_sensor_up 'sensor="pkt-xa",site="xa"')" 0
cat >"$WORK/flows.jsonl" <<'JSON'
{"@timestamp":"2026-11-27T08:00:00Z","event.kind":"event","event.dataset":"flow","event.category":["network"],"source.ip":"203.0.113.7","source.port":40000,"destination.ip":"10.0.0.1","destination.port":443,"network.transport":"tcp"}
JSON
NOT_AFTER=$(date -u -d '+5 days' +%Y-%m-%dT%H:%M:%SZ)
cat >"$WORK/collector.jsonl" <<JSON
{"@timestamp":"2026-11-27T08:00:00Z","event.kind":"state","event.dataset":"collector.tls","event.category":["network"],"destination.address":"127.0.0.1","destination.port":8443,"tls.server.not_after":"$NOT_AFTER","tls.server.x509.subject.common_name":["portal.example.vn"]}
{"@timestamp":"2026-11-27T08:00:00Z","event.kind":"state","event.dataset":"collector.tcp","event.category":["network"],"event.outcome":"failure","destination.address":"10.0.0.2","destination.port":443}
JSON
# pkt-dc keeps sending for the rest of the test (four events a second, one per batch, for up to
# two minutes); pkt-xa never sends.
awk '{ for (i = 0; i < 480; i++) print }' "$WORK/flows.jsonl" >"$WORK/flows-long.jsonl"
"$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/pkt-dc.key" \
  --sensor-id pkt-dc --site dc --heartbeat 1 --rate 4 --batch 1 --quiet "$WORK/flows-long.jsonl" >"$WORK/send-pkt.log" 2>&1 &
PIDS+=($!)
check "fw-dc's license stops at the end of its day" \
  "$(metric soc_license_expiry_timestamp_seconds 'asset="fw-dc",license="support",site="dc"')" "$(epoch "$(day '-9 days')")"
check "fw-dc2's license too" \
  "$(metric soc_license_expiry_timestamp_seconds 'asset="fw-dc2",license="support",site="dc"')" "$(epoch "$(day '+11 days')")"
sleep 0.6  # one tick
check "xa lacks a firewall" "$(metric soc_site_equipment_gaps 'site="xa"')" 1
check "dc lacks nothing" "$(metric soc_site_equipment_gaps 'site="dc"')" 0
check "AST-02 is not met for portal" "$(metric soc_requirement_status 'system="portal",requirement="AST-02",status="not_met"')" 1
check "and no other status is current" \
  "$(for s in met partially_met not_applicable not_assessable waived; do
       metric soc_requirement_status "system=\"portal\",requirement=\"AST-02\",status=\"$s\""; done | tr -d '\n')" 00000
check "a requirement above a system's level is not applicable, and exported so" \
  "$(metric soc_requirement_status 'system="motcua",requirement="AST-02",status="not_applicable"')" 1
check "the waiver holds AST-03 for motcua" "$(metric soc_requirement_status 'system="motcua",requirement="AST-03",status="waived"')" 1
check "CRT-01 is not assessable before a certificate is seen" \
  "$(metric soc_requirement_status 'system="portal",requirement="CRT-01",status="not_assessable"')" 1

echo "== a sensor reports, a collector reads a certificate, a stranger is refused"
"$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/col-dc.key" \
  --sensor-id col-dc --site dc --quiet "$WORK/collector.jsonl"
set +e
"$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/stranger.key" \
  --sensor-id stranger --site dc --timeout 2 --quiet "$WORK/flows.jsonl" >"$WORK/send-stranger.log" 2>&1
stranger=$?
set -e
check "a key that is not in the inventory is refused" "$([ "$stranger" -ne 0 ] && echo refused)" refused
check_ge "and counted as unknown_key" "$(metric soc_messages_rejected_total 'reason="unknown_key"')" 1

wait_for 10 grep -q '"destination.ip":"10.0.0.1"' "$WORK/events.jsonl" || true
check_contains "events-out carries the site's level" "$WORK/events.jsonl" '"site.level":3'
check_contains "and its kind and name" "$WORK/events.jsonl" '"site.name":"Trung tâm dữ liệu","site.kind":"datacenter"'
check_contains "and the asset the flow went to" "$WORK/events.jsonl" '"asset.id":"fw-dc","asset.kind":"firewall"'

sleep 1
check "pkt-dc is up once heard" "$(metric soc_sensor_up 'sensor="pkt-dc",site="dc"')" 1
check "fw-dc2 did not answer the collector's TCP probe" "$(metric soc_asset_reachable 'asset="fw-dc2",site="dc"')" 0
check "which is exported for it only" "$(curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" | grep -c '^soc_asset_reachable')" 1
check "the certificate's expiry is exported by target" \
  "$(metric soc_certificate_expiry_timestamp_seconds 'target="127.0.0.1:8443",site="dc"')" "$(epoch "$NOT_AFTER")"

echo "== after several ticks: each finding alerted once"
A="$WORK/alerts.jsonl"
wait_for 10 grep -q '"soc.subject":"pkt-xa"' "$A" || true
sleep 1
N=$(wc -l <"$A")
sleep 3  # six more ticks
check "no alert repeats on later ticks" "$(wc -l <"$A")" "$N"
check "one soc.license.expired (fw-dc)" "$(count "$A" '"rule.id":"soc.license.expired"')" 1
check_contains "for fw-dc" "$A" '"rule.id":"soc.license.expired","rule.name":"License expired","rule.ruleset":"e2e","site.id":"dc","asset.id":"fw-dc"'
check "one soc.license.expiring (fw-dc2)" "$(count "$A" '"rule.id":"soc.license.expiring"')" 1
check_contains "for fw-dc2" "$A" '"asset.id":"fw-dc2"'
check "one soc.equipment.missing (no firewall at xa; the waived system raises none)" \
  "$(count "$A" '"rule.id":"soc.equipment.missing"')" 1
check_contains "with the Vietnamese title" "$A" '"soc.requirement.title_vi":"Có tường lửa"'
check "one soc.sensor.silent for pkt-xa" "$(grep '"rule.id":"soc.sensor.silent"' "$A" | count - '"soc.subject":"pkt-xa"')" 1
check "one soc.certificate.expiring (portal-dc)" "$(count "$A" '"rule.id":"soc.certificate.expiring"')" 1
check_contains "for portal-dc" "$A" '"asset.id":"portal-dc","site.name":"Trung tâm dữ liệu","site.kind":"datacenter","site.level":3,"asset.kind":"portal"'
check "counted in soc_alerts_total" "$(metric soc_alerts_total 'rule="soc.license.expired",severity="high",site="dc"')" 1
check "pkt-xa is still down" "$(metric soc_sensor_up 'sensor="pkt-xa",site="xa"')" 0
check "pkt-dc is still up" "$(metric soc_sensor_up 'sensor="pkt-dc",site="dc"')" 1
check "CRT-01 is not met" "$(metric soc_requirement_status 'system="portal",requirement="CRT-01",status="not_met"')" 1

echo "== a reload with a broken inventory keeps the old one"
cp "$WORK/inventory.yaml" "$WORK/inventory.good"
sed -i 's/kind: commune/kind: comune/' "$WORK/inventory.yaml"
kill -HUP "$CORRELATOR_PID"
wait_for 10 grep -q "failed; the files loaded before stay in force" "$WORK/correlator.log" || true
check_contains "the mistake is logged with its position" "$WORK/correlator.log" \
  "inventory.yaml:3:38: error[inventory.bad_value]: site kind 'comune'"
check "soc_inventory_reload_total{result=failure}" "$(metric soc_inventory_reload_total 'result="failure"')" 1
check "soc_inventory_last_reload_successful" "$(metric soc_inventory_last_reload_successful '')" 0
check "the correlator still runs" "$(kill -0 "$CORRELATOR_PID" 2>/dev/null && echo up)" up
check "the old inventory is still evaluated" "$(metric soc_site_equipment_gaps 'site="xa"')" 1
sleep 1
check "no alert came from the failed reload" "$(wc -l <"$A")" "$N"

echo "== a good reload replaces it: fw-dc's license renewed, a firewall at xa"
sed -e "s/expires: $EXPIRED/expires: $VALID/" "$WORK/inventory.good" >"$WORK/inventory.yaml"
echo "  - {id: fw-xa, site: xa, kind: firewall, licenses: [{kind: support, expires: $VALID}]}" >"$WORK/extra"
sed -i "/^  - {id: portal-dc/r $WORK/extra" "$WORK/inventory.yaml"
kill -HUP "$CORRELATOR_PID"
wait_for 10 grep -q "reloaded $WORK/inventory.yaml" "$WORK/correlator.log" || true
sleep 0.6
check "soc_inventory_reload_total{result=success}" "$(metric soc_inventory_reload_total 'result="success"')" 1
check "soc_inventory_last_reload_successful" "$(metric soc_inventory_last_reload_successful '')" 1
check "xa no longer lacks a firewall" "$(metric soc_site_equipment_gaps 'site="xa"')" 0
check "fw-dc's renewed license is exported" \
  "$(metric soc_license_expiry_timestamp_seconds 'asset="fw-dc",license="support",site="dc"')" "$(epoch "$(day '+401 days')")"
check "recoveries raise no alert" "$(wc -l <"$A")" "$N"
check_contains "they are logged" "$WORK/correlator.log" "resolved: soc.license.expired for portal AST-02 at dc fw-dc"
stop_correlator

echo "== socctl replay --inventory applies the same enrichment before the rules"
mkdir -p "$WORK/rules"
cat >"$WORK/rules/to-firewall.yml" <<'YAML'
title: Inbound to a firewall of a level 3 site
id: 0f5d7c1e-1111-4e4e-9a9a-000000000001
status: test
level: medium
logsource: {product: ndpi, category: flow}
detection:
  selection:
    asset.kind: firewall
    site.level: 3
  condition: selection
YAML
sed 's/"event.category"/"site.id":"dc","observer.name":"pkt-dc","event.category"/' "$WORK/flows.jsonl" >"$WORK/replay.jsonl"
"$SOCCTL" replay --rules "$WORK/rules" "$WORK/replay.jsonl" >"$WORK/replay-plain.out" 2>/dev/null
"$SOCCTL" replay --rules "$WORK/rules" --inventory "$WORK/inventory.yaml" "$WORK/replay.jsonl" >"$WORK/replay-inv.out" 2>/dev/null
check "without --inventory the rule sees no asset" "$(wc -l <"$WORK/replay-plain.out")" 0
check "with --inventory it does" "$(wc -l <"$WORK/replay-inv.out")" 1
check_contains "its alert" "$WORK/replay-inv.out" '"rule.name":"Inbound to a firewall of a level 3 site"'
set +e
"$SOCCTL" replay --rules "$WORK/rules" --inventory "$WORK/inventory.good.broken" "$WORK/replay.jsonl" >/dev/null 2>"$WORK/replay-err"
rc=$?
set -e
check "a replay with an unreadable inventory exits 1" "$rc" 1

echo "== live, the rules stage sees the enrichment too (the inventory stage runs first)"
start_correlator --server-key "$WORK/server.key" --inventory "$WORK/inventory.yaml" --rules "$WORK/rules" \
  --alerts-out "$WORK/alerts-rules.jsonl"
"$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/pkt-dc.key" \
  --sensor-id pkt-dc --site dc --quiet "$WORK/flows.jsonl"
wait_for 10 grep -q 'Inbound to a firewall' "$WORK/alerts-rules.jsonl" || true
check "the rule on asset.kind and site.level fired live" "$(count "$WORK/alerts-rules.jsonl" 'Inbound to a firewall of a level 3 site')" 1
stop_correlator

echo "== start with a broken inventory: exit 78 with the position"
set +e
"$CORRELATOR" --listen "tcp://127.0.0.1:$(free_port)" --metrics "127.0.0.1:$(free_port)" --publish "" \
  --server-key "$WORK/server.key" --inventory "$WORK/inventory.yaml" --baseline "$WORK/inventory.yaml" >"$WORK/bad-start.log" 2>&1
rc=$?
set -e
check "a baseline that is not one refuses to start" "$rc" 78
check_contains "and says where" "$WORK/bad-start.log" "inventory.yaml:1:1: error[baseline."

finish
