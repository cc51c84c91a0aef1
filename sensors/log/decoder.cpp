#include "sensors/log/decoder.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

#include "core/config/yaml_util.h"
#include "core/fields.h"
#include "core/json_codec.h"
#include "core/shipped_paths.h"
#include "core/url.h"
#include "soc_build_config.h"

namespace soc::sensors::log {
namespace {

namespace fs = std::filesystem;
using config::diag_at;

// ---- loading -------------------------------------------------------------------------------

struct Loader {
  const std::string& path;
  std::vector<Diagnostic>& diags;
  bool ok = true;

  void error(const YAML::Node& n, const std::string& code, const std::string& msg) {
    diags.push_back(diag_at(path, n, code, msg));
    ok = false;
  }

  bool check_keys(const YAML::Node& map, std::initializer_list<std::string_view> allowed) {
    bool good = true;
    std::vector<std::string> seen;
    for (const auto& kv : map) {
      const std::string key = kv.first.Scalar();
      // yaml-cpp keeps both entries of a repeated key and the lookup sees only the first.
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        error(kv.first, "decoder.duplicate_key", fmt::format("key '{}' appears twice in this map", key));
        good = false;
        continue;
      }
      seen.push_back(key);
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        error(kv.first, "decoder.unknown_key", fmt::format("unknown key '{}' (expected one of: {})", key, list));
        good = false;
      }
    }
    return good;
  }

  std::vector<std::string> string_list(const YAML::Node& n, const char* what) {
    std::vector<std::string> out;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
    } else if (n.IsSequence()) {
      for (const auto& e : n) {
        if (e.IsScalar()) out.push_back(e.Scalar());
        else error(e, "decoder.bad_value", fmt::format("{} must be a list of strings", what));
      }
    } else {
      error(n, "decoder.bad_value", fmt::format("{} must be a string or a list of strings", what));
    }
    return out;
  }

  // `set:` values: scalars, or lists for list fields; typed by the field registry.
  std::vector<StaticField> statics(const YAML::Node& n) {
    std::vector<StaticField> out;
    if (!n.IsMap()) {
      error(n, "decoder.bad_value", "set must be a map of field: value");
      return out;
    }
    for (const auto& kv : n) {
      const std::string field = kv.first.Scalar();
      const FieldSpec* spec = find_field_spec(field);
      if (!spec) {
        error(kv.first, "decoder.unknown_field", fmt::format("'{}' is not a documented field (docs/fields.md)", field));
        continue;
      }
      if (spec->type != ValueType::String) {
        error(kv.first, "decoder.bad_value", fmt::format("set supports string fields only; '{}' is not one", field));
        continue;
      }
      if (spec->list) {
        List l;
        for (auto& s : string_list(kv.second, field.c_str())) l.emplace_back(s);
        out.push_back({field, Value(std::move(l))});
      } else if (kv.second.IsScalar()) {
        out.push_back({field, Value(kv.second.Scalar())});
      } else {
        error(kv.second, "decoder.bad_value", fmt::format("'{}' takes one string", field));
      }
    }
    return out;
  }

  // `fields:` capture-name -> ECS field.
  void field_map(const YAML::Node& n, std::map<std::string, std::pair<std::string, YAML::Mark>>& out) {
    if (!n.IsMap()) {
      error(n, "decoder.bad_value", "fields must be a map of capture: field");
      return;
    }
    for (const auto& kv : n) {
      std::string field = kv.second.Scalar();
      std::string stored = field;
      if (field.ends_with("|lower")) field.resize(field.size() - 6);
      if (field != "@timestamp" && !find_field_spec(field)) {
        error(kv.second, "decoder.unknown_field", fmt::format("'{}' is not a documented field (docs/fields.md)", field));
        continue;
      }
      out[kv.first.Scalar()] = {stored, kv.second.Mark()};
    }
  }

  void rule(Decoder& d, const YAML::Node& n, const std::map<std::string, std::pair<std::string, YAML::Mark>>& shared,
            const std::string& prefix) {
    if (!n.IsMap()) return error(n, "decoder.bad_value", "a rule must be a map with at least 'match'");
    check_keys(n, {"match", "prefilter", "set", "fields"});
    if (!n["match"] || !n["match"].IsScalar()) return error(n, "decoder.missing_key", "a rule needs 'match' (a regular expression)");
    auto re = Regex::compile(prefix + n["match"].Scalar());
    if (!re) return error(n["match"], re.error().code, re.error().message);
    Rule r{std::move(*re), {}, -1, {}, {}};
    if (n["prefilter"]) r.prefilter = n["prefilter"].Scalar();
    if (n["set"]) r.set = statics(n["set"]);
    auto fields = shared;
    if (n["fields"]) field_map(n["fields"], fields);
    for (const auto& g : r.regex.groups()) {
      auto it = fields.find(g.name);
      if (it == fields.end()) {
        error(n["match"], "decoder.unmapped_capture",
              fmt::format("capture '{}' is not mapped to a field (add it to 'fields')", g.name));
        continue;
      }
      CaptureMap c{g.number, it->second.first, CaptureKind::String, false};
      if (c.field.ends_with("|lower")) {
        c.field.resize(c.field.size() - 6);
        c.lower = true;
      }
      if (c.field == "@timestamp") c.kind = CaptureKind::Time;
      else if (const FieldSpec* spec = find_field_spec(c.field)) {
        if (spec->type == ValueType::Ip) c.kind = CaptureKind::Ip;
        else if (spec->type == ValueType::Int) c.kind = CaptureKind::Int;
        else if (spec->type == ValueType::Timestamp) c.kind = CaptureKind::Time;
      }
      r.captures.push_back(std::move(c));
    }
    d.rules.push_back(std::move(r));
  }

  std::unique_ptr<Decoder> decoder(const YAML::Node& n) {
    if (!n.IsMap()) {
      error(n, "decoder.bad_value", "a decoder must be a map");
      return nullptr;
    }
    check_keys(n, {"name", "dataset", "programs", "input", "formats", "time_format", "remember_source", "set",
                   "fields", "prefix", "rules", "when_field", "when_value", "paths"});
    auto d = std::make_unique<Decoder>();
    d->file = path;
    if (!n["name"]) error(n, "decoder.missing_key", "a decoder needs 'name'");
    else d->name = n["name"].Scalar();
    d->dataset = n["dataset"] ? n["dataset"].Scalar() : d->name;
    if (n["input"]) {
      const std::string in = n["input"].Scalar();
      if (in == "line") d->line_input = true;
      else if (in == "json") d->json_input = true;
      else if (in != "syslog") error(n["input"], "decoder.bad_value", "input must be 'syslog', 'line' or 'json'");
    }
    if (n["programs"]) d->programs = string_list(n["programs"], "programs");
    d->any_program = std::find(d->programs.begin(), d->programs.end(), "*") != d->programs.end();
    if (!d->line_input && !d->json_input && d->programs.empty())
      error(n, "decoder.missing_key", "a syslog decoder needs 'programs' (or input: line)");
    if (n["formats"]) d->formats = string_list(n["formats"], "formats");
    if (n["paths"]) {
      d->paths = string_list(n["paths"], "paths");
      for (const auto& p : d->paths)
        if (p.empty()) error(n["paths"], "decoder.bad_value", "paths must not hold an empty string");
    }
    if (n["time_format"]) {
      auto f = time_format_from_name(n["time_format"].Scalar());
      if (!f) error(n["time_format"], "decoder.bad_value", "time_format must be bsd, rfc3339, clf, ymd_slash, ctime or epoch");
      else d->time_format = *f;
    }
    if (n["remember_source"]) d->remember_source = n["remember_source"].Scalar() == "true";
    if (n["set"]) d->set = statics(n["set"]);
    std::map<std::string, std::pair<std::string, YAML::Mark>> shared;
    if (n["fields"]) field_map(n["fields"], shared);
    if (d->json_input) {
      // A field map: JSON keys (nested objects flattened to dotted keys) renamed to documented
      // fields and typed; no regular expressions.
      if (n["rules"]) error(n["rules"], "decoder.bad_value", "a json decoder has no rules, only fields");
      if (shared.empty()) error(n, "decoder.missing_key", "a json decoder needs 'fields' (JSON key: field)");
      for (const auto& [key, f] : shared) d->json_fields.emplace_back(key, f.first);
      if (n["when_field"]) d->when_field = n["when_field"].Scalar();
      if (n["when_value"]) d->when_value = n["when_value"].Scalar();
    } else if (!n["rules"] || !n["rules"].IsSequence() || n["rules"].size() == 0) {
      error(n, "decoder.missing_key", "a decoder needs 'rules' (a non-empty list)");
    } else {
      const std::string prefix = n["prefix"] ? n["prefix"].Scalar() : std::string();
      for (const auto& r : n["rules"]) rule(*d, r, shared, prefix);
      // A prefix that does not compile alone (a group the rules close) simply has no gate.
      if (d->line_input && !prefix.empty() && d->rules.size() >= 2)
        if (auto g = Regex::compile(prefix)) d->gate.emplace(std::move(*g));
    }
    // A decoder that fills url.original makes web events: their URL is normalized.
    for (const auto& r : d->rules)
      for (const auto& c : r.captures) d->web = d->web || c.field == "url.original";
    for (const auto& [key, field] : d->json_fields) d->web = d->web || field == "url.original";
    return d;
  }
};

// ---- decoding helpers ------------------------------------------------------------------------

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    // Log lines are mostly ASCII: eight bytes at a time while no byte has its high bit set.
    if (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    unsigned char c = p[i];
    if (c < 0x80) { ++i; continue; }
    size_t n = (c >= 0xC2 && c <= 0xDF) ? 1 : (c >= 0xE0 && c <= 0xEF) ? 2 : (c >= 0xF0 && c <= 0xF4) ? 3 : 0;
    if (n == 0 || i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return false;
    if (c == 0xE0 && p[i + 1] < 0xA0) return false;
    if (c == 0xED && p[i + 1] > 0x9F) return false;
    if (c == 0xF0 && p[i + 1] < 0x90) return false;
    if (c == 0xF4 && p[i + 1] > 0x8F) return false;
    i += n + 1;
  }
  return true;
}

std::optional<IpAddress> parse_ip(std::string_view s) {
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.size() > 7 && (s.substr(0, 7) == "::ffff:" || s.substr(0, 7) == "::FFFF:") &&
      s.find('.') != std::string_view::npos)
    s.remove_prefix(7);
  return IpAddress::parse(s);
}

std::optional<int64_t> parse_int(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Event::set for per-line decoding, assigning in place: the decoder fills one Event line after
// line (clear() keeps the slots), so a slot's string or list keeps its capacity and a field
// costs no malloc/free once the slot is large enough.
void set_string(Event& e, std::string_view key, std::string_view text) {
  Value* v = e.find(key);
  if (!v) v = &e.append_unchecked(key);
  v->set_string(text);
}

void set_copy(Event& e, std::string_view key, const Value& value) {
  Value* v = e.find(key);
  if (!v) v = &e.append_unchecked(key);
  *v = value;
}

// Web events: the normalized path and query beside the raw url.original (docs/fields.md, "URL
// fields"), so that web rules match what a request asks for however it is encoded; the outcome
// from the status when the decoder did not set one; and a 401 for a named user is a refused
// login (Basic authentication: the user column holds the name the client sent).
void finish_web_event(Event& out) {
  if (const Value* u = out.find("url.original"); u && u->is_string() && !u->as_string().empty()) {
    // Normalized into buffers kept from line to line, then copied into the event's slots (which
    // keep their capacity too): no allocation per web line once warm.
    static thread_local NormalizedUrl n;
    normalize_url(u->as_string(), n);
    if (!n.path.empty()) set_string(out, "url.path", n.path);
    if (n.has_query && !n.query.empty()) set_string(out, "url.query", n.query);
    set_string(out, "soc.url.decoded", n.decoded);
  }
  if (const Value* user = out.find("user.name"); user && user->is_string() && user->as_string() == "-")
    out.erase("user.name");
  const Value* status = out.find("http.response.status_code");
  if (!status || !status->is_int()) return;
  const int64_t code = status->as_int();
  if (!out.contains("event.outcome")) out.set("event.outcome", code >= 400 ? "failure" : "success");
  if (code != 401 || !out.contains("user.name") || out.contains("event.action")) return;
  List categories;
  if (const Value* c = out.find("event.category"); c && c->is_list()) categories = c->as_list();
  categories.emplace_back("authentication");
  out.set("event.category", Value(std::move(categories)));
  out.set("event.action", "http_login");
  out.set("event.outcome", "failure");
}

// A host name as logged (rhost=, "from example.com"): letters, digits, '-', '.', '_'.
bool looks_like_hostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) return false;
  return true;
}

}  // namespace

// ---- DecoderSet ------------------------------------------------------------------------------

bool DecoderSet::load_text(const std::string& path, const std::string& text, std::vector<Diagnostic>& diags) {
  YAML::Node root;
  if (!config::load_yaml(path, text, root, diags)) return false;
  Loader l{path, diags};
  std::vector<std::unique_ptr<Decoder>> loaded;
  try {
    if (!root.IsMap() || !root["decoders"] || !root["decoders"].IsSequence()) {
      l.error(root, "decoder.missing_key", "a decoder file is a map with 'decoders' (a list)");
    } else {
      l.check_keys(root, {"decoders"});
      for (const auto& n : root["decoders"])
        if (auto d = l.decoder(n)) loaded.push_back(std::move(d));
    }
  } catch (const YAML::Exception& e) {  // yaml-cpp stays behind this adapter
    l.error(root, "decoder.yaml", e.what());
  }
  if (!l.ok) return false;
  for (auto& d : loaded) decoders_.push_back(std::move(d));
  index_prefilters();
  return true;
}

void DecoderSet::index_prefilters() {
  prefilters_ = LiteralSet();
  for (auto& d : decoders_)
    for (auto& r : d->rules) r.prefilter_id = r.prefilter.empty() ? -1 : prefilters_.add(r.prefilter);
  prefilters_.build();
}

bool DecoderSet::load_file(const std::string& path, std::vector<Diagnostic>& diags) {
  std::string text;
  if (auto d = config::read_file_bounded(path, text, config::kMaxDecoderFileBytes, "decoder.io")) {
    diags.push_back(std::move(*d));
    return false;
  }
  return load_text(path, text, diags);
}

bool DecoderSet::load_directory(const std::string& dir, std::vector<Diagnostic>& diags) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  if (ec) {
    diags.push_back(Diagnostic{dir, 0, 0, "decoder.io", "cannot read the directory: " + ec.message()});
    return false;
  }
  std::sort(files.begin(), files.end());
  bool ok = true;
  for (const auto& f : files) ok = load_file(f, diags) && ok;
  return ok;
}

bool DecoderSet::knows_format(std::string_view format) const {
  for (const auto& d : decoders_)
    if (std::find(d->formats.begin(), d->formats.end(), format) != d->formats.end()) return true;
  return false;
}

std::string find_builtin_decoders() {
  if (const char* env = std::getenv("SOC_LOG_DECODERS"); env && *env) return env;
  return shipped_path("sensors/log/decoders", "log-decoders");
}

// ---- LineDecoder -----------------------------------------------------------------------------

LineDecoder::LineDecoder(const DecoderSet& set, DecodeOptions options) : set_(set), opt_(std::move(options)) {
  const bool all = opt_.format == "auto" || opt_.format == "syslog";
  for (const auto& d : set_.decoders_) {
    const bool named = std::find(d->formats.begin(), d->formats.end(), opt_.format) != d->formats.end();
    if (d->json_input) {
      if (named || opt_.format == "auto" || opt_.format == "json") json_decoders_.push_back(d.get());
      continue;
    }
    if (!all && !named) continue;
    if (!d->paths.empty() && !named) path_gated_.push_back(d.get());
    if (d->line_input) {
      line_decoders_.push_back(d.get());
    } else if (d->any_program) {
      any_program_.push_back(d.get());
    } else {
      for (const auto& p : d->programs) {
        // "postfix*" selects every program whose name starts with "postfix" (postfix/smtpd,
        // postfix-out/submission/smtpd, ...).
        if (p.size() > 1 && p.back() == '*') by_prefix_.emplace_back(p.substr(0, p.size() - 1), d.get());
        else by_program_[p].push_back(d.get());
      }
    }
  }
  if (opt_.format == "syslog") line_decoders_.clear();
  select_by_path();
}

void LineDecoder::set_file_path(std::string_view path) {
  if (path == opt_.file_path) return;
  opt_.file_path.assign(path);
  select_by_path();
}

void LineDecoder::select_by_path() {
  path_open_.clear();
  for (const Decoder* d : path_gated_)
    for (const auto& p : d->paths)
      if (opt_.file_path.find(p) != std::string::npos) {
        path_open_.push_back(d);
        break;
      }
}

bool LineDecoder::try_decoder(const Decoder& d, std::string_view text, Event& out) {
  if (!d.paths.empty() && std::find(path_gated_.begin(), path_gated_.end(), &d) != path_gated_.end() &&
      std::find(path_open_.begin(), path_open_.end(), &d) == path_open_.end())
    return false;
  bool failed_once = false, gate_passed = false;
  for (const Rule& r : d.rules) {
    if (r.prefilter_id >= 0 && !prefilter_found(r.prefilter_id, text)) continue;
    if (failed_once && d.gate && !gate_passed) {
      // Asked once, after the first expression failed: a line that matches a rule passes the
      // gate too, and one that matches none stops here instead of meeting every rule.
      if (d.gate->rules_out(text, caps_)) return false;
      gate_passed = true;
    }
    if (!r.regex.search(text, caps_)) {
      failed_once = true;
      continue;
    }
    set_string(out, "event.kind", "event");
    set_string(out, "event.dataset", d.dataset);
    for (const auto& s : d.set) set_copy(out, s.field, s.value);
    for (const auto& s : r.set) set_copy(out, s.field, s.value);
    for (const auto& c : r.captures) {
      std::string_view v = caps_.group(c.group);
      if (v.empty()) continue;
      switch (c.kind) {
        case CaptureKind::String:
          if (c.lower) {
            scratch_.assign(v);
            for (char& ch : scratch_) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            set_string(out, c.field, scratch_);
          } else {
            set_string(out, c.field, v);
          }
          break;
        case CaptureKind::Int:
          if (auto i = parse_int(v)) out.set(c.field, *i);
          else ++stats_.bad_values;
          break;
        case CaptureKind::Ip:
          if (auto ip = parse_ip(v)) {
            out.set(c.field, *ip);
          } else if (c.field.size() > 3 && c.field.ends_with(".ip") && looks_like_hostname(v)) {
            // "from example.com": sshd and PAM log the name when UseDNS resolves it.
            out.set(c.field.substr(0, c.field.size() - 3) + ".domain", v);
          } else {
            ++stats_.bad_values;
          }
          break;
        case CaptureKind::Time:
          if (auto t = parse_time(d.time_format, v, opt_.time)) {
            out.set("@timestamp", *t);
            time_set_ = true;
          } else {
            ++stats_.bad_values;
          }
          break;
      }
    }
    if (d.remember_source) remember(d, out);
    if (d.web) finish_web_event(out);
    ++matches_[&d];
    return true;
  }
  return false;
}

bool LineDecoder::prefilter_found(int id, std::string_view text) {
  // One pass over the text finds every prefilter it holds; the text is the syslog message or
  // the whole line, so a decode() scans at most two texts.
  if (!scanned_ || scanned_data_ != text.data() || scanned_size_ != text.size()) {
    set_.prefilters_.scan(text, found_);
    scanned_ = true;
    scanned_data_ = text.data();
    scanned_size_ = text.size();
  }
  return LiteralSet::has(found_, id);
}

void LineDecoder::remember(const Decoder& d, Event& out) {
  // The process is the syslog header's (host, pid); for a log file whose lines carry the pid
  // (PostgreSQL's "[1234]"), the file's path and that pid.
  int64_t pid = -1;
  std::string_view where;
  if (have_header_ && header_.pid >= 0) {
    pid = header_.pid;
    where = header_.hostname;
  } else if (const Value* p = out.find("process.pid"); p && p->is_int()) {
    pid = p->as_int();
    where = opt_.file_path;
  }
  if (pid < 0) return;
  scratch_.clear();
  scratch_.append(where).push_back('\0');
  scratch_.append(d.name).push_back('\0');
  scratch_.append(std::to_string(pid));
  if (const Value* ip = out.find("source.ip"); ip && ip->is_ip()) {
    // Bounded: a flood of distinct pids cannot grow it without limit.
    if (sessions_.size() >= 65536) sessions_.clear();
    sessions_[scratch_] = ip->as_ip();
  } else if (auto it = sessions_.find(scratch_); it != sessions_.end()) {
    out.set("source.ip", it->second);
  }
}

bool LineDecoder::apply_line_decoders(std::string_view text, Event& out) {
  for (const Decoder* d : line_decoders_)
    if (try_decoder(*d, text, out)) return true;
  return false;
}

void LineDecoder::apply_json_decoder(const Decoder& d, Event& out) {
  for (const auto& [key, target] : d.json_fields) {
    const Value* v = out.find(key);
    if (!v) continue;
    std::string field = target;
    const bool lower = field.ends_with("|lower");
    if (lower) field.resize(field.size() - 6);
    const FieldSpec* spec = find_field_spec(field);
    const ValueType want = field == "@timestamp" ? ValueType::Timestamp : spec ? spec->type : ValueType::String;
    std::optional<Value> converted;
    // A value of the field's type (a list for a list field) is kept as it is, unless it is a
    // string to lower-case: that one is converted like any other text below.
    const bool as_is = spec && spec->list ? v->is_list() : v->type() == want;
    if (as_is && !(lower && v->is_string())) {
      converted = *v;
    } else {
      std::string text = v->to_text();
      if (lower)
        for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      switch (want) {
        case ValueType::Ip:
          if (auto ip = parse_ip(text)) converted = Value(*ip);
          break;
        case ValueType::Int:
          if (auto i = parse_int(text)) converted = Value(*i);
          break;
        case ValueType::Timestamp:
          if (auto t = parse_rfc3339(text)) converted = Value(*t);
          else if (auto e = parse_time(TimeFormat::Epoch, text, opt_.time)) converted = Value(*e);
          break;
        default:
          converted = spec && spec->list ? Value(List{Value(text)}) : Value(text);
      }
    }
    if (!converted) {
      ++stats_.bad_values;
      continue;
    }
    if (field == "@timestamp") time_set_ = true;
    if (field != key) out.erase(key);
    out.set(field, std::move(*converted));
  }
  out.set("event.dataset", d.dataset);
  for (const auto& st : d.set) out.set(st.field, st.value);
  if (d.web) finish_web_event(out);
}

bool LineDecoder::decode_journal_json(Event& out, bool& decoded) {
  // `journalctl -o json` (and journal exports turned into JSON): the message and the syslog
  // fields of an entry, decoded as the journal reader decodes them (ADR 0014).
  const Value* message = out.find("MESSAGE");
  if (!message || !message->is_string()) return false;
  std::string_view program = out.get_string("SYSLOG_IDENTIFIER");
  if (program.empty()) program = out.get_string("_COMM");
  if (program.empty()) return false;
  journal_message_ = message->as_string();
  journal_program_.assign(program);
  journal_host_.assign(out.get_string("_HOSTNAME"));
  SyslogHeader h;
  h.program = journal_program_;
  h.hostname = journal_host_;
  h.message = journal_message_;
  while (!h.message.empty() && (h.message.back() == '\n' || h.message.back() == '\r')) h.message.remove_suffix(1);
  std::string_view pid = out.get_string("_PID");
  if (pid.empty()) pid = out.get_string("SYSLOG_PID");
  if (auto p = parse_int(pid)) h.pid = *p;
  if (auto us = parse_int(out.get_string("__REALTIME_TIMESTAMP")))
    h.timestamp = Timestamp{std::chrono::microseconds{*us}};
  const auto priority = parse_int(out.get_string("PRIORITY"));
  const auto facility = parse_int(out.get_string("SYSLOG_FACILITY"));
  if (priority && *priority <= 7) {
    if (facility && *facility < 24) h.priority = static_cast<int>(*facility * 8 + *priority);
    else h.severity = static_cast<int>(*priority);
  }
  header_ = h;
  have_header_ = true;
  time_set_ = false;
  out.clear();
  out.set("@timestamp", Timestamp{});
  out.set("event.kind", "event");
  decoded = decode_message(out);
  return true;
}

bool LineDecoder::decode_json(std::string_view line, Event& out, bool& decoded) {
  if (decode_event_into(line, out)) return false;
  if (decode_journal_json(out, decoded)) return true;
  decoded = true;
  for (const Decoder* d : json_decoders_) {
    if (!d->when_field.empty()) {
      const Value* w = out.find(d->when_field);
      if (!w || (!d->when_value.empty() && w->to_text() != d->when_value)) continue;
    }
    apply_json_decoder(*d, out);
    ++matches_[d];
    break;
  }
  time_set_ = out.contains("@timestamp");
  if (!out.contains("@timestamp")) {
    for (std::string_view k : {"timestamp", "time", "ts"}) {
      auto s = out.get_string(k);
      if (auto t = s.empty() ? std::nullopt : parse_rfc3339(s)) {
        out.set("@timestamp", *t);
        time_set_ = true;
        break;
      }
    }
  }
  if (!out.contains("event.kind")) out.set("event.kind", "event");
  if (!out.contains("event.dataset")) out.set("event.dataset", "json");
  if (!out.contains("event.category")) out.set("event.category", List{Value("host")});
  ++matches_[nullptr];
  return true;
}

const DecodeStats& LineDecoder::stats() const {
  stats_.by_decoder.clear();
  for (const auto& [d, n] : matches_) stats_.by_decoder[d ? d->name : std::string("json")] += n;
  return stats_;
}

bool LineDecoder::decode_message(Event& out) {
  auto it = by_program_.find(header_.program);
  if (it != by_program_.end())
    for (const Decoder* d : it->second)
      if (try_decoder(*d, header_.message, out)) return true;
  for (const auto& [prefix, d] : by_prefix_)
    if (header_.program.starts_with(prefix) && try_decoder(*d, header_.message, out)) return true;
  for (const Decoder* d : any_program_)
    if (try_decoder(*d, header_.message, out)) return true;
  return apply_line_decoders(header_.message, out);
}

bool LineDecoder::decode(std::string_view line, bool truncated, Event& out) {
  ++stats_.lines;
  scanned_ = false;
  size_t b = 0;
  while (b < line.size() && (line[b] == ' ' || line[b] == '\t' || line[b] == '\r')) ++b;
  if (b == line.size() || line[b] == '#') {
    ++stats_.skipped;
    return false;
  }
  out.clear();
  if (truncated) ++stats_.truncated;
  const bool has_nul = std::memchr(line.data(), 0, line.size()) != nullptr;
  if (has_nul) ++stats_.nul_bytes;
  if (!valid_utf8(line)) ++stats_.invalid_utf8;
  ++stats_.events;

  have_header_ = false;
  time_set_ = false;
  bool decoded = false;
  bool handled = false;  // read as JSON
  if ((opt_.format == "auto" || opt_.format == "json") && line[b] == '{')
    handled = decode_json(line.substr(b), out, decoded);
  if (!handled && opt_.format == "json") out.clear();
  if (!handled && opt_.format != "json") {
    // Placeholders fix the order of the first fields in the output; the real values follow.
    out.clear();
    out.set("@timestamp", Timestamp{});
    out.set("event.kind", "event");
    if (opt_.format == "auto" || opt_.format == "syslog" || !line_decoders_.empty() || !by_program_.empty())
      have_header_ = parse_syslog(line, opt_.time, header_);
    if (have_header_) {
      decoded = decode_message(out);
      // A line format whose start looks like a syslog header (MySQL's "2024-05-01T10:00:00Z 8
      // [Warning] ..."): the whole line, and the header was not one.
      if (!decoded && apply_line_decoders(line, out)) {
        decoded = true;
        have_header_ = false;
      }
    } else {
      decoded = apply_line_decoders(line, out);
      // The journal's shapes without a syslog date ("host sshd[42]: ...", journalctl -o short
      // without the date, -o short-monotonic, -o short-unix, -o short-full).
      if (!decoded && (opt_.format == "auto" || opt_.format == "syslog") &&
          parse_journal_short(line, opt_.time, header_)) {
        have_header_ = true;
        decoded = decode_message(out);
        if (!decoded) have_header_ = false;
      }
    }
  }
  complete(line, decoded, truncated, has_nul, out);
  return true;
}

bool LineDecoder::decode_record(const SyslogHeader& header, bool truncated, Event& out) {
  ++stats_.lines;
  scanned_ = false;
  const std::string_view m = header.message;
  if (m.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    ++stats_.skipped;
    return false;
  }
  if (truncated) ++stats_.truncated;
  const bool has_nul = std::memchr(m.data(), 0, m.size()) != nullptr;
  if (has_nul) ++stats_.nul_bytes;
  if (!valid_utf8(m)) ++stats_.invalid_utf8;
  ++stats_.events;
  header_ = header;
  have_header_ = true;
  time_set_ = false;
  out.clear();
  out.set("@timestamp", Timestamp{});
  out.set("event.kind", "event");
  const bool decoded = decode_message(out);
  complete(m, decoded, truncated, has_nul, out);
  return true;
}

void LineDecoder::complete(std::string_view line, bool decoded, bool truncated, bool has_nul, Event& out) {
  if (!decoded) {
    set_string(out, "event.kind", "event");
    out.set("event.dataset", have_header_ ? "syslog" : "log");
    out.set("event.category", List{Value("host")});
    out.set("event.type", List{Value("info")});
    ++stats_.generic;
  }
  if (!time_set_) {
    if (have_header_ && header_.timestamp) out.set("@timestamp", *header_.timestamp);
    else out.set("@timestamp", now());
  }
  if (have_header_) {
    if (!header_.hostname.empty() && !out.contains("host.hostname")) set_string(out, "host.hostname", header_.hostname);
    if (!header_.program.empty() && !out.contains("process.name")) set_string(out, "process.name", header_.program);
    if (header_.pid >= 0 && !out.contains("process.pid")) out.set("process.pid", header_.pid);
    if (header_.priority >= 0) {
      out.set("log.syslog.priority", header_.priority);
      out.set("log.syslog.facility.name", facility_name(header_.priority));
      out.set("log.syslog.severity.name", severity_name(header_.priority));
    } else if (header_.severity >= 0) {
      out.set("log.syslog.severity.name", severity_name(header_.severity));
    }
    if (!header_.hostname.empty()) set_string(out, "log.syslog.hostname", header_.hostname);
    if (!header_.program.empty()) set_string(out, "log.syslog.appname", header_.program);
    if (!out.contains("message")) set_string(out, "message", header_.message);
  } else if (!out.contains("message")) {
    set_string(out, "message", line);
  }
  if (!opt_.file_path.empty()) set_string(out, "log.file.path", opt_.file_path);
  if (truncated || has_nul) {
    List tags;
    if (truncated) tags.emplace_back("truncated");
    if (has_nul) tags.emplace_back("nul_bytes");
    out.set("tags", std::move(tags));
  }
}

}  // namespace soc::sensors::log
