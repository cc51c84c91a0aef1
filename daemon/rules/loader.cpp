#include "daemon/rules/loader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <functional>
#include <set>
#include <unordered_map>

#include <fmt/core.h>
#include <fmt/format.h>

#include "core/config/yaml_util.h"
#include "core/json_codec.h"

namespace soc::daemon::rules {
namespace {

using config::diag_at;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// yaml-cpp throws on conversions; every access below goes through these helpers or checks the
// node type first, and the whole document is additionally wrapped in a try block.
bool is_scalar(const YAML::Node& n) { return n && n.IsScalar(); }

// Column of the first character of a scalar's text (after the opening quote when quoted).
int text_column(const YAML::Node& n) {
  const int col = n.Mark().column + 1;
  return n.Tag() == "!" ? col + 1 : col;
}

std::string base64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// pySigma's base64offset: the three encodings of the value at each byte offset, with the
// characters that depend on unknown neighbours cut off.
std::vector<std::string> base64_offsets(std::string_view v) {
  static const int start[3] = {0, 2, 3};
  static const int end_cut[3] = {0, 3, 2};
  std::vector<std::string> out;
  for (int i = 0; i < 3; ++i) {
    std::string padded(static_cast<size_t>(i), ' ');
    padded += v;
    std::string enc = base64(padded);
    const int cut = end_cut[(v.size() + static_cast<size_t>(i)) % 3];
    if (static_cast<int>(enc.size()) < start[i] + cut) continue;
    out.push_back(enc.substr(static_cast<size_t>(start[i]), enc.size() - static_cast<size_t>(start[i] + cut)));
  }
  return out;
}

// windash: every '-' or '/' that starts a word may be written with any of Windows' dashes.
std::vector<std::string> windash_variants(const std::string& v) {
  static const char* dashes[] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};
  std::vector<std::string> out{""};
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    const bool word_start = (c == '-' || c == '/') && (i == 0 || !std::isalnum(static_cast<unsigned char>(v[i - 1]))) &&
                            i + 1 < v.size() && std::isalnum(static_cast<unsigned char>(v[i + 1]));
    if (!word_start || out.size() > 256) {
      for (auto& o : out) o += c;
      continue;
    }
    std::vector<std::string> next;
    for (const auto& o : out)
      for (const char* d : dashes) next.push_back(o + d);
    out = std::move(next);
  }
  return out;
}

// Sigma value text -> glob code units: `*` and `?` are wildcards, `\*` `\?` `\\` escapes.
void to_glob(std::string_view v, bool wildcards, bool cased, Pattern& p) {
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (wildcards && c == '\\' && i + 1 < v.size() && (v[i + 1] == '*' || v[i + 1] == '?' || v[i + 1] == '\\')) {
      c = v[++i];
    } else if (wildcards && c == '*') {
      p.glob.push_back(Pattern::kStar);
      p.has_wildcards = true;
      continue;
    } else if (wildcards && c == '?') {
      p.glob.push_back(Pattern::kAny);
      p.has_wildcards = true;
      continue;
    }
    const unsigned char u = static_cast<unsigned char>(c);
    p.glob.push_back(static_cast<int16_t>(cased ? u : std::tolower(u)));
  }
}

bool parse_number(std::string_view s, double& out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = b + s.size();
  auto [ptr, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && ptr == e;
}

struct Doc {
  const std::string& file;
  std::vector<Diagnostic> diags;
  void add(const YAML::Node& n, std::string code, std::string msg) {
    diags.push_back(diag_at(file, n, std::move(code), std::move(msg)));
  }
  void add(const YAML::Mark& m, std::string code, std::string msg) {
    diags.push_back(diag_at(file, m, std::move(code), std::move(msg)));
  }
};

const std::set<std::string, std::less<>> kKnownModifiers = {
    "contains", "startswith", "endswith", "all",  "re",  "i",      "m",   "s",     "cidr", "base64",
    "base64offset", "windash", "lt",     "lte",  "gt", "gte",    "exists", "cased", "neq", "fieldref"};
const std::set<std::string, std::less<>> kUnsupportedModifiers = {"wide", "utf16", "utf16le", "utf16be", "expand"};

// Compiles one `field|mods: values` entry.
bool compile_field(Doc& doc, const FieldMapping& mapping, const YAML::Node& key, const YAML::Node& value,
                   FieldTest& out) {
  const std::string text = key.as<std::string>();
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t bar = text.find('|', start);
    parts.push_back(text.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  const std::string& sigma_field = parts[0];
  auto mapped = mapping.fields.find(sigma_field);
  out.field = mapped != mapping.fields.end() ? mapped->second : sigma_field;
  std::set<std::string, std::less<>> mods;
  std::string transform;  // base64 / base64offset / windash, applied before contains & co.
  bool ok = true;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& m = parts[i];
    if (kUnsupportedModifiers.count(m)) {
      doc.add(key, "rule.unsupported", fmt::format("value modifier '{}' is not supported", m));
      ok = false;
    } else if (!kKnownModifiers.count(m)) {
      doc.add(key, "rule.bad_modifier", fmt::format("unknown value modifier '{}'", m));
      ok = false;
    } else {
      mods.insert(m);
    }
  }
  if (!ok) return false;
  out.all = mods.count("all");
  out.neq = mods.count("neq");
  const bool cased = mods.count("cased");
  const bool re = mods.count("re");
  if ((mods.count("i") || mods.count("m") || mods.count("s")) && !re) {
    doc.add(key, "rule.bad_modifier", "regex flags i, m and s need the 're' modifier");
    return false;
  }
  const int positional = int(mods.count("contains")) + int(mods.count("startswith")) + int(mods.count("endswith"));
  if (positional > 1) {
    doc.add(key, "rule.bad_modifier", "contains, startswith and endswith exclude each other");
    return false;
  }
  if (mods.count("base64") && mods.count("base64offset")) {
    doc.add(key, "rule.bad_modifier", "base64 and base64offset exclude each other");
    return false;
  }

  std::vector<YAML::Node> values;
  if (value.IsSequence()) {
    for (const auto& v : value) values.push_back(v);
  } else {
    values.push_back(value);
  }
  for (const auto& v : values) {
    Pattern p;
    p.cased = cased;
    if (v.IsNull()) {
      p.kind = Pattern::Kind::Null;
      out.patterns.push_back(std::move(p));
      continue;
    }
    if (!v.IsScalar()) {
      doc.add(v, "rule.bad_value", fmt::format("value of '{}' must be a scalar or a list of scalars", text));
      ok = false;
      continue;
    }
    const std::string s = v.Scalar();
    if (mods.count("exists")) {
      const std::string l = lower(s);
      if (l != "true" && l != "false") {
        doc.add(v, "rule.bad_value", "'exists' needs true or false");
        ok = false;
        continue;
      }
      p.kind = Pattern::Kind::Exists;
      p.exists = l == "true";
    } else if (mods.count("lt") || mods.count("lte") || mods.count("gt") || mods.count("gte")) {
      if (!parse_number(s, p.number)) {
        doc.add(v, "rule.bad_value", fmt::format("'{}' is not a number", s));
        ok = false;
        continue;
      }
      p.kind = mods.count("lt") ? Pattern::Kind::Lt : mods.count("lte") ? Pattern::Kind::Lte
                                                    : mods.count("gt")  ? Pattern::Kind::Gt
                                                                        : Pattern::Kind::Gte;
    } else if (mods.count("cidr")) {
      const size_t slash = s.find('/');
      auto ip = IpAddress::parse(std::string_view(s).substr(0, slash));
      unsigned len = ip && ip->is_v4() ? 32 : 128;
      bool good = ip.has_value();
      if (good && slash != std::string::npos) {
        auto [ptr, ec] = std::from_chars(s.data() + slash + 1, s.data() + s.size(), len);
        good = ec == std::errc() && ptr == s.data() + s.size() && len <= (ip->is_v4() ? 32u : 128u);
      }
      if (!good) {
        doc.add(v, "rule.bad_cidr", fmt::format("'{}' is not an IPv4 or IPv6 network (address/prefix)", s));
        ok = false;
        continue;
      }
      p.kind = Pattern::Kind::Cidr;
      p.network = *ip;
      p.prefix_len = len;
    } else if (re) {
      RegexFlags f{mods.count("i") > 0, mods.count("m") > 0, mods.count("s") > 0};
      auto r = Regex::compile(s, f);
      if (!r) {
        doc.add(v, r.error().code, fmt::format("invalid regular expression: {}", r.error().message));
        ok = false;
        continue;
      }
      p.kind = Pattern::Kind::Regex;
      p.regex = std::move(*r);
    } else if (mods.count("fieldref")) {
      p.kind = Pattern::Kind::FieldRef;
      auto m = mapping.fields.find(s);
      p.other_field = m != mapping.fields.end() ? m->second : s;
    } else {
      // String patterns, possibly several per value (windash, base64offset).
      std::vector<std::string> variants{s};
      if (mods.count("windash")) variants = windash_variants(s);
      bool wildcards = true;
      if (mods.count("base64") || mods.count("base64offset")) {
        std::vector<std::string> enc;
        for (const auto& x : variants) {
          if (mods.count("base64")) enc.push_back(base64(x));
          else for (auto& o : base64_offsets(x)) enc.push_back(std::move(o));
        }
        variants = std::move(enc);
        wildcards = false;  // the encoded text is literal
      }
      for (const auto& x : variants) {
        Pattern q;
        q.cased = cased || !wildcards;  // base64 is case-sensitive
        if (mods.count("contains") || mods.count("endswith")) {
          q.glob.push_back(Pattern::kStar);
          q.has_wildcards = true;
        }
        to_glob(x, wildcards, q.cased, q);
        if (mods.count("contains") || mods.count("startswith")) {
          q.glob.push_back(Pattern::kStar);
          q.has_wildcards = true;
        }
        out.patterns.push_back(std::move(q));
      }
      continue;
    }
    out.patterns.push_back(std::move(p));
  }
  return ok;
}

bool compile_selection(Doc& doc, const FieldMapping& mapping, const std::string& name, const YAML::Node& node,
                       Selection& sel) {
  sel.name = name;
  auto compile_map = [&](const YAML::Node& m) {
    std::vector<FieldTest> conj;
    bool ok = true;
    for (const auto& kv : m) {
      if (!is_scalar(kv.first)) {
        doc.add(kv.first, "rule.bad_value", "field names must be strings");
        ok = false;
        continue;
      }
      FieldTest t;
      if (compile_field(doc, mapping, kv.first, kv.second, t)) conj.push_back(std::move(t));
      else ok = false;
    }
    sel.alternatives.push_back(std::move(conj));
    return ok;
  };
  if (node.IsMap()) return compile_map(node);
  if (node.IsSequence()) {
    bool all_maps = true, all_scalars = true;
    for (const auto& e : node) {
      all_maps = all_maps && e.IsMap();
      all_scalars = all_scalars && e.IsScalar();
    }
    if (all_maps && node.size() > 0) {
      bool ok = true;
      for (const auto& e : node) ok = compile_map(e) && ok;
      return ok;
    }
    if (all_scalars && node.size() > 0) {
      // Keywords: any of them anywhere in the message.
      FieldTest t;
      t.field = "message";
      for (const auto& e : node) {
        Pattern p;
        p.glob.push_back(Pattern::kStar);
        to_glob(e.Scalar(), true, false, p);
        p.glob.push_back(Pattern::kStar);
        p.has_wildcards = true;
        t.patterns.push_back(std::move(p));
      }
      sel.alternatives.push_back({std::move(t)});
      return true;
    }
  }
  doc.add(node, "rule.bad_value",
          fmt::format("selection '{}' must be a map, a list of maps or a list of keywords", name));
  return false;
}

// --- condition ---------------------------------------------------------------------------

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
        if (them ? sels_[i].name.rfind('_', 0) != 0 : glob_match(what.text, sels_[i].name))
          out.children.push_back(CondNode{CondNode::Kind::Sel, static_cast<int>(i), {}});
      }
      if (out.children.empty())
        return error(what.offset, fmt::format("no selection matches '{}'", what.text), "rule.unknown_selection");
      return true;
    }
    ++pos_;
    for (size_t i = 0; i < sels_.size(); ++i) {
      if (sels_[i].name == t.text) {
        out = CondNode{CondNode::Kind::Sel, static_cast<int>(i), {}};
        return true;
      }
    }
    return error(t.offset, fmt::format("unknown selection '{}'", t.text), "rule.unknown_selection");
  }

  static bool glob_match(std::string_view pat, std::string_view s) {
    if (pat.empty()) return s.empty();
    if (pat[0] == '*') {
      for (size_t i = 0; i <= s.size(); ++i)
        if (glob_match(pat.substr(1), s.substr(i))) return true;
      return false;
    }
    return !s.empty() && pat[0] == s[0] && glob_match(pat.substr(1), s.substr(1));
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
  static constexpr int kMaxDepth = 100;
};

// --- documents ---------------------------------------------------------------------------

bool get_string(Doc& doc, const YAML::Node& root, const char* key, std::string& out) {
  const YAML::Node n = root[key];
  if (!n) return true;
  if (!n.IsScalar()) {
    doc.add(n, "rule.bad_value", fmt::format("'{}' must be a string", key));
    return false;
  }
  out = n.Scalar();
  return true;
}

std::optional<std::chrono::microseconds> parse_timespan(const std::string& s) {
  if (s.size() < 2) return std::nullopt;
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size() - 1, n);
  if (ec != std::errc() || ptr != s.data() + s.size() - 1 || n <= 0) return std::nullopt;
  int64_t unit;
  switch (s.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    case 'M': unit = 30 * 86400; break;
    case 'y': unit = 365 * 86400; break;
    default: return std::nullopt;
  }
  return std::chrono::microseconds(n * unit * 1000000);
}

std::vector<YAML::Node> string_list(Doc& doc, const YAML::Node& n, const char* what) {
  std::vector<YAML::Node> out;
  if (n.IsScalar()) {
    out.push_back(n);
  } else if (n.IsSequence()) {
    for (const auto& e : n) {
      if (!e.IsScalar()) doc.add(e, "rule.bad_value", fmt::format("'{}' must list strings", what));
      else out.push_back(e);
    }
  } else {
    doc.add(n, "rule.bad_value", fmt::format("'{}' must be a string or a list of strings", what));
  }
  return out;
}

std::string map_field(const FieldMapping& mapping, const std::string& f) {
  auto it = mapping.fields.find(f);
  return it != mapping.fields.end() ? it->second : f;
}

void load_correlation(Doc& doc, const FieldMapping& mapping, const YAML::Node& c, Rule& rule) {
  Correlation corr;
  if (!c.IsMap()) {
    doc.add(c, "rule.bad_value", "'correlation' must be a map");
    return;
  }
  const YAML::Node type = c["type"];
  if (!type) {
    doc.add(c, "rule.missing_key", "correlation needs 'type'");
  } else {
    const std::string t = type.IsScalar() ? type.Scalar() : "";
    if (t == "event_count") corr.type = CorrelationType::EventCount;
    else if (t == "value_count") corr.type = CorrelationType::ValueCount;
    else if (t == "value_sum") corr.type = CorrelationType::ValueSum;
    else if (t == "value_avg") corr.type = CorrelationType::ValueAvg;
    else if (t == "temporal") corr.type = CorrelationType::Temporal;
    else if (t == "temporal_ordered") corr.type = CorrelationType::TemporalOrdered;
    else if (t == "value_percentile" || t == "value_median")
      doc.add(type, "rule.unsupported", fmt::format("correlation type '{}' is not supported", t));
    else
      doc.add(type, "rule.bad_value",
              fmt::format("unknown correlation type '{}' (expected event_count, value_count, value_sum, value_avg, "
                          "temporal or temporal_ordered)",
                          t));
  }
  const bool temporal = corr.type == CorrelationType::Temporal || corr.type == CorrelationType::TemporalOrdered;
  if (const YAML::Node r = c["rules"]; !r) {
    doc.add(c, "rule.missing_key", "correlation needs 'rules'");
  } else {
    for (const auto& e : string_list(doc, r, "rules")) {
      corr.rule_refs.push_back(e.Scalar());
      corr.ref_positions.emplace_back(e.Mark().line + 1, e.Mark().column + 1);
    }
  }
  if (const YAML::Node g = c["group-by"]) {
    for (const auto& e : string_list(doc, g, "group-by")) corr.group_by.push_back(e.Scalar());
  }
  if (const YAML::Node ts = c["timespan"]; !ts) {
    doc.add(c, "rule.missing_key", "correlation needs 'timespan'");
  } else if (auto span = ts.IsScalar() ? parse_timespan(ts.Scalar()) : std::nullopt) {
    corr.timespan = *span;
  } else {
    doc.add(ts, "rule.bad_value", "'timespan' must be a positive number followed by s, m, h, d, w, M or y");
  }
  const YAML::Node cond = c["condition"];
  if (!cond) {
    if (temporal) corr.condition.gte = static_cast<double>(corr.rule_refs.size());
    else doc.add(c, "rule.missing_key", "correlation needs 'condition'");
  } else if (cond.IsScalar()) {
    if (corr.type != CorrelationType::Temporal) {
      doc.add(cond, "rule.unsupported",
              "an extended (boolean string) correlation condition is supported on 'temporal' only");
    } else {
      // The referenced rules play the part of selections: "a and not b".
      std::vector<Selection> refs;
      for (const auto& r : corr.rule_refs) refs.push_back(Selection{r, {}});
      CondNode expr;
      if (ConditionParser(doc, cond, refs).parse(expr)) corr.expression = std::move(expr);
    }
  } else if (!cond.IsMap()) {
    doc.add(cond, "rule.bad_value", "'condition' must be a map of gt, gte, lt, lte, eq, neq (and field)");
  } else {
    for (const auto& kv : cond) {
      const std::string k = kv.first.Scalar();
      if (k == "field") {
        if (kv.second.IsSequence()) {
          doc.add(kv.second, "rule.unsupported", "a list in 'condition.field' is not supported");
        } else if (kv.second.IsScalar()) {
          corr.field = map_field(mapping, kv.second.Scalar());
        } else {
          doc.add(kv.second, "rule.bad_value", "'condition.field' must be a field name");
        }
        continue;
      }
      double v;
      if (!kv.second.IsScalar() || !parse_number(kv.second.Scalar(), v)) {
        doc.add(kv.second, "rule.bad_value", fmt::format("'condition.{}' must be a number", k));
        continue;
      }
      if (k == "gt") corr.condition.gt = v;
      else if (k == "gte") corr.condition.gte = v;
      else if (k == "lt") corr.condition.lt = v;
      else if (k == "lte") corr.condition.lte = v;
      else if (k == "eq") corr.condition.eq = v;
      else if (k == "neq") corr.condition.neq = v;
      else doc.add(kv.first, "rule.bad_value", fmt::format("unknown condition operator '{}'", k));
    }
    const bool valued = corr.type == CorrelationType::ValueCount || corr.type == CorrelationType::ValueSum ||
                        corr.type == CorrelationType::ValueAvg;
    if (valued && corr.field.empty() && !cond["field"])
      doc.add(cond, "rule.missing_key", "this correlation type needs 'condition.field'");
  }
  if (const YAML::Node a = c["aliases"]) {
    if (!a.IsMap()) {
      doc.add(a, "rule.bad_value", "'aliases' must be a map");
    } else {
      for (const auto& kv : a) {
        Correlation::Alias alias;
        alias.name = kv.first.Scalar();
        if (!kv.second.IsMap()) {
          doc.add(kv.second, "rule.bad_value", "an alias maps rule names to field names");
          continue;
        }
        for (const auto& rf : kv.second) {
          if (!rf.second.IsScalar()) {
            doc.add(rf.second, "rule.bad_value", "an alias maps rule names to field names");
            continue;
          }
          alias.written.emplace_back(rf.first.Scalar(), map_field(mapping, rf.second.Scalar()));
        }
        corr.aliases.push_back(std::move(alias));
      }
    }
  }
  // Group-by fields are mapped unless they name an alias.
  for (auto& g : corr.group_by) {
    const bool is_alias =
        std::any_of(corr.aliases.begin(), corr.aliases.end(), [&](const auto& al) { return al.name == g; });
    if (!is_alias) g = map_field(mapping, g);
  }
  rule.correlation = std::move(corr);
}

// Applies the logsource mapping: the entry with exactly the rule's product/service/category.
bool map_logsource(Doc& doc, const FieldMapping& mapping, const YAML::Node& ls, Rule& rule) {
  if (!ls) return true;
  if (!ls.IsMap()) {
    doc.add(ls, "rule.bad_value", "'logsource' must be a map");
    return false;
  }
  std::string product, service, category;
  auto get = [&](const char* k, std::string& out) {
    if (const YAML::Node n = ls[k]; n && n.IsScalar()) out = lower(n.Scalar());
  };
  get("product", product);
  get("service", service);
  get("category", category);
  if (product.empty() && service.empty() && category.empty()) return true;
  for (const auto& m : mapping.logsources) {
    if (m.product == product && m.service == service && m.category == category) {
      rule.logsource = m.conditions;
      return true;
    }
  }
  std::vector<std::string> parts;
  if (!product.empty()) parts.push_back("product: " + product);
  if (!service.empty()) parts.push_back("service: " + service);
  if (!category.empty()) parts.push_back("category: " + category);
  doc.add(ls, "rule.unsupported", fmt::format("logsource ({}) has no field mapping", fmt::join(parts, ", ")));
  return false;
}

Level parse_level(Doc& doc, const YAML::Node& n) {
  if (!n) return Level::Medium;
  const std::string l = n.IsScalar() ? lower(n.Scalar()) : "";
  if (l == "informational") return Level::Informational;
  if (l == "low") return Level::Low;
  if (l == "medium") return Level::Medium;
  if (l == "high") return Level::High;
  if (l == "critical") return Level::Critical;
  doc.add(n, "rule.bad_value", "'level' must be informational, low, medium, high or critical");
  return Level::Medium;
}

// A flat YAML map as a JSON object: plain scalars that read as numbers or booleans stay
// unquoted, everything else is a string; sequences become arrays.
std::string yaml_event_to_json(const YAML::Node& m) {
  auto scalar = [](const YAML::Node& n, std::string& out) {
    const std::string& s = n.Scalar();
    double d;
    if (n.Tag() == "?" && (s == "true" || s == "false" || parse_number(s, d))) out += s;
    else append_json_string(out, s);
  };
  std::string out = "{";
  for (const auto& kv : m) {
    if (out.size() > 1) out += ',';
    append_json_string(out, kv.first.Scalar());
    out += ':';
    if (kv.second.IsSequence()) {
      out += '[';
      bool first = true;
      for (const auto& e : kv.second) {
        if (!first) out += ',';
        first = false;
        scalar(e, out);
      }
      out += ']';
    } else {
      scalar(kv.second, out);
    }
  }
  out += '}';
  return out;
}

void load_tests(Doc& doc, const YAML::Node& tests, Rule& rule) {
  if (!tests.IsSequence()) {
    doc.add(tests, "rule.bad_value", "'tests' must be a list of {name, events, expect}");
    return;
  }
  for (const auto& t : tests) {
    RuleTest rt;
    rt.line = t.Mark().line + 1;
    if (!t.IsMap() || !t["events"] || !t["events"].IsSequence() || !t["expect"] || !t["expect"].IsSequence()) {
      doc.add(t, "rule.bad_value", "a test needs 'events' and 'expect' lists");
      continue;
    }
    if (t["name"] && t["name"].IsScalar()) rt.name = t["name"].Scalar();
    for (const auto& e : t["events"]) {
      if (e.IsScalar()) rt.events.push_back(e.Scalar());
      else if (e.IsMap()) rt.events.push_back(yaml_event_to_json(e));
      else doc.add(e, "rule.bad_value", "a test event is a map of fields or a JSON string");
    }
    for (const auto& x : t["expect"]) {
      if (!x.IsMap()) {
        doc.add(x, "rule.bad_value", "an expected alert is a map of fields");
        continue;
      }
      std::vector<std::pair<std::string, std::string>> fields;
      for (const auto& kv : x) {
        std::string v;
        if (kv.second.IsSequence()) {
          for (const auto& e : kv.second) v += (v.empty() ? "" : ",") + e.Scalar();
        } else if (kv.second.IsScalar()) {
          v = kv.second.Scalar();
        }
        fields.emplace_back(kv.first.Scalar(), v);
      }
      rt.expect.push_back(std::move(fields));
    }
    rule.tests.push_back(std::move(rt));
  }
}

void load_document(Doc& doc, const FieldMapping& mapping, const YAML::Node& root, Rule& rule) {
  if (!root.IsMap()) {
    doc.add(root, "rule.bad_value", "a rule must be a YAML map");
    return;
  }
  rule.line = root.Mark().line + 1;
  get_string(doc, root, "title", rule.title);
  get_string(doc, root, "id", rule.id);
  if (const YAML::Node id = root["id"]) {
    rule.id_line = id.Mark().line + 1;
    rule.id_column = id.Mark().column + 1;
  }
  get_string(doc, root, "name", rule.name);
  get_string(doc, root, "status", rule.status);
  // Free text for people (the API, the console); Sigma does not constrain it, so a description
  // that is not a string is ignored rather than refused.
  if (const YAML::Node d = root["description"]; d && d.IsScalar()) rule.description = d.Scalar();
  rule.level = parse_level(doc, root["level"]);
  if (const YAML::Node tags = root["tags"]) {
    for (const auto& t : string_list(doc, tags, "tags")) {
      const std::string l = lower(t.Scalar());
      // attack.t1110 / attack.t1110.001 -> T1110 / T1110.001
      if (l.size() > 8 && l.rfind("attack.t", 0) == 0 && std::isdigit(static_cast<unsigned char>(l[8]))) {
        std::string id = l.substr(7);
        for (auto& ch : id) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        rule.techniques.push_back(id);
      }
    }
  }
  if (root["action"]) {
    doc.add(root["action"], "rule.unsupported", "rule collections ('action', Sigma v1) are not supported");
    return;
  }
  if (root["filter"]) {
    doc.add(root["filter"], "rule.unsupported", "meta filters ('filter') are not supported");
    return;
  }
  if (const YAML::Node t = root["tests"]) load_tests(doc, t, rule);
  if (const YAML::Node sup = root["suppress"]) {
    // suppress: 10m, or suppress: {timespan: 10m, by: [source.ip]}
    const YAML::Node span = sup.IsMap() ? sup["timespan"] : sup;
    if (auto d = span && span.IsScalar() ? parse_timespan(span.Scalar()) : std::nullopt) rule.suppress = *d;
    else doc.add(sup, "rule.bad_value", "'suppress' must be a timespan (e.g. 10m) or {timespan, by}");
    if (sup.IsMap() && sup["by"]) {
      for (const auto& f : string_list(doc, sup["by"], "suppress.by")) rule.suppress_by.push_back(map_field(mapping, f.Scalar()));
    }
  }
  if (const YAML::Node ex = root["exceptions"]) compile_selection(doc, mapping, "exceptions", ex, rule.exceptions);
  if (const YAML::Node c = root["correlation"]) {
    load_correlation(doc, mapping, c, rule);
    if (const YAML::Node g = root["generate"]) {
      const std::string v = g.IsScalar() ? lower(g.Scalar()) : "";
      if (v != "true" && v != "false") doc.add(g, "rule.bad_value", "'generate' must be true or false");
      else rule.correlation->generate = v == "true";
    }
    if (rule.title.empty()) rule.title = !rule.name.empty() ? rule.name : rule.id;
    return;
  }
  const YAML::Node det = root["detection"];
  if (!det) {
    doc.add(root, "rule.missing_key", "a rule needs 'detection' (or 'correlation')");
    return;
  }
  if (rule.title.empty()) rule.title = !rule.name.empty() ? rule.name : rule.id;
  map_logsource(doc, mapping, root["logsource"], rule);
  if (!det.IsMap()) {
    doc.add(det, "rule.bad_value", "'detection' must be a map");
    return;
  }
  YAML::Node cond;
  bool has_condition = false;
  for (const auto& kv : det) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (key == "condition") {
      cond = kv.second;
      has_condition = true;
      continue;
    }
    if (key == "timeframe") {
      doc.add(kv.first, "rule.unsupported", "'detection.timeframe' (Sigma v1 aggregation) is not supported");
      continue;
    }
    Selection sel;
    if (compile_selection(doc, mapping, key, kv.second, sel)) rule.selections.push_back(std::move(sel));
    else rule.selections.push_back(Selection{key, {}});  // keep the name for the condition check
  }
  if (!has_condition) {
    doc.add(det, "rule.missing_key", "'detection' needs a 'condition'");
    return;
  }
  if (cond.IsSequence()) {
    // Sigma v1 allowed a list of conditions: any of them.
    rule.condition = CondNode{CondNode::Kind::Or, -1, {}};
    for (const auto& c : cond) {
      if (!c.IsScalar()) {
        doc.add(c, "rule.bad_value", "'condition' must be a string");
        continue;
      }
      CondNode n;
      if (ConditionParser(doc, c, rule.selections).parse(n)) rule.condition.children.push_back(std::move(n));
    }
  } else if (cond.IsScalar()) {
    ConditionParser(doc, cond, rule.selections).parse(rule.condition);
  } else {
    doc.add(cond, "rule.bad_value", "'condition' must be a string");
  }
}

}  // namespace

std::string RuleSet::render_diagnostics() const {
  std::string out;
  for (const auto& d : diagnostics) {
    auto it = sources.find(d.file);
    out += render(d, it != sources.end() ? std::string_view(it->second) : std::string_view());
    out += '\n';
  }
  return out;
}

FieldMapping load_mapping(const std::string& path, std::vector<Diagnostic>& diags) {
  FieldMapping m;
  std::string text;
  if (!config::read_file(path, text)) {
    diags.push_back(Diagnostic{path, 0, 0, "file.unreadable", "cannot read the mapping file"});
    return m;
  }
  YAML::Node root;
  if (!config::load_yaml(path, text, root, diags)) return m;
  try {
    if (const YAML::Node f = root["fields"]) {
      if (!f.IsMap()) diags.push_back(diag_at(path, f, "mapping.bad_value", "'fields' must map Sigma names to ECS names"));
      else
        for (const auto& kv : f) {
          if (kv.second.IsScalar()) m.fields[kv.first.Scalar()] = kv.second.Scalar();
          else diags.push_back(diag_at(path, kv.second, "mapping.bad_value", "an ECS field name must be a string"));
        }
    }
    if (const YAML::Node l = root["logsources"]) {
      if (!l.IsSequence()) {
        diags.push_back(diag_at(path, l, "mapping.bad_value", "'logsources' must be a list"));
      } else {
        for (const auto& e : l) {
          FieldMapping::Logsource ls;
          const YAML::Node src = e["logsource"];
          const YAML::Node cond = e["conditions"];
          if (!src || !src.IsMap() || !cond || !cond.IsMap()) {
            diags.push_back(diag_at(path, e, "mapping.bad_value", "each logsource needs 'logsource' and 'conditions' maps"));
            continue;
          }
          if (src["product"]) ls.product = lower(src["product"].Scalar());
          if (src["service"]) ls.service = lower(src["service"].Scalar());
          if (src["category"]) ls.category = lower(src["category"].Scalar());
          for (const auto& kv : cond) ls.conditions.emplace_back(kv.first.Scalar(), kv.second.Scalar());
          m.logsources.push_back(std::move(ls));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    diags.push_back(diag_at(path, e.mark, "mapping.bad_value", e.msg));
  }
  return m;
}

void merge_mapping(FieldMapping& into, const FieldMapping& more) {
  for (const auto& [k, v] : more.fields) into.fields[k] = v;
  into.logsources.insert(into.logsources.end(), more.logsources.begin(), more.logsources.end());
}

namespace {
std::string get_title(const YAML::Node& root) {
  const YAML::Node t = root["title"];
  return t && t.IsScalar() ? t.Scalar() : std::string();
}
}  // namespace

void Loader::load_text(const std::string& file, const std::string& text) {
  set_.sources[file] = text;
  std::vector<YAML::Node> docs;
  if (!config::load_yaml_all(file, text, docs, set_.diagnostics)) {
    set_.refused.push_back(Refusal{file, "", set_.diagnostics.back()});
    return;
  }
  for (const auto& root : docs) {
    if (!root || root.IsNull()) continue;
    Doc doc{file, {}};
    if (root.IsMap() && root["allowlist"]) {
      // A shared allowlist: {rules: [ids or names], exceptions: selection}; not a rule.
      Allowlist al;
      al.file = file;
      try {
        const YAML::Node a = root["allowlist"];
        if (!a.IsMap() || !a["exceptions"]) {
          doc.add(a, "rule.bad_value", "'allowlist' must be a map with 'exceptions' (and optionally 'rules')");
        } else {
          if (a["rules"])
            for (const auto& r : string_list(doc, a["rules"], "allowlist.rules"))
              al.rules.push_back({r.Scalar(), {r.Mark().line + 1, r.Mark().column + 1}});
          compile_selection(doc, mapping_, "exceptions", a["exceptions"], al.exceptions);
        }
      } catch (const YAML::Exception& e) {
        doc.add(e.mark, "rule.bad_value", e.msg);
      }
      if (doc.diags.empty()) {
        allowlists_.push_back(std::move(al));
      } else {
        set_.refused.push_back(Refusal{file, get_title(root), doc.diags.front()});
        for (auto& d : doc.diags) set_.diagnostics.push_back(std::move(d));
      }
      continue;
    }
    Rule rule;
    rule.file = file;
    rule.digest = std::hash<std::string>{}(YAML::Dump(root));
    try {
      load_document(doc, mapping_, root, rule);
    } catch (const YAML::Exception& e) {
      doc.add(e.mark, "rule.bad_value", e.msg);
    }
    if (doc.diags.empty()) {
      set_.rules.push_back(std::move(rule));
    } else {
      set_.refused.push_back(Refusal{file, rule.title, doc.diags.front()});
      for (auto& d : doc.diags) set_.diagnostics.push_back(std::move(d));
    }
  }
}

void Loader::load_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_directory() && it->path().filename() == "mappings") {
        it.disable_recursion_pending();
        continue;
      }
      const auto ext = it->path().extension();
      if (it->is_regular_file() && (ext == ".yml" || ext == ".yaml")) files.push_back(it->path().string());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  if (ec) set_.diagnostics.push_back(Diagnostic{path, 0, 0, "file.unreadable", ec.message()});
  for (const auto& f : files) {
    std::string text;
    if (!config::read_file(f, text)) {
      set_.diagnostics.push_back(Diagnostic{f, 0, 0, "file.unreadable", "cannot read the rule file"});
      continue;
    }
    load_text(f, text);
  }
}

RuleSet Loader::finish() {
  auto& rules = set_.rules;
  for (const auto& al : allowlists_) {
    std::vector<bool> target(rules.size(), al.rules.empty());
    for (const auto& [ref, pos] : al.rules) {
      bool found = false;
      for (size_t i = 0; i < rules.size(); ++i) {
        if (rules[i].id == ref || rules[i].name == ref) {
          target[i] = true;
          found = true;
        }
      }
      if (!found)
        set_.diagnostics.push_back(Diagnostic{al.file, pos.first, pos.second, "rule.unknown_reference",
                                              fmt::format("allowlist: no rule has the id or name '{}'", ref)});
    }
    for (size_t i = 0; i < rules.size(); ++i)
      if (target[i])
        for (const auto& alt : al.exceptions.alternatives) rules[i].exceptions.alternatives.push_back(alt);
  }
  std::vector<bool> alive(rules.size(), true);
  auto refuse = [&](size_t i, Diagnostic d) {
    alive[i] = false;
    set_.refused.push_back(Refusal{rules[i].file, rules[i].title, d});
    set_.diagnostics.push_back(std::move(d));
  };
  // Duplicate ids: the second one is refused.
  std::unordered_map<std::string, size_t> by_id, by_name;
  for (size_t i = 0; i < rules.size(); ++i) {
    if (!rules[i].id.empty()) {
      auto [it, fresh] = by_id.emplace(rules[i].id, i);
      if (!fresh) {
        refuse(i, Diagnostic{rules[i].file, rules[i].id_line, rules[i].id_column, "rule.duplicate_id",
                             fmt::format("id '{}' is already used by a rule in {}", rules[i].id, rules[it->second].file)});
        continue;
      }
    }
    if (!rules[i].name.empty()) by_name.emplace(rules[i].name, i);
  }
  auto lookup = [&](const std::string& ref) -> std::optional<size_t> {
    if (auto it = by_id.find(ref); it != by_id.end()) return it->second;
    if (auto it = by_name.find(ref); it != by_name.end()) return it->second;
    return std::nullopt;
  };
  // Resolve until nothing changes: refusing one correlation may orphan another.
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!alive[i] || !rules[i].correlation) continue;
      auto& c = *rules[i].correlation;
      for (size_t r = 0; r < c.rule_refs.size(); ++r) {
        auto target = lookup(c.rule_refs[r]);
        const auto [line, col] = c.ref_positions[r];
        if (!target || !alive[*target]) {
          refuse(i, Diagnostic{rules[i].file, line, col, "rule.unknown_reference",
                               target ? fmt::format("rule '{}' was refused", c.rule_refs[r])
                                      : fmt::format("no rule has the id or name '{}'", c.rule_refs[r])});
          changed = true;
          break;
        }
        if (*target == i) {
          refuse(i, Diagnostic{rules[i].file, line, col, "rule.unknown_reference", "a correlation cannot refer to itself"});
          changed = true;
          break;
        }
      }
    }
  }
  // Cycles: a correlation is grounded when everything it refers to is a rule or grounded.
  std::vector<bool> grounded(rules.size(), false);
  for (size_t i = 0; i < rules.size(); ++i) grounded[i] = alive[i] && !rules[i].correlation;
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < rules.size(); ++i) {
      if (!alive[i] || grounded[i]) continue;
      bool all = true;
      for (const auto& ref : rules[i].correlation->rule_refs) all = all && grounded[*lookup(ref)];
      if (all) grounded[i] = changed = true;
    }
  }
  for (size_t i = 0; i < rules.size(); ++i)
    if (alive[i] && !grounded[i])
      refuse(i, Diagnostic{rules[i].file, rules[i].line, 1, "rule.unknown_reference", "circular correlation references"});

  // Compact and re-index.
  std::vector<int> new_index(rules.size(), -1);
  std::vector<Rule> kept;
  for (size_t i = 0; i < rules.size(); ++i) {
    if (!alive[i]) continue;
    new_index[i] = static_cast<int>(kept.size());
    kept.push_back(std::move(rules[i]));
  }
  for (auto& r : kept) {
    if (!r.correlation) continue;
    auto& c = *r.correlation;
    for (const auto& ref : c.rule_refs) c.rules.push_back(new_index[*lookup(ref)]);
    for (auto& al : c.aliases) {
      for (const auto& [ref, field] : al.written) {
        if (auto t = lookup(ref); t && new_index[*t] >= 0) al.fields.emplace_back(new_index[*t], field);
      }
    }
  }
  for (auto& r : kept) {
    if (!r.correlation) continue;
    for (int t : r.correlation->rules) kept[static_cast<size_t>(t)].standalone = false;
  }
  for (auto& r : kept) {
    if (!r.correlation || !r.correlation->generate) continue;
    for (int t : r.correlation->rules) kept[static_cast<size_t>(t)].standalone = true;
  }
  rules = std::move(kept);
  // Diagnostics in file order, then position.
  std::stable_sort(set_.diagnostics.begin(), set_.diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  });
  return std::move(set_);
}

}  // namespace soc::daemon::rules
