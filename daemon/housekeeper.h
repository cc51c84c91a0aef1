// The correlator's housekeeping thread (docs/adr/0018 "Threads", 0030): what is periodic and
// may be slow runs here, off the event-to-alert path: the baseline's evaluation, writing
// snapshots, and whatever else is posted. Jobs run one at a time, in the order posted.
//
// The queue is bounded (soc_queue_depth{queue="housekeeping"}, soc_queue_limit): post() never
// waits; when the queue is full the job is not queued, it is counted
// (soc_queue_dropped_total{queue="housekeeping"}) and the caller tries again at its next period.
// Each job's duration is observed in soc_housekeeping_job_seconds{job}.
//
// Thread-safe. The destructor runs the jobs already queued, then joins the thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/telemetry/metrics.h"

namespace soc::daemon {

class Housekeeper {
 public:
  explicit Housekeeper(telemetry::Registry& metrics, size_t max_jobs = 64);
  ~Housekeeper();
  Housekeeper(const Housekeeper&) = delete;
  Housekeeper& operator=(const Housekeeper&) = delete;

  // Queues `job` under `name` (a metric label: a fixed word). False when the queue is full.
  bool post(const std::string& name, std::function<void()> job);
  // Waits until every job posted before the call has run (tests, shutdown).
  void wait_idle();
  // Runs what is queued, then ends the thread; post() refuses afterwards.
  void stop();

 private:
  void run();
  telemetry::Histogram& histogram(const std::string& name);

  telemetry::Registry& metrics_;
  const size_t max_jobs_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<std::pair<std::string, std::function<void()>>> jobs_;
  bool busy_ = false;
  bool stopping_ = false;
  std::map<std::string, telemetry::Histogram> durations_;
  telemetry::Gauge depth_;
  telemetry::Counter dropped_;
  std::thread thread_;
};

}  // namespace soc::daemon
