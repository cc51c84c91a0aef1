#include "daemon/http/server.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "core/http/client.h"

using namespace soc;
using daemon::http::Request;
using daemon::http::Response;
using daemon::http::Server;
using daemon::http::ServerOptions;

namespace {

ServerOptions loopback() {
  ServerOptions o;
  o.address = "127.0.0.1:0";
  o.threads = 2;
  o.max_body_bytes = 1024;
  return o;
}

soc::http::Response call(int port, std::string method, std::string path, std::string body = "") {
  soc::http::Request r;
  r.method = std::move(method);
  r.url = "http://127.0.0.1:" + std::to_string(port) + path;
  r.body = std::move(body);
  r.timeout = std::chrono::milliseconds(5000);
  auto resp = soc::http::request(r);
  REQUIRE(resp.ok());
  return *resp;
}

}  // namespace

TEST_CASE("the HTTP server routes by method and path, longest prefix first") {
  Server s;
  s.route("GET", "/metrics", [](const Request&) {
    Response r;
    r.content_type = "text/plain";
    r.body = "m 1\n";
    return r;
  });
  s.route("GET", "/api/v1/alerts/*", [](const Request& q) { return Response::json("\"" + std::string(q.path_after("/api/v1/alerts/")) + "\""); });
  s.route("GET", "/api/v1/*", [](const Request&) { return Response::json("\"api\""); });
  s.route("POST", "/api/v1/alerts/*", [](const Request& q) { return Response::json("{\"len\":" + std::to_string(q.body.size()) + "}"); });
  REQUIRE(s.start(loopback()).ok());
  REQUIRE(s.port() > 0);

  CHECK(call(s.port(), "GET", "/metrics").body == "m 1\n");
  CHECK(call(s.port(), "GET", "/api/v1/alerts/42").body == "\"42\"");
  CHECK(call(s.port(), "GET", "/api/v1/sites").body == "\"api\"");
  CHECK(call(s.port(), "POST", "/api/v1/alerts/7/ack", "abc").body == "{\"len\":3}");
  auto missing = call(s.port(), "GET", "/nothing");
  CHECK(missing.status == 404);
  CHECK(missing.body == R"({"error":{"code":"not_found","message":"no such resource: /nothing"}})");
  CHECK(call(s.port(), "DELETE", "/metrics").status == 405);
}

TEST_CASE("the HTTP server refuses a body over its limit without calling the handler") {
  Server s;
  int calls = 0;
  s.route("POST", "/in", [&](const Request&) {
    ++calls;
    return Response::json("{}");
  });
  REQUIRE(s.start(loopback()).ok());
  CHECK(call(s.port(), "POST", "/in", std::string(1024, 'x')).status == 200);
  auto big = call(s.port(), "POST", "/in", std::string(5000, 'x'));
  CHECK(big.status == 413);
  CHECK(big.body.find("body_too_large") != std::string::npos);
  CHECK(calls == 1);
}

TEST_CASE("a handler that throws gets a 500 and the server goes on") {
  Server s;
  s.route("GET", "/boom", [](const Request&) -> Response { throw std::runtime_error("bug"); });
  s.route("GET", "/ok", [](const Request&) { return Response::json("1"); });
  REQUIRE(s.start(loopback()).ok());
  CHECK(call(s.port(), "GET", "/boom").status == 500);
  CHECK(call(s.port(), "GET", "/ok").body == "1");
}

TEST_CASE("query parameters are percent-decoded and the first occurrence wins") {
  Request q;
  q.query = "state=open&site=ha%20tinh&rule=a+b&state=closed&empty=&flag";
  CHECK(q.param("state") == std::optional<std::string>("open"));
  CHECK(q.param("site") == std::optional<std::string>("ha tinh"));
  CHECK(q.param("rule") == std::optional<std::string>("a b"));
  CHECK(q.param("empty") == std::optional<std::string>(""));
  CHECK(q.param("flag") == std::optional<std::string>(""));
  CHECK_FALSE(q.param("nope").has_value());
  CHECK(daemon::http::url_decode("%2fetc%zz%4", false) == "/etc%zz%4");
}

TEST_CASE("a taken port is refused with a message that says so") {
  Server a;
  REQUIRE(a.start(loopback()).ok());
  Server b;
  ServerOptions o = loopback();
  o.address = "127.0.0.1:" + std::to_string(a.port());
  auto r = b.start(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "bind");
  CHECK(r.error().message == o.address + " is already in use by another program");
  o.address = "no-port";
  auto bad = Server().start(o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "config");
}
