#include "daemon/alerts/sinks/chain_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/clock.h"
#include "core/crypto/digest.h"
#include "core/json_codec.h"
#include "core/log.h"

namespace soc::daemon::alerts::sinks {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void fsync_dir(const std::string& path) {
  const int fd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// FILE.20261204T101500.123456Z (FILE.<time>-2 in the unlikely case that exists): the names of
// a file's rotations sort by time.
std::string rotated_name(const std::string& path) {
  std::string compact;
  for (char c : format_rfc3339(now()))  // 2026-12-04T10:15:00.123456Z
    if (c != '-' && c != ':') compact += c;
  const std::string base = path + "." + compact;
  std::string name = base;
  struct stat st {};
  for (int i = 2; ::lstat(name.c_str(), &st) == 0; ++i) name = base + "-" + std::to_string(i);
  return name;
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The last '\n' at or before `end` (exclusive bound), searching back at most `limit` bytes; -1
// when none. Reads with pread in chunks.
Result<int64_t> find_newline_back(int fd, int64_t end, int64_t limit) {
  char buf[65536];
  const int64_t stop = std::max<int64_t>(0, end - limit);
  int64_t pos = end;
  while (pos > stop) {
    const int64_t from = std::max(stop, pos - static_cast<int64_t>(sizeof buf));
    const ssize_t n = ::pread(fd, buf, static_cast<size_t>(pos - from), from);
    if (n < 0) return fail("io", errno_text(errno));
    if (n != pos - from) return fail("io", "short read");
    if (const void* nl = memrchr(buf, '\n', static_cast<size_t>(n)))
      return from + (static_cast<const char*>(nl) - buf);
    pos = from;
  }
  return int64_t{-1};
}

uint64_t count_lines(int fd, int64_t end) {
  char buf[65536];
  uint64_t lines = 0;
  for (int64_t pos = 0; pos < end;) {
    const ssize_t n = ::pread(fd, buf, static_cast<size_t>(std::min<int64_t>(sizeof buf, end - pos)), pos);
    if (n <= 0) break;
    lines += static_cast<uint64_t>(std::count(buf, buf + n, '\n'));
    pos += n;
  }
  return lines;
}

}  // namespace

Result<FsyncPolicy> parse_fsync_policy(std::string_view text) {
  if (text == "always") return FsyncPolicy::Always;
  if (text == "interval") return FsyncPolicy::Interval;
  if (text == "never") return FsyncPolicy::Never;
  return fail("config", fmt::format("'{}' is not an fsync policy: always, interval or never", text));
}

Result<std::unique_ptr<ChainLog>> ChainLog::open(ChainLogOptions options) {
  std::unique_ptr<ChainLog> log(new ChainLog(std::move(options)));
  if (auto r = log->continue_or_start(); !r) return fail(r.error());
  return log;
}

ChainLog::~ChainLog() {
  if (fd_ < 0) return;
  if (dirty_ && options_.fsync != FsyncPolicy::Never) sync();
  ::close(fd_);
}

// Reads the tail of an existing file to continue its chain; starts a new chain in an empty one.
Result<void> ChainLog::continue_or_start() {
  const std::string& path = options_.path;
  fd_ = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd_ < 0) return fail("config", fmt::format("cannot open {} for appending: {}", path, errno_text(errno)));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return fail("config", fmt::format("cannot read {}: {}", path, errno_text(errno)));
  const auto size = static_cast<int64_t>(st.st_size);
  if (size == 0) {
    fsync_dir(path);
    start_file("", "new chain", 0);
    return {};
  }
  auto not_chained = [&](uint64_t line, std::string_view why) {
    return fail("config", fmt::format("{}:{}: not a chained alert log ({}): give --alert-log a new file, or move "
                                      "this one aside (socctl audit verify tells whether it is intact)",
                                      path, line, why));
  };
  auto io = [&](const Error& e) { return fail("config", fmt::format("cannot read {}: {}", path, e.message)); };
  // The partial tail after the last newline, if any, is at most one record long.
  auto last_nl = find_newline_back(fd_, size, static_cast<int64_t>(kMaxRecordBytes) + 1);
  if (!last_nl) return io(last_nl.error());
  if (*last_nl < 0 && size > static_cast<int64_t>(kMaxRecordBytes))
    return not_chained(count_lines(fd_, size) + 1, "it ends in more than 1 MiB without a newline");
  const int64_t complete = *last_nl + 1;  // bytes of complete lines
  const uint64_t cut = static_cast<uint64_t>(size - complete);
  if (complete == 0) {
    // Only a partial first line: a start record cut short by a crash, nothing else.
    char head[8] = {0};
    if (::pread(fd_, head, 7, 0) != 7 || std::string_view(head, 7) != "{\"seq\":") return not_chained(1, "no record");
  } else {
    auto prev_nl = find_newline_back(fd_, *last_nl, static_cast<int64_t>(kMaxRecordBytes) + 1);
    if (!prev_nl) return io(prev_nl.error());
    const uint64_t line_no = count_lines(fd_, complete);
    if (*prev_nl < 0 && *last_nl > static_cast<int64_t>(kMaxRecordBytes))
      return not_chained(line_no, "its last line is longer than 1 MiB");
    const int64_t begin = *prev_nl + 1;
    std::string line(static_cast<size_t>(*last_nl - begin), '\0');
    if (::pread(fd_, line.data(), line.size(), begin) != static_cast<ssize_t>(line.size()))
      return io(Error{"io", errno_text(errno)});
    Event rec;
    if (auto bad = decode_event_into(line, rec, DecodeLimits{.max_bytes = kMaxRecordBytes}))
      return not_chained(line_no, bad->message());
    const auto seq = rec.get_int("seq");
    if (!seq || *seq < 1 || !is_hex64(rec.get_string("prev"))) return not_chained(line_no, "no seq and prev");
    seq_ = static_cast<uint64_t>(*seq);
    head_ = crypto::sha256_hex(line);
  }
  if (cut > 0) {
    if (::ftruncate(fd_, complete) != 0)
      return fail("config", fmt::format("cannot cut the partial last line of {}: {}", path, errno_text(errno)));
    log::warn("alert-log", "{} ended in a partial line ({} bytes, from a crash): cut off, recorded in the chain", path, cut);
  }
  size_ = static_cast<uint64_t>(complete);
  if (complete == 0) {
    start_file("", "new chain", cut);
    return {};
  }
  std::string members = "\"writer\":";
  append_json_string(members, options_.writer);
  if (cut > 0) members += fmt::format(",\"cut_bytes\":{}", cut);
  pending_ = ChainRecord{"open", std::move(members)};
  write_pending("continuing the chain");
  return {};
}

// A start or open record goes before the next batch when it cannot be written now (disk full):
// a file never lacks its start, and a restart is always on record.
void ChainLog::write_pending(std::string_view what) {
  if (auto r = append({}); !r) log::warn("alert-log", "{}: {} waits for the next notice: {}", options_.path, what, r.error().message);
}

std::string ChainLog::build(std::string_view type, std::string_view members, uint64_t seq, std::string_view prev) const {
  std::string line = fmt::format("{{\"seq\":{},\"prev\":\"{}\",\"record\":", seq, prev);
  append_json_string(line, type);
  line += ",\"time\":\"";
  append_rfc3339(line, now());
  line += '"';
  if (!members.empty()) {
    line += ',';
    line += members;
  }
  line += '}';
  return line;
}

void ChainLog::start_file(std::string_view previous_file, std::string_view reason, uint64_t cut_bytes) {
  std::string members = fmt::format("\"format\":\"{}\",\"writer\":", kChainFormat);
  append_json_string(members, options_.writer);
  members += ",\"previous_file\":";
  if (previous_file.empty()) members += "null";
  else append_json_string(members, previous_file);
  members += ",\"reason\":";
  append_json_string(members, reason);
  if (cut_bytes > 0) members += fmt::format(",\"cut_bytes\":{}", cut_bytes);
  pending_ = ChainRecord{"start", std::move(members)};
  write_pending("its start record");
}

Result<void> ChainLog::write_all(std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const int e = n < 0 ? errno : ENOSPC;
    // All or nothing: cut what reached the file, so that the next batch starts on a fresh line.
    if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0)
      log::error("alert-log", "cannot cut a partial write from {}: {}", options_.path, errno_text(errno));
    return fail("io", fmt::format("cannot write {}: {}", options_.path, errno_text(e)));
  }
  return {};
}

Result<void> ChainLog::append(std::span<const ChainRecord> records) {
  std::string buf;
  uint64_t seq = seq_;
  std::string head = head_;
  auto add = [&](std::string_view type, std::string_view members) -> Result<void> {
    std::string line = build(type, members, seq + 1, head);
    if (line.size() > kMaxRecordBytes)
      return fail("too_large", fmt::format("a {} record of {} bytes is longer than the log's limit", type, line.size()));
    head = crypto::sha256_hex(line);
    ++seq;
    buf += line;
    buf += '\n';
    return {};
  };
  if (pending_) {
    if (auto r = add(pending_->type, pending_->members); !r) return r;
  }
  for (const auto& r : records) {
    if (auto a = add(r.type, r.members); !a) return a;
  }
  if (buf.empty()) return {};
  // A torn write cut off earlier may have left the file longer than the chain knows.
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) != size_ && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0)
    return fail("io", fmt::format("cannot cut a partial write from {}: {}", options_.path, errno_text(errno)));
  if (auto w = write_all(buf); !w) return w;
  seq_ = seq;
  head_ = std::move(head);
  pending_.reset();
  size_ += buf.size();
  dirty_ = true;
  const auto t = std::chrono::steady_clock::now();
  if (options_.fsync == FsyncPolicy::Always ||
      (options_.fsync == FsyncPolicy::Interval && t - last_sync_ >= options_.fsync_interval))
    sync();
  if (options_.max_bytes > 0 && size_ >= options_.max_bytes) rotate();
  return {};
}

void ChainLog::sync() {
  last_sync_ = std::chrono::steady_clock::now();
  if (::fdatasync(fd_) != 0) {
    if (!sync_failing_) log::error("alert-log", "cannot sync {}: {}", options_.path, errno_text(errno));
    sync_failing_ = true;
    return;
  }
  sync_failing_ = false;
  dirty_ = false;
}

void ChainLog::tick() {
  if (pending_) write_pending("a record");
  if (dirty_ && options_.fsync == FsyncPolicy::Interval &&
      std::chrono::steady_clock::now() - last_sync_ >= options_.fsync_interval)
    sync();
}

void ChainLog::rotate() {
  const std::string& path = options_.path;
  sync();
  const std::string rotated = rotated_name(path);
  if (::rename(path.c_str(), rotated.c_str()) != 0) {
    log::error("alert-log", "cannot rotate {} to {}: {}; writing on in {}", path, rotated, errno_text(errno), path);
    return;
  }
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    log::error("alert-log", "cannot create {} after rotating it to {}: {}; writing on in {}", path, rotated,
               errno_text(errno), rotated);
    options_.path = rotated;  // the chain goes on where the file is now
    return;
  }
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
  fsync_dir(path);
  log::info("alert-log", "rotated {} to {} at seq {} (SHA-256 of its last line {})", path, rotated, seq_, head_);
  start_file(base_of(rotated), "rotation", 0);
}

Result<void> ChainLog::reopen() {
  const std::string& path = options_.path;
  struct stat mine {}, there {};
  if (::fstat(fd_, &mine) == 0 && ::stat(path.c_str(), &there) == 0 && mine.st_dev == there.st_dev &&
      mine.st_ino == there.st_ino)
    return {};  // not moved
  if (::stat(path.c_str(), &there) == 0 && there.st_size > 0)
    return fail("io", fmt::format("{} is now another file, not empty: the chain goes on in the moved file", path));
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return fail("io", fmt::format("cannot open {}: {}; the chain goes on in the moved file", path, errno_text(errno)));
  if (options_.fsync != FsyncPolicy::Never) sync();
  ::close(fd_);
  fd_ = fd;
  size_ = 0;
  fsync_dir(path);
  log::info("alert-log", "reopened {} (moved away) at seq {}", path, seq_);
  start_file("", "reopen", 0);
  return {};
}

}  // namespace soc::daemon::alerts::sinks
