#include "core/event.h"

#include <cstring>

namespace soc {

namespace {
// Rules look fields up by name many times per event. Most keys of an event differ from the
// wanted one in length or in their last byte ("source.ip" / "source.port", "event.kind" /
// "event.type"): those two tests, inline, before a memcmp.
inline bool same_key(const std::string& k, std::string_view want) {
  const size_t n = want.size();
  return k.size() == n && (n == 0 || (k[n - 1] == want[n - 1] && std::memcmp(k.data(), want.data(), n - 1) == 0));
}
}  // namespace

const Value* Event::find(std::string_view key) const {
  for (size_t i = 0; i < size_; ++i) {
    if (same_key(fields_[i].key, key)) return &fields_[i].value;
  }
  return nullptr;
}

Value* Event::find(std::string_view key) {
  for (size_t i = 0; i < size_; ++i) {
    if (same_key(fields_[i].key, key)) return &fields_[i].value;
  }
  return nullptr;
}

Value& Event::append_unchecked(std::string_view key) {
  if (size_ == fields_.size()) fields_.emplace_back();
  Field& f = fields_[size_++];
  f.key.assign(key.data(), key.size());  // reuses the slot's capacity
  return f.value;
}

void Event::set(std::string_view key, Value value) {
  if (Value* v = find(key)) {
    *v = std::move(value);
    return;
  }
  append_unchecked(key) = std::move(value);
}

bool Event::erase(std::string_view key) {
  for (size_t i = 0; i < size_; ++i) {
    if (fields_[i].key != key) continue;
    // Keep the order of the others; the erased slot moves to the spare end.
    std::rotate(fields_.begin() + static_cast<std::ptrdiff_t>(i), fields_.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                fields_.begin() + static_cast<std::ptrdiff_t>(size_));
    --size_;
    return true;
  }
  return false;
}

std::string_view Event::get_string(std::string_view key) const {
  const Value* v = find(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

std::optional<int64_t> Event::get_int(std::string_view key) const {
  const Value* v = find(key);
  if (v && v->is_int()) return v->as_int();
  return std::nullopt;
}

std::optional<Timestamp> Event::get_timestamp(std::string_view key) const {
  const Value* v = find(key);
  if (v && v->is_timestamp()) return v->as_timestamp();
  return std::nullopt;
}

}  // namespace soc
