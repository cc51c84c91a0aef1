// The compiled form of Sigma rules and Sigma correlation rules: an evaluation plan with field
// names already mapped to ECS, modifiers expanded into patterns, and the condition parsed into
// a tree. Built by the loader (loader.h), evaluated by the engine (engine.h). Plain data,
// immutable after loading; no yaml-cpp here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/ip_address.h"
#include "daemon/rules/regex.h"

namespace soc::daemon::rules {

// One value test of a field, after modifiers. Strings are matched as globs (`*`, `?`, with
// Sigma's `\` escapes already resolved into `glob`), case-insensitively unless `cased`.
struct Pattern {
  enum class Kind : uint8_t { Glob, Regex, Cidr, Lt, Lte, Gt, Gte, Exists, FieldRef, Null };
  Kind kind = Kind::Glob;
  // Glob: code units; kStar and kAny are the wildcards, everything else a byte (lower-cased
  // when !cased). A glob without wildcards is compared for equality.
  std::vector<int16_t> glob;
  bool has_wildcards = false;
  bool cased = false;
  Regex regex;
  IpAddress network;
  unsigned prefix_len = 0;
  double number = 0;       // Lt..Gte
  bool exists = true;      // Exists: the wanted answer
  std::string other_field; // FieldRef

  static constexpr int16_t kStar = -1;
  static constexpr int16_t kAny = -2;
};

// A field with its value tests. Matches when any pattern matches (all of them with `|all`);
// with `|neq`, when the field exists and no pattern matches.
struct FieldTest {
  std::string field;  // ECS name; empty for keywords (matched against `message`)
  std::vector<Pattern> patterns;
  bool all = false;
  bool neq = false;
};

// A named selection: a disjunction of conjunctions of field tests (a map is one conjunction,
// a list of maps several; a keyword list is one test on `message`).
struct Selection {
  std::string name;
  std::vector<std::vector<FieldTest>> alternatives;
};

// The parsed `condition`.
struct CondNode {
  enum class Kind : uint8_t { And, Or, Not, Sel };
  Kind kind = Kind::Sel;
  int selection = -1;  // Sel: index into Rule::selections
  std::vector<CondNode> children;
};

enum class Level : uint8_t { Informational = 1, Low = 2, Medium = 3, High = 4, Critical = 5 };

enum class CorrelationType : uint8_t { EventCount, ValueCount, ValueSum, ValueAvg, Temporal, TemporalOrdered };

// condition: gt/gte/lt/lte/eq/neq, any combination (all must hold).
struct Threshold {
  std::optional<double> gt, gte, lt, lte, eq, neq;
  bool holds(double v) const;
  // True when the condition can only become true when the window closes (lt/lte without a lower
  // bound): such conditions are evaluated when a group's window expires or at the end of input.
  bool at_close() const { return (lt || lte) && !gt && !gte && !eq; }
};

struct Correlation {
  CorrelationType type = CorrelationType::EventCount;
  std::vector<std::string> rule_refs;  // as written: ids or names
  std::vector<int> rules;              // resolved: indices into RuleSet::rules
  std::vector<std::string> group_by;
  // aliases: alias -> (referenced rule index -> field); filled with resolved indices.
  struct Alias {
    std::string name;
    std::vector<std::pair<int, std::string>> fields;
    std::vector<std::pair<std::string, std::string>> written;  // rule ref -> field, as written
  };
  std::vector<Alias> aliases;
  std::chrono::microseconds timespan{0};
  Threshold condition;
  std::string field;  // value_count/value_sum/value_avg
  // temporal only: the extended condition ("a and not b"); Sel indices are positions in
  // `rules`. With a `not` it is decided when the window closes (absence).
  std::optional<CondNode> expression;
  bool generate = false;
  // Our extension (docs/adr/0037-one-attempt-one-count.md): `deduplicate: {by: [fields], within:
  // 2s}`. An event of another log (another event.dataset) of the same group whose `by` values
  // equal those of an entry counted less than `within` apart is the same attempt logged twice
  // (a web server's access and error logs): it is not counted. An entry pairs with at most one
  // such event.
  struct Deduplicate {
    std::vector<std::string> by;
    std::chrono::microseconds within{0};
  };
  std::optional<Deduplicate> deduplicate;
  // True when the condition is decided when a window closes rather than on every event.
  bool decided_at_close() const;
  // Loader bookkeeping: where each reference was written (line, column), for diagnostics.
  std::vector<std::pair<int, int>> ref_positions;
};

// An inline test of a rule (`tests:` in the rule's document, rules/README.md): events in, the
// alerts this rule must raise out (each a subset of fields, compared as text), in order.
struct RuleTest {
  std::string name;
  int line = 0;
  std::vector<std::string> events;  // JSON objects, decoded as `socctl replay` decodes them
  std::vector<std::vector<std::pair<std::string, std::string>>> expect;
};

struct Rule {
  std::string file;  // rule.ruleset
  int line = 0;      // where the document starts
  int id_line = 0, id_column = 0;  // where `id` is written (duplicate-id diagnostics)
  std::string title, id, name, status;
  std::string description;
  Level level = Level::Medium;
  std::vector<std::string> techniques;  // from attack.tNNNN tags, upper case
  // Logsource after mapping: every (field, value) must match (equality, case-insensitive).
  std::vector<std::pair<std::string, std::string>> logsource;
  std::vector<Selection> selections;
  CondNode condition;
  std::optional<Correlation> correlation;
  // Set by the loader: emit alerts on their own (not referenced by a correlation, or one of
  // the referencing correlations says generate: true).
  bool standalone = true;
  std::vector<RuleTest> tests;
  // Our extension (docs/adr/0008): after an alert, further alerts of this rule with the same
  // values of `suppress_by` are held back for `suppress`; the next alert carries the count.
  std::chrono::microseconds suppress{0};
  std::vector<std::string> suppress_by;
  // Hash of the rule's YAML document (content, not comments or layout): a live reload keeps the
  // state of a rule whose id and digest did not change (Engine::replace_rules).
  uint64_t digest = 0;
  // Our extension (rules/README.md "Exceptions"): `exceptions:`, a selection (a map, or a list
  // of maps: any of them) of field values for which the rule does not alert. Tested on the
  // matching event for a plain rule (an excepted event does not count for correlations
  // either), on the alert (group-by fields) for a correlation. No alternatives: none.
  Selection exceptions;
};

}  // namespace soc::daemon::rules
