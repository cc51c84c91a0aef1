// Enrichment of events from the inventory: what the correlator adds to every accepted event (and
// `socctl replay --inventory` before the rules), so that rules and analysts see which kind of
// site and which asset an event concerns:
//
//   site.name, site.kind   the site of `site.id` (the sensor's site, proven by its key)
//   site.level             the highest approved security level of the systems at the site
//                          (absent when no system uses the site)
//   asset.id, asset.kind   the asset whose `address` is the event's host.ip, else its
//                          destination.ip, else its source.ip (the first that matches wins);
//                          an asset.id the event already carries is kept when the inventory
//                          knows it, and its asset.kind is set from the inventory
//
// The inventory is authoritative: site.name/kind/level replace what a sensor sent. Fields are
// added only when the inventory knows the value; nothing is removed. docs/adr/0017.
//
// Immutable after construction: safe to share between threads; rebuilt on every reload.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "core/event.h"
#include "core/ip_address.h"
#include "daemon/inventory/inventory.h"

namespace soc::daemon::inventory {

class Enricher {
 public:
  Enricher() = default;
  explicit Enricher(const Inventory& inv);

  void apply(Event& event) const;

  // The site's highest system level, 0 when no system uses it.
  int site_level(std::string_view site) const;
  size_t addresses() const { return by_ip_.size(); }

 private:
  struct SiteInfo {
    std::string name, kind;
    int level = 0;
  };
  struct AssetInfo {
    std::string id, kind;
  };
  struct IpHash {
    size_t operator()(const IpAddress& ip) const noexcept;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  const AssetInfo* asset_by_ip(const Value& v) const;

  std::unordered_map<std::string, SiteInfo, StringHash, std::equal_to<>> sites_;
  std::unordered_map<std::string, AssetInfo, StringHash, std::equal_to<>> assets_;  // by id
  std::unordered_map<IpAddress, AssetInfo, IpHash> by_ip_;
};

// The IP address an inventory `address` names, when it is one: "10.0.0.1", "10.0.0.1:443",
// "[2001:db8::1]:443" or "2001:db8::1"; nullopt for a host name.
std::optional<IpAddress> address_ip(std::string_view address);

}  // namespace soc::daemon::inventory
