#include "core/config/sensor_allowlist.h"

#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <map>

#include "core/config/yaml_util.h"

namespace soc::config {

bool load_sensor_allowlist(const std::string& path, SensorAllowlist& out, std::vector<Diagnostic>& diags,
                           std::string& source) {
  const size_t before = diags.size();
  // An allowlist may be the inventory itself (its sensors: section).
  if (auto d = read_file_bounded(path, source, kMaxInventoryFileBytes, "allowlist.unreadable")) {
    diags.push_back(std::move(*d));
    return false;
  }
  YAML::Node root;
  if (!load_yaml(path, source, root, diags)) return false;
  if (!root.IsMap()) {
    diags.push_back(diag_at(path, root, "allowlist.not_a_map", "expected a map with a 'sensors' list"));
    return false;
  }
  const YAML::Node sensors = root["sensors"];
  if (!sensors) {
    diags.push_back({path, 1, 1, "allowlist.missing_sensors", "no 'sensors' list"});
    return false;
  }
  if (!sensors.IsSequence()) {
    diags.push_back(diag_at(path, sensors, "allowlist.not_a_list", "'sensors' must be a list"));
    return false;
  }
  std::map<std::string, YAML::Mark> ids, keys;
  for (const auto& item : sensors) {
    if (!item.IsMap()) {
      diags.push_back(diag_at(path, item, "allowlist.not_a_map", "each sensor must be a map with id, site and public_key"));
      continue;
    }
    SensorBinding b;
    bool have_key = false;
    for (auto it = item.begin(); it != item.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
      const YAML::Node v = it->second;
      std::string* target = nullptr;
      if (key == "id") target = &b.id;
      else if (key == "site") target = &b.site;
      else if (key == "kind") target = &b.kind;
      else if (key == "public_key") target = &b.public_key_z85;
      else if (key == "name" || key == "description") continue;
      else {
        diags.push_back(diag_at(path, it->first, "allowlist.unknown_key",
                                fmt::format("unknown key '{}' (known keys: id, site, kind, public_key, name, description)", key)));
        continue;
      }
      if (!v.IsScalar() || v.Scalar().empty()) {
        diags.push_back(diag_at(path, v, "allowlist.bad_value", fmt::format("'{}' must be a non-empty string", key)));
        continue;
      }
      *target = v.Scalar();
      if (key == "public_key") {
        have_key = true;
        if (auto k = z85_decode_key(b.public_key_z85)) {
          b.public_key = *k;
        } else {
          diags.push_back(diag_at(path, v, "allowlist.bad_key",
                                  "public_key must be a CURVE public key: 40 characters of Z85 (socctl keygen writes one)"));
          have_key = false;
          b.public_key_z85.clear();
        }
      }
    }
    bool complete = true;
    for (auto [field, value] : {std::pair<const char*, const std::string*>{"id", &b.id}, {"site", &b.site}}) {
      if (value->empty()) {
        diags.push_back(diag_at(path, item, "allowlist.missing_field", fmt::format("sensor without '{}'", field)));
        complete = false;
      }
    }
    // Reported even when id or site is missing too: every problem of the file at once.
    if (!have_key && !item["public_key"]) {
      diags.push_back(diag_at(path, item, "allowlist.missing_field", "sensor without 'public_key'"));
      complete = false;
    }
    if (!complete || b.public_key_z85.empty()) continue;
    if (auto [it, fresh] = ids.emplace(b.id, item.Mark()); !fresh) {
      diags.push_back(diag_at(path, item["id"], "allowlist.duplicate_id",
                              fmt::format("sensor id '{}' is already defined at line {}", b.id, it->second.line + 1)));
      continue;
    }
    if (auto [it, fresh] = keys.emplace(b.public_key_z85, item.Mark()); !fresh) {
      diags.push_back(diag_at(path, item["public_key"], "allowlist.duplicate_key",
                              fmt::format("this public key is already bound to the sensor at line {}; a key binds one sensor", it->second.line + 1)));
      continue;
    }
    out.sensors.push_back(std::move(b));
  }
  return diags.size() == before;
}

}  // namespace soc::config
