// BaselineMonitor's snapshot (docs/adr/0030-snapshots.md): the Observations' readings (what
// inventory::Observations recorded, put back with Observations::restore()) and the tracked findings,
// in the state codec's byte format. Kept apart from the monitor's logic: this file only says
// what is kept and reads it back without trusting it.
#include <fmt/core.h>

#include "core/log.h"
#include "daemon/baseline_monitor.h"
#include "core/state_codec.h"

namespace soc::daemon {

namespace inv = inventory;

namespace {

void put_finding(ByteWriter& w, const inv::Finding& f) {
  w.str(f.system);
  w.str(f.requirement);
  w.str(f.site);
  w.str(f.subject);
  w.u8(static_cast<uint8_t>(f.status));
  w.str(f.rule_id);
  w.str(f.detail);
}

bool get_finding(ByteReader& r, inv::Finding& f) {
  f.system = r.str();
  f.requirement = r.str();
  f.site = r.str();
  f.subject = r.str();
  const uint8_t status = r.u8();
  if (status > static_cast<uint8_t>(inv::Status::Waived)) r.fail();
  f.status = static_cast<inv::Status>(status);
  f.rule_id = r.str();
  f.detail = r.str();
  return r.ok();
}

// Strings and counts each take at least 4 bytes in the format: the reader's bound for counts.
constexpr size_t kMinItem = 4;

}  // namespace

std::string BaselineMonitor::snapshot(const EvaluationInput& in) {
  std::string out;
  ByteWriter w(out);
  const inv::Observations& obs = in.observations;
  const auto& ev = obs.recorded();
  w.time(ev.observing_since);
  w.u32(static_cast<uint32_t>(ev.sensor_last_seen.size()));
  for (const auto& [sensor, t] : ev.sensor_last_seen) {
    w.str(sensor);
    w.time(t);
  }
  w.u32(static_cast<uint32_t>(ev.dataset_last_seen.size()));
  for (const auto& [key, t] : ev.dataset_last_seen) {
    w.str(key.first);
    w.str(key.second);
    w.time(t);
  }
  w.u32(static_cast<uint32_t>(obs.device_licenses().size()));
  for (const auto& [asset, by_name] : obs.device_licenses()) {
    w.str(asset);
    w.u32(static_cast<uint32_t>(by_name.size()));
    for (const auto& [name, d] : by_name) {
      w.str(name);
      w.str(d.kind);
      w.str(d.status);
      w.u8(d.expires ? 1 : 0);
      w.time(d.expires.value_or(Timestamp{}));
      w.u8(d.temporary ? 1 : 0);
      w.time(d.read_at);
    }
  }
  w.u32(static_cast<uint32_t>(obs.certificates().size()));
  for (const auto& [target, c] : obs.certificates()) {
    w.str(target);
    w.str(c.site);
    w.str(c.asset);
    w.time(c.not_after);
    w.time(c.read_at);
  }
  std::lock_guard lock(eval_mutex_);
  const auto tracked = tracker_.state();
  w.u32(static_cast<uint32_t>(tracked.size()));
  for (const auto& f : tracked) put_finding(w, f);
  return out;
}

Result<void> BaselineMonitor::restore(std::string_view payload) {
  ByteReader r(payload);
  inv::Evidence ev;
  ev.observing_since = r.time();
  for (uint64_t i = 0, n = r.count(kMinItem + 8); i < n && r.ok(); ++i) {
    std::string sensor = r.str();
    ev.sensor_last_seen[std::move(sensor)] = r.time();
  }
  for (uint64_t i = 0, n = r.count(2 * kMinItem + 8); i < n && r.ok(); ++i) {
    std::string site = r.str();
    std::string dataset = r.str();
    ev.dataset_last_seen[{std::move(site), std::move(dataset)}] = r.time();
  }
  inv::Observations::DeviceLicenses licenses;
  for (uint64_t i = 0, n = r.count(2 * kMinItem); i < n && r.ok(); ++i) {
    auto& by_name = licenses[r.str()];
    for (uint64_t j = 0, m = r.count(3 * kMinItem + 18); j < m && r.ok(); ++j) {
      std::string name = r.str();
      inv::Observations::DeviceLicense d;
      d.kind = r.str();
      d.status = r.str();
      const bool has_expiry = r.u8() != 0;
      const Timestamp expires = r.time();
      if (has_expiry) d.expires = expires;
      d.temporary = r.u8() != 0;
      d.read_at = r.time();
      by_name[std::move(name)] = std::move(d);
    }
  }
  inv::Observations::Certificates certificates;
  for (uint64_t i = 0, n = r.count(3 * kMinItem + 16); i < n && r.ok(); ++i) {
    std::string target = r.str();
    inv::Observations::Certificate c;
    c.site = r.str();
    c.asset = r.str();
    c.not_after = r.time();
    c.read_at = r.time();
    certificates[std::move(target)] = std::move(c);
  }
  std::vector<inv::Finding> tracked;
  for (uint64_t i = 0, n = r.count(6 * kMinItem + 1); i < n && r.ok(); ++i) {
    inv::Finding f;
    if (get_finding(r, f)) tracked.push_back(std::move(f));
  }
  if (!r.at_end()) return fail("snapshot", "the baseline snapshot does not parse (damaged or cut short)");

  // Observations keeps only what the current inventory and baseline can use: a dataset or an
  // asset removed since is not brought back (the maps would grow with every rename).
  const auto kept = observations_.restore(ev, certificates, licenses);
  for (const auto& [target, c] : observations_.certificates()) {
    inv::Reading reading;
    reading.kind = inv::Reading::Kind::Certificate;
    reading.target = target;
    reading.site = c.site;
    reading.not_after = c.not_after;
    export_reading(reading);
  }
  {
    std::lock_guard lock(eval_mutex_);
    tracker_.restore(tracked);
  }
  log::info("baseline",
            "restored from the snapshot: {} sensors and {} log sources last seen, {} device licenses, {} certificates, "
            "{} findings tracked",
            kept.sensors, kept.datasets, kept.licenses, kept.certificates, tracked.size());
  return {};
}

}  // namespace soc::daemon
