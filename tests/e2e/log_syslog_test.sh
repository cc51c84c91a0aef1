#!/usr/bin/env bash
# soc-log-sensor's syslog listener, fed by util-linux logger over UDP and TCP (newline framing
# and RFC 6587 octet counting, RFC 3164 and RFC 5424), plus a raw client that sends an oversized
# frame and garbage: every message becomes one event with the sender's address kept.
source "$(dirname "$0")/lib.sh"
need logger python3 ss
: "${LOG_SENSOR:=$BUILD/sensors/log/soc-log-sensor}"

"$LOG_SENSOR" --syslog-udp 127.0.0.1:0 --syslog-tcp 127.0.0.1:0 --max-line-bytes 4096 --stats \
  >"$WORK/events" 2>"$WORK/err" &
SENSOR_PID=$!
PIDS+=("$SENSOR_PID")
for _ in $(seq 1 100); do grep -q 'listening' "$WORK/err" 2>/dev/null && break; sleep 0.05; done
UDP=$(sed -n 's/.*udp port \([0-9]*\).*/\1/p' "$WORK/err")
TCP=$(sed -n 's/.*tcp port \([0-9]*\).*/\1/p' "$WORK/err")
check "the listener announced its ports" "$([ -n "$UDP" ] && [ "$UDP" != 0 ] && [ -n "$TCP" ] && echo yes)" yes

logger --server 127.0.0.1 --port "$UDP" --udp --rfc3164 -t sshd -p auth.info \
  "Failed password for root from 192.0.2.1 port 2201 ssh2"
logger --server 127.0.0.1 --port "$UDP" --udp --rfc5424 -t sshd -p auth.info \
  "Invalid user admin from 192.0.2.2 port 2202"
logger --server 127.0.0.1 --port "$TCP" --tcp --rfc3164 -t dropbear -p auth.warning \
  "Bad password attempt for 'root' from 192.0.2.3:2203"
logger --server 127.0.0.1 --port "$TCP" --tcp --octet-count --rfc5424 --sd-id timeQuality@1 \
  --sd-param 'tzKnown="1"' -t sshd -p auth.info "Failed publickey for git from 192.0.2.4 port 2204 ssh2"
python3 - "$TCP" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
big = b"<38>Nov 27 10:00:00 h sshd[9]: Failed password for " + b"A" * 100_000 + b" from 192.0.2.5 port 1 ssh2"
s.sendall(str(len(big)).encode() + b" " + big)
s.sendall(b"\x00\xff garbage without framing\n")
s.sendall(b"<38>Nov 27 10:00:01 h sshd[9]: Failed password for root from 192.0.2.6 port 2206 ssh2\n")
s.close()
PY
for _ in $(seq 1 100); do [ "$(wc -l <"$WORK/events")" -ge 7 ] && break; sleep 0.05; done
kill -TERM "$SENSOR_PID"
set +e; wait "$SENSOR_PID"; rc=$?; set -e
check "SIGTERM stops it with exit 0" "$rc" 0
check "seven messages, seven events" "$(wc -l <"$WORK/events")" 7
for ip in 192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.6; do
  check_contains "failure from $ip" "$WORK/events" "\"source.ip\":\"$ip\""
done
check_contains "the RFC 5424 header is read" "$WORK/events" '"log.syslog.facility.name":"auth"'
check_contains "the sender's address is kept" "$WORK/events" '"log.source.address":"127.0.0.1:'
check_contains "the oversized frame is cut and tagged" "$WORK/events" '"tags":["truncated"]'
check_contains "garbage is kept as a message" "$WORK/events" 'garbage without framing'
check_contains "UDP is counted" "$WORK/err" "udp_messages=2"
check_contains "TCP is counted" "$WORK/err" "tcp_messages=5"

finish
