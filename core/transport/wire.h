// The wire format between sensors and the correlator (docs/wire-protocol.md). No ZeroMQ here:
// this file encodes and decodes the frames, so that the decoder can be tested and fuzzed alone.
//
// A message is two ZeroMQ frames: a binary header, then a payload (JSON lines for a batch, one
// JSON object for a heartbeat, a reason for a nack, nothing for an ack).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace soc::transport {

inline constexpr uint8_t kProtocolVersion = 1;
inline constexpr char kMagic[4] = {'S', 'O', 'C', 'W'};
inline constexpr size_t kFixedHeaderBytes = 28;
inline constexpr size_t kMaxIdBytes = 64;

enum class MessageType : uint8_t {
  Batch = 1,      // sensor -> correlator: `count` events, sequence numbers seq .. seq+count-1
  Heartbeat = 2,  // sensor -> correlator: liveness and the sensor's counters; seq = next sequence
  Ack = 3,        // correlator -> sensor: every event below seq (of this epoch) has arrived
  Nack = 4,       // correlator -> sensor: a message was refused; payload = "reason: text"
};

struct Header {
  uint8_t version = kProtocolVersion;
  MessageType type = MessageType::Batch;
  uint16_t flags = 0;
  uint64_t epoch = 0;  // identifies one run of the sender; a new epoch restarts the sequence
  uint64_t seq = 0;
  uint32_t count = 0;
  std::string sensor_id;  // 1..64 bytes of [A-Za-z0-9._:-]
  std::string site;       // 0..64 bytes of the same
};

// Why a frame was refused. Stable strings: metric labels of soc_messages_rejected_total.
enum class WireError : uint8_t {
  FrameCount,   // not two frames
  BadHeader,    // short, wrong magic, lengths that do not add up, bad characters in ids
  BadVersion,   // a protocol version this build does not speak
  BadType,      // an unknown message type, or one that must not travel in this direction
  TooLarge,     // a payload beyond the configured limit
  CountMismatch // a batch whose payload does not hold `count` lines
};
std::string_view to_string(WireError e);

void encode_header(const Header& h, std::string& out);
std::string encode_header(const Header& h);

// Decodes a header frame. Never reads beyond `frame`; never throws.
std::optional<WireError> decode_header(std::string_view frame, Header& out);

// True when `id` is a valid sensor id or site (non-empty unless allow_empty).
bool valid_id(std::string_view id, bool allow_empty = false);

// Calls `fn(line)` for each line of a batch payload (lines separated by '\n'; a final '\n' is
// optional; an empty line is passed on as an empty line, which the decoder refuses). Returns the
// number of lines.
template <typename Fn>
size_t for_each_line(std::string_view payload, Fn&& fn) {
  size_t n = 0;
  size_t pos = 0;
  while (pos < payload.size()) {
    size_t eol = payload.find('\n', pos);
    if (eol == std::string_view::npos) eol = payload.size();
    fn(payload.substr(pos, eol - pos));
    ++n;
    pos = eol + 1;
  }
  return n;
}

}  // namespace soc::transport
