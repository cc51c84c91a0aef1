// An IPv4 or IPv6 address, stored in 16 bytes (IPv4 in the first 4). Comparable.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace soc {

class IpAddress {
 public:
  IpAddress() = default;

  // Textual forms accepted by inet_pton (dotted quad, RFC 4291 IPv6). No zone ids, no ports.
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress v4(uint32_t host_order);
  static IpAddress v6(const uint8_t bytes[16]);

  bool is_v4() const { return v4_; }
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  std::string to_string() const;
  // Appends to_string()'s text to `out` (no temporary string for an IPv4 address).
  void append_to(std::string& out) const;

  // True when the first `prefix_len` bits equal those of `network` (same family).
  bool in_prefix(const IpAddress& network, unsigned prefix_len) const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<uint8_t, 16> bytes_{};
  bool v4_ = true;
};

}  // namespace soc
