#include "sensors/log/syslog_listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

#include "core/log.h"

namespace soc::sensors::log {
namespace {

Result<sockaddr_storage> parse_address(const std::string& text, socklen_t& len) {
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    auto e = text.find("]:");
    if (e == std::string::npos) return fail("listen", fmt::format("'{}': expected [ADDR]:PORT", text));
    host = text.substr(1, e - 1);
    port = text.substr(e + 2);
  } else {
    auto c = text.rfind(':');
    if (c == std::string::npos) return fail("listen", fmt::format("'{}': expected ADDR:PORT", text));
    host = text.substr(0, c);
    port = text.substr(c + 1);
  }
  addrinfo hints{};
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  hints.ai_family = AF_UNSPEC;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); rc != 0 || !res)
    return fail("listen", fmt::format("'{}': not a numeric address and port ({})", text, gai_strerror(rc)));
  sockaddr_storage ss{};
  std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
  len = static_cast<socklen_t>(res->ai_addrlen);
  freeaddrinfo(res);
  return ss;
}

// The address of a peer without its port ("10.0.0.1", "2001:db8::1").
std::string source_of(const std::string& peer) {
  if (!peer.empty() && peer[0] == '[') return peer.substr(1, peer.find(']') - 1);
  return peer.substr(0, peer.rfind(':'));
}

std::string peer_of(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    inet_ntop(AF_INET, &a.sin_addr, host, sizeof host);
    port = ntohs(a.sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    inet_ntop(AF_INET6, &a.sin6_addr, host, sizeof host);
    port = ntohs(a.sin6_port);
    std::string h(host);
    if (h.rfind("::ffff:", 0) == 0 && h.find('.') != std::string::npos) return fmt::format("{}:{}", h.substr(7), port);
    return fmt::format("[{}]:{}", h, port);
  }
  return fmt::format("{}:{}", host, port);
}

int bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  return ss.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in&>(ss).sin_port)
                                 : ntohs(reinterpret_cast<sockaddr_in6&>(ss).sin6_port);
}

Result<int> open_socket(const std::string& address, int type, int& port) {
  socklen_t len = 0;
  auto addr = parse_address(address, len);
  if (!addr) return fail(addr.error());
  int fd = ::socket(addr->ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail("listen", fmt::format("{}: socket: {}", address, std::strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (type == SOCK_DGRAM) {
    int rcvbuf = 4 << 20;  // bursts of datagrams while we write output
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&*addr), len) != 0 || (type == SOCK_STREAM && ::listen(fd, 64) != 0)) {
    const int e = errno;
    ::close(fd);
    if (e == EADDRINUSE) return fail("listen", fmt::format("{} is already in use by another program", address));
    if (e == EADDRNOTAVAIL) return fail("listen", fmt::format("{} is not an address of this machine", address));
    if (e == EACCES)
      return fail("listen", fmt::format("{}: permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)", address));
    return fail("listen", fmt::format("{}: {}", address, std::strerror(e)));
  }
  port = bound_port(fd);
  return fd;
}

}  // namespace

SyslogListener::~SyslogListener() {
  if (udp_fd_ >= 0) ::close(udp_fd_);
  if (tcp_fd_ >= 0) ::close(tcp_fd_);
  for (auto& c : conns_) ::close(c.fd);
}

Result<void> SyslogListener::listen_udp(const std::string& address) {
  auto fd = open_socket(address, SOCK_DGRAM, udp_port_);
  if (!fd) return fail(fd.error());
  udp_fd_ = *fd;
  return {};
}

Result<void> SyslogListener::listen_tcp(const std::string& address) {
  auto fd = open_socket(address, SOCK_STREAM, tcp_port_);
  if (!fd) return fail(fd.error());
  tcp_fd_ = *fd;
  return {};
}

// Hands over every complete frame in c.buf. A frame that starts with digits and a space is
// octet-counted (RFC 6587 3.4.1); anything else ends at '\n' (3.4.2). Frames longer than the
// limit are cut: an octet-counted one is skipped by its count, a newline one up to its newline.
void SyslogListener::drain_frames(Conn& c, const Handler& handler) {
  size_t pos = 0;
  for (;;) {
    std::string_view rest(c.buf.data() + pos, c.buf.size() - pos);
    if (rest.empty()) break;
    if (c.skip_bytes > 0) {  // the tail of an octet-counted frame that was cut
      const size_t n = std::min<size_t>(c.skip_bytes, rest.size());
      c.skip_bytes -= n;
      pos += n;
      continue;
    }
    if (c.skipping) {  // the tail of a newline-framed message that was cut
      size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) {
        pos = c.buf.size();
        break;
      }
      pos += nl + 1;
      c.skipping = false;
      continue;
    }
    size_t i = 0;
    uint64_t n = 0;
    while (i < rest.size() && i < 10 && rest[i] >= '0' && rest[i] <= '9') n = n * 10 + static_cast<uint64_t>(rest[i++] - '0');
    if (i > 0 && rest[0] != '0' && i < rest.size() && rest[i] == ' ') {
      std::string_view body = rest.substr(i + 1);
      if (n > max_message_) {
        if (body.size() < max_message_) break;  // wait for the part we keep
        handler(body.substr(0, max_message_), c.peer, true);
        ++stats_.truncated;
        ++stats_.tcp_messages;
        pos += i + 1 + max_message_;
        c.skip_bytes = n - max_message_;
        continue;
      }
      if (body.size() < n) break;  // incomplete frame
      std::string_view msg = body.substr(0, n);
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.remove_suffix(1);
      if (!msg.empty()) handler(msg, c.peer, false);
      ++stats_.tcp_messages;
      pos += i + 1 + n;
      continue;
    }
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      if (rest.size() > max_message_) {
        handler(rest.substr(0, max_message_), c.peer, true);
        ++stats_.truncated;
        ++stats_.tcp_messages;
        c.skipping = true;
        pos = c.buf.size();
      }
      break;
    }
    std::string_view msg = rest.substr(0, nl);
    if (!msg.empty() && msg.back() == '\r') msg.remove_suffix(1);
    const bool cut = msg.size() > max_message_;
    if (cut) {
      msg = msg.substr(0, max_message_);
      ++stats_.truncated;
    }
    if (!msg.empty()) handler(msg, c.peer, cut);
    ++stats_.tcp_messages;
    pos += nl + 1;
  }
  c.buf.erase(0, pos);
}

// A connection that ends: a last newline-less message still counts.
void SyslogListener::flush_rest(Conn& c, const Handler& handler) {
  if (!c.buf.empty() && !c.skipping && c.skip_bytes == 0) {
    std::string_view rest(c.buf);
    while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.remove_suffix(1);
    if (!rest.empty()) {
      handler(rest.substr(0, max_message_), c.peer, rest.size() > max_message_);
      ++stats_.tcp_messages;
    }
  }
  c.buf.clear();
}

void SyslogListener::read_conn(Conn& c, const Handler& handler, bool& closed) {
  char tmp[65536];
  for (;;) {
    ssize_t n = ::read(c.fd, tmp, sizeof tmp);
    if (n > 0) {
      c.last_active = Clock::now();
      c.buf.append(tmp, static_cast<size_t>(n));
      drain_frames(c, handler);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    flush_rest(c, handler);  // EOF or error
    closed = true;
    return;
  }
}

void SyslogListener::close_at(size_t index) {
  Conn& c = conns_[index];
  ::close(c.fd);
  if (auto it = per_source_.find(c.source); it != per_source_.end() && --it->second == 0) per_source_.erase(it);
  conns_.erase(conns_.begin() + static_cast<std::ptrdiff_t>(index));
  stats_.open_connections = conns_.size();
}

// Accepts every pending connection, within the limits (see the header).
void SyslogListener::accept_all(Clock::time_point now) {
  for (;;) {
    sockaddr_storage from{};
    socklen_t flen = sizeof from;
    const int fd = ::accept4(tcp_fd_, reinterpret_cast<sockaddr*>(&from), &flen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;
    std::string peer = peer_of(from);
    std::string source = source_of(peer);
    auto known = per_source_.find(source);
    if (known != per_source_.end() && known->second >= tcp_.max_per_source) {
      ::close(fd);
      ++stats_.refused_connections;
      ++stats_.refused_per_source;
      continue;
    }
    if (conns_.size() >= tcp_.max_connections) {
      // Make room by closing the connection that has been silent longest, if any has been silent
      // for a second: a sender that is talking is never pushed out by one that says nothing.
      size_t oldest = conns_.size();
      for (size_t i = 0; i < conns_.size(); ++i)
        if (oldest == conns_.size() || conns_[i].last_active < conns_[oldest].last_active) oldest = i;
      if (oldest == conns_.size() || now - conns_[oldest].last_active < std::chrono::seconds(1)) {
        ::close(fd);
        ++stats_.refused_connections;
        ++stats_.refused_full;
        continue;
      }
      // What it had half sent is dropped: it was silent, and it is not waited for.
      close_at(oldest);
      ++stats_.evicted_idle;
    }
    ++stats_.tcp_connections;
    ++per_source_[source];
    conns_.push_back(Conn{fd, std::move(peer), std::move(source), {}, false, 0, now});
    stats_.open_connections = conns_.size();
  }
}

// Refusals are logged, at most once a minute, with their counts: a shut-out sender is visible
// in the sensor's log as well as in its heartbeats.
void SyslogListener::warn_refusals(Clock::time_point now) {
  const uint64_t n = stats_.refused_connections + stats_.evicted_idle;
  if (n == refusals_warned_ || now < next_warning_) return;
  soc::log::warn("syslog", "TCP connections refused: {} from a source with {} open already, {} with {} open in all; "
                 "{} silent ones closed to make room, {} closed after {} s of silence",
                 stats_.refused_per_source, tcp_.max_per_source, stats_.refused_full, tcp_.max_connections,
                 stats_.evicted_idle, stats_.closed_idle,
                 std::chrono::duration_cast<std::chrono::seconds>(tcp_.idle_timeout).count());
  refusals_warned_ = n;
  next_warning_ = now + std::chrono::minutes(1);
}

bool SyslogListener::poll_once(int timeout_ms, const Handler& handler, const std::vector<int>& wake_fds) {
  std::vector<pollfd> fds;
  if (udp_fd_ >= 0) fds.push_back({udp_fd_, POLLIN, 0});
  if (tcp_fd_ >= 0) fds.push_back({tcp_fd_, POLLIN, 0});
  const size_t first_conn = fds.size();
  const size_t polled_conns = conns_.size();
  for (const auto& c : conns_) fds.push_back({c.fd, POLLIN, 0});
  for (int fd : wake_fds) fds.push_back({fd, POLLIN, 0});
  int rc = ::poll(fds.data(), fds.size(), timeout_ms);
  if (rc < 0) return errno == EINTR;
  if (rc == 0) {
    expire_idle(Clock::now(), handler);
    return true;
  }
  size_t k = 0;
  if (udp_fd_ >= 0) {
    if (fds[k].revents & POLLIN) {
      dgram_.resize(65536);
      for (int burst = 0; burst < 1024; ++burst) {
        sockaddr_storage from{};
        socklen_t flen = sizeof from;
        ssize_t n = ::recvfrom(udp_fd_, dgram_.data(), dgram_.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
        if (n < 0) break;
        std::string_view msg(dgram_.data(), static_cast<size_t>(n));
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r' || msg.back() == '\0')) msg.remove_suffix(1);
        const bool cut = msg.size() > max_message_;
        if (cut) {
          msg = msg.substr(0, max_message_);
          ++stats_.truncated;
        }
        ++stats_.udp_messages;
        if (!msg.empty()) handler(msg, peer_of(from), cut);
      }
    }
    ++k;
  }
  // Read the connections polled in this round before accepting new ones (which may close the
  // longest-silent): the first `polled_conns` entries of conns_ are those of fds.
  std::vector<size_t> closed;
  for (size_t i = 0; i < polled_conns; ++i) {
    if (!(fds[first_conn + i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    bool gone = false;
    read_conn(conns_[i], handler, gone);
    if (gone) closed.push_back(i);
  }
  for (auto it = closed.rbegin(); it != closed.rend(); ++it) close_at(*it);
  const auto now = Clock::now();
  if (tcp_fd_ >= 0) {
    if (fds[k].revents & POLLIN) accept_all(now);
    ++k;
  }
  expire_idle(now, handler);
  return true;
}

void SyslogListener::expire_idle(Clock::time_point now, const Handler& handler) {
  if (now >= next_idle_check_) {
    next_idle_check_ = now + std::chrono::milliseconds(250);
    for (size_t i = conns_.size(); i-- > 0;) {
      if (now - conns_[i].last_active < tcp_.idle_timeout) continue;
      flush_rest(conns_[i], handler);
      close_at(i);
      ++stats_.closed_idle;
    }
  }
  warn_refusals(now);
}

}  // namespace soc::sensors::log
