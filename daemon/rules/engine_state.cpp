// The byte format of the rule engine's state (EngineState, docs/adr/0030-snapshots.md), in the
// state codec of core/state_codec.h. Decoding trusts nothing: every count is bounded by the bytes
// left, and a snapshot that does not parse whole is refused.
#include <fmt/core.h>

#include "core/state_codec.h"
#include "daemon/rules/engine.h"

namespace soc::daemon::rules {

namespace {

// Entries kept per group (the engine drops older ones, see kMaxEntriesPerGroup in engine.cpp).
constexpr uint64_t kMaxEntries = 65536;

void put_entry(ByteWriter& w, const EngineState::Entry& e) {
  w.time(e.ts);
  w.time(e.start);
  w.u32(e.ref);
  w.str(e.value);
  w.f64(e.number);
  w.i64(e.count);
  w.str(e.evidence);
  w.u32(static_cast<uint32_t>(e.chained.size()));
  for (const auto& c : e.chained) w.str(c);
}

EngineState::Entry get_entry(ByteReader& r) {
  EngineState::Entry e;
  e.ts = r.time();
  e.start = r.time();
  e.ref = r.u32();
  e.value = r.str();
  e.number = r.f64();
  e.count = r.i64();
  e.evidence = r.str();
  for (uint64_t i = 0, n = r.count(4); i < n && r.ok(); ++i) e.chained.push_back(r.str());
  return e;
}

}  // namespace

void encode_engine_state(const EngineState& s, std::string& out) {
  ByteWriter w(out);
  w.u32(static_cast<uint32_t>(s.watermarks.size()));
  for (const auto& [stream, t] : s.watermarks) {
    w.str(stream);
    w.time(t);
  }
  w.u32(static_cast<uint32_t>(s.rules.size()));
  for (const auto& r : s.rules) {
    w.str(r.key);
    w.u64(r.fingerprint);
    w.u32(static_cast<uint32_t>(r.groups.size()));
    for (const auto& g : r.groups) {
      w.str(g.key);
      w.u8(g.hot ? 1 : 0);
      w.u32(static_cast<uint32_t>(g.values.size()));
      for (const auto& v : g.values) w.value(v);
      w.str(g.site);
      w.u8(g.mixed_sites ? 1 : 0);
      w.u32(static_cast<uint32_t>(g.entries.size()));
      for (const auto& e : g.entries) put_entry(w, e);
    }
    w.u32(static_cast<uint32_t>(r.suppressions.size()));
    for (const auto& sup : r.suppressions) {
      w.str(sup.key);
      w.time(sup.last);
      w.i64(sup.held);
    }
  }
}

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
      const uint64_t entries = r.count(48);
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
