// Evaluation of a baseline against an inventory, the live evidence and a clock. Pure logic:
// no I/O, no clock of its own, deterministic for given inputs, so that the date edges are tested
// and the correlator can re-run it on every tick and compare results to alert once per change.
// The correlator's metrics (soc_requirement_status) and the auditors' report (socctl report,
// GET /api/v1/compliance) are both made from its findings: one logic, one set of words
// (docs/adr/0025-compliance-report.md).
//
// Statuses (docs/adr/0009-inventory-and-baseline.md, amended by ADR 0025):
//   met             the check holds (a license inside its warning window is still met, with the
//                   alert soc.license.expiring as a warning)
//   partially_met   held only provisionally (a temporary / grace license)
//   not_met         the check does not hold, on evidence
//   not_applicable  the requirement does not apply at the system's approved level
//   not_assessable  the evidence is missing or stale (no license recorded, never assessed, no
//                   certificate seen, no sensor of the site heard in the period, the site's sensors
//                   silent, too early after start, a manual requirement): never met.
//   waived          would not be met, but an approved waiver is in force (through its expires day)
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "daemon/inventory/baseline.h"
#include "daemon/inventory/inventory.h"

namespace soc::daemon::inventory {

enum class Status { Met, PartiallyMet, NotMet, NotApplicable, NotAssessable, Waived };
// The six words, in this order: the values of soc_requirement_status's `status` label, of
// soc.finding.status in alerts, and of the report's `status`.
inline constexpr std::array<std::string_view, 6> kStatusWords = {"met",           "partially_met",  "not_met",
                                                                 "not_applicable", "not_assessable", "waived"};
std::string_view to_string(Status s);
std::optional<Status> parse_status(std::string_view word);
// Higher is worse: not_met, not_assessable, partially_met, waived, met, not_applicable. A
// requirement's status for a system is its worst finding's.
int severity(Status s);

// A TLS certificate read by a collector.
struct CertificateReading {
  Timestamp not_after{};
  Timestamp read_at{};  // arrival of the reading at the correlator
};

// What the correlator has observed. Times are arrival times at the correlator (UTC).
struct Evidence {
  // Since when the correlator has been observing (the start of the report's period): a sensor or
  // a log source that has never been heard is only "silent" once a whole window has passed since
  // then.
  Timestamp observing_since{};
  std::unordered_map<std::string, Timestamp> sensor_last_seen;                 // sensor id -> last event or heartbeat
  std::map<std::pair<std::string, std::string>, Timestamp> dataset_last_seen;  // (site id, event.dataset) -> last event
  std::unordered_map<std::string, CertificateReading> certificates;           // asset id -> its certificate (earliest)
};

// Why a finding has its status: a code and the values it names. Rendered into one sentence in
// English or Vietnamese by describe() (reason.h); Finding::detail holds the English one. The
// codes are stable: the report's JSON carries them (docs/report.md).
enum class Reason {
  NotApplicable,        // level (the system's), text (the levels it applies at)
  Manual,               // text (the artefact to show, may be empty)
  AssetCount,           // kind (asset kind), count, required
  LicenseExpired,       // kind (license kind), date
  LicenseExpiring,      // kind, date, days (left)
  LicenseTemporary,     // kind, date
  LicenseValid,         // kind, date
  NoLicense,            // kind (license kind; empty: any)
  NoAssetToCheck,       // kind (asset kind)
  NoSensor,             // kind (sensor kind)
  SensorHeard,          // name (the sensor heard), window
  SensorNotHeardYet,    // window: observing for less than a window
  SensorNeverHeard,     // kind, instant (observing since)
  SensorSilent,         // kind, window
  LogSourceSeen,        // name (dataset), window
  LogSourceSilent,      // name (dataset), window
  LogSourceUnjudged,    // window: the site's sensors are silent too
  Assessed,             // date, days (age)
  AssessmentOverdue,    // date, days (age), required (interval)
  NeverAssessed,        //
  CertificateValid,     // instant (not_after)
  CertificateExpiring,  // instant (not_after), required (min_days)
  NoCertificate,        //
};
inline constexpr std::array<std::string_view, 23> kReasonCodes = {
    "not_applicable",      "manual",           "asset_count",          "license_expired",    "license_expiring",
    "license_temporary",   "license_valid",    "no_license",           "no_asset_to_check",  "no_sensor",
    "sensor_heard",        "sensor_not_heard_yet", "sensor_never_heard", "sensor_silent",     "log_source_seen",
    "log_source_silent",   "log_source_unjudged", "assessed",          "assessment_overdue", "never_assessed",
    "certificate_valid",   "certificate_expiring", "no_certificate"};
std::string_view to_string(Reason r);
std::optional<Reason> parse_reason(std::string_view code);

// The values a reason names; which ones are set depends on the code (above).
struct ReasonValues {
  std::string kind;
  std::string name;
  std::string text;
  int64_t count = 0;
  int64_t required = 0;
  int64_t days = 0;
  int64_t level = 0;
  std::optional<Date> date;
  std::optional<std::chrono::seconds> window;
  std::optional<Timestamp> instant;
  bool operator==(const ReasonValues&) const = default;
};

// Where the evidence of a finding comes from.
enum class Source { Inventory, Sensor, Collector, Correlator, Manual, Baseline };
inline constexpr std::array<std::string_view, 6> kSourceWords = {"inventory",  "sensor", "collector",
                                                                 "correlator", "manual", "baseline"};
std::string_view to_string(Source s);
std::optional<Source> parse_source(std::string_view word);

// The waiver that turned a finding into `waived`.
struct AppliedWaiver {
  Date expires{};
  std::string approved_by;
  std::string reason;
  bool operator==(const AppliedWaiver&) const = default;
};

struct Finding {
  std::string system;
  std::string requirement;
  std::string site;     // empty for checks about the whole system (assessment, manual)
  std::string subject;  // the asset, sensor or dataset concerned; may be empty
  Status status = Status::NotAssessable;
  // The alert rule this finding raises (soc.license.expired, soc.license.expiring,
  // soc.equipment.missing, soc.sensor.silent, soc.logsource.silent, soc.assessment.overdue,
  // soc.certificate.expiring), empty when none; cleared when waived.
  std::string rule_id;
  std::string detail;  // one line for humans, in English: describe(*this, Language::En)
  // The evidence item of the report (docs/report.md): why, from where, observed when, valid until.
  Reason reason = Reason::Manual;
  ReasonValues values;
  Source source = Source::Inventory;
  std::optional<Timestamp> observed_at;  // when what decided the status was observed (arrival)
  std::optional<Timestamp> valid_until;  // after this instant the observation no longer supports the status
  std::optional<AppliedWaiver> waiver;
};

// Evaluates every requirement of `baseline` for each system: those that apply at the system's
// level at each site of the system (per asset for license and certificate checks), the others
// as one not_applicable finding. `inv` and `baseline` must satisfy the contracts of a successful
// load. Findings are ordered by system, then requirement (baseline order), then site and subject
// (inventory order).
std::vector<Finding> evaluate(const Inventory& inv, const Baseline& baseline, const Evidence& evidence, Timestamp now);

// The status of one requirement for one system over all its findings: the worst (severity());
// not_assessable when there is none.
Status requirement_status(const std::vector<Finding>& findings, std::string_view system, std::string_view requirement);

// The status of every (system, requirement) that has findings, in order of first appearance, in
// one pass. requirement_status() scans every finding on each call: called for every pair of a
// country-sized inventory it would be quadratic; this is what to export soc_requirement_status
// from.
struct RequirementStatus {
  std::string system;
  std::string requirement;
  Status status = Status::NotAssessable;
};
std::vector<RequirementStatus> requirement_statuses(const std::vector<Finding>& findings);

}  // namespace soc::daemon::inventory
