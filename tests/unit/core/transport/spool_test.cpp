// The sender's spool: the record format (checksums, torn and damaged records), a spool that is
// written, acknowledged, reopened after a crash, filled past its limits, and damaged at random
// (the reader of an untrusted file never crashes and keeps every intact batch).
#include "core/transport/spool.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/transport/crc32c.h"
#include "core/transport/spool_record.h"
#include "tests/unit/test_support.h"

namespace {

namespace fs = std::filesystem;
namespace sf = soc::transport::spool_format;
using soc::transport::AppendResult;
using soc::transport::Spool;
using soc::transport::SpoolBatch;
using soc::transport::SpoolConfig;
using soc::transport::SpoolFull;

constexpr uint64_t kEpoch = 1795785621000000ull;

// `count` JSON lines of about `line_bytes` each, numbered from `first`.
std::string payload(uint64_t first, uint32_t count, size_t line_bytes = 60) {
  std::string p;
  for (uint32_t i = 0; i < count; ++i) {
    std::string line = "{\"n\":" + std::to_string(first + i) + ",\"pad\":\"";
    while (line.size() + 2 < line_bytes) line += 'x';
    line += "\"}";
    p += line;
    p += '\n';
  }
  return p;
}

SpoolBatch batch(uint64_t first, uint32_t count, size_t line_bytes = 60, uint64_t epoch = kEpoch) {
  SpoolBatch b;
  b.epoch = epoch;
  b.first = first;
  b.count = count;
  b.written_us = 1'000'000;
  b.position = "pos " + std::to_string(first + count);
  b.payload = payload(first, count, line_bytes);
  return b;
}

SpoolConfig config(const fs::path& dir, uint64_t max_bytes = 64 << 20, SpoolFull full = SpoolFull::DropOldest) {
  SpoolConfig c;
  c.dir = dir.string();
  c.max_bytes = max_bytes;
  c.full = full;
  c.sync_interval = std::chrono::milliseconds(0);  // no helper thread in unit tests
  return c;
}

std::unique_ptr<Spool> open_spool(const SpoolConfig& c) {
  auto s = Spool::open(c);
  REQUIRE_MESSAGE(s, (s ? std::string() : s.error().message));
  return std::move(*s);
}

AppendResult append(Spool& s, SpoolBatch b, bool take = false) {
  bool taken = false;
  return s.append(b, take, taken);
}

// Reads every batch left, as (first, count) pairs.
std::vector<std::pair<uint64_t, uint32_t>> read_all(Spool& s) {
  std::vector<std::pair<uint64_t, uint32_t>> out;
  SpoolBatch b;
  while (s.read_next(b)) {
    CHECK(b.payload == payload(b.first, b.count, b.payload.size() / b.count - 1));
    out.emplace_back(b.first, b.count);
  }
  return out;
}

std::vector<fs::path> segments(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".seg") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void spit(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

// Segment files of `dir` that were deleted but that a descriptor of this process still holds
// open: the disk space they take is not given back until it is closed.
int deleted_but_open(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = fs::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind(dir.string(), 0) == 0 && target.find(".seg (deleted)") != std::string::npos) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("crc32c gives the standard check value, the same on both paths") {
  CHECK(soc::transport::crc32c(std::string_view("123456789")) == 0xE3069283u);
  CHECK(soc::transport::crc32c(std::string_view("")) == 0u);
  std::mt19937 rng(7);
  std::string data(4096 + 13, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (size_t off : {0, 1, 3, 7}) {
    for (size_t len : {0, 1, 7, 8, 9, 63, 64, 1000, 4096}) {
      CHECK(soc::transport::crc32c(0, data.data() + off, len) ==
            soc::transport::crc32c_portable(0, data.data() + off, len));
    }
  }
  // Extending in two steps equals one pass.
  const uint32_t whole = soc::transport::crc32c(0, data.data(), 1000);
  CHECK(soc::transport::crc32c(soc::transport::crc32c(0, data.data(), 333), data.data() + 333, 667) == whole);
}

TEST_CASE("a batch record reads back exactly as written; a mark too") {
  const std::string pl = payload(100, 3);
  std::string head;
  sf::encode_batch_head(head, kEpoch, 100, 3, 42, "file 1 2 /var/log/auth.log", pl);
  const std::string rec = head + pl;
  sf::RecordView v;
  size_t consumed = 0;
  REQUIRE(sf::parse_record(rec, v, consumed) == sf::ParseStatus::Ok);
  CHECK(consumed == rec.size());
  CHECK(v.type == sf::RecordType::Batch);
  CHECK(v.epoch == kEpoch);
  CHECK(v.first == 100);
  CHECK(v.count == 3);
  CHECK(v.written_us == 42);
  CHECK(v.position == "file 1 2 /var/log/auth.log");
  CHECK(v.payload == pl);

  const std::string mark = sf::encode_mark(kEpoch, 103, 7);
  REQUIRE(sf::parse_record(mark, v, consumed) == sf::ParseStatus::Ok);
  CHECK(v.type == sf::RecordType::Mark);
  CHECK(v.done_below == 103);
  CHECK(consumed == mark.size());
}

TEST_CASE("a cut record needs more, a changed byte is refused, a wrong line count is refused") {
  const std::string pl = payload(0, 2);
  std::string head;
  sf::encode_batch_head(head, kEpoch, 0, 2, 1, "p", pl);
  const std::string rec = head + pl;
  sf::RecordView v;
  size_t consumed = 0;
  for (size_t cut = 0; cut < rec.size(); ++cut) {
    const auto st = sf::parse_record(std::string_view(rec).substr(0, cut), v, consumed);
    CHECK(st == sf::ParseStatus::NeedMore);
  }
  for (size_t i = 0; i < rec.size(); ++i) {
    std::string bad = rec;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    const auto st = sf::parse_record(bad, v, consumed);
    CHECK(st != sf::ParseStatus::Ok);
  }
  // Valid checksum, but the payload holds 2 lines where the record claims 3.
  sf::encode_batch_head(head, kEpoch, 0, 3, 1, "p", pl);
  CHECK(sf::parse_record(head + pl, v, consumed) == sf::ParseStatus::Bad);
}

TEST_CASE("batches are read back in order; acknowledged ones are not resent after a restart") {
  soc::test::TempDir dir;
  const auto c = config(dir.path());
  {
    auto s = open_spool(c);
    CHECK(s->newest_epoch() == 0);
    CHECK_FALSE(s->last_position());
    for (uint64_t i = 0; i < 10; ++i) REQUIRE(append(*s, batch(i * 5, 5)) == AppendResult::Ok);
    SpoolBatch b;
    for (int i = 0; i < 4; ++i) {
      REQUIRE(s->read_next(b));
      CHECK(b.first == static_cast<uint64_t>(i) * 5);
      s->done(b.where, b.epoch, b.end(), b.count);
    }
    s->flush_done();
    CHECK(s->stats().events == 30);
    CHECK(s->stats().records == 6);
  }  // a crash keeps the same files: the destructor only syncs
  auto s = open_spool(c);
  CHECK(s->newest_epoch() == kEpoch);
  REQUIRE(s->last_position());
  CHECK(s->last_position()->text == "pos 50");
  CHECK(s->last_position()->end == 50);
  CHECK(s->stats().events_recovered == 30);
  const auto left = read_all(*s);
  REQUIRE(left.size() == 6);
  CHECK(left.front().first == 20);
  CHECK(left.back().first == 45);
}

TEST_CASE("a torn last record is cut off and counted; the batches before it survive") {
  soc::test::TempDir dir;
  const auto c = config(dir.path());
  uint64_t good_size = 0;
  {
    auto s = open_spool(c);
    for (uint64_t i = 0; i < 2; ++i) REQUIRE(append(*s, batch(i * 4, 4)) == AppendResult::Ok);
    good_size = fs::file_size(segments(dir.path()).at(0));
    REQUIRE(append(*s, batch(8, 4)) == AppendResult::Ok);
  }
  const auto seg = segments(dir.path()).at(0);
  const std::string bytes = slurp(seg);
  // The third record loses its last 7 bytes, as if the process died in the middle of the write.
  spit(seg, bytes.substr(0, bytes.size() - 7));
  auto s = open_spool(c);
  CHECK(s->stats().records_torn == 1);
  CHECK(s->stats().records_corrupt == 0);
  CHECK(fs::file_size(seg) == good_size);
  REQUIRE(s->last_position());
  CHECK(s->last_position()->text == "pos 8");
  const auto left = read_all(*s);
  REQUIRE(left.size() == 2);
  CHECK(left[1].first == 4);
  // Appending goes on after the cut.
  REQUIRE(append(*s, batch(8, 4)) == AppendResult::Ok);
  CHECK(read_all(*s).size() == 1);
}

TEST_CASE("a damaged record in the middle is skipped and counted; the ones around it are kept") {
  soc::test::TempDir dir;
  const auto c = config(dir.path());
  std::vector<uint64_t> ends;
  {
    auto s = open_spool(c);
    for (uint64_t i = 0; i < 3; ++i) {
      REQUIRE(append(*s, batch(i * 4, 4)) == AppendResult::Ok);
      ends.push_back(fs::file_size(segments(dir.path()).at(0)));
    }
  }
  const auto seg = segments(dir.path()).at(0);
  std::string bytes = slurp(seg);
  bytes[(ends[0] + ends[1]) / 2] ^= 0x01;  // inside the second record
  spit(seg, bytes);
  auto s = open_spool(c);
  CHECK(s->stats().records_corrupt == 1);
  CHECK(s->stats().bytes_skipped == ends[1] - ends[0]);
  CHECK(s->stats().records_torn == 0);
  const auto left = read_all(*s);
  REQUIRE(left.size() == 2);
  CHECK(left[0].first == 0);
  CHECK(left[1].first == 8);
  CHECK(s->stats().records_corrupt == 1);  // not counted again while reading back
}

TEST_CASE("drop-oldest deletes the oldest segments and counts exactly the unacknowledged events in them") {
  soc::test::TempDir dir;
  const auto c = config(dir.path(), 256 << 10);  // 64 KiB segments
  auto s = open_spool(c);
  uint64_t appended = 0, acked = 0;
  SpoolBatch b;
  for (uint64_t i = 0; i < 200; ++i) {
    REQUIRE(append(*s, batch(i * 40, 40, 100)) == AppendResult::Ok);  // ~4 KiB a batch
    appended += 40;
    if (i == 3) {  // the first two batches are acknowledged: they are not counted when dropped
      for (int k = 0; k < 2; ++k) {
        REQUIRE(s->read_next(b));
        s->done(b.where, b.epoch, b.end(), b.count);
        acked += b.count;
      }
      s->flush_done();
    }
    CHECK(s->stats().bytes <= c.max_bytes);
  }
  const auto st = s->stats();
  CHECK(st.events_dropped_full > 0);
  CHECK(st.events_dropped_age == 0);
  CHECK(st.events == appended - acked - st.events_dropped_full);
  // What is left is the newest, contiguous, and every event is accounted for.
  uint64_t left_events = 0, expect_first = 0;
  bool first = true;
  SpoolBatch r;
  while (s->read_next(r)) {
    if (!first) CHECK(r.first == expect_first);
    first = false;
    expect_first = r.end();
    left_events += r.count;
  }
  CHECK(expect_first == 200 * 40);
  CHECK(left_events + st.events_dropped_full + acked == appended);
  CHECK(s->stats().records_corrupt == 0);
  CHECK(s->first_live().segment > 1);
}

TEST_CASE("block refuses a batch that does not fit, and takes it once acknowledgements free a segment") {
  soc::test::TempDir dir;
  const auto c = config(dir.path(), 256 << 10, SpoolFull::Block);
  auto s = open_spool(c);
  uint64_t i = 0;
  while (append(*s, batch(i * 40, 40, 100)) == AppendResult::Ok) ++i;
  CHECK(i > 40);
  CHECK(s->stats().events_dropped_full == 0);
  CHECK(s->stats().events == i * 40);
  CHECK(append(*s, batch(i * 40, 40, 100)) == AppendResult::Full);
  // Acknowledge the first segment's batches.
  SpoolBatch b;
  const uint64_t seg = [&] {
    REQUIRE(s->read_next(b));
    return b.where.segment;
  }();
  s->done(b.where, b.epoch, b.end(), b.count);
  while (s->read_next(b) && b.where.segment == seg) s->done(b.where, b.epoch, b.end(), b.count);
  s->flush_done();
  CHECK(append(*s, batch(i * 40, 40, 100)) == AppendResult::Ok);
  CHECK(s->stats().events_dropped_full == 0);
}

TEST_CASE("the age limit drops old batches and counts them apart from the size limit") {
  soc::test::TempDir dir;
  auto c = config(dir.path(), 256 << 10);
  c.max_age = std::chrono::seconds(60);
  auto s = open_spool(c);
  for (uint64_t i = 0; i < 40; ++i) REQUIRE(append(*s, batch(i * 40, 40, 100)) == AppendResult::Ok);
  s->enforce_age(1'000'000 + 30'000'000);  // 30 s after they were written: kept
  CHECK(s->stats().events_dropped_age == 0);
  s->enforce_age(1'000'000 + 61'000'000);
  CHECK(s->stats().events_dropped_age == 40 * 40);
  CHECK(s->stats().events == 0);
  SpoolBatch b;
  CHECK_FALSE(s->read_next(b));
  // The newest position survives the drop.
  REQUIRE(s->last_position());
  CHECK(s->last_position()->end == 40 * 40);
}

TEST_CASE("a spool folder is used by one sender at a time") {
  soc::test::TempDir dir;
  const auto c = config(dir.path());
  auto s = open_spool(c);
  auto second = Spool::open(c);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == "config");
  CHECK(second.error().message.find("is in use by pid " + std::to_string(getpid())) != std::string::npos);
}

TEST_CASE("a segment of a newer format is refused; a file that is no segment is set aside") {
  soc::test::TempDir dir;
  {
    std::string h = sf::segment_header();
    h[8] = 9;  // version 9, checksum fixed below
    const uint32_t crc = soc::transport::crc32c(0, h.data(), 12);
    for (int i = 0; i < 4; ++i) h[12 + i] = static_cast<char>(crc >> (8 * i));
    spit(dir.path() / "0000000000000001.seg", h);
    auto s = Spool::open(config(dir.path()));
    REQUIRE_FALSE(s);
    CHECK(s.error().code == "config");
    CHECK(s.error().message.find("newer version of the spool format (9") != std::string::npos);
  }
  spit(dir.path() / "0000000000000001.seg", std::string(100, 'z'));
  auto s = open_spool(config(dir.path()));
  CHECK(s->stats().records_corrupt == 1);
  CHECK(segments(dir.path()).empty());
  bool aside = false;
  for (const auto& e : fs::directory_iterator(dir.path()))
    aside = aside || e.path().filename().string().starts_with("0000000000000001.seg.corrupt-");
  CHECK(aside);
}

TEST_CASE("a disk that refuses writes fails the append, counted; the spool works again afterwards") {
  soc::test::TempDir dir;
  auto s = open_spool(config(dir.path()));
  REQUIRE(append(*s, batch(0, 10)) == AppendResult::Ok);
  // RLIMIT_FSIZE makes the kernel refuse writes past the current size (EFBIG), like a full disk.
  signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit lim = old;
  lim.rlim_cur = fs::file_size(segments(dir.path()).at(0)) + 10;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0);
  const auto r = append(*s, batch(10, 10));
  setrlimit(RLIMIT_FSIZE, &old);
  CHECK(r == AppendResult::Failed);
  CHECK(s->stats().write_errors == 1);
  CHECK(s->stats().write_failing);
  REQUIRE(append(*s, batch(10, 10)) == AppendResult::Ok);
  CHECK_FALSE(s->stats().write_failing);
  const auto left = read_all(*s);
  REQUIRE(left.size() == 2);  // no partial record was left behind by the failed write
  CHECK(left[1].first == 10);
}

TEST_CASE("a segment deleted to make room on a full disk gives its space back at once") {
  // The helper thread keeps a descriptor of the segment being written, and of the previous one
  // until its last sync. A segment deleted while one was still open kept its blocks: on a full
  // disk the spool deleted its oldest segments and found no room, then dropped its newest batches
  // (a loss the correlator cannot see: tests/e2e/spool_disk_full_test.sh).
  soc::test::TempDir dir;
  auto c = config(dir.path(), 256 << 10);  // 64 KiB segments
  c.sync_interval = std::chrono::hours(1);  // the helper thread runs, but does not sync here
  auto s = open_spool(c);
  for (uint64_t i = 0; i < 40; ++i) REQUIRE(append(*s, batch(i * 40, 40, 100)) == AppendResult::Ok);  // ~4 KiB each
  REQUIRE(segments(dir.path()).size() >= 2);
  CHECK(deleted_but_open(dir.path()) == 0);
  // The oldest segment, written before a rotation.
  REQUIRE(s->drop_oldest_for_space());
  CHECK(deleted_but_open(dir.path()) == 0);
  while (segments(dir.path()).size() > 1) REQUIRE(s->drop_oldest_for_space());
  CHECK(deleted_but_open(dir.path()) == 0);
  // The segment being written is the last to go.
  REQUIRE(s->drop_oldest_for_space());
  CHECK(segments(dir.path()).empty());
  CHECK(deleted_but_open(dir.path()) == 0);
  CHECK(s->stats().events_dropped_disk == 40 * 40);
  // The next batch starts a new segment, and is the only one left to read.
  REQUIRE(append(*s, batch(40 * 40, 40, 100)) == AppendResult::Ok);
  const auto left = read_all(*s);
  REQUIRE(left.size() == 1);
  CHECK(left[0].first == 40 * 40);
}

TEST_CASE("random damage to spool files never crashes the reader and costs bounded work") {
  std::mt19937_64 rng(20261204);
  for (int round = 0; round < 150; ++round) {
    soc::test::TempDir dir;
    const auto c = config(dir.path(), 1 << 20);
    uint64_t written = 0;
    {
      auto s = open_spool(c);
      const int n = 1 + static_cast<int>(rng() % 40);
      for (int i = 0; i < n; ++i) {
        const uint32_t count = 1 + static_cast<uint32_t>(rng() % 30);
        REQUIRE(append(*s, batch(written, count, 30 + rng() % 200)) == AppendResult::Ok);
        written += count;
        if (rng() % 5 == 0) {
          SpoolBatch b;
          if (s->read_next(b)) {
            s->done(b.where, b.epoch, b.end(), b.count);
            s->flush_done();
          }
        }
      }
    }
    for (const auto& seg : segments(dir.path())) {
      std::string bytes = slurp(seg);
      const int edits = 1 + static_cast<int>(rng() % 6);
      for (int e = 0; e < edits && !bytes.empty(); ++e) {
        switch (rng() % 5) {
          case 0: bytes[rng() % bytes.size()] = static_cast<char>(rng()); break;  // a byte changed
          case 1: bytes.resize(rng() % bytes.size()); break;                      // cut short
          case 2: bytes.insert(rng() % bytes.size(), std::string(1 + rng() % 50, static_cast<char>(rng()))); break;
          case 3: {  // a run of zeros, as after a crash on some file systems
            const size_t at = rng() % bytes.size();
            for (size_t i = at; i < std::min(bytes.size(), at + 1 + rng() % 4096); ++i) bytes[i] = 0;
            break;
          }
          default: {  // a stray record magic with a huge length
            const size_t at = rng() % bytes.size();
            bytes.replace(at, std::min<size_t>(12, bytes.size() - at), std::string("SOCR\x01\0\0\0\xff\xff\xff\x7f", 12));
          }
        }
      }
      spit(seg, bytes);
    }
    auto s = Spool::open(c);
    REQUIRE(s);
    // Whatever is read back is a valid batch, in increasing order, within what was written.
    SpoolBatch b;
    uint64_t last_end = 0;
    int reads = 0;
    while ((*s)->read_next(b)) {
      CHECK(b.count >= 1);
      CHECK(b.end() <= written);
      CHECK(b.first >= last_end);
      CHECK(b.payload == payload(b.first, b.count, b.payload.size() / b.count - 1));
      last_end = b.end();
      REQUIRE(++reads < 10000);
    }
    // And the spool goes on working.
    REQUIRE(append(**s, batch(written, 3)) == AppendResult::Ok);
    REQUIRE((*s)->read_next(b));
    CHECK(b.first == written);
  }
}
