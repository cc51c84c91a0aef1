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

// The command line and the config file's values.
struct Flags {
  bool once = false, to_stdout = false;
  std::vector<std::string> tls, tcp, fortios;
  std::string token_file;
  bool fortios_insecure = false;
  int64_t interval = 300;
  double jitter = 0.1;
  double timeout = 10;
  int64_t heartbeat = 10;
  transport::ConnectOptions conn;
};

void add_flags(config::CommandLine& cli, Flags& f) {
  cli.root()
      .flag("once", f.once, "Probe every target once, then exit")
      .flag("stdout", f.to_stdout, "Print the events as JSON lines instead of sending them (--connect)")
      .option("tls", f.tls, "TLS endpoint HOST:PORT[/SNI] whose certificate to read (repeatable)")
      .option("tcp", f.tcp, "TCP endpoint HOST:PORT whose reachability to check (repeatable)")
      .option("fortios", f.fortios, "FortiGate REST API URL (https://HOST[:PORT]) whose license status to read (repeatable)")
      .option("fortios-token-file", f.token_file, "File holding the FortiOS REST API token (sent as Authorization: Bearer)")
      .flag("fortios-insecure", f.fortios_insecure, "Accept a FortiOS API certificate that does not verify (self-signed)")
      .option("interval", f.interval, "Seconds between two probes of a target (daemon mode), unless the target sets its own")
      .option("jitter", f.jitter, "Each interval is stretched or shortened by up to this fraction, at random (0 .. 0.5)")
      .option("timeout", f.timeout, "Seconds each network step of a probe may take (connect, handshake, HTTP request)")
      .option("heartbeat", f.heartbeat, "With --connect: seconds between heartbeats")
      .config_section("targets");
  transport::add_connect_options(cli.root(), f.conn, "Send events to the correlator at this ZeroMQ endpoint", "collector");
}

// Targets: the command line's, then the config file's `targets:` section. Nothing (the exit code
// set) when one is wrong, or when --check-config only checked the file.
std::optional<std::vector<Target>> collect_targets(const std::string& config_path, bool check_config, const Flags& f,
                                                   int& exit_code) {
  std::vector<Target> targets;
  std::vector<std::string> errors;
  auto add = [&](TargetKind kind, const std::vector<std::string>& specs) {
    for (const auto& s : specs) {
      auto t = parse_endpoint(kind, s);
      if (!t) errors.push_back(t.error().message);
      else targets.push_back(std::move(*t));
    }
  };
  add(TargetKind::Tls, f.tls);
  add(TargetKind::Tcp, f.tcp);
  for (const auto& url : f.fortios) {
    Target t;
    t.kind = TargetKind::License;
    t.vendor = "fortios";
    t.url = t.spec = url;
    targets.push_back(std::move(t));
  }
  if (!errors.empty()) {
    for (const auto& e : errors) std::fprintf(stderr, "soc-collector: %s\n", e.c_str());
    exit_code = g_from_config ? config::kExitConfig : config::kExitUsage;
    return std::nullopt;
  }
  if (!config_path.empty()) {
    std::vector<Diagnostic> diags;
    std::string source;
    if (!load_targets(config_path, targets, diags, source)) {
      std::fputs(render_all(diags, source).c_str(), stderr);
      exit_code = config::kExitConfig;
      return std::nullopt;
    }
    if (check_config) {
      std::printf("%s: every key is known and every value has the right type\n", config_path.c_str());
      exit_code = 0;
      return std::nullopt;
    }
  }
  return targets;
}

// The values' ranges and how they combine: an exit code when one is wrong.
std::optional<int> check(const Flags& f, const std::vector<Target>& targets) {
  if (targets.empty()) return usage_error("nothing to probe: give --tls, --tcp, --fortios or a config with targets");
  if (f.interval < 1 || f.interval > 7 * 86400) return usage_error("--interval must be 1 .. 604800 seconds");
  if (!(f.jitter >= 0 && f.jitter <= 0.5)) return usage_error("--jitter must be 0 .. 0.5");
  if (!(f.timeout > 0 && f.timeout <= 600)) return usage_error("--timeout must be more than 0 and at most 600 seconds");
  if (f.heartbeat < 1 || f.heartbeat > 3600) return usage_error("--heartbeat must be 1 .. 3600 seconds");
  if (f.to_stdout == !f.conn.connect.empty()) return usage_error("give exactly one of --stdout and --connect");
  // A probe's steps (connect, TLS handshake or HTTP request) take at most --timeout each, and the
  // main loop pings the watchdog between probes: one probe must fit in the watchdog's interval.
  if (const auto wd = systemd::watchdog_interval(); !f.once && wd.count() > 0 && 2 * f.timeout >= wd.count() / 1e6)
    return config_error(fmt::format("--timeout {} s: one probe may take up to {} s, as long as the service's watchdog "
                                    "interval (WatchdogSec={} s); lower --timeout or raise WatchdogSec",
                                    f.timeout, 2 * f.timeout, wd.count() / 1'000'000));
  return std::nullopt;
}

// Probes targets into the sink, counting probes, failures and send errors.
struct Prober {
  const ProbeOptions& options;
  Sink& sink;
  uint64_t probes = 0, failures = 0, send_errors = 0;

  void run(const Target& t) {
    for (const Event& e : probe(t, options)) {
      ++probes;
      if (e.get_string("event.outcome") == "failure") {
        ++failures;
        std::fprintf(stderr, "soc-collector: %s: %s\n", t.spec.c_str(), std::string(e.get_string("error.message")).c_str());
      }
      if (auto r = sink.put(e); !r) report(r.error());
    }
  }
  void service(std::chrono::milliseconds wait) {
    if (auto r = sink.service(wait); !r) report(r.error());
  }
  void report(const Error& e) {
    if (++send_errors <= 5) std::fprintf(stderr, "soc-collector: %s\n", e.message.c_str());
  }
};

// --once: every target one time, then wait for the correlator's acknowledgements.
int run_once(const std::vector<Target>& targets, Prober& prober) {
  for (const auto& t : targets) {
    if (g_stop) break;
    prober.run(t);
    (void)prober.sink.service(std::chrono::milliseconds(0));
  }
  if (auto r = prober.sink.finish(std::chrono::seconds(30)); !r) {
    std::fprintf(stderr, "soc-collector: not every event was acknowledged: %s\n", r.error().message.c_str());
    return 1;
  }
  return 0;
}

// Daemon: each target has its own due time. The first probe of each is spread over the first
// jitter fraction of its interval, so that a restart does not hit every device at once.
int run_daemon(const std::vector<Target>& targets, const Flags& f, Prober& prober) {
  std::mt19937_64 rng(std::random_device{}());
  auto spread = [&](std::chrono::seconds every, double lo, double hi) {
    std::uniform_real_distribution<double> d(lo, hi);
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(every.count() * d(rng)));
  };
  auto every = [&](const Target& t) { return t.interval.count() > 0 ? t.interval : std::chrono::seconds(f.interval); };
  std::vector<Clock::time_point> due(targets.size());
  const auto start = Clock::now();
  for (size_t i = 0; i < targets.size(); ++i) due[i] = start + spread(every(targets[i]), 0, f.jitter);
  std::fprintf(stderr, "soc-collector: %zu targets, every %lld s (jitter %.0f%%)\n", targets.size(),
               static_cast<long long>(f.interval), f.jitter * 100);
  systemd::notify_ready(fmt::format("{} targets, every {} s", targets.size(), f.interval));
  while (!g_stop) {
    systemd::watchdog_ping();
    auto now = Clock::now();
    bool probed = false;
    for (size_t i = 0; i < targets.size() && !g_stop; ++i) {
      if (due[i] > now) continue;
      probed = true;
      systemd::notify_status(fmt::format("probing {} ({} probes, {} failed so far)", targets[i].spec, prober.probes,
                                         prober.failures));
      prober.run(targets[i]);
      systemd::watchdog_ping();
      now = Clock::now();
      due[i] = now + spread(every(targets[i]), 1 - f.jitter, 1 + f.jitter);
      prober.service(std::chrono::milliseconds(0));
    }
    if (probed) systemd::notify_status(fmt::format("waiting: {} probes made, {} failed", prober.probes, prober.failures));
    const auto next = *std::min_element(due.begin(), due.end());
    const auto wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()),
                                 std::chrono::milliseconds(1), std::chrono::milliseconds(200));
    prober.service(wait);
    if (!prober.sink.to_correlator()) {
      // stdout: nothing to service; sleep in short steps to notice signals.
      struct timespec ts {0, static_cast<long>(std::chrono::nanoseconds(wait).count())};
      nanosleep(&ts, nullptr);
    }
  }
  systemd::notify_stopping();
  if (auto r = prober.sink.finish(std::chrono::seconds(5)); !r)
    std::fprintf(stderr, "soc-collector: not every event was acknowledged before exit: %s\n", r.error().message.c_str());
  return 0;
}

void handle_signals() {
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// The body of main() (run_main reports what escapes it).
int main_body(int argc, char** argv) {
  Flags f;
  config::CommandLine cli("soc-collector",
                          "Probes equipment that runs no sensor (TLS certificate expiry, TCP reachability, firewall "
                          "license status) and publishes asset events.");
  add_flags(cli, f);
  if (auto code = cli.parse(argc, argv)) return *code;
  g_from_config = !cli.root().config_path().empty();

  int exit_code = 0;
  auto targets = collect_targets(cli.root().config_path(), cli.check_config(), f, exit_code);
  if (!targets) return exit_code;
  if (auto code = check(f, *targets)) return *code;
  std::optional<transport::SenderConfig> sender_config;
  if (!f.conn.connect.empty()) {
    auto made = transport::sender_config(f.conn, "with --connect");
    if (!made) return made.error().code == "usage" ? usage_error(made.error().message) : config_error(made.error().message);
    sender_config = std::move(*made);
  }

  ProbeOptions po;
  po.timeout = std::chrono::milliseconds(static_cast<int64_t>(f.timeout * 1000));
  po.fortios_insecure = f.fortios_insecure;
  if (!f.token_file.empty()) {
    auto token = config::read_secret_token(f.token_file);
    if (!token) return config_error("--fortios-token-file: " + token.error().message);
    po.fortios_token = std::move(*token);
  }

  Sink sink;
  Prober prober{po, sink};
  if (auto r = sink.open(sender_config ? &*sender_config : nullptr, std::chrono::seconds(f.heartbeat), &prober.probes,
                         &prober.failures);
      !r)
    return config_error(r.error().message);
  handle_signals();
  return f.once ? run_once(*targets, prober) : run_daemon(*targets, f, prober);
}

}  // namespace

int main(int argc, char** argv) { return soc::config::run_main("soc-collector", main_body, argc, argv); }
