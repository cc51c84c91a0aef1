#!/usr/bin/env bash
# Send-to-alert latency (issue 17): how long after a sender hands over the event that completes
# an SSH brute force does the alert stand in the correlator's --alerts-out?
#
#   bench/latency.sh [BUILD] [SECONDS] [RATE...]
#
#   BUILD    meson build directory (default: build): daemon/soc-correlator and socctl/socctl
#   SECONDS  how long each rate is sent (default: 10; at least 2,000 events per rate)
#   RATE     events per second, one run each (default: 100 2000 10000 50000)
#
# Each rate gets a fresh soc-correlator with the default rule pack (rules/, CURVE, allowlist,
# --alerts-out) and one real `socctl send --rate RATE --stamp-now` (the sender's defaults: 512
# events or the 10 ms flush deadline per batch). The events are failed SSH logins, ten from each
# source address in a row, so the tenth completes the pack's "SSH brute force from one address"
# (10 in a minute) and "slow brute force" (10 in 30 minutes): one alert each per source (the
# rules' suppression keeps it to one). --stamp-now sets each event's @timestamp to the moment
# socctl send hands it to its transport; an alert's @timestamp is that of the event that
# completed it. A watcher (python3) reads --alerts-out as it grows, every 0.5 ms, and notes when
# each alert line appears; latency = that moment - the alert's @timestamp (one clock: the same
# machine). It includes the watcher's polling (0.25 ms on average).
#
# MIX=mixed: a realistic alert rate instead: in every 1,000 events, 990 flows (a tenth of them
# from a new source address, as bench/soak_gen.py) and one brute force (ten failed logins from a
# new address, one every 100 events); latency is that of the brute forces' alerts.
# Environment: CORRELATOR_ARGS, SEND_ARGS (extra arguments), KEEP=1 (keep the temp dir), TMPDIR,
# CORRELATOR_WRAP: a command the correlator runs under (the instruction counts of bench/README.md:
# CORRELATOR_WRAP="valgrind --tool=callgrind --callgrind-out-file=OUT"; it is given START_WAIT
# seconds, default 15, to open its ports),
# STATE_DIR=1: the correlator runs as in production, with a state directory (--state-dir, a fresh
# one per rate: the alert store, SQLite, records and commits every alert; the delivery marks),
# KEEP=1 also keeps, per rate, metrics.txt (the correlator's /metrics after the send) and
# threads.txt (tid, utime, stime of each correlator thread, clock ticks),
# BREAKDOWN=1: the correlator also writes --events-out, whose event.ingested (when the correlator
# took the batch) splits each latency in two: send -> ingest (the sender's batching, the
# transport, the correlator's queue) and ingest -> alert in the file (the correlator's work on
# the batch, the rules, the alert's write, the watcher). --events-out adds a write and a flush
# per batch, so these runs are a little slower than the plain ones.
# Output: a markdown table on stdout (p50, p99, max per rate); progress on stderr.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
secs=${2:-10}
shift $(( $# > 2 ? 2 : $# ))
rates=("$@")
[[ ${#rates[@]} -gt 0 ]] || rates=(100 2000 10000 50000)
[[ $build = /* ]] || build="$repo/$build"
correlator=$build/daemon/soc-correlator
socctl=$build/socctl/socctl

log() { echo "latency: $*" >&2; }
die() { log "$*"; exit 1; }
for tool in python3 curl ss; do command -v "$tool" >/dev/null || { log "missing tool: $tool"; exit 77; }; done
for bin in "$correlator" "$socctl"; do [[ -x $bin ]] || { log "missing $bin (ninja -C $build)"; exit 77; }; done
[[ $secs =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a positive integer, got '$secs'"
for r in "${rates[@]}"; do [[ $r =~ ^[1-9][0-9]*$ ]] || die "RATE must be a positive integer, got '$r'"; done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/latency_bench.XXXXXX")
correlator_pid=
watcher_pid=
cleanup() {
  local rc=$?
  for p in $watcher_pid $correlator_pid; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if [[ ${KEEP:-0} = 1 || $rc -ne 0 ]]; then log "temp dir kept: $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

source "$repo/bench/lib.sh"

keys=$tmp/keys
mkdir -p "$keys"
"$socctl" keygen --out "$keys/server" >/dev/null
"$socctl" keygen --out "$keys/lat1" >/dev/null
printf "sensors: [{id: lat1, site: lab, public_key: '%s'}]\n" "$(tr -d ' \t\r\n' <"$keys/lat1.pub")" >"$keys/allow.yaml"

mix=${MIX:-bruteforce}
[[ $mix = bruteforce || $mix = mixed ]] || die "MIX must be bruteforce or mixed, got '$mix'"
per_alert=10  # events per brute force
[[ $mix = mixed ]] && per_alert=1000

# N events: failed SSH logins, ten in a row from each source, or the mixed load (the @timestamp
# is replaced when sent).
gen_events() {  # N FILE
  python3 - "$1" "$2" "$mix" <<'EOF'
import random, sys
n, path, mix = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = random.Random(1)
def login(src):
    ip = f"10.{(src >> 16) & 255}.{(src >> 8) & 255}.{src & 255}"
    return ('{"@timestamp":"2026-11-20T08:00:00.000000Z","event.kind":"event","event.dataset":"sshd",'
            '"event.category":["authentication"],"event.action":"ssh_login","event.outcome":"failure",'
            f'"source.ip":"{ip}","user.name":"root","message":"Failed password for root from {ip} port 4000 ssh2"}}\n')
churn = 0
def flow():
    global churn
    if rng.random() < 0.1:
        churn += 1
        src = f"172.{16 + (churn >> 16) % 16}.{(churn >> 8) & 255}.{churn & 255}"
    else:
        src = f"10.200.0.{rng.randrange(1, 50)}"
    return ('{"@timestamp":"2026-11-20T08:00:00.000000Z","event.kind":"event","event.dataset":"flow",'
            f'"event.category":["network"],"source.ip":"{src}","source.port":{rng.randrange(1024, 65535)},'
            f'"destination.ip":"192.0.2.{rng.randrange(1, 20)}","destination.port":{rng.choice([443, 80, 53])},'
            '"network.transport":"tcp","ndpi.protocol":"TLS"}\n')
with open(path, "w") as out:
    for i in range(n):
        if mix == "bruteforce":
            out.write(login(i // 10))
        elif i % 100 == 50:  # the thousand's ten failed logins, one every 100 events
            out.write(login(i // 1000))
        else:
            out.write(flow())
EOF
}

# The watcher: follows FILE, notes when each line appears, stops after EXPECT lines of the brute
# force rule or TIMEOUT seconds, then prints one latency in milliseconds per alert.
watch_alerts() {  # FILE EXPECT TIMEOUT OUT READY
  python3 - "$@" <<'EOF'
import json, os, sys, time
from datetime import datetime
path, expect, timeout, out, ready = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
seen, buf, got, f = [], b"", 0, None
open(ready, "w").close()  # python takes a while to start on a loaded machine: say when it runs
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    if got >= expect:  # the slow brute force's alert for the last source follows its twin
        deadline = min(deadline, time.monotonic() + 1.0)
    if f is None:
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            time.sleep(0.0005)
            continue
    chunk = f.read(1 << 20)
    if not chunk:
        time.sleep(0.0005)
        continue
    now = time.time()
    buf += chunk
    lines = buf.split(b"\n")
    buf = lines.pop()
    for line in lines:
        seen.append((now, line))
        if b'"SSH brute force from one address"' in line:
            got += 1
with open(out, "w") as o:
    for now, line in seen:
        try:
            a = json.loads(line)
            ts = datetime.fromisoformat(a["@timestamp"].replace("Z", "+00:00")).timestamp()
        except (ValueError, KeyError):
            continue
        o.write(f"{(now - ts) * 1000:.3f}\t{a.get('rule.name', '')}\t{a.get('source.ip', '')}\t{a['@timestamp']}\t{now:.6f}\n")
print(got)
EOF
}

results=$tmp/results.tsv
: >"$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for rate in "${rates[@]}"; do
  n=$((rate * secs))
  (( n >= 2000 )) || n=2000
  n=$(( (n + per_alert - 1) / per_alert * per_alert ))
  sources=$((n / per_alert))
  dir=$tmp/rate$rate
  mkdir -p "$dir"
  log "rate $rate/s: $n events, $sources brute forces"
  gen_events "$n" "$dir/events.jsonl"
  free_port port; free_port mport; free_port pport
  # shellcheck disable=SC2086
  ${CORRELATOR_WRAP:-} "$correlator" --listen "tcp://127.0.0.1:$port" --server-key "$keys/server.key" --allow "$keys/allow.yaml" \
    --metrics "127.0.0.1:$mport" --publish "tcp://127.0.0.1:$pport" --rules "$repo/rules" \
    --alerts-out "$dir/alerts.jsonl" ${BREAKDOWN:+--events-out "$dir/events-out.jsonl"} \
    ${STATE_DIR:+--state-dir "$dir/state"} ${CORRELATOR_ARGS:-} \
    >"$dir/correlator.log" 2>&1 &
  correlator_pid=$!
  for _ in $(seq $(( ${START_WAIT:-15} * 10 ))); do
    kill -0 "$correlator_pid" 2>/dev/null || { tail "$dir/correlator.log" >&2; die "soc-correlator exited"; }
    [[ -n $(ss -Hltn "sport = :$port") ]] && curl -fsS -o /dev/null "http://127.0.0.1:$mport/metrics" 2>/dev/null && break
    sleep 0.1
  done
  watch_alerts "$dir/alerts.jsonl" "$sources" $((n / rate + 60)) "$dir/latency.tsv" "$dir/watcher.ready" >"$dir/watcher.out" &
  watcher_pid=$!
  for _ in $(seq 300); do [[ -e $dir/watcher.ready ]] && break; sleep 0.1; done
  [[ -e $dir/watcher.ready ]] || die "the watcher did not start within 30 s"
  # shellcheck disable=SC2086
  "$socctl" send --connect "tcp://127.0.0.1:$port" --server-pub "$keys/server.pub" --key "$keys/lat1.key" \
    --sensor-id lat1 --site lab --rate "$rate" --stamp-now ${SEND_ARGS:-} "$dir/events.jsonl" >"$dir/send.log" 2>&1 ||
    { tail "$dir/send.log" >&2; die "socctl send failed at rate $rate"; }
  wait "$watcher_pid" || true
  watcher_pid=
  got=$(cat "$dir/watcher.out" 2>/dev/null || echo 0)
  # Kept with KEEP=1: the correlator's metrics at the end of the run, and each of its threads'
  # CPU time (utime + stime in clock ticks, from /proc; the correlator's own threads only when
  # it runs unwrapped).
  curl -fsS -o "$dir/metrics.txt" "http://127.0.0.1:$mport/metrics" 2>/dev/null || true
  for t in /proc/"$correlator_pid"/task/*; do
    [[ -r $t/stat ]] && awk -v tid="${t##*/}" '{ sub(/^.*\) /, ""); print tid, $12, $13 }' "$t/stat"
  done >"$dir/threads.txt" 2>/dev/null || true
  kill -TERM "$correlator_pid"; wait "$correlator_pid" 2>/dev/null || true
  correlator_pid=
  [[ $got = "$sources" ]] || log "  warning: $got of $sources brute-force alerts seen"
  python3 - "$rate" "$n" "$sources" "$got" "$dir/latency.tsv" "$dir/events-out.jsonl" >>"$results" <<'EOF'
import json, os, sys
from datetime import datetime
rate, n, sources, got, path, events_out = sys.argv[1:7]
rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
def pct(xs, p):
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")
def epoch(ts):
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
lat = sorted(float(r[0]) for r in rows)
split = ""
if os.path.exists(events_out):
    # The event that completed each brute force: (source.ip, @timestamp) -> event.ingested.
    ingested = {}
    with open(events_out) as f:
        for line in f:
            if '"sshd"' not in line:
                continue
            e = json.loads(line)
            ingested[(e.get("source.ip"), e["@timestamp"])] = e["event.ingested"]
    a, b = [], []
    for r in rows:
        t = ingested.get((r[2], r[3]))
        if t is None:
            continue
        a.append((epoch(t) - epoch(r[3])) * 1000)
        b.append((float(r[4]) - epoch(t)) * 1000)
    a.sort()
    b.sort()
    split = f"\t{pct(a, 50):.1f} / {pct(a, 99):.1f}\t{pct(b, 50):.1f} / {pct(b, 99):.1f}"
print(f"{rate}\t{n}\t{len(lat)}\t{got}/{sources}\t{pct(lat, 50):.1f}\t{pct(lat, 99):.1f}\t{(lat[-1] if lat else float('nan')):.1f}{split}")
EOF
  log "  $(tail -n1 "$results" | awk -F'\t' '{ printf "%s alerts, p50 %s ms, p99 %s ms, max %s ms", $3, $5, $6, $7 }')"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "?")
echo "Send-to-alert latency: socctl send --rate R --stamp-now -> soc-correlator --rules rules/ --alerts-out," \
     "$secs s per rate (at least 2,000 events), alerts of both SSH brute-force rules; mix: $mix" \
     "${STATE_DIR:+; with --state-dir (the alert store)}" \
     "(one brute force per $per_alert events)."
echo
if [[ -n ${BREAKDOWN:-} ]]; then
  echo "| events/s | events | alerts | brute forces seen | p50 ms | p99 ms | max ms | send -> ingest p50 / p99 | ingest -> file p50 / p99 |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$results"
else
  echo "| events/s | events | alerts | brute forces seen | p50 ms | p99 ms | max ms |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$results"
fi
echo
echo "- machine: $(nproc) CPUs, ${model:-?}, kernel $(uname -r); load average before: $load_before, after: $load_after"
echo "- command: \`${STATE_DIR:+STATE_DIR=1 }${BREAKDOWN:+BREAKDOWN=1 }${MIX:+MIX=$MIX }bench/latency.sh ${build#"$repo"/} $secs ${rates[*]}\` (commit $commit)"
