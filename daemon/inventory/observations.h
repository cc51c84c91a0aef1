// The baseline's evidence as the correlator learns it from the events it accepts: which sensor
// was heard when, which log source arrived from which site, what the collectors read (TLS
// certificates, device licenses, TCP probes). One implementation for the live correlator
// (BaselineMonitor, docs/adr/0017) and the offline report (socctl report --events, the
// correlator's --events-out replayed), so that the same events give the same evidence and the
// same statuses (docs/adr/0025-compliance-report.md).
//
// Evidence is timed by arrival at the correlator: event.ingested, which ingest stamps on every
// accepted event and heartbeat (arrival_of()); the live monitor falls back to its clock for an
// event without one. A sensor that empties its spool after an outage is alive now.
//
// Not thread-safe: one owner (the correlator's ingest thread, or the report builder).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/event.h"
#include "daemon/inventory/baseline.h"
#include "daemon/inventory/evaluate.h"
#include "daemon/inventory/inventory.h"

namespace soc::daemon::inventory {

// What a collector event told, for the live monitor's metrics.
struct Reading {
  enum class Kind {
    None,                // not a collector reading, or one without the fields it needs (ignored)
    Certificate,         // a TLS certificate of `target` (asset when matched, site)
    CertificateRefused,  // a new target beyond Observations::Limits::max_certificates
    License,             // a device license of `asset`
    LicenseUnmatched,    // a license reading that names no inventory asset
    Reachability,        // a TCP probe of `asset`: `reachable`
  };
  Kind kind = Kind::None;
  std::string target;  // certificate: HOST:PORT[/SNI], as the collector is told it; unmatched license: what it named
  std::string site;    // certificate: the matched asset's site, else the collector's
  const Asset* asset = nullptr;
  Timestamp not_after{};
  bool reachable = false;
};

struct ObservationLimits {
  size_t max_certificates = 1024;      // certificate targets tracked; more are refused
  size_t max_licenses_per_asset = 32;  // license names read per asset; more are ignored
};

class Observations {
 public:
  using Limits = ObservationLimits;
  Observations() = default;
  explicit Observations(Limits limits) : limits_(limits) {}
  // Copies are independent (the housekeeping thread evaluates a copy taken on the ingest thread).

  // Indexes the inventory and the baseline (assets by id and address, the datasets the baseline
  // checks: the only ones recorded). Called at load and on every reload; what was observed stays.
  // Both must stay alive until the next bind().
  void bind(std::shared_ptr<const Inventory> inventory, std::shared_ptr<const Baseline> baseline);

  // The arrival time the correlator stamped (event.ingested), if the event carries one.
  static std::optional<Timestamp> arrival_of(const Event& e);

  // An accepted event, already enriched (Enricher), that arrived at `arrival`.
  Reading observe(const Event& e, Timestamp arrival);
  // A heartbeat of `sensor` that arrived at `arrival`.
  void heartbeat(std::string_view sensor, Timestamp arrival);
  void set_observing_since(Timestamp t) { evidence_.observing_since = t; }

  // The evidence for evaluate(): certificates folded per asset (the earliest not_after).
  const Evidence& evidence();
  // The inventory as evaluated: a license a device reports replaces the declared licenses of its
  // kind on that asset (kinds it did not report keep their declared dates). docs/adr/0017.
  std::shared_ptr<const Inventory> effective_inventory();
  // True when effective_inventory() changed since the last call of this function.
  bool take_inventory_changed();

  // The license kind (inventory vocabulary) a vendor's license name stands for (docs/adr/0017).
  static std::string license_kind_of(std::string_view name);

  // The readings as recorded, for the correlator's snapshot (daemon/baseline_snapshot.cpp,
  // docs/adr/0030): kept across a restart, put back with restore().
  struct DeviceLicense {
    std::string kind, status;
    std::optional<Timestamp> expires;
    bool temporary = false;
    Timestamp read_at{};
  };
  struct Certificate {
    Timestamp not_after{}, read_at{};
    std::string site, asset;
  };
  using Certificates = std::map<std::string, Certificate>;                              // by target
  using DeviceLicenses = std::map<std::string, std::map<std::string, DeviceLicense>>;  // asset id -> name ->
  // observing_since, sensor_last_seen and dataset_last_seen (certificates are in certificates()).
  const Evidence& recorded() const { return evidence_; }
  const Certificates& certificates() const { return certificates_; }
  const DeviceLicenses& device_licenses() const { return device_licenses_; }
  // Merges what a snapshot kept with what was observed since: the earliest observing_since, the
  // latest reading of each item. Only what the bound inventory and baseline can use comes back
  // (datasets a check names, licenses of known assets), within the limits.
  struct Restored {
    size_t sensors = 0, datasets = 0, licenses = 0, certificates = 0;
  };
  Restored restore(const Evidence& recorded, const Certificates& certificates, const DeviceLicenses& licenses);

 private:
  Reading observe_certificate(const Event& e, Timestamp arrival);
  Reading observe_license(const Event& e, Timestamp arrival);
  Reading observe_reachability(const Event& e) const;
  const Asset* match_asset(const Event& e, std::initializer_list<std::string_view> hosts,
                           std::optional<int64_t> port) const;

  Limits limits_;
  std::shared_ptr<const Inventory> inventory_;
  std::shared_ptr<const Baseline> baseline_;
  std::set<std::string, std::less<>> datasets_;
  std::unordered_map<std::string, const Asset*> assets_by_id_;
  std::multimap<std::string, std::pair<const Asset*, std::optional<int64_t>>> assets_by_host_;

  // The sensor of the previous event and its slot in evidence_ (node-based map: stable). A copy
  // or a move starts without it: the slot would point into the other object's evidence.
  struct SensorSlot {
    std::string sensor;
    Timestamp* seen = nullptr;
    SensorSlot() = default;
    SensorSlot(const SensorSlot&) {}
    SensorSlot(SensorSlot&&) noexcept {}
    SensorSlot& operator=(const SensorSlot& other) { return &other == this ? *this : reset(); }
    SensorSlot& operator=(SensorSlot&&) noexcept { return reset(); }
    SensorSlot& reset() {
      sensor.clear();
      seen = nullptr;
      return *this;
    }
  };

  Evidence evidence_;
  SensorSlot last_sensor_;
  Certificates certificates_;
  DeviceLicenses device_licenses_;
  bool certificates_dirty_ = true;
  std::shared_ptr<const Inventory> effective_;
  bool effective_dirty_ = true;
  bool inventory_changed_ = true;
};

}  // namespace soc::daemon::inventory
