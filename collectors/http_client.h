// The one libcurl adapter (docs/adr/0013-collector.md): an HTTP(S) GET with a deadline, a body
// size limit and certificate verification on unless asked otherwise. Errors are values: "http"
// for transport failures (refused, timeout, TLS), with curl's reason in the message. A response
// with any status is a success here; the caller judges the status.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"

namespace soc::collectors {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  bool verify_tls = true;
  std::chrono::milliseconds timeout{10'000};
  size_t max_body_bytes = 4 << 20;
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

Result<HttpResponse> http_get(const HttpRequest& request);

struct UrlParts {
  std::string scheme;
  std::string host;
  uint16_t port = 0;  // the scheme's default when the URL names none
  std::string path;
};

// Splits an http:// or https:// URL; error "url" for anything else.
Result<UrlParts> parse_url(const std::string& url);

}  // namespace soc::collectors
