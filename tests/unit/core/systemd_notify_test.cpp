#include "core/systemd_notify.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

#include "tests/unit/test_support.h"

namespace {

// A datagram socket standing in for systemd's notification socket.
struct FakeManager {
  int fd = -1;
  std::string path;
  explicit FakeManager(const std::string& p) : path(p) {
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, p.c_str(), sizeof a.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~FakeManager() { ::close(fd); }
  std::string next() {
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("<nothing>");
  }
};

}  // namespace

TEST_CASE("notifications reach the socket systemd names, one STATUS line each") {
  soc::test::TempDir dir;
  FakeManager manager((dir.path() / "notify").string());
  ::setenv("NOTIFY_SOCKET", manager.path.c_str(), 1);
  ::unsetenv("WATCHDOG_USEC");
  soc::systemd::reinitialise();
  CHECK(soc::systemd::notify_enabled());
  soc::systemd::notify_ready("listening on tcp://127.0.0.1:7700");
  CHECK(manager.next() == "READY=1\nSTATUS=listening on tcp://127.0.0.1:7700");
  soc::systemd::notify_status("two\nlines");
  CHECK(manager.next() == "STATUS=two lines");
  soc::systemd::notify_stopping();
  CHECK(manager.next() == "STOPPING=1");
  // No watchdog asked for: pings send nothing.
  soc::systemd::watchdog_ping();
  soc::systemd::notify_status("after");
  CHECK(manager.next() == "STATUS=after");
  ::unsetenv("NOTIFY_SOCKET");
  soc::systemd::reinitialise();
}

TEST_CASE("watchdog pings go out at most once per quarter of WATCHDOG_USEC") {
  soc::test::TempDir dir;
  FakeManager manager((dir.path() / "notify").string());
  ::setenv("NOTIFY_SOCKET", manager.path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "400000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  soc::systemd::reinitialise();
  CHECK(soc::systemd::watchdog_interval() == std::chrono::milliseconds(400));
  for (int i = 0; i < 1000; ++i) soc::systemd::watchdog_ping();
  CHECK(manager.next() == "WATCHDOG=1");
  soc::systemd::notify_status("marker");
  CHECK(manager.next() == "STATUS=marker");  // the thousand calls sent one ping
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  soc::systemd::watchdog_ping();
  CHECK(manager.next() == "WATCHDOG=1");
  // A watchdog meant for another process is not ours.
  ::setenv("WATCHDOG_PID", "1", 1);
  soc::systemd::reinitialise();
  CHECK(soc::systemd::watchdog_interval().count() == 0);
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  soc::systemd::reinitialise();
}

TEST_CASE("without NOTIFY_SOCKET every notification is a no-op") {
  ::unsetenv("NOTIFY_SOCKET");
  soc::systemd::reinitialise();
  CHECK_FALSE(soc::systemd::notify_enabled());
  soc::systemd::notify_ready("x");
  soc::systemd::watchdog_ping();
}
