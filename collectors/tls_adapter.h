// The one OpenSSL adapter (docs/adr/0013-collector.md): a TLS handshake over a connected socket
// that reads the server certificate. Verification (chain against the system's CA store, and the
// server name) is done but does not stop the handshake, so that the expiry of a self-signed or
// otherwise untrusted certificate is still read; `verified` says whether it passed.
#pragma once

#include <chrono>
#include <string>

#include "collectors/tcp_connect.h"
#include "core/clock.h"
#include "core/result.h"

namespace soc::collectors {

struct CertificateInfo {
  Timestamp not_before{};
  Timestamp not_after{};
  std::string subject_cn;  // empty when the subject has no CN
  std::string issuer_cn;
  std::string version;  // "1.3", "1.2" (ECS tls.version)
  bool verified = false;
  std::string verify_error;  // OpenSSL's reason when not verified
};

// Handshakes over `socket` (connected, blocking), sending `sni` as server name when it is not
// empty, and verifying the certificate for `verify_name` (a host name or an IP address). The
// handshake gives up after `timeout`. Errors: "tls" with OpenSSL's reason.
Result<CertificateInfo> read_server_certificate(Socket& socket, const std::string& sni, const std::string& verify_name,
                                                std::chrono::milliseconds timeout);

}  // namespace soc::collectors
