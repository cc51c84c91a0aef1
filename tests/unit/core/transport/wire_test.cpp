#include "core/transport/wire.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/printers.h"

namespace {

using soc::transport::Header;
using soc::transport::MessageType;
using soc::transport::WireError;

Header sample_header(MessageType type = MessageType::Batch) {
  Header h;
  h.type = type;
  h.flags = 0xBEEF;
  h.epoch = 0x0102030405060708ull;
  h.seq = 0x1112131415161718ull;
  h.count = 0x21222324;
  h.sensor_id = "fw-01";
  h.site = "hq";
  return h;
}

std::optional<WireError> decode(std::string_view frame) {
  Header h;
  return soc::transport::decode_header(frame, h);
}

}  // namespace

TEST_CASE("a header of every message type survives an encode and decode round trip") {
  for (const auto type : {MessageType::Batch, MessageType::Heartbeat, MessageType::Ack, MessageType::Nack}) {
    CAPTURE(static_cast<int>(type));
    const Header in = sample_header(type);
    const std::string frame = soc::transport::encode_header(in);
    Header out;
    REQUIRE_FALSE(soc::transport::decode_header(frame, out));
    CHECK(out.version == soc::transport::kProtocolVersion);
    CHECK(out.type == type);
    CHECK(out.flags == in.flags);
    CHECK(out.epoch == in.epoch);
    CHECK(out.seq == in.seq);
    CHECK(out.count == in.count);
    CHECK(out.sensor_id == in.sensor_id);
    CHECK(out.site == in.site);
  }
}

TEST_CASE("the header layout is magic, version, type, little-endian numbers and two counted ids") {
  const std::string frame = soc::transport::encode_header(sample_header());
  const std::string expected = std::string("SOCW") + '\x01' + '\x01' + "\xEF\xBE" +
                               "\x08\x07\x06\x05\x04\x03\x02\x01" + "\x18\x17\x16\x15\x14\x13\x12\x11" +
                               "\x24\x23\x22\x21" + '\x05' + "fw-01" + '\x02' + "hq";
  CHECK(frame == expected);
  CHECK(frame.size() == soc::transport::kFixedHeaderBytes + 2 + 5 + 2);
  std::string appended = "x";
  soc::transport::encode_header(sample_header(), appended);
  CHECK(appended == "x" + expected);
}

TEST_CASE("decode_header accepts the extremes of every field") {
  Header in = sample_header(MessageType::Heartbeat);
  in.flags = 0xFFFF;
  in.epoch = std::numeric_limits<uint64_t>::max();
  in.seq = std::numeric_limits<uint64_t>::max();
  in.count = 0;  // allowed for anything but a batch
  in.sensor_id = std::string(soc::transport::kMaxIdBytes, 'a');
  in.site = "";
  Header out;
  REQUIRE_FALSE(soc::transport::decode_header(soc::transport::encode_header(in), out));
  CHECK(out.epoch == in.epoch);
  CHECK(out.seq == in.seq);
  CHECK(out.sensor_id == in.sensor_id);
  CHECK(out.site.empty());
  in.site = std::string(soc::transport::kMaxIdBytes, 'z');
  REQUIRE_FALSE(soc::transport::decode_header(soc::transport::encode_header(in), out));
  CHECK(out.site == in.site);
}

TEST_CASE("decode_header refuses every frame shorter than the header") {
  const std::string frame = soc::transport::encode_header(sample_header());
  for (size_t n = 0; n < frame.size(); ++n) {
    CAPTURE(n);
    CHECK(decode(std::string_view(frame.data(), n)) == WireError::BadHeader);
  }
}

TEST_CASE("decode_header refuses a wrong magic") {
  const std::string frame = soc::transport::encode_header(sample_header());
  for (size_t i = 0; i < 4; ++i) {
    std::string bad = frame;
    bad[i] ^= 0x20;  // "socw" in lower case, one letter at a time
    CAPTURE(bad.substr(0, 4));
    CHECK(decode(bad) == WireError::BadHeader);
  }
}

TEST_CASE("decode_header refuses a protocol version it does not speak") {
  for (const int version : {0, 2, 255}) {
    CAPTURE(version);
    Header h = sample_header();
    h.version = static_cast<uint8_t>(version);
    CHECK(decode(soc::transport::encode_header(h)) == WireError::BadVersion);
  }
}

TEST_CASE("decode_header refuses message types 0 and 5 to 255") {
  std::string frame = soc::transport::encode_header(sample_header());
  for (int type = 0; type < 256; ++type) {
    frame[5] = static_cast<char>(type);
    CAPTURE(type);
    if (type >= 1 && type <= 4) {
      CHECK_FALSE(decode(frame));
    } else {
      CHECK(decode(frame) == WireError::BadType);
    }
  }
}

TEST_CASE("decode_header refuses id lengths that do not add up to the frame") {
  const std::string frame = soc::transport::encode_header(sample_header());  // id "fw-01", site "hq"
  const size_t id_len_at = soc::transport::kFixedHeaderBytes;
  const size_t site_len_at = id_len_at + 1 + 5;
  for (const int len : {0, 4, 6, 7, 100, 255}) {
    std::string bad = frame;
    bad[id_len_at] = static_cast<char>(len);
    CAPTURE(len);
    CHECK(decode(bad) == WireError::BadHeader);
  }
  for (const int len : {0, 1, 3, 255}) {
    std::string bad = frame;
    bad[site_len_at] = static_cast<char>(len);
    CAPTURE(len);
    CHECK(decode(bad) == WireError::BadHeader);
  }
  CHECK(decode(frame + "x") == WireError::BadHeader);
  CHECK(decode(frame + std::string(1, '\0')) == WireError::BadHeader);
  CHECK(decode(frame.substr(0, frame.size() - 1)) == WireError::BadHeader);
}

TEST_CASE("decode_header refuses ids with characters outside [A-Za-z0-9._:-] or too long") {
  const std::vector<std::string> bad_ids = {"",      "fw 01", "fw/01", "fw@01", std::string("fw\0", 3), "f\xC3\xA9",
                                            "fw\n", "a,b",   "*",     std::string(soc::transport::kMaxIdBytes + 1, 'a')};
  for (const auto& id : bad_ids) {
    CAPTURE(id);
    Header h = sample_header();
    h.sensor_id = id;
    CHECK(decode(soc::transport::encode_header(h)) == WireError::BadHeader);
    Header s = sample_header();
    s.site = id;
    if (!id.empty()) CHECK(decode(soc::transport::encode_header(s)) == WireError::BadHeader);
  }
  Header ok = sample_header();
  ok.sensor_id = "Az09._:-";
  CHECK_FALSE(decode(soc::transport::encode_header(ok)));
}

TEST_CASE("decode_header refuses a batch of no events or whose sequence range wraps") {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  Header h = sample_header();
  h.count = 0;
  CHECK(decode(soc::transport::encode_header(h)) == WireError::BadHeader);
  h.seq = max - 4;
  h.count = 4;  // last event max - 1, next sequence max: fits
  CHECK_FALSE(decode(soc::transport::encode_header(h)));
  h.count = 5;  // the next sequence number would be 2^64
  CHECK(decode(soc::transport::encode_header(h)) == WireError::BadHeader);
  h.seq = max;
  h.count = 1;
  CHECK(decode(soc::transport::encode_header(h)) == WireError::BadHeader);
  h.seq = 1;
  h.count = std::numeric_limits<uint32_t>::max();
  CHECK_FALSE(decode(soc::transport::encode_header(h)));
  // Only batches carry a range: an ack or heartbeat may have any seq and count 0.
  Header ack = sample_header(MessageType::Ack);
  ack.seq = max;
  ack.count = 0;
  CHECK_FALSE(decode(soc::transport::encode_header(ack)));
}

TEST_CASE("valid_id allows 1 to 64 bytes of the id alphabet, and empty only when asked") {
  using soc::transport::valid_id;
  CHECK(valid_id("sensor-01"));
  CHECK(valid_id("a"));
  CHECK(valid_id(std::string(64, 'x')));
  CHECK_FALSE(valid_id(std::string(65, 'x')));
  CHECK_FALSE(valid_id(""));
  CHECK(valid_id("", /*allow_empty=*/true));
  CHECK_FALSE(valid_id(std::string(65, 'x'), true));
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool expected = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                          ch == '.' || ch == '_' || ch == ':' || ch == '-';
    CAPTURE(c);
    CHECK(valid_id(std::string(1, ch)) == expected);
  }
}

TEST_CASE("to_string gives a stable, distinct reason for every wire error") {
  const std::vector<std::pair<WireError, std::string_view>> expected = {
      {WireError::FrameCount, "frame_count"}, {WireError::BadHeader, "bad_header"}, {WireError::BadVersion, "bad_version"},
      {WireError::BadType, "bad_type"},       {WireError::TooLarge, "too_large"},   {WireError::CountMismatch, "count_mismatch"},
  };
  std::set<std::string_view> seen;
  for (const auto& [e, s] : expected) {
    CHECK(soc::transport::to_string(e) == s);
    CHECK(seen.insert(soc::transport::to_string(e)).second);
  }
  CHECK(soc::transport::to_string(static_cast<WireError>(6)) == "unknown");
}

TEST_CASE("for_each_line splits a payload on newlines with an optional final newline") {
  auto lines = [](std::string_view payload) {
    std::vector<std::string> out;
    const size_t n = soc::transport::for_each_line(payload, [&](std::string_view l) { out.emplace_back(l); });
    CHECK(n == out.size());
    return out;
  };
  CHECK(lines("a\nb\nc") == std::vector<std::string>{"a", "b", "c"});
  CHECK(lines("a\nb\nc\n") == std::vector<std::string>{"a", "b", "c"});
  CHECK(lines("{\"a\":1}") == std::vector<std::string>{"{\"a\":1}"});
  CHECK(lines("").empty());
  // Empty lines are passed on (and counted), for the receiver to refuse as empty events.
  CHECK(lines("\n") == std::vector<std::string>{""});
  CHECK(lines("a\n\nb") == std::vector<std::string>{"a", "", "b"});
  CHECK(lines("a\r\nb") == std::vector<std::string>{"a\r", "b"});
}
