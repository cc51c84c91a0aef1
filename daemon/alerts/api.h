// The HTTP API of the correlator's alerts, rules and status (docs/api.md: Conventions, Status,
// Alerts, Rules), on the listener of daemon/http (ADR 0019):
//
//   GET  /api/v1/status            what runs, since when, how many events and open alerts
//   GET  /api/v1/alerts            filters, paging with a cursor, counts of open alerts
//   GET  /api/v1/alerts/ID         the alert with its evidence events and history
//   POST /api/v1/alerts/ID/ack     {"by", "comment"}: needs Authorization: Bearer TOKEN
//   GET  /api/v1/rules             the rules that can raise alerts, with MITRE technique names
//
// Handlers run on the server's worker threads: they read the store through its own read
// connections and immutable snapshots (the rule catalog, the status counters), never state of
// the ingest thread. Bad input gets the API's error body and changes nothing.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "daemon/alerts/catalog.h"
#include "daemon/http/server.h"

namespace soc::daemon::alerts {

class AlertStore;

struct ApiStatus {
  bool rules = false, inventory = false, baseline = false;
  uint64_t events_accepted = 0;
};

struct ApiOptions {
  AlertStore* store = nullptr;  // null: no --state-dir, the alert routes answer 503
  // The bearer token of writes (the content of --api-token FILE); empty: writes answer 403.
  std::string token;
  std::string version;
  Timestamp started_at{};
  std::chrono::minutes utc_offset{0};  // the province's time zone (the inventory's `timezone:`)
  // Snapshots, called on worker threads: they must be thread-safe.
  std::function<std::shared_ptr<const RuleCatalog>()> catalog;
  std::function<ApiStatus()> status;
};

// Registers the routes; call before server.start(). `options` is copied.
void register_api(http::Server& server, ApiOptions options);

// Reads the bearer token of --api-token FILE through config::read_secret_token (ADR 0033): the
// file's content without surrounding whitespace. Refused (code "config"; the correlator exits
// 78): a missing or empty file, one that other users may read (the message ends with the chmod
// that fixes it), a token with spaces or control characters.
Result<std::string> read_api_token(const std::string& path);

// The API's time format: RFC 3339 UTC with microseconds.
std::string api_time(Timestamp t);
// "+07:00" for seven hours east of UTC.
std::string format_utc_offset(std::chrono::minutes offset);

}  // namespace soc::daemon::alerts
