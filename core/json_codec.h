// The JSON codec of events: one JSON object per event (JSON lines on disk, on the wire and on
// stdout). Decoding takes untrusted bytes: it never throws, never reads out of bounds, bounds its
// recursion and its output, and says why it refused an input. Nested objects are flattened to
// dotted keys ({"source":{"ip":..}} -> "source.ip"); null members are dropped; arrays hold scalars.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/result.h"

namespace soc {

// Why an input was refused. The reason strings (to_string) are stable: they are metric labels.
enum class DecodeError : uint8_t {
  Empty,           // nothing but whitespace
  TooLarge,        // more bytes than DecodeLimits::max_bytes
  Truncated,       // input ended inside a value
  Syntax,          // not JSON
  InvalidUtf8,     // bytes that are not UTF-8, or an escaped lone surrogate
  TooDeep,         // objects nested deeper than DecodeLimits::max_depth
  NotObject,       // the top-level value is not an object
  NestedArray,     // an array holding arrays or objects
  BadNumber,       // a number out of range (integers beyond int64, floats beyond double)
  BadKey,          // an empty key, or a key longer than DecodeLimits::max_key_bytes
  DuplicateKey,    // the same (flattened) key twice
  TooManyFields,   // more fields than DecodeLimits::max_fields
  WrongType,       // a documented field with a value of another type (docs/fields.md)
  MissingField,    // a required field is absent (check_required)
};
inline constexpr size_t kDecodeErrorCount = 14;

std::string_view to_string(DecodeError e);

struct DecodeFailure {
  DecodeError code;
  size_t offset;       // byte offset in the input where the problem was seen
  std::string detail;  // e.g. the field name and what was expected
  // "wrong_type at byte 17: source.ip: expected ip, got \"x\""
  std::string message() const;
};

struct DecodeLimits {
  size_t max_bytes = 1 << 20;
  unsigned max_depth = 8;       // nesting of objects; the top-level object is depth 1
  size_t max_fields = 1024;
  size_t max_key_bytes = 256;
  size_t max_list_items = 4096;
};

// Decodes one JSON object into `out` (cleared first). On failure `out` is left unspecified.
std::optional<DecodeFailure> decode_event_into(std::string_view json, Event& out,
                                               const DecodeLimits& limits = {});
Result<Event, DecodeFailure> decode_event(std::string_view json, const DecodeLimits& limits = {});

// The first required field (docs/fields.md) that `event` lacks, other than those the correlator
// sets itself (observer.name, site.id); nullopt when none is missing.
std::optional<std::string_view> missing_required_field(const Event& event);

// Appends the event as one JSON object (no newline). Always valid JSON: invalid UTF-8 in strings
// is replaced by U+FFFD, non-finite floats become null.
void encode_event(const Event& event, std::string& out);
std::string encode_event(const Event& event);

// Appends `s` as a JSON string literal (with quotes), under the same rules.
void append_json_string(std::string& out, std::string_view s);

}  // namespace soc
