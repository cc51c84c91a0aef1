#include "core/value.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

TEST_CASE("a value reports the type it was built with") {
  CHECK(soc::Value().is_string());
  CHECK(soc::Value("text").type() == soc::ValueType::String);
  CHECK(soc::Value(std::string("s")).is_string());
  CHECK(soc::Value(std::string_view("s")).is_string());
  CHECK(soc::Value(5).type() == soc::ValueType::Int);
  CHECK(soc::Value(int64_t{5}).is_int());
  CHECK(soc::Value(uint32_t{4000000000u}).as_int() == 4000000000);
  CHECK(soc::Value(2.5).type() == soc::ValueType::Float);
  CHECK(soc::Value(true).type() == soc::ValueType::Bool);
  CHECK(soc::Value(soc::IpAddress::v4(1)).type() == soc::ValueType::Ip);
  CHECK(soc::Value(soc::Timestamp{}).type() == soc::ValueType::Timestamp);
  CHECK(soc::Value(soc::List{1, 2}).type() == soc::ValueType::List);
}

TEST_CASE("values of different types are never equal") {
  CHECK(soc::Value(1) != soc::Value(1.0));
  CHECK(soc::Value("1") != soc::Value(1));
  CHECK(soc::Value(true) != soc::Value(1));
  CHECK(soc::Value(soc::List{1}) != soc::Value(1));
  CHECK(soc::Value(soc::List{1, "a"}) == soc::Value(soc::List{1, "a"}));
}

TEST_CASE("to_text writes scalars the way JSON shows them and joins lists with commas") {
  CHECK(soc::Value("a b").to_text() == "a b");
  CHECK(soc::Value(-42).to_text() == "-42");
  CHECK(soc::Value(std::numeric_limits<int64_t>::min()).to_text() == "-9223372036854775808");
  CHECK(soc::Value(2.5).to_text() == "2.5");
  CHECK(soc::Value(true).to_text() == "true");
  CHECK(soc::Value(false).to_text() == "false");
  CHECK(soc::Value(soc::IpAddress::v4(0x0A000001)).to_text() == "10.0.0.1");
  CHECK(soc::Value(soc::Timestamp{}).to_text() == "1970-01-01T00:00:00.000000Z");
  CHECK(soc::Value(soc::List{"a", 1, true}).to_text() == "a,1,true");
  CHECK(soc::Value(soc::List{}).to_text() == "");
}

TEST_CASE("to_string names every value type") {
  CHECK(soc::to_string(soc::ValueType::String) == "string");
  CHECK(soc::to_string(soc::ValueType::Int) == "integer");
  CHECK(soc::to_string(soc::ValueType::Float) == "float");
  CHECK(soc::to_string(soc::ValueType::Bool) == "boolean");
  CHECK(soc::to_string(soc::ValueType::Ip) == "ip");
  CHECK(soc::to_string(soc::ValueType::Timestamp) == "timestamp");
  CHECK(soc::to_string(soc::ValueType::List) == "list");
}
