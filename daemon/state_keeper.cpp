#include "daemon/state_keeper.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/clock.h"
#include "core/log.h"
#include "core/state_codec.h"

namespace soc::daemon {

namespace {
// 10 µs to 1 s: the ingest thread's pause to copy the state for a snapshot.
const std::vector<double> kPauseBuckets = {1e-5, 1e-4, 1e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
}  // namespace

StateKeeper::StateKeeper(const StateDir& dir, telemetry::Registry& metrics, Housekeeper& housekeeper, RulesStage* rules,
                         BaselineMonitor* baseline, StateKeeperOptions options)
    : dir_(dir),
      metrics_(metrics),
      housekeeper_(housekeeper),
      rules_(rules),
      baseline_(baseline),
      options_(options) {
  pause_ = metrics.histogram("soc_snapshot_pause_seconds",
                             "Time the ingest thread spent copying its state for a snapshot (encoding and writing "
                             "happen on the housekeeping thread).",
                             {}, kPauseBuckets);
  next_snapshot_ = std::chrono::steady_clock::now() + options_.snapshot_interval;
  if (auto d = dir_.subdir("snapshot"); !d) log::error("snapshot", "{}", d.error().message);
}

StateKeeper::~StateKeeper() = default;

void StateKeeper::count_restore(std::string_view part, std::string_view result) {
  metrics_
      .counter("soc_state_restore_total",
               "What the correlator found of its state at start, by part (delivery, rules, baseline) and result "
               "(restored, missing, corrupt: moved aside, torn: a last record cut short by a crash).",
               {{"part", std::string(part)}, {"result", std::string(result)}})
      .inc();
}

Result<void> StateKeeper::restore_delivery(Ingest& ingest, const EventLog* events_out) {
  auto dir = dir_.subdir("delivery");
  if (!dir) return fail(dir.error());
  DeliveryJournal::Recovered rec;
  auto journal = DeliveryJournal::open(*dir, rec);
  if (!journal) return fail(journal.error());
  journal_ = std::move(*journal);
  uint64_t from_events = 0;
  FilePosition pos;
  if (events_out && events_out->is_open()) {
    const size_t before = rec.marks.size();
    auto n = recover_marks_from_events(events_out->path(), rec.events_out, rec.position_known, rec.marks);
    if (!n) return fail(n.error());
    from_events = *n;
    if (from_events > 0 || rec.marks.size() != before)
      log::info("delivery", "{} events of {} were written after the last recorded mark: marks raised to cover them",
                from_events, events_out->path());
    pos = {events_out->inode(), events_out->committed_bytes()};
  }
  if (auto r = journal_->start(rec.marks, pos); !r) return fail(r.error());
  ingest.set_journal(journal_.get(), rec.marks);
  count_restore("delivery", rec.records > 0 || from_events > 0 ? "restored" : "missing");
  for (uint64_t i = 0; i < rec.torn; ++i) count_restore("delivery", "torn");
  for (uint64_t i = 0; i < rec.damaged; ++i) count_restore("delivery", "corrupt");
  if (rec.damaged > 0)
    log::warn("delivery", "{} damaged records in {} were skipped; --events-out was read whole to recover the marks",
              rec.damaged, *dir);
  log::info("delivery", "{} sequence marks restored ({} records in {} segments, {} torn, {} damaged)",
            rec.marks.size(), rec.records, rec.segments, rec.torn, rec.damaged);
  return {};
}

std::string StateKeeper::path_of(std::string_view part) const {
  return dir_.file(fmt::format("snapshot/{}.snap", part));
}

std::optional<std::string> StateKeeper::load(std::string_view part, uint32_t version) {
  if (auto d = dir_.subdir("snapshot"); !d) {
    log::error("snapshot", "{}", d.error().message);
    return std::nullopt;
  }
  const std::string path = path_of(part);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    count_restore(part, "missing");
    log::info("snapshot", "no {} snapshot ({}): starting without one", part, path);
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  Unsealed u = unseal(ss.str(), part, version);
  if (u.error.empty()) return std::move(u.payload);
  const std::string aside = fmt::format("{}.corrupt-{}", path, static_cast<long long>(to_unix_seconds(now())));
  const bool moved = std::rename(path.c_str(), aside.c_str()) == 0;
  count_restore(part, "corrupt");
  log::error("snapshot", "{}: {}; {}; starting without it", path, u.error,
             moved ? "moved aside to " + aside : fmt::format("cannot move it aside ({})", std::strerror(errno)));
  return std::nullopt;
}

void StateKeeper::restore_snapshots() {
  if (rules_) {
    if (auto payload = load(kRulesPart, RulesStage::kSnapshotVersion)) {
      auto r = rules_->restore(*payload);
      if (r) {
        count_restore(kRulesPart, "restored");
        log::info("snapshot",
                  "rules: open state of {} rules restored ({} groups, {} suppressions); {} rules changed since and {} "
                  "no longer loaded start empty",
                  r->rules, r->groups, r->suppressions, r->changed, r->unknown);
      } else {
        count_restore(kRulesPart, "corrupt");
        log::error("snapshot", "{}: {}; starting without it", path_of(kRulesPart), r.error().message);
      }
    }
  }
  if (baseline_) {
    if (auto payload = load(kBaselinePart, BaselineMonitor::kSnapshotVersion)) {
      if (auto r = baseline_->restore(*payload); r) {
        count_restore(kBaselinePart, "restored");
      } else {
        count_restore(kBaselinePart, "corrupt");
        log::error("snapshot", "{}: {}; starting without it", path_of(kBaselinePart), r.error().message);
      }
    }
  }
}

void StateKeeper::store(std::string_view part, uint32_t version, const std::string& payload) {
  const std::string sealed = seal(part, version, payload);
  const telemetry::Labels labels{{"part", std::string(part)}};
  auto r = dir_.write_atomically(fmt::format("snapshot/{}.snap", part), sealed);
  const char* result = r ? "ok" : "error";
  metrics_
      .counter("soc_snapshots_total", "Snapshots of the correlator's in-memory state written, by part and result.",
               {{"part", std::string(part)}, {"result", result}})
      .inc();
  if (!r) {
    metrics_
        .counter("soc_write_errors_total",
                 "Writes of an output that failed (disk full, I/O error); the data is kept and written again, and what "
                 "it belongs to is not acknowledged meanwhile.",
                 {{"output", "snapshot"}})
        .inc();
    log::error("snapshot", "{} (the previous snapshot stays)", r.error().message);
    return;
  }
  metrics_.gauge("soc_snapshot_bytes", "Size of the last snapshot written, by part.", labels)
      .set(static_cast<double>(sealed.size()));
  metrics_
      .gauge("soc_snapshot_last_success_timestamp_seconds", "Unix time of the last snapshot written, by part.", labels)
      .set(to_unix_seconds(now()));
}

void StateKeeper::take(bool final) {
  const auto start = std::chrono::steady_clock::now();
  std::optional<BaselineMonitor::EvaluationInput> evidence;
  if (rules_) rules_->snapshot(*rules_bytes_);
  if (baseline_) evidence = baseline_->capture();
  pause_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  auto write = [this, rules = rules_ ? rules_bytes_ : nullptr, evidence = std::move(evidence)] {
    if (rules) store(kRulesPart, RulesStage::kSnapshotVersion, *rules);
    if (evidence) store(kBaselinePart, BaselineMonitor::kSnapshotVersion, baseline_->snapshot(*evidence));
  };
  if (final) {
    write();
    return;
  }
  in_flight_->store(true);
  auto flag = in_flight_;
  if (!housekeeper_.post("snapshot", [write = std::move(write), flag]() mutable {
        write();
        flag->store(false);
      }))
    in_flight_->store(false);
}

void StateKeeper::tick(std::chrono::steady_clock::time_point now) {
  if (now < next_snapshot_ || (!rules_ && !baseline_)) return;
  next_snapshot_ = now + options_.snapshot_interval;
  // One snapshot at a time: a slow disk must not pile copies of the state up in memory.
  if (in_flight_->load()) return;
  take(false);
}

void StateKeeper::final() {
  if (!rules_ && !baseline_) return;
  take(true);
  log::info("snapshot", "final snapshot written to {}", dir_.file("snapshot"));
}

}  // namespace soc::daemon
