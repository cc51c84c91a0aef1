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

std::string header(const Diagnostic& d) {
  const char* level = d.warning ? "warning" : "error";
  if (d.line > 0) return fmt::format("{}:{}:{}: {}[{}]: {}", d.file, d.line, d.column, level, d.code, d.message);
  return fmt::format("{}: {}[{}]: {}", d.file, level, d.code, d.message);
}

}  // namespace

std::string render(const Diagnostic& d, const SourceLines& lines) {
  std::string out = header(d);
  std::string_view text;
  if (d.line <= 0 || !lines.line(d.line, text)) return out;
  out += fmt::format("\n    {}\n    {}^", text, std::string(d.column > 1 ? d.column - 1 : 0, ' '));
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
