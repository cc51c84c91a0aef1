// What a sensor says about itself in its heartbeats (the `soc.sensor.*` fields), exported as
// typed Prometheus metrics: each known field has one family with its own type and unit
// (docs/metrics.md, "Sensor heartbeats"; docs/adr/0024-dashboards-and-alerting-rules.md).
//
// - A counter field (the sensor's count "in this run") becomes `soc_sensor_<field>_total`, a
//   true counter: the correlator adds what grew since the previous heartbeat, and takes the whole
//   value as growth when the sensor started a new run (a new epoch, or a value lower than
//   before). So a sensor's restart is not a counter reset in Prometheus, and rate() is right.
// - A gauge field (flows in the table, files followed, uptime) becomes `soc_sensor_<field>`, set
//   to the reported value.
// - `soc.sensor.version` becomes `soc_sensor_build_info{sensor,site,version} 1` (one series per
//   sensor: the old version's series is removed when it changes).
// - Any other numeric `soc.sensor.*` field is not exported (its type is unknown): it is counted in
//   `soc_heartbeat_fields_unknown_total{sensor}` and its name logged once (at most 16 names per
//   sensor). Labels are the sensor and its site only, so the series are bounded by the allowlist.
//
// Single-threaded: owned by the ingest stage, on the correlator's main thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "core/event.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon {

enum class ReportedKind { Counter, Gauge };

struct ReportedField {
  std::string_view field;   // heartbeat key without "soc.sensor."
  ReportedKind kind;
  std::string_view metric;  // the family
  std::string_view help;
};

// Every heartbeat field the correlator exports, in the order docs/metrics.md lists them.
std::span<const ReportedField> reported_fields();

class SensorReport {
 public:
  SensorReport(telemetry::Registry& metrics, std::string sensor, std::string site);

  // One heartbeat of this sensor; `epoch` is the sender's epoch from the message header.
  void on_heartbeat(const Event& heartbeat, uint64_t epoch);

 private:
  struct Series {
    telemetry::Counter counter;
    telemetry::Gauge gauge;
    double last = 0;  // the value of the previous heartbeat (counters)
  };
  Series& series(const ReportedField& f);
  void set_version(std::string_view version);

  telemetry::Registry& metrics_;
  std::string sensor_, site_;
  std::unordered_map<std::string_view, Series> series_;  // by field name (static storage)
  bool have_epoch_ = false;
  uint64_t epoch_ = 0;
  std::string version_;
  telemetry::Gauge version_gauge_;
  telemetry::Counter unknown_;
  std::unordered_set<std::string> unknown_logged_;
};

}  // namespace soc::daemon
