#include "daemon/inventory/loader.h"

#include <fmt/core.h>
#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "core/config/yaml_util.h"
#include "daemon/inventory/field_reader.h"
#include "daemon/inventory/yaml_stream.h"

namespace soc::daemon::inventory {

namespace {

using detail::FieldReader;
using detail::Node;
using detail::position_of;

// Diagnostics in file order, whatever order the checks ran in (references are resolved last).
void append_sorted(std::vector<Diagnostic>& local, std::vector<Diagnostic>& diags) {
  std::stable_sort(local.begin(), local.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  diags.insert(diags.end(), local.begin(), local.end());
}

// Reads the file into `source`; false (with a diagnostic) when it cannot be read.
bool read_source(const std::string& path, const char* prefix, std::string& source, std::vector<Diagnostic>& diags) {
  const size_t limit = std::string_view(prefix) == "inventory" ? config::kMaxInventoryFileBytes : config::kMaxBaselineFileBytes;
  auto d = config::read_file_bounded(path, source, limit, fmt::format("{}.unreadable", prefix));
  if (!d) return true;
  diags.push_back(std::move(*d));
  return false;
}

// A top-level list section: undefined node when absent or not a list (reported).
Node section(FieldReader& r, const Node& root, const char* key, bool required) {
  const Node v = r.get(root, "the file", key, required);
  if (!v || v.IsNull()) return {};
  if (!v.IsSequence()) {
    r.error(v, "bad_type", fmt::format("'{}' must be a list", key));
    return {};
  }
  return v;
}

// Ids seen in one section, with the line of their first definition.
class IdSet {
 public:
  IdSet(FieldReader& r, const char* what) : r_(r), what_(what) {}
  // Records the id of `item` (when it has a valid one); false when absent or a duplicate.
  bool add(const Node& item, const std::optional<std::string>& id) {
    if (!id) return false;
    auto [it, fresh] = lines_.emplace(*id, item["id"].Mark().line + 1);
    if (!fresh)
      r_.error(item["id"], "duplicate_id",
               fmt::format("{} id '{}' is already defined at line {}", what_, *id, it->second));
    return fresh;
  }
  bool contains(const std::string& id) const { return lines_.count(id) != 0; }

 private:
  FieldReader& r_;
  const char* what_;
  std::unordered_map<std::string, int> lines_;
};

struct Reference {
  const char* section;  // "sites", "assets", "systems"
  std::string id;
  YAML::Mark at;
};

// Reads the sections of one inventory file, one entry at a time as the parser delivers it
// (yaml_stream.h), into `out`; references between sections are checked once all are read.
class InventoryReader {
 public:
  InventoryReader(FieldReader& r, Inventory& out) : r_(r), out_(out) {}

  void root(const Node& doc);
  void item(std::string_view section, const Node& entry);
  void check_references();
  bool root_is_map() const { return root_is_map_; }

 private:
  bool not_a_map(const Node& item, const char* what);
  void site(const Node& item);
  void system(const Node& item);
  bool system_references(const Node& item, System& s);
  void asset(const Node& item);
  bool licenses(const Node& licenses, Asset& a);
  void sensor(const Node& item);
  void waiver(const Node& item);

  FieldReader& r_;
  Inventory& out_;
  IdSet site_ids_{r_, "site"}, system_ids_{r_, "system"}, asset_ids_{r_, "asset"}, sensor_ids_{r_, "sensor"};
  std::vector<Reference> refs_;
  std::unordered_map<std::string, int> key_lines_;  // sensor public key -> line of its first sensor
  bool root_is_map_ = true;
};

bool InventoryReader::not_a_map(const Node& item, const char* what) {
  if (item.IsMap()) return false;
  r_.error(item, "not_a_map", fmt::format("each {} must be a map", what));
  return true;
}

void InventoryReader::root(const Node& doc) {
  if (!doc.IsMap()) {
    r_.error(doc, "not_a_map", "expected a map with the sections sites, systems, assets, sensors, waivers");
    root_is_map_ = false;
    return;
  }
  r_.check_keys(doc, "the inventory", {"sites", "systems", "assets", "sensors", "waivers", "timezone"});
  if (auto tz = doc["timezone"] ? r_.string(doc, "the inventory", "timezone", false) : std::nullopt) {
    if (auto offset = parse_utc_offset(*tz))
      out_.utc_offset = *offset;
    else
      r_.error(doc["timezone"], "bad_value",
               fmt::format("timezone '{}' must be UTC or a fixed offset such as +07:00", *tz));
  }
  section(r_, doc, "sites", true);
  for (const char* key : {"systems", "assets", "sensors", "waivers"}) section(r_, doc, key, false);
}

void InventoryReader::item(std::string_view section, const Node& entry) {
  if (section == "sites")
    site(entry);
  else if (section == "systems")
    system(entry);
  else if (section == "assets")
    asset(entry);
  else if (section == "sensors")
    sensor(entry);
  else if (section == "waivers")
    waiver(entry);
}

void InventoryReader::site(const Node& item) {
  if (not_a_map(item, "site")) return;
  r_.check_keys(item, "a site", {"id", "name", "kind"});
  auto id = r_.string(item, "a site", "id", true);
  auto name = r_.string(item, "a site", "name", true);
  auto kind = r_.one_of(item, "a site", "kind", true, kSiteKinds, "site kind");
  if (site_ids_.add(item, id) && name && kind) out_.sites.push_back({*id, *name, *kind, position_of(item)});
}

void InventoryReader::system(const Node& item) {
  if (not_a_map(item, "system")) return;
  const char* what = "a system";
  r_.check_keys(item, what, {"id", "name", "level", "sites", "assets", "owner", "approved", "last_assessment"});
  System s;
  auto id = r_.string(item, what, "id", true);
  auto name = r_.string(item, what, "name", true);
  auto level = r_.integer(item, what, "level", true, 1, 5);
  bool ok = system_references(item, s) && name && level;
  if (item["owner"]) {
    auto owner = r_.string(item, what, "owner", false);
    ok = ok && owner;
    if (owner) s.owner = *owner;
  }
  for (auto [key, target] : {std::pair{"approved", &s.approved}, {"last_assessment", &s.last_assessment}}) {
    if (!item[key]) continue;
    *target = r_.date(item, what, key, false);
    ok = ok && target->has_value();
  }
  if (system_ids_.add(item, id) && ok) {
    s.id = *id;
    s.name = *name;
    s.level = static_cast<int>(*level);
    s.at = position_of(item);
    out_.systems.push_back(std::move(s));
  }
}

// A system's `sites` (required, not empty) and `assets`, each reference noted for the check at
// the end; false when either is missing, mistyped or names an entry twice.
bool InventoryReader::system_references(const Node& item, System& s) {
  auto sites = r_.string_list(item, "a system", "sites", true);
  auto assets = r_.string_list(item, "a system", "assets", false);
  bool ok = sites.has_value();
  if (sites && sites->empty()) {
    r_.error(item["sites"], "bad_value", "'sites' must name at least one site");
    ok = false;
  }
  for (const auto* list : {&sites, &assets}) {
    if (!*list) continue;
    const char* key = list == &sites ? "sites" : "assets";
    // A site named twice would evaluate twice under one finding key, and the tracker would see
    // a new finding on every tick.
    std::unordered_set<std::string_view> seen;
    for (const auto& [ref, mark] : **list) {
      if (!seen.insert(ref).second) {
        r_.error(mark, "duplicate_reference", fmt::format("'{}' is listed twice in '{}'", ref, key));
        ok = false;
        continue;
      }
      refs_.push_back({key, ref, mark});
      (list == &sites ? s.sites : s.assets).push_back(ref);
    }
  }
  return ok;
}

void InventoryReader::asset(const Node& item) {
  if (not_a_map(item, "asset")) return;
  const char* what = "an asset";
  r_.check_keys(item, what, {"id", "site", "kind", "vendor", "model", "address", "licenses"});
  Asset a;
  auto id = r_.string(item, what, "id", true);
  auto site = r_.string(item, what, "site", true);
  auto kind = r_.one_of(item, what, "kind", true, kAssetKinds, "asset kind");
  bool ok = site && kind;
  if (site) refs_.push_back({"sites", *site, item["site"].Mark()});
  for (auto [key, target] : {std::pair{"vendor", &a.vendor}, {"model", &a.model}, {"address", &a.address}}) {
    if (!item[key]) continue;
    auto v = r_.string(item, what, key, false);
    ok = ok && v;
    if (v) *target = *v;
  }
  if (const Node list = item["licenses"]) ok = licenses(list, a) && ok;
  if (asset_ids_.add(item, id) && ok) {
    a.id = *id;
    a.site = *site;
    a.kind = *kind;
    a.at = position_of(item);
    out_.assets.push_back(std::move(a));
  }
}

// An asset's `licenses` list into `a`; false when it or one of its entries is wrong.
bool InventoryReader::licenses(const Node& licenses, Asset& a) {
  if (!licenses.IsSequence()) {
    r_.error(licenses, "bad_type", "'licenses' must be a list");
    return false;
  }
  bool ok = true;
  for (const auto& l : licenses) {
    if (not_a_map(l, "license")) {
      ok = false;
      continue;
    }
    r_.check_keys(l, "a license", {"kind", "expires", "temporary"});
    auto kind = r_.one_of(l, "a license", "kind", true, kLicenseKinds, "license kind");
    auto expires = r_.date(l, "a license", "expires", true);
    auto temporary = l["temporary"] ? r_.boolean(l, "a license", "temporary", false) : std::optional<bool>(false);
    if (!kind || !expires || !temporary) {
      ok = false;
      continue;
    }
    License lic;
    lic.kind = *kind;
    lic.expires = *expires;
    lic.temporary = *temporary;
    a.licenses.push_back(std::move(lic));
  }
  return ok;
}

// The same shape as core/config/sensor_allowlist.h reads, so that the inventory can serve as
// the correlator's allowlist; here `kind` is required because the baseline checks need it.
void InventoryReader::sensor(const Node& item) {
  if (not_a_map(item, "sensor")) return;
  const char* what = "a sensor";
  r_.check_keys(item, what, {"id", "site", "kind", "public_key", "name", "description"});
  Sensor s;
  auto id = r_.string(item, what, "id", true);
  auto site = r_.string(item, what, "site", true);
  auto kind = r_.one_of(item, what, "kind", true, kSensorKinds, "sensor kind");
  auto key = r_.string(item, what, "public_key", true);
  for (const char* k : {"name", "description"})
    if (item[k]) r_.string(item, what, k, false);
  if (site) refs_.push_back({"sites", *site, item["site"].Mark()});
  bool ok = site && kind && key;
  if (key) {
    if (auto decoded = z85_decode_key(*key)) {
      s.public_key = *decoded;
      if (auto [it, fresh] = key_lines_.emplace(*key, item.Mark().line + 1); !fresh) {
        r_.error(item["public_key"], "duplicate_key",
                 fmt::format("this public key is already bound to the sensor at line {}; a key binds one sensor",
                             it->second));
        ok = false;
      }
    } else {
      r_.error(item["public_key"], "bad_key", "public_key must be a CURVE public key: 40 characters of Z85");
      ok = false;
    }
  }
  if (sensor_ids_.add(item, id) && ok) {
    s.id = *id;
    s.site = *site;
    s.kind = *kind;
    s.public_key_z85 = *key;
    s.at = position_of(item);
    out_.sensors.push_back(std::move(s));
  }
}

void InventoryReader::waiver(const Node& item) {
  if (not_a_map(item, "waiver")) return;
  const char* what = "a waiver";
  r_.check_keys(item, what, {"requirement", "system", "reason", "approved_by", "expires"});
  auto requirement = r_.string(item, what, "requirement", true);
  auto system = r_.string(item, what, "system", true);
  auto reason = r_.string(item, what, "reason", true);
  auto approved_by = r_.string(item, what, "approved_by", true);
  auto expires = r_.date(item, what, "expires", true);
  if (system) refs_.push_back({"systems", *system, item["system"].Mark()});
  if (requirement && system && reason && approved_by && expires)
    out_.waivers.push_back({*requirement, *system, *reason, *approved_by, *expires, position_of(item),
                            position_of(item["requirement"])});
}

void InventoryReader::check_references() {
  const std::map<std::string_view, std::pair<const IdSet*, const char*>> targets = {
      {"sites", {&site_ids_, "site"}}, {"assets", {&asset_ids_, "asset"}}, {"systems", {&system_ids_, "system"}}};
  for (const auto& ref : refs_) {
    const auto& [ids, noun] = targets.at(ref.section);
    if (!ids->contains(ref.id))
      r_.error(ref.at, "unknown_reference", fmt::format("unknown {} '{}' (not in '{}')", noun, ref.id, ref.section));
  }
}

}  // namespace

bool load_inventory(const std::string& path, Inventory& out, std::vector<Diagnostic>& diags, std::string& source) {
  if (!read_source(path, "inventory", source, diags)) return false;
  std::vector<Diagnostic> local;
  FieldReader r(path, "inventory", local);
  InventoryReader reader(r, out);
  // Each entry is validated as soon as the parser has read it, then dropped (yaml_stream.h).
  const auto on_item = [&](std::string_view section, const Node& item) { reader.item(section, item); };
  const auto on_root = [&](const Node& root) { reader.root(root); };
  // A syntax error is the only diagnostic: what was read before it may be cut short.
  if (!detail::stream_yaml(path, source, on_item, on_root, diags)) return false;
  if (reader.root_is_map()) reader.check_references();
  const bool ok = local.empty();
  append_sorted(local, diags);
  return ok && reader.root_is_map();
}

namespace {

// A parameter of a check given for every level (`60`) or per level (`{1: 730, 3: 365}`), and
// required at every level the requirement applies to.
template <typename T, typename Convert>
std::optional<PerLevel<T>> per_level(FieldReader& r, const Node& check, const char* key,
                                     const std::array<bool, 5>& levels, const std::string& requirement_id,
                                     Convert convert) {
  const Node v = r.get(check, "a check", key, true);
  if (!v) return std::nullopt;
  PerLevel<T> out;
  bool ok = true;
  if (v.IsMap()) {
    for (size_t i = 0; i < v.size(); ++i) {
      const auto level = r.to_integer(v.key(i), "level", 1, 5);
      const auto value = convert(v.value(i));
      if (level && value)
        out[*level - 1] = *value;
      else
        ok = false;
    }
  } else if (auto value = convert(v)) {
    out.fill(*value);
  } else {
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  for (int l = 1; l <= 5; ++l) {
    if (levels[l - 1] && !out[l - 1]) {
      r.error(v, "missing_level_value",
              fmt::format("'{}' has no value for level {}, where {} applies", key, l, requirement_id));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Check> read_check(FieldReader& r, const Node& node, const std::array<bool, 5>& levels,
                                const std::string& requirement_id) {
  if (!node.IsMap()) {
    r.error(node, "not_a_map", fmt::format("'check' must be a map with a 'kind' ({})", detail::join(kCheckKinds)));
    return std::nullopt;
  }
  const char* what = "a check";
  auto kind_name = r.one_of(node, what, "kind", true, kCheckKinds, "check kind");
  if (!kind_name) return std::nullopt;
  Check c;
  c.kind = static_cast<CheckKind>(std::find(kCheckKinds.begin(), kCheckKinds.end(), *kind_name) - kCheckKinds.begin());
  auto days = [&](const char* key, int64_t min) {
    auto v = per_level<int64_t>(r, node, key, levels, requirement_id,
                                [&](const Node& n) { return r.to_integer(n, key, min, 3660); });
    if (v) c.days = *v;
    return v.has_value();
  };
  auto window = [&]() {
    auto v = per_level<std::chrono::seconds>(r, node, "window", levels, requirement_id,
                                             [&](const Node& n) { return r.to_duration(n, "window"); });
    if (v) c.window = *v;
    return v.has_value();
  };
  auto text = [&](const char* key, std::string& target, bool required) {
    auto v = r.string(node, what, key, required);
    if (v) target = *v;
    return v.has_value() || (!required && !node[key]);
  };
  auto vocabulary = [&](const char* key, std::string& target, bool required, std::span<const std::string_view> words,
                        std::string_view name) {
    auto v = r.one_of(node, what, key, required, words, name);
    if (v) target = *v;
    return v.has_value() || (!required && !node[key]);
  };
  bool ok = true;
  switch (c.kind) {
    case CheckKind::AssetPresent:
      r.check_keys(node, "an asset_present check", {"kind", "asset_kind", "min_count"});
      ok = vocabulary("asset_kind", c.asset_kind, true, kAssetKinds, "asset kind");
      if (node["min_count"]) {
        auto n = r.integer(node, what, "min_count", false, 1, 1000);
        if (n) c.min_count = *n;
        ok = ok && n;
      }
      break;
    case CheckKind::LicenseValid:
      r.check_keys(node, "a license_valid check", {"kind", "asset_kind", "license_kind", "warn_days"});
      ok = vocabulary("asset_kind", c.asset_kind, true, kAssetKinds, "asset kind");
      ok = vocabulary("license_kind", c.license_kind, false, kLicenseKinds, "license kind") && ok;
      ok = days("warn_days", 0) && ok;
      break;
    case CheckKind::SensorReporting:
      r.check_keys(node, "a sensor_reporting check", {"kind", "sensor_kind", "window"});
      ok = vocabulary("sensor_kind", c.sensor_kind, true, kSensorKinds, "sensor kind");
      ok = window() && ok;
      break;
    case CheckKind::LogSource:
      r.check_keys(node, "a log_source check", {"kind", "dataset", "window"});
      ok = text("dataset", c.dataset, true);
      ok = window() && ok;
      break;
    case CheckKind::AssessmentRecent:
      r.check_keys(node, "an assessment_recent check", {"kind", "interval_days"});
      ok = days("interval_days", 1);
      break;
    case CheckKind::CertificateValid:
      r.check_keys(node, "a certificate_valid check", {"kind", "asset_kind", "min_days"});
      c.asset_kind = "portal";
      ok = vocabulary("asset_kind", c.asset_kind, false, kAssetKinds, "asset kind");
      ok = days("min_days", 0) && ok;
      break;
  }
  if (!ok) return std::nullopt;
  return c;
}

}  // namespace

namespace {

// A requirement's title: a map with 'vi' (Vietnamese) and 'en' (English).
bool read_title(FieldReader& r, const Node& item, const char* what, Requirement& q) {
  const Node title = r.get(item, what, "title", true);
  if (!title) return false;
  if (!title.IsMap()) {
    r.error(title, "bad_type", "'title' must be a map with 'vi' (Vietnamese) and 'en' (English)");
    return false;
  }
  r.check_keys(title, "a title", {"vi", "en"});
  auto vi = r.string(title, "a title", "vi", true);
  auto en = r.string(title, "a title", "en", true);
  if (!vi || !en) return false;
  q.title_vi = *vi;
  q.title_en = *en;
  return true;
}

// The security levels (1..5) a requirement applies to: at least one.
bool read_levels(FieldReader& r, const Node& item, const char* what, Requirement& q) {
  const Node levels = r.get(item, what, "levels", true);
  if (!levels) return false;
  if (!levels.IsSequence()) {
    r.error(levels, "bad_type", "'levels' must be a list of levels from 1 to 5");
    return false;
  }
  bool ok = true;
  for (const auto& l : levels) {
    if (auto n = r.to_integer(l, "level", 1, 5))
      q.levels[*n - 1] = true;
    else
      ok = false;
  }
  if (levels.size() == 0) {
    r.error(levels, "bad_value", "'levels' must name at least one level");
    ok = false;
  }
  return ok;
}

// One item of `requirements:`; added to `out` when every field is right and its id is new.
void read_requirement(FieldReader& r, IdSet& ids, const Node& item, Baseline& out) {
  if (!item.IsMap()) {
    r.error(item, "not_a_map", "each requirement must be a map");
    return;
  }
  const char* what = "a requirement";
  r.check_keys(item, what, {"id", "title", "reference", "levels", "check", "group", "manual", "source", "legacy"});
  Requirement q;
  auto id = r.string(item, what, "id", true);
  bool ok = read_title(r, item, what, q);
  auto reference = r.string(item, what, "reference", true);
  ok = ok && reference;
  ok = read_levels(r, item, what, q) && ok;
  for (auto [key, target] :
       {std::pair{"group", &q.group}, {"manual", &q.manual}, {"source", &q.source}, {"legacy", &q.legacy}}) {
    if (!item[key]) continue;
    auto v = r.string(item, what, key, false);
    ok = ok && v;
    if (v) *target = *v;
  }
  if (const Node check = item["check"]) {
    q.check = read_check(r, check, q.levels, id.value_or("this requirement"));
    ok = ok && q.check;
  }
  if (ids.add(item, id) && ok) {
    q.id = *id;
    q.reference = *reference;
    q.at = position_of(item);
    out.requirements.push_back(std::move(q));
  }
}

// The `baseline:` section: id, version, basis, description.
void read_baseline_meta(FieldReader& r, const Node& root, Baseline& out) {
  const Node meta = r.get(root, "the file", "baseline", true);
  if (!meta) return;
  if (!meta.IsMap()) {
    r.error(meta, "not_a_map", "'baseline' must be a map with id and version");
    return;
  }
  r.check_keys(meta, "'baseline'", {"id", "version", "basis", "description"});
  if (auto v = r.string(meta, "'baseline'", "id", true)) out.id = *v;
  if (auto v = r.string(meta, "'baseline'", "version", true)) out.version = *v;
  if (meta["basis"])
    if (auto list = r.string_list(meta, "'baseline'", "basis", false))
      for (auto& [text, mark] : *list) out.basis.push_back(std::move(text));
  if (meta["description"])
    if (auto v = r.string(meta, "'baseline'", "description", false)) out.description = *v;
}

}  // namespace

bool load_baseline(const std::string& path, Baseline& out, std::vector<Diagnostic>& diags, std::string& source) {
  if (!read_source(path, "baseline", source, diags)) return false;
  std::vector<Diagnostic> local;
  FieldReader r(path, "baseline", local);
  IdSet ids(r, "requirement");
  const auto on_root = [&](const Node& root) {
    if (!root.IsMap()) {
      r.error(root, "not_a_map", "expected a map with the sections baseline and requirements");
      return;
    }
    r.check_keys(root, "the baseline file", {"baseline", "requirements"});
    read_baseline_meta(r, root, out);
    section(r, root, "requirements", true);
  };
  const auto on_item = [&](std::string_view name, const Node& item) {
    if (name == "requirements") read_requirement(r, ids, item, out);
  };
  if (!detail::stream_yaml(path, source, on_item, on_root, diags)) return false;
  const bool ok = local.empty();
  append_sorted(local, diags);
  return ok;
}

bool check_waivers(const std::string& inventory_path, const Inventory& inv, const Baseline& baseline,
                   std::vector<Diagnostic>& diags) {
  std::vector<Diagnostic> local;
  std::unordered_map<std::string_view, const Requirement*> requirements;
  for (const auto& q : baseline.requirements) requirements.emplace(q.id, &q);
  std::unordered_map<std::string_view, const System*> systems;
  for (const auto& s : inv.systems) systems.emplace(s.id, &s);
  for (const auto& w : inv.waivers) {
    const auto qi = requirements.find(w.requirement);
    const Requirement* q = qi == requirements.end() ? nullptr : qi->second;
    const auto at = [&](std::string code, std::string message) {
      local.push_back(
          {inventory_path, w.requirement_at.line, w.requirement_at.column, std::move(code), std::move(message)});
    };
    if (!q) {
      at("inventory.unknown_reference",
         fmt::format("unknown requirement '{}' (not in baseline '{}')", w.requirement, baseline.id));
      continue;
    }
    const auto si = systems.find(w.system);
    const System* s = si == systems.end() ? nullptr : si->second;
    if (s && !q->applies_at(s->level))
      at("inventory.waiver_not_applicable",
         fmt::format("requirement '{}' does not apply to system '{}' at level {}: nothing to waive", w.requirement,
                     w.system, s->level));
  }
  const bool ok = local.empty();
  append_sorted(local, diags);
  return ok;
}

}  // namespace soc::daemon::inventory
