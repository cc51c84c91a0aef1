// The alert store: every alert the correlator raised, with its lifecycle, history and evidence,
// in the state directory's alerts.db (SQLite, WAL; docs/adr/0020-alert-store.md for the schema,
// docs/adr/0021-alert-lifecycle.md for folding, acknowledgement and resolution).
//
//   open -> acknowledged (by, at, comment; again: more history) -> resolved
//
// Repeats of one rule and group (RuleInfo::group_fields) fold into the alert that is not
// resolved yet: its count, last_seen and key fields grow. A rule's alert resolves when no repeat
// came for its quiet period (RuleInfo::quiet, wall clock), a baseline alert when its finding is
// reported clear (resolve()). Bounded: resolved alerts older than retention_days are pruned, and
// the oldest alerts beyond retention_rows; evidence per alert and in total.
//
// Cost under a flood (issue 17, bench/README.md): per new alert one look-up, the alert's insert
// and its "opened" history, its evidence rows, and at commit one UPDATE that also sets its
// evidence and history row counts; the statements are prepared once; the writer keeps a 64 MiB
// page cache. SQLite checkpoints the WAL in the commit that crosses 1,000 pages, as before (a
// checkpointer thread of its own was tried and did not pay, ADR 0020). A checkpoint copies what
// is committed already: it changes nothing an ack promises; the WAL is reused only after a
// complete one, so a full disk fails the next batch's writes to it (ADR 0029).
//
// Threads (ADR 0018): one writer connection behind a mutex, used by
//   - the store's own thread (start()), the writer: it takes what record() and resolve() handed
//     over (a bounded queue, StoreOptions::writer_queue), applies it in order (the look-up, the
//     insert of a new alert for its id, the history) and commits it, one transaction per
//     hand-off it found; and, every tick, resolution of quiet alerts, retention, the gauges;
//   - the ingest thread: record() and resolve() only queue (no SQLite); commit() applies and
//     commits what the writer has not taken yet, itself, before the batch is acknowledged, so
//     that an acknowledged batch's alerts are committed (ADR 0018, "what an ack promises");
//   - HTTP workers: acknowledge().
// Every writer (commit, acknowledge, reconcile, the tick) first applies what is queued: a write
// from another thread commits what was recorded before it (earlier durability, never less). A
// full queue is back-pressure: record() then applies the queue itself, on the caller's thread
// (counted in soc_queue_full_total{queue="alert_store_writer"}); nothing is dropped. Queued
// records that no commit() reached when the store is destroyed are not committed, as an open
// batch is rolled back: their batch was never acknowledged, its sender sends it again.
//
// A batch that fails (disk full, I/O error; counted in soc_write_errors_total{output=
// "alert_store"}) is rolled back, and what it recorded is kept in memory and applied again,
// first, by the next batch, whichever thread begins it: nothing recorded is lost while the
// correlator runs, and commit() succeeds only once it is all committed (docs/adr/0029-delivery.md).
// The alert path acknowledges nothing meanwhile. Bounded (kMaxRetained, then the oldest go,
// soc_queue_dropped_total{queue="alert_store"}). Reads (list, get, counts) use their own read-only connections and
// run beside the writer. Notices of what changed go to the Dispatcher after each commit, in the
// order of the changes (Dispatcher::publish never blocks); those of the writer thread's own
// commits are held, one per alert (the latest), until the next commit() or other write.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/event.h"
#include "core/result.h"
#include "daemon/alerts/catalog.h"
#include "daemon/alerts/sink.h"
#include "daemon/alerts/sqlite.h"
#include "daemon/rules/engine.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon::alerts {

enum class AlertState { Open, Acknowledged, Resolved };
std::string_view to_string(AlertState s);
std::optional<AlertState> parse_alert_state(std::string_view s);

struct StoreOptions {
  int64_t retention_days = 90;       // resolved alerts older than this are pruned
  int64_t retention_rows = 100'000;  // beyond, the oldest alerts (resolved first) are pruned
  size_t max_evidence_per_alert = 32;        // evidence events kept per alert (the first ones)
  size_t max_evidence_bytes = 256u << 20;    // evidence events kept by the whole store
  size_t max_history_per_alert = 200;        // beyond, "repeated" entries merge into the newest
  std::chrono::milliseconds tick{1'000};     // the store thread: resolution and gauges
  std::chrono::milliseconds prune_every{60'000};
  // synchronous=FULL: a commit survives a power loss (an fsync per batch that raised alerts);
  // NORMAL (default): it survives a crash of the correlator (ADR 0018, "what an ack promises").
  bool synchronous_full = false;
  // record()/resolve() calls queued for the writer thread; beyond, the caller applies them.
  size_t writer_queue = 4096;
  std::function<Timestamp()> clock = [] { return soc::now(); };
};

struct Acknowledgement {
  std::string by;
  Timestamp at{};
  std::string comment;
};

// One alert as the API shows it.
struct AlertRecord {
  int64_t id = 0;
  std::string rule_id, rule_name, source;
  int severity = 3;
  AlertState state = AlertState::Open;
  std::string site_id, site_name;  // empty when the alert names no site
  std::string summary;
  std::string group_json, fields_json;  // JSON objects
  int64_t count = 0;
  Timestamp first_seen{}, last_seen{};
  std::optional<Acknowledgement> acknowledged;  // the latest acknowledgement
  std::optional<Timestamp> resolved_at;
  std::string alert_json;  // the latest occurrence's alert event
};

struct HistoryEntry {
  Timestamp at{};
  std::string action;  // opened, repeated, acknowledged, resolved
  std::optional<std::string> by, comment;
  int64_t count = 1;   // occurrences a "repeated" entry stands for
};

struct AlertDetail {
  AlertRecord alert;
  std::vector<std::string> evidence;  // the events, as JSON objects, oldest first
  std::vector<HistoryEntry> history;  // oldest first
};

struct AlertFilter {
  std::vector<AlertState> states;  // empty: any
  std::vector<int> severities;     // empty: any
  std::optional<std::string> site, rule, source_ip;
  std::optional<Timestamp> since, until;  // on last_seen, both included
  size_t limit = 100;
  // Paging: the page after the alert with this (last_seen, id); newest first.
  std::optional<std::pair<Timestamp, int64_t>> after;
};

// Alerts not resolved, per state (open, acknowledged) and severity word.
using OpenCounts = std::map<std::string, std::map<std::string, int64_t>>;

// Alerts not resolved (open or acknowledged), per site id and severity word; sites without any
// are absent, alerts that name no site are not counted.
using SiteCounts = std::map<std::string, std::map<std::string, int64_t>>;

struct AlertPage {
  std::vector<AlertRecord> alerts;
  std::optional<std::pair<Timestamp, int64_t>> next;  // set when more alerts follow
  OpenCounts counts;  // with the filter's site, severity, rule, source_ip, since, until; any state
};

class AlertStore {
 public:
  // Opens or creates `path` (WAL). A database of a newer schema is refused (code "config").
  static Result<std::unique_ptr<AlertStore>> open(const std::string& path, telemetry::Registry& metrics,
                                                  StoreOptions options = {});
  ~AlertStore();  // stops the thread; an uncommitted batch is rolled back
  AlertStore(const AlertStore&) = delete;
  AlertStore& operator=(const AlertStore&) = delete;

  // Where notices go (may be null: none). Set before start() and before the first record().
  void set_dispatcher(Dispatcher* dispatcher) { dispatcher_ = dispatcher; }
  // Starts the store's thread: the writer of what record() and resolve() queue, and resolution,
  // retention, gauges every `tick`. Without it, records wait in the queue for commit().
  void start();

  // --- the alert path (ingest thread) --------------------------------------------------------
  // One occurrence of an alert, completed by AlertOutput: folds into the rule's unresolved alert
  // of the same group, or opens one. `repeat_only` (a repeat suppression held back): folds, never
  // opens. Queued for the writer thread (or applied here when the queue is full); committed by
  // the writer or, at the latest, by the next commit(). Errors show at commit().
  // `rule` by value: the caller's temporary (AlertOutput::rule_for) moves into the queue.
  Result<void> record(const Event& alert, RuleInfo rule, std::span<const rules::EvidenceEvent> evidence,
                      bool repeat_only = false);
  // The condition of the unresolved alert of (rule, group) cleared (a baseline finding
  // recovered): resolves it. `why` goes into its history. No alert: nothing happens.
  Result<void> resolve(std::string_view rule_id, std::string_view group_key, std::string_view why);
  // Resolves the unresolved alerts of `source` whose (rule id, group key) is not in `active`
  // (the baseline after a restart: findings that cleared while the correlator was away).
  Result<size_t> reconcile(std::string_view source, const std::set<std::pair<std::string, std::string>>& active,
                           std::string_view why);
  // Commits every record/resolve made before it (what the writer thread has not committed yet,
  // and what failed batches left to apply again) and publishes its notices; waits for a commit of
  // the writer thread in progress. An error: what failed is not committed, it is kept for the
  // next commit; the caller must not acknowledge what raised it.
  Result<void> commit();
  // What failed batches left, waiting to be applied again (0 when every record is committed or
  // in the open batch).
  size_t retained() const;

  static constexpr size_t kMaxRetained = 65536;

  // Publishes every unresolved alert again, as a restated notice (Notice::restated; kind
  // Acknowledged when acknowledged, else Firing), least recently seen first: the correlator calls
  // it once at start, so that sinks that keep state (Alertmanager's re-sends) take in the alerts
  // still open across its restart. Returns how many. Any thread (a read connection).
  Result<size_t> restate() const;

  // --- the API (any thread) ------------------------------------------------------------------
  // Errors: "not_found" (no such id), "conflict" (the alert is resolved), "sqlite".
  Result<AlertRecord> acknowledge(int64_t id, std::string_view by, std::string_view comment);
  Result<AlertPage> list(const AlertFilter& filter) const;
  // nullopt: no such alert.
  Result<std::optional<AlertDetail>> get(int64_t id) const;
  Result<OpenCounts> open_counts() const;
  Result<SiteCounts> open_counts_by_site() const;

  // --- housekeeping (the store's thread; public for tests) -----------------------------------
  // Resolves the alerts whose quiet period ended by `now`. Returns how many.
  Result<size_t> resolve_due(Timestamp now);
  // Applies retention; returns the alerts pruned.
  Result<size_t> prune(Timestamp now);
  // soc_alerts_open{severity,state} from the database.
  void update_gauges();

  const std::string& path() const { return path_; }

 private:
  struct Pending;  // an alert touched by the open batch
  struct Op;       // a record() or resolve() call, kept until its batch commits
  class ReadPool;

  AlertStore(std::string path, std::unique_ptr<sql::Database> db, telemetry::Registry& metrics, StoreOptions options);
  // Applies what record() and resolve() queued, in order (to the open batch).
  void drain_queue_locked();
  // The writer thread: applies the queue and commits it.
  void write_queued();
  // Begins a batch and applies what failed batches left first.
  Result<void> begin_batch_locked();
  // Writes the pending changes and commits the open batch; publishes the notices (with those
  // held before) unless `hold` (the writer thread: they wait for the next commit()).
  Result<void> flush_locked(bool hold = false);
  void hold_locked(std::vector<Notice>& notices);
  void publish_held_locked();
  Result<void> submit_locked(Op op);
  Result<void> hand_over(Op op);  // queues for the writer; applies when the queue is full
  Result<void> apply_locked(const Op& op);
  Result<void> record_locked(const Event& alert, const RuleInfo& rule, std::span<const rules::EvidenceEvent> evidence,
                             bool repeat_only);
  Result<void> resolve_key_locked(std::string_view rule_id, std::string_view group_key, std::string_view why);
  // Rolls the open batch back; what it recorded waits in retained_ to be applied again.
  void abort_batch_locked();
  void retain_locked(Op op);
  Result<Pending*> pending_for_locked(const Event& alert, const RuleInfo& rule, const std::string& key,
                                      bool repeat_only);
  Result<void> write_pending_locked(Pending& p);
  Result<void> resolve_locked(int64_t id, Timestamp now, std::string_view why);
  Result<size_t> prune_locked(Timestamp now);
  Result<void> drop_evidence_over_budget_locked();
  Notice notice_of_row_locked(NoticeKind kind, int64_t id);
  void publish_locked(std::vector<Notice>& notices);
  void count_error(const Error& e);
  void run();

  std::string path_;
  StoreOptions options_;
  telemetry::Registry& metrics_;
  Dispatcher* dispatcher_ = nullptr;

  mutable std::mutex mutex_;  // the writer connection and everything below until the thread
  std::unique_ptr<sql::Database> db_;
  bool in_batch_ = false;
  std::unordered_map<std::string, std::unique_ptr<Pending>> pending_;  // by rule id + group key
  std::vector<Pending*> pending_order_;
  std::vector<Notice> batch_notices_;  // resolutions of the batch, in order
  std::vector<Notice> held_;  // committed by the writer thread, published by the next commit()
  std::unordered_map<int64_t, size_t> held_at_;  // alert id -> its occurrence notice in held_
  std::vector<Op> batch_ops_;  // what the open batch applied, in order
  std::vector<Op> retained_;   // what failed batches applied, to apply again, oldest first
  size_t evidence_bytes_ = 0;

  std::unique_ptr<ReadPool> readers_;

  telemetry::Counter pruned_age_, pruned_rows_, evidence_per_alert_, evidence_budget_, write_errors_;
  telemetry::Counter resolved_quiet_, resolved_cleared_;
  // Resolutions of the open batch, counted once it commits: a batch that fails is applied again
  // later, and its resolutions must not be counted twice.
  size_t batch_quiet_ = 0, batch_cleared_ = 0;
  std::map<std::pair<std::string, std::string>, telemetry::Gauge> open_gauges_;  // (state, severity)
  telemetry::Gauge evidence_bytes_gauge_, rows_gauge_, retained_gauge_;
  telemetry::Counter retained_dropped_;

  std::thread thread_;
  std::mutex thread_mutex_;  // stop_ and the queue below; taken after mutex_, never before
  std::condition_variable wake_;
  bool stop_ = false;
  std::vector<Op> queue_;    // record()/resolve() calls for the writer, oldest first
  std::vector<Op> draining_;  // the queue taken by drain_queue_locked() (its storage kept)
  telemetry::Gauge queue_gauge_;
  telemetry::Counter queue_full_;
  telemetry::Counter commit_wait_, commit_work_, writer_busy_, sqlite_commit_;  // soc_alert_store_seconds_total
};

}  // namespace soc::daemon::alerts
