// The rule engine: evaluates events against a loaded RuleSet and maintains the state of Sigma
// correlations on sliding windows over event time (@timestamp). Semantics and every choice the
// Sigma specification leaves open are in docs/adr/0008-rule-engine.md.
//
// Single-threaded: one Engine is used by one thread. process() never throws; an event without a
// usable @timestamp is still matched by plain rules but ignored by correlations (counted).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "daemon/rules/loader.h"

namespace soc::daemon::rules {

// True when the plain (non-correlation) rule matches the event: logsource and condition.
bool matches(const Rule& rule, const Event& event);

// An event an alert cites: its id (event.id, else observer.name:event.sequence; for an event
// with neither, the bounded sample soc.evidence lists) and, when the engine kept it, the event
// itself as JSON.
struct EvidenceEvent {
  std::string id;
  std::shared_ptr<const std::string> json;  // null when not kept (see EngineOptions)
};

// What comes with an alert to a DetailedSink.
struct AlertDetails {
  // True for an alert the rule's suppression holds back (passed only with report_suppressed):
  // a repeat of the previous alert of its rule and group, not an alert of its own.
  bool suppressed = false;
  // The events of soc.evidence, in its order: every id (none for a suppressed repeat); `json`
  // only for the events the engine kept (EngineOptions::keep_evidence).
  std::vector<EvidenceEvent> evidence;
};

struct EngineOptions {
  // Events older than (newest event time seen - allowed_lateness) are not counted by
  // correlations (they are still matched by plain rules); see the ADR.
  std::chrono::microseconds allowed_lateness = std::chrono::seconds(60);
  // Open groups per correlation; beyond, the least recently updated group is evicted.
  size_t max_groups_per_rule = 100000;
  // The bound on the state of all correlations together (--max-rule-state, docs/adr/0030): open
  // groups, and their estimated bytes. Beyond either, the least recently updated group of any
  // correlation is evicted (counted per rule in RuleStats::evicted). 0: no bound.
  size_t max_state_groups = 0;
  size_t max_state_bytes = 0;
  // Also pass alerts of rules that only feed correlations to the sink (rule tests).
  bool emit_referenced = false;
  // Keep the matching events an alert cites and hand them with it (AlertDetails::evidence):
  // a plain rule's event; of a correlation's window, the events of its first soc.evidence
  // entries and the one that completed the condition. Only matching events are encoded, never
  // every event. An event larger than max_evidence_event_bytes, or one that would take the
  // events held by all groups together beyond max_evidence_bytes, is cited by id only
  // (counter evidence_dropped).
  bool keep_evidence = false;
  size_t max_evidence_event_bytes = 16 << 10;
  size_t max_evidence_bytes = 64 << 20;
  // Also pass the alerts that suppression holds back, marked AlertDetails::suppressed (the
  // correlator's alert store counts them as repeats of the open alert).
  bool report_suppressed = false;
};

struct EngineCounters {
  uint64_t events = 0;
  uint64_t matches = 0;  // plain-rule matches
  uint64_t alerts = 0;  // passed to the sink
  uint64_t late_events = 0;       // dropped by correlations for lateness
  uint64_t untimed_events = 0;    // matched a correlated rule but had no @timestamp
  uint64_t ungrouped_events = 0;  // lacked a group-by field of a correlation
  uint64_t evicted_groups = 0;    // evicted for a cap (per rule or the whole state), not for expiry
  uint64_t suppressed = 0;        // alerts held back by a rule's `suppress`
  uint64_t excepted = 0;          // matches or alerts dropped by a rule's `exceptions`
  uint64_t evidence_dropped = 0;  // evidence events cited by id only (too large, or over the budget)
  uint64_t duplicates = 0;        // not counted by a correlation: the same attempt in another log (deduplicate)
};

// The engine's open state in a form that outlives one rule set and one process
// (docs/adr/0030-snapshots.md): each correlation's open groups (least recently updated first)
// and each rule's suppressions, under the rule's key and fingerprint (its digest and those of
// the rules it refers to), and the event-time watermark of each stream.
struct EngineState {
  struct Entry {
    Timestamp ts{}, start{};
    uint32_t ref = 0;  // position of the referenced rule in the correlation's list
    std::string value;
    double number = 0;
    int64_t count = 1;
    std::string evidence;
    std::string evidence_json;  // the event itself when the engine kept it (keep_evidence); empty: not kept
    struct Chained {
      std::string id, json;  // json empty: not kept
    };
    std::vector<Chained> chained;
  };
  struct Group {
    std::string key;
    bool hot = false;  // updated more than once (kept longer under a bound)
    std::vector<Value> values;
    std::string site;
    bool mixed_sites = false;
    std::vector<std::pair<std::string, Value>> last_fields;  // kAlertKeyFields of the newest event
    std::vector<Entry> entries;
  };
  struct Suppression {
    std::string key;
    Timestamp last{};
    int64_t held = 0;
  };
  struct Rule {
    std::string key;
    uint64_t fingerprint = 0;
    std::vector<Group> groups;
    std::vector<Suppression> suppressions;
  };
  std::vector<std::pair<std::string, Timestamp>> watermarks;
  std::vector<Rule> rules;
};

// What Engine::encode_state wrote, read back (daemon/rules/engine_state_format.h). Never trusts
// its input: anything that does not parse whole is an error.
Result<EngineState> decode_engine_state(std::string_view bytes);

// The fields of an event that name who and what, copied into alerts so that an analyst sees
// them without opening the evidence: a plain rule's alert takes them from its event, a
// correlation's from the newest event of its window (after its group-by fields, which win).
inline constexpr std::string_view kAlertKeyFields[] = {"source.ip",    "source.port",   "destination.ip",
                                                       "destination.port", "user.name", "host.hostname",
                                                       "url.original", "dns.question.name"};

class Plan;

// A rule set with its evaluation plan (plan.h) built for it. Building the plan of a large pack
// takes seconds: Engine::prepare runs on any thread (the correlator's rule loader), and
// replace_rules then only swaps it in.
struct PreparedRules {
  std::shared_ptr<const RuleSet> rules;
  std::shared_ptr<Plan> plan;  // refers to *rules
};

class Engine {
 public:
  using AlertSink = std::function<void(const Event& alert)>;
  using DetailedSink = std::function<void(const Event& alert, const AlertDetails& details)>;

  // The engine keeps `rules` (shared, immutable). Alerts go to `sink` synchronously.
  Engine(std::shared_ptr<const RuleSet> rules, AlertSink sink, EngineOptions options = {});
  // The same, with what comes with each alert (evidence events, suppressed repeats; see
  // EngineOptions). The sink must not keep references into `details` beyond the call.
  Engine(std::shared_ptr<const RuleSet> rules, DetailedSink sink, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void process(const Event& event);
  // End of input: evaluates and closes every open window (conditions such as `lt` fire here).
  void flush();

  // Live mode (docs/adr/0016-live-rules.md). Closes the windows that can no longer change when
  // event time has reached `watermark` (as if every sensor had sent an event at that time):
  // conditions decided at window end (absence, `lt`) fire without waiting for more events.
  void advance(Timestamp watermark);
  // Swaps in a new rule set. The state (open groups, suppressions) of a rule whose key (id, or
  // name, or file and title) and digest are unchanged, and whose referenced rules are unchanged
  // too, is kept; the state of every other rule starts empty. Counters carry on.
  void replace_rules(std::shared_ptr<const RuleSet> rules);
  void replace_rules(PreparedRules prepared);
  // Builds the plan of `rules`; thread-safe, touches no engine.
  static PreparedRules prepare(std::shared_ptr<const RuleSet> rules);
  const RuleSet& rules() const;
  // Per rule (index into rules()): plain-rule matches or correlation fires, and alerts held back
  // by suppression. Restart at zero after replace_rules.
  struct RuleStats {
    uint64_t matches = 0;
    uint64_t suppressed = 0;
    uint64_t evicted = 0;  // open groups evicted for a cap
  };
  const std::vector<RuleStats>& rule_stats() const;

  const EngineCounters& counters() const { return counters_; }
  // Open groups of the correlation at `rule_index` (0 for plain rules).
  size_t groups(size_t rule_index) const;
  // Open groups of every correlation, and their estimated bytes (what max_state_* bound).
  size_t state_groups() const;
  size_t state_bytes() const;

  // Appends the open state's bytes to `out` (snapshots, on the ingest thread: written straight
  // from the groups, a few hundred nanoseconds per group; sealing and writing happen elsewhere).
  void encode_state(std::string& out) const;
  // Puts back the state of the rules whose key and fingerprint are unchanged; the others start
  // empty. Groups beyond the bounds are evicted as they are restored.
  struct RestoreReport {
    size_t rules = 0;      // rules whose state was restored
    size_t groups = 0;
    size_t suppressions = 0;
    size_t changed = 0;    // rules in the snapshot that changed since: not restored
    size_t unknown = 0;    // rules in the snapshot that are no longer loaded
  };
  RestoreReport import_state(EngineState state);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  EngineCounters counters_;
};

}  // namespace soc::daemon::rules
