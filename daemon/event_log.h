// An append-only JSON-lines file (`--events-out`, `--alerts-out`), written so that what the
// correlator acknowledges is in it, whole (docs/adr/0029-delivery.md):
//
// - write() appends a line to a buffer; flush() hands the buffer to the kernel with write(2).
//   A flush that fails (disk full, I/O error) cuts the file back to the end of the last flush
//   that succeeded, so no partial line is left behind, keeps the buffer, and returns false; the
//   next flush() tries the same bytes again. The first failure of a run of failures is logged,
//   with the path and the cause, and so is the recovery.
// - sync() makes what was flushed durable (fdatasync), for the strict sync policy.
// - open() cuts a partial last line left by a crash (its event was never acknowledged).
// - reopen() after logrotate moved the file (SIGHUP).
//
// Not thread-safe: one owner (the ingest thread for --events-out; AlertOutput serialises its own).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace soc::daemon {

class EventLog {
 public:
  EventLog() = default;
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  Result<void> open(const std::string& path);
  Result<void> reopen();
  bool is_open() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

  // Appends `json` and a newline to the buffer. False (and nothing appended) when the buffer
  // already holds `max_pending_bytes` that could not be written.
  bool write(std::string_view json);
  // Writes the buffer. True when the buffer is empty afterwards.
  bool flush();
  // fdatasync of what was flushed. False on failure (logged like a write failure).
  bool sync();

  // True from a failed flush or sync to the next one that succeeds.
  bool failing() const { return failing_; }
  // Bytes written and kept: the file's size after the last successful flush.
  uint64_t committed_bytes() const { return committed_; }
  // The file's identity (inode), for a position recorded elsewhere (the delivery journal).
  uint64_t inode() const { return inode_; }
  size_t pending_bytes() const { return buffer_.size(); }
  // The cause of the last failure ("No space left on device"); empty when none.
  const std::string& last_error() const { return last_error_; }
  // Drops what is buffered and not written (what belongs to a batch that will not be
  // acknowledged: its sender sends it again).
  void discard_pending() { buffer_.clear(); }
  // Buffered bytes beyond which write() refuses (the owner should stop producing while failing).
  void set_max_pending_bytes(size_t n) { max_pending_ = n; }

 private:
  bool fail(const char* what, int err);

  std::string path_;
  int fd_ = -1;
  uint64_t committed_ = 0;
  uint64_t inode_ = 0;
  std::string buffer_;
  size_t max_pending_ = 256u << 20;
  bool failing_ = false;
  std::string last_error_;
};

}  // namespace soc::daemon
