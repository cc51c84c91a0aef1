#include "daemon/sites/view.h"

#include <algorithm>
#include <map>
#include <set>

namespace soc::daemon::sites {

namespace inv = soc::daemon::inventory;

namespace {

constexpr int64_t kDefaultWarnDays = 60;  // ADR 0009's default warning before a license expires

// Worse statuses rank higher: inventory::severity (not_met worst, not_applicable least).
int rank(inv::Status s) { return inv::severity(s); }

// The warning days of the baseline's license checks at `level` (the longest); the default
// without one.
int64_t warn_days(const inv::Baseline* baseline, int level) {
  int64_t days = -1;
  if (baseline && level >= 1 && level <= 5) {
    for (const auto& q : baseline->requirements) {
      if (!q.applies_at(level) || !q.check || q.check->kind != inv::CheckKind::LicenseValid) continue;
      if (const auto& d = q.check->days[level - 1]) days = std::max(days, *d);
    }
  }
  return days < 0 ? kDefaultWarnDays : days;
}

LicenseView license_view(const inv::License& l, inv::Date today, int64_t warn) {
  const int64_t left = (l.expires - today).count();
  std::string status = "valid";
  if (left < 0)
    status = "expired";
  else if (left < warn)
    status = "expiring";
  else if (l.temporary)
    status = "temporary";
  return {l.kind, l.expires, status, l.read_at};
}

void add_assets(SiteView& site, const inv::Inventory& inv, inv::Date today, int64_t warn) {
  for (const auto& a : inv.assets) {
    if (a.site != site.id) continue;
    AssetView v{a.id, a.kind, a.vendor, a.model, a.address, {}};
    for (const auto& l : a.licenses) {
      v.licenses.push_back(license_view(l, today, warn));
      site.licenses_expired += v.licenses.back().status == "expired";
      site.licenses_expiring += v.licenses.back().status == "expiring";
    }
    site.assets.push_back(std::move(v));
  }
}

// The findings that concern `site`: its own, and the system-wide ones of its systems.
void add_requirements(SiteView& site, const inv::Baseline& baseline, const std::vector<inv::Finding>& findings) {
  std::set<std::string> systems;
  for (const auto& s : site.systems) systems.insert(s.id);
  std::map<std::pair<std::string, std::string>, size_t> at;  // (system, requirement) -> index
  std::vector<inv::Status> worst;
  std::set<std::string> gaps;
  for (const auto& f : findings) {
    if (!systems.count(f.system) || !(f.site == site.id || f.site.empty())) continue;
    if (f.rule_id == "soc.equipment.missing" && f.site == site.id) gaps.insert(f.subject);
    auto [it, fresh] = at.emplace(std::make_pair(f.system, f.requirement), site.requirements.size());
    if (fresh) {
      const inv::Requirement* q = baseline.find(f.requirement);
      site.requirements.push_back({f.system, f.requirement, q ? q->title_vi : "", q ? q->title_en : "",
                                   std::string(inv::to_string(f.status)), f.detail});
      worst.push_back(f.status);
    } else if (rank(f.status) > rank(worst[it->second])) {
      worst[it->second] = f.status;
      site.requirements[it->second].status = std::string(inv::to_string(f.status));
      site.requirements[it->second].reason = f.detail;
    }
  }
  site.equipment_gaps.assign(gaps.begin(), gaps.end());
}

}  // namespace

const SiteView* SitesView::find(std::string_view id) const {
  for (const auto& s : sites)
    if (s.id == id) return &s;
  return nullptr;
}

SitesView build_view(const inv::Inventory& inv, const inv::Baseline* baseline,
                     const std::vector<inv::Finding>& findings, const std::vector<SensorSeen>& sensors, Timestamp now) {
  SitesView view;
  view.evaluated_at = now;
  view.baseline = baseline != nullptr;
  view.utc_offset = inv.utc_offset;
  const inv::Date today = inv::local_day(now, inv.utc_offset);
  for (const auto& s : inv.sites) {
    SiteView site{s.id, s.name, s.kind, 0, {}, {}, {}, 0, 0, {}, {}};
    for (const auto& sys : inv.systems) {
      if (std::find(sys.sites.begin(), sys.sites.end(), s.id) == sys.sites.end()) continue;
      site.systems.push_back({sys.id, sys.name, sys.level});
      site.level = std::max(site.level, sys.level);
    }
    for (const auto& sensor : inv.sensors) {
      if (sensor.site != s.id) continue;
      SensorView v{sensor.id, sensor.kind, false, std::nullopt};
      for (const auto& seen : sensors)
        if (seen.id == sensor.id) v.up = seen.up, v.last_seen = seen.last_seen;
      site.sensors.push_back(std::move(v));
    }
    add_assets(site, inv, today, warn_days(baseline, site.level));
    if (baseline) add_requirements(site, *baseline, findings);
    view.sites.push_back(std::move(site));
  }
  return view;
}

void ViewSlot::publish(SitesView view) {
  auto next = std::make_shared<const SitesView>(std::move(view));
  std::lock_guard lock(mutex_);
  view_ = std::move(next);
}

std::shared_ptr<const SitesView> ViewSlot::latest() const {
  std::lock_guard lock(mutex_);
  return view_;
}

}  // namespace soc::daemon::sites
