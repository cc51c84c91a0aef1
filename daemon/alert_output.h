// The correlator's one alert path. Rules (daemon/rules) and the baseline (daemon/inventory) hand
// their alerts here; each alert is appended to --alerts-out (JSON lines, flushed per alert: an
// alert is rare and must not wait in a buffer), published on the live feed under the topic
// "alert" (`socctl tail --alerts`), and counted in soc_alerts_total{rule,severity,site}.
//
// Threads: emit() may be called from any thread (the ingest thread for rules, the housekeeping
// thread for the baseline; docs/adr/0018 "Threads"); it is serialised by a mutex. The live feed
// is a ZeroMQ socket that only its owner thread (the one that constructed the output) may use:
// alerts emitted elsewhere wait in a bounded queue (soc_queue_depth{queue="alert_feed"}) until
// the owner calls pump(). commit() is the hook the ingest thread calls before it acknowledges a
// batch (ADR 0018, "What an acknowledgement promises"): the alert store commits there (issue 10).
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>

#include "core/event.h"
#include "core/transport/publisher.h"
#include "daemon/event_log.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon {

class AlertOutput {
 public:
  // `file` and `feed` may be null.
  AlertOutput(telemetry::Registry& metrics, EventLog* file, transport::Publisher* feed);

  // The alert must carry event.kind "alert" and rule.id; event.severity and site.id label the
  // counter when present. Any thread.
  void emit(const Event& alert);

  // True when every alert emitted so far is where the correlator promised it (--alerts-out
  // written; later, the alert store committed). A failure is counted
  // (soc_write_errors_total{output="alerts-out"}) and the alerts are kept and tried again on the
  // next commit(). Any thread; the ingest thread calls it before each acknowledgement.
  bool commit();

  // The owner thread: publishes the alerts other threads emitted. Cheap when there are none.
  void pump();

  uint64_t emitted() const { return emitted_.load(std::memory_order_relaxed); }

  static constexpr size_t kMaxQueuedForFeed = 1024;

 private:
  telemetry::Counter& counter(std::string_view rule, int64_t severity, std::string_view site);
  bool write_file(std::string_view line);

  telemetry::Registry& metrics_;
  EventLog* file_;
  transport::Publisher* feed_;
  const std::thread::id owner_ = std::this_thread::get_id();
  std::mutex mutex_;  // everything below
  std::map<std::tuple<std::string, int64_t, std::string>, telemetry::Counter, std::less<>> counters_;
  std::string line_;
  std::deque<std::string> for_feed_;  // encoded alerts emitted off the owner thread
  telemetry::Gauge feed_depth_;
  telemetry::Counter feed_dropped_, write_errors_;
  std::atomic<bool> queued_{false};
  std::atomic<uint64_t> emitted_{0};
};

}  // namespace soc::daemon
