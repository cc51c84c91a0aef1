#!/usr/bin/env bash
# The log sensor's events against the shipped rules: the sample logs of examples/logs go through
# soc-log-sensor --read and socctl replay --rules rules/, and the alerts the story of
# examples/README.md tells come out (account management, iptables drops); --file with
# --format auto labels each access log by its own path (nginx or not).
source "$(dirname "$0")/lib.sh"
need python3
: "${LOG_SENSOR:=$BUILD/sensors/log/soc-log-sensor}"

alerts() {  # alerts FILE RULE: prints "user.name|source.ip|soc.count" of each alert of RULE
  python3 - "$1" "$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    if a.get("rule.name") == sys.argv[2]:
        print(f'{a.get("user.name", "")}|{a.get("source.ip", "")}|{a.get("soc.count", "")}')
PY
}

echo "== the commune's auth.log: the new administrator account"
"$LOG_SENSOR" --read "$SRC/examples/logs/log-xa-camxuyen/auth.log" --timezone +07:00 >"$WORK/auth.jsonl"
"$SOCCTL" replay --rules "$SRC/rules" "$WORK/auth.jsonl" >"$WORK/auth-alerts.jsonl" 2>/dev/null
check "one 'New administrator account' alert, for backup2 put in the sudo group" \
  "$(alerts "$WORK/auth-alerts.jsonl" "New administrator account")" "backup2||1"

echo "== account lines written here: UID 0 and wheel alert, an ordinary group does not"
cat >"$WORK/accounts.log" <<'LOG'
Nov 20 15:40:05 srv useradd[2001]: new user: name=alice, UID=1010, GID=1010, home=/home/alice, shell=/bin/bash, from=/dev/pts/1
Nov 20 15:40:06 srv usermod[2002]: add 'alice' to group 'users'
Nov 20 15:40:06 srv usermod[2002]: add 'alice' to shadow group 'users'
Nov 20 15:40:07 srv useradd[2003]: new user: name=toor, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/1
Nov 20 15:40:08 srv gpasswd[2004]: user mallory added by root to group wheel
Nov 20 15:40:09 srv passwd[2005]: pam_unix(passwd:chauthtok): password changed for alice
LOG
"$LOG_SENSOR" --read "$WORK/accounts.log" >"$WORK/accounts.jsonl"
check "every line is decoded (no fallback)" "$(grep -c '"event.dataset":"syslog"' "$WORK/accounts.jsonl" || true)" 0
"$SOCCTL" replay --rules "$SRC/rules" "$WORK/accounts.jsonl" >"$WORK/accounts-alerts.jsonl" 2>/dev/null
check "toor (UID 0) and mallory (wheel) alert, alice does not" \
  "$(alerts "$WORK/accounts-alerts.jsonl" "New administrator account" | tr '\n' ' ')" "toor||1 mallory||1 "

echo "== the commune router's kern.log: iptables drops feed the firewall rules"
"$LOG_SENSOR" --read "$SRC/examples/logs/log-xa-camxuyen/kern.log" --timezone +07:00 >"$WORK/kern.jsonl"
"$SOCCTL" replay --rules "$SRC/rules" "$WORK/kern.jsonl" >"$WORK/kern-alerts.jsonl" 2>/dev/null
check "a deny burst from the scanner" \
  "$(alerts "$WORK/kern-alerts.jsonl" "Firewall deny burst from one address")" "|203.0.113.155|50"
check "and its port scan" \
  "$(alerts "$WORK/kern-alerts.jsonl" "Port scan from one address (firewall)" | cut -d'|' -f2)" "203.0.113.155"
sed 's/INPUT-DROP:/INPUT-LOG:/' "$SRC/examples/logs/log-xa-camxuyen/kern.log" >"$WORK/kern-log.log"
"$LOG_SENSOR" --read "$WORK/kern-log.log" --timezone +07:00 >"$WORK/kern-log.jsonl"
"$SOCCTL" replay --rules "$SRC/rules" "$WORK/kern-log.jsonl" >"$WORK/kern-log-alerts.jsonl" 2>/dev/null
check "the same lines with a prefix that names no verdict raise nothing" "$(grep -c . "$WORK/kern-log-alerts.jsonl" || true)" 0

echo "== --file with --format auto: each access log is labelled by its own path"
mkdir -p "$WORK/nginx" "$WORK/apache2"
access='203.0.113.45 - - [20/Nov/2026:15:31:00 +0700] "GET / HTTP/1.1" 200 166 "-" "curl/8"'
echo "$access" >"$WORK/nginx/access.log"
echo "$access" >"$WORK/apache2/access.log"
"$LOG_SENSOR" --file "$WORK/nginx/*.log" --file "$WORK/apache2/*.log" --file-start beginning \
  --checkpoint "$WORK/checkpoint" >"$WORK/follow.jsonl" 2>"$WORK/follow.err" &
SENSOR_PID=$!
PIDS+=("$SENSOR_PID")
for _ in $(seq 1 100); do [ "$(grep -c . "$WORK/follow.jsonl" 2>/dev/null || true)" -ge 2 ] && break; sleep 0.05; done
kill -TERM "$SENSOR_PID"
wait "$SENSOR_PID" || true
labels=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print(e["log.file.path"].split("/")[-2] + "=" + e["event.dataset"])
' "$WORK/follow.jsonl" | sort | tr '\n' ' ')
check "nginx/access.log is nginx.access, apache2/access.log apache.access" "$labels" "apache2=apache.access nginx=nginx.access "
finish
