#include "daemon/inventory/tracker.h"

namespace soc::daemon::inventory {

namespace {

std::string key_of(const Finding& f) {
  std::string k;
  k.reserve(f.system.size() + f.requirement.size() + f.site.size() + f.subject.size() + 3);
  // Ids never contain a NUL, so the separator keeps the key unambiguous.
  for (const std::string* part : {&f.system, &f.requirement, &f.site, &f.subject}) {
    k += *part;
    k += '\0';
  }
  return k;
}

}  // namespace

std::vector<Change> FindingTracker::update(const std::vector<Finding>& current) {
  std::vector<Change> changes;
  std::unordered_map<std::string, Finding> next;
  next.reserve(current.size());
  for (const auto& f : current) {
    std::string key = key_of(f);
    // A key seen twice in one evaluation would otherwise be "new" again on every tick; the
    // loader refuses what would produce one (a site listed twice in a system), and the first
    // finding of a key is the one tracked.
    if (next.count(key)) continue;
    auto it = last_.find(key);
    if (it == last_.end()) {
      changes.push_back({f, std::nullopt, "", false});
    } else {
      if (it->second.status != f.status || it->second.rule_id != f.rule_id)
        changes.push_back({f, it->second.status, it->second.rule_id, false});
      last_.erase(it);
    }
    next.emplace(std::move(key), f);
  }
  // What is left was not evaluated this time.
  for (auto& [key, f] : last_) changes.push_back({f, f.status, f.rule_id, true});
  last_ = std::move(next);
  return changes;
}

std::vector<Finding> FindingTracker::state() const {
  std::vector<Finding> out;
  out.reserve(last_.size());
  for (const auto& [key, f] : last_) out.push_back(f);
  return out;
}

void FindingTracker::restore(const std::vector<Finding>& findings) {
  last_.clear();
  for (const auto& f : findings) last_.emplace(key_of(f), f);
}

}  // namespace soc::daemon::inventory
