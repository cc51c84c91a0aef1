// Matching of one event against one rule's detection: globs, value patterns, field tests, the
// condition tree and a rule's exceptions (docs/adr/0008-rule-engine.md, "Matching"). Internal to
// daemon/rules: the engine (engine.cpp) and the evaluation plan (plan.cpp) use it. Pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "core/event.h"
#include "daemon/rules/rule.h"

namespace soc::daemon::rules {

// ASCII case-insensitive equality.
bool equal_fold(std::string_view a, std::string_view b);
// A value as a number: an integer, a float, or a string that parses whole as one.
std::optional<double> number_of(const Value& v);
// One pattern against a field's value (null: the field is absent); lists match by any element.
bool match_pattern(const Pattern& p, const Value* v, const Event& event);
// The condition tree `n` of `rule` on `event`.
bool eval(const CondNode& n, const Rule& rule, const Event& event);
// True when one of the rule's exceptions (a selection's alternatives) holds for the event.
bool excepted(const Rule& rule, const Event& event);

}  // namespace soc::daemon::rules
