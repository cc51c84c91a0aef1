#!/usr/bin/env bash
# Secret files (core/config/secret_file.h, docs/adr/0033): a key or token that others can read
# is refused with the chmod to run, at the flag that named it, exit 78; keygen never writes
# through a symbolic link.
source "$(dirname "$0")/lib.sh"
need ss

code() { set +e; "$@" >"$WORK/out" 2>&1; echo $?; set -e; }

make_keys server s1
printf 'sensors:\n  - {id: s1, site: a, public_key: "%s"}\n' "$(cat "$WORK/s1.pub")" >"$WORK/allow.yaml"
LISTEN_PORT=$(free_port)
METRICS_PORT=$(free_port)
run_correlator() {
  code "$CORRELATOR" --listen "tcp://127.0.0.1:$LISTEN_PORT" --metrics "127.0.0.1:$METRICS_PORT" --publish "" \
    --allow "$WORK/allow.yaml" "$@"
}

echo "== a server key readable by others"
chmod 644 "$WORK/server.key"
check "the correlator refuses a 0644 secret key" "$(run_correlator --server-key "$WORK/server.key")" 78
check_contains "it names the flag and the file" "$WORK/out" "--server-key: $WORK/server.key can be read by other users (mode 0644)"
check_contains "it says what to run" "$WORK/out" "run: chmod 600 $WORK/server.key"
chmod 640 "$WORK/server.key"
check "a key its group can read (0640) is refused too" "$(run_correlator --server-key "$WORK/server.key")" 78
check_contains "it says the group can read it" "$WORK/out" "can be read by its group (mode 0640)"
chmod 620 "$WORK/server.key"
check "a key its group can write (0620) is refused" "$(run_correlator --server-key "$WORK/server.key")" 78
check_contains "it says the group can write it" "$WORK/out" "can be written by its group (mode 0620)"
chmod 600 "$WORK/server.key"

echo "== a key path that is not a regular file"
mkfifo "$WORK/fifo.key"
check "a FIFO in place of the key is refused without hanging" "$(timeout 10 "$CORRELATOR" --listen "tcp://127.0.0.1:$LISTEN_PORT" \
  --metrics "127.0.0.1:$METRICS_PORT" --publish "" --allow "$WORK/allow.yaml" --server-key "$WORK/fifo.key" >"$WORK/out" 2>&1; echo $?)" 78
check_contains "it says why" "$WORK/out" "fifo.key is not a regular file"

echo "== a symlinked key is read through the link, and judged by the file it points to"
mkdir -p "$WORK/elsewhere"
cp -p "$WORK/server.key" "$WORK/elsewhere/real.key"
ln -s "$WORK/elsewhere/real.key" "$WORK/link.key"
chmod 644 "$WORK/elsewhere/real.key"
check "a link to a 0644 key is refused" "$(run_correlator --server-key "$WORK/link.key")" 78
check_contains "the mode of the target is what counts" "$WORK/out" "mode 0644"
chmod 600 "$WORK/elsewhere/real.key"
"$CORRELATOR" --listen "tcp://127.0.0.1:$LISTEN_PORT" --metrics "127.0.0.1:$METRICS_PORT" --publish "" \
  --allow "$WORK/allow.yaml" --server-key "$WORK/link.key" >"$WORK/correlator.log" 2>&1 &
CORRELATOR_PID=$!
PIDS+=("$CORRELATOR_PID")
wait_port "$METRICS_PORT"
check "a link to a 0600 key is accepted" "$(curl -fsS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS_PORT/metrics")" 200

echo "== a sensor's secret key readable by others"
gen_events 10 "$WORK/10.jsonl"
chmod 644 "$WORK/s1.key"
check "socctl send refuses a 0644 --key" "$(code "$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" \
  --server-pub "$WORK/server.pub" --key "$WORK/s1.key" --sensor-id s1 --site a --timeout 5 "$WORK/10.jsonl")" 78
check_contains "it names --key and says what to run" "$WORK/out" "--key: $WORK/s1.key can be read by other users (mode 0644)"
check "the log sensor refuses it too" "$(code "$LOG_SENSOR" --read /dev/null --connect "tcp://127.0.0.1:$LISTEN_PORT" \
  --server-pub "$WORK/server.pub" --key "$WORK/s1.key" --sensor-id s1 --site a)" 78
check_contains "with the chmod to run" "$WORK/out" "run: chmod 600 $WORK/s1.key"
chmod 600 "$WORK/s1.key"
check "after chmod 600 the events are delivered" "$(code "$SOCCTL" send --connect "tcp://127.0.0.1:$LISTEN_PORT" \
  --server-pub "$WORK/server.pub" --key "$WORK/s1.key" --sensor-id s1 --site a --timeout 10 "$WORK/10.jsonl")" 0
check "the public key may stay world-readable" "$(stat -c %a "$WORK/server.pub")" 644
stop_correlator

echo "== a collector's API token readable by others"
printf 'tok\n' >"$WORK/token"
chmod 604 "$WORK/token"
check "the collector refuses a token others can read" "$(code "$COLLECTOR" --once --stdout --tcp 127.0.0.1:1 \
  --fortios-token-file "$WORK/token")" 78
check_contains "it names the flag" "$WORK/out" "--fortios-token-file: $WORK/token can be read by other users (mode 0604)"

echo "== keygen never writes through a symbolic link"
printf 'precious\n' >"$WORK/target.txt"
ln -s "$WORK/target.txt" "$WORK/victim.key"
check "keygen refuses a PREFIX.key that is a link" "$(code "$SOCCTL" keygen --out "$WORK/victim")" 1
check_contains "it says why" "$WORK/out" "victim.key is a symbolic link"
check "even with --force" "$(code "$SOCCTL" keygen --out "$WORK/victim" --force)" 1
check "the link's target is untouched" "$(cat "$WORK/target.txt")" "precious"
check "the link is still a link" "$(test -L "$WORK/victim.key" && echo link)" "link"
make_keys pub-victim
rm "$WORK/pub-victim.pub"
ln -s "$WORK/target.txt" "$WORK/pub-victim.pub"
check "a PREFIX.pub that is a link is refused with --force" "$(code "$SOCCTL" keygen --out "$WORK/pub-victim" --force)" 1
check "its target is untouched" "$(cat "$WORK/target.txt")" "precious"
ln -s "$WORK/nowhere" "$WORK/dangling.key"
check "a dangling link is refused as well (no file is created at its target)" "$(code "$SOCCTL" keygen --out "$WORK/dangling")" 1
check "nothing was created where it pointed" "$(test -e "$WORK/nowhere" && echo created || echo absent)" "absent"
check "--force replaces a regular file" "$(code "$SOCCTL" keygen --out "$WORK/s1" --force)" 0
check "and leaves it 0600" "$(stat -c %a "$WORK/s1.key")" 600
check "no temporary file is left behind" "$(find "$WORK" -name '*.tmp-*' | wc -l)" 0
finish
