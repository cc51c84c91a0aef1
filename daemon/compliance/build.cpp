#include "daemon/compliance/build.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "daemon/compliance/digest.h"
#include "daemon/inventory/reason.h"

namespace soc::daemon::compliance {

namespace inv = inventory;

namespace {

CoverageUnit unit_of(const inv::Requirement& q, int level) {
  if (!q.applies_at(level) || !q.check) return CoverageUnit::System;
  switch (q.check->kind) {
    case inv::CheckKind::AssetPresent:
    case inv::CheckKind::SensorReporting:
    case inv::CheckKind::LogSource:
      return CoverageUnit::Sites;
    case inv::CheckKind::LicenseValid:
    case inv::CheckKind::CertificateValid:
      return CoverageUnit::Assets;
    case inv::CheckKind::AssessmentRecent:
      return CoverageUnit::System;
  }
  return CoverageUnit::System;
}

std::string unit_words(CoverageUnit u, int64_t n, Language lang) {
  if (lang == Language::Vi) {
    switch (u) {
      case CoverageUnit::Sites: return "điểm";
      case CoverageUnit::Assets: return "tài sản";
      case CoverageUnit::System: return "hệ thống";
    }
  }
  switch (u) {
    case CoverageUnit::Sites: return n == 1 ? "site" : "sites";
    case CoverageUnit::Assets: return n == 1 ? "asset" : "assets";
    case CoverageUnit::System: return "system";
  }
  return "";
}

// Whether a finding's subject is an entity worth naming beside its site (an asset or a sensor),
// rather than the kind or dataset its reason already names.
bool names_entity(const inv::Finding& f) {
  switch (f.reason) {
    case inv::Reason::AssetCount:
    case inv::Reason::NoSensor:
    case inv::Reason::NoAssetToCheck:
    case inv::Reason::LogSourceSeen:
    case inv::Reason::LogSourceSilent:
    case inv::Reason::LogSourceUnjudged:
      return false;
    default:
      return !f.subject.empty();
  }
}

// Findings that are about no subject at all (nothing of the kind to check) do not count in
// the coverage.
bool counts_in_coverage(const inv::Finding& f) {
  return f.reason != inv::Reason::NoAssetToCheck && f.status != Status::NotApplicable;
}

EvidenceItem item_of(const inv::Finding& f, Language lang, std::chrono::minutes offset) {
  EvidenceItem e;
  e.site = f.site;
  e.subject = f.subject;
  e.status = f.status;
  e.rule = f.rule_id;
  e.source = f.source;
  e.reason = f.reason;
  e.values = f.values;
  e.waiver = f.waiver;
  e.observed_at = f.observed_at;
  e.valid_until = f.valid_until;
  e.observed = inv::describe(f, lang, offset);
  return e;
}

std::optional<GapKind> gap_kind(std::string_view rule) {
  if (rule == "soc.license.expired") return GapKind::LicenseExpired;
  if (rule == "soc.equipment.missing") return GapKind::EquipmentMissing;
  if (rule == "soc.sensor.silent") return GapKind::SensorSilent;
  if (rule == "soc.logsource.silent") return GapKind::LogSourceSilent;
  return std::nullopt;
}

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

// Open critical gaps, one per (site, kind, subject), naming every system and requirement that
// raised it; in inventory site order, then in order of appearance.
std::vector<Gap> gaps_of(const inv::Inventory& inventory, const std::vector<inv::Finding>& findings, Language lang) {
  std::unordered_map<std::string_view, size_t> site_order;
  for (size_t i = 0; i < inventory.sites.size(); ++i) site_order.emplace(inventory.sites[i].id, i);
  auto site_name = [&](const std::string& id) -> std::string {
    auto it = site_order.find(id);
    return it == site_order.end() ? "" : inventory.sites[it->second].name;
  };
  std::unordered_map<std::string_view, const inv::Asset*> assets;
  for (const auto& a : inventory.assets) assets.emplace(a.id, &a);
  std::map<std::tuple<std::string, int, std::string>, size_t> index;
  std::vector<Gap> gaps;
  for (const auto& f : findings) {
    const auto kind = gap_kind(f.rule_id);
    if (!kind || f.site.empty()) continue;
    auto [it, fresh] = index.emplace(std::make_tuple(f.site, static_cast<int>(*kind), f.subject), gaps.size());
    if (fresh) {
      Gap g;
      g.site = f.site;
      g.site_name = site_name(f.site);
      g.kind = *kind;
      g.subject = f.subject;
      if (auto a = assets.find(f.subject); a != assets.end() && *kind == GapKind::LicenseExpired)
        g.subject_kind = a->second->kind;
      g.observed = inv::describe(f, lang, inventory.utc_offset);
      gaps.push_back(std::move(g));
    }
    add_unique(gaps[it->second].systems, f.system);
    add_unique(gaps[it->second].requirements, f.requirement);
  }
  std::stable_sort(gaps.begin(), gaps.end(), [&](const Gap& a, const Gap& b) {
    const auto ia = site_order.find(a.site), ib = site_order.find(b.site);
    const size_t oa = ia == site_order.end() ? SIZE_MAX : ia->second;
    const size_t ob = ib == site_order.end() ? SIZE_MAX : ib->second;
    return oa < ob;
  });
  return gaps;
}

}  // namespace

std::string requirement_reason(Status status, const std::vector<const inv::Finding*>& findings, CoverageUnit unit,
                               Language lang, std::chrono::minutes offset) {
  if (findings.empty()) return "";
  const bool en = lang == Language::En;
  int64_t counted = 0, same = 0;
  for (const auto* f : findings) {
    if (!counts_in_coverage(*f)) continue;
    ++counted;
    same += f->status == status;
  }
  if (status == Status::Met && counted > 1)
    return en ? fmt::format("met at all {} {}", counted, unit_words(unit, counted, lang))
              : fmt::format("đáp ứng tại tất cả {} {}", counted, unit_words(unit, counted, lang));
  const inv::Finding* decisive = findings.front();
  for (const auto* f : findings)
    if (f->status == status) {
      decisive = f;
      break;
    }
  std::string out = inv::describe(*decisive, lang, offset);
  if (!decisive->site.empty())
    out += " (" + decisive->site + (names_entity(*decisive) ? ": " + decisive->subject : "") + ")";
  else if (names_entity(*decisive) && decisive->reason != inv::Reason::NoLicense)
    out += " (" + decisive->subject + ")";
  if (same > 1) {
    const int64_t more = same - 1;
    const std::string label(inv::status_label(status, lang));
    out += en ? fmt::format("; {} more {} {}", more, unit_words(unit, more, lang), inv::to_string(status))
              : fmt::format("; và {} {} khác ở trạng thái \"{}\"", more, unit_words(unit, more, lang), label);
  }
  return out;
}

Report build(const BuildInput& in) {
  const inv::Inventory& inventory = *in.inventory;
  const inv::Baseline& baseline = *in.baseline;
  const auto& findings = *in.findings;
  Report r;
  r.lang = in.lang;
  r.from = in.from;
  r.to = in.to;
  r.generator = in.generator;
  r.version = in.version;
  r.source = in.source;
  r.baseline_id = baseline.id;
  r.baseline_version = baseline.version;
  r.baseline_description = baseline.description;
  r.basis = baseline.basis;
  r.utc_offset = inventory.utc_offset;
  r.sites = static_cast<int64_t>(inventory.sites.size());
  r.systems_count = static_cast<int64_t>(inventory.systems.size());
  r.assets = static_cast<int64_t>(inventory.assets.size());
  r.sensors = static_cast<int64_t>(inventory.sensors.size());
  r.inputs = in.inputs;
  r.alerts = in.alerts;

  // The statuses: exactly what soc_requirement_status exports.
  std::unordered_map<std::string, Status> status_of;
  for (const auto& s : inv::requirement_statuses(findings)) status_of[s.system + '\0' + s.requirement] = s.status;
  // The findings of each (system, requirement), in evaluation order.
  std::unordered_map<std::string, std::vector<const inv::Finding*>> by_pair;
  for (const auto& f : findings) by_pair[f.system + '\0' + f.requirement].push_back(&f);

  std::unordered_map<std::string_view, const inv::Site*> sites;
  for (const auto& s : inventory.sites) sites.emplace(s.id, &s);
  std::unordered_map<std::string_view, int64_t> assets_at;
  for (const auto& a : inventory.assets) ++assets_at[a.site];
  const Date today = inv::local_day(in.to, inventory.utc_offset);

  for (const auto& sys : inventory.systems) {
    SystemResult s;
    s.id = sys.id;
    s.name = sys.name;
    s.owner = sys.owner;
    s.level = sys.level;
    s.approved = sys.approved;
    s.last_assessment = sys.last_assessment;
    for (const auto& id : sys.sites) {
      const inv::Site* site = sites.at(id);
      s.sites.push_back({site->id, site->name, site->kind});
      s.assets_in_scope += assets_at[id];
    }
    for (const auto& w : inventory.waivers)
      if (w.system == sys.id) s.waivers.push_back({w.requirement, w.reason, w.approved_by, w.expires, today <= w.expires});
    for (const auto& q : baseline.requirements) {
      RequirementResult rq;
      rq.id = q.id;
      rq.title_vi = q.title_vi;
      rq.title_en = q.title_en;
      rq.reference = q.reference;
      rq.legacy = q.legacy;
      rq.group = q.group;
      rq.source = q.source;
      rq.manual = q.manual;
      if (q.check) rq.check = std::string(inv::to_string(q.check->kind));
      const std::string key = sys.id + '\0' + q.id;
      auto st = status_of.find(key);
      rq.status = st == status_of.end() ? Status::NotAssessable : st->second;
      const auto& pair_findings = by_pair[key];
      rq.coverage.unit = unit_of(q, sys.level);
      for (const auto* f : pair_findings) {
        rq.evidence.push_back(item_of(*f, in.lang, inventory.utc_offset));
        if (!counts_in_coverage(*f)) continue;
        ++rq.coverage.total;
        rq.coverage.met += f->status == Status::Met;
      }
      rq.reason = requirement_reason(rq.status, pair_findings, rq.coverage.unit, in.lang, inventory.utc_offset);
      // The waiver in force that the evaluation applied (the one that lasts longest).
      for (const auto& w : s.waivers)
        if (w.requirement == q.id && w.in_force && (!rq.waiver || w.expires >= rq.waiver->expires)) rq.waiver = w;
      ++s.counts[static_cast<size_t>(rq.status)];
      ++r.summary[static_cast<size_t>(rq.status)];
      s.requirements.push_back(std::move(rq));
    }
    r.systems.push_back(std::move(s));
  }
  r.gaps = gaps_of(inventory, findings, in.lang);
  r.digest = compute_digest(r);
  return r;
}

std::string_view to_string(CoverageUnit u) { return kCoverageUnits[static_cast<size_t>(u)]; }
std::string_view to_string(GapKind g) { return kGapKinds[static_cast<size_t>(g)]; }

std::string_view severity_word(int64_t severity) {
  static constexpr std::array<std::string_view, 5> kWords = {"informational", "low", "medium", "high", "critical"};
  if (severity < 1 || severity > 5) return "unknown";
  return kWords[static_cast<size_t>(severity - 1)];
}

}  // namespace soc::daemon::compliance
