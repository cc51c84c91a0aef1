#include "daemon/alerts/catalog.h"

namespace soc::daemon::alerts {

RuleCatalog::RuleCatalog(std::vector<RuleInfo> rules) : rules_(std::move(rules)) {
  for (size_t i = 0; i < rules_.size(); ++i) by_id_.emplace(rules_[i].id, i);
}

const RuleInfo* RuleCatalog::find(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &rules_[it->second];
}

std::string rule_label(const rules::Rule& r) {
  if (!r.id.empty()) return r.id;
  if (!r.name.empty()) return r.name;
  return r.title;
}

std::vector<RuleInfo> catalog_entries(const rules::RuleSet& set, std::chrono::microseconds default_quiet) {
  std::vector<RuleInfo> out;
  for (const auto& r : set.rules) {
    RuleInfo info;
    info.id = rule_label(r);
    info.name = r.title;
    info.description = r.description;
    info.severity = static_cast<int>(r.level);
    info.techniques = r.techniques;
    info.file = r.file;
    if (r.suppress.count() > 0) {
      info.group_fields = !r.suppress_by.empty() ? r.suppress_by
                          : r.correlation    ? r.correlation->group_by
                                             : std::vector<std::string>{};
      info.quiet = r.suppress;
    } else if (r.correlation) {
      info.group_fields = r.correlation->group_by;
      info.quiet = r.correlation->timespan;
    } else {
      info.group_fields = kPlainRuleGroup;
      info.quiet = default_quiet;
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::string group_key(const Event& alert, const std::vector<std::string>& group) {
  std::string key;
  for (const auto& f : group) {
    const Value* v = alert.find(f);
    if (!v) continue;
    if (!key.empty()) key += ',';
    key += f;
    key += '=';
    key += v->to_text();
  }
  return key;
}

}  // namespace soc::daemon::alerts
