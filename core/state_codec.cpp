#include "core/state_codec.h"

#include <fmt/core.h>

#include <array>
#include <cstring>

namespace soc {

namespace {

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}

constexpr std::string_view kMagic = "SOCSTATE";

enum Tag : uint8_t { kString = 1, kInt, kFloat, kBool, kIp, kTimestamp, kList };

}  // namespace

uint32_t crc32(std::string_view bytes, uint32_t crc) {
  static const auto table = make_crc_table();
  crc = ~crc;
  for (unsigned char b : bytes) crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void ByteWriter::u32(uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out_.append(b, 4);
}
void ByteWriter::u64(uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out_.append(b, 8);
}
void ByteWriter::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  u64(bits);
}
void ByteWriter::str(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  out_.append(s);
}

void ByteWriter::value(const Value& v) {
  switch (v.type()) {
    case ValueType::String: u8(kString); str(v.as_string()); break;
    case ValueType::Int: u8(kInt); i64(v.as_int()); break;
    case ValueType::Float: u8(kFloat); f64(v.as_float()); break;
    case ValueType::Bool: u8(kBool); u8(v.as_bool() ? 1 : 0); break;
    case ValueType::Ip: u8(kIp); str(v.as_ip().to_string()); break;
    case ValueType::Timestamp: u8(kTimestamp); time(v.as_timestamp()); break;
    case ValueType::List:
      u8(kList);
      u32(static_cast<uint32_t>(v.as_list().size()));
      for (const auto& e : v.as_list()) {
        if (!e.is_list()) {
          value(e);
        } else {  // events never nest lists; keep the text rather than fail
          u8(kString);
          str(e.to_text());
        }
      }
      break;
  }
}

bool ByteReader::take(size_t n, const char*& p) {
  if (!ok_ || in_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  p = in_.data() + pos_;
  pos_ += n;
  return true;
}

uint8_t ByteReader::u8() {
  const char* p;
  return take(1, p) ? static_cast<uint8_t>(*p) : 0;
}
uint32_t ByteReader::u32() {
  const char* p;
  if (!take(4, p)) return 0;
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t ByteReader::u64() {
  const char* p;
  if (!take(8, p)) return 0;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
double ByteReader::f64() {
  const uint64_t bits = u64();
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}
std::string ByteReader::str() {
  const uint32_t n = u32();
  const char* p;
  if (!take(n, p)) return {};
  return std::string(p, n);
}
uint64_t ByteReader::count(size_t min_bytes) {
  const uint64_t n = u32();
  if (min_bytes > 0 && n > remaining() / min_bytes) ok_ = false;
  return ok_ ? n : 0;
}

Value ByteReader::value() {
  switch (u8()) {
    case kString: return Value(str());
    case kInt: return Value(i64());
    case kFloat: return Value(f64());
    case kBool: return Value(u8() != 0);
    case kIp: {
      auto ip = IpAddress::parse(str());
      if (!ip) {
        ok_ = false;
        return Value();
      }
      return Value(*ip);
    }
    case kTimestamp: return Value(time());
    case kList: {
      const uint64_t n = count(2);
      List l;
      for (uint64_t i = 0; i < n && ok_; ++i) {
        Value e = value();
        if (e.is_list()) ok_ = false;
        l.push_back(std::move(e));
      }
      return Value(std::move(l));
    }
    default: ok_ = false; return Value();
  }
}

std::string seal(std::string_view part, uint32_t version, std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + part.size() + 40);
  out.append(kMagic);
  ByteWriter w(out);
  w.u32(version);
  w.str(part);
  w.u64(payload.size());
  out.append(payload);
  w.u32(crc32(out));
  return out;
}

Unsealed unseal(std::string_view bytes, std::string_view part, uint32_t version) {
  Unsealed u;
  if (bytes.size() < kMagic.size() + 4 + 4 + 8 + 4 || bytes.substr(0, kMagic.size()) != kMagic) {
    u.error = "not a state file (no SOCSTATE header)";
    return u;
  }
  ByteReader head(bytes.substr(kMagic.size()));
  const uint32_t v = head.u32();
  const std::string name = head.str();
  const uint64_t length = head.u64();
  if (!head.ok()) {
    u.error = "truncated header";
    return u;
  }
  const size_t header_bytes = bytes.size() - head.remaining();
  if (head.remaining() < 4 || length != head.remaining() - 4) {
    u.error = fmt::format("the payload should hold {} bytes, the file has {}", length,
                          head.remaining() >= 4 ? head.remaining() - 4 : 0);
    return u;
  }
  ByteReader tail(bytes.substr(bytes.size() - 4));
  const uint32_t want = tail.u32();
  if (crc32(bytes.substr(0, bytes.size() - 4)) != want) {
    u.error = "checksum mismatch (the file is damaged)";
    return u;
  }
  if (name != part) {
    u.error = fmt::format("holds part '{}', not '{}'", name.substr(0, 64), part);
    return u;
  }
  if (v != version) {
    u.error = fmt::format("format version {} (this correlator reads version {})", v, version);
    return u;
  }
  u.payload.assign(bytes.substr(header_bytes, static_cast<size_t>(length)));
  return u;
}

}  // namespace soc
