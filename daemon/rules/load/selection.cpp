// Compiles a detection's selections: `field|modifiers: values` into glob, regex, CIDR, number
// and existence patterns (Sigma's value modifiers, docs/adr/0008-rule-engine.md "Matching").
#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include <fmt/core.h>

#include "daemon/rules/load/internal.h"

namespace soc::daemon::rules::load {
namespace {

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

const std::set<std::string, std::less<>> kKnownModifiers = {
    "contains", "startswith", "endswith", "all",  "re",  "i",      "m",   "s",     "cidr", "base64",
    "base64offset", "windash", "lt",     "lte",  "gt", "gte",    "exists", "cased", "neq", "fieldref"};
const std::set<std::string, std::less<>> kUnsupportedModifiers = {"wide", "utf16", "utf16le", "utf16be", "expand"};

using Modifiers = std::set<std::string, std::less<>>;

// `field|mod|mod`: the field, then each modifier.
std::vector<std::string> split_key(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t bar = text.find('|', start);
    parts.push_back(text.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return parts;
}

// The modifiers of a key (`parts` after the field) into `mods`; false, with diagnostics on
// `key`, when one is unknown or unsupported or they do not go together.
bool read_modifiers(Doc& doc, const YAML::Node& key, const std::vector<std::string>& parts, Modifiers& mods) {
  bool ok = true;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& m = parts[i];
    if (kUnsupportedModifiers.count(m)) {
      doc.add(key, "rule.unsupported", fmt::format("value modifier '{}' is not supported", m));
      ok = false;
    } else if (!kKnownModifiers.count(m)) {
      const std::string near = nearest_key(m, {"contains", "startswith", "endswith", "all", "re", "cidr", "base64",
                                               "base64offset", "windash", "exists", "cased", "neq", "fieldref"});
      doc.add(key, "rule.bad_modifier",
              near.empty() ? fmt::format("unknown value modifier '{}'", m)
                           : fmt::format("unknown value modifier '{}'; did you mean '{}'?", m, near));
      ok = false;
    } else {
      mods.insert(m);
    }
  }
  if (!ok) return false;
  if ((mods.count("i") || mods.count("m") || mods.count("s")) && !mods.count("re")) {
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
  return true;
}

// `address/prefix` (the prefix optional) into a Cidr pattern; false when it is not a network.
bool parse_cidr(const std::string& s, Pattern& p) {
  const size_t slash = s.find('/');
  auto ip = IpAddress::parse(std::string_view(s).substr(0, slash));
  unsigned len = ip && ip->is_v4() ? 32 : 128;
  bool good = ip.has_value();
  if (good && slash != std::string::npos) {
    auto [ptr, ec] = std::from_chars(s.data() + slash + 1, s.data() + s.size(), len);
    good = ec == std::errc() && ptr == s.data() + s.size() && len <= (ip->is_v4() ? 32u : 128u);
  }
  if (!good) return false;
  p.kind = Pattern::Kind::Cidr;
  p.network = *ip;
  p.prefix_len = len;
  return true;
}

// A string value's glob patterns, several when windash or base64offset make variants of it;
// contains, startswith and endswith add `*` at the ends.
void add_string_patterns(const std::string& s, const Modifiers& mods, bool cased, FieldTest& out) {
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
}

// One value of `text` (the entry's key) as its patterns, after its modifiers; false, with a
// diagnostic on `v`, when it does not fit them.
bool compile_value(Doc& doc, const FieldMapping& mapping, const std::string& text, const YAML::Node& v,
                   const Modifiers& mods, FieldTest& out) {
  Pattern p;
  p.cased = mods.count("cased");
  if (v.IsNull()) {
    p.kind = Pattern::Kind::Null;
    out.patterns.push_back(std::move(p));
    return true;
  }
  if (!v.IsScalar()) {
    doc.add(v, "rule.bad_value", fmt::format("value of '{}' must be a scalar or a list of scalars", text));
    return false;
  }
  const std::string& s = v.Scalar();
  if (mods.count("exists")) {
    const std::string l = lower(s);
    if (l != "true" && l != "false") {
      doc.add(v, "rule.bad_value", "'exists' needs true or false");
      return false;
    }
    p.kind = Pattern::Kind::Exists;
    p.exists = l == "true";
  } else if (mods.count("lt") || mods.count("lte") || mods.count("gt") || mods.count("gte")) {
    if (!parse_number(s, p.number)) {
      doc.add(v, "rule.bad_value", fmt::format("'{}' is not a number", s));
      return false;
    }
    p.kind = mods.count("lt") ? Pattern::Kind::Lt : mods.count("lte") ? Pattern::Kind::Lte
                                                  : mods.count("gt")  ? Pattern::Kind::Gt
                                                                      : Pattern::Kind::Gte;
  } else if (mods.count("cidr")) {
    if (!parse_cidr(s, p)) {
      doc.add(v, "rule.bad_cidr", fmt::format("'{}' is not an IPv4 or IPv6 network (address/prefix)", s));
      return false;
    }
  } else if (mods.count("re")) {
    RegexFlags f{mods.count("i") > 0, mods.count("m") > 0, mods.count("s") > 0};
    auto r = Regex::compile(s, f);
    if (!r) {
      doc.add(v, r.error().code, fmt::format("invalid regular expression: {}", r.error().message));
      return false;
    }
    p.kind = Pattern::Kind::Regex;
    p.regex = std::move(*r);
  } else if (mods.count("fieldref")) {
    p.kind = Pattern::Kind::FieldRef;
    auto m = mapping.fields.find(s);
    p.other_field = m != mapping.fields.end() ? m->second : s;
  } else {
    add_string_patterns(s, mods, p.cased, out);
    return true;
  }
  out.patterns.push_back(std::move(p));
  return true;
}

// Compiles one `field|mods: values` entry.
bool compile_field(Doc& doc, const FieldMapping& mapping, const YAML::Node& key, const YAML::Node& value,
                   FieldTest& out) {
  const std::string text = key.as<std::string>();
  const std::vector<std::string> parts = split_key(text);
  const std::string& sigma_field = parts[0];
  auto mapped = mapping.fields.find(sigma_field);
  out.field = mapped != mapping.fields.end() ? mapped->second : sigma_field;
  Modifiers mods;
  if (!read_modifiers(doc, key, parts, mods)) return false;
  out.all = mods.count("all");
  out.neq = mods.count("neq");
  bool ok = true;
  if (value.IsSequence()) {
    for (const auto& v : value) ok = compile_value(doc, mapping, text, v, mods, out) && ok;
  } else {
    ok = compile_value(doc, mapping, text, value, mods, out);
  }
  return ok;
}

}  // namespace

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


}  // namespace soc::daemon::rules::load
