// Runs the inline tests of rules (`tests:` in a rule's document; format in rules/README.md).
// Each test gets a fresh Engine over the whole rule set, so a correlation's test sees the rules
// it refers to; only the alerts of the rule under test are compared with `expect`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "daemon/rules/loader.h"

namespace soc::daemon::rules {

struct RuleTestResult {
  std::string file;
  int line = 0;         // of the test
  std::string rule;     // title
  std::string name;     // of the test
  bool passed = false;
  std::string detail;   // why it failed, with the alerts that were raised
};

std::vector<RuleTestResult> run_rule_tests(const std::shared_ptr<const RuleSet>& set);

}  // namespace soc::daemon::rules
