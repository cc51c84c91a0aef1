// The correlator's alert sink flags and the dispatcher they build (docs/adr/0022-alert-sinks.md):
//   --alert-log FILE [--alert-log-fsync always|interval|never] [--alert-log-fsync-interval S]
//   [--alert-log-max-bytes N], --alertmanager URL (repeatable) [--alertmanager-resend S],
//   --webhook URL (repeatable) [--webhook-secret FILE], --external-url URL,
//   --alert-queue-size N, --alert-retry-for S, --alert-drain S, --alert-http-timeout S.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/config/command_line.h"
#include "core/result.h"
#include "daemon/alerts/sinks/alert_log_sink.h"
#include "daemon/alerts/sinks/dispatcher.h"
#include "daemon/telemetry/metrics.h"

namespace soc::daemon::alerts::sinks {

struct SinkFlags {
  std::string alert_log;
  std::string alert_log_fsync = "always";
  double alert_log_fsync_interval_s = 1;
  int64_t alert_log_max_bytes = 64 << 20;
  std::vector<std::string> alertmanagers;
  double alertmanager_resend_s = 60;
  std::vector<std::string> webhooks;
  std::string webhook_secret;
  std::string external_url;  // empty: http://<the --metrics address>
  int64_t queue_size = 10'000;
  double retry_for_s = 600;
  double drain_s = 5;
  double http_timeout_s = 5;
};

void add_sink_flags(config::Command& cmd, SinkFlags& flags);

struct Sinks {
  std::unique_ptr<QueueDispatcher> dispatcher;  // started; null when no sink is asked for
  AlertLogSink* log = nullptr;                  // owned by the dispatcher; for SIGHUP
};

// Checks the flags and builds the sinks they ask for. Error "config" names the flag and the
// problem (the correlator exits 78). `default_external_url` is used when --external-url is empty.
Result<Sinks> make_sinks(const SinkFlags& flags, telemetry::Registry* metrics, const std::string& default_external_url,
                         const std::string& writer);

}  // namespace soc::daemon::alerts::sinks
