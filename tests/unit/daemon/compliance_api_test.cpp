#include "daemon/compliance_api.h"

#include <doctest/doctest.h>

#include "core/json_tree.h"
#include "daemon/compliance/digest.h"
#include "daemon/compliance/json.h"
#include "tests/unit/test_support.h"

namespace soc::daemon {
namespace {

Timestamp at(const char* t) { return *parse_rfc3339(t); }

std::string key_text(uint8_t first) {
  CurveKey k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(first + i);
  return z85_encode_key(k);
}

struct Fixture {
  test::TempDir dir;
  Timestamp clock = at("2026-12-04T10:00:00Z");
  telemetry::Registry metrics;
  AlertOutput alerts{metrics, nullptr, nullptr};
  std::unique_ptr<BaselineMonitor> monitor;
  http::Handler handler;

  Fixture() {
    const auto inv = dir.write("inventory.yaml",
                               "sites: [{id: dc, name: DC, kind: datacenter}]\n"
                               "systems: [{id: sys, name: S, level: 3, sites: [dc]}]\n"
                               "assets: [{id: fw, site: dc, kind: firewall, licenses: [{kind: support, expires: 2026-12-20}]}]\n"
                               "sensors: [{id: pkt, site: dc, kind: packet, public_key: \"" +
                                   key_text(0) + "\"}]\n");
    const auto base = dir.write("baseline.yaml",
                                "baseline: {id: b, version: '1'}\nrequirements:\n"
                                "  - {id: AST-02, title: {vi: v, en: e}, reference: r, levels: [3], check: {kind: "
                                "license_valid, asset_kind: firewall, warn_days: 30}}\n"
                                "  - {id: MON-02, title: {vi: v, en: e}, reference: r, levels: [3], check: {kind: "
                                "sensor_reporting, sensor_kind: packet, window: 5m}}\n");
    auto m = BaselineMonitor::load({inv, base, [this] { return clock; }}, metrics, alerts);
    REQUIRE(m);
    monitor = std::move(*m);
    handler = compliance_handler(monitor.get());
  }

  http::Response get(const std::string& query = "") {
    http::Request r;
    r.method = "GET";
    r.path = "/api/v1/compliance";
    r.query = query;
    return handler(r);
  }
};

std::string status_of(const std::string& body, const char* requirement) {
  auto tree = json::parse(body);
  REQUIRE(tree);
  for (const auto& q : tree->find("systems")->items()[0].find("requirements")->items())
    if (q.find("id")->as_string() == requirement) return q.find("status")->as_string();
  return "absent";
}

}  // namespace

TEST_CASE("GET /api/v1/compliance answers the report of the last evaluation, and of a later instant") {
  Fixture f;
  CHECK(f.get().status == 503);  // before the first evaluation
  f.monitor->on_heartbeat("pkt", "dc", Event{});
  f.monitor->evaluate();
  const auto r = f.get();
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(status_of(r.body, "AST-02") == "met");
  CHECK(status_of(r.body, "MON-02") == "met");
  auto report = compliance::from_json(r.body, "api");
  REQUIRE(report);
  CHECK(report->source == "live");
  CHECK(report->to == f.clock);
  CHECK(compliance::compute_digest(*report) == report->digest);
  // Cached until the next evaluation: the same bytes.
  CHECK(f.get().body == r.body);
  // Later: the heartbeat is stale, the license has expired.
  const auto later = f.get("at=2026-12-21T00%3A00%3A00Z");
  REQUIRE(later.status == 200);
  CHECK(status_of(later.body, "AST-02") == "not_met");
  CHECK(status_of(later.body, "MON-02") == "not_met");
  // English: other sentences, the same digest.
  const auto en = f.get("lang=en");
  REQUIRE(en.status == 200);
  CHECK(compliance::from_json(en.body, "api")->digest == report->digest);
  CHECK(en.body != r.body);
  // Refused: an instant before the evaluation, a malformed one, an unknown language.
  CHECK(f.get("at=2026-12-04T09:59:59Z").status == 400);
  CHECK(f.get("at=tomorrow").status == 400);
  CHECK(f.get("lang=fr").status == 400);
  // A new evaluation replaces the cached report.
  f.clock = at("2026-12-04T10:10:00Z");
  f.monitor->evaluate();
  CHECK(status_of(f.get().body, "MON-02") == "not_met");
}

TEST_CASE("GET /api/v1/compliance without an inventory and a baseline is unavailable") {
  auto handler = compliance_handler(nullptr);
  http::Request r;
  r.method = "GET";
  r.path = "/api/v1/compliance";
  const auto resp = handler(r);
  CHECK(resp.status == 503);
  CHECK(resp.body.find("\"unavailable\"") != std::string::npos);
}

}  // namespace soc::daemon
