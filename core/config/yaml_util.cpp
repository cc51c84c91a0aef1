#include "core/config/yaml_util.h"

#include <fstream>
#include <sstream>

namespace soc::config {

Diagnostic diag_at(const std::string& path, const YAML::Mark& mark, std::string code, std::string message) {
  Diagnostic d;
  d.file = path;
  d.line = mark.line >= 0 ? mark.line + 1 : 0;
  d.column = mark.column >= 0 ? mark.column + 1 : 0;
  d.code = std::move(code);
  d.message = std::move(message);
  return d;
}

Diagnostic diag_at(const std::string& path, const YAML::Node& node, std::string code, std::string message) {
  return diag_at(path, node.Mark(), std::move(code), std::move(message));
}

bool load_yaml(const std::string& path, const std::string& source, YAML::Node& out, std::vector<Diagnostic>& diags) {
  try {
    out = YAML::Load(source);
    return true;
  } catch (const YAML::Exception& e) {
    diags.push_back(diag_at(path, e.mark, "yaml.syntax", e.msg));
    return false;
  }
}

bool load_yaml_all(const std::string& path, const std::string& source, std::vector<YAML::Node>& out,
                   std::vector<Diagnostic>& diags) {
  try {
    out = YAML::LoadAll(source);
    return true;
  } catch (const YAML::Exception& e) {
    diags.push_back(diag_at(path, e.mark, "yaml.syntax", e.msg));
    return false;
  }
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

}  // namespace soc::config
