// How long a country-sized inventory takes to load and evaluate, and the memory it needs
// (issue 6: 5,000 sites and 100,000 assets in one correlator). Writes a synthetic inventory
// (every site a commune with 20 assets, each with two licenses, and two sensors; one level-3
// system spanning every site plus one level-2 system per 50 sites), then loads it and the
// baseline given, and evaluates with every sensor heard.
//
//   build/bench/inventory_scale [SITES [ASSETS_PER_SITE]] [--baseline examples/baseline.yaml]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "core/z85.h"
#include "daemon/inventory/evaluate.h"
#include "daemon/inventory/loader.h"
#include "soc_build_config.h"

namespace inv = soc::daemon::inventory;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The floor: yaml-cpp's event parser over the same file with a handler that does nothing. No
// loader that uses yaml-cpp can read the file faster than this.
class NothingHandler : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override { ++scalars; }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  size_t scalars = 0;
};

double parse_floor(const std::filesystem::path& path, size_t& scalars) {
  const auto t0 = std::chrono::steady_clock::now();
  std::ifstream in(path, std::ios::binary);
  YAML::Parser parser(in);
  NothingHandler h;
  while (parser.HandleNextDocument(h)) {
  }
  scalars = h.scalars;
  return seconds_since(t0);
}

long peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
  int sites = 5000, per_site = 20;
  std::string baseline_path = SOC_SOURCE_DIR "/examples/baseline.yaml";
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--baseline" && i + 1 < argc)
      baseline_path = argv[++i];
    else
      positional.push_back(argv[i]);
  }
  if (positional.size() > 0) sites = std::atoi(positional[0].c_str());
  if (positional.size() > 1) per_site = std::atoi(positional[1].c_str());
  const auto path = std::filesystem::temp_directory_path() / fmt::format("inventory-scale-{}.yaml", getpid());
  {
    std::ofstream out(path);
    out << "sites:\n";
    for (int s = 0; s < sites; ++s) out << fmt::format("  - {{id: xa-{0}, name: \"Xã {0}\", kind: commune}}\n", s);
    out << "systems:\n  - id: wan\n    name: WAN\n    level: 3\n    last_assessment: 2026-03-01\n    sites:\n";
    for (int s = 0; s < sites; ++s) out << fmt::format("      - xa-{}\n", s);
    for (int g = 0; g * 50 < sites; ++g) {
      out << fmt::format("  - {{id: motcua-{}, name: M, level: 2, last_assessment: 2025-01-01, sites: [", g);
      for (int s = g * 50; s < std::min(sites, g * 50 + 50); ++s) out << (s > g * 50 ? ", " : "") << "xa-" << s;
      out << "]}\n";
    }
    static const char* kinds[] = {"firewall", "server", "switch", "workstation", "portal"};
    out << "assets:\n";
    for (int s = 0; s < sites; ++s)
      for (int a = 0; a < per_site; ++a)
        out << fmt::format(
            "  - {{id: a-{0}-{1}, site: xa-{0}, kind: {2}, vendor: V, model: M, address: 10.{3}.{4}.{1}, licenses: "
            "[{{kind: support, expires: 2027-0{5}-15}}, {{kind: software, expires: 2026-12-{6:02}, temporary: "
            "{7}}}]}}\n",
            s, a, kinds[a % 5], s / 256 % 256, s % 256, 1 + a % 9, 1 + a % 28, a % 7 == 0 ? "true" : "false");
    out << "sensors:\n";
    for (int s = 0; s < sites; ++s)
      for (int k = 0; k < 2; ++k) {
        soc::CurveKey key{};
        key[0] = static_cast<uint8_t>(k);
        key[1] = static_cast<uint8_t>(s);
        key[2] = static_cast<uint8_t>(s >> 8);
        key[3] = static_cast<uint8_t>(s >> 16);
        out << fmt::format("  - {{id: {0}-xa-{1}, site: xa-{1}, kind: {0}, public_key: \"{2}\"}}\n",
                           k ? "log" : "packet", s, soc::z85_encode_key(key));
      }
  }
  const auto size = std::filesystem::file_size(path);
  // The floor first, so that the loader's peak RSS below is not hidden by it (the floor keeps
  // nothing; its own peak is a few MiB).
  size_t scalars = 0;
  const double floor_s = parse_floor(path, scalars);
  std::vector<soc::Diagnostic> diags;
  std::string source, bsource;
  inv::Inventory inventory;
  inv::Baseline baseline;
  auto t0 = std::chrono::steady_clock::now();
  const bool ok = inv::load_inventory(path.string(), inventory, diags, source);
  const double load_s = seconds_since(t0);
  std::filesystem::remove(path);
  if (!ok || !inv::load_baseline(baseline_path, baseline, diags, bsource)) {
    std::fputs(soc::render_all(diags).c_str(), stderr);
    return 1;
  }
  source.clear();
  source.shrink_to_fit();
  inv::Evidence ev;
  const auto now = *soc::parse_rfc3339("2026-11-27T12:00:00Z");
  ev.observing_since = now - std::chrono::hours(1);
  for (const auto& s : inventory.sensors) ev.sensor_last_seen[s.id] = now - std::chrono::seconds(30);
  t0 = std::chrono::steady_clock::now();
  const auto findings = inv::evaluate(inventory, baseline, ev, now);
  const double eval_s = seconds_since(t0);
  std::printf(
      "inventory: %d sites, %zu assets, %zu sensors, %zu systems, %.1f MiB of YAML\n"
      "floor (yaml-cpp event parse, nothing kept, %zu scalars): %.2f s\n"
      "load: %.2f s\nevaluate: %.2f s, %zu findings\npeak RSS: %ld MiB\n",
      sites, inventory.assets.size(), inventory.sensors.size(), inventory.systems.size(), size / 1048576.0, scalars, floor_s, load_s,
      eval_s, findings.size(), peak_rss_mib());
  return 0;
}
