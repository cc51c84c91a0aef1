// The one OpenSSL (libcrypto) adapter for digests: SHA-256 and HMAC-SHA256, as lower-case hex.
// Used by the tamper-evident alert log (hash chain), the webhook signature and the compliance
// report's evidence digest. The TLS probe of the collector has its own adapter
// (collectors/tls_adapter.cpp), since it needs libssl.
//
// Thread-safe, no failure modes short of memory exhaustion (which aborts).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace soc::crypto {

using Sha256 = std::array<uint8_t, 32>;

// Incremental SHA-256, for digests over many pieces (a report's evidence, a file).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void update(std::string_view bytes);
  // The digest of everything updated so far; the hasher must not be used afterwards.
  Sha256 finish();

 private:
  void* ctx_;
};

Sha256 sha256(std::string_view bytes);
std::string sha256_hex(std::string_view bytes);
std::string hmac_sha256_hex(std::string_view key, std::string_view message);
std::string to_hex(const Sha256& digest);

// Compares two strings in time independent of where they differ (tokens, signatures).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace soc::crypto
