// The one adapter for PCRE2, used by the log sensor's decoders (docs/adr/0007-log-sensor.md) and
// the rule engine's `re` modifier (docs/adr/0008-rule-engine.md): patterns are compiled once,
// JIT'ed (on first use) when the platform allows it, and matched against untrusted input without throwing.
// Nothing outside core/regex/regex.cpp includes pcre2.h.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace soc::regex {

struct Options {
  bool ignore_case = false;
  bool multiline = false;
  bool dot_all = false;
  // UTF-8 mode: characters, not bytes (invalid sequences in a subject simply do not match).
  // Off by default: log lines are bytes.
  bool utf = false;
};

// A compiled pattern. Movable, not copyable; immutable after compile(), so it may be shared by
// threads as long as each thread matches with its own Captures.
class Regex {
 public:
  // Compiles `pattern` (PCRE2 syntax). On a syntax error returns code "regex.syntax" with the
  // offset of the problem in the message.
  static Result<Regex> compile(std::string_view pattern, Options options = {});

  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  // Named groups in group-number order: names()[i] is the name of group number_of(i).
  struct Group {
    std::string name;
    int number;
  };
  const std::vector<Group>& groups() const { return groups_; }
  int capture_count() const { return capture_count_; }

  // Match data reused across calls (one per thread).
  class Captures {
   public:
    Captures();
    ~Captures();
    Captures(const Captures&) = delete;
    Captures& operator=(const Captures&) = delete;
    // The text of group n of the last successful match; empty when the group did not take part.
    std::string_view group(int n) const;
    bool matched(int n) const;

   private:
    friend class Regex;
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };

  // True when the pattern matches somewhere in `subject`. A match-limit or other engine error
  // counts as no match (the line then falls through to other decoders).
  bool search(std::string_view subject, Captures& caps) const;
  // True only when the engine finds that the pattern does not match `subject`; an engine error
  // (the match limit) is not a "no". For a cheap test that rules out a costlier expression.
  bool rules_out(std::string_view subject, Captures& caps) const;

 private:
  Regex() = default;
  int match(std::string_view subject, Captures& caps) const;
  struct Code;
  Code* code_ = nullptr;
  std::vector<Group> groups_;
  int capture_count_ = 0;
};

}  // namespace soc::regex
