#include "daemon/alerts/api.h"

#include <fmt/core.h>

#include <charconv>
#include <set>

#include "core/config/secret_file.h"
#include "core/crypto/digest.h"
#include "core/json_codec.h"
#include "core/json_tree.h"
#include "core/severity.h"
#include "daemon/alerts/mitre.h"
#include "daemon/alerts/store.h"

namespace soc::daemon::alerts {

using http::Request;
using http::Response;

std::string api_time(Timestamp t) { return format_rfc3339(t); }

Result<std::string> read_api_token(const std::string& path) {
  // The one secret-file reader (ADR 0033): a private regular file of ours, not empty.
  auto t = config::read_secret_token(path);
  if (!t) return fail("config", "--api-token: " + t.error().message);
  for (unsigned char c : *t)
    if (c <= 0x20 || c >= 0x7f)
      return fail("config",
                  fmt::format("--api-token {}: the token must be one word of printable ASCII (it goes in an HTTP header)",
                              path));
  return std::move(*t);
}

std::string format_utc_offset(std::chrono::minutes offset) {
  const int64_t m = offset.count();
  const int64_t a = m < 0 ? -m : m;
  return fmt::format("{}{:02}:{:02}", m < 0 ? '-' : '+', a / 60, a % 60);
}

namespace {

constexpr size_t kMaxLimit = 1000;
constexpr size_t kMaxByChars = 64;
constexpr size_t kMaxCommentChars = 4096;

Response bad_request(std::string_view message) { return Response::error(400, "bad_request", message); }

Response store_error(const Error& e) {
  if (e.code == "sqlite_busy") return Response::error(503, "unavailable", "the alert store is busy: try again");
  return Response::error(500, "internal", "the alert store failed: " + e.message);
}

Response no_store() {
  return Response::error(503, "unavailable",
                         "the correlator keeps no alerts: it runs without --state-dir (docs/adr/0018-state-directory.md)");
}

// Characters (code points) of valid UTF-8 text; the parser has checked the bytes.
size_t characters(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool has_control(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

std::optional<int64_t> parse_id(std::string_view s) {
  int64_t id = 0;
  if (s.empty() || s.size() > 18) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || p != s.data() + s.size() || id <= 0) return std::nullopt;
  return id;
}

// The cursor is opaque to clients: the (last_seen, id) of the last alert of the page.
std::string cursor_of(const std::pair<Timestamp, int64_t>& after) {
  return fmt::format("{}-{}", after.first.time_since_epoch().count(), after.second);
}

std::optional<std::pair<Timestamp, int64_t>> parse_cursor(std::string_view s) {
  const size_t dash = s.find('-', 1);
  if (dash == std::string_view::npos) return std::nullopt;
  int64_t us = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + dash, us);
  if (ec != std::errc() || p != s.data() + dash) return std::nullopt;
  auto id = parse_id(s.substr(dash + 1));
  if (!id) return std::nullopt;
  return std::make_pair(Timestamp(std::chrono::microseconds(us)), *id);
}

std::vector<std::string_view> split_commas(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t c = s.find(',');
    out.push_back(s.substr(0, c));
    if (c == std::string_view::npos) break;
    s.remove_prefix(c + 1);
  }
  return out;
}

// The names of the query's parameters, decoded, in order.
std::vector<std::string> param_names(const Request& r) {
  std::vector<std::string> names;
  std::string_view q = r.query;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (pair.empty()) continue;
    names.push_back(http::url_decode(pair.substr(0, pair.find('=')), true));
  }
  return names;
}

// Parses the filters of GET /api/v1/alerts; an error names the parameter and what it takes.
Result<AlertFilter> parse_filter(const Request& r) {
  static const std::set<std::string, std::less<>> kKnown = {"state", "site",  "severity", "rule",  "source.ip",
                                                           "since", "until", "limit",    "cursor"};
  for (const auto& n : param_names(r))
    if (!kKnown.count(n))
      return fail("bad_request",
                  fmt::format("unknown parameter '{}' (known: state, site, severity, rule, source.ip, since, until, "
                              "limit, cursor)",
                              n.substr(0, 64)));
  AlertFilter f;
  if (auto v = r.param("state")) {
    for (auto s : split_commas(*v)) {
      auto st = parse_alert_state(s);
      if (!st)
        return fail("bad_request", fmt::format("state: '{}' is not open, acknowledged or resolved", s.substr(0, 64)));
      f.states.push_back(*st);
    }
  }
  if (auto v = r.param("severity")) {
    for (auto s : split_commas(*v)) {
      auto sev = parse_severity(s);
      if (!sev)
        return fail("bad_request",
                    fmt::format("severity: '{}' is not informational, low, medium, high, critical or 1-5",
                                s.substr(0, 64)));
      f.severities.push_back(*sev);
    }
  }
  for (auto [name, slot] : {std::pair{"site", &f.site}, std::pair{"rule", &f.rule}, std::pair{"source.ip", &f.source_ip}}) {
    if (auto v = r.param(name)) {
      if (v->empty() || v->size() > 256) return fail("bad_request", fmt::format("{}: give 1 to 256 characters", name));
      *slot = *v;
    }
  }
  for (auto [name, slot] : {std::pair{"since", &f.since}, std::pair{"until", &f.until}}) {
    if (auto v = r.param(name)) {
      auto t = parse_rfc3339(*v);
      if (!t)
        return fail("bad_request",
                    fmt::format("{}: '{}' is not an RFC 3339 time (2026-12-04T10:15:00Z)", name, v->substr(0, 64)));
      *slot = *t;
    }
  }
  if (auto v = r.param("limit")) {
    auto n = parse_id(*v);
    if (!n || *n > static_cast<int64_t>(kMaxLimit))
      return fail("bad_request", fmt::format("limit: '{}' is not a number from 1 to {}", v->substr(0, 64), kMaxLimit));
    f.limit = static_cast<size_t>(*n);
  }
  if (auto v = r.param("cursor")) {
    auto c = parse_cursor(*v);
    if (!c) return fail("bad_request", "cursor: not a cursor this API gave (use the 'next' of the previous page)");
    f.after = c;
  }
  return f;
}

void write_severity(json::Writer& w, int severity) {
  w.begin_object().key("number").value(severity).key("word").value(severity_word(severity)).end_object();
}

void write_mitre(json::Writer& w, const std::vector<std::string>& techniques) {
  w.begin_array();
  for (const auto& t : techniques) {
    w.begin_object().key("id").value(t).key("name");
    if (auto name = mitre_technique_name(t)) w.value(*name);
    else w.null();
    w.end_object();
  }
  w.end_array();
}

void write_alert(json::Writer& w, const AlertRecord& a, const RuleCatalog& catalog) {
  const RuleInfo* rule = catalog.find(a.rule_id);
  std::vector<std::string> techniques;
  if (auto e = decode_event(a.alert_json)) {
    if (const Value* t = e->find("threat.technique.id")) {
      if (t->is_list())
        for (const auto& x : t->as_list()) techniques.push_back(x.to_text());
      else
        techniques.push_back(t->to_text());
    }
  }
  w.begin_object();
  w.key("id").value(a.id);
  w.key("rule").begin_object();
  w.key("id").value(a.rule_id).key("name").value(a.rule_name).key("description");
  if (rule) w.value(rule->description);
  else w.null();
  w.key("mitre");
  write_mitre(w, techniques);
  w.end_object();
  w.key("severity");
  write_severity(w, a.severity);
  w.key("state").value(to_string(a.state));
  w.key("site");
  if (a.site_id.empty()) {
    w.null();
  } else {
    w.begin_object().key("id").value(a.site_id).key("name");
    if (a.site_name.empty()) w.null();
    else w.value(a.site_name);
    w.end_object();
  }
  w.key("summary").value(a.summary);
  w.key("group").raw(a.group_json);
  w.key("fields").raw(a.fields_json);
  w.key("count").value(a.count);
  w.key("first_seen").value(api_time(a.first_seen));
  w.key("last_seen").value(api_time(a.last_seen));
  w.key("acknowledged");
  if (a.acknowledged) {
    w.begin_object()
        .key("by")
        .value(a.acknowledged->by)
        .key("at")
        .value(api_time(a.acknowledged->at))
        .key("comment")
        .value(a.acknowledged->comment)
        .end_object();
  } else {
    w.null();
  }
  w.key("resolved_at");
  if (a.resolved_at) w.value(api_time(*a.resolved_at));
  else w.null();
  w.end_object();
}

void write_counts(json::Writer& w, const OpenCounts& counts) {
  w.begin_object();
  for (auto state : {"open", "acknowledged"}) {
    w.key(state).begin_object();
    for (int sev = 5; sev >= 1; --sev) {
      const std::string word(severity_word(sev));
      int64_t n = 0;
      if (auto s = counts.find(state); s != counts.end())
        if (auto it = s->second.find(word); it != s->second.end()) n = it->second;
      w.key(word).value(n);
    }
    w.end_object();
  }
  w.end_object();
}

class Api {
 public:
  explicit Api(ApiOptions o) : o_(std::move(o)) {}

  Response status(const Request&) const {
    const ApiStatus s = o_.status ? o_.status() : ApiStatus{};
    int64_t open = 0, acked = 0;
    if (o_.store) {
      auto counts = o_.store->open_counts();
      if (!counts) return store_error(counts.error());
      for (const auto& [word, n] : (*counts)["open"]) open += n;
      for (const auto& [word, n] : (*counts)["acknowledged"]) acked += n;
    }
    json::Writer w(json::Writer::Layout::Dense);
    w.begin_object();
    w.key("version").value(o_.version);
    w.key("started_at").value(api_time(o_.started_at));
    w.key("time_zone").value(format_utc_offset(o_.utc_offset));
    w.key("events_accepted").value(s.events_accepted);
    w.key("alerts").begin_object().key("open").value(open).key("acknowledged").value(acked).end_object();
    w.key("parts").begin_object();
    w.key("rules").value(s.rules).key("inventory").value(s.inventory).key("baseline").value(s.baseline);
    w.key("alert_store").value(o_.store != nullptr);
    w.end_object();
    w.end_object();
    return Response::json(w.take());
  }

  Response list(const Request& r) const {
    if (!o_.store) return no_store();
    auto f = parse_filter(r);
    if (!f) return bad_request(f.error().message);
    auto page = o_.store->list(*f);
    if (!page) return store_error(page.error());
    const auto catalog = snapshot();
    json::Writer w(json::Writer::Layout::Dense);
    w.begin_object().key("alerts").begin_array();
    for (const auto& a : page->alerts) write_alert(w, a, *catalog);
    w.end_array();
    w.key("next");
    if (page->next) w.value(cursor_of(*page->next));
    else w.null();
    w.key("counts");
    write_counts(w, page->counts);
    w.end_object();
    return Response::json(w.take());
  }

  // GET /api/v1/alerts/ID (and what else arrives under the prefix by GET).
  Response get(const Request& r) const {
    const std::string_view rest = std::string_view(r.path).substr(std::string_view("/api/v1/alerts/").size());
    const size_t slash = rest.find('/');
    if (slash != std::string_view::npos) {
      if (rest.substr(slash) == "/ack")
        return Response::error(405, "method_not_allowed", "acknowledge with POST /api/v1/alerts/ID/ack");
      return Response::error(404, "not_found", fmt::format("no such resource: {}", r.path.substr(0, 128)));
    }
    auto id = parse_id(rest);
    if (!id) return bad_request(fmt::format("alert id: '{}' is not a positive integer", rest.substr(0, 64)));
    if (!o_.store) return no_store();
    auto d = o_.store->get(*id);
    if (!d) return store_error(d.error());
    if (!*d) return Response::error(404, "not_found", fmt::format("no alert {}", *id));
    return Response::json(detail_json(**d));
  }

  // POST /api/v1/alerts/ID/ack (and what else arrives under the prefix by POST).
  Response post(const Request& r) const {
    const std::string_view rest = std::string_view(r.path).substr(std::string_view("/api/v1/alerts/").size());
    const size_t slash = rest.find('/');
    if (slash == std::string_view::npos)
      return Response::error(405, "method_not_allowed", "an alert is read with GET; acknowledge it with POST .../ack");
    if (rest.substr(slash) != "/ack")
      return Response::error(404, "not_found", fmt::format("no such resource: {}", r.path.substr(0, 128)));
    if (auto denied = authorize(r)) return *denied;
    auto id = parse_id(rest.substr(0, slash));
    if (!id) return bad_request(fmt::format("alert id: '{}' is not a positive integer", rest.substr(0, slash).substr(0, 64)));
    auto body = parse_ack(r.body);
    if (!body) return bad_request(body.error().message);
    if (!o_.store) return no_store();
    auto a = o_.store->acknowledge(*id, body->first, body->second);
    if (!a) {
      if (a.error().code == "not_found") return Response::error(404, "not_found", a.error().message);
      if (a.error().code == "conflict") return Response::error(409, "conflict", a.error().message);
      return store_error(a.error());
    }
    json::Writer w(json::Writer::Layout::Dense);
    write_alert(w, *a, *snapshot());
    return Response::json(w.take());
  }

  Response rules(const Request&) const {
    const auto catalog = snapshot();
    json::Writer w(json::Writer::Layout::Dense);
    w.begin_object().key("rules").begin_array();
    for (const auto& rule : catalog->rules()) {
      w.begin_object();
      w.key("id").value(rule.id).key("name").value(rule.name).key("description").value(rule.description);
      w.key("severity");
      write_severity(w, rule.severity);
      w.key("mitre");
      write_mitre(w, rule.techniques);
      w.key("file").value(rule.file);
      w.end_object();
    }
    w.end_array().end_object();
    return Response::json(w.take());
  }

 private:
  std::shared_ptr<const RuleCatalog> snapshot() const {
    auto c = o_.catalog ? o_.catalog() : nullptr;
    return c ? c : std::make_shared<const RuleCatalog>();
  }

  std::optional<Response> authorize(const Request& r) const {
    if (o_.token.empty())
      return Response::error(403, "writes_disabled", "writes are disabled: the correlator runs without --api-token");
    const std::string_view h = r.header("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (h.empty()) return Response::error(401, "unauthorized", "this write needs 'Authorization: Bearer TOKEN'");
    if (h.size() <= kBearer.size() || h.substr(0, kBearer.size()) != kBearer)
      return Response::error(401, "unauthorized", "the Authorization header must be 'Bearer TOKEN'");
    if (!crypto::constant_time_equal(h.substr(kBearer.size()), o_.token))
      return Response::error(401, "unauthorized", "the bearer token is not the correlator's --api-token");
    return std::nullopt;
  }

  // {"by": "1-64 characters", "comment": "at most 4096 characters"}: nothing else.
  static Result<std::pair<std::string, std::string>> parse_ack(std::string_view text) {
    if (text.empty()) return fail("bad_request", "the body must be a JSON object {\"by\": NAME, \"comment\": TEXT}");
    auto doc = json::parse(text, json::ParseLimits{1 << 20, 8});
    if (!doc) return fail("bad_request", "the body is not JSON: " + doc.error().where_and_what());
    if (!doc->is_object()) return fail("bad_request", "the body must be a JSON object {\"by\": NAME, \"comment\": TEXT}");
    for (const auto& [k, v] : doc->members())
      if (k != "by" && k != "comment")
        return fail("bad_request", fmt::format("unknown member \"{}\" (an acknowledgement has by and comment)",
                                               k.substr(0, 64)));
    const json::Node* by = doc->find("by");
    const json::Node* comment = doc->find("comment");
    if (!by) return fail("bad_request", "by: missing (who acknowledges, 1 to 64 characters)");
    if (!by->is_string()) return fail("bad_request", "by: must be a string");
    const size_t by_chars = characters(by->as_string());
    if (by_chars == 0 || by_chars > kMaxByChars) return fail("bad_request", "by: give 1 to 64 characters");
    if (has_control(by->as_string())) return fail("bad_request", "by: control characters are not allowed");
    if (!comment) return fail("bad_request", "comment: missing (what was done, at most 4096 characters; may be empty)");
    if (!comment->is_string()) return fail("bad_request", "comment: must be a string");
    if (characters(comment->as_string()) > kMaxCommentChars)
      return fail("bad_request", "comment: at most 4096 characters");
    return std::make_pair(by->as_string(), comment->as_string());
  }

  std::string detail_json(const AlertDetail& d) const {
    json::Writer w(json::Writer::Layout::Dense);
    write_alert(w, d.alert, *snapshot());
    std::string out = w.take();
    out.pop_back();  // the alert's closing brace: evidence and history follow
    json::Writer tail(json::Writer::Layout::Dense);
    tail.begin_object();
    tail.key("evidence").begin_array();
    for (const auto& e : d.evidence) tail.raw(e);
    tail.end_array();
    tail.key("history").begin_array();
    for (const auto& h : d.history) {
      tail.begin_object();
      tail.key("at").value(api_time(h.at)).key("action").value(h.action);
      tail.key("by").value(h.by).key("comment").value(h.comment);
      tail.key("count").value(h.count);
      tail.end_object();
    }
    tail.end_array().end_object();
    out += ',';
    out += tail.str().substr(1);  // without the opening brace
    return out;
  }

  ApiOptions o_;
};

}  // namespace

void register_api(http::Server& server, ApiOptions options) {
  auto api = std::make_shared<const Api>(std::move(options));
  server.route("GET", "/api/v1/status", [api](const Request& r) { return api->status(r); });
  server.route("GET", "/api/v1/alerts", [api](const Request& r) { return api->list(r); });
  server.route("GET", "/api/v1/alerts/*", [api](const Request& r) { return api->get(r); });
  server.route("POST", "/api/v1/alerts/*", [api](const Request& r) { return api->post(r); });
  server.route("GET", "/api/v1/rules", [api](const Request& r) { return api->rules(r); });
}

}  // namespace soc::daemon::alerts
