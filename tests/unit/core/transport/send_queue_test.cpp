// The sender's queue between its socket and its spool: the bounded window, batches read back
// from disk in order, acknowledgements, positions for restarts, drops and the failing disk.
#include "core/transport/send_queue.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>

#include <filesystem>

#include "tests/unit/test_support.h"

namespace {

namespace fs = std::filesystem;
using soc::transport::QueuedBatch;
using soc::transport::SendQueue;
using soc::transport::Spool;
using soc::transport::SpoolConfig;
using soc::transport::SpoolFull;
using soc::transport::SteadyClock;

constexpr uint64_t kEpoch = 1795785621000000ull;

QueuedBatch batch(uint64_t first, uint32_t count, uint64_t epoch = kEpoch, size_t line_bytes = 100) {
  QueuedBatch b;
  b.epoch = epoch;
  b.first = first;
  b.count = count;
  b.written_us = 1'000'000;
  b.position = "at " + std::to_string(first + count);
  for (uint32_t i = 0; i < count; ++i) {
    std::string line = "{\"n\":" + std::to_string(first + i) + "}";
    line.resize(line_bytes, ' ');
    b.payload += line + "\n";
  }
  return b;
}

std::unique_ptr<Spool> spool(const fs::path& dir, uint64_t max_bytes = 64 << 20, SpoolFull full = SpoolFull::DropOldest) {
  SpoolConfig c;
  c.dir = dir.string();
  c.max_bytes = max_bytes;
  c.full = full;
  c.sync_interval = std::chrono::milliseconds(0);
  auto s = Spool::open(c);
  REQUIRE_MESSAGE(s, (s ? std::string() : s.error().message));
  return std::move(*s);
}

// Acknowledges the window's front batch as the correlator would (cumulative, per epoch).
void ack_front(SendQueue& q) {
  REQUIRE_FALSE(q.window().empty());
  q.ack(q.window().front().epoch, q.window().front().end());
}

}  // namespace

TEST_CASE("without a spool the window is the limit: a batch that finds it full waits") {
  SendQueue q(2, nullptr);
  const auto now = SteadyClock::now();
  CHECK(q.add(batch(0, 5), now));
  CHECK(q.add(batch(5, 5), now));
  CHECK_FALSE(q.add(batch(10, 5), now));
  CHECK(q.has_pending());
  CHECK(q.unacked_events() == 15);
  CHECK_FALSE(q.retry(now));
  ack_front(q);
  CHECK(q.retry(now));
  CHECK_FALSE(q.has_pending());
  REQUIRE(q.window().size() == 2);
  CHECK(q.window().back().first == 10);
  // Without a spool the safe position is the acknowledged one.
  CHECK(q.safe_position().end == 5);
  CHECK(q.safe_position().text == "at 5");
  q.ack(kEpoch, 15);
  CHECK(q.empty());
  CHECK(q.stats().events_acked == 15);
}

TEST_CASE("with a spool nothing waits: batches beyond the window go to disk and come back in order") {
  soc::test::TempDir dir;
  SendQueue q(2, spool(dir.path()));
  const auto now = SteadyClock::now();
  for (uint64_t i = 0; i < 6; ++i) CHECK(q.add(batch(i * 10, 10), now));
  CHECK(q.window().size() == 2);
  CHECK(q.unacked_events() == 60);
  CHECK(q.safe_position().end == 60);  // spooled is safe
  for (uint64_t i = 0; i < 6; ++i) {
    REQUIRE_FALSE(q.window().empty());
    CHECK(q.window().front().first == i * 10);
    CHECK(q.window().front().payload == batch(i * 10, 10).payload);
    ack_front(q);
  }
  CHECK(q.empty());
  CHECK(q.stats().events_acked == 60);
}

TEST_CASE("a queue reopened on its spool holds what was not acknowledged, in its epoch and order") {
  soc::test::TempDir dir;
  {
    SendQueue q(4, spool(dir.path()));
    const auto now = SteadyClock::now();
    for (uint64_t i = 0; i < 10; ++i) q.add(batch(i * 10, 10), now);
    ack_front(q);
    ack_front(q);
    ack_front(q);
  }
  SendQueue q(4, spool(dir.path()));
  REQUIRE(q.recovered_position());
  CHECK(q.recovered_position()->epoch == kEpoch);
  CHECK(q.recovered_position()->end == 100);
  CHECK(q.recovered_position()->text == "at 100");
  CHECK(q.newest_spooled_epoch() == kEpoch);
  CHECK(q.unacked_events() == 70);
  uint64_t next = 30;
  while (!q.window().empty()) {
    CHECK(q.window().front().epoch == kEpoch);
    CHECK(q.window().front().first == next);
    next = q.window().front().end();
    ack_front(q);
  }
  CHECK(next == 100);
  // A new run's batches (a newer epoch) follow the old ones.
  CHECK(q.add(batch(0, 5, kEpoch + 1), SteadyClock::now()));
  CHECK(q.safe_position().epoch == kEpoch + 1);
}

TEST_CASE("drop-oldest: what is dropped is counted by the spool, and forgotten by the window") {
  soc::test::TempDir dir;
  SendQueue q(3, spool(dir.path(), 256 << 10));
  const auto now = SteadyClock::now();
  uint64_t added = 0;
  for (uint64_t i = 0; i < 150; ++i) {
    CHECK(q.add(batch(i * 40, 40), now));  // ~4 KiB a batch, nothing acknowledged
    added += 40;
  }
  const auto dropped = q.spool()->stats().events_dropped_full;
  CHECK(dropped > 0);
  CHECK(q.unacked_events() + dropped == added);
  // The window holds no dropped batch: its front is the oldest that is still spooled.
  REQUIRE_FALSE(q.window().empty());
  CHECK(q.window().front().first == dropped);
  CHECK(q.spool()->stats().records_corrupt == 0);  // reading on after a drop starts at a record
}

TEST_CASE("a batch dropped after it was sent and acknowledged later is counted as delivered, once") {
  soc::test::TempDir dir;
  SendQueue q(3, spool(dir.path(), 256 << 10));
  const auto now = SteadyClock::now();
  for (uint64_t i = 0; i < 150; ++i) {
    CHECK(q.add(batch(i * 40, 40), now));
    for (auto& b : q.window()) b.ever_sent = true;  // the sender sends what enters the window
  }
  const auto dropped = q.spool()->stats().events_dropped_full;
  REQUIRE(dropped >= 80);
  CHECK(q.stats().events_dropped_delivered == 0);
  q.ack(kEpoch, 40);  // the first batch was in ZeroMQ's queue: it arrived after all
  CHECK(q.stats().events_dropped_delivered == 40);
  q.ack(kEpoch, 40);  // a second acknowledgement of it counts nothing more
  CHECK(q.stats().events_dropped_delivered == 40);
  q.ack(kEpoch, 41);  // an end no dropped batch had: nothing
  CHECK(q.stats().events_dropped_delivered == 40);
  q.ack(kEpoch + 1, 80);  // another epoch: nothing
  CHECK(q.stats().events_dropped_delivered == 40);
  q.ack(kEpoch, 80);
  CHECK(q.stats().events_dropped_delivered == 80);
}

TEST_CASE("block: a full spool keeps the batch pending until an acknowledgement frees a segment") {
  soc::test::TempDir dir;
  SendQueue q(3, spool(dir.path(), 256 << 10, SpoolFull::Block));
  const auto now = SteadyClock::now();
  uint64_t i = 0;
  while (q.add(batch(i * 40, 40), now)) ++i;
  CHECK(q.has_pending());
  CHECK(q.spool()->stats().events_dropped_full == 0);
  // Acknowledge until a segment goes.
  int acks = 0;
  while (!q.retry(now)) {
    ack_front(q);
    REQUIRE(++acks < 100);
  }
  CHECK_FALSE(q.has_pending());
  CHECK(q.unacked_events() + q.stats().events_acked == (i + 1) * 40);
}

TEST_CASE("a disk that refuses writes: batches stay in memory, are written back in order, nothing lost") {
  soc::test::TempDir dir;
  SendQueue q(8, spool(dir.path(), 64 << 20, SpoolFull::Block));
  auto now = SteadyClock::now();
  REQUIRE(q.add(batch(0, 10), now));
  signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit lim = old;
  uint64_t size = 0;
  for (const auto& e : fs::directory_iterator(dir.path()))
    if (e.path().extension() == ".seg") size = fs::file_size(e.path());
  lim.rlim_cur = size;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0);
  for (uint64_t i = 1; i < 4; ++i) CHECK(q.add(batch(i * 10, 10), now));
  const auto failing = q.stats();
  const auto safe = q.safe_position();
  setrlimit(RLIMIT_FSIZE, &old);
  CHECK(failing.memory_only_batches == 3);
  CHECK(q.spool()->stats().write_errors >= 1);
  CHECK(safe.end == 10);  // only what is on disk (or acknowledged) is safe to resume after
  CHECK(q.next_retry() != SteadyClock::time_point::max());
  // Space returns: the retry writes the three batches back, in order.
  now += std::chrono::seconds(10);
  q.maintain(now, 2'000'000);
  CHECK(q.stats().memory_only_batches == 0);
  CHECK(q.safe_position().end == 40);
  CHECK(q.next_retry() == SteadyClock::time_point::max());
  uint64_t next = 0;
  while (!q.window().empty()) {
    CHECK(q.window().front().first == next);
    CHECK(q.window().front().spooled);
    next = q.window().front().end();
    ack_front(q);
  }
  CHECK(next == 40);
  CHECK(q.empty());
}

TEST_CASE("a disk that refuses writes: drop-oldest drops the oldest, then the new batch once memory is full; block waits") {
  for (const auto full : {SpoolFull::DropOldest, SpoolFull::Block}) {
    CAPTURE(soc::transport::to_string(full));
    soc::test::TempDir dir;
    SendQueue q(2, spool(dir.path(), 64 << 20, full));
    const auto now = SteadyClock::now();
    REQUIRE(q.add(batch(0, 10), now));
    signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    getrlimit(RLIMIT_FSIZE, &old);
    rlimit lim = old;
    lim.rlim_cur = 0;  // no write succeeds, not even a new segment's header
    REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    const bool second = q.add(batch(10, 10), now);
    const bool third = q.add(batch(20, 10), now);
    // (A sender never adds while a batch is pending: send() waits.)
    const bool fourth = full == SpoolFull::DropOldest ? q.add(batch(30, 10), now) : false;
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK(second);
    if (full == SpoolFull::DropOldest) {
      // The oldest (spooled) batch went to make room; the next two wait in memory; the fourth
      // finds memory full and is dropped.
      CHECK(q.spool()->stats().events_dropped_disk == 10);
      CHECK(third);
      CHECK(fourth);
      CHECK(q.stats().events_dropped_error == 10);
      REQUIRE(q.window().size() == 2);
      CHECK(q.window().front().first == 10);
      CHECK(q.window().back().first == 20);
    } else {
      CHECK_FALSE(third);  // the window (batch 0, batch 10) is full: it waits
      CHECK(q.has_pending());
      CHECK(q.spool()->stats().events_dropped_disk == 0);
      CHECK(q.stats().events_dropped_error == 0);
    }
  }
}
