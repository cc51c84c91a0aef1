// The delivery journal (DIR/delivery/ of the state directory, docs/adr/0029-delivery.md): the
// sequence high-water mark of every (sensor, epoch), recorded before each acknowledgement, so
// that a restarted correlator recognises a batch its sender sends again as a repeat.
//
// Files: DIR/delivery/marks.N, N increasing. A segment is a header line ("soc-delivery 1") and
// records, one text line each:
//
//   SENSOR EPOCH NEXT INODE OFFSET CRC
//
// NEXT: every event of the epoch below it has been received (written, or counted lost).
// INODE OFFSET: the --events-out file and its size after the batch (0 0 without one). CRC:
// CRC-32 of the line before it, 8 hex digits. A new segment starts with every mark (the full
// state), so older segments are deleted once it is on disk.
//
// The journal is never trusted beyond the data it describes: at start the correlator also reads
// --events-out from the recorded offset on (recover_marks_from_events) and raises the marks to
// cover every event.id it stamped there, so a crash between writing a batch and recording its
// mark neither repeats nor loses it.
//
// Not thread-safe: owned by the ingest thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace soc::daemon {

struct DeliveryMark {
  std::string sensor;
  uint64_t epoch = 0;
  uint64_t next = 0;
};

// A position in --events-out: the file's inode and a byte offset.
struct FilePosition {
  uint64_t inode = 0;
  uint64_t offset = 0;
};

// Raises the mark of `sensor`/`epoch` in `marks` to at least `next` (adds it when missing).
void raise_mark(std::vector<DeliveryMark>& marks, std::string_view sensor, uint64_t epoch, uint64_t next);

class DeliveryJournal {
 public:
  struct Recovered {
    std::vector<DeliveryMark> marks;
    FilePosition events_out;  // after the last good record
    bool position_known = false;  // false: no record, or a damaged one (read --events-out whole)
    uint64_t records = 0;
    uint64_t torn = 0;     // a last record cut short by a crash: skipped
    uint64_t damaged = 0;  // records that fail their checksum or do not parse: skipped
    uint64_t segments = 0;
  };

  // Reads every segment of `dir` (created when missing) into `out`. Does not write: call
  // start() once the marks are complete.
  static Result<std::unique_ptr<DeliveryJournal>> open(const std::string& dir, Recovered& out);
  ~DeliveryJournal();
  DeliveryJournal(const DeliveryJournal&) = delete;
  DeliveryJournal& operator=(const DeliveryJournal&) = delete;

  // Starts a new segment holding `marks` at `pos`, makes it durable, and deletes the older ones.
  Result<void> start(const std::vector<DeliveryMark>& marks, FilePosition pos);
  // Appends one record with write(2); with `sync`, fdatasync too.
  Result<void> record(std::string_view sensor, uint64_t epoch, uint64_t next, FilePosition pos, bool sync);
  // True when the current segment has grown past `max_segment_bytes`: call start() with the
  // full state to compact.
  bool wants_compaction() const { return segment_bytes_ >= max_segment_bytes_; }
  void set_max_segment_bytes(uint64_t n) { max_segment_bytes_ = n; }
  const std::string& dir() const { return dir_; }

 private:
  explicit DeliveryJournal(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  int fd_ = -1;
  uint64_t generation_ = 0;  // of the current (or last read) segment
  uint64_t segment_bytes_ = 0;
  uint64_t max_segment_bytes_ = 4u << 20;
  std::vector<std::string> old_segments_;
};

// One record's line (without the newline) and its parse; exposed for tests.
std::string format_mark_record(std::string_view sensor, uint64_t epoch, uint64_t next, FilePosition pos);
bool parse_mark_record(std::string_view line, DeliveryMark& mark, FilePosition& pos);

// Reads `path` (an --events-out file) from `from` on (from the start when the file is another
// one than `from` names, or shorter) and raises `marks` to cover the event.id of every line
// ("<sensor>:<epoch>:<seq>", as Ingest stamps it). Returns the number of events read; lines
// without an event.id (heartbeats) are skipped.
Result<uint64_t> recover_marks_from_events(const std::string& path, FilePosition from, bool position_known,
                                           std::vector<DeliveryMark>& marks);

}  // namespace soc::daemon
