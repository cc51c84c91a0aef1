#include "core/event.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

std::vector<std::string> keys(const soc::Event& e) {
  std::vector<std::string> out;
  for (const auto& f : e) out.push_back(f.key);
  return out;
}

}  // namespace

TEST_CASE("set appends new keys in order and replaces existing ones in place") {
  soc::Event e;
  e.set("b", 1);
  e.set("a", 2);
  e.set("c", 3);
  e.set("a", "two");
  CHECK(keys(e) == std::vector<std::string>{"b", "a", "c"});
  CHECK(e.size() == 3);
  REQUIRE(e.find("a"));
  CHECK(*e.find("a") == soc::Value("two"));
}

TEST_CASE("find and contains look up exact keys only") {
  soc::Event e;
  e.set("source.ip", soc::IpAddress::v4(1));
  CHECK(e.contains("source.ip"));
  CHECK_FALSE(e.contains("source"));
  CHECK_FALSE(e.contains("source.ip.x"));
  CHECK(e.find("nope") == nullptr);
  const soc::Event& ce = e;
  CHECK(ce.find("source.ip") != nullptr);
}

TEST_CASE("erase removes one key and keeps the order of the rest") {
  soc::Event e;
  e.set("a", 1);
  e.set("b", 2);
  e.set("c", 3);
  CHECK(e.erase("b"));
  CHECK_FALSE(e.erase("b"));
  CHECK(keys(e) == std::vector<std::string>{"a", "c"});
  e.clear();
  CHECK(e.empty());
}

TEST_CASE("typed getters return nothing for an absent key or another type") {
  soc::Event e;
  e.set("s", "text");
  e.set("i", 7);
  e.set("@timestamp", soc::Timestamp{std::chrono::microseconds{5}});
  CHECK(e.get_string("s") == "text");
  CHECK(e.get_string("i").empty());
  CHECK(e.get_string("absent").empty());
  CHECK(e.get_int("i") == 7);
  CHECK_FALSE(e.get_int("s"));
  CHECK(e.get_timestamp("@timestamp") == soc::Timestamp{std::chrono::microseconds{5}});
  CHECK(e.timestamp() == soc::Timestamp{std::chrono::microseconds{5}});
  CHECK_FALSE(e.get_timestamp("s"));
}
