// socctl demo's last act: the compliance report of the sample province, built from what the
// demo's correlator recorded (--events-out, --alerts-out) exactly as `socctl report` builds it,
// written as HTML and JSON into a folder that outlives the demo's temporary one.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace soc::ctl {

struct DemoReport {
  std::string html, json;  // the files written
  std::string summary;     // "3 systems: 4 met, ..." for the demo's last lines
};

// `dir`: where to write (created when missing); empty: a new soc-demo-report.XXXXXX in $TMPDIR.
Result<DemoReport> write_demo_report(const std::string& inventory, const std::string& baseline,
                                     const std::vector<std::string>& events, const std::string& dir);

}  // namespace soc::ctl
