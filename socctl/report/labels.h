// Every label of the report's HTML, PDF and CSV, in Vietnamese and English: one table per
// language, filled field by field (a unit test checks that none is left empty), so that no
// English word turns up in a Vietnamese document. Reasons and status words come from
// daemon/inventory/reason.h.
#pragma once

#include <array>
#include <string_view>

#include "daemon/inventory/reason.h"

namespace soc::ctl::report {

using daemon::inventory::Language;

struct Labels {
  std::string_view html_lang;
  std::string_view title;
  std::string_view subtitle;
  std::string_view report_id, period, period_from_to /* {from} {to} */, generated_at, generator, baseline,
      legal_basis, time_zone, source, source_events /* {lines} */, source_live, inventory, inventory_size /* {sites}
      {systems} {assets} {sensors} */, inputs, inventory_sha256, baseline_sha256, events_sha256, events_counts
      /* {used} {files} {malformed} {outside} */;
  std::string_view summary_heading, summary_intro, status, count, total, by_system;
  std::string_view gaps_heading, gaps_intro, gaps_none, site, gap, subject, observed, systems;
  std::array<std::string_view, 4> gap_kinds;  // compliance::GapKind order
  std::string_view alerts_heading, alerts_unavailable, alerts_none, by_severity, by_site, by_rule, rule, severity;
  std::array<std::string_view, 5> severities;  // 1 informational .. 5 critical
  std::string_view systems_heading, system, level, owner, approved, last_assessment, sites_in_scope, assets_in_scope,
      no_site_named;
  std::string_view requirements, requirement, req_title, reference, legacy, reason, coverage, method, automatic,
      manual, artefact;
  std::string_view evidence, observed_at, valid_until, source_col, evidence_more /* {shown} {total} */,
      sites_more /* {n} */, gaps_more /* {shown} {total} */;
  std::array<std::string_view, 6> sources;  // inventory::Source order
  std::array<std::string_view, 3> units;    // compliance::CoverageUnit order
  std::string_view waivers, waiver_reason, approved_by, expires, state, in_force, expired, waivers_none, waived_until;
  std::string_view integrity_heading, integrity_text, digest;
  std::string_view signoff_heading, prepared_by, approver, sign_hint, date, page;
  std::string_view none;
  // CSV header, one per column (report/csv.cpp).
  std::array<std::string_view, 16> csv_columns;
};

const Labels& labels(Language lang);

}  // namespace soc::ctl::report
