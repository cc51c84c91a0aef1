// Reading the rule engine's state back (engine_state_format.h has the format; the engine writes
// it in Engine::encode_state). Decoding trusts nothing: every count is bounded by the bytes left,
// and a snapshot that does not parse whole is refused.
#include <fmt/core.h>

#include "core/state_codec.h"
#include "daemon/rules/engine.h"
#include "daemon/rules/engine_state_format.h"

namespace soc::daemon::rules {

namespace {

// Entries kept per group (the engine drops older ones, see kMaxEntriesPerGroup in engine.cpp).
constexpr uint64_t kMaxEntries = 65536;

EngineState::Entry get_entry(ByteReader& r) {
  EngineState::Entry e;
  e.ts = r.time();
  e.start = r.time();
  e.ref = r.u32();
  e.value = r.str();
  e.number = r.f64();
  e.count = r.i64();
  e.evidence = r.str();
  e.evidence_json = r.str();
  for (uint64_t i = 0, n = r.count(8); i < n && r.ok(); ++i) {
    EngineState::Entry::Chained c;
    c.id = r.str();
    c.json = r.str();
    e.chained.push_back(std::move(c));
  }
  return e;
}

}  // namespace

Result<EngineState> decode_engine_state(std::string_view bytes) {
  ByteReader r(bytes);
  EngineState s;
  for (uint64_t i = 0, n = r.count(12); i < n && r.ok(); ++i) {
    std::string stream = r.str();
    s.watermarks.emplace_back(std::move(stream), r.time());
  }
  for (uint64_t i = 0, n = r.count(16); i < n && r.ok(); ++i) {
    EngineState::Rule& rule = s.rules.emplace_back();
    rule.key = r.str();
    rule.fingerprint = r.u64();
    for (uint64_t j = 0, groups = r.count(13); j < groups && r.ok(); ++j) {
      EngineState::Group& g = rule.groups.emplace_back();
      g.key = r.str();
      g.hot = r.u8() != 0;
      for (uint64_t k = 0, values = r.count(2); k < values && r.ok(); ++k) g.values.push_back(r.value());
      g.site = r.str();
      g.mixed_sites = r.u8() != 0;
      for (uint64_t k = 0, fields = r.count(6); k < fields && r.ok(); ++k) {
        std::string field = r.str();
        g.last_fields.emplace_back(std::move(field), r.value());
      }
      const uint64_t entries = r.count(52);
      if (entries > kMaxEntries) r.fail();
      for (uint64_t k = 0; k < entries && r.ok(); ++k) g.entries.push_back(get_entry(r));
    }
    for (uint64_t j = 0, n2 = r.count(20); j < n2 && r.ok(); ++j) {
      EngineState::Suppression sup;
      sup.key = r.str();
      sup.last = r.time();
      sup.held = r.i64();
      rule.suppressions.push_back(std::move(sup));
    }
  }
  if (!r.at_end()) return fail("snapshot", "the rule engine's state does not parse (damaged or cut short)");
  return s;
}

}  // namespace soc::daemon::rules
