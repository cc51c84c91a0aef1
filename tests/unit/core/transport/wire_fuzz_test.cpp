// Deterministic fuzz-style loops over the wire header decoder (fixed seeds): it must never read
// outside the frame, must refuse with a reason, and what it accepts must be exactly what the
// encoder writes for the decoded header (the encoding is canonical).
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/transport/wire.h"
#include "tests/unit/printers.h"

namespace {

using soc::transport::Header;
using soc::transport::MessageType;
using soc::transport::WireError;

std::vector<std::string> sample_frames() {
  std::vector<std::string> out;
  for (const auto type : {MessageType::Batch, MessageType::Heartbeat, MessageType::Ack, MessageType::Nack}) {
    Header h;
    h.type = type;
    h.epoch = 1795785621000000ull;
    h.seq = type == MessageType::Batch ? 1000 : 0;
    h.count = type == MessageType::Batch ? 64 : 0;
    h.sensor_id = "fw-01";
    h.site = type == MessageType::Ack ? "" : "hq.site:1";
    out.push_back(soc::transport::encode_header(h));
  }
  Header edge;
  edge.seq = ~0ull - 10;
  edge.count = 10;
  edge.sensor_id = std::string(soc::transport::kMaxIdBytes, 'x');
  edge.site = std::string(soc::transport::kMaxIdBytes, 'y');
  out.push_back(soc::transport::encode_header(edge));
  return out;
}

}  // namespace

TEST_CASE("decode_header refuses every sample header truncated at every length") {
  for (const auto& frame : sample_frames()) {
    REQUIRE_FALSE([&] { Header h; return soc::transport::decode_header(frame, h); }());
    for (size_t n = 0; n < frame.size(); ++n) {
      // A copy of exactly n bytes, so that a read past the end is a read past the allocation.
      const std::string cut = frame.substr(0, n);
      Header h;
      const auto e = soc::transport::decode_header(cut, h);
      CAPTURE(n);
      CHECK(e == WireError::BadHeader);
    }
  }
}

TEST_CASE("decode_header survives 100000 mutated headers and accepts only canonical encodings") {
  const auto frames = sample_frames();
  std::mt19937 rng(0x50C3);
  std::map<std::string, size_t> reasons;
  size_t accepted = 0;
  size_t bad_reason = 0;
  size_t not_canonical = 0;
  std::string first_problem;
  for (int i = 0; i < 100000; ++i) {
    std::string s = frames[static_cast<size_t>(i) % frames.size()];
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < n; ++m) {
      const size_t pos = rng() % (s.size() + 1);
      switch (rng() % 7) {
        case 0:
          if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
          break;
        case 1:
          if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng());
          break;
        case 2:  // the bytes that matter most: version, type and the two lengths
          if (s.size() > 29) {
            const size_t site_len_at = 29 + static_cast<size_t>(static_cast<unsigned char>(s[28]));
            const size_t targets[] = {4, 5, 28, site_len_at};
            s[targets[rng() % 4] % s.size()] = static_cast<char>(rng() % 8);
          }
          break;
        case 3:
          s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(rng()));
          break;
        case 4:
          if (pos < s.size()) s.erase(pos, 1 + rng() % 3);
          break;
        case 5:
          s.resize(rng() % (s.size() + 1));
          break;
        case 6:  // the batch range: count 0, or a sequence near the top
          if (s.size() >= 28) {
            const size_t at = rng() % 2 ? 24 : 16;
            for (size_t b = 0; b < (at == 24 ? 4u : 8u); ++b) s[at + b] = rng() % 2 ? '\xFF' : '\0';
          }
          break;
      }
    }
    Header h;
    const auto e = soc::transport::decode_header(s, h);
    if (e) {
      const auto reason = soc::transport::to_string(*e);
      if (reason.empty() || reason == "unknown") {
        if (bad_reason++ == 0) first_problem = s;
      }
      ++reasons[std::string(reason)];
      continue;
    }
    ++accepted;
    if (soc::transport::encode_header(h) != s) {
      if (not_canonical++ == 0) first_problem = s;
    }
  }
  std::string seen;
  for (const auto& [reason, count] : reasons) seen += reason + "=" + std::to_string(count) + " ";
  MESSAGE("wire mutations: accepted=" << accepted << " refused: " << seen);
  CAPTURE(first_problem);
  CHECK(bad_reason == 0);
  CHECK(not_canonical == 0);
  CHECK(accepted > 1000);
  CHECK(reasons["bad_header"] > 0);
  CHECK(reasons["bad_version"] > 0);
  CHECK(reasons["bad_type"] > 0);
}

TEST_CASE("decode_header survives random frames of every short length") {
  std::mt19937 rng(99);
  size_t refused = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string s(rng() % 100, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    if (i % 2 && s.size() >= 6) {  // a plausible start, so that the length checks are reached
      s.replace(0, 6, std::string("SOCW\x01", 5) + static_cast<char>(1 + rng() % 4));
    }
    Header h;
    if (const auto e = soc::transport::decode_header(s, h)) {
      ++refused;
      CHECK_FALSE(soc::transport::to_string(*e).empty());
    } else {
      CHECK(soc::transport::encode_header(h) == s);
    }
  }
  CHECK(refused > 40000);
}
