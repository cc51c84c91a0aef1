#include "sensors/packet/flow_table.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace soc::sensors::packet;

DecodedPacket pkt(uint8_t a, uint16_t ap, uint8_t b, uint16_t bp, uint8_t proto = 6, uint8_t flags = tcp_flag::kAck) {
  DecodedPacket p;
  p.ip_version = 4;
  p.src[0] = 10, p.src[3] = a;
  p.dst[0] = 10, p.dst[3] = b;
  p.src_port = ap, p.dst_port = bp;
  p.protocol = proto;
  p.tcp_flags = flags;
  return p;
}

struct Exported {
  uint16_t src_port;
  uint64_t packets;
  std::string reason;
};

struct Fixture {
  std::vector<Exported> out;
  FlowTable table;
  explicit Fixture(FlowTableConfig c = {})
      : table(c, [this](Flow& f, ExportReason r) { out.push_back({f.src_port, f.packets(), std::string(to_string(r))}); }) {}
  Flow& feed(const DecodedPacket& p, int64_t ts_s, uint32_t bytes = 100) {
    bool from_source, created;
    return table.on_packet(p, ts_s * 1'000'000, bytes, from_source, created);
  }
};

}  // namespace

TEST_CASE("both directions of a conversation are one flow; the first sender is the source") {
  Fixture fx;
  fx.feed(pkt(1, 1000, 2, 80, 6, tcp_flag::kSyn), 0);
  fx.feed(pkt(2, 80, 1, 1000, 6, tcp_flag::kSyn | tcp_flag::kAck), 0, 60);
  Flow& f = fx.feed(pkt(1, 1000, 2, 80), 1);
  CHECK(fx.table.size() == 1);
  CHECK(f.src_port == 1000);
  CHECK(f.src_packets == 2);
  CHECK(f.dst_packets == 1);
  CHECK(f.dst_bytes == 60);
  CHECK(f.first_us == 0);
  CHECK(f.last_us == 1'000'000);
}

TEST_CASE("the VLAN and the protocol are part of the flow's identity") {
  Fixture fx;
  auto a = pkt(1, 53, 2, 53, 17);
  auto b = a;
  b.has_vlan = true, b.vlan_id = 10;
  auto c = pkt(1, 53, 2, 53, 6);
  fx.feed(a, 0);
  fx.feed(b, 0);
  fx.feed(c, 0);
  CHECK(fx.table.size() == 3);
}

TEST_CASE("an idle flow is exported after the idle timeout, in packet time") {
  FlowTableConfig c;
  c.idle_timeout_us = 10'000'000;
  Fixture fx(c);
  fx.feed(pkt(1, 1, 2, 2, 17), 0);
  fx.feed(pkt(3, 3, 4, 4, 17), 5);
  fx.feed(pkt(3, 3, 4, 4, 17), 11);  // flow 1 idle for 11 s
  REQUIRE(fx.out.size() == 1);
  CHECK(fx.out[0].src_port == 1);
  CHECK(fx.out[0].reason == "idle_timeout");
  fx.table.flush();
  REQUIRE(fx.out.size() == 2);
  CHECK(fx.out[1].reason == "end_of_input");
  CHECK(fx.out[1].packets == 2);
}

TEST_CASE("a long flow is cut at the active timeout and goes on as a new flow") {
  FlowTableConfig c;
  c.active_timeout_us = 60'000'000;
  Fixture fx(c);
  for (int t = 0; t <= 70; t += 5) fx.feed(pkt(1, 1, 2, 2, 17), t);
  REQUIRE(fx.out.size() == 1);
  CHECK(fx.out[0].reason == "active_timeout");
  CHECK(fx.out[0].packets == 12);  // t = 0..55
  CHECK(fx.table.size() == 1);
}

TEST_CASE("FIN both ways ends a TCP flow after the linger; RST too; a new SYN starts anew") {
  FlowTableConfig c;
  c.tcp_close_linger_us = 2'000'000;
  Fixture fx(c);
  fx.feed(pkt(1, 1000, 2, 80, 6, tcp_flag::kSyn), 0);
  fx.feed(pkt(1, 1000, 2, 80, 6, tcp_flag::kFin | tcp_flag::kAck), 1);
  fx.feed(pkt(2, 80, 1, 1000, 6, tcp_flag::kFin | tcp_flag::kAck), 1);
  fx.feed(pkt(1, 1000, 2, 80, 6, tcp_flag::kAck), 1);  // the last ACK stays in the flow
  CHECK(fx.out.empty());
  fx.feed(pkt(5, 5, 6, 6, 17), 4);  // time passes
  REQUIRE(fx.out.size() == 1);
  CHECK(fx.out[0].reason == "tcp_end");
  CHECK(fx.out[0].packets == 4);

  fx.feed(pkt(1, 2000, 2, 80, 6, tcp_flag::kSyn), 10);
  fx.feed(pkt(2, 80, 1, 2000, 6, tcp_flag::kRst), 10);
  fx.feed(pkt(1, 2000, 2, 80, 6, tcp_flag::kSyn), 10);  // port reuse right after the reset
  REQUIRE(fx.out.size() == 2);  // the reset flow ended when the new SYN came
  CHECK(fx.out[1].reason == "tcp_end");
  CHECK(fx.out[1].packets == 2);
  CHECK(fx.table.size() == 2);  // the new connection and the UDP flow
}

TEST_CASE("a full table exports its least recently seen flow to make room") {
  FlowTableConfig c;
  c.max_flows = 3;
  Fixture fx(c);
  fx.feed(pkt(1, 1, 2, 1, 17), 0);
  fx.feed(pkt(1, 2, 2, 2, 17), 0);
  fx.feed(pkt(1, 3, 2, 3, 17), 0);
  fx.feed(pkt(1, 1, 2, 1, 17), 0);  // flow 1 seen again: flow 2 is now the oldest
  fx.feed(pkt(1, 4, 2, 4, 17), 0);
  REQUIRE(fx.out.size() == 1);
  CHECK(fx.out[0].src_port == 2);
  CHECK(fx.out[0].reason == "flow_table_full");
  CHECK(fx.table.size() == 3);
}
