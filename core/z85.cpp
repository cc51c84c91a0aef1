#include "core/z85.h"

namespace soc {
namespace {
constexpr char kEncoder[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

int decode_char(char c) {
  for (int i = 0; i < 85; ++i) {
    if (kEncoder[i] == c) return i;
  }
  return -1;
}
}  // namespace

std::optional<CurveKey> z85_decode_key(std::string_view text) {
  if (text.size() != 40) return std::nullopt;
  CurveKey key{};
  size_t byte = 0;
  for (size_t i = 0; i < 40; i += 5) {
    uint64_t value = 0;
    for (size_t j = 0; j < 5; ++j) {
      const int d = decode_char(text[i + j]);
      if (d < 0) return std::nullopt;
      value = value * 85 + static_cast<uint64_t>(d);
    }
    if (value > 0xFFFFFFFFull) return std::nullopt;
    key[byte++] = static_cast<uint8_t>(value >> 24);
    key[byte++] = static_cast<uint8_t>(value >> 16);
    key[byte++] = static_cast<uint8_t>(value >> 8);
    key[byte++] = static_cast<uint8_t>(value);
  }
  return key;
}

std::string z85_encode_key(const CurveKey& key) {
  std::string out;
  out.reserve(40);
  for (size_t i = 0; i < 32; i += 4) {
    uint32_t value = (uint32_t{key[i]} << 24) | (uint32_t{key[i + 1]} << 16) | (uint32_t{key[i + 2]} << 8) | key[i + 3];
    char chunk[5];
    for (int j = 4; j >= 0; --j) {
      chunk[j] = kEncoder[value % 85];
      value /= 85;
    }
    out.append(chunk, 5);
  }
  return out;
}

}  // namespace soc
