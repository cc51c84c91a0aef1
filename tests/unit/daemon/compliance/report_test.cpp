#include <doctest/doctest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/json_tree.h"
#include "daemon/compliance/build.h"
#include "daemon/compliance/digest.h"
#include "daemon/compliance/json.h"
#include "daemon/compliance/offline.h"
#include "daemon/compliance/record.h"
#include "daemon/inventory/loader.h"
#include "tests/unit/test_support.h"

namespace {

namespace cmp = soc::daemon::compliance;
namespace inv = soc::daemon::inventory;
using inv::Status;

soc::Timestamp at(const char* t) { return *soc::parse_rfc3339(t); }

std::string key_text(uint8_t first) {
  soc::CurveKey k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(first + i);
  return soc::z85_encode_key(k);
}

// A small province: a data center and two communes; an expired firewall license at xa1, a
// temporary one at dc, no firewall at xa2 (waived for motcua until 2026-12-10), a packet sensor
// heard at dc, heard and then silent at xa1, never heard at xa2.
const std::string kInventory =
    "timezone: \"+07:00\"\n"
    "sites:\n"
    "  - {id: dc, name: \"Trung tâm dữ liệu\", kind: datacenter}\n"
    "  - {id: xa1, name: \"UBND xã Một\", kind: commune}\n"
    "  - {id: xa2, name: \"UBND xã Hai\", kind: commune}\n"
    "systems:\n"
    "  - {id: portal, name: \"Cổng dịch vụ công\", level: 3, sites: [dc], owner: \"Sở KH&CN\", last_assessment: 2026-06-01}\n"
    "  - {id: wan, name: \"Mạng WAN\", level: 3, sites: [dc, xa1, xa2], last_assessment: 2026-06-01}\n"
    "  - {id: motcua, name: \"Một cửa\", level: 2, sites: [xa1, xa2]}\n"
    "  - {id: camera, name: \"Camera\", level: 3, sites: [xa2], last_assessment: 2026-06-01}\n"
    "assets:\n"
    "  - {id: fw-dc, site: dc, kind: firewall, address: 10.0.0.1, licenses: [{kind: support, expires: 2027-06-30},\n"
    "                                                              {kind: signatures, expires: 2027-03-01, temporary: true}]}\n"
    "  - {id: fw-xa1, site: xa1, kind: firewall, address: 10.1.0.1, licenses: [{kind: support, expires: 2026-10-31}]}\n"
    "sensors:\n"
    "  - {id: pkt-dc, site: dc, kind: packet, public_key: \"" + key_text(0) + "\"}\n"
    "  - {id: pkt-xa1, site: xa1, kind: packet, public_key: \"" + key_text(32) + "\"}\n"
    "  - {id: pkt-xa2, site: xa2, kind: packet, public_key: \"" + key_text(64) + "\"}\n"
    "  - {id: log-xa1, site: xa1, kind: log, public_key: \"" + key_text(96) + "\"}\n"
    "waivers:\n"
    "  - {requirement: AST-03, system: motcua, reason: \"Tường lửa trong gói mua sắm 2027\", approved_by: \"Giám đốc Sở\",\n"
    "     expires: 2026-12-10}\n";

const std::string kBaseline =
    "baseline: {id: test-baseline, version: '1', basis: [\"Decree 331/2026/ND-CP\", \"TCVN 14423:2026\"]}\n"
    "requirements:\n"
    "  - {id: AST-02, title: {vi: \"Tường lửa có bản quyền\", en: Firewall licensed}, reference: \"TCVN 14423:2026 x.12\",\n"
    "     levels: [1, 2, 3, 4, 5], check: {kind: license_valid, asset_kind: firewall, warn_days: 30}}\n"
    "  - {id: AST-03, title: {vi: \"Có tường lửa\", en: Firewall present}, reference: r, levels: [1, 2, 3, 4, 5],\n"
    "     check: {kind: asset_present, asset_kind: firewall}}\n"
    "  - {id: MON-02, title: {vi: \"Cảm biến\", en: Packet sensor}, reference: r, levels: [3, 4, 5],\n"
    "     check: {kind: sensor_reporting, sensor_kind: packet, window: 5m}}\n"
    "  - {id: LOG-01, title: {vi: \"Nhật ký\", en: Auth logs}, reference: r, levels: [3, 4, 5],\n"
    "     check: {kind: log_source, dataset: sshd, window: 1h}}\n"
    "  - {id: GOV-01, title: {vi: \"Đánh giá\", en: Assessment}, reference: r, levels: [1, 2, 3, 4, 5],\n"
    "     check: {kind: assessment_recent, interval_days: 365}}\n"
    "  - {id: GOV-03, title: {vi: \"Hồ sơ\", en: Dossier}, reference: r, levels: [1, 2, 3, 4, 5], manual: decision}\n";

// The correlator's --events-out and --alerts-out, as it writes them.
const std::string kEvents =
    R"({"@timestamp":"2026-12-04T09:59:00Z","event.kind":"metric","event.dataset":"soc.heartbeat","event.category":["host"],"observer.name":"pkt-dc","site.id":"dc","event.ingested":"2026-12-04T09:59:00.000000Z"})"
    "\n"
    R"({"@timestamp":"2026-12-04T09:30:00Z","event.kind":"metric","event.dataset":"soc.heartbeat","event.category":["host"],"observer.name":"pkt-xa1","site.id":"xa1","event.ingested":"2026-12-04T09:30:00.000000Z"})"
    "\n"
    R"({"@timestamp":"2026-12-04T09:40:00Z","event.kind":"event","event.dataset":"sshd","event.category":["authentication"],"observer.name":"log-xa1","site.id":"xa1","event.ingested":"2026-12-04T09:58:00.000000Z"})"
    "\n"
    "{not json\n"
    R"({"@timestamp":"2026-12-04T11:00:00Z","event.kind":"metric","event.dataset":"soc.heartbeat","event.category":["host"],"observer.name":"pkt-xa2","site.id":"xa2","event.ingested":"2026-12-04T11:00:00.000000Z"})"
    "\n";
const std::string kAlerts =
    R"({"@timestamp":"2026-12-04T09:45:00.000000Z","event.kind":"alert","event.dataset":"soc.alert","event.category":["intrusion_detection"],"rule.id":"r-1","rule.name":"SSH brute force","event.severity":4,"site.id":"xa1"})"
    "\n"
    R"({"@timestamp":"2026-12-04T09:46:00.000000Z","event.kind":"alert","event.dataset":"soc.baseline","event.category":["configuration"],"rule.id":"soc.license.expired","rule.name":"License expired","event.severity":4,"site.id":"xa1"})"
    "\n";

struct Province {
  soc::test::TempDir dir;
  std::string inventory = dir.write("inventory.yaml", kInventory);
  std::string baseline = dir.write("baseline.yaml", kBaseline);
  std::string events = dir.write("events.jsonl", kEvents);
  std::string alerts = dir.write("alerts.jsonl", kAlerts);

  cmp::Report build(const char* when, inv::Language lang = inv::Language::Vi,
                    std::optional<soc::Timestamp> from = at("2026-12-04T08:00:00Z")) {
    cmp::OfflineInput in;
    in.inventory_path = inventory;
    in.baseline_path = baseline;
    in.events = {events, alerts};
    in.from = from;
    in.at = at(when);
    in.lang = lang;
    in.version = "test";
    auto r = cmp::build_offline(in);
    INFO((r ? "" : r.error().message));
    REQUIRE(r);
    return r->report;
  }
};

const cmp::RequirementResult& requirement(const cmp::Report& r, std::string_view system, std::string_view id) {
  for (const auto& s : r.systems)
    if (s.id == system)
      for (const auto& q : s.requirements)
        if (q.id == id) return q;
  FAIL("no " << system << " " << id);
  throw 0;
}

}  // namespace

TEST_CASE("report statuses on a small province: expired, temporary, silent, never heard, waived, not applicable") {
  Province p;
  const auto r = p.build("2026-12-04T10:00:00Z");
  CHECK(requirement(r, "portal", "AST-02").status == Status::PartiallyMet);  // temporary signatures
  CHECK(requirement(r, "wan", "AST-02").status == Status::NotMet);           // fw-xa1 expired
  CHECK(requirement(r, "portal", "AST-03").status == Status::Met);
  CHECK(requirement(r, "wan", "AST-03").status == Status::NotMet);           // no firewall at xa2
  CHECK(requirement(r, "motcua", "AST-03").status == Status::Waived);        // ... waived for motcua
  CHECK(requirement(r, "portal", "MON-02").status == Status::Met);
  CHECK(requirement(r, "wan", "MON-02").status == Status::NotMet);           // pkt-xa1 silent for 30 min
  CHECK(requirement(r, "camera", "MON-02").status == Status::NotAssessable); // pkt-xa2 never heard in the period
  CHECK(requirement(r, "motcua", "MON-02").status == Status::NotApplicable); // level 2
  CHECK(requirement(r, "motcua", "GOV-01").status == Status::NotAssessable); // never assessed
  CHECK(requirement(r, "portal", "GOV-03").status == Status::NotAssessable); // manual: never met
  CHECK(requirement(r, "wan", "LOG-01").status == Status::NotMet);           // dc heard, no sshd from dc

  // Coverage, reasons and evidence items.
  const auto& wan_mon = requirement(r, "wan", "MON-02");
  CHECK(wan_mon.coverage.met == 1);
  CHECK(wan_mon.coverage.total == 3);
  CHECK(wan_mon.coverage.unit == cmp::CoverageUnit::Sites);
  REQUIRE(wan_mon.evidence.size() == 3);
  const auto& xa1 = wan_mon.evidence[1];
  CHECK(xa1.subject == "pkt-xa1");
  CHECK(xa1.status == Status::NotMet);
  CHECK(xa1.rule == "soc.sensor.silent");
  CHECK(xa1.observed_at == at("2026-12-04T09:30:00Z"));
  CHECK(xa1.observed == "không nhận được tín hiệu của cảm biến giám sát lưu lượng nào tại điểm trong vòng 5 phút");
  const auto& dc = wan_mon.evidence[0];
  CHECK(dc.valid_until == at("2026-12-04T10:04:00Z"));
  CHECK(wan_mon.reason ==
        "không nhận được tín hiệu của cảm biến giám sát lưu lượng nào tại điểm trong vòng 5 phút (xa1: pkt-xa1)");
  const auto& license = requirement(r, "wan", "AST-02");
  CHECK(license.reason == "giấy phép hỗ trợ kỹ thuật đã hết hạn ngày 31/10/2026 (xa1: fw-xa1)");
  CHECK(license.coverage.met == 0);
  CHECK(license.coverage.total == 2);
  const auto& waived = requirement(r, "motcua", "AST-03");
  REQUIRE(waived.waiver);
  CHECK(waived.waiver->approved_by == "Giám đốc Sở");
  CHECK(waived.evidence[1].observed ==
        "có 0 tường lửa tại điểm, yêu cầu tối thiểu 1 (được miễn trừ đến hết ngày 10/12/2026, người phê duyệt: Giám đốc Sở)");

  // The summary counts every pair.
  int64_t pairs = 0;
  for (auto n : r.summary) pairs += n;
  CHECK(pairs == 4 * 6);
  // Gaps: the expired license, the missing firewall (for wan, not waived), the silent sensor;
  // the never-heard sensor of xa2 is alerted, so it is a gap too.
  std::vector<std::string> gaps;
  for (const auto& g : r.gaps) gaps.push_back(g.site + " " + std::string(cmp::to_string(g.kind)) + " " + g.subject);
  CHECK(gaps == std::vector<std::string>{"dc logsource_silent sshd", "xa1 license_expired fw-xa1",
                                         "xa1 sensor_silent pkt-xa1", "xa2 equipment_missing firewall",
                                         "xa2 sensor_silent pkt-xa2"});
  // Alerts of the period, from the alerts file; the malformed line and the late heartbeat are counted.
  CHECK(r.alerts.available);
  CHECK(r.alerts.total == 2);
  CHECK(r.alerts.by_severity[3] == 2);
  REQUIRE(r.alerts.by_site.size() == 1);
  CHECK(r.alerts.by_site[0].site == "xa1");
  REQUIRE(r.inputs.events);
  CHECK(r.inputs.events->used == 5);
  CHECK(r.inputs.events->malformed == 1);
  CHECK(r.inputs.events->outside == 1);
}

TEST_CASE("a waiver holds until the end of its day in the inventory's zone, then the real status is back") {
  Province p;
  CHECK(requirement(p.build("2026-12-10T16:59:59Z"), "motcua", "AST-03").status == Status::Waived);
  const auto after = p.build("2026-12-10T17:00:00Z");
  CHECK(requirement(after, "motcua", "AST-03").status == Status::NotMet);
  CHECK_FALSE(requirement(after, "motcua", "AST-03").waiver);
  // The expired waiver is still listed for the auditor, as expired.
  for (const auto& s : after.systems)
    if (s.id == "motcua") {
      REQUIRE(s.waivers.size() == 1);
      CHECK_FALSE(s.waivers[0].in_force);
    }
}

TEST_CASE("the same inputs and instant give byte-identical JSON; one changed event changes the digest") {
  Province p;
  const std::string a = cmp::to_json(p.build("2026-12-04T10:00:00Z"));
  const std::string b = cmp::to_json(p.build("2026-12-04T10:00:00Z"));
  CHECK(a == b);
  const auto vi = p.build("2026-12-04T10:00:00Z");
  const auto en = p.build("2026-12-04T10:00:00Z", inv::Language::En);
  CHECK(vi.digest == en.digest);  // nothing in a language is hashed
  CHECK(requirement(en, "wan", "AST-02").reason == "support license expired on 2026-10-31 (xa1: fw-xa1)");
  // An event that changes no status still changes the digest: the events are hashed.
  std::string changed = kEvents;
  changed.replace(changed.find("09:40:00Z"), 9, "09:41:00Z");
  p.dir.write("events.jsonl", changed);
  const auto c = p.build("2026-12-04T10:00:00Z");
  CHECK(requirement(c, "wan", "LOG-01").status == requirement(vi, "wan", "LOG-01").status);
  CHECK(c.digest != vi.digest);
  CHECK(c.inputs.events->sha256 != vi.inputs.events->sha256);
}

TEST_CASE("the JSON reads back into the same report, and its digest is recomputed from it alone") {
  Province p;
  const auto r = p.build("2026-12-04T10:00:00Z");
  const std::string text = cmp::to_json(r);
  auto back = cmp::from_json(text, "report.json");
  INFO((back ? "" : back.error().message));
  REQUIRE(back);
  CHECK(cmp::to_json(*back) == text);
  CHECK(cmp::compute_digest(*back) == r.digest);
  // An edited status no longer matches the digest.
  std::string edited = text;
  const auto pos = edited.find("\"status\": \"not_met\"");
  REQUIRE(pos != std::string::npos);
  edited.replace(pos, 19, "\"status\": \"met\"");
  auto tampered = cmp::from_json(edited, "report.json");
  REQUIRE(tampered);
  CHECK(cmp::compute_digest(*tampered) != tampered->digest);
  // The canonical text is documented line by line (docs/report.md).
  const std::string canon = cmp::canonical_text(r);
  CHECK(canon.rfind("[\"soc-compliance-digest\",1]\n[\"period\",\"2026-12-04T08:00:00.000000Z\",\"2026-12-04T10:00:00.000000Z\"]\n", 0) == 0);
  CHECK(canon.find("[\"evidence\",\"xa1\",\"fw-xa1\",\"not_met\",\"soc.license.expired\",\"inventory\",\"license_expired\","
                   "{\"kind\":\"support\",\"days\":-34,\"date\":\"2026-10-31\"},null,null,null]\n") != std::string::npos);
}

TEST_CASE("a report that is not one is refused with every problem located") {
  auto r = cmp::from_json("{\n  \"format\": \"soc-compliance-report\",\n  \"format_version\": 1,\n  \"lang\": \"fr\"\n}", "x.json");
  REQUIRE_FALSE(r);
  INFO(r.error().message);
  CHECK(r.error().message.find("x.json:4:11: lang: 'fr' is not one of vi, en\n") != std::string::npos);
  CHECK(r.error().message.find("x.json:1:1: report: 'period' is missing\n") != std::string::npos);
  auto syntax = cmp::from_json("{\"a\": [1,}", "y.json");
  REQUIRE_FALSE(syntax);
  CHECK(syntax.error().message == "y.json:1:10: not JSON: expected a JSON value\n");

  Province p;
  std::string text = cmp::to_json(p.build("2026-12-04T10:00:00Z"));
  const auto pos = text.find("\"status\": \"partially_met\"");
  text.replace(pos, 25, "\"status\": \"passed\"");
  auto bad = cmp::from_json(text, "report.json");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find(": systems[0].requirements[0].status: 'passed' is not one of met, partially_met, not_met, "
                                 "not_applicable, not_assessable, waived") != std::string::npos);
}

TEST_CASE("recorded events: malformed lines are located and skipped, the rest is kept") {
  Province p;
  auto inventory = std::make_shared<inv::Inventory>();
  auto baseline = std::make_shared<inv::Baseline>();
  std::vector<soc::Diagnostic> diags;
  std::string source;
  REQUIRE(inv::load_inventory(p.inventory, *inventory, diags, source));
  REQUIRE(inv::load_baseline(p.baseline, *baseline, diags, source));
  cmp::RecordOptions o;
  o.files = {p.events};
  o.to = at("2026-12-04T10:00:00Z");
  auto rec = cmp::record(inventory, baseline, o);
  REQUIRE(rec);
  REQUIRE(rec->warnings.size() == 1);
  CHECK(rec->warnings[0].file == p.events);
  CHECK(rec->warnings[0].line == 4);
  CHECK(rec->warnings[0].column == 2);
  CHECK(rec->warnings[0].code == "events.malformed");
  CHECK(rec->from == at("2026-12-04T09:30:00Z"));  // the earliest line used
  CHECK(rec->evidence.sensor_last_seen.at("pkt-dc") == at("2026-12-04T09:59:00Z"));
  CHECK(rec->evidence.dataset_last_seen.at({"xa1", "sshd"}) == at("2026-12-04T09:58:00Z"));
  CHECK_FALSE(rec->alerts.available);  // no alert among these inputs
  o.files = {p.dir.path().string() + "/absent.jsonl"};
  auto missing = cmp::record(inventory, baseline, o);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == "events");
}

TEST_CASE("a damaged report never crashes the reader: it is read or refused") {
  Province p;
  const std::string text = cmp::to_json(p.build("2026-12-04T10:00:00Z"));
  std::mt19937 rng(25);
  size_t refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string s = text;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      const size_t at_byte = rng() % s.size();
      switch (rng() % 3) {
        case 0: s[at_byte] = static_cast<char>(rng() % 256); break;
        case 1: s.erase(at_byte, 1 + rng() % 40); break;
        default: s.insert(at_byte, s.substr(rng() % s.size(), 1 + rng() % 40));
      }
    }
    auto r = cmp::from_json(s, "fuzz.json");
    if (!r) {
      ++refused;
      CHECK(r.error().message.rfind("fuzz.json:", 0) == 0);
    } else {
      (void)cmp::compute_digest(*r);
    }
  }
  CHECK(refused > 1000);
}
