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
