// Evaluation of a baseline against an inventory, the live evidence and a clock. Pure logic:
// no I/O, no clock of its own, deterministic for given inputs, so that the date edges are tested
// and the correlator can re-run it on every tick and compare results to alert once per change.
//
// Statuses (docs/adr/0009-inventory-and-baseline.md):
//   pass            the check holds (a license inside its warning window still passes, with the
//                   alert soc.license.expiring as a warning)
//   fail            the check does not hold, on evidence
//   partial         held only provisionally (a temporary / grace license)
//   waived          would not pass, but an approved waiver is in force (through its expires day)
//   not_assessable  the evidence is missing or stale (no license recorded, never assessed, no
//                   certificate seen, the site's sensors silent, too early after start, a manual
//                   requirement): never a pass.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "daemon/inventory/baseline.h"
#include "daemon/inventory/inventory.h"

namespace soc::daemon::inventory {

enum class Status { Pass, Fail, Partial, Waived, NotAssessable };
std::string_view to_string(Status s);

// What the correlator has observed. Times are event times (UTC).
struct Evidence {
  // Since when the correlator has been observing: a sensor or a log source that has never been
  // heard is only "silent" once a whole window has passed since then.
  Timestamp observing_since{};
  std::unordered_map<std::string, Timestamp> sensor_last_seen;                 // sensor id -> last event or heartbeat
  std::map<std::pair<std::string, std::string>, Timestamp> dataset_last_seen;  // (site id, event.dataset) -> last event
  std::unordered_map<std::string, Timestamp> certificate_not_after;            // asset id -> TLS certificate expiry
};

struct Finding {
  std::string system;
  std::string requirement;
  std::string site;     // empty for checks about the whole system (assessment, manual)
  std::string subject;  // the asset, sensor or dataset concerned; may be empty
  Status status = Status::NotAssessable;
  // The alert rule this finding raises (soc.license.expired, soc.license.expiring,
  // soc.equipment.missing, soc.sensor.silent, soc.logsource.silent, soc.assessment.overdue,
  // soc.certificate.expiring), empty when none; cleared when waived.
  std::string rule_id;
  std::string detail;  // one line for humans, in English
};

// Evaluates every requirement of `baseline` that applies at each system's level, at each site of
// the system (per asset for license and certificate checks). `inv` and `baseline` must satisfy
// the contracts of a successful load. Findings are ordered by system, then requirement (baseline
// order), then site and subject (inventory order).
std::vector<Finding> evaluate(const Inventory& inv, const Baseline& baseline, const Evidence& evidence, Timestamp now);

// The status of one requirement for one system over all its findings: the worst of fail,
// not_assessable, partial, waived, pass (in that order); not_assessable when there is none.
Status requirement_status(const std::vector<Finding>& findings, std::string_view system, std::string_view requirement);

// The status of every (system, requirement) that has findings, in order of first appearance, in
// one pass. requirement_status() scans every finding on each call: called for every pair of a
// country-sized inventory it would be quadratic; this is what to export soc_requirement_status
// from.
struct RequirementStatus {
  std::string system;
  std::string requirement;
  Status status = Status::NotAssessable;
};
std::vector<RequirementStatus> requirement_statuses(const std::vector<Finding>& findings);

}  // namespace soc::daemon::inventory
