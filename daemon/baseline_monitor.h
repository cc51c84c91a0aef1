// The inventory and the baseline, live in the correlator (docs/adr/0017): a pipeline stage that
// enriches every accepted event from the inventory (daemon/inventory/enrich.h) and records the
// evidence the baseline needs (which sensor was heard when, which log source arrived from which
// site, what the collectors read: TLS certificates, device licenses), and an evaluation re-run on
// a tick that raises the findings' alerts through the one alert path (AlertOutput), once per
// state change (inventory::FindingTracker), resolves a finding's alert when the finding clears,
// and exports them as metrics:
//
//   soc_license_expiry_timestamp_seconds{asset,site,license}   when each license stops being valid
//   soc_certificate_expiry_timestamp_seconds{target,site}       not_after of each certificate probed
//   soc_requirement_status{system,requirement,status}           1 for the current status, 0 for the others
//   soc_site_equipment_gaps{site}                               equipment or sensor kinds missing at a site
//   soc_sensor_up{sensor,site}                                  1 while an inventory sensor is heard
//   soc_asset_reachable{asset,site}                             the last TCP probe of an asset (collector.tcp)
//   soc_inventory_reload_total{result}, soc_inventory_last_reload_successful
//
// Threads (docs/adr/0018 "Threads", 0030): the stage (events, heartbeats), capture(), reload()
// and the snapshot's restore() belong to the ingest thread, which owns the evidence. The
// evaluation runs elsewhere (the housekeeping thread) on an immutable copy of the evidence that
// capture() takes: evaluate(input) may be called from any thread and is serialised by its own
// mutex; its alerts go through AlertOutput, which any thread may use. Evidence is timed by
// arrival at the correlator (the clock), not by event time: a sensor that empties its spool
// after an outage is alive now even though its events are old.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/config/sensor_allowlist.h"
#include "core/result.h"
#include "daemon/alert_output.h"
#include "daemon/ingest.h"
#include "daemon/inventory/baseline.h"
#include "daemon/inventory/enrich.h"
#include "daemon/inventory/evaluate.h"
#include "daemon/inventory/inventory.h"
#include "daemon/inventory/tracker.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon {

struct BaselineMonitorOptions {
  std::string inventory_path;
  std::string baseline_path;  // empty: no evaluation (enrichment, allowlist and license metrics only)
  std::function<Timestamp()> clock = [] { return soc::now(); };
  size_t max_certificates = 1024;  // certificate targets tracked (and exported); more are logged and ignored
};

class BaselineMonitor : public Stage {
 public:
  // Loads both files. On a problem, the error's message holds every diagnostic rendered
  // (file:line:column, snippet); the correlator then exits 78. `metrics` and `alerts` must
  // outlive the monitor.
  static Result<std::unique_ptr<BaselineMonitor>> load(BaselineMonitorOptions options, telemetry::Registry& metrics,
                                                       AlertOutput& alerts);

  // Stage: enriches, then records the event as evidence.
  void on_event(Event& event) override;
  void on_heartbeat(std::string_view sensor, std::string_view site, const Event& heartbeat) override;

  struct DeviceLicense {
    std::string name, kind, status;
    std::optional<Timestamp> expires;
    bool temporary = false;
    Timestamp read_at{};
  };
  using DeviceLicenses = std::map<std::string, std::map<std::string, DeviceLicense>>;  // asset id -> name ->
  struct CertificateReading {
    std::string target, site, asset;
    Timestamp not_after{};
  };
  struct State;  // what one pair of files yields, replaced as a whole on reload
  // What an evaluation needs, copied from what the ingest thread owns: immutable once taken.
  struct EvaluationInput {
    std::shared_ptr<const State> state;
    inventory::Evidence evidence;  // certificate_not_after filled from the certificates
    std::shared_ptr<const DeviceLicenses> licenses;
    uint64_t licenses_version = 0;
    std::vector<CertificateReading> certificates;
    Timestamp now{};
  };

  // The ingest thread: a copy of the evidence as it stands, timed now.
  EvaluationInput capture() const;
  // Any thread (one evaluation at a time): raises the alerts of what changed since the last
  // evaluation and updates the metrics. Returns the number of alerts raised.
  size_t evaluate(const EvaluationInput& input);
  // Both at once, on the calling thread (tests, reload).
  size_t evaluate() { return evaluate(capture()); }

  // Snapshot (docs/adr/0030-snapshots.md): the evidence of `input` (last-seen times, device
  // licenses, certificates, since when the correlator observes) and the findings the last
  // evaluation tracked, so that a restart neither calls every sensor silent nor raises every
  // finding again. Any thread. restore() is for the ingest thread at start, before any event;
  // an error leaves the monitor as it was.
  static constexpr uint32_t kSnapshotVersion = 1;
  std::string snapshot(const EvaluationInput& input);
  Result<void> restore(std::string_view payload);
  // Reloads both files (SIGHUP). When either has a problem, logs every diagnostic, counts
  // soc_inventory_reload_total{result="failure"} and keeps the files in force; evidence survives
  // a reload either way. Evaluates at once after a successful reload.
  bool reload();

  ~BaselineMonitor() override;
  const inventory::Inventory& inventory() const;
  const inventory::Baseline& baseline() const;
  // The findings of the last evaluation: read it on the thread that evaluated, after evaluate().
  const std::vector<inventory::Finding>& findings() const { return findings_; }
  // The inventory's sensors in the allowlist's shape (the allowlist when --allow is not given).
  std::vector<config::SensorBinding> allowlist() const;

 private:
  struct Certificate {
    Timestamp not_after{};
    std::string site, asset;
    telemetry::Gauge gauge;
  };
  // Series of one gauge family that follow a set of label values: set() what exists now, then
  // sweep() removes the series not set since the previous sweep.
  class GaugeSet {
   public:
    GaugeSet(telemetry::Registry& r, std::string name, std::string help)
        : r_(r), name_(std::move(name)), help_(std::move(help)) {}
    void set(const telemetry::Labels& labels, double value);
    void sweep();

   private:
    struct Slot {
      telemetry::Gauge gauge;
      bool touched = false;
    };
    telemetry::Registry& r_;
    std::string name_, help_;
    std::map<telemetry::Labels, Slot> slots_;
  };

  BaselineMonitor(BaselineMonitorOptions options, telemetry::Registry& metrics, AlertOutput& alerts,
                  std::unique_ptr<State> state);
  static Result<std::unique_ptr<State>> load_state(const BaselineMonitorOptions& o);

  void observe_certificate(const Event& e, Timestamp now);
  void observe_license(const Event& e, Timestamp now);
  void observe_reachability(const Event& e);
  const inventory::Asset* match_asset(const Event& e, std::initializer_list<std::string_view> hosts,
                                      std::optional<int64_t> port) const;
  const inventory::Inventory& effective_inventory(const EvaluationInput& in);
  void export_licenses(const inventory::Inventory& inv, const DeviceLicenses& licenses);
  void export_sensors(const State& state, const inventory::Evidence& evidence, Timestamp now);
  void raise(const State& state, const inventory::Change& change, Timestamp now);
  Certificate* certificate_slot(const std::string& target);
  bool checks_dataset(std::string_view dataset) const;  // a log_source check names it
  bool knows_asset(const std::string& id) const;
  void set_certificate(Certificate& c, const std::string& target, Timestamp not_after, const std::string& site,
                       const std::string& asset);
  static Event finding_key(const inventory::Finding& f, std::string_view rule_id);

  BaselineMonitorOptions options_;
  telemetry::Registry& metrics_;
  AlertOutput& alerts_;

  // Owned by the ingest thread.
  std::shared_ptr<const State> state_;
  inventory::Evidence evidence_;
  std::string last_sensor_;  // the sensor of the previous event, and its evidence slot
  Timestamp* last_sensor_seen_ = nullptr;
  DeviceLicenses device_licenses_;
  uint64_t licenses_version_ = 1;  // changes whenever device_licenses_ changes what is evaluated
  std::map<std::string, Certificate> certificates_;  // by target
  uint64_t unmatched_logged_ = 0;
  uint64_t certificates_refused_ = 0;

  // The evaluation's, guarded by eval_mutex_.
  std::mutex eval_mutex_;
  std::optional<inventory::Inventory> effective_;  // the inventory with device licenses applied
  const State* effective_state_ = nullptr;         // what effective_ was built from
  uint64_t effective_version_ = 0;
  inventory::FindingTracker tracker_;
  bool reconciled_ = false;  // the store's baseline alerts were matched with the first evaluation
  std::vector<inventory::Finding> findings_;
  GaugeSet license_expiry_, requirement_status_, equipment_gaps_, sensor_up_;
  GaugeSet site_info_, system_info_;  // names and levels for the dashboards
  std::map<std::string, std::pair<std::string, telemetry::Gauge>> reachable_;  // asset id -> (site, gauge)
  telemetry::Counter reload_ok_, reload_failed_;
  telemetry::Gauge reload_last_ok_;
};

}  // namespace soc::daemon
