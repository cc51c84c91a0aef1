#include "sensors/log/file_tailer.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <algorithm>
#include <set>
#include <sstream>

namespace soc::sensors::log {

namespace {
// Rotated files that logrotate compressed: never read (their lines were read before).
bool compressed(std::string_view path) {
  for (std::string_view ext : {".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z"})
    if (path.ends_with(ext)) return true;
  return false;
}
}  // namespace

FileTailer::FileTailer(std::vector<std::string> patterns, std::string checkpoint_path, size_t max_line_bytes,
                       bool start_at_end)
    : patterns_(std::move(patterns)),
      checkpoint_path_(std::move(checkpoint_path)),
      max_line_(max_line_bytes),
      start_at_end_(start_at_end) {}

FileTailer::~FileTailer() {
  for (auto& f : files_)
    if (f.fd >= 0) ::close(f.fd);
}

Result<void> FileTailer::load_checkpoint() {
  if (checkpoint_path_.empty()) return {};
  std::ifstream in(checkpoint_path_);
  if (!in) {
    if (errno == ENOENT) return {};
    return fail("checkpoint", fmt::format("cannot read {}: {}", checkpoint_path_, std::strerror(errno)));
  }
  parse_checkpoint(in);
  return {};
}

void FileTailer::load_checkpoint_text(const std::string& text) {
  checkpoint_.clear();
  extra_.clear();
  std::istringstream in(text);
  parse_checkpoint(in);
}

// One line per file: "DEV INODE OFFSET PATH" (the path is informational); "KEY VALUE" for
// other inputs (a KEY does not start with a digit).
void FileTailer::parse_checkpoint(std::istream& in) {
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && !(line[0] >= '0' && line[0] <= '9')) {
      const size_t sp = line.find(' ');
      if (sp != std::string::npos && sp > 0) extra_[line.substr(0, sp)] = line.substr(sp + 1);
      continue;
    }
    std::istringstream ls(line);
    unsigned long long dev, ino, off;
    std::string path;
    if (!(ls >> dev >> ino >> off)) continue;
    ls >> std::ws;
    std::getline(ls, path);
    checkpoint_[{static_cast<dev_t>(dev), static_cast<ino_t>(ino)}] = {off, path.empty() ? "-" : path};
  }
}

std::string FileTailer::checkpoint_text() const {
  std::string text;
  for (const auto& f : files_)
    text += fmt::format("{} {} {} {}\n", static_cast<unsigned long long>(f.dev), static_cast<unsigned long long>(f.ino),
                        f.offset, f.path);
  // Keep positions of files we know from the checkpoint but have not opened (yet).
  for (const auto& [key, pos] : checkpoint_)
    text += fmt::format("{} {} {} {}\n", static_cast<unsigned long long>(key.first),
                        static_cast<unsigned long long>(key.second), pos.offset, pos.path);
  for (const auto& [key, value] : extra_)
    if (!value.empty() && value.find('\n') == std::string::npos) text += fmt::format("{} {}\n", key, value);
  return text;
}

Result<void> FileTailer::save_checkpoint() const { return write_checkpoint(checkpoint_text()); }

Result<void> FileTailer::write_checkpoint(const std::string& text) const {
  if (checkpoint_path_.empty()) return {};
  const std::string tmp = checkpoint_path_ + ".tmp";
  FILE* out = std::fopen(tmp.c_str(), "w");
  if (!out) return fail("checkpoint", fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  const bool ok = std::fwrite(text.data(), 1, text.size(), out) == text.size() && std::fflush(out) == 0 &&
                  ::fsync(fileno(out)) == 0;
  std::fclose(out);
  if (!ok || std::rename(tmp.c_str(), checkpoint_path_.c_str()) != 0)
    return fail("checkpoint", fmt::format("cannot write {}: {}", checkpoint_path_, std::strerror(errno)));
  return {};
}

const std::string& FileTailer::extra(const std::string& key) const {
  static const std::string kNone;
  auto it = extra_.find(key);
  return it == extra_.end() ? kNone : it->second;
}

void FileTailer::open_file(const std::string& path, bool from_end) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    ++stats_.read_errors;
    return;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return;
  }
  File f;
  f.path = path;
  f.fd = fd;
  f.dev = st.st_dev;
  f.ino = st.st_ino;
  auto it = checkpoint_.find({st.st_dev, st.st_ino});
  if (it != checkpoint_.end()) {
    f.offset = it->second.offset <= static_cast<uint64_t>(st.st_size) ? it->second.offset : 0;
    checkpoint_.erase(it);
  } else if (from_end) {
    f.offset = static_cast<uint64_t>(st.st_size);
  }
  f.read_pos = f.offset;
  files_.push_back(std::move(f));
}

void FileTailer::scan(const Handler& handler) {
  std::set<std::string> paths;
  for (const auto& p : patterns_) {
    glob_t g{};
    if (::glob(p.c_str(), GLOB_NOSORT, nullptr, &g) == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i)
        if (!compressed(g.gl_pathv[i])) paths.insert(g.gl_pathv[i]);
    globfree(&g);
  }
  // A followed path that now names another file (rename rotation), or none: read the old file
  // to its end, then let go of it. A file whose inode is followed under another name (it was
  // renamed into a matched name) is not opened twice.
  std::set<std::pair<dev_t, ino_t>> followed;
  for (auto it = files_.begin(); it != files_.end();) {
    struct stat st {};
    const bool same = ::stat(it->path.c_str(), &st) == 0 && st.st_dev == it->dev && st.st_ino == it->ino;
    if (!same) {
      read_file(*it, handler, SIZE_MAX, true);
      ::close(it->fd);
      ++stats_.rotations;
      // If the glob also matches the rotated name (auth.log*), the file is found again under
      // it: it resumes at its end instead of being read twice. Bounded: a long-running sensor
      // with daily rotations to unmatched names must not grow this without limit.
      if (checkpoint_.size() >= 4096) checkpoint_.clear();
      checkpoint_[{it->dev, it->ino}] = {it->offset, it->path};
      it = files_.erase(it);
      continue;
    }
    followed.insert({it->dev, it->ino});
    ++it;
  }
  for (const auto& p : paths) {
    bool known = false;
    for (const auto& f : files_) known = known || f.path == p;
    if (known) continue;
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || followed.count({st.st_dev, st.st_ino})) continue;
    // A path the checkpoint names with another inode was rotated while we were stopped: the new
    // file is read from its start, like a file that appears later.
    bool rotated = false;
    if (first_scan_ && start_at_end_)
      for (const auto& [key, pos] : checkpoint_) rotated = rotated || pos.path == p;
    open_file(p, first_scan_ && start_at_end_ && !rotated);
  }
  if (first_scan_) finish_rotated(handler);
  first_scan_ = false;
}

// A file followed before a restart that was rotated while the sensor was stopped (auth.log ->
// auth.log.1, or auth.log-20261127 with dateext) is not matched by a glob such as "*.log", but
// it may hold lines written after our checkpoint. Look for its inode beside its old name (names
// that start with it), read it to the end, and keep its final position. Compressed rotations
// are not read (their inode is new anyway: gzip writes another file).
void FileTailer::finish_rotated(const Handler& handler) {
  std::map<std::string, std::vector<std::pair<dev_t, ino_t>>> by_path;
  for (const auto& [key, pos] : checkpoint_)
    if (pos.path.size() > 1 && pos.path[0] == '/') by_path[pos.path].push_back(key);
  for (const auto& [old_path, keys] : by_path) {
    const size_t slash = old_path.rfind('/');
    const std::string dir = slash == 0 ? "/" : old_path.substr(0, slash);
    const std::string base = old_path.substr(slash + 1);
    glob_t g{};
    const std::string pattern = fmt::format("{}/{}?*", dir, base);  // glob() escapes nothing: plain names only
    if (old_path.find_first_of("*?[\\") == std::string::npos && ::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) {
        const std::string path = g.gl_pathv[i];
        if (compressed(path)) continue;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        const std::pair<dev_t, ino_t> key{st.st_dev, st.st_ino};
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
        auto it = checkpoint_.find(key);
        if (it == checkpoint_.end() || it->second.offset >= static_cast<uint64_t>(st.st_size)) continue;
        open_file(path, false);  // takes the checkpointed offset
        if (files_.empty() || files_.back().path != path) continue;
        File& f = files_.back();
        read_file(f, handler, SIZE_MAX, true);
        ::close(f.fd);
        checkpoint_[key] = {f.offset, f.path};
        files_.pop_back();
        ++stats_.rotated_finished;
      }
    }
    globfree(&g);
  }
}

void FileTailer::read_file(File& f, const Handler& handler, size_t budget, bool at_eof_flush) {
  struct stat st {};
  if (::fstat(f.fd, &st) == 0 && static_cast<uint64_t>(st.st_size) < f.read_pos) {
    // copytruncate: the file was emptied (and maybe written again) under us.
    ++stats_.truncations;
    f.offset = f.read_pos = 0;
    f.partial.clear();
    f.skipping = false;
  }
  chunk_.resize(1 << 16);
  size_t done = 0;
  while (done < budget) {
    // Skip holes of sparse files: they hold no lines.
    off_t data = ::lseek(f.fd, static_cast<off_t>(f.read_pos), SEEK_DATA);
    if (data > static_cast<off_t>(f.read_pos) && f.partial.empty()) {
      stats_.hole_bytes_skipped += static_cast<uint64_t>(data) - f.read_pos;
      f.read_pos = f.offset = static_cast<uint64_t>(data);
    }
    ssize_t n = ::pread(f.fd, chunk_.data(), chunk_.size(), static_cast<off_t>(f.read_pos));
    if (n < 0) {
      if (errno == EINTR) continue;
      ++stats_.read_errors;
      break;
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
    std::string_view data_view(chunk_.data(), static_cast<size_t>(n));
    f.read_pos += static_cast<uint64_t>(n);
    while (!data_view.empty()) {
      size_t nl = data_view.find('\n');
      if (nl == std::string_view::npos) {
        if (!f.skipping) {
          const size_t room = max_line_ > f.partial.size() ? max_line_ - f.partial.size() : 0;
          f.partial.append(data_view.substr(0, room));
          if (data_view.size() > room) {  // too long: hand over the cut line, skip the rest
            std::string_view l(f.partial);
            if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
            handler(l, f.path, true);
            ++stats_.lines;
            ++stats_.truncated;
            f.partial.clear();
            f.skipping = true;
          }
        }
        break;
      }
      if (f.skipping) {
        f.skipping = false;
      } else {
        std::string_view l;
        bool cut = false;
        if (f.partial.empty()) {
          l = data_view.substr(0, nl);
          if (l.size() > max_line_) {
            l = l.substr(0, max_line_);
            cut = true;
          }
        } else {
          const size_t room = max_line_ > f.partial.size() ? max_line_ - f.partial.size() : 0;
          cut = nl > room;
          f.partial.append(data_view.substr(0, std::min(nl, room)));
          l = f.partial;
        }
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        handler(l, f.path, cut);
        ++stats_.lines;
        if (cut) ++stats_.truncated;
        f.partial.clear();
      }
      data_view.remove_prefix(nl + 1);
      // The offset counts complete lines only: a restart reads a partial line again.
      f.offset = f.read_pos - data_view.size();
    }
  }
  if (at_eof_flush && !f.partial.empty() && !f.skipping) {  // the last line of a rotated file
    handler(f.partial, f.path, false);
    ++stats_.lines;
    f.partial.clear();
    f.offset = f.read_pos;
  }
}

void FileTailer::poll(const Handler& handler, size_t budget) {
  scan(handler);
  for (auto& f : files_) read_file(f, handler, budget, false);
}

}  // namespace soc::sensors::log
