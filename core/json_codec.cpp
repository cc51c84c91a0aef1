#include "core/json_codec.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/fields.h"
#include "core/utf8.h"

namespace soc {

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::Empty: return "empty";
    case DecodeError::TooLarge: return "too_large";
    case DecodeError::Truncated: return "truncated";
    case DecodeError::Syntax: return "syntax";
    case DecodeError::InvalidUtf8: return "invalid_utf8";
    case DecodeError::TooDeep: return "too_deep";
    case DecodeError::NotObject: return "not_object";
    case DecodeError::NestedArray: return "nested_array";
    case DecodeError::BadNumber: return "bad_number";
    case DecodeError::BadKey: return "bad_key";
    case DecodeError::DuplicateKey: return "duplicate_key";
    case DecodeError::TooManyFields: return "too_many_fields";
    case DecodeError::WrongType: return "wrong_type";
    case DecodeError::MissingField: return "missing_field";
  }
  return "unknown";
}

std::string DecodeFailure::message() const {
  if (detail.empty()) return fmt::format("{} at byte {}", to_string(code), offset);
  return fmt::format("{} at byte {}: {}", to_string(code), offset, detail);
}

namespace {

// Skips the bytes that a JSON string holds as they are: printable ASCII other than '"' and '\\'.
// Sixteen bytes at a time with SSE2 (every x86-64 has it; one signed compare flags both the
// control bytes and those at or above 0x80), else and for short texts eight at a time (SWAR): a
// word is plain when none of its bytes is below 0x20, at or above 0x80, a quote or a backslash.
// The first flagged byte is exact (SWAR borrows only move upwards), so the loop stops on it and
// the caller handles it.
inline const unsigned char* skip_plain(const unsigned char* p, const unsigned char* end) {
#if defined(__SSE2__)
  if (end - p >= 16) {
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
    auto flagged = [&](const unsigned char* at) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
      const __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, space),
                                       _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
      return static_cast<unsigned>(_mm_movemask_epi8(bad));
    };
    while (end - p >= 16) {
      if (const unsigned m = flagged(p)) return p + __builtin_ctz(m);
      p += 16;
    }
    if (p == end) return end;
    // The last bytes: the sixteen that end at `end`. Those before p are plain (checked above),
    // so the first flagged one is the first at or after p.
    const unsigned m = flagged(end - 16);
    return m ? end - 16 + __builtin_ctz(m) : end;
  }
#endif
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  auto specials = [&](uint64_t w) {
    return has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\')) | ((w - kOnes * 0x20) & ~w & kHigh) |
           (w & kHigh);
  };
  const unsigned char* const start = p;
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (const uint64_t special = specials(w)) {
      p += __builtin_ctzll(special) / 8;
      return p;
    }
    p += 8;
  }
  // The last bytes: the word that ends at `end`, when the text has eight bytes. Its bytes
  // before p are plain (checked above), so its first flagged byte is the first at or after p.
  if (p < end && end - start >= 8) {
    uint64_t w;
    std::memcpy(&w, end - 8, 8);
    const uint64_t special = specials(w);
    return special ? end - 8 + __builtin_ctzll(special) / 8 : end;
  }
  while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') ++p;
  return p;
}

// A scalar as read from JSON, before it is typed by the field list.
struct Scalar {
  enum Kind { String, Int, Float, Bool, Null } kind = Null;
  std::string_view text;  // String: unescaped text (the parser's scratch); Int/Float: the literal
  int64_t i = 0;
  double d = 0;
  bool b = false;
};

class Parser {
 public:
  Parser(std::string_view in, Event& out, const DecodeLimits& limits)
      : p_(reinterpret_cast<const unsigned char*>(in.data())),
        begin_(p_),
        end_(p_ + in.size()),
        out_(out),
        limits_(limits) {}

  std::optional<DecodeFailure> run() {
    skip_ws();
    if (p_ == end_) return fail(DecodeError::Empty, "");
    if (*p_ != '{') return fail(DecodeError::NotObject, "the event must be a JSON object");
    prefix_.clear();
    if (!parse_object(prefix_, 1)) return failure_;
    skip_ws();
    if (p_ != end_) return fail(DecodeError::Syntax, "characters after the object");
    if (!check_duplicates()) return failure_;
    return std::nullopt;
  }

 private:
  std::optional<DecodeFailure> fail(DecodeError code, std::string detail) {
    if (!failure_) failure_ = DecodeFailure{code, static_cast<size_t>(p_ - begin_), std::move(detail)};
    return failure_;
  }
  bool error(DecodeError code, std::string detail = {}) {
    fail(code, std::move(detail));
    return false;
  }
  bool eof_error() { return error(DecodeError::Truncated, "input ended inside a value"); }

  void skip_ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  bool expect(char c) {
    skip_ws();
    if (p_ == end_) return eof_error();
    if (*p_ != static_cast<unsigned char>(c)) {
      return error(DecodeError::Syntax, fmt::format("expected '{}'", c));
    }
    ++p_;
    return true;
  }

  // p_ at '{'.
  bool parse_object(std::string& prefix, unsigned depth) {
    if (depth > limits_.max_depth) {
      return error(DecodeError::TooDeep, fmt::format("objects nested deeper than {}", limits_.max_depth));
    }
    ++p_;
    skip_ws();
    if (p_ == end_) return eof_error();
    if (*p_ == '}') {
      ++p_;
      return true;
    }
    const size_t prefix_len = prefix.size();
    while (true) {
      skip_ws();
      if (p_ == end_) return eof_error();
      if (*p_ != '"') return error(DecodeError::Syntax, "expected a key string");
      if (!parse_string(key_)) return false;
      if (key_.empty()) return error(DecodeError::BadKey, "empty key");
      if (prefix_len) prefix += '.';
      prefix += key_;
      if (prefix.size() > limits_.max_key_bytes) {
        return error(DecodeError::BadKey, fmt::format("key longer than {} bytes", limits_.max_key_bytes));
      }
      if (!expect(':')) return false;
      skip_ws();
      if (p_ == end_) return eof_error();
      if (*p_ == '{') {
        if (!parse_object(prefix, depth + 1)) return false;
      } else if (*p_ == '[') {
        if (!parse_array(prefix)) return false;
      } else {
        Scalar s;
        if (!parse_scalar(s)) return false;
        if (!add_scalar(prefix, s)) return false;
      }
      prefix.resize(prefix_len);
      skip_ws();
      if (p_ == end_) return eof_error();
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      return error(DecodeError::Syntax, "expected ',' or '}'");
    }
  }

  // p_ at '['.
  bool parse_array(const std::string& key) {
    const FieldSpec* spec = find_field_spec(key);
    if (spec && !spec->list) {
      return error(DecodeError::WrongType, fmt::format("{}: expected {}, got a list", key, to_string(spec->type)));
    }
    if (!room_for_field()) return false;
    // Items go straight into the field's list, which keeps its capacity from event to event.
    List& items = out_.append_unchecked(key).reset_list();
    ++p_;
    skip_ws();
    if (p_ == end_) return eof_error();
    if (*p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      skip_ws();
      if (p_ == end_) return eof_error();
      if (*p_ == '[' || *p_ == '{') {
        return error(DecodeError::NestedArray, fmt::format("{}: arrays may hold only scalars", key));
      }
      Scalar s;
      if (!parse_scalar(s)) return false;
      if (items.size() >= limits_.max_list_items) {
        return error(DecodeError::TooManyFields, fmt::format("{}: more than {} list items", key, limits_.max_list_items));
      }
      if (s.kind != Scalar::Null) {
        items.emplace_back();
        if (!type_into(spec, key, s, items.back())) return false;
      }
      skip_ws();
      if (p_ == end_) return eof_error();
      if (*p_ == ',') {
        ++p_;
        continue;
      }
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      return error(DecodeError::Syntax, "expected ',' or ']'");
    }
  }

  bool room_for_field() {
    if (out_.size() < limits_.max_fields) return true;
    return error(DecodeError::TooManyFields, fmt::format("more than {} fields", limits_.max_fields));
  }

  bool add_scalar(const std::string& key, const Scalar& s) {
    if (s.kind == Scalar::Null) return true;  // null means absent
    if (!room_for_field()) return false;
    const FieldSpec* spec = find_field_spec(key);
    if (spec && spec->list) {
      List& items = out_.append_unchecked(key).reset_list();
      items.emplace_back();
      return type_into(spec, key, s, items.back());
    }
    return type_into(spec, key, s, out_.append_unchecked(key));
  }

  // Gives a JSON scalar the type the field list documents for `key` (spec may be null), in `out`.
  bool type_into(const FieldSpec* spec, const std::string& key, const Scalar& s, Value& out) {
    if (!spec) {
      switch (s.kind) {
        case Scalar::String: out.set_string(s.text); return true;
        case Scalar::Int: out = Value(s.i); return true;
        case Scalar::Float: out = Value(s.d); return true;
        case Scalar::Bool: out = Value(s.b); return true;
        case Scalar::Null: break;
      }
      return true;
    }
    auto wrong = [&](std::string_view got) {
      return error(DecodeError::WrongType, fmt::format("{}: expected {}, got {}", key, to_string(spec->type), got));
    };
    switch (spec->type) {
      case ValueType::String:
        // Numbers and booleans in keyword fields (event.code: 4625) are kept as their text.
        if (s.kind == Scalar::String || s.kind == Scalar::Int || s.kind == Scalar::Float) {
          out.set_string(s.text);
          return true;
        }
        if (s.kind == Scalar::Bool) {
          out.set_string(s.b ? "true" : "false");
          return true;
        }
        break;
      case ValueType::Int:
        if (s.kind == Scalar::Int) {
          out = Value(s.i);
          return true;
        }
        return wrong(s.kind == Scalar::String ? "a string" : s.kind == Scalar::Float ? "a fraction" : "a boolean");
      case ValueType::Float:
        if (s.kind == Scalar::Float || s.kind == Scalar::Int) {
          out = Value(s.kind == Scalar::Float ? s.d : static_cast<double>(s.i));
          return true;
        }
        return wrong(s.kind == Scalar::String ? "a string" : "a boolean");
      case ValueType::Bool:
        if (s.kind == Scalar::Bool) {
          out = Value(s.b);
          return true;
        }
        return wrong("a non-boolean");
      case ValueType::Ip:
        if (s.kind == Scalar::String) {
          if (auto ip = IpAddress::parse(s.text)) {
            out = Value(*ip);
            return true;
          }
          return wrong(fmt::format("\"{}\"", s.text.substr(0, 64)));
        }
        return wrong("a non-string");
      case ValueType::Timestamp:
        if (s.kind == Scalar::String) {
          if (auto t = parse_rfc3339(s.text)) {
            out = Value(*t);
            return true;
          }
          return wrong(fmt::format("\"{}\" (RFC 3339 required)", s.text.substr(0, 64)));
        }
        return wrong("a non-string (RFC 3339 required)");
      case ValueType::List:
        break;
    }
    return wrong("another type");
  }

  bool parse_scalar(Scalar& s) {
    const unsigned char c = *p_;
    if (c == '"') {
      s.kind = Scalar::String;
      if (!parse_string(text_)) return false;
      s.text = text_;
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(s);
    if (c == 't') return literal("true", s, Scalar::Bool, true);
    if (c == 'f') return literal("false", s, Scalar::Bool, false);
    if (c == 'n') return literal("null", s, Scalar::Null, false);
    return error(DecodeError::Syntax, "expected a value");
  }

  bool literal(std::string_view word, Scalar& s, Scalar::Kind kind, bool b) {
    const size_t avail = static_cast<size_t>(end_ - p_);
    const size_t n = std::min(avail, word.size());
    if (std::memcmp(p_, word.data(), n) != 0) return error(DecodeError::Syntax, "expected a value");
    if (n < word.size()) {
      p_ = end_;
      return eof_error();
    }
    p_ += word.size();
    s.kind = kind;
    s.b = b;
    return true;
  }

  bool parse_number(Scalar& s) {
    const unsigned char* start = p_;
    bool is_float = false;
    if (*p_ == '-') ++p_;
    if (p_ == end_) return eof_error();
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    } else {
      return error(DecodeError::Syntax, "bad number");
    }
    if (p_ < end_ && *p_ == '.') {
      is_float = true;
      ++p_;
      if (p_ == end_) return eof_error();
      if (!(*p_ >= '0' && *p_ <= '9')) return error(DecodeError::Syntax, "bad number");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      is_float = true;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_) return eof_error();
      if (!(*p_ >= '0' && *p_ <= '9')) return error(DecodeError::Syntax, "bad number");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    const char* first = reinterpret_cast<const char*>(start);
    const char* last = reinterpret_cast<const char*>(p_);
    s.text = std::string_view(first, static_cast<size_t>(last - first));
    if (!is_float) {
      auto [ptr, ec] = std::from_chars(first, last, s.i);
      if (ec != std::errc() || ptr != last) {
        p_ = start;
        return error(DecodeError::BadNumber, fmt::format("integer {} out of range", s.text.substr(0, 32)));
      }
      s.kind = Scalar::Int;
      return true;
    }
    auto [ptr, ec] = std::from_chars(first, last, s.d);
    if (ec != std::errc() || ptr != last || !std::isfinite(s.d)) {
      p_ = start;
      return error(DecodeError::BadNumber, fmt::format("number {} out of range", s.text.substr(0, 32)));
    }
    s.kind = Scalar::Float;
    return true;
  }

  bool hex4(uint32_t& out) {
    if (end_ - p_ < 4) {
      p_ = end_;
      return eof_error();
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const unsigned char c = p_[i];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= c - '0';
      else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
      else return error(DecodeError::Syntax, "bad \\u escape");
    }
    p_ += 4;
    out = v;
    return true;
  }

  // p_ at the opening quote.
  bool parse_string(std::string& out) {
    ++p_;
    out.clear();
    while (true) {
      // ASCII fast path: copy runs of plain characters at once.
      const unsigned char* run = p_;
      p_ = skip_plain(p_, end_);
      out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p_ - run));
      if (p_ == end_) return eof_error();
      const unsigned char c = *p_;
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return error(DecodeError::Syntax, "control character in a string");
      if (c >= 0x80) {
        const size_t n = utf8::sequence_length(p_, end_);
        if (n == 0) return error(DecodeError::InvalidUtf8, "bytes that are not UTF-8 in a string");
        out.append(reinterpret_cast<const char*>(p_), n);
        p_ += n;
        continue;
      }
      // Backslash escape.
      ++p_;
      if (p_ == end_) return eof_error();
      const unsigned char e = *p_++;
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
            uint32_t lo = 0;
            if (end_ - p_ < 2) {
              p_ = end_;
              return eof_error();
            }
            if (p_[0] != '\\' || p_[1] != 'u') return error(DecodeError::InvalidUtf8, "lone surrogate escape");
            p_ += 2;
            if (!hex4(lo)) return false;
            if (lo < 0xDC00 || lo > 0xDFFF) return error(DecodeError::InvalidUtf8, "lone surrogate escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return error(DecodeError::InvalidUtf8, "lone surrogate escape");
          }
          utf8::append(out, cp);
          break;
        }
        default:
          --p_;
          return error(DecodeError::Syntax, "bad escape");
      }
    }
  }

  bool check_duplicates() {
    const size_t n = out_.size();
    if (n < 2) return true;
    if (n <= 32) {  // the usual event: pairwise, without allocating
      const Field* f = &*out_.begin();
      for (size_t i = 1; i < n; ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (f[i].key == f[j].key) {
            p_ = begin_;
            return error(DecodeError::DuplicateKey, fmt::format("{} appears twice", f[i].key));
          }
        }
      }
      return true;
    }
    std::vector<std::string_view> keys;
    keys.reserve(n);
    for (const auto& f : out_) keys.push_back(f.key);
    std::sort(keys.begin(), keys.end());
    auto dup = std::adjacent_find(keys.begin(), keys.end());
    if (dup != keys.end()) {
      p_ = begin_;
      return error(DecodeError::DuplicateKey, fmt::format("{} appears twice", *dup));
    }
    return true;
  }

  const unsigned char* p_;
  const unsigned char* begin_;
  const unsigned char* end_;
  Event& out_;
  const DecodeLimits& limits_;
  std::optional<DecodeFailure> failure_;
  // Scratch buffers, per thread and kept between calls so that decoding allocates nothing once
  // warm: the dotted key being built, the key being read, the string value being read.
  struct Scratch {
    std::string prefix, key, text;
  };
  static inline thread_local Scratch scratch_;
  std::string& prefix_ = scratch_.prefix;
  std::string& key_ = scratch_.key;
  std::string& text_ = scratch_.text;
};

}  // namespace

std::optional<DecodeFailure> decode_event_into(std::string_view json, Event& out, const DecodeLimits& limits) {
  out.clear();
  if (json.size() > limits.max_bytes) {
    return DecodeFailure{DecodeError::TooLarge, limits.max_bytes,
                         fmt::format("{} bytes, limit {}", json.size(), limits.max_bytes)};
  }
  Parser parser(json, out, limits);
  return parser.run();
}

Result<Event, DecodeFailure> decode_event(std::string_view json, const DecodeLimits& limits) {
  Event e;
  if (auto f = decode_event_into(json, e, limits)) return fail(std::move(*f));
  return e;
}

std::optional<std::string_view> missing_required_field(const Event& event) {
  // The required fields a sender must provide, in documentation order (checked per event).
  static const std::vector<std::string_view> kRequired = [] {
    std::vector<std::string_view> names;
    for (const auto& spec : field_specs()) {
      if (spec.required && spec.name != "observer.name" && spec.name != "site.id") names.push_back(spec.name);
    }
    return names;
  }();
  for (std::string_view name : kRequired) {
    if (!event.contains(name)) return name;
  }
  return std::nullopt;
}

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char* run = p;
    p = skip_plain(p, end);
    out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    if (p == end) break;
    const unsigned char c = *p;
    if (c >= 0x80) {
      const size_t n = utf8::sequence_length(p, end);
      if (n == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD for each byte that is not UTF-8
        ++p;
      } else {
        out.append(reinterpret_cast<const char*>(p), n);
        p += n;
      }
      continue;
    }
    ++p;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out += '"';
}

namespace {

// The encoder writes through a pointer into a buffer that is large enough for the whole event
// (an upper bound counted first): no capacity check, no push_back per piece. A string byte
// becomes at most six bytes ("\u001f"; a byte that is not UTF-8 becomes three, U+FFFD).
constexpr size_t string_bound(size_t n) { return 6 * n + 2; }
// Numbers, booleans, null, addresses and timestamps with their quotes: "-1.2345678901234567e-308"
// (24), an IPv6 address (at most 45 + 2), a timestamp (27 + 2; a year beyond 9999 a few more).
constexpr size_t kScalarBound = 64;

size_t value_bound(const Value& v) {
  switch (v.type()) {
    case ValueType::String: return string_bound(v.as_string().size());
    case ValueType::List: {
      size_t b = 2;
      for (const auto& item : v.as_list())
        b += 1 + (item.is_list() ? string_bound(item.to_text().size()) : value_bound(item));
      return b;
    }
    default: return kScalarBound;
  }
}

#if defined(__SSE2__)
// A bit per byte of v that a JSON string cannot hold as it is: below 0x20 or at or above 0x80
// (one signed compare), a quote, a backslash.
inline unsigned special_bytes(__m128i v) {
  const __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
  return static_cast<unsigned>(_mm_movemask_epi8(bad));
}
#endif

// Copies n bytes (a plain run, usually a key or a short value) without a call for the short
// ones: fixed-size copies of the first and last bytes, overlapping, read only inside the source.
inline char* copy_run(char* w, const unsigned char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    std::memcpy(w, src, 8);
    std::memcpy(w + n - 8, src + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(w, src, 4);
    std::memcpy(w + n - 4, src + n - 4, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i) w[i] = static_cast<char>(src[i]);
  } else {
    std::memcpy(w, src, n);
  }
  return w + n;
}

char* put_string(char* w, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  *w++ = '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  const auto* const begin = p;
  while (p < end) {
#if defined(__SSE2__)
    // Sixteen bytes at a time, checked and stored in one go: the buffer has room for six bytes
    // per byte of the string, so a block stored whole before its first special byte is simply
    // overwritten from there on. The last bytes are checked with the sixteen that end the string
    // (those before p are behind us) and copied without a call.
    if (end - begin >= 16) {
      unsigned m = 0;
      while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(w), v);
        m = special_bytes(v);
        if (m) break;
        p += 16;
        w += 16;
      }
      if (m) {
        const unsigned k = static_cast<unsigned>(__builtin_ctz(m));
        p += k;
        w += k;
      } else if (p < end) {
        const unsigned char* last = end - 16;
        const unsigned rest = special_bytes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(last))) >>
                              static_cast<unsigned>(p - last);
        const size_t k = rest ? static_cast<size_t>(__builtin_ctz(rest)) : static_cast<size_t>(end - p);
        w = copy_run(w, p, k);
        p += k;
      }
    } else
#endif
    {
      const unsigned char* run = p;
      p = skip_plain(p, end);
      w = copy_run(w, run, static_cast<size_t>(p - run));
    }
    if (p == end) break;
    const unsigned char c = *p;
    if (c >= 0x80) {
      const size_t n = utf8::sequence_length(p, end);
      if (n == 0) {
        w[0] = '\xEF';  // U+FFFD for each byte that is not UTF-8
        w[1] = '\xBF';
        w[2] = '\xBD';
        w += 3;
        ++p;
      } else {
        std::memcpy(w, p, n);
        w += n;
        p += n;
      }
      continue;
    }
    ++p;
    *w++ = '\\';
    switch (c) {
      case '"': *w++ = '"'; break;
      case '\\': *w++ = '\\'; break;
      case '\n': *w++ = 'n'; break;
      case '\r': *w++ = 'r'; break;
      case '\t': *w++ = 't'; break;
      default:
        w[0] = 'u';
        w[1] = '0';
        w[2] = '0';
        w[3] = kHex[c >> 4];
        w[4] = kHex[c & 0xF];
        w += 5;
    }
  }
  *w++ = '"';
  return w;
}

char* put_text(char* w, std::string_view s) {
  std::memcpy(w, s.data(), s.size());
  return w + s.size();
}

char* put_value(char* w, const Value& v) {
  // Addresses and timestamps are formatted by their own types (into a string); the text is short.
  static thread_local std::string scratch;
  switch (v.type()) {
    case ValueType::String: return put_string(w, v.as_string());
    case ValueType::Int: {
      const fmt::format_int text(v.as_int());
      return put_text(w, {text.data(), text.size()});
    }
    case ValueType::Float: {
      const double d = v.as_float();
      if (!std::isfinite(d)) return put_text(w, "null");
      char* const start = w;
      w = fmt::format_to(w, "{}", d);
      // Keep the value a float when it is read back: "2" would come back as an integer.
      if (std::find_if(start, w, [](char c) { return c == '.' || c == 'e' || c == 'E' || c == 'n'; }) == w)
        w = put_text(w, ".0");
      return w;
    }
    case ValueType::Bool: return put_text(w, v.as_bool() ? "true" : "false");
    case ValueType::Ip:
      scratch.clear();
      v.as_ip().append_to(scratch);
      *w++ = '"';
      w = put_text(w, scratch);
      *w++ = '"';
      return w;
    case ValueType::Timestamp:
      scratch.clear();
      append_rfc3339(scratch, v.as_timestamp());
      *w++ = '"';
      w = put_text(w, scratch);
      *w++ = '"';
      return w;
    case ValueType::List: {
      *w++ = '[';
      bool first = true;
      for (const auto& item : v.as_list()) {
        if (!first) *w++ = ',';
        first = false;
        // Lists do not nest on the wire: a nested list (built in code) is written as its text.
        if (item.is_list()) w = put_string(w, item.to_text());
        else w = put_value(w, item);
      }
      *w++ = ']';
      return w;
    }
  }
  return w;
}

// The encoder's buffer, per thread: grown as needed, never initialised (only what is written is
// read back). One that a huge event made larger than 1 MiB is given back after that event.
struct EncodeBuffer {
  std::unique_ptr<char[]> data;
  size_t capacity = 0;
  char* reserve(size_t n) {
    if (n > capacity) {
      capacity = std::max<size_t>({n, 2 * capacity, 4096});
      data = std::make_unique_for_overwrite<char[]>(capacity);
    }
    return data.get();
  }
  void trim() {
    if (capacity > (size_t{1} << 20)) {
      data.reset();
      capacity = 0;
    }
  }
};

}  // namespace

void encode_event(const Event& event, std::string& out) {
  static thread_local EncodeBuffer buffer;
  size_t bound = 2;
  for (const auto& f : event) bound += 2 + string_bound(f.key.size()) + value_bound(f.value);
  char* const begin = buffer.reserve(bound);
  char* w = begin;
  *w++ = '{';
  bool first = true;
  for (const auto& f : event) {
    if (!first) *w++ = ',';
    first = false;
    w = put_string(w, f.key);
    *w++ = ':';
    w = put_value(w, f.value);
  }
  *w++ = '}';
  out.append(begin, static_cast<size_t>(w - begin));
  buffer.trim();
}

std::string encode_event(const Event& event) {
  std::string out;
  out.reserve(256);
  encode_event(event, out);
  return out;
}

}  // namespace soc
