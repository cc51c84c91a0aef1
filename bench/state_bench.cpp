// What a snapshot of the rule state costs the correlator (docs/adr/0030-snapshots.md), beside its
// floor measured in the same run. The shipped rule pack's correlations are filled with GROUPS
// open groups by failed SSH logins from distinct addresses (the state a flood leaves), then:
//   encode    RulesStage::snapshot(): the bytes written straight from the state on the ingest
//             thread, the only part of a snapshot that pauses events (sealing and writing run on
//             the housekeeping thread), into a buffer already used once, as the correlator does
//   copy      the floor: copying the same number of bytes (one memcpy of the snapshot into a
//             buffer already paged in)
//   seal      seal(): the envelope and its CRC-32 (housekeeping thread)
//   restore   unseal + RulesStage::restore into a fresh stage: what a restart adds to the start
// CPU time of the calling thread, median (min-max) of ROUNDS; the event processing that built
// the state is timed too, per event, for scale.
//
//   build/bench/state_bench [ROUNDS] [GROUPS...]     (defaults 3 and 10000 100000 400000)
#include <fmt/core.h>
#include <time.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/state_codec.h"
#include "daemon/alert_output.h"
#include "daemon/rules_stage.h"
#include "soc_build_config.h"

namespace {

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Stat {
  std::vector<double> v;
  void add(double x) { v.push_back(x); }
  std::string ms() {
    std::sort(v.begin(), v.end());
    return fmt::format("{:.2f} ({:.2f}-{:.2f})", v[v.size() / 2] * 1e3, v.front() * 1e3, v.back() * 1e3);
  }
};

std::unique_ptr<soc::daemon::RulesStage> make_stage(soc::daemon::telemetry::Registry& m, soc::daemon::AlertOutput& a) {
  soc::daemon::RulesStageOptions o;
  o.paths = {std::string(SOC_SOURCE_DIR) + "/rules"};
  auto s = std::make_unique<soc::daemon::RulesStage>(m, a, o);
  if (!s->load()) std::abort();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace soc;
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  std::vector<size_t> sizes;
  for (int i = 2; i < argc; ++i) sizes.push_back(static_cast<size_t>(std::atol(argv[i])));
  if (sizes.empty()) sizes = {10000, 100000, 400000};
  fmt::print("| open groups | estimated state | snapshot bytes | events to build it, µs/event | encode (pause), ms | "
             "copy (floor), ms | encode / copy | seal, ms | restore, ms |\n|---|---|---|---|---|---|---|---|---|\n");
  for (const size_t target : sizes) {
    Stat build, encode, copy, sealing, restore;
    size_t groups = 0, est = 0, bytes = 0;
    for (int r = 0; r < rounds; ++r) {
      daemon::telemetry::Registry metrics;
      daemon::AlertOutput alerts(metrics, nullptr, nullptr);
      auto stage = make_stage(metrics, alerts);
      Event e;
      e.set("event.kind", "event");
      e.set("event.dataset", "sshd");
      e.set("event.category", List{Value("authentication")});
      e.set("event.outcome", "failure");
      e.set("observer.name", "bench");
      e.set("site.id", "xa");
      e.set("user.name", "root");
      const Timestamp t0 = *parse_rfc3339("2026-11-20T08:00:00Z");
      uint64_t n = 0;
      const double b0 = cpu_now();
      while (stage->engine().state_groups() < target) {
        const uint32_t a = static_cast<uint32_t>(0x0A000000u + n);
        e.set("@timestamp", t0 + std::chrono::microseconds(n));
        e.set("source.ip", Value(*IpAddress::parse(fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))));
        e.set("event.id", fmt::format("bench:1:{}", n));
        stage->on_event(e);
        ++n;
      }
      build.add((cpu_now() - b0) / static_cast<double>(n) * 1e3);  // shown as µs/event by ms()
      groups = stage->engine().state_groups();
      est = stage->engine().state_bytes();

      std::string snap;
      stage->snapshot(snap);  // the correlator reuses its buffer: time the second snapshot
      double t = cpu_now();
      stage->snapshot(snap);
      encode.add(cpu_now() - t);
      bytes = snap.size();
      std::string copied(snap.size(), '\0');  // paged in, like the reused snapshot buffer
      t = cpu_now();
      std::memcpy(copied.data(), snap.data(), snap.size());
      copy.add(cpu_now() - t);
      if (copied.back() != snap.back()) std::abort();  // keep the copy
      t = cpu_now();
      const std::string sealed = seal("rules", 1, snap);
      sealing.add(cpu_now() - t);

      daemon::telemetry::Registry m2;
      daemon::AlertOutput a2(m2, nullptr, nullptr);
      auto fresh = make_stage(m2, a2);
      t = cpu_now();
      auto u = unseal(sealed, "rules", 1);
      auto rep = fresh->restore(u.payload);
      restore.add(cpu_now() - t);
      if (!rep || fresh->engine().state_groups() != groups) std::abort();
    }
    const double enc = [&] { auto v = encode.v; std::sort(v.begin(), v.end()); return v[v.size() / 2]; }();
    const double cpy = [&] { auto v = copy.v; std::sort(v.begin(), v.end()); return v[v.size() / 2]; }();
    fmt::print("| {} | {:.1f} MiB | {:.1f} MiB | {} | {} | {} | {:.1f} | {} | {} |\n", groups, est / 1048576.0,
               bytes / 1048576.0, build.ms(), encode.ms(), copy.ms(), cpy > 0 ? enc / cpy : 0, sealing.ms(),
               restore.ms());
    std::fflush(stdout);
  }
}
