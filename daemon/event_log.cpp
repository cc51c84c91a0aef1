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
  if (fd_ >= 0) {
    flush();
    ::close(fd_);
  }
}

namespace {

// A correlator killed in the middle of a write leaves a partial last line. Its event was not
// acknowledged (the file is flushed before each acknowledgement), so its sender sends it again:
// cut the partial line off rather than glue the next event to it.
Result<void> drop_partial_last_line(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size == 0) return {};
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
  if (end != st.st_size) {
    log::warn("events-out", "{} ended in a partial line ({} bytes, from a crash): cut off", path, st.st_size - end);
    if (::ftruncate(fd, end) != 0)
      return fail("io", fmt::format("cannot cut the partial last line of {}: {}", path, std::strerror(errno)));
  }
  return {};
}

}  // namespace

Result<void> EventLog::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return soc::fail("io", fmt::format("cannot open {} for appending: {}", path, std::strerror(errno)));
  if (auto r = drop_partial_last_line(fd, path); !r) {
    ::close(fd);
    return r;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return soc::fail("io", fmt::format("cannot read the size of {}: {}", path, std::strerror(e)));
  }
  // What the old file still buffers goes to the old file (logrotate's copy keeps it).
  if (fd_ >= 0) {
    flush();
    ::close(fd_);
  }
  path_ = path;
  fd_ = fd;
  committed_ = static_cast<uint64_t>(st.st_size);
  inode_ = static_cast<uint64_t>(st.st_ino);
  return {};
}

Result<void> EventLog::reopen() {
  if (path_.empty()) return {};
  return open(path_);
}

bool EventLog::write(std::string_view json) {
  if (fd_ < 0) return false;
  if (buffer_.size() >= max_pending_) return false;
  buffer_.append(json);
  buffer_ += '\n';
  return true;
}

bool EventLog::fail(const char* what, int err) {
  const std::string cause = std::strerror(err);
  if (!failing_ || cause != last_error_)
    log::error("output", "cannot {} {}: {}; {} bytes kept in memory and tried again", what, path_, cause,
               buffer_.size());
  failing_ = true;
  last_error_ = cause;
  return false;
}

bool EventLog::flush() {
  if (fd_ < 0 || buffer_.empty()) return fd_ < 0 || !failing_ || sync();
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : ENOSPC;
      // Part of the buffer may be in the file: cut it back to the last whole line we kept.
      if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(committed_)) != 0)
        log::error("output", "cannot cut {} back to {} bytes after a failed write: {}", path_, committed_,
                   std::strerror(errno));
      return fail("write", err);
    }
    done += static_cast<size_t>(n);
  }
  committed_ += buffer_.size();
  buffer_.clear();
  if (failing_) {
    log::info("output", "writing {} again", path_);
    failing_ = false;
    last_error_.clear();
  }
  return true;
}

bool EventLog::sync() {
  if (fd_ < 0) return true;
  if (::fdatasync(fd_) != 0) return fail("sync", errno);
  if (failing_ && buffer_.empty()) {
    log::info("output", "writing {} again", path_);
    failing_ = false;
    last_error_.clear();
  }
  return true;
}

}  // namespace soc::daemon
