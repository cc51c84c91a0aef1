// What the correlator knows about each rule that can raise an alert: the rules of --rules and
// the baseline's own rules (soc.license.expired, ...). The alert path uses it to fold repeats and
// to decide when an alert resolves (docs/adr/0021-alert-lifecycle.md), the API serves it
// (GET /api/v1/rules) and soc_rule_info exports it, so that people see names, not UUIDs.
//
// Immutable once built: shared between threads as std::shared_ptr<const RuleCatalog>.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "daemon/rules/loader.h"

namespace soc::daemon::alerts {

struct RuleInfo {
  std::string id;  // as alerts carry it in rule.id (the rule's id, else its name, else its title)
  std::string name;
  std::string description;
  int severity = 3;                      // 1 informational .. 5 critical
  std::vector<std::string> techniques;   // MITRE ids, upper case: T1110.001
  std::string file;                      // the rule file, or the baseline file
  std::string source = "rule";           // "rule" or "baseline"
  // The fields whose values make one alert of the store: repeats with the same values fold into
  // it while it is not resolved. Empty: the whole rule is one alert.
  std::vector<std::string> group_fields;
  // An alert resolves when no repeat arrived for this long; nullopt: only when its condition is
  // reported clear (baseline findings).
  std::optional<std::chrono::microseconds> quiet;
};

// The group of a plain rule without `suppress`: the key fields that say who and what.
inline const std::vector<std::string> kPlainRuleGroup = {"source.ip", "destination.ip", "user.name", "host.hostname"};

// The group of a baseline alert: one alert per finding (the baseline tracker's key).
inline const std::vector<std::string> kBaselineGroup = {"soc.system.id", "soc.requirement.id", "site.id", "soc.subject"};

class RuleCatalog {
 public:
  RuleCatalog() = default;
  explicit RuleCatalog(std::vector<RuleInfo> rules);

  const std::vector<RuleInfo>& rules() const { return rules_; }
  const RuleInfo* find(std::string_view id) const;

 private:
  std::vector<RuleInfo> rules_;
  std::map<std::string, size_t, std::less<>> by_id_;
};

// The catalog entries of a loaded rule set, every rule (those that only feed correlations too:
// the API lists the running set). Grouping and quiet period:
//   - a rule with `suppress`: its suppression key (`suppress.by`; for a correlation without it,
//     its group-by; for a plain rule without it, the whole rule) and its suppression window;
//   - a correlation: its group-by, and its timespan;
//   - a plain rule: kPlainRuleGroup, and `default_quiet`.
std::vector<RuleInfo> catalog_entries(const rules::RuleSet& set, std::chrono::microseconds default_quiet);

// The id alerts of rule `r` carry in rule.id.
std::string rule_label(const rules::Rule& r);

// "field=value,..." of the fields of `group` present in `alert` (the form of soc.group): one
// alert of the store per rule and key.
std::string group_key(const Event& alert, const std::vector<std::string>& group);

}  // namespace soc::daemon::alerts
