#include "sensors/packet/decode.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

namespace {

using namespace soc::sensors::packet;
using Bytes = std::vector<uint8_t>;

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// IPv4 10.0.0.1 -> 10.0.0.2 carrying `l4` of protocol `proto`.
Bytes ipv4(uint8_t proto, const Bytes& l4, uint16_t frag = 0) {
  const auto total = static_cast<uint16_t>(20 + l4.size());
  Bytes ip = {0x45, 0, uint8_t(total >> 8), uint8_t(total), 0, 0, uint8_t(frag >> 8), uint8_t(frag), 64, proto, 0, 0,
              10, 0, 0, 1, 10, 0, 0, 2};
  return cat(ip, l4);
}

// IPv6 2001:db8::1 -> 2001:db8::2, next header `next`, then `rest`.
Bytes ipv6(uint8_t next, const Bytes& rest) {
  const auto plen = static_cast<uint16_t>(rest.size());
  Bytes ip = {0x60, 0, 0, 0, uint8_t(plen >> 8), uint8_t(plen), next, 64};
  Bytes a = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Bytes b = a;
  b[15] = 2;
  return cat(cat(cat(ip, a), b), rest);
}

Bytes udp(uint16_t sport, uint16_t dport, size_t payload = 4) {
  const auto len = static_cast<uint16_t>(8 + payload);
  Bytes u = {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), uint8_t(len >> 8), uint8_t(len), 0, 0};
  u.resize(len, 0xAB);
  return u;
}

Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint8_t doff_words = 5) {
  Bytes t = {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), 0, 0, 0, 1, 0, 0, 0, 0,
             uint8_t(doff_words << 4), flags, 0xFF, 0xFF, 0, 0, 0, 0};
  return t;
}

Bytes ether(uint16_t type, const Bytes& payload) {
  Bytes e = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, uint8_t(type >> 8), uint8_t(type)};
  return cat(e, payload);
}

DecodeOutcome run(LinkType t, const Bytes& f, DecodedPacket& p, uint32_t wire_len = 0) {
  return decode(static_cast<int>(t), f.data(), static_cast<uint32_t>(f.size()),
                wire_len ? wire_len : static_cast<uint32_t>(f.size()), p);
}

}  // namespace

TEST_CASE("an Ethernet IPv4 UDP frame gives addresses, ports and the IP packet") {
  const Bytes f = ether(0x0800, ipv4(17, udp(5353, 53)));
  DecodedPacket p;
  const auto r = run(LinkType::Ethernet, f, p);
  REQUIRE(r.ok);
  CHECK(p.ip_version == 4);
  CHECK(p.protocol == 17);
  CHECK(p.src[0] == 10);
  CHECK(p.src[3] == 1);
  CHECK(p.dst[3] == 2);
  CHECK(p.src_port == 5353);
  CHECK(p.dst_port == 53);
  CHECK(p.ip == f.data() + 14);
  CHECK(p.ip_len == 20 + 12);
  CHECK_FALSE(p.has_vlan);
}

TEST_CASE("Ethernet padding after the IP packet is not given to nDPI") {
  Bytes f = ether(0x0800, ipv4(6, tcp(1, 2, tcp_flag::kSyn)));
  f.resize(f.size() + 6, 0);
  DecodedPacket p;
  REQUIRE(run(LinkType::Ethernet, f, p).ok);
  CHECK(p.ip_len == 40);
  CHECK(p.tcp_flags == tcp_flag::kSyn);
}

TEST_CASE("stacked VLAN tags keep the outer id") {
  const Bytes inner = {0x00, 0x07, 0x81, 0x00, 0x00, 0x2A, 0x08, 0x00};  // outer id 7, inner 42
  Bytes f = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x88, 0xA8};
  f = cat(cat(f, inner), ipv4(17, udp(1, 2)));
  DecodedPacket p;
  REQUIRE(run(LinkType::Ethernet, f, p).ok);
  CHECK(p.has_vlan);
  CHECK(p.vlan_id == 7);
  CHECK(p.dst_port == 2);
}

TEST_CASE("Linux cooked captures (SLL and SLL2) are decoded") {
  Bytes sll(16, 0);
  sll[14] = 0x08, sll[15] = 0x00;
  DecodedPacket p;
  REQUIRE(run(LinkType::LinuxSll, cat(sll, ipv4(17, udp(10, 20))), p).ok);
  CHECK(p.src_port == 10);
  Bytes sll2(20, 0);
  sll2[0] = 0x86, sll2[1] = 0xDD;
  REQUIRE(run(LinkType::LinuxSll2, cat(sll2, ipv6(17, udp(30, 40))), p).ok);
  CHECK(p.ip_version == 6);
  CHECK(p.dst_port == 40);
}

TEST_CASE("BSD loopback in either byte order, DLT_LOOP and raw IP are decoded") {
  DecodedPacket p;
  REQUIRE(run(LinkType::Null, cat({2, 0, 0, 0}, ipv4(17, udp(1, 2))), p).ok);
  REQUIRE(run(LinkType::Null, cat({0, 0, 0, 2}, ipv4(17, udp(1, 2))), p).ok);
  REQUIRE(run(LinkType::Null, cat({30, 0, 0, 0}, ipv6(17, udp(1, 2))), p).ok);
  CHECK(p.ip_version == 6);
  REQUIRE(run(LinkType::Loop, cat({0, 0, 0, 2}, ipv4(17, udp(1, 2))), p).ok);
  REQUIRE(run(LinkType::Raw, ipv6(6, tcp(80, 81, tcp_flag::kAck)), p).ok);
  CHECK(p.src_port == 80);
  REQUIRE(run(LinkType::Raw, ipv4(1, {8, 0, 0, 0, 0, 1, 0, 1}), p).ok);
  CHECK(p.protocol == 1);
  CHECK(p.src_port == 0);
}

TEST_CASE("IPv6 extension headers are walked to the transport header") {
  // hop-by-hop (8 bytes) -> destination options (8 bytes) -> UDP
  Bytes hop = {60, 0, 1, 4, 0, 0, 0, 0};
  Bytes dst = {17, 0, 1, 4, 0, 0, 0, 0};
  DecodedPacket p;
  REQUIRE(run(LinkType::Raw, ipv6(0, cat(cat(hop, dst), udp(546, 547))), p).ok);
  CHECK(p.protocol == 17);
  CHECK(p.src_port == 546);
  // an extension header that runs past the packet
  Bytes bad = {17, 200, 0, 0, 0, 0, 0, 0};
  CHECK(run(LinkType::Raw, ipv6(0, bad), p).reason == DropReason::BadIpv6Extension);
}

TEST_CASE("non-first fragments are dropped as fragments, first fragments make the flow") {
  DecodedPacket p;
  auto r = run(LinkType::Raw, ipv4(17, udp(1, 2), 0x0010), p);
  CHECK_FALSE(r.ok);
  CHECK(r.reason == DropReason::Fragment);
  CHECK_FALSE(is_malformed(r.reason));
  CHECK(run(LinkType::Raw, ipv4(17, udp(1, 2), 0x2000), p).ok);  // MF set, offset 0
  Bytes frag6 = {17, 0, 0x00, 0x08, 0, 0, 0, 1};  // offset 1
  CHECK(run(LinkType::Raw, ipv6(44, cat(frag6, udp(1, 2))), p).reason == DropReason::Fragment);
}

TEST_CASE("6in4 is decapsulated: the flow is the inner packet's") {
  DecodedPacket p;
  REQUIRE(run(LinkType::Raw, ipv4(41, ipv6(17, udp(514, 515))), p).ok);
  CHECK(p.tunnelled);
  CHECK(p.ip_version == 6);
  CHECK(p.dst_port == 515);
}

TEST_CASE("damaged frames are refused with their reason, never read past the capture") {
  DecodedPacket p;
  const Bytes good = ether(0x0800, ipv4(6, tcp(1, 2, tcp_flag::kSyn)));
  // every prefix of a good frame: refused or decoded, never out of bounds (ASan would tell)
  for (size_t n = 0; n < good.size(); ++n) {
    Bytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    const auto r = run(LinkType::Ethernet, cut, p);
    CHECK_FALSE(r.ok);
    CHECK(is_malformed(r.reason));
  }
  CHECK(run(LinkType::Ethernet, Bytes(10, 0), p).reason == DropReason::TruncatedLink);
  CHECK(run(LinkType::Ethernet, ether(0x0806, Bytes(28, 0)), p).reason == DropReason::NotIp);
  Bytes bad_ihl = ipv4(17, udp(1, 2));
  bad_ihl[0] = 0x44;
  CHECK(run(LinkType::Raw, bad_ihl, p).reason == DropReason::BadIpHeader);
  CHECK(run(LinkType::Raw, ipv4(6, tcp(1, 2, 0, 3)), p).reason == DropReason::BadTcpHeader);
  CHECK(run(LinkType::Raw, ipv4(17, {0, 1, 0}), p).reason == DropReason::TruncatedTransport);
}

TEST_CASE("an IP length beyond the frame is damage, unless the capture's snaplen cut the frame") {
  const Bytes full = ipv4(17, udp(1, 2, 100));
  const Bytes cut(full.begin(), full.begin() + 40);
  DecodedPacket p;
  CHECK(run(LinkType::Raw, cut, p).reason == DropReason::TruncatedIp);
  const auto r = run(LinkType::Raw, cut, p, static_cast<uint32_t>(full.size()));
  REQUIRE(r.ok);
  CHECK(p.snapped);
  CHECK(p.ip_len == 40);
  CHECK(p.payload_len == 12);
}

TEST_CASE("drop reasons have stable names") {
  CHECK(to_string(DropReason::TruncatedIp) == "truncated_ip");
  CHECK(to_string(DropReason::NotIp) == "not_ip");
  CHECK(to_string(DropReason::BadTcpHeader) == "bad_tcp_header");
}
