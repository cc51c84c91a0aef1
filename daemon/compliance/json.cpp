#include "daemon/compliance/json.h"

#include <fmt/core.h>

#include <functional>
#include <variant>

#include "core/json_codec.h"
#include "core/json_tree.h"

namespace soc::daemon::compliance {

namespace inv = inventory;

namespace {

using Scalar = std::variant<std::string, int64_t>;

// The values that are set, in a fixed order: the one definition behind values_json(), the
// JSON's "values" objects and their reading back.
void each_value(const inv::ReasonValues& v, const std::function<void(std::string_view, Scalar)>& f) {
  if (!v.kind.empty()) f("kind", v.kind);
  if (!v.name.empty()) f("name", v.name);
  if (!v.text.empty()) f("text", v.text);
  if (v.count) f("count", v.count);
  if (v.required) f("required", v.required);
  if (v.days) f("days", v.days);
  if (v.level) f("level", v.level);
  if (v.date) f("date", inv::format_date(*v.date));
  if (v.window) f("window_seconds", static_cast<int64_t>(v.window->count()));
  if (v.instant) f("instant", format_rfc3339(*v.instant));
}

void write_time(json::Writer& w, const std::optional<Timestamp>& t) {
  if (t)
    w.value(format_rfc3339(*t));
  else
    w.null();
}

void write_date(json::Writer& w, const std::optional<Date>& d) {
  if (d)
    w.value(inv::format_date(*d));
  else
    w.null();
}

void write_counts(json::Writer& w, const StatusCounts& c) {
  w.begin_object(true);
  for (size_t i = 0; i < c.size(); ++i) w.key(inv::kStatusWords[i]).value(c[i]);
  w.end_object();
}

void write_severities(json::Writer& w, const std::array<int64_t, 5>& c) {
  w.begin_object(true);
  for (int64_t s = 1; s <= 5; ++s) w.key(severity_word(s)).value(c[static_cast<size_t>(s - 1)]);
  w.end_object();
}

void write_strings(json::Writer& w, const std::vector<std::string>& v) {
  w.begin_array(true);
  for (const auto& s : v) w.value(s);
  w.end_array();
}

void write_waiver(json::Writer& w, const WaiverEntry& x) {
  w.begin_object(true);
  w.key("requirement").value(x.requirement);
  w.key("reason").value(x.reason);
  w.key("approved_by").value(x.approved_by);
  w.key("expires").value(inv::format_date(x.expires));
  w.key("in_force").value(x.in_force);
  w.end_object();
}

void write_evidence(json::Writer& w, const EvidenceItem& e) {
  w.begin_object(true);
  w.key("site").value(e.site);
  w.key("subject").value(e.subject);
  w.key("status").value(inv::to_string(e.status));
  w.key("rule").value(e.rule);
  w.key("source").value(inv::to_string(e.source));
  w.key("code").value(inv::to_string(e.reason));
  w.key("values").begin_object(true);
  each_value(e.values, [&](std::string_view k, const Scalar& v) {
    w.key(k);
    if (const auto* s = std::get_if<std::string>(&v))
      w.value(*s);
    else
      w.value(std::get<int64_t>(v));
  });
  w.end_object();
  w.key("observed").value(e.observed);
  w.key("observed_at");
  write_time(w, e.observed_at);
  w.key("valid_until");
  write_time(w, e.valid_until);
  w.key("waiver");
  if (e.waiver) {
    w.begin_object(true);
    w.key("expires").value(inv::format_date(e.waiver->expires));
    w.key("approved_by").value(e.waiver->approved_by);
    w.key("reason").value(e.waiver->reason);
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();
}

void write_requirement(json::Writer& w, const RequirementResult& q, Language lang) {
  w.begin_object();
  w.key("id").value(q.id);
  w.key("title").begin_object(true);
  w.key("vi").value(q.title_vi);
  w.key("en").value(q.title_en);
  w.end_object();
  w.key("reference").value(q.reference);
  w.key("legacy").value(q.legacy);
  w.key("group").value(q.group);
  w.key("source").value(q.source);
  w.key("check").value(q.check);
  w.key("manual").value(q.manual);
  w.key("status").value(inv::to_string(q.status));
  w.key("status_label").value(inv::status_label(q.status, lang));
  w.key("reason").value(q.reason);
  w.key("coverage").begin_object(true);
  w.key("met").value(q.coverage.met);
  w.key("total").value(q.coverage.total);
  w.key("unit").value(to_string(q.coverage.unit));
  w.end_object();
  w.key("waiver");
  if (q.waiver)
    write_waiver(w, *q.waiver);
  else
    w.null();
  w.key("evidence").begin_array();
  for (const auto& e : q.evidence) write_evidence(w, e);
  w.end_array();
  w.end_object();
}

void write_system(json::Writer& w, const SystemResult& s, Language lang) {
  w.begin_object();
  w.key("id").value(s.id);
  w.key("name").value(s.name);
  w.key("owner").value(s.owner);
  w.key("level").value(static_cast<int64_t>(s.level));
  w.key("approved");
  write_date(w, s.approved);
  w.key("last_assessment");
  write_date(w, s.last_assessment);
  w.key("sites").begin_array();
  for (const auto& site : s.sites) {
    w.begin_object(true);
    w.key("id").value(site.id);
    w.key("name").value(site.name);
    w.key("kind").value(site.kind);
    w.end_object();
  }
  w.end_array();
  w.key("assets_in_scope").value(s.assets_in_scope);
  w.key("by_status");
  write_counts(w, s.counts);
  w.key("requirements").begin_array();
  for (const auto& q : s.requirements) write_requirement(w, q, lang);
  w.end_array();
  w.key("waivers").begin_array();
  for (const auto& x : s.waivers) write_waiver(w, x);
  w.end_array();
  w.end_object();
}

void write_alerts(json::Writer& w, const AlertsSummary& a) {
  w.begin_object();
  w.key("available").value(a.available);
  w.key("note").value(a.note);
  w.key("total").value(a.total);
  w.key("by_severity");
  write_severities(w, a.by_severity);
  w.key("by_site").begin_array();
  for (const auto& s : a.by_site) {
    w.begin_object(true);
    w.key("site").value(s.site);
    w.key("total").value(s.total);
    w.key("by_severity");
    write_severities(w, s.by_severity);
    w.end_object();
  }
  w.end_array();
  w.key("by_rule").begin_array();
  for (const auto& r : a.by_rule) {
    w.begin_object(true);
    w.key("id").value(r.id);
    w.key("name").value(r.name);
    w.key("severity").value(r.severity);
    w.key("count").value(r.count);
    w.end_object();
  }
  w.end_array();
  w.end_object();
}

}  // namespace

std::string offset_text(std::chrono::minutes offset) {
  const auto m = offset.count();
  return fmt::format("{}{:02}:{:02}", m < 0 ? '-' : '+', std::abs(m) / 60, std::abs(m) % 60);
}

std::string values_json(const inv::ReasonValues& v) {
  std::string out = "{";
  each_value(v, [&](std::string_view k, const Scalar& value) {
    if (out.size() > 1) out += ',';
    append_json_string(out, k);
    out += ':';
    if (const auto* s = std::get_if<std::string>(&value))
      append_json_string(out, *s);
    else
      out += std::to_string(std::get<int64_t>(value));
  });
  return out + "}";
}

std::string to_json(const Report& r) {
  json::Writer w;
  w.begin_object();
  w.key("format").value("soc-compliance-report");
  w.key("format_version").value(int64_t{1});
  w.key("report_id").value(r.digest.substr(0, 16));
  w.key("lang").value(inv::to_string(r.lang));
  w.key("generated_at").value(format_rfc3339(r.to));
  w.key("period").begin_object(true);
  w.key("from").value(format_rfc3339(r.from));
  w.key("to").value(format_rfc3339(r.to));
  w.end_object();
  w.key("generator").begin_object(true);
  w.key("name").value(r.generator);
  w.key("version").value(r.version);
  w.end_object();
  w.key("source").value(r.source);
  w.key("time_zone").value(offset_text(r.utc_offset));
  w.key("baseline").begin_object();
  w.key("id").value(r.baseline_id);
  w.key("version").value(r.baseline_version);
  w.key("description").value(r.baseline_description);
  w.key("basis");
  write_strings(w, r.basis);
  w.end_object();
  w.key("inventory").begin_object(true);
  w.key("sites").value(r.sites);
  w.key("systems").value(r.systems_count);
  w.key("assets").value(r.assets);
  w.key("sensors").value(r.sensors);
  w.end_object();
  w.key("inputs").begin_object();
  w.key("inventory_sha256").value(r.inputs.inventory_sha256);
  w.key("baseline_sha256").value(r.inputs.baseline_sha256);
  w.key("events");
  if (const auto& e = r.inputs.events) {
    w.begin_object(true);
    w.key("files").value(e->files);
    w.key("lines").value(e->lines);
    w.key("used").value(e->used);
    w.key("malformed").value(e->malformed);
    w.key("outside_period").value(e->outside);
    w.key("sha256").value(e->sha256);
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();
  w.key("summary").begin_object();
  int64_t pairs = 0;
  for (auto n : r.summary) pairs += n;
  w.key("requirements").value(pairs);
  w.key("by_status");
  write_counts(w, r.summary);
  w.end_object();
  w.key("systems").begin_array();
  for (const auto& s : r.systems) write_system(w, s, r.lang);
  w.end_array();
  w.key("gaps").begin_array();
  for (const auto& g : r.gaps) {
    w.begin_object(true);
    w.key("site").value(g.site);
    w.key("site_name").value(g.site_name);
    w.key("kind").value(to_string(g.kind));
    w.key("subject").value(g.subject);
    w.key("subject_kind").value(g.subject_kind);
    w.key("observed").value(g.observed);
    w.key("systems");
    write_strings(w, g.systems);
    w.key("requirements");
    write_strings(w, g.requirements);
    w.end_object();
  }
  w.end_array();
  w.key("alerts");
  write_alerts(w, r.alerts);
  w.key("digest").value(r.digest);
  w.end_object();
  return w.take();
}

}  // namespace soc::daemon::compliance
