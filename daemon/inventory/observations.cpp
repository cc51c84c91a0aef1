#include "daemon/inventory/observations.h"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/ip_address.h"

namespace soc::daemon::inventory {

namespace {

using std::chrono::days;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A host as written in an inventory address or a collector event, comparable: lower case, an
// IP address in its canonical form.
std::string normal_host(std::string_view h) {
  if (auto ip = IpAddress::parse(h)) return ip->to_string();
  return lower(h);
}

// "https://host:443/path", "host:443", "[v6]:443", "v6", "host" -> host and optional port.
std::pair<std::string, std::optional<int64_t>> split_address(std::string_view a) {
  if (auto p = a.find("://"); p != std::string_view::npos) a.remove_prefix(p + 3);
  if (auto p = a.find('/'); p != std::string_view::npos) a = a.substr(0, p);
  std::string_view host = a, port;
  if (!a.empty() && a.front() == '[') {
    const size_t close = a.find(']');
    if (close == std::string_view::npos) return {normal_host(a), std::nullopt};
    host = a.substr(1, close - 1);
    if (close + 1 < a.size() && a[close + 1] == ':') port = a.substr(close + 2);
  } else if (const size_t colon = a.find(':');
             colon != std::string_view::npos && a.find(':', colon + 1) == std::string_view::npos) {
    host = a.substr(0, colon);
    port = a.substr(colon + 1);
  }
  std::optional<int64_t> p;
  if (!port.empty() && port.size() <= 5 &&
      std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    p = std::stoll(std::string(port));
  return {normal_host(host), p};
}

std::optional<Timestamp> timestamp_of(const Event& e, std::string_view key) {
  const Value* v = e.find(key);
  if (!v) return std::nullopt;
  if (v->is_timestamp()) return v->as_timestamp();
  if (v->is_string()) return parse_rfc3339(v->as_string());
  return std::nullopt;
}

std::string string_of(const Event& e, std::string_view key) {
  const Value* v = e.find(key);
  if (!v) return {};
  if (v->is_string()) return v->as_string();
  if (v->is_ip()) return v->as_ip().to_string();
  return {};
}

bool status_is(std::string_view status, std::initializer_list<std::string_view> words) {
  const std::string s = lower(status);
  for (auto w : words)
    if (s == w) return true;
  return false;
}

}  // namespace

void Observations::bind(std::shared_ptr<const Inventory> inventory, std::shared_ptr<const Baseline> baseline) {
  inventory_ = std::move(inventory);
  baseline_ = std::move(baseline);
  datasets_.clear();
  assets_by_id_.clear();
  assets_by_host_.clear();
  for (const auto& a : inventory_->assets) {
    assets_by_id_.emplace(a.id, &a);
    if (a.address.empty()) continue;
    auto [host, port] = split_address(a.address);
    assets_by_host_.emplace(host, std::make_pair(&a, port));
  }
  if (baseline_)
    for (const auto& q : baseline_->requirements)
      if (q.check && q.check->kind == CheckKind::LogSource) datasets_.insert(q.check->dataset);
  // The certificates' assets are re-matched by their ids against the new inventory.
  certificates_dirty_ = true;
  effective_dirty_ = true;
}

std::optional<Timestamp> Observations::arrival_of(const Event& e) { return timestamp_of(e, "event.ingested"); }

Reading Observations::observe(const Event& e, Timestamp arrival) {
  const std::string_view sensor = e.get_string("observer.name");
  if (!sensor.empty()) {
    // Events of a batch come from one sensor: keep its evidence slot (node-based map: stable).
    if (!last_sensor_.seen || sensor != last_sensor_.sensor) {
      last_sensor_.sensor.assign(sensor);
      last_sensor_.seen = &evidence_.sensor_last_seen[last_sensor_.sensor];
    }
    *last_sensor_.seen = std::max(*last_sensor_.seen, arrival);
  }
  const std::string_view dataset = e.get_string("event.dataset");
  if (datasets_.find(dataset) != datasets_.end()) {
    Timestamp& t = evidence_.dataset_last_seen[{std::string(e.get_string("site.id")), std::string(dataset)}];
    t = std::max(t, arrival);
  }
  if (dataset == "collector.tls") return observe_certificate(e, arrival);
  if (dataset == "collector.license") return observe_license(e, arrival);
  if (dataset == "collector.tcp") return observe_reachability(e);
  return {};
}

void Observations::heartbeat(std::string_view sensor, Timestamp arrival) {
  Timestamp& t = evidence_.sensor_last_seen[std::string(sensor)];
  t = std::max(t, arrival);
}

const Asset* Observations::match_asset(const Event& e, std::initializer_list<std::string_view> hosts,
                                       std::optional<int64_t> port) const {
  if (const std::string_view id = e.get_string("asset.id"); !id.empty()) {
    auto it = assets_by_id_.find(std::string(id));
    if (it != assets_by_id_.end()) return it->second;
  }
  for (auto h : hosts) {
    if (h.empty()) continue;
    auto [first, last] = assets_by_host_.equal_range(normal_host(h));
    for (auto it = first; it != last; ++it) {
      const auto& [asset, asset_port] = it->second;
      if (!asset_port || !port || *asset_port == *port) return asset;
    }
  }
  return nullptr;
}

Reading Observations::observe_certificate(const Event& e, Timestamp arrival) {
  const auto not_after = timestamp_of(e, "tls.server.not_after");
  std::string host = string_of(e, "destination.address");
  if (host.empty()) host = string_of(e, "destination.ip");
  const std::string sni = string_of(e, "tls.client.server_name");
  const auto port = e.get_int("destination.port");
  if (!not_after || (host.empty() && sni.empty())) return {};
  Reading r;
  // The target as the collector is told it: HOST:PORT[/SNI].
  r.target = host.empty() ? sni : host;
  if (port && !host.empty()) r.target += fmt::format(":{}", *port);
  if (!sni.empty() && !host.empty() && lower(sni) != lower(host)) r.target += "/" + sni;
  if (r.target.size() > 300) return {};  // a label value: no host:port/SNI is that long
  r.asset = match_asset(e, {sni, host}, port);
  r.site = r.asset ? r.asset->site : std::string(e.get_string("site.id"));
  auto it = certificates_.find(r.target);
  if (it == certificates_.end()) {
    if (certificates_.size() >= limits_.max_certificates) {
      r.kind = Reading::Kind::CertificateRefused;
      return r;
    }
    it = certificates_.emplace(r.target, Certificate{}).first;
  } else if (arrival < it->second.read_at) {
    // An older reading than the one kept (recorded files replayed out of order): the latest wins.
    r.kind = Reading::Kind::None;
    return r;
  }
  it->second = {*not_after, arrival, r.site, r.asset ? r.asset->id : ""};
  certificates_dirty_ = true;
  r.kind = Reading::Kind::Certificate;
  r.not_after = *not_after;
  return r;
}

Reading Observations::observe_license(const Event& e, Timestamp arrival) {
  const std::string name = string_of(e, "asset.license.name");
  if (name.empty()) return {};
  const std::string address = string_of(e, "destination.address");
  const std::string ip = string_of(e, "destination.ip");
  Reading r;
  r.asset = match_asset(e, {split_address(address).first, ip}, std::nullopt);
  if (!r.asset) {
    r.kind = Reading::Kind::LicenseUnmatched;
    r.target = fmt::format("asset.id '{}', destination.address '{}'", e.get_string("asset.id"), address);
    return r;
  }
  r.kind = Reading::Kind::License;
  auto& per_asset = device_licenses_[r.asset->id];
  if (per_asset.size() >= limits_.max_licenses_per_asset && !per_asset.count(name)) return r;
  DeviceLicense d;
  d.kind = license_kind_of(name);
  d.status = lower(string_of(e, "asset.license.status"));
  d.expires = timestamp_of(e, "asset.license.expires");
  d.temporary = status_is(d.status, {"grace", "trial", "evaluation", "eval", "temporary"});
  d.read_at = arrival;
  auto [slot, fresh] = per_asset.try_emplace(name);
  if (!fresh && arrival < slot->second.read_at) return r;  // an older reading: the latest wins
  slot->second = std::move(d);
  effective_dirty_ = true;  // the reading time is evidence too (observed_at)
  return r;
}

// A TCP probe of an inventory asset: exported by the monitor, not judged (no baseline check uses it).
Reading Observations::observe_reachability(const Event& e) const {
  const std::string_view outcome = e.get_string("event.outcome");
  if (outcome != "success" && outcome != "failure") return {};
  const auto port = e.get_int("destination.port");
  Reading r;
  r.asset =
      match_asset(e, {split_address(string_of(e, "destination.address")).first, string_of(e, "destination.ip")}, port);
  if (!r.asset) return {};
  r.kind = Reading::Kind::Reachability;
  r.reachable = outcome == "success";
  return r;
}

Observations::Restored Observations::restore(const Evidence& recorded, const Certificates& certificates,
                                             const DeviceLicenses& licenses) {
  Restored out;
  if (recorded.observing_since != Timestamp{})
    evidence_.observing_since = std::min(evidence_.observing_since, recorded.observing_since);
  for (const auto& [sensor, t] : recorded.sensor_last_seen) {
    auto [it, fresh] = evidence_.sensor_last_seen.try_emplace(sensor, t);
    if (!fresh) it->second = std::max(it->second, t);
    ++out.sensors;
  }
  for (const auto& [key, t] : recorded.dataset_last_seen) {
    if (datasets_.find(key.second) == datasets_.end()) continue;  // no check names it any more
    auto [it, fresh] = evidence_.dataset_last_seen.try_emplace(key, t);
    if (!fresh) it->second = std::max(it->second, t);
    ++out.datasets;
  }
  for (const auto& [target, c] : certificates) {
    auto it = certificates_.find(target);
    if (it == certificates_.end()) {
      if (certificates_.size() >= limits_.max_certificates) continue;
      certificates_.emplace(target, c);
    } else if (it->second.read_at < c.read_at) {
      it->second = c;
    }
    ++out.certificates;
  }
  for (const auto& [asset, by_name] : licenses) {
    if (!assets_by_id_.count(asset)) continue;
    auto& per_asset = device_licenses_[asset];
    for (const auto& [name, d] : by_name) {
      if (per_asset.size() >= limits_.max_licenses_per_asset && !per_asset.count(name)) continue;
      auto [slot, fresh] = per_asset.try_emplace(name, d);
      if (!fresh && slot->second.read_at < d.read_at) slot->second = d;
      ++out.licenses;
    }
  }
  last_sensor_.reset();
  certificates_dirty_ = true;
  effective_dirty_ = true;
  return out;
}

const Evidence& Observations::evidence() {
  if (certificates_dirty_) {
    certificates_dirty_ = false;
    evidence_.certificates.clear();
    for (const auto& [target, c] : certificates_) {
      if (c.asset.empty() || !assets_by_id_.count(c.asset)) continue;
      auto [it, fresh] = evidence_.certificates.emplace(c.asset, CertificateReading{c.not_after, c.read_at});
      if (!fresh && c.not_after < it->second.not_after) it->second = {c.not_after, c.read_at};
    }
  }
  return evidence_;
}

std::shared_ptr<const Inventory> Observations::effective_inventory() {
  if (!effective_dirty_) return effective_ ? effective_ : inventory_;
  effective_dirty_ = false;
  inventory_changed_ = true;
  if (device_licenses_.empty()) {
    effective_.reset();
    return inventory_;
  }
  auto effective = std::make_shared<Inventory>(*inventory_);
  const auto offset = effective->utc_offset;
  for (auto& a : effective->assets) {
    auto it = device_licenses_.find(a.id);
    if (it == device_licenses_.end()) continue;
    std::vector<License> read;
    for (const auto& [name, d] : it->second) {
      const Date read_day = local_day(d.read_at, offset);
      const bool expired = status_is(d.status, {"expired", "invalid", "revoked"});
      if (!d.expires && !expired) continue;  // nothing to judge by
      // Valid until the instant `expires`: through the day before when it is midnight.
      Date day = d.expires ? local_day(*d.expires - std::chrono::microseconds(1), offset) : read_day - days(1);
      std::optional<Timestamp> until = d.expires;
      if (expired && day >= read_day) {
        day = read_day - days(1);
        until.reset();
      }
      read.push_back({d.kind, day, d.temporary, d.read_at, until});
    }
    if (read.empty()) continue;
    std::erase_if(a.licenses, [&](const License& l) {
      return std::any_of(read.begin(), read.end(), [&](const License& r) { return r.kind == l.kind; });
    });
    a.licenses.insert(a.licenses.end(), read.begin(), read.end());
  }
  effective_ = std::move(effective);
  return effective_;
}

bool Observations::take_inventory_changed() {
  const bool changed = inventory_changed_;
  inventory_changed_ = false;
  return changed;
}

std::string Observations::license_kind_of(std::string_view name) {
  const std::string n = lower(name);
  for (const auto k : kLicenseKinds)
    if (n == k) return std::string(k);
  std::vector<std::string> words;
  std::string w;
  for (char c : n + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      w += c;
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  auto any = [&](std::initializer_list<std::string_view> set) {
    for (const auto& word : words)
      for (auto s : set)
        if (word == s) return true;
    return false;
  };
  if (any({"support", "forticare", "maintenance", "care"})) return "support";
  if (any({"warranty", "hardware", "rma"})) return "warranty";
  if (any({"ips", "antivirus", "av", "signature", "signatures", "ioc", "botnet", "malware", "outbreak", "definitions"}))
    return "signatures";
  if (any({"vm", "software", "os", "firmware", "platform"})) return "software";
  return "subscription";
}

}  // namespace soc::daemon::inventory
