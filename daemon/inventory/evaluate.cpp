#include "daemon/inventory/evaluate.h"

#include <fmt/core.h>

#include <string_view>
#include <unordered_map>

#include "daemon/inventory/reason.h"

namespace soc::daemon::inventory {

namespace {

using std::chrono::days;
using std::chrono::floor;

// "1, 2, 3" or "3-5": the levels a requirement applies at, for the not_applicable reason.
std::string levels_text(const Requirement& q) {
  std::vector<int> levels;
  for (int l = 1; l <= 5; ++l)
    if (q.applies_at(l)) levels.push_back(l);
  if (levels.empty()) return "none";
  bool consecutive = levels.size() > 2;
  for (size_t i = 1; i < levels.size(); ++i) consecutive = consecutive && levels[i] == levels[i - 1] + 1;
  if (consecutive) return fmt::format("{}-{}", levels.front(), levels.back());
  std::string out;
  for (int l : levels) out += (out.empty() ? "" : ", ") + std::to_string(l);
  return out;
}

class Evaluator {
 public:
  // Indexes assets and sensors by site and kind, and waivers by system and requirement, once: a
  // system may span thousands of sites, and a scan of every asset per site (or of every waiver
  // per requirement) would be quadratic in the size of the province. "Today" is the day in the
  // inventory's time zone (inventory.h).
  Evaluator(const Inventory& inv, const Evidence& ev, Timestamp now)
      : ev_(ev), now_(now), offset_(inv.utc_offset), today_(local_day(now, inv.utc_offset)) {
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
    if (!q.applies_at(level)) {
      ReasonValues v;
      v.text = levels_text(q);
      v.level = level;
      Finding& f =
          add(out, sys, q, "", "", Status::NotApplicable, "", Reason::NotApplicable, std::move(v), Source::Baseline);
      f.detail = describe(f, Language::En, offset_);
      return;
    }
    if (!q.check) {
      ReasonValues v;
      v.text = q.manual;
      add(out, sys, q, "", "", Status::NotAssessable, "", Reason::Manual, std::move(v), Source::Manual);
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
    for (size_t i = first; i < out.size(); ++i) out[i].detail = describe(out[i], Language::En, offset_);
  }

 private:
  // Appends a finding; `observed_at` and `valid_until` are set by the caller on the result.
  static Finding& add(std::vector<Finding>& out, const System& sys, const Requirement& q, std::string site,
                      std::string subject, Status status, std::string rule_id, Reason reason, ReasonValues values,
                      Source source) {
    Finding& f = out.emplace_back();
    f.system = sys.id;
    f.requirement = q.id;
    f.site = std::move(site);
    f.subject = std::move(subject);
    f.status = status;
    f.rule_id = std::move(rule_id);
    f.reason = reason;
    f.values = std::move(values);
    f.source = source;
    return f;
  }

  static ReasonValues with_kind(std::string kind) {
    ReasonValues v;
    v.kind = std::move(kind);
    return v;
  }
  static ReasonValues with_window(std::chrono::seconds window, std::string name = {}, std::string kind = {}) {
    ReasonValues v;
    v.window = window;
    v.name = std::move(name);
    v.kind = std::move(kind);
    return v;
  }

  void asset_present(const System& sys, const Requirement& q, const Check& c, std::vector<Finding>& out) {
    for (const auto& site : sys.sites) {
      ReasonValues v = with_kind(c.asset_kind);
      v.count = static_cast<int64_t>(assets_at(site, c.asset_kind).size());
      v.required = c.min_count;
      const bool enough = v.count >= c.min_count;
      add(out, sys, q, site, c.asset_kind, enough ? Status::Met : Status::NotMet,
          enough ? "" : "soc.equipment.missing", Reason::AssetCount, std::move(v), Source::Inventory);
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
        any_asset = true;
        const License* worst = nullptr;
        Status status = Status::Met;
        std::string rule;
        Reason reason = Reason::LicenseValid;
        int64_t worst_left = 0;
        for (const auto& l : ap->licenses) {
          if (!c.license_kind.empty() && l.kind != c.license_kind) continue;
          const int64_t left = (l.expires - today_).count();
          Status s = Status::Met;
          std::string r;
          Reason why = Reason::LicenseValid;
          if (left < 0) {
            s = Status::NotMet;
            r = "soc.license.expired";
            why = Reason::LicenseExpired;
          } else if (l.temporary) {
            s = Status::PartiallyMet;
            r = left < warn_days ? "soc.license.expiring" : "";
            why = Reason::LicenseTemporary;
          } else if (left < warn_days) {
            r = "soc.license.expiring";
            why = Reason::LicenseExpiring;
          }
          // The worst license decides; among equals, the first one written (a warning first).
          if (!worst || severity(s) > severity(status) || (severity(s) == severity(status) && rule.empty() && !r.empty())) {
            worst = &l;
            status = s;
            rule = r;
            reason = why;
            worst_left = left;
          }
        }
        if (!worst) {
          add(out, sys, q, site, ap->id, Status::NotAssessable, "", Reason::NoLicense, with_kind(c.license_kind),
              Source::Inventory);
          continue;
        }
        ReasonValues v = with_kind(worst->kind);
        v.date = worst->expires;
        v.days = worst_left;
        Finding& f = add(out, sys, q, site, ap->id, status, rule, reason, std::move(v),
                         worst->read_at ? Source::Collector : Source::Inventory);
        f.observed_at = worst->read_at;
        if (status != Status::NotMet) f.valid_until = worst->until ? *worst->until : end_of_day(worst->expires, offset_);
      }
    }
    if (!any_asset)
      add(out, sys, q, "", c.asset_kind, Status::NotAssessable, "", Reason::NoAssetToCheck, with_kind(c.asset_kind),
          Source::Inventory);
  }

  // The last arrival of `sensor` in the period (at or after observing_since), if any.
  std::optional<Timestamp> last_seen(const std::string& sensor) const {
    auto it = ev_.sensor_last_seen.find(sensor);
    if (it == ev_.sensor_last_seen.end() || it->second < ev_.observing_since) return std::nullopt;
    return it->second;
  }
  bool heard_within(const std::string& sensor, std::chrono::seconds window) const {
    const auto t = last_seen(sensor);
    return t && now_ - *t <= window;
  }

  // Met while a sensor of the kind at the site is heard within the window. Heard in the period
  // and silent since: not met (the blind spot is the finding). Never heard in the period: not
  // assessable (nothing shows it ever ran), with the alert soc.sensor.silent once a whole window
  // has been observed, so that a sensor that never reports is still reported.
  void sensor_reporting(const System& sys, const Requirement& q, const Check& c, std::chrono::seconds window,
                        std::vector<Finding>& out) {
    for (const auto& site : sys.sites) {
      const auto& sensors = sensors_at(site, c.sensor_kind);
      if (sensors.empty()) {
        add(out, sys, q, site, c.sensor_kind, Status::NotMet, "soc.equipment.missing", Reason::NoSensor,
            with_kind(c.sensor_kind), Source::Inventory);
        continue;
      }
      const Sensor* up = nullptr;
      std::optional<Timestamp> latest;
      for (const auto* s : sensors) {
        if (!up && heard_within(s->id, window)) up = s;
        if (const auto t = last_seen(s->id); t && (!latest || *t > *latest)) latest = t;
      }
      // The subject is always the site's first sensor of the kind, whichever is heard, so that
      // the finding keeps its identity (tracker.h) when another sensor of the site takes over.
      const std::string& subject = sensors[0]->id;
      if (up) {
        Finding& f = add(out, sys, q, site, subject, Status::Met, "", Reason::SensorHeard, with_window(window, up->id),
                         Source::Sensor);
        f.observed_at = last_seen(up->id);
        f.valid_until = *f.observed_at + window;
      } else if (latest) {
        Finding& f = add(out, sys, q, site, subject, Status::NotMet, "soc.sensor.silent", Reason::SensorSilent,
                         with_window(window, "", c.sensor_kind), Source::Sensor);
        f.observed_at = latest;
      } else if (now_ - ev_.observing_since < window) {
        add(out, sys, q, site, subject, Status::NotAssessable, "", Reason::SensorNotHeardYet, with_window(window),
            Source::Correlator);
      } else {
        ReasonValues v = with_kind(c.sensor_kind);
        v.instant = ev_.observing_since;
        add(out, sys, q, site, subject, Status::NotAssessable, "soc.sensor.silent", Reason::SensorNeverHeard,
            std::move(v), Source::Correlator);
      }
    }
  }

  // A dataset that does not arrive is a finding only when the site's sensors are heard: if they
  // are silent too, the evidence is stale and the source cannot be judged.
  void log_source(const System& sys, const Requirement& q, const Check& c, std::chrono::seconds window,
                  std::vector<Finding>& out) {
    for (const auto& site : sys.sites) {
      std::optional<Timestamp> seen;
      if (auto it = ev_.dataset_last_seen.find({site, c.dataset});
          it != ev_.dataset_last_seen.end() && it->second >= ev_.observing_since)
        seen = it->second;
      if (seen && now_ - *seen <= window) {
        Finding& f = add(out, sys, q, site, c.dataset, Status::Met, "", Reason::LogSourceSeen,
                         with_window(window, c.dataset), Source::Sensor);
        f.observed_at = seen;
        f.valid_until = *seen + window;
        continue;
      }
      bool site_heard = false;
      for (const auto* s : site_sensors_at(site)) site_heard = site_heard || heard_within(s->id, window);
      Finding* f = nullptr;
      if (!site_heard)
        f = &add(out, sys, q, site, c.dataset, Status::NotAssessable, "", Reason::LogSourceUnjudged,
                 with_window(window), Source::Sensor);
      else if (now_ - ev_.observing_since < window)
        f = &add(out, sys, q, site, c.dataset, Status::NotAssessable, "", Reason::SensorNotHeardYet,
                 with_window(window), Source::Correlator);
      else
        f = &add(out, sys, q, site, c.dataset, Status::NotMet, "soc.logsource.silent", Reason::LogSourceSilent,
                 with_window(window, c.dataset), Source::Sensor);
      f->observed_at = seen;
    }
  }

  void assessment(const System& sys, const Requirement& q, int64_t interval_days, std::vector<Finding>& out) {
    if (!sys.last_assessment) {
      add(out, sys, q, "", "", Status::NotAssessable, "", Reason::NeverAssessed, {}, Source::Inventory);
      return;
    }
    ReasonValues v;
    v.date = *sys.last_assessment;
    v.days = (today_ - *sys.last_assessment).count();
    v.required = interval_days;
    const bool recent = v.days <= interval_days;
    Finding& f = add(out, sys, q, "", "", recent ? Status::Met : Status::NotMet, recent ? "" : "soc.assessment.overdue",
                     recent ? Reason::Assessed : Reason::AssessmentOverdue, std::move(v), Source::Inventory);
    f.observed_at = Timestamp(*sys.last_assessment) - offset_;  // the start of that day, there
    if (recent) f.valid_until = end_of_day(*sys.last_assessment + days(interval_days), offset_);
  }

  void certificate(const System& sys, const Requirement& q, const Check& c, int64_t min_days,
                   std::vector<Finding>& out) {
    bool any_asset = false;
    for (const auto& site : sys.sites) {
      for (const auto* ap : assets_at(site, c.asset_kind)) {
        any_asset = true;
        auto it = ev_.certificates.find(ap->id);
        if (it == ev_.certificates.end()) {
          add(out, sys, q, site, ap->id, Status::NotAssessable, "", Reason::NoCertificate, {}, Source::Collector);
          continue;
        }
        const CertificateReading& cert = it->second;
        const auto left = cert.not_after - now_;
        ReasonValues v;
        v.instant = cert.not_after;
        v.required = min_days;
        v.days = floor<days>(left).count();
        const bool enough = left >= days(min_days);
        Finding& f = add(out, sys, q, site, ap->id, enough ? Status::Met : Status::NotMet,
                         enough ? "" : "soc.certificate.expiring",
                         enough ? Reason::CertificateValid : Reason::CertificateExpiring, std::move(v),
                         Source::Collector);
        f.observed_at = cert.read_at;
        if (enough) f.valid_until = cert.not_after - days(min_days);
      }
    }
    if (!any_asset)
      add(out, sys, q, "", c.asset_kind, Status::NotAssessable, "", Reason::NoAssetToCheck, with_kind(c.asset_kind),
          Source::Inventory);
  }

  // A waiver applies through its expires day; it turns what is not met into "waived". Of
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
      if (f.status == Status::Met) continue;
      f.status = Status::Waived;
      f.rule_id.clear();
      f.waiver = AppliedWaiver{waiver->expires, waiver->approved_by, waiver->reason};
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
  std::chrono::minutes offset_;
  Date today_;
};

}  // namespace

std::string_view to_string(Status s) { return kStatusWords[static_cast<size_t>(s)]; }

std::optional<Status> parse_status(std::string_view word) {
  for (size_t i = 0; i < kStatusWords.size(); ++i)
    if (kStatusWords[i] == word) return static_cast<Status>(i);
  return std::nullopt;
}

int severity(Status s) {
  switch (s) {
    case Status::NotApplicable:
      return 0;
    case Status::Met:
      return 1;
    case Status::Waived:
      return 2;
    case Status::PartiallyMet:
      return 3;
    case Status::NotAssessable:
      return 4;
    case Status::NotMet:
      return 5;
  }
  return 5;
}

std::string_view to_string(Reason r) { return kReasonCodes[static_cast<size_t>(r)]; }

std::optional<Reason> parse_reason(std::string_view code) {
  for (size_t i = 0; i < kReasonCodes.size(); ++i)
    if (kReasonCodes[i] == code) return static_cast<Reason>(i);
  return std::nullopt;
}

std::string_view to_string(Source s) { return kSourceWords[static_cast<size_t>(s)]; }

std::optional<Source> parse_source(std::string_view word) {
  for (size_t i = 0; i < kSourceWords.size(); ++i)
    if (kSourceWords[i] == word) return static_cast<Source>(i);
  return std::nullopt;
}

std::vector<Finding> evaluate(const Inventory& inv, const Baseline& baseline, const Evidence& evidence, Timestamp now) {
  std::vector<Finding> out;
  // At least one finding per system, requirement and site: growing a vector of findings of a
  // country copies them many times over.
  size_t sites = 0;
  for (const auto& sys : inv.systems) sites += sys.sites.size();
  out.reserve(sites * baseline.requirements.size());
  Evaluator e(inv, evidence, now);
  for (const auto& sys : inv.systems)
    for (const auto& q : baseline.requirements) e.run(sys, q, out);
  return out;
}

Status requirement_status(const std::vector<Finding>& findings, std::string_view system, std::string_view requirement) {
  bool any = false;
  Status worst = Status::Met;
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
