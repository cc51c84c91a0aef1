// socctl demo: the main job on the project's own sample data. Generates throwaway keys, starts
// the correlator and one sender per sample file of examples/events/ (each file is one sensor;
// later issues add the real sensors on sample captures and logs), and shows what flows through.
// Ctrl-C stops everything and removes the temporary folder; --once replays the samples at full
// speed, prints a summary and exits 0 when every event was counted by the correlator.
#include <dirent.h>
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
#include <thread>

#include "core/json_codec.h"
#include "core/line_reader.h"
#include "core/transport/keys.h"
#include "core/transport/publisher.h"
#include "socctl/commands.h"
#include "socctl/process.h"
#include "soc_build_config.h"

namespace soc::ctl {

void add_demo(config::Command& root, DemoOptions& o, config::Command*& cmd) {
  cmd = &root.subcommand("demo", "Run the whole system on the project's sample data, with a live view");
  cmd->flag("once", o.once, "Replay the samples once at full speed, print a summary and exit")
      .option("examples", o.examples, "Folder of the sample data (default: examples/ of the source tree)")
      .option("metrics", o.metrics, "ADDR:PORT where the correlator serves /metrics (another port if taken)")
      .option("rate", o.rate, "Events per second per sensor in the live view (0: as fast as possible)");
}

namespace {

namespace fs = std::filesystem;
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

struct SampleSensor {
  std::string id;    // the file's stem
  std::string site;  // site.id of its first event
  std::string file;
  uint64_t lines = 0;
  uint64_t seen = 0;  // events seen on the live feed
  uint64_t seen_last = 0;
  std::string last_dataset;
  std::deque<std::string> latest;  // the last few events, summarized
  Child sender;
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
  for (const std::string& candidate : {std::string(SOC_SOURCE_DIR) + "/examples", self_dir() + "/../../examples",
                                       std::string("/usr/share/soc/examples")}) {
    if (fs::is_directory(candidate + "/events")) return candidate;
  }
  return "examples";
}

// One line for the live view: what the event says, in a few words.
std::string summarize(const Event& e) {
  auto s = [&](std::string_view k) { return std::string(e.get_string(k)); };
  auto text = [&](std::string_view k) {
    const Value* v = e.find(k);
    return v ? v->to_text() : std::string();
  };
  const std::string ds = s("event.dataset");
  if (ds == "flow") {
    std::string out = fmt::format("{}:{} -> {}:{} {} {}", text("source.ip"), text("source.port"), text("destination.ip"),
                                  text("destination.port"), s("network.transport"), s("ndpi.protocol"));
    if (auto* sni = e.find("tls.client.server_name")) out += " " + sni->to_text();
    else if (auto* q = e.find("dns.question.name")) out += " " + q->to_text();
    const std::string risks = text("ndpi.risk");
    if (!risks.empty()) out += " [" + risks + "]";
    return out;
  }
  std::string out = s("event.action");
  if (!s("event.outcome").empty()) out += " " + s("event.outcome");
  if (e.contains("user.name")) out += " user=" + text("user.name");
  if (e.contains("source.ip")) out += " from " + text("source.ip");
  if (e.contains("url.path")) out += " " + text("url.path");
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

}  // namespace

int run_demo(const DemoOptions& o, const char*) {
  const std::string examples = find_examples(o.examples);
  std::vector<SampleSensor> sensors;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(examples + "/events", ec)) {
    if (entry.path().extension() != ".jsonl") continue;
    SampleSensor s;
    s.id = entry.path().stem().string();
    s.file = entry.path().string();
    LineReader r;
    if (!r.open(s.file)) continue;
    std::string_view line;
    bool truncated;
    while (r.next(line, truncated)) {
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      if (s.lines++ == 0) {
        if (auto e = decode_event(line)) s.site = std::string(e->get_string("site.id"));
      }
    }
    if (s.site.empty()) s.site = "demo";
    sensors.push_back(std::move(s));
  }
  if (ec || sensors.empty()) {
    std::fprintf(stderr, "socctl demo: no sample events in %s/events (run examples/generate.py, or give --examples)\n",
                 examples.c_str());
    return 1;
  }
  std::sort(sensors.begin(), sensors.end(), [](const auto& a, const auto& b) { return a.id < b.id; });

  const char* tmpdir = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/soc-demo.XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    std::perror("socctl demo: mkdtemp");
    return 1;
  }
  const std::string tmp = tmpl;
  auto cleanup = [&] { fs::remove_all(tmp, ec); };

  // Throwaway keys and the allowlist that binds them.
  std::string allow = "sensors:\n";
  for (const std::string& name : [&] {
         std::vector<std::string> n{"correlator"};
         for (auto& s : sensors) n.push_back(s.id);
         return n;
       }()) {
    auto kp = transport::generate_key_pair();
    if (!kp || !transport::write_key_files(tmp + "/" + name, *kp, true)) {
      std::fprintf(stderr, "socctl demo: cannot make keys in %s\n", tmp.c_str());
      cleanup();
      return 1;
    }
    if (name != "correlator") {
      const auto& s = *std::find_if(sensors.begin(), sensors.end(), [&](auto& x) { return x.id == name; });
      allow += fmt::format("  - {{id: {}, site: {}, public_key: \"{}\"}}\n", s.id, s.site, z85_encode_key(kp->public_key));
    }
  }
  std::ofstream(tmp + "/allow.yaml") << allow;

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
  const std::string socctl = fs::canonical("/proc/self/exe").string();
  const std::string correlator_bin = find_binary("soc-correlator", "daemon");

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  auto correlator = Child::spawn({correlator_bin, "--listen", listen, "--server-key", tmp + "/correlator.key", "--allow",
                                  tmp + "/allow.yaml", "--metrics", metrics, "--publish", publish, "--events-out",
                                  tmp + "/events.jsonl"},
                                 tmp + "/correlator.log");
  if (!correlator) {
    std::fprintf(stderr, "socctl demo: %s\n", correlator.error().message.c_str());
    cleanup();
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  while (!port_open(metrics_port)) {
    if (!correlator->running() || std::chrono::steady_clock::now() - start > std::chrono::seconds(10)) {
      std::fprintf(stderr, "socctl demo: the correlator did not start; its log:\n");
      std::ifstream log(tmp + "/correlator.log");
      std::fprintf(stderr, "%s", std::string(std::istreambuf_iterator<char>(log), {}).c_str());
      correlator->stop();
      cleanup();
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto feed = transport::Subscriber::connect(publish, {"event", "heartbeat", "alert"});
  if (!feed) {
    std::fprintf(stderr, "socctl demo: %s\n", feed.error().message.c_str());
    correlator->stop();
    cleanup();
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the subscription reach the correlator

  for (auto& s : sensors) {
    std::vector<std::string> args{socctl, "send", "--connect", listen, "--server-pub", tmp + "/correlator.pub", "--key",
                                  tmp + "/" + s.id + ".key", "--sensor-id", s.id, "--site", s.site, "--heartbeat", "2"};
    if (!o.once) {
      args.insert(args.end(), {"--loop", "--rate", fmt::format("{}", o.rate)});
    }
    args.push_back(s.file);
    auto c = Child::spawn(args, tmp + "/" + s.id + ".log");
    if (!c) {
      std::fprintf(stderr, "socctl demo: %s\n", c.error().message.c_str());
      g_stop = true;
      break;
    }
    s.sender = *c;
  }

  const bool tty = isatty(STDOUT_FILENO);
  uint64_t heartbeats = 0, alerts = 0;
  auto last_draw = std::chrono::steady_clock::now() - std::chrono::seconds(10);
  std::string topic, json;
  Event e;
  auto draw = [&](bool final) {
    const auto now = std::chrono::steady_clock::now();
    const double secs = std::chrono::duration<double>(now - last_draw).count();
    std::string out;
    if (tty && !final) out += "\x1b[H\x1b[2J";
    out += fmt::format("SOC demo: correlator {}  metrics http://{}/metrics  live feed {}\n", listen, metrics, publish);
    out += fmt::format("{:<18} {:<14} {:>9} {:>8}  {}\n", "sensor", "site", "events", "per s", "last dataset");
    for (auto& s : sensors) {
      out += fmt::format("{:<18} {:<14} {:>9} {:>8.0f}  {}\n", s.id, s.site, s.seen,
                         secs > 0 ? static_cast<double>(s.seen - s.seen_last) / secs : 0.0, s.last_dataset);
      s.seen_last = s.seen;
    }
    out += fmt::format("heartbeats: {}   alerts: {} (rules arrive with the rule engine)\n", heartbeats, alerts);
    if (!final) {
      out += "latest events:\n";
      for (const auto& s : sensors) {
        for (const auto& l : s.latest) out += "  " + l + "\n";
      }
      if (tty) out += "Ctrl-C stops the demo.\n";
    }
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
    last_draw = now;
  };

  const auto interval = std::chrono::seconds(tty ? 1 : 5);
  while (!g_stop) {
    if ((*feed)->next(topic, json, std::chrono::milliseconds(100))) {
      if (topic == "heartbeat") {
        ++heartbeats;
      } else if (topic == "alert") {
        ++alerts;
      } else if (!decode_event_into(json, e)) {
        const std::string_view who = e.get_string("observer.name");
        for (auto& s : sensors) {
          if (s.id != who) continue;
          ++s.seen;
          s.last_dataset = std::string(e.get_string("event.dataset"));
          const Value* ts = e.find("@timestamp");
          s.latest.push_back(fit(fmt::format("{} {:<16} {:<13} {}", ts ? ts->to_text().substr(11, 8) : "", who,
                                             e.get_string("event.dataset"), summarize(e)),
                                 150));
          if (s.latest.size() > 3) s.latest.pop_front();
        }
      }
    }
    if (std::chrono::steady_clock::now() - last_draw >= interval && !o.once) draw(false);
    if (!correlator->running()) {
      std::fprintf(stderr, "socctl demo: the correlator stopped (exit %d); see %s/correlator.log\n",
                   correlator->exit_code(), tmp.c_str());
      break;
    }
    if (o.once) {
      bool any = false;
      for (auto& s : sensors) any = any || s.sender.running();
      if (!any) break;
    }
  }

  // Stop the senders first (they flush what they sent), then the correlator.
  int failed = 0;
  for (auto& s : sensors) {
    const int code = o.once ? s.sender.wait() : s.sender.stop();
    if (o.once && code != 0) {
      ++failed;
      std::fprintf(stderr, "socctl demo: sender %s exited %d; its log:\n", s.id.c_str(), code);
      std::ifstream log(tmp + "/" + s.id + ".log");
      std::fprintf(stderr, "%s", std::string(std::istreambuf_iterator<char>(log), {}).c_str());
    }
  }
  auto body = http_get(metrics_port, "/metrics");
  // Drain what the feed still holds, for the final counts.
  while ((*feed)->next(topic, json, std::chrono::milliseconds(300))) {
    if (topic == "event" && !decode_event_into(json, e)) {
      for (auto& s : sensors) {
        if (s.id == e.get_string("observer.name")) ++s.seen;
      }
    }
  }
  correlator->stop();

  std::printf("\nSummary (from the correlator's /metrics):\n");
  std::printf("%-18s %-14s %9s %9s %6s %6s\n", "sensor", "site", "in file", "received", "lost", "dupl.");
  bool complete = body.ok();
  for (const auto& s : sensors) {
    double received = 0, lost = 0, dup = 0;
    if (body) {
      const std::string sensor = fmt::format("sensor=\"{}\"", s.id);
      received = metric_value(*body, "soc_events_received_total", {sensor});
      lost = metric_value(*body, "soc_events_lost_total", {sensor});
      dup = metric_value(*body, "soc_events_duplicate_total", {sensor});
    }
    std::printf("%-18s %-14s %9llu %9.0f %6.0f %6.0f\n", s.id.c_str(), s.site.c_str(),
                static_cast<unsigned long long>(s.lines), received, lost, dup);
    if (o.once && received != static_cast<double>(s.lines)) complete = false;
  }
  if (!body) std::fprintf(stderr, "socctl demo: cannot read metrics: %s\n", body.error().message.c_str());
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
