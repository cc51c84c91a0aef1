#include "core/regex/regex.h"

#include <doctest/doctest.h>

#include <string>

using soc::regex::Regex;

TEST_CASE("named groups are listed with their numbers") {
  auto r = Regex::compile(R"(^(?<user>\S+) from (?<ip>\S+)(?: port (\d+))?)");
  REQUIRE(r.ok());
  REQUIRE(r->groups().size() == 2);
  CHECK(r->capture_count() == 3);
  Regex::Captures caps;
  REQUIRE(r->search("root from 10.0.0.1", caps));
  for (const auto& g : r->groups()) {
    if (g.name == "user") CHECK(caps.group(g.number) == "root");
    if (g.name == "ip") CHECK(caps.group(g.number) == "10.0.0.1");
  }
  CHECK_FALSE(caps.matched(3));
  CHECK(caps.group(3).empty());
  CHECK(caps.group(99).empty());
}

TEST_CASE("a syntax error is a value with its offset") {
  auto r = Regex::compile("a(b");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "regex.syntax");
  CHECK(r.error().message.find("offset 3") != std::string::npos);
}

TEST_CASE("subjects are bytes: NUL and invalid UTF-8 are matched, not refused") {
  auto r = Regex::compile("b(?<x>.)c");
  REQUIRE(r.ok());
  Regex::Captures caps;
  const std::string s("a\0b\xff" "c", 5);
  REQUIRE(r->search(s, caps));
  CHECK(caps.group(1) == "\xff");
}

TEST_CASE("a pattern that backtracks without end on a hostile subject gives up as no match") {
  // (a+)+$ against "aaaa...b" takes 2^n steps without a limit: 2^40 would not finish.
  auto r = Regex::compile("^(a+)+$");
  REQUIRE(r);
  Regex::Captures caps;
  const std::string hostile = std::string(40, 'a') + "b";
  CHECK_FALSE(r->search(hostile, caps));
  CHECK(r->search(std::string(40, 'a'), caps));
}
