#include "core/config/secret_file.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/unit/test_support.h"

namespace {

std::string mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return buf;
}

}  // namespace

TEST_CASE("a secret readable by its owner only is read whole") {
  soc::test::TempDir dir;
  const auto p = dir.write("k", "secret\n");
  ::chmod(p.c_str(), 0600);
  auto r = soc::config::read_secret_file(p);
  REQUIRE(r.ok());
  CHECK(*r == "secret\n");
  auto t = soc::config::read_secret_token(p);
  REQUIRE(t.ok());
  CHECK(*t == "secret");
  ::chmod(p.c_str(), 0400);
  CHECK(soc::config::read_secret_file(p).ok());
}

TEST_CASE("a secret others or the group can reach is refused with the chmod to run") {
  soc::test::TempDir dir;
  const auto p = dir.write("k", "secret\n");
  ::chmod(p.c_str(), 0644);
  auto r = soc::config::read_secret_file(p);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "secret.permissions");
  CHECK(r.error().message ==
        p + " can be read by other users (mode 0644); a secret must be readable by its owner only; run: chmod 600 " + p);
  ::chmod(p.c_str(), 0640);
  r = soc::config::read_secret_file(p);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("can be read by its group (mode 0640)") != std::string::npos);
  ::chmod(p.c_str(), 0602);
  r = soc::config::read_secret_file(p);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("can be written by other users (mode 0602)") != std::string::npos);
}

TEST_CASE("the chmod a secret's message suggests is quoted for the shell") {
  soc::test::TempDir dir;
  const auto p = dir.write("my key's file", "x");
  ::chmod(p.c_str(), 0644);
  auto r = soc::config::read_secret_file(p);
  REQUIRE_FALSE(r.ok());
  const std::string quoted = soc::config::shell_quote(p);
  CHECK(quoted.front() == '\'');
  CHECK(r.error().message.find("run: chmod 600 " + quoted) != std::string::npos);
  CHECK(soc::config::shell_quote("/etc/soc/a.key") == "/etc/soc/a.key");
  CHECK(soc::config::shell_quote("a b") == "'a b'");
  CHECK(soc::config::shell_quote("it's") == "'it'\\''s'");
}

TEST_CASE("a secret larger than the limit, a directory, a missing file and an empty token are refused") {
  soc::test::TempDir dir;
  const auto big = dir.write("big", std::string(100, 'x'));
  ::chmod(big.c_str(), 0600);
  auto r = soc::config::read_secret_file(big, 64);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "secret.too_large");
  CHECK(soc::config::read_secret_file(big, 100).ok());
  auto d = soc::config::read_secret_file(dir.path().string());
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().code == "secret.not_regular");
  auto m = soc::config::read_secret_file((dir.path() / "none").string());
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().code == "secret.unreadable");
  CHECK(m.error().message.find("No such file or directory") != std::string::npos);
  const auto blank = dir.write("blank", " \n");
  ::chmod(blank.c_str(), 0600);
  auto t = soc::config::read_secret_token(blank);
  REQUIRE_FALSE(t.ok());
  CHECK(t.error().code == "secret.empty");
}

TEST_CASE("a link to a secret is judged by the file it points to") {
  soc::test::TempDir dir;
  const auto target = dir.write("target", "s");
  const auto link = (dir.path() / "link").string();
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  ::chmod(target.c_str(), 0644);
  CHECK_FALSE(soc::config::read_secret_file(link).ok());
  ::chmod(target.c_str(), 0600);
  CHECK(soc::config::read_secret_file(link).ok());
}

TEST_CASE("write_secret_file creates 0600 whatever the umask, and refuses to replace unless asked") {
  soc::test::TempDir dir;
  const auto p = (dir.path() / "s.key").string();
  const mode_t old = ::umask(0);
  auto w = soc::config::write_secret_file(p, "one\n", false);
  ::umask(old);
  REQUIRE(w.ok());
  CHECK(mode_of(p) == "0600");
  auto again = soc::config::write_secret_file(p, "two\n", false);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "secret.exists");
  CHECK(*soc::config::read_secret_file(p) == "one\n");
  REQUIRE(soc::config::write_secret_file(p, "two\n", true).ok());
  CHECK(*soc::config::read_secret_file(p) == "two\n");
  CHECK(mode_of(p) == "0600");
  REQUIRE(soc::config::write_file_no_follow((dir.path() / "s.pub").string(), "pub\n", 0644, false).ok());
  CHECK(mode_of((dir.path() / "s.pub").string()) == "0644");
  // Nothing but the two files: the temporary file was renamed or removed.
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) n += e.is_regular_file() ? 1 : 0;
  CHECK(n == 2);
}

TEST_CASE("write_secret_file never writes through a symbolic link, even when told to overwrite") {
  soc::test::TempDir dir;
  const auto target = dir.write("target", "precious");
  const auto link = (dir.path() / "s.key").string();
  REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
  for (bool overwrite : {false, true}) {
    auto w = soc::config::write_secret_file(link, "evil", overwrite);
    REQUIRE_FALSE(w.ok());
    CHECK(w.error().code == "secret.symlink");
  }
  std::string text;
  std::ifstream in(target);
  std::getline(in, text);
  CHECK(text == "precious");
  const auto dangling = (dir.path() / "d.key").string();
  REQUIRE(::symlink((dir.path() / "nowhere").c_str(), dangling.c_str()) == 0);
  CHECK_FALSE(soc::config::write_secret_file(dangling, "x", false).ok());
  CHECK_FALSE(std::filesystem::exists(dir.path() / "nowhere"));
}
