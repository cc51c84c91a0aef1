// The contract between the alert store and the alert sinks (issue 10; ADR 0018, "Threads").
//
// Every alert, from a rule or from the baseline, takes one path: AlertOutput::emit() on the
// ingest thread hands it to the alert store, which folds repeats of the same rule and group into
// one alert, commits it, and turns what changed into a Notice. The Dispatcher gives each Notice to
// every sink through that sink's own bounded queue, served by the sink's own worker thread, with
// retries and backoff: a slow or dead sink never slows the ingest thread or the other sinks, and
// what a sink's queue cannot hold is dropped and counted
// (soc_alert_deliveries_total{sink,result}, soc_alert_queue_depth{sink}).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "core/clock.h"
#include "core/event.h"
#include "core/result.h"

namespace soc::daemon::alerts {

enum class NoticeKind {
  Firing,        // a new alert
  Repeat,        // an open alert seen again (count and last_seen grew)
  Acknowledged,  // an analyst acknowledged it (API)
  Resolved,      // its condition cleared, or its suppression window ended without a repeat
};
std::string_view to_string(NoticeKind k);

struct Notice {
  NoticeKind kind = NoticeKind::Firing;
  int64_t id = 0;      // the store's id: /api/v1/alerts/ID
  uint64_t count = 1;  // occurrences folded into the alert
  Timestamp first_seen{}, last_seen{};
  std::optional<Timestamp> resolved_at;
  // The alert event of the latest occurrence, as the rule or the baseline raised it and the
  // store completed it (rule.name, severity number and word, site, group-by and key fields).
  Event alert;
  // A Firing or Repeat notice published again for an alert still open when the correlator
  // starts: sinks that keep state (Alertmanager's re-sends) take it in, sinks that record what
  // happened (the alert log, the webhook) skip it.
  bool restated = false;
};

// The error code of Sink::deliver() for a batch the peer refused and would refuse again.
inline constexpr std::string_view kRejected = "rejected";

class Sink {
 public:
  virtual ~Sink() = default;
  // The metric label: "log", "alertmanager", "webhook", ...
  virtual std::string_view name() const = 0;
  // Delivers notices in order, on this sink's worker thread only. An error means the batch was
  // not delivered: the dispatcher retries it with backoff, keeping the order. An error with code
  // kRejected means a retry cannot help (the peer refused the content, e.g. HTTP 400): the batch
  // is counted as failed and not retried.
  virtual Result<void> deliver(std::span<const Notice> batch) = 0;
  // The most notices one deliver() call takes (1 for a sink that makes one request per notice,
  // so that a retry never repeats a notice the peer already took).
  virtual size_t max_batch() const { return 64; }
  // Called on the worker thread when its queue is idle, at least once a second (for periodic
  // work such as re-sending firing alerts to Alertmanager).
  virtual void idle(Timestamp /*now*/) {}
  // Called from another thread when the dispatcher stops and its drain time is over while
  // deliver() still runs: deliver() should return soon (an HTTP sink aborts its request).
  virtual void abandon() {}
};

// Hands notices to every sink. Thread-safe; publish() never blocks on a sink.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  virtual void publish(const Notice& notice) = 0;
  // The same, taking the notice over instead of copying it (the ingest thread's cheaper path).
  virtual void publish(Notice&& notice) { publish(static_cast<const Notice&>(notice)); }
  // Says that a burst of publish() calls is over (the alerts of one batch are committed): the
  // sinks start on what was published now rather than at their next look. Cheap when nothing was
  // published since the last call; any thread.
  virtual void wake() {}
};

}  // namespace soc::daemon::alerts
