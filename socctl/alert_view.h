// How socctl shows an alert to a person: one line with the time (in the province's time zone),
// the severity as a word (coloured on a terminal, the word always there for those who cannot see
// colour or read a log), the site, the rule's name, the key fields and the count. Used by
// `socctl alerts list` and `socctl tail --alerts`, for alerts of the API (docs/api.md) and of the
// live feed (alert events) alike. And the client side of the correlator's API.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/json_tree.h"
#include "core/result.h"

namespace soc::ctl {

struct AlertLine {
  std::optional<int64_t> id;  // the store's id (alerts of the API)
  std::string state;          // open, acknowledged, resolved (alerts of the API)
  std::optional<std::chrono::sys_time<std::chrono::microseconds>> time;
  int severity = 0;
  std::string site_id, site_name, rule_name;
  std::vector<std::pair<std::string, std::string>> fields;  // key fields, in order
  int64_t count = 0;   // occurrences (store) ...
  int64_t events = 0;  // ... or events behind a live alert (soc.count)
  std::string acknowledged_by;
};

AlertLine alert_line_of_api(const json::Node& alert);
AlertLine alert_line_of_event(const Event& alert);

// `utc_offset`: the time zone to show times in (the API's status time_zone).
std::string format_alert_line(const AlertLine& a, std::chrono::minutes utc_offset, bool color);

// Whether to colour: --color auto|always|never; auto colours a terminal unless NO_COLOR is set.
Result<bool> use_color(const std::string& when, int fd);

// The correlator's API (its --metrics listener), for socctl.
struct ApiClient {
  std::string base;  // http://127.0.0.1:9750
  std::string token; // for writes

  // GET base + path: the answer's JSON, or an error saying what the API said (its error code and
  // message, with the HTTP status) or why it could not be reached.
  Result<json::Node> get(const std::string& path_and_query) const;
  Result<json::Node> post(const std::string& path, const std::string& json_body) const;
  // The province's time zone (GET /api/v1/status time_zone); UTC when the API does not say.
  std::chrono::minutes utc_offset() const;
};

// Reads a token file (the content without surrounding whitespace).
Result<std::string> read_token_file(const std::string& path);
// Percent-encodes a query parameter's value.
std::string url_encode(std::string_view s);

}  // namespace soc::ctl
