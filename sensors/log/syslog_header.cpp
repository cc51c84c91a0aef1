#include "sensors/log/syslog_header.h"

#include <ctime>

namespace soc::sensors::log {
namespace {

using namespace std::chrono;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly n digits at s[i..i+n).
bool digits(std::string_view s, size_t i, size_t n, int& out) {
  if (i + n > s.size()) return false;
  int v = 0;
  for (size_t k = i; k < i + n; ++k) {
    if (!is_digit(s[k])) return false;
    v = v * 10 + (s[k] - '0');
  }
  out = v;
  return true;
}

int month_from_name(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() < 3) return 0;
  for (int m = 0; m < 12; ++m) {
    const auto& n = kMonths[m];
    if ((s[0] | 0x20) == (n[0] | 0x20) && (s[1] | 0x20) == n[1] && (s[2] | 0x20) == n[2]) return m + 1;
  }
  return 0;
}

struct Civil {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int micros = 0;
};

bool valid(const Civil& c) {
  return c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= 31 && c.hour <= 23 && c.minute <= 59 &&
         c.second <= 60;
}

// Civil time as if it were UTC.
std::optional<Timestamp> as_utc(const Civil& c) {
  if (!valid(c)) return std::nullopt;
  year_month_day ymd{year{c.year}, month{static_cast<unsigned>(c.month)}, day{static_cast<unsigned>(c.day)}};
  if (!ymd.ok()) return std::nullopt;
  int sec = c.second == 60 ? 59 : c.second;
  return Timestamp{sys_days{ymd}.time_since_epoch() + hours{c.hour} + minutes{c.minute} + seconds{sec} +
                   microseconds{c.micros}};
}

// Only times an event can carry: @timestamp is RFC 3339, years 0001 to 9999, and a time the
// correlator would refuse to read must not be made here (a log line dated 0000-12-30 was).
std::optional<Timestamp> representable(Timestamp t) {
  static const Timestamp first{sys_days{year{1} / 1 / 1}.time_since_epoch()};
  static const Timestamp last{sys_days{year{10000} / 1 / 1}.time_since_epoch() - microseconds{1}};
  if (t < first || t > last) return std::nullopt;
  return t;
}

// Civil time in the configured zone.
std::optional<Timestamp> in_zone(const Civil& c, const TimeContext& ctx) {
  auto t = as_utc(c);
  if (!t) return t;
  if (!ctx.use_local_zone) return representable(*t - seconds{ctx.utc_offset_seconds});
  std::tm tm{};
  tm.tm_year = c.year - 1900;
  tm.tm_mon = c.month - 1;
  tm.tm_mday = c.day;
  tm.tm_hour = c.hour;
  tm.tm_min = c.minute;
  tm.tm_sec = c.second == 60 ? 59 : c.second;
  tm.tm_isdst = -1;
  std::time_t secs = std::mktime(&tm);
  if (secs == static_cast<std::time_t>(-1)) return representable(*t);
  return representable(Timestamp{seconds{secs} + microseconds{c.micros}});
}

// Optional ".ffffff" at s[i]; advances i.
void fraction(std::string_view s, size_t& i, int& micros) {
  if (i < s.size() && (s[i] == '.' || s[i] == ',') && i + 1 < s.size() && is_digit(s[i + 1])) {
    ++i;
    int scale = 100000;
    micros = 0;
    while (i < s.size() && is_digit(s[i])) {
      if (scale > 0) micros += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
}

// "hh:mm:ss" at s[i]; advances i.
bool clock_time(std::string_view s, size_t& i, Civil& c) {
  if (!digits(s, i, 2, c.hour) || i + 8 > s.size() || s[i + 2] != ':' || !digits(s, i + 3, 2, c.minute) ||
      s[i + 5] != ':' || !digits(s, i + 6, 2, c.second))
    return false;
  i += 8;
  fraction(s, i, c.micros);
  return true;
}

// "Jun  8 14:34:33[.ffffff][ 2024]"; `len` receives the bytes consumed.
std::optional<Timestamp> parse_bsd(std::string_view s, const TimeContext& ctx, size_t& len) {
  Civil c;
  c.month = month_from_name(s);
  if (!c.month || s.size() < 15 || s[3] != ' ') return std::nullopt;
  size_t i = 4;
  if (s[i] == ' ') ++i;
  if (i >= s.size() || !is_digit(s[i])) return std::nullopt;
  c.day = s[i++] - '0';
  if (i < s.size() && is_digit(s[i])) c.day = c.day * 10 + (s[i++] - '0');
  if (i >= s.size() || s[i] != ' ') return std::nullopt;
  ++i;
  if (!clock_time(s, i, c)) return std::nullopt;
  bool has_year = false;
  if (i + 5 <= s.size() && s[i] == ' ' && digits(s, i + 1, 4, c.year) && (i + 5 == s.size() || s[i + 5] == ' ')) {
    has_year = true;
    i += 5;
  }
  len = i;
  if (has_year) return in_zone(c, ctx);
  // The most recent year that does not put the date more than a day into the future.
  const auto ref_days = floor<days>(ctx.reference + seconds{ctx.utc_offset_seconds});
  c.year = static_cast<int>(year_month_day{ref_days}.year());
  auto t = in_zone(c, ctx);
  if (!t && c.month == 2 && c.day == 29) {  // Feb 29: the last leap year
    for (int k = 1; k <= 4 && !t; ++k) {
      c.year -= 1;
      t = in_zone(c, ctx);
    }
    return t;
  }
  if (t && *t > ctx.reference + hours{24}) {
    c.year -= 1;
    t = in_zone(c, ctx);
  }
  return t;
}

std::optional<Timestamp> parse_iso(std::string_view s, const TimeContext& ctx, size_t& len) {
  // The token ends at the first space.
  size_t end = s.find(' ');
  std::string_view tok = s.substr(0, end);
  len = tok.size();
  if (auto t = parse_rfc3339(tok)) return t;
  // journalctl -o short-iso before systemd 249 writes the offset without a colon ("+0700").
  if (tok.size() >= 24 && (tok[tok.size() - 5] == '+' || tok[tok.size() - 5] == '-') && tok[10] == 'T') {
    std::string fixed(tok);
    fixed.insert(fixed.size() - 2, ":");
    if (auto t = parse_rfc3339(fixed)) return t;
  }
  Civil c;
  // "2013-11-16 21:59:30,121" (proftpd's own log, Python's logging): a space, local time.
  if (tok.size() == 10 && digits(tok, 0, 4, c.year) && tok[4] == '-' && digits(tok, 5, 2, c.month) &&
      tok[7] == '-' && digits(tok, 8, 2, c.day) && s.size() > 11) {
    size_t i = 11;
    if (!clock_time(s, i, c)) return std::nullopt;
    len = i;
    return in_zone(c, ctx);
  }
  if (!digits(tok, 0, 4, c.year) || tok.size() < 19 || tok[4] != '-' || !digits(tok, 5, 2, c.month) ||
      tok[7] != '-' || !digits(tok, 8, 2, c.day) || tok[10] != 'T')
    return std::nullopt;
  size_t i = 11;
  if (!clock_time(tok, i, c) || i != tok.size()) return std::nullopt;
  return in_zone(c, ctx);
}

bool skip_space(std::string_view s, size_t& i) {
  if (i >= s.size() || s[i] != ' ') return false;
  while (i < s.size() && s[i] == ' ') ++i;
  return true;
}

// A tag: "prog[pid]:", "prog:", "[prog]:", "[prog]", "pop(pam_unix)[4920]:". Sets program, pid
// and the offset of the message.
bool parse_tag(std::string_view s, SyslogHeader& out, size_t& msg) {
  size_t i = 0;
  const bool bracketed = !s.empty() && s[0] == '[';
  if (bracketed) ++i;
  size_t start = i;
  while (i < s.size() && s[i] != ' ' && s[i] != '[' && s[i] != ']' && s[i] != ':') ++i;
  if (i == start || i - start > 64) return false;
  out.program = s.substr(start, i - start);
  if (bracketed) {
    if (i >= s.size() || s[i] != ']') return false;
    ++i;
  } else if (i < s.size() && s[i] == '[') {
    size_t j = i + 1;
    int64_t pid = 0;
    while (j < s.size() && is_digit(s[j]) && j - i < 12) pid = pid * 10 + (s[j++] - '0');
    if (j == i + 1 || j >= s.size() || s[j] != ']') return false;
    out.pid = pid;
    i = j + 1;
  }
  if (i < s.size() && s[i] == ':') ++i;
  else if (!bracketed && !(out.pid >= 0 && i < s.size() && s[i] == ' '))  // proftpd: "proftpd[12] host ..."
    return false;
  if (i < s.size() && s[i] == ' ') ++i;
  msg = i;
  return true;
}

// Solaris adds "[ID 800047 auth.info] " before the message.
std::string_view strip_solaris_id(std::string_view m) {
  if (m.substr(0, 4) == "[ID ") {
    size_t e = m.find("] ");
    if (e != std::string_view::npos && e < 48) return m.substr(e + 2);
  }
  return m;
}

bool parse_5424(std::string_view s, const TimeContext& ctx, SyslogHeader& out) {
  // "1 TIMESTAMP HOST APP PROCID MSGID SD MSG"; "-" is the nil value.
  size_t i = 2;
  auto field = [&](std::string_view& f) {
    size_t e = s.find(' ', i);
    if (e == std::string_view::npos) e = s.size();
    f = s.substr(i, e - i);
    i = e < s.size() ? e + 1 : e;
    return !f.empty();
  };
  std::string_view ts, host, app, procid, msgid;
  if (!field(ts) || !field(host) || !field(app) || !field(procid) || !field(msgid)) return false;
  out.rfc5424 = true;
  if (ts != "-") {
    size_t len;
    out.timestamp = parse_iso(ts, ctx, len);
  }
  if (host != "-") out.hostname = host;
  if (app != "-") out.program = app;
  if (procid != "-") {
    int64_t pid = 0;
    // A PROCID may be 128 characters of anything (RFC 5424): only up to 12 digits are a pid, and
    // nothing else is multiplied (a long one overflowed, found by fuzz-syslog_header).
    bool ok = !procid.empty() && procid.size() <= 12;
    for (size_t k = 0; ok && k < procid.size(); ++k) {
      ok = is_digit(procid[k]);
      pid = pid * 10 + (procid[k] - '0');
    }
    if (ok) out.pid = pid;
  }
  // Structured data: "-" or one or more "[id k="v" ...]" with escapes \" \] \\ inside values.
  if (i < s.size() && s[i] == '-') {
    ++i;
  } else {
    while (i < s.size() && s[i] == '[') {
      bool in_quote = false;
      for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') { ++i; continue; }
        if (s[i] == '"') in_quote = !in_quote;
        else if (s[i] == ']' && !in_quote) { ++i; break; }
      }
    }
  }
  if (i < s.size() && s[i] == ' ') ++i;
  std::string_view m = s.substr(std::min(i, s.size()));
  if (m.substr(0, 3) == "\xEF\xBB\xBF") m.remove_prefix(3);  // BOM
  out.message = m;
  return true;
}

}  // namespace

bool parse_timezone(std::string_view t, TimeContext& ctx) {
  if (t == "UTC" || t == "utc" || t == "Z" || t.empty()) {
    ctx.use_local_zone = false;
    ctx.utc_offset_seconds = 0;
    return true;
  }
  if (t == "local") {
    ctx.use_local_zone = true;
    return true;
  }
  if (t[0] != '+' && t[0] != '-') return false;
  int h, m;
  const bool hh_mm = (t.size() == 6 && t[3] == ':' && digits(t, 1, 2, h) && digits(t, 4, 2, m)) ||
                     (t.size() == 5 && digits(t, 1, 2, h) && digits(t, 3, 2, m));  // +07:00 or +0700
  if (!hh_mm) return false;
  if (h > 14 || m > 59) return false;
  ctx.use_local_zone = false;
  ctx.utc_offset_seconds = (t[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
  return true;
}

std::optional<TimeFormat> time_format_from_name(std::string_view n) {
  if (n == "bsd") return TimeFormat::Bsd;
  if (n == "rfc3339") return TimeFormat::Rfc3339;
  if (n == "clf") return TimeFormat::Clf;
  if (n == "ymd_slash") return TimeFormat::YmdSlash;
  if (n == "ctime") return TimeFormat::Ctime;
  if (n == "epoch") return TimeFormat::Epoch;
  return std::nullopt;
}

namespace {

std::optional<Timestamp> parse_time_any(TimeFormat f, std::string_view s, const TimeContext& ctx) {
  size_t len = 0;
  switch (f) {
    case TimeFormat::Bsd:
      return parse_bsd(s, ctx, len);
    case TimeFormat::Rfc3339:
      return parse_iso(s, ctx, len);
    case TimeFormat::Clf: {  // 10/Oct/2000:13:55:36 -0700
      Civil c;
      if (s.size() < 20 || !digits(s, 0, 2, c.day) || s[2] != '/' || !(c.month = month_from_name(s.substr(3))) ||
          s[6] != '/' || !digits(s, 7, 4, c.year) || s[11] != ':')
        return std::nullopt;
      size_t i = 12;
      if (!clock_time(s, i, c)) return std::nullopt;
      if (i + 6 <= s.size() && s[i] == ' ' && (s[i + 1] == '+' || s[i + 1] == '-')) {
        int h, m;
        if (!digits(s, i + 2, 2, h) || !digits(s, i + 4, 2, m)) return std::nullopt;
        auto t = as_utc(c);
        if (!t) return t;
        const int off = (s[i + 1] == '-' ? -1 : 1) * (h * 3600 + m * 60);
        return *t - std::chrono::seconds{off};
      }
      return in_zone(c, ctx);
    }
    case TimeFormat::YmdSlash: {  // 2014/04/16 22:00:45
      Civil c;
      if (!digits(s, 0, 4, c.year) || s.size() < 19 || s[4] != '/' || !digits(s, 5, 2, c.month) || s[7] != '/' ||
          !digits(s, 8, 2, c.day) || s[10] != ' ')
        return std::nullopt;
      size_t i = 11;
      if (!clock_time(s, i, c)) return std::nullopt;
      return in_zone(c, ctx);
    }
    case TimeFormat::Epoch: {
      size_t i = 0;
      int64_t whole = 0;
      while (i < s.size() && is_digit(s[i]) && i < 19) whole = whole * 10 + (s[i++] - '0');
      if (i == 0) return std::nullopt;
      if (i < s.size() && s[i] == '.') {  // seconds with a fraction
        Civil c;
        fraction(s, i, c.micros);
        return Timestamp{std::chrono::seconds{whole} + std::chrono::microseconds{c.micros}};
      }
      if (i <= 10) return Timestamp{std::chrono::seconds{whole}};
      if (i <= 13) return Timestamp{std::chrono::milliseconds{whole}};
      if (i <= 16) return Timestamp{std::chrono::microseconds{whole}};
      return Timestamp{std::chrono::microseconds{whole / 1000}};
    }
    case TimeFormat::Ctime: {  // Sat Jun 01 02:17:42[.ffffff] 2013
      if (s.size() < 24 || s[3] != ' ') return std::nullopt;
      Civil c;
      std::string_view r = s.substr(4);
      if (!(c.month = month_from_name(r)) || r[3] != ' ') return std::nullopt;
      size_t i = 4;
      if (r[i] == ' ') ++i;
      if (!is_digit(r[i])) return std::nullopt;
      c.day = r[i++] - '0';
      if (is_digit(r[i])) c.day = c.day * 10 + (r[i++] - '0');
      if (i >= r.size() || r[i] != ' ') return std::nullopt;
      ++i;
      if (!clock_time(r, i, c)) return std::nullopt;
      if (i + 5 > r.size() || r[i] != ' ' || !digits(r, i + 1, 4, c.year)) return std::nullopt;
      return in_zone(c, ctx);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Timestamp> parse_time(TimeFormat f, std::string_view text, const TimeContext& ctx) {
  auto t = parse_time_any(f, text, ctx);
  return t ? representable(*t) : t;
}

bool parse_syslog(std::string_view line, const TimeContext& ctx, SyslogHeader& out) {
  out = SyslogHeader{};
  size_t i = 0;
  if (!line.empty() && line[0] == '<') {
    int pri = 0;
    size_t j = 1;
    while (j < line.size() && j < 5 && is_digit(line[j])) pri = pri * 10 + (line[j++] - '0');
    if (j == 1 || j >= line.size() || line[j] != '>' || pri > 191) return false;
    out.priority = pri;
    i = j + 1;
    if (i + 2 < line.size() && line[i] == '1' && line[i + 1] == ' ') return parse_5424(line.substr(i), ctx, out);
  }
  std::string_view rest = line.substr(i);
  size_t len = 0;
  if (!rest.empty() && is_digit(rest[0])) out.timestamp = parse_iso(rest, ctx, len);
  else out.timestamp = parse_bsd(rest, ctx, len);
  if (!out.timestamp) return false;
  i += len;
  if (!skip_space(line, i)) return false;
  // Hostname, then tag; or the tag alone (busybox, some BSDs).
  std::string_view a = line.substr(i);
  size_t msg = 0;
  SyslogHeader tag_only = out;
  size_t sp = a.find(' ');
  std::string_view first = a.substr(0, sp);
  const bool first_is_tag = !first.empty() && (first.back() == ':' || (first.front() == '[' && first.back() == ']'));
  if (first_is_tag && parse_tag(a, tag_only, msg)) {
    out = tag_only;
    out.message = strip_solaris_id(a.substr(msg));
    return true;
  }
  if (sp == std::string_view::npos) return false;
  out.hostname = first;
  std::string_view b = a.substr(sp + 1);
  if (parse_tag(b, out, msg)) {
    out.message = strip_solaris_id(b.substr(msg));
  } else {
    // A header without a tag: the rest is the message (some network devices).
    out.program = {};
    out.message = b;
  }
  return true;
}

namespace {

bool hostname_like(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '.' || c == '_'))
      return false;
  return true;
}

// "prog[pid]: " at the start of s: sets program, pid and the message offset.
bool tag_with_pid(std::string_view s, SyslogHeader& out, size_t& msg) {
  SyslogHeader h = out;
  size_t m = 0;
  if (s.empty() || s[0] == '[' || !parse_tag(s, h, m) || h.pid < 0) return false;
  // parse_tag also takes "prog[pid] " (proftpd) without a colon: here the colon is required.
  const size_t close = s.find(']');
  if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return false;
  out = h;
  msg = m;
  return true;
}

}  // namespace

bool parse_journal_short(std::string_view line, const TimeContext& ctx, SyslogHeader& out) {
  out = SyslogHeader{};
  size_t i = 0;
  if (!line.empty() && line[0] == '[') {
    // short-monotonic: "[  123.456789] " (seconds since boot: no wall-clock time).
    size_t j = 1;
    while (j < line.size() && line[j] == ' ') ++j;
    size_t k = j;
    while (k < line.size() && (is_digit(line[k]) || line[k] == '.')) ++k;
    if (k == j || k >= line.size() || line[k] != ']') return false;
    i = k + 1;
    if (!skip_space(line, i)) return false;
  } else if (!line.empty() && is_digit(line[0])) {
    // short-unix: "1700000000.123456 "
    size_t k = 0;
    while (k < line.size() && (is_digit(line[k]) || line[k] == '.')) ++k;
    if (k < 9 || k >= line.size() || line[k] != ' ') return false;
    out.timestamp = parse_time(TimeFormat::Epoch, line.substr(0, k), ctx);
    if (!out.timestamp) return false;
    i = k;
    skip_space(line, i);
  } else if (line.size() > 24 && line[3] == ' ' && is_digit(line[4]) && line[8] == '-' && line[14] == ' ') {
    // short-full: "Mon 2024-01-01 10:00:00 UTC "
    Civil c;
    size_t k = 15;
    if (!digits(line, 4, 4, c.year) || !digits(line, 9, 2, c.month) || line[11] != '-' || !digits(line, 12, 2, c.day) ||
        !clock_time(line, k, c) || k >= line.size() || line[k] != ' ')
      return false;
    ++k;
    const size_t zone_end = line.find(' ', k);
    if (zone_end == std::string_view::npos) return false;
    const std::string_view zone = line.substr(k, zone_end - k);
    out.timestamp = (zone == "UTC" || zone == "GMT") ? as_utc(c) : in_zone(c, ctx);
    if (!out.timestamp) return false;
    i = zone_end;
    skip_space(line, i);
  }
  std::string_view a = line.substr(i);
  size_t msg = 0;
  if (tag_with_pid(a, out, msg)) {
    out.message = strip_solaris_id(a.substr(msg));
    return true;
  }
  const size_t sp = a.find(' ');
  if (sp == std::string_view::npos || !hostname_like(a.substr(0, sp))) return false;
  std::string_view b = a.substr(sp + 1);
  if (!tag_with_pid(b, out, msg)) return false;
  out.hostname = a.substr(0, sp);
  out.message = strip_solaris_id(b.substr(msg));
  return true;
}

std::string_view facility_name(int pri) {
  static constexpr std::string_view kNames[] = {"kern",   "user",   "mail",     "daemon", "auth",   "syslog",
                                                "lpr",    "news",   "uucp",     "cron",   "authpriv", "ftp",
                                                "ntp",    "security", "console", "solaris-cron", "local0", "local1",
                                                "local2", "local3", "local4",   "local5", "local6", "local7"};
  if (pri < 0) return {};
  int f = pri / 8;
  return f < 24 ? kNames[f] : std::string_view{};
}

std::string_view severity_name(int pri) {
  static constexpr std::string_view kNames[] = {"emergency", "alert",  "critical",      "error",
                                                "warning",   "notice", "informational", "debug"};
  return pri < 0 ? std::string_view{} : kNames[pri % 8];
}

}  // namespace soc::sensors::log
