#include "daemon/inventory/field_reader.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

#include "core/config/yaml_util.h"

namespace soc::daemon::inventory::detail {

namespace {

bool is_blank(const Node& v) { return !v.IsScalar() || v.Scalar().empty(); }

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

Position position_of(const YAML::Mark& m) { return {m.line >= 0 ? m.line + 1 : 0, m.column >= 0 ? m.column + 1 : 0}; }
Position position_of(const Node& n) { return position_of(n.Mark()); }

std::string join(std::span<const std::string_view> words) {
  std::string out;
  for (auto w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

void FieldReader::error(const YAML::Mark& at, std::string_view code, std::string message) {
  diags_.push_back(config::diag_at(path_, at, fmt::format("{}.{}", prefix_, code), std::move(message)));
}

void FieldReader::check_keys(const Node& map, std::string_view what,
                             std::initializer_list<std::string_view> known) {
  std::vector<std::string_view> seen;
  for (size_t i = 0; i < map.size(); ++i) {
    const Node k = map.key(i);
    const std::string& key = k.Scalar();
    if (std::find(known.begin(), known.end(), key) != known.end()) {
      // yaml-cpp keeps both entries of a repeated key and lookups see the first: a second
      // `expires:` would be silently ignored.
      if (std::find(seen.begin(), seen.end(), key) != seen.end())
        error(k, "repeated_key", fmt::format("key '{}' appears twice in {}", key, what));
      seen.push_back(key);
      continue;
    }
    std::vector<std::string_view> words(known);
    error(k, "unknown_key", fmt::format("unknown key '{}' in {} (known keys: {})", key, what, join(words)));
  }
}

Node FieldReader::get(const Node& map, std::string_view what, const char* key, bool required) {
  const Node v = map[key];
  if (!v && required) error(map, "missing_key", fmt::format("{} without '{}'", what, key));
  return v;
}

std::optional<std::string> FieldReader::string(const Node& map, std::string_view what, const char* key,
                                               bool required) {
  const Node v = get(map, what, key, required);
  if (!v) return std::nullopt;
  if (is_blank(v)) {
    error(v, "bad_type", fmt::format("'{}' must be a non-empty string", key));
    return std::nullopt;
  }
  return v.Scalar();
}

std::optional<std::string> FieldReader::one_of(const Node& map, std::string_view what, const char* key,
                                               bool required, std::span<const std::string_view> vocabulary,
                                               std::string_view vocabulary_name) {
  auto s = string(map, what, key, required);
  if (!s) return std::nullopt;
  if (std::find(vocabulary.begin(), vocabulary.end(), *s) == vocabulary.end()) {
    error(map[key], "bad_value", fmt::format("{} '{}' is not one of: {}", vocabulary_name, *s, join(vocabulary)));
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> FieldReader::to_integer(const Node& v, const char* key, int64_t min, int64_t max) {
  const auto n = v.IsScalar() ? parse_int(v.Scalar()) : std::nullopt;
  if (!n || *n < min || *n > max) {
    error(v, v.IsScalar() && n ? "bad_value" : "bad_type",
          fmt::format("'{}' must be an integer from {} to {}", key, min, max));
    return std::nullopt;
  }
  return n;
}

std::optional<int64_t> FieldReader::integer(const Node& map, std::string_view what, const char* key,
                                            bool required, int64_t min, int64_t max) {
  const Node v = get(map, what, key, required);
  if (!v) return std::nullopt;
  return to_integer(v, key, min, max);
}

std::optional<bool> FieldReader::boolean(const Node& map, std::string_view what, const char* key, bool required) {
  const Node v = get(map, what, key, required);
  if (!v) return std::nullopt;
  // Only the two YAML 1.2 spellings: "yes"/"on" are YAML 1.1 surprises in a compliance file.
  if (v.IsScalar() && (v.Scalar() == "true" || v.Scalar() == "false")) return v.Scalar() == "true";
  error(v, "bad_type", fmt::format("'{}' must be true or false", key));
  return std::nullopt;
}

std::optional<Date> FieldReader::date(const Node& map, std::string_view what, const char* key, bool required) {
  const Node v = get(map, what, key, required);
  if (!v) return std::nullopt;
  if (v.IsScalar()) {
    if (auto d = parse_date(v.Scalar())) return d;
  }
  error(
      v, "bad_date",
      fmt::format("'{}' must be a date YYYY-MM-DD{}", key, v.IsScalar() ? fmt::format(", not '{}'", v.Scalar()) : ""));
  return std::nullopt;
}

std::optional<std::vector<std::pair<std::string, YAML::Mark>>> FieldReader::string_list(const Node& map,
                                                                                        std::string_view what,
                                                                                        const char* key,
                                                                                        bool required) {
  const Node v = get(map, what, key, required);
  if (!v) return std::nullopt;
  if (!v.IsSequence()) {
    error(v, "bad_type", fmt::format("'{}' must be a list", key));
    return std::nullopt;
  }
  std::vector<std::pair<std::string, YAML::Mark>> out;
  bool ok = true;
  for (const auto& item : v) {
    if (is_blank(item)) {
      error(item, "bad_type", fmt::format("each element of '{}' must be a non-empty string", key));
      ok = false;
      continue;
    }
    out.emplace_back(item.Scalar(), item.Mark());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::chrono::seconds> FieldReader::to_duration(const Node& v, const char* key) {
  if (v.IsScalar() && v.Scalar().size() >= 2) {
    const std::string& s = v.Scalar();
    const auto n = parse_int(std::string_view(s).substr(0, s.size() - 1));
    int64_t unit = 0;
    switch (s.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      default:
        break;
    }
    // Up to ten years: a longer window is a mistake, and the bound keeps the product from overflowing.
    if (n && unit && *n > 0 && *n * unit <= 10LL * 366 * 86400) return std::chrono::seconds(*n * unit);
  }
  error(v, "bad_value", fmt::format("'{}' must be a duration such as 300s, 5m, 24h or 7d (at most 10 years)", key));
  return std::nullopt;
}

}  // namespace soc::daemon::inventory::detail
