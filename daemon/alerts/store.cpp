// The alert store's write path: schema, folding, the batch transaction, acknowledgement,
// resolution and retention. Queries are in store_query.cpp.
#include "daemon/alerts/store.h"

#include <fmt/core.h>
#include <sys/stat.h>

#include <algorithm>

#include "core/json_codec.h"
#include "core/log.h"
#include "core/severity.h"
#include "daemon/alerts/store_internal.h"

namespace soc::daemon::alerts {

using namespace detail;

namespace {

constexpr int kSchemaVersion = 1;
constexpr int kWriterCacheKiB = 64 * 1024;

// The statements of the alert path, prepared once (Database::cached) and looked up by their text:
// built once here rather than a std::string per call.
const std::string kFindOpen =
    "SELECT id, count, first_seen, last_seen, evidence_rows, history_rows FROM alerts "
    "WHERE rule_id = ? AND group_key = ? AND state <> 'resolved'";
const std::string kInsertAlert =
    "INSERT INTO alerts (rule_id, rule_name, source, severity, state, group_key, group_json, fields_json, "
    "summary, alert_json, count, first_seen, last_seen, opened_at, updated_at, history_rows) "
    "VALUES (?, ?, ?, ?, 'open', ?, ?, '{}', '', '{}', 0, ?, ?, ?, ?, 1)";
const std::string kInsertOpened = "INSERT INTO history (alert_id, at, action) VALUES (?, ?, 'opened')";
const std::string kUpdateAlert =
    "UPDATE alerts SET count = ?, first_seen = ?, last_seen = ?, updated_at = ?, resolve_after = ?, "
    "fields_json = ?, alert_json = ?, summary = ?, site_id = ?, site_name = ?, source_ip = coalesce(?, source_ip), "
    "evidence_rows = ?, history_rows = ? WHERE id = ?";
const std::string kInsertEvidence =
    "INSERT OR IGNORE INTO evidence (alert_id, seq, event_id, bytes, json) VALUES (?, ?, ?, ?, ?)";
const std::string kInsertRepeated = "INSERT INTO history (alert_id, at, action, count) VALUES (?, ?, 'repeated', ?)";
const std::string kGrowRepeated =
    "UPDATE history SET count = count + ?, at = ? WHERE rowid = "
    "(SELECT max(rowid) FROM history WHERE alert_id = ? AND action = 'repeated')";

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// docs/adr/0020-alert-store.md explains each column.
constexpr const char* kSchema = R"sql(
CREATE TABLE alerts (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  rule_id       TEXT NOT NULL,
  rule_name     TEXT NOT NULL,
  source        TEXT NOT NULL,
  severity      INTEGER NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
  site_id       TEXT NOT NULL DEFAULT '',
  site_name     TEXT NOT NULL DEFAULT '',
  group_key     TEXT NOT NULL,
  group_json    TEXT NOT NULL,
  fields_json   TEXT NOT NULL,
  source_ip     TEXT,
  summary       TEXT NOT NULL,
  alert_json    TEXT NOT NULL,
  count         INTEGER NOT NULL,
  first_seen    INTEGER NOT NULL,
  last_seen     INTEGER NOT NULL,
  opened_at     INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  resolve_after INTEGER,
  acked_by      TEXT,
  acked_at      INTEGER,
  ack_comment   TEXT,
  resolved_at   INTEGER,
  evidence_rows INTEGER NOT NULL DEFAULT 0,
  history_rows  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alerts_active ON alerts (rule_id, group_key) WHERE state <> 'resolved';
CREATE INDEX alerts_recent ON alerts (last_seen, id);
CREATE INDEX alerts_due ON alerts (resolve_after) WHERE state <> 'resolved';
CREATE TABLE history (
  alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  at       INTEGER NOT NULL,
  action   TEXT NOT NULL,
  by       TEXT,
  comment  TEXT,
  count    INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX history_of_alert ON history (alert_id);
CREATE TABLE evidence (
  alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  seq      INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  bytes    INTEGER NOT NULL,
  json     TEXT NOT NULL,
  UNIQUE (alert_id, event_id)
);
)sql";

constexpr const char* kOpenCountsIndex =
    "CREATE INDEX IF NOT EXISTS alerts_open_counts ON alerts (state, severity) WHERE state <> 'resolved'";

// The key fields an alert shows without its evidence (API "fields").
std::string fields_json_of(const Event& alert) {
  Event f;
  for (auto k : rules::kAlertKeyFields)
    if (const Value* v = alert.find(k)) f.set(k, *v);
  return encode_event(f);
}

std::string group_json_of(const Event& alert, const std::vector<std::string>& group) {
  Event g;
  for (const auto& k : group)
    if (const Value* v = alert.find(k)) g.set(k, *v);
  return encode_event(g);
}

// One line for people: the baseline's message, or the rule's name with who and how many.
std::string summary_of(const Event& alert, const RuleInfo& rule, const std::string& key) {
  if (const std::string_view m = alert.get_string("message"); !m.empty()) return std::string(m.substr(0, 1024));
  std::string s = rule.name.empty() ? std::string(alert.get_string("rule.name")) : rule.name;
  std::string who = key;
  if (who.empty()) {
    for (auto k : {"source.ip", "user.name", "destination.ip", "host.hostname", "url.original"})
      if (const Value* v = alert.find(k)) {
        if (!who.empty()) who += ',';
        who += std::string(k) + '=' + v->to_text();
      }
  }
  if (!who.empty()) s += ": " + who;
  if (const auto n = alert.get_int("soc.count"); n && *n > 1) s += fmt::format(" ({} events)", *n);
  return s.substr(0, 1024);
}

}  // namespace

std::string_view to_string(AlertState s) {
  switch (s) {
    case AlertState::Open: return "open";
    case AlertState::Acknowledged: return "acknowledged";
    case AlertState::Resolved: return "resolved";
  }
  return "open";
}

std::optional<AlertState> parse_alert_state(std::string_view s) {
  if (s == "open") return AlertState::Open;
  if (s == "acknowledged") return AlertState::Acknowledged;
  if (s == "resolved") return AlertState::Resolved;
  return std::nullopt;
}

struct AlertStore::Op {
  bool resolve = false;
  // record()
  Event alert;
  RuleInfo rule;
  std::vector<rules::EvidenceEvent> evidence;
  bool repeat_only = false;
  // resolve()
  std::string rule_id, group_key, why;
};

struct AlertStore::Pending {
  int64_t id = 0;
  bool opened = false;    // opened by this batch: its notice is Firing
  int64_t count = 0;      // after the batch
  int64_t repeats = 0;    // occurrences this batch folded into it (history "repeated")
  Timestamp first_seen{}, last_seen{};
  std::optional<Timestamp> resolve_after;
  Timestamp updated_at{};  // when the latest occurrence was recorded (wall clock)
  int64_t evidence_rows = 0, history_rows = 0;
  std::vector<std::pair<std::string, std::shared_ptr<const std::string>>> evidence;  // to insert
  std::string fields_json, alert_json, summary, site_id, site_name;
  std::optional<std::string> source_ip;
  Event alert;  // the latest occurrence, for the notice
};

AlertStore::AlertStore(std::string path, std::unique_ptr<sql::Database> db, telemetry::Registry& metrics,
                       StoreOptions options)
    : path_(std::move(path)),
      options_(std::move(options)),
      metrics_(metrics),
      db_(std::move(db)),
      readers_(std::make_unique<ReadPool>(path_)) {
  const std::string pruned_help = "Alerts removed from the alert store by retention, by reason (age, rows).";
  pruned_age_ = metrics_.counter("soc_alert_store_pruned_total", pruned_help, {{"reason", "age"}});
  pruned_rows_ = metrics_.counter("soc_alert_store_pruned_total", pruned_help, {{"reason", "rows"}});
  const std::string ev_help =
      "Evidence events the alert store did not keep or removed: beyond the per-alert limit (per_alert), or to stay "
      "within its total size (store_bytes).";
  evidence_per_alert_ = metrics_.counter("soc_alert_evidence_dropped_total", ev_help, {{"reason", "per_alert"}});
  evidence_budget_ = metrics_.counter("soc_alert_evidence_dropped_total", ev_help, {{"reason", "store_bytes"}});
  write_errors_ = metrics_.counter("soc_write_errors_total",
                                  "Writes of an output that failed (disk full, I/O error); the data is kept and written "
                                  "again, and what it belongs to is not acknowledged meanwhile.",
                                  {{"output", "alert_store"}});
  const std::string res_help = "Alerts resolved, by why: no repeat for the rule's quiet period (quiet), or the "
                               "condition was reported clear (cleared).";
  resolved_quiet_ = metrics_.counter("soc_alerts_resolved_total", res_help, {{"reason", "quiet"}});
  resolved_cleared_ = metrics_.counter("soc_alerts_resolved_total", res_help, {{"reason", "cleared"}});
  for (auto state : {"open", "acknowledged"})
    for (int sev = 1; sev <= 5; ++sev)
      open_gauges_[{state, std::string(severity_word(sev))}] =
          metrics_.gauge("soc_alerts_open", "Alerts not resolved in the alert store, by state and severity.",
                         {{"severity", std::string(severity_word(sev))}, {"state", state}});
  evidence_bytes_gauge_ =
      metrics_.gauge("soc_alert_store_evidence_bytes", "Bytes of evidence events the alert store keeps.", {});
  rows_gauge_ = metrics_.gauge("soc_alert_store_alerts", "Alerts in the alert store, every state.", {});
  const telemetry::Labels queue{{"queue", "alert_store"}};
  retained_gauge_ = metrics_.gauge("soc_queue_depth", "Items waiting in one of the correlator's bounded queues.", queue);
  metrics_.gauge("soc_queue_limit", "The bound of one of the correlator's queues (items).", queue)
      .set(static_cast<double>(kMaxRetained));
  retained_dropped_ = metrics_.counter("soc_queue_dropped_total",
                                       "Items dropped because one of the correlator's bounded queues was full.", queue);
  const telemetry::Labels writer{{"queue", "alert_store_writer"}};
  queue_gauge_ = metrics_.gauge("soc_queue_depth", "Items waiting in one of the correlator's bounded queues.", writer);
  metrics_.gauge("soc_queue_limit", "The bound of one of the correlator's queues (items).", writer)
      .set(static_cast<double>(options_.writer_queue));
  queue_full_ = metrics_.counter("soc_queue_full_total",
                                 "Items whose producer found one of the correlator's bounded queues full and did the "
                                 "consumer's work itself (back-pressure: nothing is dropped).",
                                 writer);
  const std::string time_help =
      "Seconds the alert store's writer spent, by part: the ingest thread waiting in commit() for the writer thread "
      "(commit_wait), commit()'s own applying and committing (commit_work), the writer thread's transactions "
      "(writer), SQLite's COMMIT within either (sqlite_commit: the WAL's writes, and SQLite's checkpoints every "
      "1,000 pages).";
  commit_wait_ = metrics_.counter("soc_alert_store_seconds_total", time_help, {{"part", "commit_wait"}});
  commit_work_ = metrics_.counter("soc_alert_store_seconds_total", time_help, {{"part", "commit_work"}});
  writer_busy_ = metrics_.counter("soc_alert_store_seconds_total", time_help, {{"part", "writer"}});
  sqlite_commit_ = metrics_.counter("soc_alert_store_seconds_total", time_help, {{"part", "sqlite_commit"}});
  queue_.reserve(options_.writer_queue);
  draining_.reserve(options_.writer_queue);
}

Result<std::unique_ptr<AlertStore>> AlertStore::open(const std::string& path, telemetry::Registry& metrics,
                                                     StoreOptions options) {
  auto db = sql::Database::open(path);
  if (!db) return fail(db.error());
  sql::Database& d = **db;
  ::chmod(path.c_str(), 0600);  // alerts name people and addresses
  {
    auto s = d.prepare("PRAGMA journal_mode = WAL");
    if (!s) return fail(s.error());
    auto row = s->step();
    if (!row) return fail(row.error());
    if (!*row || s->text(0) != "wal")
      return fail("sqlite", fmt::format("{}: the database cannot use write-ahead logging (journal mode {})", path,
                                        *row ? std::string(s->text(0)) : "unknown"));
  }
  if (auto r = d.exec(options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"); !r)
    return fail(r.error());
  // The writer's page cache (SQLite's default is 2 MiB): each new alert looks up and changes
  // pages of five indexes and three tables; with the default, under a flood most of them were
  // read back from the OS (a pread system call each) on every batch (issue 17).
  if (auto r = d.exec(fmt::format("PRAGMA cache_size = -{}", kWriterCacheKiB)); !r) return fail(r.error());
  int64_t version = 0;
  {
    auto s = d.prepare("PRAGMA user_version");
    if (!s) return fail(s.error());
    if (auto row = s->step(); row && *row) version = s->int64(0);
  }
  if (version > kSchemaVersion)
    return fail("config", fmt::format("{} was written by a newer correlator (alert store schema {}, this one knows {})",
                                      path, version, kSchemaVersion));
  if (version == 0) {
    auto t = sql::Transaction::begin(d);
    if (!t) return fail(t.error());
    if (auto r = d.exec(kSchema); !r) return fail(r.error());
    if (auto r = d.exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion)); !r) return fail(r.error());
    if (auto r = t->commit(); !r) return fail(r.error());
  }
  // The gauges' and the API's counts of unresolved alerts, read every tick: from this index alone
  // rather than a scan of every alert's row (each some kilobytes of JSON), which under a flood of
  // alerts took the store's thread a large share of a CPU. Added to a store of schema 1 as it is
  // opened (an index changes nothing a correlator of the same schema reads or writes).
  if (auto r = d.exec(kOpenCountsIndex); !r) return fail(r.error());
  std::unique_ptr<AlertStore> store(new AlertStore(path, std::move(*db), metrics, std::move(options)));
  {
    auto s = store->db_->prepare("SELECT total(bytes) FROM evidence");
    if (!s) return fail(s.error());
    if (auto row = s->step(); row && *row) store->evidence_bytes_ = static_cast<size_t>(s->int64(0));
  }
  store->update_gauges();
  return store;
}

AlertStore::~AlertStore() {
  {
    std::lock_guard lock(thread_mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  if (in_batch_) (void)db_->exec("ROLLBACK");
}

void AlertStore::start() {
  thread_ = std::thread([this] { run(); });
}

void AlertStore::run() {
  using steady = std::chrono::steady_clock;
  auto next_prune = steady::now();
  auto next_tick = steady::now();
  std::unique_lock lock(thread_mutex_);
  while (!stop_) {
    const bool queued = !queue_.empty();
    lock.unlock();
    // What the ingest thread handed over first: it is on the alert's path to the sinks and the
    // API; resolution and retention can wait for it.
    if (queued) write_queued();
    if (steady::now() >= next_tick) {
      if (auto r = resolve_due(options_.clock()); !r) count_error(r.error());
      if (steady::now() >= next_prune) {
        if (auto r = prune(options_.clock()); !r) count_error(r.error());
        next_prune = steady::now() + options_.prune_every;
      }
      update_gauges();
      next_tick = steady::now() + options_.tick;
    }
    lock.lock();
    wake_.wait_until(lock, next_tick, [this] { return stop_ || !queue_.empty(); });
  }
}

void AlertStore::write_queued() {
  {
    std::lock_guard lock(mutex_);
    const auto t0 = std::chrono::steady_clock::now();
    // flush_locked() drains the queue first. Its error is counted there; what failed is kept and
    // committed by the next commit(), which reports it to the ingest thread. The notices wait for
    // that commit too (held, merged per alert): the sinks get one per alert per batch, as when
    // the ingest thread committed the batch alone, however many looks the writer took at it.
    (void)flush_locked(true);
    writer_busy_.inc(seconds_since(t0));
  }
}

void AlertStore::hold_locked(std::vector<Notice>& notices) {
  for (auto& n : notices) {
    const bool occurrence = n.kind == NoticeKind::Firing || n.kind == NoticeKind::Repeat;
    if (occurrence) {
      if (auto it = held_at_.find(n.id); it != held_at_.end()) {
        // A later occurrence of an alert already held: the latest state, at the first's place.
        Notice& first = held_[it->second];
        const bool opened = first.kind == NoticeKind::Firing;
        first = std::move(n);
        if (opened) first.kind = NoticeKind::Firing;
        continue;
      }
      held_at_[n.id] = held_.size();
    } else {
      held_at_.erase(n.id);  // what follows a resolution is a notice of its own
    }
    held_.push_back(std::move(n));
  }
  notices.clear();
}

void AlertStore::drain_queue_locked() {
  {
    std::lock_guard lock(thread_mutex_);
    if (queue_.empty()) return;
    draining_.swap(queue_);
    queue_gauge_.set(0);
  }
  size_t i = 0;
  for (; i < draining_.size(); ++i)
    if (auto r = submit_locked(std::move(draining_[i])); !r) break;  // counted; the op is kept
  // After a failure the rest is kept too, in its order, without trying each (a full disk).
  for (++i; i < draining_.size(); ++i) retain_locked(std::move(draining_[i]));
  draining_.clear();
}

void AlertStore::count_error(const Error& e) {
  write_errors_.inc();
  log::error("alerts", "alert store: {}", e.message);
}

// --- the batch ---------------------------------------------------------------------------------

Result<void> AlertStore::begin_batch_locked() {
  if (in_batch_) return {};
  if (auto r = db_->exec("BEGIN IMMEDIATE"); !r) {
    count_error(r.error());
    return r;
  }
  in_batch_ = true;
  // What failed batches recorded comes first, in its order: it happened first.
  std::vector<Op> again;
  again.swap(retained_);
  for (size_t i = 0; i < again.size(); ++i) {
    if (auto r = apply_locked(again[i]); !r) {
      abort_batch_locked();
      for (size_t j = i; j < again.size(); ++j) retain_locked(std::move(again[j]));
      count_error(r.error());
      return r;
    }
    batch_ops_.push_back(std::move(again[i]));
  }
  retained_gauge_.set(0);
  return {};
}

void AlertStore::abort_batch_locked() {
  (void)db_->exec("ROLLBACK");
  in_batch_ = false;
  pending_.clear();
  pending_order_.clear();
  batch_notices_.clear();
  batch_quiet_ = batch_cleared_ = 0;
  // What the batch wrote is gone: so is the evidence it counted.
  auto s = db_->prepare("SELECT total(bytes) FROM evidence");
  if (s)
    if (auto row = s->step(); row && *row) evidence_bytes_ = static_cast<size_t>(s->int64(0));
  std::vector<Op> ops;
  ops.swap(batch_ops_);
  for (auto& op : retained_) ops.push_back(std::move(op));
  retained_.clear();
  for (auto& op : ops) retain_locked(std::move(op));
}

void AlertStore::retain_locked(Op op) {
  if (retained_.size() >= kMaxRetained) {
    retained_.erase(retained_.begin());
    retained_dropped_.inc();
  }
  retained_.push_back(std::move(op));
  retained_gauge_.set(static_cast<double>(retained_.size()));
}

size_t AlertStore::retained() const {
  std::lock_guard lock(mutex_);
  return retained_.size();
}

Result<void> AlertStore::submit_locked(Op op) {
  if (auto r = begin_batch_locked(); !r) {
    retain_locked(std::move(op));
    return r;
  }
  if (auto r = apply_locked(op); !r) {
    abort_batch_locked();
    retain_locked(std::move(op));
    count_error(r.error());
    return r;
  }
  batch_ops_.push_back(std::move(op));
  return {};
}

Result<void> AlertStore::apply_locked(const Op& op) {
  if (op.resolve) return resolve_key_locked(op.rule_id, op.group_key, op.why);
  return record_locked(op.alert, op.rule, op.evidence, op.repeat_only);
}

Result<AlertStore::Pending*> AlertStore::pending_for_locked(const Event& alert, const RuleInfo& rule,
                                                            const std::string& key, bool repeat_only) {
  const std::string map_key = rule.id + '\x1f' + key;
  if (auto it = pending_.find(map_key); it != pending_.end()) return it->second.get();
  auto p = std::make_unique<Pending>();
  auto find = db_->cached(kFindOpen);
  if (!find) return fail(find.error());
  sql::Statement& f = **find;
  f.bind(1, std::string_view(rule.id)).bind(2, std::string_view(key));
  auto row = f.step();
  if (!row) return fail(row.error());
  if (*row) {
    p->id = f.int64(0);
    p->count = f.int64(1);
    p->first_seen = from_micros(f.int64(2));
    p->last_seen = from_micros(f.int64(3));
    p->evidence_rows = f.int64(4);
    p->history_rows = f.int64(5);
    f.reset();
  } else {
    f.reset();
    if (repeat_only) return static_cast<Pending*>(nullptr);
    // A new alert: inserted now for its id; the batch's last occurrence fills it at commit.
    const Timestamp now = options_.clock();
    const Timestamp seen = alert.timestamp().value_or(now);
    auto ins = db_->cached(kInsertAlert);
    if (!ins) return fail(ins.error());
    const int64_t sev = alert.get_int("event.severity").value_or(rule.severity);
    (*ins)->bind(1, std::string_view(rule.id))
        .bind(2, std::string_view(rule.name.empty() ? std::string(alert.get_string("rule.name")) : rule.name))
        .bind(3, std::string_view(rule.source))
        .bind(4, sev)
        .bind(5, std::string_view(key))
        .bind(6, std::string_view(group_json_of(alert, rule.group_fields)))
        .bind(7, micros(seen))
        .bind(8, micros(seen))
        .bind(9, micros(now))
        .bind(10, micros(now));
    if (auto r = (*ins)->run(); !r) return fail(r.error());
    p->id = db_->last_insert_rowid();
    p->opened = true;
    p->first_seen = p->last_seen = seen;
    auto hist = db_->cached(kInsertOpened);
    if (!hist) return fail(hist.error());
    (*hist)->bind(1, p->id).bind(2, micros(now));
    if (auto r = (*hist)->run(); !r) return fail(r.error());
    p->history_rows = 1;
  }
  Pending* raw = p.get();
  pending_order_.push_back(raw);
  pending_.emplace(map_key, std::move(p));
  return raw;
}

Result<void> AlertStore::record(const Event& alert, RuleInfo rule, std::span<const rules::EvidenceEvent> evidence,
                                bool repeat_only) {
  Op op;
  op.alert = alert;
  op.rule = std::move(rule);
  op.evidence.assign(evidence.begin(), evidence.end());
  op.repeat_only = repeat_only;
  return hand_over(std::move(op));
}

Result<void> AlertStore::hand_over(Op op) {
  {
    std::lock_guard lock(thread_mutex_);
    if (queue_.size() < options_.writer_queue) {
      queue_.push_back(std::move(op));
      queue_gauge_.set(static_cast<double>(queue_.size()));
      // One wake-up per hand-off the writer finds: it takes the whole queue when it runs.
      if (queue_.size() == 1) wake_.notify_one();
      return {};
    }
  }
  // Full: the writer is behind. The caller applies the queue and its own call (in that order),
  // which holds it back as long as the writer would have.
  queue_full_.inc();
  std::lock_guard lock(mutex_);
  drain_queue_locked();
  return submit_locked(std::move(op));
}

Result<void> AlertStore::record_locked(const Event& alert, const RuleInfo& rule,
                                       std::span<const rules::EvidenceEvent> evidence, bool repeat_only) {
  const std::string key = group_key(alert, rule.group_fields);
  auto pending = pending_for_locked(alert, rule, key, repeat_only);
  if (!pending) return fail(pending.error());
  Pending* p = *pending;
  if (!p) return {};  // a held-back repeat of an alert that is resolved already
  const Timestamp now = options_.clock();
  const Timestamp seen = alert.timestamp().value_or(now);
  ++p->count;
  if (!(p->opened && p->count == 1)) ++p->repeats;
  p->first_seen = std::min(p->first_seen, seen);
  p->last_seen = std::max(p->last_seen, seen);
  p->updated_at = now;
  if (rule.quiet) p->resolve_after = now + *rule.quiet;
  // The latest occurrence speaks for the alert (its key fields, its summary); a held-back
  // repeat carries the same rule and group and refreshes them too.
  p->fields_json = fields_json_of(alert);
  p->summary = summary_of(alert, rule, key);
  p->site_id = std::string(alert.get_string("site.id"));
  p->site_name = std::string(alert.get_string("site.name"));
  if (const Value* ip = alert.find("source.ip")) p->source_ip = ip->to_text();
  p->alert = alert;
  for (const auto& e : evidence) {
    if (!e.json) continue;
    if (std::any_of(p->evidence.begin(), p->evidence.end(), [&](const auto& x) { return x.first == e.id; })) continue;
    if (static_cast<size_t>(p->evidence_rows) + p->evidence.size() >= options_.max_evidence_per_alert) {
      evidence_per_alert_.inc();
      continue;
    }
    p->evidence.emplace_back(e.id, e.json);
  }
  return {};
}

Result<void> AlertStore::write_pending_locked(Pending& p) {
  const Timestamp now = options_.clock();
  // The evidence and the history first, then one UPDATE of the alert that also sets their row
  // counts (one statement per alert and batch rather than three).
  if (!p.evidence.empty()) {
    auto ins = db_->cached(kInsertEvidence);
    if (!ins) return fail(ins.error());
    for (const auto& [id, json] : p.evidence) {
      if (evidence_bytes_ + json->size() > options_.max_evidence_bytes) {
        evidence_budget_.inc();
        continue;
      }
      (*ins)->reset();
      (*ins)->bind(1, p.id)
          .bind(2, p.evidence_rows)
          .bind(3, std::string_view(id))
          .bind(4, static_cast<int64_t>(json->size()))
          .bind(5, std::string_view(*json));
      if (auto r = (*ins)->run(); !r) return r;
      if (db_->changes() == 1) {
        ++p.evidence_rows;
        evidence_bytes_ += json->size();
      }
    }
    p.evidence.clear();
  }
  if (p.repeats > 0) {
    // One history entry per batch that folded repeats, up to the limit; then the newest
    // "repeated" entry grows instead, so that a flood costs a bounded history.
    if (static_cast<size_t>(p.history_rows) < options_.max_history_per_alert) {
      auto h = db_->cached(kInsertRepeated);
      if (!h) return fail(h.error());
      (*h)->bind(1, p.id).bind(2, micros(now)).bind(3, p.repeats);
      if (auto r = (*h)->run(); !r) return r;
      ++p.history_rows;
    } else {
      auto h = db_->cached(kGrowRepeated);
      if (!h) return fail(h.error());
      (*h)->bind(1, p.repeats).bind(2, micros(now)).bind(3, p.id);
      if (auto r = (*h)->run(); !r) return r;
    }
  }
  p.alert_json.clear();
  encode_event(p.alert, p.alert_json);
  auto up = db_->cached(kUpdateAlert);
  if (!up) return fail(up.error());
  (*up)->bind(1, p.count)
      .bind(2, micros(p.first_seen))
      .bind(3, micros(p.last_seen))
      .bind(4, micros(p.updated_at))
      .bind(5, p.resolve_after ? std::optional<int64_t>(micros(*p.resolve_after)) : std::nullopt)
      .bind(6, std::string_view(p.fields_json))
      .bind(7, std::string_view(p.alert_json))
      .bind(8, std::string_view(p.summary))
      .bind(9, std::string_view(p.site_id))
      .bind(10, std::string_view(p.site_name))
      .bind(11, p.source_ip)
      .bind(12, p.evidence_rows)
      .bind(13, p.history_rows)
      .bind(14, p.id);
  if (auto r = (*up)->run(); !r) return r;
  Notice n;
  n.kind = p.opened ? NoticeKind::Firing : NoticeKind::Repeat;
  n.id = p.id;
  n.count = static_cast<uint64_t>(p.count);
  n.first_seen = p.first_seen;
  n.last_seen = p.last_seen;
  n.alert = std::move(p.alert);
  batch_notices_.push_back(std::move(n));
  return {};
}

Result<void> AlertStore::flush_locked(bool hold) {
  drain_queue_locked();
  if (!in_batch_) {
    if (retained_.empty()) {
      if (!hold) publish_held_locked();
      return {};
    }
    if (auto r = begin_batch_locked(); !r) return r;
  }
  Result<void> r;
  for (Pending* p : pending_order_) {
    r = write_pending_locked(*p);
    if (!r) break;
  }
  if (r) {
    const auto t0 = std::chrono::steady_clock::now();
    r = db_->exec("COMMIT");
    sqlite_commit_.inc(seconds_since(t0));
  }
  if (!r) {
    abort_batch_locked();
    count_error(r.error());
    return r;
  }
  pending_.clear();
  pending_order_.clear();
  batch_ops_.clear();
  in_batch_ = false;
  resolved_quiet_.inc(static_cast<double>(batch_quiet_));
  resolved_cleared_.inc(static_cast<double>(batch_cleared_));
  batch_quiet_ = batch_cleared_ = 0;
  hold_locked(batch_notices_);
  if (!hold) publish_held_locked();
  return {};
}

void AlertStore::publish_held_locked() {
  held_at_.clear();
  publish_locked(held_);
}

Result<void> AlertStore::commit() {
  const auto t0 = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  const auto t1 = std::chrono::steady_clock::now();
  commit_wait_.inc(std::chrono::duration<double>(t1 - t0).count());
  auto r = flush_locked();
  commit_work_.inc(seconds_since(t1));
  return r;
}

void AlertStore::publish_locked(std::vector<Notice>& notices) {
  if (dispatcher_)
    for (auto& n : notices) dispatcher_->publish(std::move(n));  // taken over, not copied
  notices.clear();
}

// --- resolution --------------------------------------------------------------------------------

Notice AlertStore::notice_of_row_locked(NoticeKind kind, int64_t id) {
  Notice n;
  n.kind = kind;
  n.id = id;
  auto s = db_->cached(fmt::format("SELECT {} FROM alerts WHERE id = ?", kAlertColumns));
  if (!s) return n;
  (*s)->bind(1, id);
  if (auto row = (*s)->step(); row && *row) {
    const AlertRecord a = read_record(**s);
    n.count = static_cast<uint64_t>(a.count);
    n.first_seen = a.first_seen;
    n.last_seen = a.last_seen;
    n.resolved_at = a.resolved_at;
    if (auto e = decode_event(a.alert_json)) n.alert = std::move(*e);
  }
  (*s)->reset();
  return n;
}

Result<void> AlertStore::resolve_locked(int64_t id, Timestamp now, std::string_view why) {
  auto up = db_->cached(
      "UPDATE alerts SET state = 'resolved', resolved_at = ?, resolve_after = NULL WHERE id = ? AND state <> 'resolved'");
  if (!up) return fail(up.error());
  (*up)->bind(1, micros(now)).bind(2, id);
  if (auto r = (*up)->run(); !r) return r;
  if (db_->changes() == 0) return {};
  auto h = db_->cached("INSERT INTO history (alert_id, at, action, comment) VALUES (?, ?, 'resolved', ?)");
  if (!h) return fail(h.error());
  (*h)->bind(1, id).bind(2, micros(now)).bind(3, why);
  if (auto r = (*h)->run(); !r) return r;
  batch_notices_.push_back(notice_of_row_locked(NoticeKind::Resolved, id));
  return {};
}

Result<void> AlertStore::resolve(std::string_view rule_id, std::string_view group_key, std::string_view why) {
  Op op;
  op.resolve = true;
  op.rule_id = std::string(rule_id);
  op.group_key = std::string(group_key);
  op.why = std::string(why);
  return hand_over(std::move(op));
}

Result<void> AlertStore::resolve_key_locked(std::string_view rule_id, std::string_view group_key,
                                            std::string_view why) {
  // An alert this batch touched is written first, so that its notice precedes the resolution.
  const std::string map_key = std::string(rule_id) + '\x1f' + std::string(group_key);
  if (auto it = pending_.find(map_key); it != pending_.end()) {
    if (auto r = write_pending_locked(*it->second); !r) return r;
    std::erase(pending_order_, it->second.get());
    pending_.erase(it);
  }
  auto find = db_->cached("SELECT id FROM alerts WHERE rule_id = ? AND group_key = ? AND state <> 'resolved'");
  if (!find) return fail(find.error());
  (*find)->bind(1, rule_id).bind(2, group_key);
  auto row = (*find)->step();
  if (!row) return fail(row.error());
  if (!*row) return {};
  const int64_t id = (*find)->int64(0);
  (*find)->reset();
  if (auto r = resolve_locked(id, options_.clock(), why); !r) return r;
  ++batch_cleared_;
  return {};
}

Result<size_t> AlertStore::reconcile(std::string_view source,
                                     const std::set<std::pair<std::string, std::string>>& active,
                                     std::string_view why) {
  std::vector<std::pair<std::string, std::string>> stale;
  {
    std::lock_guard lock(mutex_);
    drain_queue_locked();  // alerts recorded before it count as open
    auto s = db_->cached("SELECT rule_id, group_key FROM alerts WHERE source = ? AND state <> 'resolved'");
    if (!s) return fail(s.error());
    (*s)->bind(1, source);
    for (;;) {
      auto row = (*s)->step();
      if (!row) return fail(row.error());
      if (!*row) break;
      std::pair<std::string, std::string> k{std::string((*s)->text(0)), std::string((*s)->text(1))};
      if (!active.count(k)) stale.push_back(std::move(k));
    }
    (*s)->reset();
  }
  for (const auto& [rule, key] : stale)
    if (auto r = resolve(rule, key, why); !r) return fail(r.error());
  return stale.size();
}

Result<size_t> AlertStore::resolve_due(Timestamp now) {
  std::lock_guard lock(mutex_);
  if (auto r = flush_locked(); !r) return fail(r.error());
  auto due = db_->cached(
      "SELECT id, updated_at, resolve_after FROM alerts WHERE state <> 'resolved' AND resolve_after <= ? "
      "ORDER BY resolve_after LIMIT 1000");
  if (!due) return fail(due.error());
  (*due)->bind(1, micros(now));
  std::vector<std::pair<int64_t, std::chrono::microseconds>> ids;
  for (;;) {
    auto row = (*due)->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    ids.emplace_back((*due)->int64(0), std::chrono::microseconds((*due)->int64(2) - (*due)->int64(1)));
  }
  (*due)->reset();
  if (ids.empty()) return size_t{0};
  if (auto r = begin_batch_locked(); !r) return fail(r.error());
  for (const auto& [id, quiet] : ids) {
    if (auto r = resolve_locked(id, now, fmt::format("no repeat for {}", format_duration(quiet))); !r) {
      abort_batch_locked();  // the next tick finds these alerts due again
      count_error(r.error());
      return fail(r.error());
    }
    ++batch_quiet_;
  }
  if (auto r = flush_locked(); !r) return fail(r.error());
  return ids.size();
}

// --- acknowledgement ---------------------------------------------------------------------------

Result<AlertRecord> AlertStore::acknowledge(int64_t id, std::string_view by, std::string_view comment) {
  std::lock_guard lock(mutex_);
  if (auto r = flush_locked(); !r) return fail(r.error());
  auto t = sql::Transaction::begin(*db_);
  if (!t) return fail(t.error());
  auto s = db_->cached("SELECT state FROM alerts WHERE id = ?");
  if (!s) return fail(s.error());
  (*s)->bind(1, id);
  auto row = (*s)->step();
  if (!row) return fail(row.error());
  if (!*row) return fail("not_found", fmt::format("no alert {}", id));
  const std::string state((*s)->text(0));
  (*s)->reset();
  if (state == "resolved") return fail("conflict", fmt::format("alert {} is resolved: there is nothing to acknowledge", id));
  const Timestamp now = options_.clock();
  auto up = db_->cached(
      "UPDATE alerts SET state = 'acknowledged', acked_by = ?, acked_at = ?, ack_comment = ? WHERE id = ?");
  if (!up) return fail(up.error());
  (*up)->bind(1, by).bind(2, micros(now)).bind(3, comment).bind(4, id);
  if (auto r = (*up)->run(); !r) return fail(r.error());
  auto h = db_->cached("INSERT INTO history (alert_id, at, action, by, comment) VALUES (?, ?, 'acknowledged', ?, ?)");
  if (!h) return fail(h.error());
  (*h)->bind(1, id).bind(2, micros(now)).bind(3, by).bind(4, comment);
  if (auto r = (*h)->run(); !r) return fail(r.error());
  if (auto r = db_->cached("UPDATE alerts SET history_rows = history_rows + 1 WHERE id = ?"); r) {
    (*r)->bind(1, id);
    if (auto x = (*r)->run(); !x) return fail(x.error());
  }
  if (auto r = t->commit(); !r) {
    count_error(r.error());
    return fail(r.error());
  }
  std::vector<Notice> n{notice_of_row_locked(NoticeKind::Acknowledged, id)};
  auto sel = db_->cached(fmt::format("SELECT {} FROM alerts WHERE id = ?", kAlertColumns));
  if (!sel) return fail(sel.error());
  (*sel)->bind(1, id);
  auto got = (*sel)->step();
  if (!got) return fail(got.error());
  AlertRecord rec = read_record(**sel);
  (*sel)->reset();
  publish_locked(n);
  return rec;
}

// --- retention ---------------------------------------------------------------------------------

Result<size_t> AlertStore::prune(Timestamp now) {
  size_t total = 0;
  // In chunks, releasing the writer between them, so that a large prune never holds the ingest
  // thread for long.
  for (;;) {
    std::lock_guard lock(mutex_);
    auto n = prune_locked(now);
    if (!n) return fail(n.error());
    total += *n;
    if (*n == 0) break;
  }
  std::lock_guard lock(mutex_);
  if (auto r = drop_evidence_over_budget_locked(); !r) return fail(r.error());
  if (auto s = db_->cached("SELECT count(*) FROM alerts"); s) {
    if (auto row = (*s)->step(); row && *row) rows_gauge_.set(static_cast<double>((*s)->int64(0)));
    (*s)->reset();
  }
  return total;
}

Result<size_t> AlertStore::prune_locked(Timestamp now) {
  constexpr int64_t kChunk = 500;
  if (auto r = flush_locked(); !r) return fail(r.error());
  const int64_t cutoff = micros(now - std::chrono::hours(24) * options_.retention_days);
  std::vector<int64_t> by_age, by_rows;
  auto old = db_->cached("SELECT id FROM alerts WHERE state = 'resolved' AND resolved_at < ? ORDER BY id LIMIT ?");
  if (!old) return fail(old.error());
  (*old)->bind(1, cutoff).bind(2, kChunk);
  for (;;) {
    auto row = (*old)->step();
    if (!row) return fail(row.error());
    if (!*row) break;
    by_age.push_back((*old)->int64(0));
  }
  (*old)->reset();
  if (by_age.empty()) {
    auto count = db_->cached("SELECT count(*) FROM alerts");
    if (!count) return fail(count.error());
    int64_t rows = 0;
    if (auto row = (*count)->step(); row && *row) rows = (*count)->int64(0);
    (*count)->reset();
    if (rows > options_.retention_rows) {
      // Resolved alerts go first, oldest first; open ones only when resolved ones are not enough.
      auto s = db_->cached("SELECT id FROM alerts ORDER BY state <> 'resolved', id LIMIT ?");
      if (!s) return fail(s.error());
      (*s)->bind(1, std::min(kChunk, rows - options_.retention_rows));
      for (;;) {
        auto row = (*s)->step();
        if (!row) return fail(row.error());
        if (!*row) break;
        by_rows.push_back((*s)->int64(0));
      }
      (*s)->reset();
    }
  }
  if (by_age.empty() && by_rows.empty()) return size_t{0};
  auto t = sql::Transaction::begin(*db_);
  if (!t) return fail(t.error());
  auto bytes = db_->cached("SELECT total(bytes) FROM evidence WHERE alert_id = ?");
  auto del = db_->cached("DELETE FROM alerts WHERE id = ?");
  if (!bytes) return fail(bytes.error());
  if (!del) return fail(del.error());
  size_t freed = 0;
  for (const auto* ids : {&by_age, &by_rows}) {
    for (int64_t id : *ids) {
      (*bytes)->reset();
      (*bytes)->bind(1, id);
      if (auto row = (*bytes)->step(); row && *row) freed += static_cast<size_t>((*bytes)->int64(0));
      (*bytes)->reset();
      (*del)->reset();
      (*del)->bind(1, id);
      if (auto r = (*del)->run(); !r) return fail(r.error());
    }
  }
  if (auto r = t->commit(); !r) return fail(r.error());
  evidence_bytes_ -= std::min(evidence_bytes_, freed);
  pruned_age_.inc(static_cast<double>(by_age.size()));
  pruned_rows_.inc(static_cast<double>(by_rows.size()));
  return by_age.size() + by_rows.size();
}

// The store's evidence beyond max_evidence_bytes (after a restart with a smaller limit): the
// oldest alerts lose their evidence events first; their ids stay in the alert (soc.evidence).
Result<void> AlertStore::drop_evidence_over_budget_locked() {
  while (evidence_bytes_ > options_.max_evidence_bytes) {
    auto s = db_->cached("SELECT alert_id, total(bytes), count(*) FROM evidence GROUP BY alert_id ORDER BY alert_id LIMIT 1");
    if (!s) return fail(s.error());
    auto row = (*s)->step();
    if (!row) return fail(row.error());
    if (!*row) {
      (*s)->reset();
      evidence_bytes_ = 0;
      break;
    }
    const int64_t id = (*s)->int64(0), bytes = (*s)->int64(1), rows = (*s)->int64(2);
    (*s)->reset();
    auto t = sql::Transaction::begin(*db_);
    if (!t) return fail(t.error());
    if (auto r = db_->exec(fmt::format("DELETE FROM evidence WHERE alert_id = {}", id)); !r) return r;
    if (auto r = db_->exec(fmt::format("UPDATE alerts SET evidence_rows = 0 WHERE id = {}", id)); !r) return r;
    if (auto r = t->commit(); !r) return r;
    evidence_bytes_ -= std::min(evidence_bytes_, static_cast<size_t>(bytes));
    evidence_budget_.inc(static_cast<double>(rows));
  }
  evidence_bytes_gauge_.set(static_cast<double>(evidence_bytes_));
  return {};
}

void AlertStore::update_gauges() {
  auto counts = open_counts();
  if (!counts) return;
  for (auto& [key, gauge] : open_gauges_) {
    int64_t n = 0;
    if (auto s = counts->find(key.first); s != counts->end())
      if (auto v = s->second.find(key.second); v != s->second.end()) n = v->second;
    gauge.set(static_cast<double>(n));
  }
  std::lock_guard lock(mutex_);
  evidence_bytes_gauge_.set(static_cast<double>(evidence_bytes_));
}

}  // namespace soc::daemon::alerts
