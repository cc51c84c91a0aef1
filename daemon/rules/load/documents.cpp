// A rule file as YAML documents, and the checks every map of a rule goes through: unknown keys
// with the nearest known one.
#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/core.h>

#include "daemon/rules/load/internal.h"

namespace soc::daemon::rules::load {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parse_number(std::string_view s, double& out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = b + s.size();
  auto [ptr, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && ptr == e;
}

int text_column(const YAML::Node& n) {
  const int col = n.Mark().column + 1;
  return n.Tag() == "!" ? col + 1 : col;
}

namespace {

// "---" or "..." at the start of a line, followed by a blank or the end of the line.
bool is_marker(std::string_view line, std::string_view marker) {
  return line.substr(0, 3) == marker &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r' || line[3] == '\n');
}

}  // namespace

std::vector<DocumentText> split_documents(const std::string& source) {
  std::vector<DocumentText> out;
  DocumentText current;
  std::string_view text(source);
  int line = 0;
  bool open = false;   // a document has started (content or a "---")
  size_t start = 0;    // byte offset of the current document's first line
  auto close = [&](size_t end) {
    if (!open) return;
    // Not padded with the lines before it: that made a file of many documents cost the square
    // of its length. Marks are shifted by first_line instead (Doc::line_offset).
    current.text.assign(text.substr(start, end - start));
    out.push_back(std::move(current));
    current = DocumentText{};
    open = false;
  };
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    const size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    const std::string_view l = text.substr(pos, next - pos);
    if (is_marker(l, "---")) {
      close(pos);
      open = true;
      start = pos;
      current.first_line = line;
    } else if (is_marker(l, "...")) {
      close(next);
    } else if (!open) {
      // Content before any marker (the first document), or after a "..." end marker.
      open = true;
      start = pos;
      current.first_line = line;
    }
    pos = next;
    ++line;
  }
  close(text.size());
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b, size_t cap) {
  const size_t n = a.size(), m = b.size();
  if ((n > m ? n - m : m - n) > cap) return cap + 1;
  // Optimal string alignment: insertions, deletions, substitutions and adjacent transpositions
  // ("levle" -> "level" is one edit), case-insensitive.
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  auto eq = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  };
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = eq(a[i - 1], b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && eq(a[i - 1], b[j - 2]) && eq(a[i - 2], b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return std::min(d[n][m], cap + 1);
}

std::string nearest_key(std::string_view key, std::initializer_list<std::string_view> known) {
  if (key.size() > 64) return {};
  // Close enough to be a typo: one edit for short keys, up to a third of the key's length.
  const size_t cap = std::max<size_t>(1, std::min<size_t>(3, key.size() / 3));
  std::string best;
  size_t best_d = cap + 1;
  for (auto k : known) {
    const size_t d = edit_distance(key, k, cap);
    if (d < best_d) {
      best_d = d;
      best = std::string(k);
    }
  }
  return best;
}

void check_keys(Doc& doc, const YAML::Node& map, std::initializer_list<std::string_view> known, std::string_view where,
                std::string_view code) {
  if (!map.IsMap()) return;
  std::vector<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      doc.add(kv.first, std::string(code), fmt::format("keys of {} must be strings", where));
      continue;
    }
    const std::string& key = kv.first.Scalar();
    // yaml-cpp keeps both entries of a repeated key and a lookup sees only the first: the
    // second would be ignored without a word.
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      doc.add(kv.first, "rule.duplicate_key", fmt::format("key '{}' appears twice in {}", key, where));
      continue;
    }
    seen.push_back(key);
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const std::string near = nearest_key(key, known);
    if (!near.empty()) {
      doc.add(kv.first, std::string(code), fmt::format("unknown key '{}' in {}; did you mean '{}'?", key, where, near));
    } else if (known.size() > 12) {
      doc.add(kv.first, std::string(code),
              fmt::format("unknown key '{}' in {} (custom attributes go under 'custom_attributes')", key, where));
    } else {
      std::string list;
      for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      doc.add(kv.first, std::string(code), fmt::format("unknown key '{}' in {} (known keys: {})", key, where, list));
    }
  }
}

}  // namespace soc::daemon::rules::load
