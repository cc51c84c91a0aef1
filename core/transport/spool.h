// The sender's bounded on-disk spool (docs/adr/0027-sender-spool.md): every batch is appended to
// a segment file before it is sent, read back in order when the in-memory window has room for
// it, and forgotten once acknowledged; whole segments are deleted when every batch in them is
// done. A sender restarted after a crash finds there the batches it had not seen acknowledged
// (with their epochs and sequence numbers, so resends are recognisable as repeats), the position
// of its input after the newest batch, and the epochs it used.
//
// Limits: `max_bytes` (the segment files' total size) and `max_age` (batches older than that are
// dropped). When a batch does not fit, `SpoolFull::DropOldest` deletes the oldest segments and
// counts their unacknowledged events as dropped; `SpoolFull::Block` refuses the batch (append()
// returns Full) and the sender waits, which stops its input.
//
// The spool is used from one thread (the sender's). It owns one helper thread that fdatasync()s
// the segment being written, and the folder, once a second while the spool holds batches not yet
// acknowledged: a crash of the process loses nothing that was written (the page cache survives
// it); a power cut loses at most the last second of them.
// Files in the folder are untrusted on reading: damaged or torn records are skipped and counted,
// never crash the sender (tests/unit/core/transport/spool_test.cpp fuzzes the reader).
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace soc::transport {

enum class SpoolFull { DropOldest, Block };
std::string_view to_string(SpoolFull p);
// "drop-oldest" or "block".
std::optional<SpoolFull> parse_spool_full(std::string_view text);

struct SpoolConfig {
  std::string dir;
  uint64_t max_bytes = uint64_t{1} << 30;
  std::chrono::seconds max_age{7 * 86400};  // 0: no age limit
  SpoolFull full = SpoolFull::DropOldest;
  std::chrono::milliseconds sync_interval{1000};  // fdatasync period of the helper thread; 0: none
};

// Where a record lies: segment number and byte offset; ordered as the records were written.
struct SpoolLocation {
  uint64_t segment = 0;
  uint64_t offset = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 sees a literal 0 in a defaulted <=>
  auto operator<=>(const SpoolLocation&) const = default;
};

// One batch as written and read back.
struct SpoolBatch {
  uint64_t epoch = 0;
  uint64_t first = 0;
  uint32_t count = 0;
  int64_t written_us = 0;  // wall clock when it was spooled
  std::string position;    // the sender's input position after the batch (opaque)
  std::string payload;     // `count` JSON lines
  SpoolLocation where;     // set by append() and read_next()
  uint64_t end() const { return first + count; }
};

// The input position stored with the newest batch, and that batch's identity (epoch, end).
struct SpoolPosition {
  uint64_t epoch = 0;
  uint64_t end = 0;
  std::string text;
};

struct SpoolStats {
  uint64_t bytes = 0;     // size of the segment files
  uint64_t segments = 0;
  uint64_t records = 0;   // batches in the spool not yet done (acknowledged or dropped)
  uint64_t events = 0;    // their events
  uint64_t events_dropped_full = 0;  // unacknowledged events deleted to make room (drop-oldest)
  uint64_t events_dropped_age = 0;   // unacknowledged events deleted because older than max_age
  uint64_t events_dropped_disk = 0;  // deleted to make room on a disk that refused a write (DropOldest)
  uint64_t records_torn = 0;         // an incomplete last record (a crash while writing), cut off
  uint64_t records_corrupt = 0;      // damaged regions skipped (checksum, impossible fields)
  uint64_t bytes_skipped = 0;        // their size
  uint64_t write_errors = 0;         // writes the disk refused (ENOSPC, EIO, ...)
  uint64_t events_recovered = 0;     // not-done events found when the spool was opened
  bool write_failing = false;        // the last write failed
};

enum class AppendResult {
  Ok,      // written
  Full,    // no room within max_bytes (Block policy): nothing written, nothing dropped
  Failed,  // the disk refused the write (counted, logged once per episode): nothing written
};

class Spool {
 public:
  // Opens (creating it 0700 when missing) and recovers the spool in `config.dir`: locks it
  // (another process using it is an error), scans every segment, cuts a torn last record,
  // deletes segments whose batches are all done. Errors have code "config" (unusable folder,
  // in use, written by a newer version).
  static Result<std::unique_ptr<Spool>> open(const SpoolConfig& config);
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // What recovery found: the newest epoch used (0: none), the newest batch's position.
  uint64_t newest_epoch() const { return newest_epoch_; }
  const std::optional<SpoolPosition>& last_position() const { return last_position_; }

  // Appends a batch (sets b.where). With `take`, when every earlier batch has been read, the
  // reader skips this one and `taken` is set: the caller keeps it in memory. Under DropOldest,
  // the oldest segments are deleted first when the batch does not fit (see first_live()).
  AppendResult append(SpoolBatch& b, bool take, bool& taken);
  // Under DropOldest after a failed write: deletes the oldest segment (not the one being
  // written) to free disk space. False when there is none.
  bool drop_oldest_for_space();

  // The next batch not yet handed out by read_next() or taken by append(), skipping batches
  // already done. False when there is none (damaged records are skipped and counted).
  bool read_next(SpoolBatch& out);
  bool has_unread();

  // A batch handed out is done (acknowledged). Records it; flush_done() then appends the marks
  // (so a restart does not resend it) and deletes segments whose batches are all done.
  void done(const SpoolLocation& where, uint64_t epoch, uint64_t end, uint32_t count);
  void flush_done();

  // Every record before this location has been dropped: the caller forgets batches it holds
  // from there.
  SpoolLocation first_live() const { return first_live_; }

  // Applies the age limit (now: microseconds since the Unix epoch).
  void enforce_age(int64_t now_us);

  // fdatasync()s what was written, now (also done once a second by the helper thread).
  void sync();

  SpoolStats stats() const;
  const SpoolConfig& config() const { return config_; }

 private:
  struct EpochRange {
    uint64_t min_end = UINT64_MAX;
    uint64_t max_end = 0;
  };
  struct Segment {
    uint64_t id = 0;
    uint64_t size = 0;
    uint64_t records = 0, events = 0;
    uint64_t done_records = 0, done_events = 0;
    int64_t newest_us = 0;
    uint64_t scanned_to = 0;  // damage below this offset was counted at recovery
    std::map<uint64_t, EpochRange> epochs;
    bool all_done() const { return done_records >= records; }
  };
  class Syncer;
  class RecordStream;

  explicit Spool(SpoolConfig config);
  Result<void> recover();
  Result<void> scan_segment(Segment& s, bool last);
  void count_done_at_recovery(Segment& s);
  std::string path_of(uint64_t id) const;
  Segment* find(uint64_t id);
  bool ensure_tail(bool rotate_if_big);
  bool write_at_tail(std::string_view a, std::string_view b);
  void note_write_failure(int err, std::string_view what);
  enum class Drop { Full, Age, Disk };
  bool drop_head(Drop why);
  void drop_tail_records(Drop why, bool write_marks = true);
  uint64_t& dropped_counter(Drop why);
  void delete_segment(uint64_t id);
  void log_drop(Drop why);
  void delete_done_segments();
  uint64_t bytes() const;
  SpoolLocation end_location() const;
  void normalise_cursor();

  SpoolConfig config_;
  uint64_t segment_target_ = 0;
  int dir_fd_ = -1;
  int lock_fd_ = -1;
  std::map<uint64_t, Segment> segments_;  // by id; the last is the tail (being appended to)
  int tail_fd_ = -1;
  uint64_t tail_id_ = 0;
  uint64_t next_id_ = 1;
  bool rotate_next_ = false;
  std::map<uint64_t, uint64_t> done_below_;   // epoch -> every batch ending at or below is done
  std::map<uint64_t, uint64_t> pending_marks_;  // marks to write at the next flush_done()
  SpoolLocation cursor_;       // the reader's next location
  SpoolLocation first_live_;
  int read_fd_ = -1;
  uint64_t read_segment_ = 0;
  std::unique_ptr<RecordStream> stream_;
  uint64_t newest_epoch_ = 0;
  std::optional<SpoolPosition> last_position_;
  std::string head_;
  SpoolStats stats_;
  uint64_t failures_in_episode_ = 0;
  bool episode_logged_ = false;
  std::chrono::steady_clock::time_point last_fail_log_{};
  std::chrono::steady_clock::time_point last_drop_log_{};
  std::unique_ptr<Syncer> syncer_;
};

}  // namespace soc::transport
