// Parsing of syslog headers (RFC 3164 as written by rsyslog/syslog-ng/busybox, and RFC 5424) and
// of the other timestamp formats that log files use. Pure functions on untrusted bytes: no
// allocation, no exceptions; a line that is not syslog is reported as such, never guessed at.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/clock.h"

namespace soc::sensors::log {

// How to read timestamps that carry no zone or no year (RFC 3164 "Jun  8 14:34:33").
struct TimeContext {
  // Offset of local time from UTC in seconds, used when `use_local_zone` is false.
  int32_t utc_offset_seconds = 0;
  // Use the process's zone (TZ) with its daylight-saving rules instead of the fixed offset.
  bool use_local_zone = false;
  // "Now" for the year inference: a year-less date is put in the year that makes it the most
  // recent date not more than a day after `reference` (so December lines read in January fall
  // in the previous year).
  Timestamp reference{};
};

// Parses "UTC", "Z", "local", "+07:00", "-0530". False for anything else.
bool parse_timezone(std::string_view text, TimeContext& ctx);

// Named timestamp formats a decoder may declare for its timestamp capture:
//   bsd        "Jun  8 14:34:33" (year inferred, optional ".ffffff", optional " 2024")
//   rfc3339    "2015-04-16T18:02:50.321974+00:00" (zone-less forms use the configured zone)
//   clf        "10/Oct/2000:13:55:36 -0700" (Apache/nginx access logs)
//   ymd_slash  "2014/04/16 22:00:45" (nginx error log; configured zone)
//   ctime      "Sat Jun 01 02:17:42 2013" or with ".ffffff" (Apache error log; configured zone)
//   epoch      Unix time: "1364481363.243" (auditd), or 10/13/16/19 digits for s/ms/us/ns
//              (FortiGate eventtime)
enum class TimeFormat : uint8_t { Bsd, Rfc3339, Clf, YmdSlash, Ctime, Epoch };
std::optional<TimeFormat> time_format_from_name(std::string_view name);
std::optional<Timestamp> parse_time(TimeFormat f, std::string_view text, const TimeContext& ctx);

struct SyslogHeader {
  int priority = -1;  // PRI, or -1 when the line has none
  int severity = -1;  // a severity without facility (journal PRIORITY alone), when priority is -1
  bool rfc5424 = false;
  std::optional<Timestamp> timestamp;
  std::string_view hostname;  // empty when the line has none
  std::string_view program;   // TAG / APP-NAME without "[pid]" and ":"; may be empty
  int64_t pid = -1;           // -1 when absent
  std::string_view message;   // the rest, structured data (RFC 5424) and "[ID n fac.sev]" removed
};

// Parses the header of `line`. Returns false when the line does not start with a syslog header
// (a PRI, an RFC 3164 date or an RFC 3339 date-time followed by a tag).
bool parse_syslog(std::string_view line, const TimeContext& ctx, SyslogHeader& out);

// The shapes `journalctl -o short*` and exports of the journal write, tried when a line is not
// syslog: "host prog[pid]: message" with no date (the time is unknown: `timestamp` is empty),
// "prog[pid]: message", "[  123.456789] host prog[pid]: message" (short-monotonic),
// "1700000000.123456 host prog[pid]: message" (short-unix) and
// "Mon 2024-01-01 10:00:00 UTC host prog[pid]: message" (short-full). The program must carry a
// pid ("prog[pid]:"): without one, "Warning: disk full" would read as a program. False for
// anything else.
bool parse_journal_short(std::string_view line, const TimeContext& ctx, SyslogHeader& out);

std::string_view facility_name(int priority);
std::string_view severity_name(int priority);

}  // namespace soc::sensors::log
