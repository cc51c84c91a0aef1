// --events-out and --alerts-out: a failed write leaves no partial line, keeps what it could not
// write, and writes it once there is room again. The disk is filled for real: RLIMIT_FSIZE makes
// the kernel refuse writes beyond a size, as a full disk does (with EFBIG instead of ENOSPC).
#include "daemon/event_log.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>

#include <fstream>
#include <string>

#include "tests/unit/test_support.h"

using soc::daemon::EventLog;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Limits the size of files this process writes while alive (and ignores SIGXFSZ, so the write
// fails instead of killing the test).
struct FileSizeLimit {
  rlimit old{};
  void (*old_handler)(int) = nullptr;
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler = ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old);
    set(bytes);
  }
  void set(rlim_t bytes) {
    rlimit l = old;
    l.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &l) == 0);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::signal(SIGXFSZ, old_handler);
  }
};

}  // namespace

TEST_CASE("a write that does not fit is cut back to the last whole line, kept, and written when there is room") {
  soc::test::TempDir dir;
  const std::string path = (dir.path() / "events.jsonl").string();
  const std::string line(99, 'x');  // 100 bytes with its newline
  EventLog log;
  REQUIRE(log.open(path));
  FileSizeLimit limit(250);
  REQUIRE(log.write(line));
  REQUIRE(log.flush());
  REQUIRE(log.write(line));
  REQUIRE(log.flush());
  CHECK(log.committed_bytes() == 200);
  // The third line fits only half: the kernel writes 50 bytes, then refuses.
  REQUIRE(log.write(line));
  CHECK_FALSE(log.flush());
  CHECK(log.failing());
  CHECK(log.last_error().find("too large") != std::string::npos);
  CHECK(slurp(path).size() == 200);  // no torn line
  CHECK(log.pending_bytes() == 100);
  CHECK_FALSE(log.flush());  // still no room
  CHECK(slurp(path).size() == 200);

  limit.set(RLIM_INFINITY);
  CHECK(log.flush());
  CHECK_FALSE(log.failing());
  CHECK(log.committed_bytes() == 300);
  CHECK(slurp(path) == line + "\n" + line + "\n" + line + "\n");
}

TEST_CASE("what cannot be written is bounded: write() refuses beyond the limit") {
  soc::test::TempDir dir;
  EventLog log;
  REQUIRE(log.open((dir.path() / "e.jsonl").string()));
  log.set_max_pending_bytes(150);
  CHECK(log.write(std::string(99, 'a')));
  CHECK(log.write(std::string(99, 'b')));  // 200 buffered: over the limit now
  CHECK_FALSE(log.write(std::string(99, 'c')));
  CHECK(log.pending_bytes() == 200);
}

TEST_CASE("a partial last line left by a crash is cut when the file is opened") {
  soc::test::TempDir dir;
  const std::string path = dir.write("events.jsonl", "{\"a\":1}\n{\"b\":2}\n{\"c\":");
  EventLog log;
  REQUIRE(log.open(path));
  CHECK(log.committed_bytes() == 16);
  CHECK(slurp(path) == "{\"a\":1}\n{\"b\":2}\n");
  REQUIRE(log.write("{\"d\":4}"));
  REQUIRE(log.flush());
  CHECK(slurp(path) == "{\"a\":1}\n{\"b\":2}\n{\"d\":4}\n");
}

TEST_CASE("sync succeeds on a file and reopen starts a new one after a rename") {
  soc::test::TempDir dir;
  const std::string path = (dir.path() / "events.jsonl").string();
  EventLog log;
  REQUIRE(log.open(path));
  REQUIRE(log.write("{}"));
  REQUIRE(log.flush());
  CHECK(log.sync());
  const uint64_t first = log.inode();
  std::rename(path.c_str(), (path + ".1").c_str());
  REQUIRE(log.reopen());
  CHECK(log.inode() != first);
  CHECK(log.committed_bytes() == 0);
}
