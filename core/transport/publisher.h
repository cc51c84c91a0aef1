// The correlator's live feed: a ZeroMQ XPUB socket that `socctl tail` (and the demo) subscribe
// to. Each message is two frames: a topic ("event", "heartbeat", "alert") and one JSON object.
// Knowing the subscriptions (XPUB) lets the correlator skip encoding what nobody listens to.
//
// The feed is plain TCP meant for loopback or a Unix socket (ipc://); bind it elsewhere only on
// a trusted network (docs/adr/0004-transport.md).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace soc::transport {

class Publisher {
 public:
  static Result<std::unique_ptr<Publisher>> bind(const std::string& endpoint);
  virtual ~Publisher() = default;
  // Reads subscription changes; cheap, call once per loop iteration.
  virtual void update_subscriptions() = 0;
  // True when some subscriber's prefix matches `topic`.
  virtual bool wanted(std::string_view topic) const = 0;
  // Drops the message when subscribers are slow (high-water mark), never blocks.
  virtual void publish(std::string_view topic, std::string_view json) = 0;
  virtual std::string bound_endpoint() const = 0;
};

class Subscriber {
 public:
  // Subscribes to each topic prefix (empty = everything).
  static Result<std::unique_ptr<Subscriber>> connect(const std::string& endpoint,
                                                     const std::vector<std::string>& topics);
  virtual ~Subscriber() = default;
  // Waits up to `timeout`; false when nothing arrived.
  virtual bool next(std::string& topic, std::string& json, std::chrono::milliseconds timeout) = 0;
};

}  // namespace soc::transport
