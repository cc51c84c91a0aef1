// The flags every sender of events shares (soc-log-sensor, soc-packet-sensor, soc-collector,
// socctl send): the correlator's endpoint and the keys that prove who sends, the on-disk spool
// and the flush deadline. One definition, so that the binaries agree on the names, the help
// texts, the defaults and the checks, and turn them into a SenderConfig the same way.
#pragma once

#include <cstdint>
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
  // Delivery (docs/adr/0027-sender-spool.md). Without --spool, unacknowledged batches are kept
  // in memory only (64 batches; the sender waits when they are all in flight).
  std::string spool;                           // --spool DIR
  int64_t spool_max_bytes = int64_t{1} << 30;  // --spool-max-bytes N (1 GiB)
  std::string spool_full = "drop-oldest";      // --spool-full drop-oldest|block
  int64_t spool_max_age = 7 * 86400;           // --spool-max-age SECONDS (0: none)
  double flush_deadline_ms = 10;               // --flush-deadline MS
};

// Adds --connect (with `connect_help`), --server-pub, --key, --sensor-id, --site, --insecure and
// the delivery flags; `who` names the sender in the help texts ("sensor", "collector").
void add_connect_options(config::Command& cmd, ConnectOptions& o, const std::string& connect_help,
                         std::string_view who = "sensor");
// The delivery flags alone (--spool, --spool-max-bytes, --spool-full, --spool-max-age,
// --flush-deadline), for a binary that declares the connection flags itself.
void add_delivery_options(config::Command& cmd, ConnectOptions& o);

// The sender's configuration from the flags, its keys read. A missing or bad flag fails with code
// "usage" and a message ending in `context` (e.g. "with --connect"); an unreadable key file with
// code "config". The caller sets what is its own (heartbeats, batches, refusal policy).
Result<SenderConfig> sender_config(const ConnectOptions& o, std::string_view context);

}  // namespace soc::transport
