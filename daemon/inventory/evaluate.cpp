#include "daemon/inventory/evaluate.h"

#include <fmt/core.h>

#include <string_view>
#include <unordered_map>

namespace soc::daemon::inventory {

namespace {

using std::chrono::days;
using std::chrono::floor;

std::string human(std::chrono::seconds s) {
  const auto n = s.count();
  if (n % 86400 == 0) return fmt::format("{}d", n / 86400);
  if (n % 3600 == 0) return fmt::format("{}h", n / 3600);
  if (n % 60 == 0) return fmt::format("{}m", n / 60);
  return fmt::format("{}s", n);
}

// Higher is worse; requirement_status() keeps the worst.
int severity(Status s) {
  switch (s) {
    case Status::Pass:
      return 0;
    case Status::Waived:
      return 1;
    case Status::Partial:
      return 2;
    case Status::NotAssessable:
      return 3;
    case Status::Fail:
      return 4;
  }
  return 4;
}

class Evaluator {
 public:
  // Indexes assets and sensors by site and kind, and waivers by system and requirement, once: a
  // system may span thousands of sites, and a scan of every asset per site (or of every waiver
  // per requirement) would be quadratic in the size of the province. "Today" is the day in the
  // inventory's time zone (inventory.h).
  Evaluator(const Inventory& inv, const Evidence& ev, Timestamp now)
      : ev_(ev), now_(now), today_(local_day(now, inv.utc_offset)) {
    for (const auto& a : inv.assets) assets_[{a.site, a.kind}].push_back(&a);
    for (const auto& s : inv.sensors) {
      sensors_[{s.site, s.kind}].push_back(&s);
      site_sensors_[s.site].push_back(&s);
    }
    for (const auto& w : inv.waivers) waivers_[{w.system, w.requirement}].push_back(&w);
  }

  void run(const System& sys, const Requirement& q, std::vector<Finding>& out) {
    const size_t first = out.size();
    const int level = sys.level;
    if (!q.check) {
      add(out, sys, q, "", "", Status::NotAssessable, "",
          q.manual.empty() ? "manual requirement" : "manual: " + q.manual);
    } else {
      const Check& c = *q.check;
      switch (c.kind) {
        case CheckKind::AssetPresent:
          asset_present(sys, q, c, out);
          break;
        case CheckKind::LicenseValid:
          license_valid(sys, q, c, *c.days[level - 1], out);
          break;
        case CheckKind::SensorReporting:
          sensor_reporting(sys, q, c, *c.window[level - 1], out);
          break;
        case CheckKind::LogSource:
          log_source(sys, q, c, *c.window[level - 1], out);
          break;
        case CheckKind::AssessmentRecent:
          assessment(sys, q, *c.days[level - 1], out);
          break;
        case CheckKind::CertificateValid:
          certificate(sys, q, c, *c.days[level - 1], out);
          break;
      }
    }
    apply_waiver(sys, q, out, first);
  }

 private:
  static void add(std::vector<Finding>& out, const System& sys, const Requirement& q, std::string site,
                  std::string subject, Status status, std::string rule_id, std::string detail) {
    out.push_back({sys.id, q.id, std::move(site), std::move(subject), status, std::move(rule_id), std::move(detail)});
  }

  void asset_present(const System& sys, const Requirement& q, const Check& c, std::vector<Finding>& out) {
    for (const auto& site : sys.sites) {
      const auto n = static_cast<int64_t>(assets_at(site, c.asset_kind).size());
      if (n >= c.min_count)
        add(out, sys, q, site, c.asset_kind, Status::Pass, "", fmt::format("{} {} at the site", n, c.asset_kind));
      else
        add(out, sys, q, site, c.asset_kind, Status::Fail, "soc.equipment.missing",
            fmt::format("{} {} at the site, {} required", n, c.asset_kind, c.min_count));
    }
  }

  // A license is valid through its `expires` day. It warns when it expires within warn_days:
  // with warn_days 60, one that expires 59 days from today warns and one 60 days from today
  // does not.
  void license_valid(const System& sys, const Requirement& q, const Check& c, int64_t warn_days,
                     std::vector<Finding>& out) {
    bool any_asset = false;
    for (const auto& site : sys.sites) {
      for (const auto* ap : assets_at(site, c.asset_kind)) {
        const Asset& a = *ap;
        any_asset = true;
        Status status = Status::Pass;
        std::string rule, detail;
        int considered = 0;
        for (const auto& l : a.licenses) {
          if (!c.license_kind.empty() && l.kind != c.license_kind) continue;
          ++considered;
          const int64_t left = (l.expires - today_).count();
          Status s = Status::Pass;
          std::string r, d;
          if (left < 0) {
            s = Status::Fail;
            r = "soc.license.expired";
            d = fmt::format("{} license expired on {}", l.kind, format_date(l.expires));
          } else if (l.temporary) {
            s = Status::Partial;
            r = left < warn_days ? "soc.license.expiring" : "";
            d = fmt::format("{} license is temporary, until {}", l.kind, format_date(l.expires));
          } else if (left < warn_days) {
            r = "soc.license.expiring";
            d = fmt::format("{} license expires on {} ({} days left)", l.kind, format_date(l.expires), left);
          } else {
            d = fmt::format("{} license valid until {}", l.kind, format_date(l.expires));
          }
          // The worst license decides; among equals, the first one written.
          if (considered == 1 || severity(s) > severity(status) ||
              (severity(s) == severity(status) && rule.empty() && !r.empty())) {
            status = s;
            rule = r;
            detail = d;
          }
        }
        if (considered == 0)
          add(out, sys, q, site, a.id, Status::NotAssessable, "",
              c.license_kind.empty() ? "no license recorded" : fmt::format("no {} license recorded", c.license_kind));
        else
          add(out, sys, q, site, a.id, status, rule, detail);
      }
    }
    if (!any_asset)
      add(out, sys, q, "", c.asset_kind, Status::NotAssessable, "",
          fmt::format("no {} at the system's sites to check", c.asset_kind));
  }

  bool heard_within(const std::string& sensor, std::chrono::seconds window) const {
    auto it = ev_.sensor_last_seen.find(sensor);
    return it != ev_.sensor_last_seen.end() && now_ - it->second <= window;
  }

  void sensor_reporting(const System& sys, const Requirement& q, const Check& c, std::chrono::seconds window,
                        std::vector<Finding>& out) {
    for (const auto& site : sys.sites) {
      const auto& sensors = sensors_at(site, c.sensor_kind);
      if (sensors.empty()) {
        add(out, sys, q, site, c.sensor_kind, Status::Fail, "soc.equipment.missing",
            fmt::format("no {} sensor at the site", c.sensor_kind));
        continue;
      }
      const Sensor* up = nullptr;
      for (const auto* s : sensors)
        if (!up && heard_within(s->id, window)) up = s;
      // The subject is always the site's first sensor of the kind, whichever is heard, so that
      // the finding keeps its identity (tracker.h) when another sensor of the site takes over.
      if (up) {
        add(out, sys, q, site, sensors[0]->id, Status::Pass, "",
            fmt::format("{} heard within {}", up->id, human(window)));
      } else if (now_ - ev_.observing_since < window) {
        add(out, sys, q, site, sensors[0]->id, Status::NotAssessable, "",
            fmt::format("observing for less than {}", human(window)));
      } else {
        add(out, sys, q, site, sensors[0]->id, Status::Fail, "soc.sensor.silent",
            fmt::format("no {} sensor of the site heard within {}", c.sensor_kind, human(window)));
      }
    }
  }

  // A dataset that does not arrive is a finding only when the site's sensors are heard: if they
  // are silent too, the evidence is stale and the source cannot be judged.
  void log_source(const System& sys, const Requirement& q, const Check& c, std::chrono::seconds window,
                  std::vector<Finding>& out) {
    for (const auto& site : sys.sites) {
      auto it = ev_.dataset_last_seen.find({site, c.dataset});
      if (it != ev_.dataset_last_seen.end() && now_ - it->second <= window) {
        add(out, sys, q, site, c.dataset, Status::Pass, "", fmt::format("{} seen within {}", c.dataset, human(window)));
        continue;
      }
      bool site_heard = false;
      for (const auto* s : site_sensors_at(site)) site_heard = site_heard || heard_within(s->id, window);
      if (!site_heard || now_ - ev_.observing_since < window)
        add(out, sys, q, site, c.dataset, Status::NotAssessable, "",
            fmt::format("no sensor of the site heard within {}", human(window)));
      else
        add(out, sys, q, site, c.dataset, Status::Fail, "soc.logsource.silent",
            fmt::format("no {} event from the site within {}", c.dataset, human(window)));
    }
  }

  void assessment(const System& sys, const Requirement& q, int64_t interval_days, std::vector<Finding>& out) {
    if (!sys.last_assessment) {
      add(out, sys, q, "", "", Status::NotAssessable, "", "no assessment recorded");
      return;
    }
    const int64_t age = (today_ - *sys.last_assessment).count();
    if (age <= interval_days)
      add(out, sys, q, "", "", Status::Pass, "",
          fmt::format("assessed on {}, {} days ago", format_date(*sys.last_assessment), age));
    else
      add(out, sys, q, "", "", Status::Fail, "soc.assessment.overdue",
          fmt::format("assessed on {}, {} days ago, more than {}", format_date(*sys.last_assessment), age,
                      interval_days));
  }

  void certificate(const System& sys, const Requirement& q, const Check& c, int64_t min_days,
                   std::vector<Finding>& out) {
    bool any_asset = false;
    for (const auto& site : sys.sites) {
      for (const auto* ap : assets_at(site, c.asset_kind)) {
        const Asset& a = *ap;
        any_asset = true;
        auto it = ev_.certificate_not_after.find(a.id);
        if (it == ev_.certificate_not_after.end()) {
          add(out, sys, q, site, a.id, Status::NotAssessable, "", "no certificate seen");
          continue;
        }
        const auto left = it->second - now_;
        if (left >= days(min_days))
          add(out, sys, q, site, a.id, Status::Pass, "",
              fmt::format("certificate valid until {}", format_rfc3339(it->second)));
        else
          add(out, sys, q, site, a.id, Status::Fail, "soc.certificate.expiring",
              fmt::format("certificate {} {}, less than {} days from now", left.count() < 0 ? "expired" : "expires",
                          format_rfc3339(it->second), min_days));
      }
    }
    if (!any_asset)
      add(out, sys, q, "", c.asset_kind, Status::NotAssessable, "",
          fmt::format("no {} at the system's sites to check", c.asset_kind));
  }

  // A waiver applies through its expires day; it turns what does not pass into "waived". Of
  // several in force, the one that lasts longest is named.
  void apply_waiver(const System& sys, const Requirement& q, std::vector<Finding>& out, size_t first) {
    auto it = waivers_.find({sys.id, q.id});
    if (it == waivers_.end()) return;
    const Waiver* waiver = nullptr;
    for (const auto* w : it->second)
      if (today_ <= w->expires && (!waiver || w->expires >= waiver->expires)) waiver = w;
    if (!waiver) return;
    for (size_t i = first; i < out.size(); ++i) {
      Finding& f = out[i];
      if (f.status == Status::Pass) continue;
      f.status = Status::Waived;
      f.rule_id.clear();
      f.detail += fmt::format(" (waived until {} by {})", format_date(waiver->expires), waiver->approved_by);
    }
  }

  // Site and kind (or system and requirement): views of the inventory's strings.
  using Key = std::pair<std::string_view, std::string_view>;
  struct KeyHash {
    size_t operator()(const Key& k) const {
      const size_t h = std::hash<std::string_view>()(k.first);
      return h ^ (std::hash<std::string_view>()(k.second) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
    }
  };
  template <typename T>
  using Index = std::unordered_map<Key, std::vector<const T*>, KeyHash>;

  template <typename T>
  static const std::vector<const T*>& lookup(const Index<T>& index, std::string_view a, std::string_view b) {
    static const std::vector<const T*> none;
    auto it = index.find({a, b});
    return it == index.end() ? none : it->second;
  }
  const std::vector<const Asset*>& assets_at(const std::string& site, const std::string& kind) const {
    return lookup(assets_, site, kind);
  }
  const std::vector<const Sensor*>& sensors_at(const std::string& site, const std::string& kind) const {
    return lookup(sensors_, site, kind);
  }
  const std::vector<const Sensor*>& site_sensors_at(const std::string& site) const {
    static const std::vector<const Sensor*> none;
    auto it = site_sensors_.find(site);
    return it == site_sensors_.end() ? none : it->second;
  }

  const Evidence& ev_;
  Index<Asset> assets_;
  Index<Sensor> sensors_;
  Index<Waiver> waivers_;
  std::unordered_map<std::string_view, std::vector<const Sensor*>> site_sensors_;
  Timestamp now_;
  Date today_;
};

}  // namespace

std::string_view to_string(Status s) {
  switch (s) {
    case Status::Pass:
      return "pass";
    case Status::Fail:
      return "fail";
    case Status::Partial:
      return "partial";
    case Status::Waived:
      return "waived";
    case Status::NotAssessable:
      return "not_assessable";
  }
  return "not_assessable";
}

std::vector<Finding> evaluate(const Inventory& inv, const Baseline& baseline, const Evidence& evidence, Timestamp now) {
  std::vector<Finding> out;
  Evaluator e(inv, evidence, now);
  for (const auto& sys : inv.systems)
    for (const auto& q : baseline.requirements)
      if (q.applies_at(sys.level)) e.run(sys, q, out);
  return out;
}

Status requirement_status(const std::vector<Finding>& findings, std::string_view system, std::string_view requirement) {
  bool any = false;
  Status worst = Status::Pass;
  for (const auto& f : findings) {
    if (f.system != system || f.requirement != requirement) continue;
    if (!any || severity(f.status) > severity(worst)) worst = f.status;
    any = true;
  }
  return any ? worst : Status::NotAssessable;
}

}  // namespace soc::daemon::inventory

namespace soc::daemon::inventory {

std::vector<RequirementStatus> requirement_statuses(const std::vector<Finding>& findings) {
  std::vector<RequirementStatus> out;
  std::unordered_map<std::string, size_t> index;  // "system\0requirement" -> position in out
  std::string key;
  for (const auto& f : findings) {
    // evaluate() groups a pair's findings together: most findings extend the last entry.
    if (!out.empty() && out.back().system == f.system && out.back().requirement == f.requirement) {
      if (severity(f.status) > severity(out.back().status)) out.back().status = f.status;
      continue;
    }
    key.assign(f.system).push_back('\0');
    key += f.requirement;
    auto [it, fresh] = index.emplace(key, out.size());
    if (fresh)
      out.push_back({f.system, f.requirement, f.status});
    else if (severity(f.status) > severity(out[it->second].status))
      out[it->second].status = f.status;
  }
  return out;
}

}  // namespace soc::daemon::inventory
