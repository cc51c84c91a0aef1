#include "core/clock.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace {

using std::chrono::microseconds;

constexpr long long kSecond = 1'000'000;

soc::Timestamp at_us(long long us) { return soc::Timestamp{microseconds{us}}; }

// Microseconds since the epoch, or a sentinel that no valid test value has.
long long us_of(std::string_view text) {
  const auto t = soc::parse_rfc3339(text);
  return t ? t->time_since_epoch().count() : -1'000'000'000'000'000'000LL;
}

}  // namespace

TEST_CASE("parse_rfc3339 reads a UTC time with a Z suffix") {
  CHECK(us_of("1970-01-01T00:00:00Z") == 0);
  CHECK(us_of("2000-01-01T00:00:00Z") == 946684800 * kSecond);
  CHECK(us_of("2026-11-27T13:20:21Z") == 1795785621 * kSecond);
  CHECK(us_of("1969-12-31T23:59:59Z") == -1 * kSecond);
  CHECK(us_of("0001-01-01T00:00:00Z") == -62135596800LL * kSecond);
  CHECK(us_of("9999-12-31T23:59:59Z") == 253402300799LL * kSecond);
}

TEST_CASE("parse_rfc3339 accepts a lower-case z and a t or space separator") {
  const long long expected = 1795785621 * kSecond;
  CHECK(us_of("2026-11-27T13:20:21z") == expected);
  CHECK(us_of("2026-11-27t13:20:21Z") == expected);
  CHECK(us_of("2026-11-27 13:20:21Z") == expected);
}

TEST_CASE("parse_rfc3339 subtracts a numeric offset to get UTC") {
  const long long utc = 1795785621 * kSecond;  // 2026-11-27T13:20:21Z
  CHECK(us_of("2026-11-27T20:20:21+07:00") == utc);
  CHECK(us_of("2026-11-27T07:50:21-05:30") == utc);
  CHECK(us_of("2026-11-27T13:20:21+00:00") == utc);
  CHECK(us_of("2026-11-27T13:20:21-00:00") == utc);
  CHECK(us_of("2026-11-28T13:19:21+23:59") == utc);
  // The offset moves the time across a day and a year boundary.
  CHECK(us_of("2026-01-01T01:00:00+02:00") == 1767222000 * kSecond);  // 2025-12-31T23:00:00Z
  CHECK(us_of("2025-12-31T20:00:00-03:00") == 1767222000 * kSecond);
}

TEST_CASE("parse_rfc3339 reads 0 to 9 fractional digits and truncates beyond microseconds") {
  const long long base = 946684800 * kSecond;  // 2000-01-01T00:00:00Z
  CHECK(us_of("2000-01-01T00:00:00Z") == base);
  CHECK(us_of("2000-01-01T00:00:00.1Z") == base + 100000);
  CHECK(us_of("2000-01-01T00:00:00.12Z") == base + 120000);
  CHECK(us_of("2000-01-01T00:00:00.123Z") == base + 123000);
  CHECK(us_of("2000-01-01T00:00:00.1234Z") == base + 123400);
  CHECK(us_of("2000-01-01T00:00:00.12345Z") == base + 123450);
  CHECK(us_of("2000-01-01T00:00:00.123456Z") == base + 123456);
  CHECK(us_of("2000-01-01T00:00:00.1234567Z") == base + 123456);
  CHECK(us_of("2000-01-01T00:00:00.12345678Z") == base + 123456);
  CHECK(us_of("2000-01-01T00:00:00.123456789Z") == base + 123456);
  CHECK(us_of("2000-01-01T00:00:00.999999999Z") == base + 999999);  // truncated, not rounded
  CHECK(us_of("2000-01-01T00:00:00.000001Z") == base + 1);
  CHECK(us_of("2000-01-01T00:00:00.5+01:00") == base - 3600 * kSecond + 500000);
  CHECK_FALSE(soc::parse_rfc3339("2000-01-01T00:00:00.Z"));
  CHECK_FALSE(soc::parse_rfc3339("2000-01-01T00:00:00.1234567890Z"));
  CHECK_FALSE(soc::parse_rfc3339("2000-01-01T00:00:00,5Z"));
}

TEST_CASE("parse_rfc3339 folds a leap second into the last microsecond of the minute") {
  const long long last = 1483228799 * kSecond + 999999;  // 2016-12-31T23:59:59.999999Z
  CHECK(us_of("2016-12-31T23:59:60Z") == last);
  CHECK(us_of("2016-12-31T23:59:60.5Z") == last);
  CHECK(us_of("2017-01-01T00:59:60+01:00") == last);
  CHECK(soc::format_rfc3339(*soc::parse_rfc3339("2016-12-31T23:59:60Z")) == "2016-12-31T23:59:59.999999Z");
  CHECK_FALSE(soc::parse_rfc3339("2016-12-31T23:59:61Z"));
}

TEST_CASE("parse_rfc3339 accepts February 29 only in leap years") {
  CHECK(us_of("2024-02-29T00:00:00Z") == 1709164800 * kSecond);
  CHECK(soc::parse_rfc3339("2000-02-29T00:00:00Z"));  // divisible by 400
  CHECK(soc::parse_rfc3339("2400-02-29T12:00:00Z"));
  CHECK_FALSE(soc::parse_rfc3339("2023-02-29T00:00:00Z"));
  CHECK_FALSE(soc::parse_rfc3339("1900-02-29T00:00:00Z"));  // divisible by 100, not by 400
  CHECK_FALSE(soc::parse_rfc3339("2100-02-29T00:00:00Z"));
  CHECK_FALSE(soc::parse_rfc3339("2024-02-30T00:00:00Z"));
  CHECK(us_of("2024-03-01T00:00:00Z") == (1709164800 + 86400) * kSecond);
}

TEST_CASE("parse_rfc3339 knows the length of every month") {
  const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (int m = 1; m <= 12; ++m) {
    CAPTURE(m);
    char ok[32], bad[32];
    std::snprintf(ok, sizeof ok, "2023-%02d-%02dT00:00:00Z", m, days[m - 1]);
    std::snprintf(bad, sizeof bad, "2023-%02d-%02dT00:00:00Z", m, days[m - 1] + 1);
    CHECK(soc::parse_rfc3339(ok));
    CHECK_FALSE(soc::parse_rfc3339(bad));
  }
}

TEST_CASE("parse_rfc3339 refuses malformed date-times") {
  const std::string_view bad[] = {
      "",
      "2026",
      "2026-11-27",
      "2026-11-27T13:20",
      "2026-11-27T13:20:21",        // no zone
      "2026-11-27T13:20:21.5",      // no zone after a fraction
      "2026-13-01T00:00:00Z",
      "2026-00-01T00:00:00Z",
      "2026-01-00T00:00:00Z",
      "2026-01-32T00:00:00Z",
      "2026-01-01T24:00:00Z",
      "2026-01-01T23:60:00Z",
      "0000-01-01T00:00:00Z",       // year 0 is outside 0001-9999
      "2026-11-27T13:20:21Zjunk",
      "2026-11-27T13:20:21Z ",
      " 2026-11-27T13:20:21Z",
      "2026-11-27T13:20:21+07:00x",
      "2026-11-27X13:20:21Z",
      "2026/11/27T13:20:21Z",
      "2026-11-27T13.20.21Z",
      "2026-1-27T13:20:21Z",
      "+2026-11-27T13:20:21Z",
      "-2026-11-27T13:20:21Z",
      "2026-11-27T13:20:21+7:00",
      "2026-11-27T13:20:21+07",
      "2026-11-27T13:20:21+0700",
      "2026-11-27T13:20:21+07:0",
      "2026-11-27T13:20:21+24:00",
      "2026-11-27T13:20:21+07:60",
      "2026-11-27T13:20:21UTC",
      "2026-11-27T13:20:2aZ",
      "２０２６-11-27T13:20:21Z",
      std::string_view("2026-11-27T13:20:21Z\0", 21),
  };
  for (const auto text : bad) {
    CAPTURE(text);
    CHECK_FALSE(soc::parse_rfc3339(text));
  }
}

TEST_CASE("parse_rfc3339 refuses an offset that moves the time outside the years 0001-9999") {
  // The local time is in range but UTC is not; accepting it would produce a timestamp that
  // format_rfc3339 writes as a year parse_rfc3339 cannot read back.
  CHECK_FALSE(soc::parse_rfc3339("0001-01-01T00:00:00+00:01"));
  CHECK_FALSE(soc::parse_rfc3339("9999-12-31T23:59:59-00:01"));
  CHECK(us_of("0001-01-01T00:01:00+00:01") == -62135596800LL * kSecond);
  CHECK(us_of("9999-12-31T22:59:59.999999-01:00") == 253402300799LL * kSecond + 999999);
  CHECK(us_of("9999-12-31T23:59:60Z") == 253402300799LL * kSecond + 999999);
}

TEST_CASE("format_rfc3339 writes UTC with exactly six fractional digits") {
  CHECK(soc::format_rfc3339(at_us(0)) == "1970-01-01T00:00:00.000000Z");
  CHECK(soc::format_rfc3339(at_us(1)) == "1970-01-01T00:00:00.000001Z");
  CHECK(soc::format_rfc3339(at_us(-1)) == "1969-12-31T23:59:59.999999Z");
  CHECK(soc::format_rfc3339(at_us(1795785621 * kSecond + 123456)) == "2026-11-27T13:20:21.123456Z");
  CHECK(soc::format_rfc3339(at_us(1709164800 * kSecond)) == "2024-02-29T00:00:00.000000Z");
  CHECK(soc::format_rfc3339(at_us(-62135596800LL * kSecond)) == "0001-01-01T00:00:00.000000Z");
  CHECK(soc::format_rfc3339(at_us(253402300799LL * kSecond + 999999)) == "9999-12-31T23:59:59.999999Z");
}

TEST_CASE("append_rfc3339 appends to what the string already holds") {
  std::string s = "t=";
  soc::append_rfc3339(s, at_us(0));
  CHECK(s == "t=1970-01-01T00:00:00.000000Z");
}

TEST_CASE("format_rfc3339 and parse_rfc3339 round trip every microsecond of 0001-9999") {
  std::mt19937_64 rng(20261127);
  std::uniform_int_distribution<long long> dist(-62135596800LL * kSecond, 253402300799LL * kSecond + 999999);
  for (int i = 0; i < 20000; ++i) {
    const soc::Timestamp t = at_us(dist(rng));
    const std::string text = soc::format_rfc3339(t);
    CAPTURE(text);
    REQUIRE(text.size() == 27);
    const auto back = soc::parse_rfc3339(text);
    REQUIRE(back);
    CHECK(*back == t);
  }
}

TEST_CASE("a time with an offset formats as the same instant in UTC") {
  const auto t = soc::parse_rfc3339("2026-11-27T20:20:21.5+07:00");
  REQUIRE(t);
  CHECK(soc::format_rfc3339(*t) == "2026-11-27T13:20:21.500000Z");
}

TEST_CASE("to_unix_seconds converts microseconds to fractional seconds") {
  CHECK(soc::to_unix_seconds(at_us(0)) == 0.0);
  CHECK(soc::to_unix_seconds(at_us(1'500'000)) == 1.5);
  CHECK(soc::to_unix_seconds(at_us(-2'250'000)) == -2.25);
}

TEST_CASE("now is truncated to microseconds and close to the system clock") {
  const auto before = std::chrono::system_clock::now();
  const soc::Timestamp t = soc::now();
  const auto after = std::chrono::system_clock::now();
  CHECK(t <= after);
  CHECK(t + microseconds{1} > before);
}
