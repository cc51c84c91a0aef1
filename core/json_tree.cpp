#include "core/json_tree.h"

#include <fmt/format.h>

#include <cassert>
#include <charconv>
#include <cmath>

#include "core/json_codec.h"
#include "core/utf8.h"

namespace soc::json {

namespace {

class Parser {
 public:
  Parser(std::string_view text, const ParseLimits& limits) : text_(text), limits_(limits) {}

  Result<Node, ParseError> run() {
    if (text_.size() > limits_.max_bytes)
      return fail(error_at(limits_.max_bytes, fmt::format("more than {} bytes", limits_.max_bytes)));
    skip_space();
    Node root;
    if (!value(root, 1)) return fail(std::move(error_));
    skip_space();
    if (pos_ != text_.size()) return fail(error_at(pos_, "unexpected text after the JSON value"));
    return root;
  }

 private:
  ParseError error_at(size_t offset, std::string message) const {
    auto [line, column] = line_column(text_, offset);
    return {offset, line, column, std::move(message)};
  }
  bool stop(std::string message) {
    error_ = error_at(pos_, std::move(message));
    return false;
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return stop("expected a JSON value");
    pos_ += word.size();
    return true;
  }

  bool value(Node& out, unsigned depth) {
    if (++nodes_ > limits_.max_nodes) return stop(fmt::format("more than {} values", limits_.max_nodes));
    if (pos_ >= text_.size()) return stop("the text ends where a value is expected");
    const size_t start = pos_;
    bool ok = false;
    switch (text_[pos_]) {
      case '{':
        ok = object(out, depth);
        break;
      case '[':
        ok = array(out, depth);
        break;
      case '"': {
        std::string s;
        ok = string(s);
        if (ok) out = Node(std::move(s));
        break;
      }
      case 't':
        ok = literal("true");
        if (ok) out = Node(true);
        break;
      case 'f':
        ok = literal("false");
        if (ok) out = Node(false);
        break;
      case 'n':
        ok = literal("null");
        if (ok) out = Node();
        break;
      default:
        ok = number(out);
    }
    out.set_offset(start);
    return ok;
  }

  bool object(Node& out, unsigned depth) {
    if (depth > limits_.max_depth) return stop(fmt::format("nested deeper than {}", limits_.max_depth));
    ++pos_;
    Object members;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      out = Node(std::move(members));
      return true;
    }
    while (true) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '"') return stop("expected a member name in quotes");
      const size_t key_at = pos_;
      std::string key;
      if (!string(key)) return false;
      for (const auto& m : members)
        if (m.first == key) {
          pos_ = key_at;
          return stop(fmt::format("member \"{}\" written twice", key));
        }
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != ':') return stop("expected ':' after a member name");
      ++pos_;
      skip_space();
      Node v;
      if (!value(v, depth + 1)) return false;
      members.emplace_back(std::move(key), std::move(v));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        out = Node(std::move(members));
        return true;
      }
      return stop("expected ',' or '}' in an object");
    }
  }

  bool array(Node& out, unsigned depth) {
    if (depth > limits_.max_depth) return stop(fmt::format("nested deeper than {}", limits_.max_depth));
    ++pos_;
    Array items;
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      out = Node(std::move(items));
      return true;
    }
    while (true) {
      skip_space();
      Node v;
      if (!value(v, depth + 1)) return false;
      items.push_back(std::move(v));
      skip_space();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        out = Node(std::move(items));
        return true;
      }
      return stop("expected ',' or ']' in an array");
    }
  }

  bool hex4(uint32_t& cp) {
    if (pos_ + 4 > text_.size()) return stop("a \\u escape needs four hex digits");
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_ + static_cast<size_t>(i)];
      cp <<= 4;
      if (c >= '0' && c <= '9') cp |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') cp |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') cp |= static_cast<uint32_t>(c - 'A' + 10);
      else return stop("a \\u escape needs four hex digits");
    }
    pos_ += 4;
    return true;
  }

  bool string(std::string& out) {
    ++pos_;  // the opening quote
    const auto* base = reinterpret_cast<const unsigned char*>(text_.data());
    const auto* end = base + text_.size();
    while (true) {
      if (pos_ >= text_.size()) return stop("the text ends inside a string");
      const unsigned char c = base[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return stop("a control character inside a string");
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) return stop("the text ends inside a string");
        const char e = text_[pos_ + 1];
        pos_ += 2;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            uint32_t cp = 0;
            if (!hex4(cp)) return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              uint32_t low = 0;
              if (text_.substr(pos_, 2) != "\\u") return stop("a lone surrogate in a \\u escape");
              pos_ += 2;
              if (!hex4(low)) return false;
              if (low < 0xDC00 || low > 0xDFFF) return stop("a lone surrogate in a \\u escape");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return stop("a lone surrogate in a \\u escape");
            }
            utf8::append(out, cp);
            break;
          }
          default:
            pos_ -= 2;
            return stop("an unknown escape in a string");
        }
        continue;
      }
      const size_t n = utf8::sequence_length(base + pos_, end);
      if (n == 0) return stop("bytes that are not UTF-8 in a string");
      out.append(text_.substr(pos_, n));
      pos_ += n;
    }
  }

  bool number(Node& out) {
    const size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    const size_t digits = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == digits) {
      pos_ = start;
      return stop("expected a JSON value");
    }
    if (text_[digits] == '0' && pos_ - digits > 1) {
      pos_ = start;
      return stop("a number with a leading zero");
    }
    bool integer = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integer = false;
      ++pos_;
      const size_t frac = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == frac) return stop("a number without digits after '.'");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integer = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      const size_t exp = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == exp) return stop("a number without digits in its exponent");
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integer) {
      int64_t i = 0;
      auto [p, ec] = std::from_chars(first, last, i);
      if (ec == std::errc() && p == last) {
        out = Node(i);
        return true;
      }
    }
    double d = 0;
    auto [p, ec] = std::from_chars(first, last, d);
    if (ec != std::errc() || p != last || !std::isfinite(d)) {
      pos_ = start;
      return stop("a number out of range");
    }
    out = Node(d);
    return true;
  }

  std::string_view text_;
  ParseLimits limits_;
  size_t pos_ = 0;
  size_t nodes_ = 0;
  ParseError error_;
};

}  // namespace

const Node* Node::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : members())
    if (k == key) return &v;
  return nullptr;
}

const Node* Node::at(std::initializer_list<std::string_view> path) const {
  const Node* n = this;
  for (auto k : path)
    if (!(n = n->find(k))) return nullptr;
  return n;
}

std::string Node::string_or(std::string_view key, std::string_view fallback) const {
  const Node* n = find(key);
  return n && n->is_string() ? n->as_string() : std::string(fallback);
}

std::string Node::dump() const {
  Writer w(Writer::Layout::Dense);
  w.value(*this);
  return w.take();
}

std::string_view Node::kind_name(Kind k) {
  switch (k) {
    case Kind::Null: return "null";
    case Kind::Bool: return "boolean";
    case Kind::Int: return "integer";
    case Kind::Float: return "number";
    case Kind::String: return "string";
    case Kind::Array: return "array";
    case Kind::Object: return "object";
  }
  return "value";
}

std::string ParseError::where_and_what() const { return fmt::format("{}:{}: {}", line, column, message); }

std::pair<int, int> line_column(std::string_view text, size_t offset) {
  int line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

Result<Node, ParseError> parse(std::string_view text, const ParseLimits& limits) { return Parser(text, limits).run(); }

// --- Writer -----------------------------------------------------------------------------------

void Writer::newline() {
  out_ += '\n';
  out_.append(2 * scopes_.size(), ' ');
}

// The comma (and line break) before a member or an item of the innermost container.
void Writer::separate() {
  Scope& s = scopes_.back();
  if (!s.empty) out_ += dense_ ? "," : s.compact ? ", " : ",";
  if (!dense_ && !s.compact) newline();
  s.empty = false;
}

void Writer::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (scopes_.empty()) return;
  assert(!scopes_.back().object);  // a value in an object needs a key first
  separate();
}

Writer& Writer::key(std::string_view k) {
  assert(!scopes_.empty() && scopes_.back().object && !after_key_);
  separate();
  append_json_string(out_, k);
  out_ += dense_ ? ":" : ": ";
  after_key_ = true;
  return *this;
}

Writer& Writer::begin_object(bool compact) {
  before_value();
  const bool inherit = !scopes_.empty() && scopes_.back().compact;
  out_ += '{';
  scopes_.push_back({true, compact || inherit, true});
  return *this;
}

Writer& Writer::end_object() {
  assert(!scopes_.empty() && scopes_.back().object && !after_key_);
  const Scope s = scopes_.back();
  scopes_.pop_back();
  if (!s.empty && !s.compact && !dense_) newline();
  out_ += '}';
  return *this;
}

Writer& Writer::begin_array(bool compact) {
  before_value();
  const bool inherit = !scopes_.empty() && scopes_.back().compact;
  out_ += '[';
  scopes_.push_back({false, compact || inherit, true});
  return *this;
}

Writer& Writer::end_array() {
  assert(!scopes_.empty() && !scopes_.back().object);
  const Scope s = scopes_.back();
  scopes_.pop_back();
  if (!s.empty && !s.compact && !dense_) newline();
  out_ += ']';
  return *this;
}

Writer& Writer::value(std::string_view s) {
  before_value();
  append_json_string(out_, s);
  return *this;
}

Writer& Writer::value(int64_t i) {
  before_value();
  fmt::format_to(std::back_inserter(out_), "{}", i);
  return *this;
}

Writer& Writer::value(uint64_t i) {
  before_value();
  fmt::format_to(std::back_inserter(out_), "{}", i);
  return *this;
}

Writer& Writer::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
  return *this;
}

Writer& Writer::null() {
  before_value();
  out_ += "null";
  return *this;
}

Writer& Writer::value(const std::optional<std::string>& s) { return s ? value(std::string_view(*s)) : null(); }

Writer& Writer::value(const Node& n) {
  switch (n.kind()) {
    case Node::Kind::Null: return null();
    case Node::Kind::Bool: return value(n.as_bool());
    case Node::Kind::Int: return value(n.as_int());
    case Node::Kind::Float: {
      const double d = n.as_double();
      if (!std::isfinite(d)) return null();  // only a built node can hold one: JSON has no inf/NaN
      before_value();
      fmt::format_to(std::back_inserter(out_), "{}", d);
      return *this;
    }
    case Node::Kind::String: return value(std::string_view(n.as_string()));
    case Node::Kind::Array:
      begin_array();
      for (const auto& item : n.items()) value(item);
      return end_array();
    case Node::Kind::Object:
      begin_object();
      for (const auto& [k, v] : n.members()) {
        key(k);
        value(v);
      }
      return end_object();
  }
  return *this;
}

Writer& Writer::raw(std::string_view json) {
  before_value();
  out_ += json;
  return *this;
}

std::string Writer::take() {
  assert(scopes_.empty());
  if (!dense_) out_ += '\n';
  return std::move(out_);
}

}  // namespace soc::json
