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

// A file's text with its lines indexed once, for rendering many diagnostics of one file: each
// render then finds its line directly instead of scanning the text from the start (a file with
// thousands of errors would otherwise cost the square of its length).
class SourceLines {
 public:
  explicit SourceLines(std::string_view source);
  // Line n (1-based) without its newline or carriage return; false when the text has no such line.
  bool line(int n, std::string_view& out) const;

 private:
  std::string_view source_;
  std::vector<size_t> starts_;
};
std::string render(const Diagnostic& d, const SourceLines& lines);

// Every diagnostic, each followed by a newline.
std::string render_all(const std::vector<Diagnostic>& diags, std::string_view source = {});

}  // namespace soc
