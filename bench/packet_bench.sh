#!/usr/bin/env bash
# Throughput and peak memory of soc-packet-sensor beside its floor and its peer, in one run, on
# the same captures:
#   floor  tcpdump -r FILE -w /dev/null        reading the capture, nothing else
#   peer   ndpiReader -i FILE -q                nDPI's own reader (Debian's libndpi-bin)
#   ours   soc-packet-sensor --read FILE        events to /dev/null
# Inputs: the largest capture in the shared test data (pcap/bench/echo-connections.pcap), and a
# mix of every Ethernet capture in pcap/{ndpi,zeek,suricata-verify}, merged by time, copied
# COPIES times with distinct addresses (tcprewrite --seed=N per copy) and interleaved, so that
# nDPI sees new flows rather than repeats (captures tcprewrite cannot rewrite are left out). Each command runs once to warm the page cache, then
# RUNS times in rotation; the table gives the median wall time (min-max), packets/s from the
# median, the median CPU time (user+sys, wait4()) and the median peak RSS (GNU time). On a
# shared machine, CPU time is the steadier measure: the ratios are given for both. Figures: bench/README.md.
#
# usage: bench/packet_bench.sh [COPIES] [RUNS]   (defaults 40 and 5; after ./scripts/setup.sh)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
copies=${1:-40}
runs=${2:-5}
sensor=${SENSOR:-$root/build/sensors/packet/soc-packet-sensor}
data="$root/../shared/testdata/pcap"
for t in tcpdump ndpiReader tcprewrite python3 /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "missing: $t (scripts/setup.sh installs it)" >&2; exit 1; }
done
[ -x "$sensor" ] || { echo "missing: $sensor (ninja -C build)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "building the mix ($copies copies) in $work ..." >&2
i=0
while IFS= read -r f; do
  [ "$(tcpdump -r "$f" -c 1 2>&1 >/dev/null | grep -o 'link-type [A-Z0-9_]*' | head -1)" = "link-type EN10MB" ] || continue
  tcpdump -r "$f" -w "$work/n$i.pcap" 2>/dev/null || true  # a cut capture: what could be read
  # tcprewrite refuses some malformed packets (fuzzed captures): such files stay out of the mix.
  if tcprewrite --seed=1 --infile="$work/n$i.pcap" --outfile="$work/check.pcap" >/dev/null 2>&1; then
    i=$((i + 1))
  else
    echo "  left out (tcprewrite refuses it): ${f#"$data"/}" >&2
    rm -f "$work/n$i.pcap"
  fi
done < <(cd "$data" && find "$data/ndpi" "$data/zeek" "$data/suricata-verify" -type f \
           \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) | LC_ALL=C sort)
python3 "$root/bench/packet_mix.py" merge "$work/mix1.pcap" "$work"/n*.pcap >/dev/null
for s in $(seq 1 "$copies"); do
  tcprewrite --seed="$s" --infile="$work/mix1.pcap" --outfile="$work/s$s.pcap" >/dev/null 2>&1
done
python3 "$root/bench/packet_mix.py" interleave "$work/mix.pcap" $(for s in $(seq 1 "$copies"); do echo "$work/s$s.pcap"; done) >/dev/null
rm -f "$work"/n*.pcap "$work"/s*.pcap

# one NAME FILE: one run of tool NAME on FILE; prints "wall_us peak_rss_kib cpu_seconds"
one() {
  local cmd
  case "$1" in
    tcpdump) cmd=(tcpdump -r "$2" -w /dev/null) ;;
    ndpiReader) cmd=(ndpiReader -i "$2" -q) ;;
    sensor) cmd=("$sensor" --read "$2") ;;
  esac
  python3 "$root/bench/packet_mix.py" run "${cmd[@]}"
}

bench_file() {  # bench_file LABEL FILE
  local label=$1 file=$2 packets
  packets=$(python3 "$root/bench/packet_mix.py" count "$file")
  local summary
  summary=$("$sensor" --read "$file" 2>&1 >/dev/null | tail -1)
  echo
  echo "### $label: $packets packets, $(($(stat -c %s "$file") / 1024)) KiB"
  echo "sensor: ${summary#soc-packet-sensor: }"
  : >"$work/times"
  for tool in tcpdump ndpiReader sensor; do one "$tool" "$file" >/dev/null; done  # warm-up
  for _ in $(seq 1 "$runs"); do
    for tool in tcpdump ndpiReader sensor; do echo "$tool $(one "$tool" "$file")" >>"$work/times"; done
  done
  python3 - "$work/times" "$packets" "$runs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
packets, runs = int(sys.argv[2]), sys.argv[3]
med = {}
print(f"\n| tool | wall s, median of {runs} (min-max) | packets/s | CPU s (user+sys) | peak RSS MiB |")
print("| --- | --- | --- | --- | --- |")
for tool, cmd in (("tcpdump", "tcpdump -r FILE -w /dev/null"), ("ndpiReader", "ndpiReader -i FILE -q"),
                  ("sensor", "soc-packet-sensor --read FILE >/dev/null")):
    us = [int(r[1]) for r in rows if r[0] == tool]
    rss = [int(r[2]) for r in rows if r[0] == tool]
    cpu = [float(r[3]) for r in rows if r[0] == tool]
    w, m, c = statistics.median(us) / 1e6, statistics.median(rss) / 1024, statistics.median(cpu)
    med[tool] = (w, m, c)
    print(f"| `{cmd}` | {w:.3f} ({min(us)/1e6:.3f}-{max(us)/1e6:.3f}) | {packets / w / 1e3:,.0f} k | {c:.2f} | {m:.1f} |")
s, n, t = med["sensor"], med["ndpiReader"], med["tcpdump"]
print(f"\nwall: sensor packets/s / ndpiReader's: {n[0] / s[0]:.2f} (goal >= 2); sensor time / tcpdump's: "
      f"{s[0] / t[0]:.2f} (goal <= 2.5); sensor RSS / ndpiReader's: {s[1] / n[1]:.2f} (goal < 1); "
      f"in CPU time: ndpiReader / sensor {n[2] / max(s[2], 0.01):.2f}, sensor / tcpdump {s[2] / max(t[2], 0.01):.2f}")
PY
}

echo "# packet_bench: $(date -u +%FT%TZ), $(nproc) CPU ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(tcpdump --version 2>&1 | head -1), nDPI $(dpkg-query -W -f='${Version}' libndpi-bin 2>/dev/null)"
bench_file "largest capture: pcap/bench/echo-connections.pcap" "$data/bench/echo-connections.pcap"
bench_file "mix: the Ethernet testdata captures x $copies copies (tcprewrite --seed 1..$copies), interleaved" "$work/mix.pcap"
