#include "daemon/alerts/sinks/chain_log.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/crypto/digest.h"
#include "core/json_codec.h"
#include "daemon/alerts/sinks/alert_log_sink.h"
#include "daemon/alerts/sinks/chain_verify.h"
#include "daemon/alerts/sinks/notice_json.h"

using namespace soc::daemon::alerts;
using namespace soc::daemon::alerts::sinks;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "soc-chain-test.XXXXXX").string();
    REQUIRE(mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() { fs::remove_all(path); }
};

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

void write_lines(const fs::path& p, const std::vector<std::string>& lines) {
  std::ofstream out(p, std::ios::trunc);
  for (const auto& l : lines) out << l << '\n';
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

soc::Event parse(const std::string& line) {
  auto e = soc::decode_event(line);
  REQUIRE(e.ok());
  return *e;
}

Notice notice(int64_t id) {
  soc::Event a;
  a.set("@timestamp", soc::now());
  a.set("event.kind", "alert");
  a.set("rule.id", "rule-" + std::to_string(id % 3));
  a.set("rule.name", "SSH brute force");
  a.set("event.severity", int64_t{4});
  a.set("site.id", "dc-hatinh");
  a.set("source.ip", "203.0.113.7");
  a.set("user.name", "root");
  return firing_notice(a, id);
}

std::unique_ptr<ChainLog> open_log(const fs::path& p, uint64_t max_bytes = 0) {
  ChainLogOptions o;
  o.path = p.string();
  o.max_bytes = max_bytes;
  o.fsync = FsyncPolicy::Never;
  auto log = ChainLog::open(o);
  REQUIRE_MESSAGE(log.ok(), (log.ok() ? "" : log.error().message));
  return std::move(*log);
}

void add(ChainLog& log, int64_t from, int64_t to) {
  for (int64_t i = from; i <= to; ++i) {
    const ChainRecord r = notice_record(notice(i), "http://127.0.0.1:9750");
    REQUIRE(log.append({&r, 1}).ok());
  }
}

// A log of a start record and `n` notices.
fs::path make_log(const TempDir& t, int n, const char* name = "alerts.log") {
  const fs::path p = t.path / name;
  auto log = open_log(p);
  add(*log, 1, n);
  return p;
}

ChainVerdict verify(const std::vector<fs::path>& files) {
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.string());
  return verify_chain(names);
}

std::string where(const ChainVerdict& v) { return v.file + ":" + std::to_string(v.line); }
std::string word(const ChainVerdict& v) { return v.reason.substr(0, v.reason.find(':')); }

}  // namespace

TEST_CASE("each line carries the SHA-256 of the line before it, from the genesis value") {
  TempDir t;
  const auto p = make_log(t, 3);
  const auto lines = lines_of(p);
  REQUIRE(lines.size() == 4);
  const auto first = parse(lines[0]);
  CHECK(first.get_string("record") == "start");
  CHECK(first.get_int("seq") == 1);
  CHECK(first.get_string("prev") == kGenesis);
  CHECK(first.get_string("format") == "soc-alert-log 1");
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto e = parse(lines[i]);
    CHECK(e.get_int("seq") == static_cast<int64_t>(i + 1));
    CHECK(e.get_string("prev") == soc::crypto::sha256_hex(lines[i - 1]));
    CHECK(e.get_string("record") == "notice");
  }
  // The notice itself: kind, store id, rule, severity word, link to the API.
  const auto n = parse(lines[1]);
  CHECK(n.get_string("notice") == "firing");
  CHECK(n.get_int("alert.id") == 1);
  CHECK(n.get_string("alert.severity.word") == "high");
  CHECK(n.get_string("alert.url") == "http://127.0.0.1:9750/api/v1/alerts/1");
  CHECK(n.get_string("alert.event.user.name") == "root");
  const auto v = verify({p});
  CHECK_MESSAGE(v.intact, v.message());
  CHECK(v.records == 4);
  CHECK(v.from_genesis);
  CHECK(v.head == soc::crypto::sha256_hex(lines.back()));
}

TEST_CASE("a restarted writer continues the chain with an open record") {
  TempDir t;
  const auto p = make_log(t, 2);
  { add(*open_log(p), 3, 4); }
  const auto lines = lines_of(p);
  REQUIRE(lines.size() == 1 + 2 + 1 + 2);
  CHECK(parse(lines[3]).get_string("record") == "open");
  CHECK(parse(lines[3]).get_int("seq") == 4);
  const auto v = verify({p});
  CHECK_MESSAGE(v.intact, v.message());
}

TEST_CASE("a partial last line left by a crash is cut off, and the cut is recorded") {
  TempDir t;
  const auto p = make_log(t, 2);
  { std::ofstream(p, std::ios::app) << "{\"seq\":4,\"prev\":\"ab"; }
  { add(*open_log(p), 3, 3); }
  const auto lines = lines_of(p);
  REQUIRE(lines.size() == 5);
  const auto open = parse(lines[3]);
  CHECK(open.get_string("record") == "open");
  CHECK(open.get_int("cut_bytes") == 19);
  const auto v = verify({p});
  CHECK_MESSAGE(v.intact, v.message());
}

TEST_CASE("a file that is not a chained log is refused with its last line, and left as it was") {
  TempDir t;
  const fs::path p = t.path / "syslog";
  write_lines(p, {"Dec  4 10:00:00 host sshd[1]: hello", "Dec  4 10:00:01 host sshd[1]: world"});
  { std::ofstream(p, std::ios::app) << "partial"; }
  const std::string before = slurp(p);
  ChainLogOptions o;
  o.path = p.string();
  auto log = ChainLog::open(o);
  REQUIRE_FALSE(log.ok());
  CHECK(log.error().code == "config");
  CHECK(log.error().message.find(p.string() + ":2: not a chained alert log") == 0);
  CHECK(slurp(p) == before);
}

TEST_CASE("size rotation keeps the chain across files; the new file's start names the one before") {
  TempDir t;
  const fs::path p = t.path / "alerts.log";
  {
    auto log = open_log(p, 4096);
    add(*log, 1, 40);
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(t.path)) files.push_back(e.path());
  std::sort(files.begin(), files.end());  // alerts.log, alerts.log.<time>...: the live file sorts first
  REQUIRE(files.size() >= 3);
  std::rotate(files.begin(), files.begin() + 1, files.end());  // oldest first, the live file last
  CHECK(files.back() == p);
  for (size_t i = 1; i < files.size(); ++i) {
    const auto first = parse(lines_of(files[i]).front());
    CHECK(first.get_string("record") == "start");
    CHECK(first.get_string("reason") == "rotation");
    CHECK(first.get_string("previous_file") == files[i - 1].filename().string());
    CHECK(first.get_string("prev") == soc::crypto::sha256_hex(lines_of(files[i - 1]).back()));
  }
  for (size_t i = 0; i + 1 < files.size(); ++i) CHECK(fs::file_size(files[i]) >= 4096);
  const auto v = verify(files);
  CHECK_MESSAGE(v.intact, v.message());
  CHECK(v.records == 40 + files.size());

  SUBCASE("a rotated file cut at a line boundary is found where the next file continues") {
    auto l = lines_of(files[0]);
    const size_t kept = l.size() - 2;
    l.resize(kept);
    write_lines(files[0], l);
    const auto b = verify(files);
    CHECK(where(b) == files[0].string() + ":" + std::to_string(kept + 1));
    CHECK(word(b) == "truncated");
  }
  SUBCASE("a missing file between two is named") {
    files.erase(files.begin() + 1);
    const auto b = verify(files);
    CHECK(where(b) == files[1].string() + ":1");
    CHECK(word(b) == "deleted");
  }
  SUBCASE("files given out of order") {
    std::swap(files[0], files[1]);
    const auto b = verify(files);
    CHECK(where(b) == files[1].string() + ":1");
    CHECK(word(b) == "reordered");
  }
  SUBCASE("the last line of a rotated file edited") {
    auto l = lines_of(files[0]);
    const size_t last = l.size();
    l.back().replace(l.back().find("203.0.113.7"), 11, "198.51.100.9");
    write_lines(files[0], l);
    const auto b = verify(files);
    CHECK(where(b) == files[0].string() + ":" + std::to_string(last));
    CHECK(word(b) == "edited");
  }
}

TEST_CASE("reopen after logrotate moved the file goes on in a new file at the path") {
  TempDir t;
  const fs::path p = t.path / "alerts.log";
  const fs::path moved = t.path / "alerts.log.1";
  auto log = open_log(p);
  add(*log, 1, 3);
  REQUIRE(log->reopen().ok());  // not moved: nothing to do
  fs::rename(p, moved);
  add(*log, 4, 4);  // still into the moved file
  REQUIRE(log->reopen().ok());
  add(*log, 5, 6);
  log.reset();
  CHECK(lines_of(moved).size() == 5);
  const auto first = parse(lines_of(p).front());
  CHECK(first.get_string("record") == "start");
  CHECK(first.get_string("reason") == "reopen");
  const auto v = verify({moved, p});
  CHECK_MESSAGE(v.intact, v.message());
  CHECK(v.records == 8);
}

TEST_CASE("a write that fails leaves the chain where it was") {
  ChainLogOptions o;
  o.path = "/dev/full";
  o.fsync = FsyncPolicy::Never;
  auto log = ChainLog::open(o);
  REQUIRE(log.ok());  // the start record waits for the next batch
  const ChainRecord r = notice_record(notice(1), "");
  auto w = (*log)->append({&r, 1});
  REQUIRE_FALSE(w.ok());
  CHECK(w.error().code == "io");
  CHECK(w.error().message.find("No space left on device") != std::string::npos);
  CHECK((*log)->seq() == 0);
  CHECK((*log)->head() == kGenesis);
}

TEST_CASE("an alert too large for one record keeps its headline fields and says so") {
  Notice n = notice(1);
  n.alert.set("message", std::string(2 << 20, 'x'));
  const ChainRecord r = notice_record(n, "");
  CHECK(r.members.size() < kMaxRecordBytes);
  CHECK(r.members.find("\"soc.truncated\":true") != std::string::npos);
  CHECK(r.members.find("\"user.name\":\"root\"") != std::string::npos);
}

TEST_CASE("verify names the first bad line and what happened to it") {
  TempDir t;
  const auto p = make_log(t, 8);  // lines 1 (start) to 9
  const auto orig = lines_of(p);
  const std::string f = p.string();
  auto check_tamper = [&](std::vector<std::string> l, const std::string& want_where, const std::string& want_word) {
    write_lines(p, l);
    const auto v = verify({p});
    CHECK_FALSE(v.intact);
    CHECK(where(v) == want_where);
    CHECK_MESSAGE(word(v) == want_word, v.message());
  };
  SUBCASE("edited") {
    auto l = orig;
    l[4].replace(l[4].find("root"), 4, "toor");
    check_tamper(l, f + ":5", "edited");
  }
  SUBCASE("edited so that it is no longer JSON") {
    auto l = orig;
    l[4].pop_back();
    check_tamper(l, f + ":5", "edited or inserted");
  }
  SUBCASE("deleted") {
    auto l = orig;
    l.erase(l.begin() + 4);
    check_tamper(l, f + ":5", "deleted");
  }
  SUBCASE("deleted: two lines") {
    auto l = orig;
    l.erase(l.begin() + 4, l.begin() + 6);
    check_tamper(l, f + ":5", "deleted");
  }
  SUBCASE("deleted: the start record") {
    auto l = orig;
    l.erase(l.begin());
    check_tamper(l, f + ":1", "deleted");
  }
  SUBCASE("inserted: a copy of an earlier line") {
    auto l = orig;
    l.insert(l.begin() + 5, orig[2]);
    check_tamper(l, f + ":6", "inserted");
  }
  SUBCASE("inserted: a forged record that links to the line before it") {
    auto l = orig;
    auto forged = orig[5];  // seq 6, its prev the hash of line 5
    forged.replace(forged.find("root"), 4, "evil");
    l.insert(l.begin() + 5, forged);  // as line 6, before the real seq 6
    check_tamper(l, f + ":6", "inserted");
  }
  SUBCASE("inserted: a forged record with a seq of its own") {
    auto l = orig;
    auto forged = orig[5];
    forged.replace(forged.find("\"seq\":6"), 7, "\"seq\":60");
    l.insert(l.begin() + 5, forged);
    check_tamper(l, f + ":6", "inserted");
  }
  SUBCASE("inserted: a line that is not a record") {
    auto l = orig;
    l.insert(l.begin() + 3, "hello");
    check_tamper(l, f + ":4", "edited or inserted");
  }
  SUBCASE("reordered: two lines swapped") {
    auto l = orig;
    std::swap(l[4], l[5]);
    check_tamper(l, f + ":5", "reordered");
  }
  SUBCASE("reordered: a line moved later") {
    auto l = orig;
    const auto moved = l[3];
    l.erase(l.begin() + 3);
    l.insert(l.begin() + 6, moved);
    check_tamper(l, f + ":4", "reordered");
  }
  SUBCASE("reordered: a line moved earlier") {
    auto l = orig;
    const auto moved = l[7];
    l.erase(l.begin() + 7);
    l.insert(l.begin() + 2, moved);
    check_tamper(l, f + ":3", "reordered");
  }
  SUBCASE("truncated inside a line") {
    write_lines(p, orig);
    fs::resize_file(p, fs::file_size(p) - 10);
    const auto v = verify({p});
    CHECK(where(v) == f + ":9");
    CHECK(word(v) == "truncated");
  }
  SUBCASE("an empty file") {
    write_lines(p, {});
    const auto v = verify({p});
    CHECK(where(v) == f + ":1");
    CHECK(word(v) == "truncated");
  }
}

TEST_CASE("a line longer than a record is reported without being held in memory") {
  TempDir t;
  const auto p = make_log(t, 2);
  {
    std::ofstream out(p, std::ios::app);
    const std::string chunk(1 << 20, 'a');
    for (int i = 0; i < 4; ++i) out << chunk;
    out << '\n';
  }
  const auto v = verify({p});
  CHECK(where(v) == p.string() + ":4");
  CHECK(v.reason == "edited or inserted: a line longer than 1 MiB is not a record");
}
