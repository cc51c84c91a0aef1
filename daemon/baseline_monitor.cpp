#include "daemon/baseline_monitor.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

#include "core/crypto/digest.h"
#include "core/log.h"
#include "daemon/inventory/loader.h"

namespace soc::daemon {

namespace inv = inventory;
using std::chrono::days;

namespace {

constexpr inv::Status kStatuses[] = {inv::Status::Met,           inv::Status::PartiallyMet,
                                     inv::Status::NotMet,        inv::Status::NotApplicable,
                                     inv::Status::NotAssessable, inv::Status::Waived};

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
  static const RuleInfo unknown{"", "Baseline finding", 3, ""};
  for (const auto& r : kRules)
    if (r.id == id) return r;
  return unknown;
}

}  // namespace

struct BaselineMonitor::State {
  std::shared_ptr<const inv::Inventory> inventory;
  std::shared_ptr<const inv::Baseline> baseline;
  std::string inventory_sha256, baseline_sha256;
  // Shared with the alert path, which completes every alert with it (site.name, asset).
  std::shared_ptr<const inv::Enricher> enricher;
  std::unordered_map<std::string, const inv::Asset*> assets_by_id;
  std::unordered_map<std::string, const inv::System*> systems_by_id;
  std::unordered_map<std::string, std::chrono::seconds> sensor_window;  // by sensor kind
  std::chrono::seconds default_window{300};
};

Result<std::unique_ptr<BaselineMonitor::State>> BaselineMonitor::load_state(const BaselineMonitorOptions& o) {
  auto s = std::make_unique<State>();
  std::string text;
  std::vector<Diagnostic> diags;
  std::string inv_source, base_source;
  auto inventory = std::make_shared<inv::Inventory>();
  auto baseline = std::make_shared<inv::Baseline>();
  bool ok = inv::load_inventory(o.inventory_path, *inventory, diags, inv_source);
  text += render_all(diags, inv_source);
  if (!o.baseline_path.empty()) {
    diags.clear();
    const bool base_ok = inv::load_baseline(o.baseline_path, *baseline, diags, base_source);
    text += render_all(diags, base_source);
    if (ok && base_ok) {
      diags.clear();
      ok = inv::check_waivers(o.inventory_path, *inventory, *baseline, diags);
      text += render_all(diags, inv_source);
    }
    ok = ok && base_ok;
  }
  if (!ok) return fail("config", text);
  // The digests of the files in force: the report names them (docs/report.md).
  s->inventory_sha256 = crypto::sha256_hex(inv_source);
  if (!o.baseline_path.empty()) s->baseline_sha256 = crypto::sha256_hex(base_source);
  s->inventory = inventory;
  s->baseline = baseline;

  s->enricher = std::make_shared<const inv::Enricher>(*inventory);
  for (const auto& a : inventory->assets) s->assets_by_id.emplace(a.id, &a);
  for (const auto& sys : inventory->systems) s->systems_by_id.emplace(sys.id, &sys);
  std::optional<std::chrono::seconds> any_window;
  for (const auto& q : baseline->requirements) {
    if (!q.check || q.check->kind != inv::CheckKind::SensorReporting) continue;
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
  observations_ = inv::Observations({options_.max_certificates});
  observations_.bind(state_->inventory, state_->baseline);
  observations_.set_observing_since(options_.clock());
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
  export_sensors(*state_, observations_.evidence(), observations_.evidence().observing_since);
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
const inv::Inventory& BaselineMonitor::inventory() const { return *state_->inventory; }
const inv::Baseline& BaselineMonitor::baseline() const { return *state_->baseline; }

std::shared_ptr<const BaselineView> BaselineMonitor::view() const {
  std::lock_guard lock(view_mutex_);
  return view_;
}

std::vector<config::SensorBinding> BaselineMonitor::allowlist() const {
  std::vector<config::SensorBinding> out;
  for (const auto& s : state_->inventory->sensors) out.push_back({s.id, s.site, s.kind, s.public_key_z85, s.public_key});
  return out;
}

// --- evidence ---------------------------------------------------------------------------------

void BaselineMonitor::on_event(Event& e) {
  state_->enricher->apply(e);
  const auto arrival = inv::Observations::arrival_of(e);
  export_reading(observations_.observe(e, arrival ? *arrival : options_.clock()));
}

void BaselineMonitor::on_heartbeat(std::string_view sensor, std::string_view, const Event& heartbeat) {
  const auto arrival = inv::Observations::arrival_of(heartbeat);
  observations_.heartbeat(sensor, arrival ? *arrival : options_.clock());
}

// What a collector read, as metrics: certificates by target, TCP probes by asset.
void BaselineMonitor::export_reading(const inv::Reading& r) {
  using Kind = inv::Reading::Kind;
  if (r.kind == Kind::CertificateRefused) {
    if (certificates_refused_++ % 1000 == 0)
      log::warn("baseline", "more than {} certificate targets: {} is not tracked", options_.max_certificates, r.target);
  } else if (r.kind == Kind::LicenseUnmatched) {
    if (unmatched_logged_++ < 10)
      log::warn("baseline", "a collector.license event names no inventory asset ({})", r.target);
  } else if (r.kind == Kind::Certificate) {
    CertificateGauge& c = certificates_[r.target];
    if (c.gauge && c.site != r.site) {
      metrics_.remove("soc_certificate_expiry_timestamp_seconds", c.gauge);
      c.gauge = {};
    }
    if (!c.gauge)
      c.gauge = metrics_.gauge("soc_certificate_expiry_timestamp_seconds",
                               "Unix time of the not_after of the TLS certificate a collector read from a target.",
                               {{"target", r.target}, {"site", r.site}});
    c.site = r.site;
    c.gauge.set(to_unix_seconds(r.not_after));
  } else if (r.kind == Kind::Reachability) {
    auto& [site, gauge] = reachable_[r.asset->id];
    if (gauge && site != r.asset->site) {
      metrics_.remove("soc_asset_reachable", gauge);
      gauge = {};
    }
    if (!gauge) {
      site = r.asset->site;
      gauge = metrics_.gauge("soc_asset_reachable",
                             "1 when the last TCP probe of an inventory asset by a collector connected, 0 when it failed.",
                             {{"asset", r.asset->id}, {"site", r.asset->site}});
    }
    gauge.set(r.reachable ? 1 : 0);
  }
}

// --- evaluation -------------------------------------------------------------------------------

void BaselineMonitor::export_licenses(const inv::Inventory& inventory) {
  std::map<telemetry::Labels, Timestamp> soonest;
  for (const auto& a : inventory.assets) {
    for (const auto& l : a.licenses) {
      // The instant the license stops: the device's own reading when it gave one, else the end
      // of the declared day.
      const Timestamp until = l.until ? *l.until : inv::end_of_day(l.expires, inventory.utc_offset);
      telemetry::Labels labels{{"asset", a.id}, {"license", l.kind}, {"site", a.site}};
      auto [it, fresh] = soonest.emplace(labels, until);
      if (!fresh) it->second = std::min(it->second, until);
    }
  }
  for (const auto& [labels, until] : soonest) license_expiry_.set(labels, to_unix_seconds(until));
  license_expiry_.sweep();
}

void BaselineMonitor::export_sensors(const State& state, const inv::Evidence& evidence, Timestamp now) {
  // sensors_seen() is the one definition of "up"; it lists the inventory's sensors in order.
  const auto& sensors = state.inventory->sensors;
  const auto seen = sensors_seen(state, evidence, now);
  for (size_t i = 0; i < sensors.size(); ++i)
    sensor_up_.set({{"sensor", sensors[i].id}, {"site", sensors[i].site}}, seen[i].up ? 1 : 0);
  sensor_up_.sweep();
}

std::vector<BaselineMonitor::SensorSeen> BaselineMonitor::sensors_seen(Timestamp now) {
  return sensors_seen(*state_, observations_.evidence(), now);
}

std::vector<BaselineMonitor::SensorSeen> BaselineMonitor::sensors_seen(const State& state,
                                                                       const inv::Evidence& evidence,
                                                                       Timestamp now) {
  const auto& last_seen = evidence.sensor_last_seen;
  std::vector<SensorSeen> out;
  out.reserve(state.inventory->sensors.size());
  for (const auto& s : state.inventory->sensors) {
    auto w = state.sensor_window.find(s.kind);
    const auto window = w == state.sensor_window.end() ? state.default_window : w->second;
    SensorSeen seen{s.id, std::nullopt, false};
    if (auto it = last_seen.find(s.id); it != last_seen.end()) {
      seen.last_seen = it->second;
      seen.up = now - it->second <= window;
    }
    out.push_back(std::move(seen));
  }
  return out;
}

BaselineMonitor::EvaluationInput BaselineMonitor::capture() const {
  // A copy of the Observations (it drops its last-sensor shortcut): the evaluation folds the
  // certificates and applies the device licenses on the copy, off the ingest thread.
  return EvaluationInput{state_, observations_, options_.clock()};
}

size_t BaselineMonitor::evaluate(EvaluationInput& in) {
  std::lock_guard lock(eval_mutex_);
  const State& state = *in.state;
  const Timestamp now = in.now;
  const auto inventory = in.observations.effective_inventory();
  // The copy's "changed" flag says nothing about what was last exported: compare with that.
  if (inventory != licenses_exported_) {
    export_licenses(*inventory);
    licenses_exported_ = inventory;
  }
  const inv::Evidence& evidence = in.observations.evidence();
  findings_ = std::make_shared<const std::vector<inv::Finding>>(inv::evaluate(*inventory, *state.baseline, evidence, now));

  size_t raised = 0;
  for (const auto& change : tracker_.update(*findings_)) {
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
    for (const auto& f : *findings_)
      if (!f.rule_id.empty()) active.push_back(finding_key(f, f.rule_id));
    alerts_.reconcile("baseline", active, "not found at the first evaluation after the correlator started");
  }
  export_statuses(state);
  export_sensors(state, evidence, now);
  if (evaluates()) {
    auto view = std::make_shared<BaselineView>();
    view->at = now;
    view->inventory = inventory;
    view->baseline = state.baseline;
    view->evidence = evidence;
    view->findings = findings_;
    view->inventory_sha256 = state.inventory_sha256;
    view->baseline_sha256 = state.baseline_sha256;
    std::lock_guard lock(view_mutex_);
    view_ = std::move(view);
  }
  return raised;
}

void BaselineMonitor::export_statuses(const State& state) {
  std::map<std::string, std::set<std::string>> gaps;
  for (const auto& r : inv::requirement_statuses(*findings_))
    for (auto s : kStatuses)
      requirement_status_.set(
          {{"requirement", r.requirement}, {"status", std::string(inv::to_string(s))}, {"system", r.system}},
          s == r.status ? 1 : 0);
  for (const auto& f : *findings_)
    if (f.rule_id == "soc.equipment.missing") gaps[f.site].insert(f.subject);
  requirement_status_.sweep();
  for (const auto& site : state.inventory->sites) {
    auto it = gaps.find(site.id);
    equipment_gaps_.set({{"site", site.id}}, it == gaps.end() ? 0 : static_cast<double>(it->second.size()));
  }
  equipment_gaps_.sweep();
  for (const auto& site : state.inventory->sites) {
    const int level = state.enricher->site_level(site.id);
    site_info_.set({{"kind", site.kind}, {"level", std::to_string(level)}, {"name", site.name}, {"site", site.id}}, 1);
  }
  site_info_.sweep();
  for (const auto& sys : state.inventory->systems)
    system_info_.set({{"level", std::to_string(sys.level)}, {"name", sys.name}, {"system", sys.id}}, 1);
  system_info_.sweep();
}

void BaselineMonitor::raise(const State& state, const inv::Change& change, Timestamp now) {
  const inv::Finding& f = change.finding;
  const RuleInfo& rule = rule_info(f.rule_id);
  const inv::Requirement* q = state.baseline->find(f.requirement);
  auto sys = state.systems_by_id.find(f.system);
  Event a;
  a.set("@timestamp", now);
  a.set("event.kind", "alert");
  a.set("event.dataset", "soc.baseline");
  a.set("event.category", List{Value("configuration")});
  a.set("event.severity", rule.severity);
  a.set("rule.id", f.rule_id);
  a.set("rule.name", std::string(rule.name));
  if (!state.baseline->id.empty()) a.set("rule.ruleset", state.baseline->id);
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
  observations_.bind(state_->inventory, state_->baseline);
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
            state_->inventory->sites.size(), state_->inventory->systems.size(), state_->inventory->assets.size(),
            state_->inventory->sensors.size(),
            options_.baseline_path.empty() ? ""
                                           : fmt::format(" and {} ({} requirements)", options_.baseline_path,
                                                         state_->baseline->requirements.size()));
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
