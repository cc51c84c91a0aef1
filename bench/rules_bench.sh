#!/usr/bin/env bash
# Rule engine throughput (issue 5): events per second of `socctl replay` on N mixed events
# (the sample province's events, repeated with shifted timestamps), against the floor of
# reading and decoding the same file with no rules, in one run:
#   floor (0 rules), the default pack (rules/), 100 rules and 1,000 rules (variants of the pack's
#   plain rules with other values, generated into a scratch folder).
# Each figure is the median of RUNS runs (default 3), the configurations interleaved, measured
# in CPU time (user + sys) of socctl: on a shared machine wall-clock time measures the others'
# load as much as ours.
# usage: bench/rules_bench.sh [N] [BUILD]     (default N=1000000, BUILD=build)
#        EVENTS=FILE.jsonl bench/rules_bench.sh ...   another mix: the events of FILE repeated
#        (e.g. what soc-log-sensor makes of a varied log: bench/README.md, "Rule engine").
#        MIX=web bench/rules_bench.sh ...   the web-heavy mix, made here: soc-log-sensor --read
#        (of BUILD) over every sample log of ../shared/testdata/logs (fail2ban's, CrowdSec's),
#        tests/e2e/log_samples and the test data's Apache access log (about 5,700 events, nine in
#        ten web requests), @timestamp rewritten 100 ms apart in log order (the samples' own dates
#        span 2004-2026, which the repetition below would overflow).
# Each row gives the median and, in brackets, the worst and best run.
set -euo pipefail
N=${1:-1000000}
BUILD=${2:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOCCTL="$BUILD/socctl/socctl"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/soc-rules-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [[ ${MIX:-} == web ]]; then
  data="$ROOT/../shared/testdata/logs"
  [[ -d $data ]] || { echo "rules_bench: $data is absent" >&2; exit 2; }
  shopt -s nullglob
  logs=("$data"/fail2ban/* "$data"/crowdsec/*/*.log "$ROOT"/tests/e2e/log_samples/*.log
        "$data"/access/apache_combined_part1.log)
  shopt -u nullglob
  for f in "${logs[@]}"; do [[ -f $f ]] && cat "$f"; done >"$WORK/web.log"
  "$BUILD/sensors/log/soc-log-sensor" --read "$WORK/web.log" 2>/dev/null |
    python3 -c '
import datetime, json, sys
t0 = datetime.datetime(2026, 11, 1)
for i, l in enumerate(sys.stdin):
    e = json.loads(l)
    e["@timestamp"] = (t0 + datetime.timedelta(milliseconds=100 * i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    print(json.dumps(e, separators=(",", ":")))' >"$WORK/web.jsonl"
  echo "rules_bench: web mix: $(wc -l <"$WORK/web.jsonl") events from ${#logs[@]} sample logs" >&2
  EVENTS="$WORK/web.jsonl"
fi

python3 - "${EVENTS:-$ROOT/examples/events}" "$N" "$WORK/events.jsonl" <<'PY'
import datetime, glob, json, os, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
events = []
for f in ([src] if os.path.isfile(src) else sorted(glob.glob(src + "/*.jsonl"))):
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

mkdir -p "$WORK/none" "$WORK/r100" "$WORK/r1000"
python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
tmpl = """title: generated {i}
id: 00000000-0000-4000-8000-{i:012d}
level: low
logsource: {ls}
detection:
  selection:
    {field}|contains: 'needle-{i}'
  condition: selection
---
"""
kinds = [("{product: linux, service: sshd}", "message"), ("{product: ndpi, category: flow}", "dns.question.name"),
         ("{category: webserver}", "url.original"), ("{product: linux, service: iptables}", "message")]
for total, d in ((100, "r100"), (1000, "r1000")):
    with open(f"{work}/{d}/generated.yml", "w") as f:
        for i in range(total):
            ls, field = kinds[i % len(kinds)]
            f.write(tmpl.format(i=i, ls=ls, field=field))
PY

once() {  # once ARGS...: CPU seconds (user + sys) of one socctl replay run
  python3 - "$WORK/err" "$SOCCTL" replay "$@" "$WORK/events.jsonl" <<'PY'
import os, subprocess, sys
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], "w"))
_, status, ru = os.wait4(p.pid, 0)
assert status == 0, status
print(ru.ru_utime + ru.ru_stime)
PY
}
# Each configuration runs RUNS times, the configurations interleaved (so that a burst of load
# on the machine hits them alike); the figure is the median run.
RUNS=${RUNS:-3}
names=("none (floor: read + decode)" "default pack (rules/)" "100 generated" "1,000 generated"
       "pack, evidence kept (live)")
dirs=("$WORK/none" "$ROOT/rules" "$WORK/r100" "$WORK/r1000" "$ROOT/rules")
# The last configuration runs the pack as the correlator does: the events alerts cite are
# encoded and kept, held-back repeats reported (EngineOptions::keep_evidence, ADR 0021).
extra=("" "" "" "" "--keep-evidence")
declare -a times
for ((r = 0; r < RUNS; r++)); do
  for i in 0 1 2 3 4; do times[$i]+="$(once --rules "${dirs[$i]}" ${extra[$i]}) "; done
done
printf '%-28s %14s %10s\n' "rules" "events/s" "x floor"
python3 - "$N" "${names[@]}" "${times[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1]); names = sys.argv[2:7]; runs = [list(map(float, t.split())) for t in sys.argv[7:12]]
med = [statistics.median(r) for r in runs]
for name, m, r in zip(names, med, runs):
    print(f"{name:<28} {n / m:>14,.0f} {m / med[0]:>10.2f}   ({n / max(r):,.0f}-{n / min(r):,.0f} events/s, "
          f"{max(r) / med[0]:.2f}-{min(r) / med[0]:.2f} x floor)")
print(f"1,000 rules / 100 rules (time): {med[3] / med[2]:.2f}")
print(f"pack with evidence kept / pack (time): {med[4] / med[1]:.3f}")
PY
