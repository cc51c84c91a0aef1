// socctl tail: prints the correlator's live feed as JSON lines.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>

#include "core/transport/publisher.h"
#include "socctl/commands.h"

namespace soc::ctl {
namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }
}  // namespace

void add_tail(config::Command& root, TailOptions& o, config::Command*& cmd) {
  cmd = &root.subcommand("tail", "Print what the correlator sees, live, one JSON object per line");
  cmd->option("connect", o.connect, "The correlator's live feed (its --publish endpoint)")
      .flag("alerts", o.alerts, "Alerts only")
      .flag("heartbeats", o.heartbeats, "Heartbeats too")
      .flag("all", o.all, "Everything: events, heartbeats and alerts")
      .option("count", o.count, "Exit after this many messages (0: never)")
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
  auto sub = transport::Subscriber::connect(o.connect, topics);
  if (!sub) {
    std::fprintf(stderr, "socctl tail: %s\n", sub.error().message.c_str());
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.timeout_s);
  int64_t n = 0;
  std::string topic, json;
  while (!g_stop) {
    if (o.timeout_s > 0 && std::chrono::steady_clock::now() >= deadline) break;
    if (!(*sub)->next(topic, json, std::chrono::milliseconds(200))) continue;
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    if (o.count > 0 && ++n >= o.count) break;
  }
  return 0;
}

}  // namespace soc::ctl
