// Diagnostics for configuration and rule files: a stable code, a position and a message,
// rendered the way compilers do, with the offending line and a caret:
//
//   examples/allow.yaml:4:7: error[config.unknown_key]: unknown key 'pubkey' (expected one of: ...)
//       pubkey: abc
//       ^
//
// What a diagnostic quotes from a file is bounded and escaped (docs/adr/0034): the snippet is an
// excerpt of at most kDiagnosticSnippetColumns around the caret, the message and file name at
// most kDiagnosticMessageBytes, and control characters, invalid UTF-8 and bidirectional
// overrides are shown as escapes (\t, \x1b, \u{202e}), so a hostile file can neither flood the
// log with a 50 MB line nor rewrite the terminal or forge log lines.
#pragma once

#include <cstddef>
#include <cstdint>
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

inline constexpr size_t kDiagnosticSnippetColumns = 120;
inline constexpr size_t kDiagnosticMessageBytes = 512;

// `s` with the characters above escaped, cut after `max_bytes` of output with
// "... (N more bytes)".
std::string escape_text(std::string_view s, size_t max_bytes);

// An excerpt of one line of at most `width` columns (plus "..." at a cut end) that shows the
// character at byte `caret_byte`, escaped; `caret_column` is where the caret goes under `text`.
// Looks at no more of the line than the excerpt needs.
struct Snippet {
  std::string text;
  size_t caret_column = 0;
};
Snippet excerpt(std::string_view line, size_t caret_byte, size_t width);

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
