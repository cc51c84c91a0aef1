#include "daemon/inventory/evaluate.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "daemon/inventory/loader.h"
#include "daemon/inventory/tracker.h"
#include "tests/unit/test_support.h"

namespace {

namespace inv = soc::daemon::inventory;
using namespace std::chrono_literals;

soc::Timestamp at(const char* rfc3339) { return *soc::parse_rfc3339(rfc3339); }

std::string key_text(uint8_t first) {
  soc::CurveKey k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(first + i);
  return soc::z85_encode_key(k);
}

struct World {
  soc::test::TempDir dir;
  inv::Inventory inventory;
  inv::Baseline baseline;
  inv::Evidence evidence;

  World(const std::string& inventory_text, const std::string& requirements) {
    std::vector<soc::Diagnostic> diags;
    std::string source;
    const bool ok = inv::load_inventory(dir.write("inventory.yaml", inventory_text), inventory, diags, source) &&
                    inv::load_baseline(dir.write("baseline.yaml", "baseline: {id: t, version: '1'}\nrequirements:\n" + requirements),
                                       baseline, diags, source);
    INFO(soc::render_all(diags));
    REQUIRE(ok);
    evidence.observing_since = at("2026-01-01T00:00:00Z");
  }

  // One line per finding: "system requirement site subject status rule | detail".
  std::string run(const char* now) const {
    std::string out;
    for (const auto& f : inv::evaluate(inventory, baseline, evidence, at(now)))
      out += f.system + " " + f.requirement + " " + f.site + " " + f.subject + " " + std::string(inv::to_string(f.status)) +
             " " + f.rule_id + " | " + f.detail + "\n";
    return out;
  }
};

const std::string kSites =
    "sites: [{id: a, name: A, kind: commune}, {id: b, name: B, kind: commune}]\n";

}  // namespace

TEST_CASE("license dates: expired yesterday, expiring today and tomorrow, the warning edge, temporary support") {
  World w(kSites +
              "systems: [{id: sys, name: S, level: 3, sites: [a, b]}]\n"
              "assets:\n"
              "  - {id: fw-yesterday, site: a, kind: firewall, licenses: [{kind: support, expires: 2026-11-26}]}\n"
              "  - {id: fw-today, site: a, kind: firewall, licenses: [{kind: support, expires: 2026-11-27}]}\n"
              "  - {id: fw-tomorrow, site: a, kind: firewall, licenses: [{kind: support, expires: 2026-11-28}]}\n"
              "  - {id: fw-59, site: b, kind: firewall, licenses: [{kind: support, expires: 2027-01-25}]}\n"
              "  - {id: fw-60, site: b, kind: firewall, licenses: [{kind: support, expires: 2027-01-26}]}\n"
              "  - {id: fw-loan, site: b, kind: firewall, licenses: [{kind: support, expires: 2027-06-30, temporary: true},\n"
              "                                                    {kind: signatures, expires: 2027-06-30}]}\n"
              "  - {id: fw-none, site: b, kind: firewall}\n"
              "  - {id: sw-1, site: b, kind: switch, licenses: [{kind: support, expires: 2020-01-01}]}\n",
          "  - {id: AST-02, title: {vi: a, en: b}, reference: r, levels: [3], check: {kind: license_valid, asset_kind: firewall, warn_days: 60}}\n");
  CHECK(w.run("2026-11-27T23:59:59Z") ==
        "sys AST-02 a fw-yesterday not_met soc.license.expired | support license expired on 2026-11-26\n"
        "sys AST-02 a fw-today met soc.license.expiring | support license expires on 2026-11-27 (0 days left)\n"
        "sys AST-02 a fw-tomorrow met soc.license.expiring | support license expires on 2026-11-28 (1 days left)\n"
        "sys AST-02 b fw-59 met soc.license.expiring | support license expires on 2027-01-25 (59 days left)\n"
        "sys AST-02 b fw-60 met  | support license valid until 2027-01-26\n"
        "sys AST-02 b fw-loan partially_met  | support license is temporary, until 2027-06-30\n"
        "sys AST-02 b fw-none not_assessable  | no license recorded\n");
  // One second later the day has changed: today's license has expired.
  const std::string next_day = w.run("2026-11-28T00:00:00Z");
  CHECK(next_day.find("sys AST-02 a fw-today not_met soc.license.expired | support license expired on 2026-11-27\n") !=
        std::string::npos);
  CHECK(next_day.find("sys AST-02 b fw-60 met soc.license.expiring | support license expires on 2027-01-26 (59 days left)\n") !=
        std::string::npos);
  const auto findings = inv::evaluate(w.inventory, w.baseline, w.evidence, at("2026-11-27T12:00:00Z"));
  CHECK(inv::requirement_status(findings, "sys", "AST-02") == inv::Status::NotMet);
  CHECK(inv::requirement_status(findings, "sys", "AST-99") == inv::Status::NotAssessable);
}

TEST_CASE("a license check by kind, and a system without such assets, are not assessable rather than passed") {
  World w(kSites +
              "systems: [{id: sys, name: S, level: 1, sites: [a]}, {id: bare, name: B, level: 1, sites: [b]}]\n"
              "assets:\n"
              "  - {id: srv, site: a, kind: server, licenses: [{kind: support, expires: 2030-01-01}]}\n",
          "  - {id: AST-04, title: {vi: a, en: b}, reference: r, levels: [1], check: {kind: license_valid, asset_kind: server, license_kind: software, warn_days: 0}}\n");
  CHECK(w.run("2026-11-27T00:00:00Z") ==
        "sys AST-04 a srv not_assessable  | no software license recorded\n"
        "bare AST-04  server not_assessable  | no server at the system's sites to check\n");
}

TEST_CASE("a waiver turns a failure into waived through its expires day, then no longer") {
  World w(kSites +
              "systems: [{id: sys, name: S, level: 2, sites: [a, b]}]\n"
              "assets: [{id: fw-a, site: a, kind: firewall}]\n"
              "waivers: [{requirement: AST-03, system: sys, reason: on order, approved_by: director, expires: 2026-11-27}]\n",
          "  - {id: AST-03, title: {vi: a, en: b}, reference: r, levels: [1, 2], check: {kind: asset_present, asset_kind: firewall}}\n");
  CHECK(w.run("2026-11-27T23:59:59.999999Z") ==
        "sys AST-03 a firewall met  | 1 firewall at the site\n"
        "sys AST-03 b firewall waived  | 0 firewall at the site, 1 required (waived until 2026-11-27 by director)\n");
  CHECK(w.run("2026-11-28T00:00:00Z") ==
        "sys AST-03 a firewall met  | 1 firewall at the site\n"
        "sys AST-03 b firewall not_met soc.equipment.missing | 0 firewall at the site, 1 required\n");
}

TEST_CASE("a sensor that falls silent is not met, one never heard in the period is not assessable, and one that comes back is met") {
  World w(kSites +
              "systems: [{id: sys, name: S, level: 3, sites: [a, b]}]\n"
              "sensors:\n"
              "  - {id: pkt-a, site: a, kind: packet, public_key: \"" + key_text(0) + "\"}\n"
              "  - {id: log-b, site: b, kind: log, public_key: \"" + key_text(32) + "\"}\n",
          "  - {id: MON-02, title: {vi: a, en: b}, reference: r, levels: [3], check: {kind: sensor_reporting, sensor_kind: packet, window: 5m}}\n");
  w.evidence.observing_since = at("2026-11-27T10:00:00Z");
  CHECK(w.run("2026-11-27T10:04:59Z") ==
        "sys MON-02 a pkt-a not_assessable  | observing for less than 5m\n"
        "sys MON-02 b packet not_met soc.equipment.missing | no packet sensor at the site\n");
  // Never heard in the period once a whole window has passed: still not assessable (nothing shows
  // it ever ran), with the alert all the same.
  CHECK(w.run("2026-11-27T10:05:00Z").find("sys MON-02 a pkt-a not_assessable soc.sensor.silent | no packet sensor of the "
                                           "site heard since 2026-11-27T10:00:00.000000Z\n") == 0);
  w.evidence.sensor_last_seen["pkt-a"] = at("2026-11-27T10:06:00Z");
  CHECK(w.run("2026-11-27T10:11:00Z").find("sys MON-02 a pkt-a met  | pkt-a heard within 5m\n") == 0);
  CHECK(w.run("2026-11-27T10:11:01Z").find("sys MON-02 a pkt-a not_met soc.sensor.silent") == 0);
  w.evidence.sensor_last_seen["pkt-a"] = at("2026-11-27T10:11:01Z");  // it comes back
  CHECK(w.run("2026-11-27T10:11:01Z").find("sys MON-02 a pkt-a met ") == 0);
}

TEST_CASE("a log source is silent only when the site's sensors are heard; otherwise the evidence is stale") {
  World w(kSites +
              "systems: [{id: sys, name: S, level: 3, sites: [a, b]}]\n"
              "sensors:\n"
              "  - {id: log-a, site: a, kind: log, public_key: \"" + key_text(0) + "\"}\n"
              "  - {id: log-b, site: b, kind: log, public_key: \"" + key_text(32) + "\"}\n",
          "  - {id: LOG-01, title: {vi: a, en: b}, reference: r, levels: [3], check: {kind: log_source, dataset: sshd, window: 1h}}\n");
  w.evidence.sensor_last_seen["log-a"] = at("2026-11-27T11:59:00Z");
  w.evidence.sensor_last_seen["log-b"] = at("2026-11-27T09:00:00Z");
  w.evidence.dataset_last_seen[{"a", "iptables"}] = at("2026-11-27T11:59:00Z");
  CHECK(w.run("2026-11-27T12:00:00Z") ==
        "sys LOG-01 a sshd not_met soc.logsource.silent | no sshd event from the site within 1h\n"
        "sys LOG-01 b sshd not_assessable  | no sensor of the site heard within 1h\n");
  w.evidence.dataset_last_seen[{"a", "sshd"}] = at("2026-11-27T11:00:00Z");
  CHECK(w.run("2026-11-27T12:00:00Z").find("sys LOG-01 a sshd met  | sshd seen within 1h\n") == 0);
}

TEST_CASE("an assessment is overdue the day after its interval; never assessed is not assessable") {
  World w(kSites +
              "systems:\n"
              "  - {id: s3, name: S, level: 3, sites: [a], last_assessment: 2025-11-27}\n"
              "  - {id: s5, name: S, level: 5, sites: [a], last_assessment: 2026-05-28}\n"
              "  - {id: never, name: S, level: 1, sites: [a]}\n",
          "  - {id: GOV-01, title: {vi: a, en: b}, reference: r, levels: [1, 2, 3, 4, 5], check: {kind: assessment_recent, interval_days: {1: 730, 2: 730, 3: 365, 4: 365, 5: 182}}}\n"
          "  - {id: GOV-03, title: {vi: a, en: b}, reference: r, levels: [5], manual: approval decision}\n");
  CHECK(w.run("2026-11-27T08:00:00Z") ==
        "s3 GOV-01   met  | assessed on 2025-11-27, 365 days ago\n"
        "s3 GOV-03   not_applicable  | applies at levels 5; the system is level 3\n"
        "s5 GOV-01   not_met soc.assessment.overdue | assessed on 2026-05-28, 183 days ago, more than 182\n"
        "s5 GOV-03   not_assessable  | manual: approval decision\n"
        "never GOV-01   not_assessable  | no assessment recorded\n"
        "never GOV-03   not_applicable  | applies at levels 5; the system is level 1\n");
  CHECK(w.run("2026-11-28T08:00:00Z").find("s3 GOV-01   not_met soc.assessment.overdue | assessed on 2025-11-27, 366 days ago, more than 365\n") == 0);
}

TEST_CASE("a certificate must stay valid min_days more; none seen is not assessable") {
  World w(kSites +
              "systems: [{id: sys, name: S, level: 3, sites: [a]}]\n"
              "assets:\n"
              "  - {id: portal-1, site: a, kind: portal, address: \"portal.example:443\"}\n"
              "  - {id: portal-2, site: a, kind: portal}\n"
              "  - {id: portal-3, site: a, kind: portal}\n",
          "  - {id: CRT-01, title: {vi: a, en: b}, reference: r, levels: [3], check: {kind: certificate_valid, min_days: 30}}\n");
  w.evidence.certificates["portal-1"] = {at("2026-12-02T12:00:00Z"), at("2026-11-27T11:00:00Z")};  // 5 days left
  w.evidence.certificates["portal-2"] = {at("2026-12-27T12:00:00Z"), at("2026-11-27T11:00:00Z")};  // exactly 30 days left
  CHECK(w.run("2026-11-27T12:00:00Z") ==
        "sys CRT-01 a portal-1 not_met soc.certificate.expiring | certificate expires 2026-12-02T12:00:00.000000Z, less than 30 days from now\n"
        "sys CRT-01 a portal-2 met  | certificate valid until 2026-12-27T12:00:00.000000Z\n"
        "sys CRT-01 a portal-3 not_assessable  | no certificate seen\n");
}

TEST_CASE("the sample province's findings: expired loan, missing firewall waived for one system only, silent sensor") {
  const std::string root = SOC_SOURCE_ROOT;
  inv::Inventory inventory;
  inv::Baseline baseline;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  REQUIRE(inv::load_inventory(root + "/examples/inventory.yaml", inventory, diags, source));
  REQUIRE(inv::load_baseline(root + "/examples/baseline.yaml", baseline, diags, source));
  inv::Evidence ev;
  const auto now = at("2026-11-27T12:00:00Z");
  ev.observing_since = now - 1h;
  for (const char* s : {"pkt-dc-hatinh", "log-dc-hatinh", "log-xa-camxuyen", "pkt-xa-thachha"}) ev.sensor_last_seen[s] = now - 10s;
  const auto findings = inv::evaluate(inventory, baseline, ev, now);
  auto find = [&](const char* system, const char* requirement, const char* site) -> const inv::Finding* {
    for (const auto& f : findings)
      if (f.system == system && f.requirement == requirement && f.site == site) return &f;
    return nullptr;
  };
  const auto* loan = find("wan-tinh", "AST-02", "xa-camxuyen");
  REQUIRE(loan);
  CHECK(loan->status == inv::Status::NotMet);
  CHECK(loan->rule_id == "soc.license.expired");
  const auto* missing = find("wan-tinh", "AST-03", "xa-thachha");
  REQUIRE(missing);
  CHECK(missing->status == inv::Status::NotMet);
  const auto* waived = find("motcua-xa", "AST-03", "xa-thachha");
  REQUIRE(waived);
  CHECK(waived->status == inv::Status::Waived);
  const auto* silent = find("motcua-xa", "MON-03", "xa-kyanh");
  REQUIRE(silent);
  CHECK(silent->rule_id == "soc.sensor.silent");
  const auto* overdue = find("motcua-xa", "GOV-01", "");
  REQUIRE(overdue);
  CHECK(overdue->rule_id == "soc.assessment.overdue");
  CHECK(inv::requirement_status(findings, "dvc-portal", "AST-02") == inv::Status::PartiallyMet);
  CHECK(inv::requirement_status(findings, "dvc-portal", "GOV-03") == inv::Status::NotAssessable);
}

// ---- Date logic over time. The correlator evaluates on every tick and alerts on what
// FindingTracker returns: each state change must come out exactly once, at the right tick.

namespace {

// Evaluates every `step` from `from` to `to` (inclusive) and returns one line per change:
// "<tick> <site> <subject> <previous>-><status> <rule>". `before_tick` may change the evidence.
std::string timeline(World& w, const char* from, const char* to, std::chrono::seconds step,
                     const std::function<void(soc::Timestamp)>& before_tick = {}) {
  inv::FindingTracker tracker;
  std::string out;
  for (auto t = at(from); t <= at(to); t += step) {
    if (before_tick) before_tick(t);
    for (const auto& c : tracker.update(inv::evaluate(w.inventory, w.baseline, w.evidence, t)))
      out += soc::format_rfc3339(t).substr(0, 19) + " " + c.finding.site + " " + c.finding.subject + " " +
             (c.previous ? std::string(inv::to_string(*c.previous)) : "new") + "->" +
             std::string(inv::to_string(c.finding.status)) + " " + c.finding.rule_id + (c.removed ? " removed" : "") +
             "\n";
  }
  return out;
}

const std::string kLicenseCheck =
    "  - {id: AST-02, title: {vi: a, en: b}, reference: r, levels: [3], check: {kind: license_valid, asset_kind: firewall, warn_days: 60}}\n";

const std::string kLicenses =
    "systems: [{id: sys, name: S, level: 3, sites: [a]}]\n"
    "assets:\n"
    "  - {id: fw, site: a, kind: firewall, licenses: [{kind: support, expires: 2027-01-26}]}\n"
    "  - {id: fw-loan, site: a, kind: firewall, licenses: [{kind: support, expires: 2027-01-10, temporary: true}]}\n";

}  // namespace

TEST_CASE("over time, a license warns once at the warning edge and fails once, the day after it expires") {
  World w(kSites + kLicenses, kLicenseCheck);
  // Every 6 hours for 80 days. 2027-01-26 is 60 days after 2026-11-27: it warns from 11-28. The
  // temporary loan is partially_met throughout, and already inside its warning window.
  CHECK(timeline(w, "2026-11-17T00:00:00Z", "2027-02-05T00:00:00Z", 6h) ==
        "2026-11-17T00:00:00 a fw new->met \n"
        "2026-11-17T00:00:00 a fw-loan new->partially_met soc.license.expiring\n"
        "2026-11-28T00:00:00 a fw met->met soc.license.expiring\n"
        "2027-01-11T00:00:00 a fw-loan partially_met->not_met soc.license.expired\n"
        "2027-01-27T00:00:00 a fw met->not_met soc.license.expired\n");
}

TEST_CASE("with timezone +07:00, dates end at local midnight: 17:00 UTC the same day") {
  World w("timezone: \"+07:00\"\n" + kSites + kLicenses, kLicenseCheck);
  CHECK(w.inventory.utc_offset == std::chrono::minutes(7 * 60));
  CHECK(timeline(w, "2026-11-17T00:00:00Z", "2027-02-05T00:00:00Z", 1h) ==
        "2026-11-17T00:00:00 a fw new->met \n"
        "2026-11-17T00:00:00 a fw-loan new->partially_met soc.license.expiring\n"
        "2026-11-27T17:00:00 a fw met->met soc.license.expiring\n"
        "2027-01-10T17:00:00 a fw-loan partially_met->not_met soc.license.expired\n"
        "2027-01-26T17:00:00 a fw met->not_met soc.license.expired\n");
  // Expiry today, to the second: 16:59:59Z is 23:59:59 in Hà Tĩnh, the license's last second.
  const std::string last_second = w.run("2027-01-26T16:59:59Z");
  CHECK(last_second.find("sys AST-02 a fw met soc.license.expiring | support license expires on 2027-01-26 (0 days left)\n") !=
        std::string::npos);
  CHECK(w.run("2027-01-26T17:00:00Z").find("sys AST-02 a fw not_met soc.license.expired | support license expired on 2027-01-26\n") !=
        std::string::npos);
  // The same instant is still 2027-01-26 in UTC: an inventory without timezone is one day later.
  World utc(kSites + kLicenses, kLicenseCheck);
  CHECK(utc.run("2027-01-26T17:00:00Z").find("a fw met soc.license.expiring") != std::string::npos);
  // The instant the expiry metric exports is the same as the one the status changes at.
  CHECK(inv::end_of_day(*inv::parse_date("2027-01-26"), w.inventory.utc_offset) == at("2027-01-26T17:00:00Z"));
  CHECK(inv::end_of_day(*inv::parse_date("2027-01-26"), std::chrono::minutes(0)) == at("2027-01-27T00:00:00Z"));
  CHECK(inv::local_day(at("2027-01-26T16:59:59Z"), w.inventory.utc_offset) == *inv::parse_date("2027-01-26"));
  CHECK(inv::local_day(at("2027-01-26T17:00:00Z"), w.inventory.utc_offset) == *inv::parse_date("2027-01-27"));
}

TEST_CASE("timezone values: UTC, Z or a fixed offset") {
  CHECK(inv::parse_utc_offset("UTC") == std::chrono::minutes(0));
  CHECK(inv::parse_utc_offset("Z") == std::chrono::minutes(0));
  CHECK(inv::parse_utc_offset("+07:00") == std::chrono::minutes(420));
  CHECK(inv::parse_utc_offset("-03:30") == std::chrono::minutes(-210));
  CHECK(inv::parse_utc_offset("+14:00") == std::chrono::minutes(840));
  CHECK_FALSE(inv::parse_utc_offset("+14:01"));
  CHECK_FALSE(inv::parse_utc_offset("+7"));
  CHECK_FALSE(inv::parse_utc_offset("+07:60"));
  CHECK_FALSE(inv::parse_utc_offset("Asia/Ho_Chi_Minh"));
  CHECK_FALSE(inv::parse_utc_offset(""));
}

TEST_CASE("over time, a waiver holds through its expires day (local), then the finding fails again, once") {
  World w("timezone: \"+07:00\"\n" + kSites +
              "systems: [{id: sys, name: S, level: 2, sites: [a, b]}]\n"
              "assets: [{id: fw-a, site: a, kind: firewall}]\n"
              "waivers:\n"
              "  - {requirement: AST-03, system: sys, reason: on order, approved_by: director, expires: 2026-11-30}\n"
              "  - {requirement: AST-03, system: sys, reason: earlier, approved_by: director, expires: 2026-11-20}\n",
          "  - {id: AST-03, title: {vi: a, en: b}, reference: r, levels: [1, 2], check: {kind: asset_present, asset_kind: firewall}}\n");
  CHECK(timeline(w, "2026-11-19T00:00:00Z", "2026-12-03T00:00:00Z", 1h) ==
        "2026-11-19T00:00:00 a firewall new->met \n"
        "2026-11-19T00:00:00 b firewall new->waived \n"
        "2026-11-30T17:00:00 b firewall waived->not_met soc.equipment.missing\n");
  // Of the two waivers in force, the one that lasts longest is named.
  CHECK(w.run("2026-11-19T00:00:00Z").find("(waived until 2026-11-30 by director)") != std::string::npos);
}

TEST_CASE("over time, a sensor falls silent once and comes back once; another sensor of the site keeps it up") {
  World w(kSites +
              "systems: [{id: sys, name: S, level: 3, sites: [a, b]}]\n"
              "sensors:\n"
              "  - {id: pkt-a, site: a, kind: packet, public_key: \"" + key_text(0) + "\"}\n"
              "  - {id: pkt-b1, site: b, kind: packet, public_key: \"" + key_text(32) + "\"}\n"
              "  - {id: pkt-b2, site: b, kind: packet, public_key: \"" + key_text(64) + "\"}\n",
          "  - {id: MON-02, title: {vi: a, en: b}, reference: r, levels: [3], check: {kind: sensor_reporting, sensor_kind: packet, window: 5m}}\n");
  w.evidence.observing_since = at("2026-11-27T09:00:00Z");
  // pkt-a reports until 10:00:00 and again from 10:12:00; pkt-b1 stops at 10:00:00, pkt-b2 at 10:20:00.
  const auto heard = [&](soc::Timestamp t) {
    if (t <= at("2026-11-27T10:00:00Z") || t >= at("2026-11-27T10:12:00Z")) w.evidence.sensor_last_seen["pkt-a"] = t;
    if (t <= at("2026-11-27T10:00:00Z")) w.evidence.sensor_last_seen["pkt-b1"] = t;
    if (t <= at("2026-11-27T10:20:00Z")) w.evidence.sensor_last_seen["pkt-b2"] = t;
  };
  // Silent once more than the window (5m) has passed: at 10:05:00 exactly it still passes.
  CHECK(timeline(w, "2026-11-27T09:58:00Z", "2026-11-27T10:40:00Z", 30s, heard) ==
        "2026-11-27T09:58:00 a pkt-a new->met \n"
        "2026-11-27T09:58:00 b pkt-b1 new->met \n"
        "2026-11-27T10:05:30 a pkt-a met->not_met soc.sensor.silent\n"
        "2026-11-27T10:12:00 a pkt-a not_met->met \n"
        "2026-11-27T10:25:30 b pkt-b1 met->not_met soc.sensor.silent\n");
}

TEST_CASE("over time, an assessment passes through the last day of its interval and is overdue once") {
  World w(kSites + "systems: [{id: s3, name: S, level: 3, sites: [a], last_assessment: 2025-11-27}]\n",
          "  - {id: GOV-01, title: {vi: a, en: b}, reference: r, levels: [3], check: {kind: assessment_recent, interval_days: 365}}\n");
  CHECK(timeline(w, "2026-11-20T00:00:00Z", "2026-12-05T00:00:00Z", 1h) ==
        "2026-11-20T00:00:00   new->met \n"
        "2026-11-28T00:00:00   met->not_met soc.assessment.overdue\n");
}

TEST_CASE("requirement_statuses sums up every pair in one pass, as requirement_status does one by one") {
  const std::string root = SOC_SOURCE_ROOT;
  inv::Inventory inventory;
  inv::Baseline baseline;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  REQUIRE(inv::load_inventory(root + "/examples/inventory.yaml", inventory, diags, source));
  REQUIRE(inv::load_baseline(root + "/examples/baseline.yaml", baseline, diags, source));
  inv::Evidence ev;
  const auto now = at("2026-11-27T12:00:00Z");
  ev.observing_since = now - 1h;
  ev.sensor_last_seen["pkt-dc-hatinh"] = now - 10s;
  auto findings = inv::evaluate(inventory, baseline, ev, now);
  std::reverse(findings.begin(), findings.end());  // any order
  const auto statuses = inv::requirement_statuses(findings);
  // Every pair: those that do not apply at the system's level are not_applicable.
  CHECK(statuses.size() == inventory.systems.size() * baseline.requirements.size());
  for (const auto& s : statuses) {
    CAPTURE(s.system);
    CAPTURE(s.requirement);
    CHECK(s.status == inv::requirement_status(findings, s.system, s.requirement));
  }
}
