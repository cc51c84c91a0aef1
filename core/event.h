// A flat ECS event: an ordered list of (dotted key, typed value) pairs, e.g. "source.ip" ->
// IpAddress. Keys are unique. Events are small (tens of fields), so lookups scan linearly;
// that beats hashing at this size and keeps insertion order for stable JSON output.
#pragma once

#include <algorithm>
#include <cstddef>
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
  // Returns the new field's value, to be assigned.
  Value& append_unchecked(std::string_view key);
  bool erase(std::string_view key);
  // Empties the event but keeps its fields' storage, so that decoding into the same Event again
  // reuses the allocated keys and strings (the correlator decodes every event into one Event).
  void clear() { size_ = 0; }
  void reserve(size_t n) { fields_.reserve(n); }

  // The string value of `key`, or an empty view when absent or not a string.
  std::string_view get_string(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<Timestamp> get_timestamp(std::string_view key) const;
  std::optional<Timestamp> timestamp() const { return get_timestamp("@timestamp"); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.begin() + static_cast<std::ptrdiff_t>(size_); }

  friend bool operator==(const Event& a, const Event& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin(), [](const Field& x, const Field& y) {
             return x.key == y.key && x.value == y.value;
           });
  }

 private:
  // fields_[0, size_) are the event; the rest are spare slots kept for reuse.
  std::vector<Field> fields_;
  size_t size_ = 0;
};

}  // namespace soc
