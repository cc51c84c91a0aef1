// The allowlist of sensors the correlator accepts: YAML `sensors: [{id, site, public_key}]`,
// the same shape as the inventory's `sensors:` section, so one file can serve both. Other
// top-level sections (sites, systems, assets, waivers) are left to the inventory loader.
#pragma once

#include <string>
#include <vector>

#include "core/diagnostic.h"
#include "core/z85.h"

namespace soc::config {

struct SensorBinding {
  std::string id;
  std::string site;
  std::string kind;  // packet, log, collector; may be empty
  std::string public_key_z85;
  CurveKey public_key{};
};

struct SensorAllowlist {
  std::vector<SensorBinding> sensors;
};

// Loads and validates the whole file; every problem becomes a diagnostic (unknown keys, missing
// fields, keys that are not 40 characters of Z85, duplicate ids or keys). Returns false when
// there is any diagnostic. `source` receives the file text for rendering snippets.
bool load_sensor_allowlist(const std::string& path, SensorAllowlist& out, std::vector<Diagnostic>& diags,
                           std::string& source);

}  // namespace soc::config
