#include "daemon/inventory/enrich.h"

#include <cstring>

namespace soc::daemon::inventory {

namespace {
// Sets a string field reusing the storage the event already has for it: the correlator decodes
// every event into one Event, so after the first events this allocates nothing.
void put(Event& e, std::string_view key, std::string_view value) {
  if (Value* v = e.find(key))
    v->set_string(value);
  else
    e.append_unchecked(key).set_string(value);
}
}  // namespace

size_t Enricher::IpHash::operator()(const IpAddress& ip) const noexcept {
  uint64_t a, b;
  std::memcpy(&a, ip.bytes().data(), 8);
  std::memcpy(&b, ip.bytes().data() + 8, 8);
  uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull)) * 0xBF58476D1CE4E5B9ull;
  return static_cast<size_t>(h ^ (h >> 31) ^ (ip.is_v4() ? 1 : 0));
}

std::optional<IpAddress> address_ip(std::string_view a) {
  if (auto ip = IpAddress::parse(a)) return ip;
  if (!a.empty() && a.front() == '[') {
    const size_t close = a.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return IpAddress::parse(a.substr(1, close - 1));
  }
  // host:port with exactly one colon (more than one is IPv6, tried above)
  const size_t colon = a.find(':');
  if (colon != std::string_view::npos && a.find(':', colon + 1) == std::string_view::npos)
    return IpAddress::parse(a.substr(0, colon));
  return std::nullopt;
}

Enricher::Enricher(const Inventory& inv) {
  for (const auto& s : inv.sites) sites_[s.id] = {s.name, s.kind, 0};
  for (const auto& sys : inv.systems)
    for (const auto& site : sys.sites) {
      auto it = sites_.find(site);
      if (it != sites_.end() && sys.level > it->second.level) it->second.level = sys.level;
    }
  for (const auto& a : inv.assets) {
    assets_[a.id] = {a.id, a.kind};
    // Two assets at one address (a cluster's virtual IP written twice): the first written wins.
    if (auto ip = address_ip(a.address)) by_ip_.emplace(*ip, AssetInfo{a.id, a.kind});
  }
}

int Enricher::site_level(std::string_view site) const {
  auto it = sites_.find(site);
  return it == sites_.end() ? 0 : it->second.level;
}

const Enricher::AssetInfo* Enricher::asset_by_ip(const Value& v) const {
  if (v.is_ip()) {
    auto it = by_ip_.find(v.as_ip());
    return it == by_ip_.end() ? nullptr : &it->second;
  }
  if (v.is_list()) {
    for (const auto& item : v.as_list())
      if (const auto* a = asset_by_ip(item)) return a;
    return nullptr;
  }
  // An undocumented or mistyped field: a string that holds an address.
  if (v.is_string()) {
    if (auto ip = IpAddress::parse(v.as_string())) {
      auto it = by_ip_.find(*ip);
      return it == by_ip_.end() ? nullptr : &it->second;
    }
  }
  return nullptr;
}

void Enricher::apply(Event& e) const {
  if (!sites_.empty()) {
    const std::string_view site = e.get_string("site.id");
    if (!site.empty()) {
      auto it = sites_.find(site);
      if (it != sites_.end()) {
        put(e, "site.name", it->second.name);
        put(e, "site.kind", it->second.kind);
        if (it->second.level > 0) e.set("site.level", static_cast<int64_t>(it->second.level));
      }
    }
  }
  if (assets_.empty()) return;
  if (const Value* given = e.find("asset.id"); given && given->is_string()) {
    auto it = assets_.find(given->as_string());
    if (it != assets_.end()) {
      put(e, "asset.kind", it->second.kind);
      return;
    }
  }
  if (by_ip_.empty()) return;
  for (const char* key : {"host.ip", "destination.ip", "source.ip"}) {
    const Value* v = e.find(key);
    if (!v) continue;
    if (const AssetInfo* a = asset_by_ip(*v)) {
      put(e, "asset.id", a->id);
      put(e, "asset.kind", a->kind);
      return;
    }
  }
}

}  // namespace soc::daemon::inventory
