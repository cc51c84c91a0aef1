#include "core/transport/spool_record.h"

#include <cstring>

#include "core/transport/crc32c.h"

namespace soc::transport::spool_format {

namespace {

constexpr char kRecordMagic[4] = {'S', 'O', 'C', 'R'};
constexpr char kSegmentMagic[8] = {'S', 'O', 'C', 'S', 'P', 'O', 'O', 'L'};

void put_le(std::string& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out += static_cast<char>(v >> (8 * i));
}
uint64_t get_le(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void put_prefix(std::string& out, RecordType type, uint32_t body_len) {
  out.append(kRecordMagic, 4);
  out += static_cast<char>(type);
  out += '\0';
  put_le(out, 0, 2);
  put_le(out, body_len, 4);
  put_le(out, 0, 4);  // CRC, filled in by the caller
}

void set_crc(std::string& record_head, uint32_t crc) {
  for (int i = 0; i < 4; ++i) record_head[12 + i] = static_cast<char>(crc >> (8 * i));
}

}  // namespace

size_t count_lines(std::string_view payload) {
  if (payload.empty()) return 0;
  size_t n = 0;
  const char* p = payload.data();
  const char* end = p + payload.size();
  while (p < end) {
    const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
    ++n;
    if (!nl) break;
    p = static_cast<const char*>(nl) + 1;
  }
  return n;
}

ParseStatus parse_record(std::string_view buf, RecordView& out, size_t& consumed) {
  consumed = 0;
  if (buf.size() < 4) {
    // Too short to tell: a valid prefix of the magic may be a record being written.
    if (std::memcmp(buf.data(), kRecordMagic, buf.size()) != 0) return ParseStatus::Bad;
    consumed = kRecordPrefixBytes;
    return ParseStatus::NeedMore;
  }
  if (std::memcmp(buf.data(), kRecordMagic, 4) != 0) return ParseStatus::Bad;
  if (buf.size() < kRecordPrefixBytes) {
    consumed = kRecordPrefixBytes;
    return ParseStatus::NeedMore;
  }
  const char* p = buf.data();
  const uint8_t type = static_cast<uint8_t>(p[4]);
  if (type != static_cast<uint8_t>(RecordType::Batch) && type != static_cast<uint8_t>(RecordType::Mark))
    return ParseStatus::Bad;
  if (p[5] != 0 || get_le(p + 6, 2) != 0) return ParseStatus::Bad;
  const uint64_t body_len = get_le(p + 8, 4);
  if (type == static_cast<uint8_t>(RecordType::Mark) && body_len != kMarkBodyBytes) return ParseStatus::Bad;
  if (type == static_cast<uint8_t>(RecordType::Batch) && (body_len < kBatchFixedBytes + 1 || body_len > kMaxBodyBytes))
    return ParseStatus::Bad;
  const uint64_t total = kRecordPrefixBytes + body_len;
  if (buf.size() < total) {
    consumed = static_cast<size_t>(total);
    return ParseStatus::NeedMore;
  }
  const uint32_t stored = static_cast<uint32_t>(get_le(p + 12, 4));
  uint32_t crc = crc32c(0, p + 4, 8);
  crc = crc32c(crc, p + kRecordPrefixBytes, static_cast<size_t>(body_len));
  if (crc != stored) return ParseStatus::Bad;

  const char* b = p + kRecordPrefixBytes;
  out = RecordView{};
  out.type = static_cast<RecordType>(type);
  out.epoch = get_le(b, 8);
  if (out.type == RecordType::Mark) {
    out.done_below = get_le(b + 8, 8);
    out.written_us = static_cast<int64_t>(get_le(b + 16, 8));
  } else {
    out.first = get_le(b + 8, 8);
    out.count = static_cast<uint32_t>(get_le(b + 16, 4));
    const uint64_t pos_len = get_le(b + 20, 4);
    out.written_us = static_cast<int64_t>(get_le(b + 24, 8));
    if (pos_len > kMaxPositionBytes || kBatchFixedBytes + pos_len >= body_len) return ParseStatus::Bad;
    out.position = std::string_view(b + kBatchFixedBytes, static_cast<size_t>(pos_len));
    out.payload = std::string_view(b + kBatchFixedBytes + pos_len, static_cast<size_t>(body_len - kBatchFixedBytes - pos_len));
    // A record the correlator would refuse (count_mismatch) would be resent forever: refuse it here.
    if (out.count == 0 || out.first + out.count < out.first || count_lines(out.payload) != out.count)
      return ParseStatus::Bad;
  }
  if (out.epoch == 0) return ParseStatus::Bad;
  consumed = static_cast<size_t>(total);
  return ParseStatus::Ok;
}

size_t find_next_magic(std::string_view buf, size_t from) {
  for (size_t i = from; i < buf.size(); ++i) {
    const void* s = std::memchr(buf.data() + i, 'S', buf.size() - i);
    if (!s) return buf.size();
    i = static_cast<size_t>(static_cast<const char*>(s) - buf.data());
    const size_t left = buf.size() - i;
    if (std::memcmp(buf.data() + i, kRecordMagic, left < 4 ? left : 4) == 0) return i;
  }
  return buf.size();
}

std::string segment_header() {
  std::string h(kSegmentMagic, 8);
  put_le(h, kVersion, 4);
  put_le(h, crc32c(0, h.data(), 12), 4);
  return h;
}

HeaderStatus parse_segment_header(std::string_view buf, uint32_t& version) {
  if (buf.size() < kSegmentHeaderBytes || std::memcmp(buf.data(), kSegmentMagic, 8) != 0) return HeaderStatus::Bad;
  if (crc32c(0, buf.data(), 12) != static_cast<uint32_t>(get_le(buf.data() + 12, 4))) return HeaderStatus::Bad;
  version = static_cast<uint32_t>(get_le(buf.data() + 8, 4));
  if (version == 0) return HeaderStatus::Bad;
  if (version > kVersion) return HeaderStatus::NewerVersion;
  return HeaderStatus::Ok;
}

void encode_batch_head(std::string& head, uint64_t epoch, uint64_t first, uint32_t count, int64_t written_us,
                       std::string_view position, std::string_view payload) {
  head.clear();
  const uint32_t body = static_cast<uint32_t>(kBatchFixedBytes + position.size() + payload.size());
  put_prefix(head, RecordType::Batch, body);
  put_le(head, epoch, 8);
  put_le(head, first, 8);
  put_le(head, count, 4);
  put_le(head, position.size(), 4);
  put_le(head, static_cast<uint64_t>(written_us), 8);
  head.append(position);
  uint32_t crc = crc32c(0, head.data() + 4, 8);
  crc = crc32c(crc, head.data() + kRecordPrefixBytes, head.size() - kRecordPrefixBytes);
  crc = crc32c(crc, payload.data(), payload.size());
  set_crc(head, crc);
}

std::string encode_mark(uint64_t epoch, uint64_t done_below, int64_t written_us) {
  std::string r;
  put_prefix(r, RecordType::Mark, kMarkBodyBytes);
  put_le(r, epoch, 8);
  put_le(r, done_below, 8);
  put_le(r, static_cast<uint64_t>(written_us), 8);
  set_crc(r, crc32c(crc32c(0, r.data() + 4, 8), r.data() + kRecordPrefixBytes, kMarkBodyBytes));
  return r;
}

}  // namespace soc::transport::spool_format
