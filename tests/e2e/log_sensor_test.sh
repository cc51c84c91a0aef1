#!/usr/bin/env bash
# soc-log-sensor's offline contract: --read FILE prints one JSON event per informative line and
# exits 0; hostile input (huge lines, NUL bytes, random bytes) never stops it; usage errors exit
# 2 and unusable decoders 78 with file:line:column.
source "$(dirname "$0")/lib.sh"
need python3
: "${LOG_SENSOR:=$BUILD/sensors/log/soc-log-sensor}"

code() { set +e; "$@" >"$WORK/out" 2>"$WORK/err"; echo $?; set -e; }
valid_events() {  # valid_events FILE: prints the number of lines that are events with the required fields
  python3 - "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    assert all(k in e for k in ("@timestamp", "event.kind", "event.dataset", "event.category")), line
    n += 1
print(n)
PY
}

echo "== --help and --version"
check "--help exits 0" "$(code "$LOG_SENSOR" --help)" 0
for flag in --read --format --timezone --decoders --builtin-decoders --no-builtin-decoders --check-decoders --max-line-bytes --stats --config; do
  check_contains "--help lists $flag" "$WORK/out" "$flag"
done
check "--version exits 0" "$(code "$LOG_SENSOR" --version)" 0
check_contains "the version is printed" "$WORK/out" "soc-log-sensor 0."

echo "== --read: one event per informative line"
cat >"$WORK/mixed.log" <<'LOG'
# a comment line

Feb 25 14:34:10 belka sshd[31602]: Failed password for invalid user ROOT from 194.117.26.69 port 50273 ssh2
Jun  8 14:34:33 sd kernel: [5.1] IN=eth0 OUT= MAC=00:08 SRC=195.54.160.107 DST=51.15.166.67 LEN=40 TOS=0x00 PROTO=TCP SPT=8080 DPT=8123
83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET / HTTP/1.1" 200 203 "-" "curl/8"
{"message":"json line","source.ip":"10.0.0.1"}
something nobody can decode
LOG
check "--read exits 0" "$(code "$LOG_SENSOR" --read "$WORK/mixed.log")" 0
check "five events for five informative lines" "$(valid_events "$WORK/out")" 5
check_contains "sshd failure" "$WORK/out" '"event.dataset":"sshd","event.category":["authentication"],"event.action":"ssh_login","event.outcome":"failure"'
check_contains "the address" "$WORK/out" '"source.ip":"194.117.26.69"'
check_contains "iptables" "$WORK/out" '"event.dataset":"iptables"'
check_contains "access log" "$WORK/out" '"event.dataset":"apache.access"'
check_contains "json" "$WORK/out" '"message":"json line"'
check_contains "fallback keeps the message" "$WORK/out" '"message":"something nobody can decode"'
check_contains "the file is named" "$WORK/out" "\"log.file.path\":\"$WORK/mixed.log\""
check "standard input works too" "$(set +e; "$LOG_SENSOR" --read - <"$WORK/mixed.log" | wc -l)" 5
check "--format nginx names the dataset" "$(code "$LOG_SENSOR" --read "$WORK/mixed.log" --format nginx)" 0
check_contains "nginx.access" "$WORK/out" '"event.dataset":"nginx.access"'
check "--timezone shifts zone-less times" "$(code "$LOG_SENSOR" --read "$WORK/mixed.log" --timezone +07:00)" 0
check_contains "14:34:10 at +07:00 is 07:34:10 UTC" "$WORK/out" 'T07:34:10.000000Z'

echo "== hostile input"
python3 - "$WORK/hostile.log" <<'PY'
import random, sys
random.seed(4)
with open(sys.argv[1], "wb") as f:
    f.write(b"Nov 27 10:00:00 h sshd[1]: Failed password for " + b"A" * 3_000_000 + b" from 1.2.3.4 port 1 ssh2\n")
    f.write(b"Nov 27 10:00:01 h sshd[2]: Failed password for x\x00y from 192.0.2.9 port 2 ssh2\n")
    f.write(b"Nov 27 10:00:02 h sshd[3]: Failed password for \xff\xfe from 192.0.2.10 port 3 ssh2\n")
    f.write(bytes(random.getrandbits(8) for _ in range(200_000)).replace(b"\n", b"\n "))
    f.write(b"\nNov 27 10:00:03 h sshd[4]: Failed password for root from 192.0.2.11 port 4 ssh2\n")
PY
check "hostile input: exit 0" "$(code "$LOG_SENSOR" --read "$WORK/hostile.log" --max-line-bytes 4096 --stats)" 0
check "every output line is a valid event" "$(valid_events "$WORK/out" >/dev/null && echo ok)" ok
check_contains "the long line is cut and tagged" "$WORK/out" '"tags":["truncated"]'
check_contains "NUL bytes are escaped" "$WORK/out" 'x\u0000y'
check_contains "the line after the NUL is decoded" "$WORK/out" '"source.ip":"192.0.2.9"'
check_contains "invalid UTF-8 is replaced" "$WORK/out" '"source.ip":"192.0.2.10"'
check_contains "the last line after the garbage is decoded" "$WORK/out" '"source.ip":"192.0.2.11"'
check_contains "truncation is counted" "$WORK/err" "truncated=1"
check "NUL bytes are counted" "$(grep -qE 'nul_bytes=[1-9]' "$WORK/err" && echo yes)" yes
check "invalid UTF-8 is counted" "$(grep -qE 'invalid_utf8=[1-9]' "$WORK/err" && echo yes)" yes

echo "== errors"
check "an unknown flag exits 2" "$(code "$LOG_SENSOR" --no-such-flag)" 2
check "no input exits 2" "$(code "$LOG_SENSOR")" 2
check "an unknown format exits 78" "$(code "$LOG_SENSOR" --read "$WORK/mixed.log" --format cobol)" 78
check "a bad zone exits 78" "$(code "$LOG_SENSOR" --read "$WORK/mixed.log" --timezone Mars/Base)" 78
check "a missing file exits 1" "$(code "$LOG_SENSOR" --read "$WORK/none.log")" 1
printf 'decoders:\n  - name: x\n    programs: [x]\n    rules:\n      - match: "(?<u>a"\n        sett: {}\n' >"$WORK/bad.yaml"
check "a bad decoder file exits 78" "$(code "$LOG_SENSOR" --decoders "$WORK/bad.yaml" --read "$WORK/mixed.log")" 78
check_contains "the unknown key is located" "$WORK/err" "bad.yaml:6:9: error[decoder.unknown_key]: unknown key 'sett'"
check_contains "the regex error is located" "$WORK/err" "bad.yaml:5:16: error[regex.syntax]"
printf 'decoders:\n  - name: mine\n    programs: [sshd]\n    set: {event.category: [authentication]}\n    fields: {ip: source.ip}\n    rules:\n      - match: "^Failed .* from (?<ip>\\\\S+)"\n        set: {event.outcome: failure, event.action: mine}\n' >"$WORK/mine.yaml"
check "--check-decoders accepts a good file" "$(code "$LOG_SENSOR" --decoders "$WORK/mine.yaml" --check-decoders)" 0
check "a user decoder runs before the built-in ones" "$(code "$LOG_SENSOR" --decoders "$WORK/mine.yaml" --read "$WORK/mixed.log")" 0
check_contains "its action is used" "$WORK/out" '"event.action":"mine"'

finish
