// How the sinks describe a Notice: the JSON the alert log and the webhook carry, the one-line
// summary Alertmanager and the webhook show, and the fields that explain an alert
// (docs/alert-log.md, docs/adr/0022-alert-sinks.md).
//
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/alerts/sink.h"

namespace soc::daemon::alerts::sinks {

// The fields of an alert an analyst reads first (who, from where, to what), in this order.
inline constexpr std::string_view kKeyFields[] = {
    "user.name",         "source.ip",       "source.port",   "destination.ip", "destination.port",
    "url.original",      "url.domain",      "dns.question.name", "tls.client.server_name",
    "host.hostname",     "process.name",    "asset.id",      "observer.name"};

// "<rule name>: user.name=root source.ip=203.0.113.7 at <site name> (7 times)"; the rule's id
// when it has no name, the site's id when it has no name.
std::string summarize(const Notice& notice);

// Appends the members (no braces) `"notice":"firing","alert":{...}` describing the notice:
//   alert.id, alert.url (omitted when `alert_url` is empty), alert.rule {id, name},
//   alert.severity {number, word}, alert.site {id, name}, alert.summary, alert.count,
//   alert.first_seen, alert.last_seen, alert.resolved_at (null while unresolved) and
//   alert.event: the alert event itself, flat ECS keys.
void append_notice_members(std::string& out, const Notice& notice, std::string_view alert_url);

// A Firing notice for an alert raised without the alert store (socctl replay): the given id,
// count from soc.count, first and last seen from event.start and event.end (else @timestamp).
Notice firing_notice(const Event& alert, int64_t id);

// `base` + "/api/v1/alerts/" + id: the alert in the correlator's API ("" when base is empty, or
// for id 0: a notice of a correlator without an alert store).
std::string alert_url(std::string_view base, int64_t id);

}  // namespace soc::daemon::alerts::sinks
