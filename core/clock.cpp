#include "core/clock.h"

#include <fmt/core.h>

namespace soc {
namespace {

// Howard Hinnant's days_from_civil: proleptic Gregorian, valid far beyond 0001-9999.
constexpr long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

constexpr bool is_leap(long long y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(long long y, unsigned m) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

bool digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  out = v;
  return true;
}

}  // namespace

Timestamp now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

void append_rfc3339(std::string& out, Timestamp t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const auto us = (t - day).count();  // microseconds in the day, >= 0
  const long long secs = us / 1'000'000;
  const long long frac = us % 1'000'000;
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", year,
                   static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), secs / 3600,
                   (secs / 60) % 60, secs % 60, frac);
    return;
  }
  // The common case by hand: every flow event has three timestamps, and fmt's general
  // formatting was a quarter of the packet sensor's time (bench/README.md, packet sensor).
  char b[27] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', 'T', '0', '0', ':',
                '0', '0', ':', '0', '0', '.', '0', '0', '0', '0', '0', '0', 'Z'};
  auto put = [&b](int pos, int width, long long v) {
    for (int i = pos + width - 1; i >= pos; --i, v /= 10) b[i] = static_cast<char>('0' + v % 10);
  };
  put(0, 4, year);
  put(5, 2, static_cast<unsigned>(ymd.month()));
  put(8, 2, static_cast<unsigned>(ymd.day()));
  put(11, 2, secs / 3600);
  put(14, 2, (secs / 60) % 60);
  put(17, 2, secs % 60);
  put(20, 6, frac);
  out.append(b, sizeof b);
}

std::string format_rfc3339(Timestamp t) {
  std::string s;
  s.reserve(27);
  append_rfc3339(s, t);
  return s;
}

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
  const std::string_view s = text;  // indexed a lot below
  unsigned year, month, day, hour, minute, second;
  if (!digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day) || !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') ||
      !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
      !digits(s, 17, 2, second)) {
    return std::nullopt;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
      hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  long long micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const size_t start = pos;
    long long scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start || pos - start > 9) return std::nullopt;
  }
  if (second == 60) {  // leap second: fold into the last microsecond of the minute
    second = 59;
    micros = 999'999;
  }
  long long offset_s = 0;
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    unsigned oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_s = (oh * 3600LL + om * 60LL) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const long long d = days_from_civil(year, month, day);
  const long long total_s = d * 86400 + hour * 3600LL + minute * 60LL + second - offset_s;
  // An offset can move a local time of 0001-01-01 or 9999-12-31 out of those years in UTC;
  // format_rfc3339 would then write a year that this function refuses to read back.
  constexpr long long kMinSeconds = days_from_civil(1, 1, 1) * 86400;
  constexpr long long kEndSeconds = (days_from_civil(9999, 12, 31) + 1) * 86400;
  if (total_s < kMinSeconds || total_s >= kEndSeconds) return std::nullopt;
  return Timestamp{std::chrono::microseconds{total_s * 1'000'000 + micros}};
}

double to_unix_seconds(Timestamp t) {
  return static_cast<double>(t.time_since_epoch().count()) / 1e6;
}

}  // namespace soc
