#!/usr/bin/env bash
# The sample province's data (examples/): the generators rewrite the committed files byte for
# byte, and the real sensors find in them the story examples/README.md tells.
source "$(dirname "$0")/lib.sh"
need python3 ndpiReader
LOG_SENSOR="$BUILD/sensors/log/soc-log-sensor"
PACKET_SENSOR="$BUILD/sensors/packet/soc-packet-sensor"

echo "== the generators are deterministic and the committed files are theirs"
python3 "$SRC/examples/gen_logs.py" --out "$WORK/logs" >/dev/null
python3 "$SRC/examples/gen_pcap.py" --out "$WORK/pcap" >/dev/null
check "gen_logs.py rewrites examples/logs/" "$(diff -r "$WORK/logs" "$SRC/examples/logs" >/dev/null && echo same)" same
check "gen_pcap.py rewrites examples/pcap/" "$(diff -r "$WORK/pcap" "$SRC/examples/pcap" >/dev/null && echo same)" same
check "the samples stay small (< 1 MB)" "$(du -cb "$SRC"/examples/logs/*/*.log "$SRC"/examples/pcap/*.pcap | awk 'END { print ($1 < 1048576) }')" 1

echo "== the captures: soc-packet-sensor and ndpiReader agree on every flow and protocol"
: >"$WORK/no-known-differences.tsv"
set +e
python3 "$SRC/tests/e2e/ndpi_agreement.py" "$PACKET_SENSOR" "$SRC/examples/pcap" "$WORK/no-known-differences.tsv" 1 1
agreement=$?
set -e
check "100% flow and protocol agreement with ndpiReader on examples/pcap/" "$agreement" 0

echo "== the captures, as soc-packet-sensor --read sees them"
"$PACKET_SENSOR" --read "$SRC/examples/pcap/pkt-dc-hatinh.pcap" >"$WORK/dc.jsonl" 2>/dev/null
"$PACKET_SENSOR" --read "$SRC/examples/pcap/pkt-xa-thachha.pcap" >"$WORK/th.jsonl" 2>/dev/null
count() {  # count FILE PYTHON-CONDITION-ON-e
  python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    n += bool(eval(sys.argv[2]))
print(n)' "$1" "$2"
}
check_ge "TLS to the portal with its SNI" \
  "$(count "$WORK/dc.jsonl" 'e.get("tls.client.server_name") == "dichvucong.hatinh.gov.vn"')" 30
check_ge "DNS lookups" "$(count "$WORK/dc.jsonl" 'e.get("network.protocol") == "dns"')" 30
check_ge "HTTP with its Host and Basic credentials (Clear-Text Credentials)" \
  "$(count "$WORK/dc.jsonl" 'e.get("event.dataset") == "flow" and e.get("ndpi.protocol") == "HTTP" and e.get("url.domain") == "intranet.hatinh.gov.vn" and "Clear-Text Credentials" in e.get("ndpi.risk", [])')" 2
check_ge "the FTP login raises Clear-Text Credentials" \
  "$(count "$WORK/dc.jsonl" 'e.get("ndpi.protocol") == "FTP_CONTROL" and "Clear-Text Credentials" in e.get("ndpi.risk", [])')" 1
check_ge "short SSH connections from one outside address" \
  "$(count "$WORK/dc.jsonl" 'e.get("event.dataset") == "flow" and e.get("ndpi.protocol") == "SSH" and e.get("source.ip") == "203.0.113.12"')" 30
check_ge "the port scan touches 141 ports" \
  "$(python3 -c '
import json, sys
print(len({e.get("destination.port") for e in map(json.loads, open(sys.argv[1])) if e.get("source.ip") == "203.0.113.45"}))' "$WORK/dc.jsonl")" 141
check_ge "DGA names at the commune" \
  "$(count "$WORK/th.jsonl" '"Suspicious DGA Domain name" in e.get("ndpi.risk", [])')" 20
check_ge "the SMB sweep" "$(count "$WORK/th.jsonl" 'e.get("destination.port") == 445 and e.get("source.ip") == "10.30.1.66"')" 80

echo "== the logs, as soc-log-sensor --read sees them"
for f in "$SRC"/examples/logs/*/*.log; do
  "$LOG_SENSOR" --read "$f" --timezone +07:00 >>"$WORK/logs.jsonl"
done
check_ge "SSH failures of the brute force" \
  "$(count "$WORK/logs.jsonl" 'e.get("event.dataset") == "sshd" and e.get("event.action") == "ssh_login" and e.get("event.outcome") == "failure" and e.get("source.ip") == "203.0.113.77"')" 40
check "then its success" \
  "$(count "$WORK/logs.jsonl" 'e.get("event.dataset") == "sshd" and e.get("event.outcome") == "success" and e.get("event.action") == "ssh_login" and e.get("source.ip") == "203.0.113.77"')" 1
check "in the hour the story says (08:38:10 UTC)" \
  "$(python3 -c '
import json, sys
print([e["@timestamp"][:19] for e in map(json.loads, open(sys.argv[1])) if e.get("source.ip") == "203.0.113.77" and e.get("event.outcome") == "success" and e.get("event.action") == "ssh_login"][0])' "$WORK/logs.jsonl")" \
  "2026-11-20T08:38:10"
check "sudo to a root shell" "$(count "$WORK/logs.jsonl" 'e.get("event.dataset") == "sudo" and e.get("process.command_line") == "/bin/bash"')" 1
check "a new account (useradd)" \
  "$(count "$WORK/logs.jsonl" 'e.get("process.name") == "useradd" and e.get("message", "").startswith("new user: name=backup2")')" 1
check "put in the sudo group (usermod -aG sudo)" \
  "$(count "$WORK/logs.jsonl" 'e.get("process.name") == "usermod" and e.get("message") == "add \x27backup2\x27 to group \x27sudo\x27"')" 1
check_ge "SQL injection in the portal's URLs" "$(count "$WORK/logs.jsonl" '"UNION%20SELECT" in e.get("url.original", "")')" 2
check_ge "path traversal" "$(count "$WORK/logs.jsonl" '"../" in e.get("url.original", "") or "%2f" in e.get("url.original", "")')" 3
check_ge "a scanner's user agent" "$(count "$WORK/logs.jsonl" '"sqlmap" in e.get("user_agent.original", "") or "Nikto" in e.get("user_agent.original", "")')" 40
check_ge "FortiGate denies of the port scan" \
  "$(count "$WORK/logs.jsonl" 'e.get("event.dataset") == "fortigate" and e.get("event.action") == "deny" and e.get("source.ip") == "203.0.113.45"')" 100
check_ge "iptables drops of a scanner at the commune" \
  "$(count "$WORK/logs.jsonl" 'e.get("event.dataset") == "iptables" and e.get("source.ip") == "203.0.113.155"')" 60
check "no line falls to the fallback except useradd/usermod (no decoder for them)" \
  "$(count "$WORK/logs.jsonl" 'e.get("event.dataset") == "syslog" and e.get("process.name") not in ("useradd", "usermod")')" 0
finish
