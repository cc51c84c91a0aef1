// The batches a sender holds until the correlator acknowledges them: a bounded window in memory
// (what is in flight) and, with a spool, everything else on disk, read back in order as the
// window frees up. No ZeroMQ here: the Sender (sender.cpp) moves batches between this queue and
// its socket, so this part is tested alone (tests/unit/core/transport/send_queue_test.cpp).
//
// Without a spool the window is all there is: a batch that finds it full waits (add() returns
// false and the batch is kept as pending), which is the back-pressure.
//
// With a spool every batch is appended to it before it can be sent. When the spool is full,
// DropOldest deletes its oldest segments (their unacknowledged batches are dropped and counted)
// and Block keeps the batch pending: the sender waits, which stops its input. When the disk
// refuses a write (full, I/O error), the batch stays in memory while the window has room and
// spool writes are retried with backoff (later batches stay in memory too, so that the spool
// keeps the order); once the window is full too, Block waits and DropOldest drops the new batch
// (nothing older can be dropped without writing to the disk).
//
// Positions: each batch carries the sender's input position after its last event. The safe
// position is the newest one such that every batch up to it is acknowledged or spooled: a
// restarted sender resumes its input there and neither loses nor repeats what it had handed over.
// Single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/transport/spool.h"

namespace soc::transport {

using SteadyClock = std::chrono::steady_clock;

struct QueuedBatch {
  uint64_t epoch = 0;
  uint64_t first = 0;
  uint32_t count = 0;
  int64_t written_us = 0;  // wall clock when the batch was closed (or spooled, before a restart)
  std::string position;
  std::string payload;
  std::string header;  // the encoded wire header, made by the sender when first sent
  bool spooled = false;
  SpoolLocation where;
  bool sent = false;
  bool ever_sent = false;
  bool acked = false;
  SteadyClock::time_point sent_at;
  uint64_t end() const { return first + count; }
};

struct QueueStats {
  uint64_t events_acked = 0;
  uint64_t batches_acked = 0;
  uint64_t events_dropped_error = 0;  // dropped because the disk refused them and the window was full
  uint64_t window_batches = 0;        // in memory (sent or not)
  uint64_t window_events = 0;
  uint64_t pending_events = 0;        // a closed batch waiting for room (Block, or no spool)
  uint64_t memory_only_batches = 0;   // in the window but not spooled (after a write failure)
  int64_t oldest_unacked_us = 0;      // written_us of the oldest batch not yet acknowledged (0: none)
  // Events of batches the spool dropped after they had been sent, whose acknowledgement came
  // later: they reached the correlator after all (the spool's drop counts include them).
  uint64_t events_dropped_delivered = 0;
};

class SendQueue {
 public:
  // `spool` may be null (memory only).
  SendQueue(size_t window_limit, std::unique_ptr<Spool> spool);

  // Takes a closed batch. False when it must wait for room (kept as pending: call retry() until
  // true before adding another).
  bool add(QueuedBatch b, SteadyClock::time_point now);
  // Places the pending batch if there is room now; true when nothing is pending any more.
  bool retry(SteadyClock::time_point now);
  bool has_pending() const { return pending_.has_value(); }

  // Loads spooled batches into the window while it has room.
  void refill();
  // An acknowledgement: every batch of `epoch` ending at or below `below` arrived.
  void ack(uint64_t epoch, uint64_t below);
  // Periodic work: the age limit, retrying spool writes after a failure.
  void maintain(SteadyClock::time_point now, int64_t now_us);
  // When maintain() next has something to do (a retry); time_point::max() when nothing.
  SteadyClock::time_point next_retry() const;

  std::deque<QueuedBatch>& window() { return window_; }
  const std::deque<QueuedBatch>& window() const { return window_; }
  size_t window_limit() const { return limit_; }
  // True when nothing is held: no batch in memory, pending or spooled and not yet acknowledged.
  bool empty();
  // Events held and not yet acknowledged (window, pending and the spool's).
  uint64_t unacked_events() const;

  SpoolPosition safe_position() const;
  std::optional<SpoolPosition> recovered_position() const { return recovered_; }
  uint64_t newest_spooled_epoch() const { return spool_ ? spool_->newest_epoch() : 0; }

  QueueStats stats() const;
  const Spool* spool() const { return spool_.get(); }
  Spool* spool() { return spool_.get(); }
  // A buffer for the next batch's payload (reused from acknowledged batches).
  std::string take_buffer();

 private:
  enum class Placed { Ok, Wait };
  Placed place(QueuedBatch& b, SteadyClock::time_point now);
  bool spool_it(QueuedBatch& b, bool& taken);
  void prune_dropped();
  // Batches dropped after being sent, by (epoch, end), until their acknowledgement comes; the
  // oldest forgotten past kMaxDroppedSent (ZeroMQ's send queue holds 2 x window + 16 batches).
  struct DroppedSent {
    uint64_t epoch, end;
    uint32_t count;
  };
  std::deque<DroppedSent> dropped_sent_;
  static constexpr size_t kMaxDroppedSent = 4096;
  void recycle(std::string&& buffer);
  static bool newer(const SpoolPosition& a, const SpoolPosition& b) {
    return a.epoch != b.epoch ? a.epoch > b.epoch : a.end > b.end;
  }

  size_t limit_;
  std::unique_ptr<Spool> spool_;
  std::deque<QueuedBatch> window_;
  std::optional<QueuedBatch> pending_;
  size_t memory_only_ = 0;
  SteadyClock::time_point retry_at_ = SteadyClock::time_point::max();
  std::chrono::milliseconds backoff_{250};
  SpoolPosition acked_position_;
  SpoolPosition last_spooled_;
  std::optional<SpoolPosition> recovered_;
  std::vector<std::string> spare_;
  QueueStats stats_;
  SpoolBatch scratch_;
};

}  // namespace soc::transport
