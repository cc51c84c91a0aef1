// What soc-collector probes: one Target per TLS endpoint, TCP endpoint or license API, from the
// command line (--tls HOST:PORT[/SNI], --tcp HOST:PORT, --fortios URL) or from the `targets:`
// section of the config file (docs/collector.md). Parsing never throws; errors are values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.h"
#include "core/result.h"

namespace soc::collectors {

enum class TargetKind { Tls, Tcp, License };

struct Target {
  TargetKind kind = TargetKind::Tcp;
  std::string host;  // tls, tcp: as given (name or address), brackets of IPv6 removed
  uint16_t port = 0;
  std::string sni;  // tls: the server name to send and verify; empty: the host when it is a name
  std::string url;  // license: the device's API URL
  std::string vendor = "fortios";  // license: which LicenseSource reads it
  std::string token_file;          // license: file holding the API token (Bearer)
  bool insecure = false;           // license: accept a certificate that does not verify
  std::string asset_id;            // inventory asset id, copied to asset.id
  std::chrono::seconds interval{0};  // 0: the collector's --interval
  std::string spec;                  // as written, for messages
};

// "HOST:PORT", "[v6]:PORT"; for TLS also "HOST:PORT/SNI".
Result<Target> parse_endpoint(TargetKind kind, std::string_view spec);

// Reads the `targets:` section of a config file (the rest of it is the command line's).
// Appends every problem as file:line:column; returns false when there was any.
//   targets:
//     - {tls: portal.example.vn:443, asset: portal-1, interval: 3600}
//     - {tcp: 10.0.0.5:5060, asset: vc-1}
//     - {fortios: https://10.0.0.1, asset: fw-dc-1, token_file: /etc/soc/fw.token, insecure: false}
bool load_targets(const std::string& path, std::vector<Target>& out, std::vector<Diagnostic>& diags,
                  std::string& source);

}  // namespace soc::collectors
