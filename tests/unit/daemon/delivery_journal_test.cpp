// The delivery journal: sequence marks survive a restart, a torn or damaged record is skipped and
// counted, and --events-out, as the truth, raises the marks past what the journal recorded.
#include "daemon/delivery_journal.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/test_support.h"

using namespace soc::daemon;
namespace fs = std::filesystem;

namespace {

uint64_t mark_of(const std::vector<DeliveryMark>& marks, std::string_view sensor, uint64_t epoch) {
  for (const auto& m : marks)
    if (m.sensor == sensor && m.epoch == epoch) return m.next;
  return 0;
}

std::unique_ptr<DeliveryJournal> open_journal(const std::string& dir, DeliveryJournal::Recovered& rec) {
  auto j = DeliveryJournal::open(dir, rec);
  REQUIRE(j.ok());
  return std::move(*j);
}

void append(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::app | std::ios::binary);
  out << text;
}

std::vector<fs::path> segments(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("a record reads back, and one changed byte makes it fail its checksum") {
  const std::string line = format_mark_record("s1:a", 1733300000000000, 512, {42, 1000});
  DeliveryMark m;
  FilePosition pos;
  REQUIRE(parse_mark_record(line, m, pos));
  CHECK(m.sensor == "s1:a");
  CHECK(m.epoch == 1733300000000000);
  CHECK(m.next == 512);
  CHECK(pos.inode == 42);
  CHECK(pos.offset == 1000);
  std::string bad = line;
  bad[3] = '7';
  CHECK_FALSE(parse_mark_record(bad, m, pos));
  CHECK_FALSE(parse_mark_record("", m, pos));
  CHECK_FALSE(parse_mark_record("a b c", m, pos));
}

TEST_CASE("marks survive a restart; the newest segment holds them all and the older ones are deleted") {
  soc::test::TempDir tmp;
  const std::string dir = (tmp.path() / "delivery").string();
  {
    DeliveryJournal::Recovered rec;
    auto j = open_journal(dir, rec);
    CHECK(rec.marks.empty());
    CHECK_FALSE(rec.position_known);
    REQUIRE(j->start({}, {}));
    REQUIRE(j->record("s1", 100, 512, {7, 5000}, false));
    REQUIRE(j->record("s2", 200, 10, {7, 6000}, true));
    REQUIRE(j->record("s1", 100, 1024, {7, 9000}, false));
  }
  DeliveryJournal::Recovered rec;
  auto j = open_journal(dir, rec);
  CHECK(rec.records == 3);
  CHECK(mark_of(rec.marks, "s1", 100) == 1024);
  CHECK(mark_of(rec.marks, "s2", 200) == 10);
  CHECK(rec.position_known);
  CHECK(rec.events_out.offset == 9000);
  REQUIRE(j->start(rec.marks, {7, 9000}));
  const auto files = segments(dir);
  REQUIRE(files.size() == 1);
  CHECK(files[0].filename() == "marks.2");

  DeliveryJournal::Recovered again;
  open_journal(dir, again);
  CHECK(mark_of(again.marks, "s1", 100) == 1024);
  CHECK(again.events_out.offset == 9000);
}

TEST_CASE("a record cut short by a crash is skipped and counted as torn; the marks before it stand") {
  soc::test::TempDir tmp;
  const std::string dir = (tmp.path() / "delivery").string();
  {
    DeliveryJournal::Recovered rec;
    auto j = open_journal(dir, rec);
    REQUIRE(j->start({}, {}));
    REQUIRE(j->record("s1", 1, 100, {1, 10}, false));
  }
  append(segments(dir).back(), format_mark_record("s1", 1, 200, {1, 20}).substr(0, 12));
  DeliveryJournal::Recovered rec;
  open_journal(dir, rec);
  CHECK(rec.torn == 1);
  CHECK(rec.damaged == 0);
  CHECK(mark_of(rec.marks, "s1", 1) == 100);
  CHECK(rec.position_known);
}

TEST_CASE("a damaged record is skipped and makes the position unknown, so --events-out is read whole") {
  soc::test::TempDir tmp;
  const std::string dir = (tmp.path() / "delivery").string();
  {
    DeliveryJournal::Recovered rec;
    auto j = open_journal(dir, rec);
    REQUIRE(j->start({}, {}));
    REQUIRE(j->record("s1", 1, 100, {1, 10}, false));
  }
  std::string bad = format_mark_record("s1", 1, 200, {1, 20});
  bad[0] = 'x';
  append(segments(dir).back(), bad + "\n" + format_mark_record("s2", 2, 5, {1, 30}) + "\n");
  DeliveryJournal::Recovered rec;
  open_journal(dir, rec);
  CHECK(rec.damaged == 1);
  CHECK(mark_of(rec.marks, "s1", 1) == 100);
  CHECK(mark_of(rec.marks, "s2", 2) == 5);
  CHECK_FALSE(rec.position_known);
}

TEST_CASE("a large segment asks to be compacted; compaction keeps every mark") {
  soc::test::TempDir tmp;
  const std::string dir = (tmp.path() / "delivery").string();
  DeliveryJournal::Recovered rec;
  auto j = open_journal(dir, rec);
  j->set_max_segment_bytes(200);
  REQUIRE(j->start({}, {}));
  std::vector<DeliveryMark> marks;
  for (uint64_t i = 1; !j->wants_compaction(); ++i) {
    REQUIRE(j->record("s1", 9, i * 10, {3, i}, false));
    raise_mark(marks, "s1", 9, i * 10);
  }
  raise_mark(marks, "s2", 4, 77);
  REQUIRE(j->start(marks, {3, 99}));
  CHECK_FALSE(j->wants_compaction());
  DeliveryJournal::Recovered back;
  open_journal(dir, back);
  CHECK(mark_of(back.marks, "s1", 9) == marks[0].next);
  CHECK(mark_of(back.marks, "s2", 4) == 77);
  CHECK(segments(dir).size() == 1);
}

TEST_CASE("--events-out raises the marks past the journal: from the recorded offset, or whole when it is another file") {
  soc::test::TempDir tmp;
  const std::string path = tmp.write(
      "events.jsonl",
      "{\"event.dataset\":\"flow\",\"event.id\":\"s1:5:0\"}\n"
      "{\"event.dataset\":\"flow\",\"event.id\":\"s1:5:1\"}\n"
      "{\"event.dataset\":\"soc.heartbeat\",\"observer.name\":\"s1\"}\n"
      "{\"message\":\"\\\"event.id\\\":\\\"x:1:999\\\"\",\"event.id\":\"pkt:dc:hatinh:7:41\"}\n");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  const uint64_t ino = st.st_ino;

  std::vector<DeliveryMark> whole;
  auto n = recover_marks_from_events(path, {}, false, whole);
  REQUIRE(n.ok());
  CHECK(*n == 3);
  CHECK(mark_of(whole, "s1", 5) == 2);
  CHECK(mark_of(whole, "pkt:dc:hatinh", 7) == 42);  // sensor ids may hold ':'
  CHECK(mark_of(whole, "x", 1) == 0);               // text inside a value is not an id

  // From the offset of the second line: the first is not read again.
  std::vector<DeliveryMark> tail;
  const uint64_t second = std::string("{\"event.dataset\":\"flow\",\"event.id\":\"s1:5:0\"}\n").size();
  n = recover_marks_from_events(path, {ino, second}, true, tail);
  REQUIRE(n.ok());
  CHECK(*n == 2);
  // The same offset in another file (logrotate moved it): read from the start.
  std::vector<DeliveryMark> other;
  n = recover_marks_from_events(path, {ino + 1, second}, true, other);
  REQUIRE(n.ok());
  CHECK(*n == 3);
  // A missing file holds nothing.
  std::vector<DeliveryMark> none;
  n = recover_marks_from_events((tmp.path() / "nope").string(), {}, false, none);
  REQUIRE(n.ok());
  CHECK(*n == 0);
}
