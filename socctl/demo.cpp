// socctl demo: the main job on the project's own sample data. Generates throwaway keys, starts
// the correlator and the REAL sensors of the sample province (docs/adr/0015-demo-real-sensors.md):
//   - examples/logs/<sensor>/*.log: one soc-log-sensor per folder, following copies of the
//     files in the demo's temporary folder, to which the demo appends the sample lines at
//     --rate (so the live view is a live stream);
//   - examples/pcap/<sensor>.pcap: one soc-packet-sensor --read per capture, sending to the
//     correlator; when this build's packet sensor cannot send with --read yet, the capture is
//     decoded offline by the same sensor and sent with `socctl send` (said in the view);
//   - examples/events/<sensor>.jsonl of sensors that have neither: `socctl send`, as before.
// The correlator gets --rules/--alerts-out/--inventory/--baseline when its --help lists them;
// the live view shows the alerts it publishes and one status line per site of the inventory.
// Ctrl-C stops everything and removes the temporary folder; --once feeds every sample once at
// full speed, prints a summary and exits 0 when every event was counted by the correlator.
#include <fmt/core.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "core/json_codec.h"
#include "core/line_reader.h"
#include "core/shipped_paths.h"
#include "core/transport/keys.h"
#include "core/transport/publisher.h"
#include "daemon/inventory/loader.h"
#include "soc_build_config.h"
#include "socctl/commands.h"
#include "socctl/demo_alertmanager.h"
#include "socctl/demo_report.h"
#include "socctl/process.h"

namespace soc::ctl {

void add_demo(config::Command& root, DemoOptions& o, config::Command*& cmd) {
  cmd = &root.subcommand("demo", "Run the whole system on the project's sample data, with a live view");
  cmd->flag("once", o.once, "Feed the samples once at full speed, print a summary and exit")
      .option("examples", o.examples, "Folder of the sample data (default: examples/ of the source tree)")
      .option("metrics", o.metrics, "ADDR:PORT where the correlator serves /metrics (another port if taken)")
      .option("rate", o.rate, "Log lines (or events) per second per sensor in the live view (0: as fast as possible)")
      .option("report-dir", o.report_dir,
              "Where to write the compliance report of the run at its end (default: a new soc-demo-report.* folder in "
              "$TMPDIR)");
}

namespace {

namespace fs = std::filesystem;
namespace inv = soc::daemon::inventory;
using Clock = std::chrono::steady_clock;
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

// The sample logs are written in the province's local time (examples/gen_logs.py); syslog
// timestamps carry no zone, so the log sensors are told.
constexpr const char* kSampleTimezone = "+07:00";
// In the live view a capture is read again this long after its sensor finished it.
constexpr auto kPacketRerun = std::chrono::seconds(5);

enum class Kind { Log, Packet, Events };

struct SampleSensor {
  std::string id;
  std::string site;
  Kind kind = Kind::Events;
  std::vector<std::string> sources;  // log files, the capture, or the events file
  std::string send_file;             // what `socctl send` sends (events, or the decoded capture)
  bool packet_fallback = false;      // the capture goes through `socctl send`
  double span_s = 0;                 // a capture's duration, from its first to its last flow
  std::string how;                   // the process that feeds it, for the view
  uint64_t expected = 0;             // events the correlator must count (--once)
  uint64_t seen = 0;                 // events seen on the live feed
  uint64_t seen_last = 0;
  uint64_t alerts = 0;
  Clock::time_point last_seen{};
  std::string last_dataset;
  std::deque<std::string> latest;  // the last few events, summarized
  Child proc;
  bool started = false;
  Clock::time_point finished_at{};
  // Log sensors: (destination file, line) in the order the demo appends them.
  std::vector<std::pair<size_t, std::string>> lines;
  std::vector<std::string> dest_files;
  std::vector<std::shared_ptr<std::ofstream>> dest;
  size_t next_line = 0;
  double appended = 0;
};

std::string find_binary(const std::string& name, const std::string& build_subdir) {
  const std::string dir = self_dir();
  for (const std::string& candidate : {dir + "/../" + build_subdir + "/" + name, dir + "/" + name}) {
    if (access(candidate.c_str(), X_OK) == 0) return fs::canonical(candidate).string();
  }
  return name;  // rely on PATH
}

std::string find_examples(const std::string& given) {
  if (!given.empty()) return given;
  for (const std::string& candidate : {shipped_path("examples", "examples"), self_dir() + "/../../examples"}) {
    if (fs::is_directory(candidate)) return candidate;
  }
  return "examples";
}

std::string find_rules(const std::string& examples) {
  for (const std::string& candidate :
       {examples + "/../rules", shipped_path("rules", "rules")}) {
    if (fs::is_directory(candidate)) return fs::canonical(candidate).string();
  }
  return "";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Non-blank lines of a file, each with `visit(line)`.
template <typename F>
uint64_t for_each_line(const std::string& path, F&& visit) {
  LineReader r;
  if (!r.open(path)) return 0;
  std::string_view line;
  bool truncated;
  uint64_t n = 0;
  while (r.next(line, truncated)) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    ++n;
    visit(line);
  }
  return n;
}

// One line for the live view: what the event says, in a few words.
std::string summarize(const Event& e) {
  auto s = [&](std::string_view k) { return std::string(e.get_string(k)); };
  auto text = [&](std::string_view k) {
    const Value* v = e.find(k);
    return v ? v->to_text() : std::string();
  };
  const std::string ds = s("event.dataset");
  if (ds == "flow" || ds == "ndpi.risk") {
    std::string out =
        fmt::format("{}:{} -> {}:{} {} {}", text("source.ip"), text("source.port"), text("destination.ip"),
                    text("destination.port"), s("network.transport"), s("ndpi.protocol"));
    if (auto* sni = e.find("tls.client.server_name"))
      out += " " + sni->to_text();
    else if (auto* q = e.find("dns.question.name"))
      out += " " + q->to_text();
    else if (auto* d = e.find("url.domain"))
      out += " " + d->to_text();
    const std::string risks = text("ndpi.risk");
    if (!risks.empty()) out += " [" + risks + "]";
    return out;
  }
  std::string out = s("event.action");
  if (!s("event.outcome").empty()) out += " " + s("event.outcome");
  if (e.contains("user.name")) out += " user=" + text("user.name");
  if (e.contains("source.ip")) out += " from " + text("source.ip");
  if (e.contains("url.original"))
    out += " " + text("url.original");
  else if (e.contains("destination.port"))
    out += " to port " + text("destination.port");
  if (out.find_first_not_of(' ') == std::string::npos) out = s("message");
  return out;
}

std::string fit(std::string s, size_t width) {
  if (s.size() > width) s = s.substr(0, width - 1) + "~";
  return s;
}

// Parses the text exposition: value of `name` for the series whose labels include every
// `want` pair.
double metric_value(const std::string& body, const std::string& name, const std::vector<std::string>& want) {
  double total = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find('\n', pos);
    if (eol == std::string::npos) eol = body.size();
    std::string_view line(body.data() + pos, eol - pos);
    pos = eol + 1;
    if (line.empty() || line[0] == '#' || line.substr(0, name.size()) != name) continue;
    if (line.size() <= name.size() || (line[name.size()] != '{' && line[name.size()] != ' ')) continue;
    bool ok = true;
    for (const auto& w : want) ok = ok && line.find(w) != std::string_view::npos;
    if (!ok) continue;
    const auto sp = line.rfind(' ');
    total += std::atof(std::string(line.substr(sp + 1)).c_str());
  }
  return total;
}

// Finds the sample sensors of `examples`: log folders, captures, then events files of the
// sensors that have neither.
std::vector<SampleSensor> discover(const std::string& examples) {
  std::map<std::string, SampleSensor> found;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(examples + "/logs", ec)) {
    if (!dir.is_directory()) continue;
    SampleSensor s;
    s.id = dir.path().filename().string();
    s.kind = Kind::Log;
    for (const auto& f : fs::directory_iterator(dir.path(), ec)) {
      if (f.path().extension() == ".log") s.sources.push_back(f.path().string());
    }
    std::sort(s.sources.begin(), s.sources.end());
    if (!s.sources.empty()) found.emplace(s.id, std::move(s));
  }
  for (const auto& f : fs::directory_iterator(examples + "/pcap", ec)) {
    if (f.path().extension() != ".pcap" && f.path().extension() != ".pcapng") continue;
    SampleSensor s;
    s.id = f.path().stem().string();
    s.kind = Kind::Packet;
    s.sources.push_back(f.path().string());
    found.emplace(s.id, std::move(s));
  }
  for (const auto& f : fs::directory_iterator(examples + "/events", ec)) {
    if (f.path().extension() != ".jsonl") continue;
    SampleSensor s;
    s.id = f.path().stem().string();
    s.kind = Kind::Events;
    s.sources.push_back(f.path().string());
    s.send_file = s.sources[0];
    found.emplace(s.id, std::move(s));  // no-op when the sensor has real samples
  }
  std::vector<SampleSensor> out;
  for (auto& [id, s] : found) out.push_back(std::move(s));
  return out;
}

// The local wall-clock time a sample line was logged at, as seconds since an arbitrary origin
// (month, day and time only: the samples of one sensor span hours of one year, in one zone).
// Knows the formats of the samples: syslog (RFC 3164 "Nov 20 15:02:54"), nginx/Apache access
// ("[20/Nov/2026:15:02:54 +0700]") and FortiGate ("date=2026-11-20 time=15:02:54").
std::optional<int64_t> sample_time(std::string_view line) {
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  auto month = [](std::string_view m) -> int {
    const auto at = kMonths.find(m);
    return m.size() == 3 && at != std::string_view::npos && at % 3 == 0 ? static_cast<int>(at / 3) + 1 : 0;
  };
  auto num = [](std::string_view t, size_t at, size_t n) -> int {
    if (at + n > t.size()) return -1;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  auto key = [](int mon, int day, int h, int m, int sec) -> std::optional<int64_t> {
    if (mon < 1 || day < 1 || h < 0 || m < 0 || sec < 0) return std::nullopt;
    return ((static_cast<int64_t>(mon) * 32 + day) * 24 + h) * 3600 + m * 60 + sec;
  };
  if (line.size() >= 15 && month(line.substr(0, 3)) && line[3] == ' ') {  // "Nov 20 15:02:54"
    const int day = line[4] == ' ' ? num(line, 5, 1) : num(line, 4, 2);
    return key(month(line.substr(0, 3)), day, num(line, 7, 2), num(line, 10, 2), num(line, 13, 2));
  }
  if (auto at = line.find(" ["); at != std::string_view::npos && at + 22 <= line.size()) {  // access log
    const std::string_view t = line.substr(at + 2);
    return key(month(t.substr(3, 3)), num(t, 0, 2), num(t, 12, 2), num(t, 15, 2), num(t, 18, 2));
  }
  if (line.rfind("date=", 0) == 0 && line.size() >= 35 && line.substr(15, 6) == " time=") {  // FortiGate
    return key(num(line, 10, 2), num(line, 13, 2), num(line, 21, 2), num(line, 24, 2), num(line, 27, 2));
  }
  return std::nullopt;
}

// Merges the files' lines in the order they were logged (each file keeps its own order; a line
// without a time it knows takes its predecessor's), so that at any rate every file of a log
// sensor advances through the same minutes: the correlator's windows and lateness run per
// sensor, and a file appended an hour behind its neighbour would be late for them.
void plan_log_lines(SampleSensor& s, const std::string& dest_dir) {
  struct Tagged {
    int64_t time;
    size_t file;
    std::string line;
  };
  std::vector<Tagged> all;
  for (size_t i = 0; i < s.sources.size(); ++i) {
    int64_t last = 0;
    for_each_line(s.sources[i], [&](std::string_view l) {
      if (auto t = sample_time(l)) last = std::max(last, *t);
      all.push_back({last, i, std::string(l)});
    });
    s.dest_files.push_back(dest_dir + "/" + fs::path(s.sources[i]).filename().string());
  }
  std::stable_sort(all.begin(), all.end(), [](const Tagged& a, const Tagged& b) { return a.time < b.time; });
  for (auto& t : all) s.lines.emplace_back(t.file, std::move(t.line));
  s.expected = s.lines.size();
}

// Appends up to `n` planned lines to the followed files; with `loop`, starts over at the end.
void append_lines(SampleSensor& s, size_t n, bool loop) {
  if (s.dest.empty()) {
    for (const auto& f : s.dest_files)
      s.dest.push_back(std::make_shared<std::ofstream>(f, std::ios::app | std::ios::binary));
  }
  std::set<size_t> touched;
  for (size_t k = 0; k < n; ++k) {
    if (s.next_line >= s.lines.size()) {
      if (!loop || s.lines.empty()) break;
      s.next_line = 0;
    }
    const auto& [file, line] = s.lines[s.next_line++];
    *s.dest[file] << line << '\n';
    touched.insert(file);
  }
  for (size_t f : touched) s.dest[f]->flush();
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}

// Each sensor's feed, prepared in `tmp`: captures are decoded offline first (the count of flows
// the sensor makes of them is what the correlator must count, and the decoded events are the
// fallback's input); log files are planned line by line for appending.
Result<void> prepare_feeds(std::vector<SampleSensor>& sensors, const std::string& tmp,
                           const std::string& packet_sensor_bin) {
  std::error_code ec;
  for (auto& s : sensors) {
    if (s.kind == Kind::Events) {
      s.expected = for_each_line(s.send_file, [](std::string_view) {});
      s.how = "socctl send";
    } else if (s.kind == Kind::Packet) {
      s.send_file = tmp + "/" + s.id + ".decoded.jsonl";
      auto c = Child::spawn({"/bin/sh", "-c", "exec \"$0\" --read \"$1\" --sensor-id \"$2\" --site \"$3\" > \"$4\"",
                             packet_sensor_bin, s.sources[0], s.id, s.site, s.send_file},
                            tmp + "/" + s.id + ".decode.log");
      if (!c || c->wait() != 0) {
        return fail("demo", fmt::format("{} --read {} failed: {}", packet_sensor_bin, s.sources[0],
                                        read_all(tmp + "/" + s.id + ".decode.log")));
      }
      std::optional<Timestamp> first, last;
      s.expected = for_each_line(s.send_file, [&](std::string_view line) {
        auto ev = decode_event(line);
        if (!ev) return;
        auto time_of = [&](std::string_view key) -> std::optional<Timestamp> {
          const Value* v = ev->find(key);
          return v ? parse_rfc3339(v->to_text()) : std::nullopt;
        };
        auto t0 = time_of("event.start");
        auto t1 = time_of("@timestamp");
        if (t0 && (!first || *t0 < *first)) first = t0;
        if (t1 && (!last || *t1 > *last)) last = t1;
      });
      if (first && last && *last > *first) s.span_s = std::chrono::duration<double>(*last - *first).count();
      s.how = "soc-packet-sensor --read " + fs::path(s.sources[0]).filename().string();
    } else {
      const std::string dir = tmp + "/logs/" + s.id;
      fs::create_directories(dir, ec);
      plan_log_lines(s, dir);
      std::vector<std::string> names;
      for (const auto& f : s.sources) names.push_back(fs::path(f).filename().string());
      s.how = "soc-log-sensor --file " + join(names, ",");
    }
  }
  return {};
}

// Throwaway keys in `tmp`, the allowlist that binds them (tmp/allow.yaml), and the inventory
// with them in place of its placeholders (the sensors the demo does not start keep theirs, and
// stay silent). Returns the demo's inventory path, empty when the examples have none.
Result<std::string> make_keys_and_inventory(const std::vector<SampleSensor>& sensors, const std::string& tmp,
                                            const std::string& inventory_path) {
  std::string allow = "sensors:\n";
  std::map<std::string, std::string> pubkeys;
  std::vector<std::string> names{"correlator"};
  for (auto& s : sensors) names.push_back(s.id);
  for (const auto& name : names) {
    auto kp = transport::generate_key_pair();
    if (!kp || !transport::write_key_files(tmp + "/" + name, *kp, true)) return fail("demo", "cannot make keys in " + tmp);
    pubkeys[name] = z85_encode_key(kp->public_key);
  }
  for (const auto& s : sensors) {
    allow += fmt::format("  - {{id: {}, site: {}, public_key: \"{}\"}}\n", s.id, s.site, pubkeys[s.id]);
  }
  std::ofstream(tmp + "/allow.yaml") << allow;
  if (!fs::exists(inventory_path)) return std::string();
  std::istringstream in(read_all(inventory_path));
  std::ostringstream out;
  for (std::string line; std::getline(in, line);) {
    for (const auto& s : sensors) {
      const auto id_at = line.find("id: " + s.id + ",");
      const auto key_at = line.find("public_key: \"");
      if (id_at == std::string::npos || key_at == std::string::npos) continue;
      const auto value = key_at + 13;
      const auto end = line.find('"', value);
      if (end != std::string::npos) line.replace(value, end - value, pubkeys[s.id]);
    }
    out << line << '\n';
  }
  const std::string demo_inventory = tmp + "/inventory.yaml";
  std::ofstream(demo_inventory) << out.str();
  return demo_inventory;
}

}  // namespace

int run_demo(const DemoOptions& o, const char*) {
  const std::string examples = find_examples(o.examples);
  std::vector<SampleSensor> sensors = discover(examples);
  if (sensors.empty()) {
    std::fprintf(
        stderr,
        "socctl demo: no sample data in %s (logs/, pcap/ or events/; see examples/README.md), or give --examples\n",
        examples.c_str());
    return 1;
  }

  // The province: sites and sensors from the inventory; sample sensors take their site from it.
  const std::string inventory_path = examples + "/inventory.yaml";
  inv::Inventory province;
  {
    std::vector<Diagnostic> diags;
    std::string source;
    if (fs::exists(inventory_path) && !inv::load_inventory(inventory_path, province, diags, source)) {
      std::fprintf(stderr, "socctl demo: %s does not load (socctl inventory check tells why); sites are guessed\n",
                   inventory_path.c_str());
      province = {};
    }
  }
  for (auto& s : sensors) {
    for (const auto& known : province.sensors) {
      if (known.id == s.id) s.site = known.site;
    }
    if (s.site.empty() && s.kind == Kind::Events) {
      for_each_line(s.send_file, [&](std::string_view line) {
        if (s.site.empty()) {
          if (auto e = decode_event(line)) s.site = std::string(e->get_string("site.id"));
        }
      });
    }
    if (s.site.empty()) s.site = "demo";
  }

  const char* tmpdir = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/soc-demo.XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    std::perror("socctl demo: mkdtemp");
    return 1;
  }
  const std::string tmp = tmpl;
  std::error_code ec;
  // An Alertmanager on loopback when one is installed, where the alerts go (socctl/demo_alertmanager.h).
  std::optional<DemoAlertmanager> alertmanager;
  std::string alertmanager_note;  // why there is none
  auto cleanup = [&] {
    if (alertmanager) alertmanager->stop();
    fs::remove_all(tmp, ec);
  };
  auto fail = [&](const std::string& what) {
    std::fprintf(stderr, "socctl demo: %s\n", what.c_str());
    cleanup();
    return 1;
  };

  const std::string socctl = fs::canonical("/proc/self/exe").string();
  const std::string correlator_bin = find_binary("soc-correlator", "daemon");
  const std::string log_sensor_bin = find_binary("soc-log-sensor", "sensors/log");
  const std::string packet_sensor_bin = find_binary("soc-packet-sensor", "sensors/packet");

  if (auto prepared = prepare_feeds(sensors, tmp, packet_sensor_bin); !prepared) return fail(prepared.error().message);
  auto made = make_keys_and_inventory(sensors, tmp, inventory_path);
  if (!made) return fail(made.error().message);
  const std::string demo_inventory = *made;

  // Ports: the metrics port asked for when it is free, fresh ones for the rest.
  std::string metrics = o.metrics;
  int metrics_port = std::atoi(metrics.substr(metrics.rfind(':') + 1).c_str());
  if (metrics_port <= 0 || port_open(metrics_port)) {
    const int p = free_port();
    std::fprintf(stderr, "socctl demo: %s is taken, serving metrics on 127.0.0.1:%d instead\n", metrics.c_str(), p);
    metrics_port = p;
    metrics = fmt::format("127.0.0.1:{}", p);
  }
  const std::string listen = fmt::format("tcp://127.0.0.1:{}", free_port());
  const std::string publish = fmt::format("tcp://127.0.0.1:{}", free_port());
  if (auto am = DemoAlertmanager::start(tmp + "/alertmanager")) {
    alertmanager = std::move(*am);
    std::printf("Alerts are delivered to Alertmanager at %s (where on-call is paged from; open it in a browser)\n",
                alertmanager->url().c_str());
    std::fflush(stdout);
  } else {
    alertmanager_note = am.error().code == "missing" ? "no Alertmanager: prometheus-alertmanager is not installed"
                                                      : "no Alertmanager: it did not start";
    std::fprintf(stderr, "socctl demo: %s; the demo goes on without it\n", am.error().message.c_str());
  }

  // What this correlator can do: the rule engine and the inventory arrive on other branches;
  // the demo passes their flags as soon as --help lists them.
  std::vector<std::string> correlator_args{correlator_bin,
                                           "--listen",
                                           listen,
                                           "--server-key",
                                           tmp + "/correlator.key",
                                           "--allow",
                                           tmp + "/allow.yaml",
                                           "--metrics",
                                           metrics,
                                           "--publish",
                                           publish,
                                           "--events-out",
                                           tmp + "/events.jsonl"};
  std::vector<std::string> features, missing;
  {
    auto help = Child::spawn({correlator_bin, "--help"}, tmp + "/correlator-help.txt");
    const std::string text = help ? (help->wait(), read_all(tmp + "/correlator-help.txt")) : "";
    auto has = [&](const char* flag) { return text.find(flag) != std::string::npos; };
    const std::string rules = find_rules(examples);
    if (has("--rules") && !rules.empty()) {
      correlator_args.insert(correlator_args.end(), {"--rules", rules});
      features.push_back("rules");
    } else {
      missing.push_back("rules");
    }
    if (has("--alerts-out")) correlator_args.insert(correlator_args.end(), {"--alerts-out", tmp + "/alerts.jsonl"});
    // A scratch state directory (ADR 0018): the alert store, so that `socctl alerts list` and
    // `socctl tail --alerts` show the demo's alerts while it runs.
    if (has("--state-dir")) correlator_args.insert(correlator_args.end(), {"--state-dir", tmp + "/state"});
    if (has("--inventory") && !demo_inventory.empty()) {
      correlator_args.insert(correlator_args.end(), {"--inventory", demo_inventory});
      features.push_back("inventory");
      if (has("--baseline") && fs::exists(examples + "/baseline.yaml")) {
        correlator_args.insert(correlator_args.end(), {"--baseline", examples + "/baseline.yaml"});
        features.push_back("baseline");
      }
    } else {
      missing.push_back("inventory");
    }
    if (alertmanager && has("--alertmanager")) {
      correlator_args.insert(correlator_args.end(),
                             {"--alertmanager", alertmanager->url(), "--external-url", "http://" + metrics});
      features.push_back("Alertmanager");
    }
  }

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  auto correlator = Child::spawn(correlator_args, tmp + "/correlator.log");
  if (!correlator) return fail(correlator.error().message);
  const auto start = Clock::now();
  while (!port_open(metrics_port)) {
    if (!correlator->running() || Clock::now() - start > std::chrono::seconds(10)) {
      correlator->stop();
      return fail("the correlator did not start; its log:\n" + read_all(tmp + "/correlator.log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto feed = transport::Subscriber::connect(publish, {"event", "heartbeat", "alert"});
  if (!feed) {
    correlator->stop();
    return fail(feed.error().message);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the subscription reach the correlator

  auto key_args = [&](const SampleSensor& s) {
    return std::vector<std::string>{"--connect",    listen,
                                    "--server-pub", tmp + "/correlator.pub",
                                    "--key",        tmp + "/" + s.id + ".key",
                                    "--sensor-id",  s.id,
                                    "--site",       s.site};
  };
  auto start_sender = [&](SampleSensor& s) -> bool {
    std::vector<std::string> args{socctl, "send"};
    auto k = key_args(s);
    args.insert(args.end(), k.begin(), k.end());
    args.insert(args.end(), {"--heartbeat", "2"});
    if (!o.once) args.insert(args.end(), {"--loop", "--rate", fmt::format("{}", o.rate)});
    args.push_back(s.send_file);
    auto c = Child::spawn(args, tmp + "/" + s.id + ".log");
    if (!c) return false;
    s.proc = *c;
    s.started = true;
    return true;
  };
  // Live, a capture plays at the pace of its packets, sped up so that it lasts as long as
  // its events take at --rate (the sensor's --replay-speed, when it has one).
  bool packet_paces = false;
  if (!o.once) {
    auto help = Child::spawn({packet_sensor_bin, "--help"}, tmp + "/packet-help.txt");
    packet_paces =
        help && help->wait() == 0 && read_all(tmp + "/packet-help.txt").find("--replay-speed") != std::string::npos;
  }
  auto start_packet_sensor = [&](SampleSensor& s) -> bool {
    std::vector<std::string> args{packet_sensor_bin, "--read", s.sources[0], "--heartbeat", "2"};
    if (packet_paces && o.rate > 0 && s.span_s > 0 && s.expected > 0) {
      const double speed = std::max(1.0, s.span_s * o.rate / static_cast<double>(s.expected));
      args.insert(args.end(), {"--replay-speed", fmt::format("{:.1f}", speed)});
    }
    auto k = key_args(s);
    args.insert(args.end(), k.begin(), k.end());
    // Its stdout separately: a sensor that cannot send with --read prints the events there.
    std::vector<std::string> sh{"/bin/sh", "-c", "exec \"$@\" 2>>\"$0.log\" >\"$0.stdout\"", tmp + "/" + s.id};
    sh.insert(sh.end(), args.begin(), args.end());
    auto p = Child::spawn(sh, "");
    if (!p) return false;
    s.proc = *p;
    s.started = true;
    return true;
  };
  auto start_log_sensor = [&](SampleSensor& s) -> bool {
    std::vector<std::string> args{log_sensor_bin,
                                  "--file",
                                  tmp + "/logs/" + s.id + "/*.log",
                                  "--checkpoint",
                                  tmp + "/" + s.id + ".checkpoint",
                                  "--file-start",
                                  "beginning",
                                  "--timezone",
                                  kSampleTimezone};
    auto k = key_args(s);
    args.insert(args.end(), k.begin(), k.end());
    auto c = Child::spawn(args, tmp + "/" + s.id + ".log");
    if (!c) return false;
    s.proc = *c;
    s.started = true;
    return true;
  };

  // With --once the log files are complete before their sensors start; live, they grow.
  for (auto& s : sensors) {
    if (s.kind == Kind::Log) append_lines(s, o.once ? s.lines.size() : 0, false);
  }
  bool start_failed = false;
  for (auto& s : sensors) {
    bool ok = true;
    if (s.kind == Kind::Events)
      ok = start_sender(s);
    else if (s.kind == Kind::Log)
      ok = start_log_sensor(s);
    else
      ok = start_packet_sensor(s);
    if (!ok) {
      std::fprintf(stderr, "socctl demo: cannot start the process of %s\n", s.id.c_str());
      start_failed = true;
      g_stop = true;
      break;
    }
  }

  const bool tty = isatty(STDOUT_FILENO);
  uint64_t heartbeats = 0, alerts_total = 0;
  std::deque<std::string> alert_lines;
  std::map<std::string, uint64_t> alerts_by_rule, alerts_by_site;
  std::map<std::string, Clock::time_point> last_heard;  // by sensor id: events and heartbeats
  auto last_draw = Clock::now() - std::chrono::seconds(10);
  std::string topic, json;
  Event e;
  const bool rules_on = std::find(features.begin(), features.end(), "rules") != features.end();
  const std::string mode = features.empty() ? "counting only" : "with " + join(features, ", ");
  const std::string absent = missing.empty() ? "" : "; this correlator has no --" + join(missing, ", --") + " yet";

  auto site_lines = [&](bool final) {
    std::string out;
    std::vector<std::string> site_ids;
    for (const auto& site : province.sites) site_ids.push_back(site.id);
    for (const auto& s : sensors) {
      if (std::find(site_ids.begin(), site_ids.end(), s.site) == site_ids.end()) site_ids.push_back(s.site);
    }
    const auto now = Clock::now();
    for (const auto& site : site_ids) {
      std::vector<std::string> ids;
      for (const auto& known : province.sensors) {
        if (known.site == site) ids.push_back(known.id);
      }
      for (const auto& s : sensors) {
        if (s.site == site && std::find(ids.begin(), ids.end(), s.id) == ids.end()) ids.push_back(s.id);
      }
      uint64_t events = 0;
      for (const auto& s : sensors) {
        if (s.site == site) events += s.seen;
      }
      std::vector<std::string> silent;
      size_t reporting = 0;
      for (const auto& id : ids) {
        auto it = last_heard.find(id);
        const bool fresh = it != last_heard.end() && (final || now - it->second < std::chrono::seconds(30));
        if (fresh)
          ++reporting;
        else
          silent.push_back(id);
      }
      std::string status;
      if (ids.empty())
        status = "NO SENSOR";
      else if (!silent.empty())
        status = "SILENT: " + join(silent, ", ");
      else
        status = "ok";
      const auto alerts = alerts_by_site.count(site) ? alerts_by_site.at(site) : 0;
      out += fmt::format("  {:<14} sensors {}/{} reporting  events {:>7}  alerts {:>4}  {}\n", site, reporting,
                         ids.size(), events, alerts, status);
    }
    return out;
  };

  auto draw = [&](bool final) {
    const auto now = Clock::now();
    const double secs = std::chrono::duration<double>(now - last_draw).count();
    std::string out;
    if (tty && !final) out += "\x1b[H\x1b[2J";
    out += fmt::format("SOC demo: correlator {} ({}{})  console http://{}/  metrics http://{}/metrics  live feed {}\n",
                       listen, mode, absent, metrics, metrics, publish);
    out += alertmanager ? fmt::format("Alerts are delivered to Alertmanager at {} (where on-call is paged from)\n",
                                      alertmanager->url())
                        : fmt::format("Alerts go to no Alertmanager ({})\n", alertmanager_note);
    out += fmt::format("{:<18} {:<13} {:>8} {:>7}  {:<14} {}\n", "sensor", "site", "events", "per s", "last dataset",
                       "fed by");
    for (auto& s : sensors) {
      out += fmt::format("{:<18} {:<13} {:>8} {:>7.0f}  {:<14} {}\n", s.id, s.site, s.seen,
                         secs > 0 ? static_cast<double>(s.seen - s.seen_last) / secs : 0.0, s.last_dataset,
                         fit(s.how, 60));
      s.seen_last = s.seen;
    }
    out += "Sites:\n" + site_lines(false);
    out += fmt::format("Alerts: {}   heartbeats: {}\n", alerts_total, heartbeats);
    if (alert_lines.empty()) {
      out += rules_on ? "  (none yet)\n" : "  (none: this correlator does not evaluate rules yet)\n";
    }
    for (const auto& a : alert_lines) out += "  " + a + "\n";
    out += "Latest events:\n";
    for (const auto& s : sensors) {
      for (const auto& l : s.latest) out += "  " + l + "\n";
    }
    if (tty) out += "Ctrl-C stops the demo.\n";
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
    last_draw = now;
  };

  auto on_message = [&](bool keep_latest) {
    if (topic == "alert") {
      ++alerts_total;
      if (decode_event_into(json, e)) return;
      const std::string rule = std::string(e.get_string("rule.name"));
      ++alerts_by_rule[rule.empty() ? std::string(e.get_string("rule.id")) : rule];
      const std::string site = std::string(e.get_string("site.id"));
      ++alerts_by_site[site];
      for (auto& s : sensors) {
        if (s.site == site) ++s.alerts;
      }
      const Value* ts = e.find("@timestamp");
      const Value* src = e.find("source.ip");
      alert_lines.push_back(fit(fmt::format("{} {:<8} {:<13} {:<40} {:<15} {}", ts ? ts->to_text().substr(11, 8) : "",
                                            e.contains("event.severity") ? e.find("event.severity")->to_text() : "",
                                            site, fit(rule, 40), src ? src->to_text() : "", e.get_string("message")),
                                150));
      if (alert_lines.size() > 8) alert_lines.pop_front();
      return;
    }
    if (decode_event_into(json, e)) return;
    const std::string who(e.get_string("observer.name"));
    if (!who.empty()) last_heard[who] = Clock::now();
    if (topic == "heartbeat") {
      ++heartbeats;
      return;
    }
    for (auto& s : sensors) {
      if (s.id != who) continue;
      ++s.seen;
      if (!keep_latest) break;
      s.last_dataset = std::string(e.get_string("event.dataset"));
      const Value* ts = e.find("@timestamp");
      s.latest.push_back(fit(fmt::format("{} {:<16} {:<13} {}", ts ? ts->to_text().substr(11, 8) : "", who,
                                         e.get_string("event.dataset"), summarize(e)),
                             150));
      if (s.latest.size() > 3) s.latest.pop_front();
    }
  };

  // --once: the correlator's count per sensor, polled until the log sensors (which follow
  // their files forever) have delivered everything, or nothing moved for a while.
  auto received = [&](const std::string& body, const SampleSensor& s) {
    return metric_value(body, "soc_events_received_total", {fmt::format("sensor=\"{}\"", s.id)});
  };
  auto last_progress = Clock::now();
  double last_total = -1;
  auto next_poll = Clock::now();
  const auto live_start = Clock::now();
  const auto interval = std::chrono::seconds(tty ? 1 : 5);
  bool stalled = false;
  int failed = start_failed ? 1 : 0;
  while (!g_stop) {
    if ((*feed)->next(topic, json, std::chrono::milliseconds(50))) on_message(true);
    const auto now = Clock::now();
    if (!correlator->running()) {
      std::fprintf(stderr, "socctl demo: the correlator stopped (exit %d); its log:\n%s", correlator->exit_code(),
                   read_all(tmp + "/correlator.log").c_str());
      break;
    }
    bool sensor_died = false;
    for (auto& s : sensors) {
      if (!s.started || s.proc.running()) continue;
      if (s.kind == Kind::Log) {  // a log sensor follows its files until stopped
        std::fprintf(stderr, "socctl demo: the log sensor %s stopped (exit %d); its log:\n%s", s.id.c_str(),
                     s.proc.exit_code(), read_all(tmp + "/" + s.id + ".log").c_str());
        sensor_died = true;
        break;
      }
      if (s.finished_at == Clock::time_point{}) s.finished_at = now;
      if (s.kind != Kind::Packet || s.packet_fallback) continue;
      // A packet sensor that printed events instead of sending them cannot send with --read:
      // its capture goes through socctl send instead (the fallback of ADR 0015).
      uint64_t printed = 0;
      for_each_line(tmp + "/" + s.id + ".stdout", [&](std::string_view l) { printed += l.front() == '{'; });
      if (printed > 0) {
        s.packet_fallback = true;
        s.how = "socctl send of the capture decoded offline (fallback: soc-packet-sensor --read does not send yet)";
        s.finished_at = {};
        if (!start_sender(s)) g_stop = true;
      } else if (!o.once && now - s.finished_at > kPacketRerun) {
        s.finished_at = {};
        if (!start_packet_sensor(s)) g_stop = true;
      }
    }
    if (sensor_died) {
      ++failed;
      break;
    }
    if (!o.once) {
      for (auto& s : sensors) {
        if (s.kind != Kind::Log) continue;
        const double due =
            o.rate > 0 ? o.rate * std::chrono::duration<double>(now - live_start).count() : s.appended + 5000;
        const auto n = static_cast<size_t>(std::max(0.0, due - s.appended));
        if (n == 0) continue;
        append_lines(s, n, true);
        s.appended += static_cast<double>(n);
      }
      if (now - last_draw >= interval) draw(false);
      continue;
    }
    if (now < next_poll) continue;
    next_poll = now + std::chrono::milliseconds(300);
    bool done = true;
    for (auto& s : sensors) {
      if (s.kind != Kind::Log && (s.proc.running() || (s.kind == Kind::Packet && s.finished_at == Clock::time_point{})))
        done = false;
    }
    auto body = http_get(metrics_port, "/metrics");
    if (!body) continue;
    double total = 0;
    for (auto& s : sensors) {
      const double r = received(*body, s);
      total += r;
      if (s.kind == Kind::Log && r < static_cast<double>(s.expected)) done = false;
    }
    if (total != last_total) {
      last_total = total;
      last_progress = now;
    }
    if (done) break;
    if (now - last_progress > std::chrono::seconds(20)) {
      stalled = true;
      std::fprintf(stderr, "socctl demo: nothing new arrived for 20 s; giving up waiting\n");
      break;
    }
  }

  // Stop the feeders first (they flush what they sent), then read the counts, then the correlator.
  for (auto& s : sensors) {
    if (!s.started) continue;
    const bool runs_forever = s.kind == Kind::Log || !o.once;
    const int code = runs_forever ? s.proc.stop() : s.proc.wait();
    if (o.once && !runs_forever && code != 0) {
      ++failed;
      std::fprintf(stderr, "socctl demo: the process feeding %s exited %d; its log:\n%s", s.id.c_str(), code,
                   read_all(tmp + "/" + s.id + ".log").c_str());
    }
  }
  // Drain what the feed still holds (late alerts of the last events), for the final counts.
  while ((*feed)->next(topic, json, std::chrono::milliseconds(500))) on_message(false);
  auto body = http_get(metrics_port, "/metrics");
  correlator->stop();  // its sinks deliver what they hold before it exits

  // Alerts per rule: from the correlator's alert log when it writes one, else from the feed.
  if (fs::exists(tmp + "/alerts.jsonl")) {
    alerts_by_rule.clear();
    alerts_by_site.clear();
    alerts_total = 0;
    for_each_line(tmp + "/alerts.jsonl", [&](std::string_view line) {
      ++alerts_total;
      if (auto a = decode_event(line)) {
        std::string rule(a->get_string("rule.name"));
        ++alerts_by_rule[rule.empty() ? std::string(a->get_string("rule.id")) : rule];
        ++alerts_by_site[std::string(a->get_string("site.id"))];
      }
    });
  }

  std::printf("\nSummary (events from the correlator's /metrics; correlator %s%s):\n", mode.c_str(), absent.c_str());
  std::printf("%-18s %-13s %9s %9s %6s %6s  %s\n", "sensor", "site", "in sample", "received", "lost", "dupl.",
              "fed by");
  bool complete = body.ok() && !stalled;
  for (const auto& s : sensors) {
    double got = 0, lost = 0, dup = 0;
    if (body) {
      const std::string sensor = fmt::format("sensor=\"{}\"", s.id);
      got = received(*body, s);
      lost = metric_value(*body, "soc_events_lost_total", {sensor});
      dup = metric_value(*body, "soc_events_duplicate_total", {sensor});
    }
    std::printf("%-18s %-13s %9llu %9.0f %6.0f %6.0f  %s\n", s.id.c_str(), s.site.c_str(),
                static_cast<unsigned long long>(s.expected), got, lost, dup, s.how.c_str());
    if (o.once && got != static_cast<double>(s.expected)) complete = false;
  }
  std::printf("Sites:\n%s", site_lines(true).c_str());
  std::printf("Alerts per rule: %llu in all\n", static_cast<unsigned long long>(alerts_total));
  if (alerts_by_rule.empty()) {
    std::printf("  (none%s)\n", rules_on ? "" : ": this correlator does not evaluate rules yet");
  }
  std::vector<std::pair<std::string, uint64_t>> by_rule(alerts_by_rule.begin(), alerts_by_rule.end());
  std::stable_sort(by_rule.begin(), by_rule.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [rule, n] : by_rule) std::printf("  %6llu  %s\n", static_cast<unsigned long long>(n), rule.c_str());
  if (!body) std::fprintf(stderr, "socctl demo: cannot read metrics: %s\n", body.error().message.c_str());
  // The auditors' report of the run, from what the correlator recorded (socctl report).
  if (std::find(features.begin(), features.end(), "baseline") != features.end()) {
    auto report = write_demo_report(demo_inventory, examples + "/baseline.yaml",
                                    {tmp + "/events.jsonl", tmp + "/alerts.jsonl"}, o.report_dir);
    if (report)
      std::printf("Compliance report of the sample province (%s):\n  %s\n  %s\n", report->summary.c_str(),
                  report->html.c_str(), report->json.c_str());
    else
      std::fprintf(stderr, "socctl demo: no compliance report: %s\n", report.error().message.c_str());
  }
  if (alertmanager) {
    auto n = alertmanager->active_alerts();
    if (n) std::printf("Alertmanager at %s holds %zu active alerts (grouped by rule and site, as on-call sees them).\n",
                       alertmanager->url().c_str(), *n);
    else std::printf("Alertmanager at %s could not be read: %s\n", alertmanager->url().c_str(), n.error().message.c_str());
  } else {
    std::printf("Alerts went to no Alertmanager (%s).\n", alertmanager_note.c_str());
  }
  cleanup();
  if (o.once) {
    if (failed || !complete) {
      std::printf("Not every sample event was counted.\n");
      return 1;
    }
    std::printf("Every sample event was delivered and counted.\n");
  }
  return 0;
}

}  // namespace soc::ctl
