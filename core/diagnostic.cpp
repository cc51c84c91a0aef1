#include "core/diagnostic.h"

#include <fmt/core.h>

namespace soc {

std::string render(const Diagnostic& d, std::string_view source) {
  std::string out;
  const char* level = d.warning ? "warning" : "error";
  if (d.line > 0) {
    out = fmt::format("{}:{}:{}: {}[{}]: {}", d.file, d.line, d.column, level, d.code, d.message);
  } else {
    out = fmt::format("{}: {}[{}]: {}", d.file, level, d.code, d.message);
  }
  if (d.line <= 0 || source.empty()) return out;
  size_t pos = 0;
  for (int l = 1; l < d.line && pos != std::string_view::npos; ++l) {
    pos = source.find('\n', pos);
    if (pos != std::string_view::npos) ++pos;
  }
  if (pos == std::string_view::npos || pos >= source.size()) return out;
  const size_t eol = source.find('\n', pos);
  std::string_view text = source.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  out += fmt::format("\n    {}\n    {}^", text, std::string(d.column > 1 ? d.column - 1 : 0, ' '));
  return out;
}

std::string render_all(const std::vector<Diagnostic>& diags, std::string_view source) {
  std::string out;
  for (const auto& d : diags) {
    out += render(d, source);
    out += '\n';
  }
  return out;
}

}  // namespace soc
