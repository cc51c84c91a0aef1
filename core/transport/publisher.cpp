#include "core/transport/publisher.h"

#include <fmt/core.h>

#include <cerrno>
#include <map>
#include <zmq.hpp>

namespace soc::transport {
namespace {

class ZmqPublisher final : public Publisher {
 public:
  Result<void> open(const std::string& endpoint) {
    try {
      sock_ = zmq::socket_t(ctx_, zmq::socket_type::xpub);
      sock_.set(zmq::sockopt::linger, 0);
      sock_.set(zmq::sockopt::sndhwm, 100'000);
      sock_.set(zmq::sockopt::xpub_verbose, 1);  // see every (un)subscription, not only the first
      sock_.bind(endpoint);
    } catch (const zmq::error_t& e) {
      if (e.num() == EADDRINUSE)
        return fail("bind", fmt::format("{} is already in use by another program", endpoint));
      return fail("bind", fmt::format("cannot publish on '{}': {}", endpoint, e.what()));
    }
    return {};
  }

  void update_subscriptions() override {
    while (true) {
      zmq::message_t m;
      try {
        if (!sock_.recv(m, zmq::recv_flags::dontwait)) return;
      } catch (const zmq::error_t&) {
        return;
      }
      if (m.empty()) continue;
      const auto* p = static_cast<const char*>(m.data());
      std::string prefix(p + 1, m.size() - 1);
      if (p[0] == 1) {
        ++subs_[prefix];
      } else if (p[0] == 0) {
        auto it = subs_.find(prefix);
        if (it != subs_.end() && --it->second <= 0) subs_.erase(it);
      }
    }
  }

  bool wanted(std::string_view topic) const override {
    for (const auto& [prefix, n] : subs_) {
      if (topic.substr(0, prefix.size()) == prefix) return true;
    }
    return false;
  }

  void publish(std::string_view topic, std::string_view json) override {
    try {
      zmq::message_t t(topic.data(), topic.size());
      if (!sock_.send(t, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return;
      zmq::message_t j(json.data(), json.size());
      sock_.send(j, zmq::send_flags::none);
    } catch (const zmq::error_t&) {
      // A slow subscriber loses messages; the correlator never waits for it.
    }
  }

  std::string bound_endpoint() const override { return sock_.get(zmq::sockopt::last_endpoint); }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t sock_;
  std::map<std::string, int> subs_;
};

class ZmqSubscriber final : public Subscriber {
 public:
  Result<void> open(const std::string& endpoint, const std::vector<std::string>& topics) {
    try {
      sock_ = zmq::socket_t(ctx_, zmq::socket_type::sub);
      sock_.set(zmq::sockopt::linger, 0);
      sock_.set(zmq::sockopt::rcvhwm, 100'000);
      if (topics.empty()) sock_.set(zmq::sockopt::subscribe, "");
      for (const auto& t : topics) sock_.set(zmq::sockopt::subscribe, t);
      sock_.connect(endpoint);
    } catch (const zmq::error_t& e) {
      return fail("connect", fmt::format("cannot subscribe to '{}': {}", endpoint, e.what()));
    }
    return {};
  }

  bool next(std::string& topic, std::string& json, std::chrono::milliseconds timeout) override {
    zmq::pollitem_t item{sock_.handle(), 0, ZMQ_POLLIN, 0};
    try {
      if (zmq::poll(&item, 1, timeout) <= 0) return false;
      zmq::message_t t, j;
      if (!sock_.recv(t, zmq::recv_flags::dontwait)) return false;
      topic = t.to_string();
      json.clear();
      if (t.more() && sock_.recv(j, zmq::recv_flags::none)) json = j.to_string();
      while (j.more()) {  // ignore unexpected extra frames
        zmq::message_t extra;
        if (!sock_.recv(extra, zmq::recv_flags::none)) break;
        if (!extra.more()) break;
      }
      return true;
    } catch (const zmq::error_t&) {
      return false;
    }
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t sock_;
};

}  // namespace

Result<std::unique_ptr<Publisher>> Publisher::bind(const std::string& endpoint) {
  auto p = std::make_unique<ZmqPublisher>();
  if (auto r = p->open(endpoint); !r) return fail(r.error());
  return std::unique_ptr<Publisher>(std::move(p));
}

Result<std::unique_ptr<Subscriber>> Subscriber::connect(const std::string& endpoint,
                                                        const std::vector<std::string>& topics) {
  auto s = std::make_unique<ZmqSubscriber>();
  if (auto r = s->open(endpoint, topics); !r) return fail(r.error());
  return std::unique_ptr<Subscriber>(std::move(s));
}

}  // namespace soc::transport
