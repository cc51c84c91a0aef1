#!/usr/bin/env bash
# Memory of soc-packet-sensor under a flood of new flows: N distinct flows (default 1 000 000,
# one packet each) with the flow table capped at --max-flows (default 100 000). Prints the
# peak RSS and the wall time; the bound is documented in docs/adr/0006-packet-sensor.md.
#
# usage: bench/packet_memory.sh [N] [MAX_FLOWS]   (after ./scripts/setup.sh)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-1000000}
cap=${2:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$root/bench/gen_flows.py" "$work/flows.pcap" "$n"
/usr/bin/time -f "soc-packet-sensor: $n flows, --max-flows $cap: %e s wall, peak RSS %M KiB" \
  "$root/build/sensors/packet/soc-packet-sensor" --read "$work/flows.pcap" --max-flows "$cap" >"$work/out.jsonl"
echo "flow events: $(grep -c '"event.dataset":"flow"' "$work/out.jsonl"), exported early (table full): $(grep -c flow_table_full "$work/out.jsonl")"
