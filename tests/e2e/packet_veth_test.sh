#!/usr/bin/env bash
# soc-packet-sensor live, for real: a veth pair of its own, the sensor capturing on one end,
# tcpreplay sending shared test captures into the other, a correlator on loopback. Every TCP and
# UDP flow that `soc-packet-sensor --read` finds in those captures reaches the correlator's
# --events-out with the same 5-tuple, ndpi.protocol and packet counts. Traffic goes only into the
# veth pair (no address, no route); the pair is removed at exit. The sensor runs as the systemd
# unit runs it: user nobody with CAP_NET_RAW alone. Needs root to set that up; skips otherwise.
source "$(dirname "$0")/lib.sh"
need python3 ss curl ip tcpreplay setpriv
SENSOR="$BUILD/sensors/packet/soc-packet-sensor"
PCAPS="$SRC/../shared/testdata/pcap"
[ -d "$PCAPS" ] || { echo "SKIP: $PCAPS is absent (the shared test data)"; exit 77; }
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: a veth pair and live capture need root"; exit 77; fi
CAPTURES=("$PCAPS/ndpi/443-curl.pcap" "$PCAPS/ndpi/dns_ambiguous_names.pcap" "$PCAPS/ndpi/ssh.pcap"
          "$PCAPS/ndpi/http_ipv6.pcap")

TX="sv$$t"; RX="sv$$r"  # unique per run, at most 15 characters
remove_pair() { ip link del "$TX" 2>/dev/null || true; }
trap 'remove_pair; cleanup' EXIT
ip link add "$TX" type veth peer name "$RX" || { echo "SKIP: cannot create a veth pair here"; exit 77; }
for dev in "$TX" "$RX"; do
  # No IPv6 on the pair: the kernel would add its own router solicitations and MLD reports.
  echo 1 >"/proc/sys/net/ipv6/conf/$dev/disable_ipv6" 2>/dev/null || true
  ip link set "$dev" mtu 65535 || true  # frames bigger than 1500 bytes (http_ipv6.pcap: offloaded)
  ip link set "$dev" up
done

make_keys server p1
printf 'sensors:\n  - {id: p1, site: lab, kind: packet, public_key: "%s"}\n' "$(cat "$WORK/p1.pub")" >"$WORK/allow.yaml"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --events-out "$WORK/events.jsonl"

# As the systemd unit runs it: an unprivileged user with CAP_NET_RAW alone (ambient). Its secret
# key belongs to it, readable by it alone (a secret others can read is refused).
chmod o+x "$WORK"; chmod o+r "$WORK/server.pub"; chown nobody "$WORK/p1.key"
setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps -all,+net_raw --ambient-caps -all,+net_raw \
  --bounding-set -all,+net_raw \
  "$SENSOR" --interface "$RX" --connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" \
  --key "$WORK/p1.key" --sensor-id p1 --site lab --heartbeat 1 >"$WORK/sensor.log" 2>&1 &
SENSOR_PID=$!
PIDS+=("$SENSOR_PID")
for _ in $(seq 1 50); do grep -q "capturing on $RX" "$WORK/sensor.log" && break; sleep 0.1; done
check_contains "the sensor captures on the veth end" "$WORK/sensor.log" "capturing on $RX"
check "it runs as nobody" "$(ps -o user= -p "$SENSOR_PID" | tr -d ' ')" "nobody"
check "CAP_NET_RAW was enough to put the interface in promiscuous mode" \
  "$(ip -d link show "$RX" | grep -o 'promiscuity [0-9]*')" "promiscuity 1"
check "it dropped CAP_NET_RAW once the capture was open" \
  "$(awk '/^CapEff|^CapPrm|^CapAmb/ { print $2 }' "/proc/$SENSOR_PID/status" | sort -u)" "0000000000000000"

# Each capture at most 5,000 packets/s, one after the other.
i=0
for f in "${CAPTURES[@]}"; do
  i=$((i + 1))
  tcpreplay -i "$TX" --pps 5000 "$f" >"$WORK/tcpreplay.$i.log" 2>&1 || { echo "tcpreplay failed on $f:"; tail -5 "$WORK/tcpreplay.$i.log"; }
done
sent=$(cat "$WORK"/tcpreplay.*.log | awk '/Actual:/ { n += $2 } END { print n + 0 }')
check_ge "tcpreplay sent the captures" "$sent" 100
sleep 1.5  # a heartbeat after the replay
kill -TERM "$SENSOR_PID"
set +e; wait "$SENSOR_PID"; rc=$?; set -e
check "SIGTERM flushes, delivers and exits 0" "$rc" 0

# flows FILE: the TCP and UDP flows of FILE: transport, 5-tuple, ndpi.protocol, and the packets
# each way summed over the flows of that key (a capture that reuses a 5-tuple minutes later is
# two flows when read at its own pace, one when replayed faster than the idle timeout)
flows() {
  python3 - "$1" <<'PY'
import collections, json, sys
out = collections.defaultdict(lambda: [0, 0])
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event.dataset") == "flow" and e.get("network.transport") in ("tcp", "udp"):
        key = " ".join(str(e.get(k)) for k in ("network.transport", "source.ip", "source.port", "destination.ip",
            "destination.port", "ndpi.protocol"))
        out[key][0] += e["source.packets"]
        out[key][1] += e["destination.packets"]
print("\n".join(sorted(f"{k} {a} {b}" for k, (a, b) in out.items())))
PY
}
for f in "${CAPTURES[@]}"; do "$SENSOR" --read "$f"; done >"$WORK/offline.jsonl" 2>/dev/null
flows "$WORK/offline.jsonl" >"$WORK/want"
flows "$WORK/events.jsonl" >"$WORK/got"
check_ge "the captures have TCP and UDP flows" "$(wc -l <"$WORK/want")" 10
missing=$(comm -23 "$WORK/want" "$WORK/got")
check "every flow of the captures reached the correlator, the same as --read finds" "$missing" ""
# The last heartbeat: every capture counter, and the packets it saw.
python3 - "$WORK/events.jsonl" >"$WORK/heartbeat" <<'PY'
import json, sys
last = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event.dataset") == "soc.heartbeat":
        last = e
for k in ("packets_received", "packets_dropped_kernel", "packets_dropped_interface", "packets_malformed", "flows_active"):
    print(k, last.get("soc.sensor." + k, "absent"))
PY
for k in packets_received packets_dropped_kernel packets_dropped_interface packets_malformed flows_active; do
  check "the last heartbeat has $k" "$(awk -v k="$k" '$1 == k { print ($2 == "absent" ? "absent" : "present") }' "$WORK/heartbeat")" present
done
check_ge "it counted the replayed packets" "$(awk '$1 == "packets_received" { print $2 }' "$WORK/heartbeat")" "$sent"
check "the kernel dropped none of them" "$(awk '$1 == "packets_dropped_kernel" { print $2 }' "$WORK/heartbeat")" 0
check_ge "the correlator counts the packets received" \
  "$(metric soc_sensor_packets_received_total 'sensor="p1",site="lab"')" "$sent"
finish
