// Helpers for YAML loaders (yaml-cpp stays inside core/config and the loaders that use them):
// positions of nodes as 1-based line:column diagnostics, and parse errors as diagnostics.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
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

// Size limits of the files the loaders read whole: a hostile or careless file costs at most this
// much memory and parse time, and is refused with a clear error past it (docs/adr/0034).
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;       // --config files, allowlists
inline constexpr size_t kMaxRuleFileBytes = 4 << 20;         // one rule or field-mapping file
inline constexpr size_t kMaxDecoderFileBytes = 4 << 20;      // one log decoder file
inline constexpr size_t kMaxInventoryFileBytes = 64 << 20;   // 100,000 assets are about 20 MiB (ADR 0012)
inline constexpr size_t kMaxBaselineFileBytes = 4 << 20;
inline constexpr size_t kMaxFileBytes = 64 << 20;            // read_file without a limit of its own

// Reads a whole file of at most `max_bytes` into `out`: the size is checked before reading and
// the read stops one byte past the limit, so a file that grows, a FIFO or /dev/zero costs no
// more. On failure returns a whole-file diagnostic: `unreadable_code` with the system's reason,
// or "file.too_large" with the size and the limit in words.
std::optional<Diagnostic> read_file_bounded(const std::string& path, std::string& out, size_t max_bytes,
                                            const std::string& unreadable_code);

// Reads a whole file of at most kMaxFileBytes; false when it cannot be read or is larger.
bool read_file(const std::string& path, std::string& out);

// "4 MiB", "512 KiB", "1,234 bytes": a size for messages.
std::string describe_size(size_t bytes);

}  // namespace soc::config
