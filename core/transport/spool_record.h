// The on-disk format of the sender's spool (docs/adr/0027-sender-spool.md): segment files made
// of checksummed records. Pure encoding and decoding, no file access, so that the decoder can be
// tested and fuzzed alone: a spool file is untrusted input (a torn write, a bad disk, an
// operator's editor), and decoding it never reads outside the buffer, never throws, and costs
// time linear in its size.
//
// A segment file starts with a 16-byte header: "SOCSPOOL", the format version (u32) and the
// CRC-32C of those 12 bytes (u32). Records follow, each:
//
//   offset size
//   0      4    magic "SOCR"
//   4      1    type: 1 batch, 2 mark
//   5      1    flags (0)
//   6      2    reserved (0)
//   8      4    body length L
//   12     4    CRC-32C of bytes 4..11 and the body
//   16     L    body
//
// Batch body: epoch (u64), first sequence number (u64), count (u32), position length P (u32),
// written at (i64, microseconds since the Unix epoch), the position (P bytes: where the sender's
// input stands after the batch's last event, opaque to the spool), then the payload (the batch's
// JSON lines, exactly as sent: `count` lines).
// Mark body: epoch (u64), done_below (u64), written at (i64): every batch of that epoch whose
// events all lie below done_below was acknowledged (or dropped) and is not to be sent again.
//
// All integers little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace soc::transport::spool_format {

inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kSegmentHeaderBytes = 16;
inline constexpr size_t kRecordPrefixBytes = 16;
inline constexpr size_t kBatchFixedBytes = 32;
inline constexpr size_t kMarkBodyBytes = 24;
// Bounds on what a record may claim, so a damaged length never makes a reader allocate or scan
// more than this: a batch is at most the wire's 64 MiB message plus its position.
inline constexpr uint32_t kMaxPositionBytes = 1 << 20;
inline constexpr uint32_t kMaxBodyBytes = (64u << 20) + kMaxPositionBytes + kBatchFixedBytes;

enum class RecordType : uint8_t { Batch = 1, Mark = 2 };

// One decoded record; the views point into the buffer given to parse_record().
struct RecordView {
  RecordType type = RecordType::Batch;
  uint64_t epoch = 0;
  uint64_t first = 0;       // batch: first sequence number
  uint32_t count = 0;       // batch: events
  uint64_t done_below = 0;  // mark
  int64_t written_us = 0;
  std::string_view position;
  std::string_view payload;
  uint64_t end() const { return first + count; }
};

enum class ParseStatus {
  Ok,        // a whole, valid record: `consumed` bytes
  NeedMore,  // the buffer ends inside a record that may be valid: `consumed` is the whole size it claims
  Bad,       // not a record here (wrong magic, impossible length or fields, checksum mismatch)
};

// Parses the record at the start of `buf`. Never reads outside `buf`.
ParseStatus parse_record(std::string_view buf, RecordView& out, size_t& consumed);

// The offset, at or after `from`, of the next place in `buf` where a record might start (its
// magic, or a prefix of it at the very end), or buf.size() when there is none: the
// resynchronisation after damage.
size_t find_next_magic(std::string_view buf, size_t from);

// The segment header, and whether `buf` starts with a valid one (version set from it).
std::string segment_header();
enum class HeaderStatus { Ok, Bad, NewerVersion };
HeaderStatus parse_segment_header(std::string_view buf, uint32_t& version);

// Encodes a batch record's prefix, fixed fields and position into `head`; the payload follows it
// on disk unchanged (written with writev, not copied). The CRC covers the payload.
void encode_batch_head(std::string& head, uint64_t epoch, uint64_t first, uint32_t count, int64_t written_us,
                       std::string_view position, std::string_view payload);
// Encodes a whole mark record.
std::string encode_mark(uint64_t epoch, uint64_t done_below, int64_t written_us);

// Lines in a batch payload, as the correlator counts them (wire.h for_each_line).
size_t count_lines(std::string_view payload);

}  // namespace soc::transport::spool_format
