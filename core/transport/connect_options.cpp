#include "core/transport/connect_options.h"

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
}

Result<SenderConfig> sender_config(const ConnectOptions& o, std::string_view context) {
  const std::string suffix = context.empty() ? std::string() : " " + std::string(context);
  if (o.sensor_id.empty()) return fail("usage", "--sensor-id is required" + suffix);
  if (!o.insecure && (o.server_pub.empty() || o.key.empty()))
    return fail("usage", "--server-pub and --key are required" + suffix + " (or --insecure)");
  SenderConfig sc;
  sc.endpoint = o.connect;
  sc.insecure = o.insecure;
  sc.sensor_id = o.sensor_id;
  sc.site = o.site;
  if (auto r = load_keys(sc, o.server_pub, o.key); !r) return fail("config", r.error().message);
  return sc;
}

}  // namespace soc::transport
