// The evaluation plan of a rule set's plain (non-correlation) rules (docs/adr/0011): rules
// indexed by the event.dataset their logsource requires, and every literal string test
// (exact, contains, startswith, endswith) of a field gathered across rules into one
// Aho-Corasick automaton per dataset and field. For an event, each automaton runs once over the
// field's value and yields the satisfied string tests (atoms) as a bitset; a rule whose
// condition needs at least one of its atoms is evaluated only when one of them was satisfied,
// and its conditions read the atoms from the bitset. An automaton whose atoms all belong to rules
// that require the same logsource condition besides the dataset (event.category: web) runs only
// on events that have it, and so do such rules without atoms. Semantics are those of matches()
// (engine.h); the unit test `plan` compares both on generated rules and events.
//
// Immutable after construction except for per-event scratch: one Plan per Engine (one thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.h"
#include "daemon/rules/rule.h"

namespace soc::daemon::rules {

struct RuleSet;

// Shared with engine.cpp (defined there): one pattern against a field's value (null: absent),
// and a rule's logsource against an event.
bool match_pattern_value(const Pattern& p, const Value* v, const Event& event);
bool logsource_matches(const Rule& rule, const Event& event);

class Plan {
 public:
  explicit Plan(const RuleSet& set);
  ~Plan();
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  // The plain rules that may match `event`, in rule order, into `out` (cleared first). Runs the
  // automata of the event's dataset: call matches() only for the rules returned, before the
  // next candidates() call.
  void candidates(const Event& event, std::vector<int>& out);
  // True when the plain rule of index `index` matches the event whose candidates were computed last.
  bool matches(int index, const Event& event) const;

  // For tests and the ADR: atoms (distinct string tests) and automata built.
  size_t atoms() const { return atom_count_; }
  size_t automata() const;

  struct Automaton;
  struct Group;
  struct CompiledRule;

 private:
  // Whether the event holds gate `gate` (a logsource condition, e.g. event.category: web),
  // computed once per event.
  bool gate_holds(int32_t gate, const Event& event);

  const RuleSet& set_;
  size_t atom_count_ = 0;
  std::vector<CompiledRule> rules_;                // by rule index (empty for correlations)
  std::unordered_map<std::string, std::unique_ptr<Group>> by_dataset_;  // lower-cased dataset
  std::unique_ptr<Group> any_;                     // events whose dataset has no indexed rule
  std::vector<std::pair<std::string, std::string>> gates_;  // logsource conditions (field, lower-cased value)
  // Per-event scratch.
  std::vector<uint64_t> bits_;
  std::vector<uint32_t> set_words_;
  std::vector<uint32_t> stamp_;
  uint32_t epoch_ = 0;
  std::vector<int8_t> gate_state_;  // per gate for the current event: -1 unknown, 0 no, 1 yes
  std::string key_, folded_, text_;
};

}  // namespace soc::daemon::rules
