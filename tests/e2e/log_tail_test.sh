#!/usr/bin/env bash
# soc-log-sensor --file: follows files like tail -F with real files: appends, rotation by rename,
# copytruncate, a file that appears later, a restart from the checkpoint (nothing lost, nothing
# repeated), and a 10 GB sparse file with a few lines at its end.
source "$(dirname "$0")/lib.sh"
need python3
: "${LOG_SENSOR:=$BUILD/sensors/log/soc-log-sensor}"

mkdir -p "$WORK/logs"
line() { printf 'Nov 27 10:00:00 h sshd[1]: Failed password for root from 192.0.2.%s port 22 ssh2\n' "$1"; }
start_sensor() {
  "$LOG_SENSOR" --file "$WORK/logs/*.log" --checkpoint "$WORK/checkpoint" "$@" --stats >>"$WORK/events" 2>"$WORK/err" &
  SENSOR_PID=$!
  PIDS+=("$SENSOR_PID")
  for _ in $(seq 1 300); do grep -q 'listening' "$WORK/err" 2>/dev/null && break; sleep 0.05; done
}
stop_sensor() { kill -TERM "$SENSOR_PID"; wait "$SENSOR_PID" || true; }
# wait_for IP: until an event from 192.0.2.IP is out (15 s: a loaded 2-core CI machine is slow)
wait_for() { for _ in $(seq 1 300); do grep -q "\"source.ip\":\"192.0.2.$1\"" "$WORK/events" && return; sleep 0.05; done; }
count() { grep -c "\"source.ip\":\"192.0.2.$1\"" "$WORK/events" || true; }

line 1 >"$WORK/logs/auth.log"
start_sensor --file-start beginning
wait_for 1
check "an existing file is read from the beginning with --file-start beginning" "$(count 1)" 1
line 2 >>"$WORK/logs/auth.log"
wait_for 2
check "an appended line is followed" "$(count 2)" 1
check_contains "the path is recorded" "$WORK/events" "\"log.file.path\":\"$WORK/logs/auth.log\""

echo "== rotation by rename"
line 3 >>"$WORK/logs/auth.log"
mv "$WORK/logs/auth.log" "$WORK/logs/auth.log.1"
printf 'Nov 27 10:00:00 h sshd[1]: Failed password for root from 192.0.2.4 port 22 ssh2' >>"$WORK/logs/auth.log.1"  # no newline
line 5 >"$WORK/logs/auth.log"
wait_for 5
wait_for 4
check "the last lines of the renamed file are read" "$(count 3)$(count 4)" 11
check "the new file is read from its start" "$(count 5)" 1

echo "== copytruncate"
line 6 >>"$WORK/logs/auth.log"
wait_for 6
: >"$WORK/logs/auth.log"
sleep 0.5
line 7 >>"$WORK/logs/auth.log"
wait_for 7
check "after truncation the file is read from 0" "$(count 7)" 1

echo "== a file that appears later"
line 8 >"$WORK/logs/new.log"
wait_for 8
check "it is read from its start" "$(count 8)" 1

echo "== restart from the checkpoint"
sleep 1.2  # a checkpoint is written at most once a second, and at exit
stop_sensor
check "the checkpoint was written" "$([ -s "$WORK/checkpoint" ] && echo yes)" yes
line 9 >>"$WORK/logs/auth.log"
line 10 >>"$WORK/logs/new.log"
start_sensor
wait_for 9
wait_for 10
check "lines written while stopped are read after the restart" "$(count 9)$(count 10)" 11
for i in 1 2 5 6 7 8; do check "line $i is not repeated" "$(count "$i")" 1; done

echo "== a 10 GB sparse file with a few lines at the end"
truncate -s 10G "$WORK/logs/sparse.log"
line 11 >>"$WORK/logs/sparse.log"
line 12 >>"$WORK/logs/sparse.log"
started=$SECONDS
wait_for 12
check "its lines are read" "$(count 11)$(count 12)" 11
check "within seconds (holes are skipped, not read)" "$([ $((SECONDS - started)) -le 5 ] && echo yes)" yes
stop_sensor
check_contains "the skipped hole is counted" "$WORK/err" "hole_bytes_skipped=10737418240"

echo "== a glob that also matches the rotated name reads nothing twice"
mkdir -p "$WORK/rot"
: >"$WORK/events"
"$LOG_SENSOR" --file "$WORK/rot/app.log*" --file-start beginning >>"$WORK/events" 2>"$WORK/err" &
SENSOR_PID=$!
PIDS+=("$SENSOR_PID")
line 21 >"$WORK/rot/app.log"
wait_for 21
line 22 >>"$WORK/rot/app.log"
mv "$WORK/rot/app.log" "$WORK/rot/app.log.1"
line 23 >"$WORK/rot/app.log"
wait_for 23
wait_for 22
sleep 0.5
check "each line once across the rotation" "$(count 21)$(count 22)$(count 23)" 111
line 24 | gzip >"$WORK/rot/app.log.2.gz"
sleep 0.5
check "a compressed rotation the glob matches is not read" "$(grep -c '"log.file.path":"[^"]*\.gz"' "$WORK/events")" 0
stop_sensor

echo "== rotated while stopped: the old file is finished under its new name, the new one read whole"
mkdir -p "$WORK/rot2"
: >"$WORK/events"
start_rot2() {
  rm -f "$WORK/err"
  "$LOG_SENSOR" --file "$WORK/rot2/*.log" --checkpoint "$WORK/checkpoint2" --stats >>"$WORK/events" 2>"$WORK/err" &
  SENSOR_PID=$!
  PIDS+=("$SENSOR_PID")
  for _ in $(seq 1 100); do grep -q 'listening' "$WORK/err" 2>/dev/null && break; sleep 0.05; done
}
start_rot2
line 31 >"$WORK/rot2/app.log"   # appears after the start: read from its start
wait_for 31
stop_sensor
line 32 >>"$WORK/rot2/app.log"  # written after the checkpoint, then rotated away
mv "$WORK/rot2/app.log" "$WORK/rot2/app.log.1"
line 33 >"$WORK/rot2/app.log"
line 35 | gzip >"$WORK/rot2/app.log.2.gz"
start_rot2
wait_for 33
wait_for 32
sleep 0.3
check "the rotated file's last line is read, the new file's too" "$(count 32)$(count 33)" 11
check "the line read before the restart is not repeated" "$(count 31)" 1
check "a compressed rotation is not read" "$(count 35)" 0
stop_sensor
check_contains "the finished rotated file is counted" "$WORK/err" "rotated_finished=1"
start_rot2   # and a second restart finds nothing more in it
line 36 >>"$WORK/rot2/app.log"
wait_for 36
sleep 0.3
stop_sensor
check "nothing is read twice after a second restart" "$(count 31)$(count 32)$(count 33)$(count 36)" 1111

echo "== --file-start end (the default) skips what existing files already hold"
rm -f "$WORK/checkpoint"
: >"$WORK/events"
line 13 >"$WORK/logs/other.log"
start_sensor
sleep 0.5
line 14 >>"$WORK/logs/other.log"
wait_for 14
check "the old line is skipped" "$(count 13)" 0
check "the new line is read" "$(count 14)" 1
stop_sensor

finish
