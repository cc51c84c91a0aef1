// Reading the report's JSON back (json.h): every problem located as NAME:LINE:COLUMN: PATH.
#include <fmt/core.h>

#include "core/json_tree.h"
#include "daemon/compliance/json.h"

namespace soc::daemon::compliance {

namespace inv = inventory;
using json::Node;

namespace {

// Reads the tree into the model, collecting problems as "NAME:LINE:COLUMN: PATH: what".
class Reader {
 public:
  Reader(std::string_view text, std::string_view name) : text_(text), name_(name) {}

  bool failed() const { return !problems_.empty(); }
  std::string problems() const {
    std::string out;
    for (const auto& p : problems_) out += p + "\n";
    return out;
  }

  static std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  void problem(const Node& at, const std::string& path, const std::string& what) {
    if (problems_.size() >= 20) return;
    auto [line, column] = json::line_column(text_, at.offset());
    problems_.push_back(fmt::format("{}:{}:{}: {}: {}", name_, line, column, path, what));
  }

  // The member `key` of object `obj` when it has the kind wanted; reported when absent (and
  // required) or of another kind. Null is absent.
  const Node* get(const Node& obj, const std::string& path, std::string_view key, Node::Kind kind, bool required) {
    const Node* n = obj.find(key);
    const std::string where = join(path, key);
    if (!n || n->is_null()) {
      if (required) problem(obj, path.empty() ? "report" : path, fmt::format("'{}' is missing", key));
      return nullptr;
    }
    const bool ok = n->kind() == kind || (kind == Node::Kind::Float && n->is_int());
    if (!ok) {
      problem(*n, where, fmt::format("expected {}, got {}", Node::kind_name(kind), Node::kind_name(n->kind())));
      return nullptr;
    }
    return n;
  }
  std::string string(const Node& obj, const std::string& path, std::string_view key, bool required = true) {
    const Node* n = get(obj, path, key, Node::Kind::String, required);
    return n ? n->as_string() : "";
  }
  int64_t integer(const Node& obj, const std::string& path, std::string_view key, bool required = true) {
    const Node* n = get(obj, path, key, Node::Kind::Int, required);
    return n ? n->as_int() : 0;
  }
  bool boolean(const Node& obj, const std::string& path, std::string_view key) {
    const Node* n = get(obj, path, key, Node::Kind::Bool, true);
    return n && n->as_bool();
  }
  std::optional<Timestamp> time(const Node& obj, const std::string& path, std::string_view key, bool required) {
    const Node* n = get(obj, path, key, Node::Kind::String, required);
    if (!n) return std::nullopt;
    auto t = parse_rfc3339(n->as_string());
    if (!t) problem(*n, join(path, key), fmt::format("'{}' is not an RFC 3339 time", n->as_string()));
    return t;
  }
  std::optional<Date> date(const Node& obj, const std::string& path, std::string_view key, bool required) {
    const Node* n = get(obj, path, key, Node::Kind::String, required);
    if (!n) return std::nullopt;
    auto d = inv::parse_date(n->as_string());
    if (!d) problem(*n, join(path, key), fmt::format("'{}' is not a date YYYY-MM-DD", n->as_string()));
    return d;
  }
  template <typename T>
  T word(const Node& obj, const std::string& path, std::string_view key, std::optional<T> (*parse)(std::string_view),
         std::string_view vocabulary, T fallback) {
    const Node* n = get(obj, path, key, Node::Kind::String, true);
    if (!n) return fallback;
    if (auto v = parse(n->as_string())) return *v;
    problem(*n, join(path, key), fmt::format("'{}' is not one of {}", n->as_string(), vocabulary));
    return fallback;
  }
  const json::Array& array(const Node& obj, const std::string& path, std::string_view key) {
    static const json::Array none;
    const Node* n = get(obj, path, key, Node::Kind::Array, true);
    return n ? n->items() : none;
  }
  std::vector<std::string> strings(const Node& obj, const std::string& path, std::string_view key) {
    std::vector<std::string> out;
    const auto& items = array(obj, path, key);
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].is_string())
        out.push_back(items[i].as_string());
      else
        problem(items[i], fmt::format("{}.{}[{}]", path, key, i), "expected a string");
    }
    return out;
  }
  bool object(const Node& n, const std::string& path) {
    if (n.is_object()) return true;
    problem(n, path, fmt::format("expected an object, got {}", Node::kind_name(n.kind())));
    return false;
  }

 private:
  std::string_view text_;
  std::string name_;
  std::vector<std::string> problems_;
};

std::optional<Status> parse_status_word(std::string_view w) { return inv::parse_status(w); }
std::optional<inv::Source> parse_source_word(std::string_view w) { return inv::parse_source(w); }
std::optional<inv::Reason> parse_reason_word(std::string_view w) { return inv::parse_reason(w); }
std::optional<Language> parse_lang_word(std::string_view w) { return inv::parse_language(w); }
std::optional<CoverageUnit> parse_unit_word(std::string_view w) {
  for (size_t i = 0; i < kCoverageUnits.size(); ++i)
    if (kCoverageUnits[i] == w) return static_cast<CoverageUnit>(i);
  return std::nullopt;
}
std::optional<GapKind> parse_gap_word(std::string_view w) {
  for (size_t i = 0; i < kGapKinds.size(); ++i)
    if (kGapKinds[i] == w) return static_cast<GapKind>(i);
  return std::nullopt;
}

constexpr std::string_view kStatusVocabulary = "met, partially_met, not_met, not_applicable, not_assessable, waived";

inv::ReasonValues read_values(Reader& rd, const Node& n, const std::string& path) {
  inv::ReasonValues v;
  if (!rd.object(n, path)) return v;
  for (const auto& member : n.members()) {
    // Named references, not a structured binding: clang 14 (the sanitizer build) cannot capture
    // a structured binding in a lambda.
    const auto& k = member.first;
    const auto& value = member.second;
    const std::string where = fmt::format("{}.{}", path, k);
    auto str = [&]() -> std::string {
      if (value.is_string()) return value.as_string();
      rd.problem(value, where, "expected a string");
      return "";
    };
    auto num = [&]() -> int64_t {
      if (value.is_int()) return value.as_int();
      rd.problem(value, where, "expected an integer");
      return 0;
    };
    if (k == "kind") v.kind = str();
    else if (k == "name") v.name = str();
    else if (k == "text") v.text = str();
    else if (k == "count") v.count = num();
    else if (k == "required") v.required = num();
    else if (k == "days") v.days = num();
    else if (k == "level") v.level = num();
    else if (k == "window_seconds") v.window = std::chrono::seconds(num());
    else if (k == "date") {
      const std::string s = str();
      v.date = inv::parse_date(s);
      if (!v.date) rd.problem(value, where, fmt::format("'{}' is not a date YYYY-MM-DD", s));
    } else if (k == "instant") {
      const std::string s = str();
      v.instant = parse_rfc3339(s);
      if (!v.instant) rd.problem(value, where, fmt::format("'{}' is not an RFC 3339 time", s));
    } else {
      rd.problem(value, where, "unknown value");
    }
  }
  return v;
}

WaiverEntry read_waiver(Reader& rd, const Node& n, const std::string& path) {
  WaiverEntry w;
  if (!rd.object(n, path)) return w;
  w.requirement = rd.string(n, path, "requirement");
  w.reason = rd.string(n, path, "reason");
  w.approved_by = rd.string(n, path, "approved_by");
  w.expires = rd.date(n, path, "expires", true).value_or(Date{});
  w.in_force = rd.boolean(n, path, "in_force");
  return w;
}

EvidenceItem read_evidence(Reader& rd, const Node& n, const std::string& path) {
  EvidenceItem e;
  if (!rd.object(n, path)) return e;
  e.site = rd.string(n, path, "site");
  e.subject = rd.string(n, path, "subject");
  e.status = rd.word(n, path, "status", parse_status_word, kStatusVocabulary, Status::NotAssessable);
  e.rule = rd.string(n, path, "rule");
  e.source = rd.word(n, path, "source", parse_source_word, "inventory, sensor, collector, correlator, manual, baseline",
                     inv::Source::Inventory);
  e.reason = rd.word(n, path, "code", parse_reason_word, "the reason codes of docs/report.md", inv::Reason::Manual);
  if (const Node* v = rd.get(n, path, "values", Node::Kind::Object, true)) e.values = read_values(rd, *v, path + ".values");
  e.observed = rd.string(n, path, "observed");
  e.observed_at = rd.time(n, path, "observed_at", false);
  e.valid_until = rd.time(n, path, "valid_until", false);
  if (const Node* w = rd.get(n, path, "waiver", Node::Kind::Object, false)) {
    inv::AppliedWaiver a;
    a.expires = rd.date(*w, path + ".waiver", "expires", true).value_or(Date{});
    a.approved_by = rd.string(*w, path + ".waiver", "approved_by");
    a.reason = rd.string(*w, path + ".waiver", "reason");
    e.waiver = a;
  }
  return e;
}

RequirementResult read_requirement(Reader& rd, const Node& n, const std::string& path) {
  RequirementResult q;
  if (!rd.object(n, path)) return q;
  q.id = rd.string(n, path, "id");
  if (const Node* t = rd.get(n, path, "title", Node::Kind::Object, true)) {
    q.title_vi = rd.string(*t, path + ".title", "vi");
    q.title_en = rd.string(*t, path + ".title", "en");
  }
  q.reference = rd.string(n, path, "reference");
  q.legacy = rd.string(n, path, "legacy", false);
  q.group = rd.string(n, path, "group", false);
  q.source = rd.string(n, path, "source", false);
  q.check = rd.string(n, path, "check", false);
  q.manual = rd.string(n, path, "manual", false);
  q.status = rd.word(n, path, "status", parse_status_word, kStatusVocabulary, Status::NotAssessable);
  q.reason = rd.string(n, path, "reason");
  if (const Node* c = rd.get(n, path, "coverage", Node::Kind::Object, true)) {
    q.coverage.met = rd.integer(*c, path + ".coverage", "met");
    q.coverage.total = rd.integer(*c, path + ".coverage", "total");
    q.coverage.unit = rd.word(*c, path + ".coverage", "unit", parse_unit_word, "sites, assets, system", CoverageUnit::System);
  }
  if (const Node* w = rd.get(n, path, "waiver", Node::Kind::Object, false)) q.waiver = read_waiver(rd, *w, path + ".waiver");
  const auto& evidence = rd.array(n, path, "evidence");
  for (size_t i = 0; i < evidence.size(); ++i)
    q.evidence.push_back(read_evidence(rd, evidence[i], fmt::format("{}.evidence[{}]", path, i)));
  return q;
}

StatusCounts read_counts(Reader& rd, const Node& n, const std::string& path) {
  StatusCounts c{};
  for (size_t i = 0; i < c.size(); ++i) c[i] = rd.integer(n, path, inv::kStatusWords[i]);
  return c;
}

SystemResult read_system(Reader& rd, const Node& n, const std::string& path) {
  SystemResult s;
  if (!rd.object(n, path)) return s;
  s.id = rd.string(n, path, "id");
  s.name = rd.string(n, path, "name");
  s.owner = rd.string(n, path, "owner", false);
  s.level = static_cast<int>(rd.integer(n, path, "level"));
  if (s.level < 1 || s.level > 5) rd.problem(n, path + ".level", fmt::format("level {} is not 1-5", s.level));
  s.approved = rd.date(n, path, "approved", false);
  s.last_assessment = rd.date(n, path, "last_assessment", false);
  const auto& sites = rd.array(n, path, "sites");
  for (size_t i = 0; i < sites.size(); ++i) {
    const std::string p = fmt::format("{}.sites[{}]", path, i);
    if (!rd.object(sites[i], p)) continue;
    s.sites.push_back({rd.string(sites[i], p, "id"), rd.string(sites[i], p, "name"), rd.string(sites[i], p, "kind")});
  }
  s.assets_in_scope = rd.integer(n, path, "assets_in_scope");
  if (const Node* c = rd.get(n, path, "by_status", Node::Kind::Object, true)) s.counts = read_counts(rd, *c, path + ".by_status");
  const auto& requirements = rd.array(n, path, "requirements");
  for (size_t i = 0; i < requirements.size(); ++i)
    s.requirements.push_back(read_requirement(rd, requirements[i], fmt::format("{}.requirements[{}]", path, i)));
  const auto& waivers = rd.array(n, path, "waivers");
  for (size_t i = 0; i < waivers.size(); ++i)
    s.waivers.push_back(read_waiver(rd, waivers[i], fmt::format("{}.waivers[{}]", path, i)));
  return s;
}

std::array<int64_t, 5> read_severities(Reader& rd, const Node& n, const std::string& path) {
  std::array<int64_t, 5> c{};
  for (int64_t s = 1; s <= 5; ++s) c[static_cast<size_t>(s - 1)] = rd.integer(n, path, severity_word(s));
  return c;
}

AlertsSummary read_alerts(Reader& rd, const Node& n, const std::string& path) {
  AlertsSummary a;
  if (!rd.object(n, path)) return a;
  a.available = rd.boolean(n, path, "available");
  a.note = rd.string(n, path, "note", false);
  a.total = rd.integer(n, path, "total");
  if (const Node* s = rd.get(n, path, "by_severity", Node::Kind::Object, true))
    a.by_severity = read_severities(rd, *s, path + ".by_severity");
  const auto& sites = rd.array(n, path, "by_site");
  for (size_t i = 0; i < sites.size(); ++i) {
    const std::string p = fmt::format("{}.by_site[{}]", path, i);
    if (!rd.object(sites[i], p)) continue;
    AlertsSummary::Site s;
    s.site = rd.string(sites[i], p, "site");
    s.total = rd.integer(sites[i], p, "total");
    if (const Node* c = rd.get(sites[i], p, "by_severity", Node::Kind::Object, true))
      s.by_severity = read_severities(rd, *c, p + ".by_severity");
    a.by_site.push_back(std::move(s));
  }
  const auto& rules = rd.array(n, path, "by_rule");
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string p = fmt::format("{}.by_rule[{}]", path, i);
    if (!rd.object(rules[i], p)) continue;
    a.by_rule.push_back({rd.string(rules[i], p, "id"), rd.string(rules[i], p, "name"), rd.integer(rules[i], p, "severity"),
                         rd.integer(rules[i], p, "count")});
  }
  return a;
}

std::optional<std::chrono::minutes> parse_offset(std::string_view s) {
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return std::nullopt;
  for (size_t i : {1, 2, 4, 5})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  const int h = (s[1] - '0') * 10 + (s[2] - '0'), m = (s[4] - '0') * 10 + (s[5] - '0');
  if (m > 59 || h > 14) return std::nullopt;
  return std::chrono::minutes((s[0] == '-' ? -1 : 1) * (h * 60 + m));
}

}  // namespace

Result<Report> from_json(std::string_view text, std::string_view name) {
  auto tree = json::parse(text);
  if (!tree)
    return fail("report", fmt::format("{}:{}:{}: not JSON: {}\n", name, tree.error().line, tree.error().column,
                                      tree.error().message));
  const Node& root = *tree;
  Reader rd(text, name);
  Report r;
  if (!rd.object(root, "report")) return fail("report", rd.problems());
  if (rd.string(root, "", "format") != "soc-compliance-report" && !rd.failed())
    rd.problem(*root.find("format"), "format", "not a compliance report (expected \"soc-compliance-report\")");
  if (const Node* v = rd.get(root, "", "format_version", Node::Kind::Int, true); v && v->as_int() != 1)
    rd.problem(*v, "format_version", fmt::format("version {} is not 1, the one this socctl reads", v->as_int()));
  r.lang = rd.word(root, "", "lang", parse_lang_word, "vi, en", Language::Vi);
  if (const Node* p = rd.get(root, "", "period", Node::Kind::Object, true)) {
    r.from = rd.time(*p, "period", "from", true).value_or(Timestamp{});
    r.to = rd.time(*p, "period", "to", true).value_or(Timestamp{});
  }
  if (const Node* g = rd.get(root, "", "generator", Node::Kind::Object, true)) {
    r.generator = rd.string(*g, "generator", "name");
    r.version = rd.string(*g, "generator", "version");
  }
  r.source = rd.string(root, "", "source");
  if (const Node* tz = rd.get(root, "", "time_zone", Node::Kind::String, true)) {
    if (auto o = parse_offset(tz->as_string()))
      r.utc_offset = *o;
    else
      rd.problem(*tz, "time_zone", fmt::format("'{}' is not an offset like +07:00", tz->as_string()));
  }
  if (const Node* b = rd.get(root, "", "baseline", Node::Kind::Object, true)) {
    r.baseline_id = rd.string(*b, "baseline", "id");
    r.baseline_version = rd.string(*b, "baseline", "version");
    r.baseline_description = rd.string(*b, "baseline", "description", false);
    r.basis = rd.strings(*b, "baseline", "basis");
  }
  if (const Node* i = rd.get(root, "", "inventory", Node::Kind::Object, true)) {
    r.sites = rd.integer(*i, "inventory", "sites");
    r.systems_count = rd.integer(*i, "inventory", "systems");
    r.assets = rd.integer(*i, "inventory", "assets");
    r.sensors = rd.integer(*i, "inventory", "sensors");
  }
  if (const Node* in = rd.get(root, "", "inputs", Node::Kind::Object, true)) {
    r.inputs.inventory_sha256 = rd.string(*in, "inputs", "inventory_sha256");
    r.inputs.baseline_sha256 = rd.string(*in, "inputs", "baseline_sha256");
    if (const Node* e = rd.get(*in, "inputs", "events", Node::Kind::Object, false)) {
      EventsInput ev;
      ev.files = rd.integer(*e, "inputs.events", "files");
      ev.lines = rd.integer(*e, "inputs.events", "lines");
      ev.used = rd.integer(*e, "inputs.events", "used");
      ev.malformed = rd.integer(*e, "inputs.events", "malformed");
      ev.outside = rd.integer(*e, "inputs.events", "outside_period");
      ev.sha256 = rd.string(*e, "inputs.events", "sha256");
      r.inputs.events = ev;
    }
  }
  if (const Node* s = rd.get(root, "", "summary", Node::Kind::Object, true))
    if (const Node* c = rd.get(*s, "summary", "by_status", Node::Kind::Object, true))
      r.summary = read_counts(rd, *c, "summary.by_status");
  const auto& systems = rd.array(root, "", "systems");
  for (size_t i = 0; i < systems.size(); ++i)
    r.systems.push_back(read_system(rd, systems[i], fmt::format("systems[{}]", i)));
  const auto& gaps = rd.array(root, "", "gaps");
  for (size_t i = 0; i < gaps.size(); ++i) {
    const std::string p = fmt::format("gaps[{}]", i);
    if (!rd.object(gaps[i], p)) continue;
    Gap g;
    g.site = rd.string(gaps[i], p, "site");
    g.site_name = rd.string(gaps[i], p, "site_name");
    g.kind = rd.word(gaps[i], p, "kind", parse_gap_word, "license_expired, equipment_missing, sensor_silent, logsource_silent",
                     GapKind::EquipmentMissing);
    g.subject = rd.string(gaps[i], p, "subject");
    g.subject_kind = rd.string(gaps[i], p, "subject_kind");
    g.observed = rd.string(gaps[i], p, "observed");
    g.systems = rd.strings(gaps[i], p, "systems");
    g.requirements = rd.strings(gaps[i], p, "requirements");
    r.gaps.push_back(std::move(g));
  }
  if (const Node* a = rd.get(root, "", "alerts", Node::Kind::Object, true)) r.alerts = read_alerts(rd, *a, "alerts");
  r.digest = rd.string(root, "", "digest");
  if (rd.failed()) return fail("report", rd.problems());
  return r;
}

}  // namespace soc::daemon::compliance
