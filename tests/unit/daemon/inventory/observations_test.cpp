#include "daemon/inventory/observations.h"

#include <doctest/doctest.h>

#include "core/event.h"

namespace {

namespace inv = soc::daemon::inventory;

soc::Timestamp at(const char* rfc3339) { return *soc::parse_rfc3339(rfc3339); }

soc::Event from(const char* sensor) {
  soc::Event e;
  e.set("observer.name", std::string(sensor));
  e.set("event.dataset", std::string("zeek.conn"));
  return e;
}

}  // namespace

// The housekeeping thread evaluates a copy taken on the ingest thread: the copy must not keep
// writing into (or reading from) the original's evidence through the cached sensor slot.
TEST_CASE("a copy of the observations is independent of the original, both ways") {
  inv::Observations original;
  original.observe(from("s1"), at("2026-03-01T00:00:00Z"));  // caches s1's slot

  inv::Observations copy = original;
  original.observe(from("s1"), at("2026-03-01T00:05:00Z"));
  copy.observe(from("s1"), at("2026-03-01T00:02:00Z"));
  CHECK(original.evidence().sensor_last_seen.at("s1") == at("2026-03-01T00:05:00Z"));
  CHECK(copy.evidence().sensor_last_seen.at("s1") == at("2026-03-01T00:02:00Z"));

  inv::Observations assigned;
  assigned.observe(from("s1"), at("2026-03-01T00:01:00Z"));
  assigned = copy;  // replaces its evidence: its own cached slot must not survive
  assigned.observe(from("s1"), at("2026-03-01T00:03:00Z"));
  CHECK(assigned.evidence().sensor_last_seen.at("s1") == at("2026-03-01T00:03:00Z"));
  CHECK(copy.evidence().sensor_last_seen.at("s1") == at("2026-03-01T00:02:00Z"));

  inv::Observations moved = std::move(assigned);
  moved.observe(from("s2"), at("2026-03-01T00:04:00Z"));
  moved.observe(from("s1"), at("2026-03-01T00:06:00Z"));
  CHECK(moved.evidence().sensor_last_seen.at("s1") == at("2026-03-01T00:06:00Z"));
  CHECK(moved.evidence().sensor_last_seen.at("s2") == at("2026-03-01T00:04:00Z"));
}
