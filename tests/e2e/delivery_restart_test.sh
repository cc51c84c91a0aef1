#!/usr/bin/env bash
# Issue 14: the correlator killed with SIGKILL in the middle of a 1,000,000-event stream from
# three real senders (socctl send) and started again with the same --state-dir: every event is
# in --events-out exactly once (counted by event.id), the senders finish without an error, and
# per sensor, what the first run wrote plus what the second run received is what was sent.
# Then the same with SIGTERM. Prints sent, received, duplicated, dropped and lost per run.
source "$(dirname "$0")/lib.sh"
need curl ss python3

make_keys server s1 s2 s3
cat >"$WORK/allow.yaml" <<YAML
sensors:
  - {id: s1, site: dc-hatinh, public_key: "$(cat "$WORK/s1.pub")"}
  - {id: s2, site: xa-camxuyen, public_key: "$(cat "$WORK/s2.pub")"}
  - {id: s3, site: xa-thachha, public_key: "$(cat "$WORK/s3.pub")"}
YAML
# Each sender at a steady rate that makes its stream last about eight seconds, so that the stop
# lands in the middle of it on any machine, even one so loaded that polling the counter is slow.
LISTEN_PORT=$(free_port)
METRICS_PORT=$(free_port)
RUN=0
# correlator STATE EVENTS: (re)starts the correlator on the same ports, with its own log per run.
correlator() {
  RUN=$((RUN + 1))
  "$CORRELATOR" --listen "tcp://127.0.0.1:$LISTEN_PORT" --metrics "127.0.0.1:$METRICS_PORT" --publish "" \
    --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --state-dir "$1" --events-out "$2" \
    >"$WORK/correlator.$RUN.log" 2>&1 &
  CORRELATOR_PID=$!
  PIDS+=("$CORRELATOR_PID")
  wait_port "$METRICS_PORT" 20
  wait_port "$LISTEN_PORT" 20
  cp "$WORK/correlator.$RUN.log" "$WORK/correlator.log"
}
received() { metric soc_events_received_total "dataset=\"flow\",sensor=\"$1\",site=\"$2\""; }
total_received() { echo $(( $(received s1 dc-hatinh) + $(received s2 xa-camxuyen) + $(received s3 xa-thachha) )); }

# scenario NAME SIGNAL PER_SENSOR: three senders, the correlator stopped by SIGNAL a third of the
# way in and started again.
scenario() {
  local name=$1 sig=$2 n=$3
  local state="$WORK/$name.state" events="$WORK/$name.events.jsonl"
  echo "== $name: $((3 * n)) events from 3 senders, the correlator stopped with SIG$sig and started again"
  gen_events "$n" "$WORK/$name.in.jsonl"
  correlator "$state" "$events"
  local senders=()
  local i=0
  for s in s1:dc-hatinh s2:xa-camxuyen s3:xa-thachha; do
    "$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --key "$WORK/${s%%:*}.key" \
      --sensor-id "${s%%:*}" --site "${s#*:}" --timeout 120 --rate "$((n / 8))" "$WORK/$name.in.jsonl" >"$WORK/$name.send.${s%%:*}.out" 2>&1 &
    senders+=($!)
    PIDS+=($!)
  done
  local deadline=$((SECONDS + 120))
  until [ "$(total_received)" -ge "$n" ] || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.05; done
  kill -"$sig" "$CORRELATOR_PID"
  wait "$CORRELATOR_PID" 2>/dev/null || true
  # What the first run wrote (whole lines: a partial last line is cut when the file is opened).
  python3 - "$events" >"$WORK/$name.before" <<'PY'
import collections, json, sys
per = collections.Counter()
with open(sys.argv[1], "rb") as f:
    for line in f:
        if line.endswith(b"\n") and b'"event.id"' in line:
            per[json.loads(line)["observer.name"]] += 1
print(per["s1"], per["s2"], per["s3"])
PY
  read -r b1 b2 b3 <"$WORK/$name.before"
  echo "the first run wrote $b1 + $b2 + $b3 events before SIG$sig"
  if [ $((b1 + b2 + b3)) -ge $((3 * n)) ]; then echo "FAIL: every event arrived before the stop"; FAILS=$((FAILS + 1)); fi
  sleep 1  # the correlator is away for a moment: the senders keep what is unacknowledged
  correlator "$state" "$events"
  local rc=0
  for p in "${senders[@]}"; do wait "$p" || rc=$?; done
  check "$name: every sender exits 0 (all its events acknowledged)" "$rc" 0
  check "$name: the second run knew the first run's marks" \
    "$(grep -c ' 3 sequence marks restored' "$WORK/correlator.$RUN.log")" 1
  local r1 r2 r3 dup lost
  r1=$(received s1 dc-hatinh)
  r2=$(received s2 xa-camxuyen)
  r3=$(received s3 xa-thachha)
  dup=$(( $(metric soc_events_duplicate_total 'sensor="s1"') + $(metric soc_events_duplicate_total 'sensor="s2"') + $(metric soc_events_duplicate_total 'sensor="s3"') ))
  lost=$(( $(metric soc_events_lost_total 'sensor="s1"') + $(metric soc_events_lost_total 'sensor="s2"') + $(metric soc_events_lost_total 'sensor="s3"') ))
  python3 - "$events" "$n" >"$WORK/$name.count" <<'PY'
import collections, json, sys
ids, per, lines = collections.Counter(), collections.Counter(), 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        lines += 1
        e = json.loads(line)  # every line is whole JSON: no torn line survived the kill
        if "event.id" in e:
            ids[e["event.id"]] += 1
            per[e["observer.name"]] += 1
n = int(sys.argv[2])
expected = {f"{s}:{i}" for s in ("s1", "s2", "s3") for i in range(n)}
got = {(i.split(":")[0] + ":" + i.split(":")[2]) for i in ids}
print(len(ids), sum(c - 1 for c in ids.values()), len(expected - got), per["s1"], per["s2"], per["s3"])
PY
  local unique repeated missing e1 e2 e3
  read -r unique repeated missing e1 e2 e3 <"$WORK/$name.count"
  echo "$name: sent $((3 * n)), received $((b1 + b2 + b3)) + $((r1 + r2 + r3)) (first run + second run)," \
       "duplicated $dup (recognised and dropped by the second run), dropped 0, lost $missing"
  check "$name: --events-out holds every event" "$unique" "$((3 * n))"
  check "$name: each exactly once" "$repeated" 0
  check "$name: lost" "$missing" 0
  check "$name: the correlator counted no gap" "$lost" 0
  check "$name: s1 first run + second run = sent" "$((b1 + r1))" "$n"
  check "$name: s2 first run + second run = sent" "$((b2 + r2))" "$n"
  check "$name: s3 first run + second run = sent" "$((b3 + r3))" "$n"
  check "$name: per sensor in --events-out" "$e1 $e2 $e3" "$n $n $n"
  stop_correlator
}

scenario kill KILL 333334
scenario term TERM 100000
finish
