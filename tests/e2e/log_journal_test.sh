#!/usr/bin/env bash
# soc-log-sensor --journal on real journal files, written without a journald by
# systemd-journal-remote from Journal Export Format: the field mapping (MESSAGE, the program,
# _PID, _HOSTNAME, the time, PRIORITY), the per-program decoders run on the message, entries
# appended and a journal file that appears while it runs, a restart from the checkpointed
# cursor (nothing lost, nothing repeated), --journal-match, and bad options.
source "$(dirname "$0")/lib.sh"
: "${LOG_SENSOR:=$BUILD/sensors/log/soc-log-sensor}"
JOURNAL_REMOTE=/lib/systemd/systemd-journal-remote
[ -x "$JOURNAL_REMOTE" ] || { echo "SKIP: $JOURNAL_REMOTE is not installed (package systemd-journal-remote)"; exit 77; }

mkdir -p "$WORK/journal"
BOOT=0123456789abcdef0123456789abcdef
LAST_T=0
# entry FIELD=VALUE...: one entry in Journal Export Format, stamped now (microseconds).
entry() {
  LAST_T=$(date +%s%6N)
  printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=%s\n' "$LAST_T" "$LAST_T" "$BOOT"
  printf '%s\n' "$@"
  printf '\n'
}
sshd_entry() {  # sshd_entry N: a failed password from 192.0.2.N
  entry "MESSAGE=Failed password for root from 192.0.2.$1 port 5$1 ssh2" SYSLOG_IDENTIFIER=sshd _COMM=sshd \
    "_PID=42$1" _HOSTNAME=web1 PRIORITY=5 SYSLOG_FACILITY=10 _SYSTEMD_UNIT=ssh.service
}
write_journal() { "$JOURNAL_REMOTE" -o "$WORK/journal/$1" - 2>>"$WORK/remote.log"; }  # entries on stdin

start_sensor() {
  "$LOG_SENSOR" --journal --journal-dir "$WORK/journal" --checkpoint "$WORK/checkpoint" "$@" --stats \
    >>"$WORK/events" 2>"$WORK/err" &
  SENSOR_PID=$!
  PIDS+=("$SENSOR_PID")
  for _ in $(seq 1 100); do grep -q 'listening' "$WORK/err" 2>/dev/null && break; sleep 0.05; done
}
stop_sensor() { kill -TERM "$SENSOR_PID"; wait "$SENSOR_PID" || true; }
count() { grep -c "\"source.ip\":\"192.0.2.$1\"" "$WORK/events" || true; }
wait_for() { for _ in $(seq 1 100); do [ "$(count "$1")" -ge 1 ] && return; sleep 0.05; done; }

{
  sshd_entry 1
  T1=$LAST_T
  entry "MESSAGE=   alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls" \
    _COMM=sudo _PID=77 _HOSTNAME=web1 PRIORITY=2
  entry _COMM=kernel _HOSTNAME=web1 "NOT_A_MESSAGE=an entry without MESSAGE"
  entry "MESSAGE=hello from myapp" SYSLOG_IDENTIFIER=myapp SYSLOG_PID=99 _HOSTNAME=web2 PRIORITY=6
  echo "$T1" >"$WORK/t1"
} | write_journal a.journal
T1=$(cat "$WORK/t1")

echo "== the entries of a journal directory, from the beginning"
start_sensor --journal-start beginning
for _ in $(seq 1 100); do grep -q myapp "$WORK/events" && break; sleep 0.05; done
check "three entries with a MESSAGE give three events" "$(wc -l <"$WORK/events")" 3
sshd=$(grep '"source.ip":"192.0.2.1"' "$WORK/events" || true)
echo "$sshd" >"$WORK/sshd.json"
check_contains "the sshd decoder ran on MESSAGE" "$WORK/sshd.json" '"event.dataset":"sshd"'
check_contains "a failed login" "$WORK/sshd.json" '"event.outcome":"failure"'
check_contains "SYSLOG_IDENTIFIER is process.name" "$WORK/sshd.json" '"process.name":"sshd"'
check_contains "_PID is process.pid" "$WORK/sshd.json" '"process.pid":421'
check_contains "_HOSTNAME is host.hostname" "$WORK/sshd.json" '"host.hostname":"web1"'
check_contains "PRIORITY and SYSLOG_FACILITY give the severity and facility" "$WORK/sshd.json" \
  '"log.syslog.facility.name":"authpriv","log.syslog.severity.name":"notice"'
want_ts="$(date -u -d "@${T1:0:10}" +%Y-%m-%dT%H:%M:%S).${T1:10:6}Z"
check_contains "__REALTIME_TIMESTAMP is @timestamp" "$WORK/sshd.json" "\"@timestamp\":\"$want_ts\""
grep '"process.name":"sudo"' "$WORK/events" >"$WORK/sudo.json" || true
check_contains "_COMM names the program when SYSLOG_IDENTIFIER is absent (sudo decoder)" "$WORK/sudo.json" \
  '"event.dataset":"sudo"'
check_contains "PRIORITY alone gives the severity" "$WORK/sudo.json" '"log.syslog.severity.name":"critical"'
grep 'myapp' "$WORK/events" >"$WORK/myapp.json" || true
check_contains "an unknown program keeps the message" "$WORK/myapp.json" '"event.dataset":"syslog"'
check_contains "SYSLOG_PID when there is no _PID" "$WORK/myapp.json" '"process.pid":99'

echo "== entries appended, and a journal file that appears, while it runs"
sshd_entry 4 | write_journal a.journal
wait_for 4
check "an appended entry is read" "$(count 4)" 1
sshd_entry 5 | write_journal b.journal
wait_for 5
check "an entry of a new journal file is read" "$(count 5)" 1

echo "== restart from the checkpointed cursor"
sleep 1.2
stop_sensor
check_contains "the cursor is in the checkpoint" "$WORK/checkpoint" "journal s="
sshd_entry 6 | write_journal b.journal
{ sshd_entry 7; sshd_entry 8; } | write_journal c.journal
start_sensor --journal-start beginning   # the cursor wins over --journal-start
wait_for 8
wait_for 6
sleep 0.3
check "entries written while stopped are read after the restart" "$(count 6)$(count 7)$(count 8)" 111
for i in 1 4 5; do check "entry $i is not repeated" "$(count "$i")" 1; done
check "the sudo entry is not repeated" "$(grep -c '"process.name":"sudo"' "$WORK/events")" 1
stop_sensor
check_contains "the entries are counted" "$WORK/err" "journal_entries=3 "

echo "== --journal-match"
: >"$WORK/events"
rm -f "$WORK/checkpoint"
start_sensor --journal-start beginning --journal-match _SYSTEMD_UNIT=ssh.service --journal-match _SYSTEMD_UNIT=none.service
for _ in $(seq 1 100); do [ "$(wc -l <"$WORK/events")" -ge 6 ] && break; sleep 0.05; done
sleep 0.3
stop_sensor
check "only the ssh.service entries" "$(wc -l <"$WORK/events")" 6
check "every one of them sshd" "$(grep -c '"process.name":"sshd"' "$WORK/events")" 6

echo "== --journal-start end (the default) skips what the journal already holds"
: >"$WORK/events"
rm -f "$WORK/checkpoint"
start_sensor
sleep 0.5
sshd_entry 9 | write_journal c.journal
wait_for 9
stop_sensor
check "only the new entry" "$(wc -l <"$WORK/events")" 1

echo "== bad options"
set +e
"$LOG_SENSOR" --journal --journal-match nofield >/dev/null 2>"$WORK/err2"; rc=$?
check "--journal-match without FIELD= exits 2" "$rc" 2
"$LOG_SENSOR" --journal --journal-dir "$WORK/none" >/dev/null 2>"$WORK/err2"; rc=$?
check "a missing --journal-dir is a configuration error (78)" "$rc" 78
check_contains "and says why" "$WORK/err2" "cannot open the journal in $WORK/none"
"$LOG_SENSOR" --journal-dir "$WORK/journal" >/dev/null 2>"$WORK/err2"; rc=$?
check "--journal-dir without --journal exits 78" "$rc" 78
set -e

finish
