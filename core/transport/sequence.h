// Per-sensor accounting of sequence numbers on the correlator side: what is new, what was lost
// (a gap), what is a repeat. Pure logic, one instance per sensor, not thread-safe.
//
// Semantics (docs/wire-protocol.md, "Sequence numbers"):
// - Sequence numbers count events within one epoch (one run of a sender; the epoch is the
//   sender's start time in microseconds). A batch carries the first number and the count.
// - The first batch of a sensor, and the first batch of a new epoch, start the count afresh:
//   nothing is called lost. An epoch newer than every one seen before is a restart of the
//   sender and is counted as such.
// - Batches of an earlier epoch can still arrive after a restart (what the correlator had
//   queued from the old connection): they are accounted within their own epoch, not as a
//   restart. The last kMaxRuns epochs are remembered.
// - A batch that starts beyond the next expected number of its epoch leaves a gap: the gap is
//   lost. A batch below it is a repeat (an at-least-once resend); a batch that straddles it is
//   accepted from the expected number on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace soc::transport {

struct SequenceVerdict {
  uint64_t accept_from = 0;  // accept events with seq in [accept_from, accept_to)
  uint64_t accept_to = 0;
  uint64_t lost = 0;
  uint64_t duplicate = 0;
  bool restarted = false;  // a newer epoch replaced an earlier one
  uint64_t ack = 0;        // what to acknowledge: every event of this epoch below it has arrived
};

class SequenceTracker {
 public:
  static constexpr size_t kMaxRuns = 4;

  SequenceVerdict on_batch(uint64_t epoch, uint64_t first, uint32_t count);
  // The next sequence number expected in `epoch`: every event below it has been seen (or called
  // lost). 0 for an epoch not (or no longer) tracked.
  uint64_t next_expected(uint64_t epoch) const;
  // The newest epoch seen (0 before any batch).
  uint64_t newest_epoch() const { return newest_; }

  // What a restarted correlator knew (docs/adr/0029-delivery.md): `next` is expected in `epoch`
  // as if its batches had been seen. Of more than kMaxRuns epochs, the newest are kept.
  void restore(uint64_t epoch, uint64_t next);
  // The tracked epochs and their next expected numbers, in no particular order.
  struct Mark {
    uint64_t epoch;
    uint64_t next;
  };
  std::vector<Mark> marks() const;

 private:
  struct Run {
    uint64_t epoch;
    uint64_t next;
  };
  std::vector<Run> runs_;
  uint64_t newest_ = 0;
};

}  // namespace soc::transport
