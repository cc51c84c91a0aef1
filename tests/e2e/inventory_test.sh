#!/usr/bin/env bash
# socctl inventory check: exit 0 for the shipped sample province, 1 with every problem located
# as file:line:column, 2 for a usage error.
source "$(dirname "$0")/lib.sh"
need ss curl

code() { set +e; "$@" >"$WORK/out" 2>&1; echo $?; set -e; }

echo "== the shipped examples are clean"
check "inventory check of examples/inventory.yaml" "$(code "$SOCCTL" inventory check "$SRC/examples/inventory.yaml")" 0
check_contains "it sums up what it read" "$WORK/out" "5 sites, 3 systems, 11 assets, 5 sensors, 1 waivers"
check "with examples/baseline.yaml" \
  "$(code "$SOCCTL" inventory check "$SRC/examples/inventory.yaml" --baseline "$SRC/examples/baseline.yaml")" 0
check_contains "the baseline is summed up" "$WORK/out" "10 requirements (baseline vn-level-baseline 0.1-draft)"
check "socctl inventory check --help exits 0" "$(code "$SOCCTL" inventory check --help)" 0
check_contains "it lists --baseline" "$WORK/out" "--baseline"

echo "== mistakes exit 1, every one located"
cat >"$WORK/bad.yaml" <<'YAML'
sites:
  - {id: dc, name: DC, kind: datacentre}
systems:
  - {id: s1, name: S1, level: 7, sites: [dc, nowhere], approved: 2025-02-30}
sensors:
  - {id: p1, site: dc, kind: packet, public_key: short}
waivers:
  - {requirement: NOPE-1, system: s1, reason: r, approved_by: a, expires: 2027-01-01}
YAML
check "a broken inventory" "$(code "$SOCCTL" inventory check "$WORK/bad.yaml")" 1
check_contains "the bad site kind" "$WORK/out" "bad.yaml:2:30: error[inventory.bad_value]: site kind 'datacentre'"
check_contains "the level out of range" "$WORK/out" "bad.yaml:4:31: error[inventory.bad_value]: 'level' must be an integer from 1 to 5"
check_contains "the dangling site" "$WORK/out" "bad.yaml:4:46: error[inventory.unknown_reference]: unknown site 'nowhere'"
check_contains "the impossible date" "$WORK/out" "bad.yaml:4:66: error[inventory.bad_date]: 'approved' must be a date YYYY-MM-DD, not '2025-02-30'"
check_contains "the bad key" "$WORK/out" "bad.yaml:6:50: error[inventory.bad_key]"
check_contains "with the line and a caret" "$WORK/out" "  - {id: p1, site: dc, kind: packet, public_key: short}"
check "the unknown requirement needs a baseline" \
  "$(code "$SOCCTL" inventory check "$WORK/bad.yaml" --baseline "$SRC/examples/baseline.yaml")" 1
check_contains "the waiver's requirement is unknown" "$WORK/out" "bad.yaml:8:19: error[inventory.unknown_reference]: unknown requirement 'NOPE-1'"
printf 'requirements:\n  - {id: X-1, title: {vi: a}, reference: r, levels: [0]}\n' >"$WORK/badbase.yaml"
check "a broken baseline" \
  "$(code "$SOCCTL" inventory check "$SRC/examples/inventory.yaml" --baseline "$WORK/badbase.yaml")" 1
check_contains "its missing section" "$WORK/out" "badbase.yaml:1:1: error[baseline.missing_key]: the file without 'baseline'"
check_contains "its missing title" "$WORK/out" "badbase.yaml:2:22: error[baseline.missing_key]: a title without 'en'"
printf 'sites: [unclosed\n' >"$WORK/syntax.yaml"
check "a file that is not YAML" "$(code "$SOCCTL" inventory check "$WORK/syntax.yaml")" 1
check_contains "the syntax error is located" "$WORK/out" "syntax.yaml:"
check "a missing file" "$(code "$SOCCTL" inventory check "$WORK/none.yaml")" 1
check_contains "it says so" "$WORK/out" "none.yaml: error[inventory.unreadable]: cannot read the file: No such file or directory"

echo "== the inventory's sensors: section is the correlator's allowlist as it is"
make_keys server
start_correlator --server-key "$WORK/server.key" --allow "$SRC/examples/inventory.yaml"
check "the correlator runs with --allow examples/inventory.yaml" "$(kill -0 "$CORRELATOR_PID" 2>/dev/null && echo up)" up
check_contains "with the inventory's five sensors" "$WORK/correlator.log" "5 sensors allowed"
check "its metrics answer" "$(curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" >/dev/null && echo yes)" yes
stop_correlator

echo "== usage errors exit 2"
check "no file" "$(code "$SOCCTL" inventory check)" 2
check "two files" "$(code "$SOCCTL" inventory check a.yaml b.yaml)" 2
check "no subcommand" "$(code "$SOCCTL" inventory)" 2

finish
