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

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.h"
#include "daemon/rules/rule.h"

namespace soc::daemon::rules {

struct RuleSet;

// The fields of one event by name in a few instructions: rules look up 20 to 30 names per event
// (most of them absent), and Event::find scans every key for each. build() hashes each key of
// the event once into a small table; find() then tests one slot. A slot two keys share falls
// back to Event::find, and so does a lookup in any other event than the one indexed (an alert
// fed to a chained correlation). The index holds a pointer to the event: build() it for each
// event, reset() before that event changes.
class FieldIndex {
 public:
  void build(const Event& event);
  void reset() { event_ = nullptr; }
  bool indexes(const Event& event) const { return &event == event_; }
  const Value* find(const Event& event, std::string_view key) const {
    if (&event != event_) return event.find(key);
    const uint8_t s = slots_[slot(key)];
    if (s == kEmpty) return nullptr;
    if (s == kShared) return event.find(key);
    // The one key of the event in this slot: the wanted one, or the wanted key is absent.
    const Field& f = event.begin()[s - 1];
    return f.key.size() == key.size() && std::memcmp(f.key.data(), key.data(), key.size()) == 0 ? &f.value : nullptr;
  }
  std::string_view get_string(const Event& event, std::string_view key) const {
    const Value* v = find(event, key);
    return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
  }

 private:
  static constexpr uint8_t kEmpty = 0, kShared = 255;
  static size_t slot(std::string_view key) {
    const size_t n = key.size();
    if (n == 0) return 0;
    const auto b = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(key[i])); };
    size_t x = n * 0x9E + b(n - 1) * 0x3B + b(n / 2) * 0x1F + b(0) * 7;
    x ^= x >> 7;
    return x & 127;
  }
  const Event* event_ = nullptr;
  std::array<uint8_t, 128> slots_{};  // kEmpty, kShared, or the field's position + 1
};

// Shared with engine.cpp (defined there): one pattern against a field's value (null: absent),
// and a rule's logsource against an event (its fields looked up through `fields`).
bool match_pattern_value(const Pattern& p, const Value* v, const Event& event);
bool logsource_matches(const Rule& rule, const Event& event);
bool logsource_matches(const Rule& rule, const Event& event, const FieldIndex& fields);

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
  // The index of the event being evaluated: the engine builds it before candidates() and
  // resets it after the event (without it, lookups scan the event).
  FieldIndex& fields() { return fields_; }

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
  FieldIndex fields_;
};

}  // namespace soc::daemon::rules
