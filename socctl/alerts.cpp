// socctl alerts list / socctl alerts ack: the correlator's alert store through its API
// (docs/api.md, "Alerts").
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

#include "core/json_tree.h"
#include "socctl/alert_view.h"
#include "socctl/commands.h"

namespace soc::ctl {

void add_alerts(config::Command& root, AlertsListOptions& list, AlertsAckOptions& ack, config::Command*& list_cmd,
                config::Command*& ack_cmd) {
  auto& cmd = root.subcommand("alerts", "The correlator's alerts: list them, acknowledge them (its HTTP API)");
  cmd.require_subcommand();
  list_cmd = &cmd.subcommand("list", "List alerts, newest first, one line each (--json: the API's objects, one per line)");
  list_cmd->option("api", list.api, "The correlator's HTTP listener (its --metrics address), as a URL")
      .option("state", list.state, "open, acknowledged or resolved (a comma list: open,acknowledged)")
      .option("site", list.site, "Only alerts of this site id")
      .option("severity", list.severity, "informational, low, medium, high, critical or 1-5 (a comma list)")
      .option("rule", list.rule, "Only alerts of this rule (its id or its name)")
      .option("limit", list.limit, "Alerts to show at most (the newest)")
      .option("color", list.color, "Colour the severity: auto (on a terminal, unless NO_COLOR is set), always, never")
      .flag("json", list.json, "Print the API's alert objects as JSON lines");
  ack_cmd = &cmd.subcommand("ack", "Acknowledge an alert: who, and what was done");
  ack_cmd->positionals("id", ack.ids, "The alert's id (as `socctl alerts list` shows it: #42)", true)
      .option("api", ack.api, "The correlator's HTTP listener (its --metrics address), as a URL")
      .option("token-file", ack.token_file, "File holding the correlator's API token (its --api-token)")
      .option("by", ack.by, "Who acknowledges (1 to 64 characters)")
      .option("comment", ack.comment, "What was done (at most 4096 characters)")
      .flag("json", ack.json, "Print the acknowledged alert as the API's JSON");
}

int run_alerts_list(const AlertsListOptions& o) {
  auto color = use_color(o.color, STDOUT_FILENO);
  if (!color) {
    std::fprintf(stderr, "socctl alerts list: %s\n", color.error().message.c_str());
    return config::kExitUsage;
  }
  if (o.limit < 1) {
    std::fputs("socctl alerts list: --limit must be at least 1\n", stderr);
    return config::kExitUsage;
  }
  ApiClient api{o.api, ""};
  std::string query;
  for (auto [name, value] : {std::pair{"state", &o.state}, std::pair{"site", &o.site},
                             std::pair{"severity", &o.severity}, std::pair{"rule", &o.rule}})
    if (!value->empty()) query += fmt::format("&{}={}", name, url_encode(*value));
  const auto offset = o.json ? std::chrono::minutes(0) : api.utc_offset();
  int64_t shown = 0;
  std::string cursor;
  const json::Node* counts = nullptr;
  json::Node page;
  while (shown < o.limit) {
    const int64_t want = std::min<int64_t>(1000, o.limit - shown);
    std::string path = fmt::format("/api/v1/alerts?limit={}{}", want, query);
    if (!cursor.empty()) path += "&cursor=" + url_encode(cursor);
    auto r = api.get(path);
    if (!r) {
      std::fprintf(stderr, "socctl alerts list: %s\n", r.error().message.c_str());
      return 1;
    }
    page = std::move(*r);
    const json::Node* alerts = page.find("alerts");
    if (!alerts || !alerts->is_array()) {
      std::fputs("socctl alerts list: the answer has no \"alerts\" list\n", stderr);
      return 1;
    }
    for (const auto& a : alerts->items()) {
      if (o.json) std::printf("%s\n", a.dump().c_str());
      else std::printf("%s\n", format_alert_line(alert_line_of_api(a), offset, *color).c_str());
      ++shown;
    }
    counts = page.find("counts");
    const json::Node* next = page.find("next");
    if (!next || !next->is_string()) break;
    cursor = next->as_string();
  }
  if (!o.json) {
    // What is not resolved, whatever the filters on state: the work left.
    std::string summary;
    for (const char* state : {"open", "acknowledged"}) {
      const json::Node* per = counts ? counts->find(state) : nullptr;
      int64_t total = 0;
      std::string detail;
      if (per && per->is_object())
        for (const auto& [word, n] : per->members())
          if (n.is_int() && n.as_int() > 0) {
            total += n.as_int();
            detail += fmt::format("{}{} {}", detail.empty() ? "" : ", ", n.as_int(), word);
          }
      summary += fmt::format("{}{} {}{}", summary.empty() ? "" : "; ", total, state, detail.empty() ? "" : " (" + detail + ")");
    }
    std::printf("%lld alerts shown; not resolved: %s\n", static_cast<long long>(shown), summary.c_str());
  }
  return 0;
}

int run_alerts_ack(const AlertsAckOptions& o) {
  if (o.ids.size() != 1) {
    std::fputs("socctl alerts ack: give one alert id\n", stderr);
    return config::kExitUsage;
  }
  std::string id = o.ids.front();
  if (!id.empty() && id.front() == '#') id.erase(0, 1);
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
    std::fprintf(stderr, "socctl alerts ack: '%s' is not an alert id (a number, as `socctl alerts list` shows)\n",
                 o.ids.front().c_str());
    return config::kExitUsage;
  }
  for (auto [flag, value] : {std::pair{"--token-file", &o.token_file}, std::pair{"--by", &o.by}}) {
    if (value->empty()) {
      std::fprintf(stderr, "socctl alerts ack: %s is required\n", flag);
      return config::kExitUsage;
    }
  }
  auto token = read_token_file(o.token_file);
  if (!token) {
    std::fprintf(stderr, "socctl alerts ack: %s\n", token.error().message.c_str());
    return config::kExitUsage;
  }
  ApiClient api{o.api, *token};
  json::Writer body(json::Writer::Layout::Dense);
  body.begin_object().key("by").value(o.by).key("comment").value(o.comment).end_object();
  auto r = api.post("/api/v1/alerts/" + id + "/ack", body.str());
  if (!r) {
    std::fprintf(stderr, "socctl alerts ack: %s\n", r.error().message.c_str());
    return 1;
  }
  if (o.json) std::printf("%s\n", r->dump().c_str());
  else std::printf("%s\n", format_alert_line(alert_line_of_api(*r), api.utc_offset(), false).c_str());
  return 0;
}

}  // namespace soc::ctl
