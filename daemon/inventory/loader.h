// Loading inventory.yaml and baseline.yaml into the plain data of inventory.h and baseline.h.
// The only code of daemon/inventory that includes yaml-cpp (loader.cpp, field_reader.*, yaml_stream.*),
// which reads the files with its event parser, one entry at a time (docs/adr/0012).
//
// Every loader collects every problem of its file before refusing (docs/adr/0003): unknown keys,
// missing required keys, wrong types, values outside a vocabulary, dates that do not parse,
// duplicate ids and dangling references, each a soc::Diagnostic with a stable code
// (`inventory.*`, `baseline.*`, `yaml.syntax`) and the file:line:column of the offending node.
// Diagnostics are appended in file order. Never throws.
#pragma once

#include <string>
#include <vector>

#include "core/diagnostic.h"
#include "daemon/inventory/baseline.h"
#include "daemon/inventory/inventory.h"

namespace soc::daemon::inventory {

// Reads and validates `path`. Returns true when the file had no problem; `out` then satisfies the
// contract of inventory.h. On false, `out` holds the entries that were valid on their own (for
// tools that want to show partial content); callers must not run with it. `source` receives the
// file's text for rendering snippets.
bool load_inventory(const std::string& path, Inventory& out, std::vector<Diagnostic>& diags, std::string& source);

// The same for a baseline.
bool load_baseline(const std::string& path, Baseline& out, std::vector<Diagnostic>& diags, std::string& source);

// Checks what needs both files: every waiver names a requirement of the baseline that applies
// at its system's level. Appends `inventory.unknown_reference` diagnostics located in
// `inventory_path`; returns true when there were none.
bool check_waivers(const std::string& inventory_path, const Inventory& inv, const Baseline& baseline,
                   std::vector<Diagnostic>& diags);

}  // namespace soc::daemon::inventory
