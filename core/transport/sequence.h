// Per-sensor accounting of sequence numbers on the correlator side: what is new, what was lost
// (a gap), what is a repeat. Pure logic, one instance per sensor, not thread-safe.
//
// Semantics (docs/wire-protocol.md, "Sequence numbers"):
// - Sequence numbers count events within one epoch (one run of a sender). A batch carries the
//   first number and the count.
// - The first batch seen from a sensor, and the first batch of a new epoch (the sender
//   restarted), start the count afresh: nothing is called lost, the restart is counted.
// - A batch that starts beyond the next expected number leaves a gap: the gap is lost.
// - A batch below the next expected number is a repeat (at-least-once resend); a batch that
//   straddles it is accepted from the expected number on.
#pragma once

#include <cstdint>

namespace soc::transport {

struct SequenceVerdict {
  uint64_t accept_from = 0;  // accept events with seq in [accept_from, accept_to)
  uint64_t accept_to = 0;
  uint64_t lost = 0;
  uint64_t duplicate = 0;
  bool restarted = false;  // a new epoch replaced an earlier one
};

class SequenceTracker {
 public:
  SequenceVerdict on_batch(uint64_t epoch, uint64_t first, uint32_t count);
  // The next sequence number expected: every event below it has been seen (or called lost).
  uint64_t next_expected() const { return next_; }
  uint64_t epoch() const { return epoch_; }
  bool started() const { return started_; }

 private:
  bool started_ = false;
  uint64_t epoch_ = 0;
  uint64_t next_ = 0;
};

}  // namespace soc::transport
