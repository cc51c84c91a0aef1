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
// and the snapshot's restore() belong to the ingest thread, which owns the evidence. Evidence is
// recorded by inventory::Observations, the same code the offline report replays recorded events
// through. The evaluation runs elsewhere (the housekeeping thread) on a copy of the Observations
// that capture() takes: evaluate(input) may be called from any thread and is serialised by its
// own mutex; its alerts go through AlertOutput, which any thread may use, and it publishes view(),
// which HTTP workers read. Evidence is timed by arrival at the correlator (event.ingested), not
// by event time: a sensor that empties its spool after an outage is alive now even though its
// events are old.
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
#include "daemon/inventory/observations.h"
#include "daemon/inventory/tracker.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon {

struct BaselineMonitorOptions {
  std::string inventory_path;
  std::string baseline_path;  // empty: no evaluation (enrichment, allowlist and license metrics only)
  std::function<Timestamp()> clock = [] { return soc::now(); };
  size_t max_certificates = 1024;  // certificate targets tracked (and exported); more are logged and ignored
};

// What one evaluation saw and found, immutable once published: what the HTTP workers read
// (GET /api/v1/compliance) while the ingest thread goes on (docs/adr/0018, "Threads").
struct BaselineView {
  Timestamp at{};              // the evaluation's clock
  std::shared_ptr<const inventory::Inventory> inventory;  // as evaluated (device licenses applied)
  std::shared_ptr<const inventory::Baseline> baseline;
  inventory::Evidence evidence;
  std::shared_ptr<const std::vector<inventory::Finding>> findings;  // shared with the monitor, never copied
  std::string inventory_sha256, baseline_sha256;  // of the files in force
};

class BaselineMonitor : public Stage {
 public:
  // Loads both files. On a problem, the error's message holds every diagnostic rendered
  // (file:line:column, snippet); the correlator then exits 78. `metrics` and `alerts` must
  // outlive the monitor.
  static Result<std::unique_ptr<BaselineMonitor>> load(BaselineMonitorOptions options, telemetry::Registry& metrics,
                                                       AlertOutput& alerts);

  // Stage: enriches, then records the event as evidence, timed by its event.ingested (the
  // monitor's clock when it has none).
  void on_event(Event& event) override;
  void on_heartbeat(std::string_view sensor, std::string_view site, const Event& heartbeat) override;

  struct State;  // what one pair of files yields, replaced as a whole on reload
  // What an evaluation needs, copied from what the ingest thread owns; evaluate() works on it
  // (the Observations' caches fill in the copy), nothing else does.
  struct EvaluationInput {
    std::shared_ptr<const State> state;
    inventory::Observations observations;
    Timestamp now{};
  };

  // The ingest thread: a copy of the evidence as it stands, timed now.
  EvaluationInput capture() const;
  // Any thread (one evaluation at a time): raises the alerts of what changed since the last
  // evaluation, updates the metrics and publishes the view. Returns the number of alerts raised.
  size_t evaluate(EvaluationInput& input);
  // Both at once, on the calling thread (tests, reload).
  size_t evaluate() {
    auto input = capture();
    return evaluate(input);
  }

  // Snapshot (docs/adr/0030-snapshots.md): the Observations of `input` (last-seen times, device
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
  const std::vector<inventory::Finding>& findings() const { return *findings_; }
  bool evaluates() const { return !options_.baseline_path.empty(); }
  // Each inventory sensor, in inventory order: when it was last heard (arrival time; nullopt:
  // never since the correlator started) and whether that is within its kind's window at `now`
  // (the definition of soc_sensor_up). For the console's sites (daemon/sites).
  struct SensorSeen {
    std::string id;
    std::optional<Timestamp> last_seen;
    bool up = false;
  };
  std::vector<SensorSeen> sensors_seen(Timestamp now);  // ingest thread (reads the evidence)
  // The inventory's sensors in the allowlist's shape (the allowlist when --allow is not given).
  std::vector<config::SensorBinding> allowlist() const;
  // The view of the last evaluation (null before the first). Thread-safe: any thread may call it.
  std::shared_ptr<const BaselineView> view() const;

 private:
  struct CertificateGauge {
    std::string site;
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

  void export_reading(const inventory::Reading& r);
  void export_licenses(const inventory::Inventory& inv);
  void export_sensors(const State& state, const inventory::Evidence& evidence, Timestamp now);
  static std::vector<SensorSeen> sensors_seen(const State& state, const inventory::Evidence& evidence,
                                              Timestamp now);
  void export_statuses(const State& state);
  void raise(const State& state, const inventory::Change& change, Timestamp now);
  static Event finding_key(const inventory::Finding& f, std::string_view rule_id);

  BaselineMonitorOptions options_;
  telemetry::Registry& metrics_;
  AlertOutput& alerts_;

  // Owned by the ingest thread.
  std::shared_ptr<const State> state_;
  inventory::Observations observations_;
  std::map<std::string, CertificateGauge> certificates_;  // by target
  uint64_t unmatched_logged_ = 0;
  uint64_t certificates_refused_ = 0;

  // The evaluation's, guarded by eval_mutex_.
  std::mutex eval_mutex_;
  std::shared_ptr<const inventory::Inventory> licenses_exported_;  // the inventory export_licenses() last saw
  inventory::FindingTracker tracker_;
  bool reconciled_ = false;  // the store's baseline alerts were matched with the first evaluation
  std::shared_ptr<const std::vector<inventory::Finding>> findings_ =
      std::make_shared<const std::vector<inventory::Finding>>();
  GaugeSet license_expiry_, requirement_status_, equipment_gaps_, sensor_up_;
  GaugeSet site_info_, system_info_;  // names and levels for the dashboards
  std::map<std::string, std::pair<std::string, telemetry::Gauge>> reachable_;  // asset id -> (site, gauge)
  telemetry::Counter reload_ok_, reload_failed_;
  telemetry::Gauge reload_last_ok_;

  mutable std::mutex view_mutex_;
  std::shared_ptr<const BaselineView> view_;
};

}  // namespace soc::daemon
