// The sensor side of the transport: batches events, sends them to the correlator over a ZeroMQ
// DEALER socket (CURVE unless insecure), keeps every batch until the correlator acknowledges it,
// resends unacknowledged batches after a reconnect or a timeout (the correlator drops repeats),
// and sends a heartbeat with the sensor's counters every heartbeat_interval.
//
// Single-threaded: the owner calls send()/poll() from one thread. Memory is bounded by
// max_unacked_batches * batch_max_bytes; send() waits (servicing acks) when the window is full.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/result.h"
#include "core/z85.h"

namespace soc::transport {

struct SenderConfig {
  std::string endpoint;  // tcp://host:port
  bool insecure = false;
  CurveKey server_public_key{};
  CurveKey secret_key{};  // the sensor's; its public key is derived
  std::string sensor_id;
  std::string site;
  size_t batch_max_events = 512;
  size_t batch_max_bytes = 1 << 20;
  std::chrono::milliseconds flush_interval{100};
  size_t max_unacked_batches = 64;
  std::chrono::milliseconds ack_timeout{10'000};       // resend what is unacknowledged after this
  std::chrono::milliseconds heartbeat_interval{10'000};
  // An authentication refusal (unknown key) or a nack ends the sender with an error (true for
  // one-shot tools like socctl send); a daemon keeps retrying and logs (false).
  bool fail_on_refusal = true;
  // send()/drain() give up when no acknowledgement arrives for this long (0: wait forever).
  std::chrono::milliseconds stall_timeout{0};
};

// Reads the correlator's public key and the sensor's secret key (key files as socctl keygen
// writes them) into `config`. Does nothing when config.insecure. The error names the file.
Result<void> load_keys(SenderConfig& config, const std::string& server_pub_path, const std::string& secret_key_path);

struct SenderStats {
  uint64_t events_queued = 0;  // handed to send()
  uint64_t events_acked = 0;
  uint64_t batches_sent = 0;
  uint64_t batches_resent = 0;
  uint64_t heartbeats_sent = 0;
  uint64_t refusals = 0;  // authentication refusals and nacks
  uint64_t next_sequence = 0;
  bool connected = false;
};

class Sender {
 public:
  static Result<std::unique_ptr<Sender>> connect(const SenderConfig& config);
  virtual ~Sender() = default;

  // Queues one event, already encoded as a JSON object without newline. May wait for room.
  virtual Result<void> send(std::string_view json) = 0;
  // Closes the current batch and hands it to ZeroMQ.
  virtual Result<void> flush() = 0;
  // Services acks, reconnects, resends and heartbeats; returns as soon as something happened
  // (an ack, a connection event) or after `timeout`.
  virtual Result<void> poll(std::chrono::milliseconds timeout) = 0;
  // Flushes, then waits until every queued event is acknowledged, or `timeout` passes.
  virtual Result<void> drain(std::chrono::milliseconds timeout) = 0;

  virtual SenderStats stats() const = 0;
  // Adds sensor-specific counters to each heartbeat (e.g. packets dropped by the kernel).
  virtual void on_heartbeat(std::function<void(Event&)> fill) = 0;
  // The sender's epoch: its start time in microseconds, sent with every message.
  virtual uint64_t epoch() const = 0;
};

}  // namespace soc::transport
