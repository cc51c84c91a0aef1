#include "core/value.h"

#include <fmt/core.h>

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
  switch (type()) {
    case ValueType::String: return as_string();
    case ValueType::Int: return fmt::format("{}", as_int());
    case ValueType::Float: return fmt::format("{}", as_float());
    case ValueType::Bool: return as_bool() ? "true" : "false";
    case ValueType::Ip: return as_ip().to_string();
    case ValueType::Timestamp: return format_rfc3339(as_timestamp());
    case ValueType::List: {
      std::string out;
      for (const auto& v : as_list()) {
        if (!out.empty()) out += ',';
        out += v.to_text();
      }
      return out;
    }
  }
  return {};
}

}  // namespace soc
