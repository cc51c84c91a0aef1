#include "core/transport/receiver.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <zmq.hpp>

#include "core/log.h"

namespace soc::transport {
namespace {

class ZmqReceiver final : public Receiver {
 public:
  ZmqReceiver(const ReceiverConfig& config, RejectObserver on_reject)
      : config_(config), on_reject_(std::move(on_reject)) {
    for (size_t i = 0; i < config_.allowlist.size(); ++i) by_key_[config_.allowlist[i].public_key] = i;
  }

  Result<void> open() {
    try {
      if (!config_.insecure) {
        // The ZAP handler must be bound before the server socket accepts anyone: without a
        // handler, libzmq admits every CURVE client.
        zap_ = zmq::socket_t(ctx_, zmq::socket_type::rep);
        zap_.bind("inproc://zeromq.zap.01");
      }
      sock_ = zmq::socket_t(ctx_, zmq::socket_type::router);
      sock_.set(zmq::sockopt::linger, 0);
      sock_.set(zmq::sockopt::rcvhwm, ReceiverConfig::kQueuedPerConnection);
      sock_.set(zmq::sockopt::sndhwm, 10'000);
      sock_.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(config_.max_message_bytes));
      sock_.set(zmq::sockopt::router_mandatory, 0);
      if (!config_.insecure) {
        sock_.set(zmq::sockopt::curve_server, 1);
        sock_.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(config_.server_secret_key.data(), 32));
        sock_.set(zmq::sockopt::zap_domain, "soc");
      }
      sock_.bind(config_.endpoint);
    } catch (const zmq::error_t& e) {
      if (e.num() == EADDRINUSE)
        return fail("bind", fmt::format("{} is already in use by another program", config_.endpoint));
      return fail("bind", fmt::format("cannot listen on '{}': {}", config_.endpoint, e.what()));
    }
    return {};
  }

  bool next(Delivery& out, std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    out.queued = true;
    while (true) {
      if (try_receive(out)) return true;
      out.queued = false;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      zmq::pollitem_t items[2] = {{sock_.handle(), 0, ZMQ_POLLIN, 0}, {nullptr, 0, 0, 0}};
      int n = 1;
      if (zap_) items[n++] = {zap_.handle(), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(items, n, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) return false;
        log::error("transport", "poll: {}", e.what());
        return false;
      }
      if (n == 2 && (items[1].revents & ZMQ_POLLIN)) handle_zap();
      if (!(items[0].revents & ZMQ_POLLIN)) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
      }
    }
  }

  void ack(const Delivery& d, uint64_t next_seq, uint32_t count) override {
    Header h;
    h.type = MessageType::Ack;
    h.epoch = d.header.epoch;
    h.seq = next_seq;
    h.count = count;
    h.sensor_id = d.header.sensor_id;
    h.site = d.header.site;
    reply(d.routing_id, encode_header(h), {});
  }

  void nack(const Delivery& d, std::string_view reason) override {
    Header h;
    h.type = MessageType::Nack;
    h.epoch = d.header.epoch;
    h.seq = d.header.seq;
    h.sensor_id = valid_id(d.header.sensor_id) ? d.header.sensor_id : "-";
    h.site = valid_id(d.header.site, true) ? d.header.site : "";
    reply(d.routing_id, encode_header(h), reason);
  }

  std::string bound_endpoint() const override {
    try {
      return sock_.get(zmq::sockopt::last_endpoint);
    } catch (const zmq::error_t&) {
      return config_.endpoint;
    }
  }

 private:
  void reply(const std::string& routing_id, const std::string& header, std::string_view payload) {
    try {
      zmq::message_t id(routing_id.data(), routing_id.size());
      if (!sock_.send(id, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return;
      zmq::message_t h(header.data(), header.size());
      if (payload.empty()) {
        sock_.send(h, zmq::send_flags::none);
      } else {
        sock_.send(h, zmq::send_flags::sndmore);
        zmq::message_t p(payload.data(), payload.size());
        sock_.send(p, zmq::send_flags::none);
      }
    } catch (const zmq::error_t& e) {
      log::debug("transport", "reply failed: {}", e.what());  // the peer went away: it will resend
    }
  }

  // Reads one message if there is one; returns true when it is acceptable.
  bool try_receive(Delivery& out) {
    frames_.clear();
    try {
      zmq::message_t part;
      if (!sock_.recv(part, zmq::recv_flags::dontwait)) return false;
      bool more = part.more();
      frames_.push_back(std::move(part));
      while (more) {
        zmq::message_t next;
        if (!sock_.recv(next, zmq::recv_flags::none)) break;
        more = next.more();
        if (frames_.size() < 8) frames_.push_back(std::move(next));  // drop absurd extra frames
        else extra_frames_ = true;
      }
    } catch (const zmq::error_t& e) {
      if (e.num() != EAGAIN && e.num() != EINTR) log::error("transport", "recv: {}", e.what());
      return false;
    }
    const bool extra = extra_frames_;
    extra_frames_ = false;
    // frames_[0] is the routing id ROUTER adds; then header and payload.
    out.routing_id.assign(static_cast<const char*>(frames_[0].data()), frames_[0].size());
    out.header = Header{};
    if (frames_.size() != 3 || extra) {
      reject(out, "frame_count", "");
      return false;
    }
    if (auto err = decode_header(frames_[1].to_string_view(), out.header)) {
      // Nothing in the header can be trusted: count, do not answer.
      on_reject_(to_string(*err), "");
      return false;
    }
    if (out.header.type != MessageType::Batch && out.header.type != MessageType::Heartbeat) {
      reject(out, to_string(WireError::BadType), out.header.sensor_id);
      return false;
    }
    const char* peer = frames_[1].gets("Peer-Address");
    out.peer_address = peer ? peer : "";
    out.payload = frames_[2].to_string_view();
    if (config_.insecure) {
      out.sensor_id = out.header.sensor_id;
      out.site = out.header.site;
      return true;
    }
    const char* user = frames_[1].gets("User-Id");
    const std::string_view bound = user ? user : "";
    const config::SensorBinding* binding = nullptr;
    for (const auto& b : config_.allowlist) {
      if (b.id == bound) binding = &b;
    }
    if (!binding) {  // cannot happen when ZAP admitted the peer; refuse rather than trust
      reject(out, "unknown_key", out.header.sensor_id);
      return false;
    }
    if (out.header.sensor_id != binding->id) {
      reject(out, "sensor_mismatch", binding->id,
             fmt::format("this key is bound to sensor '{}', the message claims '{}'", binding->id, out.header.sensor_id));
      return false;
    }
    if (!out.header.site.empty() && out.header.site != binding->site) {
      reject(out, "site_mismatch", binding->id,
             fmt::format("sensor '{}' is bound to site '{}', the message claims '{}'", binding->id, binding->site,
                         out.header.site));
      return false;
    }
    out.sensor_id = binding->id;
    out.site = binding->site;
    return true;
  }

  void reject(const Delivery& d, std::string_view reason, std::string_view sensor, std::string_view text = {}) {
    on_reject_(reason, sensor);
    const auto key = fmt::format("{}/{}", reason, sensor);
    if (should_log(key)) {
      log::warn("transport", "refused a message from {} ({}): {}", sensor.empty() ? "an unknown sender" : sensor, reason,
                text.empty() ? reason : text);
    }
    nack(d, text.empty() ? std::string(reason) : fmt::format("{}: {}", reason, text));
  }

  // Each kind of refusal is logged once per sender; the set is bounded so that a flood of
  // unknown keys cannot grow it (the counters still count every refusal).
  bool should_log(const std::string& key) {
    if (logged_.size() >= 1024) return false;
    return logged_.insert(key).second;
  }

  void handle_zap() {
    std::vector<zmq::message_t> req;
    try {
      while (true) {
        zmq::message_t part;
        if (!zap_.recv(part, zmq::recv_flags::dontwait)) break;
        const bool more = part.more();
        req.push_back(std::move(part));
        if (!more) break;
      }
    } catch (const zmq::error_t&) {
      return;
    }
    if (req.size() < 6) return;  // malformed request from libzmq itself: nothing sensible to answer
    const std::string request_id = req[1].to_string();
    const std::string address = req[3].to_string();
    const std::string mechanism = req[5].to_string();
    std::string status = "400", text = "unknown key", user;
    if (mechanism == "CURVE" && req.size() >= 7 && req[6].size() == 32) {
      CurveKey key;
      std::memcpy(key.data(), req[6].data(), 32);
      auto it = by_key_.find(key);
      if (it != by_key_.end()) {
        status = "200";
        text = "OK";
        user = config_.allowlist[it->second].id;
      } else {
        on_reject_("unknown_key", "");
        const std::string z = z85_encode_key(key);
        if (should_log("zap/" + z)) {
          log::warn("transport", "refused a sensor from {} with an unknown public key {}", address, z);
        }
      }
    } else {
      on_reject_("unknown_key", "");
    }
    try {
      zap_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
      zap_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
      zap_.send(zmq::buffer(status), zmq::send_flags::sndmore);
      zap_.send(zmq::buffer(text), zmq::send_flags::sndmore);
      zap_.send(zmq::buffer(user), zmq::send_flags::sndmore);
      zap_.send(zmq::str_buffer(""), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      log::error("transport", "ZAP reply failed: {}", e.what());
    }
  }

  ReceiverConfig config_;
  RejectObserver on_reject_;
  std::map<CurveKey, size_t> by_key_;
  zmq::context_t ctx_{1};
  zmq::socket_t zap_;
  zmq::socket_t sock_;
  std::vector<zmq::message_t> frames_;
  bool extra_frames_ = false;
  std::set<std::string> logged_;  // log each kind of refusal once per peer
};

}  // namespace

Result<std::unique_ptr<Receiver>> Receiver::bind(const ReceiverConfig& config, RejectObserver on_reject) {
  auto r = std::make_unique<ZmqReceiver>(config, std::move(on_reject));
  if (auto ok = r->open(); !ok) return fail(ok.error());
  return std::unique_ptr<Receiver>(std::move(r));
}

}  // namespace soc::transport
