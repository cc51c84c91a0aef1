#include "core/ip_address.h"

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <string_view>

namespace {

soc::IpAddress ip(std::string_view text) {
  const auto a = soc::IpAddress::parse(text);
  REQUIRE_MESSAGE(a, "not an address: " << text);
  return *a;
}

}  // namespace

TEST_CASE("an IPv4 address parses into the first four bytes") {
  const auto a = ip("192.168.1.10");
  CHECK(a.is_v4());
  const std::array<uint8_t, 16> expected{192, 168, 1, 10};
  CHECK(a.bytes() == expected);
  CHECK(a.to_string() == "192.168.1.10");
  CHECK(a == soc::IpAddress::v4(0xC0A8010A));
  CHECK(ip("0.0.0.0").to_string() == "0.0.0.0");
  CHECK(ip("255.255.255.255") == soc::IpAddress::v4(0xFFFFFFFF));
  CHECK(soc::IpAddress() == soc::IpAddress::v4(0));
}

TEST_CASE("an IPv6 address parses into sixteen bytes and prints in RFC 5952 form") {
  const auto a = ip("2001:db8::1");
  CHECK_FALSE(a.is_v4());
  const std::array<uint8_t, 16> expected{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  CHECK(a.bytes() == expected);
  CHECK(a.to_string() == "2001:db8::1");
  CHECK(ip("2001:DB8:0:0:0:0:0:1") == a);
  CHECK(ip("2001:DB8:0:0:0:0:0:1").to_string() == "2001:db8::1");
  CHECK(soc::IpAddress::v6(expected.data()) == a);
  CHECK(ip("::").to_string() == "::");
  CHECK(ip("::1").to_string() == "::1");
  CHECK(ip("fe80::1:2:3:4").to_string() == "fe80::1:2:3:4");
  CHECK(ip("::ffff:192.0.2.1").to_string() == "::ffff:192.0.2.1");
}

TEST_CASE("an IPv4 address and its IPv4-mapped IPv6 form are different addresses") {
  const auto v4 = ip("192.0.2.1");
  const auto mapped = ip("::ffff:192.0.2.1");
  CHECK_FALSE(mapped.is_v4());
  CHECK(v4 != mapped);
  CHECK(ip("0.0.0.0") != ip("::"));
}

TEST_CASE("addresses order by family flag and bytes") {
  CHECK(ip("10.0.0.1") < ip("10.0.0.2"));
  CHECK(ip("9.255.255.255") < ip("10.0.0.0"));
  CHECK(ip("::1") < ip("::2"));
}

TEST_CASE("in_prefix matches IPv4 networks of /0, /8, /24, /25 and /32") {
  const auto a = ip("192.168.1.77");
  CHECK(a.in_prefix(ip("0.0.0.0"), 0));
  CHECK(a.in_prefix(ip("255.255.255.255"), 0));
  CHECK(a.in_prefix(ip("192.0.0.0"), 8));
  CHECK_FALSE(a.in_prefix(ip("10.0.0.0"), 8));
  CHECK(a.in_prefix(ip("192.168.1.0"), 24));
  CHECK_FALSE(ip("192.168.2.1").in_prefix(ip("192.168.1.0"), 24));
  CHECK(ip("192.168.1.127").in_prefix(ip("192.168.1.0"), 25));
  CHECK_FALSE(ip("192.168.1.128").in_prefix(ip("192.168.1.0"), 25));
  CHECK(ip("192.168.1.128").in_prefix(ip("192.168.1.128"), 25));
  CHECK(a.in_prefix(ip("192.168.1.77"), 32));
  CHECK_FALSE(a.in_prefix(ip("192.168.1.76"), 32));
  CHECK_FALSE(a.in_prefix(ip("192.168.1.77"), 33));  // longer than the address
  CHECK(ip("172.31.255.255").in_prefix(ip("172.16.0.0"), 12));
  CHECK_FALSE(ip("172.32.0.0").in_prefix(ip("172.16.0.0"), 12));
}

TEST_CASE("in_prefix matches IPv6 networks of /0, /64, /127 and /128") {
  const auto net = ip("2001:db8:1:2::");
  CHECK(ip("2001:db8:1:2::5").in_prefix(net, 64));
  CHECK(ip("2001:db8:1:2:ffff:ffff:ffff:ffff").in_prefix(net, 64));
  CHECK_FALSE(ip("2001:db8:1:3::5").in_prefix(net, 64));
  CHECK(ip("2001:db8:1:3::5").in_prefix(net, 0));
  CHECK(ip("::1").in_prefix(ip("::1"), 128));
  CHECK_FALSE(ip("::1").in_prefix(ip("::"), 128));
  CHECK(ip("::1").in_prefix(ip("::"), 127));
  CHECK_FALSE(ip("::1").in_prefix(ip("::1"), 129));
}

TEST_CASE("in_prefix never matches across address families") {
  CHECK_FALSE(ip("10.0.0.1").in_prefix(ip("::"), 0));
  CHECK_FALSE(ip("::ffff:10.0.0.1").in_prefix(ip("10.0.0.0"), 8));
  CHECK_FALSE(ip("::ffff:10.0.0.1").in_prefix(ip("0.0.0.0"), 0));
}

TEST_CASE("parse refuses text that is not exactly one address") {
  const std::string hundred(100, '1');
  const std::string long_v6 = "0000:0000:0000:0000:0000:0000:0000:0001" + std::string(30, ' ');
  const std::string_view bad[] = {
      "",
      "abc",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "1.2.3.-4",
      "1.2.3.4/24",
      "1.2.3.4:80",
      " 1.2.3.4",
      "1.2.3.4 ",
      "1.2.3.4\n",
      "0x01.2.3.4",
      "fe80::1%eth0",
      "[::1]",
      "::1::2",
      "1:2:3:4:5:6:7:8:9",
      "12345::",
      "gggg::",
      ":",
      hundred,
      long_v6,
      std::string_view("1.2.3.4\0evil", 12),
      std::string_view("::1\0", 4),
  };
  for (const auto text : bad) {
    CAPTURE(text);
    CHECK_FALSE(soc::IpAddress::parse(text));
  }
}

TEST_CASE("parse accepts the longest textual IPv6 form") {
  const std::string longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";  // 45 characters
  const auto a = soc::IpAddress::parse(longest);
  REQUIRE(a);
  CHECK(a->to_string() == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}
