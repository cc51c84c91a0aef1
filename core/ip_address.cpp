#include "core/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace soc {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    // Dotted quad, parsed here: inet_pton4 was a tenth of the decoder's time. Same rules as
    // glibc's: four decimal octets up to 255, no leading zeros, nothing else.
    size_t pos = 0;
    for (int octet = 0; octet < 4; ++octet) {
      if (octet > 0) {
        if (pos >= text.size() || text[pos] != '.') return std::nullopt;
        ++pos;
      }
      const size_t start = pos;
      unsigned v = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 3) {
        v = v * 10 + static_cast<unsigned>(text[pos] - '0');
        ++pos;
      }
      if (pos == start || v > 255 || (pos - start > 1 && text[start] == '0')) return std::nullopt;
      a.bytes_[octet] = static_cast<uint8_t>(v);
    }
    if (pos != text.size()) return std::nullopt;
    a.v4_ = true;
    return a;
  }
  // INET6_ADDRSTRLEN is 46; anything longer is not an address (and must not overflow buf).
  // inet_pton stops at a NUL byte: text holding one is not an address either.
  char buf[64];
  if (text.size() >= sizeof buf || text.find('\0') != std::string_view::npos) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (inet_pton(AF_INET6, buf, a.bytes_.data()) != 1) return std::nullopt;
  a.v4_ = false;
  return a;
}

IpAddress IpAddress::v4(uint32_t host_order) {
  IpAddress a;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  a.v4_ = true;
  return a;
}

IpAddress IpAddress::v6(const uint8_t bytes[16]) {
  IpAddress a;
  std::memcpy(a.bytes_.data(), bytes, 16);
  a.v4_ = false;
  return a;
}

std::string IpAddress::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

void IpAddress::append_to(std::string& out) const {
  if (v4_) {
    // inet_ntop formats IPv4 through sprintf: this is several times faster on the hot path.
    char buf[16];
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      unsigned v = bytes_[i];
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + (v / 10) % 10);
      *p++ = static_cast<char>('0' + v % 10);
      if (i < 3) *p++ = '.';
    }
    out.append(buf, p);
    return;
  }
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  out += buf;
}

bool IpAddress::in_prefix(const IpAddress& network, unsigned prefix_len) const {
  if (v4_ != network.v4_) return false;
  const unsigned max = v4_ ? 32 : 128;
  if (prefix_len > max) return false;
  const unsigned full = prefix_len / 8;
  if (std::memcmp(bytes_.data(), network.bytes_.data(), full) != 0) return false;
  const unsigned rest = prefix_len % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (bytes_[full] & mask) == (network.bytes_[full] & mask);
}

}  // namespace soc
