#include "core/transport/sender.h"

#include <fmt/core.h>

#include <cassert>
#include <cstring>
#include <optional>
#include <vector>
#include <zmq.hpp>

#include "core/clock.h"
#include "core/json_codec.h"
#include "core/log.h"
#include "core/transport/keys.h"
#include "core/transport/send_queue.h"
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
  ZmqSender(const SenderConfig& config, std::unique_ptr<Spool> spool)
      : config_(config), queue_(config.max_unacked_batches, std::move(spool)) {
    // Later than every epoch in the spool: the batches of earlier runs are resent in theirs.
    epoch_ = std::max(new_epoch(), queue_.newest_spooled_epoch() + 1);
  }

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
    next_maintain_ = started_;
    cur_payload_ = queue_.take_buffer();
    cur_payload_.reserve(std::min<size_t>(config_.batch_max_bytes, 64 * 1024));
    return {};
  }

  Result<void> send(std::string_view json) override {
    if (fatal_) return fail(*fatal_);
    if (cur_count_ > 0) {
      bool close = cur_count_ >= config_.batch_max_events || cur_payload_.size() + json.size() + 1 > config_.batch_max_bytes;
      // The flush deadline also holds for a caller that sends without polling; the clock is read
      // every 32 events, which costs nothing measurable and is far below any deadline.
      if (!close && (cur_count_ & 31) == 0) close = SteadyClock::now() - cur_started_ >= config_.flush_deadline;
      if (close) close_batch();
    }
    // A closed batch that found no room (window or spool full) is placed before the next event
    // is taken: this is where a sender stops reading its input.
    while (queue_.has_pending()) {
      if (auto r = poll(milliseconds(100)); !r) return r;
      if (auto r = check_stall(); !r) return r;
      if (config_.interrupted && config_.interrupted()) return fail("interrupted", "interrupted while waiting for room");
    }
    if (cur_count_ == 0) cur_started_ = SteadyClock::now();
    cur_payload_.append(json);
    cur_payload_ += '\n';
    ++cur_count_;
    ++stats_.events_queued;
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
      service(now);
      if (fatal_) return fail(*fatal_);

      auto wait = std::min(deadline, next_timer(now)) - now;
      if (wait < SteadyClock::duration::zero()) wait = SteadyClock::duration::zero();
      const bool want_out = connected_ && has_unsent();
      zmq::pollitem_t items[] = {
          {sock_.handle(), 0, static_cast<short>(ZMQ_POLLIN | (want_out ? ZMQ_POLLOUT : 0)), 0},
          {monitor_.handle(), 0, ZMQ_POLLIN, 0},
      };
      try {
        // Rounded up: a wait of 0.4 ms must not become a busy loop of zero-time polls.
        auto ms = std::chrono::ceil<milliseconds>(wait);
        zmq::poll(items, 2, ms);
      } catch (const zmq::error_t& e) {
        if (e.num() != EINTR) return fail("zmq", e.what());
      }
      if (items[1].revents & ZMQ_POLLIN) read_monitor();
      if (items[0].revents & ZMQ_POLLIN) read_replies();
      if (fatal_) return fail(*fatal_);
      // Return as soon as something happened, so that a waiting send() goes on at once.
      if (items[0].revents || items[1].revents || SteadyClock::now() >= deadline) {
        service(SteadyClock::now());
        return fatal_ ? Result<void>(fail(*fatal_)) : Result<void>();
      }
    }
  }

  Result<void> drain(milliseconds timeout) override {
    if (auto r = flush(); !r) return r;
    const auto deadline = SteadyClock::now() + timeout;
    while (!queue_.empty() || cur_count_ > 0) {
      const auto now = SteadyClock::now();
      if (now >= deadline) {
        return fail("timeout", fmt::format("{} events were not acknowledged within {} s{}", queue_.unacked_events() + cur_count_,
                                           std::chrono::duration_cast<std::chrono::seconds>(timeout).count(),
                                           connected_ ? "" : " (never connected: is the correlator running at " +
                                                                 config_.endpoint + "?)"));
      }
      if (auto r = poll(std::min<milliseconds>(milliseconds(100), std::chrono::duration_cast<milliseconds>(deadline - now)));
          !r) {
        return r;
      }
      if (cur_count_ > 0) close_batch();  // it waited for a pending batch to find room
    }
    return {};
  }

  std::vector<int> wait_fds() const override {
    std::vector<int> fds;
    try {
      fds.push_back(static_cast<int>(sock_.get(zmq::sockopt::fd)));
      fds.push_back(static_cast<int>(monitor_.get(zmq::sockopt::fd)));
    } catch (const zmq::error_t&) {
    }
    return fds;
  }

  SteadyClock::time_point next_deadline() override {
    const auto now = SteadyClock::now();
    try {
      // ZMQ_FD is edge-triggered: what is already queued does not wake a poll(2) again.
      const int ev = sock_.get(zmq::sockopt::events);
      if (ev & ZMQ_POLLIN) return now;
      if ((ev & ZMQ_POLLOUT) && connected_ && has_unsent()) return now;
      if (monitor_.get(zmq::sockopt::events) & ZMQ_POLLIN) return now;
    } catch (const zmq::error_t&) {
      return now;
    }
    return next_timer(now);
  }

  void set_position_source(std::function<std::string()> source) override { position_source_ = std::move(source); }
  SpoolPosition safe_position() const override { return queue_.safe_position(); }
  std::optional<SpoolPosition> recovered_position() const override { return queue_.recovered_position(); }

  SenderStats stats() const override {
    SenderStats s = stats_;
    const QueueStats q = queue_.stats();
    s.next_sequence = next_seq_;
    s.connected = connected_;
    s.events_acked = q.events_acked;
    s.events_unacked = queue_.unacked_events() + cur_count_;
    s.window_batches = q.window_batches;
    s.window_limit = queue_.window_limit();
    s.events_dropped_error = q.events_dropped_error;
    s.events_dropped_delivered = q.events_dropped_delivered;
    if (q.oldest_unacked_us > 0) {
      s.oldest_unacked_age_s = std::max(0.0, static_cast<double>(now_us() - q.oldest_unacked_us) / 1e6);
    } else if (cur_count_ > 0) {
      s.oldest_unacked_age_s = std::chrono::duration<double>(SteadyClock::now() - cur_started_).count();
    }
    if (const Spool* sp = queue_.spool()) {
      s.spool = true;
      s.spool_stats = sp->stats();
      s.events_dropped_full = s.spool_stats.events_dropped_full;
      s.events_dropped_age = s.spool_stats.events_dropped_age;
      s.events_dropped_error += s.spool_stats.events_dropped_disk;
    }
    s.events_dropped = s.events_dropped_full + s.events_dropped_age + s.events_dropped_error;
    return s;
  }

  void on_heartbeat(std::function<void(Event&)> fill) override { heartbeat_fill_ = std::move(fill); }
  uint64_t epoch() const override { return epoch_; }

 private:
  static int64_t now_us() { return static_cast<int64_t>(soc::now().time_since_epoch().count()); }

  Result<CurveKey> derive_public() {
    char pub[41];
    const std::string sec = z85_encode_key(config_.secret_key);
    if (zmq_curve_public(pub, sec.c_str()) != 0) return fail("bad_key", "cannot derive the public key");
    return *z85_decode_key(std::string_view(pub, 40));
  }

  Header header(MessageType type, uint64_t epoch, uint64_t seq, uint32_t count) const {
    Header h;
    h.type = type;
    h.epoch = epoch;
    h.seq = seq;
    h.count = count;
    h.sensor_id = config_.sensor_id;
    h.site = config_.site;
    return h;
  }

  // Everything due at `now` that needs no input: the flush deadline, a pending batch, the spool's
  // limits and retries, heartbeats, resends; then hands what it can to ZeroMQ.
  void service(SteadyClock::time_point now) {
    if (queue_.has_pending()) queue_.retry(now);
    if (cur_count_ > 0 && now - cur_started_ >= config_.flush_deadline) close_batch();
    if (now >= next_maintain_ || now >= queue_.next_retry()) {
      queue_.maintain(now, now_us());
      next_maintain_ = now + std::chrono::seconds(1);
    }
    if (now >= next_heartbeat_) send_heartbeat(now);
    check_ack_timeout(now);
    pump_sends();
  }

  // When service() next has something to do.
  SteadyClock::time_point next_timer(SteadyClock::time_point now) {
    auto t = std::min(next_heartbeat_, next_maintain_);
    t = std::min(t, queue_.next_retry());
    if (cur_count_ > 0) t = std::min(t, cur_started_ + std::chrono::duration_cast<SteadyClock::duration>(config_.flush_deadline));
    const auto& w = queue_.window();
    if (!w.empty() && w.front().sent) t = std::min(t, w.front().sent_at + config_.ack_timeout);
    if (queue_.has_pending()) t = std::min(t, now + milliseconds(100));
    return t;
  }

  // Closes the filling batch into the queue; not while a batch waits for room (the filling one
  // then waits too, and send() takes no more events meanwhile).
  void close_batch() {
    if (queue_.has_pending() && !queue_.retry(SteadyClock::now())) return;
    QueuedBatch b;
    b.epoch = epoch_;
    b.first = next_seq_;
    b.count = cur_count_;
    b.written_us = now_us();
    if (position_source_) b.position = position_source_();
    b.payload = std::move(cur_payload_);
    cur_payload_ = queue_.take_buffer();
    // An empty std::string has its small-string capacity (15), never 0: compare with the batch
    // just closed, or every batch grew from nothing (~9 reallocations and copies per batch,
    // ~400 instructions per event under callgrind).
    if (cur_payload_.capacity() < b.payload.capacity()) cur_payload_.reserve(b.payload.capacity());
    next_seq_ += cur_count_;
    cur_count_ = 0;
    queue_.add(std::move(b), SteadyClock::now());
    pump_sends();
  }

  bool has_unsent() const {
    for (const auto& b : queue_.window()) {
      if (!b.sent && !b.acked) return true;
    }
    return false;
  }

  // Hands unsent batches to ZeroMQ in order, until it would block.
  void pump_sends() {
    if (!connected_) return;
    for (auto& b : queue_.window()) {
      if (b.sent || b.acked) continue;
      assert(!b.payload.empty() && "a batch in the window always holds its events");
      if (b.header.empty()) b.header = encode_header(header(MessageType::Batch, b.epoch, b.first, b.count));
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
      if (b.ever_sent || b.epoch != epoch_) ++stats_.batches_resent;  // a spooled batch of an earlier run is a resend
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
    fill_counters(e);
    if (heartbeat_fill_) heartbeat_fill_(e);
    const std::string h = encode_header(header(MessageType::Heartbeat, epoch_, next_seq_, 0));
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

  // The transport's own counters (docs/fields.md, soc.sensor.*).
  void fill_counters(Event& e) const {
    const SenderStats s = stats();
    auto n = [](uint64_t v) { return static_cast<int64_t>(v); };
    e.set("soc.sensor.events_sent", n(s.events_queued));
    e.set("soc.sensor.events_acked", n(s.events_acked));
    e.set("soc.sensor.events_dropped", n(s.events_dropped));
    e.set("soc.sensor.events_unacked", n(s.events_unacked));
    e.set("soc.sensor.batches_resent", n(s.batches_resent));
    e.set("soc.sensor.next_sequence", n(s.next_sequence));
    e.set("soc.sensor.queue_batches", n(s.window_batches));
    e.set("soc.sensor.queue_batches_limit", n(s.window_limit));
    e.set("soc.sensor.oldest_unacked_age_seconds", s.oldest_unacked_age_s);
    if (s.events_dropped_error > 0 || s.spool) e.set("soc.sensor.events_dropped_disk_error", n(s.events_dropped_error));
    if (!s.spool) return;
    const SpoolStats& sp = s.spool_stats;
    e.set("soc.sensor.events_dropped_spool_full", n(sp.events_dropped_full));
    e.set("soc.sensor.events_dropped_spool_age", n(sp.events_dropped_age));
    e.set("soc.sensor.events_dropped_delivered", n(s.events_dropped_delivered));
    e.set("soc.sensor.spool_bytes", n(sp.bytes));
    e.set("soc.sensor.spool_bytes_limit", n(config_.spool->max_bytes));
    e.set("soc.sensor.spool_segments", n(sp.segments));
    e.set("soc.sensor.spool_batches", n(sp.records));
    e.set("soc.sensor.spool_events", n(sp.events));
    e.set("soc.sensor.spool_events_recovered", n(sp.events_recovered));
    e.set("soc.sensor.spool_torn_records", n(sp.records_torn));
    e.set("soc.sensor.spool_corrupt_records", n(sp.records_corrupt));
    e.set("soc.sensor.spool_write_errors", n(sp.write_errors));
  }

  void check_ack_timeout(SteadyClock::time_point now) {
    const auto& w = queue_.window();
    if (w.empty() || !w.front().sent) return;
    if (now - w.front().sent_at < config_.ack_timeout) return;
    log::warn("transport", "no acknowledgement for {} s: sending {} unacknowledged batches again",
              std::chrono::duration_cast<std::chrono::seconds>(config_.ack_timeout).count(), w.size());
    for (auto& b : queue_.window()) b.sent = false;
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
          if (config_.insecure) {  // no handshake event without a security mechanism
            connected_ = true;
            if (stats_.heartbeats_sent == 0) next_heartbeat_ = SteadyClock::now();
          }
          break;
        case ZMQ_EVENT_DISCONNECTED:
          if (connected_) log::warn("transport", "disconnected from {}; will resend what is unacknowledged", config_.endpoint);
          connected_ = false;
          // What ZeroMQ still queued for the old connection is gone: send it all again.
          for (auto& b : queue_.window()) b.sent = false;
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
      if (hdr.type == MessageType::Ack) {
        // Acknowledgements of any epoch we hold batches of (this run's, and spooled earlier runs').
        const uint64_t before = queue_.stats().events_acked;
        queue_.ack(hdr.epoch, hdr.seq);
        if (queue_.stats().events_acked != before) last_progress_ = SteadyClock::now();
      } else if (hdr.type == MessageType::Nack) {
        refusal("rejected", fmt::format("the correlator refused a message: {}", payload));
      }
    }
  }

  SenderConfig config_;
  uint64_t epoch_ = 0;
  SendQueue queue_;
  zmq::context_t ctx_{1};
  zmq::socket_t sock_;
  zmq::socket_t monitor_;
  std::string cur_payload_;
  uint32_t cur_count_ = 0;
  SteadyClock::time_point cur_started_;
  uint64_t next_seq_ = 0;
  bool connected_ = false;
  int protocol_failures_ = 0;
  std::optional<Error> fatal_;
  SenderStats stats_;
  SteadyClock::time_point started_, last_progress_, next_heartbeat_, next_maintain_;
  std::function<void(Event&)> heartbeat_fill_;
  std::function<std::string()> position_source_;
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

Result<std::unique_ptr<Sender>> Sender::connect(const SenderConfig& config_in) {
  SenderConfig config = config_in;
  if (!valid_id(config.sensor_id)) {
    return fail("bad_sensor_id", fmt::format("sensor id '{}' must be 1-64 characters of [A-Za-z0-9._:-]", config.sensor_id));
  }
  if (!valid_id(config.site, true)) {
    return fail("bad_site", fmt::format("site '{}' must be up to 64 characters of [A-Za-z0-9._:-]", config.site));
  }
  std::unique_ptr<Spool> spool;
  if (config.spool) {
    // A batch is at most an eighth of the spool, so that dropping the oldest segments always
    // makes room for one.
    config.batch_max_bytes = std::max<size_t>(4096, std::min<uint64_t>(config.batch_max_bytes, config.spool->max_bytes / 8));
    auto s = Spool::open(*config.spool);
    if (!s) return fail(s.error());
    spool = std::move(*s);
  }
  auto s = std::make_unique<ZmqSender>(config, std::move(spool));
  if (auto r = s->open(); !r) return fail(r.error());
  return std::unique_ptr<Sender>(std::move(s));
}

}  // namespace soc::transport
