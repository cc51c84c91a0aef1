// A flat ECS event: an ordered list of (dotted key, typed value) pairs, e.g. "source.ip" ->
// IpAddress. Keys are unique. Events are small (tens of fields), so lookups scan linearly;
// that beats hashing at this size and keeps insertion order for stable JSON output.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/value.h"

namespace soc {

struct Field {
  std::string key;
  Value value;
};

class Event {
 public:
  using const_iterator = std::vector<Field>::const_iterator;

  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  // Replaces the value when the key exists, appends otherwise.
  void set(std::string_view key, Value value);
  // Appends without checking for an existing key; the caller guarantees uniqueness (decoders).
  void append_unchecked(std::string key, Value value) {
    fields_.push_back({std::move(key), std::move(value)});
  }
  bool erase(std::string_view key);
  void clear() { fields_.clear(); }
  void reserve(size_t n) { fields_.reserve(n); }

  // The string value of `key`, or an empty view when absent or not a string.
  std::string_view get_string(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<Timestamp> get_timestamp(std::string_view key) const;
  std::optional<Timestamp> timestamp() const { return get_timestamp("@timestamp"); }

  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

}  // namespace soc
