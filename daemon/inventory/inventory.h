// The inventory: what should exist in the province. Sites, information systems with their
// approved security level, assets with their licenses, sensors with their CURVE keys, and
// waivers that excuse a system from a baseline requirement until a date.
//
// Plain data, no YAML: the loader (loader.h) is the only code that reads inventory.yaml. An
// Inventory returned by a successful load satisfies: ids are unique per section, every reference
// (system -> site/asset, asset -> site, sensor -> site, waiver -> system) names an existing
// entry, no system lists a site or an asset twice, every kind is in its vocabulary below,
// levels are 1-5.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/z85.h"

namespace soc::daemon::inventory {

// A calendar day. Inventory dates are whole days of the inventory's time zone
// (Inventory::utc_offset, `timezone:` in the file, UTC when absent): a license that
// `expires: 2026-12-31` is valid through the end of that day there, and expired from
// 2027-01-01T00:00 local time; with `timezone: "+07:00"` that is 2026-12-31T17:00:00Z.
using Date = std::chrono::sys_days;

// Parses exactly "YYYY-MM-DD" (a real calendar day, year 0001-9999); nullopt otherwise.
std::optional<Date> parse_date(std::string_view text);
std::string format_date(Date d);

// The day `t` falls on at `utc_offset` from UTC: "today" for every date comparison.
Date local_day(Timestamp t, std::chrono::minutes utc_offset);
// The first instant at which something valid through day `d` (at `utc_offset`) is no longer
// valid: the instant for soc_license_expiry_timestamp_seconds.
Timestamp end_of_day(Date d, std::chrono::minutes utc_offset);
// Parses a `timezone:` value: "UTC", "Z" or a fixed offset "+HH:MM" / "-HH:MM" (at most 14:00).
// Fixed offsets only: Vietnam has kept UTC+7 without daylight saving since 1975.
std::optional<std::chrono::minutes> parse_utc_offset(std::string_view text);

// Where an entry or a value was written: 1-based line and column in its file (0 when unknown).
// Kept so that later checks (waivers against a baseline, evaluation findings) can point there.
struct Position {
  int line = 0;
  int column = 0;
};

// The vocabularies, documented in docs/adr/0009-inventory-and-baseline.md. A value outside them
// is a diagnostic, so that a typo ("firewal") cannot silently satisfy nothing.
inline constexpr std::array<std::string_view, 4> kSiteKinds = {"datacenter", "commune", "ward", "department"};
inline constexpr std::array<std::string_view, 3> kSensorKinds = {"packet", "log", "collector"};
inline constexpr std::array<std::string_view, 18> kAssetKinds = {
    "firewall",    "ips",       "waf",    "anti_ddos",        "db_firewall", "nac",
    "vpn_gateway", "router",    "switch", "wireless_ap",      "server",      "workstation",
    "storage",     "log_store", "portal", "video_conference", "ups",         "other"};
inline constexpr std::array<std::string_view, 5> kLicenseKinds = {"support", "subscription", "software", "signatures",
                                                                  "warranty"};

struct Site {
  std::string id;
  std::string name;
  std::string kind;  // kSiteKinds
  Position at;
};

struct System {
  std::string id;
  std::string name;
  int level = 0;                    // 1-5, the approved security level
  std::vector<std::string> sites;   // ids in Inventory::sites; at least one
  std::vector<std::string> assets;  // ids in Inventory::assets; optional
  std::string owner;
  std::optional<Date> approved;         // date of the level approval decision
  std::optional<Date> last_assessment;  // absent: never assessed (evidence missing)
  Position at;
};

struct License {
  std::string kind;        // kLicenseKinds
  Date expires{};          // valid through this day
  bool temporary = false;  // a vendor loan or grace period: counts as partially met, never as met
  // Set when a collector read the license from the device (docs/adr/0017): when the reading
  // arrived, and the device's own end instant when it gave one. Absent for declared licenses.
  std::optional<Timestamp> read_at;
  std::optional<Timestamp> until;
};

struct Asset {
  std::string id;
  std::string site;  // id in Inventory::sites
  std::string kind;  // kAssetKinds
  std::string vendor;
  std::string model;
  std::string address;  // IP address or host name, optional; host:port for a portal
  std::vector<License> licenses;
  Position at;
};

struct Sensor {
  std::string id;
  std::string site;  // id in Inventory::sites
  std::string kind;  // kSensorKinds
  std::string public_key_z85;
  CurveKey public_key{};
  Position at;
};

struct Waiver {
  std::string requirement;  // a baseline requirement id; checked by check_waivers() (loader.h)
  std::string system;       // id in Inventory::systems
  std::string reason;
  std::string approved_by;
  Date expires{};  // the waiver applies through this day
  Position at;
  Position requirement_at;
};

struct Inventory {
  // The time zone the inventory's dates are written in (`timezone:`); UTC when absent.
  std::chrono::minutes utc_offset{0};
  std::vector<Site> sites;
  std::vector<System> systems;
  std::vector<Asset> assets;
  std::vector<Sensor> sensors;
  std::vector<Waiver> waivers;

  // Linear lookups by id; nullptr when absent. Callers that look up in loops build their own index.
  const Site* find_site(std::string_view id) const;
  const System* find_system(std::string_view id) const;
};

}  // namespace soc::daemon::inventory
