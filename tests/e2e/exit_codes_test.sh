#!/usr/bin/env bash
# Exit codes a service manager and an admin can use (issue 16, docs/adr/0003): every
# configuration or address problem (a taken port, a missing interface or journal folder, a value
# missing from a --config file) exits 78 (EX_CONFIG), which the units do not restart
# (RestartPreventExitStatus=78), with a message that names the flag and the cause in words. The
# same mistake on the command line alone is a usage error (2).
source "$(dirname "$0")/lib.sh"
need ss python3

code() { set +e; "$@" >"$WORK/out" 2>&1; echo $?; set -e; }
PACKET_SENSOR="$BUILD/sensors/packet/soc-packet-sensor"

# A TCP and a UDP port held by another program for the whole test.
python3 -c '
import socket, time
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
print(t.getsockname()[1], u.getsockname()[1], flush=True)
time.sleep(120)' >"$WORK/holder" &
PIDS+=($!)
for _ in $(seq 1 50); do [ -s "$WORK/holder" ] && break; sleep 0.1; done
read -r TAKEN TAKEN_UDP <"$WORK/holder"
FREE1=$(free_port); FREE2=$(free_port)

echo "== taken ports"
check "--metrics on a taken port exits 78" "$(code "$CORRELATOR" --insecure --listen "tcp://127.0.0.1:$FREE1" --publish "" --metrics "127.0.0.1:$TAKEN")" 78
check_contains "it names the flag and the cause" "$WORK/out" "--metrics: 127.0.0.1:$TAKEN is already in use by another program"
check "--listen on a taken port exits 78" "$(code "$CORRELATOR" --insecure --listen "tcp://127.0.0.1:$TAKEN" --publish "" --metrics "127.0.0.1:$FREE2")" 78
check_contains "it names the flag and the cause" "$WORK/out" "--listen: tcp://127.0.0.1:$TAKEN is already in use by another program"
check "--publish on a taken port exits 78" "$(code "$CORRELATOR" --insecure --listen "tcp://127.0.0.1:$FREE1" --publish "tcp://127.0.0.1:$TAKEN" --metrics "127.0.0.1:$FREE2")" 78
check_contains "it names the flag and the cause" "$WORK/out" "--publish: tcp://127.0.0.1:$TAKEN is already in use by another program"
check "--syslog-tcp on a taken port exits 78" "$(code "$LOG_SENSOR" --syslog-tcp "127.0.0.1:$TAKEN")" 78
check_contains "it names the flag and the cause" "$WORK/out" "--syslog-tcp: 127.0.0.1:$TAKEN is already in use by another program"
check "--syslog-udp on a taken port exits 78" "$(code "$LOG_SENSOR" --syslog-udp "127.0.0.1:$TAKEN_UDP")" 78
check_contains "it names the flag and the cause" "$WORK/out" "--syslog-udp: 127.0.0.1:$TAKEN_UDP is already in use by another program"
check "--syslog-udp on an address of another machine exits 78" "$(code "$LOG_SENSOR" --syslog-udp "192.0.2.1:5514")" 78
check_contains "it says so" "$WORK/out" "--syslog-udp: 192.0.2.1:5514 is not an address of this machine"

echo "== a missing interface"
check "the packet sensor on a missing interface exits 78" "$(code "$PACKET_SENSOR" --interface no-such-if9 --insecure --sensor-id p1)" 78
check_contains "it names the flag" "$WORK/out" "--interface: no-such-if9"

echo "== a value missing: from a config file 78, on the command line 2"
printf 'connect: tcp://127.0.0.1:%s\ninsecure: true\njournal: true\n' "$FREE1" >"$WORK/log.yaml"
check "the log sensor without sensor-id in its config exits 78" "$(code "$LOG_SENSOR" --config "$WORK/log.yaml")" 78
check_contains "it says what is missing" "$WORK/out" "--sensor-id is required"
check "the same on the command line is a usage error (2)" "$(code "$LOG_SENSOR" --connect "tcp://127.0.0.1:$FREE1" --insecure --journal)" 2
printf 'insecure: true\nsensor-id: c1\nconnect: tcp://127.0.0.1:%s\ntargets: []\n' "$FREE1" >"$WORK/collector.yaml"
check "the collector with nothing to probe in its config exits 78" "$(code "$COLLECTOR" --config "$WORK/collector.yaml")" 78
check_contains "it says why" "$WORK/out" "nothing to probe"
printf 'interface: lo\ninsecure: true\n' >"$WORK/packet.yaml"
check "the packet sensor without sensor-id in its config exits 78" "$(code "$PACKET_SENSOR" --config "$WORK/packet.yaml")" 78
check "a missing journal folder exits 78" "$(code "$LOG_SENSOR" --journal --journal-dir "$WORK/none")" 78
finish
