// The byte format of the rule engine's state (docs/adr/0030-snapshots.md), written piece by
// piece straight from the engine's groups (Engine::encode_state, on the ingest thread: no copy
// of the state in between) and read back whole (decode_engine_state). Internal to daemon/rules.
//
//   u32 watermarks  { str stream, time }
//   u32 rules       { str key, u64 fingerprint, u32 groups { group }, u32 suppressions { suppression } }
//   group:          str key, u8 hot, u32 values { value }, str site, u8 mixed_sites, u32 entries { entry }
//   entry:          time ts, time start, u32 ref, str value, f64 number, i64 count, str evidence,
//                   u32 chained { str }
//   suppression:    str key, time last, i64 held
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/state_codec.h"

namespace soc::daemon::rules::state_format {

inline void group_header(ByteWriter& w, std::string_view key, bool hot, const std::vector<Value>& values,
                         std::string_view site, bool mixed_sites, size_t entries) {
  w.str(key);
  w.u8(hot ? 1 : 0);
  w.u32(static_cast<uint32_t>(values.size()));
  for (const auto& v : values) w.value(v);
  w.str(site);
  w.u8(mixed_sites ? 1 : 0);
  w.u32(static_cast<uint32_t>(entries));
}

inline void entry(ByteWriter& w, Timestamp ts, Timestamp start, uint32_t ref, std::string_view value, double number,
                  int64_t count, std::string_view evidence, const std::vector<std::string>& chained) {
  w.time(ts);
  w.time(start);
  w.u32(ref);
  w.str(value);
  w.f64(number);
  w.i64(count);
  w.str(evidence);
  w.u32(static_cast<uint32_t>(chained.size()));
  for (const auto& c : chained) w.str(c);
}

inline void suppression(ByteWriter& w, std::string_view key, Timestamp last, int64_t held) {
  w.str(key);
  w.time(last);
  w.i64(held);
}

}  // namespace soc::daemon::rules::state_format
