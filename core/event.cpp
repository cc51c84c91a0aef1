#include "core/event.h"

#include <algorithm>

namespace soc {

const Value* Event::find(std::string_view key) const {
  for (const auto& f : fields_) {
    if (f.key == key) return &f.value;
  }
  return nullptr;
}

Value* Event::find(std::string_view key) {
  for (auto& f : fields_) {
    if (f.key == key) return &f.value;
  }
  return nullptr;
}

void Event::set(std::string_view key, Value value) {
  if (Value* v = find(key)) {
    *v = std::move(value);
    return;
  }
  fields_.push_back({std::string(key), std::move(value)});
}

bool Event::erase(std::string_view key) {
  auto it = std::find_if(fields_.begin(), fields_.end(), [&](const Field& f) { return f.key == key; });
  if (it == fields_.end()) return false;
  fields_.erase(it);
  return true;
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
