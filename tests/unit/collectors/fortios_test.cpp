#include <doctest/doctest.h>

#include <string>

#include "collectors/license_source.h"
#include "collectors/target.h"
#include "core/clock.h"

namespace {

using soc::collectors::parse_fortios_license_status;
using soc::collectors::fortios_license_url;

// The shape of GET /api/v2/monitor/license/status on FortiOS 7.x (abridged).
constexpr const char* kAnswer = R"({"http_method":"GET","results":{
  "fortiguard":{"type":"cloud_service_status","supported":true,"connected":true,"server_address":"173.243.142.6:443"},
  "forticare":{"type":"cloud_service_status","status":"registered","registration_status":"registered",
    "account":"noc@example.vn","support":{"hardware":{"status":"licensed","support_level":"Advanced HW","expires":1798761600},
    "enhanced":{"status":"expired","support_level":"Premium","expires":1735689600}},"company":"So TTTT"},
  "antivirus":{"type":"downloaded_fds_object","status":"licensed","version":"91.08942","expires":1798761600,
    "entitlement":"AVDB","engine":{"version":"6.00288","last_update":1684168260}},
  "ips":{"type":"downloaded_fds_object","status":"expired","version":"26.00679","expires":0},
  "vdom":{"type":"platform","max":10,"used":1,"can_upgrade":false},
  "sms":{"type":"other","status":"no_license","max":0,"used":0}},
  "vdom":"root","path":"license","name":"status","status":"success","serial":"FG200FT921900001","version":"v7.2.5","build":1517})";

}  // namespace

TEST_CASE("FortiOS license status gives one entry per object with a status or an expiry, in order") {
  auto r = parse_fortios_license_status(kAnswer);
  REQUIRE(r.ok());
  CHECK(r->serial == "FG200FT921900001");
  REQUIRE(r->entries.size() == 6);
  CHECK(r->entries[0].name == "forticare");
  CHECK(r->entries[0].status == "registered");
  CHECK_FALSE(r->entries[0].expires.has_value());
  CHECK(r->entries[1].name == "forticare.support.hardware");
  CHECK(r->entries[1].status == "licensed");
  REQUIRE(r->entries[1].expires.has_value());
  CHECK(soc::format_rfc3339(*r->entries[1].expires) == "2027-01-01T00:00:00.000000Z");
  CHECK(r->entries[2].name == "forticare.support.enhanced");
  CHECK(r->entries[2].status == "expired");
  CHECK(soc::format_rfc3339(*r->entries[2].expires) == "2025-01-01T00:00:00.000000Z");
  CHECK(r->entries[3].name == "antivirus");
  CHECK(r->entries[4].name == "ips");
  CHECK(r->entries[4].status == "expired");
  CHECK_FALSE(r->entries[4].expires.has_value());  // 0: no date
  CHECK(r->entries[5].name == "sms");
  CHECK(r->entries[5].status == "no_license");
}

TEST_CASE("FortiOS answers of the wrong shape are refused with a reason") {
  auto msg = [](const char* body) {
    auto r = parse_fortios_license_status(body);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  CHECK(msg("").find("not the expected JSON object") != std::string::npos);
  CHECK(msg(R"({"results":{"antivirus":{"status":"licensed")").find("truncated") != std::string::npos);
  CHECK(msg("[1,2]").find("not the expected JSON object") != std::string::npos);
  CHECK(msg(R"({"status":"success"})") == "the answer has no 'results' object");
  CHECK(msg(R"({"results":{"vdom":{"max":10}}})") ==
        "the answer lists no license (no entry with a status or an expiry)");
  CHECK(msg(R"({"results":{"antivirus":{"status":7}}})") == "results.antivirus.status is not a string");
  CHECK(msg(R"({"results":{"antivirus":{"status":"licensed","expires":"soon"}}})") ==
        "results.antivirus.expires is not Unix seconds");
  CHECK(msg(R"({"results":{"antivirus":{"status":"licensed","expires":-5}}})") ==
        "results.antivirus.expires is out of range");
  CHECK(msg(R"({"status":"error","http_status":500})") == "the device answered status 'error'");
  CHECK(msg("\xff\xfe{}").find("not the expected JSON object") != std::string::npos);
}

TEST_CASE("the FortiOS license URL is appended to a device URL unless it names the API") {
  CHECK(fortios_license_url("https://10.0.0.1") == "https://10.0.0.1/api/v2/monitor/license/status");
  CHECK(fortios_license_url("https://fw:8443/") == "https://fw:8443/api/v2/monitor/license/status");
  CHECK(fortios_license_url("http://127.0.0.1:1/api/v2/monitor/license/status?vdom=root") ==
        "http://127.0.0.1:1/api/v2/monitor/license/status?vdom=root");
}

TEST_CASE("FortiOS answers cut or with bytes changed anywhere never crash the parser") {
  const std::string good = kAnswer;
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  size_t refused = 0;
  for (size_t cut = 0; cut < good.size(); cut += 7) refused += parse_fortios_license_status(good.substr(0, cut)).ok() ? 0 : 1;
  CHECK(refused == (good.size() + 6) / 7);  // every strict prefix is refused
  for (int i = 0; i < 3000; ++i) {
    std::string s = good;
    for (int k = 0; k < 1 + static_cast<int>(next() % 4); ++k) s[next() % s.size()] = static_cast<char>(next() & 0xff);
    auto r = parse_fortios_license_status(s);
    if (r.ok()) CHECK(r->entries.size() <= 16);
  }
}
