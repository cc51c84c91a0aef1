#include "daemon/console/console.h"

#include <fmt/core.h>

#include "daemon/console/files.h"

namespace soc::daemon::console {

namespace {

constexpr const char* kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

http::Response serve(const File& f) {
  http::Response r;
  r.content_type = std::string(f.content_type);
  r.body = std::string(f.content);
  r.headers = {{"Content-Security-Policy", kPolicy},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"},
               {"Cache-Control", "no-cache"}};
  return r;
}

const File* find(std::string_view name) {
  for (const auto& f : files())
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace

void register_console(http::Server& server) {
  server.route("GET", "/", [](const http::Request&) {
    const File* index = find("index.html");
    return index ? serve(*index) : http::Response::error(404, "not_found", "the console is not built in");
  });
  server.route("GET", "/console/*", [](const http::Request& r) {
    const std::string_view name = std::string_view(r.path).substr(std::string_view("/console/").size());
    if (const File* f = find(name)) return serve(*f);
    return http::Response::error(404, "not_found", fmt::format("no console file '{}'", name.substr(0, 64)));
  });
}

}  // namespace soc::daemon::console
