#include "core/json_tree.h"

#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <random>
#include <string>

namespace {

using soc::json::Node;

std::string error_of(std::string_view text, const soc::json::ParseLimits& limits = {}) {
  auto r = soc::json::parse(text, limits);
  REQUIRE_FALSE(r);
  return r.error().where_and_what();
}

}  // namespace

TEST_CASE("json tree reads objects in document order, arrays, strings with escapes and numbers") {
  auto r = soc::json::parse(R"({"b": 1, "a": [true, false, null, -7, 2.5, 1e3], "s": "C\u1ed5ng \"d\u1ecbch\" v\u1ee5\n",
                                "e": {}, "l": [], "big": 9223372036854775807, "bigger": 9223372036854775808})");
  REQUIRE(r);
  const Node& n = *r;
  REQUIRE(n.is_object());
  CHECK(n.members()[0].first == "b");
  CHECK(n.members()[1].first == "a");
  CHECK(n.find("b")->as_int() == 1);
  const auto& a = n.find("a")->items();
  REQUIRE(a.size() == 6);
  CHECK(a[0].as_bool());
  CHECK_FALSE(a[1].as_bool());
  CHECK(a[2].is_null());
  CHECK(a[3].as_int() == -7);
  CHECK(a[4].as_double() == 2.5);
  CHECK(a[5].kind() == Node::Kind::Float);
  CHECK(n.find("s")->as_string() == "Cổng \"dịch\" vụ\n");
  CHECK(n.find("e")->members().empty());
  CHECK(n.find("l")->items().empty());
  CHECK(n.find("big")->as_int() == INT64_MAX);
  CHECK(n.find("bigger")->kind() == Node::Kind::Float);
  CHECK(n.find("missing") == nullptr);
  CHECK(a[0].find("x") == nullptr);
  // A surrogate pair.
  CHECK(soc::json::parse(R"("\ud83d\ude00")")->as_string() == "\xF0\x9F\x98\x80");
}

TEST_CASE("json tree refuses bad input with the line and column where it stopped") {
  CHECK(error_of("{\n  \"a\": 1,\n  \"a\": 2\n}") == "3:3: member \"a\" written twice");
  CHECK(error_of("{\"a\": tru}") == "1:7: expected a JSON value");
  CHECK(error_of("[1, 2") == "1:6: expected ',' or ']' in an array");
  CHECK(error_of("{\"a\" 1}") == "1:6: expected ':' after a member name");
  CHECK(error_of("\"abc") == "1:5: the text ends inside a string");
  CHECK(error_of("\"a\x01\"") == "1:3: a control character inside a string");
  CHECK(error_of("\"\xC3\x28\"") == "1:2: bytes that are not UTF-8 in a string");
  CHECK(error_of(R"("\ud83d")") == "1:8: a lone surrogate in a \\u escape");
  CHECK(error_of(R"("\x")") == "1:2: an unknown escape in a string");
  CHECK(error_of("01") == "1:1: a number with a leading zero");
  CHECK(error_of("1e999") == "1:1: a number out of range");
  CHECK(error_of("{} x") == "1:4: unexpected text after the JSON value");
  CHECK(error_of("") == "1:1: the text ends where a value is expected");
  CHECK(error_of("[[[[1]]]]", {.max_depth = 3}) == "1:4: nested deeper than 3");
  CHECK(error_of("[1, 2, 3]", {.max_nodes = 3}) == "1:8: more than 3 values");
  CHECK(error_of("[1, 2, 3]", {.max_bytes = 4}) == "1:5: more than 4 bytes");
}

TEST_CASE("json tree never crashes on random bytes or mutated documents") {
  std::mt19937 rng(13);
  const std::string doc = R"({"systems": [{"id": "x", "level": 3, "requirements": [{"status": "met", "evidence": []}]}]})";
  for (int i = 0; i < 20000; ++i) {
    std::string s = doc;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) s[rng() % s.size()] = static_cast<char>(rng() % 256);
    (void)soc::json::parse(s);
  }
  std::string deep(100000, '[');
  CHECK_FALSE(soc::json::parse(deep));
}

TEST_CASE("json writer writes members in order, indents, and keeps compact containers on one line") {
  soc::json::Writer w;
  w.begin_object();
  w.key("name").value("Cổng \"dịch vụ\"");
  w.key("n").value(int64_t{-3});
  w.key("ok").value(true);
  w.key("none").null();
  w.key("list").begin_array();
  w.begin_object(true);
  w.key("a").value(int64_t{1});
  w.key("b").begin_array();
  w.value("x");
  w.end_array();
  w.end_object();
  w.end_array();
  w.key("empty").begin_array();
  w.end_array();
  w.end_object();
  const std::string text = w.take();
  CHECK(text ==
        "{\n"
        "  \"name\": \"Cổng \\\"dịch vụ\\\"\",\n"
        "  \"n\": -3,\n"
        "  \"ok\": true,\n"
        "  \"none\": null,\n"
        "  \"list\": [\n"
        "    {\"a\": 1, \"b\": [\"x\"]}\n"
        "  ],\n"
        "  \"empty\": []\n"
        "}\n");
  auto back = soc::json::parse(text);
  REQUIRE(back);
  CHECK(back->find("name")->as_string() == "Cổng \"dịch vụ\"");
  CHECK(back->find("list")->items()[0].find("b")->items()[0].as_string() == "x");
}

// What the alert store's API and socctl alerts use (they read with json_value.h before the fold).
TEST_CASE("json tree follows paths, reads strings with a fallback and dumps dense text") {
  auto v = soc::json::parse(R"( {"alerts":[{"id":9007199254740993,"rule":{"name":"SSH \u00e9 \ud83d\ude00"}},{"x":-1.5e3}],
                                 "next":null,"ok":true} )");
  REQUIRE(v);
  const auto& alerts = v->find("alerts")->items();
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0].find("id")->is_int());
  CHECK(alerts[0].find("id")->as_int() == 9007199254740993);
  CHECK(alerts[0].at({"rule", "name"})->as_string() == "SSH é 😀");
  CHECK(alerts[0].at({"rule", "missing"}) == nullptr);
  CHECK(alerts[0].at({"id", "name"}) == nullptr);
  CHECK(alerts[0].find("rule")->string_or("name") == "SSH é 😀");
  CHECK(alerts[0].string_or("id", "none") == "none");  // not a string
  CHECK(alerts[0].string_or("absent") == "");
  CHECK_FALSE(alerts[1].find("x")->is_int());
  CHECK(alerts[1].find("x")->as_double() == -1500);
  CHECK(v->dump() ==
        R"({"alerts":[{"id":9007199254740993,"rule":{"name":"SSH é 😀"}},{"x":-1500}],"next":null,"ok":true})");
  CHECK(soc::json::Node(0.25).dump() == "0.25");
  CHECK(soc::json::Node(std::numeric_limits<double>::infinity()).dump() == "null");
}

TEST_CASE("dense json writer chains, places commas, inserts raw JSON and ends without a newline") {
  soc::json::Writer w(soc::json::Writer::Layout::Dense);
  w.begin_object().key("a").value(int64_t{1}).key("b").begin_array().value("x\"y").null().value(true).end_array();
  w.key("c").begin_object().end_object().key("d").raw(R"({"k":2})");
  w.key("e").value(uint64_t{18446744073709551615u}).key("f").value(std::optional<std::string>{});
  w.key("g").begin_array(true).value(7).end_array().end_object();
  const std::string text = w.take();
  CHECK(text == R"({"a":1,"b":["x\"y",null,true],"c":{},"d":{"k":2},"e":18446744073709551615,"f":null,"g":[7]})");
  auto back = soc::json::parse(text);
  REQUIRE(back);
  CHECK(back->at({"d", "k"})->as_int() == 2);
  CHECK(back->find("e")->kind() == Node::Kind::Float);  // past int64: read as a double
}

TEST_CASE("a parsed tree written again gives the same document in either layout") {
  const std::string text = "{\n  \"s\": [\n    1,\n    {\"a\": \"é\"}\n  ],\n  \"t\": false\n}\n";
  auto v = soc::json::parse(text);
  REQUIRE(v);
  soc::json::Writer dense(soc::json::Writer::Layout::Dense);
  dense.value(*v);
  CHECK(dense.take() == R"({"s":[1,{"a":"é"}],"t":false})");
  soc::json::Writer indented;
  indented.value(*v);
  CHECK(indented.take() == "{\n  \"s\": [\n    1,\n    {\n      \"a\": \"é\"\n    }\n  ],\n  \"t\": false\n}\n");
}
