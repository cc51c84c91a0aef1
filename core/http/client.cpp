#include "core/http/client.h"

#include <curl/curl.h>
#include <fmt/core.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

namespace soc::http {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Body {
  std::string* out;
  size_t limit;
  bool too_large = false;
};

size_t on_data(char* data, size_t size, size_t n, void* user) {
  auto* b = static_cast<Body*>(user);
  const size_t len = size * n;
  if (b->out->size() + len > b->limit) {
    b->too_large = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  b->out->append(data, len);
  return len;
}

// Progress callback: a non-zero return aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

struct CurlFree {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};
struct UrlFree {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

}  // namespace

namespace {

// One request on handle `c` (fresh, or reset by a Session that keeps its connections).
Result<Response> perform(CURL* c, const Request& request) {
  Response resp;
  Body body{&resp.body, request.max_body_bytes};
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::unique_ptr<curl_slist, SlistFree> headers;
  std::vector<std::string> names = request.headers;
  // No "Expect: 100-continue" round trip before a body: it costs a second with some servers.
  if (request.method == "POST" || request.method == "PUT") names.push_back("Expect:");
  for (const auto& h : names) {
    curl_slist* next = curl_slist_append(headers.get(), h.c_str());
    if (!next) return fail("http", "cannot build the request headers");
    // curl_slist_append returns the list it was given, or a new one when that was empty: the
    // pointer changes hands, it is not freed.
    static_cast<void>(headers.release());
    headers.reset(next);
  }
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a device that redirects is reported, not followed
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, request.verify_tls ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, request.verify_tls ? 2L : 0L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, request.user_agent.c_str());
  if (request.method == "POST" || request.method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    if (request.method == "PUT") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.cancel) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(request.cancel));
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_ABORTED_BY_CALLBACK) return fail("http", fmt::format("{} {}: aborted", request.method, request.url));
  if (body.too_large)
    return fail("http", fmt::format("{} {}: the answer is larger than {} bytes", request.method, request.url, request.max_body_bytes));
  if (rc != CURLE_OK)
    return fail("http", fmt::format("{} {}: {}", request.method, request.url, errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

}  // namespace

Result<Response> request(const Request& request) {
  global_init();
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) return fail("http", "cannot create a curl handle");
  return perform(curl.get(), request);
}

Session::Session() = default;

Session::~Session() {
  if (handle_) curl_easy_cleanup(static_cast<CURL*>(handle_));
}

Result<Response> Session::request(const Request& request) {
  global_init();
  if (!handle_) handle_ = curl_easy_init();
  if (!handle_) return fail("http", "cannot create a curl handle");
  curl_easy_reset(static_cast<CURL*>(handle_));  // options go; live connections stay
  return perform(static_cast<CURL*>(handle_), request);
}

Result<Response> get(Request r) {
  r.method = "GET";
  return request(r);
}

Result<UrlParts> parse_url(const std::string& url) {
  global_init();
  std::unique_ptr<CURLU, UrlFree> u(curl_url());
  if (!u) return fail("url", "out of memory");
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return fail("url", fmt::format("'{}' is not a URL", url));
  UrlParts parts;
  auto get = [&](CURLUPart part, std::string& out, unsigned flags) {
    char* v = nullptr;
    if (curl_url_get(u.get(), part, &v, flags) != CURLUE_OK) return false;
    out = v;
    curl_free(v);
    return true;
  };
  std::string port;
  if (!get(CURLUPART_SCHEME, parts.scheme, 0) || (parts.scheme != "http" && parts.scheme != "https"))
    return fail("url", fmt::format("'{}': only http:// and https:// URLs are supported", url));
  if (!get(CURLUPART_HOST, parts.host, 0) || parts.host.empty())
    return fail("url", fmt::format("'{}' names no host", url));
  if (parts.host.size() > 2 && parts.host.front() == '[') parts.host = parts.host.substr(1, parts.host.size() - 2);
  get(CURLUPART_PORT, port, CURLU_DEFAULT_PORT);
  parts.port = static_cast<uint16_t>(std::strtoul(port.c_str(), nullptr, 10));
  get(CURLUPART_PATH, parts.path, 0);
  return parts;
}

}  // namespace soc::http
