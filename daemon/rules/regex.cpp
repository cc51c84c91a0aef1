#include "daemon/rules/regex.h"

#include "core/regex/regex.h"

namespace soc::daemon::rules {

// The pattern itself lives in the project's one PCRE2 adapter (core/regex).
struct Regex::Code {
  regex::Regex re;
};

Result<Regex> Regex::compile(std::string_view pattern, RegexFlags flags) {
  regex::Options options;
  options.utf = true;  // Sigma values are text
  options.ignore_case = flags.ignore_case;
  options.multiline = flags.multiline;
  options.dot_all = flags.dot_all;
  auto re = regex::Regex::compile(pattern, options);
  if (!re) return fail("rule.bad_regex", re.error().message);
  Regex r;
  r.code_ = std::make_shared<const Code>(Code{std::move(*re)});
  return r;
}

bool Regex::search(std::string_view subject) const {
  thread_local regex::Regex::Captures captures;
  return code_ && code_->re.search(subject, captures);
}

}  // namespace soc::daemon::rules
