#include "daemon/alerts/sinks/notice_json.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/json_codec.h"
#include "core/severity.h"

namespace soc::daemon::alerts {

// Declared by the contract (sink.h); the words are the "notice" member of the JSON below.
std::string_view to_string(NoticeKind k) {
  switch (k) {
    case NoticeKind::Firing: return "firing";
    case NoticeKind::Repeat: return "repeat";
    case NoticeKind::Acknowledged: return "acknowledged";
    case NoticeKind::Resolved: return "resolved";
  }
  return "unknown";
}

}  // namespace soc::daemon::alerts

namespace soc::daemon::alerts::sinks {

namespace {

std::string_view first_of(const Event& e, std::string_view a, std::string_view b) {
  std::string_view v = e.get_string(a);
  return v.empty() ? e.get_string(b) : v;
}

void member_string(std::string& out, std::string_view key, std::string_view value) {
  append_json_string(out, key);
  out += ':';
  append_json_string(out, value);
}

void member_time(std::string& out, std::string_view key, std::optional<Timestamp> t) {
  append_json_string(out, key);
  out += ':';
  if (!t || *t == Timestamp{}) {
    out += "null";
    return;
  }
  out += '"';
  append_rfc3339(out, *t);
  out += '"';
}

}  // namespace

std::string summarize(const Notice& n) {
  const Event& a = n.alert;
  std::string s(first_of(a, "rule.name", "rule.id"));
  if (s.empty()) s = "alert";
  std::string fields;
  for (std::string_view k : kKeyFields) {
    if (k == "observer.name") continue;  // the sensor: in the evidence, not the headline
    const Value* v = a.find(k);
    if (!v) continue;
    std::string text = v->to_text();
    if (text.empty()) continue;
    if (text.size() > 200) text.resize(200);
    fields += fmt::format(" {}={}", k, text);
  }
  if (!fields.empty()) s += ':' + fields;
  if (std::string_view site = first_of(a, "site.name", "site.id"); !site.empty()) s += fmt::format(" at {}", site);
  if (n.count > 1) s += fmt::format(" ({} times)", n.count);
  return s;
}

Notice firing_notice(const Event& alert, int64_t id) {
  Notice n;
  n.kind = NoticeKind::Firing;
  n.id = id;
  n.count = static_cast<uint64_t>(std::max<int64_t>(1, alert.get_int("soc.count").value_or(1)));
  const Timestamp t = alert.timestamp().value_or(now());
  n.first_seen = alert.get_timestamp("event.start").value_or(t);
  n.last_seen = alert.get_timestamp("event.end").value_or(t);
  n.alert = alert;
  return n;
}

std::string alert_url(std::string_view base, int64_t id) {
  if (base.empty() || id <= 0) return {};
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return fmt::format("{}/api/v1/alerts/{}", base, id);
}

void append_notice_members(std::string& out, const Notice& n, std::string_view url) {
  const Event& a = n.alert;
  member_string(out, "notice", to_string(n.kind));
  out += ",\"alert\":{";
  out += fmt::format("\"id\":{}", n.id);
  if (!url.empty()) {
    out += ',';
    member_string(out, "url", url);
  }
  out += ",\"rule\":{";
  member_string(out, "id", a.get_string("rule.id"));
  out += ',';
  member_string(out, "name", a.get_string("rule.name"));
  const int64_t sev = a.get_int("event.severity").value_or(0);
  out += fmt::format("}},\"severity\":{{\"number\":{},\"word\":", sev);
  append_json_string(out, severity_word(sev));
  out += "},\"site\":{";
  member_string(out, "id", a.get_string("site.id"));
  out += ',';
  member_string(out, "name", a.get_string("site.name"));
  out += "},";
  member_string(out, "summary", summarize(n));
  out += fmt::format(",\"count\":{},", n.count);
  member_time(out, "first_seen", n.first_seen);
  out += ',';
  member_time(out, "last_seen", n.last_seen);
  out += ',';
  member_time(out, "resolved_at", n.resolved_at);
  out += ",\"event\":";
  encode_event(a, out);
  out += '}';
}

}  // namespace soc::daemon::alerts::sinks
