#include "daemon/baseline_monitor.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/json_codec.h"
#include "tests/unit/test_support.h"

namespace soc::daemon {
namespace {

using namespace std::chrono_literals;

Timestamp at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

std::string key_text(uint8_t first) {
  CurveKey k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(first + i);
  return z85_encode_key(k);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The value of one series in the text exposition, or "absent".
std::string series(const telemetry::Registry& r, const std::string& name_and_labels) {
  std::istringstream in(r.serialize());
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name_and_labels + " ", 0) == 0) return line.substr(name_and_labels.size() + 1);
  return "absent";
}

const std::string kBaseline =
    "baseline: {id: test, version: '1'}\n"
    "requirements:\n"
    "  - {id: AST-02, title: {vi: \"Bản quyền tường lửa\", en: Firewall license}, reference: r, levels: [3],\n"
    "     check: {kind: license_valid, asset_kind: firewall, warn_days: 30}}\n"
    "  - {id: AST-03, title: {vi: v, en: Firewall present}, reference: r, levels: [3], check: {kind: asset_present, "
    "asset_kind: firewall}}\n"
    "  - {id: MON-02, title: {vi: v, en: Packet sensor}, reference: r, levels: [3], check: {kind: sensor_reporting, "
    "sensor_kind: packet, window: 5m}}\n"
    "  - {id: LOG-01, title: {vi: v, en: Auth logs}, reference: r, levels: [3], check: {kind: log_source, dataset: "
    "sshd, window: 1h}}\n"
    "  - {id: CRT-01, title: {vi: v, en: Certificate}, reference: r, levels: [3], check: {kind: certificate_valid, "
    "asset_kind: portal, min_days: 30}}\n";

std::string inventory_text(const std::string& waivers = "") {
  return "sites: [{id: dc, name: DC, kind: datacenter}, {id: xa, name: XA, kind: commune}]\n"
         "systems: [{id: sys, name: S, level: 3, sites: [dc, xa]}]\n"
         "assets:\n"
         "  - {id: fw-dc, site: dc, kind: firewall, address: 10.0.0.1, licenses: [{kind: support, expires: "
         "2027-06-30}]}\n"
         "  - {id: portal, site: dc, kind: portal, address: \"portal.example.vn:443\"}\n"
         "sensors:\n"
         "  - {id: pkt-dc, site: dc, kind: packet, public_key: \"" +
         key_text(0) +
         "\"}\n"
         "  - {id: pkt-xa, site: xa, kind: packet, public_key: \"" +
         key_text(32) + "\"}\n" + waivers;
}

struct Fixture {
  test::TempDir dir;
  Timestamp clock = at("2026-11-27T10:00:00Z");
  telemetry::Registry metrics;
  EventLog file;
  std::string alerts_path = (dir.path() / "alerts.jsonl").string();
  AlertOutput alerts{metrics, &file, nullptr};
  std::string inventory_path, baseline_path;
  std::unique_ptr<BaselineMonitor> monitor;

  explicit Fixture(const std::string& inventory = inventory_text()) {
    REQUIRE(file.open(alerts_path));
    inventory_path = dir.write("inventory.yaml", inventory);
    baseline_path = dir.write("baseline.yaml", kBaseline);
    auto m = BaselineMonitor::load({inventory_path, baseline_path, [this] { return clock; }}, metrics, alerts);
    INFO((m ? "" : m.error().message));
    REQUIRE(m);
    monitor = std::move(*m);
  }

  // The rule.id and subject/site of every alert written so far, one per line.
  std::vector<std::string> alert_lines() {
    std::vector<std::string> out;
    std::istringstream in(read_file(alerts_path));
    std::string line;
    while (std::getline(in, line)) {
      Event e;
      REQUIRE_FALSE(decode_event_into(line, e));
      out.push_back(std::string(e.get_string("rule.id")) + " " + std::string(e.get_string("soc.subject")) + " " +
                    std::string(e.get_string("site.id")));
    }
    return out;
  }

  void send(const std::string& json) {
    Event e;
    REQUIRE_FALSE(decode_event_into(json, e));
    monitor->on_event(e);
  }
  // As ingest does: an event the decoder refuses (a typed field of the wrong type) never
  // reaches the stages. True when the monitor saw it.
  bool send_if_decodes(const std::string& json) {
    Event e;
    if (decode_event_into(json, e)) return false;
    monitor->on_event(e);
    return true;
  }
};

TEST_CASE("baseline alerts are raised once per state change, not on every evaluation") {
  Fixture f;
  f.monitor->evaluate();
  // At start: xa has no firewall; the sensors are not yet judged (less than a window observed).
  CHECK(f.alert_lines() == std::vector<std::string>{"soc.equipment.missing firewall xa"});
  f.monitor->evaluate();
  f.clock += 1min;
  f.monitor->evaluate();
  CHECK(f.alert_lines().size() == 1);

  // pkt-dc is heard, pkt-xa never: once a window has passed, only pkt-xa is silent.
  f.monitor->on_heartbeat("pkt-dc", "dc", Event{});
  f.clock += 4min;
  f.monitor->on_heartbeat("pkt-dc", "dc", Event{});
  f.monitor->evaluate();
  f.monitor->evaluate();
  CHECK(f.alert_lines() ==
        std::vector<std::string>{"soc.equipment.missing firewall xa", "soc.sensor.silent pkt-xa xa"});
  CHECK(series(f.metrics, R"(soc_sensor_up{sensor="pkt-dc",site="dc"})") == "1");
  CHECK(series(f.metrics, R"(soc_sensor_up{sensor="pkt-xa",site="xa"})") == "0");
  // Never heard in the period: nothing shows it ever ran, so MON-02 cannot be assessed (the alert
  // is raised all the same); never met.
  CHECK(series(f.metrics, R"(soc_requirement_status{requirement="MON-02",status="not_assessable",system="sys"})") == "1");
  CHECK(series(f.metrics, R"(soc_requirement_status{requirement="MON-02",status="met",system="sys"})") == "0");

  // pkt-dc falls silent too: one more alert; then it comes back (no alert, metric back to 1).
  f.clock += 6min;
  f.monitor->evaluate();
  CHECK(series(f.metrics, R"(soc_sensor_up{sensor="pkt-dc",site="dc"})") == "0");
  CHECK(f.alert_lines().size() == 3);
  CHECK(f.alert_lines()[2] == "soc.sensor.silent pkt-dc dc");
  // Heard in the period and silent since: not met.
  CHECK(series(f.metrics, R"(soc_requirement_status{requirement="MON-02",status="not_met",system="sys"})") == "1");
  f.send(R"({"observer.name":"pkt-dc","site.id":"dc","event.dataset":"flow"})");
  f.monitor->evaluate();
  CHECK(series(f.metrics, R"(soc_sensor_up{sensor="pkt-dc",site="dc"})") == "1");
  CHECK(f.alert_lines().size() == 3);
}

TEST_CASE("inventory sensors are exported at 0 from the start, before any evaluation") {
  Fixture f;
  CHECK(series(f.metrics, R"(soc_sensor_up{sensor="pkt-dc",site="dc"})") == "0");
  CHECK(series(f.metrics, R"(soc_sensor_up{sensor="pkt-xa",site="xa"})") == "0");
  const auto allow = f.monitor->allowlist();
  REQUIRE(allow.size() == 2);
  CHECK(allow[1].id == "pkt-xa");
  CHECK(allow[1].site == "xa");
  CHECK(allow[1].public_key_z85 == key_text(32));
}

TEST_CASE("license metrics, the expiry edge and the alert's fields") {
  Fixture f;
  f.monitor->evaluate();
  // Valid through 2027-06-30: stops at 2027-07-01T00:00Z.
  CHECK(series(f.metrics, R"(soc_license_expiry_timestamp_seconds{asset="fw-dc",license="support",site="dc"})") ==
        std::to_string(static_cast<int64_t>(to_unix_seconds(at("2027-07-01T00:00:00Z")))));
  CHECK(series(f.metrics, R"(soc_site_equipment_gaps{site="xa"})") == "1");
  CHECK(series(f.metrics, R"(soc_site_equipment_gaps{site="dc"})") == "0");
  // Names for the dashboards: one info series per inventory site.
  CHECK(series(f.metrics, R"(soc_site_info{kind="datacenter",level="3",name="DC",site="dc"})") == "1");
  CHECK(series(f.metrics, R"(soc_site_info{kind="commune",level="3",name="XA",site="xa"})") == "1");
  CHECK(series(f.metrics, R"(soc_system_info{level="3",name="S",system="sys"})") == "1");

  f.clock = at("2027-06-01T00:00:00Z");  // 29 days left, warn_days 30
  f.monitor->evaluate();
  f.clock = at("2027-06-30T23:59:59Z");
  f.monitor->evaluate();
  f.clock = at("2027-07-01T00:00:00Z");
  f.monitor->evaluate();
  f.monitor->evaluate();
  const auto lines = f.alert_lines();
  CHECK(std::count(lines.begin(), lines.end(), "soc.license.expiring fw-dc dc") == 1);
  CHECK(std::count(lines.begin(), lines.end(), "soc.license.expired fw-dc dc") == 1);

  // The alert, whole.
  std::istringstream in(read_file(f.alerts_path));
  std::string line, expired;
  while (std::getline(in, line))
    if (line.find("soc.license.expired") != std::string::npos) expired = line;
  Event e;
  REQUIRE_FALSE(decode_event_into(expired, e));
  CHECK(e.get_string("event.kind") == "alert");
  CHECK(e.get_string("event.dataset") == "soc.baseline");
  CHECK(e.get_int("event.severity") == 4);
  CHECK(e.get_string("rule.name") == "License expired");
  CHECK(e.get_string("asset.id") == "fw-dc");
  CHECK(e.get_string("asset.kind") == "firewall");
  CHECK(e.get_string("site.kind") == "datacenter");
  CHECK(e.get_int("site.level") == 3);
  CHECK(e.get_string("soc.system.id") == "sys");
  CHECK(e.get_string("soc.requirement.id") == "AST-02");
  CHECK(e.get_string("soc.requirement.title") == "Firewall license");
  CHECK(e.get_string("soc.requirement.title_vi") == "Bản quyền tường lửa");
  CHECK(e.get_string("soc.finding.status") == "not_met");
  CHECK(e.get_string("soc.finding.previous_status") == "met");
  CHECK(e.get_string("message") ==
        "License expired: fw-dc at dc: support license expired on 2027-06-30 (system sys, requirement AST-02)");
  CHECK(series(f.metrics, R"(soc_alerts_total{rule="soc.license.expired",severity="high",site="dc"})") == "1");
}

TEST_CASE("license instants follow the inventory's time zone") {
  Fixture f("timezone: \"+07:00\"\n" + inventory_text());
  f.monitor->evaluate();
  // Valid through 2027-06-30 at UTC+7: stops at 2027-06-30T17:00Z, when the status changes too.
  CHECK(series(f.metrics, R"(soc_license_expiry_timestamp_seconds{asset="fw-dc",license="support",site="dc"})") ==
        std::to_string(static_cast<int64_t>(to_unix_seconds(at("2027-06-30T17:00:00Z")))));
  f.clock = at("2027-06-30T16:59:59Z");
  f.monitor->evaluate();
  CHECK(series(f.metrics, R"(soc_requirement_status{requirement="AST-02",status="met",system="sys"})") == "1");
  f.clock = at("2027-06-30T17:00:00Z");
  f.monitor->evaluate();
  CHECK(series(f.metrics, R"(soc_requirement_status{requirement="AST-02",status="not_met",system="sys"})") == "1");
  // A device reading at local midnight ends the day before, there.
  f.send(R"({"event.dataset":"collector.license","asset.id":"fw-dc","asset.license.name":"FortiCare",)"
         R"("asset.license.status":"licensed","asset.license.expires":"2027-12-31T17:00:00Z"})");
  f.monitor->evaluate();
  CHECK(series(f.metrics, R"(soc_requirement_status{requirement="AST-02",status="met",system="sys"})") == "1");
  CHECK(series(f.metrics, R"(soc_license_expiry_timestamp_seconds{asset="fw-dc",license="support",site="dc"})") ==
        std::to_string(static_cast<int64_t>(to_unix_seconds(at("2027-12-31T17:00:00Z")))));
}

TEST_CASE("a license the device reports supersedes the declared one of its kind") {
  Fixture f;
  f.monitor->evaluate();
  CHECK(f.alert_lines().size() == 1);
  // The collector reads FortiCare support as expired a week ago, matched by address.
  f.send(R"({"event.dataset":"collector.license","site.id":"dc","destination.address":"10.0.0.1",)"
         R"("asset.license.name":"FortiCare Support","asset.license.status":"expired",)"
         R"("asset.license.expires":"2026-11-20T00:00:00Z","observer.vendor":"Fortinet"})");
  f.monitor->evaluate();
  CHECK(f.alert_lines().back() == "soc.license.expired fw-dc dc");
  CHECK(series(f.metrics, R"(soc_license_expiry_timestamp_seconds{asset="fw-dc",license="support",site="dc"})") ==
        std::to_string(static_cast<int64_t>(to_unix_seconds(at("2026-11-20T00:00:00Z")))));
  // Renewed on the device: the finding recovers without an alert; the metric follows.
  f.send(R"({"event.dataset":"collector.license","asset.id":"fw-dc","asset.license.name":"FortiCare Support",)"
         R"("asset.license.status":"licensed","asset.license.expires":"2028-01-01T00:00:00Z"})");
  f.monitor->evaluate();
  CHECK(f.alert_lines().size() == 2);
  CHECK(series(f.metrics, R"(soc_requirement_status{requirement="AST-02",status="met",system="sys"})") == "1");
  CHECK(series(f.metrics, R"(soc_license_expiry_timestamp_seconds{asset="fw-dc",license="support",site="dc"})") ==
        std::to_string(static_cast<int64_t>(to_unix_seconds(at("2028-01-01T00:00:00Z")))));
  // A signature subscription the inventory did not declare is added, and warns.
  f.send(
      R"({"event.dataset":"collector.license","destination.address":"https://10.0.0.1/api","asset.license.name":"IPS",)"
      R"("asset.license.status":"licensed","asset.license.expires":"2026-12-10T12:00:00Z"})");
  f.monitor->evaluate();
  CHECK(f.alert_lines().back() == "soc.license.expiring fw-dc dc");
  CHECK(series(f.metrics, R"(soc_license_expiry_timestamp_seconds{asset="fw-dc",license="signatures",site="dc"})") ==
        std::to_string(static_cast<int64_t>(to_unix_seconds(at("2026-12-10T12:00:00Z")))));
  // A license of a device the inventory does not know is ignored.
  f.send(R"({"event.dataset":"collector.license","destination.address":"10.9.9.9","asset.license.name":"IPS",)"
         R"("asset.license.status":"expired"})");
  CHECK(f.monitor->evaluate() == 0);
}

TEST_CASE("a certificate read by the collector is exported by target and judged against min_days") {
  Fixture f;
  f.monitor->evaluate();
  f.send(
      R"({"event.dataset":"collector.tls","site.id":"dc","destination.address":"portal.example.vn","destination.port":443,)"
      R"("tls.server.not_after":"2026-12-02T10:00:00Z","tls.server.x509.subject.common_name":"portal.example.vn"})");
  f.send(R"({"event.dataset":"collector.tls","site.id":"xa","destination.address":"192.0.2.9","destination.port":8443,)"
         R"("tls.client.server_name":"other.example.vn","tls.server.not_after":"2027-12-02T10:00:00Z"})");
  f.monitor->evaluate();
  CHECK(f.alert_lines().back() == "soc.certificate.expiring portal dc");
  CHECK(series(f.metrics, R"(soc_certificate_expiry_timestamp_seconds{site="dc",target="portal.example.vn:443"})") ==
        std::to_string(static_cast<int64_t>(to_unix_seconds(at("2026-12-02T10:00:00Z")))));
  // Not an inventory asset: exported under the collector's site, judged by nobody.
  CHECK(series(f.metrics,
               R"(soc_certificate_expiry_timestamp_seconds{site="xa",target="192.0.2.9:8443/other.example.vn"})") ==
        std::to_string(static_cast<int64_t>(to_unix_seconds(at("2027-12-02T10:00:00Z")))));
  CHECK(series(f.metrics, R"(soc_requirement_status{requirement="CRT-01",status="not_met",system="sys"})") == "1");
}

TEST_CASE("a TCP probe of an inventory asset is exported as reachable or not; others are not exported") {
  Fixture f;
  f.send(
      R"({"event.dataset":"collector.tcp","event.outcome":"failure","destination.address":"10.0.0.1","destination.port":443})");
  CHECK(series(f.metrics, R"(soc_asset_reachable{asset="fw-dc",site="dc"})") == "0");
  f.send(
      R"({"event.dataset":"collector.tcp","event.outcome":"success","asset.id":"fw-dc","destination.address":"10.0.0.1","destination.port":443})");
  CHECK(series(f.metrics, R"(soc_asset_reachable{asset="fw-dc",site="dc"})") == "1");
  f.send(
      R"({"event.dataset":"collector.tcp","event.outcome":"failure","destination.address":"192.0.2.1","destination.port":443})");
  f.send(R"({"event.dataset":"collector.tcp","event.outcome":"maybe","destination.address":"10.0.0.1"})");
  CHECK(series(f.metrics, R"(soc_asset_reachable{asset="fw-dc",site="dc"})") == "1");
  CHECK(f.metrics.serialize().find("192.0.2.1") == std::string::npos);
}

TEST_CASE("a log source is recorded per site, only for the datasets the baseline checks") {
  Fixture f;
  f.monitor->on_heartbeat("pkt-dc", "dc", Event{});
  f.monitor->on_heartbeat("pkt-xa", "xa", Event{});
  f.send(R"({"observer.name":"pkt-dc","site.id":"dc","event.dataset":"sshd"})");
  f.clock += 61min;
  f.monitor->on_heartbeat("pkt-dc", "dc", Event{});
  f.monitor->on_heartbeat("pkt-xa", "xa", Event{});
  f.send(R"({"observer.name":"pkt-xa","site.id":"xa","event.dataset":"sshd"})");
  f.monitor->evaluate();
  const auto lines = f.alert_lines();
  CHECK(std::count(lines.begin(), lines.end(), "soc.logsource.silent sshd dc") == 1);
  CHECK(std::count(lines.begin(), lines.end(), "soc.logsource.silent sshd xa") == 0);
}

TEST_CASE("a waiver holds a finding as waived until it expires, then the alert is raised") {
  Fixture f(inventory_text(
      "waivers: [{requirement: AST-03, system: sys, reason: on order, approved_by: director, expires: 2026-11-30}]\n"));
  f.monitor->evaluate();
  CHECK(f.alert_lines().empty());
  CHECK(series(f.metrics, R"(soc_requirement_status{requirement="AST-03",status="waived",system="sys"})") == "1");
  CHECK(series(f.metrics, R"(soc_site_equipment_gaps{site="xa"})") == "0");
  // (Days later the sensors, never heard, are silent: those alerts are not waived.)
  auto missing = [&] {
    const auto lines = f.alert_lines();
    return std::count(lines.begin(), lines.end(), "soc.equipment.missing firewall xa");
  };
  f.clock = at("2026-11-30T23:59:59Z");
  f.monitor->evaluate();
  CHECK(missing() == 0);
  f.clock = at("2026-12-01T00:00:00Z");
  f.monitor->evaluate();
  f.monitor->evaluate();
  CHECK(missing() == 1);
  CHECK(series(f.metrics, R"(soc_site_equipment_gaps{site="xa"})") == "1");
}

TEST_CASE("a reload with a broken inventory keeps the old one; a good one replaces it and its series") {
  Fixture f;
  f.monitor->evaluate();
  f.dir.write("inventory.yaml", "sites:\n  - {id: dc, name: DC, kind: datacentre}\n");
  CHECK_FALSE(f.monitor->reload());
  CHECK(f.monitor->inventory().assets.size() == 2);
  CHECK(series(f.metrics, R"(soc_inventory_reload_total{result="failure"})") == "1");
  CHECK(series(f.metrics, "soc_inventory_last_reload_successful") == "0");

  // The firewall is gone, a firewall appears at xa, pkt-xa is removed.
  f.dir.write("inventory.yaml",
              "sites: [{id: dc, name: DC, kind: datacenter}, {id: xa, name: XA, kind: commune}]\n"
              "systems: [{id: sys, name: S, level: 3, sites: [dc, xa]}]\n"
              "assets:\n"
              "  - {id: fw-xa, site: xa, kind: firewall, licenses: [{kind: support, expires: 2027-06-30}]}\n"
              "sensors:\n"
              "  - {id: pkt-dc, site: dc, kind: packet, public_key: \"" +
                  key_text(0) + "\"}\n");
  CHECK(f.monitor->reload());
  CHECK(series(f.metrics, R"(soc_inventory_reload_total{result="success"})") == "1");
  CHECK(series(f.metrics, "soc_inventory_last_reload_successful") == "1");
  CHECK(series(f.metrics, R"(soc_license_expiry_timestamp_seconds{asset="fw-dc",license="support",site="dc"})") ==
        "absent");
  CHECK(series(f.metrics, R"(soc_license_expiry_timestamp_seconds{asset="fw-xa",license="support",site="xa"})") !=
        "absent");
  CHECK(series(f.metrics, R"(soc_sensor_up{sensor="pkt-xa",site="xa"})") == "absent");
  const auto lines = f.alert_lines();
  CHECK(std::count(lines.begin(), lines.end(), "soc.equipment.missing firewall dc") == 1);
  CHECK(std::count(lines.begin(), lines.end(), "soc.equipment.missing packet xa") == 1);
}

TEST_CASE("events are enriched by the stage before anything else sees them") {
  Fixture f;
  Event e;
  REQUIRE_FALSE(decode_event_into(R"({"site.id":"dc","destination.ip":"10.0.0.1","event.dataset":"flow"})", e));
  f.monitor->on_event(e);
  CHECK(e.get_string("site.name") == "DC");
  CHECK(e.get_int("site.level") == 3);
  CHECK(e.get_string("asset.id") == "fw-dc");
}

TEST_CASE("collector events with missing or mistyped fields are ignored, never trusted or fatal") {
  Fixture f;
  f.monitor->evaluate();
  const size_t before = f.alert_lines().size();
  int seen = 0;
  for (
      const char* json : {
          R"({"event.dataset":"collector.tls","destination.address":"portal.example.vn","destination.port":443})",
          R"({"event.dataset":"collector.tls","tls.server.not_after":"2026-11-28T00:00:00Z"})",
          R"({"event.dataset":"collector.tls","destination.address":["a","b"],"tls.server.not_after":"2026-11-28T00:00:00Z"})",
          R"({"event.dataset":"collector.tls","destination.address":"[::1","destination.port":443,"tls.server.not_after":"2026-11-28T00:00:00Z","tls.client.server_name":"x"})",
          R"({"event.dataset":"collector.license","destination.address":"10.0.0.1"})",
          R"({"event.dataset":"collector.license","destination.address":"10.0.0.1:99999999999999999999","asset.license.name":"IPS","asset.license.expires":"soon"})",
          R"({"event.dataset":"collector.license","asset.id":"fw-dc","asset.license.name":7,"asset.license.expires":12})",
          R"({"event.dataset":"collector.license","asset.id":"fw-dc","asset.license.name":"IPS","asset.license.status":"licensed"})",
      })
    seen += f.send_if_decodes(json) ? 1 : 0;
  // The field registry types the collector's fields (core/fields.cpp), so the mistyped ones are
  // refused before the stages; the rest reach the monitor and must be ignored there.
  CHECK(seen >= 5);
  f.monitor->evaluate();
  CHECK(f.alert_lines().size() == before);
  CHECK(series(f.metrics, R"(soc_license_expiry_timestamp_seconds{asset="fw-dc",license="signatures",site="dc"})") ==
        "absent");
}

TEST_CASE("a broken file at start is refused with every diagnostic located") {
  test::TempDir dir;
  telemetry::Registry metrics;
  AlertOutput alerts(metrics, nullptr, nullptr);
  const auto inv = dir.write("inv.yaml", "sites:\n  - {id: dc, name: DC, kind: datacentre}\n");
  const auto base = dir.write("base.yaml", "requirements: []\n");
  auto m = BaselineMonitor::load({inv, base}, metrics, alerts);
  REQUIRE_FALSE(m);
  CHECK(m.error().message.find(inv + ":2:30: error[inventory.bad_value]") != std::string::npos);
  CHECK(m.error().message.find(base + ":1:1: error[baseline.missing_key]") != std::string::npos);
}


// A restart of the correlator (docs/adr/0030): a second monitor restored from the first's
// snapshot knows when each sensor was last heard and which findings it already raised.
TEST_CASE("a monitor restored from a snapshot neither calls a heard sensor silent nor raises old findings again") {
  Fixture f;
  f.monitor->evaluate();  // raises soc.equipment.missing for xa
  f.monitor->on_heartbeat("pkt-dc", "dc", Event{});
  f.clock += 6min;
  f.monitor->on_heartbeat("pkt-dc", "dc", Event{});
  f.monitor->evaluate();  // pkt-xa silent
  REQUIRE(f.alert_lines().size() == 2);
  const std::string snapshot = f.monitor->snapshot(f.monitor->capture());

  // The restart: a new monitor, a minute later, with the same files and alert path.
  f.clock += 1min;
  auto m = BaselineMonitor::load({f.inventory_path, f.baseline_path, [&f] { return f.clock; }}, f.metrics, f.alerts);
  REQUIRE(m);
  auto restarted = std::move(*m);
  REQUIRE(restarted->restore(snapshot));
  CHECK(restarted->evaluate() == 0);  // nothing changed: nothing raised again
  CHECK(f.alert_lines().size() == 2);
  CHECK(series(f.metrics, R"(soc_sensor_up{sensor="pkt-dc",site="dc"})") == "1");

  // Without the snapshot, the same restart raises both findings again.
  auto fresh = BaselineMonitor::load({f.inventory_path, f.baseline_path, [&f] { return f.clock; }}, f.metrics, f.alerts);
  REQUIRE(fresh);
  CHECK((*fresh)->evaluate() >= 1);
}

TEST_CASE("a damaged baseline snapshot is refused and changes nothing") {
  Fixture f;
  f.monitor->on_heartbeat("pkt-dc", "dc", Event{});
  std::string snapshot = f.monitor->snapshot(f.monitor->capture());
  auto m = BaselineMonitor::load({f.inventory_path, f.baseline_path, [&f] { return f.clock; }}, f.metrics, f.alerts);
  REQUIRE(m);
  for (size_t cut = 0; cut < snapshot.size(); ++cut) CHECK_FALSE((*m)->restore(snapshot.substr(0, cut)));
  CHECK_FALSE((*m)->restore(snapshot + "extra"));
  f.clock += 6min;
  (*m)->evaluate();
  CHECK(series(f.metrics, R"(soc_sensor_up{sensor="pkt-dc",site="dc"})") == "0");
}

TEST_CASE("an evaluation on another thread works on the copy taken, while events keep arriving") {
  Fixture f;
  f.monitor->on_heartbeat("pkt-dc", "dc", Event{});
  auto input = f.monitor->capture();
  f.clock += 10min;
  std::thread t([&] { f.monitor->evaluate(input); });
  for (int i = 0; i < 1000; ++i) f.send(R"({"observer.name":"pkt-xa","site.id":"xa","event.dataset":"flow"})");
  t.join();
  // Evaluated at the capture's time, with the capture's evidence: pkt-dc was heard then.
  CHECK(series(f.metrics, R"(soc_sensor_up{sensor="pkt-dc",site="dc"})") == "1");
}

}  // namespace
}  // namespace soc::daemon
