#!/usr/bin/env bash
# soc-packet-sensor offline: the command-line contract (--read, several files, --filter,
# --sensor-id/--site), the events it writes, and bad input (a capture cut inside a packet, an
# empty file, a file that is not a capture, fuzzed and damaged captures).
source "$(dirname "$0")/lib.sh"
need python3
SENSOR="$BUILD/sensors/packet/soc-packet-sensor"
PCAPS="$SRC/../shared/testdata/pcap"
[ -d "$PCAPS" ] || { echo "SKIP: $PCAPS is absent (the shared test data)"; exit 77; }

code() { set +e; "$@" >"$WORK/out" 2>"$WORK/err"; echo $?; set -e; }
# field FILE DATASET KEY: the values of KEY in the events of DATASET, one per line, sorted
field() {
  python3 - "$@" <<'PY'
import json, sys
vals = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event.dataset") == sys.argv[2] and sys.argv[3] in e:
        v = e[sys.argv[3]]
        vals.append(",".join(map(str, v)) if isinstance(v, list) else str(v))
print("\n".join(sorted(vals)))
PY
}
# valid FILE: every line is a JSON object with the required fields; prints the line count
valid() {
  python3 - "$1" <<'PY'
import json, sys
n = 0
for i, line in enumerate(open(sys.argv[1]), 1):
    e = json.loads(line)
    for k in ("@timestamp", "event.kind", "event.dataset", "event.category", "observer.name", "site.id"):
        if k not in e:
            print(f"line {i}: no {k}"); sys.exit(1)
    if e["event.dataset"] == "flow":
        for k in ("source.ip", "destination.ip", "network.transport", "ndpi.protocol", "network.protocol",
                  "ndpi.category", "ndpi.risk", "source.packets", "source.bytes", "destination.packets",
                  "destination.bytes", "event.start", "event.end"):
            if k not in e:
                print(f"line {i}: flow without {k}"); sys.exit(1)
    n += 1
print(n)
PY
}

echo "== --help, usage errors"
check "--help exits 0" "$(code "$SENSOR" --help)" 0
for flag in --read --filter --sensor-id --site --max-flows --idle-timeout --active-timeout --tcp-close-timeout --config --version; do
  check_contains "--help lists $flag" "$WORK/out" "$flag"
done
check "no --read is a usage error" "$(code "$SENSOR")" 2
check "an unknown flag is a usage error" "$(code "$SENSOR" --bogus)" 2
check "a filter that does not compile is a usage error" "$(code "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap" --filter 'port port')" 2
check_contains "the filter is named" "$WORK/err" "--filter 'port port'"

echo "== one TLS flow"
check "443-curl.pcap exits 0" "$(code "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap")" 0
check "every line is a valid event" "$(valid "$WORK/out")" 1
check "ndpi.protocol as ndpiReader names it" "$(field "$WORK/out" flow ndpi.protocol)" "TLS.ntop"
check "network.protocol" "$(field "$WORK/out" flow network.protocol)" "tls"
check "SNI" "$(field "$WORK/out" flow tls.client.server_name)" "www.ntop.org"
check "the client is the source" "$(field "$WORK/out" flow source.ip):$(field "$WORK/out" flow source.port)" "192.168.1.13:55523"
check "destination" "$(field "$WORK/out" flow destination.ip):$(field "$WORK/out" flow destination.port)" "178.62.197.130:443"
check "packets each way" "$(field "$WORK/out" flow source.packets)/$(field "$WORK/out" flow destination.packets)" "51/58"
check "network.packets" "$(field "$WORK/out" flow network.packets)" 109
check "event.start" "$(field "$WORK/out" flow event.start)" "2020-02-07T22:05:20.474299Z"
check "@timestamp is the flow's end" "$(field "$WORK/out" flow @timestamp)" "$(field "$WORK/out" flow event.end)"
check "offline observer" "$(field "$WORK/out" flow observer.name)/$(field "$WORK/out" flow site.id)" "offline/offline"
check "--sensor-id and --site" "$(code "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap" --sensor-id s1 --site hq)" 0
check "they name the observer" "$(field "$WORK/out" flow observer.name)/$(field "$WORK/out" flow site.id)" "s1/hq"

echo "== DNS, risks, VLAN, IPv6, loopback, pcapng"
check "dns-tunnel-iodine.pcap exits 0" "$(code "$SENSOR" --read "$PCAPS/ndpi/dns-tunnel-iodine.pcap")" 0
check "the DNS query" "$(field "$WORK/out" flow dns.question.name)" "vaaaakardli.pirate.sea"
check "a risk event came as soon as nDPI raised it" "$(field "$WORK/out" ndpi.risk ndpi.risk)" "Suspicious DNS Traffic"
check "the flow carries the risk" "$(field "$WORK/out" flow ndpi.risk)" "Suspicious DNS Traffic"
check "icmp_dot1q.pcap exits 0" "$(code "$SENSOR" --read "$PCAPS/zeek/icmp_dot1q.pcap")" 0
check_contains "the VLAN id is kept" "$WORK/out" '"network.vlan.id":'
check "ICMP transport" "$(field "$WORK/out" flow network.transport | sort -u)" "icmp"
check "http_ipv6.pcap exits 0" "$(code "$SENSOR" --read "$PCAPS/ndpi/http_ipv6.pcap")" 0
check_contains "IPv6 flows" "$WORK/out" '"network.type":"ipv6"'
check "pcapng with several interfaces exits 0" "$(code "$SENSOR" --read "$PCAPS/zeek/pcapng-multi-interface.pcapng")" 0
check "its flows" "$(valid "$WORK/out")" 3
check "BSD loopback (echo-connections.pcap) exits 0" "$(code "$SENSOR" --read "$PCAPS/bench/echo-connections.pcap")" 0
check "its 500 flows" "$(field "$WORK/out" flow ndpi.protocol | wc -l)" 500

echo "== several files, --filter"
check "two files in one run" "$(code "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap" --read "$PCAPS/ndpi/dns-tunnel-iodine.pcap")" 0
check "flows of both" "$(field "$WORK/out" flow ndpi.protocol | tr '\n' ' ')" "DNS TLS.ntop "
check "--filter udp" "$(code "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap" --read "$PCAPS/ndpi/dns-tunnel-iodine.pcap" --filter udp)" 0
check "keeps only UDP flows" "$(field "$WORK/out" flow network.transport | sort -u)" "udp"

echo "== the flow table cap"
check "--max-flows 10 on 500 flows" "$(code "$SENSOR" --read "$PCAPS/bench/echo-connections.pcap" --max-flows 10)" 0
check_ge "flows exported early say why" "$(grep -c '"event.reason":"flow_table_full"' "$WORK/out" || true)" 1

echo "== bad input"
: >"$WORK/empty.pcap"
check "a zero-length file exits 1" "$(code "$SENSOR" --read "$WORK/empty.pcap")" 1
check_contains "with a clear message" "$WORK/err" "empty.pcap: cannot read as a capture file"
check "nothing on stdout" "$(wc -c <"$WORK/out")" 0
check "a file that is not a capture exits 1" "$(code "$SENSOR" --read "$SRC/README.md")" 1
check_contains "with a clear message" "$WORK/err" "README.md: cannot read as a capture file"
check "a missing file exits 1" "$(code "$SENSOR" --read "$WORK/nope.pcap")" 1
check_contains "named" "$WORK/err" "nope.pcap"
check "an unusable file among good ones fails before any output" "$(code "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap" --read "$WORK/empty.pcap")" 1
check "nothing on stdout" "$(wc -c <"$WORK/out")" 0
head -c 40000 "$PCAPS/ndpi/443-curl.pcap" >"$WORK/cut.pcap"
check "a capture cut inside a packet exits 0" "$(code "$SENSOR" --read "$WORK/cut.pcap")" 0
check_contains "the cut is reported" "$WORK/err" "the file ends inside a packet"
check "the packets before the cut make the flow" "$(field "$WORK/out" flow ndpi.protocol)" "TLS.ntop"
for f in ndpi/badpackets.pcap ndpi/fuzz-2006-06-26-2594.pcap ndpi/fuzz-2021-06-07-c6c72a0a56.pcap \
         suricata-verify/ipv4-truncated/truncated.pcap zeek/trunc/ipv4-truncated-broken-header.pcap \
         zeek/trunc/icmp-header-trunc.pcap ndpi/malformed_dns.pcap suricata-verify/dns__dns-truncated-rname/poc2.pcap; do
  check "$f exits 0" "$(code "$SENSOR" --read "$PCAPS/$f")" 0
  check "$f: every line is a valid event" "$(valid "$WORK/out" >/dev/null && echo yes)" yes
done
# A pcapng record with a timestamp near 2^64 microseconds (a fuzzer found it overflowing).
python3 - "$WORK/far-future.pcapng" <<'PY'
import struct, sys
def block(t, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", t, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
ip = bytes([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]) + struct.pack(">HHHH", 1, 2, 8, 0)
frame = bytes(12) + b"\x08\x00" + ip
shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
idb = block(1, struct.pack("<HHI", 1, 0, 65535))
epb = block(6, struct.pack("<IIIII", 0, 0xFFFFFFFF, 0xFFFFFFFF, len(frame), len(frame)) + frame)
open(sys.argv[1], "wb").write(shb + idb + epb)
PY
check "a timestamp far in the future exits 0" "$(code "$SENSOR" --read "$WORK/far-future.pcapng")" 0
check "and gives its flow" "$(valid "$WORK/out")" 1
code "$SENSOR" --read "$PCAPS/ndpi/badpackets.pcap" >/dev/null
check_contains "damaged packets are counted by reason" "$WORK/err" "truncated_ip: 86"
code "$SENSOR" --read "$PCAPS/ndpi/fuzz-2006-06-26-2594.pcap" >/dev/null
check_contains "fuzzed packets are counted as malformed" "$WORK/err" "34 malformed"
finish
