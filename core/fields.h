// The documented field list (docs/fields.md). The JSON decoder types the values of these fields
// (an "ip" field holds an IpAddress, a "timestamp" field a Timestamp) and refuses a value of
// the wrong type; fields not listed here are kept with the type their JSON value has.
#pragma once

#include <span>
#include <string_view>

#include "core/value.h"

namespace soc {

struct FieldSpec {
  std::string_view name;
  ValueType type;      // for lists: the element type
  bool list;           // a list of `type`; a single value is normalised to a one-element list
  bool required;       // every event carries it (checked on ingest)
  std::string_view description;
};

// All documented fields, in documentation order.
std::span<const FieldSpec> field_specs();

// The spec of `name`, or nullptr when the field is not documented. O(1) average.
const FieldSpec* find_field_spec(std::string_view name);

}  // namespace soc
