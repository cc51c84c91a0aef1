// The report as one self-contained HTML document for people who are not engineers: no script,
// no network (inline CSS, fonts named from Debian's packages: DejaVu, Noto, Liberation), tables,
// every status in colour and in words, printable on A4 (headers repeat, rows do not split,
// each system starts a page, page numbers in the margin) so that Chromium's --print-to-pdf
// makes the PDF to sign and file. Labels in the report's language (labels.h).
//
// Bounded for a country-sized report: per requirement at most kMaxEvidenceRows evidence items
// (not met first), per system at most kMaxSiteNames site names, at most kMaxGapRows gaps; each
// cut says how many more there are in the JSON export.
#pragma once

#include <cstddef>
#include <string>

#include "daemon/compliance/report.h"

namespace soc::ctl::report {

inline constexpr size_t kMaxEvidenceRows = 60;
inline constexpr size_t kMaxSiteNames = 40;
inline constexpr size_t kMaxGapRows = 500;

// The file name `verify` is told to check, shown in the integrity section ("report.json").
std::string render_html(const daemon::compliance::Report& r, const std::string& json_name = "report.json");

// Escapes &, <, >, " and ' for text and attribute values.
std::string html_escape(std::string_view s);

}  // namespace soc::ctl::report
