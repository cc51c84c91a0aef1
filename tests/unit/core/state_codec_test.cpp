// The byte format of the correlator's state files: what is written reads back, and what is
// damaged is refused without crashing (a damaged snapshot is untrusted input).
#include "core/state_codec.h"

#include <doctest/doctest.h>

#include <random>

using namespace soc;

TEST_CASE("values, strings and numbers read back as they were written") {
  std::string out;
  ByteWriter w(out);
  w.u8(7);
  w.u32(0xdeadbeef);
  w.u64(1ull << 60);
  w.i64(-42);
  w.f64(2.5);
  w.str("sensor:1:2");
  w.time(Timestamp(std::chrono::microseconds(1733300000123456)));
  w.value(Value("text"));
  w.value(Value(int64_t{-5}));
  w.value(Value(1.25));
  w.value(Value(true));
  w.value(Value(*IpAddress::parse("2001:db8::1")));
  w.value(Value(Timestamp(std::chrono::microseconds(5))));
  w.value(Value(List{Value("a"), Value(int64_t{1})}));

  ByteReader r(out);
  CHECK(r.u8() == 7);
  CHECK(r.u32() == 0xdeadbeef);
  CHECK(r.u64() == 1ull << 60);
  CHECK(r.i64() == -42);
  CHECK(r.f64() == 2.5);
  CHECK(r.str() == "sensor:1:2");
  CHECK(r.time().time_since_epoch().count() == 1733300000123456);
  CHECK(r.value().as_string() == "text");
  CHECK(r.value().as_int() == -5);
  CHECK(r.value().as_float() == 1.25);
  CHECK(r.value().as_bool());
  CHECK(r.value().as_ip().to_string() == "2001:db8::1");
  CHECK(r.value().as_timestamp().time_since_epoch().count() == 5);
  const Value l = r.value();
  REQUIRE(l.is_list());
  CHECK(l.as_list().size() == 2);
  CHECK(r.at_end());
}

TEST_CASE("a read past the end fails, and every read after it") {
  std::string out;
  ByteWriter(out).u32(5);
  ByteReader r(out);
  CHECK(r.str().empty());  // claims 5 bytes, has none
  CHECK_FALSE(r.ok());
  CHECK(r.u8() == 0);
  CHECK_FALSE(r.at_end());
}

TEST_CASE("a count larger than the bytes left could hold is refused before anything is allocated") {
  std::string out;
  ByteWriter(out).u32(0xffffffff);
  ByteReader r(out);
  CHECK(r.count(8) == 0);
  CHECK_FALSE(r.ok());
}

TEST_CASE("a sealed payload unseals; a damaged, cut, renamed or newer one says why") {
  const std::string sealed = seal("rules", 1, "payload bytes");
  auto u = unseal(sealed, "rules", 1);
  CHECK(u.error.empty());
  CHECK(u.payload == "payload bytes");

  std::string flipped = sealed;
  flipped[flipped.size() - 6] ^= 0x10;  // in the payload
  CHECK(unseal(flipped, "rules", 1).error == "checksum mismatch (the file is damaged)");
  CHECK(unseal(sealed.substr(0, sealed.size() - 3), "rules", 1).error.find("the payload should hold") == 0);
  CHECK(unseal(sealed, "baseline", 1).error == "holds part 'rules', not 'baseline'");
  CHECK(unseal(seal("rules", 2, "x"), "rules", 1).error == "format version 2 (this correlator reads version 1)");
  CHECK(unseal("", "rules", 1).error == "not a state file (no SOCSTATE header)");
  CHECK(unseal("garbage that is long enough to be a header.....", "rules", 1).error ==
        "not a state file (no SOCSTATE header)");
}

TEST_CASE("crc32 is the IEEE CRC-32 (the check value of the standard)") { CHECK(crc32("123456789") == 0xCBF43926u); }

TEST_CASE("random bytes never crash the reader and unseal only when they are a sealed file") {
  std::mt19937 rng(14);
  const int rounds = 20000;
  for (int round = 0; round < rounds; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng());
    // Half of the rounds start like a real file, to reach the checks past the magic.
    if (round % 2) bytes = seal("rules", 1, bytes).substr(0, 8 + rng() % 40) + bytes;
    ByteReader r(bytes);
    for (int i = 0; i < 16 && r.ok(); ++i) {
      switch (rng() % 4) {
        case 0: (void)r.value(); break;
        case 1: (void)r.str(); break;
        case 2: (void)r.count(1); break;
        default: (void)r.u64(); break;
      }
    }
    CHECK(r.remaining() <= bytes.size());
    // Accepted only when it is exactly what seal() writes for its payload.
    const auto u = unseal(bytes, "rules", 1);
    if (u.error.empty()) CHECK(seal("rules", 1, u.payload) == bytes);
  }
}
