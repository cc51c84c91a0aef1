#include "daemon/compliance_api.h"

#include <fmt/core.h>

#include <array>
#include <memory>
#include <mutex>

#include "daemon/compliance/build.h"
#include "daemon/compliance/json.h"
#include "soc_build_config.h"

namespace soc::daemon {

namespace inv = inventory;

namespace {

// The JSON of the last view, per language: at country scale a report takes seconds of CPU to
// build, and dashboards or scripts may ask for it every minute; it changes once per evaluation.
struct Cache {
  std::mutex mutex;
  std::shared_ptr<const BaselineView> view;
  std::array<std::string, 2> json;  // by Language
};

}  // namespace

http::Handler compliance_handler(const BaselineMonitor* monitor) {
  auto cache = std::make_shared<Cache>();
  return [monitor, cache](const http::Request& req) {
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
    const bool latest = !req.param("at") || parse_rfc3339(*req.param("at")) == view->at;
    if (latest) {
      std::lock_guard lock(cache->mutex);
      if (cache->view == view && !cache->json[static_cast<size_t>(lang)].empty())
        return http::Response::json(cache->json[static_cast<size_t>(lang)]);
    }
    Timestamp at = view->at;
    std::vector<inv::Finding> evaluated;
    const std::vector<inv::Finding>* findings = view->findings.get();
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
    std::string body = compliance::to_json(compliance::build(b));
    if (latest) {
      std::lock_guard lock(cache->mutex);
      if (cache->view != view) cache->json = {};
      cache->view = view;
      cache->json[static_cast<size_t>(lang)] = body;
    }
    return http::Response::json(std::move(body));
  };
}

}  // namespace soc::daemon
