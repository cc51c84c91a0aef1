#include "socctl/alert_view.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/clock.h"
#include "core/http/client.h"
#include "core/severity.h"

namespace soc::ctl {

namespace {

// The fields shown after the rule's name, in this order, when the alert has them.
constexpr std::string_view kShown[] = {"source.ip",   "user.name",         "destination.ip", "destination.port",
                                       "url.original", "dns.question.name", "host.hostname",  "asset.id",
                                       "soc.subject"};

std::string text_of(const json::Node& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_int()) return std::to_string(v.as_int());
  return v.dump();
}

// ANSI colours per severity: critical white on red, high red, medium yellow, low cyan.
std::string_view colour_of(int severity) {
  switch (severity) {
    case 5: return "\x1b[1;97;41m";
    case 4: return "\x1b[1;31m";
    case 3: return "\x1b[33m";
    case 2: return "\x1b[36m";
    default: return "\x1b[2m";
  }
}

}  // namespace

AlertLine alert_line_of_api(const json::Node& alert) {
  AlertLine l;
  if (const json::Node* id = alert.find("id"); id && id->is_int()) l.id = id->as_int();
  l.state = alert.string_or("state");
  if (auto t = parse_rfc3339(alert.string_or("last_seen"))) l.time = *t;
  if (const json::Node* n = alert.at({"severity", "number"}); n && n->is_int())
    l.severity = static_cast<int>(n->as_int());
  if (const json::Node* s = alert.find("site"); s && s->is_object()) {
    l.site_id = s->string_or("id");
    l.site_name = s->string_or("name");
  }
  if (const json::Node* r = alert.find("rule")) l.rule_name = r->string_or("name", r->string_or("id"));
  // The group first (what the alert is about), then the key fields of its last event.
  for (const char* part : {"group", "fields"}) {
    const json::Node* obj = alert.find(part);
    if (!obj || !obj->is_object()) continue;
    for (auto k : kShown) {
      const json::Node* v = obj->find(k);
      if (!v) continue;
      bool seen = false;
      for (const auto& [name, value] : l.fields) seen = seen || name == k;
      if (!seen) l.fields.emplace_back(std::string(k), text_of(*v));
    }
  }
  if (const json::Node* c = alert.find("count"); c && c->is_int()) l.count = c->as_int();
  if (const json::Node* ack = alert.find("acknowledged"); ack && ack->is_object())
    l.acknowledged_by = ack->string_or("by");
  return l;
}

AlertLine alert_line_of_event(const Event& alert) {
  AlertLine l;
  l.time = alert.timestamp();
  l.severity = static_cast<int>(alert.get_int("event.severity").value_or(0));
  l.site_id = std::string(alert.get_string("site.id"));
  l.site_name = std::string(alert.get_string("site.name"));
  l.rule_name = std::string(alert.get_string("rule.name"));
  if (l.rule_name.empty()) l.rule_name = std::string(alert.get_string("rule.id"));
  for (auto k : kShown)
    if (const Value* v = alert.find(k)) l.fields.emplace_back(std::string(k), v->to_text());
  l.events = alert.get_int("soc.count").value_or(0);
  return l;
}

std::string format_alert_line(const AlertLine& a, std::chrono::minutes utc_offset, bool color) {
  std::string out;
  if (a.time) {
    const std::string t = format_rfc3339(*a.time + utc_offset);  // wall time in the zone
    out += t.substr(0, 10) + ' ' + t.substr(11, 8);
  } else {
    out += std::string(19, '-');
  }
  std::string word(severity_word(a.severity));
  for (auto& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::string padded = fmt::format("{:<13}", word);
  out += "  ";
  if (color) out += std::string(colour_of(a.severity)) + word + "\x1b[0m" + padded.substr(word.size());
  else out += padded;
  out += ' ';
  std::string site = a.site_id.empty() ? "(no site)" : a.site_id;
  if (!a.site_name.empty()) site += " \"" + a.site_name + "\"";
  out += site + "  " + a.rule_name;
  for (const auto& [k, v] : a.fields) out.append("  ").append(k).append("=").append(v);
  if (a.id) {
    out += fmt::format("  count={}  [#{} {}", a.count, *a.id, a.state);
    if (!a.acknowledged_by.empty() && a.state == "acknowledged") out += " by " + a.acknowledged_by;
    out += ']';
  } else if (a.events > 0) {
    out += fmt::format("  events={}", a.events);
  }
  return out;
}

Result<bool> use_color(const std::string& when, int fd) {
  if (when == "always") return true;
  if (when == "never") return false;
  if (when != "auto") return fail("usage", "--color must be auto, always or never");
  const char* no_color = std::getenv("NO_COLOR");
  return isatty(fd) && !(no_color && *no_color);
}

namespace {

Result<json::Node> answer_of(const std::string& what, const Result<http::Response>& r) {
  if (!r) return fail("api", fmt::format("{}: {}", what, r.error().message));
  auto doc = json::parse(r->body);
  if (r->status >= 200 && r->status < 300) {
    if (!doc) return fail("api", fmt::format("{}: the answer is not JSON: {}", what, doc.error().where_and_what()));
    return std::move(*doc);
  }
  if (doc)
    if (const json::Node* e = doc->find("error"))
      return fail(e->string_or("code", "error"),
                  fmt::format("{}: HTTP {} {}: {}", what, r->status, e->string_or("code"), e->string_or("message")));
  return fail("http", fmt::format("{}: HTTP {}", what, r->status));
}

}  // namespace

Result<json::Node> ApiClient::get(const std::string& path_and_query) const {
  http::Request req;
  req.url = base + path_and_query;
  req.timeout = std::chrono::seconds(15);
  req.headers.push_back("Accept: application/json");
  req.user_agent = "socctl";
  return answer_of("GET " + req.url, http::get(req));
}

Result<json::Node> ApiClient::post(const std::string& path, const std::string& json_body) const {
  http::Request req;
  req.method = "POST";
  req.url = base + path;
  req.body = json_body;
  req.timeout = std::chrono::seconds(15);
  req.headers = {"Accept: application/json", "Content-Type: application/json"};
  if (!token.empty()) req.headers.push_back("Authorization: Bearer " + token);
  req.user_agent = "socctl";
  return answer_of("POST " + req.url, http::request(req));
}

std::chrono::minutes ApiClient::utc_offset() const {
  auto s = get("/api/v1/status");
  if (!s) return std::chrono::minutes(0);
  const std::string tz = s->string_or("time_zone");
  int h = 0, m = 0;
  if (tz.size() == 6 && (tz[0] == '+' || tz[0] == '-') && std::sscanf(tz.c_str() + 1, "%2d:%2d", &h, &m) == 2)
    return std::chrono::minutes((tz[0] == '-' ? -1 : 1) * (h * 60 + m));
  return std::chrono::minutes(0);
}

Result<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("usage", fmt::format("--token-file {}: cannot read it", path));
  std::stringstream buf;
  buf << in.rdbuf();
  std::string t = buf.str();
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  size_t start = 0;
  while (start < t.size() && std::isspace(static_cast<unsigned char>(t[start]))) ++start;
  t.erase(0, start);
  if (t.empty()) return fail("usage", fmt::format("--token-file {}: the file is empty", path));
  return t;
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ',' || c == ':')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace soc::ctl
