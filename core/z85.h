// Z85 (ZeroMQ RFC 32) for CURVE keys: 32 bytes <-> 40 characters.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace soc {

using CurveKey = std::array<uint8_t, 32>;

std::optional<CurveKey> z85_decode_key(std::string_view text);
std::string z85_encode_key(const CurveKey& key);

}  // namespace soc
