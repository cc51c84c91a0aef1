// The report's digest: SHA-256 over a canonical serialization of what decides the statuses and
// of the evidence behind them (docs/report.md, "Digest"), so that the report can be checked
// later (`socctl report verify`): the same inputs give the same digest, and a changed event,
// inventory or baseline, or an edited status or evidence item in the JSON, gives another.
//
// The canonical text is one JSON array per line (core/json_codec.h's string escaping), in
// report order:
//   ["soc-compliance-digest",1]
//   ["period",FROM,TO]
//   ["baseline",ID,VERSION,SHA256]
//   ["inventory",SHA256]
//   ["events",USED,SHA256]                 (["events",null] for a live report)
//   ["system",ID,LEVEL]
//   ["requirement",ID,STATUS]
//   ["evidence",SITE,SUBJECT,STATUS,RULE,SOURCE,CODE,VALUES,OBSERVED_AT,VALID_UNTIL,WAIVER]
// Nothing in a language (titles, reasons in words) is hashed: the Vietnamese and the English
// report of the same inputs have the same digest.
#pragma once

#include <string>

#include "daemon/compliance/report.h"

namespace soc::daemon::compliance {

std::string canonical_text(const Report& r);
std::string compute_digest(const Report& r);  // lower-case hex SHA-256 of canonical_text()

}  // namespace soc::daemon::compliance
