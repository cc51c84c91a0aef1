#include "core/transport/connect_options.h"

#include <fmt/core.h>

#include <cmath>

namespace soc::transport {

void add_connect_options(config::Command& cmd, ConnectOptions& o, const std::string& connect_help,
                         std::string_view who) {
  const std::string w(who);
  cmd.option("connect", o.connect, connect_help)
      .option("server-pub", o.server_pub, "The correlator's CURVE public key file")
      .option("key", o.key, "This " + w + "'s CURVE secret key file (socctl keygen)")
      .option("sensor-id", o.sensor_id, "This " + w + "'s id, as bound to its key in the correlator's allowlist")
      .option("site", o.site, "This " + w + "'s site, as bound to its key")
      .flag("insecure", o.insecure, "Plain TCP without CURVE (the correlator must run with --insecure too)");
  add_delivery_options(cmd, o);
}

void add_delivery_options(config::Command& cmd, ConnectOptions& o) {
  cmd.option("spool", o.spool,
             "Folder of the on-disk spool: events are written there before they are sent and kept until the "
             "correlator acknowledges them, across restarts (default: none, unacknowledged events are kept in "
             "memory only and lost with the process)")
      .option("spool-max-bytes", o.spool_max_bytes, "With --spool: most bytes the spool may hold (at least 1048576)")
      .option("spool-full", o.spool_full,
              "With --spool: when it is full, drop-oldest (delete the oldest unacknowledged events, counted and "
              "reported) or block (stop reading input until the correlator acknowledges)")
      .option("spool-max-age", o.spool_max_age,
              "With --spool: seconds after which unacknowledged events are dropped, counted (0: no age limit)")
      .option("flush-deadline", o.flush_deadline_ms,
              "Milliseconds an event may wait for its batch to fill before the batch is sent anyway (0 .. 60000)");
}

Result<SenderConfig> sender_config(const ConnectOptions& o, std::string_view context) {
  const std::string suffix = context.empty() ? std::string() : " " + std::string(context);
  if (o.sensor_id.empty()) return fail("usage", "--sensor-id is required" + suffix);
  if (!o.insecure && (o.server_pub.empty() || o.key.empty()))
    return fail("usage", "--server-pub and --key are required" + suffix + " (or --insecure)");
  if (!(o.flush_deadline_ms >= 0 && o.flush_deadline_ms <= 60'000))
    return fail("usage", fmt::format("--flush-deadline must be 0 .. 60000 milliseconds, got {}", o.flush_deadline_ms));
  SenderConfig sc;
  sc.endpoint = o.connect;
  sc.insecure = o.insecure;
  sc.sensor_id = o.sensor_id;
  sc.site = o.site;
  sc.flush_deadline = std::chrono::microseconds(static_cast<int64_t>(std::llround(o.flush_deadline_ms * 1000)));
  const auto full = parse_spool_full(o.spool_full);
  if (!full) return fail("usage", fmt::format("--spool-full must be drop-oldest or block, got '{}'", o.spool_full));
  if (!o.spool.empty()) {
    if (o.spool_max_bytes < (1 << 20))
      return fail("usage", fmt::format("--spool-max-bytes must be at least 1048576 (1 MiB), got {}", o.spool_max_bytes));
    if (o.spool_max_age < 0) return fail("usage", "--spool-max-age must not be negative");
    SpoolConfig spool;
    spool.dir = o.spool;
    spool.max_bytes = static_cast<uint64_t>(o.spool_max_bytes);
    spool.max_age = std::chrono::seconds(o.spool_max_age);
    spool.full = *full;
    sc.spool = spool;
  }
  if (auto r = load_keys(sc, o.server_pub, o.key); !r) return fail("config", r.error().message);
  return sc;
}

}  // namespace soc::transport
