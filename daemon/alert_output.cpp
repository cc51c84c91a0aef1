#include "daemon/alert_output.h"

#include "core/json_codec.h"

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
    : metrics_(metrics), file_(file), feed_(feed) {
  const telemetry::Labels queue{{"queue", "alert_feed"}};
  feed_depth_ = metrics.gauge("soc_queue_depth", "Items waiting in one of the correlator's bounded queues.", queue);
  metrics.gauge("soc_queue_limit", "The bound of one of the correlator's queues (items).", queue)
      .set(static_cast<double>(kMaxQueuedForFeed));
  feed_dropped_ = metrics.counter("soc_queue_dropped_total",
                                  "Items dropped because one of the correlator's bounded queues was full.", queue);
  write_errors_ = metrics.counter("soc_write_errors_total",
                                  "Writes of an output that failed (disk full, I/O error); the data is kept and "
                                  "written again, and what it belongs to is not acknowledged meanwhile.",
                                  {{"output", "alerts-out"}});
}

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

bool AlertOutput::write_file(std::string_view line) {
  if (!file_->write(line) || !file_->flush()) {
    write_errors_.inc();
    return false;
  }
  return true;
}

void AlertOutput::emit(const Event& alert) {
  const bool on_owner = std::this_thread::get_id() == owner_;
  std::lock_guard lock(mutex_);
  emitted_.fetch_add(1, std::memory_order_relaxed);
  const Value* sev = alert.find("event.severity");
  counter(alert.get_string("rule.id"), sev && sev->is_int() ? sev->as_int() : 0, alert.get_string("site.id")).inc();
  const bool to_file = file_ && file_->is_open();
  // Off the owner thread, wanted() must not be asked (the owner updates the subscriptions).
  const bool to_feed = feed_ && (!on_owner || feed_->wanted("alert"));
  if (!to_file && !to_feed) return;
  line_.clear();
  encode_event(alert, line_);
  if (to_file) write_file(line_);
  if (!to_feed) return;
  if (on_owner) {
    feed_->publish("alert", line_);
  } else if (for_feed_.size() >= kMaxQueuedForFeed) {
    feed_dropped_.inc();
  } else {
    for_feed_.push_back(line_);
    feed_depth_.set(static_cast<double>(for_feed_.size()));
    queued_.store(true, std::memory_order_release);
  }
}

bool AlertOutput::commit() {
  std::lock_guard lock(mutex_);
  if (!file_ || !file_->is_open() || file_->pending_bytes() == 0) return true;
  if (file_->flush()) return true;
  write_errors_.inc();
  return false;
}

void AlertOutput::pump() {
  if (!queued_.load(std::memory_order_acquire)) return;
  std::deque<std::string> lines;
  {
    std::lock_guard lock(mutex_);
    lines.swap(for_feed_);
    queued_.store(false, std::memory_order_relaxed);
    feed_depth_.set(0);
  }
  if (!feed_->wanted("alert")) return;
  for (const auto& l : lines) feed_->publish("alert", l);
}

}  // namespace soc::daemon
