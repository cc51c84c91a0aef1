// What the correlator keeps across restarts in its state directory (docs/adr/0018, 0029, 0030):
// the delivery journal (sequence marks, recovered at start with --events-out as the truth) and
// the snapshots of in-memory state (snapshot/rules.snap: open correlation windows and
// suppressions; snapshot/baseline.snap: the baseline's evidence and tracked findings).
//
// Snapshots are periodic and final: tick() copies the state on the ingest thread when one is due
// (the pause is observed in soc_snapshot_pause_seconds) and the housekeeping thread encodes,
// checksums and writes it atomically; final() writes both on the calling thread (SIGTERM). A
// snapshot that fails its check at start is moved aside (NAME.corrupt-<unix time>), logged and
// counted (soc_state_restore_total{part,result="corrupt"}), and the start goes on without it.
//
// Threads: construction, restore_*(), tick() and final() on the ingest thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "daemon/baseline_monitor.h"
#include "daemon/delivery_journal.h"
#include "daemon/event_log.h"
#include "daemon/housekeeper.h"
#include "daemon/ingest.h"
#include "daemon/rules_stage.h"
#include "daemon/state_dir.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon {

struct StateKeeperOptions {
  std::chrono::milliseconds snapshot_interval{std::chrono::seconds(30)};
};

class StateKeeper {
 public:
  // `rules` and `baseline` may be null (not configured). All must outlive the keeper.
  StateKeeper(const StateDir& dir, telemetry::Registry& metrics, Housekeeper& housekeeper, RulesStage* rules,
              BaselineMonitor* baseline, StateKeeperOptions options = {});
  ~StateKeeper();

  // Opens the delivery journal, raises its marks with what --events-out holds beyond its last
  // record, starts a fresh segment and hands the marks to `ingest`. An error here is an
  // environment error the correlator cannot start without (the folder cannot be written).
  Result<void> restore_delivery(Ingest& ingest, const EventLog* events_out);
  // Restores both snapshots (each may be missing or damaged: logged, counted, the start goes on).
  void restore_snapshots();
  // The ingest thread's loop, at least every few hundred milliseconds: a snapshot when due.
  void tick(std::chrono::steady_clock::time_point now);
  // The final snapshot, written on the calling thread (after the housekeeper stopped).
  void final();

  static constexpr std::string_view kRulesPart = "rules";
  static constexpr std::string_view kBaselinePart = "baseline";

 private:
  std::optional<std::string> load(std::string_view part, uint32_t version);
  void store(std::string_view part, uint32_t version, const std::string& payload);
  void count_restore(std::string_view part, std::string_view result);
  std::string path_of(std::string_view part) const;
  void take(bool final);

  const StateDir& dir_;
  telemetry::Registry& metrics_;
  Housekeeper& housekeeper_;
  RulesStage* rules_;
  BaselineMonitor* baseline_;
  StateKeeperOptions options_;
  std::unique_ptr<DeliveryJournal> journal_;
  std::chrono::steady_clock::time_point next_snapshot_{};
  std::shared_ptr<std::atomic<bool>> in_flight_ = std::make_shared<std::atomic<bool>>(false);
  // The rules snapshot's bytes: one buffer, reused while no snapshot is in flight.
  std::shared_ptr<std::string> rules_bytes_ = std::make_shared<std::string>();
  telemetry::Histogram pause_;
};

}  // namespace soc::daemon
