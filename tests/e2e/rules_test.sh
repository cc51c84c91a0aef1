#!/usr/bin/env bash
# The rule engine's command-line contract: socctl rules check (exit 0 / 1 with file:line:column),
# socctl rules test on the shipped pack, socctl replay (alerts as JSON lines on stdout).
source "$(dirname "$0")/lib.sh"

code() { set +e; "$@" >"$WORK/out" 2>"$WORK/err"; echo $?; set -e; }

echo "== socctl rules check"
check "the shipped pack loads" "$(code "$SOCCTL" rules check "$SRC/rules")" 0
check_contains "it says how many loaded" "$WORK/out" "rules loaded, 0 refused"
mkdir -p "$WORK/bad"
cp "$SRC/rules/linux/sudo.yml" "$WORK/bad/good.yml"
cat >"$WORK/bad/broken.yml" <<'YAML'
title: broken
detection:
  sel:
    process.name|endwith: sshd
  condition: sel
YAML
check "a folder with a broken rule exits 1" "$(code "$SOCCTL" rules check "$WORK/bad")" 1
check_contains "the diagnostic has file:line:column and a code" "$WORK/err" \
  "broken.yml:4:5: error[rule.bad_modifier]: unknown value modifier 'endwith'"
check_contains "the good rules of the folder still load" "$WORK/out" "4 rules loaded, 1 refused"

echo "== socctl rules test"
check "the shipped pack's inline tests pass" "$(code "$SOCCTL" rules test "$SRC/rules")" 0
check_contains "with a summary" "$WORK/out" "0 failed"

echo "== socctl replay"
check "replay of the sample province exits 0" \
  "$(code "$SOCCTL" replay --rules "$SRC/rules" "$SRC"/examples/events/*.jsonl)" 0
cp "$WORK/out" "$WORK/alerts.jsonl"
check_contains "an SSH brute force is alerted with its technique" "$WORK/alerts.jsonl" '"rule.name":"SSH brute force from one address"'
check_contains "technique ids are upper case" "$WORK/alerts.jsonl" '"threat.technique.id":["T1110.001"]'
check_contains "a port scan is alerted with the scanner's address" "$WORK/alerts.jsonl" '"rule.name":"Port scan from one address (firewall)"'
python3 - "$WORK/alerts.jsonl" <<'PY' || { echo "FAIL: alerts are not one JSON object per line"; FAILS=$((FAILS + 1)); }
import json, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    assert a["event.kind"] == "alert" and a["rule.ruleset"] and 1 <= a["event.severity"] <= 5, line
PY
check "replay without --rules is a usage error" "$(code "$SOCCTL" replay "$SRC/examples/events/log-dc-hatinh.jsonl")" 2

finish
