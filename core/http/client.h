// The one libcurl adapter: an HTTP(S) request with a deadline, a body size limit and certificate
// verification on unless asked otherwise. Used by the collector (device APIs) and the
// correlator's alert sinks (Alertmanager, webhooks). Errors are values: "http" for transport
// failures (refused, timeout, TLS), with curl's reason in the message. A response with any status
// is a success here; the caller judges the status.
//
// Thread-safe: each call uses its own curl handle (curl_global_init runs once, on first use).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace soc::http {

struct Request {
  std::string method = "GET";  // GET, POST, PUT, DELETE
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent for POST and PUT
  bool verify_tls = true;
  std::chrono::milliseconds timeout{10'000};          // the whole exchange
  std::chrono::milliseconds connect_timeout{5'000};   // the TCP (and TLS) connection alone
  size_t max_body_bytes = 4 << 20;                    // of the answer
  std::string user_agent = "soc";
  // When set and it becomes true (from another thread), the request ends at once with error
  // "http" ("aborted"): a sink stopping at shutdown does not wait for a peer that hangs.
  const std::atomic<bool>* cancel = nullptr;
};

struct Response {
  long status = 0;
  std::string body;
};

Result<Response> request(const Request& request);

// Requests that keep their connection to the peer between calls (HTTP keep-alive), for a caller
// that makes many to the same server (an alert sink). Not thread-safe: one owner.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  Result<Response> request(const Request& request);

 private:
  void* handle_ = nullptr;  // CURL*
};

// A GET of `request.url` (the method field is ignored).
Result<Response> get(Request request);

struct UrlParts {
  std::string scheme;
  std::string host;
  uint16_t port = 0;  // the scheme's default when the URL names none
  std::string path;
};

// Splits an http:// or https:// URL; error "url" for anything else.
Result<UrlParts> parse_url(const std::string& url);

}  // namespace soc::http
