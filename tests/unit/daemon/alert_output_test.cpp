#include "daemon/alert_output.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "core/json_codec.h"
#include "tests/unit/test_support.h"

namespace soc::daemon {
namespace {

Event make_alert(std::string_view rule, int64_t severity, std::string_view site) {
  Event e;
  e.set("event.kind", "alert");
  e.set("rule.id", std::string(rule));
  e.set("event.severity", severity);
  e.set("site.id", std::string(site));
  return e;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("alerts are written whole, one per line, and counted by rule, severity and site") {
  test::TempDir dir;
  const std::string path = (dir.path() / "alerts.jsonl").string();
  telemetry::Registry metrics;
  EventLog file;
  REQUIRE(file.open(path));
  AlertOutput out(metrics, &file, nullptr);
  out.emit(make_alert("ssh-brute-force", 4, "xa-camxuyen"));
  out.emit(make_alert("ssh-brute-force", 4, "xa-camxuyen"));
  out.emit(make_alert("soc.license.expired", 5, "dc-hatinh"));
  CHECK(out.emitted() == 3);

  // Flushed per alert: the file holds all three without closing it.
  const std::string text = read_file(path);
  CHECK(std::count(text.begin(), text.end(), '\n') == 3);
  Event back;
  CHECK_FALSE(decode_event_into(text.substr(0, text.find('\n')), back));
  CHECK(back.get_string("rule.id") == "ssh-brute-force");

  const std::string m = metrics.serialize();
  CHECK(m.find("soc_alerts_total{rule=\"ssh-brute-force\",severity=\"high\",site=\"xa-camxuyen\"} 2") != std::string::npos);
  CHECK(m.find("soc_alerts_total{rule=\"soc.license.expired\",severity=\"critical\",site=\"dc-hatinh\"} 1") !=
        std::string::npos);
}

TEST_CASE("an alert without severity or site is still counted") {
  telemetry::Registry metrics;
  AlertOutput out(metrics, nullptr, nullptr);
  Event e;
  e.set("event.kind", "alert");
  e.set("rule.id", "r1");
  out.emit(e);
  CHECK(metrics.serialize().find("soc_alerts_total{rule=\"r1\",severity=\"unknown\",site=\"\"} 1") != std::string::npos);
}

}  // namespace
}  // namespace soc::daemon

#include "daemon/alerts/store.h"

namespace soc::daemon {
namespace {

struct Notices : alerts::Dispatcher {
  std::vector<alerts::Notice> got;
  size_t woken_with = 0;  // notices published when wake() was last called
  void publish(const alerts::Notice& n) override { got.push_back(n); }
  void wake() override { woken_with = got.size(); }
};

TEST_CASE("with a store, alerts are completed, folded by the rule's group and reach the sinks after the commit") {
  test::TempDir dir;
  telemetry::Registry metrics;
  auto store = alerts::AlertStore::open((dir.path() / "alerts.db").string(), metrics);
  REQUIRE(store.ok());
  Notices sinks;
  AlertOutput out(metrics, nullptr, nullptr);
  out.set_dispatcher(&sinks);
  out.set_store(store->get());
  alerts::RuleInfo rule;
  rule.id = "brute";
  rule.name = "SSH brute force";
  rule.severity = 4;
  rule.group_fields = {"source.ip"};
  rule.quiet = std::chrono::minutes(10);
  out.set_rules("rule", {rule});
  CHECK(out.catalog()->find("brute") != nullptr);
  CHECK(metrics.serialize().find("soc_rule_info{name=\"SSH brute force\",rule=\"brute\",severity=\"high\"} 1") !=
        std::string::npos);
  inventory::Inventory inv;
  inv.sites.push_back({});
  inv.sites.back().id = "xa";
  inv.sites.back().name = "UBND xã";
  out.set_enricher(std::make_shared<const inventory::Enricher>(inv));

  Event a = make_alert("brute", 4, "xa");
  a.set("source.ip", "203.0.113.7");
  out.emit(a);
  rules::AlertDetails held;
  held.suppressed = true;
  out.emit(a, held);  // a repeat suppression held back: the store only
  CHECK(out.emitted() == 1);
  CHECK(sinks.got.empty());  // nothing before the commit
  REQUIRE(out.commit().ok());
  REQUIRE(sinks.got.size() == 1);
  CHECK(sinks.woken_with == 1);  // the sinks are woken after the commit, not left to their poll
  CHECK(sinks.got[0].kind == alerts::NoticeKind::Firing);
  CHECK(sinks.got[0].count == 2);
  CHECK(sinks.got[0].alert.get_string("soc.severity") == "high");
  CHECK(sinks.got[0].alert.get_string("site.name") == "UBND xã");
  CHECK(metrics.serialize().find("soc_alerts_total{rule=\"brute\",severity=\"high\",site=\"xa\"} 1") != std::string::npos);

  // The rule set changes: the gone rule's info series goes with it.
  out.set_rules("rule", {});
  CHECK(metrics.serialize().find("soc_rule_info{name=\"SSH brute force\"") == std::string::npos);
}

}  // namespace
}  // namespace soc::daemon
