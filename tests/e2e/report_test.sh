#!/usr/bin/env bash
# socctl report offline (issue 13, docs/report.md): a small province's inventory, baseline and
# recorded events (as the correlator's --events-out and --alerts-out write them) give the
# statuses the baseline logic decides; the same inputs and --at give byte-identical JSON and the
# same digest; one changed event changes the digest and `report verify --events` fails; the HTML
# renders in the real Chromium without a console message and with its status table; the PDF
# made by Chromium has pages and Vietnamese text (pdftotext from poppler-utils).
#
# SOC_UPDATE_SCREENSHOT=1 also copies the screenshot to docs/report-screenshot.png.
source "$(dirname "$0")/lib.sh"
need chromium pdftotext pdfinfo python3 date

day() { date -u -d "$AT_DATE $1" +%F; }
at() { date -u -d "$AT $1" +%Y-%m-%dT%H:%M:%S.000000Z; }
AT=$(date -u -d '-1 hour' +%Y-%m-%dT%H:00:00Z)   # a fixed "now" for the whole test
AT_DATE=${AT%%T*}
FROM=$(at '-2 hours')

cat >"$WORK/inventory.yaml" <<YAML
timezone: "+07:00"
sites:
  - {id: dc, name: "Trung tâm dữ liệu tỉnh", kind: datacenter}
  - {id: xa1, name: "UBND xã Cẩm Xuyên", kind: commune}
  - {id: xa2, name: "UBND xã Thạch Hà", kind: commune}
systems:
  - {id: portal, name: "Cổng dịch vụ công tỉnh", level: 3, sites: [dc], owner: "Sở Khoa học và Công nghệ",
     approved: 2025-06-01, last_assessment: $(day '-100 days')}
  - {id: wan, name: "Mạng WAN tỉnh", level: 3, sites: [dc, xa1, xa2], last_assessment: $(day '-100 days')}
  - {id: motcua, name: "Hệ thống một cửa điện tử", level: 2, sites: [xa1, xa2]}
  - {id: camera, name: "Camera giám sát", level: 3, sites: [xa2], last_assessment: $(day '-10 days')}
assets:
  - {id: fw-dc, site: dc, kind: firewall, licenses: [{kind: support, expires: $(day '+400 days')},
                                                    {kind: signatures, expires: $(day '+100 days'), temporary: true}]}
  - {id: fw-xa1, site: xa1, kind: firewall, licenses: [{kind: support, expires: $(day '-10 days')}]}
sensors:
  - {id: pkt-dc, site: dc, kind: packet, public_key: "9Ze.tu4vnNi:2Pt=DN2H9Hz-swtsh2Qj04n1=at6"}
  - {id: pkt-xa1, site: xa1, kind: packet, public_key: "JSb*h@8y:hrAKY&Z/bW7Rmo*{rop3s7Grsf(HhHd"}
  - {id: pkt-xa2, site: xa2, kind: packet, public_key: "a^eI-i#^@V>&R=dc*h^O^j%MX2ZE{EaCJ7Q}(VS)"}
  - {id: log-dc, site: dc, kind: log, public_key: "do)QhtI5.9R34q3iV(/AiLh7Dx<X?>gM9O8G.4qB"}
waivers:
  - {requirement: AST-03, system: motcua, reason: "Tường lửa xã Thạch Hà trong gói mua sắm năm sau",
     approved_by: "Giám đốc Sở", expires: $(day '+5 days')}
YAML
cat >"$WORK/baseline.yaml" <<'YAML'
baseline: {id: e2e-baseline, version: '1', basis: ["Decree 331/2026/ND-CP", "TCVN 14423:2026"]}
requirements:
  - {id: AST-02, title: {vi: "Tường lửa có bản quyền còn hiệu lực", en: Firewall license valid}, reference: "TCVN 14423:2026 x.12",
     levels: [1, 2, 3, 4, 5], check: {kind: license_valid, asset_kind: firewall, warn_days: 30}}
  - {id: AST-03, title: {vi: "Có tường lửa biên", en: Boundary firewall present}, reference: "TCVN 14423:2026 3.12.2.2",
     levels: [1, 2, 3, 4, 5], check: {kind: asset_present, asset_kind: firewall}}
  - {id: MON-02, title: {vi: "Cảm biến giám sát lưu lượng", en: Packet sensor reporting}, reference: "Circular 31/2017 Art. 5",
     levels: [3, 4, 5], check: {kind: sensor_reporting, sensor_kind: packet, window: 5m}}
  - {id: LOG-01, title: {vi: "Thu thập nhật ký xác thực", en: Authentication logs collected}, reference: "TCVN 14423:2026 5.8.2.1",
     levels: [3, 4, 5], check: {kind: log_source, dataset: sshd, window: 1h}}
  - {id: GOV-01, title: {vi: "Kiểm tra, đánh giá định kỳ", en: Periodic assessment}, reference: "Decree 85/2016 Art. 20.2.c",
     levels: [1, 2, 3, 4, 5], check: {kind: assessment_recent, interval_days: 365}}
  - {id: GOV-03, title: {vi: "Hồ sơ đề xuất cấp độ được phê duyệt", en: Approved level dossier}, reference: "Decree 331/2026 Art. 21",
     levels: [1, 2, 3, 4, 5], manual: "approval decision"}
YAML
"$SOCCTL" inventory check "$WORK/inventory.yaml" --baseline "$WORK/baseline.yaml" >/dev/null

# pkt-dc heard a minute before AT; pkt-xa1 heard in the period, silent for the last 30 minutes;
# pkt-xa2 never heard; sshd from dc; a heartbeat after AT (outside the period); a broken line.
hb() { printf '{"@timestamp":"%s","event.kind":"metric","event.dataset":"soc.heartbeat","event.category":["host"],"observer.name":"%s","site.id":"%s","event.ingested":"%s"}\n' "$1" "$2" "$3" "$1"; }
{
  hb "$(at '-90 minutes')" pkt-xa1 xa1
  hb "$(at '-30 minutes')" pkt-xa1 xa1
  printf '{"@timestamp":"%s","event.kind":"event","event.dataset":"sshd","event.category":["authentication"],"event.action":"ssh_login","event.outcome":"failure","source.ip":"203.0.113.7","user.name":"root","observer.name":"log-dc","site.id":"dc","event.ingested":"%s"}\n' "$(at '-20 minutes')" "$(at '-20 minutes')"
  echo '{"broken": '
  hb "$(at '-1 minute')" pkt-dc dc
  hb "$(at '+5 minutes')" pkt-xa2 xa2
} >"$WORK/events.jsonl"
printf '{"@timestamp":"%s","event.kind":"alert","event.dataset":"soc.alert","event.category":["intrusion_detection"],"rule.id":"ssh-brute","rule.name":"SSH brute force from one address","event.severity":4,"site.id":"dc"}\n' "$(at '-19 minutes')" >"$WORK/alerts.jsonl"

report() {  # report FORMAT LANG OUT [EXTRA...]
  local format=$1 lang=$2 out=$3; shift 3
  "$SOCCTL" report --inventory "$WORK/inventory.yaml" --baseline "$WORK/baseline.yaml" \
    --events "$WORK/events.jsonl" "$WORK/alerts.jsonl" --at "$AT" --from "$FROM" --format "$format" --lang "$lang" \
    --out "$out" "$@"
}
status() {  # status FILE SYSTEM REQUIREMENT
  python3 - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(next(q["status"] for s in r["systems"] if s["id"] == sys.argv[2] for q in s["requirements"] if q["id"] == sys.argv[3]))
PY
}

echo "== the status logic on a small province"
report json vi "$WORK/report.json" 2>"$WORK/report.err"
check_contains "the broken line is located and skipped" "$WORK/report.err" "events.jsonl:4:"
check "temporary signatures: partially_met" "$(status "$WORK/report.json" portal AST-02)" partially_met
check "an expired license: not_met" "$(status "$WORK/report.json" wan AST-02)" not_met
check "a firewall at every site of the portal: met" "$(status "$WORK/report.json" portal AST-03)" met
check "no firewall at xa2: not_met" "$(status "$WORK/report.json" wan AST-03)" not_met
check "the same gap under a waiver in force: waived" "$(status "$WORK/report.json" motcua AST-03)" waived
check "a sensor heard within the window: met" "$(status "$WORK/report.json" portal MON-02)" met
check "a sensor heard then silent: not_met" "$(status "$WORK/report.json" wan MON-02)" not_met
check "no heartbeat in the period: not_assessable, never met" "$(status "$WORK/report.json" camera MON-02)" not_assessable
check "a level-3 requirement for a level-2 system: not_applicable" "$(status "$WORK/report.json" motcua MON-02)" not_applicable
check "never assessed: not_assessable" "$(status "$WORK/report.json" motcua GOV-01)" not_assessable
check "a manual requirement: not_assessable" "$(status "$WORK/report.json" portal GOV-03)" not_assessable
check "the sshd log source of dc: met" "$(status "$WORK/report.json" portal LOG-01)" met
python3 - "$WORK/report.json" >"$WORK/shape.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
words = {"met", "partially_met", "not_met", "not_applicable", "not_assessable", "waived"}
ok = isinstance(r["digest"], str) and len(r["digest"]) == 64
for s in r["systems"]:
    ok = ok and isinstance(s["id"], str) and s["level"] in range(1, 6)
    for q in s["requirements"]:
        ok = ok and q["status"] in words and isinstance(q["reason"], str) and q["reason"] and isinstance(q["evidence"], list)
        for e in q["evidence"]:
            ok = ok and {"subject", "observed", "observed_at", "valid_until"} <= e.keys()
print("shape ok" if ok else "shape wrong")
m = next(q for s in r["systems"] if s["id"] == "wan" for q in s["requirements"] if q["id"] == "MON-02")
print("coverage %d/%d %s" % (m["coverage"]["met"], m["coverage"]["total"], m["coverage"]["unit"]))
print("gaps " + ",".join(sorted(g["site"] + ":" + g["kind"] for g in r["gaps"])))
print("alerts %d high at dc %d" % (r["alerts"]["total"], r["alerts"]["by_site"][0]["by_severity"]["high"]))
PY
check_contains "systems[], requirements[] with the six words, reasons, evidence[], digest" "$WORK/shape.txt" "shape ok"
check_contains "coverage of wan's MON-02" "$WORK/shape.txt" "coverage 1/3 sites"
check_contains "the open critical gaps per site" "$WORK/shape.txt" \
  "gaps xa1:license_expired,xa1:logsource_silent,xa1:sensor_silent,xa2:equipment_missing,xa2:sensor_silent"
check_contains "the alerts of the period by severity and site" "$WORK/shape.txt" "alerts 1 high at dc 1"
python3 "$SRC/tests/e2e/report_doc_check.py" "$SRC/docs/report.md" "$WORK/report.json" >"$WORK/schema.txt" 2>&1 || true
check_contains "docs/report.md's JSON schema names exactly the members written" "$WORK/schema.txt" "schema as documented"
check "the waiver expires: the real status is back" \
  "$("$SOCCTL" report --inventory "$WORK/inventory.yaml" --baseline "$WORK/baseline.yaml" --at "$(date -u -d "$AT_DATE +6 days" +%Y-%m-%dT%H:%M:%SZ)" \
       --format json --out "$WORK/later.json" 2>/dev/null; status "$WORK/later.json" motcua AST-03)" not_met

echo "== reproducible: byte-identical JSON and digest; one changed event changes both"
report json vi "$WORK/again.json" 2>/dev/null
check "the same inputs and --at give byte-identical JSON" "$(cmp -s "$WORK/report.json" "$WORK/again.json" && echo same)" same
set +e
"$SOCCTL" report verify "$WORK/report.json" --events "$WORK/events.jsonl" "$WORK/alerts.jsonl" >"$WORK/verify.out" 2>&1
check "report verify with the events it was built from: exit 0" "$?" 0
"$SOCCTL" report verify "$WORK/report.json" --events "$WORK/events.jsonl" --events "$WORK/alerts.jsonl" \
  --inventory "$WORK/inventory.yaml" --baseline "$WORK/baseline.yaml" >>"$WORK/verify.out" 2>&1
check "and re-deriving the evidence from all the inputs: exit 0" "$?" 0
set -e
cp "$WORK/events.jsonl" "$WORK/events.orig"
sed -i "s/$(at '-20 minutes' | sed 's/\./\\./g')\"}/$(at '-21 minutes')\"}/" "$WORK/events.jsonl"
check "one event was changed" "$(cmp -s "$WORK/events.jsonl" "$WORK/events.orig" || echo changed)" changed
report json vi "$WORK/changed.json" 2>/dev/null
digest() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$1"; }
check "a changed event changes the digest" "$([ "$(digest "$WORK/report.json")" != "$(digest "$WORK/changed.json")" ] && echo differs)" differs
set +e
"$SOCCTL" report verify "$WORK/report.json" --events "$WORK/events.jsonl" "$WORK/alerts.jsonl" >"$WORK/verify-bad.out" 2>&1
check "report verify with the changed events: exit 1" "$?" 1
sed 's/"status": "not_met"/"status": "met"/' "$WORK/report.json" >"$WORK/edited.json"
"$SOCCTL" report verify "$WORK/edited.json" >"$WORK/verify-edited.out" 2>&1
check "report verify of an edited status: exit 1" "$?" 1
set -e
check_contains "and it says why" "$WORK/verify-bad.out" "the events differ from those the report was built from"
cp "$WORK/events.orig" "$WORK/events.jsonl"
report json en "$WORK/report-en.json" 2>/dev/null
check "the English report has the same digest" "$(digest "$WORK/report-en.json")" "$(digest "$WORK/report.json")"

echo "== CSV: one row per system and requirement"
report csv vi "$WORK/report.csv" 2>/dev/null
check "4 systems x 6 requirements + a header" "$(grep -c $'\r$' "$WORK/report.csv")" 25
check_contains "Vietnamese header" "$WORK/report.csv" "Mã hệ thống,Tên hệ thống,Cấp độ"
check_contains "a row" "$WORK/report.csv" "wan,Mạng WAN tỉnh,3,AST-02,"

echo "== HTML in the real Chromium: no console message, the status table, a screenshot"
report html vi "$WORK/report.html" 2>/dev/null
chrome() {
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$WORK/chrome-$1" \
    --host-resolver-rules="MAP * ~NOTFOUND" --enable-logging=stderr --v=0 "${@:2}"
}
# First, that this Chromium does log console messages where the check below looks for them.
echo '<html><body><script>console.error("probe: " + 6 * 7)</script></body></html>' >"$WORK/probe.html"
chrome probe --dump-dom "file://$WORK/probe.html" >/dev/null 2>"$WORK/chrome-probe.log" || true
check_contains "Chromium logs a page's console errors on stderr" "$WORK/chrome-probe.log" "probe: 42"
chrome dom --dump-dom "file://$WORK/report.html" >"$WORK/dom.html" 2>"$WORK/chrome-dom.log" || true
check_contains "Chromium renders the status table" "$WORK/dom.html" '<table id="status-summary" class="status-table">'
check_contains "with the requirement tables of each system" "$WORK/dom.html" 'class="status-table requirements"'
check_contains "and the Vietnamese labels" "$WORK/dom.html" "Chưa đáp ứng"
check "no console message and no failed load" \
  "$(grep -cE 'CONSOLE|Failed to load|ERR_' "$WORK/chrome-dom.log" || true)" 0
chrome shot --screenshot="$WORK/report.png" --window-size=1240,1754 --hide-scrollbars "file://$WORK/report.html" \
  2>"$WORK/chrome-shot.log" || true
check "the screenshot is a PNG" "$(head -c 8 "$WORK/report.png" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a
check_ge "of a rendered page (bytes)" "$(stat -c %s "$WORK/report.png")" 50000
if [ "${SOC_UPDATE_SCREENSHOT:-}" = 1 ]; then cp "$WORK/report.png" "$SRC/docs/report-screenshot.png"; fi

echo "== PDF by Chromium: pages and Vietnamese text"
report pdf vi "$WORK/report.pdf" 2>"$WORK/pdf.err" || cat "$WORK/pdf.err"
check "the PDF starts as one" "$(head -c 5 "$WORK/report.pdf")" "%PDF-"
pdfinfo "$WORK/report.pdf" >"$WORK/pdfinfo.txt"
check_ge "it has pages" "$(awk '/^Pages:/ { print $2 }' "$WORK/pdfinfo.txt")" 3
check_contains "on A4" "$WORK/pdfinfo.txt" "(A4)"
pdftotext -layout "$WORK/report.pdf" "$WORK/report.txt"
check_contains "with the systems' Vietnamese names" "$WORK/report.txt" "Cổng dịch vụ công tỉnh"
check_contains "the Vietnamese status words" "$WORK/report.txt" "Chưa đáp ứng"
check_contains "the Vietnamese title" "$WORK/report.txt" "Báo cáo đánh giá tuân thủ"
check_contains "the reasons with diacritics" "$WORK/report.txt" "đã hết hạn ngày"
check_contains "and the digest" "$WORK/report.txt" "$(digest "$WORK/report.json")"
report pdf en "$WORK/report-en.pdf" 2>/dev/null
pdftotext "$WORK/report-en.pdf" "$WORK/report-en.txt"
check_contains "the English PDF says it in English" "$WORK/report-en.txt" "Not assessable"
check "and no Chromium is left running from the report" "$(pgrep -f "soc-report-pdf" | wc -l)" 0

echo "== bad input"
set +e
"$SOCCTL" report --inventory "$WORK/inventory.yaml" --baseline "$WORK/baseline.yaml" --format xml --out x 2>"$WORK/usage.err"
check "an unknown format is a usage error" "$?" 2
"$SOCCTL" report --inventory "$WORK/inventory.yaml" --baseline "$WORK/baseline.yaml" --at yesterday --format json \
  --out "$WORK/x.json" 2>>"$WORK/usage.err"
check "a time that is not RFC 3339 is a usage error" "$?" 2
sed 's/kind: commune/kind: comune/' "$WORK/inventory.yaml" >"$WORK/broken.yaml"
"$SOCCTL" report --inventory "$WORK/broken.yaml" --baseline "$WORK/baseline.yaml" --format json --out "$WORK/x.json" \
  2>"$WORK/broken.err"
check "a broken inventory: exit 1" "$?" 1
set -e
check_contains "with file:line:column" "$WORK/broken.err" "broken.yaml:5:"
check "and nothing written" "$([ -e "$WORK/x.json" ] && echo written || echo none)" none
finish
