// Vendor adapters that read an appliance's license status over its HTTP API. One file per vendor
// (fortios.cpp is the first); make_license_source() is the registry. A source returns what the
// vendor says (entry names and statuses in its words, expiries as timestamps); the collector
// turns each entry into one collector.license event.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/target.h"
#include "core/clock.h"
#include "core/result.h"

namespace soc::collectors {

struct LicenseEntry {
  std::string name;    // asset.license.name, e.g. forticare.support.hardware, antivirus
  std::string status;  // asset.license.status, as the vendor says: licensed, expired, ...
  std::optional<Timestamp> expires;
};

struct LicenseReport {
  std::string serial;  // observer.serial_number; empty when the device does not say
  std::vector<LicenseEntry> entries;
};

struct LicenseReadOptions {
  std::string token;  // API token; empty: no Authorization header
  bool verify_tls = true;
  std::chrono::milliseconds timeout{10'000};
};

class LicenseSource {
 public:
  virtual ~LicenseSource() = default;
  // observer.vendor of the events: "Fortinet".
  virtual std::string_view vendor() const = 0;
  // Reads the device at target.url. Errors: "http" (transport, or a status other than 200, with
  // the status in the message), "parse" (an answer of the wrong shape).
  virtual Result<LicenseReport> read(const Target& target, const LicenseReadOptions& options) = 0;
};

// The source for `kind` (the target's key in the config: "fortios"), or nullptr.
std::unique_ptr<LicenseSource> make_license_source(std::string_view kind);

// FortiOS: GET /api/v2/monitor/license/status. Exposed for the unit tests.
Result<LicenseReport> parse_fortios_license_status(std::string_view body);
// The URL to GET for a device URL: the path is appended unless the URL already names /api/.
std::string fortios_license_url(const std::string& device_url);

}  // namespace soc::collectors
