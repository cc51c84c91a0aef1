// The evidence of recorded events: what the correlator's --events-out (accepted events and
// heartbeats, each stamped with event.ingested) and --alerts-out (its alerts) hold, replayed
// through inventory::Observations exactly as the live monitor recorded it when they arrived.
// The same files and instant give the same evidence, so the report built from them has the
// statuses the correlator had (docs/adr/0025-compliance-report.md).
//
// Lines are classified as:
//   heartbeat  event.dataset soc.heartbeat: the sensor (observer.name) was heard;
//   alert      event.kind alert without event.ingested (the correlator's own alerts): counted in
//              the alerts of the period;
//   event      anything else: enriched from the inventory and observed as evidence.
// Each is timed by event.ingested (its arrival at the correlator), else @timestamp. Lines timed
// outside the period (before `from`, after `to`) are skipped and counted; lines the event
// decoder refuses are reported with file:line:column and skipped; what is good is kept.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/diagnostic.h"
#include "core/event.h"
#include "core/result.h"
#include "daemon/compliance/report.h"
#include "daemon/inventory/baseline.h"
#include "daemon/inventory/evaluate.h"
#include "daemon/inventory/inventory.h"

namespace soc::daemon::compliance {

struct RecordOptions {
  std::vector<std::string> files;
  Timestamp to{};
  std::optional<Timestamp> from;  // default: the earliest time among the lines used
  size_t max_warnings = 20;       // problems reported one by one; the rest are only counted
};

struct Recorded {
  std::shared_ptr<const inventory::Inventory> inventory;  // as evaluated: device licenses applied
  inventory::Evidence evidence;                           // observing_since is `from`
  Timestamp from{};
  EventsInput input;
  AlertsSummary alerts;
  std::vector<Diagnostic> warnings;  // code events.malformed / events.untimed
};

// The lines of recorded events the report uses, as record() selects them: decoded, timed by
// event.ingested (else @timestamp), within [from, to] (from unset: no lower bound). `on_line`
// gets each with its time and whether it carried event.ingested; the digest of the used lines
// is in the returned EventsInput. Error "events" when a file cannot be opened or read.
struct Scanned {
  EventsInput input;
  std::optional<Timestamp> earliest;  // of the lines used
  std::vector<Diagnostic> warnings;
};
Result<Scanned> scan_events(const std::vector<std::string>& files, std::optional<Timestamp> from, Timestamp to,
                            size_t max_warnings,
                            const std::function<void(Event& e, Timestamp time, bool ingested)>& on_line);

// Error "events" when a file cannot be opened or read.
Result<Recorded> record(std::shared_ptr<const inventory::Inventory> inventory,
                        std::shared_ptr<const inventory::Baseline> baseline, const RecordOptions& options);

// Tallies alerts into a summary (bounded: at most 10,000 sites and 1,000 rules are named, the
// rest are counted under "other"). Sorts by_rule on finish().
class AlertTally {
 public:
  // `times` alerts of one rule at one site and severity (a stored alert that folded repeats).
  void add(std::string_view site, int64_t severity, std::string_view rule_id, std::string_view rule_name,
           int64_t times = 1);
  AlertsSummary finish();

 private:
  AlertsSummary s_ = available();
  static AlertsSummary available() {
    AlertsSummary s;
    s.available = true;
    return s;
  }
  std::map<std::string, size_t, std::less<>> sites_, rules_;  // -> index in s_.by_site / s_.by_rule
};

}  // namespace soc::daemon::compliance
