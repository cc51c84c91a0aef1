#include "daemon/alerts/sinks/alertmanager.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/http/client.h"
#include "core/json_codec.h"
#include "core/log.h"
#include "core/severity.h"
#include "daemon/alerts/sinks/notice_json.h"
#include "soc_build_config.h"

namespace soc::daemon::alerts::sinks {

namespace {

using Steady = std::chrono::steady_clock;
constexpr size_t kMaxLabelValue = 256;
constexpr size_t kPostChunk = 500;
constexpr size_t kListed = 20;  // store alerts named in the annotations of one Alertmanager alert

bool in_group(std::string_view group, std::string_view field) {
  // soc.group is "field=value,field=value" in the rule's group-by order.
  for (size_t pos = 0; pos <= group.size();) {
    if (group.compare(pos, field.size(), field) == 0 && pos + field.size() < group.size() && group[pos + field.size()] == '=')
      return true;
    const size_t comma = group.find(',', pos);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

std::string label_name(std::string_view field) {
  std::string n(field);
  std::replace(n.begin(), n.end(), '.', '_');
  return n;
}

void member(std::string& out, std::string_view key, std::string_view value, bool& first) {
  if (!first) out += ',';
  first = false;
  append_json_string(out, key);
  out += ':';
  append_json_string(out, value);
}

std::string rfc3339(Timestamp t) { return format_rfc3339(t); }

// "user.name=root; source.ip=203.0.113.7" (`sep` between the fields).
std::string key_fields(const Event& a, std::string_view sep) {
  std::string s;
  for (std::string_view k : kKeyFields) {
    const Value* v = a.find(k);
    if (!v) continue;
    std::string text = v->to_text();
    if (text.empty()) continue;
    if (text.size() > 512) text.resize(512);
    if (!s.empty()) s += sep;
    s += fmt::format("{}={}", k, text);
  }
  return s;
}

std::string evidence_text(const Event& a) {
  std::string s = key_fields(a, "; ");
  if (const Value* ev = a.find("soc.evidence"); ev && ev->is_list() && !ev->as_list().empty()) {
    const auto& l = ev->as_list();
    if (!s.empty()) s += "; ";
    s += "events:";
    for (size_t i = 0; i < l.size() && i < 10; ++i) s += " " + l[i].to_text();
    if (l.size() > 10) s += fmt::format(" and {} more", l.size() - 10);
  }
  return s;
}

}  // namespace

bool AlertmanagerSink::only_unstored(const Entry& e) {
  return e.members.size() == 1 && e.members.begin()->first == 0;
}

std::vector<std::pair<std::string, std::string>> alertmanager_labels(const Event& a) {
  std::vector<std::pair<std::string, std::string>> labels;
  std::string_view name = a.get_string("rule.name");
  if (name.empty()) name = a.get_string("rule.id");
  labels.emplace_back("alertname", name.empty() ? "soc alert" : std::string(name));
  labels.emplace_back("severity", std::string(severity_word(a.get_int("event.severity").value_or(0))));
  if (auto site = a.get_string("site.id"); !site.empty()) labels.emplace_back("site", std::string(site));
  if (auto id = a.get_string("rule.id"); !id.empty()) labels.emplace_back("rule_id", std::string(id));
  // The group-by fields; a baseline finding is grouped by its subject (asset, system, requirement).
  const std::string_view group = a.get_string("soc.group");
  const bool baseline = a.get_string("event.dataset") == "soc.baseline";
  for (std::string_view f : kLabelFields) {
    const bool grouped = in_group(group, f) ||
                         (baseline && (f == "asset.id" || f == "soc.system.id" || f == "soc.requirement.id"));
    if (!grouped) continue;
    const Value* v = a.find(f);
    if (!v) continue;
    std::string text = v->to_text();
    if (text.empty()) continue;
    if (text.size() > kMaxLabelValue) text.resize(kMaxLabelValue);
    labels.emplace_back(label_name(f), std::move(text));
  }
  std::sort(labels.begin(), labels.end());
  return labels;
}

AlertmanagerSink::AlertmanagerSink(AlertmanagerOptions options) : options_(std::move(options)) {
  std::string base = options_.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  constexpr std::string_view kPath = "/api/v2/alerts";
  endpoint_ = base.size() >= kPath.size() && base.compare(base.size() - kPath.size(), kPath.size(), kPath) == 0
                  ? base
                  : base + std::string(kPath);
  auto parts = http::parse_url(options_.url);
  name_ = parts ? fmt::format("alertmanager:{}:{}", parts->host, parts->port) : "alertmanager:" + options_.url;
}

std::string AlertmanagerSink::key_of(const std::vector<std::pair<std::string, std::string>>& labels) const {
  std::string k;
  for (const auto& [n, v] : labels) {
    k += n;
    k += '\x1f';
    k += v;
    k += '\x1e';
  }
  return k;
}

// Idempotent: a batch applied twice (a retry) leaves the state it left the first time.
std::string AlertmanagerSink::apply(const Notice& n) {
  auto labels = alertmanager_labels(n.alert);
  std::string key = key_of(labels);  // not const: returned, so moved
  // An alert whose labels changed (its severity was raised) leaves its former label set. Id 0 is
  // no alert of a store: each notice of it stands alone.
  if (auto it = key_by_id_.find(n.id); n.id != 0 && it != key_by_id_.end() && it->second != key) {
    if (auto old = active_.find(it->second); old != active_.end()) {
      old->second.members.erase(n.id);
      if (old->second.members.empty() && !old->second.ended) old->second.ended = now();
    }
    key_by_id_.erase(it);
  }
  auto [it, fresh] = active_.try_emplace(key);
  Entry& e = it->second;
  if (fresh) e.labels = std::move(labels);
  e.latest = n;
  e.heard = Steady::now();
  if (n.kind == NoticeKind::Resolved) {
    e.members.erase(n.id);
    key_by_id_.erase(n.id);
    if (e.members.empty()) e.ended = n.resolved_at.value_or(now());
  } else {
    Member& m = e.members[n.id];
    m.first_seen = n.first_seen;
    m.last_seen = n.last_seen;
    m.count = n.count;
    m.headline = key_fields(n.alert, " ");
    if (n.kind == NoticeKind::Acknowledged) m.acknowledged = true;
    e.ended.reset();
    if (n.id != 0) key_by_id_[n.id] = key;
  }
  if (fresh && active_.size() > options_.max_active) evict();
  return key;
}

// The least recently heard of label set goes; Alertmanager resolves it at its endsAt.
void AlertmanagerSink::evict() {
  auto oldest = active_.end();
  for (auto it = active_.begin(); it != active_.end(); ++it) {
    if (oldest == active_.end() || it->second.heard < oldest->second.heard) oldest = it;
  }
  if (oldest == active_.end()) return;
  for (const auto& [id, m] : oldest->second.members) key_by_id_.erase(id);
  active_.erase(oldest);
  if (evicted_++ % 1000 == 0)
    log::warn("alerts", "sink {}: more than {} active label sets: the oldest are no longer re-sent ({} so far)", name_,
              options_.max_active, evicted_);
}

void AlertmanagerSink::render(std::string& out, const Entry& e, Timestamp now) const {
  const Notice& n = e.latest;
  Timestamp starts = n.first_seen, last = n.last_seen;
  uint64_t count = 0;
  bool all_acked = !e.members.empty();
  std::string ids, list;
  size_t listed = 0;
  for (const auto& [id, m] : e.members) {
    if (m.first_seen != Timestamp{} && (starts == Timestamp{} || m.first_seen < starts)) starts = m.first_seen;
    last = std::max(last, m.last_seen);
    count += m.count;
    all_acked = all_acked && m.acknowledged;
    if (listed++ >= kListed) continue;
    ids += (ids.empty() ? "" : ",") + std::to_string(id);
    list += fmt::format("{}#{}: {}{}", list.empty() ? "" : "\n", id, m.headline,
                        m.count > 1 ? fmt::format(" ({} times)", m.count) : "");
  }
  if (e.members.size() > kListed) {
    ids += fmt::format(" and {} more", e.members.size() - kListed);
    list += fmt::format("\nand {} more", e.members.size() - kListed);
  }
  if (e.members.empty()) {
    count = n.count;
    ids = std::to_string(n.id);
  }
  if (starts == Timestamp{} || starts > now) starts = now;
  Timestamp ends = now + options_.ends_after;
  if (e.ended) ends = std::clamp(*e.ended, starts, now);

  out += "{\"labels\":{";
  bool first = true;
  for (const auto& [k, v] : e.labels) member(out, k, v, first);
  out += "},\"annotations\":{";
  first = true;
  const Event& a = n.alert;
  const std::string url = alert_url(options_.external_url, n.id);
  std::string summary = summarize(n);
  if (e.members.size() > 1) summary += fmt::format(" (the latest of {} open alerts)", e.members.size());
  member(out, "summary", summary, first);
  std::string_view description = a.get_string("rule.description");
  if (description.empty()) description = a.get_string("message");
  if (!description.empty()) member(out, "description", description, first);
  if (auto ev = evidence_text(a); !ev.empty()) member(out, "evidence", ev, first);
  if (!url.empty()) member(out, "alert_url", url, first);
  if (e.members.size() > 1) member(out, "alerts", list, first);
  member(out, "alert_ids", ids, first);
  member(out, "count", std::to_string(count), first);
  if (last != Timestamp{}) member(out, "last_seen", rfc3339(last), first);
  member(out, "state", e.ended ? "resolved" : all_acked ? "acknowledged" : "open", first);
  out += "},\"startsAt\":\"" + rfc3339(starts) + "\",\"endsAt\":\"" + rfc3339(ends) + "\"";
  if (!url.empty()) {
    out += ",\"generatorURL\":";
    append_json_string(out, url);
  }
  out += '}';
}

Result<void> AlertmanagerSink::post(const std::vector<std::string>& keys, Timestamp now) {
  for (size_t from = 0; from < keys.size(); from += kPostChunk) {
    http::Request req;
    req.method = "POST";
    req.url = endpoint_;
    req.headers = {"Content-Type: application/json"};
    req.timeout = options_.timeout;
    req.connect_timeout = std::min<std::chrono::milliseconds>(options_.timeout, std::chrono::milliseconds(2'000));
    req.user_agent = "soc-correlator/" SOC_VERSION;
    req.cancel = &abandoned_;
    req.body = "[";
    const size_t to = std::min(keys.size(), from + kPostChunk);
    for (size_t i = from; i < to; ++i) {
      if (i > from) req.body += ',';
      render(req.body, active_.at(keys[i]), now);
    }
    req.body += ']';
    auto r = session_.request(req);
    if (!r) return fail("http", fmt::format("{}: {}", endpoint_, r.error().message));
    if (r->status == 400 || r->status == 422)
      return fail(std::string(kRejected), fmt::format("{} refused the alerts ({}): {}", endpoint_, r->status, r->body.substr(0, 500)));
    if (r->status < 200 || r->status > 299)
      return fail("http", fmt::format("{} answered {}: {}", endpoint_, r->status, r->body.substr(0, 500)));
    for (size_t i = from; i < to; ++i) {
      auto it = active_.find(keys[i]);
      // Resolved and said: forgotten. So is an alert of a correlator without an alert store (id
      // 0): nothing will ever resolve it, so it is not re-sent and Alertmanager resolves it at its
      // endsAt (ADR 0023).
      if (it != active_.end() && (it->second.ended || only_unstored(it->second))) {
        for (const auto& [id, m] : it->second.members) key_by_id_.erase(id);
        active_.erase(it);
      }
    }
  }
  return {};
}

Result<void> AlertmanagerSink::deliver(std::span<const Notice> batch) {
  std::vector<std::string> keys;
  for (const auto& n : batch) {
    std::string k = apply(n);
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(std::move(k));
  }
  // Label sets emptied by a change of labels are resolved in the same post.
  for (const auto& [k, e] : active_) {
    if (e.ended && std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  std::erase_if(keys, [&](const std::string& k) { return !active_.count(k); });
  if (keys.empty()) return {};
  return post(keys, now());
}

void AlertmanagerSink::idle(Timestamp now) {
  const auto s = Steady::now();
  if (s < next_resend_) return;
  next_resend_ = s + options_.resend;
  std::erase_if(active_, [&](const auto& kv) {
    const bool forget = !kv.second.ended && s - kv.second.heard > options_.forget_after;
    if (forget)
      for (const auto& [id, m] : kv.second.members) key_by_id_.erase(id);
    return forget;
  });
  std::vector<std::string> keys;
  for (const auto& [k, e] : active_) keys.push_back(k);
  if (keys.empty()) return;
  if (auto r = post(keys, now); !r) {
    if (!resend_failing_) log::warn("alerts", "sink {}: cannot re-send {} active alerts: {}", name_, keys.size(), r.error().message);
    resend_failing_ = true;
  } else {
    if (resend_failing_) log::info("alerts", "sink {}: re-sending active alerts again", name_);
    resend_failing_ = false;
  }
}

}  // namespace soc::daemon::alerts::sinks
