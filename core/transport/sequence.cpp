#include "core/transport/sequence.h"

namespace soc::transport {

SequenceVerdict SequenceTracker::on_batch(uint64_t epoch, uint64_t first, uint32_t count) {
  SequenceVerdict v;
  const uint64_t end = first + count;
  if (!started_ || epoch != epoch_) {
    v.restarted = started_;
    started_ = true;
    epoch_ = epoch;
    next_ = end;
    v.accept_from = first;
    v.accept_to = end;
    return v;
  }
  if (end <= next_) {
    v.duplicate = count;
    v.accept_from = v.accept_to = end;
    return v;
  }
  if (first > next_) {
    v.lost = first - next_;
  } else if (first < next_) {
    v.duplicate = next_ - first;
  }
  v.accept_from = first > next_ ? first : next_;
  v.accept_to = end;
  next_ = end;
  return v;
}

}  // namespace soc::transport
