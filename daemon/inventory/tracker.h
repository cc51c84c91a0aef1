// Turning successive evaluations into state changes, so that the correlator raises an alert
// once when a finding changes (a sensor falls silent, a license expires) and once when it
// recovers, not on every tick. Pure logic; not thread-safe (one owner, the evaluation loop).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/inventory/evaluate.h"

namespace soc::daemon::inventory {

struct Change {
  Finding finding;                 // the current finding; for a removed one, the last seen
  std::optional<Status> previous;  // nullopt: first seen
  std::string previous_rule_id;    // the rule the finding raised before ("" when none)
  bool removed = false;            // the finding no longer exists (inventory or baseline reloaded)
};

class FindingTracker {
 public:
  // Compares `current` with the previous call's findings, identified by (system, requirement,
  // site, subject). Returns, in the order of `current`, every finding that is new or whose
  // status or rule changed, then the findings that disappeared. The first call returns every
  // finding. Of findings with the same key in `current`, only the first is tracked.
  std::vector<Change> update(const std::vector<Finding>& current);

  // What the tracker remembers (the previous call's findings), to keep across a restart of the
  // correlator, and to put back: the next update() then reports only what changed since.
  std::vector<Finding> state() const;
  void restore(const std::vector<Finding>& findings);

 private:
  std::unordered_map<std::string, Finding> last_;
};

}  // namespace soc::daemon::inventory
