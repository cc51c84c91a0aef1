// Reads the systemd journal (the only file that includes libsystemd: journal_reader.cpp). Either
// the local journal (system and, when readable, users') or the journal files of a directory
// (--journal-dir: files copied from another machine, or written by systemd-journal-remote).
// Entries come out in the journal's order with the fields the decoder needs; the cursor of the
// last entry handed out is what the sensor checkpoints, so a restart resumes after it.
// Single-threaded; never blocks (poll() reads what is there and returns).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace soc::sensors::log {

struct JournalOptions {
  std::string directory;             // empty: the local journal
  std::vector<std::string> matches;  // FIELD=VALUE; the same field ORed, different fields ANDed
  std::string cursor;                // resume after this entry (from the checkpoint); empty: see start_at_end
  bool start_at_end = true;          // without a cursor: only entries written from now on
  size_t max_message_bytes = 64 * 1024;
};

// One entry. The views are valid during the handler call only.
struct JournalEntry {
  std::string_view message;     // MESSAGE, without a trailing newline, cut at max_message_bytes
  bool truncated = false;
  std::string_view identifier;  // SYSLOG_IDENTIFIER, else _COMM
  std::string_view hostname;    // _HOSTNAME
  int64_t pid = -1;             // _PID, else SYSLOG_PID
  int priority = -1;            // PRIORITY + 8 * SYSLOG_FACILITY; -1 unless both are there
  int severity = -1;            // PRIORITY (0..7), -1 when absent
  Timestamp timestamp{};        // __REALTIME_TIMESTAMP
};

struct JournalStats {
  uint64_t entries = 0;        // handed to the handler
  uint64_t without_message = 0;  // entries that have no MESSAGE field (skipped)
  uint64_t read_errors = 0;
};

class JournalReader {
 public:
  using Handler = std::function<void(const JournalEntry&)>;

  static Result<std::unique_ptr<JournalReader>> open(const JournalOptions& options);
  virtual ~JournalReader() = default;

  // Hands over up to `max_entries` new entries; returns how many it read (0: nothing new).
  virtual size_t poll(const Handler& handler, size_t max_entries) = 0;
  // The cursor of the last entry handed over (or the one given at open, until then).
  virtual const std::string& cursor() const = 0;
  virtual const JournalStats& stats() const = 0;
};

}  // namespace soc::sensors::log
