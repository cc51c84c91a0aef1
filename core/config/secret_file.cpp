#include "core/config/secret_file.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace soc::config {

namespace {

std::string user_name(uid_t uid) {
  passwd pw{};
  passwd* found = nullptr;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found) return found->pw_name;
  return std::to_string(uid);
}

// Closes the descriptor on every path out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string shell_quote(std::string_view s) {
  const bool plain = !s.empty() && s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                       "0123456789@%+=:,./_-") == std::string_view::npos;
  if (plain) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

Result<std::string> read_secret_file(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: a FIFO put in place of the file must not hang the start; it is refused below.
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (f.fd < 0) return fail("secret.unreadable", fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    return fail("secret.unreadable", fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return fail("secret.not_regular", fmt::format("{} is not a regular file", path));
  const uid_t me = ::geteuid();
  if (me != 0 && st.st_uid != me && st.st_uid != 0) {
    return fail("secret.owner",
                fmt::format("{} belongs to the user {}, not to {} who runs this program (nor to root): another user "
                            "could replace the secret; run: chown {} {}",
                            path, user_name(st.st_uid), user_name(me), shell_quote(user_name(me)), shell_quote(path)));
  }
  if ((st.st_mode & 077) != 0) {
    const bool others = (st.st_mode & 007) != 0;
    return fail("secret.permissions",
                fmt::format("{} can be {} by {} (mode {:04o}); a secret must be readable by its owner only; "
                            "run: chmod 600 {}",
                            path, (st.st_mode & 044) != 0 ? "read" : "written", others ? "other users" : "its group",
                            static_cast<unsigned>(st.st_mode & 07777), shell_quote(path)));
  }
  if (static_cast<unsigned long long>(st.st_size) > max_bytes)
    return fail("secret.too_large", fmt::format("{} is {} bytes; a secret file may have at most {}", path,
                                                static_cast<long long>(st.st_size), max_bytes));
  std::string out;
  out.resize(max_bytes + 1);
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(f.fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("secret.unreadable", fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  // The file may have grown since fstat.
  if (got > max_bytes)
    return fail("secret.too_large", fmt::format("{} has more than {} bytes; a secret file may have at most that", path,
                                                max_bytes));
  out.resize(got);
  return out;
}

Result<std::string> read_secret_token(const std::string& path, size_t max_bytes) {
  auto text = read_secret_file(path, max_bytes);
  if (!text) return text;
  std::string& s = *text;
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return fail("secret.empty", fmt::format("{} is empty", path));
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

Result<void> write_file_no_follow(const std::string& path, std::string_view text, mode_t mode, bool overwrite) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode))
      return fail("secret.symlink", fmt::format("{} is a symbolic link; files are never written through a link: "
                                                "remove it or choose another path",
                                                path));
    if (!overwrite) return fail("secret.exists", fmt::format("{} exists (use --force to replace it)", path));
    if (!S_ISREG(st.st_mode)) return fail("secret.write", fmt::format("{} exists and is not a regular file", path));
  } else if (errno != ENOENT) {
    return fail("secret.write", fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  }
  // A new file beside the target: O_EXCL|O_NOFOLLOW, so nothing that exists is opened.
  std::random_device rd;
  std::string tmp;
  Fd f;
  for (int attempt = 0; attempt < 16 && f.fd < 0; ++attempt) {
    tmp = fmt::format("{}.tmp-{:08x}", path, rd());
    f.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
    if (f.fd < 0 && errno != EEXIST) break;
  }
  if (f.fd < 0) return fail("secret.write", fmt::format("cannot write {}: {}", path, std::strerror(errno)));
  auto give_up = [&](int err) {
    ::unlink(tmp.c_str());
    return fail("secret.write", fmt::format("cannot write {}: {}", path, std::strerror(err)));
  };
  // open() applied the umask: set the mode asked for.
  if (::fchmod(f.fd, mode & 0777) != 0) return give_up(errno);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(f.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return give_up(errno);
    done += static_cast<size_t>(n);
  }
  if (::fsync(f.fd) != 0) return give_up(errno);
  const int fd = f.fd;
  f.fd = -1;
  if (::close(fd) != 0) return give_up(errno);
  if (!overwrite) {
    // link(2) fails when PATH appeared meanwhile, where rename(2) would replace it.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      if (err == EEXIST) return fail("secret.exists", fmt::format("{} exists (use --force to replace it)", path));
      return fail("secret.write", fmt::format("cannot write {}: {}", path, std::strerror(err)));
    }
    ::unlink(tmp.c_str());
    return {};
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return give_up(errno);
  return {};
}

}  // namespace soc::config
