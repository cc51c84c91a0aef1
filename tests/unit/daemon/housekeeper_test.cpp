// The housekeeping thread: jobs run off the caller's thread, in order; the queue is bounded and
// says when it refuses.
#include "daemon/housekeeper.h"

#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

using soc::daemon::Housekeeper;

TEST_CASE("jobs run in order on another thread") {
  soc::daemon::telemetry::Registry metrics;
  Housekeeper hk(metrics);
  std::vector<int> order;
  std::thread::id where;
  for (int i = 0; i < 5; ++i) REQUIRE(hk.post("test", [&, i] {
    order.push_back(i);
    where = std::this_thread::get_id();
  }));
  hk.wait_idle();
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(where != std::this_thread::get_id());
  CHECK(metrics.serialize().find("soc_housekeeping_job_seconds_count{job=\"test\"} 5") != std::string::npos);
}

TEST_CASE("a full queue refuses a job at once and counts it; stop() runs what was queued") {
  soc::daemon::telemetry::Registry metrics;
  Housekeeper hk(metrics, 2);
  std::promise<void> release, started;
  auto gate = release.get_future().share();
  std::atomic<int> ran{0};
  REQUIRE(hk.post("block", [gate, &started] {
    started.set_value();
    gate.wait();
  }));
  started.get_future().wait();  // the blocking job is running: the queue is empty
  int queued = 0;
  while (hk.post("count", [&] { ++ran; })) ++queued;
  CHECK(queued == 2);
  CHECK(metrics.serialize().find("soc_queue_dropped_total{queue=\"housekeeping\"} 1") != std::string::npos);
  release.set_value();
  hk.stop();
  CHECK(ran == queued);
  CHECK_FALSE(hk.post("late", [] {}));
}
