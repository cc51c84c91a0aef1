#include "core/json_codec.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/printers.h"

namespace {

using soc::DecodeError;
using soc::DecodeLimits;
using soc::Event;
using soc::List;
using soc::Value;

Event decode_ok(std::string_view json, const DecodeLimits& limits = {}) {
  auto r = soc::decode_event(json, limits);
  const std::string why = r.ok() ? std::string() : r.error().message();
  REQUIRE_MESSAGE(r.ok(), "refused: " << why);
  return std::move(r).value();
}

soc::DecodeFailure decode_fail(std::string_view json, const DecodeLimits& limits = {}) {
  auto r = soc::decode_event(json, limits);
  REQUIRE_MESSAGE(!r.ok(), "accepted: " << (r.ok() ? soc::encode_event(r.value()) : std::string()));
  return r.error();
}

DecodeError code_of(std::string_view json, const DecodeLimits& limits = {}) {
  return decode_fail(json, limits).code;
}

std::vector<std::string> keys(const Event& e) {
  std::vector<std::string> out;
  for (const auto& f : e) out.push_back(f.key);
  return out;
}

soc::Timestamp ts(std::string_view text) {
  const auto t = soc::parse_rfc3339(text);
  REQUIRE(t);
  return *t;
}

soc::IpAddress ip(std::string_view text) {
  const auto a = soc::IpAddress::parse(text);
  REQUIRE(a);
  return *a;
}

const Value& field(const Event& e, std::string_view key) {
  const Value* v = e.find(key);
  REQUIRE_MESSAGE(v, "no field " << key);
  return *v;
}

// `{"k":` nested `depth` objects deep with 1 at the bottom.
std::string nested_objects(unsigned depth) {
  std::string s;
  for (unsigned i = 1; i < depth; ++i) s += R"({"k":)";
  s += R"({"k":1})";
  s += std::string(depth - 1, '}');
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Decoding what is valid

TEST_CASE("decoder reads a flat event with every JSON scalar type") {
  const Event e = decode_ok(
      R"({"@timestamp":"2026-11-27T13:20:21.123456Z","event.kind":"event","event.dataset":"sshd",)"
      R"("source.ip":"203.0.113.7","source.port":52200,"user.name":"root","event.code":4625,)"
      R"("score":0.5,"ok":false,"yes":true})");
  CHECK(keys(e) == std::vector<std::string>{"@timestamp", "event.kind", "event.dataset", "source.ip", "source.port",
                                            "user.name", "event.code", "score", "ok", "yes"});
  CHECK(field(e, "@timestamp") == Value(ts("2026-11-27T13:20:21.123456Z")));
  CHECK(field(e, "event.kind") == Value("event"));
  CHECK(field(e, "source.ip") == Value(ip("203.0.113.7")));
  CHECK(field(e, "source.port") == Value(52200));
  CHECK(field(e, "user.name") == Value("root"));
  CHECK(field(e, "score") == Value(0.5));
  CHECK(field(e, "ok") == Value(false));
  CHECK(field(e, "yes") == Value(true));
}

TEST_CASE("decoder keeps the JSON type of a field that is not documented") {
  const Event e = decode_ok(R"({"event.code":4625,"x.ip":"10.0.0.1","x.time":"2026-11-27T13:20:21Z","x.f":2.0})");
  CHECK(field(e, "event.code") == Value(4625));  // event.code is not in docs/fields.md
  CHECK(field(e, "x.ip") == Value("10.0.0.1"));
  CHECK(field(e, "x.time") == Value("2026-11-27T13:20:21Z"));
  CHECK(field(e, "x.f") == Value(2.0));
  CHECK(field(e, "x.f").is_float());
}

TEST_CASE("decoder keeps a number or boolean in a documented string field as its text") {
  const Event e = decode_ok(R"({"event.id":4625,"message":1.50,"event.action":true,"event.reason":-0})");
  CHECK(field(e, "event.id") == Value("4625"));
  CHECK(field(e, "message") == Value("1.50"));
  CHECK(field(e, "event.action") == Value("true"));
  CHECK(field(e, "event.reason") == Value("-0"));
}

TEST_CASE("decoder types the documented timestamp, IP and integer fields") {
  const Event e = decode_ok(
      R"({"event.start":"2026-11-27T20:20:21+07:00","destination.ip":"2001:db8::1","http.response.status_code":404,)"
      R"("event.duration":-9223372036854775808})");
  CHECK(field(e, "event.start") == Value(ts("2026-11-27T13:20:21Z")));
  CHECK(field(e, "destination.ip") == Value(ip("2001:db8::1")));
  CHECK(field(e, "http.response.status_code") == Value(404));
  CHECK(field(e, "event.duration") == Value(std::numeric_limits<int64_t>::min()));
}

TEST_CASE("decoder makes a one-element list of a single value in a list field") {
  const Event e = decode_ok(R"({"event.category":"authentication","host.ip":"10.0.0.1","tags":5})");
  CHECK(field(e, "event.category") == Value(List{"authentication"}));
  CHECK(field(e, "host.ip") == Value(List{ip("10.0.0.1")}));
  CHECK(field(e, "tags") == Value(List{"5"}));
}

TEST_CASE("decoder reads arrays of scalars, typing the items of list fields and dropping nulls") {
  const Event e = decode_ok(
      R"({"event.category":["authentication","network"],"host.ip":["10.0.0.1","::1"],"tags":[],)"
      R"("event.type":[null],"mixed":[1,"a",true,2.5,null,false]})");
  CHECK(field(e, "event.category") == Value(List{"authentication", "network"}));
  CHECK(field(e, "host.ip") == Value(List{ip("10.0.0.1"), ip("::1")}));
  CHECK(field(e, "tags") == Value(List{}));
  CHECK(field(e, "event.type") == Value(List{}));
  CHECK(field(e, "mixed") == Value(List{1, "a", true, 2.5, false}));
}

TEST_CASE("decoder flattens nested objects to dotted keys in document order") {
  const Event e = decode_ok(
      R"({"source":{"ip":"10.0.0.1","port":22},"event":{"kind":"event","category":"network"},)"
      R"("a":{"b":{"c":1},"d":"x"},"z":{}})");
  CHECK(keys(e) == std::vector<std::string>{"source.ip", "source.port", "event.kind", "event.category", "a.b.c", "a.d"});
  CHECK(field(e, "source.ip") == Value(ip("10.0.0.1")));
  CHECK(field(e, "source.port") == Value(22));
  CHECK(field(e, "event.category") == Value(List{"network"}));
  CHECK(field(e, "a.b.c") == Value(1));
}

TEST_CASE("decoder drops null members at every level") {
  const Event e = decode_ok(R"({"a":null,"b":{"c":null,"d":2},"source.ip":null,"e":1})");
  CHECK(keys(e) == std::vector<std::string>{"b.d", "e"});
}

TEST_CASE("decoder accepts an empty object and surrounding whitespace") {
  CHECK(decode_ok("{}").empty());
  CHECK(decode_ok(" \t\r\n{ \n\"a\" :\t1 , \"b\" : [ 1 , 2 ] }\r\n ").size() == 2);
}

TEST_CASE("decoder merges the members of two objects with the same name when the keys differ") {
  const Event e = decode_ok(R"({"a":{"b":1},"a":{"c":2}})");
  CHECK(keys(e) == std::vector<std::string>{"a.b", "a.c"});
}

TEST_CASE("decoder reads integers at the limits of int64 and floats in every notation") {
  const Event e = decode_ok(
      R"({"max":9223372036854775807,"min":-9223372036854775808,"zero":0,"negzero":-0,)"
      R"("f1":1.5e3,"f2":1E2,"f3":-0.0,"f4":2.5e-3,"f5":1e+2,"f6":0.1})");
  CHECK(field(e, "max") == Value(std::numeric_limits<int64_t>::max()));
  CHECK(field(e, "min") == Value(std::numeric_limits<int64_t>::min()));
  CHECK(field(e, "zero") == Value(0));
  CHECK(field(e, "negzero") == Value(0));
  CHECK(field(e, "f1") == Value(1500.0));
  CHECK(field(e, "f2") == Value(100.0));
  CHECK(field(e, "f3").is_float());
  CHECK(field(e, "f4") == Value(0.0025));
  CHECK(field(e, "f5") == Value(100.0));
  CHECK(field(e, "f6") == Value(0.1));
}

TEST_CASE("decoder reads every escape and raw UTF-8") {
  const Event e = decode_ok(
      R"({"esc":"\"\\\/\b\f\n\r\t","u":"\u00e9\u20AC\u0041","pair":"\ud83d\ude00","upper":"\uD83D\uDE00",)"
      R"("nul":"a\u0000b","raw":"é€😀)"
      "\xF4\x8F\xBF\xBF\xEF\xBF\xBF\x7F"
      R"("})");
  CHECK(field(e, "esc") == Value("\"\\/\b\f\n\r\t"));
  CHECK(field(e, "u") == Value("\xC3\xA9\xE2\x82\xAC" "A"));
  CHECK(field(e, "pair") == Value("\xF0\x9F\x98\x80"));
  CHECK(field(e, "upper") == Value("\xF0\x9F\x98\x80"));
  CHECK(field(e, "nul") == Value(std::string("a\0b", 3)));
  CHECK(field(e, "raw") == Value("é€😀\xF4\x8F\xBF\xBF\xEF\xBF\xBF\x7F"));
}

TEST_CASE("decoder reads escaped keys") {
  const Event e = decode_ok(R"({"\u0061\u002eb":1,"sp ace":2})");
  CHECK(keys(e) == std::vector<std::string>{"a.b", "sp ace"});
}

TEST_CASE("decoder clears the event it decodes into") {
  Event e;
  e.set("stale", 1);
  REQUIRE_FALSE(soc::decode_event_into(R"({"a":1})", e));
  CHECK(keys(e) == std::vector<std::string>{"a"});
  e.set("stale", 1);
  CHECK(soc::decode_event_into("", e));
  CHECK_FALSE(e.contains("stale"));
}

// ---------------------------------------------------------------------------------------------
// Refusals, one reason at a time

TEST_CASE("decoder refuses a value of the wrong type in a documented field and names the field") {
  struct Case {
    const char* json;
    const char* detail;
  };
  const Case cases[] = {
      {R"({"source.ip":"abc"})", R"(source.ip: expected ip, got "abc")"},
      {R"({"source.ip":5})", "source.ip: expected ip, got a non-string"},
      {R"({"source.ip":"10.0.0.1:80"})", R"(source.ip: expected ip, got "10.0.0.1:80")"},
      {R"({"source.port":"22"})", "source.port: expected integer, got a string"},
      {R"({"source.port":22.0})", "source.port: expected integer, got a fraction"},
      {R"({"source.port":true})", "source.port: expected integer, got a boolean"},
      {R"({"@timestamp":5})", "@timestamp: expected timestamp, got a non-string (RFC 3339 required)"},
      {R"({"@timestamp":"yesterday"})", R"(@timestamp: expected timestamp, got "yesterday" (RFC 3339 required))"},
      {R"({"@timestamp":"2026-11-27T13:20:21"})",
       R"(@timestamp: expected timestamp, got "2026-11-27T13:20:21" (RFC 3339 required))"},
      {R"({"source":{"ip":"x"}})", R"(source.ip: expected ip, got "x")"},
      {R"({"host.ip":["10.0.0.1","nope"]})", R"(host.ip: expected ip, got "nope")"},
      {R"({"source.port":[22]})", "source.port: expected integer, got a list"},
      {R"({"message":["a"]})", "message: expected string, got a list"},
      {R"({"@timestamp":[]})", "@timestamp: expected timestamp, got a list"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.json);
    const auto f = decode_fail(c.json);
    CHECK(f.code == DecodeError::WrongType);
    CHECK(f.detail == c.detail);
  }
}

TEST_CASE("a wrong-type refusal renders with its reason, offset and detail") {
  const auto f = decode_fail(R"({"source.ip": "abc"})");
  CHECK(f.message() == R"(wrong_type at byte 19: source.ip: expected ip, got "abc")");
  const auto list = decode_fail(R"({"source.port": [22]})");
  CHECK(list.offset == 16);  // the start of the list
}

TEST_CASE("a wrong-type refusal quotes at most 64 bytes of the value") {
  const std::string value(300, 'x');
  const auto f = decode_fail(R"({"source.ip":")" + value + R"("})");
  CHECK(f.code == DecodeError::WrongType);
  CHECK(f.detail == "source.ip: expected ip, got \"" + std::string(64, 'x') + "\"");
}

TEST_CASE("decoder refuses duplicate keys, also when they meet through flattening") {
  const char* inputs[] = {
      R"({"a":1,"a":2})",
      R"({"a":1,"b":2,"a":"x"})",
      R"({"source":{"ip":"10.0.0.1"},"source.ip":"10.0.0.2"})",
      R"({"source.ip":"10.0.0.1","source":{"ip":"10.0.0.1"}})",
      R"({"a":{"b":1},"a":{"b":2}})",
      R"({"a":{"b":{"c":1}},"a.b":{"c":2}})",
      R"({"tags":["x"],"tags":"y"})",
  };
  for (const char* json : inputs) {
    CAPTURE(json);
    const auto f = decode_fail(json);
    CHECK(f.code == DecodeError::DuplicateKey);
    CHECK(f.offset == 0);
  }
  CHECK(decode_fail(R"({"source":{"ip":"10.0.0.1"},"source.ip":"10.0.0.2"})").detail == "source.ip appears twice");
  CHECK(decode_fail(R"({"z":1,"a":1,"z":2})").detail == "z appears twice");
}

TEST_CASE("decoder refuses arrays that hold objects or arrays") {
  const char* inputs[] = {
      R"({"a":[{"b":1}]})",
      R"({"a":[[1]]})",
      R"({"a":[1,{"b":2}]})",
      R"({"a":[1, []]})",
      R"({"tags":[["x"]]})",
  };
  for (const char* json : inputs) {
    CAPTURE(json);
    CHECK(code_of(json) == DecodeError::NestedArray);
  }
  CHECK(decode_fail(R"({"a":{"b":[{}]}})").detail == "a.b: arrays may hold only scalars");
}

TEST_CASE("decoder accepts objects nested to max_depth and refuses one level more") {
  const Event e = decode_ok(nested_objects(8));
  CHECK(keys(e) == std::vector<std::string>{"k.k.k.k.k.k.k.k"});
  const auto f = decode_fail(nested_objects(9));
  CHECK(f.code == DecodeError::TooDeep);
  CHECK(f.detail == "objects nested deeper than 8");

  DecodeLimits shallow;
  shallow.max_depth = 1;
  CHECK(decode_ok(R"({"a":1})", shallow).size() == 1);
  CHECK(code_of(R"({"a":{}})", shallow) == DecodeError::TooDeep);
  shallow.max_depth = 3;
  CHECK(decode_ok(nested_objects(3), shallow).size() == 1);
  CHECK(code_of(nested_objects(4), shallow) == DecodeError::TooDeep);
}

TEST_CASE("decoder survives 100000 nested brackets without deep recursion") {
  const size_t n = 100000;
  CHECK(code_of(std::string(n, '[')) == DecodeError::NotObject);
  CHECK(code_of(std::string(n, '{')) == DecodeError::Syntax);
  CHECK(code_of(R"({"a":)" + std::string(n, '[')) == DecodeError::NestedArray);
  std::string deep;
  for (size_t i = 0; i < n; ++i) deep += R"({"a":)";
  CHECK(code_of(deep) == DecodeError::TooDeep);
  CHECK(code_of(deep + "1" + std::string(n, '}')) == DecodeError::TooDeep);
}

TEST_CASE("decoder refuses input beyond max_bytes before reading it") {
  DecodeLimits small;
  small.max_bytes = 16;
  CHECK(decode_ok(R"({"abc":"123456"})", small).size() == 1);  // exactly 16 bytes
  const auto f = decode_fail(R"({"abc":"1234567"})", small);
  CHECK(f.code == DecodeError::TooLarge);
  CHECK(f.offset == 16);
  CHECK(f.detail == "17 bytes, limit 16");

  const std::string big = R"({"message":")" + std::string((1 << 20) - 13, 'x') + R"("})";
  REQUIRE(big.size() == (1 << 20) + 1);
  CHECK(code_of(big) == DecodeError::TooLarge);
  CHECK(decode_ok(big.substr(0, big.size() - 3) + R"("})").size() == 1);
}

TEST_CASE("decoder refuses more fields or list items than the limits allow") {
  DecodeLimits limits;
  limits.max_fields = 3;
  limits.max_list_items = 2;
  CHECK(decode_ok(R"({"a":1,"b":2,"c":3})", limits).size() == 3);
  CHECK(decode_ok(R"({"a":1,"b":2,"c":3,"d":null})", limits).size() == 3);
  const auto f = decode_fail(R"({"a":1,"b":2,"c":3,"d":4})", limits);
  CHECK(f.code == DecodeError::TooManyFields);
  CHECK(f.detail == "more than 3 fields");
  CHECK(code_of(R"({"a":{"b":1,"c":2},"d":{"e":3,"f":4}})", limits) == DecodeError::TooManyFields);

  CHECK(decode_ok(R"({"t":[1,2]})", limits).size() == 1);
  const auto items = decode_fail(R"({"t":[1,2,3]})", limits);
  CHECK(items.code == DecodeError::TooManyFields);
  CHECK(items.detail == "t: more than 2 list items");
}

TEST_CASE("decoder refuses empty keys and keys longer than max_key_bytes") {
  const auto empty = decode_fail(R"({"":1})");
  CHECK(empty.code == DecodeError::BadKey);
  CHECK(empty.detail == "empty key");
  CHECK(code_of(R"({"a":{"":1}})") == DecodeError::BadKey);
  CHECK(code_of(R"({"":{"a":1}})") == DecodeError::BadKey);

  const std::string k256(256, 'k');
  CHECK(decode_ok(R"({")" + k256 + R"(":1})").size() == 1);
  const auto long_key = decode_fail(R"({")" + k256 + R"(k":1})");
  CHECK(long_key.code == DecodeError::BadKey);
  CHECK(long_key.detail == "key longer than 256 bytes");
  // The limit applies to the flattened key: 200 + "." + 55 = 256, + 56 = 257.
  const std::string k200(200, 'a');
  CHECK(decode_ok(R"({")" + k200 + R"(":{")" + std::string(55, 'b') + R"(":1}})").size() == 1);
  CHECK(code_of(R"({")" + k200 + R"(":{")" + std::string(56, 'b') + R"(":1}})") == DecodeError::BadKey);
}

TEST_CASE("decoder refuses numbers beyond int64 and double") {
  const auto f = decode_fail(R"({"n":99999999999999999999})");
  CHECK(f.code == DecodeError::BadNumber);
  CHECK(f.offset == 5);
  CHECK(f.detail == "integer 99999999999999999999 out of range");
  CHECK(code_of(R"({"n":9223372036854775808})") == DecodeError::BadNumber);
  CHECK(code_of(R"({"n":-9223372036854775809})") == DecodeError::BadNumber);
  CHECK(code_of(R"({"source.port":99999999999999999999})") == DecodeError::BadNumber);
  CHECK(code_of(R"({"t":[1,99999999999999999999]})") == DecodeError::BadNumber);
  const auto d = decode_fail(R"({"n":1e400})");
  CHECK(d.code == DecodeError::BadNumber);
  CHECK(d.detail == "number 1e400 out of range");
  CHECK(code_of(R"({"n":-1.5e999})") == DecodeError::BadNumber);
}

TEST_CASE("decoder refuses malformed numbers as syntax errors") {
  const char* inputs[] = {
      R"({"n":01})", R"({"n":-01})", R"({"n":1.})", R"({"n":.5})", R"({"n":+1})", R"({"n":-})",
      R"({"n":1e})", R"({"n":1e+})", R"({"n":0x10})", R"({"n":NaN})", R"({"n":Infinity})", R"({"n":-a})",
      R"({"n":1.e5})", R"({"n":1..2})", R"({"n":--1})",
  };
  for (const char* json : inputs) {
    CAPTURE(json);
    CHECK(code_of(json) == DecodeError::Syntax);
  }
}

TEST_CASE("decoder refuses bytes that are not UTF-8 and says where") {
  struct Case {
    std::string json;
    size_t offset;
  };
  const Case cases[] = {
      {"{\"a\":\"x\x80\"}", 7},                   // lone continuation byte
      {"{\"a\":\"\xC0\xAF\"}", 6},                // overlong '/'
      {"{\"a\":\"\xC1\xBF\"}", 6},                // overlong
      {"{\"a\":\"\xE0\x80\xAF\"}", 6},            // overlong 3-byte
      {"{\"a\":\"\xF0\x80\x80\xAF\"}", 6},        // overlong 4-byte
      {"{\"a\":\"\xED\xA0\x80\"}", 6},            // UTF-16 surrogate D800
      {"{\"a\":\"\xED\xBF\xBF\"}", 6},            // surrogate DFFF
      {"{\"a\":\"\xF4\x90\x80\x80\"}", 6},        // above U+10FFFF
      {"{\"a\":\"\xF5\x80\x80\x80\"}", 6},
      {"{\"a\":\"\xFE\"}", 6},
      {"{\"a\":\"\xFF\"}", 6},
      {"{\"a\":\"\xE2\x82\"}", 6},                // truncated sequence before the quote
      {"{\"a\":\"\xC3\"}", 6},
      {"{\"a\":\"ab\xE2\x82", 8},                 // truncated sequence at the end of input
      {"{\"a\":\"\xF0\x9F\x98", 6},
      {"{\"\x80\":1}", 2},                        // in a key
      {"{\"a\":[\"ok\",\"\xC0\x80\"]}", 12},      // in a list item
  };
  for (const auto& c : cases) {
    CAPTURE(c.json);
    const auto f = decode_fail(c.json);
    CHECK(f.code == DecodeError::InvalidUtf8);
    CHECK(f.offset == c.offset);
  }
}

TEST_CASE("decoder refuses an escaped lone surrogate and decodes a surrogate pair") {
  const char* lone[] = {
      R"({"a":"\ud800"})",
      R"({"a":"\udc00"})",
      R"({"a":"\uDFFF"})",
      R"({"a":"\ud800x"})",
      R"({"a":"\ud800\u0041"})",
      R"({"a":"\ud800\ud800"})",
      R"({"a":"\ud800\n"})",
      R"({"a":"\ude00\ud83d"})",
  };
  for (const char* json : lone) {
    CAPTURE(json);
    CHECK(code_of(json) == DecodeError::InvalidUtf8);
  }
  const Event e = decode_ok(R"({"a":"\ud83d\ude00","b":"\udbff\udfff"})");
  CHECK(field(e, "a").as_string() == "\xF0\x9F\x98\x80");
  CHECK(field(e, "a").as_string().size() == 4);
  CHECK(field(e, "b").as_string() == "\xF4\x8F\xBF\xBF");  // U+10FFFF
}

TEST_CASE("decoder refuses a raw control character in a string") {
  for (int c = 0; c < 0x20; ++c) {
    CAPTURE(c);
    std::string json = R"({"a":"x)";
    json += static_cast<char>(c);
    json += R"("})";
    const auto f = decode_fail(json);
    CHECK(f.code == DecodeError::Syntax);
    CHECK(f.offset == 7);
    CHECK(f.detail == "control character in a string");
  }
  CHECK(code_of("{\"a\nb\":1}") == DecodeError::Syntax);
}

TEST_CASE("decoder refuses bad escapes") {
  CHECK(decode_fail(R"({"a":"\x41"})").detail == "bad escape");
  CHECK(decode_fail(R"({"a":"\U0041"})").detail == "bad escape");
  CHECK(decode_fail(R"({"a":"\'"})").detail == "bad escape");
  CHECK(decode_fail(R"({"a":"\u12G4"})").detail == "bad \\u escape");
  CHECK(decode_fail(R"({"a":"\u-123"})").detail == "bad \\u escape");
  CHECK(code_of(R"({"a":"\ud83d\uZZZZ"})") == DecodeError::Syntax);
}

TEST_CASE("decoder refuses anything after the object") {
  const auto f = decode_fail(R"({"a":1} x)");
  CHECK(f.code == DecodeError::Syntax);
  CHECK(f.offset == 8);
  CHECK(f.detail == "characters after the object");
  CHECK(code_of(R"({"a":1}{})") == DecodeError::Syntax);
  CHECK(code_of(R"({"a":1},)") == DecodeError::Syntax);
  CHECK(code_of(R"({"a":1}})") == DecodeError::Syntax);
  CHECK(code_of(std::string(R"({"a":1})") + '\0') == DecodeError::Syntax);
}

TEST_CASE("decoder refuses a top-level value that is not an object") {
  const char* inputs[] = {"[1]", "[]", R"("s")", "42", "-1", "null", "true", "  [ {\"a\":1} ]", "}", "x"};
  for (const char* json : inputs) {
    CAPTURE(json);
    CHECK(code_of(json) == DecodeError::NotObject);
  }
  CHECK(decode_fail("  [1]").offset == 2);
}

TEST_CASE("decoder refuses empty and whitespace-only input as empty") {
  CHECK(code_of("") == DecodeError::Empty);
  CHECK(code_of(" \t\r\n ") == DecodeError::Empty);
  const auto f = decode_fail("");
  CHECK(f.message() == "empty at byte 0");
}

TEST_CASE("decoder calls input that ends inside a value truncated") {
  const char* inputs[] = {
      "{", "{ ", R"({")", R"({"a)", R"({"a")", R"({"a":)", R"({"a": )", R"({"a":1)", R"({"a":1,)", R"({"a":"x)",
      R"({"a":tr)", R"({"a":nul)", R"({"a":fals)", R"({"a":[)", R"({"a":[1)", R"({"a":[1,)", R"({"a":{"b":1})",
      R"({"a":"\)", R"({"a":"\u12)", R"({"a":"\ud83d)", R"({"a":"\ud83d\)", R"({"a":"\ud83d\ude0)", R"({"a":-)",
      R"({"a":1.)", R"({"a":1e)", R"({"a":1e-)",
  };
  for (const char* json : inputs) {
    CAPTURE(json);
    const auto f = decode_fail(json);
    CHECK(f.code == DecodeError::Truncated);
    CHECK(f.offset == std::strlen(json));
  }
}

TEST_CASE("decoder refuses other malformed JSON as syntax errors") {
  const char* inputs[] = {
      "{a:1}",        R"({"a" 1})",      R"({"a":1,})",    R"({"a":[1,]})", "{'a':1}",        R"({"a":1 "b":2})",
      R"({"a":tru})", R"({"a":nul})",    R"({"a":True})",  "{,}",           R"({"a":1])",     R"({"a":[1})",
      R"({"a"::1})",  R"({"a":[,1]})",   R"({"a":})",      R"({{"a":1}})",  R"({"a":1,,"b":2})", R"({"a":truex})",
  };
  for (const char* json : inputs) {
    CAPTURE(json);
    CHECK(code_of(json) == DecodeError::Syntax);
  }
}

TEST_CASE("to_string gives a stable, distinct reason for every decode error") {
  const char* expected[] = {"empty",        "too_large", "truncated", "syntax",        "invalid_utf8",
                            "too_deep",     "not_object", "nested_array", "bad_number", "bad_key",
                            "duplicate_key", "too_many_fields", "wrong_type", "missing_field"};
  static_assert(std::size(expected) == soc::kDecodeErrorCount);
  std::set<std::string_view> seen;
  for (size_t i = 0; i < soc::kDecodeErrorCount; ++i) {
    const auto s = soc::to_string(static_cast<DecodeError>(i));
    CAPTURE(i);
    CHECK(s == expected[i]);
    CHECK(seen.insert(s).second);
  }
  CHECK(soc::to_string(static_cast<DecodeError>(soc::kDecodeErrorCount)) == "unknown");
}

TEST_CASE("missing_required_field names the first required field an event lacks") {
  Event e;
  CHECK(soc::missing_required_field(e) == "@timestamp");
  e.set("@timestamp", soc::Timestamp{});
  CHECK(soc::missing_required_field(e) == "event.kind");
  e.set("event.kind", "event");
  CHECK(soc::missing_required_field(e) == "event.dataset");
  e.set("event.dataset", "sshd");
  CHECK(soc::missing_required_field(e) == "event.category");
  e.set("event.category", List{"authentication"});
  // observer.name and site.id are set by the correlator, so they are not asked for.
  CHECK_FALSE(soc::missing_required_field(e));
  e.erase("event.kind");
  CHECK(soc::missing_required_field(e) == "event.kind");
}

// ---------------------------------------------------------------------------------------------
// Encoding

TEST_CASE("encoder writes fields in order with their JSON types") {
  Event e;
  e.set("@timestamp", ts("2026-11-27T13:20:21.123456Z"));
  e.set("message", "hi");
  e.set("source.ip", ip("10.0.0.1"));
  e.set("destination.ip", ip("2001:db8::1"));
  e.set("source.port", 22);
  e.set("f", 2.0);
  e.set("b", true);
  e.set("n", false);
  e.set("tags", List{"a", "b"});
  e.set("mixed", List{1, 2.5, true, "x", ip("::1")});
  e.set("empty", List{});
  CHECK(soc::encode_event(e) ==
        R"({"@timestamp":"2026-11-27T13:20:21.123456Z","message":"hi","source.ip":"10.0.0.1",)"
        R"("destination.ip":"2001:db8::1","source.port":22,"f":2.0,"b":true,"n":false,"tags":["a","b"],)"
        R"("mixed":[1,2.5,true,"x","::1"],"empty":[]})");
  CHECK(soc::encode_event(Event{}) == "{}");
}

TEST_CASE("encoder appends to the output it is given") {
  Event e;
  e.set("a", 1);
  std::string out = "x";
  soc::encode_event(e, out);
  soc::encode_event(e, out);
  CHECK(out == R"(x{"a":1}{"a":1})");
}

TEST_CASE("encoder keeps floats floats, and writes non-finite floats as null") {
  struct Case {
    double d;
    const char* json;
  };
  const Case cases[] = {
      {2.0, "2.0"}, {0.5, "0.5"}, {-1.5, "-1.5"}, {0.0, "0.0"}, {-0.0, "-0.0"}, {100000.0, "100000.0"},
      {1e300, "1e+300"}, {0.1, "0.1"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.json);
    Event e;
    e.set("f", c.d);
    CHECK(soc::encode_event(e) == std::string(R"({"f":)") + c.json + "}");
    const Event back = decode_ok(soc::encode_event(e));
    CHECK(field(back, "f").is_float());
    CHECK(field(back, "f") == Value(c.d));
  }
  Event e;
  e.set("inf", std::numeric_limits<double>::infinity());
  e.set("ninf", -std::numeric_limits<double>::infinity());
  e.set("nan", std::numeric_limits<double>::quiet_NaN());
  e.set("ok", 1);
  CHECK(soc::encode_event(e) == R"({"inf":null,"ninf":null,"nan":null,"ok":1})");
  CHECK(keys(decode_ok(soc::encode_event(e))) == std::vector<std::string>{"ok"});
}

TEST_CASE("encoder writes every finite double so that it decodes to the same double") {
  std::vector<double> values = {std::numeric_limits<double>::max(),    std::numeric_limits<double>::lowest(),
                                std::numeric_limits<double>::min(),    std::numeric_limits<double>::epsilon(),
                                std::numeric_limits<double>::denorm_min(), 1e16, 1e15, 123456789012345678.0,
                                1e-5, 1e-7, 5e-324, 2.2250738585072009e-308};
  std::mt19937_64 rng(2);
  while (values.size() < 20000) {
    const uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) values.push_back(d);
  }
  for (const double d : values) {
    Event e;
    e.set("f", d);
    const std::string json = soc::encode_event(e);
    CAPTURE(json);
    auto back = soc::decode_event(json);
    REQUIRE_MESSAGE(back.ok(), (back.ok() ? std::string() : back.error().message()));
    const Value* v = back->find("f");
    REQUIRE(v);
    REQUIRE(v->is_float());
    const double got = v->as_float();
    CHECK(std::memcmp(&got, &d, sizeof d) == 0);
  }
}

TEST_CASE("encoder escapes quotes, backslashes and control characters") {
  std::string out;
  soc::append_json_string(out, "a\"b\\c/\n\t\r\x01\x1f\b\f\x7f");
  CHECK(out == "\"a\\\"b\\\\c/\\n\\t\\r\\u0001\\u001f\\u0008\\u000c\x7f\"");
  out.clear();
  soc::append_json_string(out, std::string_view("\0", 1));
  CHECK(out == "\"\\u0000\"");
  out.clear();
  soc::append_json_string(out, "");
  CHECK(out == "\"\"");
}

TEST_CASE("encoder replaces each byte that is not UTF-8 with U+FFFD") {
  const std::string fffd = "\xEF\xBF\xBD";
  struct Case {
    std::string in;
    std::string out;
  };
  const Case cases[] = {
      {"a\x80" "b", "a" + fffd + "b"},
      {"\xC0\xAF", fffd + fffd},
      {"\xED\xA0\x80", fffd + fffd + fffd},
      {"x\xE2\x82", "x" + fffd + fffd},
      {"\xF0\x9F\x98", fffd + fffd + fffd},
      {"\xFF\xFE", fffd + fffd},
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},
      {"é€😀\xF4\x8F\xBF\xBF", "é€😀\xF4\x8F\xBF\xBF"},  // valid UTF-8 passes unchanged
      {"\xC3\xA9\x80", "\xC3\xA9" + fffd},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    std::string out;
    soc::append_json_string(out, c.in);
    CHECK(out == "\"" + c.out + "\"");
    Event e;
    e.set(c.in, c.in);  // in a key and in a value
    const Event back = decode_ok(soc::encode_event(e));
    REQUIRE(back.size() == 1);
    CHECK(back.begin()->key == c.out);
    CHECK(back.begin()->value == Value(c.out));
  }
}

TEST_CASE("encoder writes a list nested in a list as its text") {
  Event e;
  e.set("l", List{Value(List{1, 2}), "x"});
  CHECK(soc::encode_event(e) == R"({"l":["1,2","x"]})");
}

TEST_CASE("decoding what the encoder wrote gives back the same event for every value type") {
  Event e;
  e.set("@timestamp", ts("2026-11-27T13:20:21.123456Z"));
  e.set("event.start", ts("0001-01-01T00:00:00Z"));
  e.set("event.end", ts("9999-12-31T23:59:59.999999Z"));
  e.set("event.kind", "event");
  e.set("message", "quote \" backslash \\ newline \n tab \t nul " + std::string(1, '\0') + " é 😀");
  e.set("source.ip", ip("192.0.2.1"));
  e.set("destination.ip", ip("2001:db8::ff"));
  e.set("host.ip", List{ip("10.0.0.1"), ip("::ffff:10.0.0.1")});
  e.set("source.port", 65535);
  e.set("event.duration", std::numeric_limits<int64_t>::min());
  e.set("soc.count", std::numeric_limits<int64_t>::max());
  e.set("event.category", List{"authentication", "network"});
  e.set("tags", List{});
  e.set("x.float", 2.0);
  e.set("x.small", -1.25e-300);
  e.set("x.true", true);
  e.set("x.false", false);
  e.set("x.list", List{1, -2, 2.5, true, "s"});
  e.set("x.empty", "");
  e.set("key with spaces and \"quotes\"", "v");
  const std::string json = soc::encode_event(e);
  CAPTURE(json);
  const Event back = decode_ok(json);
  REQUIRE(back.size() == e.size());
  auto it = back.begin();
  for (const auto& f : e) {
    CAPTURE(f.key);
    CHECK(it->key == f.key);
    CHECK(it->value == f.value);
    ++it;
  }
  CHECK(soc::encode_event(back) == json);
}

// The encoder scans and copies sixteen bytes at a time with short copies for the rest: a special
// byte at every position of strings of every length up to 70 (across the block and word
// boundaries), in keys and values, must come out as the byte-by-byte rules say.
TEST_CASE("encoder escapes a special byte at every position of strings of every length") {
  auto reference = [](std::string_view s) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"') out += "\\\"";
      else if (c == '\\') out += "\\\\";
      else if (c == '\n') out += "\\n";
      else if (c == '\r') out += "\\r";
      else if (c == '\t') out += "\\t";
      else if (c < 0x20) out += fmt::format("\\u{:04x}", c);
      else if (c == 0xC3 && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) {
        out += s.substr(i, 2);
        ++i;
      } else if (c >= 0x80) out += "\xEF\xBF\xBD";
      else out += static_cast<char>(c);
    }
    return out + "\"";
  };
  const std::vector<std::string> specials = {"\"", "\\", "\n", std::string(1, '\0'), "\x1f", "\xC3\xA9", "\xFF", "\x80"};
  for (const std::string& special : specials) {
    for (size_t len = 0; len <= 70; ++len) {
      for (size_t pos = 0; pos <= len; ++pos) {
        std::string s;
        for (size_t i = 0; i < len; ++i) s += static_cast<char>('a' + i % 26);
        s.insert(pos, special);
        CAPTURE(s);
        Event e;
        e.set(s, s);
        CHECK(soc::encode_event(e) == "{" + reference(s) + ":" + reference(s) + "}");
      }
    }
  }
}

TEST_CASE("encoder writes events of many large fields, one after the other into one string") {
  std::string out;
  std::string expect;
  for (int round = 0; round < 3; ++round) {
    Event e;
    for (int i = 0; i < 40; ++i) e.set(fmt::format("k{}", i), std::string(static_cast<size_t>(1000 * i + round), '"'));
    soc::encode_event(e, out);
    expect += "{";
    for (int i = 0; i < 40; ++i) {
      if (i) expect += ",";
      expect += fmt::format("\"k{}\":\"", i);
      for (int k = 0; k < 1000 * i + round; ++k) expect += "\\\"";
      expect += "\"";
    }
    expect += "}";
  }
  CHECK(out == expect);
}
