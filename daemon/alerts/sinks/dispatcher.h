// The Dispatcher of daemon/alerts/sink.h: one bounded queue and one worker thread per sink
// (docs/adr/0022-alert-sinks.md).
//
// publish() copies the notice once (or takes it over), appends it to every sink's queue and
// returns: it takes each queue's mutex for a push, wakes no thread, and never waits for a sink.
// wake(), called once the publisher's burst is over (the correlator: once per committed batch),
// wakes the workers that have something queued, so a notice does not wait for a tick; an idle
// worker also looks at its queue every `poll` (10 ms), for a publisher that never calls wake().
// Each worker takes up to the sink's
// max_batch() notices from the front of its queue and delivers them; a failed batch is retried,
// with exponential backoff and jitter, before any later notice, so a sink sees notices in publish
// order. A batch is given up ("failed") when the sink rejects it (kRejected) or when it has been
// retried for longer than `give_up_after`.
//
// Bounds: a queue holds at most `capacity` notices, counting the batch in flight. When it is full,
// publish() drops the oldest queued notice to make room (the newest state of an alert matters
// more than an old one) and counts it. When every slot is in flight, the new notice is dropped.
//
// Accounting, per sink: soc_alert_deliveries_total{sink,result} with result ok (delivered),
// retry (a failed attempt, per notice of the batch), dropped (queue full, or abandoned at stop),
// failed (given up); soc_alert_queue_depth{sink} (queued + in flight).
//
// Thread-safety: publish(), stats() and depth() from any thread; add() and start() before the
// first publish(), from one thread; stop() once, from the owning thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/alerts/sink.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon::alerts::sinks {

struct DispatcherOptions {
  size_t capacity = 10'000;  // notices per sink, queued + in flight (--alert-queue-size)
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30'000};
  std::chrono::milliseconds give_up_after{600'000};  // of retrying one batch (--alert-retry-for)
  std::chrono::milliseconds idle_period{1'000};      // Sink::idle() at least this often
  std::chrono::milliseconds drain{5'000};            // stop(): how long the workers may drain
  // How often an idle worker looks at its queue: publish() wakes nobody, so without a wake() a
  // notice waits up to this long before its sink sees it, and what arrives meanwhile goes in one
  // batch.
  std::chrono::milliseconds poll{10};
};

class QueueDispatcher final : public Dispatcher {
 public:
  struct Stats {
    std::string sink;
    uint64_t ok = 0, retry = 0, dropped = 0, failed = 0;
    size_t depth = 0;
  };

  // `metrics` may be null (socctl); otherwise it must outlive the dispatcher.
  QueueDispatcher(telemetry::Registry* metrics, DispatcherOptions options);
  ~QueueDispatcher() override;  // stop() when still running
  QueueDispatcher(const QueueDispatcher&) = delete;
  QueueDispatcher& operator=(const QueueDispatcher&) = delete;

  // Adds a sink (before start()). Its name() labels the metrics and must be unique.
  void add(std::unique_ptr<Sink> sink);
  void start();

  void publish(const Notice& notice) override;
  void publish(Notice&& notice) override;
  // One futex wake per sink with queued notices, none when nothing was published since the last.
  void wake() override;

  // Stops taking notices (later ones are counted dropped), lets every worker deliver what is
  // queued for up to `drain`, then abandons the rest (counted dropped) and joins the workers. A
  // worker still inside a sink call then is asked to end it (Sink::abandon(): an HTTP sink aborts
  // its request), so stop() takes about `drain` at most, whatever the peers do.
  void stop();

  std::vector<Stats> stats() const;
  size_t sinks() const { return lanes_.size(); }

  struct Lane;

 private:
  telemetry::Registry* metrics_;
  DispatcherOptions options_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  bool started_ = false, stopped_ = false;
  std::atomic<bool> published_{false};  // since the last wake()
};

}  // namespace soc::daemon::alerts::sinks
