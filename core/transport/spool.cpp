#include "core/transport/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "core/transport/spool_record.h"

namespace soc::transport {

namespace sf = spool_format;

std::string_view to_string(SpoolFull p) { return p == SpoolFull::Block ? "block" : "drop-oldest"; }

std::optional<SpoolFull> parse_spool_full(std::string_view text) {
  if (text == "drop-oldest") return SpoolFull::DropOldest;
  if (text == "block") return SpoolFull::Block;
  return std::nullopt;
}

namespace {

int64_t now_us() { return static_cast<int64_t>(soc::now().time_since_epoch().count()); }

std::string segment_name(uint64_t id) { return fmt::format("{:016x}.seg", id); }

// "0000000000000001.seg" -> 1; nullopt for any other name.
std::optional<uint64_t> parse_segment_name(std::string_view name) {
  if (name.size() != 20 || name.substr(16) != ".seg") return std::nullopt;
  uint64_t id = 0;
  for (char c : name.substr(0, 16)) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return std::nullopt;
    id = id * 16 + static_cast<uint64_t>(d);
  }
  if (id == 0) return std::nullopt;
  return id;
}

}  // namespace

// fdatasync()s the segment being written and the folder once per interval, off the sender's
// thread: a sync of a second's writes can take longer than the flush deadline.
class Spool::Syncer {
 public:
  Syncer(int dir_fd, std::chrono::milliseconds every) : dir_fd_(::dup(dir_fd)), every_(every) {
    thread_ = std::thread([this] { run(); });
  }
  ~Syncer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
    if (dir_fd_ >= 0) ::close(dir_fd_);
  }
  // The segment now being written, `id` (the syncer keeps its own descriptor: the spool may close
  // the file meanwhile). The descriptor of the previous one is closed after its last sync.
  void watch(int fd, uint64_t id) {
    const int mine = fd >= 0 ? ::dup(fd) : -1;
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ >= 0) retired_.push_back({fd_, id_});
    fd_ = mine;
    id_ = id;
  }
  // Segment `id` is being deleted: its descriptors are closed now, unsynced. While one is open
  // the file's blocks stay allocated, and on a full disk the spool, having deleted its oldest
  // segment to make room, would find none (and drop its newest batches instead).
  void forget(uint64_t id) {
    std::vector<int> fds;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (fd_ >= 0 && id_ == id) {
        fds.push_back(fd_);
        fd_ = -1;
      }
      std::erase_if(retired_, [&](const Retired& r) {
        if (r.id != id) return false;
        fds.push_back(r.fd);
        return true;
      });
    }
    for (int fd : fds) ::close(fd);
  }
  void dirty(bool dir) {
    std::lock_guard<std::mutex> lock(mu_);
    data_dirty_ = true;
    dir_dirty_ = dir_dirty_ || dir;
  }
  // Whether the spool holds batches not yet acknowledged: only they need to survive a power cut
  // (a correlator that keeps up acknowledges what was written long before a sync would matter).
  void holding(bool any) { holding_.store(any, std::memory_order_relaxed); }
  void sync_now() { sync_once(true); }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, every_, [this] { return stop_; });
      if (stop_) break;
      lock.unlock();
      sync_once(false);
      lock.lock();
    }
  }
  void sync_once(bool always) {
    std::vector<int> fds;
    bool dir;
    const bool needed = always || holding_.load(std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& r : retired_) fds.push_back(r.fd);  // closed after their last sync
      retired_.clear();
      if (needed && data_dirty_ && fd_ >= 0) fds.push_back(::dup(fd_));
      dir = needed && dir_dirty_;
      if (needed) data_dirty_ = dir_dirty_ = false;
    }
    for (int fd : fds) {
      if (fd >= 0) {
        if (needed) ::fdatasync(fd);
        ::close(fd);
      }
    }
    if (dir && dir_fd_ >= 0) ::fsync(dir_fd_);
  }

  int dir_fd_;
  struct Retired {
    int fd;
    uint64_t id;
  };
  int fd_ = -1;
  uint64_t id_ = 0;
  std::vector<Retired> retired_;
  bool data_dirty_ = false, dir_dirty_ = false, stop_ = false;
  std::atomic<bool> holding_{false};
  std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

// Reads records one after another from a segment file, through a buffer, up to a limit (the
// size the spool knows). Damage is reported as a region, after which reading resumes at the next
// place a record might start; a region that reaches the limit is "torn".
class Spool::RecordStream {
 public:
  enum class Step { Record, Damaged, End };

  void reset(int fd, uint64_t offset) {
    fd_ = fd;
    if (buf_.capacity() > (4u << 20)) std::string().swap(buf_);
    buf_.clear();
    buf_off_ = offset;
    pos_ = 0;
  }
  uint64_t offset() const { return buf_off_ + pos_; }

  Step next(uint64_t limit, sf::RecordView& rec, uint64_t& at, uint64_t& len, bool& torn) {
    torn = false;
    const uint64_t cur = offset();
    if (cur >= limit) return Step::End;
    size_t avail = ensure(sf::kRecordPrefixBytes, limit);
    if (avail == 0) return Step::End;  // a read error: the caller sees no progress
    size_t consumed = 0;
    auto st = sf::parse_record(std::string_view(buf_.data() + pos_, avail), rec, consumed);
    if (st == sf::ParseStatus::NeedMore) {
      if (cur + consumed > limit) {  // claims more than there is: the last write was cut short
        at = cur;
        len = limit - cur;
        torn = true;
        skip_to(limit);
        return Step::Damaged;
      }
      avail = ensure(consumed, limit);
      if (avail < consumed) return Step::End;
      st = sf::parse_record(std::string_view(buf_.data() + pos_, avail), rec, consumed);
    }
    if (st == sf::ParseStatus::Ok) {
      at = cur;
      len = consumed;
      pos_ += consumed;
      return Step::Record;
    }
    // Damaged: look for the next place a record may start.
    at = cur;
    ++pos_;
    while (true) {
      avail = ensure(64 << 10, limit);
      if (avail == 0) {
        len = limit - at;
        torn = true;
        return Step::Damaged;
      }
      const std::string_view v(buf_.data() + pos_, avail);
      const size_t f = sf::find_next_magic(v, 0);
      if (f == avail) {
        pos_ += avail;
        continue;
      }
      if (avail - f >= 4) {
        pos_ += f;
        len = offset() - at;
        return Step::Damaged;
      }
      // A prefix of the magic at the end of what is read: more decides, unless this is the end.
      if (offset() + avail >= limit) {
        skip_to(limit);
        len = limit - at;
        torn = true;
        return Step::Damaged;
      }
      pos_ += f;
      if (ensure(4, limit) < 4) {
        skip_to(limit);
        len = limit - at;
        torn = true;
        return Step::Damaged;
      }
    }
  }

 private:
  void skip_to(uint64_t off) {
    buf_.clear();
    buf_off_ = off;
    pos_ = 0;
  }
  // Makes at least n bytes available from pos_ (fewer at the limit); returns what is available.
  size_t ensure(size_t n, uint64_t limit) {
    size_t avail = buf_.size() - pos_;
    const uint64_t can = limit > offset() ? limit - offset() : 0;
    const size_t want = static_cast<size_t>(std::min<uint64_t>(n, can));
    if (avail >= want) return avail;
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      buf_off_ += pos_;
      pos_ = 0;
    }
    const size_t target = static_cast<size_t>(std::min<uint64_t>(can, std::max<uint64_t>(want, 1 << 20)));
    size_t have = buf_.size();
    buf_.resize(target);
    while (have < target) {
      const ssize_t r = ::pread(fd_, buf_.data() + have, target - have, static_cast<off_t>(buf_off_ + have));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      have += static_cast<size_t>(r);
    }
    buf_.resize(have);
    return buf_.size() - pos_;
  }

  int fd_ = -1;
  std::string buf_;
  uint64_t buf_off_ = 0;
  size_t pos_ = 0;
};

Spool::Spool(SpoolConfig config) : config_(std::move(config)) {
  segment_target_ = std::clamp<uint64_t>(config_.max_bytes / 16, 64 << 10, 64 << 20);
  stream_ = std::make_unique<RecordStream>();
}

Spool::~Spool() {
  syncer_.reset();
  // What is not acknowledged must survive a power cut; when everything was, there is no need to
  // wait for the disk (the kernel writes the rest back anyway).
  const bool holding = stats().records > 0;
  if (tail_fd_ >= 0) {
    if (holding) ::fdatasync(tail_fd_);
    ::close(tail_fd_);
  }
  if (dir_fd_ >= 0) {
    if (holding) ::fsync(dir_fd_);
    ::close(dir_fd_);
  }
  if (read_fd_ >= 0) ::close(read_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

Result<std::unique_ptr<Spool>> Spool::open(const SpoolConfig& config) {
  if (config.dir.empty()) return fail("config", "the spool folder is empty");
  std::unique_ptr<Spool> s(new Spool(config));
  std::string& dir = s->config_.dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail("config", fmt::format("cannot create the spool folder {}: {}", dir, std::strerror(errno)));
  s->dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dir_fd_ < 0) return fail("config", fmt::format("cannot open the spool folder {}: {}", dir, std::strerror(errno)));
  const std::string lock_path = dir + "/lock";
  s->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lock_fd_ < 0) return fail("config", fmt::format("cannot open {}: {}", lock_path, std::strerror(errno)));
  if (::flock(s->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    (void)!::pread(s->lock_fd_, pid, sizeof(pid) - 1, 0);
    std::string who(pid);
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    return fail("config", fmt::format("the spool folder {} is in use{}: each sender needs its own", dir,
                                      who.empty() ? std::string() : " by pid " + who));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(s->lock_fd_, 0) == 0) (void)!::pwrite(s->lock_fd_, pid.data(), pid.size(), 0);
  if (auto r = s->recover(); !r) return fail(r.error());
  if (config.sync_interval.count() > 0) {
    s->syncer_ = std::make_unique<Syncer>(s->dir_fd_, config.sync_interval);
    s->syncer_->watch(s->tail_fd_, s->tail_id_);
    s->syncer_->holding(s->stats().records > 0);
  }
  return s;
}

std::string Spool::path_of(uint64_t id) const { return config_.dir + "/" + segment_name(id); }

Spool::Segment* Spool::find(uint64_t id) {
  auto it = segments_.find(id);
  return it == segments_.end() ? nullptr : &it->second;
}

SpoolLocation Spool::end_location() const {
  if (segments_.empty()) return {next_id_, sf::kSegmentHeaderBytes};
  const auto& t = segments_.rbegin()->second;
  return {t.id, t.size};
}

// Scans every segment in order: counts batches, reads marks, finds the newest position and
// epoch, cuts a torn end of the last segment and counts damage. Then works out which batches
// are done and deletes segments that hold nothing else.
Result<void> Spool::recover() {
  std::vector<uint64_t> ids;
  if (DIR* d = ::opendir(config_.dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (auto id = parse_segment_name(e->d_name)) ids.push_back(*id);
    }
    ::closedir(d);
  } else {
    return fail("config", fmt::format("cannot list the spool folder {}: {}", config_.dir, std::strerror(errno)));
  }
  std::sort(ids.begin(), ids.end());
  for (size_t i = 0; i < ids.size(); ++i) {
    Segment seg;
    seg.id = ids[i];
    next_id_ = std::max(next_id_, seg.id + 1);
    if (auto r = scan_segment(seg, i + 1 == ids.size()); !r) return r;
    if (seg.size == 0) continue;  // removed or set aside
    segments_.emplace(seg.id, std::move(seg));
  }
  for (auto& [id, seg] : segments_) count_done_at_recovery(seg);
  for (auto& [id, seg] : segments_) {
    stats_.events_recovered += seg.events - seg.done_events;
  }
  if (!segments_.empty()) {
    auto& tail = segments_.rbegin()->second;
    tail_id_ = tail.id;
    tail_fd_ = ::open(path_of(tail.id).c_str(), O_RDWR | O_CLOEXEC);
    if (tail_fd_ < 0) return fail("config", fmt::format("cannot open {}: {}", path_of(tail.id), std::strerror(errno)));
    cursor_ = {segments_.begin()->first, sf::kSegmentHeaderBytes};
  } else {
    cursor_ = end_location();
  }
  first_live_ = {0, 0};
  delete_done_segments();
  if (stats_.events_recovered > 0 || stats_.records_torn > 0 || stats_.records_corrupt > 0) {
    log::info("spool", "{}: {} events of {} batches to send again{}{}", config_.dir, stats_.events_recovered,
              stats().records,
              stats_.records_torn ? fmt::format(", {} torn last record cut off", stats_.records_torn) : std::string(),
              stats_.records_corrupt ? fmt::format(", {} damaged regions ({} bytes) skipped", stats_.records_corrupt,
                                                   stats_.bytes_skipped)
                                     : std::string());
  }
  return {};
}

Result<void> Spool::scan_segment(Segment& seg, bool last) {
  const std::string path = path_of(seg.id);
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail("config", fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  struct stat st {};
  ::fstat(fd, &st);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  char hdr[sf::kSegmentHeaderBytes];
  const ssize_t got = ::pread(fd, hdr, sizeof(hdr), 0);
  uint32_t version = 0;
  const auto hs = got == static_cast<ssize_t>(sizeof(hdr)) ? sf::parse_segment_header(std::string_view(hdr, sizeof(hdr)), version)
                                                           : sf::HeaderStatus::Bad;
  if (hs == sf::HeaderStatus::NewerVersion) {
    ::close(fd);
    return fail("config", fmt::format("{} was written by a newer version of the spool format ({}, this build reads {}): "
                                      "use another --spool folder or a newer build", path, version, sf::kVersion));
  }
  if (hs == sf::HeaderStatus::Bad) {
    ::close(fd);
    if (last && file_size < sf::kSegmentHeaderBytes) {
      ::unlink(path.c_str());  // a crash while the segment was being created: it holds nothing
    } else {
      const std::string aside = fmt::format("{}.corrupt-{}", path, now_us() / 1000000);
      ::rename(path.c_str(), aside.c_str());
      ++stats_.records_corrupt;
      stats_.bytes_skipped += file_size;
      log::error("spool", "{} is not a spool segment (bad header): set aside as {}", path, aside);
    }
    seg.size = 0;
    return {};
  }
  RecordStream rs;
  rs.reset(fd, sf::kSegmentHeaderBytes);
  sf::RecordView rec;
  uint64_t at = 0, len = 0;
  bool torn = false;
  uint64_t region_start = 0, region_end = 0;  // the damaged region being merged
  auto close_region = [&](bool reaches_end) {
    if (region_end == region_start) return;
    if (reaches_end && last) {
      ++stats_.records_torn;
      log::warn("spool", "{}: an incomplete last record ({} bytes at offset {}) was cut off: a crash while writing",
                path, region_end - region_start, region_start);
      if (::ftruncate(fd, static_cast<off_t>(region_start)) != 0)
        log::warn("spool", "{}: cannot cut the torn record: {}", path, std::strerror(errno));
      seg.size = region_start;
    } else {
      ++stats_.records_corrupt;
      stats_.bytes_skipped += region_end - region_start;
      log::warn("spool", "{}: {} damaged bytes at offset {} skipped", path, region_end - region_start, region_start);
    }
    region_start = region_end = 0;
  };
  seg.size = file_size;
  while (true) {
    const auto step = rs.next(file_size, rec, at, len, torn);
    if (step == RecordStream::Step::End) break;
    if (step == RecordStream::Step::Damaged) {
      if (region_end != at) {
        close_region(false);
        region_start = at;
      }
      region_end = at + len;
      if (torn) {
        close_region(true);
        break;
      }
      continue;
    }
    close_region(false);
    newest_epoch_ = std::max(newest_epoch_, rec.epoch);
    if (rec.type == sf::RecordType::Mark) {
      auto& d = done_below_[rec.epoch];
      d = std::max(d, rec.done_below);
      continue;
    }
    ++seg.records;
    seg.events += rec.count;
    seg.newest_us = std::max(seg.newest_us, rec.written_us);
    auto& r = seg.epochs[rec.epoch];
    r.min_end = std::min(r.min_end, rec.end());
    r.max_end = std::max(r.max_end, rec.end());
    last_position_ = SpoolPosition{rec.epoch, rec.end(), std::string(rec.position)};
  }
  close_region(true);
  seg.scanned_to = seg.size;
  ::close(fd);
  if (seg.size < sf::kSegmentHeaderBytes) seg.size = sf::kSegmentHeaderBytes;
  return {};
}

// How many batches of a segment the marks cover. Whole segments are decided from their epoch
// ranges; only a segment that the marks cut through is read again.
void Spool::count_done_at_recovery(Segment& seg) {
  bool all = true, none = true;
  for (const auto& [epoch, range] : seg.epochs) {
    auto it = done_below_.find(epoch);
    const uint64_t d = it == done_below_.end() ? 0 : it->second;
    if (range.max_end > d) all = false;
    if (range.min_end <= d) none = false;
  }
  if (all) {
    seg.done_records = seg.records;
    seg.done_events = seg.events;
    return;
  }
  if (none) return;
  const int fd = ::open(path_of(seg.id).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  RecordStream rs;
  rs.reset(fd, sf::kSegmentHeaderBytes);
  sf::RecordView rec;
  uint64_t at, len;
  bool torn;
  while (true) {
    const auto step = rs.next(seg.size, rec, at, len, torn);
    if (step == RecordStream::Step::End) break;
    if (step != RecordStream::Step::Record || rec.type != sf::RecordType::Batch) continue;
    auto it = done_below_.find(rec.epoch);
    if (it != done_below_.end() && rec.end() <= it->second) {
      ++seg.done_records;
      seg.done_events += rec.count;
    }
  }
  ::close(fd);
}

void Spool::note_write_failure(int err, std::string_view what) {
  ++stats_.write_errors;
  stats_.write_failing = true;
  // Once per episode, and at most once a minute: a full disk under drop-oldest starts a new
  // episode at every segment it fills.
  const auto now = std::chrono::steady_clock::now();
  if (failures_in_episode_++ == 0 &&
      (last_fail_log_ == std::chrono::steady_clock::time_point{} || now - last_fail_log_ >= std::chrono::minutes(1))) {
    last_fail_log_ = now;
    episode_logged_ = true;
    log::error("spool", "{}: cannot write {} ({}); {}", config_.dir, what, std::strerror(err),
               config_.full == SpoolFull::Block
                   ? "spool writes are retried; batches wait in memory, then the sender stops reading (--spool-full block)"
                   : "the oldest spooled events are dropped to make room, spool writes are retried (--spool-full "
                     "drop-oldest)");
  }
}

bool Spool::write_at_tail(std::string_view a, std::string_view b) {
  auto& tail = segments_.rbegin()->second;
  iovec iov[2] = {{const_cast<char*>(a.data()), a.size()}, {const_cast<char*>(b.data()), b.size()}};
  const size_t total = a.size() + b.size();
  size_t done = 0;
  while (done < total) {
    // After a short write, go on from where it stopped.
    iovec part[2];
    int n = 0;
    size_t skip = done;
    for (auto& v : iov) {
      if (skip >= v.iov_len) {
        skip -= v.iov_len;
        continue;
      }
      part[n++] = {static_cast<char*>(v.iov_base) + skip, v.iov_len - skip};
      skip = 0;
    }
    const ssize_t w = ::pwritev(tail_fd_, part, n, static_cast<off_t>(tail.size + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int err = w < 0 ? errno : ENOSPC;
      // Leave no partial record behind: the next record is written where this one started.
      if (::ftruncate(tail_fd_, static_cast<off_t>(tail.size)) != 0) { /* the next write overwrites it */ }
      note_write_failure(err, fmt::format("{} bytes to {}", total, path_of(tail.id)));
      return false;
    }
    done += static_cast<size_t>(w);
  }
  if (failures_in_episode_ > 0) {
    if (episode_logged_)
      log::info("spool", "{}: writes work again after {} failures ({} in all)", config_.dir, failures_in_episode_,
                stats_.write_errors);
    episode_logged_ = false;
    failures_in_episode_ = 0;
  }
  stats_.write_failing = false;
  tail.size += total;
  if (syncer_) syncer_->dirty(false);
  return true;
}

// Makes sure a segment is open for appending; starts a new one when asked (the current one is
// big enough) or when there is none. False when a new segment cannot be created.
bool Spool::ensure_tail(bool rotate_if_big) {
  const bool have = !segments_.empty() && tail_fd_ >= 0;
  if (have && !rotate_next_ && !(rotate_if_big && segments_.rbegin()->second.size >= segment_target_)) return true;
  const bool cursor_at_end = cursor_ >= end_location();
  const uint64_t id = next_id_;
  const std::string path = path_of(id);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    note_write_failure(errno, "a new segment " + path);
    return false;
  }
  const std::string h = sf::segment_header();
  if (::pwrite(fd, h.data(), h.size(), 0) != static_cast<ssize_t>(h.size())) {
    const int err = errno ? errno : ENOSPC;
    ::close(fd);
    ::unlink(path.c_str());
    note_write_failure(err, "a new segment " + path);
    return false;
  }
  ++next_id_;
  if (tail_fd_ >= 0) ::close(tail_fd_);
  tail_fd_ = fd;
  tail_id_ = id;
  rotate_next_ = false;
  Segment seg;
  seg.id = id;
  seg.size = h.size();
  segments_.emplace(id, std::move(seg));
  if (cursor_at_end) cursor_ = end_location();
  if (syncer_) {
    syncer_->watch(tail_fd_, tail_id_);
    syncer_->dirty(true);
  }
  return true;
}

AppendResult Spool::append(SpoolBatch& b, bool take, bool& taken) {
  taken = false;
  sf::encode_batch_head(head_, b.epoch, b.first, b.count, b.written_us, b.position, b.payload);
  const uint64_t size = head_.size() + b.payload.size();
  // Room within max_bytes: the oldest segments go first (DropOldest), or nothing is written.
  while (bytes() + size > config_.max_bytes) {
    if (config_.full == SpoolFull::Block) return AppendResult::Full;
    if (segments_.size() == 1 && segments_.begin()->first == tail_id_) {
      // Only the segment being written is left: its batches go, and the batch starts a new
      // segment; the old one is deleted once the new one holds the newest position.
      if (!segments_.begin()->second.all_done()) drop_tail_records(Drop::Full);
      rotate_next_ = true;
      break;
    }
    if (!drop_head(Drop::Full)) return AppendResult::Full;
  }
  if (!ensure_tail(true)) return AppendResult::Failed;
  const bool at_end = cursor_ >= end_location();
  b.where = end_location();
  if (!write_at_tail(head_, b.payload)) return AppendResult::Failed;
  auto& tail = segments_.rbegin()->second;
  ++tail.records;
  tail.events += b.count;
  tail.newest_us = std::max(tail.newest_us, b.written_us);
  auto& r = tail.epochs[b.epoch];
  r.min_end = std::min(r.min_end, b.end());
  r.max_end = std::max(r.max_end, b.end());
  newest_epoch_ = std::max(newest_epoch_, b.epoch);
  last_position_ = SpoolPosition{b.epoch, b.end(), b.position};
  if (take && at_end) {
    cursor_ = end_location();
    taken = true;
  }
  // A segment whose batches were all done could not go while it was being written to.
  delete_done_segments();
  if (syncer_) syncer_->holding(true);
  return AppendResult::Ok;
}

uint64_t Spool::bytes() const {
  uint64_t n = 0;
  for (const auto& [id, seg] : segments_) n += seg.size;
  return n;
}

// The disk is smaller than the spool may grow: segments a sixteenth of --spool-max-bytes are too
// coarse to drop, so later segments are cut to an eighth of what the disk held.
bool Spool::drop_oldest_for_space() {
  if (segments_.empty()) return false;
  segment_target_ = std::max<uint64_t>(64 << 10, std::min(segment_target_, bytes() / 8));
  if (segments_.size() >= 2) return drop_head(Drop::Disk);
  // Only the segment being written: its batches go, and so does the file, since the disk has
  // no room for a new one beside it. The newest position stays known in memory (last_position_)
  // and the next batch, written to a new segment, carries a newer one.
  Segment& tail = segments_.begin()->second;
  if (tail.all_done() && tail.size <= sf::kSegmentHeaderBytes) return false;
  drop_tail_records(Drop::Disk, false);
  if (tail_fd_ >= 0) ::close(tail_fd_);
  tail_fd_ = -1;
  const uint64_t id = tail.id;
  tail_id_ = 0;
  delete_segment(id);
  rotate_next_ = false;
  first_live_ = std::max(first_live_, SpoolLocation{id + 1, 0});
  cursor_ = std::max(cursor_, end_location());
  return true;
}

// Drops the oldest segment: its batches that were not done are counted as dropped. The segment
// being written is not deleted (it holds the newest position): its batches are marked done.
bool Spool::drop_head(Drop why) {
  if (segments_.empty()) return false;
  auto& head = segments_.begin()->second;
  if (head.id == tail_id_) {
    if (head.all_done()) return false;
    drop_tail_records(why);
    rotate_next_ = true;  // the next batch starts a segment; then this one is deleted
    return true;
  }
  const uint64_t lost = head.events - head.done_events;
  dropped_counter(why) += lost;
  if (lost > 0) log_drop(why);
  const uint64_t id = head.id;
  delete_segment(id);
  first_live_ = std::max(first_live_, SpoolLocation{id + 1, 0});
  if (cursor_ < first_live_) cursor_ = first_live_;
  return true;
}

void Spool::drop_tail_records(Drop why, bool write_marks) {
  auto& tail = segments_.rbegin()->second;
  const uint64_t lost = tail.events - tail.done_events;
  dropped_counter(why) += lost;
  if (lost > 0) log_drop(why);
  for (const auto& [epoch, range] : tail.epochs) {
    auto& d = done_below_[epoch];
    if (range.max_end > d) {
      d = range.max_end;
      pending_marks_[epoch] = d;
    }
  }
  tail.done_records = tail.records;
  tail.done_events = tail.events;
  first_live_ = std::max(first_live_, end_location());
  if (cursor_ < first_live_) cursor_ = first_live_;
  if (write_marks) flush_done();
}

uint64_t& Spool::dropped_counter(Drop why) {
  switch (why) {
    case Drop::Age: return stats_.events_dropped_age;
    case Drop::Disk: return stats_.events_dropped_disk;
    case Drop::Full: break;
  }
  return stats_.events_dropped_full;
}

// Drops are logged at most every 10 s, with the totals so far (every one is counted).
void Spool::log_drop(Drop why) {
  const auto now = std::chrono::steady_clock::now();
  if (last_drop_log_ != std::chrono::steady_clock::time_point{} && now - last_drop_log_ < std::chrono::seconds(10)) return;
  last_drop_log_ = now;
  const char* what = why == Drop::Age    ? "dropping events older than --spool-max-age"
                     : why == Drop::Disk ? "the disk is full: dropping the oldest events to make room (--spool-full drop-oldest)"
                                         : "the spool is full: dropping the oldest events (--spool-full drop-oldest)";
  log::warn("spool", "{}: {}; unacknowledged events dropped so far: {} (--spool-max-bytes {}), {} (--spool-max-age {} s), "
            "{} (disk full)", config_.dir, what, stats_.events_dropped_full, config_.max_bytes,
            stats_.events_dropped_age, config_.max_age.count(), stats_.events_dropped_disk);
}

void Spool::delete_segment(uint64_t id) {
  if (id == read_segment_ && read_fd_ >= 0) {
    ::close(read_fd_);
    read_fd_ = -1;
    read_segment_ = 0;
  }
  if (syncer_) syncer_->forget(id);
  if (::unlink(path_of(id).c_str()) != 0 && errno != ENOENT)
    log::warn("spool", "cannot delete {}: {}", path_of(id), std::strerror(errno));
  segments_.erase(id);
  if (syncer_) syncer_->dirty(true);
}

void Spool::delete_done_segments() {
  for (auto it = segments_.begin(); it != segments_.end();) {
    const uint64_t id = it->first;
    const bool done = it->second.all_done() && id != tail_id_;
    ++it;
    if (done) delete_segment(id);
  }
}

void Spool::done(const SpoolLocation& where, uint64_t epoch, uint64_t end, uint32_t count) {
  auto& d = done_below_[epoch];
  if (end > d) {
    d = end;
    pending_marks_[epoch] = end;
  }
  if (where < first_live_) return;
  if (Segment* s = find(where.segment)) {
    ++s->done_records;
    s->done_events += count;
  }
}

void Spool::flush_done() {
  if (!pending_marks_.empty() && !segments_.empty() && tail_fd_ >= 0) {
    const bool at_end = cursor_ >= end_location();
    std::string marks;
    const int64_t t = now_us();
    for (const auto& [epoch, below] : pending_marks_) marks += sf::encode_mark(epoch, below, t);
    // A mark that cannot be written costs repeats after a restart (counted by the correlator),
    // never a loss: the batches are done either way.
    if (write_at_tail(marks, {}) && at_end) cursor_ = end_location();
  }
  pending_marks_.clear();
  delete_done_segments();
  if (syncer_) syncer_->holding(stats().records > 0);
}

void Spool::normalise_cursor() {
  while (true) {
    auto it = segments_.lower_bound(cursor_.segment);
    if (it == segments_.end()) {
      cursor_ = end_location();
      return;
    }
    if (it->first != cursor_.segment || cursor_.offset < sf::kSegmentHeaderBytes) {
      cursor_ = {it->first, sf::kSegmentHeaderBytes};
    }
    if (cursor_.offset < it->second.size || it->first == tail_id_) return;
    cursor_ = {it->first + 1, sf::kSegmentHeaderBytes};
  }
}

bool Spool::has_unread() {
  normalise_cursor();
  return cursor_ < end_location();
}

bool Spool::read_next(SpoolBatch& out) {
  sf::RecordView rec;
  uint64_t at, len;
  bool torn;
  while (true) {
    normalise_cursor();
    if (!(cursor_ < end_location())) return false;
    Segment* seg = find(cursor_.segment);
    if (!seg) return false;
    if (read_segment_ != seg->id || read_fd_ < 0) {
      if (read_fd_ >= 0) ::close(read_fd_);
      read_fd_ = ::open(path_of(seg->id).c_str(), O_RDONLY | O_CLOEXEC);
      read_segment_ = seg->id;
      if (read_fd_ < 0) {
        log::error("spool", "cannot read {}: {}; its batches are skipped", path_of(seg->id), std::strerror(errno));
        ++stats_.records_corrupt;
        cursor_ = {seg->id, seg->size};
        if (seg->id == tail_id_) return false;
        continue;
      }
      stream_->reset(read_fd_, cursor_.offset);
    } else if (stream_->offset() != cursor_.offset) {
      stream_->reset(read_fd_, cursor_.offset);
    }
    const auto step = stream_->next(seg->size, rec, at, len, torn);
    if (step == RecordStream::Step::End) {
      // A read error (the stream made no progress): skip what is left of the segment.
      if (stream_->offset() == cursor_.offset) {
        ++stats_.records_corrupt;
        stats_.bytes_skipped += seg->size - cursor_.offset;
        cursor_.offset = seg->size;
      } else {
        cursor_.offset = stream_->offset();
      }
      if (seg->id == tail_id_) return false;
      continue;
    }
    cursor_.offset = stream_->offset();
    if (step == RecordStream::Step::Damaged) {
      if (at + len > seg->scanned_to) {  // damage found at recovery was counted then
        ++stats_.records_corrupt;
        stats_.bytes_skipped += len;
        log::warn("spool", "{}: {} damaged bytes at offset {} skipped while reading back", path_of(seg->id), len, at);
      }
      continue;
    }
    if (rec.type != sf::RecordType::Batch) continue;
    auto it = done_below_.find(rec.epoch);
    if (it != done_below_.end() && rec.end() <= it->second) continue;  // acknowledged before a restart
    out.epoch = rec.epoch;
    out.first = rec.first;
    out.count = rec.count;
    out.written_us = rec.written_us;
    out.position.assign(rec.position);
    out.payload.assign(rec.payload);
    out.where = {seg->id, at};
    return true;
  }
}

void Spool::enforce_age(int64_t now) {
  if (config_.max_age.count() <= 0) return;
  const int64_t limit = static_cast<int64_t>(config_.max_age.count()) * 1'000'000;
  while (!segments_.empty()) {
    auto& head = segments_.begin()->second;
    if (head.id != tail_id_ && head.all_done()) {
      delete_segment(head.id);  // everything in it was acknowledged: not a drop
      continue;
    }
    if (head.all_done() || head.newest_us == 0 || now - head.newest_us <= limit) break;
    const bool was_tail = head.id == tail_id_;
    drop_head(Drop::Age);
    if (was_tail) break;
  }
}

void Spool::sync() {
  if (syncer_) {
    syncer_->dirty(true);
    syncer_->sync_now();
  } else {
    if (tail_fd_ >= 0) ::fdatasync(tail_fd_);
    if (dir_fd_ >= 0) ::fsync(dir_fd_);
  }
}

SpoolStats Spool::stats() const {
  SpoolStats s = stats_;
  s.bytes = 0;
  s.records = s.events = 0;
  s.segments = segments_.size();
  for (const auto& [id, seg] : segments_) {
    s.bytes += seg.size;
    s.records += seg.records - std::min(seg.records, seg.done_records);
    s.events += seg.events - std::min(seg.events, seg.done_events);
  }
  return s;
}

}  // namespace soc::transport
