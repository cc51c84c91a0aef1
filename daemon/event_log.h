// An append-only JSON-lines file of accepted events (`--events-out`), for replay later.
// Buffered; flushed before each acknowledgement, so an acknowledged event is in the file (in the
// page cache: no fsync). Write errors (disk full) are logged once and counted, never fatal.
// reopen() after logrotate moved the file (SIGHUP).
#pragma once

#include <cstdio>
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
  bool is_open() const { return file_ != nullptr; }
  // Appends `json` and a newline. False when the write failed.
  bool write(std::string_view json);
  bool flush();

 private:
  std::string path_;
  FILE* file_ = nullptr;
  bool failing_ = false;
};

}  // namespace soc::daemon
