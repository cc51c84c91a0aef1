#include "core/transport/send_queue.h"

#include <algorithm>
#include <cassert>

#include "core/log.h"

namespace soc::transport {

SendQueue::SendQueue(size_t window_limit, std::unique_ptr<Spool> spool)
    : limit_(std::max<size_t>(1, window_limit)), spool_(std::move(spool)) {
  if (spool_) {
    recovered_ = spool_->last_position();
    if (recovered_) last_spooled_ = *recovered_;
    refill();
  }
}

std::string SendQueue::take_buffer() {
  if (spare_.empty()) return {};
  std::string s = std::move(spare_.back());
  spare_.pop_back();
  s.clear();
  return s;
}

// Reuse the buffers of acknowledged batches: allocating ~100 KiB per batch made the allocator
// return memory to the kernel and fault it back in, batch after batch.
void SendQueue::recycle(std::string&& buffer) {
  if (spare_.size() < 4 && buffer.capacity() > 0) spare_.push_back(std::move(buffer));
}

bool SendQueue::spool_it(QueuedBatch& b, bool& taken) {
  scratch_.epoch = b.epoch;
  scratch_.first = b.first;
  scratch_.count = b.count;
  scratch_.written_us = b.written_us;
  scratch_.position = std::move(b.position);
  scratch_.payload = std::move(b.payload);
  const bool room = window_.size() < limit_;
  AppendResult r = spool_->append(scratch_, room, taken);
  // DropOldest on a disk that refuses the write: our own oldest segments make room first.
  while (r == AppendResult::Failed && spool_->config().full == SpoolFull::DropOldest &&
         spool_->drop_oldest_for_space()) {
    r = spool_->append(scratch_, window_.size() < limit_, taken);
  }
  b.position = std::move(scratch_.position);
  b.payload = std::move(scratch_.payload);
  // Batches the drops took are forgotten by the caller (prune_dropped()), after it is done with
  // `b`, which may be one of the window's.
  if (r == AppendResult::Ok) {
    b.spooled = true;
    b.where = scratch_.where;
    const SpoolPosition p{b.epoch, b.end(), {}};
    if (newer(p, last_spooled_)) last_spooled_ = SpoolPosition{b.epoch, b.end(), b.position};
    return true;
  }
  return false;
}

SendQueue::Placed SendQueue::place(QueuedBatch& b, SteadyClock::time_point now) {
  if (spool_ && memory_only_ == 0) {
    refill();  // batches already on disk come first
    const bool failing = spool_->stats().write_failing && now < retry_at_;
    if (!failing) {
      bool taken = false;
      const bool spooled = spool_it(b, taken);
      prune_dropped();
      if (spooled) {
        backoff_ = std::chrono::milliseconds(250);
        retry_at_ = SteadyClock::time_point::max();
        if (taken) {
          window_.push_back(std::move(b));
        } else {
          recycle(std::move(b.payload));
        }
        return Placed::Ok;
      }
      if (!spool_->stats().write_failing) return Placed::Wait;  // Full: Block waits for acknowledgements
      retry_at_ = now + backoff_;
      backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, std::chrono::seconds(5));
    }
  }
  if (window_.size() < limit_) {
    b.spooled = false;
    if (spool_) ++memory_only_;
    window_.push_back(std::move(b));
    return Placed::Ok;
  }
  if (spool_ && spool_->config().full == SpoolFull::DropOldest) {
    stats_.events_dropped_error += b.count;
    if (stats_.events_dropped_error == b.count || stats_.events_dropped_error % 100000 < b.count) {
      log::warn("spool", "the disk refuses spool writes and {} batches wait in memory: dropped {} events so far "
                "(--spool-full drop-oldest)", window_.size(), stats_.events_dropped_error);
    }
    recycle(std::move(b.payload));
    return Placed::Ok;
  }
  return Placed::Wait;
}

bool SendQueue::add(QueuedBatch b, SteadyClock::time_point now) {
  assert(!pending_ && "a batch is added only when none is pending");
  if (place(b, now) == Placed::Ok) return true;
  pending_ = std::move(b);
  return false;
}

bool SendQueue::retry(SteadyClock::time_point now) {
  if (!pending_) return true;
  if (place(*pending_, now) == Placed::Wait) return false;
  pending_.reset();
  return true;
}

void SendQueue::prune_dropped() {
  if (!spool_) return;
  const SpoolLocation live = spool_->first_live();
  std::erase_if(window_, [&](const QueuedBatch& b) {
    const bool dropped = b.spooled && b.where < live;
    // Sent and dropped unacknowledged: it may still be in ZeroMQ's queue or TCP's, and arrive.
    if (dropped && b.ever_sent && !b.acked) {
      if (dropped_sent_.size() >= kMaxDroppedSent) dropped_sent_.pop_front();
      dropped_sent_.push_back({b.epoch, b.end(), b.count});
    }
    return dropped;
  });
}

void SendQueue::refill() {
  if (!spool_ || memory_only_ > 0) return;
  while (window_.size() < limit_ && spool_->has_unread()) {
    if (!spool_->read_next(scratch_)) break;
    // Never hold a batch twice (a batch written back after a failure is already in the window).
    bool held = false;
    for (auto it = window_.rbegin(); it != window_.rend(); ++it) {
      if (!it->spooled) continue;
      held = !(it->where < scratch_.where);
      break;
    }
    if (held) continue;
    QueuedBatch b;
    b.epoch = scratch_.epoch;
    b.first = scratch_.first;
    b.count = scratch_.count;
    b.written_us = scratch_.written_us;
    b.position = std::move(scratch_.position);
    b.payload = std::move(scratch_.payload);
    b.spooled = true;
    b.where = scratch_.where;
    window_.push_back(std::move(b));
  }
}

void SendQueue::ack(uint64_t epoch, uint64_t below) {
  // The correlator acknowledges a batch it takes with that batch's end (a repeat with its
  // high-water mark): a dropped batch's end acknowledged means it arrived after all.
  for (auto it = dropped_sent_.begin(); it != dropped_sent_.end(); ++it) {
    if (it->epoch == epoch && it->end == below) {
      stats_.events_dropped_delivered += it->count;
      dropped_sent_.erase(it);
      break;
    }
  }
  for (auto& b : window_) {
    if (b.epoch == epoch && b.end() <= below) b.acked = true;
  }
  bool popped = false;
  while (!window_.empty() && window_.front().acked) {
    QueuedBatch& b = window_.front();
    stats_.events_acked += b.count;
    ++stats_.batches_acked;
    if (spool_) {
      if (b.spooled) spool_->done(b.where, b.epoch, b.end(), b.count);
      else if (memory_only_ > 0) --memory_only_;
    }
    if (newer(SpoolPosition{b.epoch, b.end(), {}}, acked_position_))
      acked_position_ = SpoolPosition{b.epoch, b.end(), std::move(b.position)};
    recycle(std::move(b.payload));
    window_.pop_front();
    popped = true;
  }
  if (popped && spool_) spool_->flush_done();
  refill();
}

void SendQueue::maintain(SteadyClock::time_point now, int64_t now_us) {
  if (!spool_) return;
  spool_->enforce_age(now_us);
  prune_dropped();
  if (memory_only_ > 0 && now >= retry_at_) {
    // Write back, in order, what stayed in memory while the disk refused it. Drops that make
    // room only take spooled batches, which come before these: they are forgotten afterwards.
    for (auto& b : window_) {
      if (b.spooled || b.acked) continue;
      bool taken = false;
      if (!spool_it(b, taken)) {
        retry_at_ = now + backoff_;
        backoff_ = std::min<std::chrono::milliseconds>(backoff_ * 2, std::chrono::seconds(5));
        break;
      }
      --memory_only_;
    }
    prune_dropped();
    if (memory_only_ == 0) {
      backoff_ = std::chrono::milliseconds(250);
      retry_at_ = SteadyClock::time_point::max();
    }
  }
  refill();
}

SteadyClock::time_point SendQueue::next_retry() const {
  if (!spool_) return SteadyClock::time_point::max();
  if (memory_only_ > 0 || (pending_ && spool_->stats().write_failing)) return retry_at_;
  return SteadyClock::time_point::max();
}

bool SendQueue::empty() {
  refill();
  return window_.empty() && !pending_ && (!spool_ || !spool_->has_unread());
}

uint64_t SendQueue::unacked_events() const {
  uint64_t n = pending_ ? pending_->count : 0;
  for (const auto& b : window_) {
    if (!b.acked && !b.spooled) n += b.count;
  }
  if (spool_) n += spool_->stats().events;
  return n;
}

SpoolPosition SendQueue::safe_position() const {
  if (spool_ && newer(last_spooled_, acked_position_)) return last_spooled_;
  return acked_position_;
}

QueueStats SendQueue::stats() const {
  QueueStats s = stats_;
  s.window_batches = window_.size();
  for (const auto& b : window_) s.window_events += b.count;
  s.pending_events = pending_ ? pending_->count : 0;
  s.memory_only_batches = memory_only_;
  if (!window_.empty()) s.oldest_unacked_us = window_.front().written_us;
  else if (pending_) s.oldest_unacked_us = pending_->written_us;
  return s;
}

}  // namespace soc::transport
