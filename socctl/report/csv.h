// The report as CSV for spreadsheets: one row per system and requirement (RFC 4180: CRLF, fields
// quoted when they hold a comma, quote or line break), the header in the report's language,
// UTF-8 with a byte order mark so that spreadsheet programs read the Vietnamese correctly.
#pragma once

#include <string>

#include "daemon/compliance/report.h"

namespace soc::ctl::report {

std::string render_csv(const daemon::compliance::Report& r);

// One CSV field, quoted when it must be. A field starting with = + - @ (or a tab or carriage
// return) is prefixed with ' so that a spreadsheet does not run it as a formula: reasons and
// names come from files written by hand.
std::string csv_field(std::string_view s);

}  // namespace soc::ctl::report
