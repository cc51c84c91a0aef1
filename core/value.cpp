#include "core/value.h"

#include <fmt/format.h>

#include <charconv>
#include <iterator>

namespace soc {

std::string_view to_string(ValueType t) {
  switch (t) {
    case ValueType::String: return "string";
    case ValueType::Int: return "integer";
    case ValueType::Float: return "float";
    case ValueType::Bool: return "boolean";
    case ValueType::Ip: return "ip";
    case ValueType::Timestamp: return "timestamp";
    case ValueType::List: return "list";
  }
  return "?";
}

std::string Value::to_text() const {
  if (is_string()) return as_string();
  std::string out;
  append_text(out);
  return out;
}

void Value::append_text(std::string& out) const {
  switch (type()) {
    case ValueType::String: out += as_string(); return;
    case ValueType::Int: {
      char digits[24];
      auto [end, ec] = std::to_chars(digits, digits + sizeof digits, as_int());
      out.append(digits, end);
      return;
    }
    case ValueType::Float: fmt::format_to(std::back_inserter(out), "{}", as_float()); return;
    case ValueType::Bool: out += as_bool() ? "true" : "false"; return;
    case ValueType::Ip: as_ip().append_to(out); return;
    case ValueType::Timestamp: out += format_rfc3339(as_timestamp()); return;
    case ValueType::List: {
      const size_t start = out.size();
      for (const auto& v : as_list()) {
        if (out.size() > start) out += ',';
        v.append_text(out);
      }
      return;
    }
  }
}

}  // namespace soc
