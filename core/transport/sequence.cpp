#include "core/transport/sequence.h"

#include <algorithm>

namespace soc::transport {

SequenceVerdict SequenceTracker::on_batch(uint64_t epoch, uint64_t first, uint32_t count) {
  SequenceVerdict v;
  const uint64_t end = first + count;
  auto run = std::find_if(runs_.begin(), runs_.end(), [&](const Run& r) { return r.epoch == epoch; });
  if (run == runs_.end()) {
    v.restarted = !runs_.empty() && epoch > newest_;
    newest_ = std::max(newest_, epoch);
    v.accept_from = first;
    v.accept_to = end;
    v.ack = end;
    if (runs_.size() >= kMaxRuns) {
      // Forget the oldest epoch: its sender is long gone. A batch of an epoch older than every
      // tracked one is accepted without being tracked, so it cannot push out a newer run.
      auto oldest = std::min_element(runs_.begin(), runs_.end(),
                                     [](const Run& a, const Run& b) { return a.epoch < b.epoch; });
      if (epoch < oldest->epoch) return v;
      runs_.erase(oldest);
    }
    runs_.push_back({epoch, end});
    return v;
  }
  if (end <= run->next) {
    v.duplicate = count;
    v.accept_from = v.accept_to = end;
    v.ack = run->next;
    return v;
  }
  if (first > run->next) {
    v.lost = first - run->next;
  } else if (first < run->next) {
    v.duplicate = run->next - first;
  }
  v.accept_from = std::max(first, run->next);
  v.accept_to = end;
  run->next = end;
  v.ack = end;
  return v;
}

void SequenceTracker::restore(uint64_t epoch, uint64_t next) {
  newest_ = std::max(newest_, epoch);
  for (auto& r : runs_) {
    if (r.epoch == epoch) {
      r.next = std::max(r.next, next);
      return;
    }
  }
  if (runs_.size() >= kMaxRuns) {
    auto oldest = std::min_element(runs_.begin(), runs_.end(), [](const Run& a, const Run& b) { return a.epoch < b.epoch; });
    if (epoch < oldest->epoch) return;
    runs_.erase(oldest);
  }
  runs_.push_back({epoch, next});
}

std::vector<SequenceTracker::Mark> SequenceTracker::marks() const {
  std::vector<Mark> out;
  out.reserve(runs_.size());
  for (const auto& r : runs_) out.push_back({r.epoch, r.next});
  return out;
}

uint64_t SequenceTracker::next_expected(uint64_t epoch) const {
  for (const auto& r : runs_) {
    if (r.epoch == epoch) return r.next;
  }
  return 0;
}

}  // namespace soc::transport
