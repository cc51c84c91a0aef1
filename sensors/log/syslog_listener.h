// The syslog listener: UDP (one message per datagram) and TCP (RFC 6587: octet counting
// "LEN MSG" or newline framing, detected per frame), on numeric addresses. Single-threaded:
// poll() drives every socket; nothing here blocks longer than the poll timeout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace soc::sensors::log {

struct ListenerStats {
  uint64_t udp_messages = 0;
  uint64_t tcp_messages = 0;
  uint64_t tcp_connections = 0;
  uint64_t truncated = 0;        // frames longer than max_message_bytes (cut, the rest skipped)
  uint64_t refused_connections = 0;  // beyond max_connections
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
    max_connections_ = max_connections;
  }

  // Waits up to timeout_ms for input and hands every complete message to `handler`. Returns
  // false only on an unexpected poll() error (EINTR is not one). `wake_fds` (others' descriptors,
  // e.g. the transport's) end the wait too when readable; nothing is read from them.
  bool poll_once(int timeout_ms, const Handler& handler, const std::vector<int>& wake_fds = {});

  int udp_port() const { return udp_port_; }
  int tcp_port() const { return tcp_port_; }
  const ListenerStats& stats() const { return stats_; }

 private:
  struct Conn {
    int fd = -1;
    std::string peer;
    std::string buf;
    bool skipping = false;  // inside a newline-framed message that was already cut
    uint64_t skip_bytes = 0;  // bytes left of an octet-counted message that was cut
  };
  void read_conn(Conn& c, const Handler& handler, bool& closed);
  void drain_frames(Conn& c, const Handler& handler);

  int udp_fd_ = -1, tcp_fd_ = -1;
  int udp_port_ = 0, tcp_port_ = 0;
  size_t max_message_ = 64 * 1024;
  size_t max_connections_ = 512;
  std::vector<Conn> conns_;
  std::string dgram_;
  ListenerStats stats_;
};

}  // namespace soc::sensors::log
