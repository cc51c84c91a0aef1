#include "core/transport/sequence.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

namespace {

using soc::transport::SequenceTracker;
using soc::transport::SequenceVerdict;

void check_verdict(const SequenceVerdict& v, uint64_t from, uint64_t to, uint64_t lost, uint64_t duplicate,
                   bool restarted = false) {
  CHECK(v.accept_from == from);
  CHECK(v.accept_to == to);
  CHECK(v.lost == lost);
  CHECK(v.duplicate == duplicate);
  CHECK(v.restarted == restarted);
}

}  // namespace

TEST_CASE("a tracker that has seen nothing expects nothing") {
  SequenceTracker t;
  CHECK(t.newest_epoch() == 0);
  CHECK(t.next_expected(1) == 0);
}

TEST_CASE("the first batch of a sensor is accepted whole, wherever it starts") {
  SequenceTracker t;
  check_verdict(t.on_batch(100, 500, 10), 500, 510, 0, 0);
  CHECK(t.next_expected(100) == 510);
  CHECK(t.newest_epoch() == 100);

  SequenceTracker zero;
  check_verdict(zero.on_batch(7, 0, 1), 0, 1, 0, 0);
  CHECK(zero.next_expected(7) == 1);
}

TEST_CASE("batches in order are accepted with nothing lost or repeated") {
  SequenceTracker t;
  t.on_batch(100, 0, 10);
  check_verdict(t.on_batch(100, 10, 5), 10, 15, 0, 0);
  check_verdict(t.on_batch(100, 15, 1), 15, 16, 0, 0);
  CHECK(t.next_expected(100) == 16);
}

TEST_CASE("a batch beyond the next expected number counts the gap as lost") {
  SequenceTracker t;
  t.on_batch(100, 0, 10);
  check_verdict(t.on_batch(100, 11, 4), 11, 15, 1, 0);  // exactly one past next_expected
  check_verdict(t.on_batch(100, 115, 5), 115, 120, 100, 0);
  CHECK(t.next_expected(100) == 120);
}

TEST_CASE("a batch entirely below the next expected number is a duplicate and accepts nothing") {
  SequenceTracker t;
  t.on_batch(100, 0, 10);
  const auto v = t.on_batch(100, 0, 10);
  CHECK(v.duplicate == 10);
  CHECK(v.lost == 0);
  CHECK(v.accept_from == v.accept_to);  // an empty range
  CHECK_FALSE(v.restarted);
  CHECK(t.next_expected(100) == 10);
  // Ending exactly at next_expected is still a full repeat.
  CHECK(t.on_batch(100, 7, 3).duplicate == 3);
  CHECK(t.on_batch(100, 2, 1).duplicate == 1);
  CHECK(t.next_expected(100) == 10);
}

TEST_CASE("a batch that straddles the next expected number is accepted from it on") {
  SequenceTracker t;
  t.on_batch(100, 0, 10);
  check_verdict(t.on_batch(100, 5, 10), 10, 15, 0, 5);
  check_verdict(t.on_batch(100, 14, 2), 15, 16, 0, 1);  // one before next_expected
  check_verdict(t.on_batch(100, 16, 1), 16, 17, 0, 0);  // exactly at next_expected
  CHECK(t.next_expected(100) == 17);
}

TEST_CASE("a newer epoch is a restart that starts the count afresh") {
  SequenceTracker t;
  t.on_batch(100, 0, 50);
  check_verdict(t.on_batch(200, 0, 5), 0, 5, 0, 0, /*restarted=*/true);
  CHECK(t.newest_epoch() == 200);
  CHECK(t.next_expected(200) == 5);
  check_verdict(t.on_batch(200, 5, 5), 5, 10, 0, 0);  // the restart is reported once
  // A restart may also begin anywhere, e.g. when the sender resumes from a spool.
  check_verdict(t.on_batch(300, 1000, 5), 1000, 1005, 0, 0, true);
}

TEST_CASE("late batches of an earlier epoch are accounted within that epoch, not as a restart") {
  SequenceTracker t;
  t.on_batch(100, 0, 10);
  t.on_batch(200, 0, 5);
  check_verdict(t.on_batch(100, 10, 5), 10, 15, 0, 0);
  CHECK(t.on_batch(100, 0, 5).duplicate == 5);
  CHECK(t.on_batch(100, 20, 1).lost == 5);
  CHECK(t.next_expected(100) == 21);
  CHECK(t.next_expected(200) == 5);
  CHECK(t.newest_epoch() == 200);
  // An epoch never seen that is older than the newest is not a restart either.
  check_verdict(t.on_batch(50, 3, 2), 3, 5, 0, 0, false);
}

TEST_CASE("the tracker remembers the last kMaxRuns epochs and forgets the oldest") {
  SequenceTracker t;
  for (uint64_t e = 1; e <= SequenceTracker::kMaxRuns; ++e) t.on_batch(e, 0, 10);
  for (uint64_t e = 1; e <= SequenceTracker::kMaxRuns; ++e) CHECK(t.next_expected(e) == 10);
  t.on_batch(SequenceTracker::kMaxRuns + 1, 0, 3);
  CHECK(t.next_expected(1) == 0);  // forgotten
  CHECK(t.next_expected(2) == 10);
  CHECK(t.next_expected(SequenceTracker::kMaxRuns + 1) == 3);
}

TEST_CASE("sequence numbers up to the top of the range are accounted without overflow") {
  SequenceTracker t;
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  check_verdict(t.on_batch(1, max - 20, 10), max - 20, max - 10, 0, 0);
  check_verdict(t.on_batch(1, max - 5, 5), max - 5, max, 5, 0);
  CHECK(t.on_batch(1, max - 5, 5).duplicate == 5);
}

TEST_CASE("the verdict says what to acknowledge: the next expected number of the batch's epoch") {
  SequenceTracker t;
  CHECK(t.on_batch(7, 0, 10).ack == 10);
  CHECK(t.on_batch(7, 20, 5).ack == 25);  // after a gap
  CHECK(t.on_batch(7, 0, 5).ack == 25);   // a repeat acknowledges what is known
  CHECK(t.on_batch(8, 3, 2).ack == 5);    // a new epoch
}

TEST_CASE("a batch of an epoch older than every tracked one does not push out a newer run") {
  SequenceTracker t;
  for (uint64_t e = 10; e < 10 + SequenceTracker::kMaxRuns; ++e) t.on_batch(e, 0, 10);
  const auto v = t.on_batch(5, 0, 4);
  check_verdict(v, 0, 4, 0, 0, false);
  CHECK(v.ack == 4);  // acknowledged all the same
  for (uint64_t e = 10; e < 10 + SequenceTracker::kMaxRuns; ++e) CHECK(t.next_expected(e) == 10);
  CHECK(t.next_expected(5) == 0);  // accepted, not tracked
}

TEST_CASE("restored marks make a resent batch a repeat and a newer epoch a restart") {
  soc::transport::SequenceTracker t;
  t.restore(100, 512);
  auto v = t.on_batch(100, 0, 512);  // the batch the correlator had written before its restart
  CHECK(v.duplicate == 512);
  CHECK(v.accept_from == v.accept_to);
  CHECK(v.ack == 512);
  v = t.on_batch(100, 256, 512);  // straddles the mark
  CHECK(v.duplicate == 256);
  CHECK(v.accept_from == 512);
  CHECK(v.accept_to == 768);
  CHECK_FALSE(v.restarted);
  v = t.on_batch(200, 0, 10);
  CHECK(v.restarted);
}

TEST_CASE("restoring keeps the newest epochs and never lowers a mark") {
  soc::transport::SequenceTracker t;
  for (uint64_t e = 1; e <= 6; ++e) t.restore(e, e * 10);
  t.restore(6, 5);
  const auto marks = t.marks();
  CHECK(marks.size() == soc::transport::SequenceTracker::kMaxRuns);
  CHECK(t.next_expected(6) == 60);
  CHECK(t.next_expected(1) == 0);
  CHECK(t.newest_epoch() == 6);
}
