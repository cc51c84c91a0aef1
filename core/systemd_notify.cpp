#include "core/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

namespace soc::systemd {

namespace {

struct State {
  std::mutex mutex;
  bool initialised = false;
  int fd = -1;
  sockaddr_un address{};
  socklen_t address_length = 0;
  std::chrono::microseconds watchdog{0};
  std::atomic<int64_t> next_ping_ns{0};
};

State& state() {
  static State s;
  return s;
}

// Reads the environment once: NOTIFY_SOCKET (a path, or '@' for the abstract namespace) and
// WATCHDOG_USEC/WATCHDOG_PID.
void init_locked(State& s) {
  if (s.initialised) return;
  s.initialised = true;
  if (const char* usec = std::getenv("WATCHDOG_USEC")) {
    const char* pid = std::getenv("WATCHDOG_PID");
    const long long us = std::strtoll(usec, nullptr, 10);
    if (us > 0 && (pid == nullptr || std::strtoll(pid, nullptr, 10) == static_cast<long long>(::getpid())))
      s.watchdog = std::chrono::microseconds(us);
  }
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return;
  const size_t n = std::strlen(path);
  if ((path[0] != '/' && path[0] != '@') || n >= sizeof(s.address.sun_path)) return;
  s.address.sun_family = AF_UNIX;
  std::memcpy(s.address.sun_path, path, n);
  if (path[0] == '@') s.address.sun_path[0] = '\0';
  s.address_length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n);
  s.fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  // Connected now, so that a daemon that later drops privileges (the packet sensor) can still
  // send: the socket's path is checked at connect, not at each send.
  if (s.fd >= 0) (void)::connect(s.fd, reinterpret_cast<const sockaddr*>(&s.address), s.address_length);
}

void send(std::string_view message) {
  State& s = state();
  std::lock_guard lock(s.mutex);
  init_locked(s);
  if (s.fd < 0) return;
  if (::send(s.fd, message.data(), message.size(), MSG_NOSIGNAL) >= 0) return;
  // The manager's socket was made again (systemctl daemon-reexec): find it by its path again.
  if (errno == ECONNREFUSED || errno == ENOTCONN) {
    (void)::connect(s.fd, reinterpret_cast<const sockaddr*>(&s.address), s.address_length);
    (void)::send(s.fd, message.data(), message.size(), MSG_NOSIGNAL);
  }
}

// One STATUS line: newlines would start another assignment.
std::string status_line(std::string_view status) {
  std::string line = "STATUS=";
  for (char c : status) line += (c == '\n' || c == '\r') ? ' ' : c;
  return line;
}

}  // namespace

void reinitialise() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  if (s.fd >= 0) ::close(s.fd);
  s.fd = -1;
  s.initialised = false;
  s.address = {};
  s.address_length = 0;
  s.watchdog = std::chrono::microseconds(0);
  s.next_ping_ns.store(0);
}

bool notify_enabled() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  init_locked(s);
  return s.fd >= 0;
}

void notify_ready(std::string_view status) {
  std::string m = "READY=1";
  if (!status.empty()) m += "\n" + status_line(status);
  send(m);
}

void notify_status(std::string_view status) { send(status_line(status)); }

void notify_reloading() { send("RELOADING=1"); }

void notify_stopping() { send("STOPPING=1"); }

std::chrono::microseconds watchdog_interval() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  init_locked(s);
  return s.watchdog;
}

void watchdog_ping() {
  State& s = state();
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t due = s.next_ping_ns.load(std::memory_order_relaxed);
  if (now < due) return;  // the common case: one clock read, no lock
  const auto interval = watchdog_interval();
  if (interval.count() == 0) {
    s.next_ping_ns.store(INT64_MAX, std::memory_order_relaxed);  // never again
    return;
  }
  if (!s.next_ping_ns.compare_exchange_strong(due, now + std::chrono::nanoseconds(interval).count() / 4)) return;
  send("WATCHDOG=1");
}

}  // namespace soc::systemd
