#!/usr/bin/env bash
# The foundation's end-to-end test: a real correlator and real `socctl send` processes on
# loopback with CURVE. 100k events all counted; an unknown key gets nothing in; a sender that
# claims another sensor's id is dropped; a killed and restarted sender starts a new epoch.
source "$(dirname "$0")/lib.sh"
need curl ss awk

make_keys server s1 s2 s3 rogue
cat >"$WORK/allow.yaml" <<YAML
sensors:
  - {id: s1, site: dc-hatinh, kind: log, public_key: "$(cat "$WORK/s1.pub")"}
  - {id: s2, site: xa-camxuyen, kind: packet, public_key: "$(cat "$WORK/s2.pub")"}
  - {id: s3, site: xa-thachha, public_key: "$(cat "$WORK/s3.pub")"}
YAML
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --events-out "$WORK/events.jsonl"
EP="tcp://127.0.0.1:$LISTEN_PORT"
send() {  # send KEY SENSOR SITE FILE [more flags]
  local key=$1 id=$2 site=$3 file=$4
  shift 4
  "$SOCCTL" send --connect "$EP" --server-pub "$WORK/server.pub" --key "$WORK/$key.key" --sensor-id "$id" --site "$site" "$@" "$file"
}

echo "== 100,000 events over CURVE"
gen_events 100000 "$WORK/100k.jsonl"
# socctl tail watches the live feed meanwhile.
"$SOCCTL" tail --connect "tcp://127.0.0.1:$PUBLISH_PORT" --count 5 --timeout 60 >"$WORK/tail.out" 2>&1 &
tail_pid=$!
PIDS+=("$tail_pid")
sleep 0.5  # let the subscription reach the correlator
set +e
send s1 s1 dc-hatinh "$WORK/100k.jsonl" >"$WORK/send1.out" 2>&1
rc=$?
set -e
check "socctl send exits 0" "$rc" 0
check "every event is counted" "$(metric soc_events_received_total 'dataset="flow",sensor="s1",site="dc-hatinh"')" 100000
check "nothing lost" "$(metric soc_events_lost_total 'sensor="s1"')" 0
check "nothing repeated" "$(metric soc_events_duplicate_total 'sensor="s1"')" 0
check "events-out holds every event" "$(grep -c '"event.dataset":"flow"' "$WORK/events.jsonl")" 100000
check "events carry the key's identity" "$(grep '"event.dataset":"flow"' "$WORK/events.jsonl" | grep -c '"observer.name":"s1","site.id":"dc-hatinh"')" 100000
check_ge "last seen is set" "$(metric soc_sensor_last_seen_timestamp_seconds 'sensor="s1",site="dc-hatinh"')" 1700000000
wait "$tail_pid" || true
check "socctl tail printed the first 5 events" "$(grep -c '"event.dataset":"flow"' "$WORK/tail.out")" 5
check_contains "tailed events carry the key's identity" "$WORK/tail.out" '"observer.name":"s1","site.id":"dc-hatinh"'
check "build info" "$(metric soc_build_info "version=\"$("$CORRELATOR" --version | awk '{print $2}')\"")" 1

echo "== an unknown key gets nothing in"
gen_events 100 "$WORK/100.jsonl"
set +e
send rogue s1 dc-hatinh "$WORK/100.jsonl" --timeout 5 >"$WORK/rogue.out" 2>&1
rc=$?
set -e
check "socctl send with an unknown key fails" "$rc" 1
check_contains "it says the key was refused" "$WORK/rogue.out" "refused this sensor's key"
check_ge "the refusal is counted" "$(metric soc_messages_rejected_total 'reason="unknown_key"')" 1
check "nothing more arrived" "$(metric soc_events_received_total 'dataset="flow",sensor="s1",site="dc-hatinh"')" 100000

echo "== a sender that claims another sensor's id is dropped"
set +e
send s2 s1 dc-hatinh "$WORK/100.jsonl" --timeout 5 >"$WORK/claim.out" 2>&1
rc=$?
set -e
check "socctl send with another sensor's id fails" "$rc" 1
check_contains "it says which sensor the key is bound to" "$WORK/claim.out" "sensor_mismatch: this key is bound to sensor 's2', the message claims 's1'"
check_ge "the mismatch is counted" "$(metric soc_messages_rejected_total 'reason="sensor_mismatch"')" 1
check "s1 got nothing from it" "$(metric soc_events_received_total 'dataset="flow",sensor="s1",site="dc-hatinh"')" 100000
check "s2 got nothing from it" "$(metric soc_events_received_total 'dataset="flow",sensor="s2",site="xa-camxuyen"')" 0
set +e
send s2 s2 dc-hatinh "$WORK/100.jsonl" --timeout 5 >"$WORK/site.out" 2>&1
rc=$?
set -e
check "a sender that claims another site fails" "$rc" 1
check_ge "the site mismatch is counted" "$(metric soc_messages_rejected_total 'reason="site_mismatch"')" 1

echo "== invalid lines are reported and the valid ones still delivered"
{ head -5 "$WORK/100.jsonl"; echo '{"@timestamp": "yesterday", "event.kind": "event", "event.dataset": "flow"}'; echo 'not json'; tail -5 "$WORK/100.jsonl"; } >"$WORK/mixed.jsonl"
set +e
send s2 s2 xa-camxuyen "$WORK/mixed.jsonl" >"$WORK/mixed.out" 2>&1
rc=$?
set -e
check "socctl send exits 1 when lines were invalid" "$rc" 1
check_contains "the bad timestamp is located" "$WORK/mixed.out" "mixed.jsonl:6: wrong_type at byte"
check_contains "the non-JSON line is located" "$WORK/mixed.out" "mixed.jsonl:7: not_object at byte 0"
check "the 10 valid events arrived" "$(metric soc_events_received_total 'dataset="flow",sensor="s2",site="xa-camxuyen"')" 10

echo "== a killed and restarted sender starts a new epoch"
gen_events 1000000 "$WORK/1m.jsonl" auth
"$SOCCTL" send --connect "$EP" --server-pub "$WORK/server.pub" --key "$WORK/s3.key" --sensor-id s3 --site xa-thachha \
  --batch 256 "$WORK/1m.jsonl" >"$WORK/killed.out" 2>&1 &
killed=$!
PIDS+=("$killed")
for _ in $(seq 1 400); do  # kill it once some, not all, of its events arrived
  n=$(metric soc_events_received_total 'dataset="auth",sensor="s3",site="xa-thachha"')
  [ "${n%.*}" -ge 20000 ] && break
  sleep 0.05
done
kill -KILL "$killed" 2>/dev/null || true
wait "$killed" 2>/dev/null || true
# What the correlator had queued from the killed sender still arrives: wait until it settles.
before=-1
for _ in $(seq 1 100); do
  now=$(metric soc_events_received_total 'dataset="auth",sensor="s3",site="xa-thachha"')
  [ "$now" == "$before" ] && break
  before=$now
  sleep 0.3
done
echo "killed after ${before} of 1000000 events had arrived"
if [ "${before%.*}" -ge 1000000 ]; then echo "FAIL: the sender finished before it was killed"; FAILS=$((FAILS + 1)); fi
check "a first run is no restart" "$(metric soc_sensor_restarts_total 'sensor="s3"')" 0
gen_events 5000 "$WORK/5k.jsonl" auth
send s3 s3 xa-thachha "$WORK/5k.jsonl" >"$WORK/restart.out" 2>&1
check "the restart is counted once" "$(metric soc_sensor_restarts_total 'sensor="s3"')" 1
check "a restart is no loss" "$(metric soc_events_lost_total 'sensor="s3"')" 0
check "a restart is no repeat" "$(metric soc_events_duplicate_total 'sensor="s3"')" 0
check "the new run's events are all counted" "$(metric soc_events_received_total 'dataset="auth",sensor="s3",site="xa-thachha"')" "$(( ${before%.*} + 5000 ))"

echo "== SIGHUP reopens --events-out (logrotate)"
mv "$WORK/events.jsonl" "$WORK/events.jsonl.1"
kill -HUP "$CORRELATOR_PID"
sleep 0.3
send s1 s1 dc-hatinh "$WORK/100.jsonl" >"$WORK/after-hup.out" 2>&1
check "the correlator survives SIGHUP" "$(kill -0 "$CORRELATOR_PID" && echo yes)" yes
check "events after SIGHUP go to a new file" "$(grep -c '"event.dataset":"flow"' "$WORK/events.jsonl")" 100

echo "== heartbeats carry the sender's counters"
check_ge "heartbeats arrived" "$(metric soc_heartbeats_received_total 'sensor="s1"')" 1
check_ge "the sender's own counter is exported" "$(metric soc_sensor_events_sent_total 'sensor="s1",site="dc-hatinh"')" 1

stop_correlator
check_contains "the correlator stops cleanly" "$WORK/correlator.log" "stopping after"

echo "== a partial last line left by a crash is cut off, not glued to the next event"
head -3 "$WORK/100.jsonl" >"$WORK/crashed.jsonl"
printf '{"@timestamp":"2026-11-20T08:0' >>"$WORK/crashed.jsonl"
"$CORRELATOR" --listen "tcp://127.0.0.1:$LISTEN_PORT" --metrics "127.0.0.1:$METRICS_PORT" \
  --publish "tcp://127.0.0.1:$PUBLISH_PORT" --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" \
  --events-out "$WORK/crashed.jsonl" >"$WORK/correlator-crashed.log" 2>&1 &
CORRELATOR_PID=$!
PIDS+=("$CORRELATOR_PID")
wait_port "$METRICS_PORT"
send s1 s1 dc-hatinh "$WORK/100.jsonl" >"$WORK/crashed-send.out" 2>&1
stop_correlator
check "the file holds the 3 old events and the 100 new ones" "$(grep -c '"event.dataset":"flow"' "$WORK/crashed.jsonl")" 103
check "every line is a whole event" "$(grep -c '^{.*}$' "$WORK/crashed.jsonl")" "$(wc -l <"$WORK/crashed.jsonl")"
check_contains "the cut is logged" "$WORK/correlator-crashed.log" "ended in a partial line"

echo "== at least once: the correlator dies mid-send and comes back"
# Same ports and files; the sender resends what was not acknowledged when it reconnects.
"$CORRELATOR" --listen "tcp://127.0.0.1:$LISTEN_PORT" --metrics "127.0.0.1:$METRICS_PORT" \
  --publish "tcp://127.0.0.1:$PUBLISH_PORT" --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" \
  --events-out "$WORK/restart-events.jsonl" >"$WORK/correlator2.log" 2>&1 &
CORRELATOR_PID=$!
PIDS+=("$CORRELATOR_PID")
wait_port "$METRICS_PORT"
gen_events 300000 "$WORK/300k.jsonl" restart
"$SOCCTL" send --connect "$EP" --server-pub "$WORK/server.pub" --key "$WORK/s1.key" --sensor-id s1 --site dc-hatinh \
  --batch 256 --timeout 60 "$WORK/300k.jsonl" >"$WORK/restart-send.out" 2>&1 &
sender=$!
PIDS+=("$sender")
for _ in $(seq 1 400); do
  n=$(metric soc_events_received_total 'dataset="restart",sensor="s1",site="dc-hatinh"')
  [ "${n%.*}" -ge 30000 ] && break
  sleep 0.05
done
kill -KILL "$CORRELATOR_PID"
wait "$CORRELATOR_PID" 2>/dev/null || true
echo "correlator killed after ${n} events"
sleep 1
"$CORRELATOR" --listen "tcp://127.0.0.1:$LISTEN_PORT" --metrics "127.0.0.1:$METRICS_PORT" \
  --publish "tcp://127.0.0.1:$PUBLISH_PORT" --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" \
  --events-out "$WORK/restart-events.jsonl" >>"$WORK/correlator2.log" 2>&1 &
CORRELATOR_PID=$!
PIDS+=("$CORRELATOR_PID")
set +e
wait "$sender"
rc=$?
set -e
check "the sender delivers everything once the correlator is back" "$rc" 0
distinct=$(grep '"event.dataset":"restart"' "$WORK/restart-events.jsonl" | grep -o '"@timestamp":"[^"]*"' | sort -u | wc -l)
check "every event is in events-out at least once" "$distinct" 300000
stop_correlator
finish
