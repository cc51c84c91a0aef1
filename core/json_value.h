// Any JSON document as a tree, for the API's requests and answers (the correlator reads request
// bodies, socctl and tests read answers). Events have their own flat, typed codec
// (core/json_codec.h); this one keeps nesting and arrays of objects, which the API uses.
//
// Parsing takes untrusted bytes: it never throws, bounds nesting and size, checks UTF-8 and
// refuses duplicate keys, and says where it stopped ("byte 17: ..."). Values are immutable after
// parsing and safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

namespace soc {

class JsonValue {
 public:
  enum class Type : uint8_t { Null, Bool, Number, String, Array, Object };
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;  // in document order

  JsonValue() = default;
  static JsonValue of_bool(bool b);
  static JsonValue of_number(double d);
  static JsonValue of_integer(int64_t i);
  static JsonValue of_string(std::string s);
  static JsonValue of_array(Array a);
  static JsonValue of_object(Object o);

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::Null; }
  bool is_bool() const { return type() == Type::Bool; }
  bool is_number() const { return type() == Type::Number; }
  bool is_string() const { return type() == Type::String; }
  bool is_array() const { return type() == Type::Array; }
  bool is_object() const { return type() == Type::Object; }
  // A number written without fraction or exponent that fits int64.
  bool is_integer() const { return is_number() && integral_; }

  // Accessors assert the type; check it first.
  bool as_bool() const { return std::get<bool>(v_); }
  double as_number() const { return std::get<double>(v_); }
  int64_t as_int() const { return int_; }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }

  // The member `key` of an object; nullptr when absent or when this is not an object.
  const JsonValue* find(std::string_view key) const;
  // Follows a path of member names ("rule", "name"); nullptr when any step is missing.
  const JsonValue* at(std::initializer_list<std::string_view> path) const;
  // The string at `key`, or `fallback` when absent or not a string.
  std::string string_or(std::string_view key, std::string_view fallback = {}) const;

  // The value as compact JSON text (numbers as read, strings escaped).
  std::string dump() const;

 private:
  std::variant<std::monostate, bool, double, std::string, Array, Object> v_;
  bool integral_ = false;
  int64_t int_ = 0;
};

struct JsonLimits {
  size_t max_bytes = 16 << 20;
  unsigned max_depth = 64;
};

// Parses one JSON document (surrounding whitespace allowed, nothing else after it). Error code
// "json", message "byte N: what is wrong".
Result<JsonValue> parse_json(std::string_view text, const JsonLimits& limits = {});

// Builds JSON text: objects and arrays nest, commas are placed for the caller.
//   JsonWriter w; w.begin_object().key("id").value(int64_t{42}).end_object(); w.str()
class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
  JsonWriter& value(int64_t n);
  JsonWriter& value(int n) { return value(static_cast<int64_t>(n)); }
  JsonWriter& value(uint64_t n);
  JsonWriter& value(bool b);
  JsonWriter& null();
  // Inserts text that is already JSON (an encoded event, a stored object).
  JsonWriter& raw(std::string_view json);
  // A string, or null when absent.
  JsonWriter& value_or_null(const std::optional<std::string>& s) { return s ? value(*s) : null(); }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();
  std::string out_;
  std::vector<bool> first_;  // per open container: nothing written in it yet
  bool after_key_ = false;
};

}  // namespace soc
