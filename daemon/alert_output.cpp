#include "daemon/alert_output.h"

#include "core/json_codec.h"
#include "daemon/alerts/sinks/notice_json.h"

namespace soc::daemon {

namespace {
// Prometheus label values for event.severity, as the ECS/Sigma levels read.
std::string severity_label(int64_t severity) {
  switch (severity) {
    case 1: return "informational";
    case 2: return "low";
    case 3: return "medium";
    case 4: return "high";
    case 5: return "critical";
    default: return "unknown";
  }
}
}  // namespace

AlertOutput::AlertOutput(telemetry::Registry& metrics, EventLog* file, transport::Publisher* feed)
    : metrics_(metrics), file_(file), feed_(feed) {}

telemetry::Counter& AlertOutput::counter(std::string_view rule, int64_t severity, std::string_view site) {
  auto key = std::make_tuple(std::string(rule), severity, std::string(site));
  auto it = counters_.find(key);
  if (it == counters_.end()) {
    it = counters_
             .emplace(key, metrics_.counter("soc_alerts_total", "Alerts raised by the correlator (rules and baseline).",
                                            {{"rule", std::string(rule)},
                                             {"severity", severity_label(severity)},
                                             {"site", std::string(site)}}))
             .first;
  }
  return it->second;
}

void AlertOutput::emit(const Event& alert) {
  ++emitted_;
  const Value* sev = alert.find("event.severity");
  counter(alert.get_string("rule.id"), sev && sev->is_int() ? sev->as_int() : 0, alert.get_string("site.id")).inc();
  // STOP-GAP (issue 10, part B) until the alert store publishes the notices: one Firing notice
  // per alert, its id from a counter (no folding, no resolution). Goes when the store lands.
  if (dispatcher_) dispatcher_->publish(alerts::sinks::firing_notice(alert, ++stopgap_ids_));  // moved, not copied
  const bool to_file = file_ && file_->is_open();
  const bool to_feed = feed_ && feed_->wanted("alert");
  if (!to_file && !to_feed) return;
  line_.clear();
  encode_event(alert, line_);
  if (to_file) {
    file_->write(line_);
    file_->flush();
  }
  if (to_feed) feed_->publish("alert", line_);
}

}  // namespace soc::daemon
