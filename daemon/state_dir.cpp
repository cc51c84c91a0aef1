#include "daemon/state_dir.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace soc::daemon {

namespace {

std::string errno_text() { return std::strerror(errno); }

Result<void> make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return fail("state_dir", fmt::format("{}: {}", path, errno_text()));
    if (!S_ISDIR(st.st_mode)) return fail("state_dir", fmt::format("{} exists and is not a folder", path));
    return {};
  }
  return fail("state_dir", fmt::format("cannot create {}: {}", path, errno_text()));
}

Result<void> write_all(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("state_dir", fmt::format("cannot write {}: {}", path, errno_text()));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Result<void> fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail("state_dir", fmt::format("cannot open {}: {}", dir, errno_text()));
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  if (rc != 0) return fail("state_dir", fmt::format("cannot sync {}: {}", dir, std::strerror(e)));
  return {};
}

constexpr std::string_view kVersionPrefix = "soc-state ";

}  // namespace

Result<std::unique_ptr<StateDir>> StateDir::open(const std::string& path_in) {
  if (path_in.empty()) return fail("state_dir", "the state directory path is empty");
  std::string path = path_in;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (auto r = make_dir(path); !r) return fail(r.error());

  const std::string lock_path = path + "/lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail("state_dir", fmt::format("cannot open {}: {}", lock_path, errno_text()));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::string holder;
    char buf[32] = {0};
    if (::pread(fd, buf, sizeof buf - 1, 0) > 0) holder = buf;
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    ::close(fd);
    return fail("state_dir", fmt::format("{} is in use by another correlator{}", path,
                                         holder.empty() ? std::string() : " (pid " + holder + ")"));
  }
  std::unique_ptr<StateDir> dir(new StateDir(path, fd));
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)::pwrite(fd, pid.data(), pid.size(), 0);

  const std::string version_path = path + "/VERSION";
  std::ifstream in(version_path);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    int version = 0;
    if (text.rfind(kVersionPrefix, 0) == 0) version = std::atoi(text.c_str() + kVersionPrefix.size());
    if (version <= 0)
      return fail("state_dir", fmt::format("{}: not a state directory layout version ('{}')", version_path,
                                           text.substr(0, std::min<size_t>(text.size(), 40))));
    if (version > kLayoutVersion)
      return fail("state_dir", fmt::format("{} was written by a newer correlator (layout {}, this one reads up to {})",
                                           path, version, kLayoutVersion));
  } else {
    if (auto r = dir->write_atomically("VERSION", fmt::format("{}{}\n", kVersionPrefix, kLayoutVersion)); !r)
      return fail(r.error());
  }
  return dir;
}

StateDir::~StateDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // closing releases the flock
}

std::string StateDir::file(std::string_view name) const { return path_ + "/" + std::string(name); }

Result<std::string> StateDir::subdir(std::string_view name) const {
  std::string p = file(name);
  if (auto r = make_dir(p); !r) return fail(r.error());
  return p;
}

Result<void> StateDir::write_atomically(std::string_view name, std::string_view bytes) const {
  const std::string target = file(name);
  const std::string tmp = target + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail("state_dir", fmt::format("cannot create {}: {}", tmp, errno_text()));
  auto w = write_all(fd, bytes, tmp);
  if (w && ::fsync(fd) != 0) w = fail("state_dir", fmt::format("cannot sync {}: {}", tmp, errno_text()));
  ::close(fd);
  if (!w) {
    ::unlink(tmp.c_str());
    return w;
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    return fail("state_dir", fmt::format("cannot replace {}: {}", target, why));
  }
  return fsync_dir(target.substr(0, target.rfind('/')));
}

}  // namespace soc::daemon
