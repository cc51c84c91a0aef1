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

echo "== what the sensors find in the samples (the story of examples/README.md)"
"$PACKET_SENSOR" --read "$SRC/examples/pcap/pkt-dc-hatinh.pcap" >"$WORK/dc.jsonl" 2>/dev/null
"$PACKET_SENSOR" --read "$SRC/examples/pcap/pkt-xa-thachha.pcap" >"$WORK/th.jsonl" 2>/dev/null
for f in "$SRC"/examples/logs/*/*.log; do
  "$LOG_SENSOR" --read "$f" --timezone +07:00 >>"$WORK/logs.jsonl"
done
# One python run counts the events of FILE for which CONDITION (on the event `e`) holds, for
# each row "CHECK|WANT|FILE|WHAT|CONDITION", and prints the rows back with the count.
cd "$WORK"
python3 -c '
import json, sys
events = {}
for row in sys.stdin:
    if not row.strip():
        continue
    check, want, path, what, cond = row.rstrip("\n").split("|", 4)
    if path not in events:
        events[path] = [json.loads(line) for line in open(path)]
    got = sum(1 for e in events[path] if eval(cond))
    print(f"{check}|{want}|{got}|{what}")
' >"$WORK/story.txt" <<'TABLE'
check_ge|30|dc.jsonl|TLS to the portal with its SNI|e.get("tls.client.server_name") == "dichvucong.hatinh.gov.vn"
check_ge|30|dc.jsonl|DNS lookups|e.get("network.protocol") == "dns"
check_ge|2|dc.jsonl|HTTP with its Host and Basic credentials (Clear-Text Credentials)|e.get("event.dataset") == "flow" and e.get("ndpi.protocol") == "HTTP" and e.get("url.domain") == "intranet.hatinh.gov.vn" and "Clear-Text Credentials" in e.get("ndpi.risk", [])
check_ge|1|dc.jsonl|the FTP login raises Clear-Text Credentials|e.get("ndpi.protocol") == "FTP_CONTROL" and "Clear-Text Credentials" in e.get("ndpi.risk", [])
check_ge|30|dc.jsonl|short SSH connections from one outside address|e.get("event.dataset") == "flow" and e.get("ndpi.protocol") == "SSH" and e.get("source.ip") == "203.0.113.12"
check_ge|141|dc.jsonl|the port scan: SYNs to 141 ports, one flow each|e.get("event.dataset") == "flow" and e.get("source.ip") == "203.0.113.45" and e.get("destination.ip") == "10.10.1.10"
check_ge|20|th.jsonl|DGA names at the commune|"Suspicious DGA Domain name" in e.get("ndpi.risk", [])
check_ge|80|th.jsonl|the SMB sweep|e.get("event.dataset") == "flow" and e.get("destination.port") == 445 and e.get("source.ip") == "10.30.1.66"
check_ge|40|logs.jsonl|SSH failures of the brute force|e.get("event.dataset") == "sshd" and e.get("event.action") == "ssh_login" and e.get("event.outcome") == "failure" and e.get("source.ip") == "203.0.113.77"
check|1|logs.jsonl|then its success, at 08:38:10 UTC as the story says|e.get("event.dataset") == "sshd" and e.get("event.action") == "ssh_login" and e.get("event.outcome") == "success" and e.get("source.ip") == "203.0.113.77" and e["@timestamp"].startswith("2026-11-20T08:38:10")
check|1|logs.jsonl|sudo to a root shell|e.get("event.dataset") == "sudo" and e.get("process.command_line") == "/bin/bash"
check|1|logs.jsonl|a new account (useradd)|e.get("process.name") == "useradd" and e.get("message", "").startswith("new user: name=backup2")
check|1|logs.jsonl|put in the sudo group (usermod -aG sudo)|e.get("process.name") == "usermod" and e.get("message") == "add \x27backup2\x27 to group \x27sudo\x27"
check_ge|2|logs.jsonl|SQL injection in the portal's URLs|"UNION%20SELECT" in e.get("url.original", "")
check_ge|3|logs.jsonl|path traversal|"../" in e.get("url.original", "") or "%2f" in e.get("url.original", "")
check_ge|40|logs.jsonl|a scanner's user agent|"sqlmap" in e.get("user_agent.original", "") or "Nikto" in e.get("user_agent.original", "")
check_ge|100|logs.jsonl|FortiGate denies of the port scan|e.get("event.dataset") == "fortigate" and e.get("event.action") == "deny" and e.get("source.ip") == "203.0.113.45"
check_ge|6|logs.jsonl|refused FortiGate administrator logins|e.get("event.dataset") == "fortigate" and e.get("event.outcome") == "failure" and "authentication" in e.get("event.category", [])
check_ge|60|logs.jsonl|iptables drops of a scanner at the commune|e.get("event.dataset") == "iptables" and e.get("source.ip") == "203.0.113.155"
check|0|logs.jsonl|no line falls to the fallback except useradd/usermod (no decoder for them)|e.get("event.dataset") == "syslog" and e.get("process.name") not in ("useradd", "usermod")
TABLE
check "every row of the table was evaluated" "$(grep -c . "$WORK/story.txt")" 20
while IFS='|' read -r fn want got what; do
  "$fn" "$what" "$got" "$want"
done <"$WORK/story.txt"
finish
