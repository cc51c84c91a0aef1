#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "daemon/inventory/loader.h"
#include "tests/unit/test_support.h"

namespace {

namespace inv = soc::daemon::inventory;
using namespace std::chrono_literals;

struct Loaded {
  bool ok = false;
  inv::Baseline baseline;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  std::string path;
  std::string rendered;  // without snippets
};

Loaded load(const soc::test::TempDir& dir, const std::string& text) {
  Loaded l;
  l.path = dir.write("baseline.yaml", text);
  l.ok = inv::load_baseline(l.path, l.baseline, l.diags, l.source);
  l.rendered = soc::render_all(l.diags);
  return l;
}

const std::string kHeader = "baseline: {id: test, version: '1'}\nrequirements:\n";

}  // namespace

TEST_CASE("baseline loader reads requirements with titles, levels and per-level check parameters") {
  soc::test::TempDir dir;
  const auto l = load(dir, kHeader +
      "  - id: GOV-01\n"
      "    title: {vi: \"Kiểm tra, đánh giá định kỳ\", en: Periodic assessment}\n"
      "    reference: \"Decree 85/2016 Art. 20.2.c\"\n"
      "    levels: [1, 2, 3, 4, 5]\n"
      "    check: {kind: assessment_recent, interval_days: {1: 730, 2: 730, 3: 365, 4: 365, 5: 182}}\n"
      "  - id: MON-02\n"
      "    title: {vi: \"Cảm biến\", en: Sensor}\n"
      "    reference: r\n"
      "    levels: [3, 5]\n"
      "    check: {kind: sensor_reporting, sensor_kind: packet, window: {3: 5m, 5: 300s}}\n"
      "  - id: AST-02\n"
      "    title: {vi: a, en: b}\n"
      "    reference: r\n"
      "    levels: [2]\n"
      "    check: {kind: license_valid, asset_kind: firewall, warn_days: 60}\n"
      "  - {id: LOG-01, title: {vi: a, en: b}, reference: r, levels: [4], check: {kind: log_source, dataset: sshd, window: 24h}}\n"
      "  - {id: CRT-01, title: {vi: a, en: b}, reference: r, levels: [1], check: {kind: certificate_valid, min_days: 30}}\n"
      "  - {id: AST-03, title: {vi: a, en: b}, reference: r, levels: [1], check: {kind: asset_present, asset_kind: firewall, min_count: 2}}\n"
      "  - {id: GOV-03, title: {vi: a, en: b}, reference: r, levels: [1], manual: dossier, group: governance}\n");
  CAPTURE(l.rendered);
  REQUIRE(l.ok);
  const auto& b = l.baseline;
  CHECK(b.id == "test");
  CHECK(b.version == "1");
  REQUIRE(b.requirements.size() == 7);
  const auto& gov = b.requirements[0];
  CHECK(gov.title_vi == "Kiểm tra, đánh giá định kỳ");
  CHECK(gov.title_en == "Periodic assessment");
  CHECK(gov.reference == "Decree 85/2016 Art. 20.2.c");
  CHECK(gov.applies_at(1));
  CHECK(gov.applies_at(5));
  CHECK_FALSE(gov.applies_at(0));
  CHECK_FALSE(gov.applies_at(6));
  REQUIRE(gov.check);
  CHECK(gov.check->kind == inv::CheckKind::AssessmentRecent);
  CHECK(*gov.check->days[0] == 730);
  CHECK(*gov.check->days[4] == 182);
  const auto& mon = b.requirements[1];
  CHECK_FALSE(mon.applies_at(4));
  REQUIRE(mon.check);
  CHECK(mon.check->sensor_kind == "packet");
  CHECK(*mon.check->window[2] == 300s);
  CHECK(*mon.check->window[4] == 300s);
  CHECK_FALSE(mon.check->window[3]);
  const auto& ast = b.requirements[2];
  CHECK(ast.check->asset_kind == "firewall");
  CHECK(ast.check->license_kind == "");
  CHECK(*ast.check->days[1] == 60);
  CHECK(*b.requirements[3].check->window[3] == 24h);
  CHECK(b.requirements[3].check->dataset == "sshd");
  CHECK(b.requirements[4].check->asset_kind == "portal");
  CHECK(*b.requirements[4].check->days[0] == 30);
  CHECK(b.requirements[5].check->min_count == 2);
  CHECK_FALSE(b.requirements[6].check);
  CHECK(b.requirements[6].manual == "dossier");
  CHECK(b.find("AST-03") == &b.requirements[5]);
  CHECK(b.find("AST-99") == nullptr);
}

TEST_CASE("the shipped baseline and inventory load, and the inventory's waivers name requirements") {
  const std::string root = SOC_SOURCE_ROOT;
  inv::Baseline baseline;
  inv::Inventory inventory;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  CHECK(inv::load_baseline(root + "/examples/baseline.yaml", baseline, diags, source));
  CHECK(inv::load_inventory(root + "/examples/inventory.yaml", inventory, diags, source));
  CHECK(inv::check_waivers(root + "/examples/inventory.yaml", inventory, baseline, diags));
  CHECK(soc::render_all(diags) == "");
  CHECK(baseline.requirements.size() == 10);
  CHECK(inventory.sensors.size() == 5);
}

TEST_CASE("baseline loader reports every mistake of a file at once with line, column and code") {
  soc::test::TempDir dir;
  const auto l = load(dir,
      "baseline: {id: b, colour: red}\n"                                                           // 1
      "requirements:\n"                                                                            // 2
      "  - id: A-1\n"                                                                              // 3
      "    title: {vi: a}\n"                                                                       // 4
      "    reference: r\n"                                                                         // 5
      "    levels: [0, 3]\n"                                                                       // 6
      "    check: {kind: license_valid, asset_kind: firewal, warn_days: -1}\n"                     // 7
      "  - id: A-1\n"                                                                              // 8
      "    title: just text\n"                                                                     // 9
      "    levels: [3, 4]\n"                                                                       // 10
      "    check: {kind: assessment_recent, interval_days: {3: 365, 6: 10}}\n"                     // 11
      "  - {id: A-2, title: {vi: a, en: b}, reference: r, levels: [3, 4], check: {kind: log_source, dataset: sshd, window: {3: 24h}}}\n"  // 12
      "  - {id: A-3, title: {vi: a, en: b}, reference: r, levels: 3, check: {kind: scan_recent}}\n"   // 13
      "  - {id: A-4, title: {vi: a, en: b}, reference: r, levels: [1], check: {kind: sensor_reporting, sensor_kind: packet, window: 5 minutes, extra: 1}}\n"  // 14
      "  - {id: A-5, title: {vi: a, en: b}, reference: r, levels: [1], check: [asset_present]}\n"  // 15
      "  - {id: A-6, title: {vi: a, en: b}, reference: r, levels: [1], check: {kind: certificate_valid}, owner: x}\n");  // 16
  CHECK_FALSE(l.ok);
  const std::string p = l.path;
  CHECK(l.rendered ==
        p + ":1:11: error[baseline.missing_key]: 'baseline' without 'version'\n" +
        p + ":1:19: error[baseline.unknown_key]: unknown key 'colour' in 'baseline' (known keys: id, version, basis, description)\n" +
        p + ":4:12: error[baseline.missing_key]: a title without 'en'\n" +
        p + ":6:14: error[baseline.bad_value]: 'level' must be an integer from 1 to 5\n" +
        p + ":7:46: error[baseline.bad_value]: asset kind 'firewal' is not one of: firewall, ips, waf, anti_ddos, db_firewall, nac, vpn_gateway, router, switch, wireless_ap, server, workstation, storage, log_store, portal, video_conference, ups, other\n" +
        p + ":7:66: error[baseline.bad_value]: 'warn_days' must be an integer from 0 to 3660\n" +
        p + ":8:5: error[baseline.missing_key]: a requirement without 'reference'\n" +
        p + ":8:9: error[baseline.duplicate_id]: requirement id 'A-1' is already defined at line 3\n" +
        p + ":9:12: error[baseline.bad_type]: 'title' must be a map with 'vi' (Vietnamese) and 'en' (English)\n" +
        p + ":11:62: error[baseline.bad_value]: 'level' must be an integer from 1 to 5\n" +
        p + ":12:117: error[baseline.missing_level_value]: 'window' has no value for level 4, where A-2 applies\n" +
        p + ":13:60: error[baseline.bad_type]: 'levels' must be a list of levels from 1 to 5\n" +
        p + ":13:77: error[baseline.bad_value]: check kind 'scan_recent' is not one of: asset_present, license_valid, sensor_reporting, log_source, assessment_recent, certificate_valid\n" +
        p + ":14:126: error[baseline.bad_value]: 'window' must be a duration such as 300s, 5m, 24h or 7d (at most 10 years)\n" +
        p + ":14:137: error[baseline.unknown_key]: unknown key 'extra' in a sensor_reporting check (known keys: kind, sensor_kind, window)\n" +
        p + ":15:72: error[baseline.not_a_map]: 'check' must be a map with a 'kind' (asset_present, license_valid, sensor_reporting, log_source, assessment_recent, certificate_valid)\n" +
        p + ":16:72: error[baseline.missing_key]: a check without 'min_days'\n" +
        p + ":16:99: error[baseline.unknown_key]: unknown key 'owner' in a requirement (known keys: id, title, reference, levels, check, group, manual, source, legacy)\n");
}

TEST_CASE("waivers must name a baseline requirement that applies at their system's level") {
  soc::test::TempDir dir;
  const std::string ipath = dir.write("inventory.yaml",
      "sites: [{id: s, name: S, kind: ward}]\n"
      "systems: [{id: sys, name: Sys, level: 2, sites: [s]}]\n"
      "waivers:\n"
      "  - {requirement: MON-02, system: sys, reason: r, approved_by: a, expires: 2027-01-01}\n"
      "  - {requirement: XYZ-1, system: sys, reason: r, approved_by: a, expires: 2027-01-01}\n"
      "  - {requirement: AST-03, system: sys, reason: r, approved_by: a, expires: 2027-01-01}\n");
  const auto b = load(dir, kHeader +
      "  - {id: MON-02, title: {vi: a, en: b}, reference: r, levels: [3, 4, 5]}\n"
      "  - {id: AST-03, title: {vi: a, en: b}, reference: r, levels: [1, 2, 3, 4, 5]}\n");
  REQUIRE(b.ok);
  inv::Inventory inventory;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  REQUIRE(inv::load_inventory(ipath, inventory, diags, source));
  CHECK_FALSE(inv::check_waivers(ipath, inventory, b.baseline, diags));
  CHECK(soc::render_all(diags) ==
        ipath + ":4:19: error[inventory.waiver_not_applicable]: requirement 'MON-02' does not apply to system 'sys' at level 2: nothing to waive\n" +
        ipath + ":5:19: error[inventory.unknown_reference]: unknown requirement 'XYZ-1' (not in baseline 'test')\n");
}
