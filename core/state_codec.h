// The byte format of what the correlator keeps in its state directory and reads back at start
// (snapshots, docs/adr/0030-snapshots.md; delivery journal records, docs/adr/0029-delivery.md):
// little-endian integers, length-prefixed strings, typed values, and an envelope with a magic,
// the part's name, its format version and a CRC-32 of the whole.
//
// What is read back is untrusted (a disk, an editor, a crash can damage it): ByteReader never
// reads beyond its input, never allocates more than the input could hold, and once a read fails
// every later read fails too (check ok() at the end). Pure logic, no I/O, thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/value.h"

namespace soc {

// CRC-32 (IEEE 802.3, as zlib's crc32), continued from `crc`.
uint32_t crc32(std::string_view bytes, uint32_t crc = 0);

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void u8(uint8_t v) { out_ += static_cast<char>(v); }
  void u32(uint32_t v);
  void u64(uint64_t v);
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void f64(double v);
  void str(std::string_view s);  // u32 length + bytes
  void time(Timestamp t) { i64(t.time_since_epoch().count()); }
  // A value with its type; lists of scalars only (as events hold them).
  void value(const Value& v);
  std::string& out() { return out_; }

 private:
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  int64_t i64() { return static_cast<int64_t>(u64()); }
  double f64();
  std::string str();
  Timestamp time() { return Timestamp(std::chrono::microseconds(i64())); }
  Value value();
  // A count of items that each take at least `min_bytes`: fails when the rest could not hold them.
  uint64_t count(size_t min_bytes);
  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }
  void fail() { ok_ = false; }

 private:
  bool take(size_t n, const char*& p);
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// The envelope of a file read back at start:
//   "SOCSTATE" | u32 version | str part | u64 payload length | payload | u32 CRC-32 of all before
std::string seal(std::string_view part, uint32_t version, std::string_view payload);
// The payload, or why the bytes are not a sealed `part` of `version`.
struct Unsealed {
  std::string payload;
  std::string error;  // empty when the payload is good
};
Unsealed unseal(std::string_view bytes, std::string_view part, uint32_t version);

}  // namespace soc
