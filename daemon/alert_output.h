// The correlator's one alert path. Rules (daemon/rules) and the baseline (daemon/inventory) hand
// their alerts here. Each alert is completed so that it explains itself (soc.severity, the site's
// name and the asset from the inventory), appended to --alerts-out (JSON lines, flushed per alert:
// an alert is rare and must not wait in a buffer), published on the live feed under the topic
// "alert" (`socctl tail --alerts`), counted in soc_alerts_total{rule,severity,site}, and recorded
// in the alert store (daemon/alerts/store.h), which folds repeats and hands what changed to the
// sinks (daemon/alerts/sink.h) once committed. Without a store (no --state-dir) each alert goes
// to the dispatcher as a notice of its own (id 0).
//
// Thread-safe: emit(), resolve(), reconcile() and commit() may be called from any thread (the
// ingest thread for rules, the housekeeping thread for the baseline; docs/adr/0018 "Threads").
// The live feed is a ZeroMQ socket that only its owner thread (the one that constructed the
// output: the ingest thread) may use: alerts emitted elsewhere wait in a bounded queue
// (soc_queue_depth{queue="alert_feed"}) until the owner calls pump(). The durability contract
// (ADR 0018, docs/adr/0029-delivery.md): Ingest calls commit() before it acknowledges a batch;
// the main loop calls it after timers and evaluations that may have raised alerts.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/event.h"
#include "core/result.h"
#include "core/transport/publisher.h"
#include "daemon/alerts/catalog.h"
#include "daemon/alerts/sink.h"
#include "daemon/event_log.h"
#include "daemon/inventory/enrich.h"
#include "daemon/rules/engine.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon {

namespace alerts {
class AlertStore;
}

class AlertOutput {
 public:
  // `file` and `feed` may be null.
  AlertOutput(telemetry::Registry& metrics, EventLog* file, transport::Publisher* feed);
  ~AlertOutput();

  // Where alerts are kept and delivered; each may be null. Set before the first emit(), in either
  // order: with a store, the store publishes the notices (after each commit), so the dispatcher
  // is handed to it.
  void set_store(alerts::AlertStore* store);
  // True when alerts go to a store: only the store reads an alert's evidence events and the
  // repeats a rule's suppression holds back (the rules stage asks the engine for them then).
  bool has_store() const { return store_ != nullptr; }
  void set_dispatcher(alerts::Dispatcher* dispatcher);
  // The quiet period after which an alert of a plain rule without `suppress` resolves
  // (--alert-resolve-after; docs/adr/0021-alert-lifecycle.md).
  void set_default_quiet(std::chrono::microseconds quiet) { default_quiet_ = quiet; }
  std::chrono::microseconds default_quiet() const { return default_quiet_; }

  // The rules that can raise alerts, per source ("rule": the rules stage, on load and reload;
  // "baseline": the baseline monitor): how alerts fold and resolve, names for the API, and
  // soc_rule_info{rule,name,severity}. Replaces what `source` said before.
  void set_rules(const std::string& source, std::vector<alerts::RuleInfo> rules);
  // Every rule of every source, for the API (an immutable snapshot).
  std::shared_ptr<const alerts::RuleCatalog> catalog() const;
  // Site names and assets for alerts (the inventory's enrichment); null: none.
  void set_enricher(std::shared_ptr<const inventory::Enricher> enricher);

  // The alert must carry event.kind "alert" and rule.id; event.severity and site.id label the
  // counter when present. `details`: what the rule engine handed with it (evidence events; a
  // suppressed repeat, which only the store sees, as a repeat of the open alert).
  void emit(const Event& alert);
  void emit(const Event& alert, const rules::AlertDetails& details);
  // The condition behind the unresolved alert of `clear`'s rule.id and group fields cleared (a
  // baseline finding recovered): the store resolves it, `why` in its history.
  void resolve(const Event& clear, std::string_view why);
  // Resolves the unresolved alerts of `source` other than those of `active` (alert events or
  // clears: rule.id and group fields). The baseline's first evaluation after a start.
  void reconcile(const std::string& source, const std::vector<Event>& active, std::string_view why);
  // Makes every alert emitted so far durable: --alerts-out written (what a failed write left is
  // written again; soc_write_errors_total{output="alerts_out"}), then the alert store's batch
  // committed, after which the sinks get their notices. An error: the caller must not acknowledge
  // the batch; what failed is kept and written by the next commit() (AlertStore::commit; counted
  // in soc_write_errors_total{output="alert_store"}).
  Result<void> commit();

  // The owner thread: publishes the alerts other threads emitted. Cheap when there are none.
  void pump();

  uint64_t emitted() const;

  static constexpr size_t kMaxQueuedForFeed = 1024;

 private:
  telemetry::Counter& counter(std::string_view rule, int64_t severity, std::string_view site);
  void complete(Event& alert) const;
  bool needs_completion(const Event& alert) const;
  alerts::RuleInfo rule_for(const Event& alert) const;
  void rebuild_catalog();
  bool write_file(std::string_view line);

  telemetry::Registry& metrics_;
  EventLog* file_;
  transport::Publisher* feed_;
  alerts::AlertStore* store_ = nullptr;
  alerts::Dispatcher* dispatcher_ = nullptr;
  std::chrono::microseconds default_quiet_ = std::chrono::minutes(5);

  const std::thread::id owner_ = std::this_thread::get_id();
  mutable std::mutex mutex_;  // everything below
  // soc_alerts_total's series by (rule, severity, site), found by views of the three (a tuple of
  // strings and one of views do not compare with each other in libc++ or clang's view of
  // libstdc++, so both are compared as views).
  using SeriesKey = std::tuple<std::string, int64_t, std::string>;
  using SeriesView = std::tuple<std::string_view, int64_t, std::string_view>;
  struct SeriesLess {
    using is_transparent = void;
    static SeriesView view(const SeriesKey& k) { return {std::get<0>(k), std::get<1>(k), std::get<2>(k)}; }
    static const SeriesView& view(const SeriesView& v) { return v; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return view(a) < view(b);
    }
  };
  std::map<SeriesKey, telemetry::Counter, SeriesLess> counters_;
  std::map<std::string, std::vector<alerts::RuleInfo>> rule_sources_;
  std::shared_ptr<const alerts::RuleCatalog> catalog_ = std::make_shared<const alerts::RuleCatalog>();
  std::map<std::tuple<std::string, std::string, std::string>, telemetry::Gauge> rule_info_;
  std::shared_ptr<const inventory::Enricher> enricher_;
  std::string line_;
  uint64_t emitted_ = 0;
  std::deque<std::string> for_feed_;  // encoded alerts emitted off the owner thread
  telemetry::Gauge feed_depth_;
  telemetry::Counter feed_dropped_, write_errors_;
  std::atomic<bool> queued_{false};
};

}  // namespace soc::daemon
