// The webhook sink (`--webhook URL [--webhook-secret FILE]`): one JSON POST per notice, for chat
// bridges, ticketing and scripts (docs/adr/0022-alert-sinks.md, "Webhook").
//
// Body: {"version":1,"notice":"firing|repeat|acknowledged|resolved","alert":{...}} with the alert
// object of notice_json.h. With a secret, the header `X-Soc-Signature: sha256=<hex>` carries the
// HMAC-SHA256 of the body's exact bytes under the secret; a retry sends the same bytes. A 2xx
// answer delivers the notice; 408, 429 and 5xx or no answer are retried with backoff by the
// dispatcher; any other 4xx is a refusal (counted failed, not retried).
//
// Runs on its worker thread only (Sink contract).
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "core/http/client.h"
#include "daemon/alerts/sink.h"

namespace soc::daemon::alerts::sinks {

inline constexpr std::string_view kSignatureHeader = "X-Soc-Signature";

struct WebhookOptions {
  std::string url;
  std::string secret;        // empty: unsigned
  std::string external_url;  // the correlator's, for the links to the alerts; may be empty
  std::chrono::milliseconds timeout{5'000};
};

// The body posted for a notice.
std::string webhook_body(const Notice& notice, std::string_view external_url);

class WebhookSink final : public Sink {
 public:
  explicit WebhookSink(WebhookOptions options);

  std::string_view name() const override { return name_; }
  Result<void> deliver(std::span<const Notice> batch) override;
  void abandon() override { abandoned_ = true; }
  size_t max_batch() const override { return 1; }

 private:
  WebhookOptions options_;
  std::string name_;
  std::atomic<bool> abandoned_{false};
  http::Session session_;  // keeps the connection between requests
};

}  // namespace soc::daemon::alerts::sinks
