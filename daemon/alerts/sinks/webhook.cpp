#include "daemon/alerts/sinks/webhook.h"

#include <fmt/format.h>

#include "core/crypto/digest.h"
#include "core/http/client.h"
#include "daemon/alerts/sinks/notice_json.h"
#include "soc_build_config.h"

namespace soc::daemon::alerts::sinks {

std::string webhook_body(const Notice& n, std::string_view external_url) {
  std::string body = "{\"version\":1,";
  append_notice_members(body, n, alert_url(external_url, n.id));
  body += '}';
  return body;
}

WebhookSink::WebhookSink(WebhookOptions options) : options_(std::move(options)) {
  auto parts = http::parse_url(options_.url);
  name_ = parts ? fmt::format("webhook:{}:{}", parts->host, parts->port) : "webhook:" + options_.url;
}

Result<void> WebhookSink::deliver(std::span<const Notice> batch) {
  for (const auto& n : batch) {
    if (n.restated) continue;  // nothing new happened
    http::Request req;
    req.method = "POST";
    req.url = options_.url;
    req.body = webhook_body(n, options_.external_url);
    req.headers = {"Content-Type: application/json"};
    if (!options_.secret.empty())
      req.headers.push_back(fmt::format("{}: sha256={}", kSignatureHeader, crypto::hmac_sha256_hex(options_.secret, req.body)));
    req.timeout = options_.timeout;
    req.connect_timeout = std::min<std::chrono::milliseconds>(options_.timeout, std::chrono::milliseconds(2'000));
    req.user_agent = "soc-correlator/" SOC_VERSION;
    req.cancel = &abandoned_;
    auto r = session_.request(req);
    if (!r) return fail("http", fmt::format("{}: {}", options_.url, r.error().message));
    const long s = r->status;
    if (s >= 200 && s <= 299) continue;
    const std::string what = fmt::format("{} answered {}: {}", options_.url, s, r->body.substr(0, 300));
    if (s >= 400 && s <= 499 && s != 408 && s != 429) return fail(std::string(kRejected), what);
    return fail("http", what);
  }
  return {};
}

}  // namespace soc::daemon::alerts::sinks
