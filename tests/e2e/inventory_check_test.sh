#!/usr/bin/env bash
# socctl inventory check on an inventory and a baseline that contain every kind of mistake the
# loaders know: exit 1, and every mistake reported at once, each with its file:line:column, in
# file order (then the baseline's, then the waivers checked against the baseline). The whole list
# of diagnostic lines is compared, so a mistake that is missed, reported twice or misplaced fails.
source "$(dirname "$0")/lib.sh"

cd "$WORK"
KEY=0000000000000000000000000000000000000000   # valid Z85, 32 zero bytes

cat >bad.yaml <<YAML
timezone: Asia/Ho_Chi_Minh
sites:
  - {id: dc, name: DC, kind: datacentre}
  - {id: dc, name: Again, kind: ward}
  - {id: xa-a, kind: commune, colour: red}
  - id: xa-b
    name: B
    kind: ward
    kind: commune
  - just text
systems:
  - {id: s1, name: S1, level: 7, sites: [dc, nowhere, dc], approved: 2025-02-30}
  - {id: s2, name: S2, level: three, sites: dc, assets: [fw-none]}
  - {name: S3, level: 2, sites: []}
  - {id: s4, name: S4, level: 1, sites: [xa-b]}
  - {id: s5, name: S5, level: 1, sites: [dc], last_assessment: 2026-1-15}
assets:
  - id: fw-1
    site: xa-gone
    kind: firewal
    licenses:
      - {kind: support, expires: 31/12/2026, temporary: maybe}
      - {kind: lease, expires: 2026-12-31}
      - {expires: 2026-12-31}
  - {id: sw-1, site: dc, kind: switch, vendor: [x], licenses: yes}
sensors:
  - {id: p1, site: dc, kind: packet, public_key: short}
  - {id: p2, site: xa-zz, kind: netflow, public_key: "$KEY"}
  - {id: p3, site: dc, kind: log, public_key: "$KEY"}
  - {id: p4, site: dc, kind: log}
waivers:
  - {requirement: AST-03, system: s9, reason: r, approved_by: a, expires: soon}
  - {requirement: NOPE-1, system: s4, reason: r, approved_by: a, expires: 2027-01-01}
  - {requirement: MON-02, system: s4, reason: r, approved_by: a, expires: 2027-01-01}
  - {requirement: AST-03, system: s1}
extras: 1
YAML

cat >expected-inventory.txt <<'TXT'
bad.yaml:1:11: error[inventory.bad_value]: timezone 'Asia/Ho_Chi_Minh' must be UTC or a fixed offset such as +07:00
bad.yaml:3:30: error[inventory.bad_value]: site kind 'datacentre' is not one of: datacenter, commune, ward, department
bad.yaml:4:10: error[inventory.duplicate_id]: site id 'dc' is already defined at line 3
bad.yaml:5:5: error[inventory.missing_key]: a site without 'name'
bad.yaml:5:31: error[inventory.unknown_key]: unknown key 'colour' in a site (known keys: id, name, kind)
bad.yaml:9:5: error[inventory.repeated_key]: key 'kind' appears twice in a site
bad.yaml:10:5: error[inventory.not_a_map]: each site must be a map
bad.yaml:12:31: error[inventory.bad_value]: 'level' must be an integer from 1 to 5
bad.yaml:12:46: error[inventory.unknown_reference]: unknown site 'nowhere' (not in 'sites')
bad.yaml:12:55: error[inventory.duplicate_reference]: 'dc' is listed twice in 'sites'
bad.yaml:12:70: error[inventory.bad_date]: 'approved' must be a date YYYY-MM-DD, not '2025-02-30'
bad.yaml:13:31: error[inventory.bad_type]: 'level' must be an integer from 1 to 5
bad.yaml:13:45: error[inventory.bad_type]: 'sites' must be a list
bad.yaml:13:58: error[inventory.unknown_reference]: unknown asset 'fw-none' (not in 'assets')
bad.yaml:14:5: error[inventory.missing_key]: a system without 'id'
bad.yaml:14:33: error[inventory.bad_value]: 'sites' must name at least one site
bad.yaml:16:64: error[inventory.bad_date]: 'last_assessment' must be a date YYYY-MM-DD, not '2026-1-15'
bad.yaml:19:11: error[inventory.unknown_reference]: unknown site 'xa-gone' (not in 'sites')
bad.yaml:20:11: error[inventory.bad_value]: asset kind 'firewal' is not one of: firewall, ips, waf, anti_ddos, db_firewall, nac, vpn_gateway, router, switch, wireless_ap, server, workstation, storage, log_store, portal, video_conference, ups, other
bad.yaml:22:34: error[inventory.bad_date]: 'expires' must be a date YYYY-MM-DD, not '31/12/2026'
bad.yaml:22:57: error[inventory.bad_type]: 'temporary' must be true or false
bad.yaml:23:16: error[inventory.bad_value]: license kind 'lease' is not one of: support, subscription, software, signatures, warranty
bad.yaml:24:9: error[inventory.missing_key]: a license without 'kind'
bad.yaml:25:48: error[inventory.bad_type]: 'vendor' must be a non-empty string
bad.yaml:25:63: error[inventory.bad_type]: 'licenses' must be a list
bad.yaml:27:50: error[inventory.bad_key]: public_key must be a CURVE public key: 40 characters of Z85
bad.yaml:28:20: error[inventory.unknown_reference]: unknown site 'xa-zz' (not in 'sites')
bad.yaml:28:33: error[inventory.bad_value]: sensor kind 'netflow' is not one of: packet, log, collector
bad.yaml:29:47: error[inventory.duplicate_key]: this public key is already bound to the sensor at line 28; a key binds one sensor
bad.yaml:30:5: error[inventory.missing_key]: a sensor without 'public_key'
bad.yaml:32:35: error[inventory.unknown_reference]: unknown system 's9' (not in 'systems')
bad.yaml:32:75: error[inventory.bad_date]: 'expires' must be a date YYYY-MM-DD, not 'soon'
bad.yaml:35:5: error[inventory.missing_key]: a waiver without 'reason'
bad.yaml:35:5: error[inventory.missing_key]: a waiver without 'approved_by'
bad.yaml:35:5: error[inventory.missing_key]: a waiver without 'expires'
bad.yaml:36:1: error[inventory.unknown_key]: unknown key 'extras' in the inventory (known keys: sites, systems, assets, sensors, waivers, timezone)
TXT

cat >expected-waivers.txt <<'TXT'
bad.yaml:33:19: error[inventory.unknown_reference]: unknown requirement 'NOPE-1' (not in baseline 'vn-level-baseline')
bad.yaml:34:19: error[inventory.waiver_not_applicable]: requirement 'MON-02' does not apply to system 's4' at level 1: nothing to waive
TXT

cat >badbase.yaml <<'YAML'
baseline: {id: b, colour: red}
requirements:
  - id: A-1
    title: {vi: a}
    reference: r
    levels: [0, 3]
    check: {kind: license_valid, asset_kind: firewal, warn_days: -1}
  - id: A-1
    title: just text
    levels: [3, 4]
    check: {kind: assessment_recent, interval_days: {3: 365, 6: 10}}
  - {id: A-2, title: {vi: a, en: b}, reference: r, levels: [3, 4], check: {kind: log_source, dataset: sshd, window: {3: 24h}}}
  - {id: A-3, title: {vi: a, en: b}, reference: r, levels: 3, check: {kind: scan_recent}}
  - {id: A-4, title: {vi: a, en: b}, reference: r, levels: [1], check: {kind: sensor_reporting, sensor_kind: packet, window: 5 minutes, extra: 1}}
  - {id: A-5, title: {vi: a, en: b}, reference: r, levels: [1], check: [asset_present]}
  - {id: A-6, title: {vi: a, en: b}, reference: r, levels: [1], check: {kind: certificate_valid}, owner: x}
  - {id: A-7, title: {vi: a, en: b}, reference: r, levels: [], check: {kind: asset_present, asset_kind: nac, min_count: 0}}
  - id: A-8
    title: {vi: a, en: b}
    reference: r
    reference: again
    levels: [2]
  - 42
notes: x
YAML

cat >expected-baseline.txt <<'TXT'
badbase.yaml:1:11: error[baseline.missing_key]: 'baseline' without 'version'
badbase.yaml:1:19: error[baseline.unknown_key]: unknown key 'colour' in 'baseline' (known keys: id, version, basis, description)
badbase.yaml:4:12: error[baseline.missing_key]: a title without 'en'
badbase.yaml:6:14: error[baseline.bad_value]: 'level' must be an integer from 1 to 5
badbase.yaml:7:46: error[baseline.bad_value]: asset kind 'firewal' is not one of: firewall, ips, waf, anti_ddos, db_firewall, nac, vpn_gateway, router, switch, wireless_ap, server, workstation, storage, log_store, portal, video_conference, ups, other
badbase.yaml:7:66: error[baseline.bad_value]: 'warn_days' must be an integer from 0 to 3660
badbase.yaml:8:5: error[baseline.missing_key]: a requirement without 'reference'
badbase.yaml:8:9: error[baseline.duplicate_id]: requirement id 'A-1' is already defined at line 3
badbase.yaml:9:12: error[baseline.bad_type]: 'title' must be a map with 'vi' (Vietnamese) and 'en' (English)
badbase.yaml:11:62: error[baseline.bad_value]: 'level' must be an integer from 1 to 5
badbase.yaml:12:117: error[baseline.missing_level_value]: 'window' has no value for level 4, where A-2 applies
badbase.yaml:13:60: error[baseline.bad_type]: 'levels' must be a list of levels from 1 to 5
badbase.yaml:13:77: error[baseline.bad_value]: check kind 'scan_recent' is not one of: asset_present, license_valid, sensor_reporting, log_source, assessment_recent, certificate_valid
badbase.yaml:14:126: error[baseline.bad_value]: 'window' must be a duration such as 300s, 5m, 24h or 7d (at most 10 years)
badbase.yaml:14:137: error[baseline.unknown_key]: unknown key 'extra' in a sensor_reporting check (known keys: kind, sensor_kind, window)
badbase.yaml:15:72: error[baseline.not_a_map]: 'check' must be a map with a 'kind' (asset_present, license_valid, sensor_reporting, log_source, assessment_recent, certificate_valid)
badbase.yaml:16:72: error[baseline.missing_key]: a check without 'min_days'
badbase.yaml:16:99: error[baseline.unknown_key]: unknown key 'owner' in a requirement (known keys: id, title, reference, levels, check, group, manual, source, legacy)
badbase.yaml:17:60: error[baseline.bad_value]: 'levels' must name at least one level
badbase.yaml:17:121: error[baseline.bad_value]: 'min_count' must be an integer from 1 to 1000
badbase.yaml:21:5: error[baseline.repeated_key]: key 'reference' appears twice in a requirement
badbase.yaml:23:5: error[baseline.not_a_map]: each requirement must be a map
badbase.yaml:24:1: error[baseline.unknown_key]: unknown key 'notes' in the baseline file (known keys: baseline, requirements)
TXT

code() { set +e; "$@" >out.txt 2>&1; echo $?; set -e; }
# diff_lines "what" EXPECTED: the diagnostic lines of out.txt (not the snippets) against EXPECTED.
diff_lines() {
  grep -E '^[a-z-]+\.yaml:[0-9]+:[0-9]+: |^[a-z-]+\.yaml: ' out.txt >got.txt || true
  if diff -u "$2" got.txt >diff.txt; then
    check "$1: $(wc -l <"$2") diagnostics, each line as expected" yes yes
  else
    check "$1: diagnostics differ (diff below)" no yes
    cat diff.txt
  fi
}

echo "== an inventory with every kind of mistake"
check "exit status" "$(code "$SOCCTL" inventory check bad.yaml)" 1
diff_lines "inventory alone" expected-inventory.txt
check_contains "each with its line and a caret" out.txt "  - {id: p1, site: dc, kind: packet, public_key: short}"

echo "== with the shipped baseline: the waivers are checked too"
check "exit status" "$(code "$SOCCTL" inventory check bad.yaml --baseline "$SRC/examples/baseline.yaml")" 1
cat expected-inventory.txt expected-waivers.txt >expected-both.txt
diff_lines "inventory and waivers" expected-both.txt

echo "== a baseline with every kind of mistake"
check "exit status" "$(code "$SOCCTL" inventory check "$SRC/examples/inventory.yaml" --baseline badbase.yaml)" 1
diff_lines "baseline" expected-baseline.txt

echo "== both broken: every mistake of both files at once; waivers not judged against a broken baseline"
check "exit status" "$(code "$SOCCTL" inventory check bad.yaml --baseline badbase.yaml)" 1
cat expected-inventory.txt expected-baseline.txt >expected-all.txt
diff_lines "both files" expected-all.txt

finish
