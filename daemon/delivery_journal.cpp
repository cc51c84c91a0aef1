#include "daemon/delivery_journal.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/log.h"
#include "core/transport/wire.h"
#include "core/state_codec.h"

namespace soc::daemon {

namespace {

constexpr std::string_view kHeader = "soc-delivery 1\n";
constexpr std::string_view kPrefix = "marks.";

std::string errno_text() { return std::strerror(errno); }

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Result<void> write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("io", fmt::format("cannot write {}: {}", path, n < 0 ? errno_text() : "short write"));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<std::string> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("io", fmt::format("cannot read {}: {}", path, errno_text()));
  std::string out;
  char buf[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = errno_text();
      ::close(fd);
      return fail("io", fmt::format("cannot read {}: {}", path, why));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

// The segments of `dir` by generation.
std::vector<std::pair<uint64_t, std::string>> list_segments(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    uint64_t gen;
    if (name.substr(0, kPrefix.size()) == kPrefix && parse_u64(name.substr(kPrefix.size()), gen))
      out.emplace_back(gen, dir + "/" + std::string(name));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// A small cache over `marks`: the lines of one batch share a sensor and an epoch.
struct MarkIndex {
  std::vector<DeliveryMark>& marks;
  size_t last = SIZE_MAX;
  void raise(std::string_view sensor, uint64_t epoch, uint64_t next) {
    if (last < marks.size() && marks[last].epoch == epoch && marks[last].sensor == sensor) {
      marks[last].next = std::max(marks[last].next, next);
      return;
    }
    for (size_t i = 0; i < marks.size(); ++i) {
      if (marks[i].epoch == epoch && marks[i].sensor == sensor) {
        marks[i].next = std::max(marks[i].next, next);
        last = i;
        return;
      }
    }
    marks.push_back({std::string(sensor), epoch, next});
    last = marks.size() - 1;
  }
};

}  // namespace

void raise_mark(std::vector<DeliveryMark>& marks, std::string_view sensor, uint64_t epoch, uint64_t next) {
  MarkIndex{marks}.raise(sensor, epoch, next);
}

std::string format_mark_record(std::string_view sensor, uint64_t epoch, uint64_t next, FilePosition pos) {
  std::string line = fmt::format("{} {} {} {} {}", sensor, epoch, next, pos.inode, pos.offset);
  return fmt::format("{} {:08x}", line, crc32(line));
}

bool parse_mark_record(std::string_view line, DeliveryMark& mark, FilePosition& pos) {
  const size_t last_space = line.rfind(' ');
  if (last_space == std::string_view::npos || line.size() - last_space != 9) return false;
  uint32_t want = 0;
  const std::string_view hex = line.substr(last_space + 1);
  auto [p, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), want, 16);
  if (ec != std::errc() || p != hex.data() + hex.size()) return false;
  const std::string_view body = line.substr(0, last_space);
  if (crc32(body) != want) return false;
  std::string_view parts[5];
  size_t n = 0, start = 0;
  while (n < 5) {
    const size_t sp = body.find(' ', start);
    parts[n++] = body.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start);
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  if (n != 5 || body.find(' ', start) != std::string_view::npos) return false;
  if (!transport::valid_id(parts[0])) return false;
  if (!parse_u64(parts[1], mark.epoch) || !parse_u64(parts[2], mark.next) || !parse_u64(parts[3], pos.inode) ||
      !parse_u64(parts[4], pos.offset))
    return false;
  mark.sensor.assign(parts[0]);
  return true;
}

Result<std::unique_ptr<DeliveryJournal>> DeliveryJournal::open(const std::string& dir, Recovered& out) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail("state_dir", fmt::format("cannot create {}: {}", dir, errno_text()));
  std::unique_ptr<DeliveryJournal> j(new DeliveryJournal(dir));
  const auto segments = list_segments(dir);
  MarkIndex index{out.marks};
  for (size_t si = 0; si < segments.size(); ++si) {
    const auto& [gen, path] = segments[si];
    auto text = read_file(path);
    if (!text) return fail("state_dir", text.error().message);
    ++out.segments;
    j->generation_ = gen;
    j->old_segments_.push_back(path);
    std::string_view rest = *text;
    if (rest.substr(0, kHeader.size()) != kHeader) {
      // An empty segment is one whose header never reached the disk: nothing was recorded in it.
      if (!rest.empty()) {
        ++out.damaged;
        out.position_known = false;
        log::warn("delivery", "{} does not start with '{}': its records are skipped", path,
                  kHeader.substr(0, kHeader.size() - 1));
      }
      continue;
    }
    rest.remove_prefix(kHeader.size());
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      const bool last_in_journal = si + 1 == segments.size();
      if (nl == std::string_view::npos) {
        // Cut short by a crash in the middle of a write: the batch was not acknowledged.
        if (last_in_journal) {
          ++out.torn;
        } else {
          ++out.damaged;
        }
        break;
      }
      DeliveryMark m;
      FilePosition pos;
      if (parse_mark_record(rest.substr(0, nl), m, pos)) {
        index.raise(m.sensor, m.epoch, m.next);
        out.events_out = pos;
        out.position_known = true;
        ++out.records;
      } else {
        ++out.damaged;
        out.position_known = false;  // a lost record may have moved the position: read the file whole
      }
      rest.remove_prefix(nl + 1);
    }
  }
  // A damaged record anywhere leaves the position unknown even if later ones parsed: they may
  // name a position before the lost one's batch.
  if (out.damaged > 0) out.position_known = false;
  return j;
}

DeliveryJournal::~DeliveryJournal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> DeliveryJournal::start(const std::vector<DeliveryMark>& marks, FilePosition pos) {
  const uint64_t gen = generation_ + 1;
  const std::string path = fmt::format("{}/{}{}", dir_, kPrefix, gen);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return fail("io", fmt::format("cannot create {}: {}", path, errno_text()));
  std::string text(kHeader);
  for (const auto& m : marks) {
    text += format_mark_record(m.sensor, m.epoch, m.next, pos);
    text += '\n';
  }
  auto w = write_all(fd, text, path);
  if (w && ::fdatasync(fd) != 0) w = fail("io", fmt::format("cannot sync {}: {}", path, errno_text()));
  if (w) {
    const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)::fsync(dfd);
      ::close(dfd);
    }
  }
  if (!w) {
    ::close(fd);
    ::unlink(path.c_str());
    return w;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  generation_ = gen;
  segment_bytes_ = text.size();
  // The new segment holds every mark: the older ones are no longer needed.
  for (const auto& old : old_segments_) ::unlink(old.c_str());
  old_segments_.assign(1, path);
  return {};
}

Result<void> DeliveryJournal::record(std::string_view sensor, uint64_t epoch, uint64_t next, FilePosition pos,
                                     bool sync) {
  if (fd_ < 0) return fail("io", "the delivery journal was not started");
  std::string line = format_mark_record(sensor, epoch, next, pos);
  line += '\n';
  const std::string path = old_segments_.empty() ? dir_ : old_segments_.back();
  const ssize_t n = ::write(fd_, line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) {
    const std::string why = n < 0 ? errno_text() : "short write (disk full?)";
    // A partial record would fail its checksum at start; cut it off now so the next one is whole.
    if (n > 0 && ::ftruncate(fd_, static_cast<off_t>(segment_bytes_)) != 0)
      log::error("delivery", "cannot cut {} back after a failed write: {}", path, errno_text());
    return fail("io", fmt::format("cannot write {}: {}", path, why));
  }
  segment_bytes_ += line.size();
  if (sync && ::fdatasync(fd_) != 0) return fail("io", fmt::format("cannot sync {}: {}", path, errno_text()));
  return {};
}

namespace {

constexpr std::string_view kIdKey = "\"event.id\":\"";

// The "<sensor>:<epoch>:<seq>" of one line, parsed from the right (sensor ids may hold ':').
bool event_id_of(std::string_view line, std::string_view& sensor, uint64_t& epoch, uint64_t& seq) {
  const size_t at = line.find(kIdKey);
  if (at == std::string_view::npos) return false;
  const size_t start = at + kIdKey.size();
  const size_t end = line.find('"', start);
  if (end == std::string_view::npos) return false;
  const std::string_view id = line.substr(start, end - start);
  const size_t c2 = id.rfind(':');
  if (c2 == std::string_view::npos || c2 == 0) return false;
  const size_t c1 = id.rfind(':', c2 - 1);
  if (c1 == std::string_view::npos) return false;
  sensor = id.substr(0, c1);
  return parse_u64(id.substr(c1 + 1, c2 - c1 - 1), epoch) && parse_u64(id.substr(c2 + 1), seq) &&
         transport::valid_id(sensor);
}

}  // namespace

Result<uint64_t> recover_marks_from_events(const std::string& path, FilePosition from, bool position_known,
                                           std::vector<DeliveryMark>& marks) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return uint64_t{0};
    return fail("io", fmt::format("cannot read {}: {}", path, errno_text()));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    return fail("io", fmt::format("cannot read {}: {}", path, why));
  }
  uint64_t offset = 0;
  if (position_known && from.inode == static_cast<uint64_t>(st.st_ino) &&
      from.offset <= static_cast<uint64_t>(st.st_size))
    offset = from.offset;
  MarkIndex index{marks};
  uint64_t events = 0;
  std::string buf, carry;
  buf.resize(1 << 20);
  while (true) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = errno_text();
      ::close(fd);
      return fail("io", fmt::format("cannot read {}: {}", path, why));
    }
    if (n == 0) break;
    offset += static_cast<uint64_t>(n);
    carry.append(buf.data(), static_cast<size_t>(n));
    std::string_view rest = carry;
    size_t nl;
    while ((nl = rest.find('\n')) != std::string_view::npos) {
      std::string_view sensor;
      uint64_t epoch, seq;
      if (event_id_of(rest.substr(0, nl), sensor, epoch, seq)) {
        index.raise(sensor, epoch, seq + 1);
        ++events;
      }
      rest.remove_prefix(nl + 1);
    }
    carry.erase(0, carry.size() - rest.size());
  }
  ::close(fd);
  return events;
}

}  // namespace soc::daemon
