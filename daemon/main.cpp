// soc-correlator: receives events from the sensors, accounts for them, exports metrics, writes
// them for replay and publishes a live feed. Accepted events pass through the pipeline's stages
// (daemon/ingest.h: enrichment, rules, baseline); their alerts leave by one path
// (daemon/alert_output.h).
#include <fmt/core.h>
#include <signal.h>

#include <time.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <optional>
#include <thread>

#include "core/allocator.h"
#include "core/config/command_line.h"
#include "core/config/sensor_allowlist.h"
#include "core/log.h"
#include "core/systemd_notify.h"
#include "core/transport/keys.h"
#include "core/transport/publisher.h"
#include "core/transport/receiver.h"
#include "daemon/alert_output.h"
#include "daemon/alerts/api.h"
#include "daemon/alerts/sinks/flags.h"
#include "daemon/alerts/store.h"
#include "daemon/baseline_monitor.h"
#include "daemon/compliance_api.h"
#include "daemon/console/console.h"
#include "daemon/event_log.h"
#include "daemon/housekeeper.h"
#include "daemon/http/server.h"
#include "daemon/ingest.h"
#include "daemon/rules_stage.h"
#include "daemon/sites/api.h"
#include "daemon/state_dir.h"
#include "daemon/state_keeper.h"
#include "daemon/telemetry/metrics.h"
#include "soc_build_config.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reopen{false};

void on_signal(int sig) {
  if (sig == SIGHUP) g_reopen = true;
  else g_stop = true;
}

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: let the poll return so the loop sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int config_error(const std::string& message) {
  std::fprintf(stderr, "soc-correlator: %s\n", message.c_str());
  return soc::config::kExitConfig;
}

// --max-rule-state: a number of groups ("200000"), or bytes with a unit ("256MiB", "1GiB").
bool parse_state_bound(const std::string& text, size_t& groups, size_t& bytes) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p == text.data()) return false;
  const std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  const std::pair<std::string_view, uint64_t> units[] = {{"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}};
  groups = bytes = 0;
  if (unit.empty()) {
    groups = n;
    return true;
  }
  for (const auto& [name, scale] : units) {
    if (unit == name && n <= (1ull << 62) / scale) {
      bytes = n * scale;
      return true;
    }
  }
  return false;
}

// The console's view of the sites after an evaluation (ingest thread; HTTP workers read the
// copy). The evaluation runs on the housekeeping thread: its published view (thread-safe) gives
// the inventory as evaluated and the findings; the sensors' last-seen times are the ingest
// thread's own. Returns the view it published from, to publish again only after a new one.
std::shared_ptr<const soc::daemon::BaselineView> publish_sites(soc::daemon::BaselineMonitor& monitor,
                                                               const std::shared_ptr<const soc::daemon::BaselineView>& last,
                                                               bool has_baseline, soc::daemon::sites::ViewSlot& slot) {
  auto view = monitor.view();
  if (!view || view == last) return last;
  const soc::Timestamp now = soc::now();
  std::vector<soc::daemon::sites::SensorSeen> seen;
  for (auto& s : monitor.sensors_seen(now)) seen.push_back({s.id, s.last_seen, s.up});
  slot.publish(soc::daemon::sites::build_view(*view->inventory, has_baseline ? view->baseline.get() : nullptr,
                                              *view->findings, seen, now));
  return view;
}

// The correlator's command line.
struct Flags {
  std::string listen = "tcp://127.0.0.1:7700";
  std::string server_key;
  std::string allow;
  bool insecure = false;
  std::string metrics_address = "127.0.0.1:9750";
  std::string events_out;
  std::string alerts_out;
  std::vector<std::string> rules_paths;
  std::string publish = "tcp://127.0.0.1:7701";
  std::string log_level = "info";
  int64_t max_message_bytes = 64 << 20;
  std::string inventory_path, baseline_path;
  double tick_s = 10;
  std::string state_dir_path;
  std::string sync = "normal";
  double snapshot_s = 30;
  double clock_future_s = 300, clock_past_s = 86400;
  std::string max_rule_state = "256MiB";
  int64_t http_threads = 64;
  double http_request_timeout_s = 5;
  std::string api_token_path;
  int64_t retention_days = 90, retention_rows = 100'000;
  double resolve_after_s = 300;
  soc::daemon::alerts::sinks::SinkFlags sink_flags;

  // Derived from the flags by check().
  size_t max_state_groups = 0, max_state_bytes = 0;
};

void add_flags(soc::config::CommandLine& cli, Flags& f) {
  cli.root()
      .option("listen", f.listen, "ZeroMQ endpoint the sensors connect to")
      .option("server-key", f.server_key, "The correlator's CURVE secret key file (socctl keygen); required unless --insecure")
      .option("allow", f.allow, "YAML allowlist of sensors: sensors: [{id, site, public_key}] (an inventory file works too)")
      .flag("insecure", f.insecure, "Accept plain TCP without CURVE or allowlist (lab use only)")
      .option("metrics", f.metrics_address, "ADDR:PORT of the HTTP listener: /metrics, the API under /api/v1/, the console at /")
      .option("http-threads", f.http_threads, "HTTP worker threads: each serves one connection at a time (slow clients hold one)")
      .option("http-request-timeout", f.http_request_timeout_s, "Seconds a client may take to send its request headers and body")
      .option("events-out", f.events_out, "Append every accepted event to this JSON-lines file")
      .option("alerts-out", f.alerts_out, "Append every alert to this JSON-lines file")
      .option("rules", f.rules_paths, "Rule folder or file (repeatable): Sigma rules evaluated live; reloaded on SIGHUP or a change")
      .option("publish", f.publish, "ZeroMQ endpoint of the live feed (socctl tail); empty disables it")
      .option("max-message-bytes", f.max_message_bytes, "Largest message a sensor may send")
      .option("log-level", f.log_level, "debug, info, warn or error")
      .option("inventory", f.inventory_path, "inventory.yaml: enriches events; its sensors: are the allowlist without --allow")
      .option("baseline", f.baseline_path, "baseline.yaml: evaluated against the inventory and live evidence (needs --inventory)")
      .option("tick", f.tick_s, "Seconds between evaluations of the baseline")
      .option("state-dir", f.state_dir_path,
              "Folder for what the correlator keeps across restarts (alert store, delivery marks, snapshots; "
              "docs/adr/0018-state-directory.md); empty keeps nothing")
      .option("sync", f.sync,
              "Before acknowledging a batch: 'normal' writes --events-out to the kernel (survives a crash of the "
              "correlator), 'full' also fdatasyncs it (survives a crash of the machine)")
      .option("snapshot-interval", f.snapshot_s,
              "Seconds between snapshots of open correlation windows and the baseline's evidence in --state-dir "
              "(a final one is written on SIGTERM)")
      .option("clock-future", f.clock_future_s,
              "Events stamped more than this many seconds ahead of the correlator's clock are flagged "
              "soc.clock_skew=future and counted")
      .option("clock-past", f.clock_past_s,
              "Events stamped more than this many seconds behind the correlator's clock are flagged "
              "soc.clock_skew=past and counted")
      .option("max-rule-state", f.max_rule_state,
              "Bound on all open correlation groups: a number of groups (200000) or estimated bytes (256MiB, 1GiB); "
              "beyond, the least recently updated groups are evicted and counted")
      .option("api-token", f.api_token_path,
              "File holding the bearer token of the API's writes (acknowledgements); mode 600. Without it writes are "
              "refused")
      .option("alert-retention-days", f.retention_days, "Days a resolved alert stays in the alert store")
      .option("alert-retention-rows", f.retention_rows, "Alerts the alert store keeps at most (the oldest go first)")
      .option("alert-resolve-after", f.resolve_after_s,
              "Seconds without a repeat after which an alert of a plain rule without `suppress` resolves "
              "(docs/adr/0021-alert-lifecycle.md)");
  soc::daemon::alerts::sinks::add_sink_flags(cli.root(), f.sink_flags);
}

// The flags' values checked on their own (files are read later): the first problem, in words.
std::optional<std::string> check(Flags& f) {
  if (f.max_message_bytes < 1024) return "--max-message-bytes must be at least 1024";
  if (!f.baseline_path.empty() && f.inventory_path.empty()) return "--baseline needs --inventory";
  if (!(f.tick_s >= 0.1 && f.tick_s <= 86400)) return "--tick must be from 0.1 to 86400 seconds";
  if (f.sync != "normal" && f.sync != "full") return "--sync must be normal or full";
  if (!(f.snapshot_s >= 0.1 && f.snapshot_s <= 86400)) return "--snapshot-interval must be from 0.1 to 86400 seconds";
  if (!(f.clock_future_s >= 1) || !(f.clock_past_s >= 1))
    return "--clock-future and --clock-past must be at least 1 second";
  if (!parse_state_bound(f.max_rule_state, f.max_state_groups, f.max_state_bytes) ||
      (f.max_state_groups == 0 && f.max_state_bytes < (1u << 20)))
    return "--max-rule-state must be a number of groups (at least 1) or bytes with a unit, at least "
           "1MiB (e.g. 256MiB, 1GiB); got '" + f.max_rule_state + "'";
  if (!f.insecure) {
    if (f.server_key.empty()) return "--server-key is required (or --insecure for a lab)";
    if (f.allow.empty() && f.inventory_path.empty()) return "--allow or --inventory is required (or --insecure for a lab)";
  }
  if (f.retention_days < 1) return "--alert-retention-days must be at least 1";
  if (f.retention_rows < 100) return "--alert-retention-rows must be at least 100";
  if (!(f.resolve_after_s >= 1 && f.resolve_after_s <= 30 * 86400))
    return "--alert-resolve-after must be from 1 to 2592000 seconds";
  if (f.http_threads < 1 || f.http_threads > 1024) return "--http-threads must be 1 .. 1024";
  if (!(f.http_request_timeout_s >= 0.1 && f.http_request_timeout_s <= 300))
    return "--http-request-timeout must be 0.1 .. 300 seconds";
  return std::nullopt;
}

// What the HTTP routes read, besides the metrics registry.
struct HttpParts {
  soc::daemon::alerts::AlertStore* store;
  const std::string& api_token;
  soc::Timestamp started_at;
  soc::daemon::AlertOutput& alerts;
  soc::daemon::Ingest& ingest;
  soc::daemon::BaselineMonitor* monitor;
  bool has_rules;
  bool has_baseline;
  soc::daemon::sites::ViewSlot& sites_view;
};

// /metrics, the API (docs/api.md) and the console.
void register_routes(soc::daemon::http::Server& http, soc::daemon::telemetry::Registry& metrics, const HttpParts& p) {
  using namespace soc;
  http.route("GET", "/metrics", [&metrics](const daemon::http::Request&) {
    daemon::http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.serialize();
    return r;
  });
  daemon::alerts::ApiOptions api;
  api.store = p.store;
  api.token = p.api_token;
  api.version = SOC_VERSION;
  api.started_at = p.started_at;
  if (p.monitor) {
    api.utc_offset = p.monitor->inventory().utc_offset;
  } else {
    const time_t t = time(nullptr);
    struct tm local {};
    localtime_r(&t, &local);
    api.utc_offset = std::chrono::minutes(local.tm_gmtoff / 60);
  }
  api.catalog = [&alerts = p.alerts] { return alerts.catalog(); };
  api.status = [&ingest = p.ingest, has_rules = p.has_rules, has_inventory = p.monitor != nullptr,
                has_baseline = p.has_baseline] {
    return daemon::alerts::ApiStatus{has_rules, has_inventory, has_baseline, ingest.events_accepted_snapshot()};
  };
  daemon::alerts::register_api(http, std::move(api));
  http.route("GET", "/api/v1/compliance", daemon::compliance_handler(p.monitor));
  // The sites (docs/api.md): a snapshot the main loop publishes after each evaluation.
  daemon::sites::register_api(http, {p.monitor ? &p.sites_view : nullptr, p.store});
  daemon::console::register_console(http);
}

// The parts the ingest loop drives; null where the flags leave a part out.
struct LoopParts {
  soc::transport::Receiver& rx;
  soc::daemon::Ingest& ingest;
  soc::daemon::AlertOutput& alerts;
  soc::daemon::Housekeeper& housekeeper;
  soc::daemon::telemetry::Registry& metrics;
  soc::daemon::EventLog& events_log;
  soc::daemon::EventLog& alerts_log;
  soc::transport::Publisher* feed;
  soc::daemon::BaselineMonitor* monitor;
  soc::daemon::RulesStage* rules_stage;
  soc::daemon::StateKeeper* keeper;
  soc::daemon::alerts::sinks::AlertLogSink* alert_log_sink;  // reopened on SIGHUP
  soc::daemon::sites::ViewSlot& sites_view;
  bool has_baseline;
  double tick_s;
};

// The ingest thread until SIGINT/SIGTERM. Nothing periodic waits for its turn behind an event,
// and no event behind a timer: the loop takes each delivery as soon as it arrives, and between
// deliveries does what is due, each part cheap (the slow parts are posted to the housekeeping
// thread).
void run_loop(const LoopParts& p) {
  using namespace soc;
  auto next_status = std::chrono::steady_clock::now();
  std::shared_ptr<const daemon::BaselineView> sites_published;  // the view the sites were built from
  transport::Delivery d;
  const auto tick = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(p.tick_s));
  auto next_tick = std::chrono::steady_clock::now();
  auto next_retry = next_tick;
  auto next_commit = next_tick;
  auto pause = p.metrics.histogram("soc_ingest_loop_pause_seconds",
                                   "Time the ingest thread spent on periodic work between two messages (the rules' idle "
                                   "watermark and metrics, snapshot copies, the baseline's capture): what an arriving "
                                   "event can wait behind.",
                                   {}, {1e-6, 1e-5, 1e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5});
  while (!g_stop) {
    if (g_reopen.exchange(false)) {
      if (p.rules_stage) p.rules_stage->request_reload();
      for (daemon::EventLog* out : {&p.events_log, &p.alerts_log}) {
        if (!out->is_open()) continue;
        if (auto r = out->reopen(); !r) log::error("correlator", "{}", r.error().message);
      }
      if (p.monitor) p.monitor->reload();
      if (p.alert_log_sink) p.alert_log_sink->request_reopen();
    }
    const auto now = std::chrono::steady_clock::now();
    if (p.monitor && now >= next_tick) {
      next_tick = now + tick;
      auto input = std::make_shared<daemon::BaselineMonitor::EvaluationInput>(p.monitor->capture());
      p.housekeeper.post("baseline", [m = p.monitor, input] { m->evaluate(*input); });
    }
    if (p.monitor) sites_published = publish_sites(*p.monitor, sites_published, p.has_baseline, p.sites_view);
    if (p.rules_stage) p.rules_stage->tick(now);
    if (p.keeper) p.keeper->tick(now);
    p.alerts.pump();
    if (p.feed) p.feed->update_subscriptions();
    systemd::watchdog_ping();
    if (now >= next_status) {
      next_status = now + std::chrono::seconds(10);
      systemd::notify_status(fmt::format("{} events accepted, {} alerts", p.ingest.events_accepted(), p.alerts.emitted()));
    }
    pause.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - now).count());
    if (p.ingest.blocked()) {
      // An output cannot be written: read nothing more (the senders wait), try again each second.
      if (now >= next_retry) {
        next_retry = now + std::chrono::seconds(1);
        if (p.ingest.retry(p.rx)) continue;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (p.rx.next(d, std::chrono::milliseconds(100))) p.ingest.handle(p.rx, d);
    // Alerts raised outside a batch (the rules' timers, the baseline on the housekeeping thread)
    // are committed here; a batch's own were committed before its ack. A failure keeps them
    // (AlertStore::commit) and is tried again a second later.
    if (!p.ingest.blocked() && std::chrono::steady_clock::now() >= next_commit) {
      if (!p.alerts.commit()) next_commit = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
  }
}

// The receiver's endpoint, CURVE key and allowlist (--allow; the inventory's sensors otherwise,
// set once it is loaded). An exit code when one cannot be used.
std::optional<int> receiver_config(const Flags& f, soc::transport::ReceiverConfig& rc) {
  using namespace soc;
  rc.endpoint = f.listen;
  rc.insecure = f.insecure;
  rc.max_message_bytes = static_cast<size_t>(f.max_message_bytes);
  if (!f.insecure) {
    auto key = transport::read_secret_key_file(f.server_key);
    if (!key) return config_error("--server-key: " + key.error().message);
    rc.server_secret_key = *key;
  }
  if (!f.allow.empty()) {
    config::SensorAllowlist list;
    std::vector<Diagnostic> diags;
    std::string source;
    if (!config::load_sensor_allowlist(f.allow, list, diags, source)) {
      std::fputs(render_all(diags, source).c_str(), stderr);
      return config::kExitConfig;
    }
    rc.allowlist = std::move(list.sensors);
  }
  return std::nullopt;
}

// What the correlator writes besides the alert sinks: --events-out, --alerts-out, the live feed.
struct Outputs {
  soc::daemon::EventLog events_log, alerts_log;
  std::unique_ptr<soc::transport::Publisher> feed;
  soc::daemon::EventLog* events() { return events_log.is_open() ? &events_log : nullptr; }
  soc::daemon::EventLog* alerts() { return alerts_log.is_open() ? &alerts_log : nullptr; }
};

std::optional<int> open_outputs(const Flags& f, Outputs& out) {
  using namespace soc;
  if (!f.events_out.empty()) {
    if (auto r = out.events_log.open(f.events_out); !r) return config_error(r.error().message);
  }
  if (!f.alerts_out.empty()) {
    if (auto r = out.alerts_log.open(f.alerts_out); !r) return config_error(r.error().message);
  }
  if (!f.publish.empty()) {
    auto p = transport::Publisher::bind(f.publish);
    if (!p) return config_error("--publish: " + p.error().message);
    out.feed = std::move(*p);
  }
  return std::nullopt;
}

// The pipeline's stages after the receiver: the inventory and baseline (first: the rules see
// its enrichment, site.level and asset.kind), then the rules.
struct Stages {
  std::unique_ptr<soc::daemon::BaselineMonitor> monitor;
  std::unique_ptr<soc::daemon::RulesStage> rules;
};

std::optional<int> add_stages(const Flags& f, soc::daemon::telemetry::Registry& metrics, soc::daemon::AlertOutput& alerts,
                              soc::daemon::Ingest& ingest, soc::transport::ReceiverConfig& rc, Stages& st) {
  using namespace soc;
  if (!f.inventory_path.empty()) {
    auto m = daemon::BaselineMonitor::load({f.inventory_path, f.baseline_path}, metrics, alerts);
    if (!m) {
      std::fputs(m.error().message.c_str(), stderr);
      return config::kExitConfig;
    }
    st.monitor = std::move(*m);
    ingest.add_stage(st.monitor.get());
    if (f.allow.empty()) rc.allowlist = st.monitor->allowlist();
  }
  if (!f.rules_paths.empty()) {
    daemon::RulesStageOptions rules_options;
    rules_options.paths = f.rules_paths;
    rules_options.engine.max_state_groups = f.max_state_groups;
    rules_options.engine.max_state_bytes = f.max_state_bytes;
    st.rules = std::make_unique<daemon::RulesStage>(metrics, alerts, std::move(rules_options));
    if (auto r = st.rules->load(); !r) return config_error(r.error().message);
    ingest.add_stage(st.rules.get());
  }
  return std::nullopt;
}

// After SIGINT/SIGTERM: the last batch settled, the alerts committed and delivered, the files
// flushed, a final snapshot, the sinks drained (--alert-drain seconds at most).
void stop_orderly(soc::transport::Receiver& rx, soc::daemon::Ingest& ingest, soc::daemon::AlertOutput& alerts,
                  soc::daemon::Housekeeper& housekeeper, Outputs& out, soc::daemon::StateKeeper* keeper,
                  soc::daemon::alerts::sinks::QueueDispatcher* dispatcher) {
  using namespace soc;
  housekeeper.stop();
  if (ingest.blocked() && !ingest.retry(rx)) ingest.abandon();
  if (auto r = alerts.commit(); !r) log::error("correlator", "alert store: {}", r.error().message);
  systemd::notify_stopping();
  alerts.pump();
  out.events_log.flush();
  out.alerts_log.flush();
  if (keeper) keeper->final();
  if (dispatcher) dispatcher->stop();
  log::info("correlator", "stopping after {} accepted events and {} alerts", ingest.events_accepted(),
            alerts.emitted());
}

// The body of main() (run_main reports what escapes it): the flags, then each part built in the
// order the others need it, the loop, and the orderly stop.
int main_body(int argc, char** argv) {
  using namespace soc;
  Flags f;
  config::CommandLine cli("soc-correlator",
                          "The central correlator: receives events from sensors over ZeroMQ (CURVE), counts them per "
                          "sensor, exports Prometheus metrics, writes accepted events as JSON lines and publishes a "
                          "live feed for `socctl tail`.");
  add_flags(cli, f);
  if (auto code = cli.parse(argc, argv)) return *code;
  tune_allocator_for_messages();

  log::Level level;
  if (!log::parse_level(f.log_level, level)) return config_error("--log-level must be debug, info, warn or error");
  log::set_level(level);
  if (auto problem = check(f)) return config_error(*problem);

  transport::ReceiverConfig rc;
  if (auto code = receiver_config(f, rc)) return *code;
  std::string api_token;
  if (!f.api_token_path.empty()) {
    auto t = daemon::alerts::read_api_token(f.api_token_path);
    if (!t) return config_error(t.error().message);
    api_token = std::move(*t);
  }
  std::unique_ptr<daemon::StateDir> state_dir;
  if (!f.state_dir_path.empty()) {
    auto d = daemon::StateDir::open(f.state_dir_path);
    if (!d) return config_error("--state-dir: " + d.error().message);
    state_dir = std::move(*d);
  }

  daemon::telemetry::Registry metrics;
  const Timestamp started_at = now();
  // The alert sinks (--alert-log, --alertmanager, --webhook), each behind its own queue and
  // thread; made before the store, so that they outlive its thread (which publishes resolutions).
  auto sinks = daemon::alerts::sinks::make_sinks(f.sink_flags, &metrics, "http://" + f.metrics_address,
                                                 std::string("soc-correlator ") + SOC_VERSION);
  if (!sinks) return config_error(sinks.error().message);
  // The alert store (docs/adr/0020-alert-store.md): only with a state directory.
  std::unique_ptr<daemon::alerts::AlertStore> alert_store;
  if (state_dir) {
    daemon::alerts::StoreOptions so;
    so.retention_days = f.retention_days;
    so.retention_rows = f.retention_rows;
    auto st = daemon::alerts::AlertStore::open(state_dir->file("alerts.db"), metrics, so);
    if (!st) return config_error("--state-dir: " + st.error().message);
    alert_store = std::move(*st);
  }
  metrics.gauge("soc_build_info", "Build information of the correlator.", {{"version", SOC_VERSION}}).set(1);
  Outputs out;
  if (auto code = open_outputs(f, out)) return *code;
  daemon::IngestOptions ingest_options;
  ingest_options.sync = f.sync == "full" ? daemon::SyncPolicy::Full : daemon::SyncPolicy::Normal;
  ingest_options.clock_future = std::chrono::microseconds(static_cast<int64_t>(f.clock_future_s * 1e6));
  ingest_options.clock_past = std::chrono::microseconds(static_cast<int64_t>(f.clock_past_s * 1e6));
  daemon::Ingest ingest(metrics, out.events(), out.feed.get(), {}, ingest_options);
  daemon::AlertOutput alerts(metrics, out.alerts(), out.feed.get());
  alerts.set_default_quiet(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::duration<double>(f.resolve_after_s)));
  alerts.set_store(alert_store.get());
  ingest.set_alert_output(&alerts);
  daemon::Housekeeper housekeeper(metrics);
  alerts.set_dispatcher(sinks->dispatcher.get());
  Stages stages;
  if (auto code = add_stages(f, metrics, alerts, ingest, rc, stages)) return *code;
  std::unique_ptr<daemon::StateKeeper> keeper;
  if (state_dir) {
    daemon::StateKeeperOptions keep;
    keep.snapshot_interval = std::chrono::milliseconds(static_cast<int64_t>(f.snapshot_s * 1000));
    keeper = std::make_unique<daemon::StateKeeper>(*state_dir, metrics, housekeeper, stages.rules.get(),
                                                   stages.monitor.get(), keep);
    if (auto r = keeper->restore_delivery(ingest, out.events()); !r)
      return config_error("--state-dir: " + r.error().message);
    keeper->restore_snapshots();
  }
  auto rx = transport::Receiver::bind(rc, [&](std::string_view reason, std::string_view) { ingest.count_rejected(reason); });
  if (!rx) return config_error("--listen: " + rx.error().message);
  daemon::http::Server http;
  daemon::sites::ViewSlot sites_view;
  register_routes(http, metrics,
                  {alert_store.get(), api_token, started_at, alerts, ingest, stages.monitor.get(),
                   stages.rules != nullptr, !f.baseline_path.empty(), sites_view});
  daemon::http::ServerOptions http_options;
  http_options.address = f.metrics_address;
  http_options.threads = static_cast<int>(f.http_threads);
  http_options.request_timeout = std::chrono::milliseconds(static_cast<int64_t>(f.http_request_timeout_s * 1000));
  if (auto r = http.start(http_options); !r) return config_error("--metrics: " + r.error().message);
  install_signals();
  if (alert_store && sinks->dispatcher) {
    // Alerts still open from before the restart: sinks that keep state (Alertmanager) take them in.
    if (auto n = alert_store->restate(); !n) log::error("correlator", "alert store: {}", n.error().message);
    else if (*n > 0) log::info("correlator", "{} open alerts restated to the alert sinks", *n);
  }
  if (alert_store) alert_store->start();
  log::info("correlator", "listening on {} ({}, {} sensors allowed), metrics on http://{}:{}/metrics{}", f.listen,
            f.insecure ? "INSECURE plain TCP" : "CURVE", rc.allowlist.size(),
            f.metrics_address.substr(0, f.metrics_address.rfind(':')), http.port(),
            out.feed ? ", live feed on " + f.publish : "");
  systemd::notify_ready(fmt::format("listening on {}, metrics on port {}", f.listen, http.port()));

  run_loop({**rx, ingest, alerts, housekeeper, metrics, out.events_log, out.alerts_log, out.feed.get(),
            stages.monitor.get(), stages.rules.get(), keeper.get(), sinks->log, sites_view, !f.baseline_path.empty(),
            f.tick_s});
  stop_orderly(**rx, ingest, alerts, housekeeper, out, keeper.get(), sinks->dispatcher.get());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return soc::config::run_main("soc-correlator", main_body, argc, argv); }
