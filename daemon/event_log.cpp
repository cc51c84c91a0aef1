#include "daemon/event_log.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace soc::daemon {

EventLog::~EventLog() {
  if (file_) std::fclose(file_);
}

Result<void> EventLog::open(const std::string& path) {
  path_ = path;
  FILE* f = std::fopen(path.c_str(), "ae");
  if (!f) return fail("io", fmt::format("cannot open {} for appending: {}", path, std::strerror(errno)));
  std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  if (file_) std::fclose(file_);
  file_ = f;
  return {};
}

Result<void> EventLog::reopen() {
  if (path_.empty()) return {};
  return open(path_);
}

bool EventLog::write(std::string_view json) {
  if (!file_) return false;
  if (std::fwrite(json.data(), 1, json.size(), file_) != json.size() || std::fputc('\n', file_) == EOF) {
    if (!failing_) log::error("events-out", "cannot write {}: {}", path_, std::strerror(errno));
    failing_ = true;
    return false;
  }
  return true;
}

bool EventLog::flush() {
  if (!file_) return true;
  if (std::fflush(file_) != 0) {
    if (!failing_) log::error("events-out", "cannot write {}: {}", path_, std::strerror(errno));
    failing_ = true;
    return false;
  }
  if (failing_) log::info("events-out", "writing {} again", path_);
  failing_ = false;
  return true;
}

}  // namespace soc::daemon
