// How long a country-sized inventory takes to load and evaluate, and the memory it needs
// (issue 6: 5,000 sites and 100,000 assets in one correlator). Writes a synthetic inventory
// (every site a commune with 20 assets, each with two licenses, and two sensors; one level-3
// system spanning every site plus one level-2 system per 50 sites, each of those with a waiver),
// then loads it and the baseline given, and evaluates with every sensor heard. The floor beside
// the load is yaml-cpp's event parser reading the same file into nothing.
//
//   build/bench/inventory_scale [SITES [ASSETS_PER_SITE]] [--baseline examples/baseline.yaml] [--runs 3] [--tree]
//   build/bench/inventory_scale [SITES [ASSETS_PER_SITE]] --write DIR   (only writes DIR/inventory.yaml and
//                                                                        DIR/events.jsonl, for report_bench.sh)
//
// --tree also measures, once, yaml-cpp's node tree of the same file (what the loader built
// before it streamed) in a child process.
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
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
#include "daemon/inventory/tracker.h"
#include "soc_build_config.h"

namespace inv = soc::daemon::inventory;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// CPU seconds of this process: on a shared 2-vCPU VM wall time mostly measures the neighbours.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Wall and CPU seconds of one phase.
struct Phase {
  std::chrono::steady_clock::time_point wall0 = std::chrono::steady_clock::now();
  double cpu0 = cpu_seconds();
  void stop(std::vector<double>& wall, std::vector<double>& cpu) const {
    wall.push_back(seconds_since(wall0));
    cpu.push_back(cpu_seconds() - cpu0);
  }
};

long rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * sysconf(_SC_PAGESIZE) / 1048576;
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

void parse_floor(const std::filesystem::path& path, size_t& scalars) {
  std::ifstream in(path, std::ios::binary);
  YAML::Parser parser(in);
  NothingHandler h;
  while (parser.HandleNextDocument(h)) {
  }
  scalars = h.scalars;
}

// "median s (min-max)".
std::string median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return fmt::format("{:.2f} s ({:.2f}-{:.2f})", v[v.size() / 2], v.front(), v.back());
}

// The former loader's cost, for comparison: yaml-cpp's node tree of the same file (YAML::Load,
// no validation), in a child process so that its memory does not count in ours. Wall and CPU
// seconds and the child's peak RSS in MiB.
struct TreeCost {
  double wall = 0, cpu = 0;
  long rss_mib = 0;
};
TreeCost tree_cost(const std::filesystem::path& path) {
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t child = fork();
  if (child == 0) {
    std::ifstream in(path, std::ios::binary);
    const YAML::Node root = YAML::Load(in);
    _exit(root.IsMap() ? 0 : 1);
  }
  int status = 0;
  rusage ru{};
  wait4(child, &status, 0, &ru);
  TreeCost c;
  c.wall = seconds_since(t0);
  c.cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
          static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  c.rss_mib = ru.ru_maxrss / 1024;
  return c;
}

long peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

// The synthetic province: every site a commune with `per_site` assets (two licenses each) and
// two sensors; one level-3 system over every site and one level-2 system per 50 sites, each
// with a waiver. Returns the number of waivers.
size_t write_inventory(const std::filesystem::path& path, int sites, int per_site) {
  size_t waivers = 0;
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
    out << "waivers:\n";
    for (int g = 0; g * 50 < sites; ++g, ++waivers)
      out << fmt::format(
          "  - {{requirement: AST-03, system: motcua-{}, reason: on order, approved_by: director, expires: "
          "2027-06-30}}\n",
          g);
  }
  return waivers;
}

// What the correlator's --events-out would hold for that province at `at`: a heartbeat of every
// sensor 30 s before, and an sshd event of every site's log sensor 10 minutes before (what
// `socctl report --events` replays; bench/report_bench.sh).
void write_events(const std::filesystem::path& path, int sites, const std::string& at) {
  const auto t = *soc::parse_rfc3339(at);
  const std::string hb = soc::format_rfc3339(t - std::chrono::seconds(30));
  const std::string ssh = soc::format_rfc3339(t - std::chrono::minutes(10));
  std::ofstream out(path);
  for (int s = 0; s < sites; ++s) {
    for (const char* kind : {"packet", "log"})
      out << fmt::format(
          "{{\"@timestamp\":\"{0}\",\"event.kind\":\"metric\",\"event.dataset\":\"soc.heartbeat\",\"event.category\":"
          "[\"host\"],\"observer.name\":\"{1}-xa-{2}\",\"site.id\":\"xa-{2}\",\"event.ingested\":\"{0}\"}}\n",
          hb, kind, s);
    out << fmt::format(
        "{{\"@timestamp\":\"{0}\",\"event.kind\":\"event\",\"event.dataset\":\"sshd\",\"event.category\":"
        "[\"authentication\"],\"event.outcome\":\"failure\",\"user.name\":\"root\",\"observer.name\":\"log-xa-{1}\","
        "\"site.id\":\"xa-{1}\",\"event.ingested\":\"{0}\"}}\n",
        ssh, s);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int sites = 5000, per_site = 20, runs = 3;
  bool tree = false;
  std::string write_to;
  std::string baseline_path = SOC_SOURCE_DIR "/examples/baseline.yaml";
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--baseline" && i + 1 < argc)
      baseline_path = argv[++i];
    else if (std::string(argv[i]) == "--tree")
      tree = true;
    else if (std::string(argv[i]) == "--runs" && i + 1 < argc)
      runs = std::max(1, std::atoi(argv[++i]));
    else if (std::string(argv[i]) == "--write" && i + 1 < argc)
      write_to = argv[++i];
    else
      positional.push_back(argv[i]);
  }
  if (positional.size() > 0) sites = std::atoi(positional[0].c_str());
  if (positional.size() > 1) per_site = std::atoi(positional[1].c_str());
  const std::string& write_dir = write_to;
  if (!write_dir.empty()) {
    // Only the files, for bench/report_bench.sh: DIR/inventory.yaml and DIR/events.jsonl.
    std::filesystem::create_directories(write_dir);
    const size_t n = write_inventory(std::filesystem::path(write_dir) / "inventory.yaml", sites, per_site);
    write_events(std::filesystem::path(write_dir) / "events.jsonl", sites, "2026-11-27T12:00:00Z");
    std::printf("wrote %s/inventory.yaml (%d sites, %d assets, %zu waivers) and %s/events.jsonl\n", write_dir.c_str(),
                sites, sites * per_site, n, write_dir.c_str());
    return 0;
  }
  const auto path = std::filesystem::temp_directory_path() / fmt::format("inventory-scale-{}.yaml", getpid());
  const size_t waivers = write_inventory(path, sites, per_site);
  const auto size = std::filesystem::file_size(path);
  std::string baseline_source;
  inv::Baseline baseline;
  std::vector<soc::Diagnostic> diags;
  if (!inv::load_baseline(baseline_path, baseline, diags, baseline_source)) {
    std::fputs(soc::render_all(diags).c_str(), stderr);
    return 1;
  }
  // Each figure is the median of `runs` rounds, each round in the same order: the floor, the
  // load (inventory + waivers against the baseline), the first evaluation, and one steady tick
  // of the correlator (evaluate, compare with the previous findings, sum up per requirement).
  std::vector<double> floor_s, load_s, eval_s, tick_s, floor_c, load_c, eval_c, tick_c;
  size_t scalars = 0, findings = 0, changes = 0, statuses = 0, assets = 0, sensors = 0, systems = 0;
  long loaded_rss = 0;
  for (int round = 0; round < runs; ++round) {
    Phase floor_phase;
    parse_floor(path, scalars);
    floor_phase.stop(floor_s, floor_c);
    std::string source;
    inv::Inventory inventory;
    Phase load_phase;
    const bool ok = inv::load_inventory(path.string(), inventory, diags, source) &&
                    inv::check_waivers(path.string(), inventory, baseline, diags);
    load_phase.stop(load_s, load_c);
    if (!ok) {
      std::fputs(soc::render_all(diags).c_str(), stderr);
      std::filesystem::remove(path);
      return 1;
    }
    loaded_rss = rss_mib();  // with the file's text, which load_inventory returns in `source`
    source.clear();
    source.shrink_to_fit();
    assets = inventory.assets.size();
    sensors = inventory.sensors.size();
    systems = inventory.systems.size();
    inv::Evidence ev;
    const auto now = *soc::parse_rfc3339("2026-11-27T12:00:00Z");
    ev.observing_since = now - std::chrono::hours(1);
    for (const auto& s : inventory.sensors) ev.sensor_last_seen[s.id] = now - std::chrono::seconds(30);
    inv::FindingTracker tracker;
    Phase eval_phase;
    const auto first = inv::evaluate(inventory, baseline, ev, now);
    eval_phase.stop(eval_s, eval_c);
    (void)tracker.update(first);
    Phase tick_phase;
    const auto current = inv::evaluate(inventory, baseline, ev, now + std::chrono::seconds(15));
    changes = tracker.update(current).size();
    statuses = inv::requirement_statuses(current).size();
    tick_phase.stop(tick_s, tick_c);
    findings = current.size();
  }
  const TreeCost c = tree ? tree_cost(path) : TreeCost{};
  std::filesystem::remove(path);
  std::printf(
      "inventory: %d sites, %zu assets, %zu sensors, %zu systems, %zu waivers, %.1f MiB of YAML; %d rounds\n"
      "median (min-max) of wall, then of CPU seconds\n"
      "floor (yaml-cpp event parse, nothing kept, %zu scalars): %s, CPU %s\n"
      "load (inventory + waivers): %s, CPU %s\n"
      "evaluate: %s, CPU %s, %zu findings\n"
      "tick (evaluate + tracker + %zu requirement statuses, %zu changes): %s, CPU %s\n"
      "RSS after load: %ld MiB (with the file's text); peak RSS: %ld MiB\n",
      sites, assets, sensors, systems, waivers, size / 1048576.0, runs, scalars, median(floor_s).c_str(),
      median(floor_c).c_str(), median(load_s).c_str(), median(load_c).c_str(), median(eval_s).c_str(),
      median(eval_c).c_str(), findings, statuses, changes, median(tick_s).c_str(), median(tick_c).c_str(), loaded_rss,
      peak_rss_mib());
  if (tree)
    std::printf("node tree (YAML::Load of the same file, once, in a child): %.2f s, CPU %.2f s, peak RSS %ld MiB\n",
                c.wall, c.cpu, c.rss_mib);
  return 0;
}
