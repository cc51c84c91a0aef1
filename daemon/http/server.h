// The correlator's HTTP listener, behind one adapter for CivetWeb (the server prometheus-cpp's
// exposer is built on, so the process carries one HTTP stack). It serves /metrics, the JSON API
// under /api/v1/ and the analyst console at / (docs/adr/0019-http-listener.md).
//
// Handlers are registered before start() and run on the server's worker threads, several at
// once: a handler must be thread-safe and must not block on the correlator's ingest thread.
// Bounds: `threads` workers (each holds one connection at a time), a request whose headers or
// body do not arrive within `request_timeout` is dropped, a body larger than `max_body_bytes` is
// refused with 413 before it is read, and headers beyond 16 KiB with 431.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace soc::daemon::http {

struct Request {
  std::string method;       // GET, POST, ...
  std::string path;         // percent-decoded, without the query; e.g. /api/v1/alerts/42
  std::string query;        // raw, without '?'
  std::string remote_address;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The value of header `name` (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
  // The percent-decoded value of query parameter `name` ('+' is a space); nullopt when absent.
  // The first occurrence wins.
  std::optional<std::string> param(std::string_view name) const;
  // The path segment after `prefix` (which must end with '/'), up to the next '/'.
  std::string_view path_after(std::string_view prefix) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  // {"error":{"code":CODE,"message":MESSAGE}} with the given status: the API's error shape.
  static Response error(int status, std::string_view code, std::string_view message);
  static Response json(std::string body, int status = 200);
};

using Handler = std::function<Response(const Request&)>;

// Bounds against slow clients (docs/adr/0034): a worker is held by one connection at a time, for
// at most `request_timeout` while the request arrives and `keep_alive_timeout` between two
// requests of a kept-alive connection. With 64 workers, 63 clients that send half a request and
// stop cannot delay a Prometheus scrape; more than that delay it by at most `request_timeout`
// (5 s, under Prometheus's default 10 s scrape timeout) unless they keep coming.
struct ServerOptions {
  std::string address = "127.0.0.1:9750";  // ADDR:PORT, [V6ADDR]:PORT; port 0 picks a free one
  int threads = 64;
  std::chrono::milliseconds request_timeout{5'000};
  std::chrono::milliseconds keep_alive_timeout{2'000};
  size_t max_body_bytes = 1 << 20;
};

class Server {
 public:
  Server();
  ~Server();  // stops the listener, waiting for running handlers
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Routes: `path` is exact, or a prefix when it ends with '*' ("/api/v1/alerts/*"). The longest
  // matching route wins; a path with routes but none for the method gets 405, no route 404.
  // Call before start().
  void route(std::string method, std::string path, Handler handler);

  // Binds and starts the workers. Error "bind" names the address and the cause in words (e.g.
  // "127.0.0.1:9750 is already in use"), "config" a malformed address.
  Result<void> start(const ServerOptions& options);

  // The port actually bound (resolves port 0); 0 before start().
  int port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Percent-decodes `s` ('+' as a space when `plus_is_space`); malformed escapes are kept as they are.
std::string url_decode(std::string_view s, bool plus_is_space);

}  // namespace soc::daemon::http
