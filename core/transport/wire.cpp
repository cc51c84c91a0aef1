#include "core/transport/wire.h"

#include <cstring>

namespace soc::transport {

std::string_view to_string(WireError e) {
  switch (e) {
    case WireError::FrameCount: return "frame_count";
    case WireError::BadHeader: return "bad_header";
    case WireError::BadVersion: return "bad_version";
    case WireError::BadType: return "bad_type";
    case WireError::TooLarge: return "too_large";
    case WireError::CountMismatch: return "count_mismatch";
  }
  return "unknown";
}

namespace {
void put_u16(std::string& out, uint16_t v) {
  for (int i = 0; i < 2; ++i) out += static_cast<char>(v >> (8 * i));
}
void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>(v >> (8 * i));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>(v >> (8 * i));
}
uint64_t get_le(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
}  // namespace

bool valid_id(std::string_view id, bool allow_empty) {
  if (id.empty()) return allow_empty;
  if (id.size() > kMaxIdBytes) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void encode_header(const Header& h, std::string& out) {
  out.append(kMagic, 4);
  out += static_cast<char>(h.version);
  out += static_cast<char>(h.type);
  put_u16(out, h.flags);
  put_u64(out, h.epoch);
  put_u64(out, h.seq);
  put_u32(out, h.count);
  out += static_cast<char>(h.sensor_id.size());
  out += h.sensor_id;
  out += static_cast<char>(h.site.size());
  out += h.site;
}

std::string encode_header(const Header& h) {
  std::string out;
  out.reserve(kFixedHeaderBytes + 2 + h.sensor_id.size() + h.site.size());
  encode_header(h, out);
  return out;
}

std::optional<WireError> decode_header(std::string_view frame, Header& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(frame.data());
  if (frame.size() < kFixedHeaderBytes + 2) return WireError::BadHeader;
  if (std::memcmp(p, kMagic, 4) != 0) return WireError::BadHeader;
  out.version = p[4];
  if (out.version != kProtocolVersion) return WireError::BadVersion;
  const uint8_t type = p[5];
  if (type < 1 || type > 4) return WireError::BadType;
  out.type = static_cast<MessageType>(type);
  out.flags = static_cast<uint16_t>(get_le(p + 6, 2));
  out.epoch = get_le(p + 8, 8);
  out.seq = get_le(p + 16, 8);
  out.count = static_cast<uint32_t>(get_le(p + 24, 4));
  size_t pos = kFixedHeaderBytes;
  const size_t id_len = p[pos++];
  if (pos + id_len + 1 > frame.size()) return WireError::BadHeader;
  out.sensor_id.assign(frame.data() + pos, id_len);
  pos += id_len;
  const size_t site_len = p[pos++];
  if (pos + site_len != frame.size()) return WireError::BadHeader;
  out.site.assign(frame.data() + pos, site_len);
  if (!valid_id(out.sensor_id) || !valid_id(out.site, /*allow_empty=*/true)) return WireError::BadHeader;
  // A batch's sequence range must not wrap around.
  if (out.type == MessageType::Batch && (out.count == 0 || out.seq + out.count < out.seq)) return WireError::BadHeader;
  return std::nullopt;
}

}  // namespace soc::transport
