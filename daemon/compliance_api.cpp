#include "daemon/compliance_api.h"

#include <fmt/core.h>

#include "daemon/compliance/build.h"
#include "daemon/compliance/json.h"
#include "soc_build_config.h"

namespace soc::daemon {

namespace inv = inventory;

http::Handler compliance_handler(const BaselineMonitor* monitor) {
  return [monitor](const http::Request& req) {
    if (!monitor || !monitor->evaluates())
      return http::Response::error(503, "unavailable", "the correlator runs without --inventory and --baseline");
    const auto view = monitor->view();
    if (!view) return http::Response::error(503, "unavailable", "the baseline has not been evaluated yet");
    auto lang = inv::Language::Vi;
    if (auto l = req.param("lang")) {
      auto parsed = inv::parse_language(*l);
      if (!parsed) return http::Response::error(400, "bad_request", "lang must be vi or en");
      lang = *parsed;
    }
    Timestamp at = view->at;
    std::vector<inv::Finding> evaluated;
    const std::vector<inv::Finding>* findings = &view->findings;
    if (auto a = req.param("at")) {
      auto t = parse_rfc3339(*a);
      if (!t) return http::Response::error(400, "bad_request", "at must be an RFC 3339 time, e.g. 2026-12-04T08:00:00Z");
      if (*t < view->at)
        return http::Response::error(
            400, "bad_request",
            fmt::format("at is before the last evaluation ({}): the correlator keeps only its current evidence; "
                        "build a report of the past from recorded events (socctl report --events)",
                        format_rfc3339(view->at)));
      if (*t != view->at) {
        at = *t;
        evaluated = inv::evaluate(*view->inventory, *view->baseline, view->evidence, at);
        findings = &evaluated;
      }
    }
    compliance::BuildInput b;
    b.inventory = view->inventory.get();
    b.baseline = view->baseline.get();
    b.findings = findings;
    b.from = view->evidence.observing_since;
    b.to = at;
    b.lang = lang;
    b.generator = "soc-correlator";
    b.version = SOC_VERSION;
    b.source = "live";
    b.inputs.inventory_sha256 = view->inventory_sha256;
    b.inputs.baseline_sha256 = view->baseline_sha256;
    b.alerts.note = "see GET /api/v1/alerts";
    return http::Response::json(compliance::to_json(compliance::build(b)));
  };
}

}  // namespace soc::daemon
