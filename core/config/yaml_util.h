// Helpers for YAML loaders (yaml-cpp stays inside core/config and the loaders that use them):
// positions of nodes as 1-based line:column diagnostics, and parse errors as diagnostics.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.h"

namespace soc::config {

// Parses `source` (the text of `path`) into `out`. On a syntax error appends a diagnostic with
// the position yaml-cpp reports and returns false. Never throws.
bool load_yaml(const std::string& path, const std::string& source, YAML::Node& out, std::vector<Diagnostic>& diags);

// Parses every document of a multi-document stream.
bool load_yaml_all(const std::string& path, const std::string& source, std::vector<YAML::Node>& out,
                   std::vector<Diagnostic>& diags);

Diagnostic diag_at(const std::string& path, const YAML::Node& node, std::string code, std::string message);
Diagnostic diag_at(const std::string& path, const YAML::Mark& mark, std::string code, std::string message);

// Reads a whole file; false when it cannot be read.
bool read_file(const std::string& path, std::string& out);

}  // namespace soc::config
