// The alert store's queries: they run on read-only connections of their own (WAL), beside the
// writer, from any thread.
#include <fmt/core.h>

#include <variant>

#include "core/json_codec.h"
#include "core/severity.h"
#include "daemon/alerts/store.h"
#include "daemon/alerts/store_internal.h"

namespace soc::daemon::alerts {

namespace detail {

const char* const kAlertColumns =
    "id, rule_id, rule_name, source, severity, state, site_id, site_name, summary, group_json, fields_json, count, "
    "first_seen, last_seen, acked_by, acked_at, ack_comment, resolved_at, alert_json";

AlertRecord read_record(const sql::Statement& s) {
  AlertRecord a;
  a.id = s.int64(0);
  a.rule_id = s.text(1);
  a.rule_name = s.text(2);
  a.source = s.text(3);
  a.severity = static_cast<int>(s.int64(4));
  a.state = parse_alert_state(s.text(5)).value_or(AlertState::Open);
  a.site_id = s.text(6);
  a.site_name = s.text(7);
  a.summary = s.text(8);
  a.group_json = s.text(9);
  a.fields_json = s.text(10);
  a.count = s.int64(11);
  a.first_seen = from_micros(s.int64(12));
  a.last_seen = from_micros(s.int64(13));
  if (!s.is_null(14))
    a.acknowledged = Acknowledgement{std::string(s.text(14)), from_micros(s.int64(15)), std::string(s.text(16))};
  if (!s.is_null(17)) a.resolved_at = from_micros(s.int64(17));
  a.alert_json = s.text(18);
  return a;
}

std::string format_duration(std::chrono::microseconds d) {
  int64_t s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s <= 0) return fmt::format("{}ms", std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  std::string out;
  if (s >= 86400 && s % 86400 == 0) return fmt::format("{}d", s / 86400);
  if (s >= 3600) out += fmt::format("{}h", s / 3600), s %= 3600;
  if (s >= 60) out += fmt::format("{}m", s / 60), s %= 60;
  if (s > 0 || out.empty()) out += fmt::format("{}s", s);
  return out;
}

}  // namespace detail

using namespace detail;

namespace {

// The WHERE clause of a filter (without states and paging when `for_counts`), with its bindings.
struct Where {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> args;

  void add(const std::string& clause) {
    sql += sql.empty() ? " WHERE " : " AND ";
    sql += clause;
  }
  void bind(sql::Statement& s) const {
    int i = 1;
    for (const auto& a : args) {
      if (const auto* n = std::get_if<int64_t>(&a)) s.bind(i++, *n);
      else s.bind(i++, std::string_view(std::get<std::string>(a)));
    }
  }
};

Where where_of(const AlertFilter& f, bool for_counts) {
  Where w;
  if (!for_counts && !f.states.empty()) {
    std::string in;
    for (auto st : f.states) {
      in += in.empty() ? "?" : ", ?";
      w.args.emplace_back(std::string(to_string(st)));
    }
    w.add("state IN (" + in + ")");
  }
  if (!f.severities.empty()) {
    std::string in;
    for (int sev : f.severities) {
      in += in.empty() ? "?" : ", ?";
      w.args.emplace_back(static_cast<int64_t>(sev));
    }
    w.add("severity IN (" + in + ")");
  }
  if (f.site) {
    w.add("site_id = ?");
    w.args.emplace_back(*f.site);
  }
  if (f.rule) {
    w.add("(rule_id = ? OR rule_name = ?)");
    w.args.emplace_back(*f.rule);
    w.args.emplace_back(*f.rule);
  }
  if (f.source_ip) {
    w.add("source_ip = ?");
    w.args.emplace_back(*f.source_ip);
  }
  if (f.since) {
    w.add("last_seen >= ?");
    w.args.emplace_back(micros(*f.since));
  }
  if (f.until) {
    w.add("last_seen <= ?");
    w.args.emplace_back(micros(*f.until));
  }
  if (!for_counts && f.after) {
    w.add("(last_seen < ? OR (last_seen = ? AND id < ?))");
    w.args.emplace_back(micros(f.after->first));
    w.args.emplace_back(micros(f.after->first));
    w.args.emplace_back(f.after->second);
  }
  return w;
}

Result<OpenCounts> counts_of(sql::Database& db, const Where& w) {
  std::string q = "SELECT state, severity, count(*) FROM alerts" + w.sql;
  q += w.sql.empty() ? " WHERE" : " AND";
  q += " state <> 'resolved' GROUP BY state, severity";
  auto s = db.prepare(q);
  if (!s) return fail(s.error());
  w.bind(*s);
  OpenCounts out;
  for (auto st : {"open", "acknowledged"})
    for (int sev = 1; sev <= 5; ++sev) out[st][std::string(severity_word(sev))] = 0;
  for (;;) {
    auto row = s->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out[std::string(s->text(0))][std::string(severity_word(s->int64(1)))] += s->int64(2);
  }
  return out;
}

}  // namespace

Result<AlertPage> AlertStore::list(const AlertFilter& filter) const {
  auto db = readers_->acquire();
  if (!db) return fail(db.error());
  const Where w = where_of(filter, false);
  auto s = (*db)->prepare(fmt::format("SELECT {} FROM alerts{} ORDER BY last_seen DESC, id DESC LIMIT {}",
                                      kAlertColumns, w.sql, filter.limit + 1));
  if (!s) return fail(s.error());
  w.bind(*s);
  AlertPage page;
  for (;;) {
    auto row = s->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    if (page.alerts.size() == filter.limit) {
      page.next = std::make_pair(page.alerts.back().last_seen, page.alerts.back().id);
      break;
    }
    page.alerts.push_back(read_record(*s));
  }
  auto counts = counts_of(**db, where_of(filter, true));
  if (!counts) return fail(counts.error());
  page.counts = std::move(*counts);
  return page;
}

Result<OpenCounts> AlertStore::open_counts() const {
  auto db = readers_->acquire();
  if (!db) return fail(db.error());
  return counts_of(**db, Where{});
}

Result<size_t> AlertStore::restate() const {
  if (!dispatcher_) return size_t{0};
  auto db = readers_->acquire();
  if (!db) return fail(db.error());
  auto s = (*db)->prepare(
      fmt::format("SELECT {} FROM alerts WHERE state <> 'resolved' ORDER BY last_seen, id", kAlertColumns));
  if (!s) return fail(s.error());
  size_t n = 0;
  for (;;) {
    auto row = s->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    const AlertRecord a = read_record(*s);
    Notice notice;
    notice.kind = a.state == AlertState::Acknowledged ? NoticeKind::Acknowledged : NoticeKind::Firing;
    notice.id = a.id;
    notice.count = static_cast<uint64_t>(a.count);
    notice.first_seen = a.first_seen;
    notice.last_seen = a.last_seen;
    notice.restated = true;
    if (auto e = decode_event(a.alert_json)) notice.alert = std::move(*e);
    dispatcher_->publish(std::move(notice));
    ++n;
  }
  return n;
}

Result<SiteCounts> AlertStore::open_counts_by_site() const {
  auto db = readers_->acquire();
  if (!db) return fail(db.error());
  auto s = (*db)->prepare(
      "SELECT site_id, severity, count(*) FROM alerts WHERE state <> 'resolved' AND site_id <> '' "
      "GROUP BY site_id, severity");
  if (!s) return fail(s.error());
  SiteCounts out;
  for (;;) {
    auto row = s->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    out[std::string(s->text(0))][std::string(severity_word(s->int64(1)))] += s->int64(2);
  }
  return out;
}

Result<std::optional<AlertDetail>> AlertStore::get(int64_t id) const {
  auto db = readers_->acquire();
  if (!db) return fail(db.error());
  // One read transaction: the alert, its evidence and its history as of one moment.
  if (auto r = (*db)->exec("BEGIN"); !r) return fail(r.error());
  struct End {
    sql::Database& db;
    ~End() { (void)db.exec("COMMIT"); }
  } end{**db};
  auto s = (*db)->prepare(fmt::format("SELECT {} FROM alerts WHERE id = ?", kAlertColumns));
  if (!s) return fail(s.error());
  s->bind(1, id);
  auto row = s->step();
  if (!row) return fail(row.error());
  if (!*row) return std::optional<AlertDetail>();
  AlertDetail d;
  d.alert = read_record(*s);
  auto ev = (*db)->prepare("SELECT json FROM evidence WHERE alert_id = ? ORDER BY seq, rowid");
  if (!ev) return fail(ev.error());
  ev->bind(1, id);
  for (;;) {
    auto r = ev->step();
    if (!r) return fail(r.error());
    if (!*r) break;
    d.evidence.emplace_back(ev->text(0));
  }
  auto h = (*db)->prepare("SELECT at, action, by, comment, count FROM history WHERE alert_id = ? ORDER BY rowid");
  if (!h) return fail(h.error());
  h->bind(1, id);
  for (;;) {
    auto r = h->step();
    if (!r) return fail(r.error());
    if (!*r) break;
    d.history.push_back({from_micros(h->int64(0)), std::string(h->text(1)), h->optional_text(2), h->optional_text(3),
                         h->int64(4)});
  }
  return std::optional<AlertDetail>(std::move(d));
}

}  // namespace soc::daemon::alerts
