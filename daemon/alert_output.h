// The correlator's one alert path. Rules (daemon/rules) and the baseline (daemon/inventory) hand
// their alerts here; each alert is appended to --alerts-out (JSON lines, flushed per alert: an
// alert is rare and must not wait in a buffer), published on the live feed under the topic
// "alert" (`socctl tail --alerts`), and counted in soc_alerts_total{rule,severity,site}.
//
// Single-threaded: called from the correlator's main thread.
#pragma once

#include <map>
#include <string>
#include <tuple>

#include "core/event.h"
#include "core/transport/publisher.h"
#include "daemon/alerts/sink.h"
#include "daemon/event_log.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon {

class AlertOutput {
 public:
  // `file` and `feed` may be null.
  AlertOutput(telemetry::Registry& metrics, EventLog* file, transport::Publisher* feed);

  // The alert must carry event.kind "alert" and rule.id; event.severity and site.id label the
  // counter when present.
  void emit(const Event& alert);

  uint64_t emitted() const { return emitted_; }

  // The alert sinks (daemon/alerts/sink.h); null for none. Must outlive this object.
  void set_dispatcher(alerts::Dispatcher* dispatcher) { dispatcher_ = dispatcher; }

 private:
  telemetry::Counter& counter(std::string_view rule, int64_t severity, std::string_view site);

  telemetry::Registry& metrics_;
  EventLog* file_;
  transport::Publisher* feed_;
  std::map<std::tuple<std::string, int64_t, std::string>, telemetry::Counter, std::less<>> counters_;
  std::string line_;
  uint64_t emitted_ = 0;
  alerts::Dispatcher* dispatcher_ = nullptr;
  int64_t stopgap_ids_ = 0;
};

}  // namespace soc::daemon
