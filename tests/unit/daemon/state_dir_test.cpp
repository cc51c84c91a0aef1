#include "daemon/state_dir.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using soc::daemon::StateDir;
namespace fs = std::filesystem;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "soc-state-test.XXXXXX").string();
    REQUIRE(mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() { fs::remove_all(path); }
};
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("a new state directory is created private, versioned and locked") {
  TempDir t;
  const fs::path dir = t.path / "state";
  auto s = StateDir::open(dir.string());
  REQUIRE(s.ok());
  struct stat st {};
  REQUIRE(stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(slurp(dir / "VERSION") == "soc-state 1\n");
  CHECK(slurp(dir / "lock") == std::to_string(getpid()) + "\n");

  auto second = StateDir::open(dir.string() + "/");
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().message == dir.string() + " is in use by another correlator (pid " + std::to_string(getpid()) + ")");
}

TEST_CASE("the lock is released with the object") {
  TempDir t;
  { REQUIRE(StateDir::open(t.path.string()).ok()); }
  CHECK(StateDir::open(t.path.string()).ok());
}

TEST_CASE("a folder of a newer layout or of something else is refused") {
  TempDir t;
  std::ofstream(t.path / "VERSION") << "soc-state 9\n";
  auto newer = StateDir::open(t.path.string());
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.error().message == t.path.string() + " was written by a newer correlator (layout 9, this one reads up to 1)");
  std::ofstream(t.path / "VERSION") << "hello";
  auto other = StateDir::open(t.path.string());
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().message.find("not a state directory layout version ('hello')") != std::string::npos);
}

TEST_CASE("write_atomically replaces a file whole and leaves no temporary") {
  TempDir t;
  auto s = StateDir::open(t.path.string());
  REQUIRE(s.ok());
  REQUIRE((*s)->subdir("snapshot").ok());
  REQUIRE((*s)->write_atomically("snapshot/rules.bin", "one").ok());
  REQUIRE((*s)->write_atomically("snapshot/rules.bin", "two").ok());
  CHECK(slurp(t.path / "snapshot/rules.bin") == "two");
  CHECK_FALSE(fs::exists(t.path / "snapshot/rules.bin.tmp"));
  auto bad = (*s)->write_atomically("missing/x", "y");
  CHECK_FALSE(bad.ok());
}

TEST_CASE("a state path that is a file is refused") {
  TempDir t;
  std::ofstream(t.path / "file") << "x";
  auto r = StateDir::open((t.path / "file").string());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == (t.path / "file").string() + " exists and is not a folder");
}
