#!/usr/bin/env bash
# Issue 17's soak: MINUTES at a steady mixed load from SENDERS real senders (bench/soak_gen.py |
# socctl send -), with a churn of distinct sources, into a correlator with the shipped rule pack,
# --events-out, --alerts-out and --state-dir (snapshots on). Every 5 s it samples the
# correlator's RSS and open groups; every alert of the brute force each sender starts every 5 s
# is timed from its tenth event's send time (the event's @timestamp) to its arrival on the live
# feed (socctl tail --alerts). Prints a table per minute and draws PNG (RSS, open groups, p50 and
# p99 latency over time) from the run's own figures.
#
#   bench/soak.sh [BUILD] [MINUTES] [SENDERS] [RATE_PER_SENDER] [PNG]
#                 (defaults: build 10 4 500 docs/soak.png)
#
# PYTHON (default /usr/bin/python3, Debian's, which has python3-matplotlib) draws the picture.
# socctl send reading a pipe flushes a batch only when it is full (it services its socket only
# when its window is full or it is paced): the soak gives it --batch 8, so a batch leaves every
# 8 events (16 ms at 500 events/s); the senders' flush deadline (issue 17, branch spool) will
# make a timer do that.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
minutes=${2:-10}
senders=${3:-4}
rate=${4:-500}
png=${5:-$repo/docs/soak.png}
[[ $build = /* ]] || build="$repo/$build"
PYTHON=${PYTHON:-/usr/bin/python3}
correlator=$build/daemon/soc-correlator
socctl=$build/socctl/socctl
log() { echo "soak: $*" >&2; }
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/soak.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [[ -n $p ]] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [[ -n $p ]] && wait "$p" 2>/dev/null || true; done
  [[ ${KEEP:-0} = 1 ]] && log "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT
source "$repo/bench/lib.sh"
free_port port; free_port mport; free_port pport
"$correlator" --insecure --listen "tcp://127.0.0.1:$port" --metrics "127.0.0.1:$mport" --publish "tcp://127.0.0.1:$pport" \
  --rules "$repo/rules" --events-out "$tmp/events.jsonl" --alerts-out "$tmp/alerts.jsonl" --state-dir "$tmp/state" \
  >"$tmp/correlator.log" 2>&1 &
cpid=$!
pids+=("$cpid")
for _ in $(seq 100); do [[ -n $(ss -Hltn "sport = :$mport") ]] && break; sleep 0.1; done
# JSON lines of the live alerts only (--api "": not the store's open ones); it stops by itself a
# little after the run, since the pipeline's first process is not among the pids killed.
"$socctl" tail --connect "tcp://127.0.0.1:$pport" --alerts --json --api "" --timeout $((minutes * 60 + 30)) 2>/dev/null |
  "$PYTHON" -u -c '
import json, sys, time, datetime
for line in sys.stdin:
    now = time.time()
    a = json.loads(line)
    if a.get("rule.id") != "6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a03": continue
    end = datetime.datetime.strptime(a["event.end"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    print(f"{now:.6f}\t{now - end:.6f}", flush=True)
' >"$tmp/latency.tsv" &
pids+=($!)
sleep 1
seconds=$((minutes * 60))
log "$senders senders at $rate events/s each for $minutes min (pid $cpid, files in $tmp)"
for s in $(seq "$senders"); do
  "$PYTHON" "$repo/bench/soak_gen.py" "$s" "$rate" "$seconds" |
    "$socctl" send --insecure --connect "tcp://127.0.0.1:$port" --sensor-id "soak$s" --site "site$s" --quiet --timeout 120 \
      --batch 8 - \
      >"$tmp/send$s.log" 2>&1 &
  pids+=($!)
done
t0=$(date +%s)
: >"$tmp/samples.tsv"
while (( $(date +%s) - t0 < seconds )); do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$cpid/status")
  m=$(curl -fsS "http://127.0.0.1:$mport/metrics")
  groups=$(awk '/^soc_rule_state_groups[{ ]/ {s += $NF} END {print s + 0}' <<<"$m")
  state=$(awk '/^soc_rule_state_bytes / {print $2}' <<<"$m")
  received=$(awk '/^soc_events_received_total/ {s += $NF} END {print s + 0}' <<<"$m")
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date +%s.%N)" "$rss" "${groups:-0}" "$received" "${state:-0}" >>"$tmp/samples.tsv"
  sleep 5
done
sleep 2
"$PYTHON" - "$tmp/samples.tsv" "$tmp/latency.tsv" "$t0" "$png" "$senders" "$rate" <<'PY'
import statistics, sys
samples = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
lat = [list(map(float, l.split())) for l in open(sys.argv[2]) if l.strip()]
t0, png, senders, rate = float(sys.argv[3]), sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
print(f"{senders} senders x {rate:.0f} events/s, churn of distinct flow sources, a brute force per sender every 5 s\n")
print("| minute | events/s | RSS MiB | open groups | rule state (estimate) MiB | alerts | latency p50 ms | p99 ms | max ms |")
print("|---|---|---|---|---|---|---|---|---|")
minutes = int((samples[-1][0] - t0) // 60) + 1
prev = None
for m in range(minutes):
    s = [x for x in samples if m * 60 <= x[0] - t0 < (m + 1) * 60]
    l = [x[1] for x in lat if m * 60 <= x[0] - t0 < (m + 1) * 60]
    if not s: continue
    ev = (s[-1][3] - s[0][3]) / max(1e-9, s[-1][0] - s[0][0])
    print(f"| {m + 1} | {ev:.0f} | {statistics.mean(x[1] for x in s) / 1024:.1f} | {statistics.mean(x[2] for x in s):.0f} | "
          f"{statistics.mean(x[4] for x in s) / 1048576:.1f} | "
          f"{len(l)} | {pct(l, .5) * 1e3:.1f} | {pct(l, .99) * 1e3:.1f} | {max(l) * 1e3 if l else float('nan'):.1f} |")
warm = [x for x in samples if x[0] - t0 >= 120]
if warm:
    rss = [x[1] for x in warm]
    print(f"\nafter 2 min of warm-up: RSS {min(rss) / 1024:.1f}-{max(rss) / 1024:.1f} MiB "
          f"(spread {100 * (max(rss) - min(rss)) / min(rss):.1f} % of the lowest); "
          f"latency over the whole run p50 {pct([x[1] for x in lat], .5) * 1e3:.1f} ms, "
          f"p99 {pct([x[1] for x in lat], .99) * 1e3:.1f} ms, max {max(x[1] for x in lat) * 1e3:.1f} ms, {len(lat)} alerts")
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
ax[0].plot([(x[0] - t0) / 60 for x in samples], [x[1] / 1024 for x in samples])
ax[0].set_ylabel("RSS, MiB"); ax[0].set_ylim(bottom=0)
ax[1].plot([(x[0] - t0) / 60 for x in samples], [x[2] for x in samples])
ax[1].set_ylabel("open groups"); ax[1].set_ylim(bottom=0)
win = []
for m2 in range(int(minutes * 2)):
    l = [x[1] for x in lat if m2 * 30 <= x[0] - t0 < (m2 + 1) * 30]
    if l: win.append(((m2 + 0.5) / 2, pct(l, .5) * 1e3, pct(l, .99) * 1e3))
ax[2].plot([w[0] for w in win], [w[1] for w in win], label="p50")
ax[2].plot([w[0] for w in win], [w[2] for w in win], label="p99")
ax[2].set_ylabel("send to alert, ms (30 s windows)"); ax[2].set_ylim(bottom=0); ax[2].legend()
ax[2].set_xlabel("minutes")
fig.suptitle(f"soc-correlator soak: {senders} senders x {rate:.0f} events/s, shipped rules, churn of sources")
fig.tight_layout()
fig.savefig(png, dpi=80)
print(f"\npicture: {png}")
PY
