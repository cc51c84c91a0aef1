#include "core/json_value.h"

#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/json_codec.h"

namespace soc {

JsonValue JsonValue::of_bool(bool b) {
  JsonValue v;
  v.v_ = b;
  return v;
}

JsonValue JsonValue::of_number(double d) {
  JsonValue v;
  v.v_ = d;
  return v;
}

JsonValue JsonValue::of_integer(int64_t i) {
  JsonValue v;
  v.v_ = static_cast<double>(i);
  v.integral_ = true;
  v.int_ = i;
  return v;
}

JsonValue JsonValue::of_string(std::string s) {
  JsonValue v;
  v.v_ = std::move(s);
  return v;
}

JsonValue JsonValue::of_array(Array a) {
  JsonValue v;
  v.v_ = std::move(a);
  return v;
}

JsonValue JsonValue::of_object(Object o) {
  JsonValue v;
  v.v_ = std::move(o);
  return v;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const auto& [k, v] : as_object())
    if (k == key) return &v;
  return nullptr;
}

const JsonValue* JsonValue::at(std::initializer_list<std::string_view> path) const {
  const JsonValue* v = this;
  for (auto k : path) {
    v = v->find(k);
    if (!v) return nullptr;
  }
  return v;
}

std::string JsonValue::string_or(std::string_view key, std::string_view fallback) const {
  const JsonValue* v = find(key);
  return v && v->is_string() ? v->as_string() : std::string(fallback);
}

std::string JsonValue::dump() const {
  std::string out;
  switch (type()) {
    case Type::Null: out = "null"; break;
    case Type::Bool: out = as_bool() ? "true" : "false"; break;
    case Type::Number:
      out = integral_ ? std::to_string(int_) : fmt::format("{}", as_number());
      break;
    case Type::String: append_json_string(out, as_string()); break;
    case Type::Array: {
      out += '[';
      bool first = true;
      for (const auto& e : as_array()) {
        if (!first) out += ',';
        first = false;
        out += e.dump();
      }
      out += ']';
      break;
    }
    case Type::Object: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : as_object()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, k);
        out += ':';
        out += e.dump();
      }
      out += '}';
      break;
    }
  }
  return out;
}

namespace {

class Parser {
 public:
  Parser(std::string_view text, const JsonLimits& limits) : s_(text), limits_(limits) {}

  Result<JsonValue> run() {
    if (s_.size() > limits_.max_bytes)
      return fail("json", fmt::format("byte 0: the document is larger than {} bytes", limits_.max_bytes));
    JsonValue v;
    if (!value(v, 1)) return fail("json", error_);
    ws();
    if (pos_ != s_.size()) return fail("json", fmt::format("byte {}: unexpected text after the JSON value", pos_));
    return v;
  }

 private:
  bool err(std::string what) {
    if (error_.empty()) error_ = fmt::format("byte {}: {}", pos_, what);
    return false;
  }

  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }

  bool value(JsonValue& out, unsigned depth) {
    ws();
    if (pos_ >= s_.size()) return err(depth == 1 ? "empty document" : "the document ends inside a value");
    const char c = s_[pos_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      std::string str;
      if (!string(str)) return false;
      out = JsonValue::of_string(std::move(str));
      return true;
    }
    if (c == 't') return literal("true", out, JsonValue::of_bool(true));
    if (c == 'f') return literal("false", out, JsonValue::of_bool(false));
    if (c == 'n') return literal("null", out, JsonValue());
    if (c == '-' || (c >= '0' && c <= '9')) return number(out);
    return err(fmt::format("unexpected character '{}'", printable(c)));
  }

  static std::string printable(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f ? std::string(1, c) : fmt::format("\\x{:02x}", u);
  }

  bool literal(std::string_view word, JsonValue& out, JsonValue v) {
    if (s_.substr(pos_, word.size()) != word) return err("not a JSON value");
    pos_ += word.size();
    out = std::move(v);
    return true;
  }

  bool object(JsonValue& out, unsigned depth) {
    if (depth > limits_.max_depth) return err(fmt::format("nested deeper than {} levels", limits_.max_depth));
    ++pos_;
    JsonValue::Object members;
    ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      out = JsonValue::of_object(std::move(members));
      return true;
    }
    for (;;) {
      ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') return err("expected a member name in double quotes");
      std::string key;
      if (!string(key)) return false;
      for (const auto& [k, v] : members)
        if (k == key) return err(fmt::format("duplicate member \"{}\"", key));
      ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return err("expected ':' after a member name");
      ++pos_;
      JsonValue v;
      if (!value(v, depth + 1)) return false;
      members.emplace_back(std::move(key), std::move(v));
      ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        out = JsonValue::of_object(std::move(members));
        return true;
      }
      return err("expected ',' or '}' in an object");
    }
  }

  bool array(JsonValue& out, unsigned depth) {
    if (depth > limits_.max_depth) return err(fmt::format("nested deeper than {} levels", limits_.max_depth));
    ++pos_;
    JsonValue::Array items;
    ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      out = JsonValue::of_array(std::move(items));
      return true;
    }
    for (;;) {
      JsonValue v;
      if (!value(v, depth + 1)) return false;
      items.push_back(std::move(v));
      ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        out = JsonValue::of_array(std::move(items));
        return true;
      }
      return err("expected ',' or ']' in an array");
    }
  }

  bool number(JsonValue& out) {
    const size_t start = pos_;
    bool integral = true;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size() || !isdigit(s_[pos_])) return err("a number needs digits");
    if (s_[pos_] == '0' && pos_ + 1 < s_.size() && isdigit(s_[pos_ + 1])) return err("a number cannot start with 0");
    while (pos_ < s_.size() && isdigit(s_[pos_])) ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= s_.size() || !isdigit(s_[pos_])) return err("a fraction needs digits");
      while (pos_ < s_.size() && isdigit(s_[pos_])) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || !isdigit(s_[pos_])) return err("an exponent needs digits");
      while (pos_ < s_.size() && isdigit(s_[pos_])) ++pos_;
    }
    const std::string_view text = s_.substr(start, pos_ - start);
    if (integral) {
      int64_t i = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      if (ec == std::errc() && p == text.data() + text.size()) {
        out = JsonValue::of_integer(i);
        return true;
      }
    }
    const std::string copy(text);
    char* end = nullptr;
    const double d = std::strtod(copy.c_str(), &end);
    if (!std::isfinite(d)) return err("a number out of range");
    out = JsonValue::of_number(d);
    return true;
  }

  static bool isdigit(char c) { return c >= '0' && c <= '9'; }

  int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool hex4(uint32_t& cp) {
    if (pos_ + 4 > s_.size()) return err("a \\u escape needs four hex digits");
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex(s_[pos_ + static_cast<size_t>(i)]);
      if (h < 0) return err("a \\u escape needs four hex digits");
      cp = cp * 16 + static_cast<uint32_t>(h);
    }
    pos_ += 4;
    return true;
  }

  static void utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // The length of the UTF-8 sequence at pos_, 0 when it is not valid UTF-8.
  size_t utf8_length() const {
    const auto* p = reinterpret_cast<const unsigned char*>(s_.data() + pos_);
    const size_t left = s_.size() - pos_;
    const unsigned char c = p[0];
    size_t n;
    uint32_t min;
    if (c >= 0xC2 && c <= 0xDF) n = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, min = 0x10000;
    else return 0;
    if (left < n) return 0;
    uint32_t cp = c & (0xFF >> (n + 1));
    for (size_t i = 1; i < n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
  }

  bool string(std::string& out) {
    ++pos_;  // the opening quote
    for (;;) {
      if (pos_ >= s_.size()) return err("the document ends inside a string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return err("a control character in a string (escape it)");
      if (c == '\\') {
        if (++pos_ >= s_.size()) return err("the document ends inside a string");
        const char e = s_[pos_++];
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
            uint32_t cp;
            if (!hex4(cp)) return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              uint32_t lo;
              if (s_.substr(pos_, 2) != "\\u") return err("a lone surrogate in a \\u escape");
              pos_ += 2;
              if (!hex4(lo)) return false;
              if (lo < 0xDC00 || lo > 0xDFFF) return err("a lone surrogate in a \\u escape");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return err("a lone surrogate in a \\u escape");
            }
            utf8(out, cp);
            break;
          }
          default: --pos_; return err(fmt::format("unknown escape '\\{}'", printable(e)));
        }
        continue;
      }
      if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      const size_t n = utf8_length();
      if (n == 0) return err("bytes that are not UTF-8");
      out.append(s_.data() + pos_, n);
      pos_ += n;
    }
  }

  std::string_view s_;
  JsonLimits limits_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace

Result<JsonValue> parse_json(std::string_view text, const JsonLimits& limits) { return Parser(text, limits).run(); }

// --- JsonWriter --------------------------------------------------------------------------------

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::begin_object() {
  separate();
  out_ += '{';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  out_ += '}';
  first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  separate();
  out_ += '[';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  out_ += ']';
  first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  separate();
  append_json_string(out_, k);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  separate();
  append_json_string(out_, s);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t n) {
  separate();
  out_ += std::to_string(n);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t n) {
  separate();
  out_ += std::to_string(n);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

}  // namespace soc
