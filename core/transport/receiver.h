// The correlator side of the transport: a ZeroMQ ROUTER socket that sensors connect to. With
// CURVE (the default), a ZAP handler admits only the public keys of the allowlist and tags each
// connection with the sensor id its key is bound to; a message whose header claims another
// sensor id or site is refused. Refusals are reported to the observer by reason (stable strings,
// metric labels) and answered with a nack when the sender can be told.
//
// Single-threaded: the owner calls next() in its loop; ZAP requests are answered inside next().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/sensor_allowlist.h"
#include "core/result.h"
#include "core/transport/wire.h"
#include "core/z85.h"

namespace soc::transport {

struct ReceiverConfig {
  // Messages queued per sender connection before ZeroMQ stops reading from it (TCP then pushes
  // back on the sender). The senders' own windows (64 batches) usually bound it first.
  static constexpr int kQueuedPerConnection = 10'000;
  std::string endpoint;  // tcp://addr:port to bind
  bool insecure = false;
  CurveKey server_secret_key{};
  std::vector<config::SensorBinding> allowlist;
  size_t max_message_bytes = 64 << 20;
};

// One message that passed every check. Views stay valid until the next call of next().
struct Delivery {
  Header header;
  std::string_view payload;
  std::string_view sensor_id;  // authoritative: the key's binding (the header in insecure mode)
  std::string_view site;
  std::string_view peer_address;
  std::string routing_id;
  // True when the message was already waiting when next() was called (the owner is behind the
  // senders); false when next() had to wait for it.
  bool queued = false;
};

// Reasons passed to the observer: "unknown_key" (ZAP refusal), "sensor_mismatch",
// "site_mismatch", and the wire reasons of to_string(WireError).
using RejectObserver = std::function<void(std::string_view reason, std::string_view sensor_id)>;

class Receiver {
 public:
  static Result<std::unique_ptr<Receiver>> bind(const ReceiverConfig& config, RejectObserver on_reject);
  virtual ~Receiver() = default;

  // Waits up to `timeout` for the next acceptable message. False on timeout or interruption.
  virtual bool next(Delivery& out, std::chrono::milliseconds timeout) = 0;
  // Tells the sender of `d` that every event of its epoch below `next_seq` has arrived.
  virtual void ack(const Delivery& d, uint64_t next_seq, uint32_t count) = 0;
  virtual void nack(const Delivery& d, std::string_view reason) = 0;
  // The endpoint actually bound (resolves port 0 / wildcards).
  virtual std::string bound_endpoint() const = 0;
};

}  // namespace soc::transport
