// A TCP connection with a deadline: name resolution (getaddrinfo), then a non-blocking connect to
// each address in turn until one answers or the time is up. Used by the TCP reachability probe
// and under the TLS probe. Errors are values whose message says what failed (resolution,
// refused, timed out).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/result.h"

namespace soc::collectors {

// An open socket; closes it when destroyed.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// Connects to host:port within `timeout` (resolution included). The socket is returned in
// blocking mode.
Result<Socket> connect_tcp(const std::string& host, uint16_t port, std::chrono::milliseconds timeout);

}  // namespace soc::collectors
