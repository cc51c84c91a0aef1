#include "core/transport/sender.h"

#include <fmt/core.h>

#include <cstring>
#include <deque>
#include <optional>
#include <vector>
#include <zmq.hpp>

#include "core/clock.h"
#include "core/json_codec.h"
#include "core/log.h"
#include "core/transport/keys.h"
#include "core/transport/wire.h"
#include "soc_build_config.h"

namespace soc::transport {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The epoch orders the runs of a sender: its start time in microseconds. The correlator takes a
// newer epoch for a restart and still accounts for late batches of an older one.
uint64_t new_epoch() {
  return static_cast<uint64_t>(soc::now().time_since_epoch().count());
}

class ZmqSender final : public Sender {
 public:
  explicit ZmqSender(const SenderConfig& config) : config_(config), epoch_(new_epoch()) {}

  Result<void> open() {
    try {
      sock_ = zmq::socket_t(ctx_, zmq::socket_type::dealer);
      sock_.set(zmq::sockopt::linger, 0);
      sock_.set(zmq::sockopt::immediate, 1);  // queue only to a peer that completed its handshake
      sock_.set(zmq::sockopt::sndhwm, static_cast<int>(config_.max_unacked_batches * 2 + 16));
      sock_.set(zmq::sockopt::rcvhwm, 10'000);
      sock_.set(zmq::sockopt::reconnect_ivl, 100);
      sock_.set(zmq::sockopt::reconnect_ivl_max, 5'000);
      if (!config_.insecure) {
        auto pub = derive_public();
        if (!pub) return fail(pub.error());
        sock_.set(zmq::sockopt::curve_serverkey, zmq::const_buffer(config_.server_public_key.data(), 32));
        sock_.set(zmq::sockopt::curve_publickey, zmq::const_buffer(pub->data(), 32));
        sock_.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(config_.secret_key.data(), 32));
      }
      const std::string monitor_ep = fmt::format("inproc://soc-sender-monitor-{}", static_cast<void*>(this));
      if (zmq_socket_monitor(sock_.handle(), monitor_ep.c_str(),
                             ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                                 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0) {
        return fail("monitor", fmt::format("cannot monitor the socket: {}", zmq_strerror(zmq_errno())));
      }
      monitor_ = zmq::socket_t(ctx_, zmq::socket_type::pair);
      monitor_.connect(monitor_ep);
      sock_.connect(config_.endpoint);
    } catch (const zmq::error_t& e) {
      return fail("bad_endpoint", fmt::format("cannot connect to '{}': {}", config_.endpoint, e.what()));
    }
    started_ = SteadyClock::now();
    last_progress_ = started_;
    next_heartbeat_ = started_ + config_.heartbeat_interval;
    return {};
  }

  Result<void> send(std::string_view json) override {
    if (fatal_) return fail(*fatal_);
    if (cur_count_ > 0 && (cur_count_ >= config_.batch_max_events ||
                           cur_payload_.size() + json.size() + 1 > config_.batch_max_bytes)) {
      close_batch();
    }
    if (cur_count_ == 0) cur_started_ = SteadyClock::now();
    cur_payload_.append(json);
    cur_payload_ += '\n';
    ++cur_count_;
    ++stats_.events_queued;
    while (unacked_.size() >= config_.max_unacked_batches) {
      if (auto r = poll(milliseconds(100)); !r) return r;
      if (auto r = check_stall(); !r) return r;
    }
    return {};
  }

  Result<void> flush() override {
    if (cur_count_ > 0) close_batch();
    return fatal_ ? Result<void>(fail(*fatal_)) : Result<void>();
  }

  Result<void> poll(milliseconds timeout) override {
    const auto deadline = SteadyClock::now() + timeout;
    while (true) {
      auto now = SteadyClock::now();
      if (cur_count_ > 0 && now - cur_started_ >= config_.flush_interval) close_batch();
      if (now >= next_heartbeat_) send_heartbeat(now);
      check_ack_timeout(now);
      pump_sends();
      if (fatal_) return fail(*fatal_);

      auto wait = deadline - now;
      if (cur_count_ > 0) wait = std::min<SteadyClock::duration>(wait, cur_started_ + config_.flush_interval - now);
      wait = std::min<SteadyClock::duration>(wait, next_heartbeat_ - now);
      if (wait < SteadyClock::duration::zero()) wait = SteadyClock::duration::zero();
      const bool want_out = connected_ && has_unsent();
      zmq::pollitem_t items[] = {
          {sock_.handle(), 0, static_cast<short>(ZMQ_POLLIN | (want_out ? ZMQ_POLLOUT : 0)), 0},
          {monitor_.handle(), 0, ZMQ_POLLIN, 0},
      };
      try {
        zmq::poll(items, 2, std::chrono::duration_cast<milliseconds>(wait));
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) return fail("zmq", e.what());
      }
      if (items[1].revents & ZMQ_POLLIN) read_monitor();
      if (items[0].revents & ZMQ_POLLIN) read_replies();
      if (fatal_) return fail(*fatal_);
      // Return as soon as something happened, so that a waiting send() goes on at once.
      if (items[0].revents || items[1].revents || SteadyClock::now() >= deadline) {
        pump_sends();
        return {};
      }
    }
  }

  Result<void> drain(milliseconds timeout) override {
    if (auto r = flush(); !r) return r;
    const auto deadline = SteadyClock::now() + timeout;
    while (!unacked_.empty()) {
      const auto now = SteadyClock::now();
      if (now >= deadline) {
        return fail("timeout", fmt::format("{} events were not acknowledged within {} s{}", unacked_events(),
                                           std::chrono::duration_cast<std::chrono::seconds>(timeout).count(),
                                           connected_ ? "" : " (never connected: is the correlator running at " +
                                                                 config_.endpoint + "?)"));
      }
      if (auto r = poll(std::min<milliseconds>(milliseconds(100), std::chrono::duration_cast<milliseconds>(deadline - now)));
          !r) {
        return r;
      }
    }
    return {};
  }

  SenderStats stats() const override {
    SenderStats s = stats_;
    s.next_sequence = next_seq_;
    s.connected = connected_;
    s.events_acked = acked_;
    return s;
  }

  void on_heartbeat(std::function<void(Event&)> fill) override { heartbeat_fill_ = std::move(fill); }
  uint64_t epoch() const override { return epoch_; }

 private:
  struct Batch {
    uint64_t first = 0;
    uint32_t count = 0;
    std::string header;
    std::string payload;
    bool sent = false;
    bool ever_sent = false;
    SteadyClock::time_point sent_at;
  };

  Result<CurveKey> derive_public() {
    char pub[41];
    const std::string sec = z85_encode_key(config_.secret_key);
    if (zmq_curve_public(pub, sec.c_str()) != 0) return fail("bad_key", "cannot derive the public key");
    return *z85_decode_key(std::string_view(pub, 40));
  }

  Header header(MessageType type, uint64_t seq, uint32_t count) const {
    Header h;
    h.type = type;
    h.epoch = epoch_;
    h.seq = seq;
    h.count = count;
    h.sensor_id = config_.sensor_id;
    h.site = config_.site;
    return h;
  }

  void close_batch() {
    Batch b;
    b.first = next_seq_;
    b.count = cur_count_;
    b.header = encode_header(header(MessageType::Batch, b.first, b.count));
    b.payload = std::move(cur_payload_);
    // Reuse the buffer of an acknowledged batch: allocating ~100 KiB per batch made the
    // allocator return memory to the kernel and fault it back in, batch after batch.
    if (!spare_.empty()) {
      cur_payload_ = std::move(spare_.back());
      spare_.pop_back();
    } else {
      cur_payload_ = std::string();
      cur_payload_.reserve(b.payload.capacity());
    }
    cur_payload_.clear();
    next_seq_ += cur_count_;
    cur_count_ = 0;
    unacked_.push_back(std::move(b));
    pump_sends();
  }

  bool has_unsent() const {
    for (const auto& b : unacked_) {
      if (!b.sent) return true;
    }
    return false;
  }

  uint64_t unacked_events() const {
    uint64_t n = cur_count_;
    for (const auto& b : unacked_) n += b.count;
    return n;
  }

  // Hands unsent batches to ZeroMQ in sequence order, until it would block.
  void pump_sends() {
    if (!connected_) return;
    for (auto& b : unacked_) {
      if (b.sent) continue;
      try {
        zmq::message_t h(b.header.data(), b.header.size());
        if (!sock_.send(h, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return;
        zmq::message_t p(b.payload.data(), b.payload.size());
        // The first frame is queued: the second cannot block (ZeroMQ queues whole messages).
        sock_.send(p, zmq::send_flags::none);
      } catch (const zmq::error_t& e) {
        log::warn("transport", "send failed: {}", e.what());
        return;
      }
      b.sent = true;
      b.sent_at = SteadyClock::now();
      if (b.ever_sent) ++stats_.batches_resent;
      else ++stats_.batches_sent;
      b.ever_sent = true;
    }
  }

  void send_heartbeat(SteadyClock::time_point now) {
    next_heartbeat_ = now + config_.heartbeat_interval;
    if (!connected_) return;
    Event e;
    e.set("@timestamp", soc::now());
    e.set("event.kind", "metric");
    e.set("event.dataset", "soc.heartbeat");
    e.set("event.category", List{Value("host")});
    e.set("observer.name", config_.sensor_id);
    e.set("site.id", config_.site);
    e.set("soc.sensor.version", SOC_VERSION);
    e.set("soc.sensor.uptime_seconds",
          static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(now - started_).count()));
    e.set("soc.sensor.events_sent", static_cast<int64_t>(stats_.events_queued));
    e.set("soc.sensor.events_acked", static_cast<int64_t>(acked_));
    e.set("soc.sensor.events_dropped", int64_t{0});
    e.set("soc.sensor.batches_resent", static_cast<int64_t>(stats_.batches_resent));
    e.set("soc.sensor.next_sequence", static_cast<int64_t>(next_seq_));
    if (heartbeat_fill_) heartbeat_fill_(e);
    const std::string h = encode_header(header(MessageType::Heartbeat, next_seq_, 0));
    const std::string payload = encode_event(e);
    try {
      zmq::message_t hm(h.data(), h.size());
      if (!sock_.send(hm, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return;
      zmq::message_t pm(payload.data(), payload.size());
      sock_.send(pm, zmq::send_flags::none);
      ++stats_.heartbeats_sent;
    } catch (const zmq::error_t& e) {
      log::warn("transport", "heartbeat failed: {}", e.what());
    }
  }

  void check_ack_timeout(SteadyClock::time_point now) {
    if (unacked_.empty() || !unacked_.front().sent) return;
    if (now - unacked_.front().sent_at < config_.ack_timeout) return;
    log::warn("transport", "no acknowledgement for {} s: sending {} unacknowledged batches again",
              std::chrono::duration_cast<std::chrono::seconds>(config_.ack_timeout).count(), unacked_.size());
    for (auto& b : unacked_) b.sent = false;
  }

  Result<void> check_stall() {
    if (config_.stall_timeout.count() == 0) return {};
    if (SteadyClock::now() - last_progress_ < config_.stall_timeout) return {};
    return fail("timeout", fmt::format("the correlator acknowledged nothing for {} s{}",
                                       std::chrono::duration_cast<std::chrono::seconds>(config_.stall_timeout).count(),
                                       connected_ ? "" : " (not connected)"));
  }

  void refusal(std::string code, std::string message) {
    ++stats_.refusals;
    if (config_.fail_on_refusal) {
      if (!fatal_) fatal_ = Error{std::move(code), std::move(message)};
    } else if (stats_.refusals == 1 || stats_.refusals % 100 == 0) {
      log::error("transport", "{} (refusal {})", message, stats_.refusals);
    }
  }

  void read_monitor() {
    while (true) {
      zmq::message_t ev, addr;
      try {
        if (!monitor_.recv(ev, zmq::recv_flags::dontwait)) return;
        if (ev.more()) (void)monitor_.recv(addr, zmq::recv_flags::none);
      } catch (const zmq::error_t&) {
        return;
      }
      if (ev.size() < 6) continue;
      uint16_t id;
      uint32_t value;
      std::memcpy(&id, ev.data(), 2);
      std::memcpy(&value, static_cast<const char*>(ev.data()) + 2, 4);
      switch (id) {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
          connected_ = true;
          protocol_failures_ = 0;
          log::debug("transport", "connected to {}", config_.endpoint);
          if (stats_.heartbeats_sent == 0) next_heartbeat_ = SteadyClock::now();
          break;
        case ZMQ_EVENT_CONNECTED:
          if (config_.insecure) connected_ = true;  // no handshake event without a security mechanism
          break;
        case ZMQ_EVENT_DISCONNECTED:
          if (connected_) log::warn("transport", "disconnected from {}; will resend what is unacknowledged", config_.endpoint);
          connected_ = false;
          // What ZeroMQ still queued for the old connection is gone: send it all again.
          for (auto& b : unacked_) b.sent = false;
          break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
          refusal("auth_refused",
                  fmt::format("the correlator at {} refused this sensor's key (ZAP status {}): is the sensor's "
                              "public key in the correlator's allowlist?", config_.endpoint, value));
          break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
          if (++protocol_failures_ >= 3) {
            refusal("handshake_failed",
                    fmt::format("the CURVE handshake with {} keeps failing: is --server-pub the correlator's public "
                                "key, and does the correlator use CURVE?", config_.endpoint));
          }
          break;
        default:
          break;
      }
    }
  }

  void read_replies() {
    while (true) {
      zmq::message_t h;
      try {
        if (!sock_.recv(h, zmq::recv_flags::dontwait)) return;
      } catch (const zmq::error_t&) {
        return;
      }
      std::string payload;
      while (h.more()) {
        zmq::message_t part;
        if (!sock_.recv(part, zmq::recv_flags::none)) break;
        payload.assign(static_cast<const char*>(part.data()), part.size());
        if (!part.more()) break;
      }
      Header hdr;
      if (decode_header(h.to_string_view(), hdr)) continue;  // not ours to judge: ignore
      if (hdr.epoch != epoch_) continue;                     // reply to an earlier run
      if (hdr.type == MessageType::Ack) {
        if (hdr.seq > acked_) {
          acked_ = hdr.seq;
          last_progress_ = SteadyClock::now();
        }
        while (!unacked_.empty() && unacked_.front().first + unacked_.front().count <= acked_) {
          if (spare_.size() < 4) spare_.push_back(std::move(unacked_.front().payload));
          unacked_.pop_front();
        }
      } else if (hdr.type == MessageType::Nack) {
        refusal("rejected", fmt::format("the correlator refused a message: {}", payload));
      }
    }
  }

  SenderConfig config_;
  uint64_t epoch_;
  zmq::context_t ctx_{1};
  zmq::socket_t sock_;
  zmq::socket_t monitor_;
  std::deque<Batch> unacked_;
  std::string cur_payload_;
  std::vector<std::string> spare_;  // payload buffers of acknowledged batches, for reuse
  uint32_t cur_count_ = 0;
  SteadyClock::time_point cur_started_;
  uint64_t next_seq_ = 0;
  uint64_t acked_ = 0;
  bool connected_ = false;
  int protocol_failures_ = 0;
  std::optional<Error> fatal_;
  SenderStats stats_;
  SteadyClock::time_point started_, last_progress_, next_heartbeat_;
  std::function<void(Event&)> heartbeat_fill_;
};

}  // namespace

Result<void> load_keys(SenderConfig& config, const std::string& server_pub_path, const std::string& secret_key_path) {
  if (config.insecure) return {};
  auto server = read_key_file(server_pub_path);
  if (!server) return fail(server.error().code, "--server-pub: " + server.error().message);
  auto secret = read_secret_key_file(secret_key_path);
  if (!secret) return fail(secret.error().code, "--key: " + secret.error().message);
  config.server_public_key = *server;
  config.secret_key = *secret;
  return {};
}

Result<std::unique_ptr<Sender>> Sender::connect(const SenderConfig& config) {
  if (!valid_id(config.sensor_id)) {
    return fail("bad_sensor_id", fmt::format("sensor id '{}' must be 1-64 characters of [A-Za-z0-9._:-]", config.sensor_id));
  }
  if (!valid_id(config.site, true)) {
    return fail("bad_site", fmt::format("site '{}' must be up to 64 characters of [A-Za-z0-9._:-]", config.site));
  }
  auto s = std::make_unique<ZmqSender>(config);
  if (auto r = s->open(); !r) return fail(r.error());
  return std::unique_ptr<Sender>(std::move(s));
}

}  // namespace soc::transport
