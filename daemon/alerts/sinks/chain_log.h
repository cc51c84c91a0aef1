// The tamper-evident alert log: append-only JSON lines in which every line carries the SHA-256 of
// the line before it (a hash chain), across rotated files. The format, what is hashed and what
// `socctl audit verify` can tell from it are in docs/alert-log.md; in short:
//
//   {"seq":N,"prev":"<64 hex>","record":"start|open|notice","time":"<RFC 3339>",...}
//
//   seq   1, 2, 3... over the whole chain, never reset by a rotation;
//   prev  SHA-256 (lower-case hex) of the previous line's bytes without its "\n"; the first line
//         of the chain has the genesis value, 64 zeros (kGenesis);
//   start the first line of every file (format, writer, the file it follows);
//   open  a writer continued an existing file (a restart; bytes of a partial last line it cut);
//   notice one alert notice (docs/alert-log.md).
//
// Writes are whole batches: a batch of records reaches the file with one write(2) or not at all
// (a failed write is cut off again), so a retry never duplicates a line. fsync policy: `Always`
// (before a batch counts as written), `Interval` (at most every interval, and at idle), `Never`.
// Rotation: when a batch leaves the file at `max_bytes` or more, the file is renamed to
// FILE.<UTC time> and a new FILE begins with a start record naming it; reopen() (SIGHUP) starts a
// new FILE when logrotate moved the old one away.
//
// Not thread-safe: one owner (the log sink's worker, or socctl replay).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace soc::daemon::alerts::sinks {

inline constexpr std::string_view kGenesis = "0000000000000000000000000000000000000000000000000000000000000000";
inline constexpr std::string_view kChainFormat = "soc-alert-log 1";
// No line of the log is longer; a longer one is not a record (the verifier's memory bound).
inline constexpr size_t kMaxRecordBytes = 1 << 20;

enum class FsyncPolicy { Always, Interval, Never };
// "always", "interval", "never"; error "config" otherwise.
Result<FsyncPolicy> parse_fsync_policy(std::string_view text);

struct ChainLogOptions {
  std::string path;
  FsyncPolicy fsync = FsyncPolicy::Always;
  std::chrono::milliseconds fsync_interval{1'000};
  uint64_t max_bytes = 64ull << 20;  // rotate beyond this size; 0: only on reopen()
  std::string writer = "soc-correlator";  // named in start and open records
};

struct ChainRecord {
  std::string type;     // "notice", ...
  std::string members;  // JSON object members without braces, appended after "time"; may be empty
};

class ChainLog {
 public:
  // Opens or creates the file. An existing file is continued from its last line: a partial last
  // line (a crash in the middle of a write) is cut off and the cut is recorded in an open record.
  // Error "config" (the caller exits 78) when the file cannot be opened, or its last complete
  // line is not a record of a chained log (FILE:LINE and the reason in the message).
  static Result<std::unique_ptr<ChainLog>> open(ChainLogOptions options);
  ~ChainLog();  // syncs (under any policy but Never) and closes
  ChainLog(const ChainLog&) = delete;
  ChainLog& operator=(const ChainLog&) = delete;

  // Appends the records, all or none; syncs under the policy; rotates when the file reached
  // max_bytes. Error "io" (nothing written: retry later), "too_large" (a record longer than
  // kMaxRecordBytes: never written).
  Result<void> append(std::span<const ChainRecord> records);

  // Periodic work: the Interval policy's sync when lines wait for one.
  void tick();

  // Whether the path still names the open file; when logrotate moved it away, continues the
  // chain in a new file at the path. A non-empty stranger at the path is refused (error "io";
  // writing goes on in the moved file).
  Result<void> reopen();

  uint64_t seq() const { return seq_; }
  const std::string& head() const { return head_; }
  const std::string& path() const { return options_.path; }
  uint64_t size() const { return size_; }

 private:
  explicit ChainLog(ChainLogOptions options) : options_(std::move(options)) {}
  Result<void> continue_or_start();
  Result<void> write_all(std::string_view bytes);
  void sync();
  void start_file(std::string_view previous_file, std::string_view reason, uint64_t cut_bytes);
  void write_pending(std::string_view what);
  void rotate();
  std::string build(std::string_view type, std::string_view members, uint64_t seq, std::string_view prev) const;

  ChainLogOptions options_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t seq_ = 0;
  std::string head_{kGenesis};
  std::optional<ChainRecord> pending_;  // a start or open record not written yet
  bool dirty_ = false;  // written since the last sync
  std::chrono::steady_clock::time_point last_sync_{};
  bool sync_failing_ = false;
};

}  // namespace soc::daemon::alerts::sinks
