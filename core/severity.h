// Alert severity: one scale for rules, baseline findings, metrics and the API. The number is
// ECS's event.severity (1 informational, 2 low, 3 medium, 4 high, 5 critical, as Sigma's levels
// read); the word is what metrics label (soc_alerts_total{severity}) and what alerts carry in
// soc.severity. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace soc {

// "informational" .. "critical"; "unknown" for a number outside 1-5.
std::string_view severity_word(int64_t number);

// A word ("high", any case) or a number ("4") -> 1..5; nullopt for anything else.
std::optional<int> parse_severity(std::string_view text);

}  // namespace soc
