// The sites as the analyst console shows them (docs/api.md, "Sites"): per site of the inventory
// its level, its sensors (heard or silent, last seen), its equipment gaps, its licenses, its
// assets and the status of every baseline requirement there. Pure: built from the inventory,
// the baseline, the latest findings and the sensors' last-seen times, with no clock of its own,
// so that the correlator builds one after each evaluation (its main loop) and the HTTP workers
// read that immutable snapshot (ADR 0019: handlers never touch the ingest thread's state).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "daemon/inventory/baseline.h"
#include "daemon/inventory/evaluate.h"
#include "daemon/inventory/inventory.h"

namespace soc::daemon::sites {

// A license's state on the day of the view: "expired" (past its expires day), "expiring"
// (within the baseline's warning days, 60 without a license_valid check), "temporary" (a loan
// or grace period still running), "valid".
struct LicenseView {
  std::string name;  // the license kind (support, signatures, ...)
  inventory::Date expires{};
  std::string status;
  // When a collector read it from the device (docs/adr/0017); nullopt: declared in the inventory
  // only. An analyst or auditor weighs a declaration differently from a reading.
  std::optional<Timestamp> read_at;
};

struct AssetView {
  std::string id, kind, vendor, model, address;
  std::vector<LicenseView> licenses;
};

struct SensorView {
  std::string id, kind;
  bool up = false;
  std::optional<Timestamp> last_seen;  // nullopt: never heard since the correlator started
};

// One (system, requirement) at one site: the worst status of its findings there (and of the
// system-wide findings, e.g. the assessment date), with the reason of that finding.
struct RequirementView {
  std::string system, requirement, title_vi, title_en;
  std::string status;  // inventory::to_string(Status)
  std::string reason;  // the finding's detail, English
};

struct SystemRef {
  std::string id, name;
  int level = 0;
};

struct SiteView {
  std::string id, name, kind;
  int level = 0;  // the highest level of the systems at the site; 0 when none
  std::vector<SystemRef> systems;
  std::vector<SensorView> sensors;
  std::vector<std::string> equipment_gaps;  // kinds the baseline requires and the site lacks
  int64_t licenses_expired = 0, licenses_expiring = 0;
  std::vector<AssetView> assets;
  std::vector<RequirementView> requirements;
};

struct SitesView {
  Timestamp evaluated_at{};
  bool baseline = false;  // requirements and gaps are known (the correlator runs with --baseline)
  std::chrono::minutes utc_offset{0};
  std::vector<SiteView> sites;  // inventory order

  const SiteView* find(std::string_view id) const;
};

struct SensorSeen {
  std::string id;
  std::optional<Timestamp> last_seen;
  bool up = false;
};

// Builds the view at `now`. `baseline` may be null (no --baseline: no requirements, no gaps).
SitesView build_view(const inventory::Inventory& inv, const inventory::Baseline* baseline,
                     const std::vector<inventory::Finding>& findings, const std::vector<SensorSeen>& sensors,
                     Timestamp now);

// The latest view, published by one thread and read by many: publish() replaces it, latest()
// returns it (null before the first publish).
class ViewSlot {
 public:
  void publish(SitesView view);
  std::shared_ptr<const SitesView> latest() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const SitesView> view_;
};

}  // namespace soc::daemon::sites
