// GET /api/v1/compliance[?at=T&lang=vi|en] (docs/api.md, "Compliance"): the compliance report's
// JSON (docs/report.md), exactly what `socctl report --format json` writes, built from the
// baseline monitor's last published view: the statuses are those soc_requirement_status shows.
// Without `at`, the report is that of the last evaluation; with `at` (not before it), the same
// evidence is evaluated at that instant (what will have expired by then). The alerts section is
// left to GET /api/v1/alerts ("not available" here; `socctl report --api` fills it).
//
// Runs on the HTTP workers: it reads only the immutable view (docs/adr/0018, "Threads").
#pragma once

#include "daemon/baseline_monitor.h"
#include "daemon/http/server.h"

namespace soc::daemon {

// `monitor` may be null (no --inventory): the route then answers 503. It must outlive the server.
http::Handler compliance_handler(const BaselineMonitor* monitor);

}  // namespace soc::daemon
