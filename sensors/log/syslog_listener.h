// The syslog listener: UDP (one message per datagram) and TCP (RFC 6587: octet counting
// "LEN MSG" or newline framing, detected per frame), on numeric addresses. Single-threaded:
// poll() drives every socket; nothing here blocks longer than the poll timeout.
//
// TCP is bounded against senders that connect and say nothing (docs/adr/0034): at most
// `max_connections` at once and `max_per_source` from one address; a connection silent for
// `idle_timeout` is closed; when the table is full, a new connection takes the place of the one
// that has been silent longest (if it has been silent for at least a second), so that idle
// connections cannot shut a real sender out. Every refusal and close is counted by reason.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace soc::sensors::log {

struct ListenerStats {
  uint64_t udp_messages = 0;
  uint64_t tcp_messages = 0;
  uint64_t tcp_connections = 0;
  uint64_t truncated = 0;        // frames longer than max_message_bytes (cut, the rest skipped)
  uint64_t refused_connections = 0;  // every refusal, whatever the reason (the sum of the next two)
  uint64_t refused_per_source = 0;   // the source already had max_per_source connections
  uint64_t refused_full = 0;         // max_connections, none silent long enough to make room
  uint64_t closed_idle = 0;          // silent for idle_timeout
  uint64_t evicted_idle = 0;         // the longest-silent, closed to make room for a new one
  uint64_t open_connections = 0;     // now
};

struct TcpLimits {
  size_t max_connections = 512;
  size_t max_per_source = 32;
  std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
};

class SyslogListener {
 public:
  // `message` is one syslog message without framing; `peer` is "ip:port" of the sender. The views
  // are valid during the call only. `truncated` is true when the message was cut.
  using Handler = std::function<void(std::string_view message, std::string_view peer, bool truncated)>;

  SyslogListener() = default;
  ~SyslogListener();
  SyslogListener(const SyslogListener&) = delete;
  SyslogListener& operator=(const SyslogListener&) = delete;

  // ADDR:PORT, [v6]:PORT; port 0 picks a free one (see udp_port()/tcp_port()). Errors (address
  // taken, not numeric) are values with code "listen".
  Result<void> listen_udp(const std::string& address);
  Result<void> listen_tcp(const std::string& address);
  void set_limits(size_t max_message_bytes, size_t max_connections) {
    max_message_ = max_message_bytes;
    tcp_.max_connections = max_connections;
  }
  void set_tcp_limits(const TcpLimits& limits) { tcp_ = limits; }

  // Waits up to timeout_ms for input and hands every complete message to `handler`. Returns
  // false only on an unexpected poll() error (EINTR is not one). `wake_fds` (others' descriptors,
  // e.g. the transport's) end the wait too when readable; nothing is read from them.
  bool poll_once(int timeout_ms, const Handler& handler, const std::vector<int>& wake_fds = {});

  int udp_port() const { return udp_port_; }
  int tcp_port() const { return tcp_port_; }
  const ListenerStats& stats() const { return stats_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Conn {
    int fd = -1;
    std::string peer;
    std::string source;  // the peer's address without the port
    std::string buf;
    bool skipping = false;  // inside a newline-framed message that was already cut
    uint64_t skip_bytes = 0;  // bytes left of an octet-counted message that was cut
    Clock::time_point last_active{};
  };
  void read_conn(Conn& c, const Handler& handler, bool& closed);
  void drain_frames(Conn& c, const Handler& handler);
  void flush_rest(Conn& c, const Handler& handler);
  void accept_all(Clock::time_point now);
  void close_at(size_t index);
  void warn_refusals(Clock::time_point now);
  void expire_idle(Clock::time_point now, const Handler& handler);

  int udp_fd_ = -1, tcp_fd_ = -1;
  int udp_port_ = 0, tcp_port_ = 0;
  size_t max_message_ = 64 * 1024;
  TcpLimits tcp_;
  std::vector<Conn> conns_;
  std::unordered_map<std::string, size_t> per_source_;
  std::string dgram_;
  ListenerStats stats_;
  uint64_t refusals_warned_ = 0;
  Clock::time_point next_warning_{}, next_idle_check_{};
};

}  // namespace soc::sensors::log
