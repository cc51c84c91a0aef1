// One YAML document to one Rule: the Sigma rule's metadata, its detection or correlation, and
// our extensions (suppress, exceptions, inline tests). Every key is checked against the keys
// this loader knows: a misspelt key would silently switch a feature off (`supress:`).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <tuple>

#include <fmt/core.h>

#include "core/json_codec.h"
#include "daemon/rules/load/internal.h"

namespace soc::daemon::rules::load {
namespace {

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

}  // namespace

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

namespace {

void correlation_type(Doc& doc, const YAML::Node& c, Correlation& corr) {
  const YAML::Node type = c["type"];
  if (!type) {
    doc.add(c, "rule.missing_key", "correlation needs 'type'");
    return;
  }
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

// deduplicate: {by: [event.action, user.name], within: 2s}
void correlation_deduplicate(Doc& doc, const FieldMapping& mapping, const YAML::Node& d, Correlation& corr) {
  Correlation::Deduplicate dd;
  if (!d.IsMap()) {
    doc.add(d, "rule.bad_value", "'deduplicate' must be a map of 'by' (fields) and 'within' (a timespan)");
  } else {
    check_keys(doc, d, {"by", "within"}, "deduplicate");
    if (const YAML::Node by = d["by"]) {
      for (const auto& e : string_list(doc, by, "deduplicate.by")) dd.by.push_back(map_field(mapping, e.Scalar()));
    }
    const YAML::Node w = d["within"];
    auto span = w && w.IsScalar() ? parse_timespan(w.Scalar()) : std::nullopt;
    if (!span) doc.add(w ? w : d, "rule.bad_value", "'deduplicate.within' must be a timespan (e.g. 2s)");
    else dd.within = *span;
    if (corr.type != CorrelationType::EventCount)
      doc.add(d, "rule.unsupported", "'deduplicate' is supported on event_count correlations only");
  }
  corr.deduplicate = std::move(dd);
}

// The condition as a map of comparisons (gt, gte, ..., and the field a value correlation reads).
void correlation_threshold(Doc& doc, const FieldMapping& mapping, const YAML::Node& cond, Correlation& corr) {
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

void correlation_condition(Doc& doc, const FieldMapping& mapping, const YAML::Node& c, Correlation& corr) {
  const YAML::Node cond = c["condition"];
  if (!cond) {
    const bool temporal = corr.type == CorrelationType::Temporal || corr.type == CorrelationType::TemporalOrdered;
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
      if (parse_condition(doc, cond, refs, expr)) corr.expression = std::move(expr);
    }
  } else if (!cond.IsMap()) {
    doc.add(cond, "rule.bad_value", "'condition' must be a map of gt, gte, lt, lte, eq, neq (and field)");
  } else {
    correlation_threshold(doc, mapping, cond, corr);
  }
}

void correlation_aliases(Doc& doc, const FieldMapping& mapping, const YAML::Node& a, Correlation& corr) {
  if (!a.IsMap()) {
    doc.add(a, "rule.bad_value", "'aliases' must be a map");
    return;
  }
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

void load_correlation(Doc& doc, const FieldMapping& mapping, const YAML::Node& c, Rule& rule) {
  Correlation corr;
  if (!c.IsMap()) {
    doc.add(c, "rule.bad_value", "'correlation' must be a map");
    return;
  }
  check_keys(doc, c, {"type", "rules", "group-by", "timespan", "condition", "aliases", "generate", "deduplicate"},
             "correlation");
  correlation_type(doc, c, corr);
  if (const YAML::Node r = c["rules"]; !r) {
    doc.add(c, "rule.missing_key", "correlation needs 'rules'");
  } else {
    for (const auto& e : string_list(doc, r, "rules")) {
      corr.rule_refs.push_back(e.Scalar());
      corr.ref_positions.push_back(doc.position(e));
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
  if (const YAML::Node d = c["deduplicate"]) correlation_deduplicate(doc, mapping, d, corr);
  correlation_condition(doc, mapping, c, corr);
  if (const YAML::Node a = c["aliases"]) correlation_aliases(doc, mapping, a, corr);
  // Group-by fields are mapped unless they name an alias.
  for (auto& g : corr.group_by) {
    const bool is_alias =
        std::any_of(corr.aliases.begin(), corr.aliases.end(), [&](const auto& al) { return al.name == g; });
    if (!is_alias) g = map_field(mapping, g);
  }
  rule.correlation = std::move(corr);
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
    rt.line = doc.position(t).first;
    if (t.IsMap()) check_keys(doc, t, {"name", "events", "expect"}, "a test");
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

}  // namespace

void check_allowlist_keys(Doc& doc, const YAML::Node& root) {
  check_keys(doc, root, {"title", "id", "name", "description", "author", "date", "modified", "allowlist"},
             "an allowlist document");
  if (const YAML::Node a = root["allowlist"]; a && a.IsMap()) check_keys(doc, a, {"rules", "exceptions"}, "allowlist");
}

namespace {

// Title, ids, status, description, level and the ATT&CK techniques of the tags.
void load_metadata(Doc& doc, const YAML::Node& root, Rule& rule) {
  rule.line = doc.position(root).first;
  get_string(doc, root, "title", rule.title);
  get_string(doc, root, "id", rule.id);
  if (const YAML::Node id = root["id"]) {
    std::tie(rule.id_line, rule.id_column) = doc.position(id);
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
}

// suppress: 10m, or suppress: {timespan: 10m, by: [source.ip]}
void load_suppress(Doc& doc, const FieldMapping& mapping, const YAML::Node& sup, Rule& rule) {
  if (sup.IsMap()) check_keys(doc, sup, {"timespan", "by"}, "suppress");
  const YAML::Node span = sup.IsMap() ? sup["timespan"] : sup;
  if (auto d = span && span.IsScalar() ? parse_timespan(span.Scalar()) : std::nullopt) rule.suppress = *d;
  else doc.add(sup, "rule.bad_value", "'suppress' must be a timespan (e.g. 10m) or {timespan, by}");
  if (sup.IsMap() && sup["by"]) {
    for (const auto& f : string_list(doc, sup["by"], "suppress.by")) rule.suppress_by.push_back(map_field(mapping, f.Scalar()));
  }
}

// A correlation rule's body, and its `generate` flag.
void load_correlation_rule(Doc& doc, const FieldMapping& mapping, const YAML::Node& root, const YAML::Node& c,
                           Rule& rule) {
  load_correlation(doc, mapping, c, rule);
  // `generate` is a key of the correlation rule; some writers put it inside `correlation`.
  const YAML::Node inner = c.IsMap() ? c["generate"] : YAML::Node();
  if (const YAML::Node g = root["generate"] ? root["generate"] : inner) {
    const std::string v = g.IsScalar() ? lower(g.Scalar()) : "";
    if (v != "true" && v != "false") doc.add(g, "rule.bad_value", "'generate' must be true or false");
    else rule.correlation->generate = v == "true";
  }
  if (rule.title.empty()) rule.title = !rule.name.empty() ? rule.name : rule.id;
}

// A detection rule's selections and condition (its logsource mapped first).
void load_detection(Doc& doc, const FieldMapping& mapping, const YAML::Node& root, const YAML::Node& det,
                    Rule& rule) {
  if (rule.title.empty()) rule.title = !rule.name.empty() ? rule.name : rule.id;
  if (const YAML::Node ls = root["logsource"]; ls && ls.IsMap())
    check_keys(doc, ls, {"product", "service", "category", "definition"}, "logsource");
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
      if (parse_condition(doc, c, rule.selections, n)) rule.condition.children.push_back(std::move(n));
    }
  } else if (cond.IsScalar()) {
    parse_condition(doc, cond, rule.selections, rule.condition);
  } else {
    doc.add(cond, "rule.bad_value", "'condition' must be a string");
  }
}

}  // namespace

void load_document(Doc& doc, const FieldMapping& mapping, const YAML::Node& root, Rule& rule) {
  if (!root.IsMap()) {
    doc.add(root, "rule.bad_value", "a rule must be a YAML map");
    return;
  }
  // Sigma's keys (rules and correlations, v2 specification) and ours; custom attributes go under
  // `custom_attributes:` (pySigma's name for them).
  check_keys(doc, root,
             {"title", "id", "name", "related", "taxonomy", "status", "description", "license", "author",
              "references", "date", "modified", "logsource", "detection", "fields", "falsepositives", "level", "tags",
              "scope", "correlation", "generate", "custom_attributes", "suppress", "exceptions", "tests", "action",
              "filter"},
             "the rule");
  load_metadata(doc, root, rule);
  if (root["action"]) {
    doc.add(root["action"], "rule.unsupported", "rule collections ('action', Sigma v1) are not supported");
    return;
  }
  if (root["filter"]) {
    doc.add(root["filter"], "rule.unsupported", "meta filters ('filter') are not supported");
    return;
  }
  if (const YAML::Node t = root["tests"]) load_tests(doc, t, rule);
  if (const YAML::Node sup = root["suppress"]) load_suppress(doc, mapping, sup, rule);
  if (const YAML::Node ex = root["exceptions"]) compile_selection(doc, mapping, "exceptions", ex, rule.exceptions);
  if (const YAML::Node c = root["correlation"]) {
    load_correlation_rule(doc, mapping, root, c, rule);
    return;
  }
  const YAML::Node det = root["detection"];
  if (!det) {
    doc.add(root, "rule.missing_key", "a rule needs 'detection' (or 'correlation')");
    return;
  }
  load_detection(doc, mapping, root, det, rule);
}


}  // namespace soc::daemon::rules::load
