#include "daemon/sensor_report.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "core/fields.h"

namespace soc::daemon {
namespace {

Event heartbeat(std::initializer_list<std::pair<const char*, int64_t>> counters) {
  Event e;
  e.set("event.kind", "metric");
  e.set("soc.sensor.version", "0.1.0");
  for (const auto& [k, v] : counters) e.set(std::string("soc.sensor.") + k, v);
  return e;
}

// The value of one series in the text exposition, or -1 when it is absent.
double value_of(const telemetry::Registry& m, const std::string& series) {
  const std::string text = m.serialize();
  const size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

const std::string kLabels = "{sensor=\"p1\",site=\"dc\"}";

}  // namespace

TEST_CASE("heartbeat counters become counters that add what grew since the previous heartbeat") {
  telemetry::Registry m;
  SensorReport r(m, "p1", "dc");
  r.on_heartbeat(heartbeat({{"packets_received", 100}, {"packets_dropped_kernel", 0}, {"flows_active", 7},
                            {"uptime_seconds", 10}}),
                 1);
  r.on_heartbeat(heartbeat({{"packets_received", 250}, {"packets_dropped_kernel", 5}, {"flows_active", 3},
                            {"uptime_seconds", 20}}),
                 1);
  CHECK(value_of(m, "soc_sensor_packets_received_total" + kLabels) == 250);
  CHECK(value_of(m, "soc_sensor_packets_dropped_kernel_total" + kLabels) == 5);
  CHECK(value_of(m, "soc_sensor_flows_active" + kLabels) == 3);
  CHECK(value_of(m, "soc_sensor_uptime_seconds" + kLabels) == 20);
  const std::string text = m.serialize();
  CHECK(text.find("# TYPE soc_sensor_packets_received_total counter") != std::string::npos);
  CHECK(text.find("# TYPE soc_sensor_flows_active gauge") != std::string::npos);
  CHECK(text.find("# TYPE soc_sensor_uptime_seconds gauge") != std::string::npos);
  CHECK(text.find("soc_sensor_reported") == std::string::npos);
}

TEST_CASE("a sensor's restart is not a counter reset: the new run's counts are added") {
  telemetry::Registry m;
  SensorReport r(m, "p1", "dc");
  r.on_heartbeat(heartbeat({{"events_sent", 1000}}), 1);
  // A new epoch: the sender started again, its count starts from zero.
  r.on_heartbeat(heartbeat({{"events_sent", 40}}), 2);
  CHECK(value_of(m, "soc_sensor_events_sent_total" + kLabels) == 1040);
  r.on_heartbeat(heartbeat({{"events_sent", 100}}), 2);
  CHECK(value_of(m, "soc_sensor_events_sent_total" + kLabels) == 1100);
  // The same epoch kept by a spool across a restart: a lower value is a new run too.
  r.on_heartbeat(heartbeat({{"events_sent", 30}}), 2);
  CHECK(value_of(m, "soc_sensor_events_sent_total" + kLabels) == 1130);
  // A repeated heartbeat adds nothing.
  r.on_heartbeat(heartbeat({{"events_sent", 30}}), 2);
  CHECK(value_of(m, "soc_sensor_events_sent_total" + kLabels) == 1130);
}

TEST_CASE("a field absent from a new run's first heartbeat starts from zero when it comes back") {
  telemetry::Registry m;
  SensorReport r(m, "p1", "dc");
  r.on_heartbeat(heartbeat({{"journal_entries", 500}}), 1);
  r.on_heartbeat(heartbeat({}), 2);
  r.on_heartbeat(heartbeat({{"journal_entries", 600}}), 2);
  CHECK(value_of(m, "soc_sensor_journal_entries_total" + kLabels) == 1100);
}

TEST_CASE("unknown heartbeat fields are counted, not exported, so the series stay bounded") {
  telemetry::Registry m;
  SensorReport r(m, "p1", "dc");
  Event e = heartbeat({{"probes", 3}});
  for (int i = 0; i < 200; ++i) e.set("soc.sensor.invented_" + std::to_string(i), int64_t{i});
  e.set("soc.sensor.note", "words are not numbers");
  r.on_heartbeat(e, 1);
  CHECK(value_of(m, "soc_sensor_probes_total" + kLabels) == 3);
  CHECK(value_of(m, "soc_heartbeat_fields_unknown_total{sensor=\"p1\"}") == 200);
  CHECK(m.serialize().find("invented_") == std::string::npos);
}

TEST_CASE("the version is one info series per sensor, replaced when it changes") {
  telemetry::Registry m;
  SensorReport r(m, "p1", "dc");
  r.on_heartbeat(heartbeat({}), 1);
  CHECK(value_of(m, "soc_sensor_build_info{sensor=\"p1\",site=\"dc\",version=\"0.1.0\"}") == 1);
  Event e = heartbeat({});
  e.set("soc.sensor.version", "0.2.0" + std::string(100, 'x'));
  r.on_heartbeat(e, 2);
  const std::string text = m.serialize();
  CHECK(text.find("version=\"0.1.0\"") == std::string::npos);
  CHECK(value_of(m, "soc_sensor_build_info{sensor=\"p1\",site=\"dc\",version=\"0.2.0" + std::string(59, 'x') + "\"}") == 1);
}

TEST_CASE("every numeric heartbeat field of docs/fields.md has its metric, and only those") {
  std::set<std::string> documented, exported;
  for (const auto& f : field_specs()) {
    if (f.name.rfind("soc.sensor.", 0) == 0 && (f.type == ValueType::Int || f.type == ValueType::Float))
      documented.emplace(f.name.substr(11));
  }
  for (const auto& f : reported_fields()) {
    exported.emplace(f.field);
    const std::string metric(f.metric);
    CHECK(metric.rfind("soc_sensor_", 0) == 0);
    if (f.kind == ReportedKind::Counter) {
      CHECK_MESSAGE(metric.size() > 6, metric);
      CHECK_MESSAGE(metric.substr(metric.size() - 6) == "_total", metric);
    } else {
      CHECK_MESSAGE(metric.find("_total") == std::string::npos, metric);
    }
  }
  CHECK(documented == exported);
}

}  // namespace soc::daemon
