// JSON documents as trees, for what is not a flat event (core/json_codec.h reads those): the
// HTTP API's requests and answers (the correlator reads acknowledgements, socctl and the tests
// read answers) and the compliance report's JSON (socctl report verify, socctl report --api).
//
// parse() takes untrusted bytes: it never throws, never reads out of bounds, bounds its depth,
// its input and its node count, checks UTF-8, and says where it stopped (byte offset, line and
// column) and why. Objects keep their members in document order; a key written twice is refused
// (RFC 8259 leaves it undefined, and a report with two "status" members must not be read either
// way). Numbers are int64 when written as integers that fit, else double.
//
// Writer produces the project's canonical JSON text: members in the order written, two-space
// indentation, strings escaped as json_codec does (append_json_string); a compact object or
// array is written on one line. Same calls, same bytes. Layout::Dense writes no whitespace at
// all (API answers, one event per line). Values are immutable after parsing and safe to share
// between threads.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.h"

namespace soc::json {

class Node;
using Array = std::vector<Node>;
using Member = std::pair<std::string, Node>;
using Object = std::vector<Member>;

class Node {
 public:
  enum class Kind { Null, Bool, Int, Float, String, Array, Object };

  Node() = default;
  explicit Node(bool b) : v_(b) {}
  explicit Node(int64_t i) : v_(i) {}
  explicit Node(double d) : v_(d) {}
  explicit Node(std::string s) : v_(std::move(s)) {}
  explicit Node(Array a) : v_(std::move(a)) {}
  explicit Node(Object o) : v_(std::move(o)) {}

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  bool is_null() const { return kind() == Kind::Null; }
  bool is_bool() const { return kind() == Kind::Bool; }
  bool is_int() const { return kind() == Kind::Int; }
  bool is_number() const { return kind() == Kind::Int || kind() == Kind::Float; }
  bool is_string() const { return kind() == Kind::String; }
  bool is_array() const { return kind() == Kind::Array; }
  bool is_object() const { return kind() == Kind::Object; }

  // Accessors assert the kind.
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_double() const { return is_int() ? static_cast<double>(as_int()) : std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& items() const { return std::get<Array>(v_); }
  const Object& members() const { return std::get<Object>(v_); }
  Array& items() { return std::get<Array>(v_); }
  Object& members() { return std::get<Object>(v_); }

  // The member `key` of an object; nullptr when absent or when this is not an object.
  const Node* find(std::string_view key) const;
  // Follows a path of member names ("rule", "name"); nullptr when any step is missing.
  const Node* at(std::initializer_list<std::string_view> path) const;
  // The string at `key`, or `fallback` when absent or not a string.
  std::string string_or(std::string_view key, std::string_view fallback = {}) const;

  // The value as dense JSON text (Layout::Dense): members in order, strings escaped.
  std::string dump() const;

  // Where the value started in the parsed text (0 for built nodes).
  size_t offset() const { return offset_; }
  void set_offset(size_t o) { offset_ = o; }

  static std::string_view kind_name(Kind k);  // "null", "boolean", "integer", "number", ...

 private:
  std::variant<std::monostate, bool, int64_t, double, std::string, Array, Object> v_;
  size_t offset_ = 0;
};

struct ParseLimits {
  size_t max_bytes = size_t(1) << 30;
  unsigned max_depth = 64;
  size_t max_nodes = 50'000'000;
};

struct ParseError {
  size_t offset = 0;  // byte offset in the text
  int line = 0;       // 1-based
  int column = 0;     // 1-based, in bytes
  std::string message;
  // "LINE:COLUMN: MESSAGE"
  std::string where_and_what() const;
};

Result<Node, ParseError> parse(std::string_view text, const ParseLimits& limits = {});

// Line and column (1-based) of byte `offset` in `text`.
std::pair<int, int> line_column(std::string_view text, size_t offset);

class Writer {
 public:
  enum class Layout { Indented, Dense };
  explicit Writer(Layout layout = Layout::Indented) : dense_(layout == Layout::Dense) {}

  // Containers: `compact` writes this one and everything in it on one line.
  Writer& begin_object(bool compact = false);
  Writer& end_object();
  Writer& begin_array(bool compact = false);
  Writer& end_array();
  // The next member's key (inside an object).
  Writer& key(std::string_view k);
  Writer& value(std::string_view s);
  Writer& value(const char* s) { return value(std::string_view(s)); }
  Writer& value(const std::string& s) { return value(std::string_view(s)); }
  Writer& value(int64_t i);
  Writer& value(int i) { return value(static_cast<int64_t>(i)); }
  Writer& value(uint64_t i);
  Writer& value(bool b);
  Writer& null();
  // A string, or null when absent.
  Writer& value(const std::optional<std::string>& s);
  // A tree, in this writer's layout.
  Writer& value(const Node& n);
  // Inserts text that is already JSON (an encoded event, a stored object), as it is.
  Writer& raw(std::string_view json);

  // The text so far.
  const std::string& str() const { return out_; }
  // The text, complete once every container is closed. Indented text ends with a newline.
  std::string take();

 private:
  void before_value();
  void separate();
  void newline();
  struct Scope {
    bool object = false;
    bool compact = false;
    bool empty = true;
  };
  std::string out_;
  std::vector<Scope> scopes_;
  bool after_key_ = false;
  bool dense_ = false;
};

}  // namespace soc::json
