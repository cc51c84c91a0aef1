// Sigma field names and logsources to our ECS events (rules/mappings/*.yaml): loading the
// mapping files, and applying them to a rule's logsource, with the service fallback for
// logsources the mapping does not name (docs/adr/0031-detection-breadth.md).
#include <algorithm>
#include <filesystem>

#include <fmt/core.h>
#include <fmt/format.h>

#include "core/shipped_paths.h"
#include "daemon/rules/load/internal.h"

namespace soc::daemon::rules::load {

std::string map_field(const FieldMapping& mapping, const std::string& f) {
  auto it = mapping.fields.find(f);
  return it != mapping.fields.end() ? it->second : f;
}

namespace {

// The dataset a logsource with an unmapped service is matched on: the mapping's template for
// the product (`service_fallback.products`), else its default, else the service itself.
std::string fallback_dataset(const FieldMapping& mapping, const std::string& product, const std::string& service) {
  std::string t = mapping.fallback_dataset.empty() ? std::string("{service}") : mapping.fallback_dataset;
  if (auto it = mapping.fallback_by_product.find(product); it != mapping.fallback_by_product.end()) t = it->second;
  for (auto [key, value] : {std::pair<std::string_view, const std::string*>{"{service}", &service},
                            std::pair<std::string_view, const std::string*>{"{product}", &product}}) {
    for (size_t at = t.find(key); at != std::string::npos; at = t.find(key, at + value->size()))
      t.replace(at, key.size(), *value);
  }
  return t;
}

}  // namespace

// Applies the logsource mapping: the entry with exactly the rule's product/service/category.
bool map_logsource(Doc& doc, const FieldMapping& mapping, const YAML::Node& ls, Rule& rule) {
  if (!ls) return true;
  if (!ls.IsMap()) {
    doc.add(ls, "rule.bad_value", "'logsource' must be a map");
    return false;
  }
  std::string product, service, category;
  auto get = [&](const char* k, std::string& out) {
    if (const YAML::Node n = ls[k]; n && n.IsScalar()) out = lower(n.Scalar());
  };
  get("product", product);
  get("service", service);
  get("category", category);
  if (product.empty() && service.empty() && category.empty()) return true;
  for (const auto& m : mapping.logsources) {
    if (m.product == product && m.service == service && m.category == category) {
      rule.logsource = m.conditions;
      return true;
    }
  }
  std::vector<std::string> parts;
  if (!product.empty()) parts.push_back("product: " + product);
  if (!service.empty()) parts.push_back("service: " + service);
  if (!category.empty()) parts.push_back("category: " + category);
  if (service.empty()) {
    // A product or category alone says nothing we could match on (a Windows process_creation
    // rule would otherwise run against our Linux events): refused.
    doc.add(ls, "rule.unsupported", fmt::format("logsource ({}) has no field mapping", fmt::join(parts, ", ")));
    return false;
  }
  // A service names its log: the obvious mapping is the dataset of that service (a Zeek log,
  // an FTP server's log that a user decodes into event.dataset: vsftpd). Loaded, with a warning.
  const std::string dataset = fallback_dataset(mapping, product, service);
  rule.logsource = {{"event.dataset", dataset}};
  doc.warn(ls, "rule.logsource_fallback",
           fmt::format("logsource ({}) has no entry in the field mapping: matched as event.dataset: {} (keywords "
                       "search message)",
                       fmt::join(parts, ", "), dataset));
  return true;
}

}  // namespace soc::daemon::rules::load

namespace soc::daemon::rules {

using load::lower;

FieldMapping load_mapping(const std::string& path, std::vector<Diagnostic>& diags) {
  FieldMapping m;
  std::string text;
  if (auto d = config::read_file_bounded(path, text, config::kMaxRuleFileBytes, "file.unreadable")) {
    diags.push_back(std::move(*d));
    return m;
  }
  YAML::Node root;
  if (!config::load_yaml(path, text, root, diags)) return m;
  try {
    if (const YAML::Node f = root["fields"]) {
      if (!f.IsMap()) diags.push_back(config::diag_at(path, f, "mapping.bad_value", "'fields' must map Sigma names to ECS names"));
      else
        for (const auto& kv : f) {
          if (kv.second.IsScalar()) m.fields[kv.first.Scalar()] = kv.second.Scalar();
          else diags.push_back(config::diag_at(path, kv.second, "mapping.bad_value", "an ECS field name must be a string"));
        }
    }
    if (const YAML::Node l = root["logsources"]) {
      if (!l.IsSequence()) {
        diags.push_back(config::diag_at(path, l, "mapping.bad_value", "'logsources' must be a list"));
      } else {
        for (const auto& e : l) {
          FieldMapping::Logsource ls;
          const YAML::Node src = e["logsource"];
          const YAML::Node cond = e["conditions"];
          if (!src || !src.IsMap() || !cond || !cond.IsMap()) {
            diags.push_back(config::diag_at(path, e, "mapping.bad_value", "each logsource needs 'logsource' and 'conditions' maps"));
            continue;
          }
          if (src["product"]) ls.product = lower(src["product"].Scalar());
          if (src["service"]) ls.service = lower(src["service"].Scalar());
          if (src["category"]) ls.category = lower(src["category"].Scalar());
          for (const auto& kv : cond) ls.conditions.emplace_back(kv.first.Scalar(), kv.second.Scalar());
          m.logsources.push_back(std::move(ls));
        }
      }
    }
    // service_fallback: {dataset: "{service}", products: {zeek: "zeek.{service}"}}
    if (const YAML::Node fb = root["service_fallback"]) {
      if (!fb.IsMap()) {
        diags.push_back(config::diag_at(path, fb, "mapping.bad_value", "'service_fallback' must be a map"));
      } else {
        if (const YAML::Node d = fb["dataset"]; d && d.IsScalar()) m.fallback_dataset = d.Scalar();
        if (const YAML::Node p = fb["products"]; p && p.IsMap())
          for (const auto& kv : p)
            if (kv.second.IsScalar()) m.fallback_by_product[lower(kv.first.Scalar())] = kv.second.Scalar();
      }
    }
    load::Doc doc{path, {}, {}};
    load::check_keys(doc, root, {"fields", "logsources", "service_fallback"}, "the mapping", "mapping.unknown_key");
    if (const YAML::Node fb = root["service_fallback"]; fb && fb.IsMap())
      load::check_keys(doc, fb, {"dataset", "products"}, "service_fallback", "mapping.unknown_key");
    for (auto& d : doc.diags) diags.push_back(std::move(d));
  } catch (const YAML::Exception& e) {
    diags.push_back(config::diag_at(path, e.mark, "mapping.bad_value", e.msg));
  }
  return m;
}

void merge_mapping(FieldMapping& into, const FieldMapping& more) {
  for (const auto& [k, v] : more.fields) into.fields[k] = v;
  into.logsources.insert(into.logsources.end(), more.logsources.begin(), more.logsources.end());
  if (!more.fallback_dataset.empty()) into.fallback_dataset = more.fallback_dataset;
  for (const auto& [k, v] : more.fallback_by_product) into.fallback_by_product[k] = v;
}

std::vector<std::string> shipped_mapping_files(std::vector<Diagnostic>& diags) {
  namespace fs = std::filesystem;
  const std::string dir = shipped_path("rules/mappings", "rules/mappings");
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const auto ext = it->path().extension();
    if (ext == ".yaml" || ext == ".yml") files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    diags.push_back({dir, 0, 0, "mapping.missing",
                     fmt::format("no field mapping files (*.yaml) here: {} (a binary run outside its build tree reads the "
                                 "installed data folder; `meson install` puts the mappings there)",
                                 ec ? ec.message() : "the folder holds none")});
  }
  return files;
}

}  // namespace soc::daemon::rules
