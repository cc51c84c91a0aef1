#include "daemon/rules_stage.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/log.h"
#include "core/state_codec.h"
#include "soc_build_config.h"

namespace soc::daemon {

namespace fs = std::filesystem;

namespace {

bool is_rule_file(const fs::path& p) { return p.extension() == ".yml" || p.extension() == ".yaml"; }

void stat_into(const std::string& path, std::string& out) {
  struct stat st {};
  out += path;
  if (::stat(path.c_str(), &st) == 0) {
    out += fmt::format("\x1f{}\x1f{}.{}\x1f{}\n", static_cast<long long>(st.st_size), static_cast<long long>(st.st_mtim.tv_sec),
                       static_cast<long long>(st.st_mtim.tv_nsec), static_cast<unsigned long long>(st.st_ino));
  } else {
    out += "\x1fmissing\n";
  }
}

// Prometheus buckets for per-event evaluation time: 100 ns to 10 ms.
const std::vector<double> kEvalBuckets = {1e-7, 2.5e-7, 5e-7, 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 1e-3, 1e-2};

}  // namespace

RulesStage::RulesStage(telemetry::Registry& metrics, AlertOutput& alerts, RulesStageOptions options)
    : metrics_(metrics), alerts_(alerts), options_(std::move(options)) {
  // The shipped mappings, as `socctl replay` loads them; none found fails load().
  if (options_.mappings.empty()) options_.mappings = rules::shipped_mapping_files(missing_mappings_);
  if (options_.eval_sample == 0) options_.eval_sample = 1;
  // The alert store keeps the events an alert cites and counts held-back repeats (ADR 0021).
  // Without a store (no --state-dir) nothing reads either: the engine then neither encodes the
  // events (a seventh of the ingest thread under a brute-force flood) nor builds the alerts its
  // suppression holds back.
  options_.engine.keep_evidence = alerts_.has_store();
  options_.engine.report_suppressed = alerts_.has_store();
  loaded_ = metrics_.gauge("soc_rules_loaded", "Rules running in the correlator (plain rules and correlations).", {});
  failed_ = metrics_.gauge("soc_rules_failed", "Rules refused by the most recent load or reload attempt.", {});
  reload_success_ = metrics_.counter("soc_rules_reload_total", "Rule reloads (SIGHUP or a change in the rule folders).",
                                     {{"result", "success"}});
  reload_failure_ = metrics_.counter("soc_rules_reload_total", "Rule reloads (SIGHUP or a change in the rule folders).",
                                     {{"result", "failure"}});
  state_bytes_ = metrics_.gauge("soc_rule_state_bytes",
                                "Estimated memory held by the open groups of every correlation (what --max-rule-state "
                                "bounds in bytes).",
                                {});
  const auto& eo = options_.engine;
  metrics_.gauge("soc_rule_state_limit", "The bound on all correlation state (--max-rule-state); 0: none.",
                 {{"unit", "bytes"}})
      .set(static_cast<double>(eo.max_state_bytes));
  metrics_.gauge("soc_rule_state_limit", "The bound on all correlation state (--max-rule-state); 0: none.",
                 {{"unit", "groups"}})
      .set(static_cast<double>(eo.max_state_groups));
  // Like Prometheus's own prometheus_config_last_reload_successful: what an alert can wait on
  // (dashboards/prometheus), cleared by the next good reload.
  last_reload_ok_ = metrics_.gauge("soc_rules_last_reload_successful",
                                   "1 when the last load or reload of the rules succeeded, 0 when the rules running are "
                                   "older than a failed reload.",
                                   {});
  last_reload_ok_.set(1);
  eval_seconds_ = metrics_.histogram("soc_rule_eval_seconds",
                                     fmt::format("Time to evaluate one event against every rule (one event in {} is timed).",
                                                 options_.eval_sample),
                                     {}, kEvalBuckets);
}

RulesStage::~RulesStage() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (loader_.joinable()) loader_.join();
}

void RulesStage::request_reload() {
  {
    std::lock_guard lock(mutex_);
    reload_requested_ = true;
  }
  wake_.notify_all();
}

bool RulesStage::loading() const {
  std::lock_guard lock(mutex_);
  return loading_ || ready_.has_value();
}

// The loader thread: every poll period it lists the folders; a listing that differs from the
// running set's (and from the last refused one) and has been stable for one period, or a request
// (SIGHUP), makes it load a whole new set and build its evaluation plan, which it leaves in
// ready_ for tick(). It starts no new load while one waits to be applied, so every decision sees
// the fingerprints tick() recorded.
void RulesStage::loader_main() {
  std::string last_poll;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, options_.poll, [this] { return stopping_ || (reload_requested_ && !ready_); });
    if (stopping_) break;
    if (ready_) continue;  // tick() has not taken the last one yet
    const bool requested = reload_requested_;
    const std::string accepted = accepted_fingerprint_, failed = failed_fingerprint_;
    lock.unlock();
    std::string fp = fingerprint();
    const bool changed = fp != accepted && fp != failed && fp == last_poll;
    last_poll = std::move(fp);
    std::optional<Loaded> loaded;
    if (requested || changed) {
      {
        std::lock_guard busy(mutex_);
        loading_ = true;
        if (requested) reload_requested_ = false;
      }
      loaded = prepare(load_set());
    }
    lock.lock();
    loading_ = false;
    if (loaded) {
      ready_ = std::move(loaded);
      ready_why_ = requested ? "SIGHUP" : "a change in the rule folders";
    }
  }
}

// Builds the evaluation plan (automata over every string test of the set): with thousands of
// rules it takes seconds, and the swap on the ingest thread must not.
RulesStage::Loaded RulesStage::prepare(Loaded l) {
  const auto start = Clock::now();
  l.prepared = rules::Engine::prepare(std::make_shared<const rules::RuleSet>(std::move(l.set)));
  l.seconds += std::chrono::duration<double>(Clock::now() - start).count();
  return l;
}

// What the folders hold now: every rule and mapping file with its size, mtime and inode.
std::string RulesStage::fingerprint() const {
  std::vector<std::string> files;
  std::string out;
  for (const auto& p : options_.paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec)) {
        if (is_rule_file(it->path())) files.push_back(it->path().string());
      }
      if (ec) out += p + "\x1f" + ec.message() + "\n";
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) stat_into(f, out);
  for (const auto& m : options_.mappings) stat_into(m, out);
  return out;
}

RulesStage::Loaded RulesStage::load_set() const {
  Loaded l;
  // Before reading: a change made while the files are read shows at the next poll.
  l.fingerprint = fingerprint();
  rules::FieldMapping mapping;
  for (const auto& f : options_.mappings) rules::merge_mapping(mapping, rules::load_mapping(f, l.mapping_diags));
  const auto start = Clock::now();
  rules::Loader loader(std::move(mapping));
  for (const auto& p : options_.paths) loader.load_path(p);
  l.set = loader.finish();
  l.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return l;
}

std::string RulesStage::label(const rules::Rule& r) const {
  // As the alert's rule.id (and so soc_alerts_total{rule}) names it.
  if (!r.id.empty()) return r.id;
  if (!r.name.empty()) return r.name;
  return r.title;
}

Result<void> RulesStage::load() {
  if (!missing_mappings_.empty()) return fail("rules", "field mapping: " + render_all(missing_mappings_));
  Loaded l = load_set();
  if (!l.mapping_diags.empty()) return fail("rules", "field mapping: " + render_all(l.mapping_diags));
  for (const auto& d : l.set.diagnostics) {
    if (d.code == "file.unreadable") return fail("rules", render(d));
  }
  if (!l.set.diagnostics.empty()) {
    log::warn("rules", "{} rules refused, the others run:\n{}", l.set.refused.size(), l.set.render_diagnostics());
  }
  if (!l.set.warnings.empty()) log::warn("rules", "loaded with warnings:\n{}", l.set.render_warnings());
  log::info("rules", "{} rules loaded from {} ({} refused)", l.set.rules.size(), fmt::join(options_.paths, ", "),
            l.set.refused.size());
  accepted_sources_ = l.set.sources;
  {
    std::lock_guard lock(mutex_);
    accepted_fingerprint_ = l.fingerprint;
  }
  failed_.set(static_cast<double>(l.set.refused.size()));
  auto set = std::make_shared<const rules::RuleSet>(std::move(l.set));
  engine_ = std::make_unique<rules::Engine>(
      set,
      rules::Engine::DetailedSink(
          [this](const Event& alert, const rules::AlertDetails& details) { alerts_.emit(alert, details); }),
      options_.engine);
  install();
  if (!loader_.joinable()) loader_ = std::thread([this] { loader_main(); });
  return {};
}

void RulesStage::install() {
  const auto& rules = engine_->rules().rules;
  // The alert path folds, resolves and names alerts by what the running rules say.
  alerts_.set_rules("rule", alerts::catalog_entries(engine_->rules(), alerts_.default_quiet()));
  per_rule_.assign(rules.size(), RuleMetrics{});
  exported_.assign(rules.size(), rules::Engine::RuleStats{});
  for (auto& [name, g] : group_gauges_) g.set(0);  // rules gone or changed start from nothing
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string l = label(rules[i]);
    per_rule_[i].matches = metrics_.counter(
        "soc_rule_matches_total", "Events matched by a rule; for a correlation, the times its condition held.", {{"rule", l}});
    per_rule_[i].suppressed = metrics_.counter(
        "soc_alerts_suppressed_total", "Alerts held back by a rule's suppression window.", {{"rule", l}});
    if (rules[i].correlation) {
      per_rule_[i].evicted = metrics_.counter(
          "soc_rule_groups_evicted_total",
          "Open groups of a correlation evicted, least recently updated first, to keep rule state within its bounds "
          "(--max-rule-state, and the per-rule cap).",
          {{"rule", l}});
      auto [it, fresh] = group_gauges_.try_emplace(l);
      if (fresh)
        it->second = metrics_.gauge("soc_rule_state_groups", "Open groups (windows) of a correlation rule.", {{"rule", l}});
      per_rule_[i].groups = it->second;
    }
  }
  loaded_.set(static_cast<double>(rules.size()));
  sync_metrics();
}

void RulesStage::sync_metrics() {
  const auto& stats = engine_->rule_stats();
  for (size_t i = 0; i < stats.size() && i < per_rule_.size(); ++i) {
    if (stats[i].matches != exported_[i].matches) per_rule_[i].matches.inc(static_cast<double>(stats[i].matches - exported_[i].matches));
    if (stats[i].suppressed != exported_[i].suppressed)
      per_rule_[i].suppressed.inc(static_cast<double>(stats[i].suppressed - exported_[i].suppressed));
    if (stats[i].evicted != exported_[i].evicted && per_rule_[i].evicted) {
      const uint64_t n = stats[i].evicted - exported_[i].evicted;
      per_rule_[i].evicted.inc(static_cast<double>(n));
      evicted_unlogged_[label(engine_->rules().rules[i])] += n;
    }
    exported_[i] = stats[i];
    if (per_rule_[i].groups) per_rule_[i].groups.set(static_cast<double>(engine_->groups(i)));
  }
  state_bytes_.set(static_cast<double>(engine_->state_bytes()));
}

// A flood of distinct sources evicts groups on every event: one line a minute says how many.
void RulesStage::log_evictions(Clock::time_point now) {
  if (evicted_unlogged_.empty() || now < next_eviction_log_) return;
  next_eviction_log_ = now + std::chrono::minutes(1);
  std::string detail;
  uint64_t total = 0;
  for (const auto& [rule, n] : evicted_unlogged_) {
    detail += fmt::format("{}{} ({})", detail.empty() ? "" : ", ", rule, n);
    total += n;
  }
  const auto& o = options_.engine;
  log::warn("rules",
            "rule state at its bound ({} groups, {} bytes; per rule {} groups): {} open groups evicted, least "
            "recently updated first: {}",
            o.max_state_groups, o.max_state_bytes, o.max_groups_per_rule, total, detail);
  evicted_unlogged_.clear();
}

void RulesStage::on_event(Event& event) {
  if (const auto ts = event.timestamp()) {
    stream_scratch_.assign(event.get_string("observer.name"));
    if (const std::string_view file = event.get_string("log.file.path"); !file.empty()) {
      stream_scratch_ += '\x1f';
      stream_scratch_ += file;
    }
    if (last_sensor_ == nullptr || stream_scratch_ != last_sensor_name_) {
      last_sensor_name_ = stream_scratch_;
      auto it = sensors_.try_emplace(last_sensor_name_, SensorClock{*ts, {}}).first;
      last_sensor_ = &it->second;  // stable: elements of an unordered_map do not move
    }
    if (*ts > last_sensor_->newest) last_sensor_->newest = *ts;
    last_sensor_->arrival = Clock::now();
  }
  if (eval_count_++ % options_.eval_sample != 0) {
    engine_->process(event);
    return;
  }
  const auto start = Clock::now();
  engine_->process(event);
  eval_seconds_.observe(std::chrono::duration<double>(Clock::now() - start).count());
}

// When a stream (a sensor, or one file of a log sensor) is silent its event time is taken to run
// on with the wall clock: its watermark is its newest event time plus the time since that event
// arrived. The engine closes the windows
// that the slowest of these watermarks has passed (plus the allowed lateness).
void RulesStage::advance_idle(Clock::time_point now) {
  if (sensors_.empty()) return;
  std::optional<Timestamp> wm;
  for (const auto& [name, s] : sensors_) {
    const Timestamp t = s.newest + std::chrono::duration_cast<std::chrono::microseconds>(now - s.arrival);
    if (!wm || t < *wm) wm = t;
  }
  engine_->advance(*wm);
}

void RulesStage::tick(Clock::time_point now) {
  std::optional<Loaded> ready;
  std::string why;
  {
    // try_lock: the loader holds the mutex only to swap pointers, but the ingest thread never
    // waits for it; a set not taken now is taken at the next tick.
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (lock.owns_lock() && ready_) {
      ready = std::move(ready_);
      ready_.reset();
      why = std::move(ready_why_);
    }
  }
  if (ready) {
    apply(std::move(*ready), why);
    wake_.notify_all();
  }
  if (now < next_tick_) return;
  next_tick_ = now + std::chrono::milliseconds(250);
  advance_idle(now);
  sync_metrics();
  log_evictions(now);
}

bool RulesStage::reload(std::string_view why) { return apply(prepare(load_set()), why); }

bool RulesStage::apply(Loaded l, std::string_view why) {
  const rules::RuleSet& set = *l.prepared.rules;
  std::vector<std::string> reasons;
  for (const auto& d : l.mapping_diags) reasons.push_back(render(d));
  // A problem in a file that changed since the running set was loaded fails the reload: the file
  // was edited and is broken now. Problems of unchanged files were reported when they were
  // loaded and are tolerated (a pack with an unsupported rule can still be reloaded).
  auto unchanged = [&](const std::string& file) {
    auto before = accepted_sources_.find(file);
    auto now = set.sources.find(file);
    return before != accepted_sources_.end() && now != set.sources.end() && before->second == now->second;
  };
  for (const auto& d : set.diagnostics) {
    if (unchanged(d.file)) continue;
    auto now = set.sources.find(d.file);
    reasons.push_back(render(d, now != set.sources.end() ? std::string_view(now->second) : std::string_view()));
  }
  // A running rule that the new set refuses (a correlation whose reference was removed) too.
  std::set<std::pair<std::string, std::string>> running;
  for (const auto& r : engine_->rules().rules) running.emplace(r.file, r.title);
  for (const auto& r : set.refused) {
    if (running.count({r.file, r.title}) && !r.title.empty() && unchanged(r.file))
      reasons.push_back(fmt::format("{}: the running rule '{}' would be dropped", render(r.reason), r.title));
  }
  failed_.set(static_cast<double>(set.refused.size()));
  if (!reasons.empty()) {
    reload_failure_.inc();
    last_reload_ok_.set(0);
    {
      std::lock_guard lock(mutex_);
      failed_fingerprint_ = l.fingerprint;
    }
    log::error("rules", "reload ({}, read in {:.1f} s) failed, the {} running rules stay:\n{}", why, l.seconds,
               engine_->rules().rules.size(), fmt::join(reasons, "\n"));
    return false;
  }
  sync_metrics();  // count what the old set did before its statistics go
  const size_t before = engine_->rules().rules.size();
  accepted_sources_ = set.sources;
  {
    std::lock_guard lock(mutex_);
    accepted_fingerprint_ = l.fingerprint;
    failed_fingerprint_.clear();
  }
  const size_t refused = set.refused.size();
  const auto swap_start = Clock::now();
  engine_->replace_rules(std::move(l.prepared));
  const auto swapped = Clock::now();
  install();
  reload_success_.inc();
  last_reload_ok_.set(1);
  using Ms = std::chrono::duration<double, std::milli>;
  log::info("rules",
            "reloaded ({}, read in {:.1f} s, swapped in {:.0f} ms + {:.0f} ms of metrics): {} rules (were {}), {} "
            "refused in unchanged files; state of unchanged rules kept",
            why, l.seconds, Ms(swapped - swap_start).count(), Ms(Clock::now() - swapped).count(),
            engine_->rules().rules.size(), before, refused);
  return true;
}

void RulesStage::snapshot(std::string& out) const {
  out.clear();
  ByteWriter w(out);
  w.time(soc::now());
  w.u32(static_cast<uint32_t>(sensors_.size()));
  const auto steady = Clock::now();
  for (const auto& [sensor, c] : sensors_) {
    w.str(sensor);
    w.time(c.newest);
    w.i64(std::chrono::duration_cast<std::chrono::microseconds>(steady - c.arrival).count());
  }
  engine_->encode_state(out);
}

Result<rules::Engine::RestoreReport> RulesStage::restore(std::string_view payload) {
  ByteReader r(payload);
  struct IdleClock {
    std::string sensor;
    Timestamp newest{};
    int64_t idle_us = 0;  // since its last event arrived, when the snapshot was taken
  };
  const Timestamp taken_at = r.time();
  std::vector<IdleClock> clocks;
  for (uint64_t i = 0, n = r.count(20); i < n && r.ok(); ++i) {
    IdleClock c;
    c.sensor = r.str();
    c.newest = r.time();
    c.idle_us = r.i64();
    clocks.push_back(std::move(c));
  }
  if (!r.ok()) return fail("snapshot", "the rules snapshot does not parse (damaged or cut short)");
  auto engine = rules::decode_engine_state(payload.substr(payload.size() - r.remaining()));
  if (!engine) return fail(engine.error());
  const auto report = engine_->import_state(std::move(*engine));
  // A sensor's idle time runs on while the correlator is down: its watermark is where it would
  // be had the correlator watched all along, so windows that closed meanwhile close at once.
  const auto down = std::max<std::chrono::microseconds>(std::chrono::microseconds(0), soc::now() - taken_at);
  const auto steady = Clock::now();
  for (const auto& c : clocks) {
    if (c.idle_us < 0) continue;
    SensorClock& slot = sensors_[c.sensor];
    slot.newest = std::max(slot.newest, c.newest);
    slot.arrival = steady - std::chrono::microseconds(c.idle_us) - down;
  }
  last_sensor_ = nullptr;
  sync_metrics();
  return report;
}

}  // namespace soc::daemon
