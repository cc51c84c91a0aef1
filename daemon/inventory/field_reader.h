// Internal to daemon/inventory: typed reads of YAML map entries that turn every problem into a
// diagnostic (code `<prefix>.<kind>`), so that the two loaders describe their schema in a few
// lines each and word their errors the same way. Reads the plain nodes of yaml_stream.h, not
// yaml-cpp's tree. Never throws: conversions are done by hand.
#pragma once

#include <yaml-cpp/mark.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostic.h"
#include "daemon/inventory/inventory.h"
#include "daemon/inventory/yaml_stream.h"

namespace soc::daemon::inventory::detail {

class FieldReader {
 public:
  // `prefix` is the code prefix ("inventory", "baseline"); diagnostics go to `diags`.
  FieldReader(std::string path, std::string prefix, std::vector<Diagnostic>& diags)
      : path_(std::move(path)), prefix_(std::move(prefix)), diags_(diags) {}

  const std::string& path() const { return path_; }
  void error(const YAML::Mark& at, std::string_view code, std::string message);
  void error(const Node& at, std::string_view code, std::string message) {
    error(at.Mark(), code, std::move(message));
  }

  // Reports every key of `map` that is not in `known` (`what` names the entry: "a site").
  void check_keys(const Node& map, std::string_view what, std::initializer_list<std::string_view> known);

  // The node at `key`. When absent and `required`, reports `<what> without '<key>'` at the map.
  Node get(const Node& map, std::string_view what, const char* key, bool required);

  // Typed reads: nullopt when absent (reported if required) or wrong (always reported).
  std::optional<std::string> string(const Node& map, std::string_view what, const char* key, bool required);
  std::optional<std::string> one_of(const Node& map, std::string_view what, const char* key, bool required,
                                    std::span<const std::string_view> vocabulary, std::string_view vocabulary_name);
  std::optional<int64_t> integer(const Node& map, std::string_view what, const char* key, bool required,
                                 int64_t min, int64_t max);
  std::optional<bool> boolean(const Node& map, std::string_view what, const char* key, bool required);
  std::optional<Date> date(const Node& map, std::string_view what, const char* key, bool required);
  // A list of non-empty strings; each element with its mark, for reference checks.
  std::optional<std::vector<std::pair<std::string, YAML::Mark>>> string_list(const Node& map,
                                                                             std::string_view what, const char* key,
                                                                             bool required);

  // The same conversions for a node already in hand (`key` only names it in messages).
  std::optional<int64_t> to_integer(const Node& v, const char* key, int64_t min, int64_t max);
  std::optional<std::chrono::seconds> to_duration(const Node& v, const char* key);

 private:
  std::string path_;
  std::string prefix_;
  std::vector<Diagnostic>& diags_;
};

Position position_of(const Node& n);
Position position_of(const YAML::Mark& m);
std::string join(std::span<const std::string_view> words);

}  // namespace soc::daemon::inventory::detail
