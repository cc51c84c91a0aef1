// The report as JSON (docs/report.md is the schema): what `socctl report --format json` writes,
// what GET /api/v1/compliance answers, and what `socctl report verify` and `socctl report --api`
// read back. Writing is deterministic (core/json_tree.h's Writer): the same report, the same
// bytes. Reading takes untrusted text and refuses it with every problem located
// (NAME:LINE:COLUMN: PATH: what), never by throwing.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "daemon/compliance/report.h"

namespace soc::daemon::compliance {

std::string to_json(const Report& r);

// Error code "report": the message holds every problem found (at most 20), one per line.
Result<Report> from_json(std::string_view text, std::string_view name);

// A reason's values as one compact JSON object, with only the values set (not empty, not zero,
// present), in the order of inventory::ReasonValues: what the JSON's evidence items and the
// digest carry.
std::string values_json(const inventory::ReasonValues& v);

// "+07:00", "-03:30", "+00:00".
std::string offset_text(std::chrono::minutes offset);

}  // namespace soc::daemon::compliance
