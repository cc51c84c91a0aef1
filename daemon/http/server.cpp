#include "daemon/http/server.h"

#include <civetweb.h>
#include <fmt/core.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>

#include "core/log.h"

namespace soc::daemon::http {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void json_escape_into(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) out += fmt::format("\\u{:04x}", c);
        else out += static_cast<char>(c);
    }
  }
}

// CivetWeb says only "Failed to setup server ports"; binding the address ourselves tells why.
std::string bind_problem(const std::string& address) {
  std::string host = address.substr(0, address.rfind(':'));
  const std::string port = address.substr(address.rfind(':') + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return fmt::format("'{}' is not an address and port ({})", address, gai_strerror(rc));
  std::string why;
  for (addrinfo* a = res; a && why.empty(); a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0) {
      const int e = errno;
      if (e == EADDRINUSE) why = fmt::format("{} is already in use by another program", address);
      else if (e == EADDRNOTAVAIL) why = fmt::format("{} is not an address of this machine", address);
      else if (e == EACCES) why = fmt::format("{}: permission denied (ports below 1024 need privileges)", address);
      else why = fmt::format("{}: {}", address, std::strerror(e));
    }
    close(fd);
  }
  freeaddrinfo(res);
  return why;
}

}  // namespace

std::string url_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

std::optional<std::string> Request::param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string key = url_decode(pair.substr(0, eq), true);
    if (key != name) continue;
    return eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

std::string_view Request::path_after(std::string_view prefix) const {
  std::string_view p = path;
  if (p.substr(0, prefix.size()) != prefix) return {};
  p.remove_prefix(prefix.size());
  return p.substr(0, p.find('/'));
}

Response Response::error(int status, std::string_view code, std::string_view message) {
  Response r;
  r.status = status;
  r.body = "{\"error\":{\"code\":\"";
  json_escape_into(r.body, code);
  r.body += "\",\"message\":\"";
  json_escape_into(r.body, message);
  r.body += "\"}}";
  return r;
}

Response Response::json(std::string body, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

struct Server::Impl {
  struct Route {
    std::string method, path;
    bool prefix = false;
    Handler handler;
  };
  std::vector<Route> routes;
  ServerOptions options;
  mg_context* ctx = nullptr;
  int port = 0;

  static int on_request(mg_connection* conn, void* data) { return static_cast<Impl*>(data)->handle(conn); }
  static int on_log(const mg_connection*, const char* message) {
    log::debug("http", "{}", message);
    return 1;  // handled: CivetWeb prints nothing itself
  }

  const Route* find(std::string_view method, std::string_view path, bool& path_known) const {
    const Route* best = nullptr;
    path_known = false;
    for (const auto& r : routes) {
      const bool match = r.prefix ? path.substr(0, r.path.size()) == r.path : path == r.path;
      if (!match) continue;
      path_known = true;
      if (r.method != method) continue;
      if (!best || r.path.size() > best->path.size() || (!r.prefix && best->prefix)) best = &r;
    }
    return best;
  }

  void send(mg_connection* conn, const Response& r, bool head_only) {
    mg_response_header_start(conn, r.status);
    mg_response_header_add(conn, "Content-Type", r.content_type.c_str(), -1);
    const std::string length = std::to_string(r.body.size());
    mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
    bool cache_set = false;
    for (const auto& [k, v] : r.headers) {
      mg_response_header_add(conn, k.c_str(), v.c_str(), -1);
      cache_set = cache_set || iequals(k, "Cache-Control");
    }
    if (!cache_set) mg_response_header_add(conn, "Cache-Control", "no-store", -1);
    mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
    mg_response_header_send(conn);
    if (!head_only && !r.body.empty()) mg_write(conn, r.body.data(), r.body.size());
  }

  int handle(mg_connection* conn) {
    const mg_request_info* info = mg_get_request_info(conn);
    Request req;
    req.method = info->request_method ? info->request_method : "";
    req.path = info->local_uri ? info->local_uri : "/";
    req.query = info->query_string ? info->query_string : "";
    req.remote_address = info->remote_addr;
    for (int i = 0; i < info->num_headers; ++i)
      req.headers.emplace_back(info->http_headers[i].name ? info->http_headers[i].name : "",
                               info->http_headers[i].value ? info->http_headers[i].value : "");
    const bool head = req.method == "HEAD";
    bool path_known = false;
    const Route* route = find(head ? "GET" : req.method, req.path, path_known);
    if (!route) {
      send(conn, path_known ? Response::error(405, "method_not_allowed", fmt::format("{} is not allowed on {}", req.method, req.path))
                            : Response::error(404, "not_found", fmt::format("no such resource: {}", req.path)),
           head);
      return 1;
    }
    if (info->content_length > static_cast<long long>(options.max_body_bytes)) {
      send(conn, Response::error(413, "body_too_large",
                                 fmt::format("the body is {} bytes; at most {} are accepted", info->content_length,
                                             options.max_body_bytes)),
           head);
      mg_disable_keep_alive(conn);  // the unread body must not be taken for the next request
      return 1;
    }
    // Read the body (Content-Length or chunked), never more than the limit.
    char buf[8192];
    for (;;) {
      const int n = mg_read(conn, buf, sizeof buf);
      if (n <= 0) break;
      if (req.body.size() + static_cast<size_t>(n) > options.max_body_bytes) {
        send(conn, Response::error(413, "body_too_large", fmt::format("at most {} bytes are accepted", options.max_body_bytes)),
             head);
        mg_disable_keep_alive(conn);
        return 1;
      }
      req.body.append(buf, static_cast<size_t>(n));
    }
    Response resp;
    try {
      resp = route->handler(req);
    } catch (const std::exception& e) {
      // A handler bug must not take the listener down; it is logged and answered.
      log::error("http", "{} {}: {}", req.method, req.path, e.what());
      resp = Response::error(500, "internal", "internal error; the correlator's log says more");
    }
    send(conn, resp, head);
    return 1;
  }
};

Server::Server() : impl_(std::make_unique<Impl>()) {}

Server::~Server() {
  if (impl_->ctx) mg_stop(impl_->ctx);
}

void Server::route(std::string method, std::string path, Handler handler) {
  Impl::Route r;
  r.method = std::move(method);
  r.prefix = !path.empty() && path.back() == '*';
  if (r.prefix) path.pop_back();
  r.path = std::move(path);
  r.handler = std::move(handler);
  impl_->routes.push_back(std::move(r));
}

int Server::port() const { return impl_->port; }

Result<void> Server::start(const ServerOptions& options) {
  static std::once_flag once;
  std::call_once(once, [] { mg_init_library(0); });
  if (options.address.empty() || options.address.find(':') == std::string::npos)
    return fail("config", fmt::format("'{}' is not ADDR:PORT", options.address));
  if (options.threads < 1 || options.threads > 1024) return fail("config", "the number of HTTP threads must be 1 to 1024");
  if (options.request_timeout.count() < 100 || options.keep_alive_timeout.count() < 0)
    return fail("config", "the HTTP request timeout must be at least 100 ms");
  impl_->options = options;
  const std::string threads = std::to_string(options.threads);
  const std::string timeout = std::to_string(options.request_timeout.count());
  const std::string keep_alive = std::to_string(options.keep_alive_timeout.count());
  const char* conf[] = {"listening_ports", options.address.c_str(),
                        "num_threads", threads.c_str(),
                        "request_timeout_ms", timeout.c_str(),
                        "keep_alive_timeout_ms", keep_alive.c_str(),
                        "enable_keep_alive", "yes",
                        "linger_timeout_ms", "1000",
                        "max_request_size", "16384",
                        nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = &Impl::on_log;
  mg_init_data init{&callbacks, impl_.get(), conf};
  unsigned code = 0;
  char text[256] = {0};
  mg_error_data err{&code, text, sizeof text};
  impl_->ctx = mg_start2(&init, &err);
  if (!impl_->ctx) {
    std::string why = bind_problem(options.address);
    if (!why.empty()) return fail("bind", why);
    return fail("bind", fmt::format("cannot listen on {}: {}", options.address, text[0] ? text : "unknown error"));
  }
  mg_set_request_handler(impl_->ctx, "/", &Impl::on_request, impl_.get());
  mg_server_port ports[4];
  const int n = mg_get_server_ports(impl_->ctx, 4, ports);
  impl_->port = n > 0 ? ports[0].port : 0;
  return {};
}

}  // namespace soc::daemon::http
