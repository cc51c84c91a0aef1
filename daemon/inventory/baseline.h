// The baseline: what each security level (1-5) requires of an information system, and for each
// requirement the automatic check the correlator can run. Plain data, no YAML; loader.h reads
// baseline.yaml. The values per level are data so that they can be corrected when the official
// texts (Decree 331/2026, TCVN 14423:2026) are checked, without touching code.
//
// A Baseline returned by a successful load satisfies: requirement ids are unique, levels are
// 1-5, and every parameter of a check has a value at every level the requirement applies to.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/inventory/inventory.h"

namespace soc::daemon::inventory {

// A parameter that may differ per level: index 0 is level 1. Written in YAML either as one value
// for every level (`warn_days: 60`) or as a map (`interval_days: {1: 730, 3: 365, 5: 182}`).
template <typename T>
using PerLevel = std::array<std::optional<T>, 5>;

// The check vocabulary (docs/adr/0009-inventory-and-baseline.md), evaluated per system and per
// site of the system:
enum class CheckKind {
  AssetPresent,      // asset_present: at least min_count assets of asset_kind at each site
  LicenseValid,      // license_valid: every license (of license_kind, if given) of every asset of
                     // asset_kind at each site is valid for warn_days more days; temporary = partial
  SensorReporting,   // sensor_reporting: a sensor of sensor_kind at each site was heard within window
  LogSource,         // log_source: an event of event.dataset `dataset` from each site within window
  AssessmentRecent,  // assessment_recent: last_assessment is not older than interval_days
  CertificateValid,  // certificate_valid: the TLS certificate of each asset of asset_kind is valid
                     // for min_days more days
};
inline constexpr std::array<std::string_view, 6> kCheckKinds = {
    "asset_present", "license_valid", "sensor_reporting", "log_source", "assessment_recent", "certificate_valid"};
std::string_view to_string(CheckKind k);

struct Check {
  CheckKind kind = CheckKind::AssetPresent;
  std::string asset_kind;    // AssetPresent, LicenseValid, CertificateValid
  std::string license_kind;  // LicenseValid; empty: every license of the asset
  std::string sensor_kind;   // SensorReporting
  std::string dataset;       // LogSource
  int64_t min_count = 1;     // AssetPresent
  PerLevel<int64_t> days;    // LicenseValid warn_days, AssessmentRecent interval_days, CertificateValid min_days
  PerLevel<std::chrono::seconds> window;  // SensorReporting, LogSource
};

struct Requirement {
  std::string id;        // e.g. AST-03; referenced by waivers
  std::string title_vi;  // Vietnamese, as in the reports for auditors
  std::string title_en;
  std::string reference;         // legal reference, e.g. "TCVN 14423:2026 x.12.2.2; Decree 331/2026 Art. 28"
  std::string group;             // optional
  std::string manual;            // optional: the artefact an auditor must be shown
  std::string source;            // optional: how the requirement is sourced (decree, standard, [ENG])
  std::string legacy;            // optional: where the topic sat under TCVN 11930:2017 / Circular 12/2022
  std::array<bool, 5> levels{};  // levels[0]: applies at level 1
  std::optional<Check> check;    // absent: manual only, never assessed automatically
  Position at;

  bool applies_at(int level) const { return level >= 1 && level <= 5 && levels[level - 1]; }
};

struct Baseline {
  std::string id;
  std::string version;
  std::vector<std::string> basis;  // the legal texts it is derived from, as written
  std::string description;
  std::vector<Requirement> requirements;

  const Requirement* find(std::string_view id) const;
};

}  // namespace soc::daemon::inventory
