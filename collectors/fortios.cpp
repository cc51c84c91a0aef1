// FortiOS (FortiGate) license status: GET /api/v2/monitor/license/status with an API token
// (Authorization: Bearer). The answer is
//   {"http_method":"GET","results":{"forticare":{"status":"registered","support":{"hardware":
//    {"status":"licensed","expires":1728691200},...}},"antivirus":{"status":"licensed",
//    "expires":1728691200,...},"vdom":{"max":10,"used":1},...},"serial":"FG200F...","status":"success"}
// Every object under `results` that holds a `status` or an `expires` is one license entry,
// named by its path (antivirus, forticare.support.hardware); `expires` is Unix seconds.
#include <fmt/core.h>

#include <map>

#include "core/http/client.h"
#include "collectors/license_source.h"
#include "core/json_codec.h"

namespace soc::collectors {

namespace {

constexpr std::string_view kPath = "/api/v2/monitor/license/status";

class FortiOsSource final : public LicenseSource {
 public:
  std::string_view vendor() const override { return "Fortinet"; }

  Result<LicenseReport> read(const Target& target, const LicenseReadOptions& options) override {
    http::Request req;
    req.url = fortios_license_url(target.url);
    req.verify_tls = options.verify_tls;
    req.timeout = options.timeout;
    req.headers.push_back("Accept: application/json");
    if (!options.token.empty()) req.headers.push_back("Authorization: Bearer " + options.token);
    req.user_agent = "soc-collector";
    auto resp = http::get(req);
    if (!resp) return fail(resp.error());
    if (resp->status == 401 || resp->status == 403)
      return fail("http", fmt::format("GET {}: HTTP {}: the API token was refused (check --fortios-token-file and "
                                      "the token's trusted hosts)",
                                      req.url, resp->status));
    if (resp->status != 200) return fail("http", fmt::format("GET {}: HTTP {}", req.url, resp->status));
    auto report = parse_fortios_license_status(resp->body);
    if (!report) return fail("parse", fmt::format("GET {}: {}", req.url, report.error().message));
    return report;
  }
};

}  // namespace

std::string fortios_license_url(const std::string& device_url) {
  if (device_url.find("/api/") != std::string::npos) return device_url;
  std::string url = device_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + std::string(kPath);
}

Result<LicenseReport> parse_fortios_license_status(std::string_view body) {
  DecodeLimits limits;
  limits.max_bytes = 4 << 20;
  limits.max_fields = 16384;
  limits.max_depth = 12;
  auto decoded = decode_event(body, limits);
  if (!decoded) return fail("parse", "the answer is not the expected JSON object: " + decoded.error().message());
  const Event& doc = *decoded;
  if (const Value* st = doc.find("status"); st && st->is_string() && st->as_string() != "success")
    return fail("parse", fmt::format("the device answered status '{}'", st->as_string()));
  LicenseReport report;
  if (const Value* serial = doc.find("serial"); serial && serial->is_string()) report.serial = serial->as_string();

  constexpr std::string_view kResults = "results.";
  std::vector<std::string> order;
  std::map<std::string, LicenseEntry> entries;
  auto entry = [&](std::string_view name) -> LicenseEntry& {
    auto [it, fresh] = entries.try_emplace(std::string(name));
    if (fresh) {
      it->second.name = std::string(name);
      order.push_back(it->second.name);
    }
    return it->second;
  };
  bool has_results = false;
  for (const Field& f : doc) {
    std::string_view key = f.key;
    if (!key.starts_with(kResults)) continue;
    has_results = true;
    key.remove_prefix(kResults.size());
    const auto dot = key.rfind('.');
    if (dot == std::string_view::npos || dot == 0) continue;
    const std::string_view name = key.substr(0, dot), leaf = key.substr(dot + 1);
    if (leaf == "status") {
      if (!f.value.is_string()) return fail("parse", fmt::format("results.{}.status is not a string", name));
      entry(name).status = f.value.as_string();
    } else if (leaf == "expires") {
      if (!f.value.is_int()) return fail("parse", fmt::format("results.{}.expires is not Unix seconds", name));
      const int64_t secs = f.value.as_int();
      // 0 means no expiry; beyond year 9999 is garbage, not a date.
      if (secs < 0 || secs > 253402300799) return fail("parse", fmt::format("results.{}.expires is out of range", name));
      LicenseEntry& e = entry(name);
      if (secs > 0) e.expires = Timestamp(std::chrono::seconds(secs));
    }
  }
  if (!has_results) return fail("parse", "the answer has no 'results' object");
  if (order.empty()) return fail("parse", "the answer lists no license (no entry with a status or an expiry)");
  for (const auto& name : order) report.entries.push_back(std::move(entries[name]));
  return report;
}

}  // namespace soc::collectors

namespace soc::collectors {
std::unique_ptr<LicenseSource> make_fortios_source() { return std::make_unique<FortiOsSource>(); }
}  // namespace soc::collectors
