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

// The body of main() (run_main reports what escapes it).
int main_body(int argc, char** argv) {
  using namespace soc;
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
  daemon::alerts::sinks::SinkFlags sink_flags;

  config::CommandLine cli("soc-correlator",
                          "The central correlator: receives events from sensors over ZeroMQ (CURVE), counts them per "
                          "sensor, exports Prometheus metrics, writes accepted events as JSON lines and publishes a "
                          "live feed for `socctl tail`.");
  cli.root()
      .option("listen", listen, "ZeroMQ endpoint the sensors connect to")
      .option("server-key", server_key, "The correlator's CURVE secret key file (socctl keygen); required unless --insecure")
      .option("allow", allow, "YAML allowlist of sensors: sensors: [{id, site, public_key}] (an inventory file works too)")
      .flag("insecure", insecure, "Accept plain TCP without CURVE or allowlist (lab use only)")
      .option("metrics", metrics_address, "ADDR:PORT of the HTTP listener: /metrics, the API under /api/v1/, the console at /")
      .option("http-threads", http_threads, "HTTP worker threads: each serves one connection at a time (slow clients hold one)")
      .option("http-request-timeout", http_request_timeout_s, "Seconds a client may take to send its request headers and body")
      .option("events-out", events_out, "Append every accepted event to this JSON-lines file")
      .option("alerts-out", alerts_out, "Append every alert to this JSON-lines file")
      .option("rules", rules_paths, "Rule folder or file (repeatable): Sigma rules evaluated live; reloaded on SIGHUP or a change")
      .option("publish", publish, "ZeroMQ endpoint of the live feed (socctl tail); empty disables it")
      .option("max-message-bytes", max_message_bytes, "Largest message a sensor may send")
      .option("log-level", log_level, "debug, info, warn or error")
      .option("inventory", inventory_path, "inventory.yaml: enriches events; its sensors: are the allowlist without --allow")
      .option("baseline", baseline_path, "baseline.yaml: evaluated against the inventory and live evidence (needs --inventory)")
      .option("tick", tick_s, "Seconds between evaluations of the baseline")
      .option("state-dir", state_dir_path,
              "Folder for what the correlator keeps across restarts (alert store, delivery marks, snapshots; "
              "docs/adr/0018-state-directory.md); empty keeps nothing")
      .option("sync", sync,
              "Before acknowledging a batch: 'normal' writes --events-out to the kernel (survives a crash of the "
              "correlator), 'full' also fdatasyncs it (survives a crash of the machine)")
      .option("snapshot-interval", snapshot_s,
              "Seconds between snapshots of open correlation windows and the baseline's evidence in --state-dir "
              "(a final one is written on SIGTERM)")
      .option("clock-future", clock_future_s,
              "Events stamped more than this many seconds ahead of the correlator's clock are flagged "
              "soc.clock_skew=future and counted")
      .option("clock-past", clock_past_s,
              "Events stamped more than this many seconds behind the correlator's clock are flagged "
              "soc.clock_skew=past and counted")
      .option("max-rule-state", max_rule_state,
              "Bound on all open correlation groups: a number of groups (200000) or estimated bytes (256MiB, 1GiB); "
              "beyond, the least recently updated groups are evicted and counted")
      .option("api-token", api_token_path,
              "File holding the bearer token of the API's writes (acknowledgements); mode 600. Without it writes are "
              "refused")
      .option("alert-retention-days", retention_days, "Days a resolved alert stays in the alert store")
      .option("alert-retention-rows", retention_rows, "Alerts the alert store keeps at most (the oldest go first)")
      .option("alert-resolve-after", resolve_after_s,
              "Seconds without a repeat after which an alert of a plain rule without `suppress` resolves "
              "(docs/adr/0021-alert-lifecycle.md)");
  daemon::alerts::sinks::add_sink_flags(cli.root(), sink_flags);
  if (auto code = cli.parse(argc, argv)) return *code;
  tune_allocator_for_messages();

  log::Level level;
  if (!log::parse_level(log_level, level)) return config_error("--log-level must be debug, info, warn or error");
  log::set_level(level);

  transport::ReceiverConfig rc;
  rc.endpoint = listen;
  rc.insecure = insecure;
  rc.max_message_bytes = static_cast<size_t>(max_message_bytes);
  if (max_message_bytes < 1024) return config_error("--max-message-bytes must be at least 1024");
  if (!baseline_path.empty() && inventory_path.empty()) return config_error("--baseline needs --inventory");
  if (!(tick_s >= 0.1 && tick_s <= 86400)) return config_error("--tick must be from 0.1 to 86400 seconds");
  if (sync != "normal" && sync != "full") return config_error("--sync must be normal or full");
  if (!(snapshot_s >= 0.1 && snapshot_s <= 86400))
    return config_error("--snapshot-interval must be from 0.1 to 86400 seconds");
  if (!(clock_future_s >= 1) || !(clock_past_s >= 1))
    return config_error("--clock-future and --clock-past must be at least 1 second");
  size_t max_state_groups = 0, max_state_bytes = 0;
  if (!parse_state_bound(max_rule_state, max_state_groups, max_state_bytes) ||
      (max_state_groups == 0 && max_state_bytes < (1u << 20)))
    return config_error("--max-rule-state must be a number of groups (at least 1) or bytes with a unit, at least "
                        "1MiB (e.g. 256MiB, 1GiB); got '" + max_rule_state + "'");
  if (!insecure) {
    if (server_key.empty()) return config_error("--server-key is required (or --insecure for a lab)");
    if (allow.empty() && inventory_path.empty())
      return config_error("--allow or --inventory is required (or --insecure for a lab)");
    auto key = transport::read_secret_key_file(server_key);
    if (!key) return config_error("--server-key: " + key.error().message);
    rc.server_secret_key = *key;
  }
  if (!allow.empty()) {
    config::SensorAllowlist list;
    std::vector<Diagnostic> diags;
    std::string source;
    if (!config::load_sensor_allowlist(allow, list, diags, source)) {
      std::fputs(render_all(diags, source).c_str(), stderr);
      return config::kExitConfig;
    }
    rc.allowlist = std::move(list.sensors);
  }

  if (retention_days < 1) return config_error("--alert-retention-days must be at least 1");
  if (retention_rows < 100) return config_error("--alert-retention-rows must be at least 100");
  if (!(resolve_after_s >= 1 && resolve_after_s <= 30 * 86400))
    return config_error("--alert-resolve-after must be from 1 to 2592000 seconds");
  std::string api_token;
  if (!api_token_path.empty()) {
    auto t = daemon::alerts::read_api_token(api_token_path);
    if (!t) return config_error(t.error().message);
    api_token = std::move(*t);
  }
  std::unique_ptr<daemon::StateDir> state_dir;
  if (!state_dir_path.empty()) {
    auto d = daemon::StateDir::open(state_dir_path);
    if (!d) return config_error("--state-dir: " + d.error().message);
    state_dir = std::move(*d);
  }

  daemon::telemetry::Registry metrics;
  const Timestamp started_at = now();
  // The alert sinks (--alert-log, --alertmanager, --webhook), each behind its own queue and
  // thread; made before the store, so that they outlive its thread (which publishes resolutions).
  auto sinks = daemon::alerts::sinks::make_sinks(sink_flags, &metrics, "http://" + metrics_address,
                                                 std::string("soc-correlator ") + SOC_VERSION);
  if (!sinks) return config_error(sinks.error().message);
  // The alert store (docs/adr/0020-alert-store.md): only with a state directory.
  std::unique_ptr<daemon::alerts::AlertStore> alert_store;
  if (state_dir) {
    daemon::alerts::StoreOptions so;
    so.retention_days = retention_days;
    so.retention_rows = retention_rows;
    auto st = daemon::alerts::AlertStore::open(state_dir->file("alerts.db"), metrics, so);
    if (!st) return config_error("--state-dir: " + st.error().message);
    alert_store = std::move(*st);
  }
  metrics.gauge("soc_build_info", "Build information of the correlator.", {{"version", SOC_VERSION}}).set(1);
  daemon::EventLog events_log;
  if (!events_out.empty()) {
    if (auto r = events_log.open(events_out); !r) return config_error(r.error().message);
  }
  daemon::EventLog alerts_log;
  if (!alerts_out.empty()) {
    if (auto r = alerts_log.open(alerts_out); !r) return config_error(r.error().message);
  }
  std::unique_ptr<transport::Publisher> feed;
  if (!publish.empty()) {
    auto p = transport::Publisher::bind(publish);
    if (!p) return config_error("--publish: " + p.error().message);
    feed = std::move(*p);
  }
  daemon::IngestOptions ingest_options;
  ingest_options.sync = sync == "full" ? daemon::SyncPolicy::Full : daemon::SyncPolicy::Normal;
  ingest_options.clock_future = std::chrono::microseconds(static_cast<int64_t>(clock_future_s * 1e6));
  ingest_options.clock_past = std::chrono::microseconds(static_cast<int64_t>(clock_past_s * 1e6));
  daemon::Ingest ingest(metrics, events_out.empty() ? nullptr : &events_log, feed.get(), {}, ingest_options);
  daemon::AlertOutput alerts(metrics, alerts_out.empty() ? nullptr : &alerts_log, feed.get());
  alerts.set_default_quiet(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::duration<double>(resolve_after_s)));
  alerts.set_store(alert_store.get());
  ingest.set_alert_output(&alerts);
  daemon::Housekeeper housekeeper(metrics);
  alerts.set_dispatcher(sinks->dispatcher.get());
  // The inventory stage runs first: the rules see its enrichment (site.level, asset.kind).
  std::unique_ptr<daemon::BaselineMonitor> monitor;
  if (!inventory_path.empty()) {
    auto m = daemon::BaselineMonitor::load({inventory_path, baseline_path}, metrics, alerts);
    if (!m) {
      std::fputs(m.error().message.c_str(), stderr);
      return config::kExitConfig;
    }
    monitor = std::move(*m);
    ingest.add_stage(monitor.get());
    if (allow.empty()) rc.allowlist = monitor->allowlist();
  }
  std::unique_ptr<daemon::RulesStage> rules_stage;
  if (!rules_paths.empty()) {
    daemon::RulesStageOptions rules_options;
    rules_options.paths = rules_paths;
    rules_options.engine.max_state_groups = max_state_groups;
    rules_options.engine.max_state_bytes = max_state_bytes;
    rules_stage = std::make_unique<daemon::RulesStage>(metrics, alerts, std::move(rules_options));
    if (auto r = rules_stage->load(); !r) return config_error(r.error().message);
    ingest.add_stage(rules_stage.get());
  }
  std::unique_ptr<daemon::StateKeeper> keeper;
  if (state_dir) {
    daemon::StateKeeperOptions keep;
    keep.snapshot_interval = std::chrono::milliseconds(static_cast<int64_t>(snapshot_s * 1000));
    keeper = std::make_unique<daemon::StateKeeper>(*state_dir, metrics, housekeeper, rules_stage.get(), monitor.get(),
                                                   keep);
    if (auto r = keeper->restore_delivery(ingest, events_out.empty() ? nullptr : &events_log); !r)
      return config_error("--state-dir: " + r.error().message);
    keeper->restore_snapshots();
  }
  auto rx = transport::Receiver::bind(rc, [&](std::string_view reason, std::string_view) { ingest.count_rejected(reason); });
  if (!rx) return config_error("--listen: " + rx.error().message);
  daemon::http::Server http;
  http.route("GET", "/metrics", [&metrics](const daemon::http::Request&) {
    daemon::http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.serialize();
    return r;
  });
  {
    daemon::alerts::ApiOptions api;
    api.store = alert_store.get();
    api.token = api_token;
    api.version = SOC_VERSION;
    api.started_at = started_at;
    if (monitor) {
      api.utc_offset = monitor->inventory().utc_offset;
    } else {
      const time_t t = time(nullptr);
      struct tm local {};
      localtime_r(&t, &local);
      api.utc_offset = std::chrono::minutes(local.tm_gmtoff / 60);
    }
    api.catalog = [&alerts] { return alerts.catalog(); };
    api.status = [&ingest, has_rules = rules_stage != nullptr, has_inventory = monitor != nullptr,
                  has_baseline = !baseline_path.empty()] {
      return daemon::alerts::ApiStatus{has_rules, has_inventory, has_baseline, ingest.events_accepted_snapshot()};
    };
    daemon::alerts::register_api(http, std::move(api));
  }
  http.route("GET", "/api/v1/compliance", daemon::compliance_handler(monitor.get()));
  // The sites (docs/api.md): a snapshot the main loop publishes after each evaluation.
  daemon::sites::ViewSlot sites_view;
  daemon::sites::register_api(http, {monitor ? &sites_view : nullptr, alert_store.get()});
  daemon::console::register_console(http);
  daemon::http::ServerOptions http_options;
  http_options.address = metrics_address;
  if (http_threads < 1 || http_threads > 1024) return config_error("--http-threads must be 1 .. 1024");
  if (!(http_request_timeout_s >= 0.1 && http_request_timeout_s <= 300))
    return config_error("--http-request-timeout must be 0.1 .. 300 seconds");
  http_options.threads = static_cast<int>(http_threads);
  http_options.request_timeout = std::chrono::milliseconds(static_cast<int64_t>(http_request_timeout_s * 1000));
  if (auto r = http.start(http_options); !r) return config_error("--metrics: " + r.error().message);
  install_signals();
  if (alert_store && sinks->dispatcher) {
    // Alerts still open from before the restart: sinks that keep state (Alertmanager) take them in.
    if (auto n = alert_store->restate(); !n) log::error("correlator", "alert store: {}", n.error().message);
    else if (*n > 0) log::info("correlator", "{} open alerts restated to the alert sinks", *n);
  }
  if (alert_store) alert_store->start();
  log::info("correlator", "listening on {} ({}, {} sensors allowed), metrics on http://{}:{}/metrics{}", listen,
            insecure ? "INSECURE plain TCP" : "CURVE", rc.allowlist.size(),
            metrics_address.substr(0, metrics_address.rfind(':')), http.port(), feed ? ", live feed on " + publish : "");

  systemd::notify_ready(fmt::format("listening on {}, metrics on port {}", listen, http.port()));
  auto next_status = std::chrono::steady_clock::now();
  std::shared_ptr<const daemon::BaselineView> sites_published;  // the view the sites were built from

  transport::Delivery d;
  const auto tick = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(tick_s));
  auto next_tick = std::chrono::steady_clock::now();
  auto next_retry = next_tick;
  auto next_commit = next_tick;
  auto pause = metrics.histogram("soc_ingest_loop_pause_seconds",
                                 "Time the ingest thread spent on periodic work between two messages (the rules' idle "
                                 "watermark and metrics, snapshot copies, the baseline's capture): what an arriving "
                                 "event can wait behind.",
                                 {}, {1e-6, 1e-5, 1e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5});
  // Nothing periodic waits for its turn behind an event, and no event behind a timer: the loop
  // takes each delivery as soon as it arrives, and between deliveries does what is due, each
  // part cheap (the slow parts are posted to the housekeeping thread).
  while (!g_stop) {
    if (g_reopen.exchange(false)) {
      if (rules_stage) rules_stage->request_reload();
      for (daemon::EventLog* out : {&events_log, &alerts_log}) {
        if (!out->is_open()) continue;
        if (auto r = out->reopen(); !r) log::error("correlator", "{}", r.error().message);
      }
      if (monitor) monitor->reload();
      if (sinks->log) sinks->log->request_reopen();
    }
    const auto now = std::chrono::steady_clock::now();
    if (monitor && now >= next_tick) {
      next_tick = now + tick;
      auto input = std::make_shared<daemon::BaselineMonitor::EvaluationInput>(monitor->capture());
      housekeeper.post("baseline", [m = monitor.get(), input] { m->evaluate(*input); });
    }
    if (monitor) sites_published = publish_sites(*monitor, sites_published, !baseline_path.empty(), sites_view);
    if (rules_stage) rules_stage->tick(now);
    if (keeper) keeper->tick(now);
    alerts.pump();
    if (feed) feed->update_subscriptions();
    systemd::watchdog_ping();
    if (now >= next_status) {
      next_status = now + std::chrono::seconds(10);
      systemd::notify_status(fmt::format("{} events accepted, {} alerts", ingest.events_accepted(), alerts.emitted()));
    }
    pause.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - now).count());
    if (ingest.blocked()) {
      // An output cannot be written: read nothing more (the senders wait), try again each second.
      if (now >= next_retry) {
        next_retry = now + std::chrono::seconds(1);
        if (ingest.retry(**rx)) continue;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if ((*rx)->next(d, std::chrono::milliseconds(100))) ingest.handle(**rx, d);
    // Alerts raised outside a batch (the rules' timers, the baseline on the housekeeping thread)
    // are committed here; a batch's own were committed before its ack. A failure keeps them
    // (AlertStore::commit) and is tried again a second later.
    if (!ingest.blocked() && std::chrono::steady_clock::now() >= next_commit) {
      if (!alerts.commit()) next_commit = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    }
  }
  housekeeper.stop();
  if (ingest.blocked() && !ingest.retry(**rx)) ingest.abandon();
  if (auto r = alerts.commit(); !r) log::error("correlator", "alert store: {}", r.error().message);
  systemd::notify_stopping();
  alerts.pump();
  events_log.flush();
  alerts_log.flush();
  if (keeper) keeper->final();
  if (sinks->dispatcher) sinks->dispatcher->stop();  // drains for --alert-drain seconds at most
  log::info("correlator", "stopping after {} accepted events and {} alerts", ingest.events_accepted(),
            alerts.emitted());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return soc::config::run_main("soc-correlator", main_body, argc, argv); }
