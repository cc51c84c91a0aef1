#include "core/json_value.h"

#include <doctest/doctest.h>

namespace soc {
namespace {

TEST_CASE("JSON documents parse into a tree that keeps nesting, order and exact integers") {
  auto v = parse_json(R"( {"alerts":[{"id":9007199254740993,"rule":{"name":"SSH \u00e9 \ud83d\ude00"}},{"x":-1.5e3}],
                           "next":null,"ok":true} )");
  REQUIRE(v.ok());
  const auto& alerts = v->find("alerts")->as_array();
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].find("id")->is_integer());
  CHECK(alerts[0].find("id")->as_int() == 9007199254740993);
  CHECK(alerts[0].at({"rule", "name"})->as_string() == "SSH é 😀");
  CHECK_FALSE(alerts[1].find("x")->is_integer());
  CHECK(alerts[1].find("x")->as_number() == -1500);
  CHECK(v->find("next")->is_null());
  CHECK(v->find("ok")->as_bool());
  CHECK(v->find("missing") == nullptr);
  CHECK(v->dump() ==
        R"({"alerts":[{"id":9007199254740993,"rule":{"name":"SSH é 😀"}},{"x":-1500}],"next":null,"ok":true})");
}

TEST_CASE("malformed JSON is refused with the byte where it went wrong") {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", "byte 0: empty document"},
      {"{\"a\":1,}", "byte 7: expected a member name in double quotes"},
      {"{\"a\" 1}", "byte 5: expected ':' after a member name"},
      {"[1 2]", "byte 3: expected ',' or ']' in an array"},
      {"{\"a\":1}x", "byte 7: unexpected text after the JSON value"},
      {"\"\xff\"", "byte 1: bytes that are not UTF-8"},
      {"\"\\ud800\"", "byte 7: a lone surrogate in a \\u escape"},
      {"\"a\nb\"", "byte 2: a control character in a string (escape it)"},
      {"01", "byte 0: a number cannot start with 0"},
      {"1e999", "byte 5: a number out of range"},
      {"{\"a\":1,\"a\":2}", "byte 10: duplicate member \"a\""},
      {"tru", "byte 0: not a JSON value"},
  };
  for (const auto& [text, message] : cases) {
    CAPTURE(text);
    auto v = parse_json(text);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code == "json");
    CHECK(v.error().message == message);
  }
}

TEST_CASE("nesting and size are bounded") {
  std::string deep(100, '[');
  deep += std::string(100, ']');
  auto v = parse_json(deep);
  REQUIRE_FALSE(v.ok());
  CHECK(v.error().message == "byte 64: nested deeper than 64 levels");
  JsonLimits small;
  small.max_bytes = 4;
  CHECK(parse_json("[1,2,3]", small).error().message == "byte 0: the document is larger than 4 bytes");
}

TEST_CASE("JsonWriter places commas and escapes strings") {
  JsonWriter w;
  w.begin_object().key("a").value(int64_t{1}).key("b").begin_array().value("x\"y").null().value(true).end_array();
  w.key("c").begin_object().end_object().key("d").raw(R"({"k":2})").end_object();
  CHECK(w.str() == R"({"a":1,"b":["x\"y",null,true],"c":{},"d":{"k":2}})");
  auto back = parse_json(w.str());
  REQUIRE(back.ok());
  CHECK(back->at({"d", "k"})->as_int() == 2);
}

}  // namespace
}  // namespace soc
