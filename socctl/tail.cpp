// socctl tail: prints the correlator's live feed. Events and heartbeats as JSON lines; with
// --alerts one readable line per alert, starting with the alerts still open in the correlator's
// store (its API), so that a viewer who connects late sees what fired before (--json: JSON lines).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>

#include "core/json_codec.h"
#include "core/transport/publisher.h"
#include "socctl/alert_view.h"
#include "socctl/commands.h"

namespace soc::ctl {
namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

void print_line(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// The alerts not resolved yet, oldest first: what a responder must still look at.
void print_open_alerts(const TailOptions& o, std::chrono::minutes offset, bool color) {
  ApiClient api{o.api, ""};
  auto page = api.get("/api/v1/alerts?state=open,acknowledged&limit=1000");
  if (!page) {
    std::fprintf(stderr, "socctl tail: the alerts still open are not shown (%s); live alerts follow\n",
                 page.error().message.c_str());
    return;
  }
  const json::Node* alerts = page->find("alerts");
  if (!alerts || !alerts->is_array()) return;
  std::vector<const json::Node*> open;
  for (const auto& a : alerts->items()) open.push_back(&a);
  std::reverse(open.begin(), open.end());
  if (!o.json) std::fprintf(stderr, "socctl tail: %zu alerts still open, then live alerts\n", open.size());
  if (const json::Node* next = page->find("next"); next && next->is_string())
    std::fprintf(stderr, "socctl tail: more alerts are open than shown: socctl alerts list --api %s --state open\n",
                 o.api.c_str());
  for (const json::Node* a : open) print_line(o.json ? a->dump() : format_alert_line(alert_line_of_api(*a), offset, color));
}

}  // namespace

void add_tail(config::Command& root, TailOptions& o, config::Command*& cmd) {
  cmd = &root.subcommand("tail", "Print what the correlator sees, live: events as JSON lines, alerts one line each");
  cmd->option("connect", o.connect, "The correlator's live feed (its --publish endpoint)")
      .flag("alerts", o.alerts,
            "Alerts only, one readable line each, starting with those still open in the correlator's store")
      .option("api", o.api,
              "With --alerts: the correlator's HTTP listener, where the open alerts come from (empty: live alerts only)")
      .flag("json", o.json, "With --alerts: JSON lines (open alerts as the API's objects, then live alert events)")
      .option("color", o.color, "With --alerts: colour the severity: auto (a terminal, unless NO_COLOR), always, never")
      .flag("heartbeats", o.heartbeats, "Heartbeats too")
      .flag("all", o.all, "Everything: events, heartbeats and alerts")
      .option("count", o.count, "Exit after this many messages of the feed (0: never)")
      .option("timeout", o.timeout_s, "Exit after this many seconds (0: never)");
}

int run_tail(const TailOptions& o) {
  std::vector<std::string> topics;
  if (o.all) topics = {""};
  else if (o.alerts) topics = {"alert"};
  else {
    topics = {"event"};
    if (o.heartbeats) topics.push_back("heartbeat");
  }
  const bool readable = o.alerts && !o.all && !o.json;
  auto color = use_color(o.color, STDOUT_FILENO);
  if (!color) {
    std::fprintf(stderr, "socctl tail: %s\n", color.error().message.c_str());
    return config::kExitUsage;
  }
  // Subscribed before the store is read: an alert that fires in between shows twice rather
  // than never.
  auto sub = transport::Subscriber::connect(o.connect, topics);
  if (!sub) {
    std::fprintf(stderr, "socctl tail: %s\n", sub.error().message.c_str());
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::chrono::minutes offset{0};
  if (o.alerts && !o.api.empty()) {
    if (readable) offset = ApiClient{o.api, ""}.utc_offset();
    print_open_alerts(o, offset, *color);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.timeout_s);
  int64_t n = 0;
  std::string topic, json;
  Event alert;
  while (!g_stop) {
    if (o.timeout_s > 0 && std::chrono::steady_clock::now() >= deadline) break;
    if (!(*sub)->next(topic, json, std::chrono::milliseconds(200))) continue;
    if (readable && !decode_event_into(json, alert)) print_line(format_alert_line(alert_line_of_event(alert), offset, *color));
    else print_line(json);
    if (o.count > 0 && ++n >= o.count) break;
  }
  return 0;
}

}  // namespace soc::ctl
