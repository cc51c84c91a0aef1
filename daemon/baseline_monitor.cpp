#include "daemon/baseline_monitor.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

#include "core/log.h"
#include "daemon/inventory/loader.h"

namespace soc::daemon {

namespace inv = inventory;
using std::chrono::days;

namespace {

constexpr inv::Status kStatuses[] = {inv::Status::Pass, inv::Status::Fail, inv::Status::Partial, inv::Status::Waived,
                                     inv::Status::NotAssessable};

struct RuleInfo {
  std::string_view id, name;
  int64_t severity;  // 1 informational .. 5 critical
  std::string_view description;
};
// The baseline's alert rules. A silent sensor is a blind spot and an expired license a device
// without updates: high. A warning ahead of time is low.
constexpr RuleInfo kRules[] = {
    {"soc.license.expired", "License expired", 4,
     "A license of an inventory asset (support, signatures, software) has expired: the device runs without updates "
     "or vendor support."},
    {"soc.license.expiring", "License expiring soon", 2,
     "A license of an inventory asset expires within the baseline's warning period."},
    {"soc.equipment.missing", "Required equipment missing", 3,
     "The baseline requires a kind of equipment or sensor at a site of this security level and the inventory has "
     "none."},
    {"soc.sensor.silent", "Sensor silent", 4,
     "An inventory sensor has not been heard within the baseline's freshness window: a blind spot."},
    {"soc.logsource.silent", "Log source silent", 3,
     "A log source the baseline requires at a site has sent nothing within its window."},
    {"soc.assessment.overdue", "Security assessment overdue", 2,
     "The information system's last security assessment is older than its level's interval."},
    {"soc.certificate.expiring", "TLS certificate expiring", 3,
     "A TLS certificate a collector read from an asset expires within the baseline's warning period."},
};

const RuleInfo& rule_info(std::string_view id) {
  static const RuleInfo unknown{"", "Baseline finding", 3};
  for (const auto& r : kRules)
    if (r.id == id) return r;
  return unknown;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A host as written in an inventory address or a collector event, comparable: lower case, an
// IP address in its canonical form.
std::string normal_host(std::string_view h) {
  if (auto ip = IpAddress::parse(h)) return ip->to_string();
  return lower(h);
}

// "https://host:443/path", "host:443", "[v6]:443", "v6", "host" -> host and optional port.
std::pair<std::string, std::optional<int64_t>> split_address(std::string_view a) {
  if (auto p = a.find("://"); p != std::string_view::npos) a.remove_prefix(p + 3);
  if (auto p = a.find('/'); p != std::string_view::npos) a = a.substr(0, p);
  std::string_view host = a, port;
  if (!a.empty() && a.front() == '[') {
    const size_t close = a.find(']');
    if (close == std::string_view::npos) return {normal_host(a), std::nullopt};
    host = a.substr(1, close - 1);
    if (close + 1 < a.size() && a[close + 1] == ':') port = a.substr(close + 2);
  } else if (const size_t colon = a.find(':');
             colon != std::string_view::npos && a.find(':', colon + 1) == std::string_view::npos) {
    host = a.substr(0, colon);
    port = a.substr(colon + 1);
  }
  std::optional<int64_t> p;
  if (!port.empty() && port.size() <= 5 &&
      std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    p = std::stoll(std::string(port));
  return {normal_host(host), p};
}

std::optional<Timestamp> timestamp_of(const Event& e, std::string_view key) {
  const Value* v = e.find(key);
  if (!v) return std::nullopt;
  if (v->is_timestamp()) return v->as_timestamp();
  if (v->is_string()) return parse_rfc3339(v->as_string());
  return std::nullopt;
}

std::string string_of(const Event& e, std::string_view key) {
  const Value* v = e.find(key);
  if (!v) return {};
  if (v->is_string()) return v->as_string();
  if (v->is_ip()) return v->as_ip().to_string();
  return {};
}

// The license kind (inventory vocabulary) a vendor's license name stands for, by its words:
// FortiCare support -> support, IPS / antivirus definitions -> signatures, a VM license ->
// software, hardware warranty -> warranty; anything else (web filtering, sandbox) is a
// subscription. docs/adr/0017.
std::string license_kind_of(std::string_view name) {
  const std::string n = lower(name);
  for (const auto k : inv::kLicenseKinds)
    if (n == k) return std::string(k);
  std::vector<std::string> words;
  std::string w;
  for (char c : n + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      w += c;
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  auto any = [&](std::initializer_list<std::string_view> set) {
    for (const auto& word : words)
      for (auto s : set)
        if (word == s) return true;
    return false;
  };
  if (any({"support", "forticare", "maintenance", "care"})) return "support";
  if (any({"warranty", "hardware", "rma"})) return "warranty";
  if (any({"ips", "antivirus", "av", "signature", "signatures", "ioc", "botnet", "malware", "outbreak", "definitions"}))
    return "signatures";
  if (any({"vm", "software", "os", "firmware", "platform"})) return "software";
  return "subscription";
}

bool status_is(std::string_view status, std::initializer_list<std::string_view> words) {
  const std::string s = lower(status);
  for (auto w : words)
    if (s == w) return true;
  return false;
}

}  // namespace

struct BaselineMonitor::State {
  inv::Inventory inventory;
  inv::Baseline baseline;
  // Shared with the alert path, which completes every alert with it (site.name, asset).
  std::shared_ptr<const inv::Enricher> enricher;
  std::set<std::string, std::less<>> datasets;  // the log sources the baseline checks: the only ones recorded
  std::unordered_map<std::string, const inv::Asset*> assets_by_id;
  std::unordered_map<std::string, const inv::System*> systems_by_id;
  std::multimap<std::string, std::pair<const inv::Asset*, std::optional<int64_t>>> assets_by_host;
  std::unordered_map<std::string, std::chrono::seconds> sensor_window;  // by sensor kind
  std::chrono::seconds default_window{300};
};

Result<std::unique_ptr<BaselineMonitor::State>> BaselineMonitor::load_state(const BaselineMonitorOptions& o) {
  auto s = std::make_unique<State>();
  std::string text;
  std::vector<Diagnostic> diags;
  std::string inv_source, base_source;
  bool ok = inv::load_inventory(o.inventory_path, s->inventory, diags, inv_source);
  text += render_all(diags, inv_source);
  if (!o.baseline_path.empty()) {
    diags.clear();
    const bool base_ok = inv::load_baseline(o.baseline_path, s->baseline, diags, base_source);
    text += render_all(diags, base_source);
    if (ok && base_ok) {
      diags.clear();
      ok = inv::check_waivers(o.inventory_path, s->inventory, s->baseline, diags);
      text += render_all(diags, inv_source);
    }
    ok = ok && base_ok;
  }
  if (!ok) return fail("config", text);

  s->enricher = std::make_shared<const inv::Enricher>(s->inventory);
  for (const auto& a : s->inventory.assets) {
    s->assets_by_id.emplace(a.id, &a);
    if (a.address.empty()) continue;
    auto [host, port] = split_address(a.address);
    s->assets_by_host.emplace(host, std::make_pair(&a, port));
  }
  for (const auto& sys : s->inventory.systems) s->systems_by_id.emplace(sys.id, &sys);
  std::optional<std::chrono::seconds> any_window;
  for (const auto& q : s->baseline.requirements) {
    if (!q.check) continue;
    if (q.check->kind == inv::CheckKind::LogSource) s->datasets.insert(q.check->dataset);
    if (q.check->kind != inv::CheckKind::SensorReporting) continue;
    for (const auto& w : q.check->window) {
      if (!w) continue;
      auto [it, fresh] = s->sensor_window.emplace(q.check->sensor_kind, *w);
      if (!fresh) it->second = std::min(it->second, *w);
      any_window = any_window ? std::min(*any_window, *w) : *w;
    }
  }
  if (any_window) s->default_window = *any_window;
  return s;
}

Result<std::unique_ptr<BaselineMonitor>> BaselineMonitor::load(BaselineMonitorOptions options,
                                                               telemetry::Registry& metrics, AlertOutput& alerts) {
  auto state = load_state(options);
  if (!state) return fail(state.error());
  return std::unique_ptr<BaselineMonitor>(new BaselineMonitor(std::move(options), metrics, alerts, std::move(*state)));
}

BaselineMonitor::BaselineMonitor(BaselineMonitorOptions options, telemetry::Registry& metrics, AlertOutput& alerts,
                                 std::unique_ptr<State> state)
    : options_(std::move(options)),
      metrics_(metrics),
      alerts_(alerts),
      state_(std::move(state)),
      license_expiry_(metrics, "soc_license_expiry_timestamp_seconds",
                      "Unix time at which a license of an inventory asset stops being valid (the device's own "
                      "reading when a collector reported it)."),
      requirement_status_(metrics, "soc_requirement_status",
                          "Status of a baseline requirement for an information system: 1 for the current status."),
      equipment_gaps_(metrics, "soc_site_equipment_gaps",
                      "Equipment or sensor kinds the baseline requires at a site and the inventory lacks."),
      sensor_up_(metrics, "soc_sensor_up",
                 "1 while an inventory sensor is heard within the baseline's freshness window, 0 otherwise."),
      site_info_(metrics, "soc_site_info",
                 "An inventory site's name, kind and security level (the highest approved level of the systems "
                 "that list it, 0 for none); always 1, for dashboards to show names instead of ids."),
      system_info_(metrics, "soc_system_info",
                   "An inventory information system's name and approved security level; always 1, for dashboards "
                   "to show names and levels beside soc_requirement_status.") {
  evidence_.observing_since = options_.clock();
  reload_ok_ = metrics.counter("soc_inventory_reload_total", "Reloads of the inventory and baseline, by result.",
                               {{"result", "success"}});
  reload_failed_ = metrics.counter("soc_inventory_reload_total", "Reloads of the inventory and baseline, by result.",
                                   {{"result", "failure"}});
  reload_last_ok_ = metrics.gauge("soc_inventory_last_reload_successful",
                                  "1 when the last load of the inventory and baseline succeeded, 0 when the files in "
                                  "force are older than a failed reload.",
                                  {});
  reload_last_ok_.set(1);
  // Every inventory sensor is exported from the start, at 0 until it is heard.
  export_sensors(*state_, evidence_, evidence_.observing_since);
  alerts_.set_enricher(state_->enricher);
  if (!options_.baseline_path.empty()) {
    std::vector<alerts::RuleInfo> rules;
    for (const auto& r : kRules) {
      alerts::RuleInfo info;
      info.id = std::string(r.id);
      info.name = std::string(r.name);
      info.description = std::string(r.description);
      info.severity = static_cast<int>(r.severity);
      info.file = options_.baseline_path;
      info.source = "baseline";
      info.group_fields = alerts::kBaselineGroup;  // one alert per finding; resolved when it clears
      rules.push_back(std::move(info));
    }
    alerts_.set_rules("baseline", std::move(rules));
  }
}

// The rule id and group fields of a finding's alert, as raise() sets them: what resolves it.
Event BaselineMonitor::finding_key(const inv::Finding& f, std::string_view rule_id) {
  Event e;
  e.set("event.kind", "alert");
  e.set("event.dataset", "soc.baseline");
  e.set("rule.id", std::string(rule_id));
  if (!f.site.empty()) e.set("site.id", f.site);
  if (!f.subject.empty()) e.set("soc.subject", f.subject);
  e.set("soc.system.id", f.system);
  e.set("soc.requirement.id", f.requirement);
  return e;
}

BaselineMonitor::~BaselineMonitor() = default;
const inv::Inventory& BaselineMonitor::inventory() const { return state_->inventory; }
bool BaselineMonitor::checks_dataset(std::string_view dataset) const {
  return state_->datasets.find(dataset) != state_->datasets.end();
}
bool BaselineMonitor::knows_asset(const std::string& id) const { return state_->assets_by_id.count(id) > 0; }
const inv::Baseline& BaselineMonitor::baseline() const { return state_->baseline; }

std::vector<config::SensorBinding> BaselineMonitor::allowlist() const {
  std::vector<config::SensorBinding> out;
  for (const auto& s : state_->inventory.sensors) out.push_back({s.id, s.site, s.kind, s.public_key_z85, s.public_key});
  return out;
}

// --- evidence ---------------------------------------------------------------------------------

void BaselineMonitor::on_event(Event& e) {
  state_->enricher->apply(e);
  const Timestamp now = options_.clock();
  const std::string_view sensor = e.get_string("observer.name");
  if (!sensor.empty()) {
    // Events of a batch come from one sensor: keep its evidence slot (node-based map: stable).
    if (!last_sensor_seen_ || sensor != last_sensor_) {
      last_sensor_.assign(sensor);
      last_sensor_seen_ = &evidence_.sensor_last_seen[last_sensor_];
    }
    *last_sensor_seen_ = now;
  }
  const std::string_view dataset = e.get_string("event.dataset");
  if (state_->datasets.find(dataset) != state_->datasets.end())
    evidence_.dataset_last_seen[{std::string(e.get_string("site.id")), std::string(dataset)}] = now;
  if (dataset == "collector.tls")
    observe_certificate(e, now);
  else if (dataset == "collector.license")
    observe_license(e, now);
  else if (dataset == "collector.tcp")
    observe_reachability(e);
}

void BaselineMonitor::on_heartbeat(std::string_view sensor, std::string_view, const Event&) {
  evidence_.sensor_last_seen[std::string(sensor)] = options_.clock();
}

const inv::Asset* BaselineMonitor::match_asset(const Event& e, std::initializer_list<std::string_view> hosts,
                                               std::optional<int64_t> port) const {
  if (const std::string_view id = e.get_string("asset.id"); !id.empty()) {
    auto it = state_->assets_by_id.find(std::string(id));
    if (it != state_->assets_by_id.end()) return it->second;
  }
  for (auto h : hosts) {
    if (h.empty()) continue;
    auto [first, last] = state_->assets_by_host.equal_range(normal_host(h));
    for (auto it = first; it != last; ++it) {
      const auto& [asset, asset_port] = it->second;
      if (!asset_port || !port || *asset_port == *port) return asset;
    }
  }
  return nullptr;
}

void BaselineMonitor::observe_certificate(const Event& e, Timestamp now) {
  (void)now;
  const auto not_after = timestamp_of(e, "tls.server.not_after");
  std::string host = string_of(e, "destination.address");
  if (host.empty()) host = string_of(e, "destination.ip");
  const std::string sni = string_of(e, "tls.client.server_name");
  const auto port = e.get_int("destination.port");
  if (!not_after || (host.empty() && sni.empty())) return;
  // The target as the collector is told it: HOST:PORT[/SNI].
  std::string target = host.empty() ? sni : host;
  if (port && !host.empty()) target += fmt::format(":{}", *port);
  if (!sni.empty() && !host.empty() && lower(sni) != lower(host)) target += "/" + sni;
  if (target.size() > 300) return;  // a label value: no host:port/SNI is that long

  const inv::Asset* asset = match_asset(e, {sni, host}, port);
  const std::string site = asset ? asset->site : std::string(e.get_string("site.id"));
  if (Certificate* c = certificate_slot(target)) set_certificate(*c, target, *not_after, site, asset ? asset->id : "");
}

BaselineMonitor::Certificate* BaselineMonitor::certificate_slot(const std::string& target) {
  auto it = certificates_.find(target);
  if (it == certificates_.end()) {
    if (certificates_.size() >= options_.max_certificates) {
      if (certificates_refused_++ % 1000 == 0)
        log::warn("baseline", "more than {} certificate targets: {} is not tracked", options_.max_certificates, target);
      return nullptr;
    }
    it = certificates_.emplace(target, Certificate{}).first;
  }
  return &it->second;
}

void BaselineMonitor::set_certificate(Certificate& c, const std::string& target, Timestamp not_after,
                                      const std::string& site, const std::string& asset) {
  if (c.gauge && c.site != site) {
    metrics_.remove("soc_certificate_expiry_timestamp_seconds", c.gauge);
    c.gauge = {};
  }
  if (!c.gauge)
    c.gauge = metrics_.gauge("soc_certificate_expiry_timestamp_seconds",
                             "Unix time of the not_after of the TLS certificate a collector read from a target.",
                             {{"target", target}, {"site", site}});
  c.not_after = not_after;
  c.site = site;
  c.asset = asset;
  c.gauge.set(to_unix_seconds(not_after));
}

void BaselineMonitor::observe_license(const Event& e, Timestamp now) {
  const std::string name = string_of(e, "asset.license.name");
  if (name.empty()) return;
  const std::string address = string_of(e, "destination.address");
  const std::string ip = string_of(e, "destination.ip");
  const inv::Asset* asset = match_asset(e, {split_address(address).first, ip}, std::nullopt);
  if (!asset) {
    if (unmatched_logged_++ < 10)
      log::warn("baseline",
                "a collector.license event names no inventory asset (asset.id '{}', destination.address '{}')",
                e.get_string("asset.id"), address);
    return;
  }
  auto& per_asset = device_licenses_[asset->id];
  if (per_asset.size() >= 32 && !per_asset.count(name)) return;
  DeviceLicense d;
  d.name = name;
  d.kind = license_kind_of(name);
  d.status = lower(string_of(e, "asset.license.status"));
  d.expires = timestamp_of(e, "asset.license.expires");
  d.temporary = status_is(d.status, {"grace", "trial", "evaluation", "eval", "temporary"});
  d.read_at = now;
  auto& slot = per_asset[name];
  if (slot.expires != d.expires || slot.status != d.status || slot.kind != d.kind) ++licenses_version_;
  slot = std::move(d);
}

// A TCP probe of an inventory asset: exported, not judged (no baseline check uses it yet).
void BaselineMonitor::observe_reachability(const Event& e) {
  const std::string_view outcome = e.get_string("event.outcome");
  if (outcome != "success" && outcome != "failure") return;
  const auto port = e.get_int("destination.port");
  const inv::Asset* asset =
      match_asset(e, {split_address(string_of(e, "destination.address")).first, string_of(e, "destination.ip")}, port);
  if (!asset) return;
  auto& [site, gauge] = reachable_[asset->id];
  if (gauge && site != asset->site) {
    metrics_.remove("soc_asset_reachable", gauge);
    gauge = {};
  }
  if (!gauge) {
    site = asset->site;
    gauge =
        metrics_.gauge("soc_asset_reachable",
                       "1 when the last TCP probe of an inventory asset by a collector connected, 0 when it failed.",
                       {{"asset", asset->id}, {"site", asset->site}});
  }
  gauge.set(outcome == "success" ? 1 : 0);
}

// --- evaluation -------------------------------------------------------------------------------

// The inventory as evaluated: what the devices themselves report supersedes what was written.
// A device license replaces the declared licenses of its kind on that asset; kinds the device
// did not report keep their declared dates. docs/adr/0017.
const inv::Inventory& BaselineMonitor::effective_inventory(const EvaluationInput& in) {
  const State& state = *in.state;
  if (effective_state_ == in.state.get() && effective_version_ == in.licenses_version)
    return effective_ ? *effective_ : state.inventory;
  effective_state_ = in.state.get();
  effective_version_ = in.licenses_version;
  const DeviceLicenses& licenses = *in.licenses;
  if (licenses.empty()) {
    effective_.reset();
  } else {
    effective_ = state.inventory;
    for (auto& a : effective_->assets) {
      auto it = licenses.find(a.id);
      if (it == licenses.end()) continue;
      std::vector<inv::License> read;
      for (const auto& [name, d] : it->second) {
        const auto offset = effective_->utc_offset;
        const inv::Date read_day = inv::local_day(d.read_at, offset);
        const bool expired = status_is(d.status, {"expired", "invalid", "revoked"});
        if (!d.expires && !expired) continue;  // nothing to judge by
        // Valid until the instant `expires`: through the day before when it is midnight.
        inv::Date day =
            d.expires ? inv::local_day(*d.expires - std::chrono::microseconds(1), offset) : read_day - days(1);
        if (expired) day = std::min(day, read_day - days(1));
        read.push_back({d.kind, day, d.temporary});
      }
      if (read.empty()) continue;
      std::erase_if(a.licenses, [&](const inv::License& l) {
        return std::any_of(read.begin(), read.end(), [&](const inv::License& r) { return r.kind == l.kind; });
      });
      a.licenses.insert(a.licenses.end(), read.begin(), read.end());
    }
  }
  const inv::Inventory& out = effective_ ? *effective_ : state.inventory;
  export_licenses(out, licenses);
  return out;
}

void BaselineMonitor::export_licenses(const inv::Inventory& inventory, const DeviceLicenses& licenses) {
  std::map<telemetry::Labels, Timestamp> soonest;
  for (const auto& a : inventory.assets) {
    auto dev = licenses.find(a.id);
    for (const auto& l : a.licenses) {
      // The instant the license stops: the device's own reading when it gave one, else the end
      // of the declared day.
      Timestamp until = inv::end_of_day(l.expires, inventory.utc_offset);
      if (dev != licenses.end())
        for (const auto& [name, d] : dev->second)
          if (d.kind == l.kind && d.expires &&
              inv::local_day(*d.expires - std::chrono::microseconds(1), inventory.utc_offset) == l.expires)
            until = *d.expires;
      telemetry::Labels labels{{"asset", a.id}, {"license", l.kind}, {"site", a.site}};
      auto [it, fresh] = soonest.emplace(labels, until);
      if (!fresh) it->second = std::min(it->second, until);
    }
  }
  for (const auto& [labels, until] : soonest) license_expiry_.set(labels, to_unix_seconds(until));
  license_expiry_.sweep();
}

void BaselineMonitor::export_sensors(const State& state, const inv::Evidence& evidence, Timestamp now) {
  for (const auto& s : state.inventory.sensors) {
    auto w = state.sensor_window.find(s.kind);
    const auto window = w == state.sensor_window.end() ? state.default_window : w->second;
    auto it = evidence.sensor_last_seen.find(s.id);
    const bool up = it != evidence.sensor_last_seen.end() && now - it->second <= window;
    sensor_up_.set({{"sensor", s.id}, {"site", s.site}}, up ? 1 : 0);
  }
  sensor_up_.sweep();
}

BaselineMonitor::EvaluationInput BaselineMonitor::capture() const {
  EvaluationInput in;
  in.state = state_;
  in.now = options_.clock();
  in.evidence = evidence_;
  in.evidence.certificate_not_after.clear();
  for (const auto& [target, c] : certificates_) {
    in.certificates.push_back({target, c.site, c.asset, c.not_after});
    if (c.asset.empty()) continue;
    auto [it, fresh] = in.evidence.certificate_not_after.emplace(c.asset, c.not_after);
    if (!fresh) it->second = std::min(it->second, c.not_after);
  }
  in.licenses = std::make_shared<const DeviceLicenses>(device_licenses_);
  in.licenses_version = licenses_version_;
  return in;
}

size_t BaselineMonitor::evaluate(const EvaluationInput& in) {
  std::lock_guard lock(eval_mutex_);
  const State& state = *in.state;
  const Timestamp now = in.now;
  const inv::Inventory& inventory = effective_inventory(in);
  findings_ = inv::evaluate(inventory, state.baseline, in.evidence, now);

  size_t raised = 0;
  for (const auto& change : tracker_.update(findings_)) {
    const auto& f = change.finding;
    // The alert of the finding's previous rule ends when the finding recovers, turns into another
    // rule (expiring -> expired), or is no longer evaluated.
    if (!change.previous_rule_id.empty() && (change.removed || f.rule_id != change.previous_rule_id)) {
      const std::string why = change.removed       ? "no longer evaluated (the inventory or the baseline changed)"
                              : f.rule_id.empty() ? fmt::format("cleared: {} ({})", f.detail, inv::to_string(f.status))
                                                  : fmt::format("superseded by {}", f.rule_id);
      alerts_.resolve(finding_key(f, change.previous_rule_id), why);
    }
    if (change.removed) continue;
    if (!f.rule_id.empty() && f.rule_id != change.previous_rule_id) {
      raise(state, change, now);
      ++raised;
    } else if (f.rule_id.empty() && !change.previous_rule_id.empty()) {
      log::info("baseline", "resolved: {} for {} {}{}{}: {} ({})", change.previous_rule_id, f.system, f.requirement,
                f.site.empty() ? "" : " at " + f.site, f.subject.empty() ? "" : " " + f.subject, f.detail,
                inv::to_string(f.status));
    }
  }

  if (!reconciled_) {
    // Findings that cleared while the correlator was stopped left their alerts open in the
    // store: the first evaluation resolves every baseline alert it does not find active.
    reconciled_ = true;
    std::vector<Event> active;
    for (const auto& f : findings_)
      if (!f.rule_id.empty()) active.push_back(finding_key(f, f.rule_id));
    alerts_.reconcile("baseline", active, "not found at the first evaluation after the correlator started");
  }

  std::map<std::string, std::set<std::string>> gaps;
  for (const auto& r : inv::requirement_statuses(findings_))
    for (auto s : kStatuses)
      requirement_status_.set(
          {{"requirement", r.requirement}, {"status", std::string(inv::to_string(s))}, {"system", r.system}},
          s == r.status ? 1 : 0);
  for (const auto& f : findings_)
    if (f.rule_id == "soc.equipment.missing") gaps[f.site].insert(f.subject);
  requirement_status_.sweep();
  for (const auto& site : state.inventory.sites) {
    auto it = gaps.find(site.id);
    equipment_gaps_.set({{"site", site.id}}, it == gaps.end() ? 0 : static_cast<double>(it->second.size()));
  }
  equipment_gaps_.sweep();
  for (const auto& site : state.inventory.sites) {
    const int level = state.enricher->site_level(site.id);
    site_info_.set({{"kind", site.kind}, {"level", std::to_string(level)}, {"name", site.name}, {"site", site.id}}, 1);
  }
  site_info_.sweep();
  for (const auto& sys : state.inventory.systems)
    system_info_.set({{"level", std::to_string(sys.level)}, {"name", sys.name}, {"system", sys.id}}, 1);
  system_info_.sweep();
  export_sensors(state, in.evidence, now);
  return raised;
}

void BaselineMonitor::raise(const State& state, const inv::Change& change, Timestamp now) {
  const inv::Finding& f = change.finding;
  const RuleInfo& rule = rule_info(f.rule_id);
  const inv::Requirement* q = state.baseline.find(f.requirement);
  auto sys = state.systems_by_id.find(f.system);
  Event a;
  a.set("@timestamp", now);
  a.set("event.kind", "alert");
  a.set("event.dataset", "soc.baseline");
  a.set("event.category", List{Value("configuration")});
  a.set("event.severity", rule.severity);
  a.set("rule.id", f.rule_id);
  a.set("rule.name", std::string(rule.name));
  if (!state.baseline.id.empty()) a.set("rule.ruleset", state.baseline.id);
  if (!f.site.empty()) a.set("site.id", f.site);
  const bool about_asset =
      q && q->check &&
      (q->check->kind == inv::CheckKind::LicenseValid || q->check->kind == inv::CheckKind::CertificateValid) &&
      state.assets_by_id.count(f.subject);
  if (about_asset)
    a.set("asset.id", f.subject);
  else if (q && q->check && q->check->kind == inv::CheckKind::AssetPresent)
    a.set("asset.kind", f.subject);
  state.enricher->apply(a);  // site.name, site.kind, site.level, asset.kind
  if (!f.subject.empty()) a.set("soc.subject", f.subject);
  a.set("soc.system.id", f.system);
  if (sys != state.systems_by_id.end()) a.set("soc.system.level", static_cast<int64_t>(sys->second->level));
  a.set("soc.requirement.id", f.requirement);
  if (q) {
    if (!q->title_en.empty()) a.set("soc.requirement.title", q->title_en);
    if (!q->title_vi.empty()) a.set("soc.requirement.title_vi", q->title_vi);
    if (!q->reference.empty()) a.set("soc.requirement.reference", q->reference);
  }
  a.set("soc.finding.status", std::string(inv::to_string(f.status)));
  if (change.previous) a.set("soc.finding.previous_status", std::string(inv::to_string(*change.previous)));
  std::string where = f.subject;
  if (!f.site.empty()) where += (where.empty() ? "" : " at ") + f.site;
  a.set("message", fmt::format("{}: {}{}{} (system {}, requirement {})", rule.name, where, where.empty() ? "" : ": ",
                               f.detail, f.system, f.requirement));
  alerts_.emit(a);
}

bool BaselineMonitor::reload() {
  auto s = load_state(options_);
  if (!s) {
    reload_failed_.inc();
    reload_last_ok_.set(0);
    log::error("baseline", "reload of {}{} failed; the files loaded before stay in force:\n{}", options_.inventory_path,
               options_.baseline_path.empty() ? "" : " and " + options_.baseline_path, s.error().message);
    return false;
  }
  state_ = std::move(*s);
  alerts_.set_enricher(state_->enricher);
  for (auto it = reachable_.begin(); it != reachable_.end();) {
    if (state_->assets_by_id.count(it->first)) {
      ++it;
    } else {
      metrics_.remove("soc_asset_reachable", it->second.second);
      it = reachable_.erase(it);
    }
  }
  reload_ok_.inc();
  reload_last_ok_.set(1);
  log::info("baseline", "reloaded {} ({} sites, {} systems, {} assets, {} sensors){}", options_.inventory_path,
            state_->inventory.sites.size(), state_->inventory.systems.size(), state_->inventory.assets.size(),
            state_->inventory.sensors.size(),
            options_.baseline_path.empty() ? ""
                                           : fmt::format(" and {} ({} requirements)", options_.baseline_path,
                                                         state_->baseline.requirements.size()));
  evaluate();
  return true;
}

// --- GaugeSet ---------------------------------------------------------------------------------

void BaselineMonitor::GaugeSet::set(const telemetry::Labels& labels, double value) {
  auto it = slots_.find(labels);
  if (it == slots_.end()) it = slots_.emplace(labels, Slot{r_.gauge(name_, help_, labels), false}).first;
  it->second.gauge.set(value);
  it->second.touched = true;
}

void BaselineMonitor::GaugeSet::sweep() {
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (!it->second.touched) {
      r_.remove(name_, it->second.gauge);
      it = slots_.erase(it);
    } else {
      it->second.touched = false;
      ++it;
    }
  }
}

}  // namespace soc::daemon
