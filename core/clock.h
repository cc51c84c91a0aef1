// Event time: microseconds since the Unix epoch, UTC. Events carry RFC 3339 timestamps with
// microsecond precision on the wire (DESIGN.md, "Events").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace soc {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// Wall-clock now, truncated to microseconds.
Timestamp now();

// "2026-11-27T13:20:21.123456Z": always UTC, always six fractional digits.
std::string format_rfc3339(Timestamp t);
void append_rfc3339(std::string& out, Timestamp t);

// Accepts RFC 3339 date-times: `T` or ` ` or `t` separator, 0-9 fractional digits (extra
// digits beyond microseconds are truncated), `Z`/`z` or a numeric offset. Years 0001-9999.
// Returns nullopt for anything else, including impossible dates (Feb 30) and leap seconds
// (60 is folded to 59.999999, as most log pipelines do, rather than rejected).
std::optional<Timestamp> parse_rfc3339(std::string_view text);

// Unix seconds as a double, for Prometheus gauges.
double to_unix_seconds(Timestamp t);

}  // namespace soc
