#include "core/diagnostic.h"

#include <fmt/core.h>

namespace soc {

SourceLines::SourceLines(std::string_view source) : source_(source) {
  if (source.empty()) return;
  starts_.push_back(0);
  for (size_t pos = source.find('\n'); pos != std::string_view::npos; pos = source.find('\n', pos + 1))
    if (pos + 1 < source.size()) starts_.push_back(pos + 1);
}

bool SourceLines::line(int n, std::string_view& out) const {
  if (n <= 0 || static_cast<size_t>(n) > starts_.size()) return false;
  const size_t pos = starts_[static_cast<size_t>(n - 1)];
  const size_t eol = source_.find('\n', pos);
  out = source_.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
  if (!out.empty() && out.back() == '\r') out.remove_suffix(1);
  return true;
}

namespace {

// One character of quoted text as it is shown: its bytes in the source, its text on screen and
// the columns that text takes.
struct Shown {
  size_t bytes;
  std::string text;
  size_t columns;
};

// Decodes one UTF-8 sequence at s[i]; 0 when it is not a valid, shortest-form sequence.
size_t utf8_length(std::string_view s, size_t i, uint32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  size_t n;
  if (b < 0x80) { cp = b; return 1; }
  if (b >= 0xC2 && b <= 0xDF) { n = 2; cp = b & 0x1F; }
  else if (b >= 0xE0 && b <= 0xEF) { n = 3; cp = b & 0x0F; }
  else if (b >= 0xF0 && b <= 0xF4) { n = 4; cp = b & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// The character at s[i], escaped when it could hurt a terminal or a log: control characters,
// invalid UTF-8 (each byte as \xNN), C1 controls and the bidirectional overrides that can make
// text read differently from what it is ("Trojan Source").
Shown shown_at(std::string_view s, size_t i) {
  uint32_t cp = 0;
  const size_t n = utf8_length(s, i, cp);
  if (n == 0) {
    return {1, fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i])), 4};
  }
  if (cp == '\t') return {1, "\\t", 2};
  if (cp == '\n') return {1, "\\n", 2};
  if (cp == '\r') return {1, "\\r", 2};
  if (cp < 0x20 || cp == 0x7F) return {1, fmt::format("\\x{:02x}", cp), 4};
  if ((cp >= 0x80 && cp < 0xA0) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
      cp == 0x2028 || cp == 0x2029) {
    return {n, fmt::format("\\u{{{:04x}}}", cp), 8};
  }
  return {n, std::string(s.substr(i, n)), 1};
}

std::string header(const Diagnostic& d) {
  const char* level = d.warning ? "warning" : "error";
  const std::string file = escape_text(d.file, kDiagnosticMessageBytes);
  const std::string message = escape_text(d.message, kDiagnosticMessageBytes);
  if (d.line > 0) return fmt::format("{}:{}:{}: {}[{}]: {}", file, d.line, d.column, level, d.code, message);
  return fmt::format("{}: {}[{}]: {}", file, level, d.code, message);
}

}  // namespace

std::string escape_text(std::string_view s, size_t max_bytes) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (out.size() >= max_bytes) {
      out += fmt::format("... ({} more bytes)", s.size() - i);
      break;
    }
    Shown c = shown_at(s, i);
    out += c.text;
    i += c.bytes;
  }
  return out;
}

Snippet excerpt(std::string_view line, size_t caret_byte, size_t width) {
  if (caret_byte > line.size()) caret_byte = line.size();
  // Characters from a little before the caret: enough for `kBefore` columns however wide the
  // escapes are, started on a character boundary. A huge line is never scanned whole.
  const size_t before = width / 3;
  size_t start = caret_byte > before * 8 ? caret_byte - before * 8 : 0;
  for (int k = 0; k < 3 && start > 0 && start < line.size() && (static_cast<unsigned char>(line[start]) & 0xC0) == 0x80; ++k)
    ++start;
  std::vector<Shown> head;  // characters from `start` up to the caret
  size_t i = start;
  while (i < caret_byte) {
    head.push_back(shown_at(line, i));
    i += head.back().bytes;
  }
  // Keep the last `before` columns of what precedes the caret when the whole line does not fit.
  size_t head_columns = 0;
  for (const auto& c : head) head_columns += c.columns;
  size_t first = 0;
  bool cut_front = start > 0;
  size_t total_guess = head_columns + (line.size() - i);
  if (start > 0 || total_guess > width) {
    while (first < head.size() && head_columns > before) {
      head_columns -= head[first].columns;
      ++first;
      cut_front = true;
    }
  }
  Snippet out;
  if (cut_front) out.text = "...";
  for (size_t k = first; k < head.size(); ++k) out.text += head[k].text;
  out.caret_column = (cut_front ? 3 : 0) + head_columns;
  size_t columns = head_columns;
  while (i < line.size()) {
    Shown c = shown_at(line, i);
    if (columns + c.columns > width) {
      out.text += "...";
      return out;
    }
    out.text += c.text;
    columns += c.columns;
    i += c.bytes;
  }
  return out;
}

std::string render(const Diagnostic& d, const SourceLines& lines) {
  std::string out = header(d);
  std::string_view text;
  if (d.line <= 0 || !lines.line(d.line, text)) return out;
  const Snippet s = excerpt(text, d.column > 1 ? static_cast<size_t>(d.column - 1) : 0, kDiagnosticSnippetColumns);
  out += fmt::format("\n    {}\n    {}^", s.text, std::string(s.caret_column, ' '));
  return out;
}

std::string render(const Diagnostic& d, std::string_view source) {
  if (d.line <= 0 || source.empty()) return header(d);
  return render(d, SourceLines(source));
}

std::string render_all(const std::vector<Diagnostic>& diags, std::string_view source) {
  std::string out;
  const SourceLines lines(source);
  for (const auto& d : diags) {
    out += render(d, lines);
    out += '\n';
  }
  return out;
}

}  // namespace soc
