#include "daemon/event_log.h"

#include <fmt/core.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/log.h"

namespace soc::daemon {

EventLog::~EventLog() {
  if (file_) std::fclose(file_);
}

namespace {

// A correlator killed in the middle of a write leaves a partial last line. Its event was not
// acknowledged (the file is flushed before each acknowledgement), so its sender sends it again:
// cut the partial line off rather than glue the next event to it.
Result<void> drop_partial_last_line(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return {};  // does not exist yet
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) {
    ::close(fd);
    return {};
  }
  off_t end = st.st_size;
  char buf[4096];
  while (end > 0) {
    const off_t start = end > static_cast<off_t>(sizeof buf) ? end - static_cast<off_t>(sizeof buf) : 0;
    const ssize_t n = ::pread(fd, buf, static_cast<size_t>(end - start), start);
    if (n <= 0) break;
    const void* nl = memrchr(buf, '\n', static_cast<size_t>(n));
    if (nl) {
      end = start + (static_cast<const char*>(nl) - buf) + 1;
      break;
    }
    end = start;
  }
  Result<void> result;
  if (end != st.st_size) {
    log::warn("events-out", "{} ended in a partial line ({} bytes, from a crash): cut off", path, st.st_size - end);
    if (::ftruncate(fd, end) != 0) {
      result = fail("io", fmt::format("cannot cut the partial last line of {}: {}", path, std::strerror(errno)));
    }
  }
  ::close(fd);
  return result;
}

}  // namespace

Result<void> EventLog::open(const std::string& path) {
  path_ = path;
  if (auto r = drop_partial_last_line(path); !r) return r;
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
