// Building the report from the baseline evaluation. The statuses are those of
// inventory::requirement_statuses() over the same findings the correlator exports as
// soc_requirement_status: one logic (docs/adr/0025-compliance-report.md). What the metric does
// not carry (reasons in words, evidence items, coverage, waivers, gaps) is read from the same
// findings. Pure: the same input gives the same report, byte for byte once written.
#pragma once

#include <string>
#include <vector>

#include "daemon/compliance/report.h"
#include "daemon/inventory/baseline.h"
#include "daemon/inventory/evaluate.h"
#include "daemon/inventory/inventory.h"

namespace soc::daemon::compliance {

struct BuildInput {
  const inventory::Inventory* inventory = nullptr;  // as evaluated (device licenses applied)
  const inventory::Baseline* baseline = nullptr;
  // inventory::evaluate(*inventory, *baseline, evidence, to), in its order.
  const std::vector<inventory::Finding>* findings = nullptr;
  Timestamp from{}, to{};
  Language lang = Language::Vi;
  std::string generator, version, source;
  Inputs inputs;
  AlertsSummary alerts;
};

// Builds the report and its digest.
Report build(const BuildInput& in);

// The requirement-level sentence: the decisive finding's reason, where it is, and how many more
// share its status ("support license expired on 2026-09-30 (xa-camxuyen: fw-camxuyen); 1 more
// asset not met"); "met at all 5 sites" when every one is met.
std::string requirement_reason(Status status, const std::vector<const inventory::Finding*>& findings,
                               CoverageUnit unit, Language lang, std::chrono::minutes utc_offset);

}  // namespace soc::daemon::compliance
