// The flags every sender of events shares (soc-log-sensor, soc-packet-sensor, soc-collector,
// socctl send): the correlator's endpoint and the keys that prove who sends. One definition, so
// that the binaries agree on the names, the help texts and the checks, and turn them into a
// SenderConfig the same way.
#pragma once

#include <string>
#include <string_view>

#include "core/config/command_line.h"
#include "core/result.h"
#include "core/transport/sender.h"

namespace soc::transport {

struct ConnectOptions {
  std::string connect;  // the correlator's endpoint; empty: the binary's default (often stdout)
  std::string server_pub;
  std::string key;
  std::string sensor_id;
  std::string site;
  bool insecure = false;
};

// Adds --connect (with `connect_help`), --server-pub, --key, --sensor-id, --site and --insecure;
// `who` names the sender in the help texts ("sensor", "collector").
void add_connect_options(config::Command& cmd, ConnectOptions& o, const std::string& connect_help,
                         std::string_view who = "sensor");

// The sender's configuration from the flags, its keys read. A missing flag fails with code
// "usage" and a message ending in `context` (e.g. "with --connect"); an unreadable key file with
// code "config". The caller sets what is its own (heartbeats, batches, refusal policy).
Result<SenderConfig> sender_config(const ConnectOptions& o, std::string_view context);

}  // namespace soc::transport
