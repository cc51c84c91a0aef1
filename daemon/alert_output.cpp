#include "daemon/alert_output.h"

#include <fmt/core.h>

#include <optional>
#include <set>

#include "core/json_codec.h"
#include "core/log.h"
#include "core/severity.h"
#include "daemon/alerts/store.h"

namespace soc::daemon {

AlertOutput::AlertOutput(telemetry::Registry& metrics, EventLog* file, transport::Publisher* feed)
    : metrics_(metrics), file_(file), feed_(feed) {
  const telemetry::Labels queue{{"queue", "alert_feed"}};
  feed_depth_ = metrics.gauge("soc_queue_depth", "Items waiting in one of the correlator's bounded queues.", queue);
  metrics.gauge("soc_queue_limit", "The bound of one of the correlator's queues (items).", queue)
      .set(static_cast<double>(kMaxQueuedForFeed));
  feed_dropped_ = metrics.counter("soc_queue_dropped_total",
                                  "Items dropped because one of the correlator's bounded queues was full.", queue);
  write_errors_ = metrics.counter("soc_write_errors_total",
                                  "Writes of an output that failed (disk full, I/O error); the data is kept and written "
                                  "again, and what it belongs to is not acknowledged meanwhile.",
                                  {{"output", "alerts_out"}});
}

AlertOutput::~AlertOutput() = default;

void AlertOutput::set_store(alerts::AlertStore* store) {
  store_ = store;
  if (store_ && dispatcher_) store_->set_dispatcher(dispatcher_);
}

void AlertOutput::set_dispatcher(alerts::Dispatcher* dispatcher) {
  dispatcher_ = dispatcher;
  if (store_) store_->set_dispatcher(dispatcher_);
}

telemetry::Counter& AlertOutput::counter(std::string_view rule, int64_t severity, std::string_view site) {
  // Looked up by views: the key's strings are made only for a new series (this runs per alert).
  auto it = counters_.find(SeriesView(rule, severity, site));
  if (it == counters_.end()) {
    SeriesKey key(std::string(rule), severity, std::string(site));
    it = counters_
             .emplace(key, metrics_.counter("soc_alerts_total", "Alerts raised by the correlator (rules and baseline).",
                                            {{"rule", std::string(rule)},
                                             {"severity", std::string(severity_word(severity))},
                                             {"site", std::string(site)}}))
             .first;
  }
  return it->second;
}

uint64_t AlertOutput::emitted() const {
  std::lock_guard lock(mutex_);
  return emitted_;
}

void AlertOutput::set_rules(const std::string& source, std::vector<alerts::RuleInfo> rules) {
  std::lock_guard lock(mutex_);
  rule_sources_[source] = std::move(rules);
  rebuild_catalog();
}

void AlertOutput::rebuild_catalog() {
  std::vector<alerts::RuleInfo> all;
  for (const auto& [source, rules] : rule_sources_)
    for (const auto& r : rules) {
      all.push_back(r);
      all.back().source = source;
    }
  catalog_ = std::make_shared<const alerts::RuleCatalog>(std::move(all));
  // soc_rule_info: one series per rule, 1; series of rules gone (or renamed) are removed.
  std::map<std::tuple<std::string, std::string, std::string>, telemetry::Gauge> next;
  for (const auto& r : catalog_->rules()) {
    auto key = std::make_tuple(r.id, r.name, std::string(severity_word(r.severity)));
    if (next.count(key)) continue;
    auto it = rule_info_.find(key);
    if (it != rule_info_.end()) {
      next.emplace(key, it->second);
      rule_info_.erase(it);
    } else {
      auto g = metrics_.gauge("soc_rule_info", "The rules that can raise alerts: their name and severity, always 1.",
                              {{"name", std::get<1>(key)}, {"rule", std::get<0>(key)}, {"severity", std::get<2>(key)}});
      g.set(1);
      next.emplace(key, g);
    }
  }
  for (auto& [key, g] : rule_info_) metrics_.remove("soc_rule_info", g);
  rule_info_ = std::move(next);
}

std::shared_ptr<const alerts::RuleCatalog> AlertOutput::catalog() const {
  std::lock_guard lock(mutex_);
  return catalog_;
}

void AlertOutput::set_enricher(std::shared_ptr<const inventory::Enricher> enricher) {
  std::lock_guard lock(mutex_);
  enricher_ = std::move(enricher);
}

// What an alert needs to explain itself that its raiser may not have added: the severity word
// and, from the inventory, the site's name and the asset concerned.
void AlertOutput::complete(Event& alert) const {
  if (!alert.contains("soc.severity"))
    if (const auto sev = alert.get_int("event.severity")) alert.set("soc.severity", severity_word(*sev));
  if (enricher_ && !alert.get_string("site.id").empty()) enricher_->apply(alert);
}

// The rules engine names every alert's severity; only an inventory has something to add.
bool AlertOutput::needs_completion(const Event& alert) const {
  return !alert.contains("soc.severity") || (enricher_ && !alert.get_string("site.id").empty());
}

alerts::RuleInfo AlertOutput::rule_for(const Event& alert) const {
  const std::string_view id = alert.get_string("rule.id");
  if (const alerts::RuleInfo* r = catalog_->find(id)) return *r;
  // A rule the catalog does not know (raised by a test, or a rule set being swapped): folded by
  // its key fields, resolved after the default quiet period.
  alerts::RuleInfo r;
  r.id = std::string(id);
  r.name = std::string(alert.get_string("rule.name"));
  r.severity = static_cast<int>(alert.get_int("event.severity").value_or(3));
  if (alert.get_string("event.dataset") == "soc.baseline") {
    r.source = "baseline";
    r.group_fields = alerts::kBaselineGroup;
  } else {
    r.group_fields = alerts::kPlainRuleGroup;
    r.quiet = default_quiet_;
  }
  return r;
}

void AlertOutput::emit(const Event& alert) { emit(alert, rules::AlertDetails{}); }

void AlertOutput::emit(const Event& alert, const rules::AlertDetails& details) {
  std::lock_guard lock(mutex_);
  // Copied only when something is to be added: a copy is a score of fields, most of them heap
  // strings, for each of thousands of alerts a second under a flood.
  std::optional<Event> completed;
  if (needs_completion(alert)) {
    completed.emplace(alert);
    complete(*completed);
  }
  const Event& a = completed ? *completed : alert;
  if (details.suppressed) {
    // Held back by the rule's suppression: not an alert of its own, a repeat of the open one.
    if (store_)
      if (auto r = store_->record(a, rule_for(a), {}, true); !r)
        log::error("alerts", "alert store: {}", r.error().message);
    return;
  }
  ++emitted_;
  const Value* sev = a.find("event.severity");
  counter(a.get_string("rule.id"), sev && sev->is_int() ? sev->as_int() : 0, a.get_string("site.id")).inc();
  const bool on_owner = std::this_thread::get_id() == owner_;
  const bool to_file = file_ && file_->is_open();
  // Off the owner thread, wanted() must not be asked (the owner updates the subscriptions).
  const bool to_feed = feed_ && (!on_owner || feed_->wanted("alert"));
  if (to_file || to_feed) {
    line_.clear();
    encode_event(a, line_);
    if (to_file) write_file(line_);
    if (to_feed) {
      if (on_owner) {
        feed_->publish("alert", line_);
      } else if (for_feed_.size() >= kMaxQueuedForFeed) {
        feed_dropped_.inc();
      } else {
        for_feed_.push_back(line_);
        feed_depth_.set(static_cast<double>(for_feed_.size()));
        queued_.store(true, std::memory_order_release);
      }
    }
  }
  if (store_) {
    if (auto r = store_->record(a, rule_for(a), details.evidence); !r)
      log::error("alerts", "alert store: {}", r.error().message);
  } else if (dispatcher_) {
    alerts::Notice n;
    n.kind = alerts::NoticeKind::Firing;
    n.first_seen = n.last_seen = a.timestamp().value_or(now());
    if (completed) {
      n.alert = std::move(*completed);  // `a` is not used after this
    } else {
      n.alert = alert;
    }
    dispatcher_->publish(std::move(n));
  }
}

void AlertOutput::resolve(const Event& clear, std::string_view why) {
  std::lock_guard lock(mutex_);
  if (!store_) return;
  const alerts::RuleInfo rule = rule_for(clear);
  if (auto r = store_->resolve(rule.id, alerts::group_key(clear, rule.group_fields), why); !r)
    log::error("alerts", "alert store: {}", r.error().message);
}

void AlertOutput::reconcile(const std::string& source, const std::vector<Event>& active, std::string_view why) {
  std::lock_guard lock(mutex_);
  if (!store_) return;
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto& e : active) {
    const alerts::RuleInfo rule = rule_for(e);
    keys.emplace(rule.id, alerts::group_key(e, rule.group_fields));
  }
  auto r = store_->reconcile(source, keys, why);
  if (!r) log::error("alerts", "alert store: {}", r.error().message);
  else if (*r > 0) log::info("alerts", "{} {} alerts resolved: {}", *r, source, why);
}

// --alerts-out is flushed per alert; a flush that failed left the line in the file's buffer
// (EventLog), written again by the next flush: commit() or the next alert.
bool AlertOutput::write_file(std::string_view line) {
  if (!file_->write(line) || !file_->flush()) {
    write_errors_.inc();
    return false;
  }
  return true;
}

Result<void> AlertOutput::commit() {
  {
    std::lock_guard lock(mutex_);
    if (file_ && file_->is_open() && file_->pending_bytes() > 0 && !file_->flush()) {
      write_errors_.inc();
      return fail("write", fmt::format("cannot write {}: {}", file_->path(), file_->last_error()));
    }
  }
  Result<void> r;
  if (store_) r = store_->commit();
  // The batch's notices (published by the store's commit, or by emit() without a store) go to the
  // sinks now, not at their worker's next look (issue 17: nothing on the alert path waits for a
  // tick). One call per batch: no futex call per alert.
  if (dispatcher_) dispatcher_->wake();
  return r;
}

void AlertOutput::pump() {
  if (!queued_.load(std::memory_order_acquire)) return;
  std::deque<std::string> lines;
  {
    std::lock_guard lock(mutex_);
    lines.swap(for_feed_);
    queued_.store(false, std::memory_order_relaxed);
    feed_depth_.set(0);
  }
  if (!feed_->wanted("alert")) return;
  for (const auto& l : lines) feed_->publish("alert", l);
}

}  // namespace soc::daemon
