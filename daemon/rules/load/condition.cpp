// Parses Sigma conditions ("sel1 and not 1 of filter_*") into a CondNode tree; the same parser
// reads a temporal correlation's extended condition over rule names.
#include <cctype>

#include <fmt/core.h>

#include "daemon/rules/load/internal.h"

namespace soc::daemon::rules::load {
namespace {

struct Token {
  std::string text;
  size_t offset;
};

class ConditionParser {
 public:
  ConditionParser(Doc& doc, const YAML::Node& node, const std::vector<Selection>& sels)
      : doc_(doc), node_(node), sels_(sels) {
    const std::string& s = node.Scalar();
    for (size_t i = 0; i < s.size();) {
      const char c = s[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
      } else if (c == '(' || c == ')' || c == '|') {
        toks_.push_back({std::string(1, c), i++});
      } else {
        const size_t b = i;
        while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && s[i] != '(' && s[i] != ')' &&
               s[i] != '|')
          ++i;
        toks_.push_back({s.substr(b, i - b), b});
      }
    }
  }

  bool parse(CondNode& out) {
    if (toks_.empty()) return error(0, "empty condition");
    if (!parse_or(out)) return false;
    if (pos_ < toks_.size()) {
      if (toks_[pos_].text == "|")
        return unsupported(toks_[pos_].offset, "aggregation in the condition ('| count() ...', Sigma v1) is not supported");
      return error(toks_[pos_].offset, fmt::format("unexpected '{}'", toks_[pos_].text));
    }
    return true;
  }

 private:
  bool is_kw(const char* kw) const { return pos_ < toks_.size() && lower(toks_[pos_].text) == kw; }

  bool parse_or(CondNode& out) {
    CondNode first;
    if (!parse_and(first)) return false;
    if (!is_kw("or")) {
      out = std::move(first);
      return true;
    }
    out = CondNode{CondNode::Kind::Or, -1, {}};
    out.children.push_back(std::move(first));
    while (is_kw("or")) {
      ++pos_;
      CondNode n;
      if (!parse_and(n)) return false;
      out.children.push_back(std::move(n));
    }
    return true;
  }
  bool parse_and(CondNode& out) {
    CondNode first;
    if (!parse_not(first)) return false;
    if (!is_kw("and")) {
      out = std::move(first);
      return true;
    }
    out = CondNode{CondNode::Kind::And, -1, {}};
    out.children.push_back(std::move(first));
    while (is_kw("and")) {
      ++pos_;
      CondNode n;
      if (!parse_not(n)) return false;
      out.children.push_back(std::move(n));
    }
    return true;
  }
  bool parse_not(CondNode& out) {
    // Rules are written by people, but a runaway nesting must not overflow the stack.
    if (++depth_ > kMaxDepth) return error(pos_ < toks_.size() ? toks_[pos_].offset : end_offset(), "condition nested too deeply");
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    if (is_kw("not")) {
      ++pos_;
      out = CondNode{CondNode::Kind::Not, -1, {}};
      out.children.emplace_back();
      return parse_not(out.children.back());
    }
    return parse_primary(out);
  }
  bool parse_primary(CondNode& out) {
    if (pos_ >= toks_.size()) return error(end_offset(), "condition ends too early");
    const Token& t = toks_[pos_];
    if (t.text == "(") {
      ++pos_;
      if (!parse_or(out)) return false;
      if (pos_ >= toks_.size() || toks_[pos_].text != ")") return error(t.offset, "unbalanced '('");
      ++pos_;
      return true;
    }
    if (t.text == ")" || t.text == "|" || is_kw("and") || is_kw("or") || is_kw("of"))
      return error(t.offset, fmt::format("unexpected '{}'", t.text));
    // Quantifier: `1 of X`, `any of X`, `all of X`, `N of X`.
    if (pos_ + 1 < toks_.size() && lower(toks_[pos_ + 1].text) == "of") {
      const std::string q = lower(t.text);
      const size_t q_off = t.offset;
      pos_ += 2;
      if (pos_ >= toks_.size()) return error(end_offset(), "'of' needs a selection pattern or 'them'");
      const Token& what = toks_[pos_++];
      bool all;
      if (q == "all") all = true;
      else if (q == "1" || q == "any") all = false;
      else {
        double n;
        if (parse_number(q, n)) return unsupported(q_off, fmt::format("'{} of' (a count above 1) is not supported", q));
        return error(q_off, fmt::format("'{}' is not a quantifier (expected 1, any or all)", t.text));
      }
      out = CondNode{all ? CondNode::Kind::And : CondNode::Kind::Or, -1, {}};
      const bool them = lower(what.text) == "them";
      for (size_t i = 0; i < sels_.size(); ++i) {
        if (them ? sels_[i].name.rfind('_', 0) != 0 : glob_match(what.text, sels_[i].name)) {
          // Every quantifier copies the selections it names into the tree: a condition that
          // repeats `1 of sel*` over a file of many selections would grow as their product.
          if (++references_ > kMaxReferences)
            return error(q_off,
                         fmt::format("the condition refers to more than {} selections once its quantifiers are "
                                     "expanded; split the rule",
                                     kMaxReferences),
                         "rule.condition_too_large");
          out.children.push_back(CondNode{CondNode::Kind::Sel, static_cast<int>(i), {}});
        }
      }
      if (out.children.empty())
        return error(what.offset, fmt::format("no selection matches '{}'", what.text), "rule.unknown_selection");
      return true;
    }
    if (++references_ > kMaxReferences)
      return error(t.offset,
                   fmt::format("the condition refers to more than {} selections once its quantifiers are expanded; "
                               "split the rule",
                               kMaxReferences),
                   "rule.condition_too_large");
    ++pos_;
    for (size_t i = 0; i < sels_.size(); ++i) {
      if (sels_[i].name == t.text) {
        out = CondNode{CondNode::Kind::Sel, static_cast<int>(i), {}};
        return true;
      }
    }
    return error(t.offset, fmt::format("unknown selection '{}'", t.text), "rule.unknown_selection");
  }

  // `*` matches any run of characters. Iterative, backtracking only to the last `*`: at most
  // |pat| x |s| steps, whatever the pattern (a recursive match is exponential in its stars).
  static bool glob_match(std::string_view pat, std::string_view s) {
    size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
    while (i < s.size()) {
      if (p < pat.size() && pat[p] == '*') {
        star = p++;
        mark = i;
      } else if (p < pat.size() && pat[p] == s[i]) {
        ++p;
        ++i;
      } else if (star != std::string_view::npos) {
        p = star + 1;
        i = ++mark;
      } else {
        return false;
      }
    }
    while (p < pat.size() && pat[p] == '*') ++p;
    return p == pat.size();
  }

  size_t end_offset() const { return node_.Scalar().size(); }
  bool error(size_t offset, std::string msg, const char* code = "rule.bad_condition") {
    YAML::Mark m = node_.Mark();
    m.column = text_column(node_) - 1 + static_cast<int>(offset);
    doc_.add(m, code, std::move(msg));
    return false;
  }
  bool unsupported(size_t offset, std::string msg) { return error(offset, std::move(msg), "rule.unsupported"); }

  Doc& doc_;
  const YAML::Node& node_;
  const std::vector<Selection>& sels_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  size_t references_ = 0;  // selections named in the tree so far, quantifiers expanded
  static constexpr int kMaxDepth = 100;
  // Far above any real rule (SigmaHQ's largest conditions name a few dozen selections), low
  // enough that the tree and its evaluation stay small whatever the file holds.
  static constexpr size_t kMaxReferences = 1000;
};


}  // namespace

bool parse_condition(Doc& doc, const YAML::Node& node, const std::vector<Selection>& sels, CondNode& out) {
  return ConditionParser(doc, node, sels).parse(out);
}

}  // namespace soc::daemon::rules::load
