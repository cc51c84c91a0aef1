#!/usr/bin/env bash
# What an acknowledgement that means "durable" costs (issue 14, docs/adr/0029-delivery.md):
# socctl send -> soc-correlator (CURVE) with N events, in each round these runs, in this order:
#
#   none        no --events-out, no --state-dir: nothing to write (the floor)
#   file        --events-out: each batch written to the kernel before its acknowledgement
#   journal     --events-out --state-dir: also its sequence mark in the delivery journal
#               (the default with a state folder: --sync normal)
#   fdatasync   the same with --sync full: --events-out fdatasync'ed before each acknowledgement
#
#   bench/delivery_bench.sh [BUILD] [N] [ROUNDS]     (defaults: build 1000000 5)
#
# Timed: the whole `socctl send` process (start-up, reading the file, every batch, the wait for
# the last acknowledgement); a run counts only when the correlator received all N. The files are
# written under TMPDIR (default /var/tmp: a disk, where fdatasync means something; /tmp may be a
# tmpfs). Output: a markdown table of medians (min-max) and the ratio to the floor of each round.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
n=${2:-1000000}
rounds=${3:-5}
[[ $build = /* ]] || build="$repo/$build"
correlator=$build/daemon/soc-correlator
socctl=$build/socctl/socctl
for bin in "$correlator" "$socctl"; do [[ -x $bin ]] || { echo "delivery_bench: missing $bin" >&2; exit 77; }; done
log() { echo "delivery_bench: $*" >&2; }

tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/delivery_bench.XXXXXX")
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
source "$repo/bench/lib.sh"
"$socctl" keygen --out "$tmp/server" >/dev/null
"$socctl" keygen --out "$tmp/bench1" >/dev/null
printf "sensors: [{id: bench1, site: lab, public_key: '%s'}]\n" "$(tr -d ' \n' <"$tmp/bench1.pub")" >"$tmp/allow.yaml"
log "generating $n events"
python3 "$repo/bench/gen_events.py" --count "$n" --out "$tmp/events.jsonl"

run() {  # kind round extra-args...
  local kind=$1 round=$2 dir port mport t0 t1 got
  shift 2
  dir=$tmp/$kind.$round
  mkdir -p "$dir"
  free_port port
  free_port mport
  (cd "$dir" && exec "$correlator" --listen "tcp://127.0.0.1:$port" --metrics "127.0.0.1:$mport" --publish "" \
     --server-key "$tmp/server.key" --allow "$tmp/allow.yaml" "$@") >"$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 150); do
    [[ -n $(ss -Hltn "sport = :$port") ]] && curl -fsS -o /dev/null "http://127.0.0.1:$mport/metrics" 2>/dev/null && break
    sleep 0.1
  done
  t0=$(date +%s.%N)
  "$socctl" send --connect "tcp://127.0.0.1:$port" --server-pub "$tmp/server.pub" --key "$tmp/bench1.key" \
    --sensor-id bench1 --site lab --quiet --timeout 120 "$tmp/events.jsonl"
  t1=$(date +%s.%N)
  got=$(curl -fsS "http://127.0.0.1:$mport/metrics" | awk '/^soc_events_received_total\{/ && /sensor="bench1"/ {print $NF}')
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
  [[ ${got%.*} == "$n" ]] || { log "$kind: the correlator received $got of $n"; exit 1; }
  printf '%s\t%s\t%s\n' "$kind" "$round" "$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN { printf "%.0f", n / (b - a) }')" >>"$tmp/results.tsv"
  log "  round $round $kind: $(tail -n1 "$tmp/results.tsv" | cut -f3) events/s"
  rm -rf "$dir"
}

: >"$tmp/results.tsv"
for r in $(seq "$rounds"); do
  run none "$r"
  run file "$r" --events-out events.jsonl
  run journal "$r" --events-out events.jsonl --state-dir state
  run fdatasync "$r" --events-out events.jsonl --state-dir state --sync full
done
python3 - "$tmp/results.tsv" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    kind, rnd, rate = line.split()
    rows[kind][int(rnd)] = float(rate)
def fmt(v): return f"{v / 1000:.0f} k"
print("| run | events/s, median (min-max) | / floor of the same round, median (min-max) |")
print("|---|---|---|")
for kind in ["none", "file", "journal", "fdatasync"]:
    rates = list(rows[kind].values())
    ratios = [rows[kind][r] / rows["none"][r] for r in rows[kind]]
    print(f"| {kind} | {fmt(statistics.median(rates))} ({fmt(min(rates))}-{fmt(max(rates))}) | "
          f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) |")
PY
