#include "daemon/alerts/sinks/dispatcher.h"

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace soc::daemon::alerts;
using namespace soc::daemon::alerts::sinks;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

Notice notice(int64_t id) {
  Notice n;
  n.id = id;
  n.alert.set("rule.id", "r" + std::to_string(id));
  return n;
}

// Records what it was given; fails the first `failures` calls (with `code`); can be made to hang
// until released.
class FakeSink : public Sink {
 public:
  explicit FakeSink(std::string name, size_t batch = 64) : name_(std::move(name)), batch_(batch) {}
  std::string_view name() const override { return name_; }
  size_t max_batch() const override { return batch_; }

  soc::Result<void> deliver(std::span<const Notice> batch) override {
    std::unique_lock lk(mu_);
    ++calls_;
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lk, [&] { return !hang_; });
    if (failures_ > 0) {
      --failures_;
      return soc::fail(code_, "refused on purpose");
    }
    for (const auto& n : batch) got_.push_back(n.id);
    batches_.push_back(batch.size());
    cv_.notify_all();
    return {};
  }
  void abandon() override { hang(false); }
  void idle(soc::Timestamp) override {
    std::lock_guard lk(mu_);
    ++idles_;
  }

  void fail_next(int n, std::string code = "http") {
    std::lock_guard lk(mu_);
    failures_ = n;
    code_ = std::move(code);
  }
  void hang(bool on) {
    std::lock_guard lk(mu_);
    hang_ = on;
    cv_.notify_all();
  }
  // Waits until deliver() was entered (hanging or not).
  bool wait_entered(std::chrono::milliseconds limit) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, limit, [&] { return entered_; });
  }
  bool wait_for(size_t n, std::chrono::milliseconds limit) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, limit, [&] { return got_.size() >= n; });
  }
  std::vector<int64_t> got() {
    std::lock_guard lk(mu_);
    return got_;
  }
  std::vector<size_t> batches() {
    std::lock_guard lk(mu_);
    return batches_;
  }
  int calls() {
    std::lock_guard lk(mu_);
    return calls_;
  }
  int idles() {
    std::lock_guard lk(mu_);
    return idles_;
  }

 private:
  std::string name_;
  size_t batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> got_;
  std::vector<size_t> batches_;
  int failures_ = 0, calls_ = 0, idles_ = 0;
  std::string code_ = "http";
  bool hang_ = false, entered_ = false;
};

DispatcherOptions fast() {
  DispatcherOptions o;
  o.backoff_initial = 1ms;
  o.backoff_max = 4ms;
  o.idle_period = 50ms;
  o.drain = 2000ms;
  return o;
}

QueueDispatcher::Stats stats_of(const QueueDispatcher& d, std::string_view sink) {
  for (const auto& s : d.stats())
    if (s.sink == sink) return s;
  FAIL("no sink " << sink);
  return {};
}

std::vector<int64_t> range(int64_t from, int64_t to) {
  std::vector<int64_t> v;
  for (int64_t i = from; i <= to; ++i) v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("every sink gets every notice in publish order, in batches of at most its max_batch") {
  QueueDispatcher d(nullptr, fast());
  auto a = std::make_unique<FakeSink>("a", 7);
  auto b = std::make_unique<FakeSink>("b", 1);
  FakeSink *pa = a.get(), *pb = b.get();
  d.add(std::move(a));
  d.add(std::move(b));
  d.start();
  for (int64_t i = 1; i <= 200; ++i) d.publish(notice(i));
  REQUIRE(pa->wait_for(200, 5s));
  REQUIRE(pb->wait_for(200, 5s));
  CHECK(pa->got() == range(1, 200));
  CHECK(pb->got() == range(1, 200));
  for (size_t n : pa->batches()) CHECK(n <= 7);
  for (size_t n : pb->batches()) CHECK(n == 1);
  d.stop();
  CHECK(stats_of(d, "a").ok == 200);
  CHECK(stats_of(d, "b").ok == 200);
  CHECK(stats_of(d, "a").depth == 0);
}

TEST_CASE("a sink that fails N times gets the batch again, then the rest, in order and once each") {
  QueueDispatcher d(nullptr, fast());
  auto s = std::make_unique<FakeSink>("flaky", 1);
  FakeSink* p = s.get();
  p->fail_next(5);
  d.add(std::move(s));
  d.start();
  for (int64_t i = 1; i <= 10; ++i) d.publish(notice(i));
  REQUIRE(p->wait_for(10, 5s));
  d.stop();
  CHECK(p->got() == range(1, 10));
  CHECK(p->calls() == 15);
  const auto st = stats_of(d, "flaky");
  CHECK(st.ok == 10);
  CHECK(st.retry == 5);
  CHECK(st.failed == 0);
  CHECK(st.dropped == 0);
}

TEST_CASE("a refused batch is counted failed and not retried; the next notices go on") {
  QueueDispatcher d(nullptr, fast());
  auto s = std::make_unique<FakeSink>("strict", 1);
  FakeSink* p = s.get();
  p->fail_next(1, std::string(kRejected));
  d.add(std::move(s));
  d.start();
  for (int64_t i = 1; i <= 3; ++i) d.publish(notice(i));
  REQUIRE(p->wait_for(2, 5s));
  d.stop();
  CHECK(p->got() == std::vector<int64_t>{2, 3});
  CHECK(stats_of(d, "strict").failed == 1);
  CHECK(stats_of(d, "strict").retry == 0);
}

TEST_CASE("a batch retried for longer than give_up_after is counted failed") {
  auto o = fast();
  o.backoff_initial = 20ms;
  o.backoff_max = 20ms;
  o.give_up_after = 100ms;
  QueueDispatcher d(nullptr, o);
  auto s = std::make_unique<FakeSink>("dead", 1);
  FakeSink* p = s.get();
  p->fail_next(1000);
  d.add(std::move(s));
  d.start();
  d.publish(notice(1));
  const auto deadline = Clock::now() + 5s;
  while (stats_of(d, "dead").failed == 0 && Clock::now() < deadline) std::this_thread::sleep_for(5ms);
  p->fail_next(0);
  d.publish(notice(2));
  REQUIRE(p->wait_for(1, 5s));
  d.stop();
  const auto st = stats_of(d, "dead");
  CHECK(st.failed == 1);
  CHECK(st.retry >= 3);  // 100 ms of 10-20 ms waits
  CHECK(p->got() == std::vector<int64_t>{2});
}

TEST_CASE("a full queue drops its oldest notices and counts them; the newest are delivered") {
  auto o = fast();
  o.capacity = 10;
  QueueDispatcher d(nullptr, o);
  auto s = std::make_unique<FakeSink>("slow", 64);
  FakeSink* p = s.get();
  p->hang(true);
  d.add(std::move(s));
  d.start();
  d.publish(notice(1));
  REQUIRE(p->wait_entered(5s));  // notice 1 is in flight, stuck
  for (int64_t i = 2; i <= 100; ++i) d.publish(notice(i));
  auto st = stats_of(d, "slow");
  CHECK(st.depth == 10);
  CHECK(st.dropped == 90);  // 99 published behind it, 9 places left
  p->hang(false);
  REQUIRE(p->wait_for(10, 5s));
  d.stop();
  std::vector<int64_t> want{1};
  for (int64_t i = 92; i <= 100; ++i) want.push_back(i);
  CHECK(p->got() == want);
  st = stats_of(d, "slow");
  CHECK(st.ok == 10);
  CHECK(st.dropped == 90);
}

TEST_CASE("publish stays fast while a sink hangs, and the other sinks keep delivering") {
  QueueDispatcher d(nullptr, fast());
  auto stuck = std::make_unique<FakeSink>("stuck", 64);
  auto fine = std::make_unique<FakeSink>("fine", 64);
  FakeSink *ps = stuck.get(), *pf = fine.get();
  ps->hang(true);
  d.add(std::move(stuck));
  d.add(std::move(fine));
  d.start();
  d.publish(notice(1));
  REQUIRE(ps->wait_entered(5s));
  // The hanging sink holds its worker for as long as the test wants; publish must not wait for it.
  Clock::duration slowest{};
  const auto start = Clock::now();
  for (int64_t i = 2; i <= 2000; ++i) {
    const auto t = Clock::now();
    d.publish(notice(i));
    slowest = std::max(slowest, Clock::now() - t);
  }
  const auto total = Clock::now() - start;
  REQUIRE(pf->wait_for(2000, 5s));
  CHECK(pf->got() == range(1, 2000));
  // Bounds far above a mutex and a copy (microseconds), far below the hang (until released).
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count() < 500);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(total).count() < 2000);
  CHECK(ps->got().empty());
  ps->hang(false);
  REQUIRE(ps->wait_for(2000, 5s));
  d.stop();
  CHECK(ps->got() == range(1, 2000));
}

TEST_CASE("stop delivers what is queued, and abandons a hanging sink's notices after the drain time") {
  auto o = fast();
  o.drain = 300ms;
  QueueDispatcher d(nullptr, o);
  auto stuck = std::make_unique<FakeSink>("stuck", 1);
  auto fine = std::make_unique<FakeSink>("fine", 1);
  FakeSink *ps = stuck.get(), *pf = fine.get();
  ps->fail_next(1'000'000);  // fails every time: never drains
  d.add(std::move(stuck));
  d.add(std::move(fine));
  d.start();
  for (int64_t i = 1; i <= 50; ++i) d.publish(notice(i));
  const auto t = Clock::now();
  d.stop();
  const auto took = Clock::now() - t;
  CHECK(pf->got() == range(1, 50));
  const auto st = stats_of(d, "stuck");
  CHECK(st.ok == 0);
  CHECK(st.dropped == 50);
  CHECK(st.depth == 0);
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 3000);
  d.publish(notice(51));  // after stop: counted, not queued
  CHECK(stats_of(d, "fine").dropped == 1);
}

TEST_CASE("stop asks a sink that hangs past the drain time to abandon its call") {
  auto o = fast();
  o.drain = 200ms;
  QueueDispatcher d(nullptr, o);
  auto s = std::make_unique<FakeSink>("hangs", 1);
  FakeSink* p = s.get();
  p->hang(true);  // until abandon()
  p->fail_next(1'000'000);
  d.add(std::move(s));
  d.start();
  for (int64_t i = 1; i <= 5; ++i) d.publish(notice(i));
  REQUIRE(p->wait_entered(5s));
  const auto t = Clock::now();
  d.stop();
  CHECK(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count() < 2000);
  const auto st = stats_of(d, "hangs");
  CHECK(st.dropped == 5);
  CHECK(st.ok == 0);
}

TEST_CASE("wake hands what was published to the sinks at once, not at their next look") {
  DispatcherOptions o = fast();
  o.poll = 10s;  // a worker left alone looks at its queue only every 10 s
  o.idle_period = 10s;
  QueueDispatcher d(nullptr, o);
  auto a = std::make_unique<FakeSink>("a");
  auto b = std::make_unique<FakeSink>("b");
  FakeSink *pa = a.get(), *pb = b.get();
  d.add(std::move(a));
  d.add(std::move(b));
  d.start();
  std::this_thread::sleep_for(50ms);  // both workers asleep
  d.publish(notice(1));
  CHECK_FALSE(pa->wait_for(1, 300ms));  // publish() alone wakes nobody
  d.publish(notice(2));
  const auto t = Clock::now();
  d.wake();
  REQUIRE(pa->wait_for(2, 5s));
  REQUIRE(pb->wait_for(2, 5s));
  CHECK(Clock::now() - t < 5s);
  CHECK(pa->got() == range(1, 2));
  d.wake();  // nothing new: no effect
  d.stop();
}

TEST_CASE("idle is called when the queue is quiet, and while it is busy") {
  QueueDispatcher d(nullptr, fast());
  auto s = std::make_unique<FakeSink>("s", 1);
  FakeSink* p = s.get();
  d.add(std::move(s));
  d.start();
  std::this_thread::sleep_for(300ms);
  const int quiet = p->idles();
  CHECK(quiet >= 2);  // 50 ms period; generous for a loaded machine
  d.stop();
}

TEST_CASE("deliveries and queue depth are exported per sink") {
  soc::daemon::telemetry::Registry metrics;
  QueueDispatcher d(&metrics, fast());
  auto s = std::make_unique<FakeSink>("log", 8);
  FakeSink* p = s.get();
  p->fail_next(1);
  d.add(std::move(s));
  d.start();
  for (int64_t i = 1; i <= 3; ++i) d.publish(notice(i));
  REQUIRE(p->wait_for(3, 5s));
  d.stop();
  const std::string text = metrics.serialize();
  CHECK(text.find("soc_alert_deliveries_total{result=\"ok\",sink=\"log\"} 3") != std::string::npos);
  CHECK(text.find("soc_alert_deliveries_total{result=\"dropped\",sink=\"log\"} 0") != std::string::npos);
  CHECK(text.find("soc_alert_queue_depth{sink=\"log\"} 0") != std::string::npos);
  // The first attempt failed: the notices it held were each counted once as a retry.
  CHECK(text.find("soc_alert_deliveries_total{result=\"retry\",sink=\"log\"} ") != std::string::npos);
  CHECK(stats_of(d, "log").retry >= 1);
}
