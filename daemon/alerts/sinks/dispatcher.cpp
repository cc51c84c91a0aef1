#include "daemon/alerts/sinks/dispatcher.h"

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "core/log.h"

namespace soc::daemon::alerts::sinks {

namespace {
using Clock = std::chrono::steady_clock;
constexpr const char* kDeliveriesHelp =
    "Alert notices per sink by result: ok (delivered), retry (a failed attempt), dropped (queue full or "
    "abandoned at shutdown), failed (given up).";
}  // namespace

struct QueueDispatcher::Lane {
  std::unique_ptr<Sink> sink;
  std::string name;
  size_t max_batch = 1;
  size_t capacity = 1;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::shared_ptr<const Notice>> queue;  // guarded by mu
  size_t in_flight = 0;                             // guarded by mu
  bool stopping = false;                            // guarded by mu
  bool done = false;                                // guarded by mu: the worker returned
  Clock::time_point drain_deadline{};               // guarded by mu

  std::atomic<uint64_t> ok{0}, retry{0}, dropped{0}, failed{0};
  telemetry::Counter ok_total, retry_total, dropped_total, failed_total;
  telemetry::Gauge depth_gauge;
  std::thread worker;
  std::minstd_rand rng{std::random_device{}()};
  bool failing = false;  // worker only: an outage is logged once, and its end

  void count(std::atomic<uint64_t>& n, telemetry::Counter& c, size_t k) {
    n += k;
    if (c) c.inc(static_cast<double>(k));
  }
  void set_depth_locked() {
    if (depth_gauge) depth_gauge.set(static_cast<double>(queue.size() + in_flight));
  }

  void push(std::shared_ptr<const Notice> notice);
  void run(const DispatcherOptions& o);
  void work(const DispatcherOptions& o);
  void deliver_with_retry(const std::vector<Notice>& batch, const DispatcherOptions& o);
  Clock::duration backoff(int attempt, const DispatcherOptions& o);
};

QueueDispatcher::QueueDispatcher(telemetry::Registry* metrics, DispatcherOptions options)
    : metrics_(metrics), options_(options) {
  if (options_.capacity == 0) options_.capacity = 1;
}

QueueDispatcher::~QueueDispatcher() {
  if (started_ && !stopped_) stop();
}

void QueueDispatcher::add(std::unique_ptr<Sink> sink) {
  assert(!started_);
  auto lane = std::make_unique<Lane>();
  lane->name = std::string(sink->name());
  lane->max_batch = std::max<size_t>(1, sink->max_batch());
  lane->capacity = options_.capacity;
  lane->sink = std::move(sink);
  if (metrics_) {
    auto counter = [&](const char* result) {
      return metrics_->counter("soc_alert_deliveries_total", kDeliveriesHelp, {{"sink", lane->name}, {"result", result}});
    };
    lane->ok_total = counter("ok");
    lane->retry_total = counter("retry");
    lane->dropped_total = counter("dropped");
    lane->failed_total = counter("failed");
    lane->depth_gauge = metrics_->gauge("soc_alert_queue_depth", "Alert notices waiting for a sink, in flight included.",
                                        {{"sink", lane->name}});
  }
  lanes_.push_back(std::move(lane));
}

void QueueDispatcher::start() {
  assert(!started_);
  started_ = true;
  for (auto& l : lanes_) {
    Lane* lane = l.get();
    lane->worker = std::thread([lane, o = options_] { lane->run(o); });
  }
}

void QueueDispatcher::publish(const Notice& notice) {
  if (lanes_.empty()) return;
  auto shared = std::make_shared<const Notice>(notice);
  for (auto& l : lanes_) l->push(shared);
  published_.store(true, std::memory_order_release);
}

void QueueDispatcher::publish(Notice&& notice) {
  if (lanes_.empty()) return;
  auto shared = std::make_shared<const Notice>(std::move(notice));
  for (auto& l : lanes_) l->push(shared);
  published_.store(true, std::memory_order_release);
}

void QueueDispatcher::wake() {
  if (!published_.exchange(false, std::memory_order_acq_rel)) return;
  for (auto& l : lanes_) {
    bool queued;
    {
      std::lock_guard lk(l->mu);
      queued = !l->queue.empty();
    }
    // A worker busy delivering is not waiting: no futex call then (glibc checks for waiters).
    if (queued) l->cv.notify_all();
  }
}

void QueueDispatcher::Lane::push(std::shared_ptr<const Notice> notice) {
  {
    std::lock_guard lk(mu);
    if (stopping) {
      count(dropped, dropped_total, 1);
      return;
    }
    if (queue.size() + in_flight >= capacity) {
      // Full: the oldest queued notice makes room; with everything in flight, the new one goes.
      const bool room = !queue.empty();
      if (room) queue.pop_front();
      count(dropped, dropped_total, 1);
      const uint64_t d = dropped.load();
      if (d == 1 || d % 1000 == 0)
        log::warn("alerts", "sink {}: queue full ({} notices): {} dropped so far (oldest first)", name, capacity, d);
      if (!room) return;
    }
    queue.push_back(std::move(notice));
    set_depth_locked();
  }
  // No wake-up per notice (a futex call and a context switch per alert were most of what the
  // sinks cost the publishing thread; bench/README.md, "Alert sinks"): wake() once per burst.
}

void QueueDispatcher::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  const auto deadline = Clock::now() + options_.drain;
  for (auto& l : lanes_) {
    {
      std::lock_guard lk(l->mu);
      l->stopping = true;
      l->drain_deadline = deadline;
    }
    l->cv.notify_all();
  }
  for (auto& l : lanes_) {
    {
      // A worker still inside its sink after the drain time is asked to give up the call.
      std::unique_lock lk(l->mu);
      if (!l->cv.wait_until(lk, deadline, [&] { return l->done; })) {
        lk.unlock();
        l->sink->abandon();
      }
    }
    if (l->worker.joinable()) l->worker.join();
  }
}

std::vector<QueueDispatcher::Stats> QueueDispatcher::stats() const {
  std::vector<Stats> out;
  for (const auto& l : lanes_) {
    Stats s;
    s.sink = l->name;
    s.ok = l->ok;
    s.retry = l->retry;
    s.dropped = l->dropped;
    s.failed = l->failed;
    {
      std::lock_guard lk(l->mu);
      s.depth = l->queue.size() + l->in_flight;
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Exponential, with "equal jitter": half the step for sure, the other half at random, so that
// several correlators (or sinks) that failed together do not retry in step.
Clock::duration QueueDispatcher::Lane::backoff(int attempt, const DispatcherOptions& o) {
  const int shift = std::min(attempt - 1, 20);
  const auto step = std::min<std::chrono::milliseconds>(o.backoff_max, o.backoff_initial * (int64_t{1} << shift));
  const int64_t half = std::max<int64_t>(1, step.count() / 2);
  std::uniform_int_distribution<int64_t> jitter(0, half);
  return std::chrono::milliseconds(half + jitter(rng));
}

void QueueDispatcher::Lane::run(const DispatcherOptions& o) {
  work(o);
  {
    std::lock_guard lk(mu);
    done = true;
  }
  cv.notify_all();
}

void QueueDispatcher::Lane::work(const DispatcherOptions& o) {
  std::vector<std::shared_ptr<const Notice>> taken;
  std::vector<Notice> batch;
  auto next_idle = Clock::now() + o.idle_period;
  for (;;) {
    {
      std::unique_lock lk(mu);
      // Polls: what arrived meanwhile makes one batch (one request, one fsync). stop() wakes it.
      while (queue.empty() && !stopping && Clock::now() < next_idle)
        cv.wait_until(lk, std::min(next_idle, Clock::now() + o.poll));
      if (queue.empty()) {
        if (stopping) return;
        lk.unlock();
        sink->idle(now());
        next_idle = Clock::now() + o.idle_period;
        continue;
      }
      if (stopping && Clock::now() >= drain_deadline) {
        const size_t left = queue.size();
        queue.clear();
        set_depth_locked();
        lk.unlock();
        count(dropped, dropped_total, left);
        log::warn("alerts", "sink {}: {} notices abandoned at shutdown (not delivered within the drain time)", name, left);
        return;
      }
      const size_t n = std::min(queue.size(), max_batch);
      for (size_t i = 0; i < n; ++i) {
        taken.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      in_flight = n;
    }
    // Copied outside the lock: publish() never waits for a worker's copying.
    batch.clear();
    for (const auto& p : taken) batch.push_back(*p);
    taken.clear();
    deliver_with_retry(batch, o);
    {
      std::lock_guard lk(mu);
      in_flight = 0;
      set_depth_locked();
    }
    // A busy queue must not starve the periodic work (Alertmanager's re-sends).
    if (Clock::now() >= next_idle) {
      sink->idle(now());
      next_idle = Clock::now() + o.idle_period;
    }
  }
}

void QueueDispatcher::Lane::deliver_with_retry(const std::vector<Notice>& batch, const DispatcherOptions& o) {
  const size_t n = batch.size();
  const auto first = Clock::now();
  for (int attempt = 1;; ++attempt) {
    auto r = sink->deliver(std::span<const Notice>(batch));
    if (r) {
      count(ok, ok_total, n);
      if (failing) log::info("alerts", "sink {}: delivering again", name);
      failing = false;
      return;
    }
    if (r.error().code == kRejected) {
      count(failed, failed_total, n);
      log::error("alerts", "sink {}: {} notices refused, not retried: {}", name, n, r.error().message);
      return;
    }
    count(retry, retry_total, n);
    if (!failing) log::warn("alerts", "sink {}: cannot deliver: {}; retrying with backoff", name, r.error().message);
    failing = true;
    auto delay = backoff(attempt, o);
    if (Clock::now() + delay - first > o.give_up_after) {
      count(failed, failed_total, n);
      log::error("alerts", "sink {}: {} notices given up after {} attempts in {} s: {}", name, n, attempt,
                 std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - first).count(), r.error().message);
      return;
    }
    std::unique_lock lk(mu);
    auto wake = Clock::now() + delay;
    bool shortened = false;
    for (;;) {
      // While draining, retry sooner: at most a quarter of the drain time between attempts.
      if (stopping && !shortened) {
        wake = std::min<Clock::time_point>(wake, Clock::now() + o.drain / 4);
        shortened = true;
      }
      const auto until = stopping ? std::min(wake, drain_deadline) : wake;
      if (Clock::now() >= until) break;
      cv.wait_until(lk, until);
    }
    if (stopping && Clock::now() >= drain_deadline) {
      lk.unlock();
      count(dropped, dropped_total, n);
      log::warn("alerts", "sink {}: {} notices in flight abandoned at shutdown: {}", name, n, r.error().message);
      return;
    }
  }
}

}  // namespace soc::daemon::alerts::sinks
