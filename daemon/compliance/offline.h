// The report from files: an inventory, a baseline and recorded events (record.h), evaluated at
// an instant. What `socctl report --inventory ... --events ...` and `socctl demo` run; the
// correlator builds the same report from its live view (daemon/compliance_api.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/diagnostic.h"
#include "core/result.h"
#include "daemon/compliance/report.h"

namespace soc::daemon::compliance {

struct OfflineInput {
  std::string inventory_path, baseline_path;
  std::vector<std::string> events;  // the correlator's --events-out (and --alerts-out) files
  std::optional<Timestamp> from;    // default: the earliest event used
  Timestamp at{};
  Language lang = Language::Vi;
  std::string generator = "socctl", version;
};

struct OfflineReport {
  Report report;
  std::vector<Diagnostic> warnings;  // lines of the events files that were skipped, located
};

// Error "config" when the inventory or the baseline has a problem (the message holds every
// diagnostic, rendered with file:line:column and the line), "events" when an events file cannot
// be read.
Result<OfflineReport> build_offline(const OfflineInput& in);

}  // namespace soc::daemon::compliance
