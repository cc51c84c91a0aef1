// Matching of one event against one rule's detection (match.h).
#include "daemon/rules/match.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

namespace soc::daemon::rules {

namespace {

// ASCII case folding, inline: what std::tolower does in the C locale the programs run in, without
// a library call per byte (web rules' globs fold every byte of every URL they look at).
inline unsigned char fold(char c, bool cased) {
  const auto u = static_cast<unsigned char>(c);
  return cased || u < 'A' || u > 'Z' ? u : static_cast<unsigned char>(u + ('a' - 'A'));
}

bool glob_match(const std::vector<int16_t>& p, std::string_view s, bool cased) {
  size_t pi = 0, si = 0, star = std::string::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && (p[pi] == Pattern::kAny || (p[pi] >= 0 && p[pi] == fold(s[si], cased)))) {
      ++pi;
      ++si;
    } else if (pi < p.size() && p[pi] == Pattern::kStar) {
      star = pi++;
      mark = si;
    } else if (star != std::string::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == Pattern::kStar) ++pi;
  return pi == p.size();
}
}  // namespace

bool equal_fold(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return fold(x, false) == fold(y, false);
         });
}

std::optional<double> number_of(const Value& v) {
  if (v.is_int()) return static_cast<double>(v.as_int());
  if (v.is_float()) return v.as_float();
  if (v.is_string()) {
    const auto& s = v.as_string();
    double d;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && ptr == s.data() + s.size()) return d;
  }
  return std::nullopt;
}

namespace {
// Matches one scalar value (lists are expanded by the caller).
bool match_scalar(const Pattern& p, const Value& v, const Event& event) {
  std::string tmp;
  auto text = [&]() -> std::string_view {
    if (v.is_string()) return v.as_string();
    tmp = v.to_text();
    return tmp;
  };
  switch (p.kind) {
    case Pattern::Kind::Glob: {
      const std::string_view s = text();
      if (!p.has_wildcards) {
        if (s.size() != p.glob.size()) return false;
        for (size_t i = 0; i < s.size(); ++i)
          if (p.glob[i] != fold(s[i], p.cased)) return false;
        return true;
      }
      return glob_match(p.glob, s, p.cased);
    }
    case Pattern::Kind::Regex: return p.regex.search(text());
    case Pattern::Kind::Cidr: {
      if (v.is_ip()) return v.as_ip().in_prefix(p.network, p.prefix_len);
      auto ip = IpAddress::parse(text());
      return ip && ip->in_prefix(p.network, p.prefix_len);
    }
    case Pattern::Kind::Lt:
    case Pattern::Kind::Lte:
    case Pattern::Kind::Gt:
    case Pattern::Kind::Gte: {
      auto n = number_of(v);
      if (!n) return false;
      if (p.kind == Pattern::Kind::Lt) return *n < p.number;
      if (p.kind == Pattern::Kind::Lte) return *n <= p.number;
      if (p.kind == Pattern::Kind::Gt) return *n > p.number;
      return *n >= p.number;
    }
    case Pattern::Kind::FieldRef: {
      const Value* other = event.find(p.other_field);
      if (other == nullptr) return false;
      const std::string o = other->to_text();
      return p.cased ? text() == o : equal_fold(text(), o);
    }
    case Pattern::Kind::Exists:
    case Pattern::Kind::Null: return false;  // handled by match_pattern
  }
  return false;
}
}  // namespace

bool match_pattern(const Pattern& p, const Value* v, const Event& event) {
  if (p.kind == Pattern::Kind::Exists) return (v != nullptr) == p.exists;
  if (p.kind == Pattern::Kind::Null) return v == nullptr || (v->is_string() && v->as_string().empty());
  if (v == nullptr) return false;
  if (v->is_list()) {
    for (const auto& e : v->as_list())
      if (match_scalar(p, e, event)) return true;
    return false;
  }
  return match_scalar(p, *v, event);
}

namespace {
bool match_test(const FieldTest& t, const Event& event) {
  const Value* v = event.find(t.field);
  if (t.neq) {
    if (v == nullptr) return false;
    for (const auto& p : t.patterns)
      if (match_pattern(p, v, event)) return false;
    return true;
  }
  if (t.all) {
    for (const auto& p : t.patterns)
      if (!match_pattern(p, v, event)) return false;
    return !t.patterns.empty();
  }
  for (const auto& p : t.patterns)
    if (match_pattern(p, v, event)) return true;
  return false;
}
}  // namespace

bool eval(const CondNode& n, const Rule& rule, const Event& event) {
  switch (n.kind) {
    case CondNode::Kind::And:
      for (const auto& c : n.children)
        if (!eval(c, rule, event)) return false;
      return true;
    case CondNode::Kind::Or:
      for (const auto& c : n.children)
        if (eval(c, rule, event)) return true;
      return false;
    case CondNode::Kind::Not: return !eval(n.children[0], rule, event);
    case CondNode::Kind::Sel: {
      const auto& sel = rule.selections[static_cast<size_t>(n.selection)];
      for (const auto& conj : sel.alternatives) {
        bool all = true;
        for (const auto& t : conj) {
          if (!match_test(t, event)) {
            all = false;
            break;
          }
        }
        if (all) return true;
      }
      return false;
    }
  }
  return false;
}

bool excepted(const Rule& rule, const Event& event) {
  for (const auto& conj : rule.exceptions.alternatives) {
    bool all = !conj.empty();
    for (const auto& t : conj) all = all && match_test(t, event);
    if (all) return true;
  }
  return false;
}

}  // namespace soc::daemon::rules
