#define PCRE2_CODE_UNIT_WIDTH 8
#include "daemon/rules/regex.h"

#include <pcre2.h>

#include <fmt/core.h>

namespace soc::daemon::rules {

struct Regex::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

Result<Regex> Regex::compile(std::string_view pattern, RegexFlags flags) {
  uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
  if (flags.ignore_case) options |= PCRE2_CASELESS;
  if (flags.multiline) options |= PCRE2_MULTILINE;
  if (flags.dot_all) options |= PCRE2_DOTALL;
  int err = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &err,
                                   &offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    return fail("rule.bad_regex", fmt::format("{} at offset {}", reinterpret_cast<const char*>(buf), offset));
  }
  // JIT is an optimisation: when it is unavailable the interpreter gives the same answers.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  auto c = std::make_shared<Code>();
  c->code = code;
  Regex r;
  r.code_ = std::move(c);
  return r;
}

bool Regex::search(std::string_view subject) const {
  struct MatchData {
    pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
    ~MatchData() { pcre2_match_data_free(md); }
  };
  thread_local MatchData data;
  if (!code_ || data.md == nullptr) return false;
  const int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0,
                             data.md, nullptr);
  return rc >= 0;
}

}  // namespace soc::daemon::rules
