// The compliance report for auditors: per information system and baseline requirement, the
// status the baseline evaluation found (the same six words as soc_requirement_status), why, the
// evidence, coverage and waivers; open critical gaps per site; the alerts of the period; and a
// digest of the evidence. docs/report.md is the JSON schema; docs/adr/0025-compliance-report.md
// says why it is shaped so.
//
// One model for every source and format: `socctl report` builds it offline from recorded events
// (record.h) or fetches it from a running correlator (GET /api/v1/compliance, which builds it
// from the monitor's view), and writes it as JSON (json.h), HTML, CSV or PDF (socctl/report/).
// Plain data.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "daemon/inventory/evaluate.h"
#include "daemon/inventory/reason.h"

namespace soc::daemon::compliance {

using inventory::Date;
using inventory::Language;
using inventory::Status;

// Counts by status, indexed by Status.
using StatusCounts = std::array<int64_t, 6>;

struct EvidenceItem {
  std::string site;     // empty for a system-wide check
  std::string subject;  // asset, sensor, dataset or missing kind; may be empty
  Status status = Status::NotAssessable;
  std::string rule;  // the alert rule the finding raises (soc.license.expired, ...), empty when none
  inventory::Source source = inventory::Source::Inventory;
  inventory::Reason reason = inventory::Reason::Manual;
  inventory::ReasonValues values;
  std::optional<inventory::AppliedWaiver> waiver;
  std::optional<Timestamp> observed_at;
  std::optional<Timestamp> valid_until;
  std::string observed;  // the reason in words, in the report's language
};

// How many of the subjects a requirement is checked on are met: "41/44 sites".
enum class CoverageUnit { Sites, Assets, System };
inline constexpr std::array<std::string_view, 3> kCoverageUnits = {"sites", "assets", "system"};
struct Coverage {
  int64_t met = 0;
  int64_t total = 0;
  CoverageUnit unit = CoverageUnit::System;
};

struct WaiverEntry {
  std::string requirement;
  std::string reason;
  std::string approved_by;
  Date expires{};
  bool in_force = false;  // at the report's instant (through its expires day, in the inventory's zone)
};

struct RequirementResult {
  std::string id;
  std::string title_vi, title_en;
  std::string reference;  // legal reference at that level
  std::string legacy;     // the TCVN 11930:2017 / Circular 12/2022 equivalent, when given
  std::string group;
  std::string source;  // how the requirement is sourced (decree, standard, [ENG]), when given
  std::string check;   // the check kind word; empty for a manual requirement
  std::string manual;  // the artefact an auditor must be shown, when given
  Status status = Status::NotAssessable;
  std::string reason;  // one sentence, in the report's language
  Coverage coverage;
  std::optional<WaiverEntry> waiver;  // the waiver in force for this requirement, if any
  std::vector<EvidenceItem> evidence;
};

struct SiteRef {
  std::string id, name, kind;
};

struct SystemResult {
  std::string id, name, owner;
  int level = 0;
  std::optional<Date> approved, last_assessment;
  std::vector<SiteRef> sites;
  int64_t assets_in_scope = 0;  // inventory assets at the system's sites
  StatusCounts counts{};        // its requirements by status
  std::vector<RequirementResult> requirements;
  std::vector<WaiverEntry> waivers;  // every waiver of the system, in force or expired
};

// An open critical gap at a site: what an unwaived finding with one of these alerts says.
enum class GapKind { LicenseExpired, EquipmentMissing, SensorSilent, LogSourceSilent };
inline constexpr std::array<std::string_view, 4> kGapKinds = {"license_expired", "equipment_missing", "sensor_silent",
                                                              "logsource_silent"};
struct Gap {
  std::string site, site_name;
  GapKind kind = GapKind::EquipmentMissing;
  std::string subject;       // the asset, sensor, dataset or missing kind
  std::string subject_kind;  // the asset's kind, when the subject is an asset
  std::string observed;      // the first finding's reason, in the report's language
  std::vector<std::string> systems;
  std::vector<std::string> requirements;
};

// Alerts of the period (their @timestamp from `from` to `to`), by severity (1 informational ..
// 5 critical), by site and by rule.
struct AlertsSummary {
  bool available = false;
  std::string note;  // why not available, when not
  int64_t total = 0;
  std::array<int64_t, 5> by_severity{};
  struct Site {
    std::string site;  // empty: alerts without a site
    std::array<int64_t, 5> by_severity{};
    int64_t total = 0;
  };
  std::vector<Site> by_site;  // by site id
  struct Rule {
    std::string id, name;
    int64_t severity = 0;  // the highest seen
    int64_t count = 0;
  };
  std::vector<Rule> by_rule;  // most frequent first, then by id
};

// What the report was built from. The digest covers these.
struct EventsInput {
  int64_t files = 0;
  int64_t lines = 0;      // lines read
  int64_t used = 0;       // in the period and decoded: evidence, heartbeats and alerts
  int64_t malformed = 0;  // refused by the decoder (each reported with file:line:column)
  int64_t outside = 0;    // arrived before `from` or after `to`
  std::string sha256;     // of the used lines (docs/report.md, "Digest")
};
struct Inputs {
  std::string inventory_sha256, baseline_sha256;  // of the files' bytes
  std::optional<EventsInput> events;             // absent for a live report (the correlator's own evidence)
};

struct Report {
  Language lang = Language::Vi;
  Timestamp from{}, to{};  // the period; `to` is the instant the statuses are evaluated at (--at)
  std::string generator;   // "socctl" or "soc-correlator"
  std::string version;     // the generator's version
  std::string source;      // "events" (recorded events) or "live" (a correlator's evidence)
  std::string baseline_id, baseline_version, baseline_description;
  std::vector<std::string> basis;
  std::chrono::minutes utc_offset{0};  // the inventory's time zone
  int64_t sites = 0, systems_count = 0, assets = 0, sensors = 0;  // the inventory's size
  Inputs inputs;
  StatusCounts summary{};  // every (system, requirement) by status
  std::vector<SystemResult> systems;
  std::vector<Gap> gaps;
  AlertsSummary alerts;
  std::string digest;  // SHA-256, lower-case hex (digest.h)
};

std::string_view to_string(CoverageUnit u);
std::string_view to_string(GapKind g);
std::string_view severity_word(int64_t severity);  // 1 informational .. 5 critical

}  // namespace soc::daemon::compliance
