#include "sensors/packet/decode.h"

#include <cstring>

namespace soc::sensors::packet {
namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[3]) | static_cast<uint32_t>(p[2]) << 8 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[0]) << 24;
}

constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86DD, kEtherVlan = 0x8100, kEtherQinQ = 0x88A8,
                   kEtherQinQOld = 0x9100, kEtherMplsUni = 0x8847, kEtherMplsMulti = 0x8848,
                   kEtherPppoe = 0x8864;

DecodeOutcome drop(DropReason r) { return {false, r}; }

// Per-frame decoding context.
struct Ctx {
  bool frame_cut = false;  // caplen < wire_len: the capture's snaplen cut the frame
  int depth = 0;           // IP-in-IP nesting
};

DecodeOutcome decode_ip(const uint8_t* p, uint32_t len, DecodedPacket& out, Ctx& ctx);

// IP-in-IP (4) and IPv6-in-IP (41): the inner packet makes the flow. Bounded nesting.
bool is_tunnel(uint8_t proto) { return proto == 4 || proto == 41; }
DecodeOutcome decode_inner(const uint8_t* p, uint32_t len, DecodedPacket& out, Ctx& ctx) {
  if (++ctx.depth > 2) return drop(DropReason::BadIpHeader);
  const bool has_vlan = out.has_vlan;
  const uint16_t vlan = out.vlan_id;
  out = DecodedPacket{};
  out.has_vlan = has_vlan, out.vlan_id = vlan, out.tunnelled = true;
  return decode_ip(p, len, out, ctx);
}

// Transport header: ports and flags. `l4`/`l4_len` are the captured bytes after the IP headers;
// `l4_claimed` what the IP header says is there (the packet may be snapped shorter).
DecodeOutcome decode_transport(const uint8_t* l4, uint32_t l4_len, uint32_t l4_claimed, DecodedPacket& out) {
  switch (out.protocol) {
    case 6: {  // TCP
      if (l4_claimed < 20 || l4_len < 20) return drop(DropReason::TruncatedTransport);
      const uint32_t doff = (l4[12] >> 4) * 4u;
      if (doff < 20 || doff > l4_claimed) return drop(DropReason::BadTcpHeader);
      out.src_port = be16(l4);
      out.dst_port = be16(l4 + 2);
      out.tcp_flags = l4[13];
      out.payload_len = l4_len > doff ? l4_len - doff : 0;
      out.payload = l4 + (l4_len > doff ? doff : l4_len);
      return {true, {}};
    }
    case 17: {  // UDP
      if (l4_claimed < 8 || l4_len < 8) return drop(DropReason::TruncatedTransport);
      out.src_port = be16(l4);
      out.dst_port = be16(l4 + 2);
      out.payload_len = l4_len - 8;
      return {true, {}};
    }
    default:  // ICMP, ICMPv6 and the rest: a flow per address pair and protocol, ports 0
      out.payload_len = l4_len;
      return {true, {}};
  }
}

DecodeOutcome decode_ipv4(const uint8_t* p, uint32_t len, DecodedPacket& out, Ctx& ctx) {
  if (len < 20) return drop(DropReason::TruncatedIp);
  if ((p[0] >> 4) != 4) return drop(DropReason::BadIpHeader);
  const uint32_t ihl = (p[0] & 0x0F) * 4u;
  const uint32_t total = be16(p + 2);
  if (ihl < 20 || total < ihl) return drop(DropReason::BadIpHeader);
  if (len < ihl) return drop(DropReason::TruncatedIp);
  out.ip_version = 4;
  std::memset(out.src.data(), 0, 16);
  std::memset(out.dst.data(), 0, 16);
  std::memcpy(out.src.data(), p + 12, 4);
  std::memcpy(out.dst.data(), p + 16, 4);
  out.protocol = p[9];
  // Ethernet pads short frames: the IP length, not the frame, says where the packet ends.
  out.snapped = len < total;
  if (out.snapped && !ctx.frame_cut) return drop(DropReason::TruncatedIp);
  out.ip = p;
  out.ip_len = out.snapped ? len : total;
  if ((be16(p + 6) & 0x1FFF) != 0) return drop(DropReason::Fragment);
  if (is_tunnel(out.protocol)) return decode_inner(p + ihl, out.ip_len - ihl, out, ctx);
  return decode_transport(p + ihl, out.ip_len - ihl, total - ihl, out);
}

DecodeOutcome decode_ipv6(const uint8_t* p, uint32_t len, DecodedPacket& out, Ctx& ctx) {
  if (len < 40) return drop(DropReason::TruncatedIp);
  if ((p[0] >> 4) != 6) return drop(DropReason::BadIpHeader);
  const uint32_t plen = be16(p + 4);
  // A payload length of 0 is a jumbogram (hop-by-hop option): trust the capture.
  const uint32_t total = plen == 0 ? len : 40 + plen;
  out.ip_version = 6;
  std::memcpy(out.src.data(), p + 8, 16);
  std::memcpy(out.dst.data(), p + 24, 16);
  out.snapped = len < total;
  if (out.snapped && !ctx.frame_cut) return drop(DropReason::TruncatedIp);
  out.ip = p;
  out.ip_len = out.snapped ? len : total;
  uint8_t next = p[6];
  uint32_t off = 40;
  // Extension headers, at most a handful: a loop bound keeps a crafted chain from spinning.
  for (int i = 0; i < 16; ++i) {
    if (next == 0 || next == 43 || next == 60 || next == 51 || next == 44) {
      if (off + 8 > out.ip_len) return drop(DropReason::BadIpv6Extension);
      const uint8_t following = p[off];
      uint32_t hlen;
      if (next == 44) {
        hlen = 8;
        if ((be16(p + off + 2) & 0xFFF8) != 0) {
          out.protocol = following;
          return drop(DropReason::Fragment);
        }
      } else if (next == 51) {
        hlen = (p[off + 1] + 2u) * 4u;
      } else {
        hlen = (p[off + 1] + 1u) * 8u;
      }
      if (off + hlen > out.ip_len) return drop(DropReason::BadIpv6Extension);
      off += hlen;
      next = following;
      continue;
    }
    out.protocol = next;
    if (is_tunnel(next)) return decode_inner(p + off, out.ip_len - off, out, ctx);
    return decode_transport(p + off, out.ip_len - off, total > off ? total - off : 0, out);
  }
  return drop(DropReason::BadIpv6Extension);
}

DecodeOutcome decode_ip(const uint8_t* p, uint32_t len, DecodedPacket& out, Ctx& ctx) {
  if (len < 1) return drop(DropReason::TruncatedIp);
  switch (p[0] >> 4) {
    case 4: return decode_ipv4(p, len, out, ctx);
    case 6: return decode_ipv6(p, len, out, ctx);
    default: return drop(DropReason::BadIpHeader);
  }
}

DecodeOutcome decode_by_ethertype(uint16_t type, const uint8_t* p, uint32_t len, DecodedPacket& out, Ctx& ctx);

// MPLS: skip the label stack; the payload's version nibble says IPv4 or IPv6.
DecodeOutcome decode_mpls(const uint8_t* p, uint32_t len, DecodedPacket& out, Ctx& ctx) {
  uint32_t off = 0;
  for (int i = 0; i < 16; ++i) {
    if (off + 4 > len) return drop(DropReason::TruncatedLink);
    const bool bottom = p[off + 2] & 0x01;
    off += 4;
    if (bottom) {
      if (off >= len) return drop(DropReason::TruncatedIp);
      const uint8_t v = p[off] >> 4;
      if (v != 4 && v != 6) return drop(DropReason::NotIp);
      return decode_ip(p + off, len - off, out, ctx);
    }
  }
  return drop(DropReason::TruncatedLink);
}

DecodeOutcome decode_by_ethertype(uint16_t type, const uint8_t* p, uint32_t len, DecodedPacket& out, Ctx& ctx) {
  // VLAN tags, possibly stacked (802.1ad): the outermost id names the flow's VLAN.
  for (int i = 0; i < 8 && (type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld); ++i) {
    if (len < 4) return drop(DropReason::TruncatedLink);
    if (!out.has_vlan) {
      out.has_vlan = true;
      out.vlan_id = be16(p) & 0x0FFF;
    }
    type = be16(p + 2);
    p += 4;
    len -= 4;
  }
  switch (type) {
    case kEtherIpv4:
    case kEtherIpv6: return decode_ip(p, len, out, ctx);
    case kEtherMplsUni:
    case kEtherMplsMulti: return decode_mpls(p, len, out, ctx);
    case kEtherPppoe: {  // PPPoE session: 6-byte header, then the 2-byte PPP protocol
      if (len < 8) return drop(DropReason::TruncatedLink);
      const uint16_t ppp = be16(p + 6);
      if (ppp == 0x0021 || ppp == 0x0057) return decode_ip(p + 8, len - 8, out, ctx);
      return drop(DropReason::NotIp);
    }
    default: return drop(DropReason::NotIp);
  }
}

DecodeOutcome decode_bsd_family(uint32_t family, const uint8_t* p, uint32_t len, DecodedPacket& out, Ctx& ctx) {
  // AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
  if (family == 2) return decode_ipv4(p, len, out, ctx);
  if (family == 24 || family == 28 || family == 30 || family == 10) return decode_ipv6(p, len, out, ctx);
  return drop(DropReason::NotIp);
}

}  // namespace

bool is_supported(int link_type) {
  switch (static_cast<LinkType>(link_type)) {
    case LinkType::Null:
    case LinkType::Ethernet:
    case LinkType::Raw:
    case LinkType::Loop:
    case LinkType::LinuxSll:
    case LinkType::Ipv4:
    case LinkType::Ipv6:
    case LinkType::LinuxSll2: return true;
  }
  return link_type == 101;  // LINKTYPE_RAW as some files store it
}

std::string_view to_string(DropReason r) {
  switch (r) {
    case DropReason::NotIp: return "not_ip";
    case DropReason::Fragment: return "fragment";
    case DropReason::TruncatedLink: return "truncated_link";
    case DropReason::TruncatedIp: return "truncated_ip";
    case DropReason::BadIpHeader: return "bad_ip_header";
    case DropReason::BadIpv6Extension: return "bad_ipv6_extension";
    case DropReason::TruncatedTransport: return "truncated_transport";
    case DropReason::BadTcpHeader: return "bad_tcp_header";
  }
  return "unknown";
}

bool is_malformed(DropReason r) { return r != DropReason::NotIp && r != DropReason::Fragment; }

DecodeOutcome decode(int link_type, const uint8_t* f, uint32_t caplen, uint32_t wire_len, DecodedPacket& out) {
  out = DecodedPacket{};
  Ctx ctx{caplen < wire_len, 0};
  switch (link_type) {
    case static_cast<int>(LinkType::Ethernet):
      if (caplen < 14) return drop(DropReason::TruncatedLink);
      return decode_by_ethertype(be16(f + 12), f + 14, caplen - 14, out, ctx);
    case static_cast<int>(LinkType::LinuxSll):  // 16-byte header, protocol last
      if (caplen < 16) return drop(DropReason::TruncatedLink);
      return decode_by_ethertype(be16(f + 14), f + 16, caplen - 16, out, ctx);
    case static_cast<int>(LinkType::LinuxSll2):  // 20-byte header, protocol first
      if (caplen < 20) return drop(DropReason::TruncatedLink);
      return decode_by_ethertype(be16(f), f + 20, caplen - 20, out, ctx);
    case static_cast<int>(LinkType::Null):
      if (caplen < 4) return drop(DropReason::TruncatedLink);
      // Host byte order of the machine that wrote the file: try both.
      return decode_bsd_family(le32(f) <= 0xFFFF ? le32(f) : be32(f), f + 4, caplen - 4, out, ctx);
    case static_cast<int>(LinkType::Loop):
      if (caplen < 4) return drop(DropReason::TruncatedLink);
      return decode_bsd_family(be32(f), f + 4, caplen - 4, out, ctx);
    case static_cast<int>(LinkType::Raw):
    case 101:
      return decode_ip(f, caplen, out, ctx);
    case static_cast<int>(LinkType::Ipv4): return decode_ipv4(f, caplen, out, ctx);
    case static_cast<int>(LinkType::Ipv6): return decode_ipv6(f, caplen, out, ctx);
    default: return drop(DropReason::NotIp);
  }
}

}  // namespace soc::sensors::packet
