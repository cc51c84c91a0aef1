#!/usr/bin/env bash
# The alert sinks (issue 10, docs/adr/0022-alert-sinks.md), in one run:
#   - the rule engine's rate with the sinks off (the floor) and on: the correlator's rule stage on
#     N events of the sample province (repeated with shifted timestamps, as rules_bench.sh does),
#     its alerts going through the one alert path to the chained alert log (fsync always), a real
#     Alertmanager and a signed webhook, both on loopback; rounds interleaved, medians;
#   - alerts per second through all sinks: from the first event until every sink delivered
#     every alert (nothing dropped: the queues are made large enough);
#   - the same in instructions (callgrind), unmoved by the machine's load;
#   - each sink's capacity: 20,000 notices queued at once (notice_driver), each sink alone and
#     all three;
#   - the webhook receiver's own rate (python3 http.server, one request after another on one kept
#     connection, as the sink makes them), the floor of the webhook figure.
# usage: bench/alerts_bench.sh [N] [ROUNDS] [BUILD]     (defaults 300000, 5, build)
set -euo pipefail
N=${1:-300000}
ROUNDS=${2:-5}
BUILD=${3:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/soc-alerts-bench.XXXXXX")
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load before the run: $(cut -d' ' -f1-3 /proc/loadavg); commit $(git -C "$ROOT" rev-parse --short HEAD)"
command -v prometheus-alertmanager >/dev/null || { echo "prometheus-alertmanager is not installed (scripts/setup.sh)"; exit 1; }

source "$ROOT/bench/lib.sh"
wait_http() { for _ in $(seq 100); do curl -fsS -o /dev/null "$1" 2>/dev/null && return; sleep 0.1; done; echo "$1 did not answer"; exit 1; }

python3 - "$ROOT/examples/events" "$N" "$WORK/events.jsonl" <<'PY'
import datetime, glob, json, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
events = []
for f in sorted(glob.glob(src + "/*.jsonl")):
    events += [json.loads(l) for l in open(f)]
events.sort(key=lambda e: e["@timestamp"])
fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
t0 = datetime.datetime.strptime(events[0]["@timestamp"], fmt)
span = datetime.datetime.strptime(events[-1]["@timestamp"], fmt) - t0 + datetime.timedelta(seconds=1)
with open(out, "w") as o:
    for i in range(n):
        e = dict(events[i % len(events)])
        t = datetime.datetime.strptime(e["@timestamp"], fmt) + span * (i // len(events))
        e["@timestamp"] = t.strftime(fmt)
        o.write(json.dumps(e, separators=(",", ":")) + "\n")
PY

free_port AM_PORT
mkdir -p "$WORK/am"
printf 'route: {receiver: none, group_by: [alertname, site], group_wait: 1s}\nreceivers: [{name: none}]\n' >"$WORK/am.yml"
prometheus-alertmanager --config.file="$WORK/am.yml" --storage.path="$WORK/am" --web.listen-address="127.0.0.1:$AM_PORT" \
  --cluster.listen-address= >"$WORK/am.log" 2>&1 &
PIDS+=("$!")
free_port HOOK_PORT
printf 'bench-secret\n' >"$WORK/secret"
chmod 600 "$WORK/secret"
python3 "$ROOT/tests/e2e/webhook_receiver.py" "$HOOK_PORT" /dev/null >"$WORK/hook.log" 2>&1 &
PIDS+=("$!")
wait_http "http://127.0.0.1:$AM_PORT/-/ready"
until curl -s -o /dev/null -X POST -d '{}' "http://127.0.0.1:$HOOK_PORT/hook"; do sleep 0.1; done

"$BUILD/bench/alerts_bench" --events "$WORK/events.jsonl" --rules "$ROOT/rules" --rounds "$ROUNDS" \
  --alert-log "$WORK/alerts.log" --alert-log-fsync always \
  --alertmanager "http://127.0.0.1:$AM_PORT" \
  --webhook "http://127.0.0.1:$HOOK_PORT/hook" --webhook-secret "$WORK/secret" \
  --alert-queue-size 10000000 --alert-drain 600 --alert-retry-for 600

# The same question counted in instructions, which the machine's load does not change: callgrind
# on the first CG_EVENTS events, instructions of the rule stage (RulesStage::on_event and what it
# calls, on the ingest thread only; the sinks' threads are not counted) per configuration.
CG_EVENTS=${CG_EVENTS:-100000}
if command -v valgrind >/dev/null; then
  head -n "$CG_EVENTS" "$WORK/events.jsonl" >"$WORK/cg-events.jsonl"
  echo
  echo "instructions of the rule stage on the ingest thread (callgrind, $CG_EVENTS events):"
  declare -A ir
  for mode in off null on; do
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$mode" --collect-atstart=no \
      --toggle-collect='soc::daemon::RulesStage::on_event*' \
      "$BUILD/bench/alerts_bench" --only "$mode" --events "$WORK/cg-events.jsonl" --rules "$ROOT/rules" \
      --alert-log "$WORK/cg.log" --alertmanager "http://127.0.0.1:$AM_PORT" \
      --webhook "http://127.0.0.1:$HOOK_PORT/hook" --webhook-secret "$WORK/secret" \
      --alert-queue-size 10000000 --alert-drain 600 >"$WORK/cg.$mode.out" 2>&1
    ir[$mode]=$(sed -nE 's/.*Collected : ([0-9]+)/\1/p' "$WORK/cg.$mode.out")
  done
  python3 - "${ir[off]}" "${ir[null]}" "${ir[on]}" "$(sed -nE 's/.* ([0-9]+) alerts/\1/p' "$WORK/cg.off.out")" <<'PY'
import sys
off, null, on, alerts = map(int, sys.argv[1:5])
for name, v in (("sinks off (floor)", off), ("3 null sinks (the alert path alone)", null), ("log + Alertmanager + webhook", on)):
    print(f"  {name:<40} {v:>14,} instructions  x off {v / off:.4f}")
print(f"  per alert, the alert path adds {(null - off) / alerts:,.0f} instructions ({alerts} alerts)")
PY
fi

# Capacity: the run's alerts as notices (20,000, ids shifted), all queued at once, through each
# sink alone and through all of them (notice_driver: the same flags and code as the correlator).
python3 - "$WORK/alerts.log" "$WORK/notices.jsonl" <<'PY'
import json, sys
alerts = [r["alert"] for r in map(json.loads, open(sys.argv[1])) if r["record"] == "notice"]
with open(sys.argv[2], "w") as out:
    for i in range(20000):
        a = alerts[i % len(alerts)]
        out.write(json.dumps({"kind": "firing", "id": i + 1, "count": a["count"], "first_seen": a["first_seen"],
                              "last_seen": a["last_seen"], "alert": a["event"]}) + "\n")
PY
driver() {  # driver NAME FLAGS...: one line of the capacity table
  local out
  out=$("$BUILD/tests/e2e/notice_driver" --alert-queue-size 1000000 --alert-drain 600 "${@:2}" "$WORK/notices.jsonl" 2>/dev/null)
  printf '%-44s %s\n' "$1" "$(sed -nE 's/.*all sinks done in ([0-9.]+) s \(([0-9]+) notices\/s\).*/\2 notices\/s (\1 s)/p' <<<"$out")"
  grep -E ' (dropped|failed)=[1-9]' <<<"$out" || true
}
echo
echo "capacity, 20,000 notices queued at once:"
driver "alert log (fsync always)" --alert-log "$WORK/cap.log"
driver "alert log (fsync never)" --alert-log "$WORK/cap2.log" --alert-log-fsync never
driver "Alertmanager" --alertmanager "http://127.0.0.1:$AM_PORT"
driver "webhook (signed)" --webhook "http://127.0.0.1:$HOOK_PORT/hook" --webhook-secret "$WORK/secret"
driver "all three" --alert-log "$WORK/cap3.log" --alertmanager "http://127.0.0.1:$AM_PORT" \
  --webhook "http://127.0.0.1:$HOOK_PORT/hook" --webhook-secret "$WORK/secret"

# The webhook's floor: the receiver alone, the same bodies POSTed one after another on one kept
# connection (as the sink makes them), from one python client.
python3 - "$HOOK_PORT" "$WORK/alerts.log" <<'PY'
import http.client, json, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
bodies = [json.dumps({"version": 1, "notice": r["notice"], "alert": r["alert"]}).encode()
          for r in map(json.loads, open(log)) if r["record"] == "notice"][:5000]
c = http.client.HTTPConnection("127.0.0.1", port)
t = time.monotonic()
for b in bodies:
    c.request("POST", "/hook", b, {"Content-Type": "application/json"})
    c.getresponse().read()
dt = time.monotonic() - t
print(f"webhook receiver alone (python3 http.server, floor): {len(bodies) / dt:,.0f} requests/s ({len(bodies)} POSTs)")
PY
