// The libsystemd adapter (sd-journal): nothing else in the project includes it.
#include "sensors/log/journal_reader.h"

#include <fmt/core.h>
#include <systemd/sd-journal.h>

#include <cstdlib>
#include <cstring>

namespace soc::sensors::log {

namespace {

// "FIELD=VALUE" with FIELD as the journal allows: A-Z, 0-9, _, not starting with a digit.
bool valid_match(std::string_view m) {
  const size_t eq = m.find('=');
  if (eq == 0 || eq == std::string_view::npos || eq > 64) return false;
  if (m[0] >= '0' && m[0] <= '9') return false;
  for (size_t i = 0; i < eq; ++i)
    if (!((m[i] >= 'A' && m[i] <= 'Z') || (m[i] >= '0' && m[i] <= '9') || m[i] == '_')) return false;
  return true;
}

int64_t parse_small_int(std::string_view s) {
  if (s.empty() || s.size() > 18) return -1;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

class SdJournalReader final : public JournalReader {
 public:
  SdJournalReader(sd_journal* j, JournalOptions o) : j_(j), opt_(std::move(o)), cursor_(opt_.cursor) {}
  ~SdJournalReader() override { sd_journal_close(j_); }

  Result<void> position() {
    int r;
    if (!opt_.cursor.empty()) {
      r = sd_journal_seek_cursor(j_, opt_.cursor.c_str());
      skip_cursor_ = true;
    } else if (opt_.start_at_end) {
      r = sd_journal_seek_tail(j_);
      // Step onto the last entry: the next sd_journal_next() returns the first new one.
      if (r >= 0 && sd_journal_previous(j_) > 0) remember_cursor();
    } else {
      r = sd_journal_seek_head(j_);
    }
    if (r < 0) return fail("journal", fmt::format("cannot position in the journal: {}", std::strerror(-r)));
    return {};
  }

  size_t poll(const Handler& handler, size_t max_entries) override {
    sd_journal_process(j_);  // new or rotated journal files (inotify); a no-op otherwise
    size_t n = 0;
    while (n < max_entries) {
      const int r = sd_journal_next(j_);
      if (r < 0) {
        ++stats_.read_errors;
        break;
      }
      if (r == 0) break;
      ++n;
      if (skip_cursor_) {
        skip_cursor_ = false;
        // The checkpointed entry itself was handed over before the restart.
        if (sd_journal_test_cursor(j_, opt_.cursor.c_str()) > 0) continue;
      }
      remember_cursor();
      if (!extract()) {
        ++stats_.without_message;
        continue;
      }
      ++stats_.entries;
      handler(entry_);
    }
    return n;
  }

  const std::string& cursor() const override { return cursor_; }
  const JournalStats& stats() const override { return stats_; }

 private:
  void remember_cursor() {
    char* c = nullptr;
    if (sd_journal_get_cursor(j_, &c) >= 0 && c) cursor_ = c;
    std::free(c);
  }

  // Fills entry_ from the current entry; false when it has no MESSAGE.
  bool extract() {
    entry_ = JournalEntry{};
    std::string_view comm, syslog_pid;
    int64_t severity = -1, facility = -1;
    bool has_message = false;
    const void* data;
    size_t len;
    sd_journal_restart_data(j_);
    while (sd_journal_enumerate_available_data(j_, &data, &len) > 0) {
      const std::string_view f(static_cast<const char*>(data), len);
      const size_t eq = f.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view name = f.substr(0, eq), value = f.substr(eq + 1);
      if (name == "MESSAGE") {
        has_message = true;
        entry_.message = value;
      } else if (name == "SYSLOG_IDENTIFIER") {
        entry_.identifier = value;
      } else if (name == "_COMM") {
        comm = value;
      } else if (name == "_HOSTNAME") {
        entry_.hostname = value;
      } else if (name == "_PID") {
        entry_.pid = parse_small_int(value);
      } else if (name == "SYSLOG_PID") {
        syslog_pid = value;
      } else if (name == "PRIORITY") {
        severity = parse_small_int(value);
      } else if (name == "SYSLOG_FACILITY") {
        facility = parse_small_int(value);
      }
    }
    if (!has_message) return false;
    if (entry_.identifier.empty()) entry_.identifier = comm;
    if (entry_.pid < 0) entry_.pid = parse_small_int(syslog_pid);
    while (!entry_.message.empty() && (entry_.message.back() == '\n' || entry_.message.back() == '\r'))
      entry_.message.remove_suffix(1);
    if (entry_.message.size() > opt_.max_message_bytes) {
      entry_.message = entry_.message.substr(0, opt_.max_message_bytes);
      entry_.truncated = true;
    }
    if (severity >= 0 && severity <= 7) {
      entry_.severity = static_cast<int>(severity);
      if (facility >= 0 && facility <= 23) entry_.priority = static_cast<int>(facility * 8 + severity);
    }
    uint64_t usec = 0;
    if (sd_journal_get_realtime_usec(j_, &usec) >= 0)
      entry_.timestamp = Timestamp(std::chrono::microseconds(static_cast<int64_t>(usec)));
    else
      entry_.timestamp = now();
    return true;
  }

  sd_journal* j_;
  JournalOptions opt_;
  std::string cursor_;
  bool skip_cursor_ = false;
  JournalEntry entry_;
  JournalStats stats_;
};

}  // namespace

Result<std::unique_ptr<JournalReader>> JournalReader::open(const JournalOptions& options) {
  for (const auto& m : options.matches)
    if (!valid_match(m))
      return fail("usage", fmt::format("--journal-match '{}': expected FIELD=VALUE with FIELD in A-Z, 0-9 and _", m));
  sd_journal* j = nullptr;
  int r = options.directory.empty() ? sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY)
                                    : sd_journal_open_directory(&j, options.directory.c_str(), 0);
  if (r < 0)
    return fail("journal", fmt::format("cannot open the journal{}: {}",
                                       options.directory.empty() ? std::string() : " in " + options.directory,
                                       std::strerror(-r)));
  auto reader = std::make_unique<SdJournalReader>(j, options);
  // Fields longer than this come back cut (a hint for compressed fields; we cut the rest).
  sd_journal_set_data_threshold(j, options.max_message_bytes + 16);
  for (const auto& m : options.matches)
    if ((r = sd_journal_add_match(j, m.data(), m.size())) < 0)
      return fail("usage", fmt::format("--journal-match '{}': {}", m, std::strerror(-r)));
  sd_journal_get_fd(j);  // sets up inotify, so sd_journal_process() sees new and rotated files
  if (auto p = reader->position(); !p) return fail(p.error());
  return std::unique_ptr<JournalReader>(std::move(reader));
}

}  // namespace soc::sensors::log
