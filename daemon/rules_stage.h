// The rule engine live in the correlator (`soc-correlator --rules DIR`): a pipeline stage that
// evaluates every accepted event against the loaded rules and hands the alerts to the one alert
// path (AlertOutput). It also closes windows on wall-clock time when sensors are idle (so that
// absence and `lt` conditions fire without more events), reloads the rules on request (SIGHUP)
// or when the rule folders change, and exports the rule metrics. Semantics and choices:
// docs/adr/0016-live-rules.md.
//
// Threads: owned by the correlator's ingest thread (the main loop), like Ingest: on_event, tick
// and reload run there. A loader thread of its own, started by load(), watches the rule folders
// and parses and compiles a new set (the slow part: reading, YAML, regular expressions) off the
// ingest thread; tick() only takes a finished set, checks it against the running one and swaps
// it in with the state of unchanged rules (docs/adr/0034). So a huge or slow rule file never
// stalls ingestion. The snapshot it exports is a copy that any thread may encode
// (docs/adr/0030-snapshots.md).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/diagnostic.h"
#include "core/result.h"
#include "daemon/alert_output.h"
#include "daemon/ingest.h"
#include "daemon/rules/engine.h"
#include "daemon/rules/loader.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon {

struct RulesStageOptions {
  std::vector<std::string> paths;  // --rules: folders or files
  // Mapping files; empty: the shipped rules/mappings/*.yaml, as `socctl replay` uses.
  std::vector<std::string> mappings;
  rules::EngineOptions engine;
  // How often the rule folders are checked for changes (file names, sizes and mtimes). A change
  // is loaded once it has been stable for one period, so a file caught half-written is not.
  std::chrono::milliseconds poll{1000};
  // One event in `eval_sample` is timed for soc_rule_eval_seconds.
  uint32_t eval_sample = 16;
};

class RulesStage : public Stage {
 public:
  using Clock = std::chrono::steady_clock;

  RulesStage(telemetry::Registry& metrics, AlertOutput& alerts, RulesStageOptions options);
  ~RulesStage() override;

  // The first load: broken rules are reported (file:line:column) and skipped, the others run.
  // Fails only when a rule folder or mapping cannot be read at all.
  Result<void> load();

  void on_event(Event& event) override;

  // Call from the main loop, at least every few hundred milliseconds; cheap when nothing is due.
  // Advances the idle watermark (timers), exports metrics, and swaps in a set the loader thread
  // has finished (a change in the folders, or request_reload()).
  void tick(Clock::time_point now);
  // Asks the loader thread for a reload now (SIGHUP). Any thread.
  void request_reload();

  // Loads the folders again on the calling thread and swaps the new set in when it is acceptable
  // (see the ADR), keeping the state of unchanged rules. Returns whether the new set runs now.
  // For tests and tools; the correlator reloads through the loader thread.
  bool reload(std::string_view why);

  // True while the loader thread is reading a new set (for tests).
  bool loading() const;

  const rules::Engine& engine() const { return *engine_; }

  // Snapshots (docs/adr/0030-snapshots.md): the engine's open state and each sensor's idle
  // clock, as bytes, written on the ingest thread straight from the state (sealing and writing
  // them may happen on any thread).
  static constexpr uint32_t kSnapshotVersion = 1;
  // Replaces `out` with the snapshot's bytes; a buffer reused from one snapshot to the next is
  // already paged in, which halves the pause.
  void snapshot(std::string& out) const;
  std::string snapshot() const {
    std::string out;
    snapshot(out);
    return out;
  }
  // At start, before any event: restores what the snapshot holds of the rules that did not
  // change. An error (a snapshot that does not parse) leaves the stage as it was.
  Result<rules::Engine::RestoreReport> restore(std::string_view payload);

 private:
  struct Loaded {
    rules::RuleSet set;
    std::vector<Diagnostic> mapping_diags;
    std::string fingerprint;
    double seconds = 0;  // how long reading, parsing and compiling took
    rules::PreparedRules prepared;  // the set's evaluation plan, built by the loader thread
  };
  struct SensorClock {
    Timestamp newest{};
    Clock::time_point arrival{};
  };

  Loaded load_set() const;
  std::string fingerprint() const;
  void loader_main();
  static Loaded prepare(Loaded l);
  bool apply(Loaded l, std::string_view why);  // on the ingest thread
  void install();  // metrics handles and gauges for the running set
  void sync_metrics();
  void advance_idle(Clock::time_point now);
  std::string label(const rules::Rule& r) const;

  telemetry::Registry& metrics_;
  AlertOutput& alerts_;
  RulesStageOptions options_;
  std::vector<Diagnostic> missing_mappings_;  // the shipped mappings were looked for and not found
  std::unique_ptr<rules::Engine> engine_;
  std::map<std::string, std::string> accepted_sources_;  // file -> text of the running set
  Clock::time_point next_tick_{};

  // Shared with the loader thread, under mutex_: what it decided from and what it produced.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::string accepted_fingerprint_, failed_fingerprint_;
  bool reload_requested_ = false, stopping_ = false, loading_ = false;
  std::optional<Loaded> ready_;  // a set the loader finished, for tick() to apply
  std::string ready_why_;
  std::thread loader_;

  // Event time per sensor and when its last event arrived: the idle watermark.
  std::unordered_map<std::string, SensorClock> sensors_;
  std::string last_sensor_name_;
  SensorClock* last_sensor_ = nullptr;

  // Metrics, per rule of the running set (index as in engine_->rules()).
  struct RuleMetrics {
    telemetry::Counter matches, suppressed, evicted;
    telemetry::Gauge groups;  // correlations only
  };
  void log_evictions(Clock::time_point now);
  std::vector<RuleMetrics> per_rule_;
  std::vector<rules::Engine::RuleStats> exported_;  // what per_rule_ already counts
  std::map<std::string, telemetry::Gauge> group_gauges_;  // every label ever exported
  telemetry::Gauge loaded_, failed_, last_reload_ok_;
  telemetry::Counter reload_success_, reload_failure_;
  telemetry::Histogram eval_seconds_;
  uint64_t eval_count_ = 0;
  telemetry::Gauge state_bytes_;  // the groups: sum(soc_rule_state_groups)
  // Evictions are logged at most once a minute, with how many of each rule.
  std::map<std::string, uint64_t> evicted_unlogged_;
  Clock::time_point next_eviction_log_{};
};

}  // namespace soc::daemon
