#include "daemon/alerts/sinks/flags.h"

#include <fmt/format.h>

#include "core/config/secret_file.h"
#include "core/http/client.h"
#include "daemon/alerts/sinks/alertmanager.h"
#include "daemon/alerts/sinks/webhook.h"

namespace soc::daemon::alerts::sinks {

void add_sink_flags(config::Command& cmd, SinkFlags& f) {
  cmd.option("alert-log", f.alert_log,
             "Append every alert notice to this tamper-evident log: JSON lines, each with the SHA-256 of the line "
             "before (docs/alert-log.md; socctl audit verify)")
      .option("alert-log-fsync", f.alert_log_fsync,
              "When the alert log reaches the disk: always (before a notice counts as logged), interval, never")
      .option("alert-log-fsync-interval", f.alert_log_fsync_interval_s, "Seconds between syncs of --alert-log-fsync interval")
      .option("alert-log-max-bytes", f.alert_log_max_bytes,
              "Rotate the alert log to FILE.<UTC time> beyond this size, the chain going on in a new FILE; 0: only on "
              "SIGHUP after logrotate moved it")
      .option("alertmanager", f.alertmanagers,
              "Prometheus Alertmanager to post the alerts to (API v2), e.g. http://127.0.0.1:9093 (repeatable: an HA "
              "pair gets both, each with its own queue)")
      .option("alertmanager-resend", f.alertmanager_resend_s,
              "Seconds between re-sends of active alerts to Alertmanager; each says it ends 4 re-sends later")
      .option("webhook", f.webhooks, "URL to POST every alert notice to as JSON (repeatable)")
      .option("webhook-secret", f.webhook_secret,
              "File holding the secret that signs webhook bodies (X-Soc-Signature: sha256=HMAC); mode 0600 or stricter")
      .option("external-url", f.external_url,
              "The correlator's URL as responders reach it, for the links in alerts (default: http:// and --metrics)")
      .option("alert-queue-size", f.queue_size,
              "Notices each alert sink may hold (queued and in flight); when full the oldest is dropped and counted")
      .option("alert-retry-for", f.retry_for_s, "Seconds an alert sink retries a notice before giving it up")
      .option("alert-drain", f.drain_s, "Seconds the alert sinks may take at shutdown to deliver what is queued")
      .option("alert-http-timeout", f.http_timeout_s, "Seconds one request to Alertmanager or a webhook may take");
}

namespace {

Unexpected<Error> bad(std::string_view flag, std::string_view what) {
  return fail("config", fmt::format("--{}: {}", flag, what));
}

std::chrono::milliseconds ms(double s) { return std::chrono::milliseconds(static_cast<int64_t>(s * 1000)); }

Result<void> check_url(std::string_view flag, const std::string& url) {
  auto p = http::parse_url(url);
  if (!p) return bad(flag, fmt::format("'{}': {}", url, p.error().message));
  return {};
}

}  // namespace

Result<Sinks> make_sinks(const SinkFlags& f, telemetry::Registry* metrics, const std::string& default_external_url,
                         const std::string& writer) {
  if (f.queue_size < 1 || f.queue_size > 10'000'000) return bad("alert-queue-size", "must be from 1 to 10000000");
  if (!(f.retry_for_s >= 0 && f.retry_for_s <= 86400 * 7)) return bad("alert-retry-for", "must be from 0 to 604800 seconds");
  if (!(f.drain_s >= 0 && f.drain_s <= 600)) return bad("alert-drain", "must be from 0 to 600 seconds");
  if (!(f.http_timeout_s >= 0.1 && f.http_timeout_s <= 600)) return bad("alert-http-timeout", "must be from 0.1 to 600 seconds");
  if (!(f.alertmanager_resend_s >= 1 && f.alertmanager_resend_s <= 3600))
    return bad("alertmanager-resend", "must be from 1 to 3600 seconds");
  if (!(f.alert_log_fsync_interval_s > 0 && f.alert_log_fsync_interval_s <= 3600))
    return bad("alert-log-fsync-interval", "must be more than 0 and at most 3600 seconds");
  if (f.alert_log_max_bytes < 0) return bad("alert-log-max-bytes", "must be 0 or more");
  if (!f.webhook_secret.empty() && f.webhooks.empty()) return bad("webhook-secret", "needs --webhook");
  const std::string external = f.external_url.empty() ? default_external_url : f.external_url;
  if (!f.external_url.empty()) {
    if (auto r = check_url("external-url", f.external_url); !r) return fail(r.error());
  }
  for (const auto& u : f.alertmanagers)
    if (auto r = check_url("alertmanager", u); !r) return fail(r.error());
  for (const auto& u : f.webhooks)
    if (auto r = check_url("webhook", u); !r) return fail(r.error());
  std::string secret;
  if (!f.webhook_secret.empty()) {
    auto s = config::read_secret_token(f.webhook_secret);  // private to its owner (docs/adr/0033)
    if (!s) return bad("webhook-secret", s.error().message);
    secret = std::move(*s);
  }
  auto policy = parse_fsync_policy(f.alert_log_fsync);
  if (!policy) return bad("alert-log-fsync", policy.error().message);

  Sinks out;
  if (f.alert_log.empty() && f.alertmanagers.empty() && f.webhooks.empty()) return out;
  DispatcherOptions o;
  o.capacity = static_cast<size_t>(f.queue_size);
  o.give_up_after = ms(f.retry_for_s);
  o.drain = ms(f.drain_s);
  out.dispatcher = std::make_unique<QueueDispatcher>(metrics, o);
  if (!f.alert_log.empty()) {
    ChainLogOptions lo;
    lo.path = f.alert_log;
    lo.fsync = *policy;
    lo.fsync_interval = ms(f.alert_log_fsync_interval_s);
    lo.max_bytes = static_cast<uint64_t>(f.alert_log_max_bytes);
    lo.writer = writer;
    auto log = ChainLog::open(std::move(lo));
    if (!log) return bad("alert-log", log.error().message);
    auto sink = std::make_unique<AlertLogSink>(std::move(*log), external);
    out.log = sink.get();
    out.dispatcher->add(std::move(sink));
  }
  std::vector<std::string> names;
  for (const auto& u : f.alertmanagers) {
    AlertmanagerOptions ao;
    ao.url = u;
    ao.external_url = external;
    ao.resend = std::chrono::seconds(static_cast<int64_t>(f.alertmanager_resend_s));
    ao.ends_after = ao.resend * 4;
    ao.timeout = ms(f.http_timeout_s);
    auto sink = std::make_unique<AlertmanagerSink>(std::move(ao));
    if (std::find(names.begin(), names.end(), sink->name()) != names.end())
      return bad("alertmanager", fmt::format("'{}' is given twice", u));
    names.emplace_back(sink->name());
    out.dispatcher->add(std::move(sink));
  }
  for (const auto& u : f.webhooks) {
    WebhookOptions wo;
    wo.url = u;
    wo.secret = secret;
    wo.external_url = external;
    wo.timeout = ms(f.http_timeout_s);
    auto sink = std::make_unique<WebhookSink>(std::move(wo));
    if (std::find(names.begin(), names.end(), sink->name()) != names.end())
      return bad("webhook", fmt::format("'{}' is given twice (or another webhook has the same host and port)", u));
    names.emplace_back(sink->name());
    out.dispatcher->add(std::move(sink));
  }
  out.dispatcher->start();
  return out;
}

}  // namespace soc::daemon::alerts::sinks
