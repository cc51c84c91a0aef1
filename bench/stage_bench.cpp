// What the inventory stage (daemon/baseline_monitor.h) adds to the cost of an event in the
// correlator, beside its floor measured in the same run: decoding the event's JSON line, which
// ingest does for every event anyway. Three passes over the same lines:
//   decode          decode_event_into only (the floor)
//   decode+enrich   plus inventory::Enricher::apply (site fields; asset by address)
//   decode+stage    plus BaselineMonitor::on_event (enrichment and evidence recording)
// and the time of one evaluation of examples/baseline.yaml against the synthetic inventory.
//
//   build/bench/stage_bench [SITES] [EVENTS]     (defaults 100 and 1000000)
#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/json_codec.h"
#include "core/z85.h"
#include "daemon/alert_output.h"
#include "daemon/baseline_monitor.h"
#include "daemon/inventory/enrich.h"
#include "soc_build_config.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string key_text(uint32_t n) {
  soc::CurveKey k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>((n >> ((i % 4) * 8)) + i);
  return soc::z85_encode_key(k);
}

// SITES communes, each with a firewall, a switch and 18 servers (20 assets with IP addresses), a
// packet and a log sensor; one level-3 system spanning every site.
std::string inventory_yaml(int sites) {
  std::string y = "sites:\n";
  for (int s = 0; s < sites; ++s) y += fmt::format("  - {{id: xa-{0}, name: \"UBND xã {0}\", kind: commune}}\n", s);
  y += "systems:\n  - {id: wan, name: WAN, level: 3, last_assessment: 2026-06-01, sites: [";
  for (int s = 0; s < sites; ++s) y += fmt::format("{}xa-{}", s ? ", " : "", s);
  y += "]}\nassets:\n";
  for (int s = 0; s < sites; ++s) {
    y += fmt::format(
        "  - {{id: fw-{0}, site: xa-{0}, kind: firewall, address: 10.{1}.{2}.1, "
        "licenses: [{{kind: support, expires: 2027-06-30}}]}}\n",
        s, s / 256, s % 256);
    y += fmt::format("  - {{id: sw-{0}, site: xa-{0}, kind: switch, address: 10.{1}.{2}.2}}\n", s, s / 256, s % 256);
    for (int a = 0; a < 18; ++a)
      y += fmt::format("  - {{id: srv-{0}-{3}, site: xa-{0}, kind: server, address: 10.{1}.{2}.{4}}}\n", s, s / 256,
                       s % 256, a, 10 + a);
  }
  y += "sensors:\n";
  for (int s = 0; s < sites; ++s) {
    y += fmt::format("  - {{id: pkt-{0}, site: xa-{0}, kind: packet, public_key: \"{1}\"}}\n", s, key_text(2 * s));
    y += fmt::format("  - {{id: log-{0}, site: xa-{0}, kind: log, public_key: \"{1}\"}}\n", s, key_text(2 * s + 1));
  }
  return y;
}

// Flow events as ingest has them: stamped with the sensor and site; one destination in two is
// an inventory asset.
std::vector<std::string> event_lines(int sites, size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const int s = static_cast<int>((i / 512) % sites);  // a batch comes from one sensor
    out.push_back(fmt::format(
        R"({{"@timestamp":"2026-11-20T08:00:00.{:06}Z","event.kind":"event","event.dataset":"flow","event.category":["network"],)"
        R"("source.ip":"203.0.113.{}","source.port":{},"destination.ip":"10.{}.{}.{}","destination.port":443,)"
        R"("network.transport":"tcp","ndpi.protocol":"TLS","observer.name":"pkt-{}","site.id":"xa-{}"}})",
        i % 1000000, i % 250 + 1, 1024 + i % 60000, s / 256, s % 256, i % 2 ? 10 + i % 18 : 200, s, s));
  }
  return out;
}

template <typename F>
double run(const std::vector<std::string>& lines, F&& per_event) {
  soc::Event e;
  const auto t0 = Clock::now();
  for (const auto& l : lines) {
    if (soc::decode_event_into(l, e)) std::abort();
    per_event(e);
  }
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int sites = argc > 1 ? std::atoi(argv[1]) : 100;
  const size_t events = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  if (sites < 1 || sites > 65535 || events < 1) {
    std::fputs("usage: stage_bench [SITES 1-65535] [EVENTS]\n", stderr);
    return 2;
  }
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("soc-stage-bench-{}", getpid());
  std::filesystem::create_directories(dir);
  const std::string inv_path = (dir / "inventory.yaml").string();
  std::ofstream(inv_path) << inventory_yaml(sites);

  soc::daemon::telemetry::Registry metrics;
  soc::daemon::AlertOutput alerts(metrics, nullptr, nullptr);
  auto monitor = soc::daemon::BaselineMonitor::load({inv_path, std::string(SOC_SOURCE_DIR) + "/examples/baseline.yaml"},
                                                    metrics, alerts);
  std::filesystem::remove_all(dir);
  if (!monitor) {
    std::fputs(monitor.error().message.c_str(), stderr);
    return 1;
  }
  const soc::daemon::inventory::Enricher enricher((*monitor)->inventory());
  const auto lines = event_lines(sites, events);

  size_t enriched = 0;
  const double floor_s = run(lines, [](soc::Event&) {});
  const double enrich_s = run(lines, [&](soc::Event& e) {
    enricher.apply(e);
    enriched += e.contains("asset.id");
  });
  const double stage_s = run(lines, [&](soc::Event& e) { (*monitor)->on_event(e); });
  const auto t0 = Clock::now();
  (*monitor)->evaluate();
  const double eval_s = std::chrono::duration<double>(Clock::now() - t0).count();

  const double n = static_cast<double>(events);
  fmt::print("{} sites, {} assets, {} events ({} matched an asset)\n", sites, (*monitor)->inventory().assets.size(),
             events, enriched);
  fmt::print("{:<14} {:>8.3f} s {:>8.0f} ns/event\n", "decode", floor_s, floor_s / n * 1e9);
  fmt::print("{:<14} {:>8.3f} s {:>8.0f} ns/event (+{:.0f})\n", "decode+enrich", enrich_s, enrich_s / n * 1e9,
             (enrich_s - floor_s) / n * 1e9);
  fmt::print("{:<14} {:>8.3f} s {:>8.0f} ns/event (+{:.0f})\n", "decode+stage", stage_s, stage_s / n * 1e9,
             (stage_s - floor_s) / n * 1e9);
  fmt::print("evaluation     {:>8.3f} s ({} findings)\n", eval_s, (*monitor)->findings().size());
  return 0;
}
