#include "daemon/rules/rule_tests.h"

#include <fmt/core.h>

#include "core/json_codec.h"
#include "daemon/rules/engine.h"

namespace soc::daemon::rules {
namespace {

std::string text_of(const Value& v) {
  if (!v.is_list()) return v.to_text();
  std::string out;
  for (const auto& e : v.as_list()) out += (out.empty() ? "" : ",") + e.to_text();
  return out;
}

}  // namespace

std::vector<RuleTestResult> run_rule_tests(const std::shared_ptr<const RuleSet>& set) {
  std::vector<RuleTestResult> results;
  for (const Rule& rule : set->rules) {
    const std::string rule_id = !rule.id.empty() ? rule.id : rule.name;
    for (const RuleTest& t : rule.tests) {
      RuleTestResult res{rule.file, t.line, rule.title, t.name, false, {}};
      std::vector<Event> alerts;
      EngineOptions options;
      options.emit_referenced = true;
      Engine engine(set, [&](const Event& a) {
        const bool mine = a.get_string("rule.ruleset") == rule.file &&
                          (rule_id.empty() ? a.get_string("rule.name") == rule.title : a.get_string("rule.id") == rule_id);
        if (mine) alerts.push_back(a);
      }, options);
      bool ok = true;
      for (size_t i = 0; i < t.events.size(); ++i) {
        auto ev = decode_event(t.events[i]);
        if (!ev) {
          res.detail = fmt::format("event {} does not decode: {}", i + 1, ev.error().message());
          ok = false;
          break;
        }
        engine.process(*ev);
      }
      engine.flush();
      if (ok && alerts.size() != t.expect.size()) {
        res.detail = fmt::format("expected {} alert(s), got {}", t.expect.size(), alerts.size());
        ok = false;
      }
      for (size_t i = 0; ok && i < alerts.size(); ++i) {
        for (const auto& [field, want] : t.expect[i]) {
          const Value* v = alerts[i].find(field);
          const std::string got = v ? text_of(*v) : "<absent>";
          if (got != want) {
            res.detail = fmt::format("alert {}: {} is {}, expected {}", i + 1, field, got, want);
            ok = false;
            break;
          }
        }
      }
      if (!ok)
        for (const auto& a : alerts) res.detail += "\n      " + encode_event(a);
      res.passed = ok;
      results.push_back(std::move(res));
    }
  }
  return results;
}

}  // namespace soc::daemon::rules
