// soc-collector: probes equipment that runs no sensor (TLS certificate expiry of portals, TCP
// reachability, firewall license status over the vendor's HTTP API) and publishes the findings
// as asset events (event.kind: state). --once probes every target one time and exits; otherwise
// each target is probed every --interval seconds (or its own interval), with jitter, until
// SIGINT/SIGTERM. --stdout prints JSON lines; --connect sends to the correlator through the
// transport, with heartbeats (docs/adr/0013-collector.md, docs/collector.md).
#include <fmt/core.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "collectors/probe.h"
#include "collectors/target.h"
#include "core/config/command_line.h"
#include "core/config/secret_file.h"
#include "core/config/yaml_util.h"
#include "core/event.h"
#include "core/json_codec.h"
#include "core/systemd_notify.h"
#include "core/transport/connect_options.h"
#include "core/transport/sender.h"

namespace {

using namespace soc;
using namespace soc::collectors;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

// A value that cannot be used is a usage error (2) on the command line, and a configuration
// error (78, which systemd does not restart) when a --config file was read: it may come from it.
bool g_from_config = false;

int usage_error(const std::string& message) {
  std::fprintf(stderr, "soc-collector: %s\n", message.c_str());
  return g_from_config ? config::kExitConfig : config::kExitUsage;
}
int config_error(const std::string& message) {
  std::fprintf(stderr, "soc-collector: %s\n", message.c_str());
  return config::kExitConfig;
}

// Where events go: JSON lines on stdout, or the correlator (at least once, with heartbeats).
class Sink {
 public:
  // `config` null: stdout.
  Result<void> open(const transport::SenderConfig* config, std::chrono::seconds heartbeat, uint64_t* probes,
                    uint64_t* failures) {
    if (config == nullptr) return {};
    transport::SenderConfig sc = *config;
    sc.fail_on_refusal = false;
    sc.heartbeat_interval = heartbeat;
    sc.interrupted = [] { return g_stop.load(); };  // SIGTERM ends a wait for room
    auto sender = transport::Sender::connect(sc);
    if (!sender) return fail("config", sender.error().message);
    sender_ = std::move(*sender);
    sender_->on_heartbeat([probes, failures](Event& hb) {
      hb.set("observer.type", "collector");
      hb.set("soc.sensor.probes", static_cast<int64_t>(*probes));
      hb.set("soc.sensor.probe_failures", static_cast<int64_t>(*failures));
    });
    return {};
  }
  bool to_correlator() const { return sender_ != nullptr; }

  Result<void> put(const Event& e) {
    line_.clear();
    encode_event(e, line_);
    if (sender_) return sender_->send(line_);
    line_.push_back('\n');
    std::fwrite(line_.data(), 1, line_.size(), stdout);
    return {};
  }
  Result<void> service(std::chrono::milliseconds timeout) {
    std::fflush(stdout);
    if (!sender_) return {};
    if (auto r = sender_->flush(); !r) return r;
    return sender_->poll(timeout);
  }
  Result<void> finish(std::chrono::milliseconds timeout) {
    std::fflush(stdout);
    if (!sender_) return {};
    return sender_->drain(timeout);
  }

 private:
  std::unique_ptr<transport::Sender> sender_;
  std::string line_;
};

// The body of main() (run_main reports what escapes it).
int main_body(int argc, char** argv) {
  bool once = false, to_stdout = false;
  std::vector<std::string> tls, tcp, fortios;
  std::string token_file;
  bool fortios_insecure = false;
  int64_t interval = 300;
  double jitter = 0.1;
  double timeout = 10;
  int64_t heartbeat = 10;
  transport::ConnectOptions conn;

  config::CommandLine cli("soc-collector",
                          "Probes equipment that runs no sensor (TLS certificate expiry, TCP reachability, firewall "
                          "license status) and publishes asset events.");
  cli.root()
      .flag("once", once, "Probe every target once, then exit")
      .flag("stdout", to_stdout, "Print the events as JSON lines instead of sending them (--connect)")
      .option("tls", tls, "TLS endpoint HOST:PORT[/SNI] whose certificate to read (repeatable)")
      .option("tcp", tcp, "TCP endpoint HOST:PORT whose reachability to check (repeatable)")
      .option("fortios", fortios, "FortiGate REST API URL (https://HOST[:PORT]) whose license status to read (repeatable)")
      .option("fortios-token-file", token_file, "File holding the FortiOS REST API token (sent as Authorization: Bearer)")
      .flag("fortios-insecure", fortios_insecure, "Accept a FortiOS API certificate that does not verify (self-signed)")
      .option("interval", interval, "Seconds between two probes of a target (daemon mode), unless the target sets its own")
      .option("jitter", jitter, "Each interval is stretched or shortened by up to this fraction, at random (0 .. 0.5)")
      .option("timeout", timeout, "Seconds each network step of a probe may take (connect, handshake, HTTP request)")
      .option("heartbeat", heartbeat, "With --connect: seconds between heartbeats")
      .config_section("targets");
  transport::add_connect_options(cli.root(), conn, "Send events to the correlator at this ZeroMQ endpoint", "collector");
  if (auto code = cli.parse(argc, argv)) return *code;
  g_from_config = !cli.root().config_path().empty();

  // Targets: the command line's, then the config file's `targets:` section.
  std::vector<Target> targets;
  std::vector<std::string> errors;
  auto add = [&](TargetKind kind, const std::vector<std::string>& specs) {
    for (const auto& s : specs) {
      auto t = parse_endpoint(kind, s);
      if (!t) errors.push_back(t.error().message);
      else targets.push_back(std::move(*t));
    }
  };
  add(TargetKind::Tls, tls);
  add(TargetKind::Tcp, tcp);
  for (const auto& url : fortios) {
    Target t;
    t.kind = TargetKind::License;
    t.vendor = "fortios";
    t.url = t.spec = url;
    targets.push_back(std::move(t));
  }
  if (!errors.empty()) {
    for (const auto& e : errors) std::fprintf(stderr, "soc-collector: %s\n", e.c_str());
    return g_from_config ? config::kExitConfig : config::kExitUsage;
  }
  if (const auto& path = cli.root().config_path(); !path.empty()) {
    std::vector<Diagnostic> diags;
    std::string source;
    if (!load_targets(path, targets, diags, source)) {
      std::fputs(render_all(diags, source).c_str(), stderr);
      return config::kExitConfig;
    }
    if (cli.check_config()) {
      std::printf("%s: every key is known and every value has the right type\n", path.c_str());
      return 0;
    }
  }
  if (targets.empty()) return usage_error("nothing to probe: give --tls, --tcp, --fortios or a config with targets");
  if (interval < 1 || interval > 7 * 86400) return usage_error("--interval must be 1 .. 604800 seconds");
  if (!(jitter >= 0 && jitter <= 0.5)) return usage_error("--jitter must be 0 .. 0.5");
  if (!(timeout > 0 && timeout <= 600)) return usage_error("--timeout must be more than 0 and at most 600 seconds");
  if (heartbeat < 1 || heartbeat > 3600) return usage_error("--heartbeat must be 1 .. 3600 seconds");
  if (to_stdout == !conn.connect.empty()) return usage_error("give exactly one of --stdout and --connect");
  // A probe's steps (connect, TLS handshake or HTTP request) take at most --timeout each, and the
  // main loop pings the watchdog between probes: one probe must fit in the watchdog's interval.
  if (const auto wd = systemd::watchdog_interval(); !once && wd.count() > 0 && 2 * timeout >= wd.count() / 1e6)
    return config_error(fmt::format("--timeout {} s: one probe may take up to {} s, as long as the service's watchdog "
                                    "interval (WatchdogSec={} s); lower --timeout or raise WatchdogSec",
                                    timeout, 2 * timeout, wd.count() / 1'000'000));
  std::optional<transport::SenderConfig> sender_config;
  if (!conn.connect.empty()) {
    auto made = transport::sender_config(conn, "with --connect");
    if (!made) return made.error().code == "usage" ? usage_error(made.error().message) : config_error(made.error().message);
    sender_config = std::move(*made);
  }

  ProbeOptions po;
  po.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
  po.fortios_insecure = fortios_insecure;
  if (!token_file.empty()) {
    auto token = config::read_secret_token(token_file);
    if (!token) return config_error("--fortios-token-file: " + token.error().message);
    po.fortios_token = std::move(*token);
  }

  uint64_t probes = 0, failures = 0;
  Sink sink;
  if (auto r = sink.open(sender_config ? &*sender_config : nullptr, std::chrono::seconds(heartbeat), &probes, &failures); !r) return config_error(r.error().message);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  uint64_t send_errors = 0;
  auto run = [&](const Target& t) {
    for (const Event& e : probe(t, po)) {
      ++probes;
      if (e.get_string("event.outcome") == "failure") {
        ++failures;
        std::fprintf(stderr, "soc-collector: %s: %s\n", t.spec.c_str(), std::string(e.get_string("error.message")).c_str());
      }
      if (auto r = sink.put(e); !r && ++send_errors <= 5)
        std::fprintf(stderr, "soc-collector: %s\n", r.error().message.c_str());
    }
  };

  if (once) {
    for (const auto& t : targets) {
      if (g_stop) break;
      run(t);
      (void)sink.service(std::chrono::milliseconds(0));
    }
    if (auto r = sink.finish(std::chrono::seconds(30)); !r) {
      std::fprintf(stderr, "soc-collector: not every event was acknowledged: %s\n", r.error().message.c_str());
      return 1;
    }
    return 0;
  }

  // Daemon: each target has its own due time. The first probe of each is spread over the first
  // jitter fraction of its interval, so that a restart does not hit every device at once.
  std::mt19937_64 rng(std::random_device{}());
  auto spread = [&](std::chrono::seconds every, double lo, double hi) {
    std::uniform_real_distribution<double> d(lo, hi);
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(every.count() * d(rng)));
  };
  std::vector<Clock::time_point> due(targets.size());
  const auto start = Clock::now();
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto every = targets[i].interval.count() > 0 ? targets[i].interval : std::chrono::seconds(interval);
    due[i] = start + spread(every, 0, jitter);
  }
  std::fprintf(stderr, "soc-collector: %zu targets, every %lld s (jitter %.0f%%)\n", targets.size(),
               static_cast<long long>(interval), jitter * 100);
  systemd::notify_ready(fmt::format("{} targets, every {} s", targets.size(), interval));
  while (!g_stop) {
    systemd::watchdog_ping();
    auto now = Clock::now();
    bool probed = false;
    for (size_t i = 0; i < targets.size() && !g_stop; ++i) {
      if (due[i] > now) continue;
      probed = true;
      systemd::notify_status(fmt::format("probing {} ({} probes, {} failed so far)", targets[i].spec, probes, failures));
      run(targets[i]);
      systemd::watchdog_ping();
      const auto every = targets[i].interval.count() > 0 ? targets[i].interval : std::chrono::seconds(interval);
      now = Clock::now();
      due[i] = now + spread(every, 1 - jitter, 1 + jitter);
      if (auto r = sink.service(std::chrono::milliseconds(0)); !r && ++send_errors <= 5)
        std::fprintf(stderr, "soc-collector: %s\n", r.error().message.c_str());
    }
    if (probed) systemd::notify_status(fmt::format("waiting: {} probes made, {} failed", probes, failures));
    const auto next = *std::min_element(due.begin(), due.end());
    const auto wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()),
                                 std::chrono::milliseconds(1), std::chrono::milliseconds(200));
    if (auto r = sink.service(wait); !r && ++send_errors <= 5)
      std::fprintf(stderr, "soc-collector: %s\n", r.error().message.c_str());
    if (!sink.to_correlator()) {
      // stdout: nothing to service; sleep in short steps to notice signals.
      struct timespec ts {0, static_cast<long>(std::chrono::nanoseconds(wait).count())};
      nanosleep(&ts, nullptr);
    }
  }
  systemd::notify_stopping();
  if (auto r = sink.finish(std::chrono::seconds(5)); !r)
    std::fprintf(stderr, "soc-collector: not every event was acknowledged before exit: %s\n", r.error().message.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return soc::config::run_main("soc-collector", main_body, argc, argv); }
