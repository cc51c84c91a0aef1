#!/usr/bin/env bash
# soc-packet-sensor --read FILE... --connect: offline reading published to a real correlator over
# CURVE. The correlator's --events-out holds exactly the flows and risk events that the same
# reading writes to stdout, under the sensor's id and site; a heartbeat carries the counters; the
# sensor exits 0 only once everything is acknowledged. --replay-speed paces by packet time.
source "$(dirname "$0")/lib.sh"
need python3 ss curl
SENSOR="$BUILD/sensors/packet/soc-packet-sensor"
PCAPS="$SRC/../shared/testdata/pcap"
[ -d "$PCAPS" ] || { echo "SKIP: $PCAPS is absent (the shared test data)"; exit 77; }
FILES=(--read "$PCAPS/ndpi/443-curl.pcap" --read "$PCAPS/ndpi/dns_ambiguous_names.pcap" --read "$PCAPS/ndpi/selfsigned.pcap"
       --read "$PCAPS/ndpi/tor.pcap")

make_keys server p1 stranger
printf 'sensors:\n  - {id: p1, site: xa-camxuyen, kind: packet, public_key: "%s"}\n' "$(cat "$WORK/p1.pub")" >"$WORK/allow.yaml"
start_correlator --server-key "$WORK/server.key" --allow "$WORK/allow.yaml" --events-out "$WORK/events.jsonl"
CONNECT=(--connect "tcp://127.0.0.1:$LISTEN_PORT" --server-pub "$WORK/server.pub" --sensor-id p1 --site xa-camxuyen)

# keys FILE DATASET: one line per event of DATASET: its 5-tuple, ndpi.protocol, risks, counters
keys() {
  python3 - "$@" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event.dataset") != sys.argv[2]:
        continue
    out.append(" ".join(str(e.get(k)) for k in ("network.transport", "source.ip", "source.port", "destination.ip",
        "destination.port", "ndpi.protocol", "ndpi.risk", "source.packets", "destination.bytes", "event.start")))
print("\n".join(sorted(out)))
PY
}

echo "== the reference: the same files to stdout"
"$SENSOR" "${FILES[@]}" --sensor-id p1 --site xa-camxuyen >"$WORK/stdout.jsonl" 2>/dev/null
check_ge "the reference has flows" "$(grep -c '"event.dataset":"flow"' "$WORK/stdout.jsonl")" 10
check_ge "and risk events" "$(grep -c '"event.dataset":"ndpi.risk"' "$WORK/stdout.jsonl")" 1

echo "== --read ... --connect"
set +e; "$SENSOR" "${FILES[@]}" "${CONNECT[@]}" --key "$WORK/p1.key" >"$WORK/out" 2>"$WORK/err"; rc=$?; set -e
check "delivered and acknowledged: exit 0" "$rc" 0
check "nothing on stdout" "$(wc -c <"$WORK/out")" 0
check_contains "it says how many were acknowledged" "$WORK/err" "events acknowledged by tcp://127.0.0.1:$LISTEN_PORT"
want=$(grep -c '"event.dataset":"\(flow\|ndpi.risk\)"' "$WORK/stdout.jsonl")
for _ in $(seq 1 50); do [ "$(grep -c '"event.dataset":"\(flow\|ndpi.risk\)"' "$WORK/events.jsonl" || true)" -ge "$want" ] && break; sleep 0.1; done
check "the correlator has the same flows" "$(keys "$WORK/events.jsonl" flow | md5sum)" "$(keys "$WORK/stdout.jsonl" flow | md5sum)"
check "and the same risk events" "$(keys "$WORK/events.jsonl" ndpi.risk | md5sum)" "$(keys "$WORK/stdout.jsonl" ndpi.risk | md5sum)"
check_contains "under the sensor's site" "$WORK/events.jsonl" '"site.id":"xa-camxuyen"'
check_contains "the TLS server name arrived" "$WORK/events.jsonl" '"tls.client.server_name":'
check_contains "and the DNS query names" "$WORK/events.jsonl" '"dns.question.name":'
check_contains "a heartbeat carries the capture counters" "$WORK/events.jsonl" '"soc.sensor.packets_received":'
check_contains "and the active flows" "$WORK/events.jsonl" '"soc.sensor.flows_active":'

echo "== --replay-speed"
# 443-curl.pcap lasts about 1.3 s of packet time: at speed 4 the reading takes >= 0.3 s, at 0 it does not wait.
span=$(python3 - "$PCAPS/ndpi/443-curl.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
end = "<" if d[:4] == b"\xd4\xc3\xb2\xa1" else ">"
off, ts = 24, []
while off + 16 <= len(d):
    s, us, incl, _ = struct.unpack(end + "IIII", d[off:off + 16]); ts.append(s + us / 1e6); off += 16 + incl
print(f"{ts[-1] - ts[0]:.3f}")
PY
)
start=$(date +%s%N)
set +e; "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap" "${CONNECT[@]}" --key "$WORK/p1.key" --replay-speed 4 >/dev/null 2>"$WORK/err"; rc=$?; set -e
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
check "a paced replay is delivered too" "$rc" 0
check_ge "and takes at least the capture's span / 4 (${span} s / 4)" "$elapsed" "$(awk -v s="$span" 'BEGIN { printf "%d", s * 1000 / 4 * 0.9 }')"

echo "== refusals and usage"
set +e; "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap" "${CONNECT[@]}" --key "$WORK/stranger.key" --drain-timeout 5 >/dev/null 2>"$WORK/err"; rc=$?; set -e
check "a key the correlator does not know: exit 1" "$rc" 1
check_contains "saying the key was refused" "$WORK/err" "refused this sensor's key"
DEAD=$(free_port)
set +e; "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap" --connect "tcp://127.0.0.1:$DEAD" --server-pub "$WORK/server.pub" \
  --key "$WORK/p1.key" --sensor-id p1 --drain-timeout 1 >/dev/null 2>"$WORK/err"; rc=$?; set -e
check "no correlator: exit 1 after --drain-timeout" "$rc" 1
check_contains "saying nothing was acknowledged" "$WORK/err" "not acknowledged"
set +e; "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap" --connect "tcp://127.0.0.1:$LISTEN_PORT" >/dev/null 2>"$WORK/err"; rc=$?; set -e
check "--connect without --sensor-id: exit 2" "$rc" 2
set +e; "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap" "${CONNECT[@]}" --key "$WORK/none.key" >/dev/null 2>"$WORK/err"; rc=$?; set -e
check "an unreadable key: exit 78" "$rc" 78
set +e; "$SENSOR" --read "$PCAPS/ndpi/443-curl.pcap" --replay-speed 1 >/dev/null 2>"$WORK/err"; rc=$?; set -e
check "--replay-speed without --connect: exit 2" "$rc" 2
finish
