// Sigma's `re` modifier over the project's PCRE2 adapter (core/regex/regex.h).
//
// A Regex is immutable after compile() and may be shared between rules (copies share the
// compiled pattern); search() keeps its match data per thread, so one compiled pattern can be
// used from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace soc::daemon::rules {

struct RegexFlags {
  bool ignore_case = false;  // re|i
  bool multiline = false;    // re|m
  bool dot_all = false;      // re|s
};

class Regex {
 public:
  // Error code "rule.bad_regex", message "<pcre2 message> at offset N".
  static Result<Regex> compile(std::string_view pattern, RegexFlags flags);

  // True when the pattern matches anywhere in `subject` (Sigma regexes are unanchored).
  // Never throws; a match error (e.g. match limit hit on hostile input) counts as no match.
  bool search(std::string_view subject) const;

 private:
  struct Code;
  std::shared_ptr<const Code> code_;
};

}  // namespace soc::daemon::rules
