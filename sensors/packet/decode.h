// Packet decoding: from a captured frame (any supported link type) to the addresses, ports and
// IP packet that the flow table and nDPI need. Untrusted input: never reads past `caplen`, never
// throws; a frame that cannot be used is refused with a DropReason, counted by the caller.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace soc::sensors::packet {

// Link types we decode, numbered as libpcap's DLT_ values (pcap/dlt.h) so that the capture
// adapter passes pcap_datalink() through unchanged.
enum class LinkType : int {
  Null = 0,        // DLT_NULL: BSD loopback, 4-byte host-order address family
  Ethernet = 1,    // DLT_EN10MB
  Raw = 12,        // DLT_RAW: IPv4 or IPv6, told apart by the version nibble
  Loop = 108,      // DLT_LOOP: like Null, network byte order
  LinuxSll = 113,  // DLT_LINUX_SLL
  Ipv4 = 228,      // DLT_IPV4
  Ipv6 = 229,      // DLT_IPV6
  LinuxSll2 = 276, // DLT_LINUX_SLL2
};
bool is_supported(int link_type);

// Why a frame was not turned into a packet. The names (to_string) are stable: they are counter
// names in stats and metric labels. `NotIp` and `Fragment` are not malformed: the frame is fine
// but carries nothing a flow can use (ARP, a non-first IP fragment).
enum class DropReason : uint8_t {
  NotIp,             // ARP, LLDP, STP, ... or an address family other than IP
  Fragment,          // a non-first IP fragment (no transport header)
  TruncatedLink,     // the frame ends inside the link-layer header (or a VLAN/MPLS/PPPoE header)
  TruncatedIp,       // the frame ends inside the IP header, or (not cut by the capture's
                     // snaplen) before the IP length it claims
  BadIpHeader,       // wrong version, header length below the minimum or past the total length
  BadIpv6Extension,  // an IPv6 extension header runs past the packet
  TruncatedTransport,// the packet ends inside the TCP/UDP header
  BadTcpHeader,      // TCP data offset below 5 words or past the packet
};
inline constexpr size_t kDropReasonCount = 8;
std::string_view to_string(DropReason r);
// True for the reasons that mean the frame was damaged (counted as malformed).
bool is_malformed(DropReason r);

namespace tcp_flag {
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;
}

// A decoded packet. Pointers point into the frame given to decode(); valid as long as it is.
struct DecodedPacket {
  uint8_t ip_version = 0;              // 4 or 6
  std::array<uint8_t, 16> src{}, dst{};// IPv4 in the first 4 bytes
  uint16_t src_port = 0, dst_port = 0; // 0 for protocols without ports (ICMP, ...)
  uint8_t protocol = 0;                // IP protocol number after the IPv6 extension headers
  uint16_t vlan_id = 0;                // outermost 802.1Q/802.1ad tag; valid when has_vlan
  bool has_vlan = false;
  uint8_t tcp_flags = 0;
  bool snapped = false;                // the capture cut the packet short (snaplen), headers intact
  bool tunnelled = false;              // the addresses are those of an IP-in-IP / 6in4 inner packet
  const uint8_t* ip = nullptr;         // the IP header
  uint32_t ip_len = 0;                 // captured bytes from the IP header, at most the IP length
  uint32_t payload_len = 0;            // transport payload bytes seen (captured)
  const uint8_t* payload = nullptr;    // TCP: the first payload byte (payload_len of them)
};

struct DecodeOutcome {
  bool ok = false;
  DropReason reason = DropReason::NotIp;  // meaningful when !ok
};

// Decodes one frame of `link_type` (one of LinkType). `caplen` is what the capture holds,
// `wire_len` the frame's length on the wire: when caplen < wire_len the capture cut the frame
// (snaplen) and a packet whose headers are whole is still used (`snapped`); when the whole frame
// was captured, an IP length beyond it means a damaged packet (TruncatedIp). IP-in-IP and
// IPv6-in-IPv4 (6in4) are decapsulated: the flow is the inner packet's, as ndpiReader does.
DecodeOutcome decode(int link_type, const uint8_t* frame, uint32_t caplen, uint32_t wire_len, DecodedPacket& out);

}  // namespace soc::sensors::packet
