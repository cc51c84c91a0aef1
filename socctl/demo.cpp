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
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <thread>

#include "core/config/secret_file.h"
#include "core/transport/publisher.h"
#include "daemon/inventory/loader.h"
#include "socctl/commands.h"
#include "socctl/demo_alertmanager.h"
#include "socctl/demo_feeds.h"
#include "socctl/demo_report.h"
#include "socctl/demo_view.h"
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
using demo::Clock;
using demo::Kind;
using demo::SampleSensor;
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

// 128 bits from the system's random source, as hex: the demo's API token.
std::string random_token() {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 4; ++i) out += fmt::format("{:08x}", rd());
  return out;
}

// In the live view a capture is read again this long after its sensor finished it.
constexpr auto kPacketRerun = std::chrono::seconds(5);

// The province: sites and sensors from the inventory (empty when it has none or it does not load).
inv::Inventory load_province(const std::string& inventory_path) {
  inv::Inventory province;
  std::vector<Diagnostic> diags;
  std::string source;
  if (fs::exists(inventory_path) && !inv::load_inventory(inventory_path, province, diags, source)) {
    std::fprintf(stderr, "socctl demo: %s does not load (socctl inventory check tells why); sites are guessed\n",
                 inventory_path.c_str());
    return {};
  }
  return province;
}

// One run of the demo, from its temporary folder to the summary. Each phase is one member; the
// destructor stops what still runs and removes the temporary folder, on every path out.
class DemoRun {
 public:
  DemoRun(const DemoOptions& o, std::string examples, std::vector<SampleSensor> sensors)
      : o_(o), examples_(std::move(examples)), sensors_(std::move(sensors)) {}
  DemoRun(const DemoRun&) = delete;
  DemoRun& operator=(const DemoRun&) = delete;
  ~DemoRun();

  int run();

 private:
  Result<void> prepare();
  void start_alertmanager();
  std::vector<std::string> correlator_args();
  Result<void> start_correlator();
  std::vector<std::string> key_args(const SampleSensor& s) const;
  bool start_sender(SampleSensor& s);
  bool start_packet_sensor(SampleSensor& s);
  bool start_log_sensor(SampleSensor& s);
  bool start_feeders();
  bool watch_feeders(Clock::time_point now);
  void feed_logs(Clock::time_point now);
  bool once_done(Clock::time_point now);
  int finish(int failed);
  demo::ViewHeader view_header() const;

  const DemoOptions& o_;
  const std::string examples_;
  std::vector<SampleSensor> sensors_;
  inv::Inventory province_;
  std::string tmp_;
  std::string socctl_, correlator_bin_, log_sensor_bin_, packet_sensor_bin_;
  std::string demo_inventory_;
  std::string metrics_, listen_, publish_;
  int metrics_port_ = 0;
  std::optional<DemoAlertmanager> alertmanager_;
  std::string alertmanager_note_;  // why there is none
  std::string api_token_file_;     // the API token's file; empty: the correlator has none
  std::vector<std::string> features_, missing_;
  std::optional<Child> correlator_;
  std::unique_ptr<transport::Subscriber> feed_;
  bool packet_paces_ = false;  // the packet sensor has --replay-speed
  std::optional<demo::LiveView> view_;
  // --once: the correlator's count per sensor, polled until everything arrived or nothing moves.
  Clock::time_point last_progress_ = Clock::now(), next_poll_ = Clock::now(), live_start_ = Clock::now();
  double last_total_ = -1;
  bool stalled_ = false;
};

DemoRun::~DemoRun() {
  for (auto& s : sensors_) {
    if (s.started && s.proc.running()) s.proc.stop();
  }
  if (correlator_ && correlator_->running()) correlator_->stop();
  if (alertmanager_) alertmanager_->stop();
  std::error_code ec;
  if (!tmp_.empty()) fs::remove_all(tmp_, ec);
}

// The temporary folder, the feeds, the keys and the demo's inventory, the ports.
Result<void> DemoRun::prepare() {
  const std::string inventory_path = examples_ + "/inventory.yaml";
  province_ = load_province(inventory_path);
  demo::place_sensors(sensors_, province_);

  const char* tmpdir = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/soc-demo.XXXXXX";
  if (!mkdtemp(tmpl.data())) return fail("demo", fmt::format("mkdtemp {}: {}", tmpl, std::strerror(errno)));
  tmp_ = tmpl;

  socctl_ = fs::canonical("/proc/self/exe").string();
  correlator_bin_ = demo::find_binary("soc-correlator", "daemon");
  log_sensor_bin_ = demo::find_binary("soc-log-sensor", "sensors/log");
  packet_sensor_bin_ = demo::find_binary("soc-packet-sensor", "sensors/packet");

  if (auto prepared = demo::prepare_feeds(sensors_, tmp_, packet_sensor_bin_); !prepared) return prepared;
  auto made = demo::make_keys_and_inventory(sensors_, tmp_, inventory_path);
  if (!made) return fail(made.error());
  demo_inventory_ = *made;

  // Ports: the metrics port asked for when it is free, fresh ones for the rest.
  metrics_ = o_.metrics;
  metrics_port_ = std::atoi(metrics_.substr(metrics_.rfind(':') + 1).c_str());
  if (metrics_port_ <= 0 || port_open(metrics_port_)) {
    const int p = free_port();
    std::fprintf(stderr, "socctl demo: %s is taken, serving metrics on 127.0.0.1:%d instead\n", metrics_.c_str(), p);
    metrics_port_ = p;
    metrics_ = fmt::format("127.0.0.1:{}", p);
  }
  listen_ = fmt::format("tcp://127.0.0.1:{}", free_port());
  publish_ = fmt::format("tcp://127.0.0.1:{}", free_port());
  return {};
}

// An Alertmanager on loopback when one is installed, where the alerts go (socctl/demo_alertmanager.h).
void DemoRun::start_alertmanager() {
  if (auto am = DemoAlertmanager::start(tmp_ + "/alertmanager")) {
    alertmanager_ = std::move(*am);
    std::printf("Alerts are delivered to Alertmanager at %s (where on-call is paged from; open it in a browser)\n",
                alertmanager_->url().c_str());
    std::fflush(stdout);
  } else {
    alertmanager_note_ = am.error().code == "missing" ? "no Alertmanager: prometheus-alertmanager is not installed"
                                                       : "no Alertmanager: it did not start";
    std::fprintf(stderr, "socctl demo: %s; the demo goes on without it\n", am.error().message.c_str());
  }
}

// The correlator's command line: each feature's flags when its --help lists them (features_ and
// missing_ say which, for the view).
std::vector<std::string> DemoRun::correlator_args() {
  std::vector<std::string> args{correlator_bin_, "--listen",  listen_,  "--server-key", tmp_ + "/correlator.key",
                                "--allow",       tmp_ + "/allow.yaml", "--metrics", metrics_, "--publish", publish_,
                                "--events-out",  tmp_ + "/events.jsonl"};
  auto help = Child::spawn({correlator_bin_, "--help"}, tmp_ + "/correlator-help.txt");
  const std::string text = help ? (help->wait(), demo::read_all(tmp_ + "/correlator-help.txt")) : "";
  auto has = [&](const char* flag) { return text.find(flag) != std::string::npos; };
  const std::string rules = demo::find_rules(examples_);
  if (has("--rules") && !rules.empty()) {
    args.insert(args.end(), {"--rules", rules});
    features_.push_back("rules");
  } else {
    missing_.push_back("rules");
  }
  if (has("--alerts-out")) args.insert(args.end(), {"--alerts-out", tmp_ + "/alerts.jsonl"});
  // A scratch state directory (ADR 0018): the alert store, so that `socctl alerts list` and
  // `socctl tail --alerts` show the demo's alerts while it runs.
  if (has("--state-dir")) args.insert(args.end(), {"--state-dir", tmp_ + "/state"});
  // The console's acknowledgements need the API's token (ADR 0019): a fresh one per run, in the
  // scratch folder, named on the live screen.
  if (has("--api-token")) {
    if (auto r = config::write_secret_file(tmp_ + "/api-token", random_token() + "\n", false); r) {
      args.insert(args.end(), {"--api-token", tmp_ + "/api-token"});
      api_token_file_ = tmp_ + "/api-token";
    } else {
      std::fprintf(stderr, "socctl demo: %s; the console will not acknowledge\n", r.error().message.c_str());
    }
  }
  if (has("--inventory") && !demo_inventory_.empty()) {
    args.insert(args.end(), {"--inventory", demo_inventory_});
    features_.push_back("inventory");
    if (has("--baseline") && fs::exists(examples_ + "/baseline.yaml")) {
      args.insert(args.end(), {"--baseline", examples_ + "/baseline.yaml"});
      features_.push_back("baseline");
    }
  } else {
    missing_.push_back("inventory");
  }
  if (alertmanager_ && has("--alertmanager")) {
    args.insert(args.end(), {"--alertmanager", alertmanager_->url(), "--external-url", "http://" + metrics_});
    features_.push_back("Alertmanager");
  }
  return args;
}

// The correlator, up when its metrics port answers, and the demo subscribed to its live feed.
Result<void> DemoRun::start_correlator() {
  auto correlator = Child::spawn(correlator_args(), tmp_ + "/correlator.log");
  if (!correlator) return fail(correlator.error());
  correlator_ = *correlator;
  const auto start = Clock::now();
  while (!port_open(metrics_port_)) {
    if (!correlator_->running() || Clock::now() - start > std::chrono::seconds(10))
      return fail("demo", "the correlator did not start; its log:\n" + demo::read_all(tmp_ + "/correlator.log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto feed = transport::Subscriber::connect(publish_, {"event", "heartbeat", "alert"});
  if (!feed) return fail(feed.error());
  feed_ = std::move(*feed);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the subscription reach the correlator
  return {};
}

std::vector<std::string> DemoRun::key_args(const SampleSensor& s) const {
  return {"--connect", listen_,          "--server-pub", tmp_ + "/correlator.pub", "--key", tmp_ + "/" + s.id + ".key",
          "--sensor-id", s.id, "--site", s.site};
}

bool DemoRun::start_sender(SampleSensor& s) {
  std::vector<std::string> args{socctl_, "send"};
  auto k = key_args(s);
  args.insert(args.end(), k.begin(), k.end());
  args.insert(args.end(), {"--heartbeat", "2"});
  if (!o_.once) args.insert(args.end(), {"--loop", "--rate", fmt::format("{}", o_.rate)});
  args.push_back(s.send_file);
  auto c = Child::spawn(args, tmp_ + "/" + s.id + ".log");
  if (!c) return false;
  s.proc = *c;
  s.started = true;
  return true;
}

// Live, a capture plays at the pace of its packets, sped up so that it lasts as long as its
// events take at --rate (the sensor's --replay-speed, when it has one).
bool DemoRun::start_packet_sensor(SampleSensor& s) {
  std::vector<std::string> args{packet_sensor_bin_, "--read", s.sources[0], "--heartbeat", "2"};
  if (packet_paces_ && o_.rate > 0 && s.span_s > 0 && s.expected > 0) {
    const double speed = std::max(1.0, s.span_s * o_.rate / static_cast<double>(s.expected));
    args.insert(args.end(), {"--replay-speed", fmt::format("{:.1f}", speed)});
  }
  auto k = key_args(s);
  args.insert(args.end(), k.begin(), k.end());
  // Its stdout separately: a sensor that cannot send with --read prints the events there.
  std::vector<std::string> sh{"/bin/sh", "-c", "exec \"$@\" 2>>\"$0.log\" >\"$0.stdout\"", tmp_ + "/" + s.id};
  sh.insert(sh.end(), args.begin(), args.end());
  auto p = Child::spawn(sh, "");
  if (!p) return false;
  s.proc = *p;
  s.started = true;
  return true;
}

bool DemoRun::start_log_sensor(SampleSensor& s) {
  std::vector<std::string> args{log_sensor_bin_, "--file",       tmp_ + "/logs/" + s.id + "/*.log",
                                "--checkpoint",  tmp_ + "/" + s.id + ".checkpoint",
                                "--file-start",  "beginning",    "--timezone", demo::kSampleTimezone};
  auto k = key_args(s);
  args.insert(args.end(), k.begin(), k.end());
  auto c = Child::spawn(args, tmp_ + "/" + s.id + ".log");
  if (!c) return false;
  s.proc = *c;
  s.started = true;
  return true;
}

// Every sample sensor's process. With --once the log files are complete before their sensors
// start; live, they grow.
bool DemoRun::start_feeders() {
  if (!o_.once) {
    auto help = Child::spawn({packet_sensor_bin_, "--help"}, tmp_ + "/packet-help.txt");
    packet_paces_ = help && help->wait() == 0 &&
                    demo::read_all(tmp_ + "/packet-help.txt").find("--replay-speed") != std::string::npos;
  }
  for (auto& s : sensors_) {
    if (s.kind == Kind::Log) demo::append_lines(s, o_.once ? s.lines.size() : 0, false);
  }
  for (auto& s : sensors_) {
    const bool ok = s.kind == Kind::Events ? start_sender(s)
                    : s.kind == Kind::Log  ? start_log_sensor(s)
                                           : start_packet_sensor(s);
    if (!ok) {
      std::fprintf(stderr, "socctl demo: cannot start the process of %s\n", s.id.c_str());
      return false;
    }
  }
  return true;
}

// The feeders that ended: a log sensor must not (returns false); a packet sensor that printed
// its events instead of sending them hands its capture to `socctl send` (ADR 0015's fallback);
// live, a capture is read again a while after its sensor finished it.
bool DemoRun::watch_feeders(Clock::time_point now) {
  for (auto& s : sensors_) {
    if (!s.started || s.proc.running()) continue;
    if (s.kind == Kind::Log) {  // a log sensor follows its files until stopped
      std::fprintf(stderr, "socctl demo: the log sensor %s stopped (exit %d); its log:\n%s", s.id.c_str(),
                   s.proc.exit_code(), demo::read_all(tmp_ + "/" + s.id + ".log").c_str());
      return false;
    }
    if (s.finished_at == Clock::time_point{}) s.finished_at = now;
    if (s.kind != Kind::Packet || s.packet_fallback) continue;
    uint64_t printed = 0;
    demo::for_each_line(tmp_ + "/" + s.id + ".stdout", [&](std::string_view l) { printed += l.front() == '{'; });
    if (printed > 0) {
      s.packet_fallback = true;
      s.how = "socctl send of the capture decoded offline (fallback: soc-packet-sensor --read does not send yet)";
      s.finished_at = {};
      if (!start_sender(s)) g_stop = true;
    } else if (!o_.once && now - s.finished_at > kPacketRerun) {
      s.finished_at = {};
      if (!start_packet_sensor(s)) g_stop = true;
    }
  }
  return true;
}

// Live: the log lines due at --rate since the start (as fast as they go with --rate 0).
void DemoRun::feed_logs(Clock::time_point now) {
  for (auto& s : sensors_) {
    if (s.kind != Kind::Log) continue;
    const double due =
        o_.rate > 0 ? o_.rate * std::chrono::duration<double>(now - live_start_).count() : s.appended + 5000;
    const auto n = static_cast<size_t>(std::max(0.0, due - s.appended));
    if (n == 0) continue;
    demo::append_lines(s, n, true);
    s.appended += static_cast<double>(n);
  }
}

// --once: true when every feeder finished and the correlator counted every log line, or when
// nothing new arrived for 20 s (stalled_).
bool DemoRun::once_done(Clock::time_point now) {
  if (now < next_poll_) return false;
  next_poll_ = now + std::chrono::milliseconds(300);
  bool done = true;
  for (auto& s : sensors_) {
    if (s.kind != Kind::Log && (s.proc.running() || (s.kind == Kind::Packet && s.finished_at == Clock::time_point{})))
      done = false;
  }
  auto body = http_get(metrics_port_, "/metrics");
  if (!body) return false;
  double total = 0;
  for (auto& s : sensors_) {
    const double r = demo::metric_value(*body, "soc_events_received_total", {fmt::format("sensor=\"{}\"", s.id)});
    total += r;
    if (s.kind == Kind::Log && r < static_cast<double>(s.expected)) done = false;
  }
  if (total != last_total_) {
    last_total_ = total;
    last_progress_ = now;
  }
  if (done) return true;
  if (now - last_progress_ > std::chrono::seconds(20)) {
    stalled_ = true;
    std::fprintf(stderr, "socctl demo: nothing new arrived for 20 s; giving up waiting\n");
    return true;
  }
  return false;
}

demo::ViewHeader DemoRun::view_header() const {
  demo::ViewHeader h;
  h.listen = listen_;
  h.metrics = metrics_;
  h.publish = publish_;
  h.mode = features_.empty() ? "counting only" : "with " + demo::join(features_, ", ");
  h.absent = missing_.empty() ? "" : "; this correlator has no --" + demo::join(missing_, ", --") + " yet";
  if (alertmanager_) h.alertmanager_url = alertmanager_->url();
  h.alertmanager_note = alertmanager_note_;
  h.api_token_file = api_token_file_;
  h.rules_on = std::find(features_.begin(), features_.end(), "rules") != features_.end();
  return h;
}

// Stops the feeders first (they flush what they sent), reads the counts, stops the correlator,
// then prints the summary, writes the report and says what Alertmanager holds.
int DemoRun::finish(int failed) {
  for (auto& s : sensors_) {
    if (!s.started) continue;
    const bool runs_forever = s.kind == Kind::Log || !o_.once;
    const int code = runs_forever ? s.proc.stop() : s.proc.wait();
    if (o_.once && !runs_forever && code != 0) {
      ++failed;
      std::fprintf(stderr, "socctl demo: the process feeding %s exited %d; its log:\n%s", s.id.c_str(), code,
                   demo::read_all(tmp_ + "/" + s.id + ".log").c_str());
    }
  }
  // Drain what the feed still holds (late alerts of the last events), for the final counts.
  std::string topic, json;
  while (feed_->next(topic, json, std::chrono::milliseconds(500))) view_->on_message(topic, json, false);
  auto body = http_get(metrics_port_, "/metrics");
  correlator_->stop();  // its sinks deliver what they hold before it exits

  // Alerts per rule: from the correlator's alert log when it writes one, else from the feed.
  if (fs::exists(tmp_ + "/alerts.jsonl")) view_->recount_alerts(tmp_ + "/alerts.jsonl");
  const bool complete = view_->print_summary(body, o_.once) && !stalled_;
  // The auditors' report of the run, from what the correlator recorded (socctl report).
  if (std::find(features_.begin(), features_.end(), "baseline") != features_.end()) {
    auto report = write_demo_report(demo_inventory_, examples_ + "/baseline.yaml",
                                    {tmp_ + "/events.jsonl", tmp_ + "/alerts.jsonl"}, o_.report_dir);
    if (report)
      std::printf("Compliance report of the sample province (%s):\n  %s\n  %s\n", report->summary.c_str(),
                  report->html.c_str(), report->json.c_str());
    else
      std::fprintf(stderr, "socctl demo: no compliance report: %s\n", report.error().message.c_str());
  }
  if (alertmanager_) {
    auto n = alertmanager_->active_alerts();
    if (n)
      std::printf("Alertmanager at %s holds %zu active alerts (grouped by rule and site, as on-call sees them).\n",
                  alertmanager_->url().c_str(), *n);
    else
      std::printf("Alertmanager at %s could not be read: %s\n", alertmanager_->url().c_str(),
                  n.error().message.c_str());
  } else {
    std::printf("Alerts went to no Alertmanager (%s).\n", alertmanager_note_.c_str());
  }
  if (!o_.once) return 0;
  if (failed || !complete) {
    std::printf("Not every sample event was counted.\n");
    return 1;
  }
  std::printf("Every sample event was delivered and counted.\n");
  return 0;
}

int DemoRun::run() {
  auto failure = [](const Error& e) {
    std::fprintf(stderr, "socctl demo: %s\n", e.message.c_str());
    return 1;
  };
  if (auto r = prepare(); !r) return failure(r.error());
  start_alertmanager();

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  if (auto r = start_correlator(); !r) return failure(r.error());
  const bool tty = isatty(STDOUT_FILENO);
  view_.emplace(sensors_, province_, view_header(), tty);
  int failed = 0;
  if (!start_feeders()) {
    failed = 1;
    g_stop = true;
  }
  live_start_ = last_progress_ = next_poll_ = Clock::now();
  const auto interval = std::chrono::seconds(tty ? 1 : 5);
  std::string topic, json;
  while (!g_stop) {
    if (feed_->next(topic, json, std::chrono::milliseconds(50))) view_->on_message(topic, json, true);
    const auto now = Clock::now();
    if (!correlator_->running()) {
      std::fprintf(stderr, "socctl demo: the correlator stopped (exit %d); its log:\n%s", correlator_->exit_code(),
                   demo::read_all(tmp_ + "/correlator.log").c_str());
      break;
    }
    if (!watch_feeders(now)) {
      ++failed;
      break;
    }
    if (!o_.once) {
      feed_logs(now);
      if (now - view_->last_draw() >= interval) view_->draw();
      continue;
    }
    if (once_done(now)) break;
  }
  return finish(failed);
}

}  // namespace

int run_demo(const DemoOptions& o, const char*) {
  std::string examples = demo::find_examples(o.examples);
  std::vector<SampleSensor> sensors = demo::discover(examples);
  if (sensors.empty()) {
    std::fprintf(
        stderr,
        "socctl demo: no sample data in %s (logs/, pcap/ or events/; see examples/README.md), or give --examples\n",
        examples.c_str());
    return 1;
  }
  DemoRun run(o, std::move(examples), std::move(sensors));
  return run.run();
}

}  // namespace soc::ctl
