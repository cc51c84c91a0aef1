// The byte format of the rule engine's state (docs/adr/0030-snapshots.md), written piece by
// piece straight from the engine's groups (Engine::encode_state, on the ingest thread: no copy
// of the state in between) and read back whole (decode_engine_state). Internal to daemon/rules.
//
//   u32 watermarks  { str stream, time }
//   u32 rules       { str key, u64 fingerprint, u32 groups { group }, u32 suppressions { suppression } }
//   group:          str key, u8 hot, u32 values { value }, str site, u8 mixed_sites,
//                   u32 last_fields { str field, value }, u32 entries { entry }
//   entry:          time ts, time start, u32 ref, str value, f64 number, i64 count, str evidence,
//                   str evidence_json, u32 chained { str id, str json }
// (an empty json: the event was cited by id only.)
//   suppression:    str key, time last, i64 held
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/state_codec.h"

namespace soc::daemon::rules::state_format {

inline void group_header(ByteWriter& w, std::string_view key, bool hot, const std::vector<Value>& values,
                         std::string_view site, bool mixed_sites, const Event& last_fields, size_t entries) {
  w.str(key);
  w.u8(hot ? 1 : 0);
  w.u32(static_cast<uint32_t>(values.size()));
  for (const auto& v : values) w.value(v);
  w.str(site);
  w.u8(mixed_sites ? 1 : 0);
  w.u32(static_cast<uint32_t>(last_fields.size()));
  for (const auto& f : last_fields) {
    w.str(f.key);
    w.value(f.value);
  }
  w.u32(static_cast<uint32_t>(entries));
}

// `chained`: a range of items with `id` and `json` (a std::shared_ptr<const std::string>, or null).
template <typename Chained>
void entry(ByteWriter& w, Timestamp ts, Timestamp start, uint32_t ref, std::string_view value, double number,
           int64_t count, std::string_view evidence, const std::string* evidence_json, const Chained& chained) {
  w.time(ts);
  w.time(start);
  w.u32(ref);
  w.str(value);
  w.f64(number);
  w.i64(count);
  w.str(evidence);
  w.str(evidence_json ? std::string_view(*evidence_json) : std::string_view());
  w.u32(static_cast<uint32_t>(chained.size()));
  for (const auto& c : chained) {
    w.str(c.id);
    w.str(c.json ? std::string_view(*c.json) : std::string_view());
  }
}

inline void suppression(ByteWriter& w, std::string_view key, Timestamp last, int64_t held) {
  w.str(key);
  w.time(last);
  w.i64(held);
}

}  // namespace soc::daemon::rules::state_format
