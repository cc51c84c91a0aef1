// Diagnostics for configuration and rule files: a stable code, a position and a message,
// rendered the way compilers do, with the offending line and a caret:
//
//   examples/allow.yaml:4:7: error[config.unknown_key]: unknown key 'pubkey' (expected one of: ...)
//       pubkey: abc
//       ^
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace soc {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem is about the whole file
  int column = 0;  // 1-based
  std::string code;
  std::string message;
  bool warning = false;  // rendered as "warning[code]": reported, but nothing was refused
};

// One diagnostic as text (no trailing newline). `source` is the file's text, used for the
// snippet; pass an empty view to omit it.
std::string render(const Diagnostic& d, std::string_view source = {});

// Every diagnostic, each followed by a newline.
std::string render_all(const std::vector<Diagnostic>& diags, std::string_view source = {});

}  // namespace soc
