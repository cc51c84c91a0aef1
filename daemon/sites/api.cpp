#include "daemon/sites/api.h"

#include <fmt/core.h>

#include "core/json_tree.h"
#include "core/severity.h"
#include "daemon/alerts/api.h"
#include "daemon/alerts/store.h"

namespace soc::daemon::sites {

using http::Request;
using http::Response;

namespace {

void write_time_or_null(json::Writer& w, const std::optional<Timestamp>& t) {
  if (t)
    w.value(alerts::api_time(*t));
  else
    w.null();
}

void write_open_alerts(json::Writer& w, const alerts::SiteCounts& counts, const std::string& site) {
  w.begin_object();
  const auto it = counts.find(site);
  for (int sev = 5; sev >= 1; --sev) {
    const std::string word(severity_word(sev));
    int64_t n = 0;
    if (it != counts.end())
      if (auto c = it->second.find(word); c != it->second.end()) n = c->second;
    w.key(word).value(n);
  }
  w.end_object();
}

// The members a site has in the list and in its own page.
void write_summary(json::Writer& w, const SiteView& s, const alerts::SiteCounts& counts) {
  w.key("id").value(s.id).key("name").value(s.name).key("kind").value(s.kind).key("level").value(s.level);
  w.key("systems").begin_array();
  for (const auto& sys : s.systems)
    w.begin_object().key("id").value(sys.id).key("name").value(sys.name).key("level").value(sys.level).end_object();
  w.end_array();
  w.key("sensors").begin_array();
  for (const auto& sensor : s.sensors) {
    w.begin_object().key("id").value(sensor.id).key("kind").value(sensor.kind).key("up").value(sensor.up);
    w.key("last_seen");
    write_time_or_null(w, sensor.last_seen);
    w.end_object();
  }
  w.end_array();
  w.key("equipment_gaps").begin_array();
  for (const auto& g : s.equipment_gaps) w.value(g);
  w.end_array();
  w.key("licenses").begin_object();
  w.key("expired").value(s.licenses_expired).key("expiring").value(s.licenses_expiring);
  w.end_object();
  w.key("open_alerts");
  write_open_alerts(w, counts, s.id);
}

void write_details(json::Writer& w, const SiteView& s) {
  w.key("assets").begin_array();
  for (const auto& a : s.assets) {
    w.begin_object().key("id").value(a.id).key("kind").value(a.kind);
    w.key("vendor").value(a.vendor).key("model").value(a.model).key("address").value(a.address);
    w.key("licenses").begin_array();
    for (const auto& l : a.licenses) {
      w.begin_object().key("name").value(l.name);
      w.key("expires").value(inventory::format_date(l.expires)).key("status").value(l.status);
      // "device": read by a collector (read_at says when); "inventory": declared only.
      w.key("source").value(l.read_at ? "device" : "inventory").key("read_at");
      write_time_or_null(w, l.read_at);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();
  w.key("requirements").begin_array();
  for (const auto& q : s.requirements) {
    w.begin_object().key("system").value(q.system).key("requirement").value(q.requirement);
    w.key("title").begin_object().key("vi").value(q.title_vi).key("en").value(q.title_en).end_object();
    w.key("status").value(q.status).key("reason").value(q.reason).end_object();
  }
  w.end_array();
}

class Api {
 public:
  explicit Api(ApiOptions o) : o_(o) {}

  Response list(const Request&) const {
    auto view = o_.view ? o_.view->latest() : nullptr;
    if (!view) return unavailable();
    auto counts = open_counts();
    if (!counts) return Response::error(500, "internal", "the alert store failed: " + counts.error().message);
    json::Writer w(json::Writer::Layout::Dense);
    w.begin_object();
    w.key("evaluated_at").value(alerts::api_time(view->evaluated_at));
    w.key("baseline").value(view->baseline);
    w.key("sites").begin_array();
    for (const auto& s : view->sites) {
      w.begin_object();
      write_summary(w, s, *counts);
      w.end_object();
    }
    w.end_array().end_object();
    return Response::json(w.take());
  }

  Response get(const Request& r) const {
    const std::string_view id = std::string_view(r.path).substr(std::string_view("/api/v1/sites/").size());
    auto view = o_.view ? o_.view->latest() : nullptr;
    if (!view) return unavailable();
    const SiteView* s = view->find(id);
    if (!s) return Response::error(404, "not_found", fmt::format("no site '{}' in the inventory", id.substr(0, 64)));
    auto counts = open_counts();
    if (!counts) return Response::error(500, "internal", "the alert store failed: " + counts.error().message);
    json::Writer w(json::Writer::Layout::Dense);
    w.begin_object();
    w.key("evaluated_at").value(alerts::api_time(view->evaluated_at));
    write_summary(w, *s, *counts);
    write_details(w, *s);
    w.end_object();
    return Response::json(w.take());
  }

 private:
  static Response unavailable() {
    return Response::error(503, "unavailable", "the correlator has no inventory: it runs without --inventory");
  }

  Result<alerts::SiteCounts> open_counts() const {
    if (!o_.store) return alerts::SiteCounts{};
    return o_.store->open_counts_by_site();
  }

  ApiOptions o_;
};

}  // namespace

void register_api(http::Server& server, ApiOptions options) {
  auto api = std::make_shared<const Api>(options);
  server.route("GET", "/api/v1/sites", [api](const Request& r) { return api->list(r); });
  server.route("GET", "/api/v1/sites/*", [api](const Request& r) { return api->get(r); });
}

}  // namespace soc::daemon::sites
