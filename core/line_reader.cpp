#include "core/line_reader.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace soc {

LineReader::~LineReader() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

Result<void> LineReader::open(const std::string& path, size_t max_line_bytes) {
  if (path == "-") {
    fd_ = 0;
    owns_fd_ = false;
  } else {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return fail("io", fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    owns_fd_ = true;
  }
  max_line_ = max_line_bytes;
  buf_.resize(std::max<size_t>(1 << 20, max_line_bytes + 1));
  return {};
}

bool LineReader::resume_at(uint64_t offset, uint64_t line_number) {
  line_no_ = line_number;
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) == static_cast<off_t>(offset)) {
    begin_ = end_ = 0;
    base_ = offset;
    return true;
  }
  while (base_ + end_ < offset) {  // a pipe: read up to there
    begin_ = end_;
    if (!fill()) return false;
  }
  begin_ = static_cast<size_t>(offset - base_);
  return true;
}

bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    base_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buf_.size()) return true;  // full: the caller handles the long line
  while (true) {
    const ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    error_ = std::strerror(errno);
    eof_ = true;
    return false;
  }
}

bool LineReader::next(std::string_view& line, bool& truncated) {
  truncated = false;
  size_t scan_from = begin_;
  while (true) {
    const void* nl = std::memchr(buf_.data() + scan_from, '\n', end_ - scan_from);
    if (nl) {
      const size_t pos = static_cast<size_t>(static_cast<const char*>(nl) - buf_.data());
      size_t len = pos - begin_;
      line = std::string_view(buf_.data() + begin_, len);
      if (line.size() > max_line_) {
        line = line.substr(0, max_line_);
        truncated = true;
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      begin_ = pos + 1;
      ++line_no_;
      return true;
    }
    if (end_ - begin_ > max_line_) {
      // A line longer than the limit: return its start, then skip to its end.
      line = std::string_view(buf_.data() + begin_, max_line_);
      truncated = true;
      ++line_no_;
      std::string kept(line);
      // Discard until the next newline.
      begin_ = end_;
      while (true) {
        if (!fill()) break;
        const void* skip = std::memchr(buf_.data() + begin_, '\n', end_ - begin_);
        if (skip) {
          begin_ = static_cast<size_t>(static_cast<const char*>(skip) - buf_.data()) + 1;
          break;
        }
        begin_ = end_;
      }
      // `kept` must outlive this call: store it at the end of the buffer's spare room is not
      // possible after fill(); keep it in a member instead.
      long_line_ = std::move(kept);
      line = long_line_;
      return true;
    }
    const size_t scanned = end_ - begin_;
    if (!fill()) {
      if (end_ > begin_) {  // last line without a newline
        line = std::string_view(buf_.data() + begin_, end_ - begin_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        begin_ = end_;
        ++line_no_;
        return true;
      }
      return false;
    }
    scan_from = begin_ + scanned;
  }
}

}  // namespace soc
