// A typed field value of an event: string, integer, float, boolean, IP address, timestamp, or a
// list of those (lists do not nest). Values are small and copyable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/ip_address.h"

namespace soc {

enum class ValueType : uint8_t { String, Int, Float, Bool, Ip, Timestamp, List };

std::string_view to_string(ValueType t);

class Value;
using List = std::vector<Value>;

class Value {
 public:
  Value() : v_(std::string()) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(int64_t i) : v_(i) {}
  Value(int i) : v_(static_cast<int64_t>(i)) {}
  Value(uint32_t i) : v_(static_cast<int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(bool b) : v_(b) {}
  Value(IpAddress ip) : v_(ip) {}
  Value(Timestamp t) : v_(t) {}
  Value(List l) : v_(std::move(l)) {}

  ValueType type() const { return static_cast<ValueType>(v_.index()); }

  // Makes the value an empty list and returns it, reusing the capacity it already has when it
  // is a list.
  List& reset_list() {
    if (auto* l = std::get_if<List>(&v_)) {
      l->clear();
      return *l;
    }
    return v_.emplace<List>();
  }

  // Makes the value the string `s`, reusing the capacity it already has when it is a string.
  void set_string(std::string_view s) {
    if (auto* str = std::get_if<std::string>(&v_)) str->assign(s.data(), s.size());
    else v_ = std::string(s);
  }

  bool is_string() const { return type() == ValueType::String; }
  bool is_int() const { return type() == ValueType::Int; }
  bool is_float() const { return type() == ValueType::Float; }
  bool is_bool() const { return type() == ValueType::Bool; }
  bool is_ip() const { return type() == ValueType::Ip; }
  bool is_timestamp() const { return type() == ValueType::Timestamp; }
  bool is_list() const { return type() == ValueType::List; }

  // Accessors assert the type; check it first.
  const std::string& as_string() const { return std::get<std::string>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_float() const { return std::get<double>(v_); }
  bool as_bool() const { return std::get<bool>(v_); }
  const IpAddress& as_ip() const { return std::get<IpAddress>(v_); }
  Timestamp as_timestamp() const { return std::get<Timestamp>(v_); }
  const List& as_list() const { return std::get<List>(v_); }

  // The value as text, the way it appears in JSON for scalars (strings unquoted); lists are
  // joined with ",". For display and for matching rules against text.
  std::string to_text() const;
  // Appends to_text() to `out`, without a temporary string for strings, integers and addresses
  // (group keys and evidence ids are built from them for every event a correlation counts).
  void append_text(std::string& out) const;

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

 private:
  // Order matches ValueType.
  std::variant<std::string, int64_t, double, bool, IpAddress, Timestamp, List> v_;
};

}  // namespace soc
