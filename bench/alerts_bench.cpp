// What the alert sinks cost the rule engine, and how many alerts per second go through them
// (issue 10; docs/adr/0022-alert-sinks.md). The correlator's rule stage (RulesStage, the
// shipped mappings) evaluates the same events, decoded once, with its alerts going to the one
// alert path (AlertOutput) and from there:
//   off   nowhere else (the floor: what the rule engine costs without sinks)
//   null  to three sinks that take every notice at no cost: what the alert path itself (notice,
//         publish, queues, wake-ups) costs the rule engine's thread
//   on    to the sinks the flags ask for, built as the correlator builds them, with their peers
// in rotating order, ROUNDS times. Per run: the CPU time of the thread that runs the rules
// (CLOCK_THREAD_CPUTIME_ID: the sinks' own threads are not counted, what the rule engine's thread
// pays for them is) and its wall time; with sinks on, also the time until every sink delivered
// every notice (the dispatcher drains at stop) and each sink's counts. On a shared machine the
// best run of each is the least disturbed one: both the medians and the best runs are printed.
//
//   build/bench/alerts_bench [sink flags] --events FILE --rules DIR [--rounds N]
#include <fmt/core.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/config/command_line.h"
#include "core/json_codec.h"
#include "core/line_reader.h"
#include "core/log.h"
#include "daemon/alert_output.h"
#include "daemon/alerts/sinks/dispatcher.h"
#include "daemon/alerts/sinks/flags.h"
#include "daemon/rules_stage.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace sinks = soc::daemon::alerts::sinks;

double thread_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Run {
  double cpu_s = 0, wall_s = 0, delivered_s = 0;
  uint64_t alerts = 0;
  std::vector<sinks::QueueDispatcher::Stats> stats;
};

// Takes every notice and does nothing with it.
class NullSink final : public soc::daemon::alerts::Sink {
 public:
  explicit NullSink(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  soc::Result<void> deliver(std::span<const soc::daemon::alerts::Notice>) override { return {}; }

 private:
  std::string name_;
};

enum class Mode { Off, Null, On };

Run run(const std::vector<soc::Event>& events, const std::vector<std::string>& rules, Mode mode,
        const sinks::SinkFlags& flag_values) {
  const sinks::SinkFlags* flags = mode == Mode::On ? &flag_values : nullptr;
  soc::daemon::telemetry::Registry metrics;
  soc::daemon::AlertOutput alerts(metrics, nullptr, nullptr);
  sinks::Sinks built;
  if (mode == Mode::Null) {
    built.dispatcher = std::make_unique<sinks::QueueDispatcher>(&metrics, sinks::DispatcherOptions{});
    for (const char* n : {"null1", "null2", "null3"}) built.dispatcher->add(std::make_unique<NullSink>(n));
    built.dispatcher->start();
    alerts.set_dispatcher(built.dispatcher.get());
  }
  if (flags) {
    auto s = sinks::make_sinks(*flags, &metrics, "http://127.0.0.1:9750", "alerts_bench");
    if (!s) {
      std::fprintf(stderr, "alerts_bench: %s\n", s.error().message.c_str());
      std::exit(78);
    }
    built = std::move(*s);
    alerts.set_dispatcher(built.dispatcher.get());
  }
  soc::daemon::RulesStageOptions options;
  options.paths = rules;
  soc::daemon::RulesStage stage(metrics, alerts, options);
  if (auto r = stage.load(); !r) {
    std::fprintf(stderr, "alerts_bench: %s\n", r.error().message.c_str());
    std::exit(1);
  }
  Run out;
  soc::Event e;
  const double cpu0 = thread_cpu_s();
  const auto t0 = Clock::now();
  for (const auto& ev : events) {
    e = ev;  // the stage may add fields; every run starts from the same events
    stage.on_event(e);
  }
  out.cpu_s = thread_cpu_s() - cpu0;
  out.wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  out.alerts = alerts.emitted();
  if (built.dispatcher) {
    built.dispatcher->stop();  // drains: returns once every sink delivered everything
    out.delivered_s = std::chrono::duration<double>(Clock::now() - t0).count();
    out.stats = built.dispatcher->stats();
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  sinks::SinkFlags flags;
  std::string events_path;
  std::vector<std::string> rules;
  int64_t rounds = 5;
  std::string only;
  soc::config::CommandLine cli("alerts_bench", "The alert sinks' cost to the rule engine, and alerts per second through them.");
  sinks::add_sink_flags(cli.root(), flags);
  cli.root()
      .option("events", events_path, "JSON-lines events, evaluated in order")
      .option("rules", rules, "Rule folder (repeatable)")
      .option("rounds", rounds, "Runs of each configuration, interleaved")
      .option("only", only, "off, null or on: one run of that configuration and nothing else (for callgrind)");
  if (auto code = cli.parse(argc, argv)) return *code;
  soc::log::set_level(soc::log::Level::Warn);

  std::vector<soc::Event> events;
  soc::LineReader reader;
  if (auto r = reader.open(events_path); !r) {
    std::fprintf(stderr, "alerts_bench: %s\n", r.error().message.c_str());
    return 1;
  }
  std::string_view line;
  bool truncated = false;
  for (int64_t n = 1; reader.next(line, truncated); ++n) {
    auto e = soc::decode_event(line);
    if (!e) continue;
    if (!e->contains("event.id")) e->set("event.sequence", n);
    events.push_back(std::move(*e));
  }

  if (!only.empty()) {
    const Mode m = only == "off" ? Mode::Off : only == "null" ? Mode::Null : Mode::On;
    const Run x = run(events, rules, m, flags);
    std::printf("%s: %.3f s cpu, %llu alerts\n", only.c_str(), x.cpu_s, static_cast<unsigned long long>(x.alerts));
    return 0;
  }
  // cpu[mode], wall[mode]: one entry per round.
  std::vector<double> cpu[3], wall[3], delivered;
  Run last;
  const Mode order[3] = {Mode::Off, Mode::Null, Mode::On};
  const char* names[3] = {"off", "null", "on"};
  for (int64_t r = 0; r < rounds; ++r) {
    // Rotate which goes first, so that none always runs on a warmer (or busier) machine.
    std::string line = fmt::format("round {}:", r + 1);
    for (int k = 0; k < 3; ++k) {
      const int m = static_cast<int>((k + r) % 3);
      const Run x = run(events, rules, order[m], flags);
      cpu[m].push_back(x.cpu_s);
      wall[m].push_back(x.wall_s);
      line += fmt::format(" {} {:.3f} s cpu {:.3f} s wall;", names[m], x.cpu_s, x.wall_s);
      if (order[m] == Mode::On) {
        delivered.push_back(x.delivered_s);
        line += fmt::format(" all delivered after {:.3f} s;", x.delivered_s);
        last = x;
      }
    }
    std::printf("%s (%llu alerts)\n", line.c_str(), static_cast<unsigned long long>(last.alerts));
  }
  const double n = static_cast<double>(events.size());
  std::printf("\n%zu events, %llu alerts per run, %lld rounds\n", events.size(), static_cast<unsigned long long>(last.alerts),
              static_cast<long long>(rounds));
  std::printf("%-46s %15s %15s %16s %16s\n", "rule engine (median, best run)", "events/s (cpu)", "best (cpu)",
              "x off (median)", "x off (best)");
  const char* rows[3] = {"sinks off (floor)", "3 null sinks (the alert path alone)", "log + Alertmanager + webhook"};
  const double off_med = median(cpu[0]), off_best = *std::min_element(cpu[0].begin(), cpu[0].end());
  for (int m = 0; m < 3; ++m) {
    const double med = median(cpu[m]), best = *std::min_element(cpu[m].begin(), cpu[m].end());
    std::printf("%-46s %15.0f %15.0f %16.3f %16.3f\n", rows[m], n / med, n / best, med / off_med, best / off_best);
  }
  std::printf("(wall-clock medians, events/s: off %.0f, null %.0f, on %.0f)\n", n / median(wall[0]), n / median(wall[1]),
              n / median(wall[2]));
  std::printf("alerts through all sinks: %.0f alerts/s (%llu alerts, all delivered %.3f s after the first event)\n",
              static_cast<double>(last.alerts) / median(delivered), static_cast<unsigned long long>(last.alerts),
              median(delivered));
  for (const auto& s : last.stats)
    std::printf("  %-36s ok %llu  retry %llu  dropped %llu  failed %llu\n", s.sink.c_str(),
                static_cast<unsigned long long>(s.ok), static_cast<unsigned long long>(s.retry),
                static_cast<unsigned long long>(s.dropped), static_cast<unsigned long long>(s.failed));
  return 0;
}
