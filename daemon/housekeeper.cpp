#include "daemon/housekeeper.h"

#include <chrono>

#include "core/log.h"

namespace soc::daemon {

namespace {
// 100 µs to 30 s: a province's evaluation takes milliseconds, a country's a second.
const std::vector<double> kJobBuckets = {1e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1, 5, 30};
}  // namespace

Housekeeper::Housekeeper(telemetry::Registry& metrics, size_t max_jobs) : metrics_(metrics), max_jobs_(max_jobs) {
  const telemetry::Labels queue{{"queue", "housekeeping"}};
  depth_ = metrics.gauge("soc_queue_depth", "Items waiting in one of the correlator's bounded queues.", queue);
  metrics.gauge("soc_queue_limit", "The bound of one of the correlator's queues (items).", queue)
      .set(static_cast<double>(max_jobs));
  dropped_ = metrics.counter("soc_queue_dropped_total",
                             "Items dropped because one of the correlator's bounded queues was full.", queue);
  thread_ = std::thread([this] { run(); });
}

Housekeeper::~Housekeeper() { stop(); }

telemetry::Histogram& Housekeeper::histogram(const std::string& name) {
  auto it = durations_.find(name);
  if (it == durations_.end()) {
    it = durations_
             .emplace(name, metrics_.histogram("soc_housekeeping_job_seconds",
                                               "Time the correlator's housekeeping thread spent on one job.",
                                               {{"job", name}}, kJobBuckets))
             .first;
  }
  return it->second;
}

bool Housekeeper::post(const std::string& name, std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || jobs_.size() >= max_jobs_) {
      dropped_.inc();
      return false;
    }
    jobs_.emplace_back(name, std::move(job));
    depth_.set(static_cast<double>(jobs_.size()));
  }
  wake_.notify_one();
  return true;
}

void Housekeeper::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return jobs_.empty() && !busy_; });
}

void Housekeeper::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Housekeeper::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) break;  // stopping, and nothing left
    auto [name, job] = std::move(jobs_.front());
    jobs_.pop_front();
    depth_.set(static_cast<double>(jobs_.size()));
    busy_ = true;
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    try {
      job();
    } catch (const std::exception& e) {
      // A job is our own code: an exception is a bug, but it must not take the correlator down.
      log::error("housekeeping", "job {} failed: {}", name, e.what());
    }
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    lock.lock();
    histogram(name).observe(took);
    busy_ = false;
    if (jobs_.empty()) idle_.notify_all();
  }
  busy_ = false;
  idle_.notify_all();
}

}  // namespace soc::daemon
